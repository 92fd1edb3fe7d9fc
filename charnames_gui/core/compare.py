"""Is B better than A? The difference of two settings' dev losses with a 95% interval, and
a sentence a learner can act on.

Two ways to compare, by what is known:

- **Settings, over seeds** (compare_seeds): each setting trained with several seeds gives
  one dev loss per seed. When both used the same seeds, seed k of A and seed k of B drew
  the same minibatch order (same batch size) and, for the same shapes, the same initial
  weights: pairing by seed removes what the seed does alike to both, and a paired t
  interval is used; otherwise Welch's t interval (no equal-variance assumption). Both come
  from scipy.stats. The question answered is "would B beat A with another seed too?".
- **Two trained models, over examples** (compare_examples): the two models' losses on the
  same dev examples, paired example by example, with the standard error clustered by name
  (core/uncertainty.py). It answers "is this model better than that one on names like
  these?", not "is this setting better": another seed can change that.

Lower loss is better. Only dev losses go in: the test split stays untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from charnames_gui.core.runs import RunRecord

CONFIDENCE = 0.95
MAX_SEEDS_SUGGESTED = 1000  # beyond this the difference is too small to chase with seeds


@dataclass(frozen=True)
class Comparison:
    """B's dev loss minus A's, with a 95% interval (negative: B is better)."""

    name_a: str
    name_b: str
    difference: float  # mean(B) - mean(A)
    low: float  # the 95% interval of the difference
    high: float
    n_a: int  # seeds (or examples) of each
    n_b: int
    method: str  # how the interval was made, in words
    unit: str = "seeds"  # "seeds" or "dev examples"
    mean_a: float = math.nan
    mean_b: float = math.nan
    spread: float = math.nan  # sd of one seed's difference (paired) or sqrt(var_a + var_b)
    paired: bool = False

    @property
    def seeds_needed(self) -> int | None:
        """Seeds each for the 95% interval to exclude 0 if the difference and spread were
        what was observed (None: more than MAX_SEEDS_SUGGESTED, or not by seeds)."""
        if self.unit != "seeds" or not math.isfinite(self.spread):
            return None
        if self.paired:
            return _seeds_needed(self.difference, self.spread, lambda n: n - 1)
        return _seeds_needed(self.difference, self.spread, lambda n: 2 * (n - 1))

    @property
    def decided(self) -> bool:
        """True when the interval excludes 0: one of the two is better."""
        return self.high < 0 or self.low > 0

    @property
    def better(self) -> str | None:
        """The name of the better one, or None when they cannot be told apart."""
        if self.high < 0:
            return self.name_b
        if self.low > 0:
            return self.name_a
        return None

    def _counts(self) -> str:
        if self.unit != "seeds":
            return f"{self.n_a:,} {self.unit}, paired"
        if self.n_a == self.n_b:
            return f"{self.n_a} seed{'s' if self.n_a != 1 else ''} each"
        return f"{self.n_a} and {self.n_b} seeds"

    def sentence(self) -> str:
        """'B is better by 0.021 (0.012 to 0.030), 8 seeds each', or why it cannot tell."""
        d, low, high = self.difference, self.low, self.high
        if not (math.isfinite(low) and math.isfinite(high)):
            return (
                f"Cannot tell {self.name_a} and {self.name_b} apart with {self._counts()}: "
                f"{self.name_b} minus {self.name_a} is {d:+.3f}, but at least 2 seeds of "
                "each are needed to see how much a loss moves from seed to seed"
            )
        if self.high < 0:
            return (
                f"{self.name_b} is better by {-d:.3f} ({-high:.3f} to {-low:.3f}), {self._counts()}"
            )
        if self.low > 0:
            return f"{self.name_a} is better by {d:.3f} ({low:.3f} to {high:.3f}), {self._counts()}"
        text = (
            f"Cannot tell {self.name_a} and {self.name_b} apart with {self._counts()}: "
            f"{self.name_b} minus {self.name_a} is {d:+.3f} ({low:+.3f} to {high:+.3f})"
        )
        if self.unit == "seeds":
            if self.seeds_needed is not None:
                text += (
                    f"; about {self.seeds_needed} seeds each would tell a difference this "
                    "large apart"
                )
            else:
                text += (
                    f"; a difference this small would take more than {MAX_SEEDS_SUGGESTED:,} "
                    "seeds each to tell apart"
                )
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "a": self.name_a,
            "b": self.name_b,
            "mean_a": _round(self.mean_a),
            "mean_b": _round(self.mean_b),
            "difference": _round(self.difference),
            "low": _round(self.low),
            "high": _round(self.high),
            "confidence": CONFIDENCE,
            "n_a": self.n_a,
            "n_b": self.n_b,
            "method": self.method,
            "unit": self.unit,
            "better": self.better,
            "seeds_needed": self.seeds_needed,
            "sentence": self.sentence(),
        }


def _round(x: float) -> float | None:
    return round(x, 6) if math.isfinite(x) else None


def compare_seeds(
    a: Sequence[float],
    b: Sequence[float],
    name_a: str = "A",
    name_b: str = "B",
    seeds_a: Sequence[int] | None = None,
    seeds_b: Sequence[int] | None = None,
) -> Comparison:
    """The dev losses of two settings, one per seed. Paired by seed when both have the same
    seeds (in any order), Welch's t otherwise."""
    va = np.asarray([float(x) for x in a], dtype=np.float64)
    vb = np.asarray([float(x) for x in b], dtype=np.float64)
    if len(va) == 0 or len(vb) == 0 or not (np.isfinite(va).all() and np.isfinite(vb).all()):
        raise ValueError("Each side needs at least one finite dev loss")
    d = float(vb.mean() - va.mean())
    paired = (
        seeds_a is not None
        and seeds_b is not None
        and len(seeds_a) == len(va)
        and len(seeds_b) == len(vb)
        and sorted(seeds_a) == sorted(seeds_b)
        and len(set(seeds_a)) == len(seeds_a)
    )

    def result(low: float, high: float, method: str, spread: float = math.nan) -> Comparison:
        return Comparison(
            name_a=name_a, name_b=name_b, difference=d, low=low, high=high,
            n_a=len(va), n_b=len(vb), method=method, mean_a=float(va.mean()),
            mean_b=float(vb.mean()), spread=spread, paired=method.startswith("paired"),
        )  # fmt: skip

    if paired and len(va) >= 2:
        assert seeds_a is not None and seeds_b is not None
        order_b = {s: i for i, s in enumerate(seeds_b)}
        vb_paired = vb[[order_b[s] for s in seeds_a]]
        diffs = vb_paired - va
        if float(np.ptp(diffs)) == 0.0:  # no spread at all: the interval is the point
            return result(d, d, "paired by seed")
        ci = stats.ttest_rel(vb_paired, va).confidence_interval(CONFIDENCE)
        method = f"paired t over {len(va)} seeds"
        return result(float(ci.low), float(ci.high), method, float(diffs.std(ddof=1)))
    if len(va) < 2 or len(vb) < 2:
        return result(math.nan, math.nan, "too few seeds")
    ci = stats.ttest_ind(vb, va, equal_var=False).confidence_interval(CONFIDENCE)
    spread = math.sqrt(float(va.var(ddof=1) + vb.var(ddof=1)))
    return result(float(ci.low), float(ci.high), "Welch's t", spread)


