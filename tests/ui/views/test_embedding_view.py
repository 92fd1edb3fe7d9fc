"""The embedding view: what is drawn where, the projection selector, highlights, following."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QScrollArea

from charnames_gui.core.errors import FileAccessError
from charnames_gui.core.projection import pca_basis
from charnames_gui.ui.views.embedding_view import (
    CIRCLE_PX,
    EMPTY_HINT,
    MODE_DIMENSIONS,
    MODE_PCA,
    NOT_FINITE_HINT,
    EmbeddingView,
)
from charnames_gui.ui.views.plot_style import EXPORT_WIDTH

ITOS = tuple(".abcdefghijklmnopqrstuvwxyz")


def _table(vocab_size: int = 27, n_embd: int = 10, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(vocab_size, n_embd)) * np.linspace(2.0, 0.5, n_embd)).astype(
        np.float32
    )


@pytest.fixture
def view(qtbot) -> EmbeddingView:
    widget = EmbeddingView()
    qtbot.addWidget(widget)
    widget.resize(600, 450)
    return widget


def _drawn(item) -> np.ndarray:
    x, y = item.getData()
    return np.column_stack([x, y])


def test_default_shows_columns_0_and_1_like_the_lecture(view: EmbeddingView) -> None:
    C = _table()
    view.set_embedding(C, ITOS, step=1000)
    np.testing.assert_array_equal(_drawn(view.scatter), C[:, :2])
    np.testing.assert_array_equal(_drawn(view.labels), C[:, :2])
    assert view.projection() == (MODE_DIMENSIONS, 0, 1)
    assert view.axis_labels() == ("C[:, 0]", "C[:, 1]")
    assert view.plot_item.getAxis("bottom").labelText == "C[:, 0]"
    assert "1,000" in view.status_label.text()
    assert not view.hint.isVisible()


def test_chosen_dimensions_are_drawn(view: EmbeddingView) -> None:
    C = _table()
    view.set_embedding(C, ITOS)
    view.x_combo.setCurrentIndex(3)
    view.y_combo.setCurrentIndex(7)
    np.testing.assert_array_equal(_drawn(view.scatter), C[:, [3, 7]])
    assert view.axis_labels() == ("C[:, 3]", "C[:, 7]")
    view.set_projection(MODE_DIMENSIONS, 9, 2)
    np.testing.assert_array_equal(view.points(), C[:, [9, 2]])
    assert view.x_combo.currentIndex() == 9
    assert view.y_combo.currentIndex() == 2


def test_pca_mode_matches_the_core_projection_and_labels_the_variance(
    view: EmbeddingView,
) -> None:
    C = _table()
    view.set_embedding(C, ITOS)
    view.mode_combo.setCurrentIndex(view.mode_combo.findData(MODE_PCA))
    basis = pca_basis(C)
    np.testing.assert_array_equal(_drawn(view.scatter), basis.project(C))
    bottom, left = view.axis_labels()
    assert re.fullmatch(r"PCA component 1 \(\d+% of the variance\)", bottom)
    assert f"({100 * basis.explained[0]:.0f}%" in bottom
    assert f"({100 * basis.explained[1]:.0f}%" in left
    assert not view.x_combo.isEnabled() and not view.y_combo.isEnabled()


def test_pca_does_not_mirror_between_training_frames(view: EmbeddingView) -> None:
    rng = np.random.default_rng(3)
    C = _table()
    view.set_projection(MODE_PCA)
    view.set_embedding(C, ITOS)
    previous = view.points()
    for _ in range(10):
        C = C + rng.normal(scale=0.01, size=C.shape).astype(np.float32)
        view.set_embedding(C, ITOS)
        assert np.max(np.abs(view.points() - previous)) < 0.3
        previous = view.points()


def test_one_dimension_is_a_strip_against_zero(view: EmbeddingView) -> None:
    C = _table(n_embd=1)
    view.set_projection(MODE_PCA)  # not possible with one column: columns are shown instead
    view.set_embedding(C, ITOS)
    np.testing.assert_array_equal(view.points()[:, 0], C[:, 0])
    np.testing.assert_array_equal(view.points()[:, 1], np.zeros(27))
    assert view.projection() == (MODE_DIMENSIONS, 0, None)
    bottom, left = view.axis_labels()
    assert bottom == "C[:, 0]"
    assert left == "0 (C has one column)"
    assert view.plot_item.getAxis("left")._tickLevels == [[(0.0, "0")]]
    assert not view.mode_combo.model().item(1).isEnabled()  # PCA needs two dimensions
    assert not view.y_combo.isEnabled()


def test_two_dimensions_offer_both_columns_and_pca(view: EmbeddingView) -> None:
    C = _table(n_embd=2)
    view.set_embedding(_table(n_embd=1), ITOS)
    view.set_embedding(C, ITOS)
    assert view.plot_item.getAxis("left")._tickLevels is None  # back to a numbered axis
    assert view.x_combo.count() == 2 and view.y_combo.count() == 2
    assert view.mode_combo.model().item(1).isEnabled()
    np.testing.assert_array_equal(view.points(), C)


def test_a_smaller_embedding_keeps_the_choice_where_it_fits(view: EmbeddingView) -> None:
    view.set_embedding(_table(n_embd=10), ITOS)
    view.set_projection(MODE_DIMENSIONS, 5, 8)
    C = _table(n_embd=4)
    view.set_embedding(C, ITOS)  # columns 5 and 8 do not exist: back to 0 and 1
    assert view.projection() == (MODE_DIMENSIONS, 0, 1)
    assert view.x_combo.count() == 4
    view.set_embedding(_table(n_embd=10), ITOS)  # and the learner's choice comes back
    assert view.projection() == (MODE_DIMENSIONS, 5, 8)


def test_updates_move_the_same_items(view: EmbeddingView) -> None:
    view.set_embedding(_table(seed=1), ITOS)
    items = (view.scatter, view.rings, view.labels)
    count = len(view.plot_item.items)
    C = _table(seed=2)
    view.set_embedding(C, ITOS)
    assert (view.scatter, view.rings, view.labels) == items
    assert len(view.plot_item.items) == count
    np.testing.assert_array_equal(_drawn(view.scatter), C[:, :2])


def test_the_view_keeps_its_own_copy(view: EmbeddingView) -> None:
    C = _table()
    expected = C[:, :2].copy()
    view.set_embedding(C, ITOS)
    C[:] = 0  # the trainer writes on
    view.set_projection(MODE_DIMENSIONS, 0, 1)  # a redraw from the stored copy
    np.testing.assert_array_equal(view.points(), expected)


def test_a_new_vocabulary_rebuilds_the_labels(view: EmbeddingView) -> None:
    view.set_embedding(_table(), ITOS)
    view.highlight([1, 2])
    itos = tuple(".abcxyz")
    view.set_embedding(_table(vocab_size=7), itos)
    assert len(view.labels.data) == len(itos) == len(view.scatter.data)
    assert list(view.labels.data["symbol"]) == [view._glyph(ch) for ch in itos]
    assert view.highlighted() == []  # indices of the old vocabulary mean nothing now
    assert view.scatter.opts["tip"](x=0.0, y=0.0, data=6).startswith("'z'")


def test_the_boundary_token_has_its_own_colour(view: EmbeddingView) -> None:
    view.set_embedding(_table(), ITOS)
    brushes = [b.color().name() for b in view.scatter.data["brush"]]
    assert brushes[0] != brushes[1]
    assert len(set(brushes[1:])) == 1


def test_highlight_marks_exactly_the_given_characters(view: EmbeddingView) -> None:
    C = _table()
    view.set_embedding(C, ITOS)
    plain = view.scatter.data["brush"][1].color().name()
    view.highlight([0, 0, 5, 13])  # a context like '..e' repeats the boundary token
    assert view.highlighted() == [0, 5, 13]
    marked = [i for i, b in enumerate(view.scatter.data["brush"]) if b.color().name() != plain]
    assert marked == [0, 5, 13]
    np.testing.assert_array_equal(_drawn(view.rings), C[[0, 5, 13], :2])
    view.set_embedding(C * 2, ITOS)  # the rings follow the characters, the colours stay
    np.testing.assert_array_equal(_drawn(view.rings), 2 * C[[0, 5, 13], :2])
    np.testing.assert_array_equal(_drawn(view.scatter), 2 * C[:, :2])
    moved = [i for i, b in enumerate(view.scatter.data["brush"]) if b.color().name() != plain]
    assert moved == [0, 5, 13]
    view.highlight([99, -1, 2])  # out of range: ignored
    assert view.highlighted() == [2]
    view.highlight([])
    assert len(view.rings.data) == 0
    assert {b.color().name() for b in view.scatter.data["brush"][1:]} == {plain}


def test_clear_shows_the_hint_and_no_points(view: EmbeddingView) -> None:
    assert view.hint.isVisible()
    assert view.hint.textItem.toPlainText() == EMPTY_HINT
    view.set_embedding(_table(), ITOS)
    view.clear()
    assert view.hint.isVisible()
    assert len(view.scatter.data) == 0 and len(view.labels.data) == 0
    assert view.points().shape == (0, 2)
    assert view.status_label.text() == ""


def test_non_finite_values_show_a_message_instead_of_points(view: EmbeddingView) -> None:
    C = _table()
    C[4, 1] = np.nan
    view.set_projection(MODE_PCA)
    view.set_embedding(C, ITOS)
    assert view.hint.isVisible()
    assert view.hint.textItem.toPlainText() == NOT_FINITE_HINT
    assert len(view.scatter.data) == 0
    view.set_embedding(_table(), ITOS)
    assert not view.hint.isVisible()
    assert len(view.scatter.data) == 27


def test_a_table_that_does_not_match_the_vocabulary_is_refused(view: EmbeddingView) -> None:
    with pytest.raises(ValueError, match="one row per character"):
        view.set_embedding(_table(vocab_size=5), ITOS)
    with pytest.raises(ValueError):
        view.set_projection("tsne")


def _points_inside_view(view: EmbeddingView) -> bool:
    rect = view.view_box.viewRect()
    lo, hi = view.points().min(axis=0), view.points().max(axis=0)
    return (
        rect.left() < lo[0]
        and hi[0] < rect.right()
        and rect.top() < lo[1]
        and hi[1] < rect.bottom()
    )


def _wheel(view: EmbeddingView, steps: int = 1) -> None:
    """A real mouse-wheel turn over the middle of the plot."""
    viewport = view.plot_widget.viewport()
    centre = QPointF(viewport.width() / 2, viewport.height() / 2)
    event = QWheelEvent(
        centre,
        viewport.mapToGlobal(centre),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)


def test_the_view_follows_the_characters_without_swimming(qtbot, view: EmbeddingView) -> None:
    view.show()
    qtbot.waitExposed(view)
    C = _table()
    view.set_embedding(C, ITOS)
    assert view.following() and _points_inside_view(view)
    frame = view.view_box.viewRange()
    view.set_embedding(C * 1.02, ITOS)  # a training step nudges the points: the frame stays
    assert view.view_box.viewRange() == frame
    view.set_embedding(C * 3, ITOS)  # they spread out: the frame grows to keep them all
    assert view.view_box.viewRange() != frame and _points_inside_view(view)
    view.set_embedding(C * 0.3, ITOS)  # they huddle in a corner of the view: zoom in again
    rect = view.view_box.viewRect()
    assert (
        np.ptp(view.points()[:, 0]) > 0.4 * rect.width()
        or np.ptp(view.points()[:, 1]) > 0.4 * rect.height()
    )


def test_a_replay_by_columns_holds_the_runs_range_on_every_frame(
    qtbot, view: EmbeddingView
) -> None:
    """Replaying, C[:, x] against C[:, y] is drawn in the range of those columns over the whole
    run (widened on one side to keep the aspect): a character moves on screen only when it
    moves in C, and the axes stay still."""
    from charnames_gui.core.replay_projection import ReplayProjection
    from charnames_gui.core.snapshots import Frame

    def holds(limits: tuple[float, float, float, float] | None) -> bool:
        assert limits is not None
        (a0, a1), (b0, b1) = view.view_box.viewRange()
        x0, x1, y0, y1 = limits
        eps = 1e-6 * max(x1 - x0, y1 - y0)
        exact_x = abs(a0 - x0) < eps and abs(a1 - x1) < eps
        exact_y = abs(b0 - y0) < eps and abs(b1 - y1) < eps
        around = a0 <= x0 + eps and x1 - eps <= a1 and b0 <= y0 + eps and y1 - eps <= b1
        return around and (exact_x or exact_y)

    view.show()
    qtbot.waitExposed(view)
    tables = [_table() * s for s in (0.3, 1.0, 3.0)]  # the run spreads C out
    frames = [Frame(i, {"C": C}, 1.0, 0.1) for i, C in enumerate(tables)]
    projection = ReplayProjection.for_frames(frames)
    view.set_embedding(tables[0], ITOS)
    view.set_replay_projection(projection)
    shown = view.view_box.viewRange()
    assert holds(projection.column_limits(0, 1))
    for C in (tables[0], tables[2], tables[1]):  # far apart, back and forth
        view.set_embedding(C, ITOS)
        assert view.view_box.viewRange() == shown
        assert not view.following() and _points_inside_view(view)
    view.set_projection(MODE_DIMENSIONS, 2, 3)  # other columns: their own range over the run
    assert holds(projection.column_limits(2, 3))
    shown = view.view_box.viewRange()
    _wheel(view, 2)
    view.fit()  # back to the run's range, not to this frame's points
    assert view.view_box.viewRange() == shown
    view.set_replay_projection(None)  # live again: the view follows the characters
    assert view.following() and _points_inside_view(view)


def test_zooming_stops_following_until_fit(qtbot, view: EmbeddingView) -> None:
    view.show()
    qtbot.waitExposed(view)
    view.set_embedding(_table(), ITOS)
    before = view.view_box.viewRect().width()
    _wheel(view, 2)
    assert view.view_box.viewRect().width() < before  # zoomed in
    assert not view.following()
    zoomed = view.view_box.viewRange()
    view.set_embedding(_table(seed=4) * 5, ITOS)  # training goes on: the learner's zoom stays
    assert view.view_box.viewRange() == zoomed
    view.fit_button.click()
    assert view.following() and _points_inside_view(view)
    _wheel(view)
    view.fit()  # what a double-click does
    assert view.following() and _points_inside_view(view)


def test_back_from_the_divergence_message_the_points_are_in_view(view: EmbeddingView) -> None:
    bad = _table()
    bad[0, 0] = np.inf
    view.set_embedding(bad, ITOS)
    view.set_embedding(_table() * 10, ITOS)
    assert _points_inside_view(view)
    assert view.view_box.state["mouseEnabled"] == [True, True]


def test_tooltip_names_the_character_and_its_coordinates(view: EmbeddingView) -> None:
    view.set_embedding(_table(), ITOS)
    view.set_projection(MODE_DIMENSIONS, 2, 5)
    tip = view.scatter.opts["tip"](x=0.25, y=-1.5, data=1)
    assert tip.splitlines() == ["'a': row 1 of C", "C[1, 2] = 0.250", "C[1, 5] = -1.500"]
    assert "boundary" in view.scatter.opts["tip"](x=0.0, y=0.0, data=0)


def test_hovering_a_circle_shows_its_tooltip(qtbot, view: EmbeddingView) -> None:
    view.show()
    qtbot.waitExposed(view)
    C = _table(seed=5)
    view.set_embedding(C, ITOS)
    QApplication.processEvents()  # the axis titles settle (full or short) before aiming
    points = view.points()
    # the character farthest from its nearest neighbour: its circle overlaps no other
    gaps = np.linalg.norm(points[:, None] - points[None], axis=-1) + np.eye(len(points)) * 1e9
    i = int(np.argmax(gaps.min(axis=1)))
    viewport = view.plot_widget.viewport()
    scene_point = view.view_box.mapViewToScene(QPointF(*points[i]))
    point = view.plot_widget.mapFromScene(scene_point)
    QTest.mouseMove(viewport, point + QPoint(1, 0))
    QTest.mouseMove(viewport, point)
    qtbot.waitUntil(lambda: view.view_box.toolTip().startswith(f"'{ITOS[i]}': row {i} of C"))
    assert f"C[{i}, 0] = {C[i, 0]:.3f}" in view.view_box.toolTip()


def test_controls_are_named_and_explained(view: EmbeddingView) -> None:
    for control in (view.mode_combo, view.x_combo, view.y_combo, view.fit_button):
        assert control.accessibleName()
        assert control.toolTip()


def test_export_png_writes_the_plot(view: EmbeddingView, tmp_path: Path) -> None:
    view.set_embedding(_table(), ITOS)
    path = tmp_path / "embedding.png"
    view.export_png(str(path))
    image = QImage(str(path))
    assert not image.isNull()
    # drawn at export size, in the plot's proportions (text scaled with it)
    assert image.width() == EXPORT_WIDTH
    plot = view.plot_widget
    assert abs(image.height() / image.width() - plot.height() / plot.width()) < 0.01
    with pytest.raises(FileAccessError, match="does not exist"):
        view.export_png(str(tmp_path / "missing-folder" / "x.png"))


def test_zoom_to_the_crowd_makes_the_dense_cluster_legible(view: EmbeddingView) -> None:
    """Most characters in one tight cluster (as in a trained model), a few far away: the
    crowd button zooms until the cluster's circles no longer overlap much."""
    rng = np.random.default_rng(1)
    C = rng.normal(scale=0.05, size=(27, 2)).astype(np.float32)  # the crowd
    C[:4] = [[5, 5], [-5, 4], [4, -5], [-4, -4]]  # the outliers stretch the fitted view
    view.resize(500, 450)
    view.show()
    view.set_embedding(C, ITOS)
    QApplication.processEvents()

    def crowd_pixel_spread() -> float:
        px, _ = view.view_box.viewPixelSize()  # data units per pixel
        crowd = view.points()[4:]
        return float(np.max(crowd.max(axis=0) - crowd.min(axis=0))) / px

    before = crowd_pixel_spread()
    assert view.zoom_to_crowd()
    assert crowd_pixel_spread() > 4 * before
    assert not view.following()  # the view stays where the learner asked
    view.fit()
    assert _points_inside_view(view)


