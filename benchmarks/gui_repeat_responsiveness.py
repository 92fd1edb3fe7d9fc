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
delays and their ratios, within this one run. --pace does the same for how fast the views
follow a repeat (ui/window/live_views.REPEAT_PACE and stacked_run.SNAPSHOT_SECONDS against
the single-run rates). --attribute times every event of the GUI thread and says what ran
during the late ticks, and what the thread spends its time on. --profile FILE records where
the GUI thread spends the repeat's segments (cProfile of this thread only; the training runs
elsewhere) and prints the top functions. Usage:

    python benchmarks/gui_repeat_responsiveness.py [--seeds 8] [--seconds 5] [--rounds 3]
                                                   [--size 1280x720] [--json] [--profile F]
                                                   [--nice 0,10 | --pace] [--attribute]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a source checkout

import numpy as np
from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEvent, QEventLoop, QObject, QTimer
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


class TimedApp(QApplication):
    """--attribute: times every event the GUI thread handles at the top level (not the
    events sent from inside another one), so a late tick can be put down to what ran."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        self.recording = False
        self.handled: list[tuple[float, float, str]] = []  # (start, end, what), seconds
        self.frames: list[tuple[float, float, str]] = []  # the same, of the frame clock
        self._depth = 0
        self._gui = threading.get_ident()

    def notify(self, receiver: QObject, event: QEvent) -> bool:  # type: ignore[override]
        if not self.recording or threading.get_ident() != self._gui:
            return super().notify(receiver, event)
        if self._depth:  # inside another event: only paints are timed, by widget
            if event.type() != QEvent.Type.Paint:
                return super().notify(receiver, event)
            start = time.perf_counter()
            try:
                return super().notify(receiver, event)
            finally:
                names, owner = [], receiver
                while owner is not None and len(names) < 4:  # a viewport: say whose
                    names.append(type(owner).__name__)
                    owner = owner.parent()
                what = "paint: " + " in ".join(names)
                self.frames.append((start, time.perf_counter(), what))
        self._depth += 1
        start = time.perf_counter()
        try:
            return super().notify(receiver, event)
        finally:
            self._depth -= 1
            end = time.perf_counter()
            if end - start > 0.001:
                owner = receiver.parent() if isinstance(receiver, QTimer) else None
                of = f" of {type(owner).__name__}" if owner is not None else ""
                what = f"{type(receiver).__name__}{of}/{event.type().name}"
                self.handled.append((start, end, what))


def time_frames(app: TimedApp) -> None:
    """--attribute: the frame clock's frames by the view they painted (a finer name than
    the timer's event for the time they take)."""
    from charnames_gui.ui.window.frame_clock import FrameClock

    tick = FrameClock.tick

    def timed_tick(self: FrameClock) -> str | None:
        start = time.perf_counter()
        name = tick(self)
        if app.recording and time.perf_counter() - start > 0.001:
            app.frames.append((start, time.perf_counter(), f"frame: {name}"))
        return name

    FrameClock.tick = timed_tick  # type: ignore[method-assign]


TICKS: list[tuple[float, float]] = []  # --attribute: (when, delay ms) of every tick


def tick_delays(seconds: float) -> list[float]:
    """Run the event loop for `seconds` with a 10 ms timer; how late each tick came (ms)."""
    delays: list[float] = []
    clock = QElapsedTimer()
    last = [0.0]
    app = QApplication.instance()
    timed = isinstance(app, TimedApp)

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        delays.append(max(0.0, now - last[0] - TICK_MS))
        if timed and app.recording and last[0]:  # type: ignore[union-attr]
            TICKS.append((time.perf_counter(), delays[-1]))
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
    app = QApplication.instance()
    if isinstance(app, TimedApp):
        app.recording = True
    delays = tick_delays(seconds)
    if isinstance(app, TimedApp):
        app.recording = False
    if PROFILE is not None:
        PROFILE.disable()
    rate = k * (stack.step - step0) / (time.perf_counter() - t0)
    c.pause()
    wait_until(lambda: not c.document.is_busy(), 30)
    c.stop()  # every seed is measured (its loss with its error) and recorded
    wait_until(lambda: x.repeat is None and not c.document.is_busy(), 120)
    return delays, rate


