"""A session that ends without the window closing (a logout, a shutdown, SIGTERM) keeps the
unsaved model in the app's data folder, never over the learner's file, and the next start
offers it. The session manager's handlers are called directly: no real logout is needed."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import ScriptedDialogs
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from charnames_gui.core.autosave import find_rescued, note_path
from charnames_gui.core.checkpoint import load_model
from charnames_gui.ui.controller import Controller
from charnames_gui.ui.window import main_window
from charnames_gui.ui.window.dialogs import Dialogs, RescueChoice, SaveChoice
from charnames_gui.ui.window.main_window import MainWindow
from charnames_gui.ui.window.session_rescue import RESCUE_FOLDER

STEPS = 120


def _trained(qtbot, window: MainWindow) -> None:
    c = window.controller
    with qtbot.waitSignal(c.runEnded, timeout=30_000):
        c.start()
    assert c.document.modified


def test_a_logout_during_a_run_keeps_the_model_and_the_next_start_offers_it(
    qtbot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    """With the app's training process, a run going on when the session manager asks."""
    window = make_window()  # steps: a run that does not end by itself
    mine = tmp_path / "mine.safetensors"
    window.dialogs.save_paths.append(str(mine))
    assert window.file_commands.save_model_as()
    saved = mine.read_bytes()
    c = window.controller
    c.start()
    qtbot.waitUntil(lambda: c.document.step >= 50, timeout=30_000)

    window.session_rescue.commit_data(None)  # the session manager: "save your work"
    (rescued,) = find_rescued(tmp_path / RESCUE_FOLDER)
    steps = load_model(rescued.model).training.steps
    assert steps >= 50 and rescued.note.steps == steps
    assert mine.read_bytes() == saved  # the learner's file is never written
    assert rescued.note.original == str(mine)
    assert c.document.modified and c.document.path == mine  # still unsaved, still theirs
    window.session_rescue.save_state(None)  # nothing trained since: the same file, no other
    window.session_rescue.last_resort()  # then the app quits without a close
    assert find_rescued(tmp_path / RESCUE_FOLDER) == [rescued]
    assert mine.read_bytes() == saved

    dialogs = ScriptedDialogs(rescue_choice=RescueChoice.OPEN)
    again = make_window(dialogs=dialogs)  # the next start, with the same data folder
    assert again.session_rescue.offer()
    c = again.controller
    qtbot.waitUntil(lambda: c.document.step == steps, timeout=30_000)
    question = dialogs.questions[0]
    assert "not saved" in question and f"{steps:,} steps" in question
    assert "mine.safetensors" in question
    assert c.document.path is None and c.document.modified  # Save asks where
    assert again.isWindowModified()
    # kept again at the end of this session: the newest copy replaces the one opened
    again.session_rescue.commit_data(None)
    (newer,) = find_rescued(tmp_path / RESCUE_FOLDER)
    assert newer.model != rescued.model
    # saved to a file of the learner's: the kept copy is no longer needed
    dialogs.save_paths.append(str(tmp_path / "again.safetensors"))
    assert again.file_commands.save_model()
    assert find_rescued(tmp_path / RESCUE_FOLDER) == []
    assert load_model(tmp_path / "again.safetensors").training.steps == steps


