"""The hyperparameter panel and the model, kept in step: a new size, init or seed makes a new
model (after asking about unsaved training), a training setting changes the current run, and
a model opened or made is shown in the panel without counting as an edit."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker

from charnames_gui.ui.controller import Controller
from charnames_gui.ui.views.hyperparameters import HyperparameterPanel
from charnames_gui.ui.window.file_commands import FileCommands


class PanelSync:
    """The panel's edits go to the model; the model's values come back to the panel."""

    def __init__(
        self, panel: HyperparameterPanel, controller: Controller, files: FileCommands
    ) -> None:
        self.panel = panel
        self.controller = controller
        self.files = files
        panel.modelShapeChanged.connect(self._on_shape_edited)
        panel.trainingChanged.connect(self._on_training_edited)

    def show_model(self) -> None:
        """The current model's values in the panel: shown, not edits (the panel's change
        signals are blocked while they are set, so no new model follows)."""
        info = self.controller.document.model_info()
        if info is None:
            return
        with QSignalBlocker(self.panel):
            self.panel.set_values(info.config, info.train_config, info.split_seed)

    def _on_shape_edited(self) -> None:
        dataset = self.controller.document.dataset
        self.panel.set_vocab_size(
            dataset.vocab.size
            if dataset and dataset.vocab
            else self.panel.model_config().vocab_size
        )
        if dataset is None:
            return
        if self.files.may_discard("New sizes, init or seeds need a new model."):
            self.files.new_model(ask=False)
        else:
            self.show_model()

    def _on_training_edited(self) -> None:
        self.controller.apply_train_config(self.panel.train_config())
