"""The main window's menus and actions. Every action is also added to the window itself, so
its shortcut works even when the menu bar is hidden (presentation mode)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

from charnames_gui.ui.window import export_commands as exports
from charnames_gui.ui.window import file_commands as files
from charnames_gui.ui.window import help_commands as help_
from charnames_gui.ui.window.recent_files import RecentFiles
from charnames_gui.ui.window.search_commands import open_search

if TYPE_CHECKING:
    from charnames_gui.ui.window.main_window import MainWindow

Shortcut = QKeySequence | QKeySequence.StandardKey | Qt.Key | str | None


class MenuActions:
    """The actions and menus that build_menus makes, declared as the window's attributes."""

    new_action: QAction
    open_dataset_action: QAction
    open_model_action: QAction
    save_action: QAction
    save_as_action: QAction
    export_plot_action: QAction
    export_csv_action: QAction
    export_embedding_action: QAction
    export_runs_action: QAction
    export_script_action: QAction
    export_notebook_action: QAction
    quit_action: QAction
    start_pause_action: QAction
    stop_action: QAction
    lr_sweep_action: QAction
    repeat_action: QAction
    test_action: QAction
    beat_lecture_action: QAction
    reset_layout_action: QAction
    about_action: QAction
    lecture_action: QAction
    guide_action: QAction
    shortcuts_action: QAction
    zoom_in_action: QAction
    zoom_out_action: QAction
    zoom_reset_action: QAction
    presentation_action: QAction
    leave_presentation_action: QAction
    file_menu: QMenu
    recent_menu: QMenu
    export_menu: QMenu
    train_menu: QMenu
    experiments_menu: QMenu
    view_menu: QMenu
    help_menu: QMenu
    recent_files: RecentFiles


