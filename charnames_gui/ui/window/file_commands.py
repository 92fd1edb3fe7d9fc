"""File commands: new model, open a dataset or a model, save, save as, and the "save or
discard?" question before unsaved training is thrown away. Drag and drop opens a file too."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from charnames_gui.core.data import Dataset
from charnames_gui.core.model_file import MODEL_SUFFIX, OPENABLE_SUFFIXES, ModelFile
from charnames_gui.ui.window.dialogs import DATASET_FILTER, MODEL_FILTER, SaveChoice

if TYPE_CHECKING:
    from charnames_gui.ui.window.main_window import MainWindow

# Each command reads win.dialogs when it runs (the tests put scripted dialogs there).


def open_path(win: MainWindow, path: str | Path) -> bool:
    """Open a model file (by its .safetensors suffix) or a dataset."""
    if Path(path).suffix.lower() in OPENABLE_SUFFIXES:
        return open_model(win, path)
    return open_dataset(win, path)


def open_dataset_dialog(win: MainWindow) -> None:
    folder = win.recent_files.last_folder()
    path = win.dialogs.open_path("Open dataset", DATASET_FILTER, folder)
    if path:
        open_dataset(win, path)


def open_dataset(win: MainWindow, path: str | Path) -> bool:
    """The model's own dataset (same content) keeps the model; any other starts a new model
    (after asking about unsaved training). A large file is read on a worker thread first."""

    def as_new_dataset(read: Dataset | None) -> bool:
        if not may_discard(win, "Opening a dataset starts a new model."):
            return False
        if read is not None:  # read already (a large file, not the model's)
            win.controller.set_dataset(read)
            return _on_dataset_opened(win, path)
        # a large file loads on a worker thread: the new model is made when it is set
        return win.controller.open_dataset(
            path,
            then=lambda: _on_dataset_opened(win, path),
            block_size=win.panel.model_config().block_size,
        )

    return win.controller.open_dataset_for_model(
        path, kept=lambda: _on_models_dataset_opened(win, path), otherwise=as_new_dataset
    )


def _on_models_dataset_opened(win: MainWindow, path: str | Path) -> bool:
    win.recent_files.add(path)
    return True


def _on_dataset_opened(win: MainWindow, path: str | Path) -> bool:
    win.recent_files.add(path)
    return new_model(win, ask=False)


def open_model_dialog(win: MainWindow) -> None:
    folder = win.recent_files.last_folder()
    path = win.dialogs.open_path("Open model", MODEL_FILTER, folder)
    if path:
        open_model(win, path)


def open_model(win: MainWindow, path: str | Path) -> bool:
    # the file is checked fully first (a large one on a worker thread): no question about
    # unsaved training for a file that cannot be opened anyway
    return win.controller.read_model_file_then(
        path, lambda model_file: _open_checked_model(win, model_file, path)
    )


def _open_checked_model(win: MainWindow, model_file: ModelFile, path: str | Path) -> bool:
    if not may_discard(win, "Opening a model replaces the current one."):
        return False
    if not win.controller.apply_model_file(model_file, path):
        return False
    win.recent_files.add(path)
    return True


def new_model(win: MainWindow, ask: bool = True) -> bool:
    if ask and not may_discard(win, "A new model starts from random weights."):
        return False
    panel = win.panel
    return win.controller.new_model(
        panel.model_config(), panel.train_config(), panel.split_seed_value()
    )


def save_model(win: MainWindow) -> bool:
    controller = win.controller
    if controller.path is None or controller.path.suffix != MODEL_SUFFIX:
        return save_model_as(win)  # a learner's .pt weights are never overwritten
    return controller.save(controller.path)


def save_model_as(win: MainWindow) -> bool:
    controller = win.controller
    if controller.model is None:
        return False
    folder = Path(win.recent_files.last_folder())
    current = controller.path
    suggested = str(
        current.with_suffix(MODEL_SUFFIX) if current else folder / f"model{MODEL_SUFFIX}"
    )
    path = win.dialogs.save_path("Save model", MODEL_FILTER, suggested)
    if not path:
        return False
    if not path.endswith(MODEL_SUFFIX):
        path += MODEL_SUFFIX
    if controller.save(path):
        win.recent_files.add(path)
        return True
    return False


def may_discard(win: MainWindow, why: str) -> bool:
    """Ask before unsaved training is thrown away. False: the user cancelled."""
    controller = win.controller
    if not controller.modified:
        return True
    name = controller.path.name if controller.path else "The current model"
    choice = win.dialogs.ask_save(
        "Unsaved training",
        f"{name} has training that is not saved. {why}\n\nSave it first?",
    )
    if choice == SaveChoice.CANCEL:
        return False
    if choice == SaveChoice.SAVE:
        return save_model(win)
    return True


# -- drag and drop ---------------------------------------------------------------------
def drag_enter(win: MainWindow, event: QDragEnterEvent) -> None:
    """One local file, while nothing is training: the window takes it."""
    urls = event.mimeData().urls()
    if len(urls) == 1 and urls[0].isLocalFile() and not win.controller.is_busy():
        event.acceptProposedAction()


def drop(win: MainWindow, event: QDropEvent) -> None:
    urls = event.mimeData().urls()
    if urls and urls[0].isLocalFile():
        event.acceptProposedAction()
        path = urls[0].toLocalFile()
        # opened after the drop returns: the source application is not kept waiting
        QTimer.singleShot(0, lambda: open_path(win, path))