def test_axis_titles_are_never_cut(view: EmbeddingView) -> None:
    from PySide6.QtGui import QFontMetricsF

    view.set_embedding(_table(), ITOS)
    view.set_projection(MODE_PCA)
    for width, height in ((700, 600), (420, 300), (420, 160)):
        view.resize(width, height)
        view.show()
        QApplication.processEvents()
        QApplication.processEvents()
        rect = view.view_box.sceneBoundingRect()
        metrics = QFontMetricsF(view.font())
        bottom, left = view.shown_axis_labels()
        assert metrics.horizontalAdvance(bottom) <= rect.width()
        assert metrics.horizontalAdvance(left) <= rect.height()
        assert bottom.startswith("PC") and "%" in bottom
    assert view.axis_labels()[1].startswith("PCA component 2")  # the full title, for the tooltip


@pytest.mark.parametrize("size", [(330, 260), (600, 450), (330, 600)])
def test_every_circle_is_whole_in_a_short_plot(qtbot, size) -> None:
    """At 1024 x 600 the plot is wide and short (about 300 x 110 px): a margin in data units
    cut the top and bottom circles in half. Each circle (radius in pixels) is inside."""
    widget = EmbeddingView()
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_embedding(_table(), ITOS, step=1)
    QApplication.processEvents()
    widget.fit()
    QApplication.processEvents()
    rect = widget.view_box.viewRect()  # data coordinates: top() is the lowest y
    px, py = widget.view_box.viewPixelSize()
    radius = CIRCLE_PX / 2
    points = widget.points()
    assert np.all(points[:, 0] - radius * px >= rect.left())
    assert np.all(points[:, 0] + radius * px <= rect.right())
    assert np.all(points[:, 1] - radius * py >= rect.top())
    assert np.all(points[:, 1] + radius * py <= rect.bottom())