@pytest.fixture
def on_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Steps on the worker thread (no training process to start: a fast test)."""
    monkeypatch.setattr(
        main_window, "Controller", functools.partial(Controller, use_training_process=False)
    )


def test_quitting_without_a_close_keeps_the_model_and_flushes_the_history(
    qtbot, on_thread: None, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    window = make_window(steps=STEPS)
    _trained(qtbot, window)
    window.session_rescue.last_resort()  # aboutToQuit, the window still open
    (rescued,) = find_rescued(tmp_path / RESCUE_FOLDER)
    assert note_path(rescued.model).is_file()
    assert rescued.note.original == "" and rescued.note.steps == STEPS
    assert window.run_history._closed  # flushed and closed, as a close would
    window.session_rescue.last_resort()  # once only
    assert len(find_rescued(tmp_path / RESCUE_FOLDER)) == 1

    # the next start: "Ask me next time" keeps it; Discard removes it and its note
    dialogs = ScriptedDialogs(rescue_choice=RescueChoice.LATER)
    later = make_window(dialogs=dialogs, open_data=False)
    assert not later.session_rescue.offer()
    assert len(dialogs.questions) == 1 and len(find_rescued(tmp_path / RESCUE_FOLDER)) == 1
    dialogs.rescue_choice = RescueChoice.DISCARD
    assert not later.session_rescue.offer()
    assert list((tmp_path / RESCUE_FOLDER).iterdir()) == []


def test_a_normal_close_leaves_no_kept_model(
    qtbot, on_thread: None, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    """A logout that was cancelled, then the learner closes and answers Discard: the kept
    copy goes, and the app's end (aboutToQuit) keeps nothing either."""
    window = make_window(steps=STEPS, dialogs=ScriptedDialogs(save_choice=SaveChoice.DISCARD))
    _trained(qtbot, window)
    window.session_rescue.commit_data(None)
    assert len(find_rescued(tmp_path / RESCUE_FOLDER)) == 1
    assert window.close()
    window.session_rescue.last_resort()
    assert find_rescued(tmp_path / RESCUE_FOLDER) == []


def test_nothing_unsaved_keeps_nothing(
    qtbot, on_thread: None, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    window = make_window()
    window.session_rescue.commit_data(None)
    window.session_rescue.last_resort()
    assert not (tmp_path / RESCUE_FOLDER).exists()


def test_the_question_is_plain_text_and_esc_never_discards(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    dialogs = Dialogs(parent)
    hostile = "<img src=x width=700 height=400000> names.txt"
    seen: list[tuple[Qt.TextFormat, list[str]]] = []

    def answer(key: str) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append((box.textFormat(), [label.text() for label in box.findChildren(QLabel)]))
        if key == "escape":
            qtbot.keyClick(box, Qt.Key.Key_Escape)
        else:
            next(b for b in box.buttons() if b.text() == key).click()

    for key, choice in (
        ("escape", RescueChoice.LATER),
        ("Discard", RescueChoice.DISCARD),
        ("Open it", RescueChoice.OPEN),
    ):
        QTimer.singleShot(0, lambda key=key: answer(key))
        assert dialogs.ask_rescued("Unsaved model", hostile) is choice
    assert all(f == Qt.TextFormat.PlainText and hostile in texts for f, texts in seen)


QUIT_ON_SIGTERM = """
import os, signal, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
from charnames_gui.app import quit_on_signals

class Unsaved(QWidget):  # a window that would ask "Save?" on close: no one is there to answer
    def closeEvent(self, event):
        print("asked", flush=True)
        event.ignore()

app = QApplication([])
window = Unsaved()
window.show()
quit_on_signals(app)
app.aboutToQuit.connect(lambda: print("aboutToQuit", flush=True))
QTimer.singleShot(0, lambda: os.kill(os.getpid(), signal.SIGTERM))
QTimer.singleShot(30_000, lambda: app.exit(3))  # never reached when the signal quits
sys.exit(app.exec())
"""


def test_sigterm_quits_through_about_to_quit(tmp_path: Path) -> None:
    """SIGTERM (a logout's last word, `kill`) ends the event loop without asking the windows
    to close (nobody is there to answer), so aboutToQuit runs and keeps the model. Without
    the handler the process ends at once (returncode -15); with quit() it waits on "Save?"."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", QUIT_ON_SIGTERM],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["aboutToQuit"]


def test_a_link_put_in_place_of_the_kept_file_is_never_followed(
    qtbot, on_thread: None, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    window = make_window(steps=STEPS)
    _trained(qtbot, window)
    own = window.session_rescue.rescue()
    assert own is not None
    mine = tmp_path / "mine.safetensors"
    mine.write_bytes(b"the learner's own file")
    own.unlink()
    own.symlink_to(mine)
    window.panel.steps.setValue(2 * STEPS)
    _trained(qtbot, window)
    again = window.session_rescue.rescue()
    assert again is not None and again != own and not again.is_symlink()
    assert mine.read_bytes() == b"the learner's own file"
