"""Untrusted text (file names, dataset names, model metadata) is shown as typed, never as
HTML: a tag in a dataset's name cannot make a dialog 400,000 px tall."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from charnames_gui.ui.views.plain_text import plain_tooltip, tooltip_text
from charnames_gui.ui.window.dialogs import Dialogs, SaveChoice

HOSTILE = "<img src=x width=700 height=400000> names.txt"


def _inspect_modal(seen: dict[str, object], button: QMessageBox.StandardButton | None) -> None:
    box = QApplication.activeModalWidget()
    assert isinstance(box, QMessageBox)
    seen["height"] = box.sizeHint().height()
    seen["format"] = box.textFormat()
    seen["texts"] = [label.text() for label in box.findChildren(QLabel)]
    if button is not None:
        box.button(button).click()
    else:
        box.done(0)


def test_message_boxes_show_html_as_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    parent = QWidget()
    qtbot.addWidget(parent)
    dialogs = Dialogs(parent)
    for ask in (
        lambda: dialogs.error("Test set not evaluated", HOSTILE),
        lambda: dialogs.info("Model", HOSTILE),
        lambda: dialogs.confirm("Replace", HOSTILE),
    ):
        seen: dict[str, object] = {}
        QTimer.singleShot(0, lambda seen=seen: _inspect_modal(seen, None))
        ask()
        assert seen["format"] == Qt.TextFormat.PlainText
        assert HOSTILE in seen["texts"]  # type: ignore[operator]
        assert seen["height"] < 1000  # type: ignore[operator]
    seen = {}
    QTimer.singleShot(0, lambda: _inspect_modal(seen, QMessageBox.StandardButton.Discard))
    assert dialogs.ask_save("Unsaved model", HOSTILE) is SaveChoice.DISCARD
    assert seen["format"] == Qt.TextFormat.PlainText


def test_tooltips_show_html_as_text() -> None:
    tip = plain_tooltip(HOSTILE)
    assert "<img" not in tip and tooltip_text(tip) == HOSTILE
