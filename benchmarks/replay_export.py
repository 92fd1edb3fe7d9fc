"""Exporting a replay: a 200-frame MP4 at 1280x720, and a GIF of the same.

    python benchmarks/replay_export.py [--frames 200] [--size 1280x720] [--gif]

The frames are those of a short run of the lecture's final model (the schedule's frames),
repeated up to --frames, so that the time is the drawing (Pillow) and the encoding (ffmpeg
through imageio-ffmpeg), not training. Prints seconds and the ratio to the goal.

Goal: 200 frames at 1280x720 as MP4 in under 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.replay_export import export_replay
from charnames_gui.core.replay_render import ReplayRenderer, parse_size
from charnames_gui.core.threads import limit_threads
from charnames_gui.core.training import Trainer

GOAL_SECONDS = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--view", default="embedding")
    parser.add_argument("--gif", action="store_true", help="also time a GIF")
    args = parser.parse_args()
    limit_threads(1)
    dataset = Dataset.from_file(bundled_dataset_path())
    config = TrainConfig(steps=3000)
    model = MLP.init(ModelConfig(3, 10, 200, dataset.vocab.size), config.init, config.seed)
    trainer = Trainer(model, dataset.examples(3), config)
    trainer.run(config.steps)
    store = trainer.replay
    frames = list(store.frames)
    store.frames = [frames[i % len(frames)] for i in range(args.frames)]  # drawn as they come
    renderer = ReplayRenderer(store, dataset.vocab.itos, args.view, size=parse_size(args.size))
    suffixes = [".mp4", ".gif"] if args.gif else [".mp4"]
    with tempfile.TemporaryDirectory() as folder:
        for suffix in suffixes:
            start = time.perf_counter()
            path = export_replay(renderer, Path(folder) / f"replay{suffix}")
            seconds = time.perf_counter() - start
            size_mb = path.stat().st_size / 2**20
            print(f"{args.frames} frames {args.size} {args.view} {suffix}: {seconds:.1f} s "
                  f"({seconds / args.frames * 1000:.0f} ms a frame), {size_mb:.1f} MB; "
                  f"{seconds / GOAL_SECONDS:.2f}x the goal's 30 s")  # fmt: skip


if __name__ == "__main__":
    main()
