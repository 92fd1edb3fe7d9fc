"""Training in a child process gives the same numbers as training in this one, and this side
never loses the weights it received nor waits without end on the child."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch
from float_error import assert_close_to_exact, loss_bounds

from charnames_gui.core import process_trainer
from charnames_gui.core.child_process import TrainingProcess
from charnames_gui.core.child_protocol import TrainerNotAnswering, TrainerProcessError
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.events import Diverged, EvalPoint, LossChunk, Snapshot
from charnames_gui.core.model import MLP
from charnames_gui.core.process_trainer import ProcessTrainer
from charnames_gui.core.training import Trainer, TrainerLike

# The tests share one child process (starting one imports torch, ~2 s); it ends with the module.
pytestmark = pytest.mark.keeps_trainer_process


@pytest.fixture(scope="module")
def process() -> Iterator[TrainingProcess]:
    child = TrainingProcess()  # one child for the module: starting one imports torch (~2 s)
    yield child
    child.close()


@pytest.fixture
def dataset(small_words: list[str]) -> Dataset:
    return Dataset(small_words)


def _pair(
    dataset: Dataset, process: TrainingProcess, config: TrainConfig
) -> tuple[Trainer, ProcessTrainer]:
    model_config = ModelConfig(3, 5, 24, dataset.vocab.size)
    local = Trainer(MLP.init(model_config, config.init, config.seed), dataset.examples(3), config)
    remote = ProcessTrainer(
        process, MLP.init(model_config, config.init, config.seed), dataset.examples(3), config
    )
    return local, remote


def _subset(dataset: Dataset, n: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    X, Y = dataset.examples(3).tensors["train"]
    return X[:n], Y[:n]


def _losses(
    trainer: TrainerLike,
    dataset: Dataset,
    should_stop: Callable[[], bool] = lambda: False,
    eval_every: int = 10_000_000,
) -> np.ndarray:
    """The losses of a stream run to its end (or to should_stop)."""
    chunks = [
        e.losses
        for e in trainer.stream(eval_every, _subset(dataset), should_stop, 0.01, 3600.0)
        if isinstance(e, LossChunk)
    ]
    return np.concatenate(chunks) if chunks else np.empty(0, np.float32)


def _same_weights(a: MLP, b: MLP | dict[str, np.ndarray]) -> bool:
    other = b.snapshot() if isinstance(b, MLP) else b
    mine = a.snapshot()
    return all(np.array_equal(mine[n], other[n]) for n in mine)


@pytest.mark.parametrize("engine", ["fast", "autograd"])
def test_the_same_losses_and_weights_as_in_process(
    dataset: Dataset, process: TrainingProcess, engine: str
) -> None:
    config = TrainConfig(steps=600, lr=0.2, lr_decay_at=300, engine=engine)
    local, remote = _pair(dataset, process, config)
    expected = local.run(600)
    first = _losses(remote, dataset, lambda: remote.step > 100)
    assert 0 < remote.step < 600  # a pause ...
    second = _losses(remote, dataset)  # ... and a resume: the minibatch stream goes on
    np.testing.assert_array_equal(np.concatenate([first, second]), expected)
    assert remote.step == local.step == 600 and remote.done
    assert _same_weights(remote.model, local.model)  # the weights came back with the end
    assert remote.snapshot().step == 600
    dev_X, dev_Y = dataset.examples(3).tensors["dev"]
    exact, bound = loss_bounds(local.model.params, dev_X.numpy(), dev_Y.numpy())
    for side in (remote, local):  # the same weights, each side's float32 evaluation
        assert_close_to_exact(side.evaluate("dev"), exact, bound, "dev loss")


def test_more_steps_and_a_new_learning_rate_continue(
    dataset: Dataset, process: TrainingProcess
) -> None:
    config = TrainConfig(steps=200, lr=0.1, schedule="constant")
    local, remote = _pair(dataset, process, config)
    _losses(remote, dataset)
    assert remote.step == 200
    more = config.replace(steps=400, lr=0.05)
    local.run(200)
    local.set_config(more)
    remote.set_config(more)
    np.testing.assert_array_equal(_losses(remote, dataset), local.run(500))


def test_edits_to_the_model_reach_the_child_and_divergence_comes_back(
    dataset: Dataset, process: TrainingProcess
) -> None:
    _, remote = _pair(dataset, process, TrainConfig(steps=100))
    remote.set_config(remote.config.replace(steps=10))
    _losses(remote, dataset)
    remote.set_config(remote.config.replace(steps=100))
    remote.model.params["W2"][0, 0] = float("nan")  # as a test or a learner might
    events = list(remote.stream(50, _subset(dataset), lambda: False, 0.01, 3600.0))
    diverged = [e for e in events if isinstance(e, Diverged)]
    assert len(diverged) == 1 and diverged[0].step == 11
    assert remote.step == 10


def test_single_steps_here_then_a_run_there_equal_one_run(
    dataset: Dataset, process: TrainingProcess
) -> None:
    """step_once runs on this side, between runs; the child then goes on from that step with
    the minibatches of one uninterrupted run."""
    config = TrainConfig(steps=1_000_000, lr=0.05, schedule="constant")
    local, remote = _pair(dataset, process, config)
    got = [_losses(remote, dataset, lambda: remote.step >= 100)]  # paused after ~100 steps
    got.append(np.float32([remote.step_once().loss_before for _ in range(5)]))
    resumed_at = remote.step
    got.append(_losses(remote, dataset, lambda: remote.step >= resumed_at + 200))
    np.testing.assert_array_equal(np.concatenate(got), local.run(remote.step))
    assert _same_weights(remote.model, local.model)


def test_a_stream_gives_the_same_events_as_in_process(
    dataset: Dataset, process: TrainingProcess
) -> None:
    config = TrainConfig(steps=900, lr=0.2, schedule="constant")
    local, remote = _pair(dataset, process, config)
    subset = _subset(dataset)

    def collect(trainer: TrainerLike) -> tuple[np.ndarray, list[EvalPoint]]:
        losses, evals = [], []
        for event in trainer.stream(300, subset, lambda: False, 0.01, 3600.0):
            if isinstance(event, LossChunk):
                losses.append(event.losses)
            elif isinstance(event, EvalPoint):
                evals.append(event)
        return np.concatenate(losses), evals

    remote_losses, remote_evals = collect(remote)
    local_losses, local_evals = collect(local)
    np.testing.assert_array_equal(remote_losses, local_losses)
    assert [e.step for e in remote_evals] == [e.step for e in local_evals] == [300, 600, 900]
    for r, lo in zip(remote_evals, local_evals, strict=True):
        assert r.dev_loss == lo.dev_loss  # the same weights, the same code, the same slices
        assert r.train_loss == lo.train_loss
    assert remote.step == 900


def test_the_child_leaves_the_dev_points_to_the_app(
    dataset: Dataset, process: TrainingProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child sends the weights at each dev point and trains on; this side measures the
    losses in slices, asking should_stop() before each."""
    monkeypatch.setattr(process_trainer, "EVAL_SLICE", 16)
    config = TrainConfig(steps=600, lr=0.2, schedule="constant")
    _, remote = _pair(dataset, process, config)
    subset = _subset(dataset)
    asked = [0]

    def should_stop() -> bool:
        asked[0] += 1
        return False

    events = list(remote.stream(200, subset, should_stop, 0.01, 3600.0))
    evals = [e for e in events if isinstance(e, EvalPoint)]
    assert [e.step for e in evals] == [200, 400, 600]
    # each dev point's weights come as a Snapshot too: this side holds them
    assert [e.step for e in events if isinstance(e, Snapshot)][:3] == [200, 400, 600]
    dev_rows = dataset.examples(3).tensors["dev"][0].shape[0]
    slices = math.ceil(dev_rows / 16) + math.ceil(100 / 16)
    assert asked[0] >= 3 * slices
    dev_X, dev_Y = dataset.examples(3).tensors["dev"]
    # measured in slices of 16 here, in the default slices by model.loss: each within float32
    # rounding of the exact loss of the final weights
    for X, Y, got in ((dev_X, dev_Y, evals[-1].dev_loss), (*subset, evals[-1].train_loss)):
        exact, bound = loss_bounds(remote.model.params, X.numpy(), Y.numpy())
        assert_close_to_exact(got, exact, bound, "in slices of 16")
        assert_close_to_exact(remote.model.loss(X, Y), exact, bound, "model.loss")


