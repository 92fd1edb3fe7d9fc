"""How responsive is the window while it trains, and what does the GUI cost the trainer?

Runs the real MainWindow (offscreen unless a display is set) on the bundled dataset and, in
the same process, alternates:
  - headless: the core Trainer alone for --seconds (the baseline),
  - in the app: the same config trained by the window's worker for --seconds, while a 10 ms
    QTimer on the GUI thread records how late each of its ticks arrives.

Prints the longest and the 99th-percentile tick delay (goals: < 50 ms and < 20 ms) and the
app's steps/s divided by the headless steps/s (goal: >= 0.9). Usage:

    python benchmarks/gui_responsiveness.py [--seconds 8] [--rounds 3] [--engine fast] [--json]
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
from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP, ModelConfig
from charnames_gui.core.training import TrainConfig, Trainer
from charnames_gui.resources import bundled_dataset_path

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


def app_round(window: object, seconds: float) -> tuple[float, float, list[float]]:
    """Train in the window for `seconds`; return steps/s over the wall clock, steps/s of the
    training loop alone (without the dev-loss points), and the GUI tick delays (ms)."""
    from charnames_gui.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    window.new_model(ask=False)
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
    step0, t0 = controller.trainer.step, time.perf_counter()
    loop0 = controller.trainer.seconds
    clock.start()
    timer.start()
    wait(int(seconds * 1000))
    timer.stop()
    steps = controller.trainer.step - step0
    elapsed = time.perf_counter() - t0
    controller.wait_until_idle()
    loop_steps = controller.trainer.step - step0
    loop_seconds = controller.trainer.seconds - loop0
    return steps / elapsed, loop_steps / loop_seconds, delays[1:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", choices=["fast", "autograd"], default="fast")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    QCoreApplication.setOrganizationName("charnames-gui-bench")
    QCoreApplication.setApplicationName("charnames-gui-bench")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from charnames_gui.ui.main_window import MainWindow
    from charnames_gui.ui.plot_style import configure_pyqtgraph

    configure_pyqtgraph()  # as the app does

    settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "charnames-bench")
    settings.clear()
    window = MainWindow(settings=settings, load_bundled=False)
    window.resize(1280, 800)
    window.show()
    dataset = Dataset.from_file(bundled_dataset_path())
    config = TrainConfig(engine=args.engine)
    window.panel.set_values(train=config)
    assert window.open_dataset(bundled_dataset_path())

    headless, in_app, in_app_loop, all_delays = [], [], [], []
    for _ in range(args.rounds):
        headless.append(headless_rate(dataset, config, args.seconds))
        rate, loop_rate, delays = app_round(window, args.seconds)
        in_app.append(rate)
        in_app_loop.append(loop_rate)
        all_delays += delays
        app.processEvents()
    window.controller.shutdown()
    window.hide()

    delays_ms = np.array(all_delays)
    result = {
        "engine": args.engine,
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "tick_delay_max_ms": round(float(delays_ms.max()), 1),
        "tick_delay_p99_ms": round(float(np.percentile(delays_ms, 99)), 1),
        "tick_delay_median_ms": round(float(np.median(delays_ms)), 2),
        "ticks": len(delays_ms),
        "headless_steps_per_s": round(statistics.median(headless), 1),
        "app_steps_per_s": round(statistics.median(in_app), 1),
        "app_over_headless": round(statistics.median(in_app) / statistics.median(headless), 3),
        "app_loop_steps_per_s": round(statistics.median(in_app_loop), 1),
        "app_loop_over_headless": round(
            statistics.median(in_app_loop) / statistics.median(headless), 3
        ),
        "platform": os.environ.get("QT_QPA_PLATFORM", ""),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, torch {torch.__version__}",
    }
    if args.json:
        print(json.dumps(result))
    else:
        r = result
        print(
            f"GUI tick delay: max {r['tick_delay_max_ms']} ms (goal < 50), "
            f"p99 {r['tick_delay_p99_ms']} ms (goal < 20), "
            f"median {r['tick_delay_median_ms']} ms over {r['ticks']} ticks"
        )
        print(
            f"steps/s: headless {r['headless_steps_per_s']:,}, in the app "
            f"{r['app_steps_per_s']:,}: ratio {r['app_over_headless']} (goal >= 0.9)"
        )
        print(
            f"training loop alone in the app (dev-loss points excluded): "
            f"{r['app_loop_steps_per_s']:,} steps/s, ratio {r['app_loop_over_headless']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
