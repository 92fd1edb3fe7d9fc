"""atomic_write: the one way the app writes a file (model, history pending file, CSVs,
names, script, notebook, PNG, settings).

A temporary file in the target's own folder is written, fsynced, then renamed over the
target (os.replace is atomic), and the folder is fsynced so the rename survives a power
cut. Any failure (full disk, read-only folder, a killed process) leaves the old target
exactly as it was; only a ".<name>.XXXXXXXX.tmp" can be left, and the next write of the same
file removes it.

- A link is followed: the file it points to is replaced, the link stays a link.
- The target keeps its permissions; a new file gets 0666 less the umask, as any program's.
- A special file (FIFO, device, socket, folder) is never opened: os.stat says what it is,
  and the write is refused at once instead of blocking on a pipe or writing into a device.
- `protect` names files that must never be replaced (a model file and its dataset, for an
  export): the target is compared with each by device and inode, so another spelling of the
  same path or a link to it is refused too.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from charnames_gui.core.errors import FileAccessError

TMP_SUFFIX = ".tmp"
_TMP_MIDDLE = 8  # mkstemp's random part


def _read_umask() -> int:
    """The process's umask. os.umask can only be read by setting it, so it is read once, at
    import (before any worker thread creates files)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()
NEW_FILE_MODE = 0o666 & ~UMASK


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to `path` replaces: a link's target (followed through every link),
    else the path itself. A link that points to itself is refused."""
    target = Path(path)
    if target.is_symlink():
        try:
            return Path(os.path.realpath(target, strict=True))
        except FileNotFoundError:  # a dangling link: write where it points
            return Path(os.path.realpath(target))
        except OSError as exc:  # a loop of links
            raise FileAccessError(
                f"Cannot write {target}: {exc.strerror or 'a link that points to itself'}"
            ) from None
    return target


def check_writable_target(
    path: str | os.PathLike[str], protect: Iterable[str | os.PathLike[str] | None] = ()
) -> Path:
    """The resolved target, after refusing special files and the `protect`ed files.
    FileAccessError (a sentence for the learner) otherwise. Never opens anything."""
    target = resolve_target(path)
    shown = Path(path)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise FileAccessError(f"Cannot write {shown}: {exc.strerror or exc}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise FileAccessError(
            f"Cannot write {shown}: it is {_kind(st.st_mode)}, not a file; choose a file name"
        )
    if st is not None:
        for other in protect:
            if other is None or str(other) == "":
                continue
            with contextlib.suppress(OSError):
                o = os.stat(other)
                if (o.st_dev, o.st_ino) == (st.st_dev, st.st_ino):
                    raise FileAccessError(
                        f"Cannot write {shown}: it is {Path(other).name}, which the export "
                        "comes from; choose another file name"
                    )
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileAccessError(f"Cannot write {shown}: the folder {folder} does not exist")
    return target


def atomic_write(
    path: str | os.PathLike[str],
    data: bytes | str,
    *,
    protect: Iterable[str | os.PathLike[str] | None] = (),
    encoding: str = "utf-8",
) -> Path:
    """Replace the file at `path` with `data` (str is encoded with `encoding`), atomically;
    returns the file written (a link's target). FileAccessError with one line on failure:
    the old file is then untouched."""
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)
    target = check_writable_target(path, protect)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = NEW_FILE_MODE
    prefix = f".{target.name}."
    remove_stale_temporary_files(folder, prefix)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=TMP_SUFFIX, dir=folder)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)  # mkstemp makes it 0600
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        tmp = None
        _fsync_folder(folder)
    except OSError as exc:
        raise FileAccessError(
            f"Could not write {Path(path).name}: {exc.strerror or exc}; "
            "the file that was there is unchanged"
        ) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return target


def _fsync_folder(folder: Path) -> None:
    """The rename is durable once the folder's entry is on disk (not possible everywhere)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temporary_files(folder: Path, prefix: str) -> None:
    """Remove ".<name>.XXXXXXXX.tmp" files a killed write of this very file left behind:
    only regular files with mkstemp's 8-character middle, nothing else in the folder."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            middle = entry.name[len(prefix) : -len(TMP_SUFFIX)]
            if (
                entry.name.startswith(prefix)
                and entry.name.endswith(TMP_SUFFIX)
                and len(middle) == _TMP_MIDDLE
                and "." not in middle
                and entry.is_file(follow_symlinks=False)
            ):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str], *, protect: Iterable[str | os.PathLike[str] | None] = ()
) -> Iterator[Path]:
    """atomic_write for a writer that needs a file name (ffmpeg writing a video): yields the
    temporary file's path beside the target, to be written by the body; when the body
    returns it is fsynced and renamed over the target, and when it raises it is removed and
    the target left as it was. The same checks as atomic_write come first."""
    target = check_writable_target(path, protect)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = NEW_FILE_MODE
    prefix = f".{target.name}."
    remove_stale_temporary_files(folder, prefix)
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=TMP_SUFFIX, dir=folder)
        os.close(fd)
    except OSError as exc:
        raise FileAccessError(f"Could not write {Path(path).name}: {exc.strerror or exc}") from None
    done = False
    try:
        yield Path(tmp)
        try:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fchmod(fd, mode)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, target)
            done = True
        except OSError as exc:
            raise FileAccessError(
                f"Could not write {Path(path).name}: {exc.strerror or exc}; "
                "the file that was there is unchanged"
            ) from None
        _fsync_folder(folder)
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
