"""K seeds of the lecture's final run trained together (core/stacked_training.py) against
one single run (Trainer, fast engine), alternating, printed as ratios.

    python benchmarks/repeat_throughput.py [--steps 20000] [--rounds 2] [--processes P]
                                           [--full] [--json]

The K seeds are shared among P training processes (default: one per core), each stepping
its group as one stack; their wall time includes starting the processes (each imports
torch, ~2 s: printed apart, it is what a short run pays). --processes 1 stacks all K in
this process.

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


def stacked_wall(
    dataset: Dataset, config: TrainConfig, k: int, processes: int
) -> tuple[float, float]:
    """(wall time of the K runs, of which starting the processes)."""
    seeds = repeat_seeds(config.seed, k)
    mc = ModelConfig(vocab_size=dataset.vocab.size)
    start = time.perf_counter()
    with StackedTrainer(mc, dataset.examples(3), config, seeds, processes=processes) as trainer:
        trainer.start()
        started = time.perf_counter()
        trainer.run(config.steps)
        end = time.perf_counter()
    return end - start, started - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", help="names file (default: bundled)")
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--processes", type=int, default=cores())
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="200,000 steps each (minutes)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    limit_threads(1)  # BLAS: one thread per call; the stack runs one thread per core
    dataset = Dataset.from_file(args.data or bundled_dataset_path())
    config = TrainConfig(steps=200_000 if args.full else args.steps)
    rows = []
    for k in KS:
        ratios, rates, starts = [], [], []
        for r in range(args.rounds):
            order = (0, 1) if r % 2 == 0 else (1, 0)
            single, (stacked, starting) = 0.0, (0.0, 0.0)
            for which in order:
                if which == 0:
                    single = single_wall(dataset, config)
                else:
                    stacked, starting = stacked_wall(dataset, config, k, args.processes)
            ratios.append(stacked / single)
            rates.append(k * config.steps / stacked)
            starts.append(starting)
        rows.append({"K": k, "model_steps_per_second": round(statistics.median(rates)),
                     "wall_ratio_to_single": round(statistics.median(ratios), 3),
                     "start_seconds": round(statistics.median(starts), 2)})  # fmt: skip
        if not args.json:
            print(
                f"K = {k:2}: {rows[-1]['model_steps_per_second']:>7,} model-steps/s, "
                f"wall {rows[-1]['wall_ratio_to_single']:.2f}x one single run "
                f"(of which {rows[-1]['start_seconds']:.1f} s starting the processes)",
                flush=True,
            )
    eight = next(row for row in rows if row["K"] == 8)["wall_ratio_to_single"]
    if args.json:
        print(json.dumps({"steps": config.steps, "cores": cores(),
                          "processes": args.processes, "rows": rows}))  # fmt: skip
    else:
        print(
            f"wall(K=8) / wall(single) = {eight:.2f} (goal: at most 2.5) on {cores()} cores, "
            f"{args.processes} processes"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
