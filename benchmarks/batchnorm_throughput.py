"""BatchNorm's cost in the fast engine: steps per second of a model with BatchNorm against
the same model without it, in one process, rounds interleaved (the ratio holds under load).

Two clocks: wall time, and this thread's CPU time (time.thread_time), which a loaded machine
disturbs much less (other processes take turns on the cores, which stretches wall time but
not the CPU time of the steps; they still share the caches).

    python benchmarks/batchnorm_throughput.py [--rounds 10] [--steps 1000] [--block-size 3]
        [--embedding 10] [--hidden 200] [--batch-size 32] [--json]

The issue's target: a ratio of at least 0.8.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a source checkout

from charnames_gui.bench import default_data
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.threads import limit_threads
from charnames_gui.core.training import Trainer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--block-size", type=int, default=3)
    parser.add_argument("--embedding", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    limit_threads(1)
    dataset = Dataset.from_file(args.data or default_data())
    plain = ModelConfig(args.block_size, args.embedding, args.hidden, dataset.vocab.size)
    configs = {"plain": plain, "batchnorm": replace(plain, batchnorm=True)}
    examples = dataset.examples(args.block_size)
    train = TrainConfig(
        batch_size=args.batch_size, steps=10**8, lr=0.05, schedule="constant", init="scaled"
    )
    trainers = {k: Trainer(MLP.init(c, "scaled"), examples, train) for k, c in configs.items()}
    for trainer in trainers.values():
        trainer.run(max(100, args.steps // 5))  # warm up: buffers, caches
    rates: dict[str, list[float]] = {k: [] for k in trainers}
    cpu_rates: dict[str, list[float]] = {k: [] for k in trainers}  # steps per CPU second
    for r in range(args.rounds):
        order = list(trainers) if r % 2 == 0 else list(trainers)[::-1]
        for name in order:
            start, cpu_start = time.perf_counter(), time.thread_time()
            trainers[name].run(args.steps)
            cpu = time.thread_time() - cpu_start
            rates[name].append(args.steps / (time.perf_counter() - start))
            cpu_rates[name].append(args.steps / cpu if cpu > 0 else math.nan)
    paired = [b / p for b, p in zip(rates["batchnorm"], rates["plain"], strict=True)]
    cpu_paired = [b / p for b, p in zip(cpu_rates["batchnorm"], cpu_rates["plain"], strict=True)]
    report = {
        "config": {k: v for k, v in vars(args).items() if k != "data"},
        "steps_per_s": {k: round(statistics.median(v), 1) for k, v in rates.items()},
        "ratio_batchnorm_vs_plain": round(statistics.median(paired), 3),
        "rounds_ratio": [round(v, 3) for v in paired],
        "steps_per_cpu_s": {k: round(statistics.median(v), 1) for k, v in cpu_rates.items()},
        "cpu_ratio_batchnorm_vs_plain": round(statistics.median(cpu_paired), 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(report))
    else:
        s = report["steps_per_s"]
        print(f"model {args.block_size}/{args.embedding}/{args.hidden}, batch {args.batch_size}")
        print(f"plain      {s['plain']:>9,.0f} steps/s")  # type: ignore[index]
        print(f"batchnorm  {s['batchnorm']:>9,.0f} steps/s")  # type: ignore[index]
        print(f"ratio batchnorm / plain: {report['ratio_batchnorm_vs_plain']} (median of rounds)")
        c = report["steps_per_cpu_s"]
        print(
            f"per CPU second: plain {c['plain']:,.0f}, batchnorm {c['batchnorm']:,.0f}, "  # type: ignore[index]
            f"ratio {report['cpu_ratio_batchnorm_vs_plain']}"
        )
        print(f"load average at the end: {report['load_average']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
