"""The main window: menus, docks and status bar, wiring the views to the controller."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    QAbstractButton,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.bundled import bundled_dataset_path, resource_path
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.events import Progress, RunEnded, Snapshot, SweepEnded
from charnames_gui.core.model_file import MODEL_SUFFIX, OPENABLE_SUFFIXES, ModelFile
from charnames_gui.core.run_writer import Opened
from charnames_gui.core.runs import RunRecord, default_runs_path
from charnames_gui.core.stats import SeedStats
from charnames_gui.guide_text import LECTURE_URL
from charnames_gui.ui.controller import Controller, ModelInfo, TrainingState
from charnames_gui.ui.experiments import MAX_REPEATS, Experiments
from charnames_gui.ui.run_history import RunHistory
from charnames_gui.ui.views.embedding_view import EmbeddingView
from charnames_gui.ui.views.forward_view import ForwardView
from charnames_gui.ui.views.hidden_layer_view import HiddenLayerView
from charnames_gui.ui.views.hyperparameters import HyperparameterPanel
from charnames_gui.ui.views.loss_plot import LossPlot, OverlayCurve
from charnames_gui.ui.views.lr_finder_view import SWEEP_STEPS, LrFinderView
from charnames_gui.ui.views.runs_view import RunsView, run_colour
from charnames_gui.ui.views.sampling_panel import SamplingPanel
from charnames_gui.ui.views.training_controls import TrainingControls
from charnames_gui.ui.window.dialogs import DATASET_FILTER, MODEL_FILTER, Dialogs, SaveChoice
from charnames_gui.ui.window.dock_layout import DockLayout, DockRoles
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
from charnames_gui.ui.window.frame_clock import FrameClock, LiveView
from charnames_gui.ui.window.guide import (
    PANEL_KEYS,
    GuideDialog,
    LinkDialog,
    ShortcutsDialog,
    action_shortcuts,
)
from charnames_gui.ui.window.menus import build_menus
from charnames_gui.ui.window.presentation import Presentation
from charnames_gui.ui.window.recent_files import RecentFiles
from charnames_gui.ui.window.wheel_guard import guard_fields
from charnames_gui.ui.window.window_layout import PanelScroll, first_window_size
from charnames_gui.ui.window.zoom import Zoom

APP_NAME = "Charnames"


def _app_data_dir() -> Path:
    """Where the run history lives (per user, per app; a test location in test mode)."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


SETTINGS_VERSION = 1
EMBEDDING_REFRESH_SECONDS = 0.25
PROGRESS_REFRESH_SECONDS = 0.25  # step count, speed and times: readable, not a blur
SAMPLING_REFRESH_SECONDS = 2.0


