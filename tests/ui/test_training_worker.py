"""The training worker on its QThread: losses merged into few signals, events emitted as the
trainer made them, prompt pausing, and stepping aside while the GUI paints.

No wall-clock assertions here (the machine is shared): the rates and delays are measured by
benchmarks/worker_signals.py."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch
from PySide6.QtCore import QObject, QThread, Signal

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.events import (
    EvalPoint,
    LossChunk,
    Progress,
    RunEnded,
    Snapshot,
    StreamEvent,
)
from charnames_gui.core.model import MLP
from charnames_gui.core.training import Trainer
from charnames_gui.ui import training_worker
from charnames_gui.ui.training_worker import EvalJob, TrainingWorker, TrainJob


class _Requests(QObject):
    train = Signal(object)
    evaluate = Signal(object)


@pytest.fixture
def start_worker(qtbot) -> Iterator[Callable[..., TrainingWorker]]:
    """start_worker(job, connect): a worker on its own thread, running job, with connect(worker)
    called first (to connect its signals); stopped at the end."""
    started: list[tuple[TrainingWorker, QThread, _Requests]] = []

    def start(
        job: TrainJob, connect: Callable[[TrainingWorker], object] = lambda w: None
    ) -> TrainingWorker:
        worker, thread, requests = TrainingWorker(), QThread(), _Requests()
        connect(worker)
        worker.moveToThread(thread)
        requests.train.connect(worker.train)
        thread.start()
        started.append((worker, thread, requests))
        worker.job_queued()
        requests.train.emit(job)
        return worker

    yield start
    for worker, thread, _ in started:
        worker.request_pause()
        assert worker.idle.wait(30)
        thread.quit()
        thread.wait()


@pytest.fixture
def trainer(small_words: list[str]) -> Trainer:
    dataset = Dataset(small_words)
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size))
    return Trainer(model, dataset.examples(3), TrainConfig(steps=10_000_000, engine="fast"))


class _ScriptedTrainer:
    """A trainer whose stream yields a fixed list of events (the worker's bookkeeping seen
    apart from any timing)."""

    def __init__(self, real: Trainer, events: list[StreamEvent], steps: int) -> None:
        self.real, self.events = real, events
        self.model, self.examples, self.config = real.model, real.examples, real.config
        self.step, self.seconds, self.done = 0, 0.0, False
        self.engine_note, self.batch_stream = "", (0, 0)
        self.steps = steps

    def snapshot(self) -> Snapshot:
        return Snapshot(self.step, self.model.snapshot(), self.seconds)

    def evaluate(self, split: str) -> float:
        return self.real.evaluate(split)

    def stream(self, *args: object) -> Iterator[StreamEvent]:
        for event in self.events:
            if isinstance(event, LossChunk):
                self.step, self.seconds = event.end_step, event.seconds
            yield event
        self.done = self.step >= self.steps


def _chunks(n: int, size: int) -> list[StreamEvent]:
    return [
        LossChunk(1 + i * size, np.full(size, float(i), np.float32), 0.1, 0.01 * (i + 1))
        for i in range(n)
    ]


def _run_scripted(qtbot, trainer: Trainer, events: list[StreamEvent], steps: int):
    """The worker's train() run on this thread with a scripted trainer: what it emitted."""
    scripted = _ScriptedTrainer(trainer, events, steps)
    received: dict[str, list[object]] = {"losses": [], "evals": [], "snapshots": [], "progress": []}
    worker = TrainingWorker()
    worker.lossesReady.connect(received["losses"].append)
    worker.evalReady.connect(received["evals"].append)
    worker.snapshotReady.connect(received["snapshots"].append)
    worker.progress.connect(received["progress"].append)
    with qtbot.waitSignal(worker.runEnded, timeout=30_000) as ended:
        worker.train(TrainJob(scripted, eval_every=10_000))
    return received, ended.args[0]


