"""Zoom: every text in the app larger or smaller (75% to 250%), kept in the settings.

The zoom scales the application font. Widgets follow it by themselves; the plots (axes,
tick labels, markers) follow it in their changeEvent(FontChange), through
ui.views.text_scale."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QObject, Signal
from PySide6.QtWidgets import QApplication, QMainWindow

from charnames_gui.ui.views.text_scale import base_font, base_point_size
from charnames_gui.ui.window.app_settings import AppSettings

ZOOM_LEVELS = (0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5)
MIN_ZOOM, MAX_ZOOM = ZOOM_LEVELS[0], ZOOM_LEVELS[-1]
PRESENTATION_ZOOM = 1.5  # at least this in presentation mode
SETTINGS_KEY = "view/zoom"
REFERENCE_HEIGHT = 720  # logical pixels: a screen this high reads well at 100% from a desk
SCREEN_ZOOMS = (1.0, 1.25, 1.5, 2.0, 2.5)  # the zooms a screen's size may start with


def clamp(factor: float) -> float:
    return min(MAX_ZOOM, max(MIN_ZOOM, float(factor)))


def screen_zoom(height: int) -> float:
    """The zoom the app starts with until the learner chooses one: about the share of the
    screen's height the text takes at 100% on a 720-pixel screen (1080: 150%, so a class can
    read it; 1440: 200%), in the steps of SCREEN_ZOOMS at or below that, never under 100%
    (an 800-pixel laptop stays at 100%). `height` is in logical pixels: a desktop already
    scaled for a high-DPI screen is not scaled twice."""
    wanted = height / REFERENCE_HEIGHT
    return max(z for z in SCREEN_ZOOMS if z <= wanted + 1e-9 or z == 1.0)


class Zoom(QObject):
    """The zoom level of the app. zoom_in/zoom_out step through ZOOM_LEVELS."""

    changed = Signal(float)
    aboutToChange = Signal(float)  # the factor before a change, while the old font holds

    def __init__(
        self, settings: AppSettings, parent: QObject | None = None, default: float = 1.0
    ) -> None:
        """default: the zoom until one is saved (screen_zoom of the screen)."""
        super().__init__(parent)
        self._settings = settings
        base_font()  # read the 100% font before the first change
        saved = settings.value(SETTINGS_KEY, default, type=float)  # (checked at load: 0.1 to 10)
        self._factor = 1.0
        self._apply(clamp(saved))

    @property
    def factor(self) -> float:
        return self._factor

    def percent(self) -> int:
        return round(self._factor * 100)

    def set_factor(self, factor: float, remember: bool = True) -> None:
        """remember=False: a temporary zoom (presentation mode), not saved."""
        self._apply(clamp(factor))
        if remember:
            self._settings.setValue(SETTINGS_KEY, self._factor)

    def zoom_in(self) -> None:
        larger = [z for z in ZOOM_LEVELS if z > self._factor + 1e-6]
        self.set_factor(larger[0] if larger else MAX_ZOOM)

    def zoom_out(self) -> None:
        smaller = [z for z in ZOOM_LEVELS if z < self._factor - 1e-6]
        self.set_factor(smaller[-1] if smaller else MIN_ZOOM)

    def reset(self) -> None:
        self.set_factor(1.0)

    def _apply(self, factor: float) -> None:
        font = base_font()
        if font.pointSizeF() > 0:
            font.setPointSizeF(base_point_size() * factor)
        else:  # a font sized in pixels
            font.setPixelSize(max(6, round(font.pixelSize() * factor)))
        changed = abs(factor - self._factor) > 1e-9
        if changed:
            self.aboutToChange.emit(self._factor)
        self._factor = factor
        if QApplication.font() != font:
            QApplication.setFont(font)
        if changed:
            self.changed.emit(factor)


class LayoutsByZoom:
    """The docks' layout as it was at each zoom (for the window's size): zooming back to a
    factor puts back exactly the layout left there (Ctrl+0 after Ctrl+= gives the same
    panel widths, not widths measured anew from size hints that are not up to date yet).
    A zoom not seen yet (or after Reset layout) gets the default layout for it."""

    VERSION = 2400  # (only for this memory, never the settings' state)

    def __init__(self, window: QMainWindow, restore: Callable[[QByteArray, int], bool]) -> None:
        self._window = window
        self._restore = restore
        self._states: dict[tuple[float, int, int], QByteArray] = {}

    def _key(self, factor: float) -> tuple[float, int, int]:
        return (round(factor, 4), self._window.width(), self._window.height())

    def remember(self, factor: float) -> None:
        if self._window.isVisible():
            self._states[self._key(factor)] = self._window.saveState(self.VERSION)

    def restore(self, factor: float) -> bool:
        """True if the layout of this zoom (and window size) was put back."""
        state = self._states.get(self._key(factor))
        return state is not None and self._restore(state, self.VERSION)

    def forget(self) -> None:
        self._states.clear()
