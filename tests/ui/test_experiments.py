"""Experiments in the main window: run history, overlays, K-seed repeats, the LR finder and
the counted test set."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from charnames_gui.core import stacked_training
from charnames_gui.core.checkpoint import load_model
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.events import RunEnded
from charnames_gui.core.presets import PRESETS
from charnames_gui.core.runs import RunRecord, RunStore
from charnames_gui.ui.controller import TrainingState
from charnames_gui.ui.experiments import MAX_REPEATS
from charnames_gui.ui.views.runs_table_model import COLUMN_INDEX
from charnames_gui.ui.window.dialogs import int_dialog
from charnames_gui.ui.window.main_window import MainWindow


def stored(win: MainWindow, timeout: float = 5.0) -> list[RunRecord]:
    """What the run history's database holds, read by a second connection."""
    store = RunStore(win.run_history.path, timeout=timeout)
    try:
        return store.list()
    finally:
        store.close()


def _run_and_stop(qtbot, win: MainWindow, steps: int = 200) -> None:
    c = win.controller
    c.start()
    qtbot.waitUntil(lambda: c.document.trainer.step >= steps, timeout=20_000)
    with qtbot.waitSignal(win.experiments.runRecorded, timeout=10_000):
        c.stop()


def test_each_run_is_recorded_and_survives_a_restart(qtbot, make_window, tmp_path: Path) -> None:
    win = make_window()
    _run_and_stop(qtbot, win)
    win.file_commands.new_model(ask=False)
    _run_and_stop(qtbot, win)
    records = stored(win)
    assert len(records) == 2
    first = records[0]
    assert first.status == "stopped" and first.steps_done >= 200
    assert first.dev_loss is not None and math.isfinite(first.dev_loss)
    assert len(first.curve_steps) > 10 and len(first.curve_steps) == len(first.curve_loss)
    assert win.runs_view.proxy.rowCount() == 2
    win.close()
    reopened = RunStore(tmp_path / "runs.db")  # a restart reads the same history
    assert [r.id for r in reopened.list()] == [r.id for r in records]
    reopened.close()


def test_selected_runs_are_overlaid_on_the_plot(qtbot, make_window) -> None:
    win = make_window()
    _run_and_stop(qtbot, win)
    win.file_commands.new_model(ask=False)
    _run_and_stop(qtbot, win)
    ids = [r.id for r in stored(win)]
    with qtbot.waitSignal(win.runs_view.overlayChanged, timeout=5_000):
        win.runs_view.select_ids(ids)
    assert set(win.loss_plot._overlays) == set(ids)
    item, curve = win.loss_plot._overlays[ids[0]]
    x, _ = item.getData()
    assert len(x) == len(curve.steps) > 0
    win.runs_view.select_ids(ids[:1])
    assert set(win.loss_plot._overlays) == {ids[0]}


def test_references_uniform_and_bigram(qtbot, window: MainWindow) -> None:
    x = window.experiments
    assert x.uniform == math.log(window.controller.document.dataset.vocab.size)
    assert x.bigram is not None and 0 < x.bigram < 10
    assert window.loss_plot.bigram_line.isVisible()


def test_repeat_with_k_seeds_reports_mean_and_std(qtbot, make_window) -> None:
    win = make_window(steps=300)
    win.dialogs.int_answer = 3
    with qtbot.waitSignal(win.experiments.repeatFinished, timeout=60_000) as finished:
        win.experiment_commands.repeat_with_seeds()
    stats = finished.args[0]
    assert stats.n == 3 and stats.std > 0
    # the history's writer thread lands the last seed's record in its own time
    qtbot.waitUntil(lambda: len(stored(win)) == 3, timeout=10_000)
    records = stored(win)
    assert len({r.group_id for r in records}) == 1
    assert sorted(r.group_index for r in records) == [1, 2, 3]
    assert len({r.train.seed for r in records}) == 3
    assert stats.mean == sum(r.dev_loss for r in records) / 3
    qtbot.waitUntil(lambda: "±" in window_text(win), timeout=5_000)
    qtbot.waitUntil(lambda: win.controller.document.state == TrainingState.FINISHED, timeout=5_000)


