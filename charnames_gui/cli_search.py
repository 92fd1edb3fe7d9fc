"""`charnames search`: the Beat-the-lecture search on the command line (core/search.py).

    charnames search ../shared/data/names.txt --budget 15 --seed 0
    charnames search --budget 15 --test --out best.safetensors   # then look at test, once

Every trial goes into the app's run history (or --runs FILE), so the window's Runs table
shows them too. The test split is evaluated only with --test, after the search, on the best
trial, and the look is counted (the run's test loss in the history; the model file's count).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from charnames_gui.cli_common import (
    check_output_path,
    check_split_seed,
    load_dataset,
    save_or_rescue,
    whole_number,
)
from charnames_gui.core.config import ENGINES
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.search import (
    SearchEnded,
    SearchSettings,
    TrialEnded,
    TrialProgress,
    TrialResult,
    TrialStarted,
)
from charnames_gui.core.search_pool import default_workers

DEFAULT_BUDGET_MINUTES = 15.0


def app_runs_path() -> Path:
    """The run history the app uses: Qt's AppDataLocation for charnames-gui (the window
    asks QStandardPaths; the CLI imports no Qt, so the same rules are written out here)."""
    from charnames_gui.core.runs import default_runs_path

    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return default_runs_path(base / "charnames-gui" / "charnames-gui")


def add_parser(sub: Any) -> None:
    search = sub.add_parser(
        "search",
        help="search for a configuration that beats the lecture's dev loss (Optuna)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    search.add_argument("data", nargs="?", help="text file, one name per line (default: bundled)")
    search.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET_MINUTES,
        help=f"minutes of search (default {DEFAULT_BUDGET_MINUTES:g})",
    )
    search.add_argument("--seed", type=whole_number, default=0, help="the sampler's seed")
    search.add_argument(
        "--trial-examples",
        type=whole_number,
        default=SearchSettings.trial_examples,
        help="minibatch rows each trial trains on (default %(default)s)",
    )
    search.add_argument("--max-trials", type=whole_number, default=SearchSettings.max_trials)
    search.add_argument(
        "--workers",
        type=whole_number,
        default=None,
        help="trials side by side, one process each (default: one per core, here "
        f"{default_workers()}); the trials a seed proposes depend on it",
    )
    search.add_argument("--split-seed", type=whole_number, default=42)
    search.add_argument("--engine", choices=list(ENGINES), default="fast")
    search.add_argument(
        "--runs", help="the run history to record the trials in (default: the app's)"
    )
    search.add_argument(
        "--test",
        action="store_true",
        help="after the search, evaluate the best trial on the test split (counted)",
    )
    search.add_argument("--out", help="save the best trial's model to this .safetensors file")
    search.add_argument("--json", action="store_true", help="one JSON object per trial, then one")
    search.set_defaults(func=cmd_search)


def _describe_trial(t: TrialResult) -> str:
    dev = f"{t.dev_loss:.4f}" if math.isfinite(t.dev_loss) else "-"
    return (
        f"trial {t.number:3d}  {t.state:8s}  dev {dev}  {t.parameters:>9,} params  "
        f"{t.seconds:6.1f} s  {t.describe()}"
    )


def _trial_json(t: TrialResult) -> dict[str, Any]:
    return {
        "trial": t.number,
        "state": t.state,
        "dev_loss": round(t.dev_loss, 4) if math.isfinite(t.dev_loss) else None,
        "train_loss": round(t.train_loss, 4) if t.train_loss is not None else None,
        "parameters": t.parameters,
        "steps": t.steps_done,
        "seconds": round(t.seconds, 2),
        "ended_at": round(t.ended_at, 2),
        "model": t.model.to_dict(),
        "train": t.train.to_dict(),
    }


def cmd_search(args: argparse.Namespace) -> int:
    from charnames_gui.core.runs import RunStore
    from charnames_gui.core.search import Search

    check_split_seed(args.split_seed)
    if not (math.isfinite(args.budget) and 0 < args.budget <= 24 * 60):
        raise ConfigError(f"--budget must be between 0 and 1,440 minutes, not {args.budget:g}")
    settings = SearchSettings(
        seed=args.seed,
        budget_seconds=args.budget * 60,
        trial_examples=args.trial_examples,
        max_trials=args.max_trials,
        engine=args.engine,
        workers=default_workers() if args.workers is None else args.workers,
    )
    settings.validate()
    dataset = load_dataset(args.data, args.split_seed)
    if args.out:
        check_output_path(Path(args.out), dataset)
    store = RunStore(Path(args.runs) if args.runs else app_runs_path())
    if store.recovery_message:
        print(store.recovery_message, file=sys.stderr)
    search = Search(dataset, settings, record=lambda record: store.add(record).id)
    out = sys.stdout
    if not args.json:
        print(
            f"{dataset.name}: {len(dataset.words):,} names; searching for {args.budget:g} min "
            f"(seed {args.seed}), {settings.trial_examples:,} examples a trial, "
            f"{settings.workers} at a time; trials go to "
            f"{store.path}",
            file=sys.stderr,
        )
    ended: SearchEnded | None = None
    best_dev = math.inf
    interrupted = False
    try:
        for event in search.stream():
            if isinstance(event, TrialStarted | TrialProgress):
                continue
            if isinstance(event, TrialEnded):
                t = event.trial
                if args.json:
                    print(json.dumps(_trial_json(t)), file=out, flush=True)
                else:
                    mark = ""
                    if t.state == "complete" and t.dev_loss < best_dev:
                        best_dev, mark = t.dev_loss, "  <- best"
                    print(_describe_trial(t) + mark, file=out, flush=True)
            elif isinstance(event, SearchEnded):
                ended = event
    except KeyboardInterrupt:
        interrupted = True
    best = search.best
    summary: dict[str, Any] = {
        "seed": args.seed,
        "workers": settings.workers,
        "trials": len(search.trials),
        "elapsed": round(ended.elapsed if ended else search.trials[-1].ended_at, 1)
        if search.trials
        else 0.0,
        "reason": ended.reason if ended else "interrupted",
        "best": _trial_json(best) if best else None,
        "best_dev": search.best_dev.to_dict() if search.best_dev else None,
        "importances": {k: round(v, 3) for k, v in (ended.importances if ended else {}).items()},
    }
    if best is not None and search.best_model is not None:
        first_below = next(
            (t for t in search.trials if t.state == "complete" and t.dev_loss <= 2.05), None
        )
        summary["time_to_2_05"] = round(first_below.ended_at, 1) if first_below else None
        if args.test:
            test_loss = search.evaluate_test()
            run_id = search.run_ids.get(best.number)
            if isinstance(run_id, int):
                store.set_test_loss(run_id, test_loss)
            looks = sum(
                1
                for r in store.list(dataset_hash=dataset.content_hash())
                if r.test_loss is not None
            )
            summary["test_loss"] = round(test_loss, 4)
            summary["test_looks_on_this_dataset"] = looks
        if args.out:
            summary["model_file"] = str(_save_best(args.out, search, dataset))
    store.close()
    if args.json:
        print(json.dumps(summary), file=out)
    else:
        _print_summary(summary, out)
    return 130 if interrupted else 0


def _save_best(out: str, search: Any, dataset: Any) -> Path:
    from charnames_gui.core.model_file import ModelFile, TestEvaluations, TrainingSummary

    best = search.best
    tests = TestEvaluations()
    if search.test_looks:
        X, Y = search.examples_for(best.model.block_size).tensors["test"]
        tests.record(dataset.content_hash(), search.best_model.loss(X, Y))
    summary = TrainingSummary(
        steps=best.steps_done,
        seconds=best.seconds,
        train_loss=best.train_loss if best.train_loss is not None else math.nan,
        dev_loss=best.dev_loss,
        train_config=best.train.to_dict(),
        dataset_name=dataset.name,
        dataset_hash=dataset.content_hash(),
        dataset_path=str(dataset.path.resolve()) if dataset.path else "",
    )
    model_file = ModelFile(search.best_model, dataset.vocab, dataset.split_seed, summary, tests)
    return save_or_rescue(Path(out), model_file)


def _print_summary(summary: dict[str, Any], out: Any) -> None:
    best = summary["best"]
    print(
        f"\n{summary['trials']} trials in {summary['elapsed']:.0f} s (ended: {summary['reason']})",
        file=out,
    )
    if best is None:
        print("No trial ran to its end: give the search more time (--budget).", file=out)
        return
    m, t = best["model"], best["train"]
    from charnames_gui.core.uncertainty import format_error

    dev = f"{best['dev_loss']:.4f}"
    if summary.get("best_dev"):
        dev += f" ± {format_error(summary['best_dev']['se'])}"
    print(
        f"best: trial {best['trial']}, dev {dev}, "
        f"{best['parameters']:,} parameters, {best['seconds']:.1f} s of training",
        file=out,
    )
    print(
        f"      block {m['block_size']}, embedding {m['n_embd']}, hidden {m['n_hidden']}, "
        f"BatchNorm {'on' if m['batchnorm'] else 'off'}; batch {t['batch_size']}, "
        f"{t['steps']:,} steps, lr {t['lr']:.4g} -> {t['lr_after']:.4g} ({t['schedule']}), "
        f"init {t['init']}, weight decay {t['weight_decay']:.3g}",
        file=out,
    )
    if summary.get("time_to_2_05") is not None:
        print(f"first dev <= 2.05 after {summary['time_to_2_05']:.0f} s of search", file=out)
    if summary["importances"]:
        ranked = ", ".join(f"{k} {v:.2f}" for k, v in summary["importances"].items())
        print(f"what mattered (Optuna PED-ANOVA importance): {ranked}", file=out)
    if summary.get("best_dev"):
        print(
            f"(± one standard error over dev's {summary['best_dev']['names']:,} names. The best "
            f"of {summary['trials']} trials was chosen because dev favoured it, so dev flatters "
            "it: the test split, looked at once, is the honest figure.)",
            file=out,
        )
    if "test_loss" in summary:
        print(
            f"test loss {summary['test_loss']:.4f} (looked at the test split "
            f"{summary['test_looks_on_this_dataset']} time(s) on this dataset)",
            file=out,
        )
    else:
        print("The test split was not looked at (--test looks once, at the end).", file=out)
