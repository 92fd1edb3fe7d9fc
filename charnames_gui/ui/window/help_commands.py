"""The Help menu's commands: the guide, the keyboard shortcuts (read from the window, so the
list stays true), the lecture in a browser, and About. The dialogs themselves are in guide.py."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QStatusBar, QWidget

from charnames_gui.guide_text import LECTURE_URL
from charnames_gui.ui.controller import Controller
from charnames_gui.ui.window.dialogs import AsksUser
from charnames_gui.ui.window.guide import (
    PANEL_KEYS,
    GuideDialog,
    LinkDialog,
    ShortcutsDialog,
    action_shortcuts,
)

ABOUT_TEXT = (
    "Charnames trains the character-level MLP of Bengio et al. (2003), as taught in "
    "Andrej Karpathy's 'makemore part 2', and lets you watch it learn to invent names."
)


class HelpCommands:
    """The Help menu. `window`: the dialogs' parent, whose actions and buttons the shortcuts
    list reads; `controller`: the open dataset and model the guide quotes."""

    def __init__(
        self,
        window: QWidget,
        controller: Controller,
        dialogs: AsksUser,
        status: QStatusBar,
        app_name: str,
    ) -> None:
        self.window = window
        self.controller = controller
        self.dialogs = dialogs
        self.status = status
        self.app_name = app_name

    def show_guide(self) -> None:
        """The guide, with the open dataset's figures once torch has loaded."""
        c = self.controller
        dataset = c.document.dataset if c.torch_wait.ready else None
        GuideDialog(self.window, dataset, c.document.model, c.document.vocab).exec()

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """Every shortcut of the window, read from what defines it (so the list stays true):
        the actions, the buttons with a key of their own, and the keys the panels handle
        themselves."""
        window = self.window
        actions = [a for a in window.actions() if not _leaves_presentation(a)]
        actions += [
            a
            for a in window.findChildren(QAction)
            if a not in actions
            and a.shortcutContext() != Qt.ShortcutContext.WidgetShortcut
            and not _leaves_presentation(a)
        ]
        rows = action_shortcuts(actions)
        for button in window.findChildren(QAbstractButton):
            keys = button.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys and not button.text().startswith("&"):
                rows.append((keys, button.text().replace("&", "")))
        rows.append(("Esc", "Leave presentation mode"))  # listed once, last
        return rows + list(PANEL_KEYS)

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.shortcut_rows(), self.window).exec()

    def open_lecture(self) -> bool:
        """Open the lecture in a browser; when none opens, show the address to copy."""
        if QDesktopServices.openUrl(QUrl(LECTURE_URL)):
            return True
        self.status.showMessage(f"No browser opened. The lecture: {LECTURE_URL}", 15000)
        LinkDialog(LECTURE_URL, self.window).exec()
        return False

    def show_about(self) -> None:
        self.dialogs.info(f"About {self.app_name}", ABOUT_TEXT)


def _leaves_presentation(action: QAction) -> bool:
    """Esc, the action that leaves presentation mode."""
    return action.shortcut() == QKeySequence(Qt.Key.Key_Escape)
