"""Rescued models: unsaved training kept when a session ends without the window closing.

A desktop logout or shutdown can end the app without a close (no "Save changes?" question):
the window then writes the unsaved model here, in the app's own data folder, never over the
learner's file (ui/window/session_rescue.py). At the next start each rescued model is offered
("Open it / Discard"). A rescued model is two files in that folder:

    unsaved-20261205-201403-4242.safetensors   the model file, as Save writes it
    unsaved-20261205-201403-4242.json          a note: where it came from, for the question

The folder is written by this app only, but it is still read as untrusted input: only regular
files with the expected names are listed, a note is read with a size cap and checked field by
field, and a bad note only makes the question shorter (the model file is checked when opened).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from charnames_gui.core.atomic import atomic_write

PREFIX = "unsaved-"
MODEL_SUFFIX = ".safetensors"
NOTE_SUFFIX = ".json"
NOTE_MAX_BYTES = 16_384  # a note is ~300 bytes; a larger one is not read
MAX_OFFERED = 20  # the newest rescued models listed; more are older leftovers, left alone
_NAME = re.compile(r"unsaved-\d{8}-\d{6}-\d{1,10}(-\d{1,4})?\.safetensors")
_TEXT_MAX = 300  # characters of a file or dataset name kept from a note


@dataclass(frozen=True)
class RescueNote:
    """What the question says about a rescued model (every field may be empty)."""

    original: str = ""  # the model's own file, when it had one (never written to)
    dataset_name: str = ""
    steps: int = 0
    rescued_at: float = 0.0  # time.time() when it was written

    def to_json(self) -> str:
        return json.dumps(
            {
                "original": self.original,
                "dataset_name": self.dataset_name,
                "steps": self.steps,
                "rescued_at": self.rescued_at,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> RescueNote:
        """The fields that are what they should be; anything else is left empty."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return cls()
        if not isinstance(data, dict):
            return cls()

        def text_of(key: str) -> str:
            value = data.get(key)
            return value[:_TEXT_MAX] if isinstance(value, str) else ""

        steps = data.get("steps")
        at = data.get("rescued_at")
        if not (isinstance(steps, int) and not isinstance(steps, bool) and 0 <= steps < 10**12):
            steps = 0
        # compared before any float(): a 400-digit int is no OverflowError
        if isinstance(at, bool) or not isinstance(at, (int, float)) or not 0 < at < 1e11:
            at = 0.0
        return cls(
            original=text_of("original"),
            dataset_name=text_of("dataset_name"),
            steps=steps,
            rescued_at=float(at),
        )


@dataclass(frozen=True)
class Rescued:
    """A rescued model found in the folder."""

    model: Path
    note: RescueNote

    @property
    def note_path(self) -> Path:
        return note_path(self.model)


def note_path(model: Path) -> Path:
    return model.with_suffix(NOTE_SUFFIX)


def new_rescue_path(folder: Path, now: float | None = None, pid: int | None = None) -> Path:
    """A name no file in `folder` has yet: unsaved-DATE-TIME-PID.safetensors (-2, -3, ...
    added in the unlikely case it is taken). Nothing is created."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    base = f"{PREFIX}{stamp}-{os.getpid() if pid is None else pid}"
    path = folder / f"{base}{MODEL_SUFFIX}"
    n = 2
    while os.path.lexists(path) or os.path.lexists(note_path(path)):
        path = folder / f"{base}-{n}{MODEL_SUFFIX}"
        n += 1
    return path


def write_note(model: Path, note: RescueNote) -> None:
    """The note beside a rescued model (atomic: a half-written note never exists).
    FileAccessError when it cannot be written."""
    atomic_write(note_path(model), note.to_json())


def _regular(path: Path) -> os.stat_result | None:
    """The file's stat when it is a regular file (never a link, pipe or device), else None."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def read_note(model: Path) -> RescueNote:
    path = note_path(model)
    st = _regular(path)
    if st is None or st.st_size > NOTE_MAX_BYTES:
        return RescueNote()
    try:
        # O_NONBLOCK: should the file become a pipe between lstat and open, never wait on it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            data = f.read(NOTE_MAX_BYTES + 1)
    except OSError:
        return RescueNote()
    if len(data) > NOTE_MAX_BYTES:
        return RescueNote()
    return RescueNote.from_json(data.decode("utf-8", errors="replace"))


def find_rescued(folder: Path) -> list[Rescued]:
    """The rescued models in `folder`, newest first (at most MAX_OFFERED). A missing or
    unreadable folder holds none."""
    try:
        names = [e.name for e in os.scandir(folder) if _NAME.fullmatch(e.name)]
    except OSError:
        return []
    found: list[tuple[float, Path]] = []
    for name in names:
        path = folder / name
        st = _regular(path)
        if st is not None:
            found.append((st.st_mtime, path))
    found.sort(key=lambda item: (item[0], item[1].name), reverse=True)
    return [Rescued(path, read_note(path)) for _, path in found[:MAX_OFFERED]]


def discard(model: Path) -> None:
    """Remove a rescued model and its note (what is already gone is no error)."""
    for path in (model, note_path(model)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def describe(rescued: Rescued) -> str:
    """The question at the start, in plain words (plain text: names come from files)."""
    note = rescued.note
    parts: list[str] = []
    if note.steps:
        parts.append(f"trained {note.steps:,} steps")
    if note.dataset_name:
        parts.append(f"on {display_name(note.dataset_name)}")
    if note.original:
        parts.append(f"changed since it was saved as {display_name(Path(note.original).name)}")
    if note.rescued_at:
        parts.append(f"kept at {time.strftime('%d %b %H:%M', time.localtime(note.rescued_at))}")
    detail = f" ({', '.join(parts)})" if parts else ""
    return (
        f"A model from your last session was not saved{detail}: the session ended before "
        "the window was closed, so it was kept for you. Open it to go on with it (then save "
        "it where you like), or discard it?"
    )


def display_name(name: str) -> str:
    """A file name for a message: control characters shown as '?', long names shortened."""
    cleaned = "".join("?" if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 else c for c in name)
    return cleaned if len(cleaned) <= 80 else cleaned[:77] + "..."
