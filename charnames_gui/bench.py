"""Training steps per second: the lecture's autograd loop against the app's fast trainer.

    charnames bench                 # 10 rounds of 500 steps, a table
    charnames bench --json          # one JSON object
    charnames bench --full          # + the lecture's 200,000-step run with each engine

(benchmarks/train_throughput.py runs the same from a source checkout.)

Three loops train the same model on the same data, taking turns for several rounds so that a
busy machine slows all of them alike (the order rotates every round):

- lecture loop: the loop of "makemore part 2" written out right here (parameters with
  requires_grad, F.cross_entropy, loss.backward(), p.data += -lr * p.grad);
- trainer/autograd: the app's Trainer driving AutogradEngine, the same loop, to show the
  Trainer adds no overhead;
- trainer/fast: the app's Trainer driving FastEngine (core/engines/fast.py).

The summary is the median steps per second of each over the rounds, and the ratio of the fast
trainer to the lecture loop. CPU seconds (of this thread) are reported as well: on a machine
shared with other jobs they vary much less than wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from charnames_gui.bundled import BUNDLED_DATASET, CHECKOUT_RESOURCES, resource_path
from charnames_gui.core.config import DEFAULT_INIT_SEED, ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.examples import SplitTensors
from charnames_gui.core.model import MLP
from charnames_gui.core.threads import MAX_THREADS, limit_threads
from charnames_gui.core.training import Trainer

LR = 0.1  # the lecture's learning rate (before its decay)


def default_data() -> Path:
    bundled = resource_path(BUNDLED_DATASET)
    lecture = CHECKOUT_RESOURCES.parent.parent / "shared/data/names.txt"
    return bundled if bundled.is_file() else lecture


# -- the three loops: each is run(n) -> None, doing n more training steps -----------------------
def lecture_loop(
    examples: SplitTensors, config: ModelConfig, batch_size: int, seed: int
) -> Callable[[int], None]:
    """The lecture's training loop, literally (only wrapped to run n steps at a time)."""
    Xtr, Ytr = (t.long() for t in examples.tensors["train"])  # the lecture's int64 tensors
    block_size, n_embd, n_hidden, vocab_size = (
        config.block_size,
        config.n_embd,
        config.n_hidden,
        config.vocab_size,
    )
    g = torch.Generator().manual_seed(seed)
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((block_size * n_embd, n_hidden), generator=g)
    b1 = torch.randn(n_hidden, generator=g)
    W2 = torch.randn((n_hidden, vocab_size), generator=g)
    b2 = torch.randn(vocab_size, generator=g)
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True
    lossi: list[float] = []

    def run(n: int) -> None:
        for _ in range(n):
            # minibatch construct
            ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
            # forward pass
            emb = C[Xtr[ix]]  # (32, 3, 10)
            h = torch.tanh(emb.view(-1, block_size * n_embd) @ W1 + b1)  # (32, 200)
            logits = h @ W2 + b2  # (32, 27)
            loss = F.cross_entropy(logits, Ytr[ix])
            # backward pass
            for p in parameters:
                p.grad = None
            loss.backward()
            # update
            for p in parameters:
                p.data += -LR * p.grad  # type: ignore[operator]  # the lecture's line, as is
            lossi.append(loss.item())  # the Trainer keeps every loss too

    return run


def trainer_loop(
    examples: SplitTensors, config: ModelConfig, batch_size: int, seed: int, engine: str
) -> Callable[[int], None]:
    train = TrainConfig(
        batch_size=batch_size, steps=10**8, lr=LR, schedule="constant", seed=seed, engine=engine
    )
    trainer = Trainer(MLP.init(config, train.init, seed), examples, train)

    def run(n: int) -> None:
        trainer.run(n)

    return run


# -- measuring ----------------------------------------------------------------------------------
def peak_rss_mb() -> float | None:
    """The process's peak resident memory so far, in MB (None where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes / KiB


def traced_peak_mb(run: Callable[[int], None], steps: int) -> float:
    """Peak of the allocations tracemalloc sees (Python and NumPy; not torch's allocator)."""
    tracemalloc.start()
    try:
        run(steps)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def machine() -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "torch_threads": torch.get_num_threads(),
    }


