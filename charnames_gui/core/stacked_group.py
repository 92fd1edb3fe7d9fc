"""One group of a StackedTrainer's copies: a StackedFastEngine with the minibatch streams
of its copies, stepped where it lives (in the app's process by core/stacked_training.py,
or in a training child by core/stacked_child.py; both build it the same way, so a copy's
steps are the same wherever its group runs)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from charnames_gui.core.engines.stacked import StackedFastEngine
from charnames_gui.core.model import MLP
from charnames_gui.core.training import BatchSampler
from charnames_gui.core.uncertainty import LossEstimate, clustered_mean, example_losses


class StackedGroup:
    """A StackedFastEngine with the minibatch streams of its copies (copy j: seeds[j])."""

    def __init__(self, models: list[MLP], seeds: list[int], X: torch.Tensor, Y: torch.Tensor,
                 batch_size: int) -> None:  # fmt: skip
        self.engine = StackedFastEngine(models, X, Y)
        self.samplers = [BatchSampler(X.shape[0], batch_size, s) for s in seeds]
        self._ix = np.empty((len(seeds), batch_size), dtype=np.int64)

    @property
    def k(self) -> int:
        """Copies in the group."""
        return len(self.samplers)

    def run(self, lrs: Sequence[float], out: np.ndarray) -> None:
        """One step per learning rate; out[i] (k,) gets step i's losses (NaN once frozen)."""
        engine, ix = self.engine, self._ix
        for i, lr in enumerate(lrs):
            for j, sampler in enumerate(self.samplers):
                ix[j] = sampler.next()
            was_frozen = engine.frozen
            losses = engine.forward_backward(ix)
            losses[was_frozen] = math.nan  # after its divergence a copy has no loss
            out[i] = losses
            engine.update(lr)

    def estimates(self, X: np.ndarray, Y: np.ndarray, sizes: np.ndarray) -> list[LossEstimate]:
        """Each copy's loss on (X, Y) with its standard error clustered by name
        (core/uncertainty.py; sizes: examples of each name, in order)."""
        Xt, Yt = torch.from_numpy(np.asarray(X)), torch.from_numpy(np.asarray(Y))
        return [
            clustered_mean(example_losses(self.engine.model(j), Xt, Yt), sizes)
            for j in range(self.k)
        ]
