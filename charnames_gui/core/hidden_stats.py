"""The hidden layer's health, as "makemore part 3" checks it, from a snapshot of the weights.

On a FIXED sample of training examples (the same rows at every snapshot, so that changes
come from the weights, not from the rows):

    hpreact = emb.view(n, -1) @ W1 + b1     # (n, n_hidden): its histogram
    h = torch.tanh(hpreact)                 # its histogram
    h.abs() > 0.99                          # the saturation image: examples x units
    ud = log10(lr * grad.std() / param.std())   # per parameter: the update-to-data ratio

A unit with |h| > 0.99 sits on a flat end of tanh: (1 - h**2) < 0.02, so almost no gradient
flows through it. A unit saturated on every example is dead: it never learns. The lecture's
randn initialisation saturates most units (hpreact has a std of about sqrt(fan_in)); the scaled
initialisation keeps them in tanh's active range. The update-to-data ratio says how large a step
is relative to the parameter; the lecture aims for about 1e-3 (-3 on the log10 scale).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from charnames_gui.core.config import BN_EPS, ModelConfig, parameter_names, parameter_shapes
from charnames_gui.core.saturation import SATURATION
from charnames_gui.core.update_ratios import update_ratio

SAMPLE_ROWS = 1000
SAMPLE_SEED = 20_231_130  # any fixed seed: the sample must not change between snapshots
HIST_BINS = 50


@dataclass(frozen=True)
class ExampleSample:
    """A fixed set of training examples: X (n, block_size) int64, Y (n,) int64."""

    X: torch.Tensor
    Y: torch.Tensor

    @property
    def rows(self) -> int:
        return int(self.X.shape[0])


def example_sample(
    X: torch.Tensor, Y: torch.Tensor, rows: int = SAMPLE_ROWS, seed: int = SAMPLE_SEED
) -> ExampleSample:
    """`rows` examples drawn once without replacement (all of them if there are fewer), as
    int64 copies (the examples themselves may be stored as bytes, see core/data.py)."""
    n = int(X.shape[0])
    if n <= rows:
        return ExampleSample(X.to(torch.int64, copy=True), Y.to(torch.int64, copy=True))
    g = torch.Generator().manual_seed(seed)
    ix = torch.randperm(n, generator=g)[:rows]
    return ExampleSample(X[ix].to(torch.int64, copy=True), Y[ix].to(torch.int64, copy=True))


@dataclass(frozen=True)
class HiddenStats:
    """Diagnostics of one snapshot on one sample."""

    step: int
    lr: float
    loss: float  # mean cross-entropy on the sample
    hpreact_counts: np.ndarray  # (HIST_BINS,) histogram of hpreact
    hpreact_edges: np.ndarray  # (HIST_BINS + 1,)
    h_counts: np.ndarray  # (HIST_BINS,) histogram of h, on [-1, 1]
    h_edges: np.ndarray
    saturated: np.ndarray  # (examples, n_hidden) bool: |h| > 0.99
    update_ratios: dict[str, float]  # parameter -> log10(lr * grad.std() / param.std())

    @property
    def saturated_fraction(self) -> float:
        """The share of (example, unit) pairs with |h| > 0.99."""
        return float(self.saturated.mean()) if self.saturated.size else 0.0

    @property
    def dead_units(self) -> int:
        """Units saturated on every example of the sample."""
        return int(self.saturated.all(axis=0).sum()) if self.saturated.size else 0


def hidden_stats(
    weights: Mapping[str, np.ndarray | torch.Tensor],
    config: ModelConfig,
    sample: ExampleSample,
    lr: float,
    step: int = 0,
) -> HiddenStats:
    """Run the sample through a copy of the weights, with autograd for the gradients of the
    loss on the sample (what one full-sample step at learning rate `lr` would use)."""
    shapes = parameter_shapes(config)
    params = {
        name: torch.tensor(np.asarray(weights[name]), dtype=torch.float32)
        .reshape(shapes[name])
        .requires_grad_(True)
        for name in parameter_names(config)
    }
    C, W1, b1, W2, b2 = (params[name] for name in ("C", "W1", "b1", "W2", "b2"))
    emb = C[sample.X]  # (n, block_size, n_embd)
    hpreact = emb.view(emb.shape[0], -1) @ W1 + b1  # (n, n_hidden)
    if config.batchnorm:
        # as a training step sees it: the sample's own statistics (part 3's histograms);
        # the histogram then shows what tanh receives, centred and scaled by BatchNorm
        bnstdi = (hpreact.var(0) + BN_EPS).sqrt()
        hpreact = params["bngain"] * (hpreact - hpreact.mean(0)) / bnstdi + params["bnbias"]
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2  # (n, vocab_size)
    loss = F.cross_entropy(logits, sample.Y)
    loss.backward()

    hp = hpreact.detach().numpy()
    ha = h.detach().numpy()
    finite = hp[np.isfinite(hp)]
    span = float(np.abs(finite).max()) if finite.size else 1.0
    hp_counts, hp_edges = np.histogram(finite, bins=HIST_BINS, range=(-span, span))
    h_counts, h_edges = np.histogram(ha, bins=HIST_BINS, range=(-1.0, 1.0))
    ratios = {}
    for name, p in params.items():
        grad = p.grad
        assert grad is not None
        ratios[name] = update_ratio(lr, float(grad.std()), float(p.detach().std()))
    return HiddenStats(
        step=step,
        lr=lr,
        loss=float(loss.item()),
        hpreact_counts=hp_counts,
        hpreact_edges=hp_edges,
        h_counts=h_counts,
        h_edges=h_edges,
        saturated=np.abs(ha) > SATURATION,
        update_ratios=ratios,
    )
