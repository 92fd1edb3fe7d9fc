"""The training child's side of a stacked group: some of a StackedTrainer's copies (a
core/stacked_group.StackedGroup), stepped in a process of its own (core/stacked_training.py
sends the requests through core/child_process.py; core/child_serve.py passes every
"stack_*" request here).

Why processes: each step of a group is ~35 small NumPy calls, and two groups stepped by two
threads of one process wait on each other for Python's interpreter lock (two threads ran
slower than one). Groups in two processes step side by side on two cores, and the app's
thread that drives them only waits on pipes.

The copies are made here from their seeds (MLP.init, BatchSampler) exactly as in the app's
process, and stepped by the same StackedFastEngine with BLAS at one thread, so each copy's
losses and weights are those of its single run, bit for bit.

Requests (key: the StackedTrainer's group) and replies:
    ("stack_init", key, model_config, X, Y, train_config, seeds)  -> ("ok",)
    ("stack_run", key, lrs)          -> ("ok", losses (len(lrs), k) float64, NaN once frozen)
    ("stack_weights", key, j)        -> ("ok", {name: array}) of the group's copy j
    ("stack_eval", key, X, Y, sizes) -> ("ok", [LossEstimate of each copy]) on those examples
    ("stack_drop", key)              -> ("ok",)
    ("stack_nice", niceness)         -> ("ok", the process's niceness): at least that nice
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from charnames_gui.core.child_protocol import TrainerProcessError
from charnames_gui.core.model import MLP
from charnames_gui.core.stacked_group import StackedGroup


class StackHost:
    """The groups this child holds, by key."""

    def __init__(self) -> None:
        self.groups: dict[int, StackedGroup] = {}

    def handle(self, command: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
        if command == "stack_init":
            key, model_config, X, Y, config, seeds = args
            models = [MLP.init(model_config, config.init, s) for s in seeds]
            self.groups[key] = StackedGroup(
                models, list(seeds), torch.from_numpy(X), torch.from_numpy(Y), config.batch_size
            )
            return ("ok",)
        if command == "stack_nice":  # lower this process's priority (never raise it)
            wanted = int(args[0])
            current = os.nice(0)
            if wanted > current:
                current = os.nice(wanted - current)
            return ("ok", current)
        if command == "stack_drop":
            self.groups.pop(args[0], None)
            return ("ok",)
        group = self.groups.get(args[0])
        if group is None:
            raise TrainerProcessError("This group of seeds is not in the training process")
        if command == "stack_run":
            lrs = args[1]
            out = np.empty((len(lrs), group.k), np.float64)
            group.run(lrs, out)
            return ("ok", out)
        if command == "stack_weights":
            return ("ok", group.engine.weights(args[1]))
        if command == "stack_eval":
            return ("ok", group.estimates(*args[1:]))
        raise TrainerProcessError(f"Unknown request {command!r}")
