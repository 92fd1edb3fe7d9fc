"""Replay snapshots: training throughput with them on and off, and their size.

    python benchmarks/replay_throughput.py [--steps 50000] [--repeats 3] [--json]

Trains the lecture's final run (block 3, embedding 10, hidden 200, batch 32, fast engine,
one thread) on the bundled names, alternating runs with replay frames on and off
(Trainer.record_replay), and prints the ratio of steps per second (the median of the
per-pair ratios, so a load that changes during the benchmark affects both sides of a pair).
Then the size of the frames of a 200,000-step run of the final preset, in memory and in a
saved model file (the frames are made as the trainer makes them, at the schedule's steps,
without training 200,000 steps).

Goals: throughput with frames >= 0.97x without; frames of a 200k-step run < 20 MB.
Fewer steps than 200,000 is the harsher test: the frames are logarithmic in the steps, so
a shorter run spends a larger share of its time on them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.checkpoint import save_model
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.model_file import ModelFile
from charnames_gui.core.snapshots import make_frame, scheduled_steps
from charnames_gui.core.threads import limit_threads
from charnames_gui.core.training import Trainer


def steps_per_second(dataset: Dataset, steps: int, record: bool) -> tuple[float, int]:
    config = TrainConfig(steps=steps)
    model = MLP.init(ModelConfig(3, 10, 200, dataset.vocab.size), config.init, config.seed)
    trainer = Trainer(model, dataset.examples(3), config)
    trainer.record_replay = record
    start = time.perf_counter()
    while not trainer.done:
        trainer.run(steps, time_budget=0.05)  # chunks as the app's training process runs
    return steps / (time.perf_counter() - start), len(trainer.replay)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    limit_threads(1)
    dataset = Dataset.from_file(bundled_dataset_path())
    steps_per_second(dataset, 2000, True)  # warm up
    ratios, on_rates, off_rates, frames = [], [], [], 0
    for i in range(args.repeats):
        order = (True, False) if i % 2 == 0 else (False, True)
        rates = {}
        for record in order:
            rates[record], n = steps_per_second(dataset, args.steps, record)
            frames = max(frames, n)
        ratios.append(rates[True] / rates[False])
        on_rates.append(rates[True])
        off_rates.append(rates[False])

    # the frames of a 200k-step run of the final preset, made as the trainer makes them
    config = TrainConfig()
    model = MLP.init(ModelConfig(3, 10, 200, dataset.vocab.size), config.init, config.seed)
    trainer = Trainer(model, dataset.examples(3), TrainConfig(steps=1))
    weights = model.snapshot()
    for step in scheduled_steps(200_000):
        trainer.replay.add(make_frame(trainer.replay.policy, step, weights, 3, 2.0, 0.1))
    with tempfile.TemporaryDirectory() as folder:
        bare, full = Path(folder) / "bare.safetensors", Path(folder) / "full.safetensors"
        save_model(bare, ModelFile(model, dataset.vocab))
        save_model(full, ModelFile(model, dataset.vocab, replay=trainer.replay))
        disk = full.stat().st_size - bare.stat().st_size
    result = {
        "steps": args.steps,
        "frames_per_run": frames,
        "steps_per_second_with": round(statistics.median(on_rates)),
        "steps_per_second_without": round(statistics.median(off_rates)),
        "throughput_ratio": round(statistics.median(ratios), 4),
        "ratios": [round(r, 4) for r in ratios],
        "frames_200k": len(trainer.replay),
        "memory_mb_200k": round(trainer.replay.nbytes / 2**20, 2),
        "disk_mb_200k": round(disk / 2**20, 2),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"final run, {args.steps:,} steps, {args.repeats} pairs (one thread)")
    print(f"  with replay frames ({frames}): {result['steps_per_second_with']:,} steps/s")
    print(f"  without:                      {result['steps_per_second_without']:,} steps/s")
    print(f"  ratio {result['throughput_ratio']} (goal >= 0.97), pairs {result['ratios']}")
    print(f"200k-step run: {len(trainer.replay)} frames, {result['memory_mb_200k']} MB in "
          f"memory, {result['disk_mb_200k']} MB in the model file (goal < 20 MB)")  # fmt: skip


if __name__ == "__main__":
    main()
