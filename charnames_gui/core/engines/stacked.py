"""K copies of one model trained in lockstep: the fast engine's step over a leading K axis.

Every array of engines/fast.py gets a first axis of K (one slice per copy), and every
operation works on all K slices at once, so NumPy's ~1 us per call is paid once per step
for all copies instead of once per copy:

    emb     = C[Xb]                              # (K, B, block_size, n_embd)
    h       = tanh([embcat | 1] @ [W1; b1])      # (K, B, n_hidden)    np.matmul: K gemms
    logits  = h @ W2 + b2                        # (K, B, vocab_size)
    dlogits = (softmax(logits) - onehot(Yb)) / B
    dW2     = h.T @ dlogits;  db2 = 1 @ dlogits  # (K, n_hidden, vocab_size), (K, vocab_size)
    dhpre   = (1 - h**2) * (dlogits @ W2.T)
    [dW1; db1] = [embcat | 1].T @ dhpre;  demb = dhpre @ W1.T
    dC      = onehot(Xb).T @ demb                # (K, vocab_size, n_embd)

The equations and their order are the fast engine's, operation for operation: np.matmul
on a stack calls the same BLAS routine (sgemm/sgemv/sdot) on each slice as np.dot does on
one matrix, and elementwise operations and row reductions are done element by element the
same way. So each copy's losses, gradients and weights equal those of a FastEngine training
that copy alone, bit for bit (tests/core/engines/test_stacked.py checks it after hundreds
of steps). Where that could not hold (a NumPy or BLAS that computed a slice of a stack
differently from a lone matrix), the difference of one step would be float32 rounding:
|error| <= n * eps32 * sum|terms| for a sum of n terms, n = B * vocab for the loss and
n = B for the gradients.

A copy whose loss is not finite is frozen at its last finite weights (its update is
skipped from then on); the other copies go on, untouched: every operation keeps the
copies' slices apart.

The parameters of the K copies live in one (K, P) float32 buffer (P: the model's
parameters, C W1 b1 W2 b2 back to back as an MLP keeps them, padded to a multiple of
n_embd so the rows of every C are rows of one (K * P / n_embd, n_embd) view and one take
gathers all the embeddings); update() is one operation over all of them.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from charnames_gui.core.config import PARAMETER_NAMES, ModelConfig, parameter_shapes
from charnames_gui.core.engines.fast import FastEngine
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.model import MLP


class StackedFastEngine:
    """K copies of one ModelConfig, each with its own weights and its own minibatches."""

    name = "stacked"

    def __init__(self, models: list[MLP], X: torch.Tensor, Y: torch.Tensor) -> None:
        if not models:
            raise ConfigError("A stack needs at least one model")
        cfg: ModelConfig = models[0].config
        if any(m.config != cfg for m in models):
            raise ConfigError("The stacked copies must all have the same configuration")
        self.config = cfg
        self.K = len(models)
        self._T, self._E = cfg.block_size, cfg.n_embd
        self._H, self._V = cfg.n_hidden, cfg.vocab_size
        self._TE = self._T * self._E
        if X.ndim != 2 or X.shape[1] != self._T or Y.shape != (X.shape[0],):
            raise ConfigError("The examples do not match the model's block size")
        dtype = torch.promote_types(X.dtype, Y.dtype)
        self._XY = torch.cat([X.to(dtype), Y[:, None].to(dtype)], dim=1).numpy()  # (N, T+1)
        if self._XY.size and (self._XY.min() < 0 or self._XY.max() >= self._V):
            raise ConfigError("The examples use characters outside the model's vocabulary")
        self._eye = np.eye(self._V, dtype=np.float32)
        shapes = parameter_shapes(cfg)
        sizes = [math.prod(shapes[n]) for n in PARAMETER_NAMES]
        self._sizes = sizes
        self._P = sum(sizes)
        self._rows_per_copy = -(-self._P // self._E)  # rows of n_embd floats per copy
        Pp = self._rows_per_copy * self._E  # P padded to a multiple of n_embd
        K, E, TE, H, V = self.K, self._E, self._TE, self._H, self._V
        self._flat = np.zeros((K, Pp), dtype=np.float32)  # (K, P padded): every parameter
        for k, m in enumerate(models):
            self._flat[k, : self._P] = np.concatenate(
                [m.params[n].detach().numpy().reshape(-1) for n in PARAMETER_NAMES]
            )
        offsets = np.cumsum([0, *sizes])
        self._offsets = offsets
        flat = self._flat
        # views of each copy's parameters, stacked: (K, ...) with a row stride of Pp
        self._C = flat[:, : offsets[1]].reshape(K, V, E)
        self._C_rows = flat.reshape(K * self._rows_per_copy, E)  # every C row of every copy
        self._W1 = flat[:, offsets[1] : offsets[2]].reshape(K, TE, H)
        self._W1b1 = flat[:, offsets[1] : offsets[3]].reshape(K, TE + 1, H)
        self._W2 = flat[:, offsets[3] : offsets[4]].reshape(K, H, V)
        self._b2 = flat[:, offsets[4] : offsets[5]].reshape(K, 1, V)
        self._W1_T = self._W1.transpose(0, 2, 1)  # (K, H, TE)
        self._W2_T = self._W2.transpose(0, 2, 1)  # (K, V, H)
        self._row0 = (np.arange(K, dtype=np.int64) * self._rows_per_copy)[:, None, None]
        # gradients, laid out the same way (the padding stays 0)
        self._grad = np.zeros_like(flat)
        self._scaled = np.empty_like(flat)
        g = self._grad
        self._dC = g[:, : offsets[1]].reshape(K, V, E)
        self._dW1b1 = g[:, offsets[1] : offsets[3]].reshape(K, TE + 1, H)
        self._dW2 = g[:, offsets[3] : offsets[4]].reshape(K, H, V)
        self._db2 = g[:, offsets[4] : offsets[5]]  # (K, V)
        self._frozen = np.zeros(K, dtype=bool)  # copies whose loss stopped being finite
        self._keep = np.ones((K, 1), dtype=np.float32)  # 0 for a frozen copy's update
        self._B = -1
        self._has_grad = False

    # -- buffers --------------------------------------------------------------------------
    def _allocate(self, B: int) -> None:
        if B < 1:
            raise ValueError("A minibatch needs at least one example")
        K, T, E, H, V, TE = self.K, self._T, self._E, self._H, self._V, self._TE
        f32 = np.float32
        self._B = B
        self._xyb = np.empty((K, B, T + 1), dtype=self._XY.dtype)
        self._xb = np.empty((K, B, T), dtype=np.int64)
        self._yb = np.empty((K, B), dtype=np.int64)
        self._crow = np.empty((K, B, T), dtype=np.int64)  # rows of _C_rows to gather
        self._embcat1 = np.ones((K, B, TE + 1), dtype=f32)  # [embcat | 1]
        self._embcat1_T = self._embcat1.transpose(0, 2, 1)
        self._emb = self._embcat1[:, :, :TE].reshape(K, B, T, E)
        self._h = np.empty((K, B, H), dtype=f32)
        self._h_T = self._h.transpose(0, 2, 1)
        self._onesB = np.ones(B, dtype=f32)
        self._onesV = np.ones((V, 1), dtype=f32)
        self._logits = np.empty((K, B, V), dtype=f32)
        self._rowmax = np.empty((K, B, 1), dtype=f32)
        self._sumexp = np.empty((K, B, 1), dtype=f32)
        self._lse = np.empty((K, B), dtype=f32)
        self._picked = np.empty((K, 1, 1), dtype=f32)
        self._onehot_y = np.empty((K, B, V), dtype=f32)
        self._dh = np.empty((K, B, H), dtype=f32)
        self._demb = np.empty((K, B, TE), dtype=f32)
        self._demb_rows = self._demb.reshape(K, B * T, E)
        self._use_onehot = (
            B * T <= FastEngine.ONE_HOT_ROWS and B * T * V <= FastEngine.ONE_HOT_LIMIT
        )
        if self._use_onehot:
            self._onehot_x = np.empty((K, B, T, V), dtype=f32)
            self._onehot_x_T = self._onehot_x.reshape(K, B * T, V).transpose(0, 2, 1)
        else:
            self._tflat = [torch.from_numpy(self._xb[k].reshape(B * T)) for k in range(K)]
            self._demb64 = np.empty((min(B * T, FastEngine.SCATTER_CHUNK), E), dtype=np.float64)
            self._tdemb64 = torch.from_numpy(self._demb64)
            self._tdC64 = torch.zeros((V, E), dtype=torch.float64)

    # -- the step -------------------------------------------------------------------------
    def forward_backward(self, ix: np.ndarray) -> np.ndarray:
        """Losses (K,) float64 of the minibatches X[ix[k]], Y[ix[k]] (ix: (K, B) int64 row
        indices, one row per copy) and their gradients, kept until update()."""
        if self._frozen.any():  # a frozen copy's NaNs are expected: no warning per step
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                return self._forward_backward(ix)
        return self._forward_backward(ix)

    def _forward_backward(self, ix: np.ndarray) -> np.ndarray:
        K, B = ix.shape
        if K != self.K:
            raise ValueError(f"ix has {K} rows of indices for {self.K} copies")
        if B != self._B:
            self._allocate(B)
        T = self._T
        embcat1, h, logits = self._embcat1, self._h, self._logits
        rowmax, sumexp, lse, onehot_y = self._rowmax, self._sumexp, self._lse, self._onehot_y
        dh = self._dh

        # forward ------------------------------------------------------------------------
        np.take(self._XY, ix, axis=0, out=self._xyb, mode="clip")  # (K, B, T + 1)
        np.copyto(self._xb, self._xyb[:, :, :T])  # (K, B, T) int64
        np.copyto(self._yb, self._xyb[:, :, T])  # (K, B) int64
        np.add(self._xb, self._row0, out=self._crow)  # copy k's C starts at row k * rows
        np.take(self._C_rows, self._crow, axis=0, out=self._emb, mode="clip")  # (K,B,T,E)
        np.matmul(embcat1, self._W1b1, out=h)  # (K, B, H) [embcat | 1] @ [W1; b1]
        np.tanh(h, out=h)
        np.matmul(h, self._W2, out=logits)  # (K, B, V)
        np.add(logits, self._b2, out=logits)
        np.maximum.reduce(logits, axis=2, out=rowmax, keepdims=True)  # (K, B, 1)
        np.subtract(logits, rowmax, out=logits)
        np.take(self._eye, self._yb, axis=0, out=onehot_y, mode="clip")  # (K, B, V)
        # sum over b of logits[b, Yb[b]] - max_b, per copy: the fast engine's vdot (sdot)
        np.matmul(
            onehot_y.reshape(K, 1, B * self._V),
            logits.reshape(K, B * self._V, 1),
            out=self._picked,
        )
        np.exp(logits, out=logits)
        np.matmul(logits, self._onesV, out=sumexp)  # (K, B, 1)
        np.log(sumexp, out=lse.reshape(K, B, 1))
        lse_sum = np.add.reduce(lse, axis=1)  # (K,) float32, each row summed as the fast one
        losses = (lse_sum.astype(np.float64) - self._picked.reshape(K).astype(np.float64)) / B

        # backward -----------------------------------------------------------------------
        np.divide(logits, sumexp, out=logits)  # softmax
        np.subtract(logits, onehot_y, out=logits)
        np.multiply(logits, 1.0 / B, out=logits)  # dlogits
        dlogits = logits
        np.matmul(self._h_T, dlogits, out=self._dW2)  # (K, H, V)
        np.matmul(self._onesB, dlogits, out=self._db2)  # (K, V)
        np.matmul(dlogits, self._W2_T, out=dh)  # (K, B, H)
        np.multiply(h, h, out=h)
        np.subtract(1.0, h, out=h)
        np.multiply(dh, h, out=dh)  # dhpre
        np.matmul(self._embcat1_T, dh, out=self._dW1b1)  # (K, TE + 1, H)
        np.matmul(dh, self._W1_T, out=self._demb)  # (K, B, TE)
        if self._use_onehot:
            np.take(self._eye, self._xb, axis=0, out=self._onehot_x, mode="clip")
            np.matmul(self._onehot_x_T, self._demb_rows, out=self._dC)  # (K, V, E)
        else:
            for k in range(K):
                self._scatter_add_dC(k)
        self._has_grad = True
        bad = ~np.isfinite(losses)
        if bad.any():  # frozen from now on: their updates are multiplied by 0
            self._frozen |= bad
            self._keep[self._frozen] = 0.0
        return losses

    def _scatter_add_dC(self, k: int) -> None:
        """The fast engine's float64 scatter-add of demb into dC, for copy k."""
        tdC64, chunk = self._tdC64, self._demb64.shape[0]
        demb, index = self._demb_rows[k], self._tflat[k]
        tdC64.zero_()
        for start in range(0, demb.shape[0], chunk):
            rows = min(chunk, demb.shape[0] - start)
            np.copyto(self._demb64[:rows], demb[start : start + rows])
            tdC64.index_add_(0, index[start : start + rows], self._tdemb64[:rows])
        np.copyto(self._dC[k], tdC64.numpy())

    def update(self, lr: float) -> None:
        """p += -lr * grad for every copy that is not frozen."""
        if not self._has_grad:
            raise RuntimeError("update() needs a forward_backward() first")
        np.multiply(self._grad, -lr, out=self._scaled)
        if self._frozen.any():
            np.multiply(self._scaled, self._keep, out=self._scaled)  # frozen: += 0
            self._scaled[self._frozen] = 0.0  # 0 * inf is NaN: make them exact zeros
        np.add(self._flat, self._scaled, out=self._flat)

    # -- the copies -----------------------------------------------------------------------
    @property
    def frozen(self) -> np.ndarray:
        """(K,) bool: the copies whose loss became NaN or infinite."""
        return self._frozen.copy()

    def weights(self, k: int) -> dict[str, np.ndarray]:
        """Copies of copy k's parameters, by name."""
        o = self._offsets
        shapes = parameter_shapes(self.config)
        return {
            name: self._flat[k, o[i] : o[i + 1]].reshape(shapes[name]).copy()
            for i, name in enumerate(PARAMETER_NAMES)
        }

    def model(self, k: int) -> MLP:
        """Copy k as an MLP of its own (a copy of its weights)."""
        return MLP(self.config, {n: torch.from_numpy(w) for n, w in self.weights(k).items()})

    def gradients(self, k: int) -> dict[str, np.ndarray]:
        o, g = self._offsets, self._grad
        shapes = parameter_shapes(self.config)
        return {
            name: g[k, o[i] : o[i + 1]].reshape(shapes[name]).copy()
            for i, name in enumerate(PARAMETER_NAMES)
        }
