"""Scrolling a panel of fields with the mouse wheel scrolls the panel, not the fields.

Qt's spin boxes and combo boxes take every wheel event over them: scrolling down the training
panel would change "Hidden units" from 200 to 50 (and so make a new model) as soon as one
passed under the pointer. Guarded, a field the learner has not clicked into passes the wheel
on to the panel's scroll bar; a focused field still steps with the wheel.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QScrollArea, QWidget


class WheelGuard(QObject):
    """Installed on the fields inside one scroll area (see guard_fields)."""

    def __init__(self, area: QScrollArea) -> None:
        super().__init__(area)
        self._area = area

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Wheel
            and isinstance(watched, QWidget)
            and not watched.hasFocus()
        ):
            # the panel scrolls instead (the scroll bar takes the event as the area would)
            self._area.verticalScrollBar().event(event)
            return True
        return False


def guard_fields(area: QScrollArea) -> WheelGuard:
    """Guard every spin box and combo box now inside `area`; they also stop taking the
    focus from the wheel, so only a click or Tab puts one under the wheel's control."""
    guard = WheelGuard(area)
    content = area.widget()
    fields: list[QWidget] = []
    if content is not None:
        fields = [*content.findChildren(QAbstractSpinBox), *content.findChildren(QComboBox)]
    for field in fields:
        field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        field.installEventFilter(guard)
    return guard
