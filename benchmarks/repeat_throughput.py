"""K seeds of the lecture's final run trained together (core/stacked_training.py) against
one single run (Trainer, fast engine), in one process, alternating, printed as ratios.

    python benchmarks/repeat_throughput.py [--steps 2000] [--rounds 2] [--full] [--json]

For each K in 1, 2, 4, 8, 16: model-steps per second (K * steps / wall time) of the stack,
and wall(K stacked) / wall(one single run of the same steps). The goal: 8 seeds
in at most 2.5x the wall time of one run. --full trains 200,000 steps each (the lecture's
run: minutes per K); the default trains a slice of it, whose rate is the same per step.
On a shared machine the figures swing: each round measures the single run right next to
each K, and the median ratio over rounds is printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a source checkout

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.stacked_training import StackedTrainer, cores
from charnames_gui.core.stats import repeat_seeds
from charnames_gui.core.threads import limit_threads
from charnames_gui.core.training import Trainer

KS = (1, 2, 4, 8, 16)


def single_wall(dataset: Dataset, config: TrainConfig) -> float:
    model = MLP.init(ModelConfig(vocab_size=dataset.vocab.size), config.init, config.seed)
    trainer = Trainer(model, dataset.examples(3), config)
    start = time.perf_counter()
    trainer.run(config.steps)
    return time.perf_counter() - start


def stacked_wall(dataset: Dataset, config: TrainConfig, k: int) -> float:
    seeds = repeat_seeds(config.seed, k)
    mc = ModelConfig(vocab_size=dataset.vocab.size)
    with StackedTrainer(mc, dataset.examples(3), config, seeds) as trainer:
        start = time.perf_counter()
        trainer.run(config.steps)
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", help="names file (default: bundled)")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="200,000 steps each (minutes)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    limit_threads(1)  # BLAS: one thread per call; the stack runs one thread per core
    dataset = Dataset.from_file(args.data or bundled_dataset_path())
    config = TrainConfig(steps=200_000 if args.full else args.steps)
    rows = []
    for k in KS:
        ratios, rates = [], []
        for r in range(args.rounds):
            order = (0, 1) if r % 2 == 0 else (1, 0)
            walls = {}
            for which in order:
                walls[which] = (
                    single_wall(dataset, config) if which == 0 else stacked_wall(dataset, config, k)
                )
            ratios.append(walls[1] / walls[0])
            rates.append(k * config.steps / walls[1])
        rows.append({"K": k, "model_steps_per_second": round(statistics.median(rates)),
                     "wall_ratio_to_single": round(statistics.median(ratios), 3)})  # fmt: skip
        if not args.json:
            print(
                f"K = {k:2}: {rows[-1]['model_steps_per_second']:>7,} model-steps/s, "
                f"wall {rows[-1]['wall_ratio_to_single']:.2f}x one single run",
                flush=True,
            )
    eight = next(row for row in rows if row["K"] == 8)["wall_ratio_to_single"]
    if args.json:
        print(json.dumps({"steps": config.steps, "cores": cores(), "rows": rows}))
    else:
        print(f"wall(K=8) / wall(single) = {eight:.2f} (goal: at most 2.5) on {cores()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
