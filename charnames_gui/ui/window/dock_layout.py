"""Where the main window's docks go: made with a home area, arranged by the window's size
and zoom (window_layout.default_dock_sizes), and put back by Reset layout.

Groups of tabs keep their place at every size: the sampling tabs and, beside them, the
forward pass and hidden layer tabs; only the embedding moves (a column on the right, or one
more sampling tab on narrow windows).

Qt 6.11: a group of tabs made while the window is hidden gets two tab bars. Making the bar
activates the layout, which makes a bar for the same group first; that first bar is then
left out of the layout (never moved, its tabs switch nothing) but stays visible, over the
loss plot. tabify() puts such a left-over bar out of sight; so does restore_state()
with the bars restoreState() replaces, and park_stale_tab_bars() (after every arrangement)
with copies left where tabbed docks moved from. Docks are also moved as little as possible:
tabifying a dock that already is a tab leaves a second bar over the first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QScrollArea,
    QStyle,
    QStyleOptionDockWidget,
    QStyleOptionFrame,
    QStylePainter,
    QTabBar,
    QWidget,
)

from charnames_gui.ui.window.tab_titles import TabStyle, fit, full_title
from charnames_gui.ui.window.window_layout import PanelScroll, default_dock_sizes

Area = Qt.DockWidgetArea
PARKED = QPoint(-10_000, -10_000)  # where left-over tab bars go (off every screen)
SAMPLING_SHARE = 0.55  # of the bottom docks' width, for the sampling tabs


class ZoomingDock(QDockWidget):
    """A dock whose title follows the zoom. QDockWidget paints its title in the platform
    theme's title font, fixed when the app starts, unless the dock has a font of its own;
    this one paints it in its font, which follows the application's (the zoom). The title
    bar's height already follows that font.

    titles: its full title, then shorter ones for a narrow group of tabs (tab_titles.py);
    the window title (and so the tab) may be a short one, the title bar and the View menu
    keep the full one."""

    def __init__(self, titles: tuple[str, ...], parent: QWidget) -> None:
        super().__init__(titles[0], parent)
        self.setProperty("titles", list(titles))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowTitleChange:  # (Qt names the action after it)
            self.toggleViewAction().setText(full_title(self))

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.titleBarWidget() is not None:
            super().paintEvent(event)
            return
        painter = QStylePainter(self)
        if self.isFloating():
            frame = QStyleOptionFrame()
            frame.initFrom(self)
            painter.drawPrimitive(QStyle.PrimitiveElement.PE_FrameDockWidget, frame)
        title = QStyleOptionDockWidget()
        self.initStyleOption(title)
        title.fontMetrics = self.fontMetrics()
        title.title = full_title(self)
        painter.setFont(self.font())
        painter.drawControl(QStyle.ControlElement.CE_DockWidgetTitle, title)


@dataclass(frozen=True)
class DockRoles:
    training: QDockWidget  # the left column, as wide as its fields need
    side: QDockWidget  # the embedding: a right column when wide, one more tab when narrow
    tabs: QDockWidget  # the first of the bottom tabs (sampling)
    last_tab: QDockWidget  # the side dock joins the tabs after this one


def _park(bars: list[QTabBar]) -> None:
    """Out of sight for good: Qt no longer places these bars, but may show them again."""
    for bar in bars:
        bar.hide()
        bar.move(PARKED)


class _Resized(QObject):
    """Calls back when the watched widget is resized."""

    def __init__(self, parent: QObject, callback: Callable[[], None]) -> None:
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._callback()
        return False


def _gap(a: QRect, b: QRect) -> int:
    """How far apart two rectangles are (0 when they touch or overlap)."""
    dx = max(b.left() - a.right(), a.left() - b.right(), 0)
    dy = max(b.top() - a.bottom(), a.top() - b.bottom(), 0)
    return dx + dy


class DockLayout:
    def __init__(self, window: QMainWindow, zoom: Callable[[], float]) -> None:
        self._window = window
        self._zoom = zoom
        self._homes: dict[QDockWidget, Area] = {}
        self._groups: list[list[QDockWidget]] = []
        self._roles: DockRoles | None = None
        self._tab_style = TabStyle()  # (kept: a widget does not own the style it is given)
        self._fit_timer = QTimer(window)  # titles fitted once a burst of resizes is over
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit_tab_titles)

    # -- construction ------------------------------------------------------------------------
    def add(
        self, title: str, name: str, widget: QWidget, area: Area, short: tuple[str, ...] = ()
    ) -> QDockWidget:
        """A dock for widget; its content scrolls when the dock is smaller than it needs.
        short: shorter titles for its tab, longest first, when its group is narrow."""
        window = self._window
        dock = ZoomingDock((title, *short), window)
        dock.installEventFilter(_Resized(dock, self._fit_timer.start))
        dock.setObjectName(name)  # saveState() needs a name per dock
        dock.setWidget(widget if isinstance(widget, QScrollArea) else PanelScroll(widget))
        dock.setAccessibleName(f"{title} panel")
        window.addDockWidget(area, dock)
        self._homes[dock] = area  # where Reset layout puts it back
        return dock

    def tab(self, first: QDockWidget, dock: QDockWidget) -> None:
        """Make dock a tab of first's group (at construction)."""
        self._homes[dock] = self._homes.get(first, Area.BottomDockWidgetArea)
        self.tabify(first, dock)

    def tabify(self, first: QDockWidget, dock: QDockWidget) -> None:
        """window.tabifyDockWidget(first, dock), without the left-over tab bar Qt 6.11 makes
        when the window is hidden (see the module's docstring)."""
        before = set(self._tab_bars())
        self._window.tabifyDockWidget(first, dock)
        made = [bar for bar in self._tab_bars() if bar not in before]
        _park(made[:-1])  # the last one made is the group's bar

    def restore_state(self, state: QByteArray, version: int) -> bool:
        """window.restoreState(): the restored groups get new tab bars, and Qt 6.11 leaves
        the old ones on screen (never moved again, their tabs switch nothing)."""
        before = self._tab_bars()
        restored = self._window.restoreState(state, version)
        if restored:
            _park(before)
            self.park_stale_tab_bars()
        return restored

    def docks(self) -> list[QDockWidget]:
        """Every dock, in creation order."""
        return list(self._homes)

    def home(self, dock: QDockWidget) -> Area:
        """The area a dock is made in (and Reset layout puts it back in)."""
        return self._homes.get(dock, Area.BottomDockWidgetArea)

    def park_stale_tab_bars(self) -> None:
        """Each group of tabs keeps the one bar Qt places at its current dock (the newest,
        if several are there); every other bar is put out of sight: copies Qt 6.11 left
        behind when tabbed docks moved. Needs the window on screen (docks placed)."""
        window = self._window
        for bar in self._tab_bars():  # whole titles ("Runs", not "R..."): see fit_tab_titles
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)  # (only when even the shortest titles do not fit)
            if bar.style() is not self._tab_style:
                bar.setStyle(self._tab_style)
        if not window.isVisible():
            return
        layout = window.layout()
        if layout is not None:
            layout.activate()
        bars = [bar for bar in self._tab_bars() if not bar.isHidden()]
        keep: set[QTabBar] = set()
        seen: set[QDockWidget] = set()
        for dock in self._homes:
            tabs = window.tabifiedDockWidgets(dock)
            if dock in seen or not tabs or dock.isFloating():
                continue
            group = [dock, *tabs]
            seen.update(group)
            titles = {d.windowTitle() for d in group}
            current = max(group, key=lambda d: (d.x(), d.y()))  # the others are off screen
            mine = [b for b in bars if {b.tabText(i) for i in range(b.count())} == titles]
            if mine:  # the nearest to the current dock; of equals, the newest (last made)
                keep.add(min(reversed(mine), key=lambda b: _gap(b.geometry(), current.geometry())))
        _park([bar for bar in bars if bar not in keep])
        self.fit_tab_titles()

    def fit_tab_titles(self) -> None:
        """Each group of tabs on screen shows the longest titles that fit in its bar."""
        window = self._window
        bars = [b for b in self._tab_bars() if not b.isHidden() and b.pos() != PARKED]
        seen: set[QDockWidget] = set()
        for dock in self._homes:
            tabs = window.tabifiedDockWidgets(dock)
            if dock in seen:
                continue
            if not tabs or dock.isFloating():  # no tab: its full title (a floating window's)
                if dock.windowTitle() != full_title(dock):
                    dock.setWindowTitle(full_title(dock))
                continue
            group = [dock, *tabs]
            seen.update(group)
            titles = {d.windowTitle() for d in group}
            for bar in bars:
                if {bar.tabText(i) for i in range(bar.count())} == titles:
                    fit(bar, group)

    def _tab_bars(self) -> list[QTabBar]:
        """The tab bars of the window's tabbed docks (Qt makes them as the window's children)."""
        return self._window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)

    def finish(self, roles: DockRoles) -> None:
        """All docks made: remember the groups of tabs that Reset layout puts back."""
        self._roles = roles
        self._groups = self.tab_groups()

    def tab_groups(self) -> list[list[QDockWidget]]:
        """The docks as groups of tabs (a dock alone is a group of one), in creation order
        (each group's docks too)."""
        window = self._window
        made = list(self._homes)  # (the window's children change order as docks are raised)
        groups: list[list[QDockWidget]] = []
        seen: set[QDockWidget] = set()
        for dock in made:
            if dock in seen:
                continue
            tabs = window.tabifiedDockWidgets(dock)
            group = [dock] + [d for d in made if d in tabs and d not in seen]
            seen.update(group)
            groups.append(group)
        return groups

    # -- arranging ---------------------------------------------------------------------------
    def apply_default(self) -> None:
        """Training panel left and the loss plot in the middle; below them the sampling and
        experiment tabs, and beside those the forward pass and hidden layer tabs. The side
        dock (embedding) is a column on the right on wide windows and one more sampling tab
        on narrow ones (under 1280 px at 100% zoom)."""
        roles = self._roles
        if roles is None:
            return
        window = self._window
        sizes = default_dock_sizes(window.size(), self._zoom())
        right = Area.RightDockWidgetArea
        in_tabs = roles.side in window.tabifiedDockWidgets(roles.tabs)
        # (tabifying a dock that already is a tab leaves a second tab bar over the first)
        if sizes.compact and not in_tabs:
            self.tabify(roles.last_tab, roles.side)
        elif not sizes.compact and (in_tabs or window.dockWidgetArea(roles.side) != right):
            window.addDockWidget(right, roles.side)
        if not sizes.compact:
            window.resizeDocks([roles.side], [sizes.side_width], Qt.Orientation.Horizontal)
        # a little wider than its fields need: its texts wrap onto fewer lines
        panel = roles.training.widget()
        if panel is not None:  # after a zoom the dock's layout still holds the old font's hint
            panel.updateGeometry()
        width = roles.training.minimumSizeHint().width() + 2 * window.fontMetrics().height()
        # and, where the window has room (a third of it), wide enough for the Run buttons on one
        # line (its size hint): a wrapped row of buttons costs the panel a line of height
        width = max(width, min(roles.training.sizeHint().width(), window.width() // 3))
        window.resizeDocks([roles.training], [width], Qt.Orientation.Horizontal)
        window.resizeDocks([roles.tabs], [sizes.bottom_height], Qt.Orientation.Vertical)
        beside = [g[0] for g in self._groups if roles.tabs not in g and self._is_bottom(g)]
        if beside:  # the sampling tabs get the larger share of the bottom's width
            bottom_width = window.width() - width  # (width: the training dock's)
            share = int(bottom_width * SAMPLING_SHARE)
            rest = (bottom_width - share) // len(beside)
            widths = [share] + [rest] * len(beside)
            window.resizeDocks([roles.tabs, *beside], widths, Qt.Orientation.Horizontal)
        roles.tabs.raise_()
        self.park_stale_tab_bars()

    def _is_bottom(self, group: list[QDockWidget]) -> bool:
        return self._homes.get(group[0]) == Area.BottomDockWidgetArea

    def _out_of_place(self, group: list[QDockWidget]) -> bool:
        """The group's first dock is not in its home area, or shares its tabs with a dock
        of another group (the side dock may join the sampling tabs)."""
        window = self._window
        first = group[0]
        if window.dockWidgetArea(first) != self._homes.get(first, Area.BottomDockWidgetArea):
            return True
        side = self._roles.side if self._roles else None
        return any(d not in group and d is not side for d in window.tabifiedDockWidgets(first))

    def _left_of_the_tabs(self, group: list[QDockWidget]) -> bool:
        """A bottom group that belongs beside the sampling tabs is left of them."""
        roles = self._roles
        if roles is None or roles.tabs in group or not self._is_bottom(group):
            return False
        layout = self._window.layout()
        if layout is not None:
            layout.activate()  # the docks' places after the moves so far
        tabs = [roles.tabs, *self._window.tabifiedDockWidgets(roles.tabs)]
        # (the current tab of a group is the one dock of it on screen; the others are put
        # at negative coordinates)
        return max(d.x() for d in group) < max(d.x() for d in tabs)

    def reset(self) -> None:
        """Every dock shown, docked and in its group, then the default layout for the
        window's size. Only docks out of place are moved; the side dock is placed by
        apply_default."""
        window = self._window
        size = window.size()  # docks side by side for a moment can widen the window
        side = self._roles.side if self._roles else None
        for group in self._groups:
            for dock in group:
                if dock.isFloating():
                    dock.setFloating(False)
                dock.setVisible(True)
        for group in self._groups:  # the sampling tabs before the groups beside them
            first = group[0]
            if first is side:
                continue
            if self._out_of_place(group) or self._left_of_the_tabs(group):
                # (a dock moved away from a group leaves it; a dock added to an area goes
                # after the docks there: right of them in the bottom area)
                home = self._homes.get(first, Area.BottomDockWidgetArea)
                window.addDockWidget(home, first, Qt.Orientation.Horizontal)
            for dock in group[1:]:
                if dock not in window.tabifiedDockWidgets(first):
                    self.tabify(first, dock)
        self.keep_size(size)
        self.apply_default()
        self.keep_size(size)
        self.park_stale_tab_bars()

    def keep_size(self, size: QSize) -> None:
        """Back to size after docks were moved. The layout is brought up to date first, so
        the window's minimum is that of the final arrangement."""
        layout = self._window.layout()
        if layout is not None:
            layout.activate()
        self._window.resize(size)
