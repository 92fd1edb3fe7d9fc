"""File → Open recent: the last few files opened or saved, kept in the settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu

from charnames_gui.core.settings_store import MAX_RECENT
from charnames_gui.ui.views.plain_text import plain_tooltip
from charnames_gui.ui.window.app_settings import AppSettings


class RecentFiles(QObject):
    """Keeps the list in `settings` and shows it in `menu`; a click emits openRequested."""

    openRequested = Signal(str)

    def __init__(self, settings: AppSettings, menu: QMenu, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.menu = menu
        self._rebuild()

    def paths(self) -> list[str]:
        value = self._settings.value("recent_files", [], type=list)  # (checked at load)
        return [str(v) for v in value][:MAX_RECENT]

    def add(self, path: str | Path) -> None:
        """Put path first (once), and remember its folder for the next open dialog."""
        text = str(Path(path).resolve())
        recent = [text] + [p for p in self.paths() if p != text]
        self._settings.setValue("recent_files", recent[:MAX_RECENT])
        self._settings.setValue("last_folder", str(Path(text).parent))
        self._rebuild()

    def clear(self) -> None:
        self._settings.setValue("recent_files", [])
        self._rebuild()

    def last_folder(self) -> str:
        """The folder of the last file opened or saved (the home folder at first)."""
        return str(self._settings.value("last_folder", str(Path.home()), type=str))

    def _rebuild(self) -> None:
        self.menu.clear()
        recent = self.paths()
        for i, path in enumerate(recent, start=1):
            action = self.menu.addAction(f"&{i} {Path(path).name}")
            action.setToolTip(plain_tooltip(path))
            action.triggered.connect(lambda _=False, p=path: self.openRequested.emit(p))
        if not recent:
            none = self.menu.addAction("(no recent files)")
            none.setEnabled(False)
        else:
            self.menu.addSeparator()
            self.menu.addAction("Clear list").triggered.connect(self.clear)
