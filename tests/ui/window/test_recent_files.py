"""File → Open recent."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMenu

from charnames_gui.ui.window.app_settings import AppSettings
from charnames_gui.ui.window.recent_files import MAX_RECENT, RecentFiles


def test_recent_files_most_recent_first_and_bounded(qtbot, tmp_path: Path) -> None:
    settings = AppSettings.at(tmp_path / "settings.json")
    recent = RecentFiles(settings, QMenu())
    files = [tmp_path / f"m{i}.safetensors" for i in range(MAX_RECENT + 2)]
    for f in files:
        recent.add(f)
    recent.add(files[3])
    assert recent.paths()[0] == str(files[3].resolve())
    assert len(recent.paths()) == MAX_RECENT
    assert recent.last_folder() == str(tmp_path.resolve())
    texts = [a.text() for a in recent.menu.actions() if a.text()]
    assert texts[0] == "&1 m3.safetensors" and texts[-1] == "Clear list"
    opened: list[str] = []
    recent.openRequested.connect(opened.append)
    recent.menu.actions()[1].trigger()
    assert opened == [recent.paths()[1]]
    recent.menu.actions()[-1].trigger()  # Clear list
    assert recent.paths() == []
    assert [a.text() for a in recent.menu.actions()] == ["(no recent files)"]
