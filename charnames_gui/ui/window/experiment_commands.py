"""The Training menu's experiments, as the window shows them: the learning-rate sweep, a
repeat with several seeds, the test-set evaluation, and the runs drawn over the loss plot.
The experiments themselves run in ui/experiments.py and the controller."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDockWidget, QStatusBar

from charnames_gui.core.events import SweepEnded
from charnames_gui.core.runs import RunRecord
from charnames_gui.core.stats import SeedStats
from charnames_gui.ui.controller import Controller
from charnames_gui.ui.experiments import MAX_REPEATS, Experiments
from charnames_gui.ui.views.hyperparameters import HyperparameterPanel
from charnames_gui.ui.views.loss_plot import LossPlot, OverlayCurve
from charnames_gui.ui.views.lr_finder_view import SWEEP_STEPS, LrFinderView
from charnames_gui.ui.views.runs_view import RunsView, run_colour
from charnames_gui.ui.views.training_controls import TrainingControls
from charnames_gui.ui.window.app_settings import AppSettings
from charnames_gui.ui.window.compare_commands import PresetCompareWindow
from charnames_gui.ui.window.dialogs import AsksUser
from charnames_gui.ui.window.file_commands import FileCommands
from charnames_gui.ui.window.panel_sync import PanelSync


@dataclass(frozen=True)
class ExperimentViews:
    """Where the experiments show: the finder and the runs in their docks, the references
    and overlays on the loss plot, results in the training controls and the status bar."""

    lr_finder: LrFinderView
    lr_dock: QDockWidget
    runs_view: RunsView
    runs_dock: QDockWidget
    loss_plot: LossPlot
    controls: TrainingControls
    status: QStatusBar


class ExperimentCommands:
    def __init__(
        self,
        controller: Controller,
        experiments: Experiments,
        files: FileCommands,
        dialogs: AsksUser,
        settings: AppSettings,
        panel: HyperparameterPanel,
        panel_sync: PanelSync,
        views: ExperimentViews,
    ) -> None:
        self.controller = controller
        self.experiments = experiments
        self.files = files
        self.dialogs = dialogs
        self.settings = settings
        self.panel = panel
        self.panel_sync = panel_sync
        self.views = views
        c, x, v = controller, experiments, views
        c.sweepPoints.connect(v.lr_finder.append)
        c.sweepEnded.connect(self._on_sweep_ended)
        v.lr_finder.sweepRequested.connect(self.start_lr_sweep)
        v.lr_finder.lrChosen.connect(self._use_learning_rate)
        x.referencesChanged.connect(self._on_references)
        x.repeatProgress.connect(lambda text: v.status.showMessage(f"Repeat: {text}"))
        x.repeatFinished.connect(self._on_repeat_finished)
        x.repeatCancelled.connect(lambda text: v.status.showMessage(text, 15000))
        x.testEvaluated.connect(self._on_test_evaluated)
        x.statusMessage.connect(lambda text: v.status.showMessage(text, 8000))
        v.runs_view.overlayChanged.connect(self._on_overlay_changed)
        v.runs_view.statusMessage.connect(lambda text: v.status.showMessage(text, 5000))
        self.presets: PresetCompareWindow | None = None  # made when first asked for

    # -- commands ------------------------------------------------------------------------------
    def start_lr_sweep(self, n: int = SWEEP_STEPS) -> None:
        """The sweep of as many seeds as the finder's Seeds box says (1: the lecture's)."""
        if self.controller.start_lr_sweep(n, self.views.lr_finder.seeds.value()):
            self.views.lr_dock.raise_()
            self.views.lr_finder.start(n)

    def repeat_with_seeds(self) -> None:
        k = self.dialogs.get_int(
            "Repeat with several seeds",
            "Train this configuration again with K different seeds (the first is the current "
            "seed), all together: the loss plot shows their band. Each run starts from new "
            "random weights and minibatches; the spread of their dev losses shows how much "
            "one number can be trusted.\n\nK:",
            8,
            2,
            MAX_REPEATS,
        )
        if k is None or not self.files.may_discard("The repeats train new models."):
            return
        self.views.runs_dock.raise_()
        self.experiments.start_repeat(k, base_seed=self.panel.train_config().seed)

    def compare_runs(self) -> None:
        """Is B better than A? The two rows selected in the Runs panel, compared by their
        dev losses (RunsView.compare_selected); says how to pick them when they are not."""
        self.views.runs_dock.show()
        self.views.runs_dock.raise_()
        if len(self.views.runs_view.selected_sides()) != 2:
            self.dialogs.info(
                "Compare two runs",
                "Select two rows in the Runs panel (click one, Ctrl-click the other), then "
                "choose Compare again or press Compare under the table. A repeat's row "
                "marked 'mean' stands for all its seeds: two repeats with the same seeds are "
                "compared seed by seed.",
            )
            return
        self.views.runs_view.compare_selected()

    def compare_presets(self) -> None:
        """Is preset B better than preset A? The Compare dialog with two presets to pick;
        both are trained with the same seeds off the GUI thread, then compared."""
        if self.presets is None:
            parent = self.views.runs_view.window()
            history = self.experiments.history
            self.presets = PresetCompareWindow(self.controller, history, self.views.status, parent)
        self.presets.show()

    def close(self) -> None:
        """The window is closing: a comparison of presets is cancelled and joined."""
        if self.presets is not None:
            self.presets.close()

    def evaluate_on_test_set(self) -> None:
        """Explain once why the test set is looked at rarely, then measure its loss."""
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

    # -- what the experiments report -------------------------------------------------------------
    def _on_references(self, uniform: float, bigram: float | None) -> None:
        self.views.loss_plot.set_reference("bigram", bigram)
        dataset = self.controller.document.dataset
        dataset_hash = dataset.content_hash() if dataset else None
        self.views.runs_view.set_references(uniform, bigram, dataset_hash)

    def _on_overlay_changed(self, records: list[RunRecord]) -> None:
        curves = []
        for r in records:
            label = f"run #{r.id}" + (f" (dev {r.dev_loss:.3f})" if r.dev_loss else "")
            colour = run_colour(r.id or 0)
            curves.append(OverlayCurve(r.id, label, colour, r.curve_steps, r.curve_loss))
        self.views.loss_plot.set_overlays(curves)

    def _on_sweep_ended(self, ended: SweepEnded) -> None:
        self.views.lr_finder.finish(ended.suggested_lr, ended.seed_lrs)

    def _use_learning_rate(self, lr: float) -> None:
        self.panel.lr.setValue(lr)  # continues the current model with it (trainingChanged)
        self.views.status.showMessage(f"Learning rate set to {lr:g}", 5000)

    def _on_repeat_finished(self, stats: SeedStats) -> None:
        self.panel_sync.show_model()  # the last seed's model is the current one: so say the fields
        text = self.experiments.describe(stats)
        # after the last run's own result has been shown (same signal, later slot)
        html = (
            f"<b>Repeat finished</b>: {text}.<br>Each seed is a row in the Runs panel, and "
            "their mean ± std is the row marked 'mean'."
        )
        QTimer.singleShot(0, lambda: self.views.controls.show_message(html))
        self.views.status.showMessage(f"Repeat finished: {text}", 15000)

    def _on_test_evaluated(self, loss: float, count: int) -> None:
        times = "once" if count == 1 else f"{count} times"
        self.views.controls.show_test_loss(loss, count)
        self.views.status.showMessage(f"test loss {loss:.4f}, evaluated {times}", 10000)
