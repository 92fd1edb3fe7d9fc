"""File → Export: the loss plot, the losses, the embedding, the runs table, the generated
names, and the run as the lecture's code (a script or a notebook). Each goes through
exports.export_file, also when asked by a view's own button (the Runs view's Export CSV…, the
Sampling panel's Export…): one dialog, one protection of the model and its dataset."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QStatusBar

from charnames_gui.ui.controller import Controller
from charnames_gui.ui.model_files import write_code
from charnames_gui.ui.views.embedding_view import EmbeddingView
from charnames_gui.ui.views.loss_plot import LossPlot
from charnames_gui.ui.views.runs_view import RunsView
from charnames_gui.ui.views.sampling_panel import SamplingPanel
from charnames_gui.ui.window.app_settings import AppSettings
from charnames_gui.ui.window.exports import (
    EMBEDDING_PNG,
    LOSS_PNG,
    LOSSES_CSV,
    NAMES_TXT,
    NOTEBOOK_IPYNB,
    RUNS_CSV,
    SCRIPT_PY,
    AsksSavePath,
    ExportKind,
    export_file,
)


@dataclasses.dataclass(frozen=True)
class ExportedViews:
    """The views whose content can be exported."""

    loss_plot: LossPlot
    embedding_view: EmbeddingView
    runs_view: RunsView
    sampling_panel: SamplingPanel


class ExportCommands:
    """on_error(title, message): how a failed export is told (the window's error report)."""

    def __init__(
        self,
        controller: Controller,
        dialogs: AsksSavePath,
        settings: AppSettings,
        views: ExportedViews,
        status: QStatusBar,
        on_error: Callable[[str, str], None],
    ) -> None:
        self.controller = controller
        self.dialogs = dialogs
        self.settings = settings
        self.views = views
        self.status = status
        self.on_error = on_error
        views.runs_view.exportRequested.connect(self.export_runs_csv)
        views.sampling_panel.exportRequested.connect(self.export_names)

    def _export(self, kind: ExportKind, write: Callable[[str], object]) -> Path | None:
        d = self.controller.document  # never written over: the model's file and its dataset
        protect = (d.path, d.dataset.path if d.dataset is not None else None)
        return export_file(self.dialogs, self.settings, kind, write, self.on_error, protect)

    def export_runs_csv(self) -> None:
        self._export(RUNS_CSV, self.views.runs_view.export_csv)

    def export_names(self) -> None:
        self._export(NAMES_TXT, self.views.sampling_panel.export_names)

    def export_plot_png(self) -> None:
        self._export(LOSS_PNG, self.views.loss_plot.export_png)

    def export_losses_csv(self) -> None:
        self._export(LOSSES_CSV, self.views.loss_plot.export_csv)

    def export_embedding_png(self) -> None:
        self._export(EMBEDDING_PNG, self.views.embedding_view.export_png)

    def export_script(self) -> None:
        self._export_code(SCRIPT_PY, "script")

    def export_notebook(self) -> None:
        self._export_code(NOTEBOOK_IPYNB, "notebook")

    def _export_code(self, kind: ExportKind, code_kind: str) -> None:
        """The run as the lecture's code (core/export_script.py), named after the model."""
        controller = self.controller
        if controller.document.model is None or not controller.wait_until_idle():
            return
        if controller.document.path is not None:
            kind = dataclasses.replace(
                kind, suggested_name=controller.document.path.stem + kind.suffix
            )

        def write(path: str) -> None:
            self.status.showMessage(write_code(path, code_kind, controller.document), 10000)

        self._export(kind, write)
