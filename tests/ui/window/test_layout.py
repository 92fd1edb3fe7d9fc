"""Every screen from 1024 x 600 up: each button and tab of the panels can be reached (inside
the window and not covered, or brought into view by its panel's scroll area), and the loss
plot's legend never covers its data."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDockWidget,
    QScrollArea,
    QTabBar,
    QWidget,
)

from charnames_gui.ui.window.main_window import MainWindow

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


def _layout(make_window, size: tuple[int, int], zoom: float) -> MainWindow:  # type: ignore[no-untyped-def]
    window = make_window()
    if hasattr(window, "zoom"):
        window.zoom.set_factor(zoom)
    window.resize(*size)
    _settle()
    window.reset_layout()  # the default layout for this size
    _settle()
    return window


@pytest.mark.parametrize("zoom", ZOOMS)
@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_button_and_tab_can_be_reached(qtbot, make_window, size, zoom) -> None:  # type: ignore[no-untyped-def]
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
def test_the_legend_never_covers_the_data(qtbot, make_window, size, zoom) -> None:  # type: ignore[no-untyped-def]
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
