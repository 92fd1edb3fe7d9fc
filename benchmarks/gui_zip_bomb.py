"""A zip bomb opened through the window: the peak memory and the longest GUI-thread gap.

    python benchmarks/gui_zip_bomb.py [--sizes 2,4] [--json]

A torch.save of the lecture's five tensors whose first storage entry is DEFLATE-compressed
zeros (tests/hostile_files.py): --sizes in MB on disk (2 MB claims about 2 GB, 4 MB about
4 GB). Each is opened with File > Open (FileCommands.open_path) in a real window offscreen,
PyTorch loaded, until the window shows its error. Printed per file: its size, what it claims
inflated, the peak RSS (VmHWM, reset before each open through /proc/self/clear_refs), the
growth of the peak over the resident memory before the open, the longest gap between two
ticks of a 2 ms GUI-thread timer from the open until the message, and the message.

Issue 18 measured (before the cap): a 2.1 MB bomb peaked at 2.3 GB (CLI), a 1.9 MB one
blocked the GUI thread 3.1 s and peaked at 2.2 GB. Done when: below 400 MB, a clear message,
no gap above 50 ms.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: F401  (loaded before the window, as the app has it once started)
from PySide6.QtCore import QCoreApplication, QStandardPaths, QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "ui")]
from helpers import ScriptedDialogs  # noqa: E402
from hostile_files import zip_bomb  # noqa: E402

from charnames_gui.ui.window.app_settings import AppSettings  # noqa: E402
from charnames_gui.ui.window.main_window import MainWindow  # noqa: E402

DEFLATE_RATIO = 1030  # zeros: about 1,030 bytes inflated per byte on disk


def status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> bool:
    """VmHWM back to the current RSS (Linux 4.0+); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def open_through_window(app: QApplication, win: MainWindow, path: Path) -> dict[str, object]:
    dialogs = win.dialogs
    assert isinstance(dialogs, ScriptedDialogs)
    dialogs.errors.clear()
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(2)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    rss_before = status_mb("VmRSS")
    was_reset = reset_peak()
    timer.start()
    app.processEvents()
    ticks.append(time.perf_counter())
    began = time.perf_counter()
    win.file_commands.open_path(path)
    ticks.append(time.perf_counter())  # (a gap this long if the open ran on this thread)
    while not dialogs.errors and time.perf_counter() - began < 60:
        app.processEvents()
        time.sleep(0.001)
    ticks.append(time.perf_counter())
    timer.stop()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    return {
        "file_mb": round(path.stat().st_size / 1e6, 2),
        "claims_gb": round(path.stat().st_size * DEFLATE_RATIO / 1e9, 1),
        "rss_before_mb": round(rss_before),
        "peak_mb": round(status_mb("VmHWM")),
        "peak_reset": was_reset,
        "peak_growth_mb": round(status_mb("VmHWM") - rss_before, 1),
        "longest_gui_gap_ms": round(1000 * max(gaps), 1),
        "seconds_to_message": round(time.perf_counter() - began, 2),
        "message": dialogs.errors[-1][1] if dialogs.errors else "(no message within 60 s)",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2,4", help="bomb sizes on disk, MB")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    QStandardPaths.setTestModeEnabled(True)  # never the user's own history or settings
    QCoreApplication.setOrganizationName("charnames-gui-zip-bomb-benchmark")
    qInstallMessageHandler(lambda *_: None)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bombs = []
        for mb in (float(s) for s in args.sizes.split(",")):
            path = folder / f"bomb-{mb:g}mb.pt"
            path.write_bytes(zip_bomb(int(mb * 1e6 * DEFLATE_RATIO)))
            bombs.append(path)
        win = MainWindow(
            settings=AppSettings.at(None),
            load_bundled=False,
            runs_path=folder / "runs.db",
            dialogs=ScriptedDialogs(),
        )
        win.show()
        app.processEvents()
        for path in bombs:
            results.append(open_through_window(app, win, path))
        win.controller.shutdown()
        win.run_history.close()
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        for r in results:
            print(
                f"{r['file_mb']} MB file (claims ~{r['claims_gb']} GB): peak RSS {r['peak_mb']} MB "
                f"(before the open {r['rss_before_mb']} MB, +{r['peak_growth_mb']} MB"
                f"{'' if r['peak_reset'] else '; peak not reset: since the start'}), longest "
                f"GUI-thread gap {r['longest_gui_gap_ms']} ms, message after "
                f"{r['seconds_to_message']} s: {r['message']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