def test_a_stop_asked_during_a_dev_point_reaches_the_child(
    dataset: Dataset, process: TrainingProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process_trainer, "EVAL_SLICE", 16)
    config = TrainConfig(steps=100_000, lr=0.1, schedule="constant")
    _, remote = _pair(dataset, process, config)
    measuring = [False]
    losses_of = remote._losses_of

    def spy(*args: object) -> tuple[float, float]:
        measuring[0] = True
        return losses_of(*args)

    monkeypatch.setattr(remote, "_losses_of", spy)
    events = list(remote.stream(200, _subset(dataset), lambda: measuring[0], 0.01, 3600.0))
    evals = [e for e in events if isinstance(e, EvalPoint)]
    assert evals[0].step == 200
    # stopped while the first point was measured: the child had sent one more at most
    assert len(evals) <= 2
    assert remote.step < 100_000


def test_a_stream_stops_between_two_steps_when_asked(
    dataset: Dataset, process: TrainingProcess
) -> None:
    _, remote = _pair(dataset, process, TrainConfig(steps=10_000_000))
    chunks: list[np.ndarray] = []
    stop = lambda: len(chunks) >= 3  # noqa: E731
    for event in remote.stream(10_000_000, _subset(dataset, 10), stop, 0.01, 3600.0):
        if isinstance(event, LossChunk):
            chunks.append(event.losses)
    assert 0 < remote.step < 10_000_000
    step = remote.step
    assert len(_losses(remote, dataset, lambda: remote.step > step + 50)) > 0
    assert remote.step > step  # the pipe was clean: the next stream works


