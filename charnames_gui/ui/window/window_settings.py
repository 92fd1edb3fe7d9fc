"""What the window remembers between sessions: its geometry, where the docks are, and the
hyperparameters in the panel (the zoom and recent files keep their own keys)."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSize

from charnames_gui.ui.window.panel_sync import syncing_panel

if TYPE_CHECKING:
    from charnames_gui.ui.window.main_window import MainWindow

SETTINGS_VERSION = 1  # of the saved dock state: another version is not restored


def restore_settings(win: MainWindow, first_size: QSize) -> None:
    """Geometry and docks as they were left (first_size and the default layout the first
    time), then the panel's hyperparameters (the defaults when the saved ones cannot be read)."""
    settings = win.settings
    geometry = settings.value("window/geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        win.restoreGeometry(geometry)
    else:
        win.resize(first_size)
    size = win.size()
    win.docks.apply_default()
    win.docks.keep_size(size)  # the default layout may have widened the window
    state = settings.value("window/state")
    if isinstance(state, QByteArray) and not state.isEmpty():
        win.docks.restore_state(state, SETTINGS_VERSION)  # (without stale tab bars)
        win.docks.keep_size(size)
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        win.restoreGeometry(geometry)  # again: moving docks may have widened the window
    hyper = settings.value("hyperparameters")
    if isinstance(hyper, str):
        # restored values are no edit (no new model for them); untrusted: keep the defaults
        with syncing_panel(win), suppress(ValueError, TypeError, RecursionError):
            win.panel.restore_settings(json.loads(hyper))


def save_settings(win: MainWindow) -> None:
    win.settings.setValue("window/geometry", win.saveGeometry())
    win.settings.setValue("window/state", win.saveState(SETTINGS_VERSION))
    win.settings.setValue("hyperparameters", json.dumps(win.panel.to_settings()))
    win.settings.sync()
