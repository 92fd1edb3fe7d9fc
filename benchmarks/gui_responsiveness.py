"""How responsive is the window while it trains, and what does the GUI cost the trainer?

Runs the real MainWindow (offscreen unless a display is set) on the bundled dataset and, in
the same process, alternates:
  - headless: the core Trainer alone for --seconds (the baseline),
  - in the app: the same config trained by the window's worker for --seconds, while a 10 ms
    QTimer on the GUI thread records how late each of its ticks arrives.

Prints the longest and the 99th-percentile tick delay (goals: < 50 ms and < 20 ms) and the
app's steps/s divided by the headless steps/s (goal: >= 0.9): the median over rounds, each of
which compares two segments next to each other in time. --calibrate adds a second headless
segment to each round, to show how much the same ratio moves on this machine by itself.
Usage:

    python benchmarks/gui_responsiveness.py [--seconds 3] [--rounds 10] [--calibrate] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import torch
from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.training import Trainer

TICK_MS = 10


def headless_rate(dataset: Dataset, config: TrainConfig, seconds: float) -> float:
    model = MLP.init(ModelConfig(vocab_size=dataset.vocab.size), config.init, config.seed)
    trainer = Trainer(model, dataset.examples(3), config)
    trainer.run(200)  # warm-up
    start_step, start = trainer.step, time.perf_counter()
    while time.perf_counter() - start < seconds:
        trainer.run(10**9, time_budget=0.05)
    return (trainer.step - start_step) / (time.perf_counter() - start)


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def warm_up(window: object) -> None:
    """Train until the first steps arrive, unmeasured: the first run starts the training
    process (which imports torch, ~2 s) and sends it the examples."""
    from charnames_gui.ui.window.main_window import MainWindow

    assert isinstance(window, MainWindow)
    controller = window.controller
    controller.start()
    deadline = time.monotonic() + 60
    while controller.document.trainer.step < 1000 and time.monotonic() < deadline:
        wait(50)
    controller.stop()
    controller.wait_until_idle()


def app_round(window: object, seconds: float) -> tuple[float, float, list[float]]:
    """Train in the window for `seconds`; return steps/s over the wall clock, steps/s of the
    training loop alone (without the dev-loss points), and the GUI tick delays (ms)."""
    from charnames_gui.ui.window.main_window import MainWindow

    assert isinstance(window, MainWindow)
    window.file_commands.new_model(ask=False)
    controller = window.controller
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
    controller.start()
    wait(300)  # warm-up: first chunks, first redraws
    step0, t0 = controller.document.trainer.step, time.perf_counter()
    loop0 = controller.document.trainer.seconds
    clock.start()
    timer.start()
    wait(int(seconds * 1000))
    timer.stop()
    steps = controller.document.trainer.step - step0
    elapsed = time.perf_counter() - t0
    controller.wait_until_idle()
    loop_steps = controller.document.trainer.step - step0
    loop_seconds = controller.document.trainer.seconds - loop0
    return steps / elapsed, loop_steps / loop_seconds, delays[1:]


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return round(float(q1), 3), round(float(q2), 3), round(float(q3), 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each segment")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--engine", choices=["fast", "autograd"], default="fast")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="also pair headless segments with each other: the spread of that ratio is the "
        "machine's own noise",
    )
    parser.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--zoom", type=float, default=1.0, help="text zoom (1.0 = 100%%)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))

    torch.set_num_threads(1)
    QCoreApplication.setOrganizationName("charnames-gui-bench")
    QCoreApplication.setApplicationName("charnames-gui-bench")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from charnames_gui.ui.views.plot_style import configure_pyqtgraph
    from charnames_gui.ui.window.main_window import MainWindow

    configure_pyqtgraph()  # as the app does

    from charnames_gui.ui.window.app_settings import AppSettings

    settings = AppSettings.at(None)  # the defaults, kept in memory only
    window = MainWindow(settings=settings, load_bundled=False)
    window.resize(width, height)
    window.show()
    window.zoom.set_factor(args.zoom, remember=False)
    window.docks.reset()  # the default layout for this size and zoom
    dataset = Dataset.from_file(bundled_dataset_path())
    config = TrainConfig(engine=args.engine)
    window.panel.set_values(train=config)
    assert window.file_commands.open_dataset(bundled_dataset_path())

    # This VM's speed drifts by tens of percent within seconds, so each round compares two
    # segments next to each other in time, in alternating order (headless first, then the
    # app first), and the figure is the median of the rounds' ratios.
    warm_up(window)
    ratios, loop_ratios, noise, all_delays = [], [], [], []
    headless, in_app = [], []
    for r in range(args.rounds):
        measured: dict[str, float] = {}
        order = ["headless", "app"] if r % 2 == 0 else ["app", "headless"]
        if args.calibrate:
            order.insert(1, "headless again")
        for segment in order:
            if segment == "app":
                rate, loop_rate, delays = app_round(window, args.seconds)
                measured["app"], measured["loop"] = rate, loop_rate
                all_delays += delays
            else:
                measured[segment] = headless_rate(dataset, config, args.seconds)
            app.processEvents()
        headless.append(measured["headless"])
        in_app.append(measured["app"])
        ratios.append(measured["app"] / measured["headless"])
        loop_ratios.append(measured["loop"] / measured["headless"])
        if args.calibrate:
            noise.append(measured["headless again"] / measured["headless"])
        if os.environ.get("BENCH_VERBOSE"):
            print(f"round {r}: " + ", ".join(f"{k} {v:,.0f}" for k, v in measured.items())
                  + f": ratio {ratios[-1]:.3f}", file=sys.stderr)  # fmt: skip
    window.controller.shutdown()
    window.hide()

    delays_ms = np.array(all_delays)
    result = {
        "engine": args.engine,
        "window": f"{window.width()}x{window.height()}",
        "zoom": args.zoom,
        "rounds": args.rounds,
        "seconds_per_segment": args.seconds,
        "tick_delay_max_ms": round(float(delays_ms.max()), 1),
        "tick_delay_p99_ms": round(float(np.percentile(delays_ms, 99)), 1),
        "tick_delay_median_ms": round(float(np.median(delays_ms)), 2),
        "ticks": len(delays_ms),
        "headless_steps_per_s": round(statistics.median(headless), 1),
        "app_steps_per_s": round(statistics.median(in_app), 1),
        "app_over_headless_quartiles": _quartiles(ratios),
        "app_over_headless": _quartiles(ratios)[1],
        "app_loop_over_headless": _quartiles(loop_ratios)[1],
        "platform": os.environ.get("QT_QPA_PLATFORM", ""),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, torch {torch.__version__}",
    }
    if noise:
        result["headless_over_headless_quartiles"] = _quartiles(noise)
    if args.json:
        print(json.dumps(result))
    else:
        r = result
        print(
            f"GUI tick delay: max {r['tick_delay_max_ms']} ms (goal < 50), "
            f"p99 {r['tick_delay_p99_ms']} ms (goal < 20), "
            f"median {r['tick_delay_median_ms']} ms over {r['ticks']} ticks"
        )
        q1, q2, q3 = r["app_over_headless_quartiles"]
        print(
            f"steps/s in the app / headless, median of {args.rounds} rounds: {q2} "
            f"(quartiles {q1}-{q3}; goal >= 0.9). Medians: headless "
            f"{r['headless_steps_per_s']:,}, app {r['app_steps_per_s']:,} steps/s"
        )
        print(
            f"the same, training loop alone (dev-loss points excluded): "
            f"{r['app_loop_over_headless']}"
        )
        if noise:
            q1, q2, q3 = r["headless_over_headless_quartiles"]
            print(f"headless / headless (the machine's noise): {q2} (quartiles {q1}-{q3})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
