"""The network picture follows the sampling panel's step; pointing at a hidden unit draws
its W1 column and W2 row and marks the same unit in the forward pass and the hidden layer."""

from __future__ import annotations

import itertools

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QFontMetricsF, QMouseEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from charnames_gui.core.config import ModelConfig
from charnames_gui.core.data import Dataset, Vocabulary
from charnames_gui.core.hidden_stats import example_sample, hidden_stats
from charnames_gui.core.model import MLP
from charnames_gui.ui.views.forward_view import ForwardView
from charnames_gui.ui.views.hidden_layer_view import HiddenLayerView
from charnames_gui.ui.views.network_view import NetworkView
from charnames_gui.ui.views.sampling_panel import SamplingPanel
from charnames_gui.ui.views.unit_focus import UnitFocus


def test_pointing_at_a_unit_marks_it_in_every_view(qtbot, small_words: list[str]) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    focus = UnitFocus()
    panel, network, forward, hidden = (SamplingPanel(), NetworkView(focus), ForwardView(),
                                       HiddenLayerView())  # fmt: skip
    row = QHBoxLayout(host)
    for view in (panel, network, forward, hidden):
        row.addWidget(view)
    panel.stepShown.connect(network.show_step)
    panel.stepShown.connect(forward.show_step)
    focus.changed.connect(forward.canvas.set_focused_unit)
    focus.changed.connect(hidden.set_focused_unit)
    host.resize(1600, 700)
    host.show()
    qtbot.waitExposed(host)
    assert "Sample a name" in network.message()  # nothing to draw yet

    vocab = Vocabulary.from_words(small_words)
    config = ModelConfig(3, 4, 30, vocab.size)
    weights = MLP.init(config, "scaled", seed=3).snapshot()
    panel.set_model(config, weights, vocab, same_model=False)
    panel.force_next(vocab.stoi["e"])
    qtbot.waitUntil(
        lambda: (
            network.picture() is not None
            and network.picture().forward.context == tuple(panel.shown_context())
        )
    )
    picture = network.picture()
    np.testing.assert_array_equal(picture.column("probs").values, panel.shown().probabilities)

    j = 17
    qtbot.mouseMove(network, network.hidden_unit_centre(j).toPoint())
    qtbot.waitUntil(lambda: focus.unit == j)
    assert network.focused_unit() == j
    assert hidden.focused_unit_line() == j + 0.5  # its column of the saturation image
    assert forward.canvas._focused_unit == j
    tip = network.tooltip_at(network.hidden_unit_centre(j))
    assert f"unit {j}: h = {picture.forward.h[j]:.4f}" in tip
    network.grab()  # paints the unit's links without error
    focus.set(None)
    assert hidden.focused_unit_line() is None and network.focused_unit() is None
    assert network.tooltip_at(QPointF(-5, -5)) == ""
    qtbot.mouseMove(network, network.hidden_unit_centre(3).toPoint())
    qtbot.waitUntil(lambda: focus.unit == 3)


def test_the_scale_numbers_never_overlap(qtbot, small_words: list[str]) -> None:
    """A narrow dock wrote "-1.09-10": the numbers under each colour bar drop digits, then
    the middle 0, then all of them rather than run into each other."""
    panel, network = SamplingPanel(), NetworkView(UnitFocus())
    qtbot.addWidget(panel)
    qtbot.addWidget(network)
    panel.stepShown.connect(network.show_step)
    vocab = Vocabulary.from_words(small_words)
    config = ModelConfig(3, 4, 30, vocab.size)
    panel.set_model(config, MLP.init(config, "scaled", seed=3).snapshot(), vocab, same_model=False)
    network.resize(750, 400)
    network.show()
    panel.force_next(vocab.stoi["e"])
    qtbot.waitUntil(lambda: network.picture() is not None)
    counts = []
    for width in (750, 500, 320, 240):  # (240: its minimum)
        network.resize(width, 400)
        qtbot.waitUntil(lambda w=width: network.width() == w)
        network.grab()  # lays the columns out at this width
        slot = width / len(network.picture().columns)
        for k, column in enumerate(("embcat", "h", "logits", "probs"), start=1):
            boxes = [box for box, _ in network.scale_numbers(column)]
            for a, b in itertools.pairwise(boxes):
                assert a.right() <= b.left(), (width, column)
            for box in boxes:  # inside the column's own slot
                assert k * slot - 0.5 <= box.left() and box.right() <= (k + 1) * slot + 0.5
            counts.append(len(boxes))
    assert counts[:4] == [3, 3, 3, 2]  # wide: both ends and 0 (probs: no 0)
    assert min(counts) < 3  # narrow: fewer numbers