def _seeds_needed(d: float, spread: float, df_at: Callable[[np.ndarray], np.ndarray]) -> int | None:
    """The smallest n whose 95% interval half-width t(df(n)) * spread / sqrt(n) is below |d|:
    a planning estimate that takes the observed difference and spread as the truth."""
    if d == 0 or not math.isfinite(d):
        return None
    n = np.arange(2, MAX_SEEDS_SUGGESTED + 1)
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, df_at(n)) * spread / np.sqrt(n)
    enough = np.flatnonzero(half < abs(d))
    return int(n[enough[0]]) if len(enough) else None


def compare_examples(
    losses_a: np.ndarray,
    losses_b: np.ndarray,
    sizes: np.ndarray,
    name_a: str = "A",
    name_b: str = "B",
) -> Comparison:
    """Two models' per-example dev losses on the same examples (same order), paired by
    example; the interval uses the standard error clustered by name (sizes: examples per
    name) and Student's t with names - 1 degrees of freedom."""
    from charnames_gui.core.uncertainty import clustered_mean  # torch-backed

    la, lb = np.asarray(losses_a, np.float64), np.asarray(losses_b, np.float64)
    if la.shape != lb.shape:
        raise ValueError("The two models must be evaluated on the same examples")
    est = clustered_mean(lb - la, sizes)
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, max(est.names - 1, 1))) * est.se
    return Comparison(
        name_a=name_a,
        name_b=name_b,
        difference=est.loss,
        low=est.loss - half,
        high=est.loss + half,
        n_a=est.examples,
        n_b=est.examples,
        method=f"paired over {est.examples:,} dev examples, clustered by {est.names:,} names",
        unit="dev examples",
        mean_a=float(la.mean()),
        mean_b=float(lb.mean()),
    )


def compare_runs(
    a: Sequence[RunRecord], b: Sequence[RunRecord], name_a: str = "A", name_b: str = "B"
) -> Comparison:
    """Two sets of recorded runs (a repeat's seeds, or a single run), by their dev losses:
    compare_seeds, paired when both have the same seeds. Only finished runs count. Raises
    ValueError, in a learner's words, when the two cannot be compared at all."""
    done_a = [r for r in a if _finished(r)]
    done_b = [r for r in b if _finished(r)]
    for name, done in ((name_a, done_a), (name_b, done_b)):
        if not done:
            raise ValueError(
                f"{name} has no run that finished its steps with a dev loss: a run ended "
                "early (or one that diverged) is not its settings' result"
            )
    splits = {(r.dataset_hash, r.split_seed) for r in done_a + done_b}
    if len(splits) > 1:
        raise ValueError(
            "These runs were measured on different dev splits (another dataset or split "
            "seed): their dev losses do not compare. Pick runs on the same dataset and split."
        )
    return compare_seeds(
        [float(r.dev_loss or 0.0) for r in done_a], [float(r.dev_loss or 0.0) for r in done_b],
        name_a, name_b, [r.train.seed for r in done_a], [r.train.seed for r in done_b],
    )  # fmt: skip


def _finished(r: RunRecord) -> bool:
    return r.status == "finished" and r.dev_loss is not None and math.isfinite(r.dev_loss)
