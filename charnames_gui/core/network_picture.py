"""The forward pass of one sampling step as a picture of the network (a view draws it):
columns of nodes from left to right,

    context (block_size chars) -> embcat (block_size * n_embd) -> h (n_hidden)
        -> logits (vocab_size) -> probs (vocab_size)

each node coloured by its value on its column's colour scale, a scale whose numbers are
shown so that two stages can be compared (tanh keeps h in [-1, 1]; logits can be far larger).
A hidden unit j is joined to the inputs by its column of W1, W1[:, j] (block_size * n_embd,),
and to the logits by its row of W2, W2[j, :] (vocab_size,): unit_links(j) gives both, with
what each link carries for this step (embcat[i] * W1[i, j] in, h[j] * W2[j, c] out).

Qt-free: the numbers and their scales live here, a widget only draws them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # (core.forward imports torch; the window is built before torch loads)
    from charnames_gui.core.forward import ForwardPass

COLUMNS = ("context", "embcat", "h", "logits", "probs")


@dataclass(frozen=True)
class ColourScale:
    """Values from low to high; signed scales are symmetric around 0 (blue < 0 < red)."""

    low: float
    high: float
    signed: bool

    def position(self, value: float) -> float:
        """Where the value falls on the scale: -1..1 when signed, 0..1 otherwise (clipped)."""
        if self.signed:
            top = max(abs(self.low), abs(self.high), 1e-12)
            return float(np.clip(value / top, -1.0, 1.0))
        span = max(self.high - self.low, 1e-12)
        return float(np.clip((value - self.low) / span, 0.0, 1.0))

    def ticks(self) -> list[float]:
        """The numbers written beside the colour bar: its ends (and 0 when signed)."""
        return [self.low, 0.0, self.high] if self.signed else [self.low, self.high]


def _signed_scale(values: np.ndarray, at_least: float = 0.0) -> ColourScale:
    top = max(float(np.abs(values).max(initial=0.0)), at_least, 1e-12)
    return ColourScale(-top, top, signed=True)


@dataclass(frozen=True)
class Column:
    name: str  # one of COLUMNS
    title: str  # what the column is, with its shape: "h = tanh(hpreact)  (200)"
    labels: tuple[str, ...]  # one per node: "'e'", "emb[1, 3]", "unit 17"
    values: np.ndarray  # (nodes,) float64
    scale: ColourScale


@dataclass(frozen=True)
class UnitLinks:
    """Hidden unit j's links for this step."""

    unit: int
    w_in: np.ndarray  # (block_size * n_embd,) W1[:, j]
    carried_in: np.ndarray  # (block_size * n_embd,) embcat * W1[:, j]; hpreact[j] = sum + b1[j]
    w_out: np.ndarray  # (vocab_size,) W2[j, :]
    carried_out: np.ndarray  # (vocab_size,) h[j] * W2[j, :]: unit j's share of each logit
    weight_scale: ColourScale  # one signed scale for both: the links can be compared


@dataclass(frozen=True)
class NetworkPicture:
    forward: ForwardPass
    W1: np.ndarray  # (block_size * n_embd, n_hidden)
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def unit_links(self, j: int) -> UnitLinks:
        f = self.forward
        if not 0 <= j < f.config.n_hidden:
            raise IndexError(f"hidden unit {j} of {f.config.n_hidden}")
        w_in, w_out = self.W1[:, j], f.W2[j, :]
        return UnitLinks(
            unit=j,
            w_in=w_in,
            carried_in=f.embcat * w_in,
            w_out=w_out,
            carried_out=f.h[j] * w_out,
            weight_scale=_signed_scale(np.concatenate([w_in, w_out])),
        )


def network_picture(forward: ForwardPass, W1: np.ndarray) -> NetworkPicture:
    """The columns of one forward pass. W1: (block_size * n_embd, n_hidden), the model's."""
    c = forward.config
    W1 = np.asarray(W1, dtype=np.float64).reshape(c.block_size * c.n_embd, c.n_hidden)
    chars = tuple(repr(ch) for ch in forward.context_chars)
    emb_labels = tuple(f"emb[{i}, {k}]" for i in range(c.block_size) for k in range(c.n_embd))
    letters = tuple(repr(ch) for ch in forward.itos)
    probs_top = float(forward.probs.max(initial=0.0))
    columns = (
        Column(
            "context",
            f"context  ({c.block_size})",
            chars,
            np.asarray(forward.context, dtype=np.float64),
            ColourScale(0.0, float(max(c.vocab_size - 1, 1)), signed=False),
        ),
        Column(
            "embcat",
            f"embcat = C[context]  ({c.block_size * c.n_embd})",
            emb_labels,
            forward.embcat,
            _signed_scale(forward.embcat),
        ),
        Column(
            "h",
            f"h = tanh(hpreact)  ({c.n_hidden})",
            tuple(f"unit {j}" for j in range(c.n_hidden)),
            forward.h,
            ColourScale(-1.0, 1.0, signed=True),  # tanh's range: saturated units are full
        ),
        Column(
            "logits",
            f"logits = h @ W2 + b2  ({c.vocab_size})",
            letters,
            forward.logits,
            _signed_scale(forward.logits),
        ),
        Column(
            "probs",
            f"probs = softmax(logits)  ({c.vocab_size})",
            letters,
            forward.probs,
            ColourScale(0.0, max(probs_top, 1e-12), signed=False),
        ),
    )
    return NetworkPicture(forward, W1, columns)
