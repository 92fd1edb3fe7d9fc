"""How responsive is the window while Train > Repeat trains K seeds together?

Runs the real MainWindow (offscreen unless a display is set) on the bundled dataset. Each
round starts a repeat of K seeds of the lecture's final-run settings (core/stacked_run.py:
the seeds train in one training child per core, the worker thread waits on pipes, the loss
plot draws the band) and, once the seeds have started, a 10 ms QTimer on the GUI thread
records how late each of its ticks arrives for --seconds; then the repeat is paused and
stopped (every seed is measured and recorded). An idle segment of the same length (no
training) is measured next to it, as the baseline of this machine's own delays.

Prints the longest and the 99th-percentile tick delay while the seeds train (goals: < 50 ms
and < 20 ms), the same for the idle window, and the model-steps per second of the repeat.
--nice 0,10 trains the repeat segments of each round once with each niceness of the training
children (core/stacked_run.CHILD_NICE; the order alternates by round) and prints each one's
delays and their ratios, within this one run. --profile FILE records where the GUI thread
spends the repeat's segments (cProfile of this thread only; the training runs elsewhere) and
prints the top functions. Usage:

    python benchmarks/gui_repeat_responsiveness.py [--seeds 8] [--seconds 5] [--rounds 3]
                                                   [--size 1280x720] [--json] [--profile F]
                                                   [--nice 0,10]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a source checkout

import numpy as np
from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.config import TrainConfig

TICK_MS = 10


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        wait(20)
    return bool(condition())  # type: ignore[operator]


def tick_delays(seconds: float) -> list[float]:
    """Run the event loop for `seconds` with a 10 ms timer; how late each tick came (ms)."""
    delays: list[float] = []
    clock = QElapsedTimer()
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        delays.append(max(0.0, now - last[0] - TICK_MS))
        last[0] = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    clock.start()
    timer.start()
    wait(int(seconds * 1000))
    timer.stop()
    return delays[1:]


PROFILE: cProfile.Profile | None = None  # --profile: the GUI thread during the repeats


def repeat_round(window: object, k: int, seconds: float) -> tuple[list[float], float]:
    """One repeat of k seeds: the tick delays while it trains, and its model-steps/s."""
    from charnames_gui.core.stacked_run import RepeatTrainer
    from charnames_gui.ui.window.main_window import MainWindow

    assert isinstance(window, MainWindow)
    c, x = window.controller, window.experiments
    window.file_commands.new_model(ask=False)
    assert x.start_repeat(k), "the repeat did not start"
    stack = c.document.trainer
    assert isinstance(stack, RepeatTrainer)
    # the children import torch first (seconds under load): measure once steps arrive
    if not wait_until(lambda: stack.step > 0, 120):
        raise SystemExit("the seeds did not start training within 120 s")
    wait(300)
    step0, t0 = stack.step, time.perf_counter()
    if PROFILE is not None:
        PROFILE.enable()
    delays = tick_delays(seconds)
    if PROFILE is not None:
        PROFILE.disable()
    rate = k * (stack.step - step0) / (time.perf_counter() - t0)
    c.pause()
    wait_until(lambda: not c.document.is_busy(), 30)
    c.stop()  # every seed is measured (its loss with its error) and recorded
    wait_until(lambda: x.repeat is None and not c.document.is_busy(), 120)
    return delays, rate


def summary(delays: list[float]) -> dict[str, float]:
    d = np.array(delays)
    return {
        "max_ms": round(float(d.max()), 1),
        "p99_ms": round(float(np.percentile(d, 99)), 1),
        "median_ms": round(float(np.median(d)), 2),
        "ticks": len(d),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", default="1280x720", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", help="save a cProfile of the GUI thread while seeds train")
    parser.add_argument("--nice", help="compare these nicenesses of the children, e.g. 0,10")
    args = parser.parse_args(argv)
    global PROFILE
    PROFILE = cProfile.Profile() if args.profile else None
    width, height = (int(v) for v in args.size.lower().split("x"))

    QCoreApplication.setOrganizationName("charnames-gui-bench")
    QCoreApplication.setApplicationName("charnames-gui-bench")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from charnames_gui.core.threads import limit_threads
    from charnames_gui.ui.views.plot_style import configure_pyqtgraph
    from charnames_gui.ui.window.main_window import MainWindow

    limit_threads(1)
    configure_pyqtgraph()
    from charnames_gui.ui.window.app_settings import AppSettings

    settings = AppSettings.at(None)  # the defaults, kept in memory only
    window = MainWindow(settings=settings, load_bundled=False)
    window.resize(width, height)
    window.show()
    window.panel.set_values(train=TrainConfig())  # the lecture's final run
    assert window.file_commands.open_dataset(bundled_dataset_path())
    wait_until(lambda: window.controller.document.model is not None, 60)

    from charnames_gui.core import stacked_run

    nices = [int(v) for v in args.nice.split(",")] if args.nice else [stacked_run.CHILD_NICE]
    by_nice: dict[int, list[float]] = {n: [] for n in nices}
    rates_by_nice: dict[int, list[float]] = {n: [] for n in nices}
    training, idle, rates = [], [], []
    for r in range(args.rounds):
        order = nices if r % 2 == 0 else nices[::-1]
        segments = [("repeat", n) for n in order] + [("idle", 0)]
        for segment, nice in segments if r % 2 == 0 else segments[::-1]:
            if segment == "repeat":
                stacked_run.CHILD_NICE = nice
                delays, rate = repeat_round(window, args.seeds, args.seconds)
                training += delays
                rates.append(rate)
                by_nice[nice] += delays
                rates_by_nice[nice].append(rate)
            else:
                idle += tick_delays(args.seconds)
            app.processEvents()
        if os.environ.get("BENCH_VERBOSE"):
            print(f"round {r}: {rates[-1]:,.0f} model-steps/s", file=sys.stderr)
    window.controller.shutdown()
    window.hide()
    if PROFILE is not None:
        import pstats

        PROFILE.dump_stats(args.profile)
        stats = pstats.Stats(PROFILE, stream=sys.stderr).sort_stats("tottime")
        stats.print_stats(25)
    result = {
        "seeds": args.seeds,
        "window": f"{width}x{height}",
        "rounds": args.rounds,
        "seconds_per_segment": args.seconds,
        "while_training": summary(training),
        "idle": summary(idle),
        "model_steps_per_s": round(float(np.median(rates)), 1),
    }
    if len(nices) > 1:
        result["by_nice"] = {
            str(n): {**summary(by_nice[n]),
                     "model_steps_per_s": round(float(np.median(rates_by_nice[n])), 1)}
            for n in nices
        }  # fmt: skip
    if args.json:
        print(json.dumps(result))
    else:
        t, i = result["while_training"], result["idle"]
        print(f"{args.seeds} seeds training together, window {width}x{height}, "
              f"{args.rounds} rounds of {args.seconds:g} s")  # fmt: skip
        print(f"  GUI tick delay while training: max {t['max_ms']} ms, p99 {t['p99_ms']} ms, "  # type: ignore[index]
              f"median {t['median_ms']} ms (goal: max < 50, p99 < 20)")  # type: ignore[index]  # fmt: skip
        print(f"  GUI tick delay idle:           max {i['max_ms']} ms, p99 {i['p99_ms']} ms, "  # type: ignore[index]
              f"median {i['median_ms']} ms")  # type: ignore[index]  # fmt: skip
        print(f"  {result['model_steps_per_s']:,.0f} model-steps/s")
        if len(nices) > 1:
            base = result["by_nice"][str(nices[0])]  # type: ignore[index]
            for n in nices:
                d = result["by_nice"][str(n)]  # type: ignore[index]
                print(f"  children at nice {n:>2}: max {d['max_ms']} ms, p99 {d['p99_ms']} ms, "
                      f"{d['model_steps_per_s']:,.0f} model-steps/s; ratio to nice {nices[0]}: "
                      f"p99 x{d['p99_ms'] / max(base['p99_ms'], 1e-9):.2f}, steps/s "
                      f"x{d['model_steps_per_s'] / base['model_steps_per_s']:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
