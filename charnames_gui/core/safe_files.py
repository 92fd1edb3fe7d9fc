"""Open only regular files, never read more than a limit.

A learner can hand the app any path: a named pipe (open() waits forever for a writer), a
symlink to /dev/zero (read() never ends), a folder, a 5 GB file. Each is refused with a
one-line message before anything is read:

- stat before open (links resolved), so a FIFO or device is never opened for reading;
- open with O_NONBLOCK, then fstat the opened descriptor, in case the path was swapped
  between the stat and the open;
- read at most max_bytes + 1 bytes, so even a file that grows while it is read stays bounded.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from charnames_gui.core.errors import FileAccessError

_READ_CHUNK = 1024 * 1024


def format_size(n_bytes: int) -> str:
    """1,000 bytes, 3.5 KB, 50 MB, 10 GB: sizes in the units a file manager shows (never
    "1.02e+04 MB": three significant digits only below 1,000 of a unit)."""
    if n_bytes < 1024:
        return f"{n_bytes:,} bytes"
    for unit, size in (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3)):
        if n_bytes < 1000 * size or unit == "GB":
            value = n_bytes / size
            return f"{value:.3g} {unit}" if value < 1000 else f"{round(value):,} {unit}"
    raise AssertionError("unreachable")


def _kind(mode: int) -> str:
    """What a non-regular file is, in a learner's words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_mode(mode: int, size: int, p: Path, what: str, max_bytes: int) -> None:
    if not stat.S_ISREG(mode):
        raise FileAccessError(f"The {what} {p} is {_kind(mode)}, not a file: choose a file")
    if size > max_bytes:
        raise FileAccessError(
            f"The {what} {p.name} is {format_size(size)}; it may be at most "
            f"{format_size(max_bytes)}"
        )


def _os_message(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_regular_file(path: str | os.PathLike[str], what: str, max_bytes: int) -> Path:
    """The resolved path of a regular file of at most max_bytes, or FileAccessError.

    `what` names the file for the message ("dataset", "model file")."""
    p = Path(path)
    try:
        resolved = p.resolve(strict=True)
        st = os.stat(resolved)  # follows links: a link to /dev/zero is a device
    except FileNotFoundError:
        raise FileAccessError(f"The {what} {p} was not found") from None
    except RuntimeError:  # a symlink loop (Python < 3.13 raises RuntimeError)
        raise FileAccessError(f"The {what} {p} is a link that points to itself") from None
    except OSError as exc:
        raise FileAccessError(f"Cannot open the {what} {p}: {_os_message(exc)}") from None
    _check_mode(st.st_mode, st.st_size, p, what, max_bytes)
    return resolved


def read_regular_bytes(path: str | os.PathLike[str], what: str, max_bytes: int) -> bytes:
    """All bytes of a regular file of at most max_bytes, or FileAccessError."""
    p = Path(path)
    resolved = check_regular_file(p, what, max_bytes)
    try:
        # O_NONBLOCK: if the path became a FIFO after the stat, open returns at once
        fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileAccessError(f"Cannot open the {what} {p}: {_os_message(exc)}") from None
    try:
        st = os.fstat(fd)
        _check_mode(st.st_mode, st.st_size, p, what, max_bytes)
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(fd, min(_READ_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise FileAccessError(f"Cannot read the {what} {p}: {_os_message(exc)}") from None
    finally:
        os.close(fd)
    if total > max_bytes:  # the file grew after the stat
        raise FileAccessError(
            f"The {what} {p.name} is larger than {format_size(max_bytes)}, the most it may be"
        )
    return b"".join(chunks)


def read_regular_text(
    path: str | os.PathLike[str], what: str, max_bytes: int, encoding: str = "utf-8"
) -> str:
    """The text of a regular file of at most max_bytes, or FileAccessError (also for bad
    encoding)."""
    raw = read_regular_bytes(path, what, max_bytes)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileAccessError(
            f"The {what} {Path(path).name} is not {encoding.upper()} text "
            f"(bad byte at position {exc.start})"
        ) from None
