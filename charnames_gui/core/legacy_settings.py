"""Bring the settings of earlier versions (Qt's INI file, charnames-gui.conf) into the JSON
settings, once, reading only plain text.

Qt would deserialize the file's "@Variant(...)", "@ByteArray(...)" values itself (and can
abort on a damaged one), so the file is parsed here instead: only the few keys worth keeping
are read (recent files, folders, zoom, the hyperparameters, one flag) and only when they are
plain strings; every "@..." value is skipped, the old window state among them (the window
starts with the default layout once). The result passes settings_store's checks like any
loaded file."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

MAX_LEGACY_BYTES = 1024 * 1024
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def unescape_value(raw: str) -> str | list[str] | None:
    """A value as Qt's INI format writes it: text, "quoted text", or a list separated by
    commas; backslash escapes (\\n, \\", \\xHH, octal). None for "@..." values, which are
    Qt's serialized types and are never read."""
    text = raw.strip()
    if text.startswith("@"):
        return None
    items: list[str] = []
    current: list[str] = []
    quoted = False
    is_list = False
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            quoted = not quoted
        elif c == "," and not quoted:
            is_list = True
            items.append("".join(current).strip())
            current = []
        elif c == "\\" and i + 1 < len(text):
            i += 1
            e = text[i]
            if e == "x":
                digits = re.match(r"[0-9a-fA-F]{1,4}", text[i + 1 :])
                if digits:
                    current.append(chr(int(digits.group(), 16)))
                    i += len(digits.group())
            elif e in "01234567":
                digits = re.match(r"[0-7]{1,3}", text[i:])
                assert digits is not None
                current.append(chr(int(digits.group(), 8)))
                i += len(digits.group()) - 1
            else:
                current.append(_ESCAPES.get(e, e))
        else:
            current.append(c)
        i += 1
    if is_list:
        items.append("".join(current).strip())
        return items
    return "".join(current) if quoted or '"' in text else "".join(current).strip()


def _unescape_key(raw: str) -> str:
    """Qt escapes key characters as %XX and %UXXXX; "\\" stands for "/"."""

    def code(match: re.Match[str]) -> str:
        return chr(int(match.group(1) or match.group(2), 16))

    return re.sub(r"%U([0-9A-Fa-f]{4})|%([0-9A-Fa-f]{2})", code, raw).replace("\\", "/")


def parse_ini(text: str, skipped: list[str] | None = None) -> dict[str, str | list[str]]:
    """Every plain value of a Qt INI file, by its full key ("view/zoom"); "@..." values and
    malformed lines are left out (the keys of "@..." values added to `skipped`)."""
    values: dict[str, str | list[str]] = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            name = _unescape_key(line[1:-1].strip())
            section = "" if name.lower() == "general" else name + "/"
            continue
        key, sep, raw = line.partition("=")
        if not sep:
            continue
        value = unescape_value(raw)
        if value is not None:
            values[section + _unescape_key(key.strip())] = value
        elif skipped is not None:
            skipped.append(section + _unescape_key(key.strip()))
    return values


def _read_text(path: Path) -> str | None:
    """The file's text when it is a regular file under MAX_LEGACY_BYTES, else None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            data = f.read(MAX_LEGACY_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_LEGACY_BYTES:
        return None
    return data.decode("utf-8", errors="replace")


KEPT_KEYS = ("recent_files", "last_folder", "view/zoom", "test_set_explained", "hyperparameters")


def legacy_values(path: Path, skipped: list[str] | None = None) -> dict[str, Any]:
    """The settings worth keeping from an old Qt settings file, as JSON settings values
    (unchecked: the caller checks them as it checks a loaded file). {} when there is none.
    Keys worth keeping that hold a value Qt would deserialize ("@...") go to `skipped`."""
    text = _read_text(path)
    if text is None:
        return {}
    odd: list[str] = []
    ini = parse_ini(text, odd)
    if skipped is not None:
        skipped += [k for k in odd if k in KEPT_KEYS or k.startswith("export_folder/")]
    values: dict[str, Any] = {}
    recent = ini.get("recent_files")
    if isinstance(recent, str):  # a list of one is written as its only item
        recent = [recent]
    if isinstance(recent, list):
        values["recent_files"] = [p for p in recent if p]
    for key, value in ini.items():
        if not isinstance(value, str):
            continue
        if key.startswith("export_folder/") or key == "last_folder":
            values[key] = value
        elif key == "view/zoom":
            try:
                values[key] = float(value)
            except ValueError:
                continue
        elif key == "test_set_explained" and value in ("true", "false"):
            values[key] = value == "true"
        elif key == "hyperparameters" and len(value) <= 64 * 1024:
            try:
                values[key] = json.loads(value)
            except (ValueError, RecursionError):
                continue
    return values