class MainWindow(QMainWindow):
    # made by menus.build_menus
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
    view_menu: QMenu
    help_menu: QMenu
    recent_files: RecentFiles

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
        self._syncing_panel = False
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
        self._pending_progress: Progress | None = None
        self._pending_snapshot: Snapshot | None = None
        # One clock for every live view: a frame paints one view (see frame_clock.py)
        self.frame_clock = FrameClock(self.loss_plot.redraw, self, frame_guard=self._frame)
        self.frame_clock.add_view(LiveView("progress", PROGRESS_REFRESH_SECONDS,
                                           lambda: self._pending_progress is not None,
                                           self._show_pending_progress))  # fmt: skip
        self.frame_clock.add_view(LiveView("embedding", EMBEDDING_REFRESH_SECONDS,
                                           self._embedding_has_news,
                                           self._show_pending_embedding))  # fmt: skip
        self.frame_clock.add_view(LiveView("sampling", SAMPLING_REFRESH_SECONDS,
                                           self._sampling_has_news,
                                           self._show_pending_sampling))  # fmt: skip
        self.hidden_view.paced = True  # its analyses are drawn in a frame of their own
        self.frame_clock.add_view(LiveView("hidden layer", 0.25, self.hidden_view.has_ready,
                                           self.hidden_view.show_ready))  # fmt: skip
        self.frame_clock.start()

        build_menus(self)
        self._connect()
        self.status_state = QLabel()
        self.statusBar().addPermanentWidget(self.status_state)
        self._restore_settings()
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
        x.referencesChanged.connect(self._on_references)
        x.repeatProgress.connect(lambda text: self.statusBar().showMessage(f"Repeat: {text}"))
        x.repeatFinished.connect(self._on_repeat_finished)
        x.repeatCancelled.connect(lambda text: self.statusBar().showMessage(text, 15000))
        x.testEvaluated.connect(self._on_test_evaluated)
        x.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.runs_view.overlayChanged.connect(self._on_overlay_changed)
        self.runs_view.statusMessage.connect(lambda t: self.statusBar().showMessage(t, 5000))
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
        c.stepDone.connect(lambda one: self.controls.show_step(one, c.vocab.itos))  # type: ignore[union-attr]
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
        folder = self.recent_files.last_folder()
        path = self.dialogs.open_path("Open dataset", DATASET_FILTER, folder)
        if path:
            self.open_dataset(path)

    def open_dataset(self, path: str | Path) -> bool:
        if self.controller.use_models_dataset(path):  # the model's own dataset: the model stays
            self.recent_files.add(path)
            return True
        if not self._may_discard("Opening a dataset starts a new model."):
            return False
        # a large file loads on a worker thread: the new model is made when it is set
        return self.controller.open_dataset(
            path,
            then=lambda: self._on_dataset_opened(path),
            block_size=self.panel.model_config().block_size,
        )

    def _on_dataset_opened(self, path: str | Path) -> bool:
        self.recent_files.add(path)
        return self.new_model(ask=False)

    def open_model_dialog(self) -> None:
        path = self.dialogs.open_path("Open model", MODEL_FILTER, self.recent_files.last_folder())
        if path:
            self.open_model(path)

    def open_model(self, path: str | Path) -> bool:
        # the file is checked fully first (a large one on a worker thread): no question about
        # unsaved training for a file that cannot be opened anyway
        return self.controller.read_model_file_then(
            path, lambda model_file: self._open_checked_model(model_file, path)
        )

    def _open_checked_model(self, model_file: ModelFile, path: str | Path) -> bool:
        if not self._may_discard("Opening a model replaces the current one."):
            return False
        if not self.controller.apply_model_file(model_file, path):
            return False
        self.recent_files.add(path)
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
        folder = Path(self.recent_files.last_folder())
        current = self.controller.path
        suggested = str(
            current.with_suffix(MODEL_SUFFIX) if current else folder / f"model{MODEL_SUFFIX}"
        )
        path = self.dialogs.save_path("Save model", MODEL_FILTER, suggested)
        if not path:
            return False
        if not path.endswith(MODEL_SUFFIX):
            path += MODEL_SUFFIX
        if self.controller.save(path):
            self.recent_files.add(path)
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
        if not self.experiments.making_repeat_model:  # a repeat's seed leaves the panel alone
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
        self.controls.set_state(state, step, total, self.controller.is_waiting_for("start"))
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
        self.hidden_view.offer(snapshot.step, snapshot.weights)  # analysed at most 4 Hz

    @contextmanager
    def _frame(self) -> Iterator[None]:
        """Around every frame: the worker waits between two steps while the frame is painted
        (worker.gui_idle). The two threads share one interpreter lock, and painting while the
        worker trains made every frame take several times longer and cost the worker more
        than the frame itself."""
        gui_idle = self.controller.worker.gui_idle
        gui_idle.clear()
        try:
            yield
            # paint now, not at some later turn of the event loop: scenes first process
            # their changed items (posted calls), which post the window's paint request
            QCoreApplication.sendPostedEvents()
            QCoreApplication.sendPostedEvents(self, QEvent.Type.UpdateRequest)
        finally:
            gui_idle.set()

    def _show_pending_progress(self) -> None:
        assert self._pending_progress is not None
        self.controls.show_progress(self._pending_progress)
        self._pending_progress = None

    def _embedding_has_news(self) -> bool:
        return self._pending_snapshot is not None and self.controller.model_info() is not None

    def _show_pending_embedding(self) -> None:
        snapshot, info = self._pending_snapshot, self.controller.model_info()
        assert snapshot is not None and info is not None
        self.embedding_view.set_embedding(snapshot.weights["C"], info.vocab.itos,
                                          step=snapshot.step)  # fmt: skip

    def _sampling_has_news(self) -> bool:
        state = self.sampling_panel.state
        mid_name = state is not None and bool(state.chosen) and not state.finished
        # A name in progress keeps the weights it was drawn with: its bars and the "drew
        # 'x' with p = ..." beside them stay consistent; the next name gets the latest.
        return (
            self._embedding_has_news()
            and not mid_name
            and not self.sampling_dock.visibleRegion().isEmpty()
        )

    def _show_pending_sampling(self) -> None:
        snapshot, info = self._pending_snapshot, self.controller.model_info()
        assert snapshot is not None and info is not None
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
        self.hidden_view.offer(info.step, weights)

    def _reset_hidden_view(self, info: ModelInfo) -> None:
        """The hidden-layer view's sample (training examples) and learning rate per step."""
        c = self.controller
        data = c.dataset if c.dataset is not None and c.dataset.vocab == info.vocab else None
        examples = data.examples(info.config.block_size).tensors["train"] if data else None
        self.hidden_view.set_model(
            info.config, examples, lambda step: (c.model_info() or info).train_config.lr_at(step)
        )
        if c.model is not None:  # the worker is idle: reading the weights is safe
            self.hidden_view.offer(info.step, c.model.snapshot())

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
        self.experiments.start_repeat(k, base_seed=self.panel.train_config().seed)

    def _on_repeat_finished(self, stats: SeedStats) -> None:
        text = self.experiments.describe(stats)
        # after the last run's own result has been shown (same signal, later slot)
        html = (
            f"<b>Repeat finished</b>: {text}.<br>Each seed is a row in the Runs panel, and "
            "their mean ± std is the row marked 'mean'."
        )
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

    # -- exports -------------------------------------------------------------------------------
    def _export(self, kind: ExportKind, write: Callable[[str], object]) -> Path | None:
        return export_file(self.dialogs, self.settings, kind, write, self.dialogs_error)

    def export_runs_csv(self) -> None:
        self._export(RUNS_CSV, self.runs_view.export_csv)

    def export_plot_png(self) -> None:
        self._export(LOSS_PNG, self.loss_plot.export_png)

    def export_embedding_png(self) -> None:
        self._export(EMBEDDING_PNG, self.embedding_view.export_png)

    def export_script(self) -> None:
        self._export_code(SCRIPT_PY, "script")

    def export_notebook(self) -> None:
        self._export_code(NOTEBOOK_IPYNB, "notebook")

    def _export_code(self, kind: ExportKind, code_kind: str) -> None:
        """The run as the lecture's code (core/export_script.py), named after the model."""
        if self.controller.model is None or not self.controller.wait_until_idle():
            return
        if self.controller.path is not None:
            kind = dataclasses.replace(kind, suggested_name=self.controller.path.stem + kind.suffix)

        def write(path: str) -> None:
            self.statusBar().showMessage(self.controller.write_code(path, code_kind), 10000)

        self._export(kind, write)

    def export_losses_csv(self) -> None:
        self._export(LOSSES_CSV, self.loss_plot.export_csv)

    # -- window title, recent files, settings ---------------------------------------------------
    def _update_title(self) -> None:
        path = self.controller.path
        name = path.name if path else ("untitled model" if self.controller.model else "")
        self.setWindowTitle(f"{name}[*] — {APP_NAME}" if name else APP_NAME)
        self.setWindowModified(self.controller.modified)
        self.setWindowFilePath(str(path) if path else "")

    def open_path(self, path: str | Path) -> bool:
        """Open a model file (by its .safetensors suffix) or a dataset."""
        if Path(path).suffix.lower() in OPENABLE_SUFFIXES:
            return self.open_model(path)
        return self.open_dataset(path)

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(first_window_size(self.screen()))
        size = self.size()
        self.docks.apply_default()
        self.docks.keep_size(size)  # the default layout may have widened the window
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.docks.restore_state(state, SETTINGS_VERSION)  # (without stale tab bars)
            self.docks.keep_size(size)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)  # again: moving docks may have widened the window
        hyper = self.settings.value("hyperparameters")
        if isinstance(hyper, str):
            try:
                self._syncing_panel = True
                self.panel.restore_settings(json.loads(hyper))
            except (ValueError, TypeError, RecursionError):  # untrusted: keep the defaults
                pass
            finally:
                self._syncing_panel = False

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(SETTINGS_VERSION))
        self.settings.setValue("hyperparameters", json.dumps(self.panel.to_settings()))
        self.settings.sync()

    def reset_layout(self) -> None:
        """Every dock back in its place, in the default layout for the window's size."""
        self.docks.reset()

    def _on_zoom_changed(self, factor: float) -> None:
        self.statusBar().showMessage(f"Zoom {round(factor * 100)}%", 3000)
        if not self.presentation.active():  # larger text needs other dock sizes (or tabs)
            self.docks.apply_default()

    def is_presenting(self) -> bool:
        return self.presentation.active()

    def toggle_presentation(self) -> None:
        if self.presentation.active():
            self.leave_presentation()
        else:
            self.enter_presentation()

    def enter_presentation(self) -> None:
        self.presentation.enter()
        self.leave_presentation_action.setEnabled(True)
        self.presentation_action.setText("Leave &presentation mode")
        self.statusBar().showMessage("Presentation mode: F11 or Esc leaves it.", 8000)

    def leave_presentation(self) -> None:
        self.presentation.leave()
        self.leave_presentation_action.setEnabled(False)
        self.presentation_action.setText("&Presentation mode")

    def _fold_for_presentation(self, fold: bool) -> None:
        """The training panel shows only its buttons and progress (fold) or everything."""
        self.panel.setVisible(not fold)
        self.dataset_label.setVisible(not fold)
        self.controls.set_compact(fold)

    # -- help ----------------------------------------------------------------------------------
    def show_guide(self) -> None:
        GuideDialog(self).exec()

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """Every shortcut of the window, read from what defines it (so the list stays
        true): the actions, the buttons with a key of their own, and the keys the panels
        handle themselves."""
        actions = [a for a in self.actions() if a is not self.leave_presentation_action]
        actions += [a for a in self.findChildren(QAction) if a not in actions
                    and a.shortcutContext() != Qt.ShortcutContext.WidgetShortcut
                    and a is not self.leave_presentation_action]  # fmt: skip
        rows = action_shortcuts(actions)
        for button in self.findChildren(QAbstractButton):
            keys = button.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys and not button.text().startswith("&"):
                rows.append((keys, button.text().replace("&", "")))
        rows.append(("Esc", "Leave presentation mode"))
        return rows + list(PANEL_KEYS)

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.shortcut_rows(), self).exec()

    def open_lecture(self) -> bool:
        """Open the lecture in a browser; when none opens, show the address to copy."""
        if QDesktopServices.openUrl(QUrl(LECTURE_URL)):
            return True
        self.statusBar().showMessage(f"No browser opened. The lecture: {LECTURE_URL}", 15000)
        self.show_link_dialog()
        return False

    def show_link_dialog(self) -> None:
        LinkDialog(LECTURE_URL, self).exec()

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
        self.frame_clock.stop()
        self.controller.shutdown()
        self.save_settings()
        self.run_history.close()
        event.accept()
