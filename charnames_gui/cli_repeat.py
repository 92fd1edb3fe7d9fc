"""`charnames repeat` and `charnames compare`: how far a loss can be trusted.

charnames repeat [train options] --seeds 8 [--json]
    one configuration with 8 seeds, trained together on all cores: each seed's train and
    dev loss with its standard error, then the mean ± sd over seeds and the 95% interval
    of the mean
charnames compare A B [--seeds 4] [--steps N]
    A and B are model files, run ids of the app's history (12, or run:12) or preset
    names; the difference of their dev losses with a 95% interval, in a sentence
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from charnames_gui.cli_common import (
    ProgressBar,
    check_split_seed,
    dataset_of,
    load_dataset,
    train_configs,
)
from charnames_gui.core.compare import Comparison, compare_examples, compare_seeds
from charnames_gui.core.errors import ConfigError, DatasetError
from charnames_gui.core.stats import MAX_REPEATS, repeat_seeds

DEFAULT_SEEDS = 5


def add_parsers(sub: argparse._SubParsersAction, train: argparse.ArgumentParser) -> None:
    """Register `repeat` (every option of `train` but --out, plus --seeds) and `compare`."""
    repeat = sub.add_parser(
        "repeat",
        help="train one configuration with several seeds at once: each loss with its error, "
        "and the mean ± sd over seeds",
    )
    # the train command's options, as they are (a flag added to train is taken here too)
    for action in train._actions:
        if action.dest not in ("help", "out", "json"):
            repeat._add_action(action)
    repeat.add_argument(
        "--seeds", type=int, default=DEFAULT_SEEDS,
        help=f"how many seeds (default {DEFAULT_SEEDS}; the first is --seed itself)",
    )  # fmt: skip
    repeat.add_argument(
        "--processes", type=int, default=None,
        help="training processes the seeds are shared among (default: one per core)",
    )  # fmt: skip
    repeat.add_argument("--json", action="store_true", help="print one JSON object at the end")
    repeat.set_defaults(func=cmd_repeat)

    compare = sub.add_parser(
        "compare",
        help="is B better than A? the difference of dev losses with a 95%% interval",
    )
    compare.add_argument("a", help="a model file, a run id of the app's history, or a preset")
    compare.add_argument("b", help="the same for B")
    compare.add_argument("data", nargs="?", help="for presets: the dataset (default: bundled)")
    compare.add_argument(
        "--seeds", type=int, default=4, help="for presets: seeds trained of each (default 4)"
    )
    compare.add_argument("--steps", type=int, help="for presets: fewer steps than the preset's")
    compare.add_argument("--seed", type=int, default=None, help="for presets: the first seed")
    compare.add_argument("--split-seed", type=int, default=42)
    compare.add_argument(
        "--runs", help="the app's run history (default: its own runs.db in the data folder)"
    )
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(func=cmd_compare)


# -- repeat -------------------------------------------------------------------------------
def cmd_repeat(args: argparse.Namespace) -> int:
    from charnames_gui.core.repeat import train_seeds

    check_split_seed(args.split_seed)
    if not 1 <= args.seeds <= MAX_REPEATS:
        raise ConfigError(f"--seeds must be between 1 and {MAX_REPEATS}, not {args.seeds}")
    if args.steps == 0:
        raise ConfigError("--steps 0 trains nothing; give at least one step")
    dataset = load_dataset(args.data, args.split_seed)
    model_config, config = train_configs(args, dataset.vocab.size)
    model_config.validate()
    config.validate()
    seeds = repeat_seeds(config.seed, args.seeds)
    bar = ProgressBar(config.steps, sys.stderr, enabled=sys.stderr.isatty())

    def progress(step: int, total: int, last: np.ndarray) -> None:
        finite = last[np.isfinite(last)]
        bar.update(
            step * config.steps // max(total, 1), float(finite.mean()) if len(finite) else math.nan
        )

    if not args.json:
        print(
            f"{dataset.name}: {len(dataset.words):,} names; {len(seeds)} seeds of "
            f"{config.steps:,} steps", file=sys.stderr,
        )  # fmt: skip
    try:
        result = train_seeds(dataset, model_config, config, seeds, progress, None,
                             args.processes)  # fmt: skip
    finally:
        bar.close()
    if result.note:
        print(result.note, file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    where = f"{result.processes} processes" if result.processes > 1 else "one process"
    how = f"together in {where}" if result.stacked else "one after another"
    rate = sum(r.steps for r in result.seeds) / result.seconds if result.seconds else 0.0
    print(f"{len(seeds)} seeds trained {how} in {result.seconds:.1f} s ({rate:,.0f} model-steps/s)")
    for r in result.seeds:
        end = f"  (diverged at step {r.diverged_at:,})" if r.diverged_at else ""
        print(f"seed {r.seed:>10}  train {r.train.format()}  dev {r.dev.format()}{end}")
    print(result.summary())
    return 0


# -- compare ------------------------------------------------------------------------------
@dataclass
class Side:
    """What one argument of compare stands for."""

    name: str
    dev: list[float]  # dev loss of each seed
    seeds: list[int]
    example_losses: np.ndarray | None = None  # a model file's per-example dev losses
    sizes: np.ndarray | None = None  # and the examples of each dev name
    dataset_hash: str = ""
    split_seed: int = 42


def default_runs_path() -> Path:
    """The app's run history: QStandardPaths' AppDataLocation on Linux, without Qt."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "charnames-gui" / "charnames-gui" / "runs.db"


def _run_id(text: str) -> int | None:
    body = text[4:] if text.lower().startswith("run:") else text
    return int(body) if body.isdigit() else None


