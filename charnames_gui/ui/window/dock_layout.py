"""Where the main window's docks go: made with a home area, arranged by the window's size
and zoom (window_layout.default_dock_sizes), and put back by Reset layout.

Docks are moved as little as possible. In Qt 6.11 a tabbed dock that moves between groups
can leave a stale copy of a tab bar behind the docks, and a group split out of another is
left with no visible tab bar at all (its docks could no longer be switched)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QWidget

from charnames_gui.ui.window.window_layout import PanelScroll, default_dock_sizes

Area = Qt.DockWidgetArea


@dataclass(frozen=True)
class DockRoles:
    training: QDockWidget  # the left column, as wide as its fields need
    side: QDockWidget  # the embedding: a right column when wide, one more tab when narrow
    tabs: QDockWidget  # the first of the bottom tabs (sampling)
    last_tab: QDockWidget  # the side dock joins the tabs after this one


class DockLayout:
    def __init__(self, window: QMainWindow, zoom: Callable[[], float]) -> None:
        self._window = window
        self._zoom = zoom
        self._homes: dict[QDockWidget, Area] = {}
        self._groups: list[list[QDockWidget]] = []
        self._roles: DockRoles | None = None

    # -- construction ------------------------------------------------------------------------
    def add(self, title: str, name: str, widget: QWidget, area: Area) -> QDockWidget:
        """A dock for widget; its content scrolls when the dock is smaller than it needs."""
        window = self._window
        dock = QDockWidget(title, window)
        dock.setObjectName(name)  # saveState() needs a name per dock
        dock.setWidget(widget if isinstance(widget, QScrollArea) else PanelScroll(widget))
        dock.setAccessibleName(f"{title} panel")
        window.addDockWidget(area, dock)
        self._homes[dock] = area  # where Reset layout puts it back
        return dock

    def tab(self, first: QDockWidget, dock: QDockWidget) -> None:
        """Make dock a tab of first's group (at construction)."""
        self._homes[dock] = self._homes.get(first, Area.BottomDockWidgetArea)
        self._window.tabifyDockWidget(first, dock)

    def finish(self, roles: DockRoles) -> None:
        """All docks made: remember the groups of tabs that Reset layout puts back."""
        self._roles = roles
        self._groups = self.tab_groups()

    def tab_groups(self) -> list[list[QDockWidget]]:
        """The docks as groups of tabs (a dock alone is a group of one), in creation order."""
        window = self._window
        groups: list[list[QDockWidget]] = []
        seen: set[QDockWidget] = set()
        for dock in window.findChildren(QDockWidget):
            if dock in seen:
                continue
            group = [dock] + [d for d in window.tabifiedDockWidgets(dock) if d not in seen]
            seen.update(group)
            groups.append(group)
        return groups

    # -- arranging ---------------------------------------------------------------------------
    def apply_default(self) -> None:
        """Training panel left and the loss plot in the middle; below them the sampling and
        experiment tabs. The side dock (embedding) is a column on the right on wide windows
        and one more bottom tab on narrow ones (under 1280 px at 100% zoom); the other bottom
        groups (forward pass, hidden layer) join the tabs on narrow windows."""
        roles = self._roles
        if roles is None:
            return
        window = self._window
        sizes = default_dock_sizes(window.size(), self._zoom())
        right = Area.RightDockWidgetArea
        in_tabs = roles.side in window.tabifiedDockWidgets(roles.tabs)
        # (tabifying a dock that already is a tab leaves a second tab bar over the first)
        if sizes.compact and not in_tabs:
            window.tabifyDockWidget(roles.last_tab, roles.side)
        elif not sizes.compact and (in_tabs or window.dockWidgetArea(roles.side) != right):
            window.addDockWidget(right, roles.side)
        if not sizes.compact:
            window.resizeDocks([roles.side], [sizes.side_width], Qt.Orientation.Horizontal)
        if sizes.compact:
            self._join_other_bottom_groups(roles.tabs)
        # a little wider than its fields need: its texts wrap onto fewer lines
        width = roles.training.minimumSizeHint().width() + 2 * window.fontMetrics().height()
        window.resizeDocks([roles.training], [width], Qt.Orientation.Horizontal)
        window.resizeDocks([roles.tabs], [sizes.bottom_height], Qt.Orientation.Vertical)
        roles.tabs.raise_()

    def _join_other_bottom_groups(self, tabs: QDockWidget) -> None:
        """Never split out again (see the module's docstring): they stay reachable as tabs."""
        window = self._window
        for group in self._groups:
            if self._homes.get(group[0]) != Area.BottomDockWidgetArea or tabs in group:
                continue
            for dock in group:
                if dock not in window.tabifiedDockWidgets(tabs):
                    window.tabifyDockWidget(tabs, dock)

    def reset(self) -> None:
        """Every dock shown, docked and in its group, then the default layout for the
        window's size. Only docks out of place are moved; the side dock and the other
        bottom groups are placed by apply_default."""
        window = self._window
        size = window.size()  # docks side by side for a moment can widen the window
        bottom = Area.BottomDockWidgetArea
        roles = self._roles
        placed_later = {roles.side} if roles else set()
        placed_later |= {
            dock for group in self._groups
            if (roles is None or roles.tabs not in group) and self._homes.get(group[0]) == bottom
            for dock in group
        }  # fmt: skip
        for group in self._groups:
            first = group[0]
            for dock in group:
                if dock.isFloating():
                    dock.setFloating(False)
                dock.setVisible(True)
            if first in placed_later:
                continue
            home = self._homes.get(first, bottom)
            if window.dockWidgetArea(first) != home:
                window.addDockWidget(home, first)
            for dock in group[1:]:
                if dock not in window.tabifiedDockWidgets(first):
                    window.tabifyDockWidget(first, dock)
        self.keep_size(size)
        self.apply_default()
        self.keep_size(size)

    def keep_size(self, size: QSize) -> None:
        """Back to size after docks were moved. The layout is brought up to date first, so
        the window's minimum is that of the final arrangement."""
        layout = self._window.layout()
        if layout is not None:
            layout.activate()
        self._window.resize(size)
