"""The Help menu's commands: the guide, the keyboard shortcuts (read from the window, so the
list stays true), the lecture in a browser, and About. The dialogs themselves are in guide.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QAbstractButton

from charnames_gui.guide_text import LECTURE_URL
from charnames_gui.ui.window.guide import (
    PANEL_KEYS,
    GuideDialog,
    LinkDialog,
    ShortcutsDialog,
    action_shortcuts,
)

if TYPE_CHECKING:
    from charnames_gui.ui.window.main_window import MainWindow

ABOUT_TEXT = (
    "Charnames trains the character-level MLP of Bengio et al. (2003), as taught in "
    "Andrej Karpathy's 'makemore part 2', and lets you watch it learn to invent names."
)


def show_guide(win: MainWindow) -> None:
    """The guide, with the open dataset's figures once torch has loaded."""
    c = win.controller
    dataset = c.dataset if c.torch_ready else None
    GuideDialog(win, dataset, c.model, c.vocab).exec()


def shortcut_rows(win: MainWindow) -> list[tuple[str, str]]:
    """Every shortcut of the window, read from what defines it (so the list stays true):
    the actions, the buttons with a key of their own, and the keys the panels handle
    themselves."""
    leave = win.leave_presentation_action  # Esc: listed once, below
    actions = [a for a in win.actions() if a is not leave]
    actions += [a for a in win.findChildren(QAction) if a not in actions
                and a.shortcutContext() != Qt.ShortcutContext.WidgetShortcut
                and a is not leave]  # fmt: skip
    rows = action_shortcuts(actions)
    for button in win.findChildren(QAbstractButton):
        keys = button.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys and not button.text().startswith("&"):
            rows.append((keys, button.text().replace("&", "")))
    rows.append(("Esc", "Leave presentation mode"))
    return rows + list(PANEL_KEYS)


def show_shortcuts(win: MainWindow) -> None:
    ShortcutsDialog(shortcut_rows(win), win).exec()


def open_lecture(win: MainWindow) -> bool:
    """Open the lecture in a browser; when none opens, show the address to copy."""
    if QDesktopServices.openUrl(QUrl(LECTURE_URL)):
        return True
    win.statusBar().showMessage(f"No browser opened. The lecture: {LECTURE_URL}", 15000)
    LinkDialog(LECTURE_URL, win).exec()
    return False


def show_about(win: MainWindow, app_name: str) -> None:
    win.dialogs.info(f"About {app_name}", ABOUT_TEXT)
