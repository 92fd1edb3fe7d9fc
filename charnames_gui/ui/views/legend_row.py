"""A plot's legend as a row of text above the plot: it never covers the data, follows the
zoom like any text, and wraps onto more lines when the plot is narrow; when even that takes
more than FULL_LINES lines, the entries' short texts are shown (the full ones in the tooltip)."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QResizeEvent, QTextDocument
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


FULL_LINES = 2  # more lines than this with the full texts: the short ones are shown


@dataclass(frozen=True)
class LegendEntry:
    text: str
    colour: QColor
    mark: Mark = "line"
    short: str = ""  # the text when the row is narrow (a small screen, large text); "": text

    def shown(self, short: bool) -> str:
        return self.short if short and self.short else self.text


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
        self._fit(self.width())

    def is_short(self) -> bool:
        """The short texts are shown (the full ones took more than FULL_LINES lines)."""
        return self._short

    _short = False

    def _html(self, short: bool) -> str:
        parts = []
        for entry in self._entries:
            # non-breaking spaces keep each mark with its text; lines break between entries
            text = html.escape(entry.shown(short)).replace(" ", "&nbsp;")
            parts.append(
                f"<span style='white-space:nowrap'><span style='color:{entry.colour.name()}'>"
                f"{_MARKS[entry.mark]}</span>&nbsp;{text}</span>"
            )
        return " &nbsp; ".join(parts)

    def _lines(self, width: int, short: bool) -> int:
        """How many lines the entries take at this width (packed as the label wraps them)."""
        metrics = QFontMetricsF(self.font())
        room = width - self.contentsMargins().left() - self.contentsMargins().right()
        gap = metrics.horizontalAdvance("   ")
        lines, used = 1, 0.0
        for entry in self._entries:
            wide = metrics.horizontalAdvance(f"{_MARKS[entry.mark]} {entry.shown(short)}")
            if used > 0 and used + gap + wide > room:
                lines, used = lines + 1, wide
            else:
                used += (gap if used > 0 else 0) + wide
        return lines

    def _short_at(self, width: int) -> bool:
        if width <= 0 or not any(e.short for e in self._entries):
            return False
        return self._lines(width, False) > FULL_LINES

    def _fit(self, width: int) -> None:
        self._short = self._short_at(width)
        self.setToolTip(" · ".join(e.text for e in self._entries) if self._short else "")
        text = self._html(self._short)
        if text != self.text():
            self.setText(text)

    def heightForWidth(self, width: int) -> int:
        if self._short_at(width) == self._short:
            return super().heightForWidth(width)
        document = QTextDocument()  # the other texts' height, without setting them
        document.setDefaultFont(self.font())
        document.setDocumentMargin(0)
        margins = self.contentsMargins()
        document.setTextWidth(width - margins.left() - margins.right())
        document.setHtml(self._html(not self._short))
        return math.ceil(document.size().height()) + margins.top() + margins.bottom()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit(event.size().width())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed
            self._fit(self.width())

    def texts(self) -> list[str]:
        return [e.text for e in self._entries]