def test_a_resumed_model_goes_on_with_its_minibatches_in_the_child(
    dataset: Dataset, process: TrainingProcess
) -> None:
    """A model file's step and minibatch stream reach the child: it trains on as the model
    would have without the break (here: a stream started by a batch-size change)."""
    config = TrainConfig(steps=200, lr=0.1, schedule="constant")
    local, _ = _pair(dataset, process, config)
    local.run(30)
    local.set_config(config.replace(batch_size=8))
    local.run(40)
    saved_weights = local.model.copy()
    expected = local.run(50)

    remote = ProcessTrainer(process, saved_weights, dataset.examples(3), local.config)
    remote.resume(70, 1.5, local.batch_stream)
    assert (remote.step, remote.seconds, remote.batch_stream) == (70, 1.5, (config.seed + 30, 30))
    remote.set_config(remote.config.replace(steps=120))
    np.testing.assert_array_equal(_losses(remote, dataset), expected)


def test_a_killed_child_leaves_the_last_weights_received_and_their_step(
    dataset: Dataset,
) -> None:
    """kill -9 mid-run: the trainer keeps the last Snapshot it received, goes back to its
    step, says so, and a new child goes on from there exactly as an unbroken run."""
    process = TrainingProcess()
    try:
        config = TrainConfig(steps=10_000_000, lr=0.05, schedule="constant")
        local, remote = _pair(dataset, process, config)
        snapshots: list[Snapshot] = []
        with pytest.raises(TrainerProcessError) as caught:
            for event in remote.stream(10_000_000, _subset(dataset), lambda: False, 0.01, 0.02):
                if isinstance(event, Snapshot):
                    snapshots.append(event)
                if len(snapshots) == 3:
                    assert process.pid is not None
                    os.kill(process.pid, signal.SIGKILL)
        last = snapshots[-1]
        message = str(caught.value)
        assert "stopped unexpectedly (killed by signal 9" in message
        assert f"at step {last.step:,}, the last weights received" in message
        assert remote.step == last.step and remote.seconds == last.seconds
        assert _same_weights(remote.model, last.weights)
        assert remote.snapshot().step == last.step
        # a new child goes on from there, with the minibatches of an unbroken run
        expected = local.run(last.step + 200)[last.step :]
        remote.set_config(config.replace(steps=last.step + 200))
        np.testing.assert_array_equal(_losses(remote, dataset), expected)
        assert _same_weights(remote.model, local.model)
    finally:
        process.close()
    assert process.pid is None


def test_a_stopped_child_is_ended_after_a_bounded_wait(dataset: Dataset) -> None:
    """SIGSTOP: the child is alive but silent. A stop is not answered, so this side ends
    it (terminate, then kill) and keeps the last weights received."""
    process = TrainingProcess()
    stopped_pid: list[int] = []
    try:
        _, remote = _pair(dataset, process, TrainConfig(steps=10_000_000, schedule="constant"))
        snapshots: list[Snapshot] = []

        def should_stop() -> bool:
            if len(snapshots) >= 2 and not stopped_pid:
                assert process.pid is not None
                os.kill(process.pid, signal.SIGSTOP)
                stopped_pid.append(process.pid)
            return bool(stopped_pid)

        with pytest.raises(TrainerNotAnswering) as caught:
            for event in remote.stream(10_000_000, _subset(dataset), should_stop, 0.01, 0.02):
                if isinstance(event, Snapshot):
                    snapshots.append(event)
        assert "does not answer" in str(caught.value)
        assert remote.step == snapshots[-1].step == remote.snapshot().step
        assert _same_weights(remote.model, snapshots[-1].weights)
        assert process.pid is None  # forgotten: the next run starts a new child
        with pytest.raises(ProcessLookupError):
            os.kill(stopped_pid[0], 0)  # the stopped child is gone (killed and reaped)
    finally:
        for pid in stopped_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        process.close()


