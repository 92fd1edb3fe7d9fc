"""The main window's menus as a table: File, Training, Experiments, View, Help. Each row says
its text, shortcut, command, tip, and when it is enabled (menus.py builds them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu

from charnames_gui.core.training_state import TrainingState
from charnames_gui.ui.controller import Controller
from charnames_gui.ui.window.experiment_commands import ExperimentCommands
from charnames_gui.ui.window.export_commands import ExportCommands
from charnames_gui.ui.window.file_commands import FileCommands
from charnames_gui.ui.window.help_commands import HelpCommands
from charnames_gui.ui.window.menus import (
    SEPARATOR,
    Action,
    Attached,
    Availability,
    DockToggles,
    Menu,
)
from charnames_gui.ui.window.presentation import Presentation
from charnames_gui.ui.window.replay import ReplayCommands
from charnames_gui.ui.window.search_commands import SearchCommands
from charnames_gui.ui.window.zoom import Zoom

Key = QKeySequence.StandardKey


@dataclass(frozen=True)
class WindowCommands:
    """Everything the menus call."""

    controller: Controller
    files: FileCommands
    exports: ExportCommands
    experiments: ExperimentCommands
    search: SearchCommands
    help: HelpCommands
    zoom: Zoom
    presentation: Presentation
    recent_menu: QMenu  # filled by RecentFiles
    quit: Callable[[], object]
    reset_layout: Callable[[], object]
    replay: ReplayCommands


# -- when an action is enabled ----------------------------------------------------------------
def not_busy(now: Availability) -> bool:
    return not now.busy


def has_model(now: Availability) -> bool:
    return now.has_model


def has_model_not_busy(now: Availability) -> bool:
    return now.has_model and not now.busy


def can_train(now: Availability) -> bool:
    return now.idle_with_model


def in_a_run(now: Availability) -> bool:
    return now.state in (TrainingState.RUNNING, TrainingState.PAUSED)


# -- the table ----------------------------------------------------------------------------------
def menu_table(do: WindowCommands) -> list[Menu]:
    f, x, e, h, z, p = do.files, do.exports, do.experiments, do.help, do.zoom, do.presentation
    file_menu = Menu(
        "file",
        "&File",
        [
            Action(
                "new",
                "&New model",
                f.new_model,
                [Key.New],
                tip="Start again with freshly initialised weights",
                when=not_busy,
            ),
            Action(
                "open_dataset",
                "Open &dataset...",
                f.open_dataset_dialog,
                ["Ctrl+Shift+O"],
                tip="Open a text file with one name per line",
                when=not_busy,
            ),
            Action(
                "open_model",
                "&Open model...",
                f.open_model_dialog,
                [Key.Open],
                tip="Open a saved model (.safetensors), or your own weights "
                "(C, W1, b1, W2, b2: .safetensors or torch.save)",
                when=not_busy,
            ),
            Attached("recent", do.recent_menu, when=not_busy),
            SEPARATOR,
            Action(
                "save",
                "&Save model",
                f.save_model,
                [Key.Save],
                tip="Save the model",
                when=has_model,
            ),
            Action(
                "save_as",
                "Save model &as...",
                f.save_model_as,
                [Key.SaveAs],
                tip="Save the model to a new file",
                when=has_model,
            ),
            Menu(
                "export",
                "&Export",
                [
                    Action(
                        "export_plot",
                        "Plot as &PNG...",
                        x.export_plot_png,
                        tip="Save the loss plot as an image",
                    ),
                    Action(
                        "export_csv",
                        "Losses as &CSV...",
                        x.export_losses_csv,
                        tip="Save every loss value as CSV",
                    ),
                    Action(
                        "export_embedding",
                        "&Embedding as PNG...",
                        x.export_embedding_png,
                        tip="Save the embedding scatter as an image",
                    ),
                    Action(
                        "export_replay",
                        "Re&play for slides (video, GIF, PNG, SVG)...",
                        do.replay.export_dialog,
                        tip="The run's embedding, bars or hidden layer over training as an MP4 "
                        "or GIF, or the step shown as a PNG or SVG, at 1280x720 or 1920x1080",
                        when=has_model,
                    ),
                    Action(
                        "export_runs",
                        "&Runs table as CSV...",
                        x.export_runs_csv,
                        tip="Save the run history as CSV",
                    ),
                    SEPARATOR,
                    Action(
                        "export_script",
                        "Python &script...",
                        x.export_script,
                        tip="The run as the lecture's code: a standalone script that needs only "
                        "torch",
                        when=has_model_not_busy,
                    ),
                    Action(
                        "export_notebook",
                        "&Jupyter notebook...",
                        x.export_notebook,
                        tip="The run as the lecture's notebook: build_dataset, the loop, sampling",
                        when=has_model_not_busy,
                    ),
                ],
            ),
            SEPARATOR,
            Action("quit", "&Quit", do.quit, [Key.Quit]),
        ],
    )
    training_menu = Menu(
        "training",
        "&Training",
        [
            Action(
                "start_pause",
                "Start / &Pause",
                do.controller.toggle,
                [Qt.Key.Key_Space],
                tip="Start, pause or resume training",
            ),
            Action(
                "stop",
                "&End the run",
                do.controller.stop,
                ["Ctrl+."],
                tip="End the run now and measure the loss on the whole train and dev splits",
                when=in_a_run,
            ),
            SEPARATOR,
            Action(
                "lr_sweep",
                "Find a &learning rate",
                e.start_lr_sweep,
                ["Ctrl+L"],
                tip="The lecture's sweep: one step at each of 1,000 growing learning rates",
                when=can_train,
            ),
            Action(
                "repeat",
                "&Repeat with several seeds...",
                e.repeat_with_seeds,
                tip="Train this configuration with K seeds and report the dev loss as mean ± std",
                when=can_train,
            ),
            SEPARATOR,
            Action(
                "test",
                "Evaluate on &test set...",
                e.evaluate_on_test_set,
                tip="Measure the loss on the held-out test split (do this rarely)",
                when=can_train,
            ),
        ],
    )
    experiments_menu = Menu(
        "experiments",
        "E&xperiments",
        [
            Action(
                "beat_lecture",
                "&Beat the lecture...",
                do.search.open_search,
                tip="Search on the dev split for a configuration that beats the lecture's loss "
                "(Optuna)",
            ),
            Action(
                "compare_runs",
                "&Compare two runs...",
                do.experiments.compare_runs,
                tip="Is B better than A? The two runs (or repeats) selected in the Runs panel, "
                "by their dev losses with a 95% interval",
            ),
            Action(
                "compare_presets",
                "Compare two &presets...",
                do.experiments.compare_presets,
                tip="Is preset B better than preset A? Both trained with the same seeds, all "
                "cores, then compared seed by seed with a 95% interval",
            ),
        ],
    )
    view_menu = Menu(
        "view",
        "&View",
        [
            DockToggles(),
            SEPARATOR,
            # Ctrl+= first: on most keyboards "+" needs Shift
            Action(
                "zoom_in",
                "Zoom &in",
                z.zoom_in,
                ["Ctrl+=", "Ctrl++"],
                tip="Larger text everywhere (up to 250%)",
            ),
            Action(
                "zoom_out",
                "Zoom &out",
                z.zoom_out,
                ["Ctrl+-"],
                tip="Smaller text everywhere (down to 75%)",
            ),
            Action(
                "zoom_reset",
                "&Actual size",
                z.reset,
                ["Ctrl+0"],
                tip="Text at its normal size (100%)",
            ),
            SEPARATOR,
            Action(
                "presentation",
                "&Presentation mode",
                p.toggle,
                [Qt.Key.Key_F11],
                tip="Full screen, larger text, the training panel folded to its buttons "
                "(F11 or Esc leaves)",
            ),
            SEPARATOR,
            Action(
                "reset_layout",
                "&Reset layout",
                do.reset_layout,
                tip="Put every panel back in its place",
            ),
        ],
    )
    help_menu = Menu(
        "help",
        "&Help",
        [
            Action(
                "guide",
                "&Guide",
                h.show_guide,
                [Key.HelpContents],
                tip="The lecture's steps in order, with the experiment for each",
            ),
            Action(
                "shortcuts",
                "&Keyboard shortcuts",
                h.show_shortcuts,
                ["Ctrl+/"],
                tip="Every keyboard shortcut of the app",
            ),
            Action("lecture", "The &lecture (makemore part 2)", h.open_lecture),
            Action("about", "&About Charnames", h.show_about),
        ],
    )
    return [file_menu, training_menu, experiments_menu, view_menu, help_menu]


def window_actions(do: WindowCommands) -> list[Action]:
    """Actions of the window that no menu shows: their keys work anywhere in it."""
    # Esc is free outside presentation mode: the presentation enables it
    leave = Action(
        "leave_presentation",
        "Leave presentation mode",
        do.presentation.leave,
        [Qt.Key.Key_Escape],
        enabled=False,
    )
    return [leave]
