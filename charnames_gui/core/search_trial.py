"""One trial of the Beat-the-lecture search, as a plain function of its plan.

A trial trains one configuration, measures dev a few times on the way (its "marks"), and
stops early when the pruner says it is hopeless. The function knows nothing of Optuna or of
processes, so the same code runs in the search's own thread (one trial at a time) and in a
worker process (several trials side by side, core/search_pool.py).

Pruning is Optuna's MedianPruner rule, decided from thresholds computed before the trial
starts: at mark i, a trial whose best dev loss so far is worse than the median of the
*complete* trials' dev losses at mark i is pruned (Optuna's PercentilePruner compares with
complete trials only, so the thresholds cannot change while a batch of trials runs; the
test checks the rule against `optuna.pruners.MedianPruner` itself).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.errors import TrainingDiverged
from charnames_gui.core.runs import MAX_CURVE_POINTS

if TYPE_CHECKING:
    from charnames_gui.core.examples import SplitTensors
    from charnames_gui.core.model import MLP

TrialState = Literal["complete", "pruned", "diverged", "stopped"]


@dataclass(frozen=True)
class TrialPlan:
    """What a trial trains and when it gives up; plain data, so it crosses to a process."""

    number: int
    model: ModelConfig
    train: TrainConfig
    marks: tuple[int, ...]  # the steps after which dev is measured (the pruner's points)
    # at mark i, prune when the best dev so far is above thresholds[i] (nan: never)
    thresholds: tuple[float, ...]
    deadline: float  # time.monotonic() at which the search's budget ends (same clock in
    # every process of this machine)


@dataclass(frozen=True)
class TrialOutcome:
    number: int
    state: TrialState
    dev_curve: tuple[tuple[int, float], ...]  # (step, dev loss) at each mark reached
    train_loss: float | None  # whole train split, for a trial that ran to its end
    steps_done: int
    seconds: float  # training only
    curve_steps: np.ndarray  # the per-step losses, downsampled (core.search)
    curve_loss: np.ndarray
    out_of_time: bool  # stopped by the budget (rather than by the learner)


def downsampled_curve(losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(steps, mean loss) of at most MAX_CURVE_POINTS buckets of the per-step losses."""
    n = len(losses)
    if n == 0:
        return np.empty(0, np.float32), np.empty(0, np.float32)
    bucket = max(1, math.ceil(n / MAX_CURVE_POINTS))
    m = n // bucket * bucket
    means = losses[:m].reshape(-1, bucket).mean(axis=1)
    steps = np.arange(1, len(means) + 1) * bucket
    if m < n:  # the last, partial bucket
        means = np.append(means, losses[m:].mean())
        steps = np.append(steps, n)
    return steps.astype(np.float32), means.astype(np.float32)


def eval_marks(steps: int, eval_points: int) -> tuple[int, ...]:
    """Dev after each eval_points-th of the steps."""
    return tuple(sorted({max(1, round(steps * (i + 1) / eval_points)) for i in range(eval_points)}))


def median_thresholds(
    complete_curves: Sequence[Sequence[float]], points: int, startup_trials: int
) -> tuple[float, ...]:
    """The MedianPruner's bar at each of `points` marks: the median dev loss of the complete
    trials at that mark (nan, never prune, before startup_trials trials are complete or where
    none measured it). complete_curves: each complete trial's dev losses, mark by mark."""
    if len(complete_curves) < startup_trials:
        return (math.nan,) * points
    bars = []
    for i in range(points):
        values = [c[i] for c in complete_curves if len(c) > i and math.isfinite(c[i])]
        bars.append(float(np.median(values)) if values else math.nan)
    return tuple(bars)


def should_prune(devs_so_far: Sequence[float], threshold: float) -> bool:
    """Optuna's PercentilePruner: the trial's best intermediate value against the bar."""
    if math.isnan(threshold) or not devs_so_far:
        return False
    return min(devs_so_far) > threshold


# (step, steps, dev loss) at each mark
Progress = tuple[int, int, float]


def run_trial(
    examples: SplitTensors, plan: TrialPlan, should_stop: Callable[[], bool]
) -> Generator[Progress, None, tuple[TrialOutcome, MLP]]:
    """Train plan's trial, yielding (step, steps, dev) at each mark; returns (with `yield
    from`) the outcome and the trained model."""
    from charnames_gui.core.model import MLP
    from charnames_gui.core.training import Trainer

    model = MLP.init(plan.model, plan.train.init, plan.train.seed)
    trainer = Trainer(model, examples, plan.train)
    out_of_time = False

    def stop_now() -> bool:
        nonlocal out_of_time
        if time.monotonic() > plan.deadline:
            out_of_time = True
        return out_of_time or should_stop()

    losses: list[np.ndarray] = []
    dev_curve: list[tuple[int, float]] = []
    state: TrialState = "complete"
    for index, mark in enumerate(plan.marks):
        try:
            while trainer.step < mark and not stop_now():
                losses.append(trainer.run(mark - trainer.step, stop_now, 0.2))
        except TrainingDiverged as exc:
            losses.append(getattr(exc, "losses", np.empty(0, np.float32)))
            state = "diverged"
            break
        if trainer.step < mark:  # out of time, or the learner stopped the search
            state = "stopped"
            break
        dev = trainer.evaluate("dev")
        dev_curve.append((trainer.step, dev))
        yield trainer.step, plan.train.steps, dev
        if not math.isfinite(dev):
            state = "diverged"
            break
        threshold = plan.thresholds[index] if index < len(plan.thresholds) else math.nan
        if should_prune([d for _, d in dev_curve], threshold):
            state = "pruned"
            break
    steps, curve = downsampled_curve(np.concatenate(losses) if losses else np.empty(0, np.float32))
    outcome = TrialOutcome(
        number=plan.number,
        state=state,
        dev_curve=tuple(dev_curve),
        train_loss=trainer.evaluate("train") if state == "complete" else None,
        steps_done=trainer.step,
        seconds=trainer.seconds,
        curve_steps=steps,
        curve_loss=curve,
        out_of_time=out_of_time,
    )
    return outcome, model
