"""What a locked run history costs the window.

Another program holds runs.db with BEGIN EXCLUSIVE (a second Charnames, a backup tool) while
the app starts and while a run ends. Measures, on the GUI thread, with a 10 ms QTimer:
  - start: the longest tick delay while the history is opened on a locked file, and whether
    the file is kept (not renamed *.damaged-*) with all its runs once the lock goes;
  - record: how long RunHistory.add() takes (the call the GUI makes when a run ends) and the
    longest tick delay while the write waits, then the seconds until the run lands after
    the lock is released (the writer's backoff is at most 2 s).
For comparison, `--old` times what the GUI thread used to do: RunStore.add() on the GUI
thread against the same lock (SQLite's 5 s busy timeout, then an error: the run was lost).
Usage:

    python benchmarks/run_history_lock.py [--runs 25] [--hold 2.0] [--old]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QCoreApplication, QElapsedTimer, QTimer

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.runs import RunRecord, RunStore, RunStoreError
from charnames_gui.ui.run_history import RunHistory


def a_record(dev: float) -> RunRecord:
    return RunRecord(
        dataset_name="names.txt",
        dataset_hash="ab" * 32,
        model=ModelConfig(3, 10, 200, 27),
        train=TrainConfig(steps=1000),
        steps_done=1000,
        dev_loss=dev,
        curve_steps=np.arange(1, 2001, dtype=np.float32),
        curve_loss=np.linspace(3.3, 2.2, 2000).astype(np.float32),
    )


class TickWatch:
    """The longest delay of a 10 ms timer on the GUI thread: how long the thread was busy."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.worst_ms = 0.0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.worst_ms = 0.0
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        self.worst_ms = max(self.worst_ms, self.clock.restart() - 10.0)

    def run_for(self, app: QCoreApplication, seconds: float, until: object = None) -> float:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            if callable(until) and until():
                break
            time.sleep(0.001)
        return time.perf_counter()


def lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--hold", type=float, default=2.0, help="seconds the lock is held")
    parser.add_argument("--old", action="store_true", help="also time RunStore.add on a lock")
    args = parser.parse_args()
    app = QCoreApplication.instance() or QCoreApplication(sys.argv)
    folder = Path(tempfile.mkdtemp(prefix="charnames-lock-"))
    path = folder / "runs.db"
    store = RunStore(path)
    for i in range(args.runs):
        store.add(a_record(2 + i / 100))
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = delete")  # the lock keeps readers out as well
    conn.close()
    watch = TickWatch()

    # -- start on a locked history -------------------------------------------------------
    holder = lock(path)
    watch.start()
    history = RunHistory(path)
    opened: list[int] = []
    history.opened.connect(lambda event: opened.append(len(event.runs)))
    watch.run_for(app, args.hold)
    holder.execute("ROLLBACK")
    holder.close()
    released = time.perf_counter()
    landed = watch.run_for(app, 30.0, until=lambda: bool(opened))
    kept = not list(folder.glob("runs.db.damaged-*"))
    print(f"start  worst GUI tick delay {watch.worst_ms:7.1f} ms while locked; "
          f"opened {landed - released:5.2f} s after release with {opened[-1] if opened else 0} "
          f"of {args.runs} runs; file kept: {kept}")  # fmt: skip

    # -- a run ends while the history is write-locked ------------------------------------
    recorded: list[int] = []
    history.recorded.connect(lambda token, record: recorded.append(token))
    holder = lock(path)
    watch.start()
    t0 = time.perf_counter()
    history.add(a_record(2.05))
    add_ms = (time.perf_counter() - t0) * 1000
    watch.run_for(app, args.hold)
    holder.execute("ROLLBACK")
    holder.close()
    released = time.perf_counter()
    landed = watch.run_for(app, 30.0, until=lambda: bool(recorded))
    waited = landed - released
    print(f"record add() {add_ms:6.2f} ms; worst GUI tick delay {watch.worst_ms:7.1f} ms "
          f"while locked; landed {waited:5.2f} s after release: {bool(recorded)}")  # fmt: skip
    history.close()

    if args.old:
        store = RunStore(path)
        holder = lock(path)
        t0 = time.perf_counter()
        try:
            store.add(a_record(2.06))
            outcome = "stored"
        except RunStoreError:
            outcome = "then an error (the old app lost the run here)"
        print(f"old    RunStore.add on the GUI thread: blocked {time.perf_counter() - t0:5.2f} s, "
              f"{outcome}")  # fmt: skip
        holder.execute("ROLLBACK")
        holder.close()
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
