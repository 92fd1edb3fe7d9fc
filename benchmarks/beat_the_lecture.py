"""The "Beat the lecture" preset: its dev loss in one run, and its training time measured
against the lecture's final run in the same process (the ratio holds on a loaded machine).

    python benchmarks/beat_the_lecture.py [--data ../shared/data/names.txt] [--json]
        [--lecture-steps-per-s 16492]

It trains the preset once, in chunks of about 2 s; after each chunk the lecture's
configuration (block 3, embedding 10, hidden 200, batch 32) trains for about 0.5 s on a
copy. The median ratio of the two steps/s over the chunks turns the lecture's speed on a
quiet machine (--lecture-steps-per-s: `charnames bench`'s figure, 16,492 steps/s on the
2-core machine of the README) into the preset's training time on that machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a source checkout

from charnames_gui.bench import default_data
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.presets import preset_by_name
from charnames_gui.core.threads import limit_threads
from charnames_gui.core.training import Trainer

PRESET = "Beat the lecture"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--lecture-steps-per-s", type=float, default=16_492.0)
    parser.add_argument("--chunk-seconds", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    limit_threads(1)
    data = args.data or default_data()
    dataset = Dataset.from_file(data)
    preset = preset_by_name(PRESET)
    config = preset.model_config(dataset.vocab.size)
    trainer = Trainer(
        MLP.init(config, preset.train.init, preset.train.seed),
        dataset.examples(config.block_size),
        preset.train,
    )
    lecture_config = ModelConfig(3, 10, 200, dataset.vocab.size)
    lecture = Trainer(
        MLP.init(lecture_config), dataset.examples(3), TrainConfig(steps=10**8, lr=0.01)
    )
    lecture.run(500)  # warm up
    ratios: list[float] = []
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    lecture_seconds = 0.0
    while not trainer.done:
        before_steps, before_seconds = trainer.step, trainer.seconds
        trainer.run(trainer.config.steps, time_budget=args.chunk_seconds)
        rate = (trainer.step - before_steps) / max(trainer.seconds - before_seconds, 1e-9)
        l_steps, l_seconds = lecture.step, lecture.seconds
        lecture.run(10**8, time_budget=args.chunk_seconds / 4)
        lecture_seconds += lecture.seconds - l_seconds
        ratios.append(rate / ((lecture.step - l_steps) / (lecture.seconds - l_seconds)))
    wall = time.perf_counter() - wall_start - lecture_seconds
    cpu = time.process_time() - cpu_start
    ratio = statistics.median(ratios)
    dev = trainer.evaluate("dev")
    train = trainer.evaluate("train")
    quiet = trainer.step / (ratio * args.lecture_steps_per_s)
    report = {
        "preset": PRESET,
        "data": str(data),
        "parameters": trainer.model.parameter_count(),
        "steps": trainer.step,
        "train_loss": round(train, 4),
        "dev_loss": round(dev, 4),
        "training_seconds_here": round(trainer.seconds, 1),
        "process_cpu_seconds_with_lecture_chunks": round(cpu, 1),
        "steps_per_s_ratio_vs_lecture": round(ratio, 4),
        "lecture_steps_per_s_quiet": args.lecture_steps_per_s,
        "training_seconds_extrapolated_quiet": round(quiet, 1),
        "wall_without_lecture_chunks": round(wall, 1),
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:42s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