def attribute(
    handled: list[tuple[float, float, str]], late_ms: float, rest: bool = True
) -> dict[str, float]:
    """For the ticks later than late_ms: how much of their lateness the GUI thread spent
    in which events (ms, summed over those ticks), and how much in none of them (waiting
    for a core or for the GIL, or in work outside events)."""
    starts = np.array([h[0] for h in handled])
    out: dict[str, float] = {}
    for when, delay in TICKS:
        if delay < late_ms:
            continue
        begin = when - (delay + TICK_MS) / 1000  # the gap: since the tick before
        busy = 0.0
        for i in np.flatnonzero((starts < when) & (starts > begin - 1.0)):
            start, end, what = handled[i]
            overlap = min(end, when) - max(start, begin)
            if overlap > 0:
                out[what] = out.get(what, 0.0) + 1000 * overlap
                busy += 1000 * overlap
        if rest:
            idle = "(no event: waiting for a core or the GIL)"
            out[idle] = out.get(idle, 0.0) + max(0.0, delay + TICK_MS - busy)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def make_variants(args: argparse.Namespace) -> dict[str, Callable[[], None]]:
    """The settings compared within this run, each a function that sets it up: --nice
    (the children's niceness) or --pace (how fast the views follow a repeat: before, every
    view at its single-run rate and the learner's weights every 0.25 s; now,
    live_views.REPEAT_PACE and stacked_run.SNAPSHOT_SECONDS)."""
    from charnames_gui.core import stacked_run
    from charnames_gui.ui.window import live_views
    from charnames_gui.ui.window.frame_clock import NORMAL

    def nice(n: int) -> Callable[[], None]:
        def setup() -> None:
            stacked_run.CHILD_NICE = n

        return setup

    def pace(on: bool) -> Callable[[], None]:
        def setup() -> None:
            live_views.REPEAT_PACE = now_pace if on else NORMAL
            stacked_run.SNAPSHOT_SECONDS = now_snapshots if on else 0.25

        return setup

    now_pace, now_snapshots = live_views.REPEAT_PACE, stacked_run.SNAPSHOT_SECONDS
    if args.nice:
        return {f"children at nice {int(n):>2}": nice(int(n)) for n in args.nice.split(",")}
    if args.pace:
        return {"views at single-run pace": pace(False), "views at repeat pace": pace(True)}
    return {"": lambda: None}


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
    parser.add_argument("--pace", action="store_true",
                        help="compare the views at single-run pace and at repeat pace")  # fmt: skip
    parser.add_argument("--attribute", action="store_true",
                        help="time the GUI thread events; say what ran in late ticks")  # fmt: skip
    args = parser.parse_args(argv)
    global PROFILE
    PROFILE = cProfile.Profile() if args.profile else None
    width, height = (int(v) for v in args.size.lower().split("x"))

    QCoreApplication.setOrganizationName("charnames-gui-bench")
    QCoreApplication.setApplicationName("charnames-gui-bench")
    if args.attribute:
        app = TimedApp(sys.argv[:1])
        time_frames(app)
    else:
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

    variants = make_variants(args)  # label -> how to set it up
    labels = list(variants)
    by_variant: dict[str, list[float]] = {v: [] for v in labels}
    rates_by_variant: dict[str, list[float]] = {v: [] for v in labels}
    training, idle, rates = [], [], []
    windows: list[tuple[float, float, str]] = []  # (start, end, variant) of each repeat
    for r in range(args.rounds):
        order = labels if r % 2 == 0 else labels[::-1]
        segments = [("repeat", v) for v in order] + [("idle", "")]
        for segment, label in segments if r % 2 == 0 else segments[::-1]:
            if segment == "repeat":
                variants[label]()
                began = time.perf_counter()
                delays, rate = repeat_round(window, args.seeds, args.seconds)
                windows.append((began, time.perf_counter(), label))
                training += delays
                rates.append(rate)
                by_variant[label] += delays
                rates_by_variant[label].append(rate)
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
    if len(labels) > 1:
        result["by_variant"] = {
            v: {**summary(by_variant[v]),
                "model_steps_per_s": round(float(np.median(rates_by_variant[v])), 1),
                "late_ticks": sum(d >= 20.0 for d in by_variant[v])}
            for v in labels
        }  # fmt: skip
        if isinstance(app, TimedApp):  # the GUI thread's busy time (top-level events)
            for v in labels:
                busy_ms = sum(
                    min(end, w_end) - max(start, w_start)
                    for start, end, _ in app.handled
                    for w_start, w_end, label in windows
                    if label == v and start < w_end and end > w_start
                )
                result["by_variant"][v]["gui_busy_ms_per_s"] = round(
                    1000 * busy_ms / (args.rounds * args.seconds), 1
                )
    if isinstance(app, TimedApp):
        late = attribute(app.handled, 20.0)
        late.update(attribute(app.frames, 20.0, rest=False))
        result["late_ticks_ms_by_event"] = {k: round(v, 1) for k, v in list(late.items())[:12]}
        result["late_ticks"] = sum(1 for _, d in TICKS if d >= 20.0)
        recorded = args.rounds * len(labels) * args.seconds
        busy: dict[str, float] = {}
        for start, end, what in app.handled + app.frames:
            busy[what] = busy.get(what, 0.0) + 1000 * (end - start) / recorded
        top = sorted(busy.items(), key=lambda kv: -kv[1])[:12]
        result["gui_busy_ms_per_s"] = {k: round(v, 1) for k, v in top}
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
        if "late_ticks" in result:
            print(f"  {result['late_ticks']} ticks >= 20 ms late; their gaps went to (ms):")
            for what, ms in result["late_ticks_ms_by_event"].items():  # type: ignore[union-attr]
                print(f"    {ms:8.1f}  {what}")
            print("  the GUI thread's work while the seeds train, ms per second (frames: part)")
            for what, ms in result["gui_busy_ms_per_s"].items():  # type: ignore[union-attr]
                print(f"    {ms:8.1f}  {what}")
        if len(labels) > 1:
            base = result["by_variant"][labels[0]]  # type: ignore[index]
            for v in labels:
                d = result["by_variant"][v]  # type: ignore[index]
                busy = d.get("gui_busy_ms_per_s")
                more = f", GUI busy {busy} ms/s" if busy is not None else ""
                print(f"  {v}: {d['late_ticks']} ticks >= 20 ms late{more}")
                print(f"  {v}: max {d['max_ms']} ms, p99 {d['p99_ms']} ms, "
                      f"{d['model_steps_per_s']:,.0f} model-steps/s; ratio to {labels[0]}: "
                      f"p99 x{d['p99_ms'] / max(base['p99_ms'], 1e-9):.2f}, max "
                      f"x{d['max_ms'] / max(base['max_ms'], 1e-9):.2f}, steps/s "
                      f"x{d['model_steps_per_s'] / base['model_steps_per_s']:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
