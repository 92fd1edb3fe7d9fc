"""Experiments on top of the controller: the run history, reference losses, K-seed repeats
and the rarely-looked-at test set.

Every run that ends (finished, stopped or diverged) is recorded in the RunStore. A repeat
runs one configuration with K seeds, one after another in the worker, and reports the dev
loss as mean and standard deviation.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from charnames_gui.core.bigram import bigram_dev_loss, uniform_loss
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.events import RunEnded
from charnames_gui.core.runs import RunRecord, RunStore
from charnames_gui.core.stats import SeedStats, repeat_seeds, seed_stats
from charnames_gui.ui.controller import Controller, ModelInfo

MAX_REPEATS = 50


@dataclass
class Repeat:
    """K seeds of one configuration, run one after another."""

    group_id: str
    seeds: list[int]
    done: list[float | None] = field(default_factory=list)  # dev loss of each finished seed

    @property
    def next_index(self) -> int:  # 0-based index of the next seed to run
        return len(self.done)


class Experiments(QObject):
    runRecorded = Signal(object)  # RunRecord, as stored (with its id)
    referencesChanged = Signal(float, object)  # uniform loss, bigram dev loss or None
    repeatProgress = Signal(str)  # "seed 2 of 5"
    repeatFinished = Signal(object)  # SeedStats of the dev losses
    testEvaluated = Signal(float, int)  # test loss, how many times it was looked at
    statusMessage = Signal(str)

    def __init__(self, controller: Controller, store: RunStore) -> None:
        super().__init__(controller)
        self.controller = controller
        self.store = store
        self.repeat: Repeat | None = None
        self.uniform: float | None = None
        self.bigram: float | None = None
        self._last_run_id: int | None = None  # the current model's latest record
        controller.datasetChanged.connect(self._on_dataset_changed)
        controller.modelReset.connect(self._on_model_reset)
        controller.runEnded.connect(self._on_run_ended)
        controller.splitEvaluated.connect(self._on_split_evaluated)

    # -- references -------------------------------------------------------------------------
    def _on_dataset_changed(self, dataset: Dataset | None) -> None:
        if dataset is None or dataset.vocab is None:
            self.uniform = self.bigram = None
        else:
            self.uniform = uniform_loss(dataset.vocab.size)
            self.bigram = bigram_dev_loss(dataset)
        self.referencesChanged.emit(self.uniform or math.nan, self.bigram)

    # -- recording runs ---------------------------------------------------------------------
    def _on_model_reset(self, info: ModelInfo) -> None:
        self._last_run_id = None

    def _on_run_ended(self, outcome: RunEnded) -> None:
        if outcome.status in ("paused", "failed"):
            return
        record = self._record(outcome)
        if self.repeat is not None:
            self._continue_repeat(outcome)
        if record is not None:
            self.runRecorded.emit(record)

    def _record(self, outcome: RunEnded) -> RunRecord | None:
        c = self.controller
        if c.dataset is None or c.model is None or c.trainer is None:
            return None
        steps, losses = c.run_log.curve.data()
        repeat = self.repeat
        record = RunRecord(
            dataset_name=c.dataset.name,
            dataset_hash=c.dataset.content_hash(),
            model=c.model.config,
            train=c.trainer.config,
            split_seed=c.dataset.split_seed,
            steps_done=outcome.step,
            seconds=outcome.seconds,
            train_loss=outcome.train_loss,
            dev_loss=outcome.dev_loss,
            status="stopped" if outcome.status == "stopped" else outcome.status,  # type: ignore[arg-type]
            group_id=repeat.group_id if repeat else None,
            group_index=repeat.next_index + 1 if repeat else None,
            group_size=len(repeat.seeds) if repeat else None,
            curve_steps=steps.astype("float32"),
            curve_loss=losses.astype("float32"),
        )
        try:
            stored = self.store.add(record)
        except CharnamesError as exc:
            self.statusMessage.emit(f"The run was not recorded: {exc}")
            return None
        self._last_run_id = stored.id
        return stored

    # -- K-seed repeats ---------------------------------------------------------------------
    def start_repeat(self, k: int) -> bool:
        """Train the current configuration with k seeds (the first is the panel's seed)."""
        c = self.controller
        info = c.model_info()
        if info is None or c.dataset is None or c.is_busy() or not 2 <= k <= MAX_REPEATS:
            return False
        self.repeat = Repeat(uuid.uuid4().hex[:12], repeat_seeds(info.train_config.seed, k))
        self._base = info
        return self._run_next_seed()

    def cancel_repeat(self) -> None:
        self.repeat = None

    def _run_next_seed(self) -> bool:
        repeat, c = self.repeat, self.controller
        assert repeat is not None
        i = repeat.next_index
        base = self._base
        if not c.new_model(base.config, base.train_config.replace(seed=repeat.seeds[i]),
                           base.split_seed):  # fmt: skip
            self.repeat = None
            return False
        self.repeatProgress.emit(f"seed {i + 1} of {len(repeat.seeds)}")
        c.start()
        return True

    def _continue_repeat(self, outcome: RunEnded) -> None:
        repeat = self.repeat
        assert repeat is not None
        repeat.done.append(outcome.dev_loss)
        if outcome.status == "stopped" or repeat.next_index >= len(repeat.seeds):
            stats = seed_stats(repeat.done)
            self.repeat = None
            self.repeatFinished.emit(stats)
            return
        # start the next seed once this signal has been handled by everyone
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self._run_next_seed)

    # -- the test set -----------------------------------------------------------------------
    def evaluate_test(self) -> bool:
        return self.controller.evaluate_split("test")

    def _on_split_evaluated(self, split: str, loss: float) -> None:
        if split != "test":
            return
        if not math.isfinite(loss):
            self.statusMessage.emit("The test loss could not be computed")
            return
        count = self.controller.record_test_evaluation(loss)
        if self._last_run_id is not None:
            try:
                self.store.set_test_loss(self._last_run_id, loss)
            except CharnamesError as exc:
                self.statusMessage.emit(f"The test loss was not recorded: {exc}")
        self.testEvaluated.emit(loss, count)

    @staticmethod
    def describe(stats: SeedStats) -> str:
        return f"dev loss {stats.format()}"
