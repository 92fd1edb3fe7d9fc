"""Presentation mode (F11): full screen, larger text, the training panel folded to its buttons
and progress as a strip at the top, and one or two views large, chosen in a bar under it
(Loss and the other views, Alt+1 onwards in the bar's order). F11 or Esc puts
everything back as it was (the docks' state is saved when the mode starts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QToolBar, QWidget

from charnames_gui.ui.window.zoom import PRESENTATION_ZOOM, Zoom

LOSS = "Loss"
DEFAULT_CHOICE = (LOSS, "Sampling")  # what a lesson starts with: the loss and the names
MAX_SHOWN = 2  # more views than two at presentation size leave each too small to read
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum"
STATE_VERSION = 24  # (the saved state is only this mode's own, never the settings')

Corner = Qt.Corner
Area = Qt.DockWidgetArea


@dataclass(frozen=True)
class _Before:
    """What presentation mode changes, to put back when it ends."""

    state: QByteArray  # the docks (places, sizes, tabs)
    corners: tuple[Area, ...]
    window_state: Qt.WindowState
    zoom: float


class Presentation:
    def __init__(
        self,
        window: QMainWindow,
        zoom: Zoom,
        training: QDockWidget,
        loss: QWidget,
        views: dict[str, QDockWidget],
        fold: Callable[[bool], None],
        restore_state: Callable[[QByteArray, int], bool],
    ) -> None:
        """training: the dock that becomes the strip; loss: the central widget (the loss
        plot and the replay's timeline under it); views: the docks that can be chosen, by
        name; fold(True/False): hides / shows what the strip leaves out; restore_state: the
        window's restoreState (the dock layout's, which also puts away the tab bars Qt leaves
        behind)."""
        self._window = window
        self._zoom = zoom
        self._training = training
        self._loss = loss
        self._views = dict(views)
        self._fold = fold
        self._restore_state = restore_state
        self._before: _Before | None = None
        self._toggle_action: QAction | None = None
        self._leave_action: QAction | None = None
        self._chosen: list[str] = list(DEFAULT_CHOICE)
        self.bar = QToolBar("Presentation views", window)
        self.bar.setObjectName("PresentationBar")  # (saveState needs a name)
        self.bar.setMovable(False)
        self.bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.choices: dict[str, QAction] = {}
        names = [LOSS, *self._views]
        for number, name in enumerate(names, start=1):
            action = QAction(name, window)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(f"Alt+{number}"))
            action.setToolTip(f"Show the {name.lower()} view large (Alt+{number}); at most two")
            action.setEnabled(False)  # only in presentation mode
            action.toggled.connect(lambda on, n=name: self._on_choice(n, on))
            self.bar.addAction(action)
            window.addAction(action)  # (its shortcut works with the bar hidden too)
            self.choices[name] = action
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.bar)
        self.bar.hide()

    def set_actions(self, toggle: QAction, leave: QAction) -> None:
        """The menu's F11 action (its text says what it does) and Esc (only while on)."""
        self._toggle_action, self._leave_action = toggle, leave

    def active(self) -> bool:
        return self._before is not None

    def toggle(self) -> None:
        if self.active():
            self.leave()
        else:
            self.enter()

    def chosen(self) -> list[str]:
        """The views shown large, in the order they were chosen."""
        return list(self._chosen)

    def choose(self, names: list[str]) -> None:
        """Show these views (at most MAX_SHOWN; names from the chooser)."""
        wanted = [n for n in names if n in self.choices][-MAX_SHOWN:]
        if not wanted:
            return
        self._chosen = wanted
        self._sync_choices()
        if self.active():
            self._arrange()

    def _on_choice(self, name: str, on: bool) -> None:
        if self._syncing:
            return
        chosen = [n for n in self._chosen if n != name]
        if on:
            chosen.append(name)  # the oldest choice gives way to a third
        if not chosen:  # never an empty screen: the last view stays
            self._sync_choices()
            return
        self.choose(chosen)

    _syncing = False

    def _sync_choices(self) -> None:
        self._syncing = True
        try:
            for name, action in self.choices.items():
                action.setChecked(name in self._chosen)
        finally:
            self._syncing = False

    def _show_in_actions(self, active: bool) -> None:
        if self._leave_action is not None:
            self._leave_action.setEnabled(active)  # Esc is free outside presentation mode
        if self._toggle_action is not None:
            self._toggle_action.setText(
                "Leave &presentation mode" if active else "&Presentation mode"
            )
        for action in self.choices.values():
            action.setEnabled(active)

    def enter(self) -> None:
        if self._before is not None:
            return
        window, training = self._window, self._training
        corners = (Corner.TopLeftCorner, Corner.TopRightCorner,
                   Corner.BottomLeftCorner, Corner.BottomRightCorner)  # fmt: skip
        self._before = _Before(
            window.saveState(STATE_VERSION),
            tuple(window.corner(c) for c in corners),
            window.windowState(),
            self._zoom.factor,
        )
        self._zoom.set_factor(max(self._zoom.factor, PRESENTATION_ZOOM), remember=False)
        self._fold(True)
        # the views first: with the docks still in their places, the strip and the bar on
        # top would ask for more height than a small screen has, and the window would grow
        self._arrange()
        # the strip and the chooser span the whole width, above every view
        window.setCorner(Corner.TopLeftCorner, Area.TopDockWidgetArea)
        window.setCorner(Corner.TopRightCorner, Area.TopDockWidgetArea)
        training.setFloating(False)
        training.setTitleBarWidget(QWidget())  # no title bar: the strip is what it is
        window.addDockWidget(Area.TopDockWidgetArea, training)
        training.show()
        self.bar.show()
        self._sync_choices()
        self._show_in_actions(True)
        window.showFullScreen()
        self._arrange()
        QTimer.singleShot(50, window, self._arrange_if_active)  # again at full-screen size
        window.statusBar().showMessage(
            f"Presentation mode: choose one or two views above (Alt+1 to Alt+{len(self.choices)});"
            " F11 or Esc leaves it.",
            8000,
        )

    def _arrange_if_active(self) -> None:
        if self.active():
            self._arrange()

    def _hide_unchosen(self) -> list[QDockWidget]:
        """Hides every view not chosen (the loss plot and its timeline too); returns the
        chosen docks."""
        chosen = [self._views[n] for n in self._chosen if n != LOSS]
        for dock in self._window.findChildren(QDockWidget):
            if dock is not self._training and dock not in chosen:
                dock.hide()
        self._loss.setVisible(LOSS in self._chosen)
        return chosen

    def _arrange(self) -> None:
        """The chosen views share the window below the strip, side by side; the rest are
        hidden (put back as they were by leave())."""
        window, training = self._window, self._training
        chosen = self._hide_unchosen()
        previous: QDockWidget | None = None
        for dock in chosen:
            dock.setFloating(False)
            if previous is None:
                # beside the loss plot; without it, below the strip (in the right area the
                # strip on top would take all the height the hidden plot leaves)
                area = (
                    Area.RightDockWidgetArea if LOSS in self._chosen else Area.BottomDockWidgetArea
                )
                window.addDockWidget(area, dock, Qt.Orientation.Horizontal)
            else:
                window.splitDockWidget(previous, dock, Qt.Orientation.Horizontal)
            dock.show()
            previous = dock
        layout = window.layout()
        if layout is not None:
            layout.activate()
        # the strip as high as the buttons and progress need: no scroll bar, no waste
        scroll = training.widget()
        content = scroll.widget() if isinstance(scroll, QScrollArea) else None
        if content is not None:
            content.adjustSize()
            strip = content.sizeHint().height() + window.fontMetrics().height() // 3  # slack
            window.resizeDocks([training], [strip], Qt.Orientation.Vertical)
            # never more: with the loss plot hidden the strip would take the views' height
            training.setMaximumHeight(strip + training.height() - scroll.height())
        if chosen:
            shown = len(chosen) + (LOSS in self._chosen)
            width = window.width() // shown
            window.resizeDocks(chosen, [width] * len(chosen), Qt.Orientation.Horizontal)

    def leave(self) -> None:
        before = self._before
        if before is None:
            return
        self._show_in_actions(False)
        window = self._window
        self.bar.hide()
        self._fold(False)
        self._training.setMaximumHeight(QWIDGETSIZE_MAX)
        self._training.setTitleBarWidget(None)  # type: ignore[arg-type]  # (Qt: the default one)
        self._loss.show()
        self._zoom.set_factor(before.zoom, remember=False)  # (still active: not remembered)
        self._before = None
        window.setWindowState(before.window_state)
        corners = (Corner.TopLeftCorner, Corner.TopRightCorner,
                   Corner.BottomLeftCorner, Corner.BottomRightCorner)  # fmt: skip
        for corner, area in zip(corners, before.corners, strict=True):
            window.setCorner(corner, area)

        def as_before() -> None:  # again once the window is back to its size
            if self.active():  # (F11 pressed again meanwhile)
                return
            self._restore_state(before.state, STATE_VERSION)
            self.bar.hide()

        as_before()
        QTimer.singleShot(50, window, as_before)  # (not after the window is gone)
