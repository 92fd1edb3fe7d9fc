"""The main window: menus, docks and status bar, wiring the views to the controller."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from html import escape as escape_html
from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QSettings,
    QStandardPaths,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.checkpoint import MODEL_SUFFIX, OPENABLE_SUFFIXES
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.events import Progress, RunEnded, Snapshot, SweepEnded
from charnames_gui.core.runs import RunRecord, RunStore, default_runs_path
from charnames_gui.core.stats import SeedStats
from charnames_gui.resources import bundled_dataset_path, resource_path
from charnames_gui.ui.controller import Controller, ModelInfo, TrainingState
from charnames_gui.ui.dialogs import DATASET_FILTER, MODEL_FILTER, Dialogs, SaveChoice
from charnames_gui.ui.embedding_view import EmbeddingView
from charnames_gui.ui.experiments import MAX_REPEATS, Experiments
from charnames_gui.ui.hyperparameters import HyperparameterPanel
from charnames_gui.ui.loss_plot import LossPlot, OverlayCurve
from charnames_gui.ui.lr_finder_view import SWEEP_STEPS, LrFinderView
from charnames_gui.ui.runs_view import RunsView, run_colour
from charnames_gui.ui.sampling_panel import SamplingPanel
from charnames_gui.ui.training_controls import TrainingControls
from charnames_gui.ui.wheel_guard import guard_fields

APP_NAME = "Charnames"


def _app_data_dir() -> Path:
    """Where the run history lives (per user, per app; a test location in test mode)."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


