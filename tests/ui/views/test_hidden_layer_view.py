"""The hidden-layer view draws the statistics it receives; wired as the window wires it to
ui/hidden_analysis.py, it follows the snapshots it is offered, only while visible."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import Qt

from charnames_gui.core.config import ModelConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.hidden_stats import example_sample, hidden_stats
from charnames_gui.core.model import MLP
from charnames_gui.ui.hidden_analysis import HiddenAnalysis
from charnames_gui.ui.views.hidden_layer_view import SHOWN_EXAMPLES, HiddenLayerView


class WiredView(HiddenLayerView):
    """The view with its statistics computed by a HiddenAnalysis, as the window wires them
    (set_model and offer go to the analysis, its results to the view)."""

    def __init__(self) -> None:
        super().__init__()
        self.analysis = HiddenAnalysis(self.isVisible, self)
        self.analysis.analysed.connect(self.receive)
        self.analysis.failed.connect(self.show_failure)
        self.shown.connect(self.analysis.poke)

    def set_model(self, config, examples, lr_at) -> None:
        self.analysis.set_model(config, examples, lr_at)
        self.reset(self.analysis.has_data)

    def offer(self, step, weights) -> None:
        self.analysis.offer(step, weights)

    def is_busy(self) -> bool:
        return self.analysis.busy


@pytest.fixture
def view(qtbot) -> Iterator[WiredView]:
    widget = WiredView()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    yield widget
    qtbot.waitUntil(lambda: not widget.is_busy(), timeout=30_000)


@pytest.fixture
def setup(small_words: list[str]):
    dataset = Dataset(small_words)
    config = ModelConfig(3, 10, 200, dataset.vocab.size)
    X, Y = dataset.examples(3).tensors["train"]
    return config, (X, Y)


def test_draws_the_stats_of_the_newest_snapshot(qtbot, view: WiredView, setup) -> None:
    config, examples = setup
    view.set_model(config, examples, lambda step: 0.1 if step < 100 else 0.01)
    view.show()
    qtbot.waitExposed(view)
    weights = MLP.init(config, "lecture").snapshot()
    with qtbot.waitSignal(view.statsShown, timeout=10_000) as shown:
        view.offer(0, weights)
    stats = shown.args[0]
    expected = hidden_stats(weights, config, example_sample(*examples), 0.1, 0)
    assert stats.saturated_fraction == expected.saturated_fraction
    assert stats.saturated_fraction > 0.5  # the lecture's init
    shown = expected.saturated[:SHOWN_EXAMPLES].astype(np.float32)
    np.testing.assert_array_equal(view.saturation_image(), shown)
    edges, counts = view.histogram("h")
    np.testing.assert_array_equal(counts, expected.h_counts)
    np.testing.assert_array_equal(edges, expected.h_edges)
    assert f"{expected.saturated_fraction:.1%}" in view.summary_text()
    assert "dead units" in view.summary_text()

    scaled = MLP.init(config, "scaled").snapshot()
    with qtbot.waitSignal(view.statsShown, timeout=10_000) as shown:
        view.offer(200, scaled)
    assert shown.args[0].saturated_fraction < 0.2
    assert shown.args[0].lr == 0.01  # the learning rate of that step
    assert view.history.steps == [0, 200]


def test_a_burst_of_snapshots_is_analysed_at_most_a_few_times(qtbot, view, setup) -> None:
    config, examples = setup
    view.set_model(config, examples, lambda step: 0.1)
    view.show()
    qtbot.waitExposed(view)
    shown: list[object] = []
    view.statsShown.connect(shown.append)
    model = MLP.init(config, "scaled")
    for step in range(0, 50):
        view.offer(step, model.snapshot())
    qtbot.waitUntil(lambda: view.stats() is not None and view.stats().step == 49, timeout=10_000)
    assert len(shown) <= 3  # the first at once, then only the newest


def test_nothing_is_computed_while_hidden(qtbot, view: WiredView, setup) -> None:
    config, examples = setup
    view.set_model(config, examples, lambda step: 0.1)
    view.offer(5, MLP.init(config).snapshot())  # the first is analysed at once, if seen
    assert view.stats() is None and not view.is_busy()  # not seen: no analysis started ...
    assert view.analysis.settled  # ... and none waits for a time to start
    with qtbot.waitSignal(view.statsShown, timeout=10_000):
        view.show()
    assert view.stats().step == 5


def test_without_a_dataset_it_says_so(view: WiredView, setup) -> None:
    config, _ = setup
    view.set_model(config, None, lambda step: 0.1)
    view.show()
    view.offer(0, MLP.init(config).snapshot())
    assert view.stats() is None
    assert "dataset" in view.summary_text()


def test_paced_by_a_frame_clock_it_draws_only_when_asked(qtbot, view, setup) -> None:
    config, examples = setup
    view.paced = True  # the main window's frame clock calls show_ready
    view.set_model(config, examples, lambda step: 0.1)
    view.show()
    qtbot.waitExposed(view)
    view.offer(3, MLP.init(config).snapshot())
    qtbot.waitUntil(view.has_ready, timeout=10_000)
    assert view.stats() is None  # analysed, not drawn yet
    with qtbot.waitSignal(view.statsShown):
        view.show_ready()
    assert view.stats().step == 3 and not view.has_ready()


def test_an_analysis_of_a_replaced_model_is_dropped(qtbot, view, setup) -> None:
    """Opening a model while the previous one's snapshot is analysed: the old step must not
    join the new model's update-ratio curve (same shapes, so only the model change tells)."""
    config, examples = setup
    view.set_model(config, examples, lambda step: 0.1)
    view.show()
    qtbot.waitExposed(view)
    view.offer(0, MLP.init(config, "lecture").snapshot())
    assert view.is_busy()  # the first snapshot is analysed at once
    view.set_model(config, examples, lambda step: 0.01)  # an opened model, trained 200,000 steps
    trained = MLP.init(config, "scaled").snapshot()
    view.offer(200_000, trained)
    qtbot.waitUntil(lambda: view.stats() is not None and not view.is_busy(), timeout=10_000)
    assert view.stats().step == 200_000
    assert view.history.steps == [200_000]
    expected = hidden_stats(trained, config, example_sample(*examples), 0.01, 200_000)
    assert view.stats().saturated_fraction == expected.saturated_fraction


