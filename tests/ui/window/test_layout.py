"""Every screen from 1024 x 600 up: each button and tab of the panels can be reached (inside
the window and not covered, or brought into view by its panel's scroll area), and the loss
plot's legend never covers its data."""

from __future__ import annotations

import pytest
from helpers import context_window_of, step_buttons
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDockWidget,
    QLabel,
    QScrollArea,
    QTabBar,
    QWidget,
)

from charnames_gui.ui.window.main_window import MainWindow
from charnames_gui.ui.window.tab_titles import full_title
from charnames_gui.ui.window.window_settings import save_settings

SCREENS = [(1024, 600), (1024, 700), (1280, 720), (1280, 800), (1920, 1080)]
ZOOMS = [1.0, 2.0]


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def _window_rect(widget: QWidget, window: QWidget, rect: QRect | None = None) -> QRect:
    rect = rect if rect is not None else widget.rect()
    return QRect(widget.mapTo(window, rect.topLeft()), rect.size())


def _visible_part(widget: QWidget, window: QWidget) -> QRect:
    """The widget's rectangle in window coordinates, cut by every ancestor that clips it
    (scroll viewports, docks, the window itself)."""
    visible = _window_rect(widget, window)
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        visible = visible.intersected(_window_rect(parent, window))
        parent = parent.parentWidget()
    return visible.intersected(window.rect())


