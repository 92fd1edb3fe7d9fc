"""The app's settings: one JSON file the app reads with caps and checks, never a format a
library deserializes for it.

A settings file is untrusted input (edited by hand, half written by a crash, a copy from
another version). Qt's own settings file is not safe to read: its "@Variant(...)" values are
deserialized by Qt as it syncs (a list that claims 2**31 items aborts the app), and
restoreState() of a damaged window state can crash it. So the window never hands Qt bytes
from this file: every value here is plain JSON, and each known key is checked against its
schema at load. Anything odd (too big, not JSON, a key of the wrong kind) is dropped, the
app starts with the defaults for it, and `problem` says what was dropped, in a sentence.

Keys (a "/" groups them, as the old settings did):
- recent_files: up to MAX_RECENT paths, most recent first; last_folder: a path;
- view/zoom: a number; test_set_explained: true/false;
- hyperparameters: an object (the training panel checks its fields);
- window/geometry, window/docks: objects checked by core.window_state;
- export_folder/<kind>: a path.
Unknown keys (a newer version's) are kept when they pass the general caps."""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from charnames_gui.core import window_state
from charnames_gui.core.atomic import atomic_write
from charnames_gui.core.errors import FileAccessError, SettingsError
from charnames_gui.core.legacy_settings import legacy_values

SETTINGS_FILE_NAME = "settings.json"
MAX_SETTINGS_BYTES = 256 * 1024  # a real one is ~2 KB
MAX_RECENT = 10
MAX_TEXT = 4096  # characters in one string (a path is at most PATH_MAX = 4096 bytes on Linux)
MAX_ITEMS = 200  # in one list or object
MAX_DEPTH = 8  # of nested lists and objects
MAX_KEYS = 200  # at the top level

JsonValue = Any  # None | bool | int | float | str | list[JsonValue] | dict[str, JsonValue]


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_general(value: JsonValue, depth: int = 0) -> None:
    """The caps every value passes: plain JSON types, finite numbers, short strings, small
    lists and objects, shallow nesting."""
    if depth > MAX_DEPTH:
        raise SettingsError("nested too deeply")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) >= 2**63:
            raise SettingsError("a number too large")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SettingsError("a number that is not finite")
        return
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise SettingsError("a text too long")
        if _has_lone_surrogate(value) or "\0" in value:
            raise SettingsError("a text with invalid characters")
        return
    if isinstance(value, list):
        if len(value) > MAX_ITEMS:
            raise SettingsError("a list too long")
        for item in value:
            _check_general(item, depth + 1)
        return
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            raise SettingsError("too many entries")
        for key, item in value.items():
            if not isinstance(key, str) or len(key) > 200:
                raise SettingsError("an odd name")
            _check_general(item, depth + 1)
        return
    raise SettingsError(f"a value of kind {type(value).__name__}")


def _path(value: JsonValue) -> str:
    if not isinstance(value, str) or not value:
        raise SettingsError("not a file path")
    return value


def _recent(value: JsonValue) -> list[str]:
    """Paths, most recent first: the first MAX_RECENT distinct ones (a longer list is cut,
    not refused: it is the user's list)."""
    if not isinstance(value, list):
        raise SettingsError("not a list of files")
    kept: list[str] = []
    for item in value:
        if isinstance(item, str) and item and item not in kept:
            kept.append(item)
        if len(kept) == MAX_RECENT:
            break
    return kept


def _zoom(value: JsonValue) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError("not a number")
    if not 0.1 <= value <= 10:
        raise SettingsError("out of range")
    return float(value)


def _flag(value: JsonValue) -> bool:
    if not isinstance(value, bool):
        raise SettingsError("not true or false")
    return value


def _object(value: JsonValue) -> dict[str, JsonValue]:
    if not isinstance(value, dict):
        raise SettingsError("not a group of values")
    return value


def _window_value(kind: str) -> Callable[[JsonValue], JsonValue]:
    def check(value: JsonValue) -> JsonValue:
        if kind == "geometry":
            return window_state.geometry_to_json(window_state.parse_geometry(value))
        return window_state.docks_to_json(window_state.parse_docks(value))

    return check


# Each known key's check: returns the value to keep (possibly trimmed) or raises SettingsError.
SCHEMA: dict[str, Callable[[JsonValue], JsonValue]] = {
    "recent_files": _recent,
    "last_folder": _path,
    "view/zoom": _zoom,
    "test_set_explained": _flag,
    "hyperparameters": _object,
    "window/geometry": _window_value("geometry"),
    "window/docks": _window_value("docks"),
}
PREFIX_SCHEMA: dict[str, Callable[[JsonValue], JsonValue]] = {
    "export_folder/": _path,
}