def _move(widget: QWidget, pos: QPoint) -> None:
    """A mouse move over widget at pos (sent to it: the platform's own may go missing)."""
    event = QMouseEvent(
        QEvent.Type.MouseMove, QPointF(pos), QPointF(widget.mapToGlobal(pos)),
        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)


def test_pointing_at_a_unit_in_the_forward_pass_or_hidden_layer_marks_the_network(
    qtbot, small_words: list[str]
) -> None:
    """Hovering a cell of the h strip in the Forward pass, or a column of the saturation
    image in the Hidden layer, points at that hidden unit: the network draws its W1 column
    and W2 row. Leaving the view points at none."""
    host = QWidget()
    qtbot.addWidget(host)
    focus = UnitFocus()
    panel, network, forward, hidden = (SamplingPanel(), NetworkView(focus), ForwardView(),
                                       HiddenLayerView())  # fmt: skip
    row = QHBoxLayout(host)
    for view in (panel, network, forward, hidden):
        row.addWidget(view)
    panel.stepShown.connect(network.show_step)
    panel.stepShown.connect(forward.show_step)
    forward.canvas.unitHovered.connect(focus.set)
    hidden.unitHovered.connect(focus.set)
    host.resize(1600, 900)
    host.show()
    qtbot.waitExposed(host)
    dataset = Dataset(small_words)
    vocab = dataset.vocab
    config = ModelConfig(3, 4, 30, vocab.size)
    weights = MLP.init(config, "scaled", seed=3).snapshot()
    panel.set_model(config, weights, vocab, same_model=False)
    panel.force_next(vocab.stoi["e"])
    qtbot.waitUntil(lambda: network.picture() is not None and forward.forward() is not None)
    forward.canvas.grab()  # (laid out)

    j = 11
    _move(forward.canvas, forward.canvas.cell_center("h", j))
    assert focus.unit == j and network.focused_unit() == j
    QApplication.sendEvent(forward.canvas, QEvent(QEvent.Type.Leave))
    assert focus.unit is None

    X, Y = dataset.examples(3).tensors["train"]
    hidden.receive(hidden_stats(weights, config, example_sample(X, Y), 0.1, 0))
    hidden.grab()
    k = 23
    _move(hidden.plots()[0].viewport(), hidden.hover_position(k))
    assert focus.unit == k and network.focused_unit() == k
    QApplication.sendEvent(hidden.plots()[0], QEvent(QEvent.Type.Leave))
    assert focus.unit is None


def test_column_titles_shorten_rather_than_cut(qtbot, small_words: list[str]) -> None:
    """A narrow network view wrote "C[conte…" and "tanh(hpr…": each title drops its shape,
    then its formula, then takes a short name; what is drawn always fits its column."""
    panel, network = SamplingPanel(), NetworkView(UnitFocus())
    qtbot.addWidget(panel)
    qtbot.addWidget(network)
    panel.stepShown.connect(network.show_step)
    vocab = Vocabulary.from_words(small_words)
    config = ModelConfig(3, 4, 30, vocab.size)
    panel.set_model(config, MLP.init(config, "scaled", seed=3).snapshot(), vocab, same_model=False)
    network.resize(900, 400)
    network.show()
    panel.force_next(vocab.stoi["e"])
    qtbot.waitUntil(lambda: network.picture() is not None)
    assert network.title_lines("embcat") == ("embcat", "C[context]  (12)")
    metrics = QFontMetricsF(network.font())
    seen = set()
    for width in (900, 500, 320, 240):
        network.resize(width, 400)
        qtbot.waitUntil(lambda w=width: network.width() == w)
        room = width / len(network.picture().columns) - 4
        for column in ("context", "embcat", "h", "logits", "probs"):
            lines = network.title_lines(column)
            assert all(metrics.horizontalAdvance(t) <= room for t in lines), (width, lines)
            assert "…" not in "".join(lines)
            seen.add(lines)
    assert ("h", "") in seen or ("h", "(30)") in seen  # narrow: the formula went first
