"""Scrubbing a replay in the window: how long a new step takes to be drawn at 1920x1080.

    python benchmarks/replay_scrub.py [--steps 20000] [--moves 60] [--zoom 1.0]

A run of the lecture's final model (3, 10, 200) is trained in the core (its replay frames
on the schedule: 102 frames for 20,000 steps) and saved; the window opens it at 1920x1080
with the embedding, sampling, forward pass and hidden layer shown. Then the timeline is moved
to a new frame `--moves` times (jumps across the run, so every frame differs from the one
before), each time timing what the learner waits for: the timeline's choice, the views taking
the frame's weights (the embedding's fixed map, the sampling bars and forward pass, the
loss-plot mark) and the whole window painted (QWidget.repaint, synchronous). The hidden layer's
statistics are computed on a background thread (ui/hidden_analysis.py) and drawn when they
come: their time is printed apart, it never holds the step up.

Within the same run it also times a repaint of the window with nothing changed (the floor a
step cannot go below), and prints both ratios: to the 50 ms goal and to that floor; and the
sampling bars alone given each frame's distribution, with their y axis following the bars
(live) and held at 0..1 (a replay: no axis redraw), in alternating rounds, with their ratio.
REPLAY_PROFILE=1 prints a cProfile of the moves (REPLAY_PROFILE=out.prof also writes it
for pstats/snakeviz). Runs on the platform Qt is given
(offscreen by default; QT_QPA_PLATFORM=xcb with an X server
for a real one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL_MS = 50.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="the run's length")
    parser.add_argument("--moves", type=int, default=60, help="new steps drawn and timed")
    parser.add_argument("--zoom", type=float, default=1.0, help="text zoom (1.0 = 100%%)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from charnames_gui.bundled import bundled_dataset_path
    from charnames_gui.core.checkpoint import save_model
    from charnames_gui.core.config import ModelConfig, TrainConfig
    from charnames_gui.core.data import Dataset
    from charnames_gui.core.document import training_summary
    from charnames_gui.core.model import MLP
    from charnames_gui.core.model_file import ModelFile
    from charnames_gui.core.threads import limit_threads
    from charnames_gui.core.training import Trainer
    from charnames_gui.core.training_state import TrainingState

    limit_threads(1)
    app = QApplication.instance() or QApplication([])
    from charnames_gui.ui.window.dialogs import SaveChoice
    from charnames_gui.ui.window.main_window import MainWindow

    class Printed:
        """Every question answered at once, every message printed (nothing modal)."""

        def error(self, title: str, message: str) -> None:
            print(f"{title}: {message}", file=sys.stderr)

        info = error

        def confirm(self, title: str, message: str, yes_text: str = "OK") -> bool:
            return True

        def ask_save(self, title: str, message: str) -> SaveChoice:
            return SaveChoice.DISCARD

        def open_path(self, title: str, file_filter: str, folder: str = "") -> str | None:
            return None

        def save_path(self, title: str, file_filter: str, suggested: str = "") -> str | None:
            return None

        def get_int(self, title: str, label: str, value: int, minimum: int, maximum: int) -> None:
            return None

    folder = Path(tempfile.mkdtemp(prefix="replay-scrub-"))
    dataset = Dataset.from_file(bundled_dataset_path())
    config = TrainConfig(steps=args.steps)
    model = MLP.init(ModelConfig(3, 10, 200, dataset.vocab.size), config.init, config.seed)
    trainer = Trainer(model, dataset.examples(3), config)
    began = time.perf_counter()
    trainer.run(config.steps)
    print(f"trained {args.steps:,} steps in {time.perf_counter() - began:.1f} s: "
          f"{len(trainer.replay)} frames")  # fmt: skip
    path = folder / "final.safetensors"
    summary = training_summary(dataset, config, steps=trainer.step)
    save_model(path, ModelFile(model, dataset.vocab, dataset.split_seed, summary,
                               replay=trainer.replay))  # fmt: skip

    from charnames_gui.ui.window.app_settings import AppSettings

    settings = AppSettings.at(folder / "settings.json")
    win = MainWindow(
        settings=settings, load_bundled=False, runs_path=folder / "runs.db", dialogs=Printed()
    )
    win.zoom.set_factor(args.zoom)
    win.resize(1920, 1080)
    win.show()
    win.docks.reset()
    win.forward_dock.raise_()
    win.hidden_dock.setFloating(True)  # every view at once: the hidden layer floats beside
    win.hidden_dock.resize(500, 700)
    win.hidden_dock.show()

    def settle(seconds: float = 0.0) -> None:
        end = time.perf_counter() + seconds
        while True:
            app.processEvents()
            if time.perf_counter() >= end:
                return

    while win.controller.document.state == TrainingState.LOADING:
        settle(0.05)
    if not win.file_commands.open_model(path):
        print("could not open the model", file=sys.stderr)
        return 1
    timeline = win.timeline
    began = time.perf_counter()  # a model with its frames opens on a background thread
    while len(timeline.slider_steps()) < len(trainer.replay) and time.perf_counter() - began < 60:
        settle(0.05)
    settle(0.5)
    n = len(timeline.slider_steps())
    if n < 3:
        print(f"only {n} frames", file=sys.stderr)
        return 1
    print(f"window {win.width()}x{win.height()}, zoom {args.zoom:.0%}, {n} frames, "
          f"platform {QApplication.platformName()}")  # fmt: skip

    def draw() -> None:
        QCoreApplication.sendPostedEvents()  # scenes' changed items, then paint now
        win.repaint()

    # the floor: the window painted with nothing new in it
    floor = []
    for _ in range(20):
        began = time.perf_counter()
        draw()
        floor.append((time.perf_counter() - began) * 1000)
    # jumps across the run: index i, then one far from it, and so on (each frame is new)
    order = [(k * 37) % n for k in range(1, args.moves + 1)]
    scrub = []
    profiler = None
    if os.environ.get("REPLAY_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    for index in order:
        if index == timeline.index:
            index = (index + 1) % n
        began = time.perf_counter()
        timeline.choose(index)
        draw()
        scrub.append((time.perf_counter() - began) * 1000)
        settle(0.02)  # the event loop turns between two moves, as between two drags
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        if os.environ["REPLAY_PROFILE"].endswith(".prof"):
            profiler.dump_stats(os.environ["REPLAY_PROFILE"])
    # the hidden layer: its statistics for the step shown, drawn when they come
    shown = timeline.step
    began = time.perf_counter()
    while getattr(win.hidden_view.stats(), "step", None) != shown and (
        time.perf_counter() - began < 10
    ):
        settle(0.005)
    hidden_ms = (time.perf_counter() - began) * 1000

    bars_follow, bars_held = _bars_alone(win, trainer.replay.frames, settle)

    def summary_of(values: list[float]) -> str:
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
        return (
            f"median {statistics.median(values):.1f} ms, p90 {p90:.1f} ms, max {max(values):.1f} ms"
        )

    median = statistics.median(scrub)
    print(f"repaint, nothing new ({len(floor)}x): {summary_of(floor)}")
    print(f"new step drawn ({len(scrub)} moves): {summary_of(scrub)}")
    print(f"ratio to the {GOAL_MS:.0f} ms goal: {median / GOAL_MS:.2f}x (p90 "
          f"{sorted(scrub)[round(0.9 * (len(scrub) - 1))] / GOAL_MS:.2f}x); "
          f"to a repaint with nothing new: {median / statistics.median(floor):.2f}x")  # fmt: skip
    ratio = statistics.median(bars_held) / statistics.median(bars_follow)
    print(f"the bars alone, new frame drawn ({len(bars_held)}x each), y axis following the "
          f"bars: {summary_of(bars_follow)}; held at 0..1 (replay): {summary_of(bars_held)}; "
          f"held/following {ratio:.2f}x")  # fmt: skip
    print(
        f"hidden layer's statistics of the last step shown: {hidden_ms:.0f} ms later "
        "(background thread, at most 4 a second)"
    )
    win.controller.shutdown()
    win.hidden_analysis.wait()
    return 0


def _bars_alone(win, frames, settle) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """The sampling bars alone, given each frame's distribution after "..." and repainted:
    with the y axis following the tallest bar (live) and held at 0..1 (a replay), in
    alternating rounds so that both see the same load."""
    import numpy as np
    from PySide6.QtCore import QCoreApplication

    from charnames_gui.core.replay_render import next_char_probs
    from charnames_gui.ui.views.sampling_bars import ProbabilityBars

    bars = win.sampling_panel.findChild(ProbabilityBars)
    context = (0,) * 3
    probs = [next_char_probs(f.float_weights(), context) for f in frames]
    order = [(k * 37) % len(probs) for k in range(1, 41)]
    times: dict[bool, list[float]] = {False: [], True: []}
    for round_ in range(4):
        for held in (round_ % 2 == 1, round_ % 2 == 0):
            bars.hold_axis(held)
            for index in order[round_ * 10 : round_ * 10 + 10]:
                began = time.perf_counter()
                bars.set_distribution(np.asarray(probs[index]), chosen=1)
                QCoreApplication.sendPostedEvents()  # the scene's changed items, then paint
                bars.repaint()
                times[held].append((time.perf_counter() - began) * 1000)
                settle(0.005)
    return times[False], times[True]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
