"""The training step exactly as taught in the lecture: PyTorch autograd does the backward pass.

    emb = C[Xtr[ix]]
    h = torch.tanh(emb.view(-1, block_size * n_embd) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Ytr[ix])
    for p in parameters: p.grad = None
    loss.backward()
    for p in parameters: p.data += -lr * p.grad

This is the readable reference; core/engines/fast.py computes the same numbers faster.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from charnames_gui.core.config import PARAMETER_NAMES
from charnames_gui.core.model import MLP


class AutogradEngine:
    name = "autograd"
    note = ""  # why this engine was used when the fast one was asked for (else empty)

    def __init__(self, model: MLP, X: torch.Tensor, Y: torch.Tensor) -> None:
        self.model = model
        self.X = X  # (N, block_size) character indices, stored compactly (uint8)
        self.Y = Y  # (N,)
        self.parameters = model.parameters()
        for p in self.parameters:
            p.requires_grad_(True)
        self._width = model.config.block_size * model.config.n_embd

    def forward_backward(self, ix: np.ndarray) -> float:
        C, W1, b1, W2, b2 = self.parameters
        ix_t = torch.from_numpy(ix)
        Xb, Yb = self.X[ix_t].long(), self.Y[ix_t].long()  # the minibatch, as int64
        emb = C[Xb]  # (B, block_size, n_embd)
        h = torch.tanh(emb.view(-1, self._width) @ W1 + b1)  # (B, n_hidden)
        logits = h @ W2 + b2  # (B, vocab_size)
        loss = F.cross_entropy(logits, Yb)
        for p in self.parameters:
            p.grad = None
        loss.backward()
        return loss.item()

    def update(self, lr: float) -> None:
        for p in self.parameters:
            p.data += -lr * p.grad  # type: ignore[operator]  # set by loss.backward()

    def gradients(self) -> dict[str, np.ndarray]:
        return {
            name: p.grad.detach().numpy().copy()  # type: ignore[union-attr]  # after backward
            for name, p in zip(PARAMETER_NAMES, self.parameters, strict=True)
        }
