"""Test doubles for the GUI: dialogs that answer from a script instead of blocking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QToolButton, QWidget

from charnames_gui.ui.views.name_list import GeneratedNames, ScoreBox
from charnames_gui.ui.views.sampling_bars import ContextWindow, ProbabilityBars
from charnames_gui.ui.window.dialogs import RescueChoice, SaveChoice

W = TypeVar("W", bound=QWidget)


def named(parent: QWidget, kind: type[W], name: str) -> W:
    """The one child widget of this type with this accessible name (what a screen reader, and
    a learner, knows it by): tests find a panel's parts the way users do."""
    found = [w for w in parent.findChildren(kind) if w.accessibleName() == name]
    assert len(found) == 1, f"{len(found)} {kind.__name__} named {name!r}"
    return found[0]


def only(parent: QWidget, kind: type[W]) -> W:
    """The one child widget of this type (a view inside a panel)."""
    found = parent.findChildren(kind)
    assert len(found) == 1, f"{len(found)} {kind.__name__}"
    return found[0]


# The sampling panel's parts, found the way a learner knows them (by their names) or as the
# one view of their kind; what the panel shows is SamplingPanel.shown().
def step_buttons(panel: QWidget) -> list[QToolButton]:
    """Step, Finish name, Back and New name, in that order."""
    return [named(panel, QToolButton, n) for n in ("Step", "Finish name", "Back", "New name")]


def bars_of(panel: QWidget) -> ProbabilityBars:
    return only(panel, ProbabilityBars)


def context_window_of(panel: QWidget) -> ContextWindow:
    return only(panel, ContextWindow)


def name_list_of(panel: QWidget) -> GeneratedNames:
    return only(panel, GeneratedNames)


def score_box_of(panel: QWidget) -> ScoreBox:
    return only(panel, ScoreBox)


@dataclass
class ScriptedDialogs:
    """Records every message; answers questions from its fields."""

    save_choice: SaveChoice = SaveChoice.DISCARD
    rescue_choice: RescueChoice = RescueChoice.LATER  # what ask_rescued answers
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

    def ask_rescued(self, title: str, message: str) -> RescueChoice:
        self.questions.append(message)
        return self.rescue_choice

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