def window_text(win: MainWindow) -> str:
    return win.controls.result_label.text()


def test_lr_finder_runs_in_the_worker_and_sets_the_lr(qtbot, window: MainWindow) -> None:
    weights = {k: v.clone() for k, v in window.controller.document.model.params.items()}
    with qtbot.waitSignal(window.controller.sweepEnded, timeout=30_000) as ended:
        window.experiment_commands.start_lr_sweep(200)
    x, losses = window.lr_finder.points()
    assert len(x) == len(losses) == ended.args[0].points > 50
    assert window.lr_finder.suggested_lr() is not None
    for name, tensor in weights.items():  # the sweep trained a copy
        assert bool((window.controller.document.model.params[name] == tensor).all())
    window.lr_finder.set_chosen_lr(0.05)
    window.lr_finder.use_button.click()
    assert abs(window.panel.lr.value() - 0.05) < 1e-9
    assert window.controller.document.trainer.config.lr == 0.05


def test_test_set_is_explained_once_counted_and_saved(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    _run_and_stop(qtbot, window)
    with qtbot.waitSignal(window.experiments.testEvaluated, timeout=10_000) as first:
        window.experiment_commands.evaluate_on_test_set()
    assert len(window.dialogs.questions) == 1  # the explanation, once
    loss, count = first.args
    assert count == 1 and math.isfinite(loss)
    assert "evaluated once" in window.controls.test_label.text()
    with qtbot.waitSignal(window.experiments.testEvaluated, timeout=10_000) as second:
        window.experiment_commands.evaluate_on_test_set()
    assert second.args[1] == 2 and len(window.dialogs.questions) == 1
    assert "2 times" in window.controls.test_label.text()
    qtbot.waitUntil(lambda: stored(window)[-1].test_loss == loss, timeout=10_000)
    assert window.controller.document.modified  # the count belongs in the model file

    path = tmp_path / "counted.safetensors"
    window.dialogs.save_paths.append(str(path))
    assert window.file_commands.save_model_as()
    saved = load_model(path)
    assert saved.test_evaluations.count(window.controller.document.dataset.content_hash()) == 2
    window.file_commands.new_model(ask=False)
    assert window.file_commands.open_model(path)
    # with its replay frames the file may be large enough to be read on a thread
    qtbot.waitUntil(lambda: window.controller.document.path is not None, timeout=30_000)
    assert window.controller.document.test_evaluation_count() == 2


def test_the_test_set_explanation_can_be_declined(qtbot, window: MainWindow) -> None:
    window.dialogs.confirm_answer = False
    window.experiment_commands.evaluate_on_test_set()
    assert window.controller.document.state == TrainingState.READY  # nothing was evaluated
    assert window.controller.document.test_evaluation_count() == 0


def test_a_damaged_history_is_reported_and_recreated(qtbot, make_window, tmp_path: Path) -> None:
    (tmp_path / "runs.db").write_bytes(b"this is not a database" * 100)
    win = make_window()
    qtbot.waitUntil(lambda: bool(win.dialogs.errors), timeout=5_000)
    assert "Run history" in win.dialogs.errors[0][0]
    _run_and_stop(qtbot, win)
    assert len(stored(win)) == 1


def test_presets_set_the_lectures_configurations(qtbot, window: MainWindow) -> None:
    first = PRESETS[0]
    window.panel.apply_preset(first)
    vocab_size = window.controller.document.dataset.vocab.size  # 3,481 with the lecture's 27
    assert window.controller.document.model.parameter_count() == first.parameter_count(vocab_size)
    assert window.controller.document.model.config.n_embd == 2
    assert window.panel.preset_description.isVisible()
    assert first.description in window.panel.preset_description.text()
    window.panel.n_hidden.setValue(120)  # an edit makes the settings custom
    assert window.panel.preset.currentIndex() == 0


def _start_repeat_and_pause(qtbot, win: MainWindow, k: int = 2) -> None:
    c = win.controller
    win.dialogs.int_answer = k
    with qtbot.waitSignal(win.experiments.repeatProgress, timeout=10_000):
        win.experiment_commands.repeat_with_seeds()
    qtbot.waitUntil(lambda: c.document.trainer.step >= 50, timeout=20_000)
    c.pause()
    qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=10_000)


