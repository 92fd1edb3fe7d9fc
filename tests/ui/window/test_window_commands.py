"""The window's commands in their own modules: presentation mode's actions, drag and drop,
the panel kept in step with the model, and the File menu's save-as."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent

from charnames_gui.ui.window.main_window import MainWindow


def test_presentation_actions_follow_the_mode(qtbot, window: MainWindow) -> None:
    assert not window.menus.action("leave_presentation").isEnabled()  # Esc is free outside it
    window.menus.action("presentation").trigger()
    assert window.presentation.active()
    assert window.menus.action("presentation").text() == "Leave &presentation mode"
    assert window.menus.action("leave_presentation").isEnabled()
    assert "Presentation mode" in window.statusBar().currentMessage()
    window.menus.action("leave_presentation").trigger()
    assert not window.presentation.active()
    assert window.menus.action("presentation").text() == "&Presentation mode"
    assert not window.menus.action("leave_presentation").isEnabled()


def _taken(window: MainWindow, paths: list[Path]) -> bool:
    mime = QMimeData()  # outlives the event: the event does not own it
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    enter.ignore()
    window.dragEnterEvent(enter)
    taken = enter.isAccepted()
    del enter
    return taken


def test_only_one_file_is_taken_by_drag_and_drop(window: MainWindow, tmp_path: Path) -> None:
    assert not _taken(window, [tmp_path / "a.txt", tmp_path / "b.txt"])
    assert _taken(window, [tmp_path / "a.txt"])


def test_a_model_shown_in_the_panel_is_no_edit(window: MainWindow) -> None:
    """New model: the panel shows its values and makes no second model for them."""
    models: list[object] = []
    window.controller.modelReset.connect(models.append)
    assert window.file_commands.new_model(ask=False)
    assert len(models) == 1
    assert window.panel.model_config() == window.controller.document.model_info().config


def test_save_as_adds_the_model_suffix_and_remembers_the_file(
    window: MainWindow, tmp_path: Path
) -> None:
    window.dialogs.save_paths.append(str(tmp_path / "mine"))
    assert window.file_commands.save_model_as()
    saved = tmp_path / "mine.safetensors"
    assert saved.is_file()
    assert window.recent_files.paths()[0] == str(saved.resolve())
    assert window.file_commands.may_discard("") is not False  # saved: nothing to ask
    assert window.dialogs.questions == []
