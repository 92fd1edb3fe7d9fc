"""The hyperparameter panel and the model, kept in step: a new size, init or seed makes a new
model (after asking about unsaved training), a training setting changes the current run, and
a model opened or made is shown in the panel without counting as an edit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from charnames_gui.ui.window import file_commands

if TYPE_CHECKING:
    from charnames_gui.ui.window.main_window import MainWindow


def connect_panel(win: MainWindow) -> None:
    win.panel.modelShapeChanged.connect(lambda: _on_shape_edited(win))
    win.panel.trainingChanged.connect(lambda: _on_training_edited(win))


@contextmanager
def syncing_panel(win: MainWindow) -> Iterator[None]:
    """Values set by the app, not edits: no new model for them."""
    win.syncing_panel = True
    try:
        yield
    finally:
        win.syncing_panel = False


def show_model_in_panel(win: MainWindow) -> None:
    info = win.controller.model_info()
    if info is None:
        return
    with syncing_panel(win):
        win.panel.set_values(info.config, info.train_config, info.split_seed)


def _on_shape_edited(win: MainWindow) -> None:
    if win.syncing_panel:
        return
    dataset = win.controller.dataset
    win.panel.set_vocab_size(
        dataset.vocab.size if dataset and dataset.vocab else win.panel.model_config().vocab_size
    )
    if dataset is None:
        return
    if file_commands.may_discard(win, "New sizes, init or seeds need a new model."):
        win.new_model(ask=False)
    else:
        show_model_in_panel(win)


def _on_training_edited(win: MainWindow) -> None:
    if win.syncing_panel:
        return
    win.controller.apply_train_config(win.panel.train_config())