def test_a_paused_repeat_ends_when_the_learner_makes_a_new_model(qtbot, make_window) -> None:
    """The learner's own run is not seed 1 of 2, and no seed replaces it."""
    win = make_window()
    _start_repeat_and_pause(qtbot, win)
    assert win.experiments.repeat is not None
    with qtbot.waitSignal(win.experiments.repeatCancelled, timeout=5_000) as cancelled:
        win.file_commands.new_model(ask=False)
    assert "ended after 0" in cancelled.args[0]
    learners_seed = win.controller.document.trainer.config.seed
    _run_and_stop(qtbot, win)
    assert win.experiments.repeat is None  # nothing is left to start the next seed
    (record,) = stored(win)
    assert record.group_id is None and record.group_label == ""
    assert win.controller.document.trainer.config.seed == learners_seed
    assert win.controller.document.state != TrainingState.RUNNING


@pytest.fixture
def one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Repeats run their seeds one after another, as for a setting the stack does not do
    (BatchNorm, weight decay, the autograd engine)."""
    monkeypatch.setattr(stacked_training, "stack_refusal", lambda *_: "a setting it does not do")


@pytest.mark.usefixtures("one_by_one")
def test_a_repeat_trains_the_learners_seed_last_and_the_fields_agree_with_the_model(
    qtbot, make_window
) -> None:
    """The fields show the current model after a repeat: the learner's own seed
    is trained last, so Seed and Experiment stay as the learner set them and name the model
    that Save and Export use; while the other seeds train the fields are left alone."""
    win = make_window()
    preset = PRESETS[1]
    win.panel.apply_preset(preset)
    chosen, seed = win.panel.preset.currentIndex(), win.panel.train_config().seed
    assert chosen > 0
    _start_repeat_and_pause(qtbot, win)
    c = win.controller
    assert c.document.trainer.config.seed != seed  # another seed first ...
    assert win.panel.train_config().seed == seed  # ... while the Seed field is the learner's
    assert win.panel.preset.currentIndex() == chosen  # and the experiment stays
    # seed 1 ends (as if it had finished): the repeat makes seed 2's model and trains it
    with qtbot.waitSignal(win.experiments.repeatProgress, timeout=10_000) as progress:
        c.runEnded.emit(RunEnded("finished", c.document.trainer.step, 1.0, 2.3, 2.4))
    assert progress.args[0] == "seed 2 of 2"
    assert c.document.trainer.config.seed == seed  # the learner's seed, trained last
    with (
        qtbot.waitSignal(win.experiments.repeatFinished, timeout=10_000),
        qtbot.waitSignal(win.experiments.statusMessage, timeout=10_000) as told,
    ):
        c.stop()
    assert f"seed {seed}" in told.args[0] and "run 2 of 2" in told.args[0]
    assert win.panel.train_config().seed == c.document.trainer.config.seed == seed
    assert win.panel.preset.currentIndex() == chosen


@pytest.mark.usefixtures("one_by_one")
def test_a_stopped_repeat_shows_the_model_it_stopped_at_in_the_fields(qtbot, make_window) -> None:
    win = make_window()
    seed = win.panel.train_config().seed
    _start_repeat_and_pause(qtbot, win, k=3)
    c = win.controller
    with qtbot.waitSignal(win.experiments.repeatFinished, timeout=10_000):
        c.stop()  # the first seed (not the learner's) is the current model now
    assert c.document.trainer.config.seed != seed
    assert win.panel.train_config().seed == c.document.trainer.config.seed


def test_failed_and_diverged_runs_are_recorded_with_their_status(qtbot, window: MainWindow) -> None:
    """A failed run is recorded; a finished one above ln(V) diverged."""
    c = window.controller
    uniform = math.log(c.document.dataset.vocab.size)
    with qtbot.waitSignal(window.experiments.runRecorded, timeout=10_000) as failed:
        c.runEnded.emit(RunEnded("failed", 0, 0.0, message="The training process stopped"))
    assert failed.args[0].status == "failed" and failed.args[0].id is not None
    with (
        qtbot.waitSignal(window.experiments.runRecorded, timeout=10_000) as lr100,
        qtbot.waitSignal(window.experiments.statusMessage, timeout=10_000) as told,
    ):
        c.runEnded.emit(RunEnded("finished", 300, 1.0, uniform + 0.5, uniform + 0.6))
    assert lr100.args[0].status == "diverged"
    assert "no better than uniform guessing" in told.args[0]
    assert [r.status for r in stored(window)] == ["failed", "diverged"]
    qtbot.waitUntil(lambda: window.runs_view.proxy.rowCount() == 2, timeout=5_000)


def test_a_finished_repeat_has_a_mean_row(qtbot, make_window) -> None:
    win = make_window(steps=200)
    seed = win.panel.train_config().seed
    win.dialogs.int_answer = 2
    with qtbot.waitSignal(win.experiments.repeatFinished, timeout=60_000) as finished:
        win.experiment_commands.repeat_with_seeds()
    stats = finished.args[0]
    view = win.runs_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 3, timeout=10_000)
    (mean_row,) = [
        row for row in range(3) if view.proxy.index(row, COLUMN_INDEX["id"]).data() == "mean"
    ]
    dev = view.proxy.index(mean_row, COLUMN_INDEX["dev"]).data()
    assert dev == stats.format() == f"{stats.mean:.3f} ± {stats.std:.3f} (2 seeds)"
    assert win.panel.train_config().seed == seed


def test_the_repeat_dialog_fits_a_small_screen(qtbot) -> None:
    label = (
        "Train this configuration again with K different seeds (the first is the current "
        "seed), all together: the loss plot shows their band. Each run starts from new "
        "random weights and minibatches; the spread of their dev losses shows how much "
        "one number can be trusted.\n\nK:"
    )
    dialog = int_dialog(None, "Repeat with several seeds", label, 8, 2, MAX_REPEATS)
    qtbot.addWidget(dialog)
    assert dialog.sizeHint().width() <= 900  # it was 1336 px
    assert dialog.intMaximum() == MAX_REPEATS == 50


def test_a_locked_history_at_start_is_waited_for_not_moved_aside(
    qtbot, make_window, tmp_path: Path
) -> None:
    """Another program holds runs.db (BEGIN EXCLUSIVE) when the app starts."""
    path = tmp_path / "runs.db"
    store = RunStore(path)
    for i in range(25):
        store.add(replace(_a_record(), dev_loss=2 + i / 100))
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = delete")  # the lock keeps readers out as well
    conn.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        win = make_window(open_data=False)
        view = win.runs_view
        qtbot.waitUntil(lambda: not view.history_state.isHidden(), timeout=10_000)
        assert "busy (another Charnames is using it); it will be retried" in (
            view.history_state.text()
        )
        assert not win.dialogs.errors  # not called damaged
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 25, timeout=20_000)
    assert view.history_state.isHidden()
    assert not list(tmp_path.glob("runs.db.damaged-*")) and not win.dialogs.errors


def _a_record() -> RunRecord:
    return RunRecord(
        dataset_name="names.txt",
        dataset_hash="ab" * 32,
        model=ModelConfig(3, 10, 200, 27),
        train=TrainConfig(steps=1000),
        steps_done=1000,
        dev_loss=2.2,
    )


def test_a_run_that_ends_while_the_history_is_locked_is_recorded_later(
    qtbot, window: MainWindow
) -> None:
    """The run ends while another program write-locks runs.db; the window keeps
    running (a timer keeps ticking), and the run lands once the lock goes."""
    c, view = window.controller, window.runs_view
    qtbot.waitUntil(lambda: window.run_history.is_open, timeout=10_000)
    holder = sqlite3.connect(window.run_history.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    try:
        c.start()
        qtbot.waitUntil(lambda: c.document.trainer.step >= 200, timeout=20_000)
        with qtbot.waitSignal(window.run_history.queued, timeout=20_000):
            c.stop()
        assert c.document.state != TrainingState.RUNNING
        qtbot.waitUntil(lambda: "busy" in view.history_state.text(), timeout=10_000)
        assert [view.model.is_waiting(r) for r in view.model.runs()] == [True]
        before = len(ticks)
        qtbot.waitUntil(lambda: len(ticks) > before + 3, timeout=10_000)
        assert stored(window, timeout=0.1) == []  # nothing stored while locked, none lost
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with qtbot.waitSignal(window.experiments.runRecorded, timeout=20_000) as recorded:
        pass
    timer.stop()
    assert recorded.args[0].id is not None and recorded.args[0].status == "stopped"
    qtbot.waitUntil(lambda: view.history_state.isHidden(), timeout=10_000)
    assert [r.id for r in view.model.runs()] == [recorded.args[0].id]
    assert [r.id for r in stored(window)] == [recorded.args[0].id]


def test_a_stacked_repeat_draws_its_band_pauses_resumes_and_records_every_seed(
    qtbot, make_window
) -> None:
    """The K seeds train together like one run (pause, resume), the loss plot shows
    their band, and each seed is a row of the repeat with its dev loss ± its error; the
    current model is the learner's own seed, which then trains on with its own trainer."""
    from charnames_gui.core.stacked_run import RepeatTrainer
    from charnames_gui.ui.window.frame_clock import NORMAL
    from charnames_gui.ui.window.live_views import REPEAT_PACE

    win = make_window(steps=400)
    c, seed = win.controller, win.panel.train_config().seed
    win.dialogs.int_answer = 3
    with qtbot.waitSignal(win.experiments.repeatProgress, timeout=10_000) as progress:
        win.experiment_commands.repeat_with_seeds()
    assert "3 seeds training together" in progress.args[0]
    stack = c.document.trainer
    assert isinstance(stack, RepeatTrainer) and stack.seeds[0] == seed
    qtbot.waitUntil(lambda: c.document.trainer.step >= 50, timeout=20_000)
    # while the seeds train, the views follow at the repeat's slower pace
    qtbot.waitUntil(lambda: win.live_views.clock.pace == REPEAT_PACE, timeout=10_000)
    c.pause()
    qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=10_000)
    qtbot.waitUntil(lambda: win.live_views.clock.pace == NORMAL, timeout=10_000)
    paused_at = c.document.trainer.step
    win.loss_plot.redraw()
    band = win.loss_plot.seed_band
    assert band.k == 3
    centres, means = band.data()
    assert len(centres) and np.isfinite(means).all()
    assert band.fill.isVisible() == (len(centres) > 0)
    assert "3 seeds near step" in "\n".join(band.describe(float(centres[-1])))
    with qtbot.waitSignal(win.experiments.repeatFinished, timeout=60_000) as finished:
        c.start()  # resumes all three from where they paused
    assert c.document.trainer.step == 400 > paused_at
    stats = finished.args[0]
    assert stats.n == 3 and stats.std > 0
    qtbot.waitUntil(lambda: len(stored(win)) == 3, timeout=10_000)
    records = sorted(stored(win), key=lambda r: r.group_index)
    assert [r.train.seed for r in records] == stack.seeds
    assert all(0 < (r.dev_se or 0) < math.inf for r in records)  # (a tiny dev split here)
    assert [(r.steps_done, r.status) for r in records] == [(400, "finished")] * 3
    assert stats.mean == pytest.approx(sum(r.dev_loss for r in records) / 3, rel=1e-12)
    # the learner's seed is the current model, trained on by its own trainer from here
    assert not isinstance(c.document.trainer, RepeatTrainer)
    assert c.document.trainer.config.seed == seed and c.document.trainer.step == 400
    assert all(r.process.pid is None for r in stack.stacked._remote)


