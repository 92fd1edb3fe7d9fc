"""What the window remembers between sessions: its geometry, where the docks are, and the
hyperparameters in the panel (the zoom and recent files keep their own keys)."""

from __future__ import annotations

import json
from contextlib import suppress

from PySide6.QtCore import QByteArray, QSettings, QSignalBlocker, QSize
from PySide6.QtWidgets import QMainWindow

from charnames_gui.ui.views.hyperparameters import HyperparameterPanel
from charnames_gui.ui.window.dock_layout import DockLayout

SETTINGS_VERSION = 1  # of the saved dock state: another version is not restored


def restore_settings(
    win: QMainWindow,
    settings: QSettings,
    docks: DockLayout,
    panel: HyperparameterPanel,
    first_size: QSize,
) -> None:
    """Geometry and docks as they were left (first_size and the default layout the first
    time), then the panel's hyperparameters (the defaults when the saved ones cannot be read)."""
    geometry = settings.value("window/geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        win.restoreGeometry(geometry)
    else:
        win.resize(first_size)
    size = win.size()
    docks.apply_default()
    docks.keep_size(size)  # the default layout may have widened the window
    state = settings.value("window/state")
    if isinstance(state, QByteArray) and not state.isEmpty():
        docks.restore_state(state, SETTINGS_VERSION)  # (without stale tab bars)
        docks.keep_size(size)
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        win.restoreGeometry(geometry)  # again: moving docks may have widened the window
    hyper = settings.value("hyperparameters")
    if isinstance(hyper, str):
        # restored values are no edit (its change signals blocked: no new model for them);
        # untrusted: keep the defaults
        with QSignalBlocker(panel), suppress(ValueError, TypeError, RecursionError):
            panel.restore_settings(json.loads(hyper))


def save_settings(win: QMainWindow, settings: QSettings, panel: HyperparameterPanel) -> None:
    settings.setValue("window/geometry", win.saveGeometry())
    settings.setValue("window/state", win.saveState(SETTINGS_VERSION))
    settings.setValue("hyperparameters", json.dumps(panel.to_settings()))
    settings.sync()
