"""The controller with a training process that dies or stops answering, the run's figures, the
learning-rate finder's fresh model, and one step at a time."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from charnames_gui.core.checkpoint import load_model
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.events import OneStep, Progress, RunEnded, Snapshot, SweepPoints
from charnames_gui.core.model import MLP
from charnames_gui.core.stats import repeat_seeds
from charnames_gui.core.training import Trainer, lr_sweep
from charnames_gui.ui.controller import Controller, TrainingState

LONG = 10_000_000  # steps: a run that never ends by itself during a test


@pytest.fixture
def make_controller(qtbot, small_words: list[str]) -> Iterator[Callable[..., Controller]]:
    """make_controller(use_training_process, steps=LONG): a controller with a small model
    on the small dataset; every one made is shut down at the end."""
    made: list[Controller] = []

    def make(use_training_process: bool = True, **train: object) -> Controller:
        controller = Controller(use_training_process=use_training_process)
        made.append(controller)
        controller.set_dataset(Dataset(small_words))
        config = TrainConfig(steps=LONG, lr=0.05, schedule="constant", seed=7)
        assert controller.new_model(ModelConfig(3, 4, 16), config.replace(**train), 42)
        return controller

    yield make
    for controller in made:
        controller.shutdown()


def _snapshots(controller: Controller) -> list[Snapshot]:
    received: list[Snapshot] = []
    controller.snapshotReady.connect(received.append)
    return received


def _same(a: Snapshot, b: Snapshot) -> bool:
    return all(np.array_equal(a.weights[k], b.weights[k]) for k in a.weights)


def _weights_equal(model: MLP, weights: dict[str, np.ndarray]) -> bool:
    mine = model.snapshot()
    return all(np.array_equal(mine[name], weights[name]) for name in mine)


@contextlib.contextmanager
def _stopped(pid: int) -> Iterator[None]:
    """The child SIGSTOPped for the block; continued (if still there) whatever happens."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


def _is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_killed_training_process_leaves_the_last_weights_received(
    qtbot,
    make_controller: Callable[..., Controller],
    tmp_path: Path,
) -> None:
    """A kill -9 mid-run. The step shown, the weights and a saved file agree:
    all are those of the last weights received, and the message says so."""
    c = make_controller()
    received = _snapshots(c)
    errors: list[tuple[str, str]] = []
    c.errorOccurred.connect(lambda title, message: errors.append((title, message)))
    c.start()
    qtbot.waitUntil(lambda: len(received) >= 3 and received[-1].step > 0, timeout=30_000)
    assert c.process is not None and c.process.pid is not None
    with qtbot.waitSignal(c.runEnded, timeout=30_000) as ended:
        os.kill(c.process.pid, signal.SIGKILL)
    outcome: RunEnded = ended.args[0]
    assert outcome.status == "failed"
    assert "stopped unexpectedly (killed by signal 9" in outcome.message
    assert "the last weights received" in outcome.message
    assert "()" not in outcome.message
    assert errors and errors[-1][1] == outcome.message
    # the run-end snapshot repeats the last weights received during the run
    final = received[-1]
    assert final.step > 0
    assert any(
        s.step == final.step
        and all(np.array_equal(s.weights[k], final.weights[k]) for k in s.weights)
        for s in received[:-1]
    )
    assert c.document.trainer is not None
    assert c.document.trainer.step == outcome.step == final.step
    assert _weights_equal(c.document.model, final.weights)
    assert c.document.model_info().step == final.step
    steps, _ = c.jobs.log.curve.data()
    assert steps.max() <= final.step  # the run's curve ends where its weights are
    assert all(p.step <= final.step for p in c.jobs.log.evals)
    # a saved file says the same
    path = tmp_path / "after-kill.safetensors"
    assert c.save(path)
    saved = load_model(path)
    assert saved.training.steps == final.step
    assert _weights_equal(saved.model, final.weights)
    # and training goes on from there, in a new training process
    with qtbot.waitSignal(c.lossesReady, timeout=30_000) as chunk:
        c.start()
    assert chunk.args[0].start_step == final.step + 1
    c.pause()
    qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=10_000)


def test_pause_and_save_with_a_stopped_training_process(
    qtbot,
    make_controller: Callable[..., Controller],
    tmp_path: Path,
) -> None:
    """SIGSTOP. Save writes the last weights received without waiting for
    the child; Pause takes effect and says the training process does not answer."""
    c = make_controller()
    received = _snapshots(c)
    messages: list[str] = []
    c.statusMessage.connect(messages.append)
    c.start()
    qtbot.waitUntil(lambda: len(received) >= 2, timeout=30_000)
    assert c.process is not None and c.process.pid is not None
    pid = c.process.pid
    with _stopped(pid):
        qtbot.wait(100)  # the messages sent before the stop arrive
        path = tmp_path / "stuck.safetensors"
        assert c.save(path)  # the held weights: no call to the child
        saved = load_model(path)
        held = received[-1]
        assert saved.training.steps == held.step
        assert _weights_equal(saved.model, held.weights)
        assert any("last weights received" in m for m in messages)
        # the GUI's event loop runs on while the pause waits for the child
        ticks: list[int] = []
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start(10)
        c.pause()
        qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=15_000)
        timer.stop()
        assert len(ticks) > 5
        assert any("does not answer" in m for m in messages)
        assert _is_gone(pid)  # ended by the app (the process was reaped)
    assert c.document.trainer is not None and c.document.trainer.step == received[-1].step
    assert _weights_equal(c.document.model, received[-1].weights)


