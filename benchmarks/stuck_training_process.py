"""What a dead or stuck training process costs the app, in seconds.

With the app's controller training the lecture's model on the bundled names:

  - kill -9 of the child mid-run: until the run ends, back at the last weights received;
  - SIGSTOP of the child: Save (the GUI thread is blocked this long), then Pause until the
    state is paused (the GUI runs meanwhile), then, stopped again, closing (shutdown);
  - the longest delay of a 10 ms timer on the GUI thread during each.

Usage:

    python benchmarks/stuck_training_process.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import contextlib

from PySide6.QtCore import QCoreApplication, QTimer

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.events import RunEnded, Snapshot
from charnames_gui.ui.controller import Controller, TrainingState


class TimerWatch:
    """A 10 ms timer on the GUI thread; `longest` is its longest gap, in seconds."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.longest = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def start(self) -> None:
        self.last, self.longest = time.perf_counter(), 0.0
        self.timer.start()


def wait_until(app: QCoreApplication, condition: Callable[[], bool], limit: float = 60) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > limit:
            raise RuntimeError("timed out")
        app.processEvents()
        time.sleep(0.001)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    app = QCoreApplication.instance() or QCoreApplication(sys.argv)
    c = Controller(use_training_process=True)
    c.set_dataset(Dataset.from_file(bundled_dataset_path()))
    c.new_model(ModelConfig(3, 10, 200), TrainConfig(steps=10_000_000), 42)
    snapshots: list[Snapshot] = []
    ended: list[RunEnded] = []
    c.snapshotReady.connect(snapshots.append)
    c.runEnded.connect(ended.append)
    watch = TimerWatch()
    figures: dict[str, float] = {}
    folder = Path(tempfile.mkdtemp())
    try:
        # kill -9
        c.start()
        wait_until(app, lambda: len(snapshots) >= 4)
        watch.start()
        assert c.process is not None and c.process.pid is not None
        os.kill(c.process.pid, signal.SIGKILL)
        figures["kill_to_run_end_s"] = wait_until(app, lambda: len(ended) == 1)
        figures["kill_longest_timer_gap_s"] = watch.longest
        # SIGSTOP: save, pause
        c.start()
        wait_until(app, lambda: c.document.state == TrainingState.RUNNING and len(snapshots) >= 8)
        wait_until(app, lambda: c.document.trainer is not None and c.document.trainer.step > 0)
        pid = c.process.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        try:
            watch.start()
            start = time.perf_counter()
            c.save(folder / "stuck.safetensors")
            figures["save_blocks_gui_s"] = time.perf_counter() - start
            watch.start()
            c.pause()
            figures["pause_to_paused_s"] = wait_until(
                app, lambda: c.document.state == TrainingState.PAUSED
            )
            figures["pause_longest_timer_gap_s"] = watch.longest
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        # SIGSTOP: close
        c.start()
        wait_until(app, lambda: c.process is not None and c.process.pid is not None)
        wait_until(app, lambda: len(snapshots) >= 12)
        pid = c.process.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        try:
            start = time.perf_counter()
            c.shutdown()
            figures["shutdown_s"] = time.perf_counter() - start
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
    finally:
        c.shutdown()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for name, value in figures.items():
            print(f"{name:28s} {value:7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
