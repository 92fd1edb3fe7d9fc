"""The forward-pass view follows the sampling panel and tells each cell's value on hover."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QToolTip, QWidget

from charnames_gui.core.config import ModelConfig
from charnames_gui.core.data import Vocabulary
from charnames_gui.core.forward import inspect_forward
from charnames_gui.core.model import MLP
from charnames_gui.ui.views.forward_view import NO_STEP, ForwardView
from charnames_gui.ui.views.sampling_panel import SamplingPanel


@pytest.fixture
def pair(qtbot) -> Iterator[tuple[SamplingPanel, ForwardView]]:
    host = QWidget()
    qtbot.addWidget(host)
    panel, view = SamplingPanel(), _view()
    row = QHBoxLayout(host)
    row.addWidget(panel, 3)
    row.addWidget(view, 2)
    panel.stepShown.connect(view.show_step)
    host.resize(1200, 700)
    host.show()
    qtbot.waitExposed(host)
    yield panel, view
    host.close()


def _view() -> ForwardView:
    """A view whose rate limit is always past: each step shown is computed at once."""
    seconds = itertools.count(step=1.0)
    return ForwardView(clock=lambda: float(next(seconds)))


def _model(words: list[str], block: int, embd: int, hidden: int, init: str = "scaled"):
    vocab = Vocabulary.from_words(words)
    config = ModelConfig(block, embd, hidden, vocab.size)
    weights = MLP.init(config, init, seed=2).snapshot()
    weights["b2"][0] += 1.5  # names end
    return config, weights, vocab


def _follows(qtbot, panel: SamplingPanel, view: ForwardView, weights: dict) -> None:
    """The view ends up showing the forward pass of the panel's shown context."""
    context = tuple(panel.shown_context())
    qtbot.waitUntil(lambda: view.forward() is not None and view.forward().context == context)
    fp = view.forward()
    sampler = panel.sampler
    expected = inspect_forward(
        weights, sampler.model.config, sampler.vocab.itos, list(context), panel.shown().temperature
    )
    np.testing.assert_array_equal(fp.h, expected.h)
    np.testing.assert_array_equal(fp.probs, panel.shown().probabilities)


def test_follows_step_back_a_forced_choice_and_temperature(
    qtbot, pair, small_words: list[str]
) -> None:
    panel, view = pair
    config, weights, vocab = _model(small_words, 3, 10, 200)
    panel.set_model(config, weights, vocab, same_model=False)
    _follows(qtbot, panel, view, weights)
    assert view.forward().context == (0, 0, 0)
    panel.force_next(vocab.stoi["e"])
    panel.force_next(vocab.stoi["m"])
    _follows(qtbot, panel, view, weights)
    assert view.forward().context_chars == (".", ".", "e")
    panel.step()
    _follows(qtbot, panel, view, weights)
    assert view.forward().context_chars == (".", "e", "m")
    panel.back()
    _follows(qtbot, panel, view, weights)
    assert view.forward().context_chars == (".", ".", "e")
    panel.set_temperature(0.5)
    qtbot.waitUntil(lambda: view.forward().temperature == 0.5)
    _follows(qtbot, panel, view, weights)
    shown = view.forward()
    panel.set_sorted(True)  # nothing the forward pass depends on: no recomputation
    panel.set_temperature(0.5)
    assert view.forward() is shown  # (computed at once if at all: the clock has moved on)
    panel.clear_model()
    qtbot.waitUntil(lambda: view.forward() is None)


def test_hover_shows_values_units_and_contributions(qtbot, pair, small_words) -> None:
    panel, view = pair
    config, weights, vocab = _model(small_words, 3, 10, 200, init="lecture")
    panel.set_model(config, weights, vocab, same_model=False)
    panel.force_next(vocab.stoi["e"])
    qtbot.waitUntil(lambda: view.forward() is not None and view.forward().context[-1] == 0)
    canvas = view.canvas
    fp = view.forward()

    tip = canvas.tooltip_at(canvas.cell_center("emb", 2 * 10 + 4))
    assert f"emb[0, 2, 4] = C[0, 4] = {fp.emb[2, 4]:.4f}" in tip
    j = int(np.argmax(np.abs(fp.h)))
    tip = canvas.tooltip_at(canvas.cell_center("h", j))
    assert f"hidden unit {j}: hpreact = {fp.hpreact[j]:.4f}, h = tanh = {fp.h[j]:.4f}" in tip
    assert "saturated" in tip
    raised, lowered = fp.unit_effects(j)
    assert f"'{raised[0][0]}' {raised[0][1]:+.2f}" in tip
    assert f"'{lowered[0][0]}' {lowered[0][1]:+.2f}" in tip
    c = vocab.stoi["a"]
    tip = canvas.tooltip_at(canvas.cell_center("logits", c))
    assert f"logit of 'a' = {fp.logits[c]:.4f}" in tip
    j0, v0 = fp.logit_contributions(c)[0]
    assert f"unit {j0}: h[{j0}] * W2[{j0}, {c}] = {v0:+.4f}" in tip
    assert "context[2] = 0" in canvas.tooltip_at(canvas.cell_center("context", 2))
    assert canvas.tooltip_at(QPoint(2, 2)) == ""

    # a real tooltip event shows the same text
    pos = canvas.cell_center("logits", c)
    event = QHelpEvent(QEvent.Type.ToolTip, pos, canvas.mapToGlobal(pos))
    QApplication.sendEvent(canvas, event)
    assert QToolTip.text() == canvas.tooltip_at(pos)


