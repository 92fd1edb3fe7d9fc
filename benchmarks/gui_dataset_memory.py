"""The app's memory with a million names open and training, in MB.

    python benchmarks/gui_dataset_memory.py [--names 1000000] [--seconds 10] [--json]

The real window runs offscreen: File > Open dataset of a seeded file of synthetic names
(benchmarks/dataset_scale.py writes it), then a run of the lecture's model trains in the
training process for --seconds. Printed: the peak RSS (VmHWM) of the GUI process before
the open, after it, and after the training, and the training process's peak, with the
open's wall time. The issue observed 1.1 GB and a 12 s freeze for a million names (and
6.6 GB plus 3.3 GB for the child at 50 MB).

Measured (2 vCPUs, shared): GUI 343 MB before the open, 573 MB after it, 600 MB after 10 s
of training, child 306 MB; with int64 examples (the same run before the change) 950, 1,378
and 681 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset_scale import write_names

from charnames_gui.core.config import TrainConfig
from charnames_gui.ui.window.app_settings import AppSettings
from charnames_gui.ui.window.main_window import MainWindow


def peak_mb(pid: int | None) -> float | None:
    """VmHWM (peak resident memory) of a process, in MB; None where unknown."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Run the event loop until condition() is true (checked every 20 ms) or time is up."""
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(20)
    end = time.monotonic() + seconds
    timer.timeout.connect(lambda: loop.quit() if condition() or time.monotonic() > end else None)
    timer.start()
    loop.exec()
    timer.stop()
    return condition()


def measure(path: Path, n_names: int, seconds: float, folder: Path) -> dict[str, object]:
    settings = AppSettings.at(None)  # the defaults, kept in memory only
    window = MainWindow(settings=settings, load_bundled=False, runs_path=folder / "runs.db")
    window.show()
    window.panel.set_values(train=TrainConfig(steps=10_000_000))
    controller = window.controller
    try:
        before = peak_mb(os.getpid())
        start = time.perf_counter()
        window.file_commands.open_dataset(path)
        opened = wait_until(
            lambda: (
                controller.document.dataset is not None
                and len(controller.document.dataset.words) == n_names
                and controller.document.model is not None
            ),
            120,
        )
        open_seconds = time.perf_counter() - start
        after_open = peak_mb(os.getpid())
        controller.start()
        wait_until(lambda: False, seconds)
        trainer = controller.document.trainer
        return {
            "names": n_names,
            "opened": opened,
            "open_seconds": round(open_seconds, 2),
            "gui_before_open_mb": before,
            "gui_after_open_mb": after_open,
            "gui_after_training_mb": peak_mb(os.getpid()),
            "child_mb": peak_mb(controller.process.pid if controller.process else None),
            "steps": trainer.step if trainer is not None else 0,
        }
    finally:  # as the tests end a window: no "save the model?" question on close
        window.frame_clock.stop()
        window.hide()
        controller.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="charnames-bench-") as name:
        folder = Path(name)
        path = folder / "names.txt"
        write_names(path, args.names)
        result = measure(path, args.names, args.seconds, folder)
    del app
    if args.json:
        print(json.dumps(result))
        return 0
    if not result["opened"]:
        print(f"the dataset did not open within 120 s: {result}")
        return 1
    print(
        f"{args.names:,} names opened in {result['open_seconds']} s (wall time; read on a thread)\n"
        f"GUI peak RSS: {result['gui_before_open_mb']:.0f} MB before the open, "
        f"{result['gui_after_open_mb']:.0f} MB after it, {result['gui_after_training_mb']:.0f} MB "
        f"after {args.seconds:g} s of training ({result['steps']:,} steps)\n"
        f"training process peak RSS: {result['child_mb']:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
