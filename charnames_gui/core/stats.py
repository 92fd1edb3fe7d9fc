"""How much a loss value means: the same configuration trained with K seeds.

Two runs that differ only in their seed (initial parameters and minibatch order) end with
different dev losses. Reporting mean ± sample standard deviation over K seeds shows how much
of a difference between two configurations is just that noise.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

MAX_REPEATS = 50  # seeds in one K-seed repeat: the app's dialog and repeat_seeds
SEED_LIMIT = 2**31  # repeat seeds are below this: readable, like the lecture's 2147483647


@dataclass(frozen=True)
class SeedStats:
    values: tuple[float, ...]  # the finite losses used
    skipped: int  # runs without a finite loss (stopped before evaluating, diverged)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values) if self.values else math.nan

    @property
    def std(self) -> float:
        """Sample standard deviation (divides by n - 1); NaN for fewer than two values."""
        return statistics.stdev(self.values) if len(self.values) >= 2 else math.nan

    def format(self, digits: int = 3) -> str:
        """'2.170 ± 0.006 (5 seeds)'; '2.170 (1 seed)'; 'no finished runs'."""
        if not self.values:
            text = "no finished runs"
        elif self.n == 1:
            text = f"{self.mean:.{digits}f} (1 seed)"
        else:
            text = f"{self.mean:.{digits}f} ± {self.std:.{digits}f} ({self.n} seeds)"
        if self.skipped:
            text += f", {self.skipped} without a loss"
        return text


def seed_stats(losses: Iterable[float | None]) -> SeedStats:
    """Statistics of the finite values among losses (None, NaN and inf are counted as
    skipped: a diverged run has no meaningful loss to average)."""
    values: list[float] = []
    skipped = 0
    for loss in losses:
        if loss is not None and math.isfinite(loss):
            values.append(float(loss))
        else:
            skipped += 1
    return SeedStats(tuple(values), skipped)


def repeat_seeds(base_seed: int, k: int) -> list[int]:
    """K distinct seeds for repeating one configuration, the same for the same base seed.

    The first is base_seed itself, so repeat 1 is the run the user already knows. The others
    come from numpy's SeedSequence(base_seed): well spread, never neighbours. (Neighbouring
    seeds would be a poor choice here: the trainer seeds its minibatch stream with seed + 1,
    the same number that would seed the next repeat's initial parameters.)
    """
    if not 1 <= k <= MAX_REPEATS:
        raise ValueError(f"The number of seeds must be between 1 and {MAX_REPEATS}, not {k}")
    if base_seed < 0:
        raise ValueError("The seed must not be negative")
    seeds = [int(base_seed)]
    sequence = np.random.SeedSequence(base_seed)
    while len(seeds) < k:
        for value in sequence.generate_state(k, dtype=np.uint32):
            seed = int(value) % SEED_LIMIT
            if seed not in seeds and len(seeds) < k:
                seeds.append(seed)
        sequence = sequence.spawn(1)[0]  # on the rare collision: more numbers, still fixed
    return seeds


def format_error(se: float) -> str:
    """Three decimals, as the losses are compared ('0.006', '0.016'); below 0.001 two
    significant digits ('0.00042')."""
    if not math.isfinite(se):
        return "?"
    if se == 0:
        return "0"
    decimals = 3 if abs(se) >= 0.001 else 1 - math.floor(math.log10(abs(se)))
    return f"{se:.{decimals}f}"