def test_emb_rows_are_labelled_with_the_context_characters(qtbot, pair, small_words) -> None:
    panel, view = pair
    config, weights, vocab = _model(small_words, 3, 10, 200)
    panel.set_model(config, weights, vocab, same_model=False)
    panel.force_next(vocab.stoi["e"])
    panel.force_next(vocab.stoi["m"])
    context = tuple(panel.shown_context())
    qtbot.waitUntil(lambda: view.forward() is not None and view.forward().context == context)
    canvas = view.canvas
    assert canvas.row_labels("emb") == [".", ".", "e"]  # 'e' chosen, 'm' shown as the next
    _, grid = canvas.strip_geometry("emb")
    _, strip = canvas.strip_geometry("embcat")
    assert grid.left() > strip.left()  # the labels sit left of the grid, not on it
    fp = view.forward()
    tip = canvas.tooltip_at(canvas.cell_center("emb", 2 * 10 + 0))  # row 'e', dimension 0
    assert f"C[{vocab.stoi['e']}, 0] = {fp.emb[2, 0]:.4f}  ('e')" in tip


def test_a_long_context_wraps_and_keeps_its_characters(qtbot, small_words) -> None:
    """Block 16 in a narrow dock: the context cells wrap onto rows, each still labelled."""
    panel, view = SamplingPanel(), _view()
    qtbot.addWidget(panel)
    qtbot.addWidget(view)
    panel.stepShown.connect(view.show_step)
    view.resize(420, 500)
    view.show()
    qtbot.waitExposed(view)
    config, weights, vocab = _model(small_words, 16, 4, 16)
    panel.set_model(config, weights, vocab, same_model=False)
    panel.force_next(vocab.stoi["e"])
    panel.force_next(vocab.stoi["m"])  # shown: the step after 'e'
    context = tuple(panel.shown_context())
    qtbot.waitUntil(lambda: view.forward() is not None and view.forward().context == context)
    canvas = view.canvas
    _, rect = canvas.strip_geometry("context")
    assert rect.height() > canvas.strip_geometry("emb")[0]  # more than one row of cells
    assert rect.right() <= canvas.width()
    labels = canvas.cell_labels("context")
    assert len(labels) == 16
    assert labels[-1] == f"e {vocab.stoi['e']}" and labels[0] == ". 0"
    note = next(t for _, t in canvas.text_lines() if t.startswith("the row"))
    assert "C[0], C[0]" not in note  # no list of 16 rows
    canvas.grab()


def test_code_lines_are_measured_in_the_font_they_are_drawn_in(qtbot, pair, small_words) -> None:
    """A code line that fits is one line high (no gap under it), and zooming re-measures."""
    from PySide6.QtGui import QFont, QFontMetrics

    panel, view = pair
    config, weights, vocab = _model(small_words, 3, 10, 200)
    panel.set_model(config, weights, vocab, same_model=False)
    qtbot.waitUntil(lambda: view.forward() is not None)
    canvas = view.canvas
    assert canvas.code_font().pointSizeF() == canvas.font().pointSizeF()

    def gaps() -> dict[str, int]:
        lines = canvas.text_lines()
        return {
            t: lines[k + 1][0] - y for k, (y, t) in enumerate(lines[:-1]) if t.startswith("emb =")
        }

    metrics = QFontMetrics(canvas.code_font(), canvas)
    line = next(t for _, t in canvas.text_lines() if t.startswith("emb ="))
    assert metrics.horizontalAdvance(line) < canvas.width() - 16  # it fits on one line
    assert gaps()[line] == metrics.height() + 2  # the note follows right under it
    height = canvas.minimumHeight()
    bigger = QFont(canvas.font())
    bigger.setPointSizeF(canvas.font().pointSizeF() * 2)
    canvas.setFont(bigger)  # what the zoom does through the application font
    assert canvas.code_font().pointSizeF() == bigger.pointSizeF()
    assert canvas.minimumHeight() > height


