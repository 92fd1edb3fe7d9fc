"""Presentation mode (F11): full screen, larger text, and the training panel folded to its
buttons and progress, as a strip above the plot; F11 or Esc puts everything back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea

from charnames_gui.ui.window.zoom import PRESENTATION_ZOOM, Zoom


@dataclass(frozen=True)
class _Before:
    """What presentation mode changes, to put back when it ends."""

    train_area: Qt.DockWidgetArea
    train_width: int
    bottom_height: int
    window_state: Qt.WindowState
    zoom: float


class Presentation:
    def __init__(
        self,
        window: QMainWindow,
        zoom: Zoom,
        training: QDockWidget,
        bottom: QDockWidget,
        fold: Callable[[bool], None],
    ) -> None:
        """training: the dock that becomes the strip; bottom: a dock whose height is put
        back afterwards; fold(True/False): hides / shows what the strip leaves out."""
        self._window = window
        self._zoom = zoom
        self._training = training
        self._bottom = bottom
        self._fold = fold
        self._before: _Before | None = None
        self._toggle_action: QAction | None = None
        self._leave_action: QAction | None = None

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

    def _show_in_actions(self, active: bool) -> None:
        if self._leave_action is not None:
            self._leave_action.setEnabled(active)  # Esc is free outside presentation mode
        if self._toggle_action is not None:
            self._toggle_action.setText(
                "Leave &presentation mode" if active else "&Presentation mode"
            )

    def enter(self) -> None:
        if self._before is not None:
            return
        window, training = self._window, self._training
        self._before = _Before(
            window.dockWidgetArea(training),
            training.width(),
            self._bottom.height(),
            window.windowState(),
            self._zoom.factor,
        )
        self._zoom.set_factor(max(self._zoom.factor, PRESENTATION_ZOOM), remember=False)
        self._fold(True)
        training.setFloating(False)
        window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, training)
        training.show()
        window.showFullScreen()
        # the strip as high as the buttons and progress need: no scroll bar, no waste
        scroll = training.widget()
        content = scroll.widget() if isinstance(scroll, QScrollArea) else None
        if content is not None:
            content.adjustSize()
            strip = content.sizeHint().height() + window.fontMetrics().height()  # some slack
            window.resizeDocks([training], [strip], Qt.Orientation.Vertical)
        self._show_in_actions(True)
        window.statusBar().showMessage("Presentation mode: F11 or Esc leaves it.", 8000)

    def leave(self) -> None:
        before = self._before
        if before is None:
            return
        self._show_in_actions(False)
        self._before = None
        window, training = self._window, self._training
        self._fold(False)
        self._zoom.set_factor(before.zoom, remember=False)
        window.setWindowState(before.window_state)
        window.addDockWidget(before.train_area, training)

        def sizes_as_before() -> None:  # again once the window is back to its size
            window.resizeDocks([training], [before.train_width], Qt.Orientation.Horizontal)
            window.resizeDocks([self._bottom], [before.bottom_height], Qt.Orientation.Vertical)

        sizes_as_before()
        QTimer.singleShot(50, window, sizes_as_before)  # (not after the window is gone)
