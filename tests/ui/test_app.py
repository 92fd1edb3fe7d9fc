"""app.py: a first window painted before torch is needed, then the main window in its place."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QLabel, QMessageBox

from charnames_gui import app
from charnames_gui.ui.main_window import MainWindow


def test_first_window_then_the_main_window_in_its_place(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "marker.txt"
    monkeypatch.setenv(app.MARKER_ENV, str(marker))
    startup = app.Startup([])
    first = startup.window
    qtbot.addWidget(first)
    painted_when_import_started: list[bool] = []
    start_import = startup.loader.start

    def recording_start() -> None:
        painted_when_import_started.append(marker.is_file() and "window" in marker.read_text())
        start_import()

    monkeypatch.setattr(startup.loader, "start", recording_start)
    startup.start()
    # Shown at once; torch is imported only once the window has been painted.
    assert first.isVisible() and not startup.loader.import_thread.is_alive()
    assert first.windowTitle() == "Charnames"
    label = first.centralWidget()
    assert isinstance(label, QLabel) and label.text() == "Loading PyTorch…"

    qtbot.waitUntil(lambda: isinstance(startup.window, MainWindow), timeout=60_000)
    assert painted_when_import_started[0] is True
    window = startup.window
    assert isinstance(window, MainWindow)
    try:
        startup.loader.import_thread.join(timeout=30)
        qtbot.waitUntil(lambda: "main_window" in marker.read_text(), timeout=30_000)
        assert [line.split()[0] for line in marker.read_text().splitlines()] == [
            "window",
            "main_window",
        ]
        assert window.isVisible() and not first.isVisible()
        assert window.geometry() == first.geometry()
        # The training process is started at once, so it imports torch before Start is pressed.
        qtbot.waitUntil(
            lambda: any(p.name == "charnames-trainer" for p in multiprocessing.active_children()),
            timeout=30_000,
        )
    finally:  # as tests/ui/conftest.py's make_window ends its windows
        window.frame_clock.stop()
        window.controller.shutdown()
        window.run_history.close()
        window.deleteLater()


def test_an_import_failure_is_shown_and_the_app_exits(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    codes: list[int] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    monkeypatch.setattr(QCoreApplication, "exit", lambda code=0: codes.append(code))
    startup = app.Startup([])
    qtbot.addWidget(startup.window)
    startup.build_main_window("PyTorch could not be loaded: No module named 'torch'")
    assert shown == ["PyTorch could not be loaded: No module named 'torch'"]
    assert codes == [1]
    assert not isinstance(startup.window, MainWindow)
