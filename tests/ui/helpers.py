"""Test doubles for the GUI: dialogs that answer from a script instead of blocking."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from charnames_gui.ui.window.dialogs import SaveChoice


@dataclass
class ScriptedDialogs:
    """Records every message; answers questions from its fields."""

    save_choice: SaveChoice = SaveChoice.DISCARD
    confirm_answer: bool = True
    open_paths: list[str] = field(default_factory=list)  # returned in order by open_path
    save_paths: list[str] = field(default_factory=list)  # returned in order by save_path
    errors: list[tuple[str, str]] = field(default_factory=list)
    infos: list[tuple[str, str]] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    int_answer: int | None = None  # what get_int returns (None: cancelled)

    def error(self, title: str, message: str) -> None:
        self.errors.append((title, message))

    def info(self, title: str, message: str) -> None:
        self.infos.append((title, message))

    def confirm(self, title: str, message: str, yes_text: str = "OK") -> bool:
        self.questions.append(message)
        return self.confirm_answer

    def ask_save(self, title: str, message: str) -> SaveChoice:
        self.questions.append(message)
        return self.save_choice

    def open_path(self, title: str, file_filter: str, folder: str = "") -> str | None:
        return self.open_paths.pop(0) if self.open_paths else None

    def save_path(self, title: str, file_filter: str, suggested: str = "") -> str | None:
        return self.save_paths.pop(0) if self.save_paths else None

    def get_int(self, title: str, label: str, value: int, minimum: int, maximum: int) -> int | None:
        self.questions.append(label)
        return self.int_answer


def wheel_down(widget: QWidget) -> None:
    """One notch of the mouse wheel, downwards, over the middle of widget."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, -120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)
