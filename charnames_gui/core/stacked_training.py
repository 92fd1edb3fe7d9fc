"""One configuration trained with K seeds at once, on all cores.

Copy k is the single run of the same TrainConfig with seed seeds[k]: its initial weights
come from MLP.init(model_config, config.init, seeds[k]) and its minibatches from
BatchSampler(n, batch_size, seeds[k]), exactly as Trainer makes them; the step is the fast
engine's, stacked (engines/stacked.py), so its losses and weights equal that single run's
with the fast engine bit for bit.

Where the copies run: by default all in this process, stepped by one thread (threads=1).
With processes=P > 1 they are split into P groups, each stepped by a training child of its
own (core/stacked_child.py, through core/child_process.py), one per core: the groups step
side by side, and this process only waits on pipes (the window stays free). Threads in one
process do not scale: each step is ~35 small NumPy calls, and two threads convoy on
Python's interpreter lock (2 threads ran 0.8x as fast as 1). BLAS stays at one thread per
call (core/threads.py), as the matrices are small.

Not every configuration can be stacked: only the fast engine's model and SGD. A setting
the stacked step does not do (a config field that is not the lecture's, at a value other
than its default, such as batch normalisation or weight decay) is refused by
stack_refusal() with the reason, and the caller trains the seeds one after another with
Trainer instead (core/repeat.py does).
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import TypeVar

import numpy as np
import torch

from charnames_gui.core.child_process import TrainingProcess
from charnames_gui.core.child_protocol import ANSWER_TIMEOUT, START_TIMEOUT
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.examples import SplitTensors
from charnames_gui.core.model import MLP
from charnames_gui.core.stacked_group import StackedGroup
from charnames_gui.core.uncertainty import LossEstimate

# The fields the stacked step implements; any other field must keep its default value.
STACKED_MODEL_FIELDS = frozenset({"block_size", "n_embd", "n_hidden", "vocab_size"})
STACKED_TRAIN_FIELDS = frozenset(
    {"batch_size", "steps", "lr", "schedule", "lr_decay_at", "lr_after", "init", "seed", "engine"}
)
SUB_STEPS = 64  # steps each group takes between two looks at the clock and the stop flag
CHUNK_SECONDS = 0.05  # ... in processes: about this long (a request per chunk and group)
MAX_CHUNK = 2048
_keys = itertools.count(1)
_T = TypeVar("_T")


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


def pin_children(pids: Sequence[int | None]) -> None:
    """Child i on core i of this process's cores, when there are enough: a child that stays
    on its core keeps its caches (8 seeds in 2 children, under load: x1.12 model-steps/s,
    pinned against free, 4 rounds of 4,000 steps alternating; the arithmetic is the same).
    Nothing happens where affinity cannot be set."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
        if len(pids) < 2 or len(pids) > len(allowed):
            return
        for pid, core in zip(pids, allowed, strict=False):
            if pid is not None:
                os.sched_setaffinity(pid, {core})
    except (AttributeError, OSError):  # not on Linux, or the child ended meanwhile
        return


def split_groups(k: int, groups: int) -> list[range]:
    """Copies 0..k-1 in `groups` consecutive groups of nearly equal size (none empty)."""
    groups = max(1, min(groups, k))
    bounds = [round(i * k / groups) for i in range(groups + 1)]
    return [range(bounds[i], bounds[i + 1]) for i in range(groups)]


def side_by_side(fn: Callable[[_T], object], items: Sequence[_T]) -> list[object]:
    """[fn(item) for item in items], the first in this thread and each other in a daemon
    thread of its own, side by side; an exception is raised here. (Plain daemon threads
    waited on with Events: a pool's threads, started from a QThread, would leave a dummy
    Thread registered in `threading` for the rest of the process.)"""
    if len(items) <= 1:
        return [fn(item) for item in items]
    results: list[object] = [None] * len(items)
    errors: list[BaseException] = []
    ended = [threading.Event() for _ in items[1:]]

    def call(i: int) -> None:
        try:
            results[i] = fn(items[i])
        except BaseException as exc:  # handed to the caller's thread
            errors.append(exc)
        finally:
            if i:
                ended[i - 1].set()

    for i in range(1, len(items)):
        threading.Thread(target=call, args=(i,), name="stacked-group", daemon=True).start()
    call(0)
    for event in ended:
        event.wait()
    if errors:
        raise errors[0]
    return results


