"""The MLP of Bengio et al. (2003), with the lecture's parameter names.

emb    = C[X]                              # (B, block_size, n_embd)
h      = tanh(emb.view(B, -1) @ W1 + b1)   # (B, n_hidden)
logits = h @ W2 + b2                       # (B, vocab_size)
loss   = cross_entropy(logits, Y)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import torch
import torch.nn.functional as F

from charnames_gui.core.config import (
    DEFAULT_INIT_SEED,
    INIT_SCHEMES,
    PARAMETER_NAMES,
    ModelConfig,
    parameter_count,
    parameter_shapes,
)
from charnames_gui.core.errors import ConfigError


class MLP:
    """The parameters C, W1, b1, W2, b2 as plain float32 tensors, and the forward pass.

    Parameters are kept without requires_grad so that NumPy views of them share memory with
    the fast engine; the autograd engine turns gradients on while it trains.
    """

    def __init__(self, config: ModelConfig, params: dict[str, torch.Tensor]) -> None:
        config.validate()
        shapes = parameter_shapes(config)
        for name in PARAMETER_NAMES:
            if name not in params:
                raise ConfigError(f"Missing parameter {name}")
            if tuple(params[name].shape) != shapes[name]:
                raise ConfigError(
                    f"Parameter {name} has shape {tuple(params[name].shape)}, "
                    f"expected {shapes[name]}"
                )
        self.config = config
        # All five live in one flat float32 buffer, as views of it: the fast engine then adds
        # b1 inside the W1 matmul and updates every parameter with one operation.
        flat = torch.cat(
            [params[name].detach().to(torch.float32).reshape(-1) for name in PARAMETER_NAMES]
        )  # (parameter_count,)
        self.params: dict[str, torch.Tensor] = {}
        start = 0
        for name in PARAMETER_NAMES:
            size = math.prod(shapes[name])
            self.params[name] = flat[start : start + size].view(shapes[name])
            start += size

    @classmethod
    def init(
        cls, config: ModelConfig, scheme: str = "lecture", seed: int = DEFAULT_INIT_SEED
    ) -> MLP:
        """Random parameters, drawn from one generator in the lecture's order C, W1, b1, W2, b2.

        lecture: plain torch.randn, as in "makemore part 2".
        scaled:  the fixes of "makemore part 3": W1 scaled by (5/3)/sqrt(fan_in) so tanh is
                 not saturated, small b1, and a small output layer so the first loss is
                 close to ln(vocab_size) instead of ~27.
        """
        config.validate()
        if scheme not in INIT_SCHEMES:
            raise ConfigError(f"init must be one of {', '.join(INIT_SCHEMES)}, not {scheme!r}")
        g = torch.Generator().manual_seed(seed)
        params = {
            name: torch.randn(shape, generator=g)
            for name, shape in parameter_shapes(config).items()
        }
        if scheme == "scaled":
            fan_in = config.block_size * config.n_embd
            params["W1"] *= (5 / 3) / fan_in**0.5
            params["b1"] *= 0.01
            params["W2"] *= 0.01
            params["b2"] *= 0
        return cls(config, params)

    # -- lecture names as attributes, for learners reading along ---------------------------
    @property
    def C(self) -> torch.Tensor:
        return self.params["C"]

    @property
    def W1(self) -> torch.Tensor:
        return self.params["W1"]

    @property
    def b1(self) -> torch.Tensor:
        return self.params["b1"]

    @property
    def W2(self) -> torch.Tensor:
        return self.params["W2"]

    @property
    def b2(self) -> torch.Tensor:
        return self.params["b2"]

    def parameters(self) -> list[torch.Tensor]:
        return [self.params[name] for name in PARAMETER_NAMES]

    def parameter_count(self) -> int:
        return parameter_count(self.config)

    def logits(self, X: torch.Tensor) -> torch.Tensor:
        """X (B, block_size) character indices -> logits (B, vocab_size)."""
        # .long(): examples are stored as bytes (core/data.py), and torch would take a uint8
        # index as a mask; for an int64 X it is X itself, no copy
        emb = self.C[X.long()]  # (B, block_size, n_embd)
        h = torch.tanh(emb.view(emb.shape[0], -1) @ self.W1 + self.b1)  # (B, n_hidden)
        return h @ self.W2 + self.b2  # (B, vocab_size)

    @torch.no_grad()
    def loss(
        self,
        X: torch.Tensor,
        Y: torch.Tensor,
        batch: int | None = None,
        between: Callable[[], object] | None = None,
    ) -> float:
        """Mean cross-entropy over all of (X, Y), in slices of `batch` rows (by default
        eval_slice_rows: ~64 MB of activations) so a big split or model stays small in memory.
        between() is called before each slice (a thread sharing its core with the GUI waits
        there for a frame to be drawn). X and Y may be stored compactly (uint8): each slice
        is made int64 on its own, never the whole split."""
        if X.shape[0] == 0:
            return float("nan")
        batch = batch or eval_slice_rows(self.config)
        total = 0.0
        for start in range(0, X.shape[0], batch):
            if between is not None:
                between()
            logits = self.logits(X[start : start + batch])
            Yb = Y[start : start + batch].long()  # (batch,) cross_entropy needs int64 targets
            total += F.cross_entropy(logits, Yb, reduction="sum").item()
        return total / X.shape[0]

    def copy(self) -> MLP:
        return MLP(self.config, {k: v.clone() for k, v in self.params.items()})

    def with_weights(self, weights: Mapping[str, np.ndarray]) -> MLP:
        """A model of the same config with these weights (a Snapshot's), copied."""
        return MLP(self.config, {name: torch.from_numpy(value) for name, value in weights.items()})

    def snapshot(self) -> dict[str, np.ndarray]:
        """A copy of the parameters as NumPy arrays: safe to hand to another thread."""
        return {name: t.detach().numpy().copy() for name, t in self.params.items()}

    def is_finite(self) -> bool:
        return all(bool(torch.isfinite(t).all()) for t in self.params.values())


# activations of one evaluation slice: the process's peak grows by about twice this (freed
# slices are not all handed back at once); smaller slices are no slower (they stay in cache)
EVAL_SLICE_BYTES = 16 * 1024 * 1024


def eval_slice_rows(config: ModelConfig) -> int:
    """Rows per evaluation slice so that its activations stay near EVAL_SLICE_BYTES.

    Per row, float32: the embedded context (block_size * n_embd), the hidden layer's
    pre-activation, its bias sum and tanh (3 * n_hidden), the logits, their bias sum and
    log-softmax (3 * vocab_size). The lecture's model gets ~5,900 rows; the largest allowed
    (hidden 4096, embedding 256, block 16) ~250, not 65,536 (4 GB)."""
    per_row = 4 * (config.block_size * config.n_embd + 3 * config.n_hidden + 3 * config.vocab_size)
    return max(64, min(65536, EVAL_SLICE_BYTES // per_row))
