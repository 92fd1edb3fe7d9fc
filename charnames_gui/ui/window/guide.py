"""Help windows: the guide (the lecture's steps), the keyboard shortcuts (read from the
window's actions, so the list stays true) and the lecture's link when no browser opens.

Each is a small dialog that fits the screen it opens on and closes with Esc."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.guide_text import NOTEBOOK_SECTION, STEPS
from charnames_gui.ui.window.dialogs import fit_to_screen

# Keys handled by the panels themselves rather than by an action (sampling, runs table)
PANEL_KEYS: tuple[tuple[str, str], ...] = (
    ("Right / Left (Sampling panel)", "Step / Back, while the sampling panel has focus"),
    ("Tab / Shift+Tab", "Move between fields and buttons"),
    ("Up / Down, Page Up / Page Down", "Change the number in a field"),
    ("Delete (Runs table)", "Delete the selected runs"),
)


def guide_html() -> str:
    parts = ["<h2>Following the lecture, step by step</h2><ol>"]
    for step in STEPS:
        preset = f" Experiment: <b>{html.escape(step.preset)}</b>." if step.preset else ""
        parts.append(
            f"<li><p><b>{html.escape(step.title)}</b>.{preset} {html.escape(step.do)}<br>"
            f"<i>Look for:</i> {html.escape(step.look_for)}</p></li>"
        )
    parts.append("</ol>")
    title, paragraphs = NOTEBOOK_SECTION
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


class GuideDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Guide: following the lecture")
        self.text = QTextBrowser()
        self.text.setAccessibleName("Guide")
        self.text.setOpenExternalLinks(True)
        self.text.setHtml(guide_html())
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(_close_buttons(self))
        fit_to_screen(self, QSize(640, 620))


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
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
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