def test_closing_ends_a_stopped_training_process(
    qtbot,
    make_controller: Callable[..., Controller],
) -> None:
    """Closing while the child is SIGSTOPped: shutdown returns and the child is gone."""
    c = make_controller()
    received = _snapshots(c)
    c.start()
    qtbot.waitUntil(lambda: len(received) >= 1, timeout=30_000)
    assert c.process is not None and c.process.pid is not None
    pid = c.process.pid
    with _stopped(pid):
        c.shutdown()
        assert _is_gone(pid)
    assert c.process.pid is None


def test_elapsed_counts_the_runs_training_time_across_pauses(
    qtbot,
    make_controller: Callable[..., Controller],
) -> None:
    """Elapsed does not restart at a resume; a new model starts at zero."""
    c = make_controller(use_training_process=False)
    figures: list[Progress] = []
    c.progress.connect(figures.append)
    c.start()
    qtbot.waitUntil(lambda: len(figures) >= 3, timeout=30_000)
    c.pause()
    qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=10_000)
    assert c.document.trainer is not None
    at_pause = c.document.trainer.seconds
    assert figures[-1].run_seconds == pytest.approx(at_pause, abs=1e-9)  # the run's own time
    resumed_from = len(figures)
    c.start()
    qtbot.waitUntil(lambda: len(figures) > resumed_from + 2, timeout=30_000)
    c.pause()
    qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=10_000)
    after = figures[resumed_from:]
    assert all(p.run_seconds >= at_pause for p in after)  # it went on, it did not restart
    assert after[-1].run_seconds == pytest.approx(c.document.trainer.seconds, abs=1e-9)
    # a new model: no speed, no elapsed time, no time left
    figures.clear()
    assert c.new_model(ModelConfig(3, 4, 16), c.document.train_config, 42)
    assert figures and figures[-1].run_seconds == 0.0 and figures[-1].steps_per_second == 0.0
    assert figures[-1].step == 0


def test_elapsed_starts_at_zero_for_a_new_run_of_a_trained_model(
    qtbot,
    make_controller: Callable[..., Controller],
) -> None:
    c = make_controller(use_training_process=False, steps=300)
    with qtbot.waitSignal(c.runEnded, timeout=30_000):
        c.start()
    assert c.document.state == TrainingState.FINISHED
    assert c.document.trainer is not None
    before = c.document.trainer.seconds
    assert c.apply_train_config(c.document.train_config.replace(steps=600))
    figures: list[Progress] = []
    c.progress.connect(figures.append)
    with qtbot.waitSignal(c.runEnded, timeout=30_000):
        c.start()
    assert figures[-1].run_seconds == pytest.approx(c.document.trainer.seconds - before, abs=1e-9)


def test_the_lr_finder_sweeps_a_fresh_model_not_the_trained_one(
    qtbot,
    make_controller: Callable[..., Controller],
) -> None:
    """After training, the sweep still starts from new random weights of the
    current configuration (its init scheme and seed), as the lecture's does."""
    c = make_controller(use_training_process=False, steps=500, lr=0.1)
    with qtbot.waitSignal(c.runEnded, timeout=30_000):
        c.start()
    assert c.document.model is not None and c.document.trainer is not None
    trained = c.document.model.snapshot()
    batches: list[SweepPoints] = []
    c.sweepPoints.connect(batches.append)
    with qtbot.waitSignal(c.sweepEnded, timeout=30_000):
        assert c.start_lr_sweep(60)
    got = [pair for batch in batches for pair in batch.pairs]
    tc = c.document.train_config
    fresh = MLP.init(c.document.model.config, tc.init, tc.seed)
    kwargs = {"batch_size": tc.batch_size, "n": 60, "seed": tc.seed, "engine": tc.engine}
    assert got == lr_sweep(fresh, c.document.trainer.examples, **kwargs)
    assert got != lr_sweep(c.document.model.copy(), c.document.trainer.examples, **kwargs)
    assert _weights_equal(c.document.model, trained)  # the model itself is untouched


