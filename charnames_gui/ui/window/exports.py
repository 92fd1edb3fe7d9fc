"""One way to export a file: ask where (starting in the last folder used for that kind of
file, or the user's Documents folder the first time), add the extension when it is missing,
write, and leave the file with the user's normal permissions (their umask, not 0600)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QStandardPaths

from charnames_gui.core.atomic import check_writable_target
from charnames_gui.core.errors import CharnamesError
from charnames_gui.ui.window.app_settings import AppSettings


def _read_umask() -> int:
    """The process's umask. os.umask can only be read by setting it, so read it once, at
    import (before any worker thread creates files)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


@dataclass(frozen=True)
class ExportKind:
    """A kind of exported file: its settings key, dialog title, filter and default name."""

    key: str  # "png", "csv", ...: the last folder is remembered per key
    title: str
    file_filter: str
    suggested_name: str

    @property
    def suffix(self) -> str:
        return Path(self.suggested_name).suffix  # ".png"


LOSS_PNG = ExportKind("png", "Export the loss plot", "PNG images (*.png)", "loss.png")
EMBEDDING_PNG = ExportKind("png", "Export the embedding", "PNG images (*.png)", "embedding.png")
LOSSES_CSV = ExportKind("csv", "Export the losses", "CSV files (*.csv)", "losses.csv")
RUNS_CSV = ExportKind("csv", "Export the runs", "CSV files (*.csv)", "runs.csv")
NAMES_TXT = ExportKind("txt", "Export generated names", "Text files (*.txt)", "generated_names.txt")
SCRIPT_PY = ExportKind(
    "code", "Export the run as a Python script", "Python scripts (*.py)", "makemore_run.py"
)
NOTEBOOK_IPYNB = ExportKind(
    "code", "Export the run as a notebook", "Jupyter notebooks (*.ipynb)", "makemore_run.ipynb"
)


class AsksSavePath(Protocol):
    def save_path(self, title: str, file_filter: str, suggested: str = "") -> str | None: ...


def documents_folder() -> Path:
    """The user's Documents folder when it exists, else their home folder (a save dialog
    that opens in a folder that is not there opens in the program's own folder)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if folder and Path(folder).is_dir():
        return Path(folder)
    return Path.home()


def start_folder(settings: AppSettings, kind: ExportKind) -> Path:
    """Where the dialog for this kind opens: the last folder used for it, if it still exists."""
    value = settings.value(f"export_folder/{kind.key}", "")
    if isinstance(value, str) and value and Path(value).is_dir():
        return Path(value)
    return documents_folder()


def with_suffix(path: str, suffix: str) -> Path:
    """The path with the kind's extension added when the user typed none (or another)."""
    target = Path(path)
    if target.suffix.lower() != suffix.lower():
        target = target.with_name(target.name + suffix)
    return target


def give_normal_permissions(path: Path) -> None:
    """Files written through a temporary file (mkstemp) are private (0600); an export is an
    ordinary document: 0666 less the umask, as any program that creates a file gives it."""
    os.chmod(path, 0o666 & ~_UMASK)


def export_file(
    dialogs: AsksSavePath,
    settings: AppSettings,
    kind: ExportKind,
    write: Callable[[str], object],
    on_error: Callable[[str, str], None],
    protect: Iterable[Path | None] = (),
) -> Path | None:
    """Ask for a path and write the file there. Returns the path written, or None (cancelled
    or failed: on_error(title, message) was told why). A file in `protect` (the model file
    and its dataset) or a special file (a pipe, a device) is refused before anything is
    written."""
    suggested = start_folder(settings, kind) / kind.suggested_name
    chosen = dialogs.save_path(kind.title, kind.file_filter, str(suggested))
    if not chosen:
        return None
    target = with_suffix(chosen, kind.suffix)
    existed = target.exists()
    try:
        check_writable_target(target, protect)
        write(str(target))
        if not existed:  # a replaced file keeps its own permissions (atomic_write keeps them)
            give_normal_permissions(target)
    except CharnamesError as exc:  # already a sentence for the user
        on_error("Cannot export", str(exc))
        return None
    except OSError as exc:
        on_error("Cannot export", f"Could not write {target}: {exc.strerror or exc}")
        return None
    settings.setValue(f"export_folder/{kind.key}", str(target.parent))
    return target