class _RemoteGroup:
    """A StackedGroup held by a training child (core/stacked_child.py): the same steps."""

    def __init__(self, process: TrainingProcess, model_config: ModelConfig, X: torch.Tensor,
                 Y: torch.Tensor, config: TrainConfig, seeds: list[int]) -> None:  # fmt: skip
        self.process = process
        self.key = next(_keys)
        self.k = len(seeds)
        self._init = (model_config, X.numpy(), Y.numpy(), config, seeds)

    def start(self, nice: int = 0) -> None:
        """Start the child (it imports torch) and make the copies there; nice > 0: the
        child runs at that lower priority."""
        self.process.call("stack_init", self.key, *self._init, timeout=START_TIMEOUT)
        if nice > 0:
            self.process.call("stack_nice", nice, timeout=ANSWER_TIMEOUT)

    def run(self, lrs: Sequence[float], out: np.ndarray, timeout: float) -> None:
        out[:] = self.process.call("stack_run", self.key, list(lrs), timeout=timeout)[1]

    def weights(self, j: int) -> dict[str, np.ndarray]:
        return dict(self.process.call("stack_weights", self.key, j, timeout=ANSWER_TIMEOUT)[1])

    def estimates(self, X: np.ndarray, Y: np.ndarray, sizes: np.ndarray) -> list[LossEstimate]:
        # a pass over a split per copy: ~0.1-1 s each on the lecture's data
        timeout = START_TIMEOUT + 5e-5 * len(X) * self.k
        return list(self.process.call("stack_eval", self.key, X, Y, sizes, timeout=timeout)[1])