def check_value(key: str, value: JsonValue) -> JsonValue:
    """The value as kept under key, or SettingsError."""
    if not isinstance(key, str) or not key or len(key) > 200 or _has_lone_surrogate(key):
        raise SettingsError("an odd name")
    _check_general(value)
    check = SCHEMA.get(key)
    if check is None:
        check = next((c for p, c in PREFIX_SCHEMA.items() if key.startswith(p)), None)
    return check(value) if check is not None else value


def _reject_constant(name: str) -> float:
    raise SettingsError(f"{name} is not a number JSON allows")


def parse_settings(data: bytes) -> tuple[dict[str, JsonValue], list[str]]:
    """The values of a settings file's bytes, and what was dropped (one short phrase each).
    Never raises: unreadable bytes give ({}, [why])."""
    if len(data) > MAX_SETTINGS_BYTES:
        return {}, [f"the file is larger than {MAX_SETTINGS_BYTES // 1024} KB"]
    try:
        # parse_constant: NaN/Infinity are not JSON; huge ints raise ValueError (digit limit)
        loaded = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {}, ["the file is not readable JSON"]
    if not isinstance(loaded, dict):
        return {}, ["the file does not hold named values"]
    if len(loaded) > MAX_KEYS:
        return {}, ["the file holds too many values"]
    values: dict[str, JsonValue] = {}
    dropped: list[str] = []
    for key, value in loaded.items():
        try:
            values[key] = check_value(key, value)
        except (SettingsError, RecursionError):
            dropped.append(_shown_key(key))
    return values, ([f"unreadable values: {', '.join(dropped[:5])}"] if dropped else [])


def _shown_key(key: str) -> str:
    """A key as a message may show it: printable and short."""
    text = "".join(c if c.isprintable() else "?" for c in key[:40])
    return text + ("..." if len(key) > 40 else "")


class SettingsStore:
    """The settings in memory; save() writes them to `path` atomically. `path` None: kept
    in memory only (tests, or no writable config folder)."""

    def __init__(self, path: Path | None = None, values: dict[str, JsonValue] | None = None):
        self.path = path
        self._values: dict[str, JsonValue] = dict(values or {})
        self.problem = ""  # what was wrong with the file at load ("" when nothing)
        self.dirty = False

    @classmethod
    def load(cls, path: Path) -> SettingsStore:
        """The settings in `path` (none if it does not exist); never raises. Whatever could
        not be read is left out and named in `problem`."""
        store = cls(path)
        try:
            # O_NONBLOCK: a FIFO in its place opens at once (and is then refused unread)
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise FileAccessError("it is not a regular file")
                data = f.read(MAX_SETTINGS_BYTES + 1)
        except FileNotFoundError:
            return store
        except (OSError, FileAccessError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            store.problem = _problem([reason or "it cannot be read"])
            return store
        store._values, dropped = parse_settings(data)
        store.problem = _problem(dropped)
        return store

    @classmethod
    def open(cls, path: Path, legacy: Path | None = None) -> SettingsStore:
        """load(path); when there is no such file yet, the plain values of an earlier
        version's Qt settings file `legacy` are brought over (once: they are saved to path
        when the settings are next saved)."""
        store = cls.load(path)
        if legacy is None or store.problem or os.path.lexists(path):
            return store
        skipped: list[str] = []
        for key, value in legacy_values(legacy, skipped).items():
            try:
                store.set(key, value)
            except (SettingsError, RecursionError):
                skipped.append(key)
        if skipped:
            shown = ", ".join(_shown_key(k) for k in skipped[:5])
            store.problem = (
                f"Some settings of the earlier version could not be brought over ({shown}); "
                "the defaults are used for those settings."
            )
        return store

    def get(self, key: str, default: JsonValue = None) -> JsonValue:
        return self._values.get(key, default)

    def contains(self, key: str) -> bool:
        return key in self._values

    def set(self, key: str, value: JsonValue) -> None:
        """Keep value under key (checked as a loaded one is: SettingsError otherwise)."""
        checked = check_value(key, value)
        if self._values.get(key, _MISSING) != checked:
            self._values[key] = checked
            self.dirty = True

    def remove(self, key: str) -> None:
        if self._values.pop(key, _MISSING) is not _MISSING:
            self.dirty = True

    def keys(self) -> list[str]:
        return list(self._values)

    def to_json(self) -> str:
        return json.dumps(self._values, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def save(self) -> None:
        """Write the settings (when changed) atomically, making the folder if needed.
        FileAccessError (one line) when it cannot be written; the old file is then intact."""
        if self.path is None or not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FileAccessError(
                f"Could not make the settings folder {self.path.parent}: {exc.strerror or exc}"
            ) from None
        atomic_write(self.path, self.to_json())
        self.dirty = False


_MISSING = object()


def _problem(reasons: list[str]) -> str:
    if not reasons:
        return ""
    return (
        f"The settings file could not be fully read ({'; '.join(reasons)}); "
        "the defaults are used for those settings."
    )
