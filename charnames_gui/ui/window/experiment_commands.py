"""The Training menu's experiments, as the window shows them: the learning-rate sweep, a
repeat with several seeds, the test-set evaluation, and the runs drawn over the loss plot.
The experiments themselves run in ui/experiments.py and the controller."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from charnames_gui.core.events import SweepEnded
from charnames_gui.core.runs import RunRecord
from charnames_gui.core.stats import SeedStats
from charnames_gui.ui.experiments import MAX_REPEATS
from charnames_gui.ui.views.loss_plot import OverlayCurve
from charnames_gui.ui.views.lr_finder_view import SWEEP_STEPS
from charnames_gui.ui.views.runs_view import run_colour
from charnames_gui.ui.window import file_commands
from charnames_gui.ui.window.panel_sync import show_model_in_panel

if TYPE_CHECKING:
    from charnames_gui.ui.window.main_window import MainWindow


def connect_experiments(win: MainWindow) -> None:
    """The sweep, the repeats, the test set and the runs table, wired to the window."""
    c, x = win.controller, win.experiments
    c.sweepPoints.connect(win.lr_finder.append)
    c.sweepEnded.connect(lambda ended: _on_sweep_ended(win, ended))
    win.lr_finder.sweepRequested.connect(lambda n: start_lr_sweep(win, n))
    win.lr_finder.lrChosen.connect(lambda lr: _use_learning_rate(win, lr))
    x.referencesChanged.connect(lambda uniform, bigram: _on_references(win, uniform, bigram))
    x.repeatProgress.connect(lambda text: win.statusBar().showMessage(f"Repeat: {text}"))
    x.repeatFinished.connect(lambda stats: _on_repeat_finished(win, stats))
    x.repeatCancelled.connect(lambda text: win.statusBar().showMessage(text, 15000))
    x.testEvaluated.connect(lambda loss, count: _on_test_evaluated(win, loss, count))
    x.statusMessage.connect(lambda text: win.statusBar().showMessage(text, 8000))
    win.runs_view.overlayChanged.connect(lambda records: _on_overlay_changed(win, records))
    win.runs_view.statusMessage.connect(lambda t: win.statusBar().showMessage(t, 5000))


def _on_references(win: MainWindow, uniform: float, bigram: float | None) -> None:
    win.loss_plot.set_reference("bigram", bigram)
    dataset = win.controller.dataset
    win.runs_view.set_references(uniform, bigram,
                                 dataset.content_hash() if dataset else None)  # fmt: skip


def _on_overlay_changed(win: MainWindow, records: list[RunRecord]) -> None:
    curves = []
    for r in records:
        label = f"run #{r.id}" + (f" (dev {r.dev_loss:.3f})" if r.dev_loss else "")
        curves.append(OverlayCurve(r.id, label, run_colour(r.id or 0), r.curve_steps, r.curve_loss))
    win.loss_plot.set_overlays(curves)


def start_lr_sweep(win: MainWindow, n: int = SWEEP_STEPS) -> None:
    if win.controller.start_lr_sweep(n):
        win.lr_dock.raise_()
        win.lr_finder.start(n)


def _on_sweep_ended(win: MainWindow, ended: SweepEnded) -> None:
    win.lr_finder.finish(ended.suggested_lr)


def _use_learning_rate(win: MainWindow, lr: float) -> None:
    win.panel.lr.setValue(lr)  # continues the current model with it (trainingChanged)
    win.statusBar().showMessage(f"Learning rate set to {lr:g}", 5000)


def repeat_with_seeds(win: MainWindow) -> None:
    k = win.dialogs.get_int(
        "Repeat with several seeds",
        "Train this configuration again with K different seeds (the first is the current "
        "seed). Each run starts from new random weights and minibatches; the spread of "
        "their dev losses shows how much one number can be trusted.\n\nK:",
        5, 2, MAX_REPEATS,
    )  # fmt: skip
    if k is None or not file_commands.may_discard(win, "The repeats train new models."):
        return
    win.runs_dock.raise_()
    win.experiments.start_repeat(k, base_seed=win.panel.train_config().seed)


def _on_repeat_finished(win: MainWindow, stats: SeedStats) -> None:
    show_model_in_panel(win)  # the last seed's model is the current one: the fields say so
    text = win.experiments.describe(stats)
    # after the last run's own result has been shown (same signal, later slot)
    html = (
        f"<b>Repeat finished</b>: {text}.<br>Each seed is a row in the Runs panel, and "
        "their mean ± std is the row marked 'mean'."
    )
    QTimer.singleShot(0, lambda: win.controls.show_message(html))
    win.statusBar().showMessage(f"Repeat finished: {text}", 15000)


def evaluate_on_test_set(win: MainWindow) -> None:
    """Explain once why the test set is looked at rarely, then measure its loss."""
    if not win.settings.value("test_set_explained", False, type=bool):
        if not win.dialogs.confirm(
            "Evaluate on the test set",
            "The test split is kept apart for one honest number at the very end. Each "
            "time you look at it and then change something, a little of the test set "
            "leaks into your choices, and its loss stops being an honest estimate.\n\n"
            "Choose hyperparameters with the dev loss; look at the test loss rarely. "
            "The app counts how often you do, for each model and dataset.",
            "Evaluate on test",
        ):
            return
        win.settings.setValue("test_set_explained", True)
    win.experiments.evaluate_test()


def _on_test_evaluated(win: MainWindow, loss: float, count: int) -> None:
    times = "once" if count == 1 else f"{count} times"
    win.controls.show_test_loss(loss, count)
    win.statusBar().showMessage(f"test loss {loss:.4f}, evaluated {times}", 10000)