def _scroll_into_view(widget: QWidget, rect: QRect | None = None) -> None:
    """What a learner does with the scroll bars: bring the widget (or rect of it) into view."""
    rect = rect if rect is not None else widget.rect()
    parent = widget.parentWidget()
    while parent is not None:
        content = parent.widget() if isinstance(parent, QScrollArea) else None
        if content is not None and content.isAncestorOf(widget):
            centre = widget.mapTo(content, rect.center())
            parent.ensureVisible(centre.x(), centre.y(), rect.width() // 2 + 1,
                                 rect.height() // 2 + 1)  # fmt: skip
        parent = parent.parentWidget()
    _settle()


def _problem(widget: QWidget, window: QWidget, what: str, rect: QRect | None = None) -> str:
    """'' when the widget (or rect of it) is wholly visible and the top widget at its
    centre is the widget itself; else what is wrong."""
    target = _window_rect(widget, window, rect)
    visible = _visible_part(widget, window)
    if rect is not None:
        visible = visible.intersected(target)
    if visible != target:
        return f"{what}: clipped, {target} shows only {visible}"
    centre: QPoint = target.center()
    top = window.childAt(centre)
    if top is not None and top is not widget and not widget.isAncestorOf(top):
        return f"{what}: covered by {type(top).__name__} {top.objectName()!r}"
    return ""


def _check_dock(window: MainWindow, dock: QDockWidget) -> list[str]:
    problems = []
    for button in dock.findChildren(QAbstractButton):
        if not button.isVisibleTo(window) or button.objectName().startswith("qt_"):
            continue
        _scroll_into_view(button)
        name = button.text() or button.accessibleName() or type(button).__name__
        problem = _problem(button, window, f"{dock.windowTitle()}: button {name!r}")
        if problem:
            problems.append(problem)
    for bar in dock.findChildren(QTabBar):
        if not bar.isVisibleTo(window):
            continue
        for i in range(bar.count()):
            bar.setCurrentIndex(i)  # a tab bar scrolls its current tab into view
            _settle()
            _scroll_into_view(bar, bar.tabRect(i))
            what = f"{dock.windowTitle()}: tab {bar.tabText(i)!r}"
            problem = _problem(bar, window, what, bar.tabRect(i))
            if problem:
                problems.append(problem)
    return problems


def _dock_area_tab_bars(window: MainWindow) -> list[QTabBar]:
    """The tab bars of tabbed dock areas that are in use. After docks move between groups
    Qt 6.11 leaves stale copies "visible" (behind the docks and the plot): a live bar is
    inside the window, overlaps no dock, and shows the tabs of a current group of docks;
    of two copies in one place only the top one counts."""
    docks = [_window_rect(d, window) for d in window.findChildren(QDockWidget) if d.isVisible()]
    bars = [
        b
        for b in window.findChildren(QTabBar)
        if b.parentWidget() is window and b.isVisible()
        and _window_rect(b, window).intersects(window.rect())
        and not any(_window_rect(b, window).intersects(d) for d in docks)
    ]  # fmt: skip
    groups = [
        {d.windowTitle(), *(t.windowTitle() for t in window.tabifiedDockWidgets(d))}
        for d in window.findChildren(QDockWidget)
    ]
    bars = [b for b in bars if {b.tabText(i) for i in range(b.count())} in groups]
    live = []
    for bar in bars:
        top = window.childAt(bar.mapTo(window, bar.rect().center()))
        if not (isinstance(top, QTabBar) and top is not bar and top in bars):
            live.append(bar)
    return live


def _layout(make_window, size: tuple[int, int], zoom: float) -> MainWindow:
    window = make_window()
    if hasattr(window, "zoom"):
        window.zoom.set_factor(zoom)
    window.resize(*size)
    _settle()
    window.docks.reset()  # the default layout for this size
    _settle()
    return window


@pytest.mark.parametrize("zoom", ZOOMS)
@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_button_and_tab_can_be_reached(qtbot, make_window, size, zoom) -> None:
    window = _layout(make_window, size, zoom)
    assert window.width() <= size[0] and window.height() <= size[1], "larger than the screen"
    problems: list[str] = []
    docks = [d for d in window.findChildren(QDockWidget) if d.isVisible()]
    assert len(docks) >= 5
    for dock in docks:
        dock.raise_()  # each tab of a tabbed dock area in turn
        _settle()
        problems += _check_dock(window, dock)
    tabbed = {d.windowTitle() for d in docks if window.tabifiedDockWidgets(d)}
    reachable: set[str] = set()
    for bar in _dock_area_tab_bars(window):  # the tabs of the dock areas themselves
        for i in range(bar.count()):
            bar.setCurrentIndex(i)
            _settle()
            problem = _problem(bar, window, f"dock tab {bar.tabText(i)!r}", bar.tabRect(i))
            if problem:
                problems.append(problem)
            else:
                reachable.add(bar.tabText(i))
    assert tabbed <= reachable, f"no tab on screen for {tabbed - reachable}"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("zoom", ZOOMS)
@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_legend_never_covers_the_data(qtbot, make_window, size, zoom) -> None:
    window = _layout(make_window, size, zoom)
    plot = window.loss_plot
    plot.set_reference("bigram", 2.45)  # the longest legend: every entry
    _settle()
    item = plot.plot_widget.getPlotItem()
    data = item.vb.mapRectToScene(item.vb.boundingRect()).toRect()
    data_rect = QRect(plot.plot_widget.mapTo(window, data.topLeft()), data.size())
    legend = plot.legend
    if isinstance(legend, QWidget):
        legend_rect = _window_rect(legend, window, legend.rect())
    else:  # a legend drawn in the plot's scene (as pyqtgraph's addLegend() makes)
        scene_rect = legend.sceneBoundingRect().toRect()
        top_left = plot.plot_widget.mapFromScene(scene_rect.topLeft())
        legend_rect = QRect(plot.plot_widget.mapTo(window, top_left), scene_rect.size())
    assert legend.isVisible() and legend_rect.height() > 0
    assert not legend_rect.intersects(data_rect), (legend_rect, data_rect)
    assert legend_rect.intersected(window.rect()) == legend_rect  # not cut by the window
    assert data_rect.width() > 100 and data_rect.height() > 60  # room left for the data


# -- the arrangement of the docks -------------------------------------------------------------
GROUP_SCREENS = [(1024, 600), (1024, 768), (1280, 720), (1920, 1080)]
SAMPLING_GROUP = {"Sampling", "Runs", "Learning-rate finder"}
INSIDE_GROUP = {"Forward pass", "Hidden layer", "Network"}


def _groups(window: MainWindow) -> set[frozenset[str]]:
    """The docks as groups of tabs, by title (a dock alone is a group of one)."""
    return {
        frozenset({full_title(d), *(full_title(t) for t in window.tabifiedDockWidgets(d))})
        for d in window.findChildren(QDockWidget)
        if not d.isFloating()
    }


def _bars_on_screen(window: MainWindow) -> list[QTabBar]:
    """Every tab bar of the dock areas that is shown inside the window."""
    return [
        b
        for b in window.findChildren(QTabBar)
        if b.parentWidget() is window and b.isVisible()
        and _window_rect(b, window).intersects(window.rect())
    ]  # fmt: skip


def _expected_groups(window: MainWindow) -> set[frozenset[str]]:
    compact = window.dockWidgetArea(window.embedding_dock) != Qt.DockWidgetArea.RightDockWidgetArea
    sampling = SAMPLING_GROUP | ({"Embedding"} if compact else set())
    others = {frozenset({"Training"})} | (set() if compact else {frozenset({"Embedding"})})
    return {frozenset(sampling), frozenset(INSIDE_GROUP)} | others


def _arrangement_problems(window: MainWindow) -> list[str]:
    """'' for the default arrangement: the forward pass and hidden layer tabs beside the
    sampling tabs (not among them), one tab bar on screen per group of tabs, on top."""
    problems = []
    if _groups(window) != _expected_groups(window):
        problems.append(f"groups {sorted(map(sorted, _groups(window)))}")
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    for dock in (window.sampling_dock, window.forward_dock):
        if window.dockWidgetArea(dock) != bottom:
            problems.append(f"{dock.windowTitle()} in {window.dockWidgetArea(dock)}")
    window.sampling_dock.raise_()
    window.forward_dock.raise_()
    _settle()
    sampling, forward = (
        _window_rect(d, window) for d in (window.sampling_dock, window.forward_dock)
    )
    if not (forward.left() > sampling.right() and abs(forward.top() - sampling.top()) < 4):
        problems.append(f"forward pass {forward} not beside sampling {sampling}")
    bars = _bars_on_screen(window)
    full = {d.windowTitle(): full_title(d) for d in window.findChildren(QDockWidget)}
    # (a narrow group's tabs show short titles: tab_titles.py)
    shown = sorted(sorted(full.get(b.tabText(i), "?") for i in range(b.count())) for b in bars)
    tabbed = sorted(sorted(g) for g in _expected_groups(window) if len(g) > 1)
    if shown != tabbed:  # a group without a bar, or a stale copy of one left on screen
        problems.append(f"tab bars on screen {shown}, groups of tabs {tabbed}")
    for bar in bars:
        top = window.childAt(_window_rect(bar, window).center())
        if top is not bar and not bar.isAncestorOf(top):
            problems.append(f"tab bar {bar.tabText(0)!r}... covered by {type(top).__name__}")
    return problems


@pytest.mark.parametrize("zoom", ZOOMS)
@pytest.mark.parametrize("size", GROUP_SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_default_layout_keeps_the_forward_pass_beside_sampling(
    qtbot, make_window, size, zoom
) -> None:
    window = _layout(make_window, size, zoom)
    compact = size[0] < 1280 * zoom
    embedding_area = window.dockWidgetArea(window.embedding_dock)
    assert (embedding_area == Qt.DockWidgetArea.RightDockWidgetArea) == (not compact)
    assert not _arrangement_problems(window)
    # the sampling tabs get the larger share of the bottom
    assert window.sampling_dock.width() > window.forward_dock.width() >= 220


def test_reset_layout_puts_moved_docks_back_at_every_size(qtbot, make_window) -> None:
    window = _layout(make_window, (1024, 600), 1.0)
    for size in [(1024, 768), (1920, 1080), (1024, 600), (1280, 720), (1024, 768)]:
        # what a learner may do: drag the forward pass and hidden layer into the sampling
        # tabs, the runs table beside them, float the learning-rate finder
        window.tabifyDockWidget(window.sampling_dock, window.forward_dock)
        window.tabifyDockWidget(window.sampling_dock, window.hidden_dock)
        window.splitDockWidget(window.train_dock, window.runs_dock, Qt.Orientation.Vertical)
        window.lr_dock.setFloating(True)
        _settle()
        window.resize(*size)
        _settle()
        window.docks.reset()
        _settle()
        assert (window.width(), window.height()) == size
        problems = _arrangement_problems(window)
        assert not problems, f"{size}: " + "\n".join(problems)


def test_a_restored_layout_leaves_no_stale_tab_bars(qtbot, make_window) -> None:
    first = _layout(make_window, (1024, 768), 1.0)
    save_settings(first, first.settings, first.docks, first.panel)
    first.hide()
    again = make_window(steps=None)  # the same settings: the saved dock state is restored
    again.resize(1024, 768)
    _settle()
    assert not _arrangement_problems(again)


# -- the sampling panel at large zoom on a small screen ---------------------------------------
@pytest.mark.parametrize(
    ("size", "zoom"), [((1024, 768), 1.5), ((1280, 720), 2.0), ((1024, 768), 2.0)], ids=str
)
def test_sampling_buttons_in_view_without_scrolling(qtbot, make_window, size, zoom) -> None:
    """The stepping buttons are in view as the panel opens; no button of the panel needs
    sideways scrolling (rows wrap instead), the others are brought into view vertically."""
    window = _layout(make_window, size, zoom)
    panel = window.sampling_panel
    qtbot.waitUntil(lambda: panel.state is not None)
    window.sampling_dock.raise_()
    _settle()
    scroll = window.sampling_dock.widget()
    assert isinstance(scroll, QScrollArea)
    assert scroll.horizontalScrollBar().maximum() == 0, "the panel scrolls sideways"
    viewport = _window_rect(scroll.viewport(), window)
    # the context row: its boxes, the arrow and the '?' box, whole and side by side
    boxes = [w for w in context_window_of(panel).findChildren(QLabel) if w.isVisibleTo(window)]
    assert len(boxes) >= 3 + 2  # block_size boxes, the arrow and the next character
    for box in boxes:
        rect = _window_rect(box, window)
        assert viewport.left() <= rect.left() and rect.right() <= viewport.right(), (
            f"{box.text()!r} {rect} outside {viewport}"
        )
        assert _visible_part(box, window).width() == rect.width(), f"{box.text()!r} is cut"
    play = [b for b in panel.findChildren(QAbstractButton) if b.text() == "Auto-play"]
    assert len(play) == 1
    for button in [*step_buttons(panel), *play]:  # without scrolling at all
        assert scroll.verticalScrollBar().value() == 0
        rect = _window_rect(button, window)
        assert viewport.contains(rect), f"{button.text()} {rect} outside {viewport}"
    for button in panel.findChildren(QAbstractButton):
        if not button.isVisibleTo(window) or button.objectName().startswith("qt_"):
            continue
        _scroll_into_view(button)
        rect = _window_rect(button, window)
        name = button.text() or button.accessibleName()
        assert viewport.contains(rect), f"{name} {rect} outside {viewport}"
        assert scroll.horizontalScrollBar().value() == 0


@pytest.mark.parametrize("zoom", ZOOMS)
def test_tab_titles_are_whole_on_a_small_screen(qtbot, make_window, zoom) -> None:
    """At 1024x600 the bottom tab groups are narrow: each tab shows its whole title (a group
    too narrow for all of them scrolls its tabs) instead of "R..." for Runs."""
    window = _layout(make_window, (1024, 600), zoom)
    bars = _bars_on_screen(window)
    assert bars
    for bar in bars:
        metrics = bar.fontMetrics()
        for i in range(bar.count()):
            title = bar.tabText(i)
            assert bar.tabRect(i).width() >= metrics.horizontalAdvance(title), title


def test_a_narrow_group_shortens_its_tab_titles_not_its_names(qtbot, make_window) -> None:
    """At 1024x600 and 200% the tabs take short titles ("LR") that fit without scroll
    buttons; the tooltips, the View menu and the dock's own title keep the full names; a
    wide window gets them back on its tabs."""
    window = _layout(make_window, (1024, 600), 2.0)
    bars = _bars_on_screen(window)
    assert bars
    for bar in bars:
        assert sum(bar.tabRect(i).width() for i in range(bar.count())) <= bar.width()
        tips = {bar.tabToolTip(i) for i in range(bar.count())}
        assert tips <= {full_title(d) for d in window.findChildren(QDockWidget)}
    assert window.lr_dock.windowTitle() != "Learning-rate finder"
    assert window.lr_dock.toggleViewAction().text() == "Learning-rate finder"
    window.zoom.set_factor(1.0)
    window.resize(1920, 1080)
    _settle()
    window.docks.reset()
    _settle()
    assert window.lr_dock.windowTitle() == "Learning-rate finder"
    assert window.forward_dock.windowTitle() == "Forward pass"
