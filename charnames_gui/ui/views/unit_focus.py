"""The hidden unit the learner points at, shared by the views: the network picture draws its
column of W1 and row of W2, the forward pass marks its cell, the hidden layer its column."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class UnitFocus(QObject):
    changed = Signal(object)  # int: the unit pointed at; None: none

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unit: int | None = None

    @property
    def unit(self) -> int | None:
        return self._unit

    def set(self, unit: int | None) -> None:
        if unit != self._unit:
            self._unit = unit
            self.changed.emit(unit)