@pytest.mark.parametrize(("block", "embd", "hidden"), [(1, 2, 8), (32, 16, 4096), (8, 256, 64)])
def test_every_size_the_app_allows(qtbot, pair, block: int, embd: int, hidden: int) -> None:
    panel, view = pair
    words = [chr(0x100 + i) * 3 + chr(0x100 + (i * 7) % 199) for i in range(199)]  # vocab 200
    config, weights, vocab = _model(words, block, embd, hidden)
    assert vocab.size == 200
    panel.set_model(config, weights, vocab, same_model=False)
    qtbot.waitUntil(lambda: view.forward() is not None)
    canvas = view.canvas
    # every cell at least 3 px wide: long strips wrap, then average neighbours
    for stage in ("embcat", "hpreact", "h", "logits"):
        cell_width, rect = canvas.strip_geometry(stage)
        assert cell_width >= 3
        assert rect.right() <= canvas.width()
    if hidden == 4096:
        assert canvas.strip_cells("h") < hidden
        tip = canvas.tooltip_at(canvas.cell_center("h", 4000))
        assert "values in one cell" in tip and "saturated" in tip
    else:
        assert canvas.strip_cells("h") == hidden
    canvas.grab()  # paints without error


def test_computes_nothing_while_hidden_and_catches_up_when_shown(
    qtbot, small_words: list[str]
) -> None:
    panel, view = SamplingPanel(), _view()
    qtbot.addWidget(panel)
    qtbot.addWidget(view)
    panel.stepShown.connect(view.show_step)
    config, weights, vocab = _model(small_words, 3, 4, 16)
    panel.set_model(config, weights, vocab, same_model=False)
    for _ in range(5):
        panel.step()
    assert view.forward() is None  # hidden: nothing computed
    view.show()
    qtbot.waitExposed(view)
    assert view.forward().context == tuple(panel.shown_context())  # the last step at once


def test_weights_too_large_show_a_message(qtbot, pair, small_words: list[str]) -> None:
    panel, view = pair
    config, weights, vocab = _model(small_words, 3, 4, 16)
    weights["W2"][:] = 3e38
    panel.set_model(config, weights, vocab, same_model=False)
    assert "not finite" in panel.shown().notice  # the panel says why, in words ...
    assert view.forward() is None and view.canvas.message == NO_STEP  # ... and shows no step


def _fill_rect_per_cell(strip, size: tuple[int, int]):
    """The cells painted as the view painted them before it drew one image per strip: a
    fillRect per cell, each cell's colour computed on its own (the reference)."""
    import math

    from PySide6.QtGui import QColor, QImage, QPainter

    def color(value: float, scale: float) -> QColor:
        t = max(-1.0, min(1.0, value / scale)) if scale > 0 else 0.0
        if t >= 0:
            return QColor(255, int(255 * (1 - 0.85 * t)), int(255 * (1 - 0.9 * t)))
        t = -t
        return QColor(int(255 * (1 - 0.9 * t)), int(255 * (1 - 0.6 * t)), 255)

    image = QImage(*size, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    outline = strip.cell_w >= 6
    for k, value in enumerate(strip.values.reshape(-1)):
        row, col = divmod(k, strip.columns)
        x = strip.rect.x() + col * strip.cell_w
        y = strip.rect.y() + row * strip.cell_h
        w = max(strip.cell_w - (1 if outline else 0), 1)
        h = max(strip.cell_h - 1, 1)
        c = QColor("#f2f2f2") if strip.stage == "context" else color(float(value), strip.scale)
        painter.fillRect(int(x), int(y), math.ceil(w), int(h), c)
    painter.end()
    return image


@pytest.mark.parametrize(
    ("stage", "n", "columns", "cell_w", "cell_h"),
    [
        ("hpreact", 200, 48, 14.0, 14.0),  # a white gap between cells, a last row part-full
        ("h", 1000, 97, 3.7, 6.0),  # narrow cells at fractional places: each overlaps the next
        ("logits", 27, 27, 9.5, 14.0),
        ("context", 3, 3, 40.0, 40.0),  # the context's boxes, grey
    ],
)
def test_a_strip_is_drawn_as_one_image_identical_to_a_fill_per_cell(
    qtbot, stage: str, n: int, columns: int, cell_w: float, cell_h: float
) -> None:
    import math

    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QImage, QPainter

    from charnames_gui.ui.views.forward_view import _cells_image, _Strip

    rng = np.random.default_rng(n)
    values = rng.standard_normal(n) * 2
    special = [0.0, np.nan, -np.inf, np.inf]  # white; NaN and infinities clip as before
    values[: min(n, 4)] = special[: min(n, 4)]
    rows = math.ceil(n / columns)
    rect = QRect(11, 23, math.ceil(columns * cell_w), int(rows * cell_h))
    strip = _Strip(stage, values, rect, cell_w, cell_h, columns, 1, n, 1.7)
    size = (rect.right() + 20, rect.bottom() + 20)
    expected = _fill_rect_per_cell(strip, size)
    origin, cells = _cells_image(strip)
    drawn = QImage(*size, QImage.Format.Format_RGB32)
    drawn.fill(QColor("white"))
    painter = QPainter(drawn)
    painter.drawImage(origin, cells)
    painter.end()
    assert drawn == expected
