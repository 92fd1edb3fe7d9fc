"""Reading the learning-rate sweep (the lecture's lr finder): a moving average of the losses,
and the learning rate where it is lowest. numpy only: the LR-finder view draws the same curve
the suggestion reads.
"""

from __future__ import annotations

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
