"""The learning-rate sweep with K seeds at once, on the stacked engine.

Seed k's sweep is the lecture's sweep (core/training.lr_sweep_steps) of a fresh model
MLP.init(model_config, init, seeds[k]) with minibatches from BatchSampler(seed): one step
at each lr of 10 ** linspace(-3, 0, n). All K take their steps together
(core/stacked_training.StackedTrainer with the sweep's learning rates), so each seed's
steps are its own sweep's bit for bit (fast engine); its losses are that sweep's rounded to
float32, as the stack keeps them. A seed's curve ends at its first
loss that is not finite, as a single sweep does; the others go on.

Reading K curves: each seed's suggestion is the lowest point of its moving average
(lr_curve.suggest_lr); the sweep's suggestion is that of the mean curve over the steps where
every seed still has a loss, and the spread of the seeds' own suggestions says how far one
sweep's valley can be trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.examples import SplitTensors
from charnames_gui.core.lr_curve import (  # the reading of K curves (numpy only)
    finite_prefix,
    mean_curve,
    seed_suggestions,
    suggest_from_seeds,
)
from charnames_gui.core.stacked_training import StackedTrainer
from charnames_gui.core.training import sweep_lrs

__all__ = [
    "SweepChunk",
    "finite_prefix",
    "lr_sweep_seeds",
    "mean_curve",
    "seed_suggestions",
    "suggest_from_seeds",
]  # fmt: skip
CHUNK_SECONDS = 0.05  # steps between two looks at the stop flag (and two chunks yielded)


@dataclass(frozen=True)
class SweepChunk:
    """Consecutive steps of the K sweeps."""

    lrs: np.ndarray  # (m,) float64: the lr of each step
    losses: np.ndarray  # (m, K) float64: each seed's loss; NaN from its blow-up on


def sweep_config(batch_size: int, n: int, init: str, seed: int) -> TrainConfig:
    """The TrainConfig the stack is made with: the sweep's lrs replace its schedule."""
    return TrainConfig(batch_size=batch_size, steps=n, lr=1.0, schedule="constant",
                       init=init, seed=seed, engine="fast")  # fmt: skip


def lr_sweep_seeds(
    model_config: ModelConfig,
    examples: SplitTensors,
    seeds: Sequence[int],
    batch_size: int = 32,
    n: int = 1000,
    init: str = "lecture",
    low_exponent: float = -3.0,
    high_exponent: float = 0.0,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[SweepChunk]:
    """The sweeps of len(seeds) fresh models, stepped together in this process; ends when
    every seed has blown up, at n steps, or when should_stop() is true."""
    lrs = sweep_lrs(n, low_exponent, high_exponent)
    config = sweep_config(batch_size, n, init, int(seeds[0]))
    lr_array = np.asarray(lrs, dtype=np.float64)
    with StackedTrainer(model_config, examples, config, seeds, lrs=lrs) as stack:
        while not stack.done and not (should_stop is not None and should_stop()):
            first = stack.step
            losses = stack.run(n, should_stop, CHUNK_SECONDS)  # (m, K)
            if not len(losses):
                return
            yield SweepChunk(lr_array[first : stack.step], losses.astype(np.float64))
