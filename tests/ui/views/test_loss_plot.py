"""The loss plot: its legend, hover readout, exports and x-range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from charnames_gui.core.events import EvalPoint, LossChunk
from charnames_gui.ui.views.loss_plot import LossPlot, OverlayCurve
from charnames_gui.ui.views.plot_style import EXPORT_WIDTH


def _plot(qtbot, steps: int = 10_000) -> LossPlot:
    plot = LossPlot(own_timer=False)
    qtbot.addWidget(plot)
    plot.resize(700, 450)
    plot.show()
    plot.reset(steps, 27, [steps // 2])
    losses = np.linspace(3.3, 2.2, 2_000).astype(np.float32)
    plot.append_losses(LossChunk(1, losses, 0.1))
    plot.redraw()
    QApplication.processEvents()
    return plot


def _overlay(key: int, steps: int) -> OverlayCurve:
    x = np.arange(1, steps + 1, 1_000, dtype=np.float64)
    return OverlayCurve(key, f"run #{key}", QColor("red"), x, np.full(len(x), 2.2))


def test_overlay_x_range_is_the_longest_run_shown(qtbot) -> None:
    plot = _plot(qtbot, steps=10_000)
    plot.set_overlays([_overlay(1, 200_000)])  # a recorded 200,000-step run
    plot.redraw()
    _left, right = plot.x_range()
    longest = float(_overlay(1, 200_000).steps[-1])
    assert longest <= right <= longest * 1.02  # not ~500,000 (the next 1-2-5 round number)
    plot.set_overlays([])
    plot.redraw()
    assert plot.x_range()[1] <= 10_000 * 1.02


def test_train_estimate_legend_says_the_real_sample_size(qtbot) -> None:
    plot = _plot(qtbot)
    assert "train (10k-example sample)" in plot.legend.texts()
    plot.set_train_sample_size(2_046)
    assert "train (2,046-example sample)" in plot.legend.texts()
    assert "2,046-example" in plot.legend.text()


def test_legend_lists_references_and_overlays(qtbot) -> None:
    plot = _plot(qtbot)
    plot.set_reference("bigram", 2.45)
    plot.set_overlays([_overlay(7, 5_000)])
    texts = plot.legend.texts()
    assert any(t.startswith("uniform guessing: ln(27)") for t in texts)
    assert "bigram model, dev: 2.450" in texts and "run #7" in texts
    plot.set_reference("bigram", None)
    assert not any(t.startswith("bigram") for t in plot.legend.texts())


def test_hover_readout_goes_when_the_pointer_leaves(qtbot) -> None:
    plot = _plot(qtbot)
    item = plot.plot_widget.getPlotItem()
    inside = item.vb.mapViewToScene(QPointF(1_000, 0.4))
    plot._on_mouse_moved((inside,))  # what the scene's rate-limited mouse signal delivers
    assert plot.hover_label.isVisible()
    QApplication.sendEvent(plot.plot_widget.viewport(), QEvent(QEvent.Type.Leave))
    assert not plot.hover_label.isVisible()


def test_export_has_no_readout_and_readable_text(qtbot, tmp_path: Path) -> None:
    plot = _plot(qtbot)
    item = plot.plot_widget.getPlotItem()
    plot._on_mouse_moved((item.vb.mapViewToScene(QPointF(1_000, 0.4)),))
    assert plot.hover_label.isVisible()
    path = tmp_path / "loss.png"
    plot.export_png(path)
    assert not plot.hover_label.isVisible()  # never in an export
    image = QImage(str(path))
    assert image.width() == EXPORT_WIDTH
    # drawn at scale: the legend row (with the text) is scaled like the plot, so its share
    # of the image's height is what it is on screen
    on_screen = plot.legend.height() / (plot.legend.height() + plot.plot_widget.height())
    assert image.height() > 0
    rows_with_ink = [
        y for y in range(round(image.height() * on_screen))
        if any(image.pixelColor(x, y).value() < 128 for x in range(0, image.width(), 4))
    ]  # fmt: skip
    assert len(rows_with_ink) > 0.25 * image.height() * on_screen  # legend text, at scale


def test_a_rollback_drops_what_the_plot_shows_past_the_weights(qtbot) -> None:
    """A lost training process: the model is back at step 1,500 (the last weights received)
    while the plot already has losses up to step 2,000 and dev points at 1,000 and 2,000."""
    plot = _plot(qtbot)  # losses of steps 1..2,000; buckets of 50 steps
    plot.add_eval_point(EvalPoint(1_000, 2.5, 2.4))
    plot.add_eval_point(EvalPoint(2_000, 2.3, 2.2))
    plot.redraw()
    assert plot.last_step() == 2_000
    assert plot.roll_back_to(1_500)
    steps, _ = plot.raw_data()
    assert steps.max() == 1_500 and len(steps) == 1_500
    assert [p.step for p in plot.eval_points()] == [1_000]
    # what is drawn, not only what is stored
    raw_x = plot.raw_curve.xData  # the data set, before any downsampling for the screen
    smooth_x = plot.smooth_curve.xData
    dev_x = plot.dev_points.xData
    train_x = plot.train_points.xData
    assert raw_x.max() == 1_500
    assert smooth_x.max() <= 1_500 and len(smooth_x) == 1_500 // 50  # whole buckets only
    assert list(dev_x) == [1_000] and list(train_x) == [1_000]
    # training goes on from step 1,501, as usual
    plot.append_losses(LossChunk(1_501, np.full(600, 2.0, dtype=np.float32), 0.1))
    plot.add_eval_point(EvalPoint(2_000, 2.1, 2.0))
    plot.redraw()
    steps, losses = plot.raw_data()
    assert list(steps) == list(range(1, 2_101)) and losses[-1] == np.float32(2.0)
    assert [p.step for p in plot.eval_points()] == [1_000, 2_000]
    assert list(plot.dev_points.xData) == [1_000, 2_000]
    assert plot.dev_points.yData[-1] == np.log10(2.1)
    assert len(plot.smooth_curve.xData) == 2_100 // 50
    assert plot.raw_curve.xData.max() == 2_100


def test_a_run_ending_at_the_last_plotted_step_keeps_everything(qtbot) -> None:
    plot = _plot(qtbot)
    plot.add_eval_point(EvalPoint(2_000, 2.3, 2.2))
    assert not plot.roll_back_to(2_000)  # stopped or finished where the plot ends
    assert len(plot.raw_data()[0]) == 2_000 and len(plot.eval_points()) == 1


def test_k_seeds_are_a_band_with_each_seed_on_hover(qtbot) -> None:
    """Chunks carrying every seed's losses: the band is the lowest and highest seed's bucket
    mean, the dashed line their mean; a seed that diverged drops out; a new model clears it."""
    plot = LossPlot(own_timer=False)
    qtbot.addWidget(plot)
    plot.reset(1000, 27, [])
    size = plot._smooth.size
    band = np.tile(np.array([2.0, 2.2, 2.6], dtype=np.float32), (2 * size, 1))
    band[size:, 2] = np.nan  # seed 3 diverged after the first bucket
    plot.append_losses(LossChunk(1, band[:, 0].copy(), 0.1, 1.0, band))
    plot.redraw()
    sb = plot.seed_band
    assert sb.k == 3 and sb.fill.isVisible()
    x, low = sb.low.getData()
    _, high = sb.high.getData()
    _, mean = sb.mean.getData()
    assert len(x) == 2
    assert np.allclose(10**low, [2.0, 2.0]) and np.allclose(10**high, [2.6, 2.2])
    assert np.allclose(10**mean, [(2.0 + 2.2 + 2.6) / 3, 2.1])
    assert any("3 seeds: lowest to highest" in t for t in plot.legend.texts())
    lines = sb.describe(float(x[1]))
    assert lines[0].startswith("3 seeds near step") and "2.000 to 2.200" in lines[0]
    assert "seed 3: diverged" in "\n".join(lines)
    plot.reset(1000, 27, [])
    plot.redraw()
    assert sb.k == 0 and not sb.fill.isVisible()


def test_an_opened_models_replay_mark_is_on_its_axis_with_its_label_inside(qtbot) -> None:
    """An opened model has frames but no loss curve: the x axis still reaches its last frame
    (not 1,000, where an empty run's axis starts), and the mark's label stays in the plot at
    either end of the run."""
    plot = LossPlot(own_timer=False)
    qtbot.addWidget(plot)
    plot.resize(700, 450)
    plot.show()
    qtbot.waitExposed(plot)
    plot.reset(20_000, 27, [10_000])  # an opened model: no losses
    plot.cover_replay(20_000)
    plot.redraw()
    left, right = plot.x_range()
    assert left <= 0 and right >= 20_000
    box = plot.plot_widget.getPlotItem().vb.sceneBoundingRect()
    label = plot.replay_line.label
    for step in (0, 10_000, 20_000):  # the first frame, the middle, the last at the edge
        plot.mark_step(step)
        QApplication.processEvents()
        assert plot.marked_step() == step
        shown = label.mapRectToScene(label.boundingRect())
        assert box.contains(shown), (step, shown, box)
    plot.cover_replay(0)  # another model without frames: back to an empty run's axis
    assert plot.x_range()[1] <= 1_000 * 1.02
