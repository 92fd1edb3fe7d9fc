"""The MLP of Bengio et al. (2003), with the lecture's parameter names.

emb     = C[X]                              # (B, block_size, n_embd)
hpreact = emb.view(B, -1) @ W1 + b1         # (B, n_hidden)
h       = tanh(hpreact)                     # (B, n_hidden)
logits  = h @ W2 + b2                       # (B, vocab_size)
loss    = cross_entropy(logits, Y)

With batchnorm=True, makemore part 3's BatchNorm sits between hpreact and tanh:

    training:   bnmeani = hpreact.mean(0); bnstdi = sqrt(hpreact.var(0) + eps)
                hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
                bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani  (bnstd_running too)
    evaluation and sampling: the same with bnmean_running and bnstd_running

Part 3 drops b1 ("#+ b1": the batch mean subtracts it, so its gradient is zero); it is kept
here so every model has the same five tensors, and stays at its initial value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import torch
import torch.nn.functional as F

from charnames_gui.core.config import (
    BN_BUFFER_NAMES,
    BN_EPS,
    BN_MOMENTUM,
    DEFAULT_INIT_SEED,
    INIT_SCHEMES,
    ModelConfig,
    buffer_names,
    parameter_count,
    parameter_names,
    parameter_shapes,
)
from charnames_gui.core.errors import ConfigError


class MLP:
    """The parameters C, W1, b1, W2, b2 (and with BatchNorm bngain, bnbias) as plain float32
    tensors, BatchNorm's running statistics, and the forward pass.

    Parameters are kept without requires_grad so that NumPy views of them share memory with
    the fast engine; the autograd engine turns gradients on while it trains.
    """

    def __init__(self, config: ModelConfig, params: Mapping[str, torch.Tensor]) -> None:
        config.validate()
        shapes = parameter_shapes(config)
        names = parameter_names(config)
        for name in names:
            if name not in params:
                raise ConfigError(f"Missing parameter {name}")
            if tuple(params[name].shape) != shapes[name]:
                raise ConfigError(
                    f"Parameter {name} has shape {tuple(params[name].shape)}, "
                    f"expected {shapes[name]}"
                )
        self.config = config
        # All of them live in one flat float32 buffer, as views of it: the fast engine then
        # adds b1 inside the W1 matmul and updates every parameter with one operation.
        flat = torch.cat(
            [params[name].detach().to(torch.float32).reshape(-1) for name in names]
        )  # (parameter_count,)
        self.params: dict[str, torch.Tensor] = {}
        start = 0
        for name in names:
            size = math.prod(shapes[name])
            self.params[name] = flat[start : start + size].view(shapes[name])
            start += size
        # BatchNorm's running statistics (n_hidden,): given, or part 3's zeros and ones
        self.buffers: dict[str, torch.Tensor] = {}
        for name in buffer_names(config):
            if name in params:
                value = params[name].detach().to(torch.float32).reshape(-1).clone()
                if tuple(value.shape) != (config.n_hidden,):
                    raise ConfigError(
                        f"{name} has {value.numel()} values, expected {config.n_hidden}"
                    )
            elif name == "bnmean_running":
                value = torch.zeros(config.n_hidden)
            else:
                value = torch.ones(config.n_hidden)
            self.buffers[name] = value.contiguous()

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
        if config.batchnorm:  # part 3: bngain = ones, bnbias = zeros (no random draw)
            params["bngain"] = torch.ones(config.n_hidden)
            params["bnbias"] = torch.zeros(config.n_hidden)
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

    @property
    def bngain(self) -> torch.Tensor:
        return self.params["bngain"]

    @property
    def bnbias(self) -> torch.Tensor:
        return self.params["bnbias"]

    @property
    def bnmean_running(self) -> torch.Tensor:
        return self.buffers["bnmean_running"]

    @property
    def bnstd_running(self) -> torch.Tensor:
        return self.buffers["bnstd_running"]

    def parameters(self) -> list[torch.Tensor]:
        return [self.params[name] for name in parameter_names(self.config)]

    def parameter_count(self) -> int:
        return parameter_count(self.config)

    def hpreact(self, X: torch.Tensor) -> torch.Tensor:
        """X (B, block_size) -> the hidden layer's pre-activation (B, n_hidden), as tanh sees
        it: after BatchNorm with the running statistics (evaluation), if the model has it."""
        # .long(): examples are stored as bytes (core/data.py), and torch would take a uint8
        # index as a mask; for an int64 X it is X itself, no copy
        emb = self.C[X.long()]  # (B, block_size, n_embd)
        hpreact = emb.view(emb.shape[0], -1) @ self.W1 + self.b1  # (B, n_hidden)
        if self.config.batchnorm:
            hpreact = batchnorm_eval(hpreact, self.params, self.buffers)
        return hpreact

    def logits(self, X: torch.Tensor) -> torch.Tensor:
        """X (B, block_size) character indices -> logits (B, vocab_size), in evaluation mode
        (BatchNorm, if any, with its running statistics: one name does not depend on the
        others of a batch)."""
        h = torch.tanh(self.hpreact(X))  # (B, n_hidden)
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

    def tensors(self) -> dict[str, torch.Tensor]:
        """The parameters and the buffers by name (the model's own tensors, not copies)."""
        return self.params | self.buffers

    def copy(self) -> MLP:
        return MLP(self.config, {k: v.clone() for k, v in self.tensors().items()})

    def with_weights(self, weights: Mapping[str, np.ndarray]) -> MLP:
        """A model of the same config with these weights (a Snapshot's), copied."""
        return MLP(self.config, {name: torch.from_numpy(value) for name, value in weights.items()})

    def snapshot(self) -> dict[str, np.ndarray]:
        """A copy of the parameters and buffers as NumPy arrays: safe to hand to another
        thread."""
        return {name: t.detach().numpy().copy() for name, t in self.tensors().items()}

    def load_tensors(self, tensors: Mapping[str, np.ndarray]) -> None:
        """Copy these values (a snapshot's) into the model's own tensors, in place."""
        for name, t in self.tensors().items():
            if name in tensors:
                with torch.no_grad():
                    t.copy_(torch.from_numpy(np.asarray(tensors[name])).reshape(t.shape))

    def is_finite(self) -> bool:
        return all(bool(torch.isfinite(t).all()) for t in self.tensors().values())


def batchnorm_train(
    hpreact: torch.Tensor, gain: torch.Tensor, bias: torch.Tensor, buffers: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Part 3's BatchNorm on a training batch (B, n_hidden): batch statistics, and the running
    ones updated in place (without gradients)."""
    bnmeani = hpreact.mean(0)  # (n_hidden,)
    bnstdi = (hpreact.var(0) + BN_EPS).sqrt()  # (n_hidden,) unbiased variance, as torch.std
    out = gain * (hpreact - bnmeani) / bnstdi + bias
    with torch.no_grad():
        update_running(buffers, bnmeani, bnstdi)
    return out


def update_running(buffers: dict[str, torch.Tensor], bnmeani: object, bnstdi: object) -> None:
    """bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani, and the same for the std,
    in place (tensors or NumPy arrays)."""
    for name, batch_value in zip(BN_BUFFER_NAMES, (bnmeani, bnstdi), strict=True):
        running = buffers[name]
        running.mul_(1 - BN_MOMENTUM).add_(torch.as_tensor(batch_value), alpha=BN_MOMENTUM)


def batchnorm_eval(
    hpreact: torch.Tensor, params: Mapping[str, torch.Tensor], buffers: Mapping[str, torch.Tensor]
) -> torch.Tensor:
    """BatchNorm at evaluation: the running statistics, so each row stands on its own."""
    return (
        params["bngain"] * (hpreact - buffers["bnmean_running"]) / buffers["bnstd_running"]
        + params["bnbias"]
    )


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
