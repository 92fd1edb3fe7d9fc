"""The Beat-the-lecture search with trials side by side in worker processes against one at a
time, in one run, alternating, printed as ratios.

    python benchmarks/search_workers.py [--trials 4] [--trial-examples 1000000] [--rounds 2]

Both searches run the same trials: with startup_trials = trials, Optuna proposes every
trial at random from the seed, whatever the results (core/search_trial.py's test checks
that one at a time and side by side give the same first trials). The figure is trial
examples (minibatch rows) per second of wall time, pool start-up included, and the ratio
workers / one at a time, median over rounds. Goal: close to the number of cores.

It also prints the CPU seconds each search used (its own and its worker processes') and the
load average: on a machine other programs keep busy, the wall-time ratio says more about
them than about the pool (two workers only help when two cores are free), while the CPU
seconds show the pool's own cost (each worker starts Python and imports torch; a batch of
trials waits for its slowest, so a worker may sit idle).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a source checkout

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.data import Dataset
from charnames_gui.core.search import Search, SearchSettings
from charnames_gui.core.search_pool import default_workers
from charnames_gui.core.threads import limit_threads


def cpu_seconds() -> float:
    """CPU seconds of this process and of its ended children (the pool's workers are joined
    when a search ends)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rate(dataset: Dataset, settings: SearchSettings) -> tuple[float, float, list[float]]:
    """(trial examples per second of wall time, CPU seconds used, the trials' dev losses)."""
    start, cpu_start = time.perf_counter(), cpu_seconds()
    search = Search(dataset, settings)
    ended = search.run()
    wall = time.perf_counter() - start
    examples = sum(t.steps_done * t.train.batch_size for t in ended.trials)
    devs = [t.dev_loss for t in sorted(ended.trials, key=lambda t: t.number)]
    return examples / wall, cpu_seconds() - cpu_start, devs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(bundled_dataset_path()))
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--trial-examples", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    limit_threads(1)
    dataset = Dataset.from_file(args.data)
    base = SearchSettings(
        seed=0, trial_examples=args.trial_examples, max_trials=args.trials,
        startup_trials=args.trials, eval_points=2, workers=1,
    )  # fmt: skip
    ratios = []
    for r in range(args.rounds):
        order = [1, args.workers] if r % 2 == 0 else [args.workers, 1]
        rates: dict[int, float] = {}
        cpu: dict[int, float] = {}
        devs: dict[int, list[float]] = {}
        for w in order:
            settings = SearchSettings(**{**base.__dict__, "workers": w})
            rates[w], cpu[w], devs[w] = rate(dataset, settings)
        if devs[1] != devs[args.workers]:
            print("the two searches ran different trials:", devs, file=sys.stderr)
            return 1
        ratios.append(rates[args.workers] / rates[1])
        print(
            f"round {r + 1}: one at a time {rates[1]:,.0f} examples/s, "
            f"{args.workers} workers {rates[args.workers]:,.0f} examples/s, "
            f"ratio {ratios[-1]:.2f}; CPU seconds {cpu[1]:.1f} and {cpu[args.workers]:.1f}; "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    median = statistics.median(ratios)
    print(f"median ratio, {args.workers} workers / one at a time: {median:.2f}")
    if args.json:
        print(json.dumps({"workers": args.workers, "ratios": ratios, "median": median}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
