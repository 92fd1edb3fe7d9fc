"""app.py: the main window is painted before torch is imported; the model follows, and a
Start pressed in between is carried out."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ScriptedDialogs
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox

from charnames_gui import app
from charnames_gui.core.autosave import RescueNote, find_rescued, new_rescue_path, write_note
from charnames_gui.ui.controller import TrainingState
from charnames_gui.ui.window.dialogs import RescueChoice
from charnames_gui.ui.window.main_window import MainWindow

REPO_ROOT = Path(__file__).resolve().parents[2]


def _close(window: MainWindow) -> None:
    """As tests/ui/conftest.py's make_window ends its windows."""
    window.frame_clock.stop()
    window.hide()
    window.controller.shutdown()
    window.run_history.close()
    window.deleteLater()


def test_the_main_window_is_painted_before_torch_is_imported_then_the_model_is_made(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "marker.txt"
    monkeypatch.setenv(app.MARKER_ENV, str(marker))
    # the fallback for a window never painted (minimised) must not win the race on a loaded
    # machine, where the first paint can take longer than its 500 ms
    monkeypatch.setattr(app, "PAINT_WAIT_MS", 120_000)
    startup = app.Startup([])
    window = startup.window

    painted_when_import_started: list[bool] = []
    start_import = startup.loader.start

    def recording_start() -> None:
        painted_when_import_started.append(marker.is_file() and "main_window" in marker.read_text())
        start_import()

    monkeypatch.setattr(startup.loader, "start", recording_start)
    try:
        # the real window, waiting for torch: the bundled names are read, Start is ready
        assert isinstance(window, MainWindow)
        assert window.controller.document.state == TrainingState.LOADING
        assert window.controls.start_button.isEnabled()
        assert window.sampling_panel.shown().notice.startswith("PyTorch is loading")
        startup.start()
        assert window.isVisible() and not startup.loader.import_thread.is_alive()
        qtbot.waitUntil(lambda: window.controller.document.dataset is not None)  # the bundled names
        assert window.controller.document.model is None or painted_when_import_started
        qtbot.waitUntil(lambda: window.controller.document.model is not None, timeout=60_000)
        assert painted_when_import_started[0] is True  # torch was imported after the paint
        assert [line.split()[0] for line in marker.read_text().splitlines()] == [
            "main_window",
            "torch",
        ]
        assert window.controller.document.state == TrainingState.READY
        assert window.embedding_view.isEnabled()
        # The training process is started at once, so it imports torch before Start is pressed.
        qtbot.waitUntil(
            lambda: any(p.name == "charnames-trainer" for p in multiprocessing.active_children()),
            timeout=30_000,
        )
    finally:
        if startup.loader.import_thread.ident is not None:
            startup.loader.import_thread.join(timeout=60)
        _close(window)


def test_start_pressed_while_torch_loads_starts_the_run_when_it_has_loaded(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    startup = app.Startup([])
    window = startup.window

    import_torch = startup.loader.start
    monkeypatch.setattr(startup.loader, "start", lambda: None)  # held back: torch "loading"
    try:
        startup.start()
        qtbot.waitExposed(window)
        button = window.controls.start_button
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert window.controller.torch_wait.is_waiting_for("start")
        assert button.text() == "Starting…" and not button.isEnabled()
        assert "as soon as PyTorch has loaded" in window.statusBar().currentMessage()
        assert window.controller.document.state == TrainingState.LOADING
        with qtbot.waitSignal(window.controller.lossesReady, timeout=60_000):
            import_torch()  # torch loads: the model is made, then trained
        assert window.controller.document.state == TrainingState.RUNNING
        assert not window.controller.torch_wait.is_waiting_for("start")
    finally:
        if startup.loader.import_thread.ident is not None:
            startup.loader.import_thread.join(timeout=60)
        _close(window)


def test_an_import_failure_is_shown_and_the_app_exits(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    codes: list[int] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    monkeypatch.setattr(QCoreApplication, "exit", lambda code=0: codes.append(code))
    startup = app.Startup([])

    try:
        startup.torch_loaded("PyTorch could not be loaded: No module named 'torch'")
        assert shown == ["PyTorch could not be loaded: No module named 'torch'"]
        assert codes == [1]
        assert startup.window.controller.document.model is None
    finally:
        _close(startup.window)


BUILD_WITHOUT_TORCH = """
import json, sys

class NoTorch:  # any import of torch (or safetensors, which needs it) fails
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "safetensors"):
            raise ImportError(f"{name} imported while the window is built")

sys.meta_path.insert(0, NoTorch())
from PySide6.QtWidgets import QApplication
qt = QApplication([])
from charnames_gui.ui.window.main_window import MainWindow
from charnames_gui.ui.views.plot_style import configure_pyqtgraph
configure_pyqtgraph()
window = MainWindow(wait_for_torch=True)
window.show()
for _ in range(10):
    qt.processEvents()
window.controls.start_button.click()  # queued
window.sampling_panel.setFocus()
for _ in range(10):
    qt.processEvents()
before = {
    "torch_modules": sorted(m for m in sys.modules if m.split(".")[0] == "torch"),
    "state": window.controller.document.state.value,
    "names": len(window.controller.document.dataset.words),
    "start": window.controls.start_button.text(),
}
sys.meta_path.pop(0)  # torch may load now
window.controller.torch_loaded()
for _ in range(10):
    qt.processEvents()
document = window.controller.document
after = {"state": document.state.value, "model": document.model is not None}
window.controller.shutdown()
window.run_history.close()
print(json.dumps({"before": before, "after": after}))
"""


def test_the_window_is_built_and_takes_start_without_importing_torch(tmp_path: Path) -> None:
    """In a fresh interpreter where importing torch fails: the window is built, shown, reads
    the bundled names and takes Start; once torch may load, the model is made and trains."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", BUILD_WITHOUT_TORCH],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["before"] == {
        "torch_modules": [],
        "state": "loading PyTorch",
        "names": report["before"]["names"],
        "start": "Starting…",
    }
    assert report["before"]["names"] > 1000  # the bundled dataset
    assert report["after"] == {"state": "running", "model": True}


def test_a_model_kept_from_the_last_session_is_offered_at_the_start(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start without a file asks about a model the last session could not save
    (ui/window/session_rescue.py); "Ask me next time" keeps it."""
    kept = new_rescue_path(tmp_path)
    kept.write_bytes(b"checked only when opened")
    write_note(kept, RescueNote(dataset_name="names.txt", steps=5000))
    startup = app.Startup([])
    window = startup.window
    dialogs = ScriptedDialogs(rescue_choice=RescueChoice.LATER)
    monkeypatch.setattr(window.session_rescue, "folder", tmp_path)
    monkeypatch.setattr(window.session_rescue, "dialogs", dialogs)
    monkeypatch.setattr(startup, "_load_torch", lambda: None)  # no torch, no training child
    try:
        startup.start()
        qtbot.waitUntil(lambda: len(dialogs.questions) == 1)
        assert "5,000 steps" in dialogs.questions[0] and "names.txt" in dialogs.questions[0]
        assert [r.model for r in find_rescued(tmp_path)] == [kept]
    finally:
        _close(window)
