"""The window's settings: core.settings_store's checked JSON file, with the few calls the
window makes (value, setValue, sync), saved shortly after each change and at close.

The file is settings.json in the standard config folder (~/.config/charnames-gui/ on
Linux). An earlier version's Qt file there (charnames-gui.conf) is migrated once, as text.
Never QSettings: it deserializes "@Variant" values of the file by itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy

from charnames_gui.core.errors import FileAccessError, SettingsError
from charnames_gui.core.settings_store import SETTINGS_FILE_NAME, SettingsStore
from charnames_gui.ui.views.plain_text import plain_tooltip

CONFIG_FOLDER_NAME = "charnames-gui"
LEGACY_FILE_NAME = "charnames-gui.conf"  # QSettings' INI file of earlier versions
SAVE_DELAY_MS = 500  # changes in a row are written once
NOTE_MS = 120_000  # how long the status bar says what the settings file lost


def default_settings_path() -> tuple[Path | None, Path | None]:
    """(the settings file, an earlier version's Qt file) in the user's config folder; None
    when the platform gives no config folder. The folder is named after the organisation
    and the old file after the application, as QSettings() named them (charnames-gui/
    charnames-gui.conf; the tests' names keep them apart from the user's)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    if not folder:
        return None, None
    base = Path(folder) / (QCoreApplication.organizationName() or CONFIG_FOLDER_NAME)
    return base / SETTINGS_FILE_NAME, base / LEGACY_FILE_NAME


class AppSettings(QObject):
    """Settings the window reads and writes. `problem` says what could not be read at start
    ("" when nothing); saveFailed(message) when a save fails (the old file is then kept)."""

    saveFailed = Signal(str)

    def __init__(self, store: SettingsStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.sync)
        self._last_failure = ""

    @classmethod
    def at(cls, path: Path | None, legacy: Path | None = None) -> AppSettings:
        """The settings of the file at path (kept in memory only when path is None)."""
        return cls(SettingsStore(None) if path is None else SettingsStore.open(path, legacy))

    @classmethod
    def open_default(cls) -> AppSettings:
        return cls.at(*default_settings_path())

    @property
    def problem(self) -> str:
        return self.store.problem

    def value(self, key: str, default: Any = None, type: type | None = None) -> Any:
        """The value kept under key, or default (also when it is not of `type`)."""
        value = self.store.get(key, default)
        if type is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if type is not None and not (isinstance(value, type) and not _bool_for_number(value, type)):
            return default
        return value

    def contains(self, key: str) -> bool:
        return self.store.contains(key)

    def setValue(self, key: str, value: Any) -> bool:
        """Keep value; saved soon. False (and the old value kept) for a value its key does
        not take (a path with characters a file name cannot hold, a window larger than the
        checks allow): a setting is never worth stopping the app for."""
        try:
            self.store.set(key, value)
        except (SettingsError, RecursionError):
            return False
        if self.store.dirty and self.store.path is not None:
            self._timer.start()
        return True

    def remove(self, key: str) -> None:
        self.store.remove(key)
        if self.store.dirty and self.store.path is not None:
            self._timer.start()

    def sync(self) -> bool:
        """Save now (if anything changed). False, and saveFailed once per distinct reason,
        when the file cannot be written."""
        self._timer.stop()
        try:
            self.store.save()
        except FileAccessError as exc:
            message = f"The settings could not be saved: {exc}"
            if message != self._last_failure:
                self._last_failure = message
                self.saveFailed.emit(message)
            return False
        return True


def problem_note(problem: str) -> QLabel | None:
    """The status bar's note of what the settings file lost (None when nothing): a widget
    of the bar, so the start's other messages cover it for a while but never end it; it
    goes after NOTE_MS. Plain text (it may quote a key of the file)."""
    if not problem:
        return None
    note = QLabel(problem)
    note.setTextFormat(Qt.TextFormat.PlainText)
    note.setToolTip(plain_tooltip(problem))
    note.setAccessibleName("Settings")
    note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens
    QTimer.singleShot(NOTE_MS, note, note.hide)
    return note


def _bool_for_number(value: Any, wanted: type) -> bool:
    """bool is an int in Python; a number setting holding true is not a number."""
    return isinstance(value, bool) and wanted is not bool
