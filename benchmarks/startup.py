"""Seconds from launching the app to its window being painted, against `import torch`.

    python benchmarks/startup.py [--launches 5] [--platform offscreen] [--json]

Each round launches `python -c "import torch"` and then the app (`python -m charnames_gui`,
from this checkout), one after the other, so both see the same load on the machine. The app
writes lines to CHARNAMES_STARTUP_MARKER (see app.py):

- "main_window": the main window first painted (its panels, the bundled dataset read, Start
  ready); torch is not imported yet;
- "torch": torch loaded in the background and the first model made (a Start pressed before
  this is carried out now).

Both are timed from just before the launch, as is `import torch` (the whole process). The
ratio window / import torch is the start-up figure (goal: at most 0.7). Settings come
from an empty temporary folder, so the window opens at its default size and with the bundled
dataset, as on a first launch.
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
GOAL = 0.7
TIMEOUT = 120.0  # seconds for one launch to paint its window and make its model


def time_import_torch(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True, env=env, cwd=REPO_ROOT)
    return time.perf_counter() - start


def time_app(env: dict[str, str], folder: Path, launch: int) -> dict[str, float]:
    """Seconds from launch to each window's first paint."""
    marker = folder / f"marker-{launch}.txt"
    config = folder / f"config-{launch}"  # no saved settings: a first launch
    run_env = {**env, "CHARNAMES_STARTUP_MARKER": str(marker), "XDG_CONFIG_HOME": str(config)}
    start = time.time()  # the marker's clock: time.time() in the app
    app = subprocess.Popen(
        [sys.executable, "-m", "charnames_gui"],
        env=run_env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and app.poll() is None:
            if marker.is_file() and "torch" in marker.read_text():
                break
            time.sleep(0.02)  # polls another process's file; 20 ms is below the figures' noise
    finally:
        app.terminate()
        try:
            _, err = app.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            app.kill()
            _, err = app.communicate()
    lines = marker.read_text().splitlines() if marker.is_file() else []
    times = {label: float(t) - start for label, t in (line.split() for line in lines)}
    if "torch" not in times:
        raise SystemExit(f"the app made no model within {TIMEOUT:.0f} s:\n{err[-2000:]}")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=5, help="rounds (default 5)")
    parser.add_argument(
        "--platform", default="offscreen", help="QT_QPA_PLATFORM (default offscreen)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["QT_QPA_PLATFORM"] = args.platform
    torch_s: list[float] = []
    window_s: list[float] = []
    model_s: list[float] = []
    with tempfile.TemporaryDirectory(prefix="charnames-startup-") as tmp:
        time_app(env, Path(tmp), -1)  # warm-up: the disk cache, .pyc files
        for launch in range(args.launches):
            torch_s.append(time_import_torch(env))
            times = time_app(env, Path(tmp), launch)
            window_s.append(times["main_window"])
            model_s.append(times["torch"])
    torch_median = statistics.median(torch_s)
    report = {
        "launches": args.launches,
        "platform": args.platform,
        "import_torch_s": round(torch_median, 3),
        "window_s": round(statistics.median(window_s), 3),
        "model_ready_s": round(statistics.median(model_s), 3),
        "ratio_window": round(statistics.median(window_s) / torch_median, 3),
        "ratio_model_ready": round(statistics.median(model_s) / torch_median, 3),
        "goal_ratio": GOAL,
        "rounds": {
            "import_torch_s": [round(v, 3) for v in torch_s],
            "window_s": [round(v, 3) for v in window_s],
            "model_ready_s": [round(v, 3) for v in model_s],
        },
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"medians of {args.launches} launches ({args.platform}):")
    print(f"  python -c 'import torch':       {report['import_torch_s']:.2f} s")
    print(
        f"  main window painted:            {report['window_s']:.2f} s "
        f"(ratio {report['ratio_window']:.2f}, goal <= {GOAL})"
    )
    print(
        f"  torch loaded, first model made: {report['model_ready_s']:.2f} s "
        f"(ratio {report['ratio_model_ready']:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
