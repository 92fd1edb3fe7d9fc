"""Every modal question the main window asks, in one replaceable object.

Tests swap in a scripted version, so no test ever blocks on a real dialog."""

from __future__ import annotations

from enum import Enum
from typing import Protocol

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QLabel, QMessageBox, QWidget

from charnames_gui.core.model_file import MODEL_SUFFIX, OPENABLE_SUFFIXES
from charnames_gui.ui.views.plain_text import plain_message_box

MODEL_FILTER = (
    f"Models and weights ({' '.join('*' + s for s in OPENABLE_SUFFIXES)});;"
    f"Charnames models (*{MODEL_SUFFIX});;All files (*)"
)
DATASET_FILTER = "Text files, one name per line (*.txt *.csv *.tsv);;All files (*)"


SCREEN_MARGIN = 40  # pixels left free around a dialog on the smallest screens


def fit_to_screen(dialog: QDialog, preferred: QSize) -> None:
    """Size a dialog to `preferred` (scaled with the text, 0 for "as its content needs"),
    never larger than the free area of the screen it opens on; its labels wrap."""
    for label in dialog.findChildren(QLabel):
        label.setWordWrap(True)
    parent = dialog.parentWidget()
    screen = (parent.screen() if parent is not None else None) or dialog.screen()
    free = screen.availableGeometry().size() if screen else QSize(1024, 600)
    dialog.setMaximumSize(free.width() - SCREEN_MARGIN, free.height() - SCREEN_MARGIN)
    scale = dialog.fontMetrics().height() / 16  # preferred sizes are for ~9-10 pt text
    hint = dialog.sizeHint()
    width = round(preferred.width() * scale) or hint.width()
    height = max(round(preferred.height() * scale) or hint.height(), hint.height())
    dialog.resize(
        min(width, free.width() - SCREEN_MARGIN), min(height, free.height() - SCREEN_MARGIN)
    )


class SaveChoice(Enum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


class RescueChoice(Enum):
    """The answer about a model rescued when the last session ended (session_rescue.py)."""

    OPEN = "open"
    DISCARD = "discard"
    LATER = "later"  # closed the question: asked again at the next start


class AsksUser(Protocol):
    """Every question and message of the window's commands (Dialogs, or a scripted one)."""

    def error(self, title: str, message: str) -> None: ...
    def info(self, title: str, message: str) -> None: ...
    def confirm(self, title: str, message: str, yes_text: str = "OK") -> bool: ...
    def ask_save(self, title: str, message: str) -> SaveChoice: ...
    def ask_rescued(self, title: str, message: str) -> RescueChoice: ...
    def open_path(self, title: str, file_filter: str, folder: str = "") -> str | None: ...
    def save_path(self, title: str, file_filter: str, suggested: str = "") -> str | None: ...
    def get_int(
        self, title: str, label: str, value: int, minimum: int, maximum: int
    ) -> int | None: ...


class Dialogs:
    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def error(self, title: str, message: str) -> None:
        plain_message_box(self.parent, QMessageBox.Icon.Warning, title, message).exec()

    def info(self, title: str, message: str) -> None:
        plain_message_box(self.parent, QMessageBox.Icon.Information, title, message).exec()

    def confirm(self, title: str, message: str, yes_text: str = "OK") -> bool:
        box = plain_message_box(self.parent, QMessageBox.Icon.Question, title, message)
        yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is yes

    def ask_save(self, title: str, message: str) -> SaveChoice:
        box = plain_message_box(self.parent, QMessageBox.Icon.Question, title, message)
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return SaveChoice.SAVE
        if answer == QMessageBox.StandardButton.Discard:
            return SaveChoice.DISCARD
        return SaveChoice.CANCEL

    def ask_rescued(self, title: str, message: str) -> RescueChoice:
        box = plain_message_box(self.parent, QMessageBox.Icon.Question, title, message)
        open_it = box.addButton("Open it", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        later = box.addButton("Ask me next time", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(open_it)
        box.setEscapeButton(later)  # Esc or the title bar's close never discards the work
        box.exec()
        clicked = box.clickedButton()
        if clicked is open_it:
            return RescueChoice.OPEN
        return RescueChoice.DISCARD if clicked is discard else RescueChoice.LATER

    def open_path(self, title: str, file_filter: str, folder: str = "") -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, title, folder, file_filter)
        return path or None

    def save_path(self, title: str, file_filter: str, suggested: str = "") -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.parent, title, suggested, file_filter)
        return path or None

    def get_int(self, title: str, label: str, value: int, minimum: int, maximum: int) -> int | None:
        dialog = int_dialog(self.parent, title, label, value, minimum, maximum)
        ok = dialog.exec() == QDialog.DialogCode.Accepted
        number = dialog.intValue()
        dialog.deleteLater()
        return number if ok else None


INT_DIALOG_TEXT_WIDTH = 460  # px: a long question wraps, so the dialog fits a 1024 px screen


def int_dialog(
    parent: QWidget | None, title: str, label: str, value: int, minimum: int, maximum: int
) -> QInputDialog:
    """QInputDialog.getInt's dialog with its question wrapped (QInputDialog does not wrap
    its label: a paragraph made the repeat dialog 1336 px wide)."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setInputMode(QInputDialog.InputMode.IntInput)
    dialog.setIntRange(minimum, maximum)
    dialog.setIntValue(value)
    for text in dialog.findChildren(QLabel):
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        text.setMinimumWidth(min(INT_DIALOG_TEXT_WIDTH, text.sizeHint().width()))
        text.setMaximumWidth(INT_DIALOG_TEXT_WIDTH)
    fit_to_screen(dialog, QSize(INT_DIALOG_TEXT_WIDTH, 0))
    return dialog
