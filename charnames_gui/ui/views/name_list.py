"""Whole names in the sampling panel: the list of generated names (marked as seen in training,
in dev/test, or new) and the scoring of a name the learner types."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.atomic import atomic_write
from charnames_gui.core.data import MAX_WORD_LENGTH
from charnames_gui.core.display import display_char, display_text, format_probability
from charnames_gui.core.errors import CharnamesError
from charnames_gui.ui.views.plain_text import plain_tooltip, tooltip_text

if TYPE_CHECKING:  # torch-backed: imported at the first model
    from charnames_gui.core.sampling import Sampler
    from charnames_gui.core.session import CompletedName

MAX_SHOWN_NAME = 32  # characters of a scored name written out; longer ones are elided
MAX_LISTED = 5000  # auto-play can run for hours; the oldest names drop off the list
UNKNOWN = "dataset unknown"
MARK_COLORS = {"train": "#7f7f7f", "dev/test": "#1f5fa8", "new": "#2a8a3e", UNKNOWN: "#7f7f7f"}
MARK_TIPS = {
    "train": "This exact name is in the training set: the model may have memorised it.",
    "dev/test": "This name is in the dev or test set: real, but the model never trained on it.",
    "new": "Not in the dataset: the model made it up.",
    UNKNOWN: "The model was loaded without its dataset, so we cannot tell whether the name "
    "is in it. Open the dataset it was trained on to see the marks.",
}


def mark_for(name: str, which: Mapping[str, str] | None) -> str:
    """'train', 'dev/test', 'new', or 'dataset unknown' when `which` (word -> split) is None."""
    if which is None:
        return UNKNOWN
    split = which.get(name)
    if split is None:
        return "new"
    return "train" if split == "train" else "dev/test"


def _format_nll(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.2f}"


def _text(item: QTableWidgetItem | None) -> str:
    return item.text() if item is not None else ""


def _read_only(text: str, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class _Table(QTableWidget):
    """A table whose rows are as tall as a line of its text, at every zoom."""

    def __init__(self, rows: int, columns: int) -> None:
        super().__init__(rows, columns)
        self._fit_rows()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed
            self._fit_rows()

    def _fit_rows(self) -> None:
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)


class GeneratedNames(QWidget):
    """A table of the names generated so far, with their mark and negative log-likelihood.

    nameActivated(name) is emitted on double-click or Enter (the panel scores that name).
    """

    nameActivated = Signal(str)
    COLUMNS = ("name", "split", "NLL", "NLL / char")  # split: train, dev/test, new

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: list[CompletedName] = []
        self._which: Mapping[str, str] | None = None

        self._summary = QLabel()
        self._summary.setAccessibleName("Generated names summary")
        self._summary.setWordWrap(True)  # a narrow dock at large zoom: no sideways scrolling
        self._summary.setToolTip(
            "How many generated names are copies of training names, real names the model "
            "never saw (dev/test), or new. Many exact training names suggests memorising."
        )
        self._table = _Table(0, len(self.COLUMNS))
        self._table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self._table.verticalHeader().setVisible(False)
        self._table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.setWordWrap(False)
        self._table.setTextElideMode(Qt.TextElideMode.ElideRight)  # long names: "abcd…"
        header = self._table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self._table.setAccessibleName("Generated names")
        self._table.setToolTip(
            "Each completed name, whether it is in the dataset, and its negative "
            "log-likelihood: -sum(log p) of the probabilities its characters (and its end) were "
            "drawn with. Lower means the model found it more likely. Double-click a name (or "
            "press Enter) to score it character by character."
        )
        self._table.cellDoubleClicked.connect(self._activate_row)
        self._table.activated.connect(lambda index: self._activate_row(index.row(), 0))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._summary)
        layout.addWidget(self._table)
        self._update_summary()

    # -- entries ----------------------------------------------------------------------------
    def add(self, entry: CompletedName) -> None:
        self._entries.append(entry)
        if len(self._entries) > MAX_LISTED:
            del self._entries[0]
            self._table.removeRow(0)
        row = self._table.rowCount()
        self._table.insertRow(row)
        self._fill_row(row, entry)
        self._table.scrollToBottom()
        self._update_summary()

    def clear(self) -> None:
        self._entries.clear()
        self._table.setRowCount(0)
        self._update_summary()

    def set_split(self, which: Mapping[str, str] | None) -> None:
        """word -> 'train' | 'dev' | 'test', or None when the dataset is unknown."""
        self._which = which
        for row, entry in enumerate(self._entries):
            self._fill_row(row, entry)
        self._update_summary()

    def entries(self) -> list[CompletedName]:
        return list(self._entries)

    def names(self) -> list[str]:
        return [e.text for e in self._entries]

    def marks(self) -> list[str]:
        return [mark_for(e.text, self._which) for e in self._entries]

    def row_texts(self, row: int) -> list[str]:
        """What each column of `row` shows (name, split, NLL, NLL / char)."""
        return [_text(self._table.item(row, c)) for c in range(self._table.columnCount())]

    def row_tooltip(self, row: int) -> str:
        """The tooltip of the name in `row`: the whole name, and how it came."""
        item = self._table.item(row, 0)
        return tooltip_text(item.toolTip()) if item is not None else ""

    def row_height(self) -> int:
        """The height of a row of the table, in pixels (it follows the zoom)."""
        return self._table.verticalHeader().defaultSectionSize()

    def elide_mode(self) -> Qt.TextElideMode:
        return self._table.textElideMode()

    def summary_text(self) -> str:
        return self._summary.text()

    def activate(self, row: int) -> None:
        """What a double-click on `row` does: score that name."""
        self._activate_row(row, 0)

    def _fill_row(self, row: int, entry: CompletedName) -> None:
        mark = mark_for(entry.text, self._which)
        shown = display_text(entry.text)
        name = _read_only(shown or "(empty)")
        notes = [f"'{shown}'" + (f" (as typed: {entry.text!r})" if shown != entry.text else "")]
        if entry.edited:
            notes.append("you chose some of its characters")
        if entry.cut:
            notes.append("cut at the length limit: the model never drew the end token")
        if entry.edited or entry.cut:
            font = name.font()
            font.setItalic(True)
            name.setFont(font)
        tip = ": ".join([notes[0], "; ".join(notes[1:])]) if len(notes) > 1 else notes[0]
        name.setToolTip(plain_tooltip(tip))  # a name may hold "<"
        label = mark + (" · edited" if entry.edited else "") + (" · cut" if entry.cut else "")
        where = _read_only(label)
        where.setForeground(QColor(MARK_COLORS[mark]))
        where.setToolTip(MARK_TIPS[mark])
        self._table.setItem(row, 0, name)
        self._table.setItem(row, 1, where)
        self._table.setItem(row, 2, _read_only(_format_nll(entry.nll), align_right=True))
        self._table.setItem(row, 3, _read_only(_format_nll(entry.nll_per_char), True))

    def _update_summary(self) -> None:
        if not self._entries:
            self._summary.setText("No names yet: press Finish name or Sample 20.")
            return
        marks = self.marks()
        n = len(marks)
        if self._which is None:
            self._summary.setText(
                f"{n} name{'s' if n > 1 else ''} (dataset unknown: cannot tell which are new)"
            )
            return
        counts = {m: marks.count(m) for m in ("train", "dev/test", "new")}
        self._summary.setText(
            f"{n} name{'s' if n > 1 else ''}: {counts['train']} in train, "
            f"{counts['dev/test']} in dev/test, {counts['new']} new"
        )

    def _activate_row(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._entries) and self._entries[row].text:
            self.nameActivated.emit(self._entries[row].text)

    # -- copy and export --------------------------------------------------------------------
    def selected_or_all(self) -> list[str]:
        rows = sorted({index.row() for index in self._table.selectedIndexes()})
        if rows:
            return [self._entries[r].text for r in rows]
        return self.names()

    def copy_to_clipboard(self) -> int:
        """Copy the selected names (all if none is selected), one per line; returns how many."""
        names = self.selected_or_all()
        QGuiApplication.clipboard().setText("\n".join(names) + ("\n" if names else ""))
        return len(names)

    def export(self, path: str | Path) -> int:
        """Write every listed name, one per line (a file the app can open as a dataset).
        Raises FileAccessError (one line) if the file cannot be written, leaving the old file
        whole; returns how many names were written."""
        names = self.names()
        atomic_write(path, "".join(n + "\n" for n in names))
        return len(names)


class ScoreBox(QWidget):
    """Type any name and see, per character, the probability the model gives it, and the
    name's total negative log-likelihood."""

    COLUMNS = ("the model saw", "next", "probability", "-log p")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sampler: Sampler | None = None

        self._edit = QLineEdit()
        self._edit.setMaxLength(MAX_WORD_LENGTH)
        self._edit.setPlaceholderText("type a name, e.g. emma")
        self._edit.setClearButtonEnabled(True)
        self._edit.setAccessibleName("Name to score")
        self._edit.setToolTip(
            "Type any name: the table shows, for each character and for the end of the name, "
            "the probability the model gives it after the characters before it."
        )
        self._edit.textChanged.connect(self._rescore)
        self._result = QLabel()
        self._result.setTextFormat(Qt.TextFormat.PlainText)  # the typed name is data
        self._result.setWordWrap(True)
        self._result.setAccessibleName("Score of the name")
        self._result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._table = _Table(0, len(self.COLUMNS))
        self._table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self._table.verticalHeader().setVisible(False)
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.setWordWrap(False)
        self._table.setTextElideMode(Qt.TextElideMode.ElideLeft)  # a long context keeps its end
        header = self._table.horizontalHeader()
        # Columns as wide as their header and contents: a narrow panel scrolls, never clips.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self._table.setAccessibleName("Probability of each character of the name")
        self._table.setToolTip(
            "One row per prediction: the context the model saw (block_size characters, '.' "
            "padding the start), the character that actually comes next, its probability, and "
            "-log p, its share of the negative log-likelihood. The shading grows with p."
        )

        top = QHBoxLayout()
        top.addWidget(QLabel("Name:"))
        top.addWidget(self._edit, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self._result)
        layout.addWidget(self._table, 1)
        self._rescore()

    def set_sampler(self, sampler: Sampler | None) -> None:
        """Score with these weights (rescoring the typed name: watch it improve in training)."""
        self._sampler = sampler
        self._edit.setEnabled(sampler is not None)
        self._rescore()

    def set_name(self, name: str) -> None:
        self._edit.setText(name)

    @property
    def name_field(self) -> QLineEdit:
        return self._edit

    def header_fits(self) -> bool:
        """Every column header is shown whole (none clipped)."""
        header = self._table.horizontalHeader()
        metrics = header.fontMetrics()
        return all(
            header.sectionSize(c) >= metrics.horizontalAdvance(self.COLUMNS[c]) + 8
            for c in range(len(self.COLUMNS))
        )

    def rows(self) -> list[tuple[str, str, float]]:
        """(context, next character, probability) of each row shown."""
        cells = [[self._table.item(r, c) for c in range(3)] for r in range(self._table.rowCount())]
        return [
            (context.text(), char.text(), float(prob.data(Qt.ItemDataRole.UserRole)))
            for context, char, prob in cells
            if context is not None and char is not None and prob is not None
        ]

    def result_text(self) -> str:
        return self._result.text()

    def result_tooltip(self) -> str:
        return tooltip_text(self._result.toolTip())

    def shown_probabilities(self) -> list[str]:
        """The probability column as written."""
        return [_text(self._table.item(r, 2)) for r in range(self._table.rowCount())]

    def _rescore(self) -> None:
        name = self._edit.text()
        self._table.setRowCount(0)
        if self._sampler is None:
            self._result.setText("No model to score with.")
            return
        if not name.strip():
            self._result.setText("Type a name to see how likely the model finds it.")
            return
        from charnames_gui.core.sampling import name_to_score  # a sampler: torch is loaded

        scored, note = name_to_score(self._sampler.vocab, name)
        try:
            scores, nll = self._sampler.score(scored)
        except CharnamesError as exc:
            known = "".join(display_char(c) for c in self._sampler.vocab.itos[1:])
            self._result.setText(f"{exc}. The model knows only these characters: {known}")
            return
        self._table.setRowCount(len(scores))
        for row, s in enumerate(scores):
            context = "".join(display_char(c) for c in s.context)
            nxt = display_char(s.character)
            if s.character == self._sampler.vocab.boundary:
                nxt += "  (end)"
            p_item = _read_only(format_probability(s.probability, 4), align_right=True)
            p_item.setData(Qt.ItemDataRole.UserRole, s.probability)
            p_item.setBackground(QColor(76, 114, 176, int(40 + 160 * s.probability)))
            minus_log = -math.log(s.probability) if s.probability > 0 else math.inf
            self._table.setItem(row, 0, _read_only(context))
            self._table.setItem(row, 1, _read_only(nxt))
            self._table.setItem(row, 2, p_item)
            self._table.setItem(row, 3, _read_only(_format_nll(minus_log), align_right=True))
        per_char = nll / len(scores)
        uniform = math.log(self._sampler.vocab.size)
        shown = display_text(scored)
        if len(shown) > MAX_SHOWN_NAME:  # elided; the tooltip has it whole
            shown = shown[: MAX_SHOWN_NAME - 1] + "…"
        self._result.setToolTip(plain_tooltip(f"'{display_text(scored)}'"))
        self._result.setText(
            (f"{note}. " if note else "")
            + f"NLL of '{shown}': {_format_nll(nll)} over {len(scores)} predictions "
            f"({_format_nll(per_char)} per character; a model guessing uniformly would score "
            f"{uniform:.2f})"
        )