def test_compare_two_runs_from_the_menu(qtbot, make_window) -> None:
    """Experiments > Compare two runs: says how to pick them, then answers for the two rows
    selected in Runs (one seed each: it cannot tell, and says that 2 seeds are needed)."""
    win = make_window(steps=100)
    for _ in range(2):
        win.file_commands.new_model(ask=False)
        with qtbot.waitSignal(win.experiments.runRecorded, timeout=20_000):
            win.controller.start()  # to its end: a finished run
    action = win.menus.action("compare_runs")
    assert action in win.menus.menu("experiments").actions()
    action.trigger()
    assert win.dialogs.infos and "Select two rows" in win.dialogs.infos[-1][1]
    view = win.runs_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 2, timeout=10_000)
    view.table.selectAll()
    action.trigger()
    assert view.compare_view is not None and view.compare_view.isVisible()
    assert "at least 2 seeds" in view.compare_view.answer.text()
    # why Runs cannot compare the two models example by example, and what can
    details = view.compare_view.details.text()
    assert "not its weights" in details and "charnames compare" in details


def test_compare_two_presets_trains_them_off_the_gui_thread(qtbot, make_window) -> None:
    """Experiments > Compare two presets: both presets trained with the same 2 seeds (in the
    app's training children) while the window goes on (progress arrives, Cancel is
    enabled), then the answer paired by seed in the Compare dialog and each preset's seeds
    as a repeat in Runs."""
    win = make_window()
    win.menus.action("compare_presets").trigger()
    presets = win.experiment_commands.presets
    assert presets is not None and presets.view.isVisible()
    view, picker = presets.view, presets.view.picker
    assert picker is not None
    picker.a_box.setCurrentText("First model")
    picker.b_box.setCurrentText("Larger embedding")
    picker.seeds.setValue(2)
    picker.steps.setValue(40)
    progressed: list[object] = []
    presets.runner.progress.connect(progressed.append)
    with qtbot.waitSignal(presets.runner.compared, timeout=60_000) as answer:
        picker.start_button.click()
        assert picker.cancel_button.isEnabled() and not picker.start_button.isEnabled()
    assert progressed and not picker.cancel_button.isEnabled()
    comparison = answer.args[0].comparison
    assert comparison.method.startswith("paired t") and comparison.n_a == comparison.n_b == 2
    assert view.answer.text() == comparison.sentence() and "2 seeds each" in view.answer.text()
    assert "A: First model, 2 seeds of 40 steps" in view.sides.text()
    qtbot.waitUntil(lambda: len(stored(win)) == 4, timeout=10_000)
    records = stored(win)
    assert len({r.group_id for r in records}) == 2 and {r.steps_done for r in records} == {40}
    win.experiment_commands.close()


def test_comparing_presets_is_cancelled_and_records_nothing(qtbot, make_window) -> None:
    win = make_window()
    win.experiment_commands.compare_presets()
    presets = win.experiment_commands.presets
    assert presets is not None and presets.view.picker is not None
    presets.processes = 1  # in this process: no training children to start
    picker = presets.view.picker
    picker.seeds.setValue(2)
    picker.steps.setValue(200_000)
    with qtbot.waitSignal(presets.runner.progress, timeout=30_000):
        picker.start_button.click()
    with qtbot.waitSignal(presets.runner.cancelled, timeout=30_000):
        picker.cancel_button.click()
    assert "Cancelled" in picker.status.text() and picker.start_button.isEnabled()
    win.experiment_commands.close()  # the thread has ended: joins at once
    assert presets.runner._thread is None and stored(win) == []
