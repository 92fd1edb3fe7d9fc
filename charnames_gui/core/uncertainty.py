"""How much one loss value can be trusted: its standard error over the examples.

A split's loss is the mean of one number per example, -log p(next character | context).
If the examples were independent draws, its standard error would be std / sqrt(N). They
are not: the examples of one name share its letters and its contexts (the examples of
"emma" are ".." -> e, ".e" -> m, "em" -> m, ...), so a name that the model finds hard
makes several losses large at once. The honest unit of sampling is the name: the split was
made by shuffling names (core/data.py), and another split would have drawn other names.

So the standard error here is the cluster-robust one, with a cluster per name (the
"sandwich" estimate of econometrics, CR1). With T_g the sum of the losses of name g,
n_g its number of examples (len(name) + 1), N = sum n_g, G names and mean m:

    SE(m)^2 = G / (G - 1) * sum_g (T_g - n_g * m)^2 / N^2

It is what a bootstrap over names (resample whole names with replacement, recompute the
mean) converges to, without its thousands of resamples; tests/core/test_uncertainty.py
checks the two agree, and that the formula covers the truth on simulated clustered data
where std / sqrt(N) is too small. On names.txt the clustered error is about 1.3x the naive
one (the examples of one name move together).

This error is the uncertainty of the loss of *this* model on *this* split. It does not say
how much another seed would change the loss: core/compare.py uses several seeds for that.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from charnames_gui.core.model import MLP, eval_slice_rows
from charnames_gui.core.stats import format_error


@dataclass(frozen=True)
class LossEstimate:
    """The mean loss over a split's examples and its standard error (clustered by name)."""

    loss: float
    se: float  # standard error of `loss`, clustered by name
    naive_se: float  # std / sqrt(N): what treating the examples as independent would say
    examples: int
    names: int

    def format(self, digits: int = 4) -> str:
        """'2.1662 ± 0.006': the error with one or two significant digits."""
        return f"{self.loss:.{digits}f} ± {format_error(self.se)}"

    def to_dict(self) -> dict[str, float | int]:
        return {
            "loss": round(self.loss, 6),
            "se": round(self.se, 6),
            "naive_se": round(self.naive_se, 6),
            "examples": self.examples,
            "names": self.names,
        }


def name_sizes(words: Sequence[str]) -> np.ndarray:
    """The number of examples of each name, in the order example_arrays lays them out:
    len(name) + 1 (each character and the closing boundary token). (G,) int64."""
    return np.fromiter((len(w) + 1 for w in words), dtype=np.int64, count=len(words))


def sizes_from_examples(X: torch.Tensor | np.ndarray) -> np.ndarray:
    """name_sizes(words) from the examples alone: each name's examples start with the
    all-boundary context (0, ..., 0), which no other example has (a context after a name's
    first character holds that character). (G,) int64; empty for no examples."""
    contexts = np.asarray(X)
    if contexts.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(~contexts.any(axis=1))
    if len(starts) == 0 or starts[0] != 0:
        raise ValueError("These examples do not start at the beginning of a name")
    return np.diff(np.append(starts, contexts.shape[0])).astype(np.int64)


def estimate(
    model: MLP, X: torch.Tensor, Y: torch.Tensor, between: Callable[[], object] | None = None
) -> LossEstimate:
    """loss_with_error for examples laid out name by name (a split's, as example_arrays
    makes them), without the words: the names are found from the contexts."""
    return clustered_mean(example_losses(model, X, Y, between), sizes_from_examples(X))


def clustered_mean(values: np.ndarray, sizes: np.ndarray) -> LossEstimate:
    """Mean of values (N,) and its cluster-robust standard error, the clusters being
    consecutive runs of sizes[g] values (sum(sizes) == N)."""
    values = np.asarray(values, dtype=np.float64)
    sizes = np.asarray(sizes, dtype=np.int64)
    N, G = len(values), len(sizes)
    if int(sizes.sum()) != N or (sizes < 1).any():
        raise ValueError(f"{G} names of {int(sizes.sum())} examples do not cover {N} values")
    if N == 0:
        return LossEstimate(math.nan, math.nan, math.nan, 0, 0)
    mean = float(values.mean())
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    totals = np.add.reduceat(values, starts)  # (G,) T_g
    resid = totals - sizes * mean  # (G,) T_g - n_g m
    se = math.sqrt(G / (G - 1) * float(resid @ resid)) / N if G > 1 else math.nan
    naive = float(values.std(ddof=1)) / math.sqrt(N) if N > 1 else math.nan
    return LossEstimate(mean, se, naive, N, G)


@torch.no_grad()
def example_losses(
    model: MLP,
    X: torch.Tensor,
    Y: torch.Tensor,
    between: Callable[[], object] | None = None,
) -> np.ndarray:
    """-log p(Y[i] | X[i]) of every example: (N,) float64, in slices as MLP.loss does."""
    out = np.empty(X.shape[0], dtype=np.float64)
    batch = eval_slice_rows(model.config)
    for start in range(0, X.shape[0], batch):
        if between is not None:
            between()
        logits = model.logits(X[start : start + batch])
        Yb = Y[start : start + batch].long()
        out[start : start + batch] = F.cross_entropy(logits, Yb, reduction="none").numpy()
    return out


def loss_with_error(
    model: MLP,
    X: torch.Tensor,
    Y: torch.Tensor,
    words: Sequence[str],
    between: Callable[[], object] | None = None,
) -> LossEstimate:
    """The model's loss on the examples of `words` (X, Y: built from them, in order) with
    its standard error clustered by name."""
    return clustered_mean(example_losses(model, X, Y, between), name_sizes(words))