MAX_RECENT = 8
SETTINGS_VERSION = 1
FRAME_INTERVAL_MS = 50  # the live views' frame clock: 20 Hz, the loss plot on every other
EMBEDDING_REFRESH_SECONDS = 0.25
PROGRESS_REFRESH_SECONDS = 0.25  # step count, speed and times: readable, not a blur
SAMPLING_REFRESH_SECONDS = 2.0


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings: QSettings | None = None,
        load_bundled: bool = True,
        runs_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.dialogs = Dialogs(self)
        self.controller = Controller(self)
        self.runs_store = RunStore(runs_path or default_runs_path(_app_data_dir()))
        self.experiments = Experiments(self.controller, self.runs_store)
        self._syncing_panel = False
        self.setObjectName("MainWindow")
        self.setWindowTitle(f"[*]{APP_NAME}")
        icon_path = resource_path("icon.png")
        if icon_path.is_file():
            self.setWindowIcon(QIcon(str(icon_path)))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)

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
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        guard_fields(scroll)  # the wheel scrolls the panel, not the field under the pointer
        self.train_dock = self._add_dock("Training", "TrainingDock", scroll,
                                         Qt.DockWidgetArea.LeftDockWidgetArea)  # fmt: skip
        # wide enough for the panel's fields: never a horizontal scroll bar
        scroll.setMinimumWidth(
            side.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4
        )
        self.embedding_view = EmbeddingView()
        self.embedding_dock = self._add_dock("Embedding", "EmbeddingDock", self.embedding_view,
                                             Qt.DockWidgetArea.RightDockWidgetArea)  # fmt: skip
        self.sampling_panel = SamplingPanel()
        self.sampling_dock = self._add_dock("Sampling", "SamplingDock", self.sampling_panel,
                                            Qt.DockWidgetArea.BottomDockWidgetArea)  # fmt: skip
        self.runs_view = RunsView()
        self.runs_view.set_store(self.runs_store)
        self.runs_dock = self._add_dock("Runs", "RunsDock", self.runs_view,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)  # fmt: skip
        self.lr_finder = LrFinderView()
        self.lr_dock = self._add_dock("Learning-rate finder", "LrFinderDock", self.lr_finder,
                                      Qt.DockWidgetArea.BottomDockWidgetArea)  # fmt: skip
        self.tabifyDockWidget(self.sampling_dock, self.runs_dock)
        self.tabifyDockWidget(self.runs_dock, self.lr_dock)
        self.sampling_dock.raise_()
        # the training panel runs the full height; the bottom docks span plot and embedding
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._last_sampling_refresh = 0.0
        self._last_embedding_refresh = 0.0
        self._last_progress_refresh = 0.0
        self._pending_progress: Progress | None = None
        self._pending_snapshot: Snapshot | None = None
        # One clock for every live view: a frame's changes are painted in one pass (one
        # repaint of the window, not one per signal), 20 times a second.
        self._loss_plot_turn = False
        self._frame_clock = QTimer(self)
        self._frame_clock.setInterval(FRAME_INTERVAL_MS)
        self._frame_clock.timeout.connect(self._on_frame)
        self._frame_clock.start()

        self._build_menus()
        self._connect()
        self.status_state = QLabel()
        self.statusBar().addPermanentWidget(self.status_state)
        self._restore_settings()
        self._update_title()
        self._on_dataset_changed(None)
        self._on_state_changed(self.controller.state)
        if self.runs_store.recovery_message:
            message = self.runs_store.recovery_message
            QTimer.singleShot(0, lambda: self.dialogs_error("Run history", message))
        if load_bundled:
            QTimer.singleShot(0, self._load_initial_dataset)

    # -- construction ------------------------------------------------------------------------
    def _add_dock(
        self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea
    ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState() needs a name per dock
        dock.setWidget(widget)
        dock.setAccessibleName(f"{title} panel")
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot: object, shortcut: QKeySequence | str | None = None,
                tip: str = "") -> QAction:  # fmt: skip
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(slot)  # type: ignore[arg-type]
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_action = self._action(
            "&New model", self.new_model, QKeySequence.StandardKey.New,
            "Start again with freshly initialised weights",
        )  # fmt: skip
        self.open_dataset_action = self._action(
            "Open &dataset...", self.open_dataset_dialog, "Ctrl+Shift+O",
            "Open a text file with one name per line",
        )  # fmt: skip
        self.open_model_action = self._action(
            "&Open model...", self.open_model_dialog, QKeySequence.StandardKey.Open,
            "Open a saved model (.safetensors)",
        )  # fmt: skip
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.save_action = self._action(
            "&Save model", self.save_model, QKeySequence.StandardKey.Save, "Save the model"
        )
        self.save_as_action = self._action(
            "Save model &as...", self.save_model_as, QKeySequence.StandardKey.SaveAs,
            "Save the model to a new file",
        )  # fmt: skip
        file_menu.insertAction(self.recent_menu.menuAction(), self.new_action)
        file_menu.insertAction(self.recent_menu.menuAction(), self.open_dataset_action)
        file_menu.insertAction(self.recent_menu.menuAction(), self.open_model_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        self.export_menu = file_menu.addMenu("&Export")
        self.export_plot_action = self._action(
            "Plot as &PNG...", self.export_plot_png, None, "Save the loss plot as an image"
        )
        self.export_csv_action = self._action(
            "Losses as &CSV...", self.export_losses_csv, None, "Save every loss value as CSV"
        )
        self.export_embedding_action = self._action(
            "&Embedding as PNG...", self.export_embedding_png, None,
            "Save the embedding scatter as an image",
        )  # fmt: skip
        self.export_menu.addAction(self.export_plot_action)
        self.export_menu.addAction(self.export_csv_action)
        self.export_menu.addAction(self.export_embedding_action)
        self.export_runs_action = self._action(
            "&Runs table as CSV...", self.export_runs_csv, None, "Save the run history as CSV"
        )
        self.export_menu.addAction(self.export_runs_action)
        self.export_menu.addSeparator()
        self.export_script_action = self._action(
            "Python &script...", self.export_script, None,
            "The run as the lecture's code: a standalone script that needs only torch",
        )  # fmt: skip
        self.export_notebook_action = self._action(
            "&Jupyter notebook...", self.export_notebook, None,
            "The run as the lecture's notebook: build_dataset, the loop, sampling",
        )  # fmt: skip
        self.export_menu.addAction(self.export_script_action)
        self.export_menu.addAction(self.export_notebook_action)
        file_menu.addSeparator()
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        file_menu.addAction(self.quit_action)

        train_menu = bar.addMenu("&Training")
        self.start_pause_action = self._action(
            "Start / &Pause", self.controller.toggle, Qt.Key.Key_Space,
            "Start, pause or resume training",
        )  # fmt: skip
        self.stop_action = self._action(
            "S&top", self.controller.stop, "Ctrl+.", "End the run and evaluate it"
        )
        train_menu.addAction(self.start_pause_action)
        train_menu.addAction(self.stop_action)
        train_menu.addSeparator()
        self.lr_sweep_action = self._action(
            "Find a &learning rate", lambda: self.start_lr_sweep(), "Ctrl+L",
            "The lecture's sweep: one step at each of 1,000 growing learning rates",
        )  # fmt: skip
        self.repeat_action = self._action(
            "&Repeat with several seeds...", self.repeat_with_seeds, None,
            "Train this configuration with K seeds and report the dev loss as mean ± std",
        )  # fmt: skip
        self.test_action = self._action(
            "Evaluate on &test set...", self.evaluate_on_test_set, None,
            "Measure the loss on the held-out test split (do this rarely)",
        )  # fmt: skip
        train_menu.addAction(self.lr_sweep_action)
        train_menu.addAction(self.repeat_action)
        train_menu.addSeparator()
        train_menu.addAction(self.test_action)
        self.train_menu = train_menu

        self.view_menu = bar.addMenu("&View")
        for dock in (self.train_dock, self.embedding_dock, self.sampling_dock, self.runs_dock,
                     self.lr_dock):  # fmt: skip
            self.view_menu.addAction(dock.toggleViewAction())
        self.reset_layout_action = self._action(
            "&Reset layout", self.reset_layout, None, "Put every panel back in its place"
        )
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.reset_layout_action)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&About Charnames", self.show_about))
        help_menu.addAction(
            self._action(
                "The &lecture (makemore part 2)",
                lambda: QDesktopServices.openUrl(
                    QUrl("https://www.youtube.com/watch?v=TCH_1BHY58I")
                ),
            )
        )
        self._rebuild_recent_menu()

    def _connect(self) -> None:
        c = self.controller
        c.datasetChanged.connect(self._on_dataset_changed)
        c.modelReset.connect(self._on_model_reset)
        c.stateChanged.connect(self._on_state_changed)
        c.documentChanged.connect(self._update_title)
        c.lossesReady.connect(self.loss_plot.append_losses)
        c.evalReady.connect(self.loss_plot.add_eval_point)
        c.progress.connect(self._on_progress)
        c.runEnded.connect(self._on_run_ended)
        c.errorOccurred.connect(self.dialogs_error)
        c.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        c.trainingConfigChanged.connect(
            lambda tc: self.loss_plot.set_schedule(tc.steps, tc.decay_steps())
        )
        self.loss_plot.hovered.connect(lambda text: self.statusBar().showMessage(text, 3000))
        c.snapshotReady.connect(self._on_snapshot)
        c.sweepPoints.connect(self.lr_finder.append)
        c.sweepEnded.connect(self._on_sweep_ended)
        self.lr_finder.sweepRequested.connect(self.start_lr_sweep)
        self.lr_finder.lrChosen.connect(self._use_learning_rate)
        x = self.experiments
        x.runRecorded.connect(self.runs_view.add_run)
        x.referencesChanged.connect(self._on_references)
        x.repeatProgress.connect(lambda text: self.statusBar().showMessage(f"Repeat: {text}"))
        x.repeatFinished.connect(self._on_repeat_finished)
        x.testEvaluated.connect(self._on_test_evaluated)
        x.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.runs_view.overlayChanged.connect(self._on_overlay_changed)
        self.runs_view.statusMessage.connect(lambda t: self.statusBar().showMessage(t, 5000))
        self.sampling_panel.contextChanged.connect(self.embedding_view.highlight)
        self.sampling_panel.statusMessage.connect(
            lambda text: self.statusBar().showMessage(text, 5000)
        )
        self.controls.startClicked.connect(c.start)
        self.controls.pauseClicked.connect(c.pause)
        self.controls.stopClicked.connect(c.stop)
        self.panel.modelShapeChanged.connect(self._on_shape_edited)
        self.panel.trainingChanged.connect(self._on_training_edited)

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

    def open_dataset_dialog(self) -> None:
        path = self.dialogs.open_path("Open dataset", DATASET_FILTER, self._last_folder())
        if path:
            self.open_dataset(path)

    def open_dataset(self, path: str | Path) -> bool:
        if self.controller.use_models_dataset(path):  # the model's own dataset: the model stays
            self._add_recent(path)
            return True
        if not self._may_discard("Opening a dataset starts a new model."):
            return False
        if not self.controller.open_dataset(path):
            return False
        self._add_recent(path)
        return self.new_model(ask=False)

    def open_model_dialog(self) -> None:
        path = self.dialogs.open_path("Open model", MODEL_FILTER, self._last_folder())
        if path:
            self.open_model(path)

    def open_model(self, path: str | Path) -> bool:
        # check the file fully first: no question about unsaved training for a file that
        # cannot be opened anyway
        model_file = self.controller.read_model_file(path)
        if model_file is None:
            return False
        if not self._may_discard("Opening a model replaces the current one."):
            return False
        if not self.controller.apply_model_file(model_file, path):
            return False
        self._add_recent(path)
        return True

    def new_model(self, ask: bool = True) -> bool:
        if ask and not self._may_discard("A new model starts from random weights."):
            return False
        return self.controller.new_model(
            self.panel.model_config(), self.panel.train_config(), self.panel.split_seed_value()
        )

    def save_model(self) -> bool:
        if self.controller.path is None or self.controller.path.suffix != MODEL_SUFFIX:
            return self.save_model_as()  # a learner's .pt weights are never overwritten
        return self.controller.save(self.controller.path)

    def save_model_as(self) -> bool:
        if self.controller.model is None:
            return False
        current = self.controller.path
        suggested = str(
            current.with_suffix(MODEL_SUFFIX)
            if current
            else Path(self._last_folder()) / f"model{MODEL_SUFFIX}"
        )
        path = self.dialogs.save_path("Save model", MODEL_FILTER, suggested)
        if not path:
            return False
        if not path.endswith(MODEL_SUFFIX):
            path += MODEL_SUFFIX
        if self.controller.save(path):
            self._add_recent(path)
            return True
        return False

    def _may_discard(self, why: str) -> bool:
        """Ask before unsaved training is thrown away. False: the user cancelled."""
        if not self.controller.modified:
            return True
        name = self.controller.path.name if self.controller.path else "The current model"
        choice = self.dialogs.ask_save(
            "Unsaved training",
            f"{name} has training that is not saved. {why}\n\nSave it first?",
        )
        if choice == SaveChoice.CANCEL:
            return False
        if choice == SaveChoice.SAVE:
            return self.save_model()
        return True

    def _on_shape_edited(self) -> None:
        if self._syncing_panel:
            return
        self.panel.set_vocab_size(
            self.controller.dataset.vocab.size
            if self.controller.dataset and self.controller.dataset.vocab
            else self.panel.model_config().vocab_size
        )
        if self.controller.dataset is None:
            return
        if self._may_discard("New sizes, init or seeds need a new model."):
            self.new_model(ask=False)
        else:
            self._show_model_in_panel()

    def _on_training_edited(self) -> None:
        if self._syncing_panel:
            return
        self.controller.apply_train_config(self.panel.train_config())

    def _show_model_in_panel(self) -> None:
        info = self.controller.model_info()
        if info is None:
            return
        self._syncing_panel = True
        try:
            self.panel.set_values(info.config, info.train_config, info.split_seed)
        finally:
            self._syncing_panel = False

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

    def _on_model_reset(self, info: ModelInfo) -> None:
        self._show_model_in_panel()
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
        self.controls.set_step(info.step, info.train_config.steps)
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
        self.controls.set_state(state, step, total)
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

    def _on_progress(self, progress: Progress) -> None:
        self._pending_progress = progress  # shown at the next frame

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self._pending_snapshot = snapshot  # shown at the next frame (at a bounded rate)

    def _on_frame(self) -> None:
        """Apply what the worker sent since the last frame, and paint it right away.

        Every live view shares this tick, so the window is painted once per frame: the loss
        plot 10 times a second, the progress and the embedding 4 times, the sampling bars
        every 2 seconds and only when seen. While the frame is drawn the worker
        waits between two steps (worker.gui_idle): the two threads share one interpreter
        lock, and painting while the worker trains made every frame take several times longer
        and cost the worker more than the frame itself."""
        gui_idle = self.controller.worker.gui_idle
        gui_idle.clear()
        try:
            self._update_live_views()
            # paint now, not at some later turn of the event loop: scenes first process
            # their changed items (posted calls), which post the window's paint request
            QCoreApplication.sendPostedEvents()
            QCoreApplication.sendPostedEvents(self, QEvent.Type.UpdateRequest)
        finally:
            gui_idle.set()

    def _update_live_views(self) -> None:
        """One view per frame: the loss plot on every other frame (10 Hz), and in between
        whichever of the progress, the embedding and the sampling bars is the most overdue.
        Each takes 5-20 ms to repaint; painted in the same frame, they held the GUI thread
        for 50-70 ms. A view that is due waits a frame or two (50 ms each)."""
        self._loss_plot_turn = not self._loss_plot_turn
        if self._loss_plot_turn:
            self.loss_plot.redraw()
            return
        now = time.monotonic()
        due: list[tuple[float, Callable[[], None]]] = []  # (how overdue, update)
        if self._pending_progress is not None:
            due.append((now - self._last_progress_refresh - PROGRESS_REFRESH_SECONDS,
                        self._show_pending_progress))  # fmt: skip
        snapshot = self._pending_snapshot
        info = self.controller.model_info()
        if snapshot is not None and info is not None:
            due.append((now - self._last_embedding_refresh - EMBEDDING_REFRESH_SECONDS,
                        lambda: self._show_embedding(snapshot, info)))  # fmt: skip
            state = self.sampling_panel.state
            mid_name = state is not None and bool(state.chosen) and not state.finished
            # A name in progress keeps the weights it was drawn with: its bars and the "drew
            # 'x' with p = ..." beside them stay consistent; the next name gets the latest.
            if not mid_name and not self.sampling_dock.visibleRegion().isEmpty():
                due.append((now - self._last_sampling_refresh - SAMPLING_REFRESH_SECONDS,
                            lambda: self._show_sampling(snapshot, info)))  # fmt: skip
        overdue, update = max(due, key=lambda item: item[0], default=(-1.0, None))
        if update is not None and overdue >= 0:
            update()

    def _show_pending_progress(self) -> None:
        assert self._pending_progress is not None
        self._last_progress_refresh = time.monotonic()
        self.controls.show_progress(self._pending_progress)
        self._pending_progress = None

    def _show_embedding(self, snapshot: Snapshot, info: ModelInfo) -> None:
        self._last_embedding_refresh = time.monotonic()
        self.embedding_view.set_embedding(snapshot.weights["C"], info.vocab.itos,
                                          step=snapshot.step)  # fmt: skip

    def _show_sampling(self, snapshot: Snapshot, info: ModelInfo) -> None:
        self._last_sampling_refresh = time.monotonic()
        self.sampling_panel.set_model(info.config, snapshot.weights, info.vocab,
                                      same_model=True)  # fmt: skip

    def _refresh_weights_views(self) -> None:
        """The worker is idle: show the model's final weights everywhere."""
        info = self.controller.model_info()
        model = self.controller.model
        if info is None or model is None:
            return
        self._pending_snapshot = None
        weights = model.snapshot()
        self.embedding_view.set_embedding(weights["C"], info.vocab.itos, step=info.step)
        self.sampling_panel.set_model(info.config, weights, info.vocab, same_model=True)

    def _on_run_ended(self, outcome: RunEnded) -> None:
        self.controls.show_outcome(outcome)
        match = self.controller.dataset_match()
        if match is not None and not match.same:  # figures of another dataset, said so
            self.controls.show_message(
                f"{self.controls.result_label.text()}<br><i>Measured on another dataset than "
                f"the model's: {escape_html(match.message)}</i>"
            )
        self._refresh_weights_views()
        trainer = self.controller.trainer
        if trainer is not None:
            self.controls.set_state(self.controller.state, trainer.step, trainer.config.steps)

    # -- experiments -----------------------------------------------------------------------------
    def _on_references(self, uniform: float, bigram: float | None) -> None:
        self.loss_plot.set_reference("bigram", bigram)
        dataset = self.controller.dataset
        self.runs_view.set_references(uniform, bigram,
                                      dataset.content_hash() if dataset else None)  # fmt: skip

    def _on_overlay_changed(self, records: list[RunRecord]) -> None:
        curves = []
        for r in records:
            label = f"run #{r.id}" + (f" (dev {r.dev_loss:.3f})" if r.dev_loss else "")
            curves.append(
                OverlayCurve(r.id, label, run_colour(r.id or 0), r.curve_steps, r.curve_loss)
            )
        self.loss_plot.set_overlays(curves)

    def start_lr_sweep(self, n: int = SWEEP_STEPS) -> None:
        if self.controller.start_lr_sweep(n):
            self.lr_dock.raise_()
            self.lr_finder.start(n)

    def _on_sweep_ended(self, ended: SweepEnded) -> None:
        self.lr_finder.finish(ended.suggested_lr)

    def _use_learning_rate(self, lr: float) -> None:
        self.panel.lr.setValue(lr)  # continues the current model with it (trainingChanged)
        self.statusBar().showMessage(f"Learning rate set to {lr:g}", 5000)

    def repeat_with_seeds(self) -> None:
        k = self.dialogs.get_int(
            "Repeat with several seeds",
            "Train this configuration again with K different seeds (the first is the current "
            "seed). Each run starts from new random weights and minibatches; the spread of "
            "their dev losses shows how much one number can be trusted.\n\nK:",
            5, 2, MAX_REPEATS,
        )  # fmt: skip
        if k is None or not self._may_discard("The repeats train new models."):
            return
        self.runs_dock.raise_()
        self.experiments.start_repeat(k)

    def _on_repeat_finished(self, stats: SeedStats) -> None:
        text = self.experiments.describe(stats)
        # after the last run's own result has been shown (same signal, later slot)
        html = f"<b>Repeat finished</b>: {text}.<br>Each seed is a row in the Runs panel."
        QTimer.singleShot(0, lambda: self.controls.show_message(html))
        self.statusBar().showMessage(f"Repeat finished: {text}", 15000)

    def evaluate_on_test_set(self) -> None:
        if not self.settings.value("test_set_explained", False, type=bool):
            if not self.dialogs.confirm(
                "Evaluate on the test set",
                "The test split is kept apart for one honest number at the very end. Each "
                "time you look at it and then change something, a little of the test set "
                "leaks into your choices, and its loss stops being an honest estimate.\n\n"
                "Choose hyperparameters with the dev loss; look at the test loss rarely. "
                "The app counts how often you do, for each model and dataset.",
                "Evaluate on test",
            ):
                return
            self.settings.setValue("test_set_explained", True)
        self.experiments.evaluate_test()

    def _on_test_evaluated(self, loss: float, count: int) -> None:
        times = "once" if count == 1 else f"{count} times"
        self.controls.show_test_loss(loss, count)
        self.statusBar().showMessage(f"test loss {loss:.4f}, evaluated {times}", 10000)
        self.runs_view.refresh()

    def export_runs_csv(self) -> None:
        path = self.dialogs.save_path("Export runs", "CSV files (*.csv)", "runs.csv")
        if path:
            try:
                self.runs_view.export_csv(path)
            except (OSError, CharnamesError) as exc:
                self.dialogs_error("Cannot export", str(exc))

    # -- exports -------------------------------------------------------------------------------
    def export_plot_png(self) -> None:
        path = self.dialogs.save_path("Export plot", "PNG images (*.png)", "loss.png")
        if path:
            try:
                self.loss_plot.export_png(path)
            except OSError as exc:
                self.dialogs_error("Cannot export", f"Could not write {path}: {exc}")

    def export_embedding_png(self) -> None:
        path = self.dialogs.save_path("Export embedding", "PNG images (*.png)", "embedding.png")
        if path:
            try:
                self.embedding_view.export_png(path)
            except OSError as exc:
                self.dialogs_error("Cannot export", str(exc))

    def export_script(self) -> None:
        self._export_code("script", "Python scripts (*.py)", ".py")

    def export_notebook(self) -> None:
        self._export_code("notebook", "Jupyter notebooks (*.ipynb)", ".ipynb")

    def _export_code(self, kind: str, file_filter: str, suffix: str) -> None:
        if self.controller.model is None or not self.controller.wait_until_idle():
            return
        stem = self.controller.path.stem if self.controller.path else "makemore_run"
        path = self.dialogs.save_path(
            f"Export as {kind}", file_filter, str(Path(self._last_folder()) / f"{stem}{suffix}")
        )
        if path:
            if not path.endswith(suffix):
                path += suffix
            self.controller.export_code(path, kind)

    def export_losses_csv(self) -> None:
        path = self.dialogs.save_path("Export losses", "CSV files (*.csv)", "losses.csv")
        if path:
            try:
                self.loss_plot.export_csv(path)
            except OSError as exc:
                self.dialogs_error("Cannot export", f"Could not write {path}: {exc}")

    # -- window title, recent files, settings ---------------------------------------------------
    def _update_title(self) -> None:
        path = self.controller.path
        name = path.name if path else ("untitled model" if self.controller.model else "")
        self.setWindowTitle(f"{name}[*] — {APP_NAME}" if name else APP_NAME)
        self.setWindowModified(self.controller.modified)
        self.setWindowFilePath(str(path) if path else "")

    def _recent(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: str | Path) -> None:
        text = str(Path(path).resolve())
        recent = [text] + [p for p in self._recent() if p != text]
        self.settings.setValue("recent_files", recent[:MAX_RECENT])
        self.settings.setValue("last_folder", str(Path(text).parent))
        self._rebuild_recent_menu()

    def _last_folder(self) -> str:
        return str(self.settings.value("last_folder", str(Path.home())))

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self._recent()
        for i, path in enumerate(recent, start=1):
            action = self.recent_menu.addAction(f"&{i} {Path(path).name}")
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not recent:
            none = self.recent_menu.addAction("(no recent files)")
            none.setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            clear = self.recent_menu.addAction("Clear list")
            clear.triggered.connect(self._clear_recent)

    def _clear_recent(self) -> None:
        self.settings.setValue("recent_files", [])
        self._rebuild_recent_menu()

    def open_path(self, path: str | Path) -> bool:
        """Open a model file (by its .safetensors suffix) or a dataset."""
        if Path(path).suffix.lower() in OPENABLE_SUFFIXES:
            return self.open_model(path)
        return self.open_dataset(path)

    def _default_layout(self) -> None:
        """Sizes for a 1280 x 800 window: training panel left, loss plot and embedding on
        top, the sampling and experiment panels below them."""
        self.resizeDocks([self.train_dock, self.embedding_dock], [330, 400],
                         Qt.Orientation.Horizontal)  # fmt: skip
        self.resizeDocks([self.sampling_dock], [330], Qt.Orientation.Vertical)
        self.sampling_dock.raise_()

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        self._default_layout()
        self._default_state = self.saveState(SETTINGS_VERSION)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state, SETTINGS_VERSION)
        hyper = self.settings.value("hyperparameters")
        if isinstance(hyper, str):
            try:
                self._syncing_panel = True
                self.panel.restore_settings(json.loads(hyper))
            except (ValueError, TypeError):
                pass
            finally:
                self._syncing_panel = False

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(SETTINGS_VERSION))
        self.settings.setValue("hyperparameters", json.dumps(self.panel.to_settings()))
        self.settings.sync()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, SETTINGS_VERSION)
        for dock in self.findChildren(QDockWidget):
            dock.setFloating(False)
            dock.setVisible(True)
        self._default_layout()

    def show_about(self) -> None:
        self.dialogs.info(
            f"About {APP_NAME}",
            "Charnames trains the character-level MLP of Bengio et al. (2003), as taught in "
            "Andrej Karpathy's 'makemore part 2', and lets you watch it learn to invent names.",
        )

    # -- drag and drop, closing -------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile() and not self.controller.is_busy():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            path = urls[0].toLocalFile()
            QTimer.singleShot(0, lambda: self.open_path(path))

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._may_discard("Closing the window discards it."):
            event.ignore()
            return
        self.experiments.cancel_repeat()
        self.controller.shutdown()
        self.save_settings()
        self.runs_store.close()
        event.accept()
