"""Search trials side by side, one worker process per core (core/search.py, workers > 1).

Each worker is a "spawn" process that imports torch, limits itself to one thread (the
lecture's matrices are too small for more) and builds the dataset's examples once per block
size. A trial's plan goes in; its dev losses come back through a queue as they are measured
(so the window shows progress), and its outcome and, for a complete trial, its weights come
back when it ends. One Event stops every worker between two training steps.

Trials run in batches of `workers`: the search asks Optuna for a batch, runs it (each trial
is recorded and shown as soon as it ends), and tells Optuna the results in trial order
before asking again: a batch waits for its slowest trial. With the pruning bars fixed before a
batch starts (core/search_trial.py), a seed and a number of workers decide every trial.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import numpy as np

from charnames_gui.core.child_process import main_module_hidden
from charnames_gui.core.data import Dataset
from charnames_gui.core.search_trial import TrialOutcome, TrialPlan, run_trial
from charnames_gui.core.vocabulary import Vocabulary

# the most worker processes a search starts (each holds torch, ~200 MB)
MAX_WORKERS = 8


def default_workers() -> int:
    """One worker per core this process may run on, at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


_worker: dict[str, Any] = {}  # in a worker process: its dataset, stop event and queue


def _start_worker(
    words: Sequence[str], name: str, split_seed: int, itos: Sequence[str], stop: Any, out: Any
) -> None:
    from charnames_gui.core.threads import limit_threads

    limit_threads(1)
    vocab = Vocabulary(tuple(itos))
    _worker["dataset"] = Dataset(list(words), name=name, split_seed=split_seed, vocab=vocab)
    _worker["stop"], _worker["queue"] = stop, out


def _train(plan: TrialPlan) -> tuple[TrialOutcome, dict[str, np.ndarray] | None]:
    """In a worker: one trial; the weights of a complete trial come back, the others' not."""
    dataset: Dataset = _worker["dataset"]
    trial = run_trial(dataset.examples(plan.model.block_size), plan, _worker["stop"].is_set)
    try:
        while True:
            step, steps, dev = next(trial)
            _worker["queue"].put((plan.number, step, steps, dev))
    except StopIteration as done:
        outcome, model = done.value
    return outcome, (model.snapshot() if outcome.state == "complete" else None)


class TrialPool:
    """`workers` processes that train trials; close() ends them."""

    def __init__(self, dataset: Dataset, workers: int) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded Qt app
        self.stop = context.Event()
        self.progress: Any = context.Queue()
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(
                dataset.words, dataset.name, dataset.split_seed, dataset.vocab.itos,
                self.stop, self.progress,
            ),
        )  # fmt: skip

    def submit(self, plan: TrialPlan) -> Future[tuple[TrialOutcome, dict[str, np.ndarray] | None]]:
        with main_module_hidden():  # a new worker may start here: see child_process
            return self._executor.submit(_train, plan)

    def next_progress(self, timeout: float) -> tuple[int, int, int, float] | None:
        """(trial number, step, steps, dev) of the next dev measurement, or None after
        timeout seconds."""
        try:
            item: tuple[int, int, int, float] = self.progress.get(timeout=timeout)
        except queue.Empty:
            return None
        return item

    def close(self) -> None:
        """Stop the trials in flight between two steps and end the workers."""
        self.stop.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.progress.close()
        self.progress.join_thread()
