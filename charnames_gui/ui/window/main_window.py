"""The main window: its docks and status bar, wiring the views to the controller. The menus
(menu_table.py, built by menus.py) call the command objects (file_, export_, experiment_,
search_ and help_commands.py), each given what it needs; settings, presentation mode and
zoom have modules of their own."""

from __future__ import annotations

from html import escape as escape_html
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QIcon
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QVBoxLayout, QWidget

from charnames_gui.bundled import bundled_dataset_path, resource_path
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.events import OneStep, RunEnded
from charnames_gui.core.run_writer import Opened
from charnames_gui.core.runs import default_runs_path
from charnames_gui.ui.controller import Controller, ModelInfo, TrainingState
from charnames_gui.ui.experiments import Experiments
from charnames_gui.ui.hidden_analysis import HiddenAnalysis
from charnames_gui.ui.run_history import RETRY_WAIT, RunHistory, unrecorded_question
from charnames_gui.ui.views.embedding_view import EmbeddingView
from charnames_gui.ui.views.forward_view import ForwardView
from charnames_gui.ui.views.hidden_layer_view import HiddenLayerView
from charnames_gui.ui.views.hyperparameters import HyperparameterPanel
from charnames_gui.ui.views.loss_plot import LossPlot
from charnames_gui.ui.views.lr_finder_view import LrFinderView
from charnames_gui.ui.views.network_view import NetworkView
from charnames_gui.ui.views.runs_view import RunsView
from charnames_gui.ui.views.sampling_panel import SamplingPanel
from charnames_gui.ui.views.timeline import Timeline
from charnames_gui.ui.views.training_controls import TrainingControls
from charnames_gui.ui.views.unit_focus import UnitFocus
from charnames_gui.ui.window.app_settings import AppSettings, problem_note
from charnames_gui.ui.window.dialogs import AsksUser, Dialogs
from charnames_gui.ui.window.dock_layout import DockLayout, DockRoles
from charnames_gui.ui.window.experiment_commands import ExperimentCommands, ExperimentViews
from charnames_gui.ui.window.export_commands import ExportCommands, ExportedViews
from charnames_gui.ui.window.file_commands import FileCommands
from charnames_gui.ui.window.help_commands import HelpCommands
from charnames_gui.ui.window.live_views import LiveViews, Shown
from charnames_gui.ui.window.menu_table import WindowCommands, menu_table, window_actions
from charnames_gui.ui.window.menus import Availability, Menus
from charnames_gui.ui.window.panel_sync import PanelSync
from charnames_gui.ui.window.presentation import Presentation
from charnames_gui.ui.window.recent_files import RecentFiles
from charnames_gui.ui.window.replay import ReplayCommands, ReplayViews
from charnames_gui.ui.window.search_commands import SearchCommands
from charnames_gui.ui.window.session_rescue import RESCUE_FOLDER, SessionRescue
from charnames_gui.ui.window.wheel_guard import guard_fields
from charnames_gui.ui.window.window_layout import PanelScroll, first_window_size
from charnames_gui.ui.window.window_settings import restore_settings, save_settings
from charnames_gui.ui.window.zoom import LayoutsByZoom, Zoom, screen_zoom

APP_NAME = "Charnames"


