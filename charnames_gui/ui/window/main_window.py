"""The main window: its docks and status bar, wiring the views to the controller. The menus
(menus.py) and the commands behind them (file_, export_, experiment_ and help_commands.py),
settings, presentation mode and zoom have modules of their own."""

from __future__ import annotations

from html import escape as escape_html
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QIcon
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QVBoxLayout, QWidget

from charnames_gui.bundled import bundled_dataset_path, resource_path
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.events import OneStep, RunEnded
from charnames_gui.core.run_writer import Opened
from charnames_gui.core.runs import default_runs_path
from charnames_gui.ui.controller import Controller, ModelInfo, TrainingState
from charnames_gui.ui.experiments import Experiments
from charnames_gui.ui.hidden_analysis import HiddenAnalysis
from charnames_gui.ui.run_history import RunHistory
from charnames_gui.ui.views.embedding_view import EmbeddingView
from charnames_gui.ui.views.forward_view import ForwardView
from charnames_gui.ui.views.hidden_layer_view import HiddenLayerView
from charnames_gui.ui.views.hyperparameters import HyperparameterPanel
from charnames_gui.ui.views.loss_plot import LossPlot
from charnames_gui.ui.views.lr_finder_view import SWEEP_STEPS, LrFinderView
from charnames_gui.ui.views.runs_view import RunsView
from charnames_gui.ui.views.sampling_panel import SamplingPanel
from charnames_gui.ui.views.training_controls import TrainingControls
from charnames_gui.ui.window import experiment_commands, file_commands, help_commands
from charnames_gui.ui.window.dialogs import Dialogs
from charnames_gui.ui.window.dock_layout import DockLayout, DockRoles
from charnames_gui.ui.window.experiment_commands import connect_experiments
from charnames_gui.ui.window.live_views import LiveViews
from charnames_gui.ui.window.menus import MenuActions, build_menus
from charnames_gui.ui.window.panel_sync import connect_panel, show_model_in_panel
from charnames_gui.ui.window.presentation import Presentation
from charnames_gui.ui.window.search_commands import SearchWindow
from charnames_gui.ui.window.wheel_guard import guard_fields
from charnames_gui.ui.window.window_layout import PanelScroll, first_window_size
from charnames_gui.ui.window.window_settings import restore_settings, save_settings
from charnames_gui.ui.window.zoom import Zoom

APP_NAME = "Charnames"