def test_a_tiny_plot_still_spreads_the_points(qtbot) -> None:
    """A plot too short for whole circles (150% in a 1024 x 600 tab) squeezed every point
    into one dot with axes at -10..10: the points keep at least half the plot's height or
    width (edge circles may be cut there)."""
    widget = EmbeddingView()
    qtbot.addWidget(widget)
    font = widget.font()
    font.setPointSizeF(font.pointSizeF() * 2)  # (200%: larger circles, taller text)
    widget.setFont(font)
    widget.resize(330, 300)
    widget.plot_widget.setFixedHeight(145)  # (as short as it was in a 1024 x 600 tab)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_embedding(_table(), ITOS, step=1)
    QApplication.processEvents()
    widget.fit()
    QApplication.processEvents()
    box = widget.view_box.sceneBoundingRect()
    px, py = widget.view_box.viewPixelSize()
    points = widget.points()
    spread_x = (points[:, 0].max() - points[:, 0].min()) / px / box.width()
    spread_y = (points[:, 1].max() - points[:, 1].min()) / py / box.height()
    assert box.height() < 3 * CIRCLE_PX  # (too short for whole circles and the data)
    assert max(spread_x, spread_y) >= 0.4  # (the headroom takes a little)


def test_the_status_shares_the_buttons_row_when_it_fits(qtbot) -> None:
    """The status took a row of its own under Zoom to crowd and Fit, a row the short plot of
    a 1024 x 600 tab needs: beside them on one or two lines when they leave room for it,
    under them (never cut) when not."""
    widget = EmbeddingView()
    dock = QScrollArea()  # as in its dock: a view wider than it scrolls
    dock.setWidgetResizable(True)
    dock.setWidget(widget)
    qtbot.addWidget(dock)
    dock.resize(360, 280)
    dock.show()
    qtbot.waitExposed(dock)
    widget.set_embedding(_table(), ITOS, step=109_855)
    QApplication.processEvents()
    status, fit = widget.status_label, widget.fit_button
    centre = fit.mapTo(widget, fit.rect().center()).y()
    assert abs(status.mapTo(widget, status.rect().center()).y() - centre) <= 4
    font = widget.font()
    font.setPointSizeF(font.pointSizeF() * 2)  # 200%: no room beside them
    widget.setFont(font)
    dock.resize(361, 280)

    def under() -> bool:
        fit_bottom = fit.mapTo(widget, fit.rect().bottomLeft()).y()
        return status.mapTo(widget, status.rect().topLeft()).y() > fit_bottom

    qtbot.waitUntil(under)
    assert widget.width() <= dock.viewport().width()  # (no sideways scrolling)