def test_a_pause_while_the_child_starts_is_not_held_up(dataset: Dataset) -> None:
    """Stopped while a new child still imports torch: the stream ends at once with nothing
    run; the child is left to start, and the next stream reads its late reply first."""
    process = TrainingProcess()
    try:
        local, remote = _pair(dataset, process, TrainConfig(steps=200, schedule="constant"))
        assert list(remote.stream(100, _subset(dataset), lambda: True, 0.01, 3600.0)) == []
        assert remote.step == 0 and process.pid is not None  # still starting, not ended
        np.testing.assert_array_equal(_losses(remote, dataset), local.run(200))
    finally:
        process.close()


def test_a_child_busy_between_two_messages_is_not_taken_for_stuck(
    dataset: Dataset, process: TrainingProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child's heartbeat: chunks 2.5 s apart (as the steps of a very large model would
    be) while this side takes 1 s of silence for a stuck child. Nothing is ended."""
    monkeypatch.setattr(process_trainer, "SILENCE_TIMEOUT", 1.0)
    _, remote = _pair(dataset, process, TrainConfig(steps=10_000_000, schedule="constant"))
    events = list(remote.stream(10_000_000, _subset(dataset), lambda: remote.step > 0, 2.5, 3600))
    chunks = [e for e in events if isinstance(e, LossChunk)]
    assert len(chunks) >= 1 and remote.step == chunks[-1].end_step
    assert process.pid is not None  # the same child, alive


def test_the_examples_cross_the_pipe_as_bytes(
    dataset: Dataset, process: TrainingProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child gets the examples as stored, a byte per index (a million names'
    examples are 30 MB to pickle, not 240), and trains on them as this side would."""
    sent: list[dict[str, tuple[np.ndarray, np.ndarray]]] = []
    call = process.call

    def spy(request: str, *args: object, **kwargs: object) -> object:
        if request == "load" and args[3] is not None:
            sent.append(args[3])  # the examples, by split
        return call(request, *args, **kwargs)

    monkeypatch.setattr(process, "call", spy)
    config = TrainConfig(batch_size=8, steps=40, lr=0.1, init="scaled", seed=5)
    local, remote = _pair(dataset, process, config)
    np.testing.assert_array_equal(_losses(remote, dataset), local.run(40))
    assert len(sent) == 1
    for X, Y in sent[0].values():
        assert X.dtype == Y.dtype == np.uint8
        assert X.nbytes + Y.nbytes == 4 * len(Y)  # block size 3: 4 bytes an example


def test_dev_points_of_a_large_model_are_measured_in_slices_sized_by_memory(
    dataset: Dataset, process: TrainingProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The largest models' evaluation slices are sized by their activations'
    memory (eval_slice_rows), not a fixed row count."""
    from charnames_gui.core.model import eval_slice_rows

    config = ModelConfig(3, 10, 3000, dataset.vocab.size)  # ~36 KB of activations a row
    assert eval_slice_rows(config) < process_trainer.EVAL_SLICE
    remote = ProcessTrainer(process, MLP.init(config), dataset.examples(3), TrainConfig(steps=9))
    slices: list[int | None] = []
    loss = MLP.loss

    def spy(model: MLP, X: torch.Tensor, Y: torch.Tensor, batch: int | None = None,
            between: Callable[[], object] | None = None) -> float:  # fmt: skip
        slices.append(batch)
        return loss(model, X, Y, batch, between)

    monkeypatch.setattr(MLP, "loss", spy)
    dev, _ = remote._losses_of(remote.model.snapshot(), _subset(dataset))
    assert slices == [eval_slice_rows(config)] * 2
    dev_X, dev_Y = dataset.examples(3).tensors["dev"]
    exact, bound = loss_bounds(remote.model.params, dev_X.numpy(), dev_Y.numpy())
    assert_close_to_exact(dev, exact, bound, "this side's dev loss")
    assert_close_to_exact(remote.evaluate("dev"), exact, bound, "the child's dev loss")


def test_start_early_never_waits_for_a_busy_pipe() -> None:
    """The app calls start_early on the GUI thread: with the pipe held by a run (a session),
    it returns at once instead of waiting for the run to end."""
    child = TrainingProcess()
    try:
        held = threading.Event()
        release = threading.Event()

        def hold_the_pipe() -> None:
            with child.session():
                held.set()
                release.wait(30)

        holder = threading.Thread(target=hold_the_pipe, daemon=True)
        holder.start()
        assert held.wait(60)
        done = threading.Event()
        caller = threading.Thread(target=lambda: (child.start_early(), done.set()), daemon=True)
        caller.start()
        assert done.wait(10), "start_early waited for the pipe"
        release.set()
        holder.join(30)
    finally:
        child.close()
