"""Seconds from launch to the first losses when Start is pressed as soon as the window shows.

    python benchmarks/start_pressed_at_once.py [--launches 5]

A teacher double-clicks the app and presses Start at once, before PyTorch has loaded: the
press is queued, the model is made when torch has loaded here, and the training child
(started when the window was painted) has imported torch on the other core meanwhile. Each
round launches a fresh process that builds the app as app.main() does, clicks Start at the
window's first paint and prints the times of the paint and of the first losses; a round of
`python -c "import torch"` runs beside each, as in benchmarks/startup.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DRIVER = """
import json, sys, time
start = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
qt = QApplication([])
from charnames_gui import app
startup = app.Startup([])
window = startup.window
from charnames_gui.ui.window.dialogs import SaveChoice
window.dialogs.ask_save = lambda title, message: SaveChoice.DISCARD  # closing asks nothing
times = {}
def painted():
    times["window"] = time.time() - start
    window.controls.start_button.click()  # before torch has loaded: queued
def losses(_):
    if "losses" not in times:
        times["losses"] = time.time() - start
        window.close()  # as the learner would: the run is paused, the history closed
        qt.quit()
app.FirstPaint(window, painted)
window.controller.lossesReady.connect(losses)
startup.start()
QTimer.singleShot(120_000, qt.quit)
qt.exec()
print(json.dumps(times))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=5)
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    torch_s, window_s, losses_s = [], [], []
    with tempfile.TemporaryDirectory(prefix="charnames-start-") as tmp:
        for launch in range(args.launches + 1):  # the first is a warm-up
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import torch"], check=True, env=env)
            torch_time = time.perf_counter() - start
            run_env = {
                **env,
                "XDG_CONFIG_HOME": f"{tmp}/c{launch}",
                "XDG_DATA_HOME": f"{tmp}/d{launch}",
            }
            out = subprocess.run(
                [sys.executable, "-c", DRIVER, repr(time.time())],
                env=run_env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=180,
            )  # fmt: skip
            times = json.loads(out.stdout.strip().splitlines()[-1])
            if launch and "losses" in times:
                torch_s.append(torch_time)
                window_s.append(times["window"])
                losses_s.append(times["losses"])
    t = statistics.median(torch_s)
    print(f"medians of {len(torch_s)} launches ({env['QT_QPA_PLATFORM']}):")
    print(f"  python -c 'import torch':        {t:.2f} s")
    print(f"  window painted, Start pressed:   {statistics.median(window_s):.2f} s")
    print(
        f"  first losses of that run:        {statistics.median(losses_s):.2f} s "
        f"(ratio {statistics.median(losses_s) / t:.2f}; rounds "
        + ", ".join(f"{v:.2f}" for v in losses_s)
        + ")"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