def test_the_saturation_image_comes_first_and_says_what_white_means(view, setup) -> None:
    view.resize(400, 600)  # a narrow dock: one column, scrolling
    view.show()
    titles = view.plot_titles()
    assert titles[0] == "white: |h| > 0.99"
    assert titles[1:] == ["h", "hpreact", "update-to-data ratio"]
    grid = view._grid
    assert grid.getItemPosition(grid.indexOf(view.plots()[0]))[:2] == (0, 0)
    assert grid.getItemPosition(grid.indexOf(view.plots()[1]))[:2] == (1, 0)
    view.resize(900, 600)  # wide: two columns, the image top left
    assert grid.getItemPosition(grid.indexOf(view.plots()[0]))[:2] == (0, 0)
    assert grid.getItemPosition(grid.indexOf(view.plots()[1]))[:2] == (0, 1)


def test_summary_counts_and_undefined_ratios(qtbot, view, setup) -> None:
    config, examples = setup
    view.set_model(config, examples, lambda step: 0.1)
    view.show()
    qtbot.waitExposed(view)
    with qtbot.waitSignal(view.statsShown, timeout=10_000) as shown:
        view.offer(0, MLP.init(config, "scaled").snapshot())  # b2 starts at zero
    stats = shown.args[0]
    text = view.summary_text()
    assert f"<b>{stats.saturated_fraction:.1%}</b>" in text
    assert f"<b>{stats.dead_units}</b> dead units of {config.n_hidden}" in text
    assert "b2 –" in text  # a parameter of zeros has no update-to-data ratio
    assert view.plot_titles()[0] == f"white: |h| > 0.99: {stats.saturated_fraction:.1%}"
    low, high = view.plots()[3].getPlotItem().viewRange()[1]
    assert low < -3 < high  # the lecture's guide line is in sight whatever the ratios
    left, right = view.plots()[3].getPlotItem().viewRange()[0]
    assert left < 0 < right and right - left <= 2_100  # one point: in the middle, not on an edge


def test_in_the_window_it_follows_training(qtbot, window) -> None:
    """The main window feeds the view its snapshots; the forward pass follows the panel."""
    window.hidden_dock.setFloating(True)  # visible next to the sampling panel
    window.hidden_dock.show()
    qtbot.waitExposed(window.hidden_dock)
    qtbot.waitUntil(lambda: window.hidden_view.stats() is not None, timeout=10_000)
    assert window.hidden_view.stats().step == 0  # the new model, before training
    c = window.controller
    c.start()
    qtbot.waitUntil(
        lambda: window.hidden_view.stats() is not None and window.hidden_view.stats().step > 0,
        timeout=20_000,
    )
    with qtbot.waitSignal(c.runEnded, timeout=10_000):
        c.pause()
    c.wait_until_idle()
    qtbot.waitUntil(lambda: not window.hidden_analysis.busy, timeout=30_000)
    assert len(window.hidden_view.history.steps) >= 2

    panel, forward = window.sampling_panel, window.forward_view
    window.controls.setFocus()  # the sampling keys work from anywhere in the window
    qtbot.keyClick(window.controls, Qt.Key.Key_S)
    assert len(panel.state.chosen) == 1
    qtbot.waitUntil(lambda: forward.forward() is not None
                    and forward.forward().context == tuple(panel.shown_context()))  # fmt: skip
