"""What the Trainer needs from an engine: the loss and gradients of one minibatch, then an
SGD update. Both engines train the very same tensors of an MLP."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Engine(Protocol):
    name: str  # "autograd" or "fast"
    weight_decay: float  # L2: grad += weight_decay * p for C, W1, W2 (set by the Trainer)

    def forward_backward(self, ix: np.ndarray) -> float:
        """Loss of the minibatch X[ix], Y[ix] (ix: (B,) int64 row indices) and its gradients,
        kept inside the engine until update(). Parameters are not changed."""
        ...

    def update(self, lr: float) -> None:
        """p += -lr * grad for every parameter, in place."""
        ...

    def gradients(self) -> dict[str, np.ndarray]:
        """Copies of the last gradients, by parameter name (for tests and teaching)."""
        ...
