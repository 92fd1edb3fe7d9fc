"""File commands: new model, open a dataset or a model, save, save as, and the "save or
discard?" question before unsaved training is thrown away."""

from __future__ import annotations

from pathlib import Path

from charnames_gui.core.data import Dataset
from charnames_gui.core.model_file import MODEL_SUFFIX, OPENABLE_SUFFIXES, ModelFile
from charnames_gui.ui.controller import Controller
from charnames_gui.ui.views.hyperparameters import HyperparameterPanel
from charnames_gui.ui.window.dialogs import DATASET_FILTER, MODEL_FILTER, AsksUser, SaveChoice
from charnames_gui.ui.window.recent_files import RecentFiles


class FileCommands:
    """The File menu's commands on the controller's model and dataset. New models take their
    sizes from the panel; every file opened or saved goes first in the recent files."""

    def __init__(
        self,
        controller: Controller,
        dialogs: AsksUser,
        panel: HyperparameterPanel,
        recent_files: RecentFiles,
    ) -> None:
        self.controller = controller
        self.dialogs = dialogs
        self.panel = panel
        self.recent_files = recent_files

    def open_path(self, path: str | Path) -> bool:
        """Open a model file (by its .safetensors suffix) or a dataset."""
        if Path(path).suffix.lower() in OPENABLE_SUFFIXES:
            return self.open_model(path)
        return self.open_dataset(path)

    def open_dataset_dialog(self) -> None:
        folder = self.recent_files.last_folder()
        path = self.dialogs.open_path("Open dataset", DATASET_FILTER, folder)
        if path:
            self.open_dataset(path)

    def open_dataset(self, path: str | Path) -> bool:
        """The model's own dataset (same content) keeps the model; any other starts a new
        model (after asking about unsaved training). A large file is read on a worker thread
        first."""

        def as_new_dataset(read: Dataset | None) -> bool:
            if not self.may_discard("Opening a dataset starts a new model."):
                return False
            if read is not None:  # read already (a large file, not the model's)
                self.controller.set_dataset(read)
                return self._on_dataset_opened(path)
            # a large file loads on a worker thread: the new model is made when it is set
            return self.controller.open_dataset(
                path,
                then=lambda: self._on_dataset_opened(path),
                block_size=self.panel.model_config().block_size,
            )

        return self.controller.open_dataset_for_model(
            path, kept=lambda: self._remember(path), otherwise=as_new_dataset
        )

    def _remember(self, path: str | Path) -> bool:
        self.recent_files.add(path)
        return True

    def _on_dataset_opened(self, path: str | Path) -> bool:
        self.recent_files.add(path)
        return self.new_model(ask=False)

    def open_model_dialog(self) -> None:
        folder = self.recent_files.last_folder()
        path = self.dialogs.open_path("Open model", MODEL_FILTER, folder)
        if path:
            self.open_model(path)

    def open_model(self, path: str | Path) -> bool:
        # the file is checked fully first (a large one on a worker thread): no question about
        # unsaved training for a file that cannot be opened anyway
        return self.controller.read_model_file_then(
            path, lambda model_file: self._open_checked_model(model_file, path)
        )

    def _open_checked_model(self, model_file: ModelFile, path: str | Path) -> bool:
        if not self.may_discard("Opening a model replaces the current one."):
            return False
        if not self.controller.apply_model_file(model_file, path):
            return False
        return self._remember(path)

    def new_model(self, ask: bool = True) -> bool:
        if ask and not self.may_discard("A new model starts from random weights."):
            return False
        panel = self.panel
        return self.controller.new_model(
            panel.model_config(), panel.train_config(), panel.split_seed_value()
        )

    def save_model(self) -> bool:
        controller = self.controller
        if controller.document.path is None or controller.document.path.suffix != MODEL_SUFFIX:
            return self.save_model_as()  # a learner's .pt weights are never overwritten
        return controller.save(controller.document.path)

    def save_model_as(self) -> bool:
        controller = self.controller
        if controller.document.model is None:
            return False
        folder = Path(self.recent_files.last_folder())
        current = controller.document.path
        suggested = str(
            current.with_suffix(MODEL_SUFFIX) if current else folder / f"model{MODEL_SUFFIX}"
        )
        path = self.dialogs.save_path("Save model", MODEL_FILTER, suggested)
        if not path:
            return False
        if not path.endswith(MODEL_SUFFIX):
            path += MODEL_SUFFIX
        return controller.save(path) and self._remember(path)

    def may_discard(self, why: str) -> bool:
        """Ask before unsaved training is thrown away. False: the user cancelled."""
        controller = self.controller
        if not controller.document.modified:
            return True
        name = controller.document.path.name if controller.document.path else "The current model"
        choice = self.dialogs.ask_save(
            "Unsaved training",
            f"{name} has training that is not saved. {why}\n\nSave it first?",
        )
        if choice == SaveChoice.CANCEL:
            return False
        if choice == SaveChoice.SAVE:
            return self.save_model()
        return True