class StackedTrainer:
    """K seeds of one configuration trained together; run() advances them all in lockstep.

    copy k: seed seeds[k]. The attributes step, seconds and done mean what they mean for a
    Trainer; diverged[k] is (step, loss) of the step at which copy k's loss stopped being
    finite (its weights stay those before that step), or None.

    threads: groups in this process, each stepped by a thread (1: no threads; more is
    slower, see the module's docstring). processes: groups each in a training child of
    its own (1: none); when > 1 it is used instead of threads. close() ends the children.
    lrs: the learning rate of each step (config.steps of them) instead of config's schedule.
    nice: the training children's niceness; the window asks for a lower priority, so that
    its own thread gets a core when it needs one (the arithmetic is the same).
    """

    def __init__(
        self,
        model_config: ModelConfig,
        examples: SplitTensors,
        config: TrainConfig,
        seeds: Sequence[int],
        threads: int = 1,
        processes: int = 1,
        lrs: Sequence[float] | None = None,
        nice: int = 0,
    ) -> None:
        config.validate()
        if lrs is not None and len(lrs) != config.steps:
            raise ConfigError("One learning rate per step is needed")
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
        self.in_processes = processes > 1 and self.K > 1
        self._members = [
            list(r) for r in split_groups(self.K, processes if self.in_processes else threads)
        ]
        self._group_of = [(g, j) for g, m in enumerate(self._members) for j in range(len(m))]
        self._groups: list[StackedGroup] = []
        self._remote: list[_RemoteGroup] = []
        self._chunk = SUB_STEPS
        # one learning rate per step instead of the config's schedule (the LR sweep)
        self._lrs = None if lrs is None else [float(lr) for lr in lrs]
        self.nice = nice  # the training children's niceness (0: as this process)
        if self.in_processes:
            for members in self._members:
                seeds_g = [self.seeds[k] for k in members]
                self._remote.append(
                    _RemoteGroup(TrainingProcess(), model_config, X, Y, config, seeds_g)
                )
        else:
            for members in self._members:
                seeds_g = [self.seeds[k] for k in members]
                models = [MLP.init(model_config, config.init, s) for s in seeds_g]
                self._groups.append(StackedGroup(models, seeds_g, X, Y, config.batch_size))
        self._started = False

    @property
    def threads(self) -> int:
        """Groups stepped side by side (threads, or processes)."""
        return len(self._members)

    @property
    def processes(self) -> int:
        return len(self._remote)

    @property
    def done(self) -> bool:
        return self.step >= self.config.steps or all(d is not None for d in self.diverged)

    def start(self) -> None:
        """Start the training children and make the copies there (the first run() does it
        if not called): ~2 s while each imports torch."""
        if self._started or not self._remote:
            self._started = True
            return
        self._map(lambda r: r.start(self.nice), self._remote)
        self._started = True
        pin_children([r.process.pid for r in self._remote])

    def close(self) -> None:
        """End the training children (a StackedTrainer is not used after this)."""
        for remote in self._remote:
            remote.process.close()

    def __enter__(self) -> StackedTrainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _map(self, fn: Callable[[_T], object], items: Sequence[_T]) -> list[object]:
        return side_by_side(fn, items)

    def run(
        self,
        max_steps: int,
        should_stop: Callable[[], bool] | None = None,
        time_budget: float | None = None,
    ) -> np.ndarray:
        """Advance every copy up to max_steps (never past config.steps) and return the
        losses, (steps done, K) float32, NaN for a copy after its divergence. Stops early
        (every SUB_STEPS steps; in processes every ~CHUNK_SECONDS) when should_stop() is
        true or time_budget seconds passed."""
        self.start()
        n = max(0, min(max_steps, self.config.steps - self.step))
        losses = np.full((n, self.K), np.nan, dtype=np.float32)
        start = time.perf_counter()
        deadline = start + time_budget if time_budget is not None else math.inf
        done = 0
        try:
            while done < n and not self.done:
                m = min(self._chunk, n - done)
                if self._lrs is not None:
                    lrs = self._lrs[self.step : self.step + m]
                else:
                    lrs = [self.config.lr_at(self.step + i) for i in range(m)]
                outs = [np.empty((m, len(members)), np.float64) for members in self._members]
                began = time.perf_counter()
                if self._remote:
                    # a chunk normally takes ~CHUNK_SECONDS: a child 20x late is stuck
                    timeout = ANSWER_TIMEOUT + 20 * CHUNK_SECONDS * m / self._chunk
                    pairs = zip(self._remote, outs, strict=True)
                    jobs = [(r, lrs, out, timeout) for r, out in pairs]
                    self._map(lambda job: job[0].run(*job[1:]), jobs)
                    took = time.perf_counter() - began
                    if m == self._chunk:  # aim at CHUNK_SECONDS per chunk
                        scale = CHUNK_SECONDS / max(took, 1e-4)
                        self._chunk = int(min(MAX_CHUNK, max(1, m * min(2.0, scale))))
                else:
                    here = [(g, lrs, out) for g, out in zip(self._groups, outs, strict=True)]
                    self._map(lambda job: job[0].run(*job[1:]), here)
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
        if self._remote:
            self.start()
            return self._remote[g].weights(j)
        return self._groups[g].engine.weights(j)

    def model(self, k: int) -> MLP:
        """Copy k's weights as a model of its own."""
        w = self.weights(k)
        return MLP(self.model_config, {n: torch.from_numpy(v) for n, v in w.items()})

    def models(self) -> list[MLP]:
        return [self.model(k) for k in range(self.K)]

    def estimates(self, split: str, sizes: np.ndarray) -> list[LossEstimate]:
        """Each copy's loss on a whole split with its standard error clustered by name
        (sizes: the split's examples per name, core/uncertainty.name_sizes). In processes,
        each child measures its own copies, side by side."""
        X, Y = self.examples.tensors[split]
        if self._remote:
            self.start()
            parts = self._map(lambda r: r.estimates(X.numpy(), Y.numpy(), sizes), self._remote)
            return [e for part in parts for e in part]  # type: ignore[attr-defined]
        return [e for g in self._groups for e in g.estimates(X.numpy(), Y.numpy(), sizes)]

    def evaluate(self, split: str) -> np.ndarray:
        """Each copy's mean loss over a whole split: (K,) float64."""
        X, Y = self.examples.tensors[split]
        return np.array([m.loss(X, Y) for m in self.models()])