def make_action(
    window: QMainWindow,
    text: str,
    slot: Callable[[], object],
    shortcut: Shortcut = None,
    tip: str = "",
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    window.addAction(action)  # shortcuts work even when the menu bar is hidden
    return action


def build_menus(win: MainWindow) -> None:
    """Create the menu bar and the window's actions (kept as attributes of the window)."""
    bar = win.menuBar()

    def act(
        text: str, slot: Callable[[], object], shortcut: Shortcut = None, tip: str = ""
    ) -> QAction:
        return make_action(win, text, slot, shortcut, tip)

    def on_win(command: Callable[[MainWindow], object]) -> Callable[[], object]:
        return lambda: command(win)  # a command of files, exports or help_, for this window

    # -- File -----------------------------------------------------------------------------------
    file_menu = bar.addMenu("&File")
    win.file_menu = file_menu
    win.new_action = act("&New model", win.new_model, QKeySequence.StandardKey.New,
                         "Start again with freshly initialised weights")  # fmt: skip
    win.open_dataset_action = act("Open &dataset...", on_win(files.open_dataset_dialog),
                                  "Ctrl+Shift+O",
                                  "Open a text file with one name per line")  # fmt: skip
    win.open_model_action = act("&Open model...", on_win(files.open_model_dialog),
                                QKeySequence.StandardKey.Open,
                                "Open a saved model (.safetensors), or your own weights "
                                "(C, W1, b1, W2, b2: .safetensors or torch.save)")  # fmt: skip
    file_menu.addAction(win.new_action)
    file_menu.addAction(win.open_dataset_action)
    file_menu.addAction(win.open_model_action)
    win.recent_menu = file_menu.addMenu("Open &recent")
    win.recent_files = RecentFiles(win.settings, win.recent_menu, win)
    win.recent_files.openRequested.connect(win.open_path)
    file_menu.addSeparator()
    win.save_action = act("&Save model", win.save_model, QKeySequence.StandardKey.Save,
                          "Save the model")  # fmt: skip
    win.save_as_action = act("Save model &as...", win.save_model_as,
                             QKeySequence.StandardKey.SaveAs,
                             "Save the model to a new file")  # fmt: skip
    file_menu.addAction(win.save_action)
    file_menu.addAction(win.save_as_action)
    win.export_menu = file_menu.addMenu("&Export")
    win.export_plot_action = act("Plot as &PNG...", on_win(exports.export_plot_png), None,
                                 "Save the loss plot as an image")  # fmt: skip
    win.export_csv_action = act("Losses as &CSV...", on_win(exports.export_losses_csv), None,
                                "Save every loss value as CSV")  # fmt: skip
    win.export_embedding_action = act("&Embedding as PNG...",
                                      on_win(exports.export_embedding_png), None,
                                      "Save the embedding scatter as an image")  # fmt: skip
    win.export_runs_action = act("&Runs table as CSV...", on_win(exports.export_runs_csv), None,
                                 "Save the run history as CSV")  # fmt: skip
    for action in (win.export_plot_action, win.export_csv_action, win.export_embedding_action,
                   win.export_runs_action):  # fmt: skip
        win.export_menu.addAction(action)
    win.export_menu.addSeparator()
    win.export_script_action = act(
        "Python &script...", on_win(exports.export_script), None,
        "The run as the lecture's code: a standalone script that needs only torch",
    )  # fmt: skip
    win.export_notebook_action = act(
        "&Jupyter notebook...", on_win(exports.export_notebook), None,
        "The run as the lecture's notebook: build_dataset, the loop, sampling",
    )  # fmt: skip
    win.export_menu.addAction(win.export_script_action)
    win.export_menu.addAction(win.export_notebook_action)
    file_menu.addSeparator()
    win.quit_action = act("&Quit", win.close, QKeySequence.StandardKey.Quit)
    file_menu.addAction(win.quit_action)

    # -- Training -------------------------------------------------------------------------------
    train_menu = bar.addMenu("&Training")
    win.train_menu = train_menu
    c = win.controller
    win.start_pause_action = act("Start / &Pause", c.toggle, Qt.Key.Key_Space,
                                 "Start, pause or resume training")  # fmt: skip
    win.stop_action = act("&End the run", c.stop, "Ctrl+.",
                          "End the run now and measure the loss on the whole train and dev "
                          "splits")  # fmt: skip
    train_menu.addAction(win.start_pause_action)
    train_menu.addAction(win.stop_action)
    train_menu.addSeparator()
    win.lr_sweep_action = act("Find a &learning rate", win.start_lr_sweep, "Ctrl+L",
                              "The lecture's sweep: one step at each of 1,000 growing "
                              "learning rates")  # fmt: skip
    win.repeat_action = act("&Repeat with several seeds...", win.repeat_with_seeds, None,
                            "Train this configuration with K seeds and report the dev loss "
                            "as mean ± std")  # fmt: skip
    win.test_action = act("Evaluate on &test set...", win.evaluate_on_test_set, None,
                          "Measure the loss on the held-out test split "
                          "(do this rarely)")  # fmt: skip
    train_menu.addAction(win.lr_sweep_action)
    train_menu.addAction(win.repeat_action)
    train_menu.addSeparator()
    train_menu.addAction(win.test_action)

    # -- Experiments ----------------------------------------------------------------------------
    win.experiments_menu = bar.addMenu("E&xperiments")
    win.beat_lecture_action = act("&Beat the lecture...", lambda: open_search(win), None,
                                  "Search on the dev split for a configuration that beats "
                                  "the lecture's loss (Optuna)")  # fmt: skip
    win.experiments_menu.addAction(win.beat_lecture_action)

    # -- View -----------------------------------------------------------------------------------
    win.view_menu = bar.addMenu("&View")
    for dock in win.findChildren(QDockWidget):  # in the order they were made
        win.view_menu.addAction(dock.toggleViewAction())
    win.view_menu.addSeparator()
    z = win.zoom
    win.zoom_in_action = act("Zoom &in", z.zoom_in, QKeySequence.StandardKey.ZoomIn,
                             "Larger text everywhere (up to 250%)")  # fmt: skip
    # Ctrl+= as well: on most keyboards "+" needs Shift
    win.zoom_in_action.setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
    win.zoom_out_action = act("Zoom &out", z.zoom_out, QKeySequence("Ctrl+-"),
                              "Smaller text everywhere (down to 75%)")  # fmt: skip
    win.zoom_reset_action = act("&Actual size", z.reset, QKeySequence("Ctrl+0"),
                                "Text at its normal size (100%)")  # fmt: skip
    win.presentation_action = act("&Presentation mode", win.presentation.toggle, Qt.Key.Key_F11,
                                  "Full screen, larger text, the training panel folded to "
                                  "its buttons (F11 or Esc leaves)")  # fmt: skip
    win.leave_presentation_action = act("Leave presentation mode", win.presentation.leave,
                                        Qt.Key.Key_Escape)  # fmt: skip
    win.leave_presentation_action.setEnabled(False)  # Esc is free outside presentation mode
    win.presentation.set_actions(win.presentation_action, win.leave_presentation_action)
    for action in (win.zoom_in_action, win.zoom_out_action, win.zoom_reset_action):
        win.view_menu.addAction(action)
    win.view_menu.addSeparator()
    win.view_menu.addAction(win.presentation_action)
    win.view_menu.addSeparator()
    win.reset_layout_action = act("&Reset layout", win.reset_layout, None,
                                  "Put every panel back in its place")  # fmt: skip
    win.view_menu.addAction(win.reset_layout_action)

    # -- Help -----------------------------------------------------------------------------------
    win.help_menu = bar.addMenu("&Help")
    win.guide_action = act("&Guide", on_win(help_.show_guide),
                           QKeySequence.StandardKey.HelpContents,
                           "The lecture's steps in order, with the experiment "
                           "for each")  # fmt: skip
    win.shortcuts_action = act("&Keyboard shortcuts", on_win(help_.show_shortcuts), "Ctrl+/",
                               "Every keyboard shortcut of the app")  # fmt: skip
    win.lecture_action = act("The &lecture (makemore part 2)", on_win(help_.open_lecture))
    win.about_action = act("&About Charnames", win.show_about)
    for action in (win.guide_action, win.shortcuts_action, win.lecture_action,
                   win.about_action):  # fmt: skip
        win.help_menu.addAction(action)
