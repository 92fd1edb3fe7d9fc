"""The window's place and its docks' arrangement, kept in the settings as core.window_state's
plain data and put back with ordinary calls: never Qt's saveState()/restoreState() bytes,
which crash the app when damaged.

capture_*: read from the window (at close). apply_*: put back (at start), after the default
layout: docks the saved data does not name stay where the default put them; a window place
off every screen is left to the window system; sizes larger than the screen shrink to it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow

from charnames_gui.core.window_state import DockPlace, WindowGeometry, groups_in_order
from charnames_gui.ui.window.dock_layout import DockLayout

Area = Qt.DockWidgetArea
AREA_NAMES = {
    Area.LeftDockWidgetArea: "left",
    Area.RightDockWidgetArea: "right",
    Area.TopDockWidgetArea: "top",
    Area.BottomDockWidgetArea: "bottom",
}
AREAS = {name: area for area, name in AREA_NAMES.items()}


def _available() -> list[QRect]:
    return [screen.availableGeometry() for screen in QApplication.screens()]


def capture_geometry(win: QMainWindow) -> WindowGeometry:
    """Where the window is (its normal place when maximized) and whether it is maximized."""
    maximized = win.isMaximized()
    rect = win.normalGeometry() if maximized and win.normalGeometry().isValid() else None
    pos = rect.topLeft() if rect is not None else win.pos()
    size = rect.size() if rect is not None else win.size()
    return WindowGeometry(pos.x(), pos.y(), max(1, size.width()), max(1, size.height()), maximized)


def apply_geometry(win: QMainWindow, g: WindowGeometry) -> None:
    """Size (no larger than the largest screen's free area), then place when that place is
    on a screen; maximized again if it was."""
    screens = _available()
    width, height = g.width, g.height
    if screens:
        width = min(width, max(s.width() for s in screens))
        height = min(height, max(s.height() for s in screens))
    win.resize(width, height)
    corner = QPoint(g.x, g.y)
    if any(s.contains(corner) for s in screens):
        win.move(corner)
    if g.maximized:
        win.showMaximized() if win.isVisible() else win.setWindowState(
            win.windowState() | Qt.WindowState.WindowMaximized
        )


def _current(group: list[QDockWidget]) -> QDockWidget:
    """The tab of a group on screen (Qt puts the others at negative coordinates)."""
    return max(group, key=lambda d: (d.x(), d.y()))


def capture_docks(win: QMainWindow, layout: DockLayout) -> list[DockPlace]:
    """Each dock's area, group of tabs, size, and whether it is closed or floating. Groups
    are listed in their order within their area (left to right, or top to bottom)."""
    made = layout.docks()
    groups: list[list[QDockWidget]] = []
    seen: set[QDockWidget] = set()
    for dock in made:
        if dock in seen:
            continue
        tabs = [] if dock.isFloating() else win.tabifiedDockWidgets(dock)
        group = [dock] + [d for d in made if d in tabs and d not in seen and not d.isFloating()]
        seen.update(group)
        groups.append(group)

    def area_name(dock: QDockWidget) -> str:
        return AREA_NAMES.get(win.dockWidgetArea(dock)) or AREA_NAMES[layout.home(dock)]

    def order(group: list[QDockWidget]) -> tuple[str, int, int]:
        shown = _current(group)
        vertical = area_name(group[0]) in ("left", "right")
        along = shown.y() if vertical else shown.x()
        return area_name(group[0]), along, made.index(group[0])

    places: list[DockPlace] = []
    for number, group in enumerate(sorted(groups, key=order)):
        shown = _current(group)
        for dock in group:
            places.append(
                DockPlace(
                    name=dock.objectName(),
                    area=area_name(group[0]),
                    group=number,
                    current=dock is shown and len(group) > 1,
                    hidden=dock.isHidden(),
                    floating=dock.isFloating(),
                    width=max(0, dock.width()),
                    height=max(0, dock.height()),
                    x=dock.x() if dock.isFloating() else 0,
                    y=dock.y() if dock.isFloating() else 0,
                )
            )
    return places


def apply_docks(win: QMainWindow, layout: DockLayout, places: list[DockPlace]) -> None:
    """Put the named docks back in their areas, groups, order and sizes; floating and closed
    ones as they were. Names of no dock are ignored."""
    by_name = {dock.objectName(): dock for dock in layout.docks()}
    groups = [[p for p in g if p.name in by_name] for g in groups_in_order(places)]
    groups = [g for g in groups if g]
    docked = [g for g in groups if not g[0].floating]
    for group in docked:
        docks = [by_name[p.name] for p in group]
        first = docks[0]
        for dock in docks:
            if dock.isFloating():
                dock.setFloating(False)
        area = AREAS[group[0].area]
        along = (
            Qt.Orientation.Vertical
            if area in (Area.LeftDockWidgetArea, Area.RightDockWidgetArea)
            else Qt.Orientation.Horizontal
        )
        win.addDockWidget(area, first, along)  # after the groups placed before it
        for dock in docks[1:]:
            layout.tabify(first, dock)
    screens = _available()
    for group in groups:
        for place in group:
            dock = by_name[place.name]
            if place.floating:
                dock.setFloating(True)
                corner = QPoint(place.x, place.y)
                if place.width and place.height:
                    dock.resize(place.width, place.height)
                if any(s.contains(corner) for s in screens):
                    dock.move(corner)
            dock.setHidden(place.hidden)
            if place.current:
                dock.raise_()
    _apply_sizes(win, by_name, docked)
    layout.park_stale_tab_bars()


def _apply_sizes(
    win: QMainWindow, by_name: dict[str, QDockWidget], docked: list[list[DockPlace]]
) -> None:
    """Each docked group's width and height, as Qt can give them (the window's size first)."""
    firsts = [(by_name[g[0].name], g[0]) for g in docked if not g[0].hidden]
    wide = [(d, p.width) for d, p in firsts if p.width > 0]
    tall = [(d, p.height) for d, p in firsts if p.height > 0]
    if wide:
        win.resizeDocks([d for d, _ in wide], [w for _, w in wide], Qt.Orientation.Horizontal)
    if tall:
        win.resizeDocks([d for d, _ in tall], [h for _, h in tall], Qt.Orientation.Vertical)