def test_the_lr_finder_sweeps_k_seeds_each_its_own_sweep(
    qtbot,
    make_controller: Callable[..., Controller],
) -> None:
    """With 3 seeds the worker sweeps them stacked: the pairs are the learner's seed's
    sweep, the band has every seed's, and each seed's suggestion comes back."""
    c = make_controller(use_training_process=False, steps=500, lr=0.1)
    batches: list[SweepPoints] = []
    c.sweepPoints.connect(batches.append)
    with qtbot.waitSignal(c.sweepEnded, timeout=30_000) as ended:
        assert c.start_lr_sweep(60, seeds=3)
    tc = c.document.train_config
    model_config, examples = c.document.model.config, c.document.trainer.examples
    got = [pair for batch in batches for pair in batch.pairs]
    band = np.concatenate([batch.band for batch in batches])  # (60, 3)
    seeds = repeat_seeds(tc.seed, 3)
    for k, seed in enumerate(seeds):
        single = lr_sweep(MLP.init(model_config, tc.init, seed), examples,
                          batch_size=tc.batch_size, n=60, seed=seed)  # fmt: skip
        assert band[:, k].tolist() == [float(np.float32(loss)) for _, loss in single]
        if k == 0:
            assert got == [(lr, float(np.float32(loss))) for lr, loss in single]
    assert ended.args[0].points == 60 and len(ended.args[0].seed_lrs) == 3
    assert c.document.state != TrainingState.SWEEPING


@pytest.mark.parametrize("use_training_process", [True, False], ids=["process", "thread"])
def test_single_steps_equal_the_same_run_in_one_go(
    qtbot,
    make_controller: Callable[..., Controller],
    use_training_process: bool,
) -> None:
    """N single steps, then a run, give bit for bit the weights of the same
    run done in one go (the same minibatch stream)."""
    c = make_controller(use_training_process=use_training_process, steps=400)
    results: list[OneStep] = []
    c.stepDone.connect(results.append)
    for _ in range(7):
        with qtbot.waitSignal(c.stepDone, timeout=30_000):
            assert c.step_once()
        assert c.document.state == TrainingState.PAUSED  # the run is under way
    assert [r.step for r in results] == list(range(1, 8))
    assert c.document.trainer is not None and c.document.trainer.step == 7
    assert all(len(r.rows(c.document.vocab.itos)) == 32 for r in results)
    with qtbot.waitSignal(c.runEnded, timeout=60_000):
        c.start()  # the rest of the run (in the training process, when there is one)
    assert c.document.trainer.step == 400
    assert c.jobs.log.start_step == 0  # one run: begun by the single steps, resumed by Start
    tc = c.document.trainer.config
    reference = Trainer(
        MLP.init(c.document.model.config, tc.init, tc.seed),
        c.document.trainer.examples,
        tc,
    )
    losses = reference.run(400)
    np.testing.assert_array_equal(np.float32([r.loss_before for r in results]), losses[:7])
    assert _weights_equal(c.document.model, reference.model.snapshot())
    # more single steps are refused at the end of the run, with a message
    messages: list[str] = []
    c.statusMessage.connect(messages.append)
    assert not c.step_once()
    assert messages and "steps are done" in messages[-1]


# -- while PyTorch loads (the app's start) -------------------------------------------------
def test_requests_made_while_torch_loads_are_carried_out_when_it_has_loaded(
    qtbot, small_words: list[str]
) -> None:
    controller = Controller(use_training_process=False, wait_for_torch=True)
    try:
        waits = controller.torch_wait
        assert controller.document.state == TrainingState.LOADING and not waits.ready
        controller.set_dataset(Dataset(small_words))  # reading names needs no torch
        config = TrainConfig(steps=LONG, lr=0.05, schedule="constant", seed=7)
        assert controller.new_model(ModelConfig(3, 4, 16), config, 42)
        with qtbot.waitSignal(controller.statusMessage) as said:
            controller.start()
        assert "as soon as PyTorch has loaded" in said.args[0]
        controller.start()  # pressed twice: still one start waiting
        # the learner changes the shape meanwhile: the last settings win, Start stays
        assert controller.new_model(ModelConfig(3, 6, 20), config, 42)
        assert (
            controller.document.model is None and controller.document.state == TrainingState.LOADING
        )
        assert waits.is_waiting_for("model") and waits.is_waiting_for("start")
        with qtbot.waitSignal(controller.lossesReady, timeout=30_000):
            controller.torch_loaded()
        assert (
            controller.document.model is not None and controller.document.model.config.n_embd == 6
        )
        assert controller.document.state == TrainingState.RUNNING
        assert not waits.is_waiting_for("start")
        controller.torch_loaded()  # a second call changes nothing
        assert controller.document.state == TrainingState.RUNNING
    finally:
        controller.shutdown()


def test_a_model_file_opened_while_torch_loads_opens_when_it_has_loaded(
    qtbot, tmp_path: Path, small_words: list[str]
) -> None:
    source = Controller(use_training_process=False)
    waiting = Controller(use_training_process=False, wait_for_torch=True)
    try:
        source.set_dataset(Dataset(small_words))
        assert source.new_model(ModelConfig(3, 5, 12), TrainConfig(steps=LONG), 42)
        path = tmp_path / "m.safetensors"
        assert source.save(path)
        waiting.set_dataset(Dataset(small_words))
        assert waiting.new_model(ModelConfig(), TrainConfig(), 42)  # the app's first model
        assert waiting.open_model(path)  # accepted: it opens when torch has loaded
        assert waiting.document.model is None
        waiting.torch_loaded()
        assert waiting.document.path == path and waiting.document.model is not None
        assert waiting.document.model.config.n_embd == 5
        assert waiting.document.state == TrainingState.READY
    finally:
        source.shutdown()
        waiting.shutdown()
