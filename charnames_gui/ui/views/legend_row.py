"""A plot's legend as a row of text above the plot: it never covers the data, follows the
zoom like any text, and wraps onto more lines when the plot is narrow."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

Mark = Literal["line", "dash", "dots", "dot", "triangle", "vdash"]
_MARKS: dict[str, str] = {
    "line": "━━",
    "dash": "╺╸╺╸",
    "dots": "┈┈",
    "dot": "●",
    "triangle": "▲",
    "vdash": "┆",  # a vertical dashed line
}


@dataclass(frozen=True)
class LegendEntry:
    text: str
    colour: QColor
    mark: Mark = "line"


class LegendRow(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAccessibleName("Legend")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.setContentsMargins(4, 0, 4, 0)
        self._entries: list[LegendEntry] = []

    def set_entries(self, entries: list[LegendEntry]) -> None:
        if entries == self._entries:
            return  # a relayout of the window costs a frame: only when the text changes
        self._entries = list(entries)
        parts = []
        for entry in entries:
            # non-breaking spaces keep each mark with its text; lines break between entries
            text = html.escape(entry.text).replace(" ", "&nbsp;")
            parts.append(
                f"<span style='white-space:nowrap'><span style='color:{entry.colour.name()}'>"
                f"{_MARKS[entry.mark]}</span>&nbsp;{text}</span>"
            )
        self.setText(" &nbsp; ".join(parts))

    def texts(self) -> list[str]:
        return [e.text for e in self._entries]