def throughput(
    examples: SplitTensors,
    config: ModelConfig,
    batch_size: int,
    steps: int,
    rounds: int,
    seed: int = DEFAULT_INIT_SEED,
) -> dict[str, object]:
    loops = {
        "lecture loop": lecture_loop(examples, config, batch_size, seed),
        "trainer/autograd": trainer_loop(examples, config, batch_size, seed, "autograd"),
        "trainer/fast": trainer_loop(examples, config, batch_size, seed, "fast"),
    }
    names = list(loops)
    warmup = max(50, steps // 5)
    traced = {name: traced_peak_mb(run, warmup) for name, run in loops.items()}
    for run in loops.values():
        run(warmup)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:  # rotate the order
            wall0, cpu0 = time.perf_counter(), time.thread_time()
            loops[name](steps)
            wall[name].append(steps / (time.perf_counter() - wall0))
            cpu[name].append(steps / max(time.thread_time() - cpu0, 1e-9))
    results: dict[str, dict[str, Any]] = {  # JSON for the report
        name: {
            "steps_per_s": statistics.median(wall[name]),
            "steps_per_cpu_s": statistics.median(cpu[name]),
            "rounds_steps_per_s": [round(v, 1) for v in wall[name]],
            "traced_peak_mb": round(traced[name], 2),
        }
        for name in names
    }
    fast, base = results["trainer/fast"], results["lecture loop"]
    # each round's two loops ran seconds apart, under about the same load
    paired = [f / b for f, b in zip(wall["trainer/fast"], wall["lecture loop"], strict=True)]
    return {
        "loops": results,
        "ratio_fast_vs_lecture": fast["steps_per_s"] / base["steps_per_s"],
        "ratio_fast_vs_lecture_paired": statistics.median(paired),
        "ratio_fast_vs_lecture_cpu": fast["steps_per_cpu_s"] / base["steps_per_cpu_s"],
        "ratio_fast_vs_trainer_autograd": fast["steps_per_s"]
        / results["trainer/autograd"]["steps_per_s"],
        "ratio_trainer_autograd_vs_lecture": results["trainer/autograd"]["steps_per_s"]
        / base["steps_per_s"],
    }


def full_run(examples: SplitTensors, config: ModelConfig, engine: str) -> dict[str, object]:
    """The lecture's final run: 200,000 steps of batch 32, lr 0.1 then 0.01 after 100,000."""
    train = TrainConfig(engine=engine)  # the defaults are the lecture's
    trainer = Trainer(MLP.init(config, train.init, train.seed), examples, train)
    cpu0 = time.thread_time()
    while not trainer.done:
        trainer.run(10_000)
    return {
        "engine": engine,
        "steps": trainer.step,
        "seconds": trainer.seconds,
        "cpu_seconds": time.thread_time() - cpu0,
        "train_loss": trainer.evaluate("train"),
        "dev_loss": trainer.evaluate("dev"),
    }


# -- command line -------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="charnames bench",
        description="Steps per second of the lecture's autograd loop and the app's fast trainer.",
    )
    parser.add_argument("--data", type=Path, default=None, help="a names file (one per line)")
    parser.add_argument("--steps", type=int, default=500, help="steps per loop per round")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--block-size", type=int, default=3)
    parser.add_argument("--embedding", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--full",
        action="store_true",
        help="also run the lecture's 200,000 steps with each engine (several minutes)",
    )
    args = parser.parse_args(argv)
    if args.steps < 1 or args.rounds < 1 or args.threads < 1:
        parser.error("--steps, --rounds and --threads must be at least 1")
    if args.threads > MAX_THREADS:  # torch segfaults on 100,000 threads, hangs on 20,000
        parser.error(f"--threads must be at most {MAX_THREADS}, not {args.threads:,}")
    return args


def print_report(report: dict[str, Any]) -> None:
    m, c, t = report["machine"], report["config"], report["throughput"]
    assert isinstance(m, dict) and isinstance(c, dict) and isinstance(t, dict)
    print(f"machine: {m['platform']}, {m['cpu_count']} CPUs, torch {m['torch']}, "
          f"numpy {m['numpy']}, {c['threads']} thread(s)")  # fmt: skip
    print(f"data: {c['data']} ({c['train_examples']:,} training examples)")
    print(f"model: block {c['block_size']}, embedding {c['embedding']}, hidden {c['hidden']}, "
          f"vocab {c['vocab_size']}; batch {c['batch_size']}; "
          f"{c['rounds']} rounds x {c['steps']} steps")  # fmt: skip
    print()
    print(f"{'loop':18s} {'steps/s':>9s} {'steps/cpu-s':>12s} {'traced MB':>10s}   rounds")
    for name, r in t["loops"].items():
        rounds = " ".join(f"{v:.0f}" for v in r["rounds_steps_per_s"])
        print(f"{name:18s} {r['steps_per_s']:9.0f} {r['steps_per_cpu_s']:12.0f} "
              f"{r['traced_peak_mb']:10.2f}   {rounds}")  # fmt: skip
    print()
    print(f"fast / lecture loop:     {t['ratio_fast_vs_lecture']:.2f}x "
          f"(median of each round's ratio: {t['ratio_fast_vs_lecture_paired']:.2f}x; "
          f"CPU time: {t['ratio_fast_vs_lecture_cpu']:.2f}x)")  # fmt: skip
    print(f"fast / trainer autograd: {t['ratio_fast_vs_trainer_autograd']:.2f}x")
    print(f"trainer autograd / lecture loop: {t['ratio_trainer_autograd_vs_lecture']:.2f}x")
    if report["peak_rss_mb"] is not None:
        print(f"peak memory of the process (ru_maxrss): {report['peak_rss_mb']:.0f} MB")
    for run in report.get("full", []):
        print(f"200,000 steps, {run['engine']:8s}: train {run['train_loss']:.4f}, "
              f"dev {run['dev_loss']:.4f}, {run['seconds']:.1f} s "
              f"({run['cpu_seconds']:.1f} CPU s)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    blas_limited = limit_threads(args.threads)
    data = args.data if args.data is not None else default_data()
    dataset = Dataset.from_file(data)
    config = ModelConfig(args.block_size, args.embedding, args.hidden, dataset.vocab.size)
    config.validate()
    examples = dataset.examples(args.block_size)
    report: dict[str, object] = {
        "machine": {**machine(), "blas_threads_limited": blas_limited},
        "config": {
            "data": str(data),
            "train_examples": int(examples.X("train").shape[0]),
            "block_size": args.block_size,
            "embedding": args.embedding,
            "hidden": args.hidden,
            "vocab_size": dataset.vocab.size,
            "batch_size": args.batch_size,
            "steps": args.steps,
            "rounds": args.rounds,
            "threads": args.threads,
        },
        "throughput": throughput(examples, config, args.batch_size, args.steps, args.rounds),
    }
    if args.full:
        report["full"] = [full_run(examples, config, engine) for engine in ("autograd", "fast")]
    report["peak_rss_mb"] = peak_rss_mb()
    if args.json:
        print(json.dumps(report, default=lambda v: None if math.isnan(v) else v))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