def _app_data_dir() -> Path:
    """Where the run history lives (per user, per app; a test location in test mode)."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings: AppSettings | None = None,
        load_bundled: bool = True,
        runs_path: Path | None = None,
        wait_for_torch: bool = False,
        dialogs: AsksUser | None = None,
    ) -> None:
        """wait_for_torch: PyTorch is still loading (the app's start, see app.py): the
        window works at once, the model is made when controller.torch_loaded() is called.
        dialogs: every question the window asks (tests give scripted answers)."""
        super().__init__()
        # a checked JSON file (app_settings.py): never QSettings, whose file can crash the app
        self.settings = settings if settings is not None else AppSettings.open_default()
        self.dialogs: AsksUser = dialogs or Dialogs(self)
        self.controller = Controller(self, wait_for_torch=wait_for_torch)
        # opened, read and written on its own thread: a locked history never freezes the window
        runs_file = runs_path or default_runs_path(_app_data_dir())
        self.run_history = RunHistory(runs_file, self)
        self.experiments = Experiments(self.controller, self.run_history)
        self.setObjectName("MainWindow")
        self.setWindowTitle(f"[*]{APP_NAME}")
        icon_path = resource_path("icon.png")
        if icon_path.is_file():
            self.setWindowIcon(QIcon(str(icon_path)))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        # before the views: they are built with the zoomed font
        screen = QGuiApplication.primaryScreen()  # (None without a display)
        self.zoom = Zoom(self.settings, self, screen_zoom(screen.size().height() if screen else 0))
        self.zoom.changed.connect(self._on_zoom_changed)
        self.docks = DockLayout(self, lambda: self.zoom.factor)
        self.zoom_layouts = LayoutsByZoom(self, self.docks.restore_state)
        self.zoom.aboutToChange.connect(self._before_zoom_change)

        # -- views ---------------------------------------------------------------------------
        self.panel = HyperparameterPanel()
        self.controls = TrainingControls()
        self.loss_plot = LossPlot(own_timer=False)  # drawn by the window's frame clock
        self.timeline = Timeline()  # the replay, under the plot (ui/window/replay.py)
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.loss_plot, 1)
        central_layout.addWidget(self.timeline)
        self.setCentralWidget(central)
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
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        add = self.docks.add
        self.train_dock = add("Training", "TrainingDock", scroll, left)
        self.embedding_view = EmbeddingView()
        self.embedding_dock = add(
            "Embedding", "EmbeddingDock", self.embedding_view, right, ("Embed", "Embed", "C")
        )
        self.sampling_panel = SamplingPanel()
        self.sampling_dock = add("Sampling", "SamplingDock", self.sampling_panel, bottom)
        self.runs_view = RunsView()
        self.runs_view.set_history(self.run_history)
        self.runs_dock = add("Runs", "RunsDock", self.runs_view, bottom)
        self.lr_finder = LrFinderView()
        self.lr_dock = add(
            "Learning-rate finder", "LrFinderDock", self.lr_finder, bottom, ("LR finder", "LR")
        )
        self.docks.tab(self.sampling_dock, self.runs_dock)
        self.docks.tab(self.runs_dock, self.lr_dock)
        # the forward pass beside the sampling panel, the hidden layer in its tabs
        self.forward_view, self.hidden_view = ForwardView(), HiddenLayerView()
        # the hidden layer's statistics, computed off the GUI thread while the view is seen
        self.hidden_analysis = HiddenAnalysis(self.hidden_view.isVisible, self)
        self.hidden_analysis.analysed.connect(self.hidden_view.receive)
        self.hidden_analysis.failed.connect(self.hidden_view.show_failure)
        self.hidden_view.shown.connect(self.hidden_analysis.poke)
        self.forward_dock = add(
            "Forward pass", "ForwardDock", self.forward_view, bottom, ("Forward",)
        )
        self.hidden_dock = add(
            "Hidden layer", "HiddenLayerDock", self.hidden_view, bottom, ("Hidden", "Hidden", "h")
        )
        # the network as one picture; pointing at a hidden unit marks it in every view
        self.unit_focus = UnitFocus(self)
        self.network_view = NetworkView(self.unit_focus)
        self.network_dock = add(
            "Network", "NetworkDock", self.network_view, bottom, ("Network", "Net")
        )
        self.docks.tab(self.forward_dock, self.hidden_dock)
        self.docks.tab(self.forward_dock, self.network_dock)
        self.forward_dock.raise_()
        self.sampling_dock.raise_()
        roles = DockRoles(
            training=self.train_dock,
            side=self.embedding_dock,
            tabs=self.sampling_dock,
            last_tab=self.lr_dock,
        )
        self.docks.finish(roles)
        self.presentation = Presentation(
            self,
            self.zoom,
            self.train_dock,
            central,  # the loss plot with the replay's timeline under it
            {
                "Sampling": self.sampling_dock,
                "Forward pass": self.forward_dock,
                "Embedding": self.embedding_dock,
                "Hidden layer": self.hidden_dock,
                "Network": self.network_dock,
            },
            self._fold_for_presentation,
            self.docks.restore_state,
        )
        # the training panel runs the full height; the bottom docks span plot and embedding
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        # One clock for every live view: a frame paints one view (see live_views.py)
        shown = Shown(
            self,
            self.loss_plot,
            self.controls,
            self.embedding_view,
            self.sampling_panel,
            self.sampling_dock,
            self.hidden_view,
            self.hidden_analysis,
        )
        timeline = self.timeline
        self.live_views = LiveViews(
            self.controller, shown, replaying=lambda: timeline.index is not None
        )
        self.frame_clock = self.live_views.clock

        # -- commands and menus ------------------------------------------------------------------
        status = self.statusBar()
        recent_menu = QMenu("Open &recent", self)
        self.recent_files = RecentFiles(self.settings, recent_menu, self)
        self.file_commands = FileCommands(
            self.controller, self.dialogs, self.panel, self.recent_files
        )
        self.recent_files.openRequested.connect(self.file_commands.open_path)
        self.panel_sync = PanelSync(self.panel, self.controller, self.file_commands)
        exported = ExportedViews(
            self.loss_plot, self.embedding_view, self.runs_view, self.sampling_panel
        )
        self.export_commands = ExportCommands(
            self.controller, self.dialogs, self.settings, exported, status, self.show_error
        )
        experiment_views = ExperimentViews(
            self.lr_finder,
            self.lr_dock,
            self.runs_view,
            self.runs_dock,
            self.loss_plot,
            self.controls,
            status,
        )
        self.experiment_commands = ExperimentCommands(
            self.controller,
            self.experiments,
            self.file_commands,
            self.dialogs,
            self.settings,
            self.panel,
            self.panel_sync,
            experiment_views,
        )
        replay_views = ReplayViews(
            self,
            self.timeline,
            self.loss_plot,
            self.embedding_view,
            self.sampling_panel,
            self.hidden_analysis,
            status,
        )
        self.replay_commands = ReplayCommands(
            self.controller,
            replay_views,
            self.dialogs,
            self.settings,
            show_live=self.live_views.back_from_replay,
        )
        self.search_commands = SearchCommands(self.controller, self.run_history, self)
        # a logout that ends the app without a close keeps unsaved training (app.py connects it)
        self.session_rescue = SessionRescue(
            self.controller,
            self.file_commands,
            self.dialogs,
            runs_file.parent / RESCUE_FOLDER,
            shut_down=self._shut_down,
            flush_history=lambda: self.run_history.retry_pending(RETRY_WAIT),
            parent=self,
        )
        self.help_commands = HelpCommands(self, self.controller, self.dialogs, status, APP_NAME)
        commands = WindowCommands(
            self.controller,
            self.file_commands,
            self.export_commands,
            self.experiment_commands,
            self.search_commands,
            self.help_commands,
            self.zoom,
            self.presentation,
            recent_menu,
            quit=self.close,
            reset_layout=self.reset_layout,
            replay=self.replay_commands,
        )
        self.menus = Menus(self, menu_table(commands), window_actions(commands))
        self.presentation.set_actions(
            self.menus.action("presentation"), self.menus.action("leave_presentation")
        )

        self._connect()
        self.status_state = QLabel()
        status.addPermanentWidget(self.status_state)
        restore_settings(
            self, self.settings, self.docks, self.panel, first_window_size(self.screen())
        )
        self.settings_note = problem_note(self.settings.problem)  # a damaged settings file
        if self.settings_note is not None:
            status.addWidget(self.settings_note, 1)
        self.settings.saveFailed.connect(lambda text: status.showMessage(text, 15_000))
        self._update_title()
        self._on_dataset_changed(None)
        self._on_state_changed(self.controller.document.state)
        self.run_history.opened.connect(self._on_history_opened)
        if load_bundled:
            QTimer.singleShot(0, self._load_initial_dataset)

    def _on_history_opened(self, opened: Opened) -> None:
        if opened.message:  # damaged and moved aside, read-only, or in memory only
            self.show_error("Run history", opened.message)

    # -- construction ------------------------------------------------------------------------
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
        c.errorOccurred.connect(self.show_error)
        c.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        c.trainingConfigChanged.connect(
            lambda tc: self.loss_plot.set_schedule(tc.steps, tc.decay_steps())
        )
        self.loss_plot.hovered.connect(lambda text: self.statusBar().showMessage(text, 3000))
        c.snapshotReady.connect(self.live_views.on_snapshot)
        self.sampling_panel.contextChanged.connect(self.embedding_view.highlight)
        self.sampling_panel.stepShown.connect(self.forward_view.show_step)
        self.sampling_panel.stepShown.connect(self.network_view.show_step)
        self.unit_focus.changed.connect(self.forward_view.canvas.set_focused_unit)
        self.unit_focus.changed.connect(self.hidden_view.set_focused_unit)
        # and pointing at a hidden unit there marks it in the network (W1's column, W2's row)
        self.forward_view.canvas.unitHovered.connect(self.unit_focus.set)
        self.hidden_view.unitHovered.connect(self.unit_focus.set)
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

    # -- datasets and models ---------------------------------------------------------------
    def _load_initial_dataset(self) -> None:
        try:
            path = bundled_dataset_path()
        except CharnamesError as exc:
            self.show_error("Bundled dataset missing", str(exc))
            return
        if self.controller.open_dataset(path):
            self.file_commands.new_model(ask=False)

    def show_error(self, title: str, message: str) -> None:
        """In the status bar and in a message box."""
        self.statusBar().showMessage(message, 10000)
        self.dialogs.error(title, message)

    # -- controller signals --------------------------------------------------------------------
    def _on_dataset_changed(self, dataset: Dataset | None) -> None:
        self.sampling_panel.set_word_split(dataset.split if dataset is not None else None)
        if dataset is None:
            self.dataset_label.setText("<b>No dataset</b>: open one to train (File menu).")
            return
        split = dataset.split
        self.dataset_label.setText(
            f"<b>{escape_html(dataset.name)}</b>: {len(dataset.words):,} names, "  # data
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
        dataset, match = self.controller.document.dataset, self.controller.document.dataset_match()
        same = dataset is not None and (match is None or match.same)
        self.sampling_panel.set_word_split(dataset.split if same and dataset else None)
        marker = "<br><i>Not the dataset this model was trained on.</i>"
        text = self.dataset_label.text().replace(marker, "")
        self.dataset_label.setText(text + ("" if same or dataset is None else marker))

    def _on_model_reset(self, info: ModelInfo) -> None:
        self._mark_dataset_of_model()
        if not self.experiments.owns_model(info):  # a repeat's seeds: shown when it ends
            self.panel_sync.show_model()
        self._reset_hidden_view(info)
        model = self.controller.document.model
        if model is not None:  # the worker is idle: reading the weights is safe
            weights = model.snapshot()
            self.sampling_panel.set_model(info.config, weights, info.vocab, same_model=False)
            self.embedding_view.set_embedding(weights["C"], info.vocab.itos, step=info.step)
        else:
            self.sampling_panel.clear_model()
            self.embedding_view.clear()
        train_config = info.train_config
        self.loss_plot.reset(train_config.steps, info.vocab.size, train_config.decay_steps())
        sample = self.controller.train_estimate_examples()
        if sample:  # the train-loss estimate's real sample size
            self.loss_plot.set_train_sample_size(sample)
        self.controls.set_step(info.step, info.train_config.steps, info.no_record)
        summary = self.controller.document.summary
        match = self.controller.document.dataset_match()
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
        elif info.from_file and self.controller.document.model is not None:
            trainable = self.controller.document.trainer is not None
            self.controls.show_message(
                f"Opened {self.controller.document.model.parameter_count():,} parameters "
                f"({summary.steps:,} training steps on record). "
                + (
                    "Press <b>Start</b> (or Space) to train them further."
                    if trainable
                    else "Sampling works; open the dataset they were trained on to train."
                )
            )
        else:
            model = self.controller.document.model
            self.controls.show_message(
                f"A new model with {model.parameter_count():,} parameters. "
                "Press <b>Start</b> (or Space) to train it."
                if model
                else ""
            )

    def _on_state_changed(self, state: TrainingState) -> None:
        trainer = self.controller.document.trainer
        info = self.controller.document.model_info()  # a model without its dataset still has a step
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
            self.controller.torch_wait.is_waiting_for("start"),
            no_record=info is not None and info.no_record,
        )
        if state in (TrainingState.LOADING, TrainingState.NO_MODEL):  # said in the panel
            self.sampling_panel.clear_model(loading=state == TrainingState.LOADING)
        now = Availability(
            state,
            busy=self.controller.document.is_busy(),
            has_model=self.controller.document.model is not None,
            trainable=self.controller.document.trainer is not None,
        )
        self.menus.update(now)
        self.panel.setEnabled(not now.busy)
        self.lr_finder.run_button.setEnabled(now.idle_with_model)
        self.status_state.setText(state.value)

    def _reset_hidden_view(self, info: ModelInfo) -> None:
        """The hidden-layer view's sample (training examples) and learning rate per step."""
        c = self.controller
        data = (
            c.document.dataset
            if c.document.dataset is not None and c.document.dataset.vocab == info.vocab
            else None
        )
        examples = data.examples(info.config.block_size).tensors["train"] if data else None
        self.hidden_analysis.set_model(
            info.config,
            examples,
            lambda step: (c.document.model_info() or info).train_config.lr_at(step),
        )
        self.hidden_view.reset(self.hidden_analysis.has_data)
        if c.document.model is not None:  # the worker is idle: reading the weights is safe
            self.hidden_analysis.offer(info.step, c.document.model.snapshot())

    def _on_step_done(self, one: OneStep) -> None:
        """One step: its text, and the weights after it in every view, the sampling bars
        included (a name in progress keeps its context, and its bars now say what the step
        text's "after" says)."""
        if self.controller.document.vocab is not None:
            self.controls.show_step(one, self.controller.document.vocab.itos)
        self.live_views.show_final_weights()

    def _on_run_ended(self, outcome: RunEnded) -> None:
        # back at the last weights received (a lost training process): so is the plot
        self.loss_plot.roll_back_to(outcome.step)
        self.controls.show_outcome(outcome)
        match = self.controller.document.dataset_match()
        if match is not None and not match.same:  # figures of another dataset, said so
            self.controls.show_message(
                f"{self.controls.result_label.text()}<br><i>Measured on another dataset than "
                f"the model's: {escape_html(match.message)}</i>"
            )
        self.live_views.show_final_weights()
        trainer = self.controller.document.trainer
        if trainer is not None:
            self.controls.set_state(
                self.controller.document.state, trainer.step, trainer.config.steps
            )

    # -- window title, recent files, settings ---------------------------------------------------
    def _update_title(self) -> None:
        path = self.controller.document.path
        name = path.name if path else ("untitled model" if self.controller.document.model else "")
        self.setWindowTitle(f"{name}[*] — {APP_NAME}" if name else APP_NAME)
        self.setWindowModified(self.controller.document.modified)
        self.setWindowFilePath(str(path) if path else "")

    def _on_zoom_changed(self, factor: float) -> None:
        self.statusBar().showMessage(f"Zoom {round(factor * 100)}%", 3000)
        # larger text needs other dock sizes (or tabs); measured once the widgets have
        # taken the new font (their size hints change in the events that follow)
        QTimer.singleShot(0, self, self._fit_docks_to_zoom)

    def _before_zoom_change(self, factor: float) -> None:
        if not self.presentation.active():  # (its layout is its own)
            self.zoom_layouts.remember(factor)

    def reset_layout(self) -> None:
        """Every dock back in its place, in the default layout for the window's size."""
        self.zoom_layouts.forget()
        self.docks.reset()

    def _fit_docks_to_zoom(self) -> None:
        if not self.presentation.active() and not self.zoom_layouts.restore(self.zoom.factor):
            self.docks.apply_default()

    def _fold_for_presentation(self, fold: bool) -> None:
        """The training panel shows only its buttons and progress (fold) or everything."""
        self.panel.setVisible(not fold)
        self.dataset_label.setVisible(not fold)
        self.controls.set_compact(fold)

    # -- drag and drop, closing -------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """One local file, while nothing is training: the window takes it."""
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile() and not self.controller.document.is_busy():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            path = urls[0].toLocalFile()
            # opened after the drop returns: the source application is not kept waiting
            QTimer.singleShot(0, lambda: self.file_commands.open_path(path))

    def _may_lose_runs(self) -> bool:
        """True unless runs not yet in the history (a full disk) would be lost and the
        learner, asked once after one more try to keep them, chooses to stay."""
        if not self.run_history.unrecorded()[0]:
            return True
        lost, why = self.run_history.retry_pending(RETRY_WAIT)
        question = unrecorded_question(lost, why)
        return not lost or self.dialogs.confirm("Runs not recorded", question, "Close anyway")

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.file_commands.may_discard("Closing the window discards it."):
            event.ignore()
            return
        if not self._may_lose_runs():
            event.ignore()
            return
        self.session_rescue.window_closed()  # the learner chose: no rescue is needed
        self._shut_down()
        event.accept()

    def _shut_down(self) -> None:
        """Stop everything the window runs, save its settings and close the run history
        (closing the window, or the app ending without a close: session_rescue.py)."""
        self.experiments.cancel_repeat()
        self.experiment_commands.close()
        self.search_commands.close()
        self.replay_commands.shutdown()
        self.frame_clock.stop()
        self.controller.shutdown()
        self.hidden_analysis.wait()
        save_settings(self, self.settings, self.docks, self.panel)
        self.run_history.close()
