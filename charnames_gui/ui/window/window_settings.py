"""What the window remembers between sessions: its geometry, where the docks are, and the
hyperparameters in the panel (the zoom and recent files keep their own keys).

The geometry and docks are core.window_state's plain data, checked when the settings file
is read and put back by dock_places with ordinary calls: never QMainWindow.restoreState()
on bytes from a file (damaged bytes crash it)."""

from __future__ import annotations

from contextlib import suppress

from PySide6.QtCore import QSignalBlocker, QSize, QTimer
from PySide6.QtWidgets import QMainWindow

from charnames_gui.core.errors import SettingsError
from charnames_gui.core.window_state import (
    docks_to_json,
    geometry_to_json,
    parse_docks,
    parse_geometry,
)
from charnames_gui.ui.views.hyperparameters import HyperparameterPanel
from charnames_gui.ui.window.app_settings import AppSettings
from charnames_gui.ui.window.dock_layout import DockLayout
from charnames_gui.ui.window.dock_places import (
    apply_docks,
    apply_geometry,
    capture_docks,
    capture_geometry,
)


def restore_settings(
    win: QMainWindow,
    settings: AppSettings,
    docks: DockLayout,
    panel: HyperparameterPanel,
    first_size: QSize,
) -> None:
    """Geometry and docks as they were left (first_size and the default layout the first
    time), then the panel's hyperparameters (the defaults when the saved ones cannot be read).
    The store has checked every value already; parse_* check them again (cheap) so a value
    set in this session by mistake cannot get further either."""
    geometry = None
    with suppress(SettingsError):
        if settings.contains("window/geometry"):
            geometry = parse_geometry(settings.value("window/geometry"))
    if geometry is not None:
        apply_geometry(win, geometry)
    else:
        win.resize(first_size)
    size = win.size()
    docks.apply_default()
    docks.keep_size(size)  # the default layout may have widened the window
    places = None
    with suppress(SettingsError):
        if settings.contains("window/docks"):
            places = parse_docks(settings.value("window/docks"))
    if places:
        apply_docks(win, docks, places)
        docks.keep_size(size)
        if not win.isVisible():  # stale tab bars are found once the docks are placed
            QTimer.singleShot(0, win, docks.park_stale_tab_bars)
    if geometry is not None:
        apply_geometry(win, geometry)  # again: moving docks may have widened the window
    hyper = settings.value("hyperparameters", None, type=dict)
    if hyper is not None:
        # restored values are no edit (its change signals blocked: no new model for them);
        # untrusted: the panel checks each field and keeps the defaults for a bad one
        with QSignalBlocker(panel), suppress(ValueError, TypeError, RecursionError):
            panel.restore_settings(hyper)


def save_settings(
    win: QMainWindow, settings: AppSettings, docks: DockLayout, panel: HyperparameterPanel
) -> bool:
    """Keep the window's place, its docks and the panel's values; False when the file could
    not be written (settings.saveFailed says why)."""
    values = {
        "window/geometry": geometry_to_json(capture_geometry(win)),
        "window/docks": docks_to_json(capture_docks(win, docks)),
        "hyperparameters": panel.to_settings(),
    }
    for key, value in values.items():
        with suppress(SettingsError):  # a value the store does not take: the old one is kept
            settings.setValue(key, value)
    return settings.sync()
