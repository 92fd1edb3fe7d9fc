"""Text from files and data shown as typed, never as HTML.

Qt reads a label's, message box's or tooltip's text as rich text when it looks like HTML
(any tag in its first line): a dataset named "<img src=x width=700 height=400000>" made a
dialog 400,111 px tall and 1.5 GB. Labels that show data use Qt.TextFormat.PlainText; the
two helpers here do the same for message boxes and tooltips."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def plain_message_box(
    parent: QWidget | None, icon: QMessageBox.Icon, title: str, message: str
) -> QMessageBox:
    """A message box whose text is shown as typed (exec() it)."""
    box = QMessageBox(icon, title, "", parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(message)
    return box


_TIP_START, _TIP_END = "<p style='white-space:pre-wrap'>", "</p>"


def plain_tooltip(text: str) -> str:
    """A tooltip (always read as HTML when it looks like it) that shows `text` as typed."""
    return _TIP_START + html.escape(text) + _TIP_END


def tooltip_text(tooltip: str) -> str:
    """What a tooltip made by plain_tooltip shows (other tooltips as they are)."""
    if tooltip.startswith(_TIP_START) and tooltip.endswith(_TIP_END):
        return html.unescape(tooltip[len(_TIP_START) : -len(_TIP_END)])
    return tooltip
