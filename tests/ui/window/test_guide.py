"""Help: the guide, the keyboard shortcuts (read from the actions) and the lecture's link."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QStyle

from charnames_gui.guide_text import LECTURE_URL, STEPS, guide_markdown
from charnames_gui.ui.window.guide import GuideDialog, ShortcutsDialog, guide_html
from charnames_gui.ui.window.main_window import MainWindow


def test_guide_follows_the_lecture_in_order() -> None:
    titles = [s.title for s in STEPS]
    assert titles == ["A first model", "A larger hidden layer", "The embedding plot",
                      "A larger embedding", "Finding a learning rate", "Learning-rate decay",
                      "How far can one loss be trusted? (1:10:43)", "Sampling"]  # fmt: skip
    from charnames_gui.core.presets import PRESETS

    names = {p.name for p in PRESETS}
    assert all(s.preset in names for s in STEPS if s.preset)  # presets that exist
    text = guide_markdown()
    assert "--engine autograd" in text and "torch.manual_seed(2147483648)" in text
    assert "182,441 / 22,902 / 22,803" in text and "182,625 / 22,655 / 22,866" in text
    assert all(s.look_for in guide_html() or s.look_for.replace("'", "&#x27;") in guide_html()
               for s in STEPS)  # fmt: skip


def test_guide_dialog_fits_and_closes_with_escape(qtbot, window: MainWindow) -> None:
    dialog = GuideDialog(window)
    qtbot.addWidget(dialog)
    screen = window.screen().availableGeometry()
    assert dialog.width() <= screen.width() and dialog.height() <= screen.height()
    dialog.show()
    qtbot.keyClick(dialog, QKeySequence("Esc")[0].key())
    assert not dialog.isVisible()


def test_every_shortcut_is_listed(qtbot, window: MainWindow) -> None:
    rows = window.help_commands.shortcut_rows()
    listed = dict((what, keys) for keys, what in rows)
    leave = window.menus.action("leave_presentation")
    for action in window.actions():
        if not action.shortcut().isEmpty() and action is not leave:
            assert action.text().replace("&", "") in listed, action.text()
    assert "Ctrl+=" in listed["Zoom in"] and listed["Presentation mode"] == "F11"
    assert listed["Start / Pause"] == "Space"
    dialog = ShortcutsDialog(rows, window)
    qtbot.addWidget(dialog)
    assert dialog.rows() == rows


def test_a_narrow_shortcuts_list_wraps_its_rows(qtbot, window: MainWindow) -> None:
    """In a narrow dialog (a small screen, large text) a long row wraps onto more lines
    rather than being cut or scrolling sideways."""
    dialog = ShortcutsDialog(window.help_commands.shortcut_rows(), window)
    qtbot.addWidget(dialog)
    dialog.resize(320, 500)
    dialog.show()
    qtbot.waitExposed(dialog)
    table = dialog.table
    metrics = table.fontMetrics()
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    wrapped = 0
    for row in range(table.rowCount()):
        for column in range(2):
            item = table.item(row, column)
            assert item is not None
            cell = table.visualItemRect(item)
            flags = Qt.TextFlag.TextWordWrap
            needed = metrics.boundingRect(
                QRect(0, 0, cell.width() - 2 * margin, 10_000), flags, item.text()
            )
            assert needed.height() <= cell.height(), (item.text(), needed, cell)
            wrapped += needed.height() > metrics.height()
    assert wrapped > 0  # (the dialog is narrow enough for some rows to wrap)
    assert table.columnWidth(0) + table.columnWidth(1) <= table.viewport().width()


def test_lecture_link_without_a_browser_shows_the_address(
    qtbot, window: MainWindow, monkeypatch
) -> None:
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    seen: list[str] = []

    def read_and_close() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QDialog)
        field = dialog.findChild(QLineEdit)
        seen.append(field.text())
        assert field.isReadOnly()  # selectable, for copying
        dialog.reject()

    QTimer.singleShot(0, read_and_close)
    assert window.help_commands.open_lecture() is False
    assert seen == [LECTURE_URL]
    assert LECTURE_URL in window.statusBar().currentMessage()


def test_the_guide_shows_the_open_datasets_figures(qtbot, window: MainWindow) -> None:
    """Computed on a thread (a second on a busy machine), then shown in place of the
    general text; the dialog never leaves its thread running."""
    c = window.controller
    qtbot.waitUntil(lambda: c.torch_wait.ready and c.document.dataset is not None, timeout=30_000)
    dialog = GuideDialog(window, c.document.dataset, c.document.model, c.document.vocab)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.facts is not None, timeout=30_000)
    text = dialog.text.toPlainText()
    assert c.document.dataset is not None and c.document.dataset.name in text
    assert f"about {dialog.facts.first_loss:.1f}" in text
    dialog.reject()