def _side(text: str, args: argparse.Namespace, cache: dict[str, object]) -> Side:
    from charnames_gui.core.presets import PRESETS, preset_by_name

    if Path(text).is_file():
        return _model_side(text, args)
    run_id = _run_id(text)
    if run_id is not None:
        return _run_side(run_id, args)
    try:
        preset = preset_by_name(text)
    except KeyError:
        names = ", ".join(f"'{p.name}'" for p in PRESETS)
        raise ConfigError(
            f"{text!r} is not a model file, a run id or a preset; the presets are {names}"
        ) from None
    return _preset_side(preset, args, cache)


def _model_side(path: str, args: argparse.Namespace) -> Side:
    from charnames_gui.core.checkpoint import load_model
    from charnames_gui.core.model_dataset import compare as compare_dataset
    from charnames_gui.core.uncertainty import example_losses, name_sizes

    model_file = load_model(path)
    ns = argparse.Namespace(model=path, data=None)
    dataset = dataset_of(ns, model_file)
    match = compare_dataset(model_file, dataset)
    if not match.same:
        raise DatasetError(f"{Path(path).name}: {match.message}")
    X, Y = dataset.examples(model_file.model.config.block_size).tensors["dev"]
    losses = example_losses(model_file.model, X, Y)
    seed = model_file.training.train_config.get("seed", -1)
    seed = seed if isinstance(seed, int) else -1
    return Side(
        Path(path).name, [float(losses.mean())], [seed], losses, name_sizes(dataset.split.dev),
        dataset.content_hash(), dataset.split_seed,
    )  # fmt: skip


def _run_side(run_id: int, args: argparse.Namespace) -> Side:
    from charnames_gui.core.runs import RunStore

    path = Path(args.runs) if args.runs else default_runs_path()
    if not path.is_file():
        raise ConfigError(f"There is no run history at {path}; give it with --runs")
    with RunStore(path) as store:
        record = store.get(run_id)
        if record is None:
            raise ConfigError(f"The run history {path} has no run {run_id}")
        group = store.list(group_id=record.group_id) if record.group_id else [record]
    done = [r for r in group if r.dev_loss is not None and r.status == "finished"]
    if not done:
        raise ConfigError(f"Run {run_id} has no finished dev loss to compare")
    name = f"run {run_id}" + (f" (repeat of {len(done)} seeds)" if len(done) > 1 else "")
    return Side(
        name, [float(r.dev_loss) for r in done if r.dev_loss is not None],
        [r.train.seed for r in done], None, None, record.dataset_hash, record.split_seed,
    )  # fmt: skip


def _preset_side(preset: object, args: argparse.Namespace, cache: dict[str, object]) -> Side:
    from charnames_gui.core.compare_presets import preset_training
    from charnames_gui.core.repeat import train_seeds

    if "dataset" not in cache:
        check_split_seed(args.split_seed)
        cache["dataset"] = load_dataset(args.data, args.split_seed)
    dataset = cache["dataset"]
    model_config = preset.model_config(dataset.vocab.size)  # type: ignore[attr-defined]
    config = preset_training(preset, args.steps, args.seed)  # type: ignore[arg-type]
    if not 1 <= args.seeds <= MAX_REPEATS:
        raise ConfigError(f"--seeds must be between 1 and {MAX_REPEATS}, not {args.seeds}")
    seeds = repeat_seeds(config.seed, args.seeds)
    name = preset.name  # type: ignore[attr-defined]
    print(f"training {name!r}: {len(seeds)} seeds of {config.steps:,} steps", file=sys.stderr)
    result = train_seeds(dataset, model_config, config, seeds)  # type: ignore[arg-type]
    done = [r for r in result.seeds if not r.diverged_at]
    return Side(
        name, [r.dev.loss for r in done], [r.seed for r in done], None, None,
        dataset.content_hash(), dataset.split_seed,  # type: ignore[attr-defined]
    )  # fmt: skip


def comparison_of(a: Side, b: Side) -> Comparison:
    if a.dataset_hash and b.dataset_hash and a.dataset_hash != b.dataset_hash:
        raise DatasetError(
            f"{a.name} and {b.name} were trained on different datasets: their dev losses "
            "do not compare"
        )
    if a.split_seed != b.split_seed:
        raise DatasetError(
            f"{a.name} and {b.name} have different splits (split seeds {a.split_seed} and "
            f"{b.split_seed}): their dev sets are not the same names"
        )
    if a.example_losses is not None and b.example_losses is not None and a.sizes is not None:
        # the same dataset and split: the same dev names, in the same order
        return compare_examples(a.example_losses, b.example_losses, a.sizes, a.name, b.name)
    if not a.dev or not b.dev:
        raise ConfigError("Every seed diverged on one side: there is nothing to compare")
    return compare_seeds(a.dev, b.dev, a.name, b.name, a.seeds, b.seeds)


def cmd_compare(args: argparse.Namespace) -> int:
    cache: dict[str, object] = {}
    a = _side(args.a, args, cache)
    b = _side(args.b, args, cache)
    result = comparison_of(a, b)
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    for side, mean in ((a, result.mean_a), (b, result.mean_b)):
        print(
            f"{side.name}: dev {mean:.4f}"
            + (f" ({len(side.dev)} seeds)" if len(side.dev) > 1 else "")
        )
    print(result.sentence() + ".")
    print(f"({result.method}; 95% interval of {b.name} minus {a.name}; lower loss is better)")
    if result.unit != "seeds":
        print(
            "This compares these two trained models on the dev names. Whether their settings "
            "differ needs several seeds of each: charnames compare PRESET_A PRESET_B"
        )
    return 0
