"""Reading the learning-rate sweep (the lecture's lr finder): a moving average of the losses,
and the learning rate where it is lowest. numpy only: the LR-finder view draws the same curve
the suggestion reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def sweep_window(n_points: int) -> int:
    """Points in the moving average that reads a sweep of n_points: 50 for the lecture's
    1,000, fewer for a short sweep (the view draws the same curve the suggestion reads)."""
    return max(1, min(50, n_points // 5))


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Centered mean over `window` points (shorter at the ends), for reading the trend."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0 or window <= 1:
        return values.copy()
    kernel = np.ones(window)
    sums = np.convolve(values, kernel, mode="same")
    counts = np.convolve(np.ones(len(values)), kernel, mode="same")
    return sums / counts


def suggest_lr(pairs: list[tuple[float, float]]) -> float | None:
    """The lecture's reading of the sweep: the lr where the (smoothed) loss is lowest.
    Only points whose average has its full window count (the ends average fewer points)."""
    if len(pairs) < 3:
        return None
    losses = np.array([loss for _, loss in pairs], dtype=np.float64)
    w = sweep_window(len(losses))
    smoothed = moving_average(losses, w)  # (len,)
    low, high = w // 2, len(losses) - 1 - (w - 1) // 2  # the full-window points
    best = low + int(np.argmin(smoothed[low : high + 1]))
    return float(pairs[best][0])


# -- a sweep of K seeds (core/stacked_sweep.py): losses (steps, K), NaN once blown up --
def finite_prefix(losses: np.ndarray) -> int:
    """Steps before the first loss that is not finite (a sweep's curve ends there)."""
    bad = np.flatnonzero(~np.isfinite(losses))
    return int(bad[0]) if len(bad) else len(losses)


def seed_suggestions(lrs: np.ndarray, losses: np.ndarray) -> list[float | None]:
    """Each seed's suggested lr: suggest_lr of its curve (losses (n, K))."""
    out: list[float | None] = []
    for k in range(losses.shape[1]):
        end = finite_prefix(losses[:, k])
        out.append(suggest_lr(list(zip(lrs[:end].tolist(), losses[:end, k].tolist(), strict=True))))
    return out


def mean_curve(losses: np.ndarray) -> np.ndarray:
    """The mean over seeds of each step's loss, up to the first step where any seed has
    no loss: (m,) with m <= n."""
    end = min((finite_prefix(losses[:, k]) for k in range(losses.shape[1])), default=0)
    return losses[:end].mean(axis=1)


def suggest_from_seeds(lrs: np.ndarray, losses: np.ndarray) -> float | None:
    """The suggestion of the mean curve (suggest_lr's reading, over the seeds' mean)."""
    mean = mean_curve(losses)
    return suggest_lr(list(zip(lrs[: len(mean)].tolist(), mean.tolist(), strict=True)))


# -- the hover readout: what the drawn curves say at one learning rate ---------------------
@dataclass(frozen=True)
class SweepReading:
    """The sweep's curves at the step nearest the pointer. With K seeds: each seed's
    moving average (NaN once that seed blew up) and the mean of the seeds (the bold curve;
    None beyond its end). With one seed: that step's loss and the moving average."""

    x: float  # log10(lr) of the step read
    losses: tuple[float, ...]  # (K,) each seed's moving average; (1,) the step's own loss
    mean: float | None  # the bold curve there

    @property
    def lr(self) -> float:
        return float(10**self.x)

    def lines(self) -> list[str]:
        """Plain text, a few seeds a line so the readout stays small over the plot."""
        lines = [f"lr = {self.lr:.3g} = 10^{self.x:.2f}   (log10 lr = {self.x:.2f})"]
        if len(self.losses) == 1:
            lines.append(f"loss at this step: {_loss(self.losses[0])}")
            if self.mean is not None:
                lines.append(f"moving average: {self.mean:.3f}")
            return lines
        k = len(self.losses)
        mean = f"{self.mean:.3f}" if self.mean is not None else "ended (a seed blew up)"
        lines.append(f"mean of {k} seeds: {mean}")
        # numbered as in the band (seed 1 is the learner's own seed, the raw steps drawn)
        cells = [f"seed {i + 1}: {_loss(v)}" for i, v in enumerate(self.losses)]
        cells[0] = cells[0].replace("seed 1", "seed 1 (yours)")
        per_line = 2 if k <= 4 else 3
        lines += ["   ".join(cells[i : i + per_line]) for i in range(0, k, per_line)]
        return lines

    def text(self) -> str:
        return "\n".join(self.lines())


def _loss(value: float) -> str:
    return f"{value:.3f}" if np.isfinite(value) else "blew up"


def _nearest(xs: np.ndarray, x: float) -> int:
    """Index of the value of the increasing xs nearest x (xs not empty)."""
    i = int(np.searchsorted(xs, x))
    if i <= 0:
        return 0
    if i >= len(xs):
        return len(xs) - 1
    return i if xs[i] - x < x - xs[i - 1] else i - 1


def read_sweep(
    x: float,
    xs: np.ndarray,
    curves: np.ndarray,
    mean_x: np.ndarray,
    mean: np.ndarray,
) -> SweepReading | None:
    """The reading at the step nearest log10(lr) = x. xs (m,) increasing log10(lr) of the
    steps; curves (m, K): each seed's drawn curve (K = 1: the single sweep's losses); mean_x,
    mean (m',): the bold curve, m' <= m. None when there is nothing drawn."""
    if len(xs) == 0 or curves.ndim != 2 or curves.shape[0] < len(xs):
        return None
    i = _nearest(xs, x)
    row = tuple(float(v) for v in curves[i])
    value: float | None = None
    if len(mean_x) and mean_x[0] - 1e-12 <= xs[i] <= mean_x[-1] + 1e-12:
        value = float(mean[_nearest(mean_x, float(xs[i]))])
    return SweepReading(float(xs[i]), row, value)
