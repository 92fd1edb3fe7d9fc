"""Experiments in the main window: run history, overlays, K-seed repeats, the LR finder and
the counted test set."""

from __future__ import annotations

import math
from pathlib import Path

from charnames_gui.core.checkpoint import load_model
from charnames_gui.core.presets import PRESETS
from charnames_gui.core.runs import RunStore
from charnames_gui.ui.controller import TrainingState
from charnames_gui.ui.main_window import MainWindow


def _run_and_stop(qtbot, win: MainWindow, steps: int = 200) -> None:  # type: ignore[no-untyped-def]
    c = win.controller
    c.start()
    qtbot.waitUntil(lambda: c.trainer.step >= steps, timeout=20_000)
    with qtbot.waitSignal(win.experiments.runRecorded, timeout=10_000):
        c.stop()


def test_each_run_is_recorded_and_survives_a_restart(qtbot, make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = make_window()
    _run_and_stop(qtbot, win)
    win.new_model(ask=False)
    _run_and_stop(qtbot, win)
    records = win.runs_store.list()
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


def test_selected_runs_are_overlaid_on_the_plot(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    win = make_window()
    _run_and_stop(qtbot, win)
    win.new_model(ask=False)
    _run_and_stop(qtbot, win)
    ids = [r.id for r in win.runs_store.list()]
    with qtbot.waitSignal(win.runs_view.overlayChanged, timeout=5_000):
        win.runs_view.select_ids(ids)
    assert set(win.loss_plot._overlays) == set(ids)
    item, curve = win.loss_plot._overlays[ids[0]]
    x, _ = item.getData()
    assert len(x) == len(curve.steps) > 0
    win.runs_view.select_ids(ids[:1])
    assert set(win.loss_plot._overlays) == {ids[0]}


def test_references_uniform_and_bigram(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    x = window.experiments
    assert x.uniform == math.log(window.controller.dataset.vocab.size)
    assert x.bigram is not None and 0 < x.bigram < 10
    assert window.loss_plot.bigram_line.isVisible()


def test_repeat_with_k_seeds_reports_mean_and_std(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    win = make_window(steps=300)
    win.dialogs.int_answer = 3
    with qtbot.waitSignal(win.experiments.repeatFinished, timeout=60_000) as finished:
        win.repeat_with_seeds()
    stats = finished.args[0]
    assert stats.n == 3 and stats.std > 0
    records = win.runs_store.list()
    assert len(records) == 3
    assert len({r.group_id for r in records}) == 1
    assert sorted(r.group_index for r in records) == [1, 2, 3]
    assert len({r.train.seed for r in records}) == 3
    assert stats.mean == sum(r.dev_loss for r in records) / 3
    qtbot.waitUntil(lambda: "±" in window_text(win), timeout=5_000)
    qtbot.waitUntil(lambda: win.controller.state == TrainingState.FINISHED, timeout=5_000)


def window_text(win: MainWindow) -> str:
    return win.controls.result_label.text()


def test_lr_finder_runs_in_the_worker_and_sets_the_lr(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    weights = {k: v.clone() for k, v in window.controller.model.params.items()}
    with qtbot.waitSignal(window.controller.sweepEnded, timeout=30_000) as ended:
        window.start_lr_sweep(200)
    x, losses = window.lr_finder.points()
    assert len(x) == len(losses) == ended.args[0].points > 50
    assert window.lr_finder.suggested_lr() is not None
    for name, tensor in weights.items():  # the sweep trained a copy
        assert bool((window.controller.model.params[name] == tensor).all())
    window.lr_finder.set_chosen_lr(0.05)
    window.lr_finder.use_button.click()
    assert abs(window.panel.lr.value() - 0.05) < 1e-9
    assert window.controller.trainer.config.lr == 0.05


def test_test_set_is_explained_once_counted_and_saved(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _run_and_stop(qtbot, window)
    with qtbot.waitSignal(window.experiments.testEvaluated, timeout=10_000) as first:
        window.evaluate_on_test_set()
    assert len(window.dialogs.questions) == 1  # the explanation, once
    loss, count = first.args
    assert count == 1 and math.isfinite(loss)
    assert "evaluated once" in window.controls.test_label.text()
    with qtbot.waitSignal(window.experiments.testEvaluated, timeout=10_000) as second:
        window.evaluate_on_test_set()
    assert second.args[1] == 2 and len(window.dialogs.questions) == 1
    assert "2 times" in window.controls.test_label.text()
    assert window.runs_store.list()[-1].test_loss == loss
    assert window.controller.modified  # the count belongs in the model file

    path = tmp_path / "counted.safetensors"
    window.dialogs.save_paths.append(str(path))
    assert window.save_model_as()
    saved = load_model(path)
    assert saved.test_evaluations.count(window.controller.dataset.content_hash()) == 2
    window.new_model(ask=False)
    assert window.open_model(path)
    assert window.controller.test_evaluation_count() == 2


def test_the_test_set_explanation_can_be_declined(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.dialogs.confirm_answer = False
    window.evaluate_on_test_set()
    assert window.controller.state == TrainingState.READY  # nothing was evaluated
    assert window.controller.test_evaluation_count() == 0


def test_a_damaged_history_is_reported_and_recreated(qtbot, make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "runs.db").write_bytes(b"this is not a database" * 100)
    win = make_window()
    qtbot.waitUntil(lambda: bool(win.dialogs.errors), timeout=5_000)
    assert "Run history" in win.dialogs.errors[0][0]
    _run_and_stop(qtbot, win)
    assert len(win.runs_store.list()) == 1


def test_presets_set_the_lectures_configurations(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    first = PRESETS[0]
    window.panel.apply_preset(first)
    vocab_size = window.controller.dataset.vocab.size  # 3,481 with the lecture's 27
    assert window.controller.model.parameter_count() == first.parameter_count(vocab_size)
    assert window.controller.model.config.n_embd == 2
    assert window.panel.preset_description.isVisible()
    assert first.description in window.panel.preset_description.text()
    window.panel.n_hidden.setValue(120)  # an edit makes the settings custom
    assert window.panel.preset.currentIndex() == 0
