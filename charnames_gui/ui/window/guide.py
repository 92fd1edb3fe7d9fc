"""Help windows: the guide (the lecture's steps), the keyboard shortcuts (read from the
window's actions, so the list stays true) and the lecture's link when no browser opens.

Each is a small dialog that fits the screen it opens on and closes with Esc."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.guide_text import guide_steps, notebook_section
from charnames_gui.ui.background import BackgroundJob
from charnames_gui.ui.window.dialogs import fit_to_screen

if TYPE_CHECKING:
    from charnames_gui.core.data import Dataset
    from charnames_gui.core.guide_facts import GuideFacts
    from charnames_gui.core.vocabulary import Vocabulary

# Keys handled by the panels themselves rather than by an action (sampling, runs table)
PANEL_KEYS: tuple[tuple[str, str], ...] = (
    ("Right / Left (Sampling panel)", "Step / Back, while the sampling panel has focus"),
    ("Tab / Shift+Tab", "Move between fields and buttons"),
    ("Up / Down, Page Up / Page Down", "Change the number in a field"),
    ("Delete (Runs table)", "Delete the selected runs"),
)


def guide_html(facts: GuideFacts | None = None) -> str:
    parts = ["<h2>Following the lecture, step by step</h2><ol>"]
    for step in guide_steps(facts):
        preset = f" Experiment: <b>{html.escape(step.preset)}</b>." if step.preset else ""
        parts.append(
            f"<li><p><b>{html.escape(step.title)}</b>.{preset} {html.escape(step.do)}<br>"
            f"<i>Look for:</i> {html.escape(step.look_for)}</p></li>"
        )
    parts.append("</ol>")
    title, paragraphs = notebook_section(facts)
    parts.append(f"<h3>{html.escape(title)}</h3>")
    for paragraph in paragraphs:
        text = html.escape(paragraph)
        for code in ("torch.manual_seed(2147483648)", "charnames train --engine autograd"):
            text = text.replace(code, f"<code>{code}</code>")
        parts.append(f"<p>{text}</p>")
    return "".join(parts)


def _close_buttons(dialog: QDialog) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
    return buttons


def _guide_facts(
    dataset: Dataset, model: object, vocab: Vocabulary | None, should_stop: Callable[[], bool]
) -> GuideFacts:
    from charnames_gui.core.guide_facts import guide_facts  # torch is loaded (a dataset)

    return guide_facts(dataset, model, vocab, should_stop=should_stop)


class GuideDialog(QDialog):
    """The guide; given the open dataset (and torch loaded), its figures are that dataset's,
    computed on a thread while the general text shows."""

    def __init__(
        self,
        parent: QWidget | None = None,
        dataset: Dataset | None = None,
        model: object = None,
        vocab: Vocabulary | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Guide: following the lecture")
        self.text = QTextBrowser()
        self.text.setAccessibleName("Guide")
        self.text.setOpenExternalLinks(True)
        self.text.setHtml(guide_html())
        self.facts: GuideFacts | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(_close_buttons(self))
        fit_to_screen(self, QSize(640, 620))
        # the figures (a few model losses and samples: up to a second on a busy machine),
        # computed off the GUI thread; if they cannot be, the general text stays
        self._job: BackgroundJob | None = None
        if dataset is not None:

            def closed() -> bool:  # the dialog closed: the seeds' training ends early
                return self._job is not None and self._job.cancelled

            self._job = BackgroundJob(
                _guide_facts, dataset, model, vocab, closed, name="guide-facts", parent=self
            )
            self._job.returned.connect(self._show_facts)
            self._job.start()

    def _show_facts(self, facts: GuideFacts) -> None:
        self.facts = facts
        bar = self.text.verticalScrollBar()
        position = bar.value()
        self.text.setHtml(guide_html(facts))
        bar.setValue(position)

    def done(self, result: int) -> None:
        if self._job is not None:
            self._job.wait()  # cancels it first; never left running behind the dialog
        super().done(result)


def action_shortcuts(actions: list[QAction]) -> list[tuple[str, str]]:
    """(keys, what) for every action with a shortcut, in the order given, without the
    menus' '&' markers."""
    rows = []
    for action in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        keys = [k for k in keys if k]
        if keys:
            rows.append((" or ".join(keys), action.text().replace("&", "")))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(rows), 2)
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Keys", "Does"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (keys, what) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(keys))
            self.table.setItem(i, 1, QTableWidgetItem(what))
        # the keys as wide as they need, the descriptions the rest of the width: a narrow
        # dialog (1024 x 600, large text) wraps a long description onto more lines, each row
        # as high as its text, rather than cutting it or scrolling sideways
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(_close_buttons(self))
        fit_to_screen(self, QSize(560, 560))

    def rows(self) -> list[tuple[str, str]]:
        def text(row: int, column: int) -> str:
            item = self.table.item(row, column)
            return item.text() if item is not None else ""

        return [(text(i, 0), text(i, 1)) for i in range(self.table.rowCount())]


class LinkDialog(QDialog):
    """No browser opened: say so, and show the address to copy."""

    def __init__(self, url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("The lecture")
        message = QLabel(
            "No web browser opened. Copy this address into a browser to watch the lecture:"
        )
        message.setWordWrap(True)
        self.address = QLineEdit(url)
        self.address.setReadOnly(True)
        self.address.setAccessibleName("The lecture's address")
        self.address.selectAll()
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addWidget(self.address)
        layout.addWidget(_close_buttons(self))
        self.address.setFocus(Qt.FocusReason.OtherFocusReason)
        fit_to_screen(self, QSize(520, 0))
