"""File → Export: the loss plot, the losses, the embedding, the runs table, and the run as
the lecture's code (a script or a notebook). Each goes through exports.export_file."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from charnames_gui.ui.window.exports import (
    EMBEDDING_PNG,
    LOSS_PNG,
    LOSSES_CSV,
    NOTEBOOK_IPYNB,
    RUNS_CSV,
    SCRIPT_PY,
    ExportKind,
    export_file,
)

if TYPE_CHECKING:
    from charnames_gui.ui.window.main_window import MainWindow


def _export(win: MainWindow, kind: ExportKind, write: Callable[[str], object]) -> Path | None:
    return export_file(win.dialogs, win.settings, kind, write, win.dialogs_error)


def export_runs_csv(win: MainWindow) -> None:
    _export(win, RUNS_CSV, win.runs_view.export_csv)


def export_plot_png(win: MainWindow) -> None:
    _export(win, LOSS_PNG, win.loss_plot.export_png)


def export_losses_csv(win: MainWindow) -> None:
    _export(win, LOSSES_CSV, win.loss_plot.export_csv)


def export_embedding_png(win: MainWindow) -> None:
    _export(win, EMBEDDING_PNG, win.embedding_view.export_png)


def export_script(win: MainWindow) -> None:
    _export_code(win, SCRIPT_PY, "script")


def export_notebook(win: MainWindow) -> None:
    _export_code(win, NOTEBOOK_IPYNB, "notebook")


def _export_code(win: MainWindow, kind: ExportKind, code_kind: str) -> None:
    """The run as the lecture's code (core/export_script.py), named after the model."""
    controller = win.controller
    if controller.model is None or not controller.wait_until_idle():
        return
    if controller.path is not None:
        kind = dataclasses.replace(kind, suggested_name=controller.path.stem + kind.suffix)

    def write(path: str) -> None:
        win.statusBar().showMessage(controller.write_code(path, code_kind), 10000)

    _export(win, kind, write)
