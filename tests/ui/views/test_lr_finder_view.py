"""The learning-rate finder view: a growing curve, the suggestion, and the user's choice."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from charnames_gui.core.events import SweepPoints
from charnames_gui.ui.views.lr_finder_view import LrFinderView, round_lr


def sweep(n: int = 200) -> list[tuple[float, float]]:
    """A made-up sweep: lr 1e-3..1, the loss lowest near lr 0.1 and rising after it."""
    lre = np.linspace(-3, 0, n)
    loss = 2.5 + (lre + 1) ** 2
    return list(zip((10**lre).tolist(), loss.tolist(), strict=True))


@pytest.fixture
def view(qtbot) -> LrFinderView:
    v = LrFinderView()
    qtbot.addWidget(v)
    return v


def test_appended_points_become_the_curve(view: LrFinderView) -> None:
    pairs = sweep(200)
    view.start(200)
    view.append(SweepPoints(pairs[:120]))
    view.append(SweepPoints(pairs[120:]))
    x, y = view.raw_curve.getData()
    np.testing.assert_allclose(x, np.log10([lr for lr, _ in pairs]))
    np.testing.assert_allclose(y, [loss for _, loss in pairs])
    sx, sy = view.smooth_curve.getData()
    assert len(sx) == 200 and sy.min() < sy[0]  # the moving average follows the valley
    assert "200 of 200" in view.status.text()
    assert not view.use_button.isEnabled()  # nothing to choose before the end


def test_more_points_than_announced_and_bad_points(view: LrFinderView) -> None:
    view.start(10)
    view.append(SweepPoints(sweep(30)))
    view.append(SweepPoints([(0.5, math.nan), (0.6, math.inf)]))  # non-finite losses are not drawn
    x, _ = view.points()
    assert len(x) == 30


def test_finish_marks_the_suggestion(view: LrFinderView) -> None:
    view.start(200)
    view.append(SweepPoints(sweep(200)))
    view.finish(0.1)
    mx, _ = view.suggested_marker.getData()
    assert mx == pytest.approx([-1.0])
    assert view.line.isVisible() and view.line.value() == pytest.approx(-1.0)
    assert view.chosen_lr() == pytest.approx(0.1)
    assert view.lr_box.value() == pytest.approx(0.1)
    assert view.use_button.isEnabled()
    assert "Suggested lr 0.1" in view.status.text()


def test_choosing_emits_lr_chosen(qtbot, view: LrFinderView) -> None:
    view.start(200)
    view.append(SweepPoints(sweep(200)))
    view.finish(0.1)
    view.line.setValue(-1.5)  # what dragging the line does
    assert view.lr_box.value() == pytest.approx(round_lr(10**-1.5))  # 0.032
    with qtbot.waitSignal(view.lrChosen, timeout=1000) as blocker:
        view.use_button.click()
    assert blocker.args == [pytest.approx(0.032)]
    view.lr_box.setValue(0.05)  # from the keyboard
    assert view.line.value() == pytest.approx(math.log10(0.05))
    with qtbot.waitSignal(view.lrChosen, timeout=1000) as blocker:
        view.use_button.click()
    assert blocker.args == [pytest.approx(0.05)]


def test_finish_without_suggestion_starts_at_the_lowest_point(view: LrFinderView) -> None:
    view.start(200)
    view.append(SweepPoints(sweep(200)))
    view.finish(None)
    assert view.line.value() == pytest.approx(-1.0, abs=0.05)
    assert len(view.suggested_marker.getData()[0]) == 0


def test_early_stop_and_empty_sweep(view: LrFinderView) -> None:
    view.start(200)
    view.append(SweepPoints(sweep(200)[:150]))  # the sweep stopped: the loss became infinite
    view.finish(0.1)
    assert "stopped early" in view.status.text()
    view.start(100)
    view.finish(None)
    assert not view.use_button.isEnabled()
    assert view.chosen_lr() is None


def test_clear(view: LrFinderView) -> None:
    view.start(200)
    view.append(SweepPoints(sweep(200)))
    view.finish(0.1)
    view.clear()
    x, _ = view.raw_curve.getData()
    assert x is None or len(x) == 0
    assert not view.line.isVisible() and not view.use_button.isEnabled()
    assert view.chosen_lr() is None


def test_round_lr() -> None:
    assert round_lr(0.09123) == 0.091
    assert round_lr(0.14831) == 0.15


def test_clicking_the_plot_moves_the_choice(qtbot, view: LrFinderView) -> None:
    from PySide6.QtCore import QPointF, Qt

    view.resize(640, 450)
    view.show()
    qtbot.waitExposed(view)
    view.start(200)
    view.append(SweepPoints(sweep(200)))
    view.finish(0.1)
    box = view.plot_widget.getPlotItem().getViewBox()
    scene_pos = box.mapViewToScene(QPointF(-2.0, 3.0))
    pos = view.plot_widget.mapFromScene(scene_pos)
    qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert view.line.value() == pytest.approx(-2.0, abs=0.02)
    assert view.chosen_lr() == pytest.approx(0.01, rel=0.06)


def test_k_seeds_are_each_seeds_curve_a_band_and_their_mean(view: LrFinderView) -> None:
    """Three seeds: each seed's moving average, the band from the lowest to the highest,
    the mean of the seeds in bold with the suggestion on it, and how far the seeds'
    own suggestions lie apart."""
    lre = np.linspace(-3, 0, 200)
    lrs = 10**lre
    band = np.stack([2.5 + (lre + 1) ** 2, 2.6 + (lre + 1.2) ** 2, 2.4 + (lre + 0.8) ** 2], 1)
    band[150:, 2] = np.nan  # the third seed blew up at step 150
    view.start(200)
    for part in (slice(0, 120), slice(120, 200)):
        pairs = list(zip(lrs[part].tolist(), band[part, 0].tolist(), strict=True))
        view.append(SweepPoints(pairs, lrs[part], band[part]))
    _, y = view.points()  # the learner's seed, as a single sweep
    np.testing.assert_allclose(y, band[:, 0])
    assert len(view.seed_curves) == 3
    assert (
        len(view.seed_curves[2].getData()[0]) == 150
        and len(view.seed_curves[0].getData()[0]) == 200
    )
    low_x, low = view.band_low.getData()
    _, high = view.band_high.getData()
    assert len(low_x) == 200 and (low <= high).all() and (high - low).max() > 0.1
    mx, my = view.smooth_curve.getData()
    assert len(mx) == 150  # the mean ends where the first seed's curve ends
    window = min(50, 150 // 5)
    np.testing.assert_allclose(
        my[75], band[75 - window // 2 : 75 + window // 2, :].mean(), rtol=0.01
    )
    assert any("mean of 3 seeds" in t for t in view.legend.texts())
    view.finish(0.1, (0.1, 0.063, 0.16))
    sx, sy = view.suggested_marker.getData()
    assert sx[0] == pytest.approx(-1.0) and sy[0] == pytest.approx(my[int(np.argmin(abs(mx + 1)))])
    text = view.status.text()
    assert "mean of 3 seeds" in text and "Each seed alone suggests 0.063 to 0.16" in text
    view.clear()
    assert all(
        len(c.getData()[0] if c.getData()[0] is not None else []) == 0 for c in view.seed_curves
    )


def _three_seeds(view: LrFinderView) -> np.ndarray:
    """A sweep of three seeds (the third blows up at step 150) fed to the view."""
    lre = np.linspace(-3, 0, 200)
    band = np.stack([2.5 + (lre + 1) ** 2, 2.6 + (lre + 1.2) ** 2, 2.4 + (lre + 0.8) ** 2], 1)
    band[150:, 2] = np.nan
    view.start(200)
    pairs = list(zip((10**lre).tolist(), band[:, 0].tolist(), strict=True))
    view.append(SweepPoints(pairs, 10**lre, band))
    return lre


def _inside(rect: QRectF, vx: np.ndarray, vy: np.ndarray) -> np.ndarray:
    across = (vx >= rect.left()) & (vx <= rect.right())
    return across & (vy >= rect.top()) & (vy <= rect.bottom())


def _covered(view: LrFinderView) -> int:
    """Points of the read curves (their vertices and 20 points along each segment) that
    are drawn (inside the plot's data area) and under the readout, in the view's pixels."""
    rect, plot = view.readout_rect(), _plot_rect(view)
    covered = 0
    for x, y in view.read_curves():
        ok = np.isfinite(y)
        x, y = x[ok], y[ok]
        t = np.linspace(0, 1, 20)[:, None]
        vx, vy = view.to_view(x[:-1] + t * np.diff(x), y[:-1] + t * np.diff(y))
        covered += int(np.count_nonzero(_inside(rect, vx, vy) & _inside(plot, vx, vy)))
    return covered


def _plot_rect(view: LrFinderView) -> QRectF:
    """The plot's data area in the view's pixels."""
    box = view.plot_widget.getPlotItem().getViewBox().sceneBoundingRect()
    top_left = view.plot_widget.viewport().mapTo(view, view.plot_widget.mapFromScene(box.topLeft()))
    return QRectF(top_left.toPointF(), box.size())


def _hover(qtbot, view: LrFinderView, x: float, y: float) -> None:
    """Move the mouse over the plot at (log10 lr, loss) and wait for the readout."""
    box = view.plot_widget.getPlotItem().getViewBox()
    pos = QPointF(view.plot_widget.mapFromScene(box.mapViewToScene(QPointF(x, y))))
    viewport = view.plot_widget.viewport()
    # the move event itself (qtbot.mouseMove goes through the platform, which may send
    # nothing when an earlier test left its pointer state behind)
    move = QMouseEvent(
        QEvent.Type.MouseMove, pos, viewport.mapToGlobal(pos), Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(viewport, move)
    qtbot.waitUntil(lambda: view.reading is not None and abs(view.reading.x - x) < 0.02)


def test_hovering_k_seeds_reads_the_lr_each_seed_and_their_mean(qtbot, view) -> None:
    view.resize(640, 450)
    view.show()
    qtbot.waitExposed(view)
    lre = _three_seeds(view)
    view.finish(0.1, (0.1, 0.063, 0.16))
    _hover(qtbot, view, -1.5, 3.0)
    reading = view.reading
    assert reading is not None and view.readout.isVisible()
    i = int(np.argmin(abs(lre + 1.5)))  # the step nearest the pointer
    assert reading.x == lre[i]
    for j, value in enumerate(reading.losses):  # what each seed's drawn curve says there
        assert value == view.seed_curves[j].getData()[1][i]
    mx, my = view.smooth_curve.getData()
    assert reading.mean == my[i] and mx[i] == lre[i]
    text = view.readout_text()
    assert (
        f"lr = {10 ** lre[i]:.3g} = 10^{lre[i]:.2f}" in text and f"log10 lr = {lre[i]:.2f}" in text
    )
    assert f"mean of 3 seeds: {my[i]:.3f}" in text
    assert f"seed 2: {reading.losses[1]:.3f}" in text
    assert view.readout.textFormat() == Qt.TextFormat.PlainText
    assert _plot_rect(view).contains(view.readout_rect()) and _covered(view) == 0

    _hover(qtbot, view, -0.2, 3.0)  # past the third seed's blow-up
    assert "seed 3: blew up" in view.readout_text()
    assert "mean of 3 seeds: ended" in view.readout_text()


def test_the_readout_follows_zoom_and_never_covers_the_curves(qtbot, view) -> None:
    view.resize(520, 380)
    view.show()
    qtbot.waitExposed(view)
    _three_seeds(view)
    _hover(qtbot, view, -1.0, 3.0)  # the valley, under the curves' middle
    small = view.readout_rect()
    view.plot_widget.setXRange(-1.6, -0.6, padding=0)  # zoom in on the valley
    view.plot_widget.setYRange(2.4, 3.2, padding=0)
    qtbot.waitUntil(lambda: _covered(view) == 0)
    font = view.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)  # the app's zoom: 150%
    view.setFont(font)
    assert view.readout.font().pointSizeF() == pytest.approx(font.pointSizeF())
    assert view.readout_rect().height() > 1.3 * small.height()
    assert _covered(view) == 0 and view.rect().contains(view.readout_rect().toRect())
    QApplication.sendEvent(view.plot_widget.viewport(), QEvent(QEvent.Type.Leave))
    assert not view.readout.isVisible() and view.reading is None


def test_hovering_a_single_sweep_reads_its_step_and_moving_average(qtbot, view) -> None:
    view.resize(640, 450)
    view.show()
    qtbot.waitExposed(view)
    pairs = sweep(200)
    view.start(200)
    view.append(SweepPoints(pairs))
    _hover(qtbot, view, -2.0, 3.0)
    x, y = view.points()
    i = int(np.argmin(abs(x + 2.0)))
    assert view.reading is not None and view.reading.losses == (y[i],)
    assert f"loss at this step: {y[i]:.3f}" in view.readout_text()
    assert "moving average:" in view.readout_text() and _covered(view) == 0
    outside = view.plot_widget.getPlotItem().getViewBox().sceneBoundingRect().topLeft()
    view.hover(outside - QPointF(5, 5))  # left of and above the plot
    assert not view.readout.isVisible()
    _hover(qtbot, view, -1.9, 3.0)
    view.clear()
    assert not view.readout.isVisible() and view.reading is None


def test_with_no_room_in_the_plot_the_readout_goes_above_it(qtbot, view) -> None:
    """Eight noisy seeds in a small plot: where the curves leave no room for the readout,
    it goes over the explanation above the plot, never over the curves."""
    view.resize(520, 380)
    view.show()
    qtbot.waitExposed(view)
    rng = np.random.default_rng(0)
    lre = np.linspace(-3, 0, 1000)
    band = 2.5 + (lre[:, None] + 1) ** 2 + 0.3 * rng.standard_normal((1000, 8))
    view.start(1000)
    pairs = list(zip((10**lre).tolist(), band[:, 0].tolist(), strict=True))
    view.append(SweepPoints(pairs, 10**lre, band))
    _hover(qtbot, view, -2.5, 3.0)
    assert view.readout.isVisible() and view.readout_text().count("seed ") == 8
    assert view.readout_rect().bottom() < _plot_rect(view).top() and _covered(view) == 0
