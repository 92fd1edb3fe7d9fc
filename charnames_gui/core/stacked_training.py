"""One configuration trained with K seeds at once, on all cores.

Copy k is the single run of the same TrainConfig with seed seeds[k]: its initial weights
come from MLP.init(model_config, config.init, seeds[k]) and its minibatches from
BatchSampler(n, batch_size, seeds[k]), exactly as Trainer makes them; the step is the fast
engine's, stacked (engines/stacked.py), so its losses and weights equal that single run's
with the fast engine bit for bit.

The copies are split into one group per core; each group is a StackedFastEngine stepped by
a thread of its own. NumPy lets go of Python's interpreter lock inside its matmuls and
elementwise loops (most of a step), so the groups run side by side; BLAS stays at one
thread per call (core/threads.py), as the matrices are small.

Not every configuration can be stacked: only the fast engine's model and SGD. A setting
the stacked step does not do (a config field that is not the lecture's, at a value other
than its default, such as batch normalisation or weight decay) is refused by
stack_refusal() with the reason, and the caller trains the seeds one after another with
Trainer instead (core/repeat.py does).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields

import numpy as np
import torch

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.engines.stacked import StackedFastEngine
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.examples import SplitTensors
from charnames_gui.core.model import MLP
from charnames_gui.core.training import BatchSampler

# The fields the stacked step implements; any other field must keep its default value.
STACKED_MODEL_FIELDS = frozenset({"block_size", "n_embd", "n_hidden", "vocab_size"})
STACKED_TRAIN_FIELDS = frozenset(
    {"batch_size", "steps", "lr", "schedule", "lr_decay_at", "lr_after", "init", "seed", "engine"}
)
SUB_STEPS = 64  # steps each group takes between two looks at the clock and the stop flag


def stack_refusal(model_config: ModelConfig, config: TrainConfig) -> str:
    """Why these configs cannot be trained by the stacked engine ('' when they can)."""
    if config.engine != "fast":
        return (
            f"the {config.engine} engine is asked for, and the stacked engine computes the "
            "fast engine's steps"
        )
    for cfg, known in ((model_config, STACKED_MODEL_FIELDS), (config, STACKED_TRAIN_FIELDS)):
        default = type(cfg)()
        for f in fields(cfg):
            if f.name not in known and getattr(cfg, f.name) != getattr(default, f.name):
                return f"the stacked engine does not do {f.name.replace('_', ' ')}"
    return ""


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def split_groups(k: int, groups: int) -> list[range]:
    """Copies 0..k-1 in `groups` consecutive groups of nearly equal size (none empty)."""
    groups = max(1, min(groups, k))
    bounds = [round(i * k / groups) for i in range(groups + 1)]
    return [range(bounds[i], bounds[i + 1]) for i in range(groups)]


class _Group:
    """A StackedFastEngine with the minibatch streams of its copies."""

    def __init__(self, models: list[MLP], seeds: list[int], X: torch.Tensor, Y: torch.Tensor,
                 batch_size: int) -> None:  # fmt: skip
        self.engine = StackedFastEngine(models, X, Y)
        self.samplers = [BatchSampler(X.shape[0], batch_size, s) for s in seeds]
        self._ix = np.empty((len(seeds), batch_size), dtype=np.int64)

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


class StackedTrainer:
    """K seeds of one configuration trained together; run() advances them all in lockstep.

    copy k: seed seeds[k]. The attributes step, seconds and done mean what they mean for a
    Trainer; diverged[k] is (step, loss) of the step at which copy k's loss stopped being
    finite (its weights stay those before that step), or None.
    """

    def __init__(
        self,
        model_config: ModelConfig,
        examples: SplitTensors,
        config: TrainConfig,
        seeds: Sequence[int],
        threads: int | None = None,
    ) -> None:
        config.validate()
        model_config.validate()
        why = stack_refusal(model_config, config)
        if why:
            raise ConfigError(f"These runs cannot be stacked: {why}")
        if not seeds:
            raise ConfigError("At least one seed is needed")
        if len(set(seeds)) != len(seeds):
            raise ConfigError("The seeds must differ from each other")
        if examples.block_size != model_config.block_size:
            raise ConfigError("The examples were built for another block size than the model's")
        X, Y = examples.tensors["train"]
        if X.shape[0] == 0:
            raise ConfigError("The training split has no examples")
        self.model_config = model_config
        self.examples = examples
        self.config = config
        self.seeds = [int(s) for s in seeds]
        self.K = len(self.seeds)
        self.step = 0
        self.seconds = 0.0
        self.diverged: list[tuple[int, float] | None] = [None] * self.K
        self._groups: list[_Group] = []
        self._group_of: list[tuple[int, int]] = []  # copy k -> (group, index in it)
        for g, members in enumerate(split_groups(self.K, threads or cores())):
            seeds_g = [self.seeds[k] for k in members]
            models = [MLP.init(model_config, config.init, s) for s in seeds_g]
            self._groups.append(_Group(models, seeds_g, X, Y, config.batch_size))
            self._group_of += [(g, j) for j in range(len(members))]
        self._members = [list(r) for r in split_groups(self.K, len(self._groups))]
        self._pool = (
            ThreadPoolExecutor(len(self._groups), thread_name_prefix="stacked")
            if len(self._groups) > 1
            else None
        )

    @property
    def threads(self) -> int:
        return len(self._groups)

    @property
    def done(self) -> bool:
        return self.step >= self.config.steps or all(d is not None for d in self.diverged)

    def close(self) -> None:
        """End the worker threads (a StackedTrainer is not used after this)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> StackedTrainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self,
        max_steps: int,
        should_stop: Callable[[], bool] | None = None,
        time_budget: float | None = None,
    ) -> np.ndarray:
        """Advance every copy up to max_steps (never past config.steps) and return the
        losses, (steps done, K) float32, NaN for a copy after its divergence. Stops early
        (every SUB_STEPS steps) when should_stop() is true or time_budget seconds passed."""
        n = max(0, min(max_steps, self.config.steps - self.step))
        losses = np.full((n, self.K), np.nan, dtype=np.float32)
        start = time.perf_counter()
        deadline = start + time_budget if time_budget is not None else math.inf
        done = 0
        try:
            while done < n and not self.done:
                m = min(SUB_STEPS, n - done)
                lrs = [self.config.lr_at(self.step + i) for i in range(m)]
                outs = [np.empty((m, len(members)), np.float64) for members in self._members]
                jobs = list(zip(self._groups, outs, strict=True))
                if self._pool is None:
                    for group, out in jobs:
                        group.run(lrs, out)
                else:
                    for future in [self._pool.submit(g.run, lrs, o) for g, o in jobs]:
                        future.result()
                for members, out in zip(self._members, outs, strict=True):
                    losses[done : done + m, members] = out
                self._note_divergence(losses[done : done + m])
                done += m
                self.step += m
                if (should_stop is not None and should_stop()) or time.perf_counter() > deadline:
                    break
        finally:
            self.seconds += time.perf_counter() - start
        return losses[:done]

    def _note_divergence(self, losses: np.ndarray) -> None:
        for k in range(self.K):
            if self.diverged[k] is not None:
                continue
            bad = np.flatnonzero(~np.isfinite(losses[:, k]))
            if len(bad):
                self.diverged[k] = (self.step + int(bad[0]) + 1, float(losses[bad[0], k]))

    # -- the copies -----------------------------------------------------------------------
    def weights(self, k: int) -> dict[str, np.ndarray]:
        g, j = self._group_of[k]
        return self._groups[g].engine.weights(j)

    def model(self, k: int) -> MLP:
        """Copy k's weights as a model of its own."""
        g, j = self._group_of[k]
        return self._groups[g].engine.model(j)

    def models(self) -> list[MLP]:
        return [self.model(k) for k in range(self.K)]

    def evaluate(self, split: str) -> np.ndarray:
        """Each copy's mean loss over a whole split: (K,) float64."""
        X, Y = self.examples.tensors[split]
        models = self.models()
        if self._pool is None:
            return np.array([m.loss(X, Y) for m in models])
        return np.array(list(self._pool.map(lambda m: m.loss(X, Y), models)))
