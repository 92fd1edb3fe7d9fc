"""How often does the training worker signal, and how fast does a pause land?

The timing goals that tests/ui/test_training_worker.py used to assert (a shared machine made
them flaky there), measured here instead, for the in-thread trainer and the training process:

  - lossesReady signals per second while training (goal: 5 to 30, ~20: never one per step);
  - seconds from request_pause() to the worker being idle (goal: < 0.1 s).

Usage:

    python benchmarks/worker_signals.py [--seconds 2] [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.child_process import TrainingProcess
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.process_trainer import ProcessTrainer
from charnames_gui.core.training import Trainer, TrainerLike
from charnames_gui.ui.training_worker import TrainingWorker, TrainJob

RATE_GOAL = (5.0, 30.0)  # lossesReady per second
PAUSE_GOAL = 0.1  # seconds


class _Requests(QObject):
    train = Signal(object)


def _process_events_for(app: QCoreApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def measure(app: QCoreApplication, trainer: TrainerLike, seconds: float) -> tuple[float, float]:
    """(lossesReady per second over `seconds`, seconds from pause to idle)."""
    worker, thread, requests = TrainingWorker(), QThread(), _Requests()
    worker.moveToThread(thread)
    requests.train.connect(worker.train)
    signals: list[float] = []
    worker.lossesReady.connect(lambda chunk: signals.append(time.perf_counter()))
    thread.start()
    try:
        worker.job_queued()
        requests.train.emit(TrainJob(trainer, eval_every=10_000_000))
        _process_events_for(app, 1.0)  # warm-up (the training process starts)
        start, first = time.perf_counter(), len(signals)
        _process_events_for(app, seconds)
        rate = (len(signals) - first) / (time.perf_counter() - start)
        asked = time.perf_counter()
        worker.request_pause()
        if not worker.idle.wait(30):
            raise RuntimeError("the worker did not pause within 30 s")
        pause = time.perf_counter() - asked
        _process_events_for(app, 0.1)
    finally:
        worker.request_pause()
        worker.idle.wait(30)
        thread.quit()
        thread.wait()
    return rate, pause


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    app = QCoreApplication.instance() or QCoreApplication(sys.argv)
    dataset = Dataset.from_file(bundled_dataset_path())
    examples = dataset.examples(3)
    config = TrainConfig(steps=100_000_000)
    model_config = ModelConfig(3, 10, 200, dataset.vocab.size)
    process = TrainingProcess()
    results: dict[str, dict[str, float]] = {}
    try:
        for kind in ("thread", "process"):
            rates, pauses = [], []
            for _ in range(args.rounds):
                model = MLP.init(model_config)
                trainer: TrainerLike = (
                    Trainer(model, examples, config)
                    if kind == "thread"
                    else ProcessTrainer(process, model, examples, config)
                )
                rate, pause = measure(app, trainer, args.seconds)
                rates.append(rate)
                pauses.append(pause)
            results[kind] = {
                "signals_per_second_median": statistics.median(rates),
                "pause_seconds_median": statistics.median(pauses),
                "pause_seconds_max": max(pauses),
            }
    finally:
        process.close()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for kind, r in results.items():
            rate_ok = RATE_GOAL[0] <= r["signals_per_second_median"] <= RATE_GOAL[1]
            pause_ok = r["pause_seconds_max"] < PAUSE_GOAL
            print(
                f"{kind:8s} lossesReady {r['signals_per_second_median']:5.1f}/s "
                f"(goal {RATE_GOAL[0]:g}-{RATE_GOAL[1]:g}: {'ok' if rate_ok else 'MISSED'})  "
                f"pause {1000 * r['pause_seconds_median']:5.1f} ms median, "
                f"{1000 * r['pause_seconds_max']:5.1f} ms max "
                f"(goal < {1000 * PAUSE_GOAL:.0f} ms: {'ok' if pause_ok else 'MISSED'})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
