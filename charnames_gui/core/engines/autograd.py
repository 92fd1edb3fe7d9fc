"""The training step exactly as taught in the lecture: PyTorch autograd does the backward pass.

    emb = C[Xtr[ix]]
    h = torch.tanh(emb.view(-1, block_size * n_embd) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Ytr[ix])
    for p in parameters: p.grad = None
    loss.backward()
    for p in parameters: p.data += -lr * p.grad

With BatchNorm (makemore part 3) the pre-activation is normalised by the batch's statistics
before tanh, and the running statistics are updated (core/model.py, batchnorm_train). With
weight decay, weight_decay / 2 * sum(p**2) of C, W1 and W2 is added to the loss that
backward() differentiates (the loss returned stays the cross-entropy).

This is the readable reference; core/engines/fast.py computes the same numbers faster.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from charnames_gui.core.config import DECAYED_PARAMETERS, parameter_names
from charnames_gui.core.model import MLP, batchnorm_train


class AutogradEngine:
    name = "autograd"
    note = ""  # why this engine was used when the fast one was asked for (else empty)

    def __init__(self, model: MLP, X: torch.Tensor, Y: torch.Tensor) -> None:
        self.model = model
        self.X = X  # (N, block_size) character indices, stored compactly (uint8)
        self.Y = Y  # (N,)
        self.names = parameter_names(model.config)
        self.parameters = model.parameters()
        for p in self.parameters:
            p.requires_grad_(True)
        self._width = model.config.block_size * model.config.n_embd
        self.weight_decay = 0.0  # set by the Trainer from its TrainConfig

    def forward_backward(self, ix: np.ndarray) -> float:
        C, W1, b1, W2, b2 = self.parameters[:5]
        ix_t = torch.from_numpy(ix)
        Xb, Yb = self.X[ix_t].long(), self.Y[ix_t].long()  # the minibatch, as int64
        emb = C[Xb]  # (B, block_size, n_embd)
        hpreact = emb.view(-1, self._width) @ W1 + b1  # (B, n_hidden)
        if self.model.config.batchnorm:
            bngain, bnbias = self.parameters[5:]
            hpreact = batchnorm_train(hpreact, bngain, bnbias, self.model.buffers)
        h = torch.tanh(hpreact)  # (B, n_hidden)
        logits = h @ W2 + b2  # (B, vocab_size)
        loss = F.cross_entropy(logits, Yb)
        total = loss
        if self.weight_decay:
            by_name = dict(zip(self.names, self.parameters, strict=True))
            l2 = sum((by_name[n] ** 2).sum() for n in DECAYED_PARAMETERS)
            total = loss + 0.5 * self.weight_decay * l2
        for p in self.parameters:
            p.grad = None
        total.backward()
        return loss.item()

    def update(self, lr: float) -> None:
        for p in self.parameters:
            p.data += -lr * p.grad  # type: ignore[operator]  # set by loss.backward()

    def gradients(self) -> dict[str, np.ndarray]:
        return {
            name: p.grad.detach().numpy().copy()  # type: ignore[union-attr]  # after backward
            for name, p in zip(self.names, self.parameters, strict=True)
        }
