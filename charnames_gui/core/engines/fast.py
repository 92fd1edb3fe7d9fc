"""The lecture's training step with a hand-derived backward pass, in NumPy.

It computes the same numbers as engines/autograd.py (to float32 rounding), following the
backward pass of "makemore part 4: becoming a backprop ninja":

    emb     = C[Xb]                              # (B, block_size, n_embd)
    embcat  = emb.view(B, -1)                    # (B, block_size * n_embd)
    h       = tanh(embcat @ W1 + b1)             # (B, n_hidden)
    logits  = h @ W2 + b2                        # (B, vocab_size)
    loss    = mean(logsumexp(logits) - logits[range(B), Yb])

    dlogits = (softmax(logits) - onehot(Yb)) / B
    dW2     = h.T @ dlogits;        db2 = dlogits.sum(0)
    dh      = dlogits @ W2.T
    dhpre   = (1 - h**2) * dh
    dW1     = embcat.T @ dhpre;     db1 = dhpre.sum(0)
    demb    = (dhpre @ W1.T).view(B, block_size, n_embd)
    dC      = scatter-add of demb into the rows Xb (a character repeated in a context adds up)

Why it is faster: autograd records a graph and allocates every intermediate tensor at every
step, and each PyTorch operation costs microseconds of dispatch. At the lecture's size (batch
32) the arithmetic itself is only a few tens of microseconds, so that overhead is most of a
step. Here every intermediate lives in a NumPy buffer allocated once per batch size, every
operation writes into its buffer (np.dot(..., out=...)), and a few tricks save operations:

- the parameters are NumPy views of the model's own tensors (tensor.numpy() shares memory),
  so update() trains the model itself, and all gradients live in one flat buffer, so the
  -lr * grad of update() is one operation;
- a column of ones after embcat: one matmul gives dW1 and db1 ([embcat | 1].T @ dhpre), and,
  as the model keeps its parameters in one buffer (core/model.py), [embcat | 1] @ [W1; b1]
  adds b1 too and update() is a single addition;
- one-hot rows (taken from an identity matrix) turn the sums over a batch into matmuls:
  the target's logit is a dot product, and dC = onehot(Xb).T @ demb adds up the rows of a
  character that appears several times, in one context or in several.

BatchNorm (makemore part 3; part 4 derives its backward pass), between hpreact and tanh:

    bnmeani = hpreact.mean(0);  bndiff = hpreact - bnmeani
    bnstdi  = sqrt((bndiff**2).sum(0) / (B - 1) + eps);  k = bngain / bnstdi
    h       = tanh(bndiff * k + bnbias)
    dhbn    = (1 - h**2) * dh
    dbnbias = dhbn.sum(0);   dbngain = (dhbn * bndiff).sum(0) / bnstdi
    dhpre   = k * (dhbn - dbnbias / B - bndiff * dbngain / (bnstdi * (B - 1)))

(bndiff * k is bngain * bnraw without making bnraw: one pass over (B, n_hidden) fewer; and
bndiff comes from the centred inputs: (embcat1 - its mean row) @ [W1; b1], so neither the
mean of hpreact nor the subtraction needs a pass over (B, n_hidden).)

Weight decay adds weight_decay * p to the gradients of C, W1 and W2 (two operations: C and
W1 lie side by side in the flat buffer).

At the lecture's sizes (batch 32) this is 3-3.5x the steps per second of the autograd loop on
one thread, and its 200,000-step run took 34 s instead of 123 s (benchmarks/train_throughput.py
measures both). What is left is mostly the six matmuls, tanh, and NumPy's ~1 us per call.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from charnames_gui.core.config import (
    BN_EPS,
    BN_MOMENTUM,
    DECAYED_PARAMETERS,
    parameter_names,
    parameter_shapes,
)
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.model import MLP


class FastEngine:
    """The Engine protocol (see engines/base.py) with the backward pass written by hand.

    It trains the model's own tensors, with or without requires_grad (the autograd engine
    turns it on), through NumPy views of them. Any valid ModelConfig and batch size works;
    the parameters must lie back to back in one buffer, as an MLP keeps them.
    """

    name = "fast"
    # dC by a one-hot matmul while the (B * block_size, vocab) one-hot matrix is this small
    # (beyond, its memory and its vocab-fold work grow too much) ...
    ONE_HOT_LIMIT = 1 << 20
    # ... and the sums it makes have at most this many terms (float32 stays within ~1e-6)
    ONE_HOT_ROWS = 1 << 14
    SCATTER_CHUNK = 1 << 16  # rows of demb per float64 index_add_ beyond the limits

    def __init__(self, model: MLP, X: torch.Tensor, Y: torch.Tensor) -> None:
        cfg = model.config
        self.model = model
        self._T, self._E = cfg.block_size, cfg.n_embd
        self._H, self._V = cfg.n_hidden, cfg.vocab_size
        self._TE = self._T * self._E
        self._bn = cfg.batchnorm
        self.weight_decay = 0.0  # set by the Trainer from its TrainConfig
        if X.ndim != 2 or X.shape[1] != self._T or Y.shape != (X.shape[0],):
            raise ConfigError("The examples do not match the model's block size")
        # [X | Y] as one (N, block_size + 1) array: one gather per step fetches a batch. It
        # keeps the examples' compact dtype (uint8): a copy of the split as int64 would be 8x
        # the memory; each minibatch is widened to int64 on its own.
        dtype = torch.promote_types(X.dtype, Y.dtype)
        self._XY = torch.cat([X.to(dtype), Y[:, None].to(dtype)], dim=1).numpy()
        if self._XY.size and (self._XY.min() < 0 or self._XY.max() >= self._V):
            raise ConfigError("The examples use characters outside the model's vocabulary")
        self._eye = np.eye(self._V, dtype=np.float32)  # rows are one-hot vectors
        for pname, t in model.params.items():
            if t.dtype != torch.float32 or t.device.type != "cpu" or not t.is_contiguous():
                raise ConfigError(f"The fast engine needs {pname} as a contiguous CPU float32")
        # Views that share memory with the model's tensors: writing them trains the model.
        self._tensors = model.parameters()
        # C, W1, b1, W2, b2 (, bngain, bnbias)
        self._params = [t.detach().numpy() for t in self._tensors]
        self._W1_T, self._W2_T = self._params[1].T, self._params[3].T
        self._names = parameter_names(cfg)
        shapes = parameter_shapes(cfg)
        sizes = [math.prod(shapes[n]) for n in self._names]
        # The model keeps its parameters back to back in one buffer (C, W1, b1, W2, b2), so
        # [W1; b1] is one (block_size * n_embd + 1, n_hidden) matrix: [embcat | 1] @ [W1; b1]
        # adds the bias inside the matmul, and update() is one addition over all parameters.
        flat = packed_parameters(self._tensors)  # (n_parameters,)
        if flat is None:
            raise ConfigError("The fast engine needs the parameters in one buffer, as MLP has")
        self._flat_params = flat
        start, stop = sizes[0], sizes[0] + sizes[1] + sizes[2]
        self._W1b1 = flat[start:stop].reshape(self._TE + 1, self._H)

        # All gradients in one flat buffer, in the same order; [dW1; db1] is one matrix too.
        self._grad = np.zeros(sum(sizes), dtype=np.float32)
        self._scaled = np.empty_like(self._grad)  # -lr * grad, for update()
        offsets = np.cumsum([0, *sizes])
        self._grads = [
            self._grad[offsets[i] : offsets[i + 1]].reshape(shapes[n])
            for i, n in enumerate(self._names)
        ]
        self._dC = self._grads[0]  # (vocab, embd)
        self._dW1b1 = self._grad[offsets[1] : offsets[3]].reshape(self._TE + 1, self._H)
        self._dW2, self._db2 = self._grads[3], self._grads[4]
        # weight decay: the [start, stop) ranges of C, W1 and W2 in the flat buffers, with
        # ranges side by side merged (C and W1 are)
        self._decayed: list[tuple[int, int]] = []
        for i, n in enumerate(self._names):
            if n in DECAYED_PARAMETERS:
                if self._decayed and self._decayed[-1][1] == offsets[i]:
                    self._decayed[-1] = (self._decayed[-1][0], int(offsets[i + 1]))
                else:
                    self._decayed.append((int(offsets[i]), int(offsets[i + 1])))
        if self._bn:
            H = self._H
            self._gain, self._bias = self._params[5], self._params[6]
            self._dgain, self._dbias = self._grads[5], self._grads[6]
            # the model's running statistics, written in place (NumPy views of its tensors)
            self._mean_running = model.buffers["bnmean_running"].numpy()
            self._std_running = model.buffers["bnstd_running"].numpy()
            self._bnmean = np.empty(H, dtype=np.float32)  # bnmeani, (n_hidden,)
            self._bnstd = np.empty(H, dtype=np.float32)  # bnstdi
            self._k = np.empty(H, dtype=np.float32)  # bngain / bnstdi
            self._vecH = np.empty(H, dtype=np.float32)  # scratch
            self._kb = np.empty(H, dtype=np.float32)  # -k / B
            self._kq = np.empty(H, dtype=np.float32)  # -k / (bnstdi * (B - 1))
            self._ak = np.empty(H, dtype=np.float32)  # -k * dbnbias / B
            self._ck = np.empty(H, dtype=np.float32)  # -k * dbngain / (bnstdi * (B - 1))
        self._B = -1  # the batch size the buffers of _allocate were made for
        self._has_grad = False

    # -- buffers --------------------------------------------------------------------------
    def _allocate(self, B: int) -> None:
        """Buffers (and views of them, made once) for minibatches of B examples."""
        if B < 1:
            raise ValueError("A minibatch needs at least one example")
        T, E, H, V, TE = self._T, self._E, self._H, self._V, self._TE
        f32 = np.float32
        self._B = B
        self._xyb = np.empty((B, T + 1), dtype=self._XY.dtype)  # the batch's rows of [X | Y]
        self._xyb_x = self._xyb[:, :T]
        self._xyb_y = self._xyb[:, T]
        self._xb = np.empty((B, T), dtype=np.int64)  # contexts, contiguous for fast gathers
        self._yb = np.empty(B, dtype=np.int64)  # (B,) targets
        # [embcat | 1]: (B, TE + 1); emb is a (B, T, E) view of its first TE columns.
        self._embcat1 = np.ones((B, TE + 1), dtype=f32)
        self._embcat = self._embcat1[:, :TE]
        self._emb = self._embcat.reshape(B, T, E)
        if not np.shares_memory(self._emb, self._embcat1):  # never: reshape keeps a view
            raise RuntimeError("emb must be a view of embcat")
        # h stays contiguous: elementwise operations on a strided view are several times
        # slower, so db2 gets its own (small) matmul with a row of ones instead
        self._h = np.empty((B, H), dtype=f32)
        self._onesB = np.ones(B, dtype=f32)
        self._onesV = np.ones((V, 1), dtype=f32)
        self._logits = np.empty((B, V), dtype=f32)  # logits, then exp, then dlogits
        self._rowmax = np.empty((B, 1), dtype=f32)
        self._sumexp = np.empty((B, 1), dtype=f32)
        self._lse = np.empty(B, dtype=f32)
        self._onehot_y = np.empty((B, V), dtype=f32)  # onehot(Yb)
        self._dh = np.empty((B, H), dtype=f32)  # dh, then dhpre
        if self._bn:
            if B < 2:
                raise ConfigError("BatchNorm needs minibatches of at least 2 examples")
            self._scratchBH = np.empty((B, H), dtype=f32)
            self._bndiff = np.empty((B, H), dtype=f32)  # hpreact - bnmeani
            self._centred = np.empty((B, TE + 1), dtype=f32)  # [embcat | 1] - its mean row
            self._mean_row = np.empty(TE + 1, dtype=f32)
            self._invB = np.full(B, 1.0 / B, dtype=f32)  # a row of 1/B: means as matmuls
            self._invB1 = np.full(B, 1.0 / (B - 1), dtype=f32)  # unbiased variance
        self._demb = np.empty((B, TE), dtype=f32)  # dembcat
        self._demb_rows = self._demb.reshape(B * T, E)  # one row per character of the batch
        # dC = onehot(Xb).T @ demb when the one-hot matrix is small; else torch's index_add_
        # in float64 (sums of up to B * block_size terms), a chunk of rows at a time
        self._use_onehot = B * T <= self.ONE_HOT_ROWS and B * T * V <= self.ONE_HOT_LIMIT
        if self._use_onehot:
            self._onehot_x = np.empty((B, T, V), dtype=f32)
            self._onehot_x_T = self._onehot_x.reshape(B * T, V).T  # (V, B*T)
        else:
            self._tflat = torch.from_numpy(self._xb.reshape(B * T))
            self._demb64 = np.empty((min(B * T, self.SCATTER_CHUNK), E), dtype=np.float64)
            self._tdemb64 = torch.from_numpy(self._demb64)
            self._tdC64 = torch.zeros((V, E), dtype=torch.float64)

    # -- the step -------------------------------------------------------------------------
    def forward_backward(self, ix: np.ndarray) -> float:
        B = len(ix)
        if B != self._B:
            self._allocate(B)
        C, W2, b2 = self._params[0], self._params[3], self._params[4]
        W1_T, W2_T = self._W1_T, self._W2_T
        embcat1 = self._embcat1
        xb, yb, emb, h = self._xb, self._yb, self._emb, self._h
        logits, rowmax, sumexp, lse = self._logits, self._rowmax, self._sumexp, self._lse
        onehot_y, dh, demb = self._onehot_y, self._dh, self._demb

        # forward ------------------------------------------------------------------------
        # mode="clip" skips the bounds check (and a copy): ix comes from the BatchSampler,
        # and every character in X and Y was checked to be < vocab_size in __init__
        np.take(self._XY, ix, axis=0, out=self._xyb, mode="clip")  # (B, T + 1) [Xb | Yb]
        np.copyto(xb, self._xyb_x)  # (B, T) int64
        np.copyto(yb, self._xyb_y)  # (B,) int64
        np.take(C, xb, axis=0, out=emb, mode="clip")  # (B, T, E)
        if self._bn:
            self._batchnorm_forward(B)  # h = BatchNorm(hpreact), before tanh
        else:
            np.dot(embcat1, self._W1b1, out=h)  # (B, H) [embcat | 1] @ [W1; b1]
        np.tanh(h, out=h)
        np.dot(h, W2, out=logits)  # (B, V)
        np.add(logits, b2, out=logits)
        # cross-entropy, numerically stable: subtract each row's max before exp
        np.maximum.reduce(logits, axis=1, out=rowmax, keepdims=True)  # (B, 1)
        np.subtract(logits, rowmax, out=logits)  # (B, V), each row's max is now 0
        np.take(self._eye, yb, axis=0, out=onehot_y, mode="clip")  # (B, V)
        picked = float(np.vdot(onehot_y, logits))  # sum over b of logits[b, Yb[b]] - max_b
        np.exp(logits, out=logits)
        np.dot(logits, self._onesV, out=sumexp)  # (B, 1) sum of exp, >= 1
        np.log(sumexp, out=lse.reshape(B, 1))  # (B,) logsumexp - max
        loss = (float(np.add.reduce(lse)) - picked) / B

        # backward -----------------------------------------------------------------------
        np.divide(logits, sumexp, out=logits)  # (B, V) softmax
        np.subtract(logits, onehot_y, out=logits)
        np.multiply(logits, 1.0 / B, out=logits)  # dlogits = (softmax - onehot) / B
        dlogits = logits
        np.dot(h.T, dlogits, out=self._dW2)  # (H, V)
        np.dot(self._onesB, dlogits, out=self._db2)  # (V,) column sums
        np.dot(dlogits, W2_T, out=dh)  # (B, H)
        np.multiply(h, h, out=h)  # h is not needed any more: reuse it for 1 - h**2
        np.subtract(1.0, h, out=h)
        np.multiply(dh, h, out=dh)  # (B, H) dhpre (with BatchNorm: dhbn, after it)
        if self._bn:
            self._batchnorm_backward(B)  # dh becomes the gradient of hpreact before it
        np.dot(embcat1.T, dh, out=self._dW1b1)  # (TE + 1, H): dW1 and db1
        np.dot(dh, W1_T, out=demb)  # (B, TE)
        # dC[c] = sum of the demb rows whose character is c (a repeated character adds up)
        if self._use_onehot:
            np.take(self._eye, xb, axis=0, out=self._onehot_x, mode="clip")  # (B, T, V)
            np.dot(self._onehot_x_T, self._demb_rows, out=self._dC)  # (V, E)
        else:
            self._scatter_add_dC(self._demb_rows)
        if self.weight_decay:  # grad += weight_decay * p for C, W1 and W2
            for start, stop in self._decayed:
                scaled = self._scaled[start:stop]
                np.multiply(self._flat_params[start:stop], self.weight_decay, out=scaled)
                np.add(self._grad[start:stop], scaled, out=self._grad[start:stop])
        self._has_grad = True
        return loss

    def _batchnorm_forward(self, B: int) -> None:
        """self._h = bndiff * (bngain / bnstdi) + bnbias, and the running statistics.

        bndiff = hpreact - bnmeani is computed as (embcat1 - its mean row) @ [W1; b1]: the
        same number (a matmul is linear), without a pass over (B, n_hidden) for the mean
        and one for the subtraction; b1 drops out, as BatchNorm's shift makes it do."""
        bndiff, h, sq = self._bndiff, self._h, self._scratchBH
        mean, std, k, B1 = self._bnmean, self._bnstd, self._k, B - 1
        np.dot(self._invB, self._embcat1, out=self._mean_row)  # (TE + 1,)
        np.subtract(self._embcat1, self._mean_row, out=self._centred)  # (B, TE + 1)
        np.dot(self._centred, self._W1b1, out=bndiff)  # (B, H)
        np.dot(self._mean_row, self._W1b1, out=mean)  # bnmeani, (H,)
        np.multiply(bndiff, bndiff, out=sq)
        np.dot(self._invB1, sq, out=std)  # unbiased variance, as torch.var
        np.add(std, BN_EPS, out=std)
        np.sqrt(std, out=std)  # bnstdi
        np.divide(self._gain, std, out=k)
        np.multiply(bndiff, k, out=h)
        np.add(h, self._bias, out=h)  # (B, H) hpreact after BatchNorm
        # for the backward pass: -k / B and -k / (bnstdi * (B - 1))
        np.multiply(k, -1.0 / B, out=self._kb)
        np.divide(k, std, out=self._kq)
        np.multiply(self._kq, -1.0 / B1, out=self._kq)
        # running statistics: running = (1 - momentum) * running + momentum * batch's
        for running, batch_value in ((self._mean_running, mean), (self._std_running, std)):
            np.multiply(batch_value, BN_MOMENTUM, out=self._vecH)
            np.multiply(running, 1.0 - BN_MOMENTUM, out=running)
            np.add(running, self._vecH, out=running)

    def _batchnorm_backward(self, B: int) -> None:
        """self._dh holds dhbn (the gradient after BatchNorm); make it dhpre, and fill
        dbngain, dbnbias: dhpre = k * dhbn - k * dbnbias / B - bndiff * k * dbngain /
        (bnstdi * (B - 1)), with the (n_hidden,) factors made first."""
        dh, scratch, onesB = self._dh, self._scratchBH, self._onesB
        np.dot(onesB, dh, out=self._dbias)  # (H,) dbnbias = dhbn.sum(0)
        np.multiply(dh, self._bndiff, out=scratch)
        np.dot(onesB, scratch, out=self._dgain)  # (dhbn * bndiff).sum(0)
        np.divide(self._dgain, self._bnstd, out=self._dgain)  # dbngain
        np.multiply(self._dbias, self._kb, out=self._ak)
        np.multiply(self._dgain, self._kq, out=self._ck)
        np.multiply(dh, self._k, out=dh)
        np.add(dh, self._ak, out=dh)  # k * dhbn - k * dbnbias / B
        np.multiply(self._bndiff, self._ck, out=scratch)
        np.add(dh, scratch, out=dh)  # (B, H) dhpre

    def _scatter_add_dC(self, demb: np.ndarray) -> None:
        """dC[Xb[i]] += demb[i] for every row i of demb (B*T, E), accumulated in float64."""
        tdC64, chunk = self._tdC64, self._demb64.shape[0]
        tdC64.zero_()
        for start in range(0, demb.shape[0], chunk):
            rows = min(chunk, demb.shape[0] - start)
            np.copyto(self._demb64[:rows], demb[start : start + rows])
            tdC64.index_add_(0, self._tflat[start : start + rows], self._tdemb64[:rows])
        np.copyto(self._dC, tdC64.numpy())

    def update(self, lr: float) -> None:
        if not self._has_grad:
            raise RuntimeError("update() needs a forward_backward() first")
        np.multiply(self._grad, -lr, out=self._scaled)  # like autograd: p.data += -lr * grad
        np.add(self._flat_params, self._scaled, out=self._flat_params)  # every parameter

    def gradients(self) -> dict[str, np.ndarray]:
        return {name: g.copy() for name, g in zip(self._names, self._grads, strict=True)}


def packed_parameters(tensors: list[torch.Tensor]) -> np.ndarray | None:
    """A flat NumPy view of all the tensors when they lie back to back, in this order, in one
    storage (contiguous float32 on the CPU); None otherwise."""
    first = tensors[0]
    storage = first.untyped_storage().data_ptr()
    offset = first.storage_offset()
    for t in tensors:
        if t.untyped_storage().data_ptr() != storage or t.storage_offset() != offset:
            return None
        if not t.is_contiguous() or t.dtype != torch.float32 or t.device.type != "cpu":
            return None
        offset += t.numel()
    total = offset - first.storage_offset()
    return first.detach().as_strided((total,), (1,)).numpy()
