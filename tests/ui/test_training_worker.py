"""The training worker on its QThread: batched signals at a bounded rate, prompt pausing, and
stepping aside while the GUI paints."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QObject, QThread, Signal

from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP, ModelConfig
from charnames_gui.core.training import TrainConfig, Trainer
from charnames_gui.ui.training_worker import TrainingWorker, TrainJob


class _Requests(QObject):
    train = Signal(object)


@pytest.fixture
def running(qtbot, small_words: list[str]) -> Iterator[tuple[TrainingWorker, Trainer, list]]:  # type: ignore[no-untyped-def]
    """A worker training a small model for many steps, and the chunks it sent."""
    dataset = Dataset(small_words)
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size))
    trainer = Trainer(model, dataset.examples(3), TrainConfig(steps=10_000_000, engine="fast"))
    worker, thread, requests = TrainingWorker(), QThread(), _Requests()
    worker.moveToThread(thread)
    requests.train.connect(worker.train)
    chunks: list = []
    worker.lossesReady.connect(chunks.append)
    thread.start()
    worker.idle.clear()
    requests.train.emit(TrainJob(trainer, eval_every=10_000))
    yield worker, trainer, chunks
    worker.request_pause()
    assert worker.idle.wait(5)
    thread.quit()
    thread.wait()


def test_losses_arrive_in_batches_at_a_bounded_rate(qtbot, running) -> None:  # type: ignore[no-untyped-def]
    worker, trainer, chunks = running
    qtbot.waitUntil(lambda: trainer.step > 500, timeout=10_000)
    start_chunks, start = len(chunks), time.perf_counter()
    qtbot.waitUntil(lambda: time.perf_counter() - start > 1.0, timeout=5_000)
    per_second = (len(chunks) - start_chunks) / (time.perf_counter() - start)
    assert 5 <= per_second <= 30  # ~20 Hz, never one signal per step
    worker.request_pause()
    assert worker.idle.wait(1)
    qtbot.waitUntil(lambda: sum(len(c.losses) for c in chunks) == trainer.step, timeout=5_000)
    # the chunks tile the steps: 1, 2, 3, ... with no gap or overlap
    starts = [c.start_step for c in chunks]
    ends = [c.start_step + len(c.losses) for c in chunks]
    assert starts[0] == 1 and starts[1:] == ends[:-1]
    assert all(np.isfinite(c.losses).all() for c in chunks)


def test_pause_takes_effect_within_100_ms(qtbot, running) -> None:  # type: ignore[no-untyped-def]
    worker, trainer, _ = running
    qtbot.waitUntil(lambda: trainer.step > 200, timeout=10_000)
    asked = time.perf_counter()
    worker.request_pause()
    assert worker.idle.wait(1)
    assert time.perf_counter() - asked < 0.1


def _steady(trainer: Trainer) -> bool:
    before = trainer.step
    time.sleep(0.002)
    return trainer.step == before


def test_the_worker_steps_aside_while_a_frame_is_drawn(qtbot, running) -> None:  # type: ignore[no-untyped-def]
    worker, trainer, _ = running
    qtbot.waitUntil(lambda: trainer.step > 200, timeout=10_000)
    worker.gui_idle.clear()  # a frame starts
    qtbot.waitUntil(lambda: _steady(trainer), timeout=1_000)  # the step in progress ends
    held = trainer.step
    qtbot.wait(30)  # a window shorter than the worker's longest wait for a frame (50 ms)
    assert trainer.step <= held + 1
    worker.gui_idle.set()  # the frame is painted: training goes on
    qtbot.waitUntil(lambda: trainer.step > held + 100, timeout=5_000)