def test_chunks_are_merged_into_one_signal_per_interval(
    qtbot, trainer: Trainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a loss interval no run reaches, all of a run's chunks leave as one LossChunk
    (with the last chunk's lr and seconds); with none, one signal per chunk. Never one per
    step."""
    monkeypatch.setattr(training_worker, "LOSS_INTERVAL", 1e9)
    received, outcome = _run_scripted(qtbot, trainer, _chunks(40, 25), 1000)
    assert isinstance(outcome, RunEnded) and outcome.status == "finished"
    (merged,) = received["losses"]
    assert isinstance(merged, LossChunk)
    assert (merged.start_step, merged.end_step, merged.seconds) == (1, 1000, 0.4)
    np.testing.assert_array_equal(merged.losses, np.repeat(np.arange(40, dtype=np.float32), 25))
    assert all(isinstance(p, Progress) for p in received["progress"])

    monkeypatch.setattr(training_worker, "LOSS_INTERVAL", 0.0)
    received, _ = _run_scripted(qtbot, trainer, _chunks(40, 25), 1000)
    assert [c.start_step for c in received["losses"]] == [1 + 25 * i for i in range(40)]


def test_events_reach_the_signals_as_the_trainer_made_them(qtbot, trainer: Trainer) -> None:
    point = EvalPoint(50, 2.5, 2.4)
    snapshot = Snapshot(50, trainer.model.snapshot(), 0.5)
    events: list[StreamEvent] = [*_chunks(2, 25), point, snapshot]
    received, outcome = _run_scripted(qtbot, trainer, events, 50)
    assert received["evals"] == [point]  # the very object
    assert received["snapshots"][0] is snapshot
    assert outcome.status == "finished" and outcome.step == 50
    assert outcome.train_loss is not None and outcome.dev_loss is not None


def test_losses_tile_the_steps_of_a_real_run(qtbot, start_worker, trainer: Trainer) -> None:
    chunks: list[LossChunk] = []
    worker = start_worker(
        TrainJob(trainer, eval_every=10_000), lambda w: w.lossesReady.connect(chunks.append)
    )
    qtbot.waitUntil(lambda: trainer.step > 500, timeout=30_000)
    worker.request_pause()
    assert worker.idle.wait(30)
    qtbot.waitUntil(lambda: sum(len(c.losses) for c in chunks) == trainer.step, timeout=10_000)
    # the chunks tile the steps: 1, 2, 3, ... with no gap or overlap
    starts = [c.start_step for c in chunks]
    ends = [c.end_step + 1 for c in chunks]
    assert starts[0] == 1 and starts[1:] == ends[:-1]
    assert all(np.isfinite(c.losses).all() for c in chunks)


def test_pause_ends_the_run_as_paused(qtbot, start_worker, trainer: Trainer) -> None:
    ended: list[RunEnded] = []
    worker = start_worker(
        TrainJob(trainer, eval_every=10_000), lambda w: w.runEnded.connect(ended.append)
    )
    qtbot.waitUntil(lambda: trainer.step > 200, timeout=30_000)
    worker.request_pause()
    assert worker.idle.wait(30)
    qtbot.waitUntil(lambda: len(ended) == 1, timeout=10_000)
    assert ended[0].status == "paused" and ended[0].step == trainer.step
    held = trainer.step
    # A job queued after the pause runs on the worker's thread only once the training loop
    # has returned: when its answer arrives, nothing has trained since the pause.
    requests = _Requests()
    requests.evaluate.connect(worker.evaluate)
    worker.job_queued()
    with qtbot.waitSignal(worker.splitEvaluated, timeout=30_000):
        requests.evaluate.emit(EvalJob(trainer, "dev"))
    assert trainer.step == held  # nothing trains after a pause


class _WatchedEvent(threading.Event):
    """gui_idle that tells when the worker has started waiting on it (cleared), and the
    trainer's step when that wait ended."""

    def __init__(self, step: Callable[[], int]) -> None:
        super().__init__()
        self.set()
        self.waiting = threading.Event()
        self._step = step
        self.step_at_release: int | None = None

    def wait(self, timeout: float | None = None) -> bool:
        cleared = not self.is_set()
        if cleared:
            self.waiting.set()  # the step before this wait is counted already
        released = super().wait(timeout)
        if cleared and self.step_at_release is None:
            self.step_at_release = self._step()
        return released


def test_the_worker_steps_aside_while_a_frame_is_drawn(
    qtbot, start_worker, trainer: Trainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a frame is drawn (gui_idle cleared) the worker waits between two steps; here
    the longest wait for a frame is made longer than the test, and the test waits until the
    worker is inside that wait, so no timing is involved."""
    monkeypatch.setattr(training_worker, "FRAME_WAIT", 60.0)
    worker = start_worker(TrainJob(trainer, eval_every=10_000))
    qtbot.waitUntil(lambda: trainer.step > 200, timeout=30_000)
    frame = _WatchedEvent(lambda: trainer.step)
    worker.gui_idle = frame
    frame.clear()  # a frame starts
    qtbot.waitUntil(frame.waiting.is_set, timeout=30_000)  # the worker waits for it
    held = trainer.step
    frame.set()  # the frame is painted: training goes on
    qtbot.waitUntil(lambda: trainer.step > held + 100, timeout=30_000)
    assert frame.step_at_release == held  # no step between the frame's start and its end


def test_the_train_estimate_is_a_fixed_sample(trainer: Trainer) -> None:
    X, _ = trainer.examples.tensors["train"]
    a, _ = TrainingWorker._train_subset(trainer)
    b, _ = TrainingWorker._train_subset(trainer)
    assert torch.equal(a, b)
    assert a.shape[0] == min(X.shape[0], training_worker.TRAIN_ESTIMATE_EXAMPLES)


def test_a_pause_asked_before_the_job_starts_is_kept(qtbot, trainer: Trainer) -> None:
    """Start then Pause at once: the pause may come before the worker's thread picks the
    job up. It must not be lost (the run would train on, unasked)."""
    worker = TrainingWorker()
    worker.job_queued()
    worker.request_pause()  # before the job starts
    with qtbot.waitSignal(worker.runEnded, timeout=30_000) as ended:
        worker.train(TrainJob(trainer, eval_every=10_000))  # here, on this thread
    assert ended.args[0].status == "paused"
    assert trainer.step <= 1 and worker.idle.is_set()