def _app_data_dir() -> Path:
    """Where the run history lives (per user, per app; a test location in test mode)."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


class MainWindow(MenuActions, QMainWindow):
    def __init__(
        self,
        settings: QSettings | None = None,
        load_bundled: bool = True,
        runs_path: Path | None = None,
        wait_for_torch: bool = False,
    ) -> None:
        """wait_for_torch: PyTorch is still loading (the app's start, see app.py): the
        window works at once, the model is made when controller.torch_loaded() is called."""
        super().__init__()
        self.settings = settings or QSettings()
        self.dialogs = Dialogs(self)
        self.controller = Controller(self, wait_for_torch=wait_for_torch)
        # opened, read and written on its own thread: a locked history never freezes the window
        self.run_history = RunHistory(runs_path or default_runs_path(_app_data_dir()), self)
        self.experiments = Experiments(self.controller, self.run_history)
        self.search_window: SearchWindow | None = None  # Experiments → Beat the lecture
        self.syncing_panel = False  # the app, not the learner, sets the panel (panel_sync)
        self.setObjectName("MainWindow")
        self.setWindowTitle(f"[*]{APP_NAME}")
        icon_path = resource_path("icon.png")
        if icon_path.is_file():
            self.setWindowIcon(QIcon(str(icon_path)))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        # before the views: they are built with the zoomed font
        self.zoom = Zoom(self.settings, self)
        self.zoom.changed.connect(self._on_zoom_changed)
        self.docks = DockLayout(self, lambda: self.zoom.factor)

        # -- views ---------------------------------------------------------------------------
        self.panel = HyperparameterPanel()
        self.controls = TrainingControls()
        self.loss_plot = LossPlot(own_timer=False)  # drawn by the window's frame clock
        self.setCentralWidget(self.loss_plot)
        self.dataset_label = QLabel()
        self.dataset_label.setWordWrap(True)
        self.dataset_label.setAccessibleName("Dataset")
        self.dataset_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(6, 4, 6, 4)
        side_layout.setSpacing(4)
        side_layout.addWidget(self.dataset_label)
        side_layout.addWidget(self.controls)
        side_layout.addWidget(self.panel)
        side_layout.addStretch(1)
        scroll = PanelScroll(side, keep_width=True)  # as wide as its fields need
        guard_fields(scroll)  # the wheel scrolls the panel, not the field under the pointer
        self.train_dock = self._add_dock("Training", "TrainingDock", scroll,
                                         Qt.DockWidgetArea.LeftDockWidgetArea)  # fmt: skip
        self.embedding_view = EmbeddingView()
        self.embedding_dock = self._add_dock("Embedding", "EmbeddingDock", self.embedding_view,
                                             Qt.DockWidgetArea.RightDockWidgetArea)  # fmt: skip
        self.sampling_panel = SamplingPanel()
        self.sampling_dock = self._add_dock("Sampling", "SamplingDock", self.sampling_panel,
                                            Qt.DockWidgetArea.BottomDockWidgetArea)  # fmt: skip
        self.runs_view = RunsView()
        self.runs_view.set_history(self.run_history)
        self.runs_dock = self._add_dock("Runs", "RunsDock", self.runs_view,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)  # fmt: skip
        self.lr_finder = LrFinderView()
        self.lr_dock = self._add_dock("Learning-rate finder", "LrFinderDock", self.lr_finder,
                                      Qt.DockWidgetArea.BottomDockWidgetArea)  # fmt: skip
        self.docks.tab(self.sampling_dock, self.runs_dock)
        self.docks.tab(self.runs_dock, self.lr_dock)
        # issue 12: the forward pass beside the sampling panel, the hidden layer in its tabs
        self.forward_view, self.hidden_view = ForwardView(), HiddenLayerView()
        # the hidden layer's statistics, computed off the GUI thread while the view is seen
        self.hidden_analysis = HiddenAnalysis(self.hidden_view.isVisible, self)
        self.hidden_analysis.analysed.connect(self.hidden_view.receive)
        self.hidden_analysis.failed.connect(self.hidden_view.show_failure)
        self.hidden_view.shown.connect(self.hidden_analysis.poke)
        self.forward_dock = self._add_dock("Forward pass", "ForwardDock", self.forward_view,
                                           Qt.DockWidgetArea.BottomDockWidgetArea)  # fmt: skip
        self.hidden_dock = self._add_dock("Hidden layer", "HiddenLayerDock", self.hidden_view,
                                          Qt.DockWidgetArea.BottomDockWidgetArea)  # fmt: skip
        self.docks.tab(self.forward_dock, self.hidden_dock)
        self.forward_dock.raise_()
        self.sampling_dock.raise_()
        self.docks.finish(DockRoles(training=self.train_dock, side=self.embedding_dock,
                                    tabs=self.sampling_dock, last_tab=self.lr_dock))  # fmt: skip
        self.presentation = Presentation(self, self.zoom, self.train_dock, self.sampling_dock,
                                         self._fold_for_presentation)  # fmt: skip
        # the training panel runs the full height; the bottom docks span plot and embedding
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        # One clock for every live view: a frame paints one view (see live_views.py)
        self.live_views = LiveViews(self)
        self.frame_clock = self.live_views.clock

        build_menus(self)
        self._connect()
        self.status_state = QLabel()
        self.statusBar().addPermanentWidget(self.status_state)
        restore_settings(self, first_window_size(self.screen()))
        self._update_title()
        self._on_dataset_changed(None)
        self._on_state_changed(self.controller.state)
        self.run_history.opened.connect(self._on_history_opened)
        if load_bundled:
            QTimer.singleShot(0, self._load_initial_dataset)

    def _on_history_opened(self, opened: Opened) -> None:
        if opened.message:  # damaged and moved aside, read-only, or in memory only
            self.dialogs_error("Run history", opened.message)

    # -- construction ------------------------------------------------------------------------
    def _add_dock(
        self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea
    ) -> QDockWidget:
        return self.docks.add(title, name, widget, area)

    def _connect(self) -> None:
        c = self.controller
        c.datasetChanged.connect(self._on_dataset_changed)
        c.modelReset.connect(self._on_model_reset)
        c.stateChanged.connect(self._on_state_changed)
        c.documentChanged.connect(self._update_title)
        c.lossesReady.connect(self.loss_plot.append_losses)
        c.evalReady.connect(self.loss_plot.add_eval_point)
        c.progress.connect(self.live_views.on_progress)
        c.runEnded.connect(self._on_run_ended)
        c.errorOccurred.connect(self.dialogs_error)
        c.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        c.trainingConfigChanged.connect(
            lambda tc: self.loss_plot.set_schedule(tc.steps, tc.decay_steps())
        )
        self.loss_plot.hovered.connect(lambda text: self.statusBar().showMessage(text, 3000))
        c.snapshotReady.connect(self.live_views.on_snapshot)
        connect_experiments(self)  # sweep, repeats, test set, runs table
        self.sampling_panel.contextChanged.connect(self.embedding_view.highlight)
        self.sampling_panel.stepShown.connect(self.forward_view.show_step)
        self.addActions(self.sampling_panel.actions())  # S, F, Backspace, R, P window-wide
        self.sampling_panel.statusMessage.connect(
            lambda text: self.statusBar().showMessage(text, 5000)
        )
        self.controls.startClicked.connect(c.start)
        self.controls.pauseClicked.connect(c.pause)
        self.controls.stopClicked.connect(c.stop)
        # one step: compare the bars of the sampling panel's context (or a name's start)
        self.controls.stepClicked.connect(
            lambda: c.step_once(self.sampling_panel.shown_context() or None)
        )
        c.stepDone.connect(self._on_step_done)
        connect_panel(self)  # edits make a new model or change the training

    # -- datasets and models ---------------------------------------------------------------
    def _load_initial_dataset(self) -> None:
        try:
            path = bundled_dataset_path()
        except CharnamesError as exc:
            self.dialogs_error("Bundled dataset missing", str(exc))
            return
        if self.controller.open_dataset(path):
            self.new_model(ask=False)

    def dialogs_error(self, title: str, message: str) -> None:
        self.statusBar().showMessage(message, 10000)
        self.dialogs.error(title, message)

    # the File menu's commands live in file_commands.py; these are called from many places
    def open_dataset(self, path: str | Path) -> bool:
        return file_commands.open_dataset(self, path)

    def open_model(self, path: str | Path) -> bool:
        return file_commands.open_model(self, path)

    def new_model(self, ask: bool = True) -> bool:
        return file_commands.new_model(self, ask)

    def open_path(self, path: str | Path) -> bool:
        """Open a model file (by its .safetensors suffix) or a dataset."""
        return file_commands.open_path(self, path)

    def save_model(self) -> bool:
        return file_commands.save_model(self)

    def save_model_as(self) -> bool:
        return file_commands.save_model_as(self)

    def _show_model_in_panel(self) -> None:
        show_model_in_panel(self)

    # -- controller signals --------------------------------------------------------------------
    def _on_dataset_changed(self, dataset: Dataset | None) -> None:
        self.sampling_panel.set_word_split(dataset.split if dataset is not None else None)
        if dataset is None:
            self.dataset_label.setText("<b>No dataset</b>: open one to train (File menu).")
            return
        split = dataset.split
        self.dataset_label.setText(
            f"<b>{dataset.name}</b>: {len(dataset.words):,} names, "
            f"{dataset.vocab.size if dataset.vocab else 0} symbols<br>"
            f"split {len(split.train):,} train / {len(split.dev):,} dev / "
            f"{len(split.test):,} test"
        )
        self.dataset_label.setToolTip(
            "The names are shuffled with the split seed, then split 80/10/10: train is what "
            "the network learns from; dev is for choosing hyperparameters; test is looked at "
            "rarely, at the very end, for an honest final number."
        )
        if dataset.vocab:
            self.panel.set_vocab_size(dataset.vocab.size)

    def _mark_dataset_of_model(self) -> None:
        """Names are marked train/dev/test only against the model's own dataset; another
        dataset (same file name or not) is said to be another one."""
        dataset, match = self.controller.dataset, self.controller.dataset_match()
        same = dataset is not None and (match is None or match.same)
        self.sampling_panel.set_word_split(dataset.split if same and dataset else None)
        marker = "<br><i>Not the dataset this model was trained on.</i>"
        text = self.dataset_label.text().replace(marker, "")
        self.dataset_label.setText(text + ("" if same or dataset is None else marker))

    def _on_model_reset(self, info: ModelInfo) -> None:
        self._mark_dataset_of_model()
        if not self.experiments.owns_model(info):  # a repeat's seeds: shown when it ends
            self._show_model_in_panel()
        self._reset_hidden_view(info)
        model = self.controller.model
        if model is not None:  # the worker is idle: reading the weights is safe
            weights = model.snapshot()
            self.sampling_panel.set_model(info.config, weights, info.vocab, same_model=False)
            self.embedding_view.set_embedding(weights["C"], info.vocab.itos, step=info.step)
        else:
            self.sampling_panel.clear_model()
            self.embedding_view.clear()
        self.loss_plot.reset(info.train_config.steps, info.vocab.size,
                             info.train_config.decay_steps())  # fmt: skip
        sample = self.controller.train_estimate_examples()
        if sample:  # the train-loss estimate's real sample size
            self.loss_plot.set_train_sample_size(sample)
        self.controls.set_step(info.step, info.train_config.steps, info.no_record)
        summary = self.controller.summary
        match = self.controller.dataset_match()
        if info.from_file and summary.dev_loss is not None and summary.train_loss is not None:
            where = (
                ""
                if match is None or match.same
                else f"<br><i>(measured on its own dataset: {escape_html(match.message)})</i>"
            )
            self.controls.show_message(
                f"Opened a model trained for {summary.steps:,} steps.<br>"
                f"train loss <b>{summary.train_loss:.4f}</b>, dev loss "
                f"<b>{summary.dev_loss:.4f}</b>{where}"
            )
        elif info.from_file and self.controller.model is not None:
            trainable = self.controller.trainer is not None
            self.controls.show_message(
                f"Opened {self.controller.model.parameter_count():,} parameters "
                f"({summary.steps:,} training steps on record). "
                + (
                    "Press <b>Start</b> (or Space) to train them further."
                    if trainable
                    else "Sampling works; open the dataset they were trained on to train."
                )
            )
        else:
            self.controls.show_message(
                f"A new model with {self.controller.model.parameter_count():,} parameters. "
                "Press <b>Start</b> (or Space) to train it."
                if self.controller.model
                else ""
            )

    def _on_state_changed(self, state: TrainingState) -> None:
        trainer = self.controller.trainer
        info = self.controller.model_info()  # a model without its dataset still has a step
        step = trainer.step if trainer else (info.step if info else 0)
        total = (
            trainer.config.steps
            if trainer
            else (info.train_config.steps if info else self.panel.train_config().steps)
        )
        self.controls.set_state(
            state,
            step,
            total,
            self.controller.is_waiting_for("start"),
            no_record=info is not None and info.no_record,
        )
        if state in (TrainingState.LOADING, TrainingState.NO_MODEL):  # said in the panel
            self.sampling_panel.clear_model(loading=state == TrainingState.LOADING)
        busy = self.controller.is_busy()
        self.panel.setEnabled(not busy)
        for action in (self.new_action, self.open_dataset_action, self.open_model_action):
            action.setEnabled(not busy)
        self.recent_menu.setEnabled(not busy)
        has_model = self.controller.model is not None
        idle_with_model = has_model and not busy and self.controller.trainer is not None
        self.lr_sweep_action.setEnabled(idle_with_model)
        self.lr_finder.run_button.setEnabled(idle_with_model)
        self.repeat_action.setEnabled(idle_with_model)
        self.test_action.setEnabled(idle_with_model)
        self.save_action.setEnabled(has_model)
        self.save_as_action.setEnabled(has_model)
        self.export_script_action.setEnabled(has_model and not busy)
        self.export_notebook_action.setEnabled(has_model and not busy)
        self.stop_action.setEnabled(state in (TrainingState.RUNNING, TrainingState.PAUSED))
        self.status_state.setText(state.value)

    def _reset_hidden_view(self, info: ModelInfo) -> None:
        """The hidden-layer view's sample (training examples) and learning rate per step."""
        c = self.controller
        data = c.dataset if c.dataset is not None and c.dataset.vocab == info.vocab else None
        examples = data.examples(info.config.block_size).tensors["train"] if data else None
        self.hidden_analysis.set_model(
            info.config, examples, lambda step: (c.model_info() or info).train_config.lr_at(step)
        )
        self.hidden_view.reset(self.hidden_analysis.has_data)
        if c.model is not None:  # the worker is idle: reading the weights is safe
            self.hidden_analysis.offer(info.step, c.model.snapshot())

    def _on_step_done(self, one: OneStep) -> None:
        """One step: its text, and the weights after it in every view, the sampling bars
        included (a name in progress keeps its context, and its bars now say what the step
        text's "after" says)."""
        if self.controller.vocab is not None:
            self.controls.show_step(one, self.controller.vocab.itos)
        self.live_views.show_final_weights()

    def _on_run_ended(self, outcome: RunEnded) -> None:
        # back at the last weights received (a lost training process): so is the plot
        self.loss_plot.roll_back_to(outcome.step)
        self.controls.show_outcome(outcome)
        match = self.controller.dataset_match()
        if match is not None and not match.same:  # figures of another dataset, said so
            self.controls.show_message(
                f"{self.controls.result_label.text()}<br><i>Measured on another dataset than "
                f"the model's: {escape_html(match.message)}</i>"
            )
        self.live_views.show_final_weights()
        trainer = self.controller.trainer
        if trainer is not None:
            self.controls.set_state(self.controller.state, trainer.step, trainer.config.steps)

    # -- experiments (experiment_commands.py) ----------------------------------------------
    def start_lr_sweep(self, n: int = SWEEP_STEPS) -> None:
        experiment_commands.start_lr_sweep(self, n)

    def repeat_with_seeds(self) -> None:
        experiment_commands.repeat_with_seeds(self)

    def evaluate_on_test_set(self) -> None:
        experiment_commands.evaluate_on_test_set(self)

    # -- window title, recent files, settings ---------------------------------------------------
    def _update_title(self) -> None:
        path = self.controller.path
        name = path.name if path else ("untitled model" if self.controller.model else "")
        self.setWindowTitle(f"{name}[*] — {APP_NAME}" if name else APP_NAME)
        self.setWindowModified(self.controller.modified)
        self.setWindowFilePath(str(path) if path else "")

    def reset_layout(self) -> None:
        """Every dock back in its place, in the default layout for the window's size."""
        self.docks.reset()

    def _on_zoom_changed(self, factor: float) -> None:
        self.statusBar().showMessage(f"Zoom {round(factor * 100)}%", 3000)
        # larger text needs other dock sizes (or tabs); measured once the widgets have
        # taken the new font (their size hints change in the events that follow)
        QTimer.singleShot(0, self, self._fit_docks_to_zoom)

    def _fit_docks_to_zoom(self) -> None:
        if not self.presentation.active():
            self.docks.apply_default()

    def is_presenting(self) -> bool:
        return self.presentation.active()

    def _fold_for_presentation(self, fold: bool) -> None:
        """The training panel shows only its buttons and progress (fold) or everything."""
        self.panel.setVisible(not fold)
        self.dataset_label.setVisible(not fold)
        self.controls.set_compact(fold)

    def show_about(self) -> None:
        help_commands.show_about(self, APP_NAME)

    # -- drag and drop, closing -------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        file_commands.drag_enter(self, event)

    def dropEvent(self, event: QDropEvent) -> None:
        file_commands.drop(self, event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not file_commands.may_discard(self, "Closing the window discards it."):
            event.ignore()
            return
        self.experiments.cancel_repeat()
        if self.search_window is not None:
            self.search_window.close()
        self.frame_clock.stop()
        self.controller.shutdown()
        self.hidden_analysis.wait()
        save_settings(self)
        self.run_history.close()
        event.accept()
