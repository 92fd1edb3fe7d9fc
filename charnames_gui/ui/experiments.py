"""Experiments on top of the controller: the run history, reference losses, K-seed repeats
and the rarely-looked-at test set.

Every run that ends (finished, stopped, diverged or failed) is handed to the RunHistory,
which records it off the GUI thread; a finished run whose loss stays above ln(V) is recorded
as diverged. A repeat runs one configuration with K seeds and reports the dev loss as mean
and standard deviation.

When the configuration can be stacked (core/stacked_training.stack_refusal), the K seeds
train together (core/stacked_run.RepeatTrainer, in one training child per core), driven by
the worker like one run: Start, Pause, Resume and Stop act on all of them, and the loss plot
shows their band. The current model is the learner's own seed (the Seed field's); when the
run ends, every seed is measured (loss ± its error) and recorded as a row of the repeat,
and the current model trains on alone with its own trainer.

Otherwise (a setting the stack does not do) the seeds run one after another: each seed's
model is an ordinary new model (the panel shows it, Seed included), so when the repeat ends
the current model is the last seed's and the fields agree with it; the finished message
says so. Either way a repeat ends when the learner makes, opens or changes a model: any
model other than the one its seed makes (Repeat.owns).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from charnames_gui.core.bigram import bigram_dev_loss, uniform_loss
from charnames_gui.core.config import TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.events import RunEnded
from charnames_gui.core.runs import RunRecord, recorded_status
from charnames_gui.core.stats import MAX_REPEATS, SeedStats, repeat_seeds, seed_stats
from charnames_gui.ui.controller import Controller, ModelInfo
from charnames_gui.ui.run_history import RunHistory

if TYPE_CHECKING:  # torch-backed: made once torch has loaded
    from charnames_gui.core.stacked_run import RepeatTrainer

__all__ = ["MAX_REPEATS", "Experiments", "Repeat"]


@dataclass
class Repeat:
    """K seeds of one configuration, run one after another."""

    group_id: str
    seeds: list[int]
    base: ModelInfo  # the configuration repeated
    done: list[float | None] = field(default_factory=list)  # dev loss of each ended seed

    @property
    def next_index(self) -> int:  # 0-based index of the next seed to run
        return len(self.done)

    # the model of the seed being trained: its Document.generation (None: not made yet)
    generation: int | None = None
    stack: RepeatTrainer | None = None  # the K seeds trained together (None: one by one)

    def next_train_config(self) -> TrainConfig:
        return self.base.train_config.replace(seed=self.seeds[self.next_index])

    def owns(self, info: ModelInfo) -> bool:
        """Is this the model the repeat made for its current seed? (Any other model, made or
        opened by the learner, ends the repeat.)"""
        return info.generation == self.generation


class Experiments(QObject):
    runRecorded = Signal(object)  # RunRecord, as stored (with its id; None: not saved)
    referencesChanged = Signal(float, object)  # uniform loss, bigram dev loss or None
    repeatProgress = Signal(str)  # "seed 2 of 5"
    repeatFinished = Signal(object)  # SeedStats of the dev losses
    repeatCancelled = Signal(str)  # why the repeat ended early, in the learner's words
    testEvaluated = Signal(float, int)  # test loss, how many times it was looked at
    statusMessage = Signal(str)

    def __init__(self, controller: Controller, history: RunHistory) -> None:
        super().__init__(controller)
        self.controller = controller
        self.history = history
        self.repeat: Repeat | None = None
        self.uniform: float | None = None
        self.bigram: float | None = None
        self._tokens: set[int] = set()  # runs handed to the history, not yet stored
        self._last_token: int | None = None  # the current model's latest run
        self._last_run_id: int | None = None  # ... once it is stored
        self._unsaved_test_loss: float | None = None  # evaluated before the run was stored
        controller.datasetChanged.connect(self._on_dataset_changed)
        controller.modelReset.connect(self._on_model_reset)
        controller.trainingConfigChanged.connect(self._on_training_changed)
        controller.runEnded.connect(self._on_run_ended)
        controller.splitEvaluated.connect(self._on_split_evaluated)
        history.recorded.connect(self._on_recorded)

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
        self._last_token = self._last_run_id = None
        self._unsaved_test_loss = None
        if self.repeat is not None and not self.repeat.owns(info):
            self._end_repeat_early("the model changed")

    def _on_training_changed(self, train_config: TrainConfig) -> None:
        self._end_repeat_early("the training settings changed")

    def _on_run_ended(self, outcome: RunEnded) -> None:
        if outcome.status == "paused":  # the run goes on when the learner resumes it
            return
        if self.repeat is not None and self.repeat.stack is not None:
            self._end_stacked(outcome)
            return
        self._record(outcome)
        if self.repeat is not None:
            self._continue_repeat(outcome)

    def _record(self, outcome: RunEnded) -> None:
        c = self.controller
        if c.document.dataset is None or c.document.model is None or c.document.trainer is None:
            return
        steps, losses = c.jobs.log.curve.data()
        repeat = self.repeat
        record = RunRecord(
            dataset_name=c.document.dataset.name,
            dataset_hash=c.document.dataset.content_hash(),
            model=c.document.model.config,
            train=c.document.trainer.config,
            split_seed=c.document.dataset.split_seed,
            steps_done=outcome.step,
            seconds=outcome.seconds,
            train_loss=outcome.train_loss,
            dev_loss=outcome.dev_loss,
            train_se=outcome.train_se,
            dev_se=outcome.dev_se,
            status=recorded_status(
                outcome.status,
                outcome.train_loss,
                outcome.dev_loss,
                c.document.model.config.vocab_size,
            ),
            group_id=repeat.group_id if repeat else None,
            group_index=repeat.next_index + 1 if repeat else None,
            group_size=len(repeat.seeds) if repeat else None,
            curve_steps=steps.astype("float32"),
            curve_loss=losses.astype("float32"),
        )
        if outcome.status == "finished" and record.status == "diverged":
            self.statusMessage.emit(
                f"The run ended no better than uniform guessing (ln V = "
                f"{math.log(c.document.model.config.vocab_size):.2f}): recorded as diverged. "
                "Try a lower learning rate."
            )
        token = self.history.add(record)  # returns at once; recorded follows
        self._tokens.add(token)
        self._last_token, self._last_run_id = token, None

    def _on_recorded(self, token: int, record: RunRecord) -> None:
        if token not in self._tokens:
            return
        self._tokens.discard(token)
        if token == self._last_token:
            self._last_run_id = record.id
            if record.id is not None and self._unsaved_test_loss is not None:
                self.history.set_test_loss(record.id, self._unsaved_test_loss)
                self._unsaved_test_loss = None
        self.runRecorded.emit(record)

    # -- K-seed repeats ---------------------------------------------------------------------
    def start_repeat(self, k: int, base_seed: int | None = None) -> bool:
        """Train the current configuration with k seeds: base_seed (the panel's seed, or the
        current model's) and k - 1 others (core.stats.repeat_seeds); base_seed last."""
        c = self.controller
        info = c.document.model_info()
        if (
            info is None
            or c.document.dataset is None
            or c.document.is_busy()
            or not 2 <= k <= MAX_REPEATS
        ):
            return False
        from charnames_gui.core.stacked_training import stack_refusal  # torch-backed

        first = info.train_config.seed if base_seed is None else base_seed
        seeds = repeat_seeds(first, k)
        if not stack_refusal(info.config, info.train_config):
            return self._start_stacked(seeds, info)
        # the learner's own seed is trained last: a repeat that runs to its end leaves the
        # model the Seed field names as the current one
        self.repeat = Repeat(uuid.uuid4().hex[:12], seeds[1:] + seeds[:1], info)
        return self._run_next_seed()

    def _start_stacked(self, seeds: list[int], base: ModelInfo) -> bool:
        """The K seeds together: a new model of the learner's seed (seeds[0]), trained by a
        RepeatTrainer as one run."""
        from charnames_gui.core.stacked_run import RepeatTrainer
        from charnames_gui.core.stacked_training import cores
        from charnames_gui.core.uncertainty import name_sizes

        c = self.controller
        repeat = Repeat(uuid.uuid4().hex[:12], seeds, base)
        repeat.generation = c.document.generation + 1
        self.repeat = repeat
        config = base.train_config.replace(seed=seeds[0])
        if not c.new_model(base.config, config, base.split_seed):
            self.repeat = None
            return False
        dataset, model, own = c.document.dataset, c.document.model, c.document.trainer
        assert dataset is not None and model is not None and own is not None
        sizes = {s: name_sizes(getattr(dataset.split, s)) for s in ("train", "dev")}
        # one training child per core when the app trains in a child at all (not in tests,
        # nor with --no-process): the GUI's process then only waits on pipes
        processes = cores() if c.process is not None else 1
        try:
            stack = RepeatTrainer(model, own.examples, own.config, seeds, sizes,
                                  processes=processes)  # fmt: skip
        except CharnamesError as exc:
            self.repeat = None
            self.repeatCancelled.emit(f"The repeat could not start: {exc}")
            return False
        repeat.stack = stack
        c.use_trainer(stack)
        where = f"in {stack.stacked.processes} training processes" if stack.in_child else ""
        self.repeatProgress.emit(f"{len(seeds)} seeds training together {where}".strip())
        c.start()
        return True

    def _end_stacked(self, outcome: RunEnded) -> None:
        """A stacked repeat's run ended: record every seed, then the current model (the
        learner's seed) trains on with its own trainer."""
        repeat = self.repeat
        assert repeat is not None and repeat.stack is not None
        stack = repeat.stack
        self.repeat = None
        self._back_to_own_trainer(stack)
        c = self.controller
        if c.document.dataset is None or c.document.model is None:
            return
        dev_losses: list[float | None] = []
        for k, run in enumerate(stack.seed_runs()):
            train = run.train.loss if run.train else None
            dev = run.dev.loss if run.dev else None
            ended = "diverged" if run.diverged_at else outcome.status
            record = RunRecord(
                dataset_name=c.document.dataset.name,
                dataset_hash=c.document.dataset.content_hash(),
                model=c.document.model.config,
                train=stack.config.replace(seed=run.seed),
                split_seed=c.document.dataset.split_seed,
                steps_done=run.steps,
                seconds=stack.seconds,  # the K seeds shared this wall time
                train_loss=train,
                dev_loss=dev,
                train_se=run.train.se if run.train else None,
                dev_se=run.dev.se if run.dev else None,
                status=recorded_status(ended, train, dev, c.document.model.config.vocab_size),
                group_id=repeat.group_id,
                group_index=k + 1,
                group_size=len(repeat.seeds),
                curve_steps=run.curve_steps,
                curve_loss=run.curve_loss,
            )
            dev_losses.append(dev if record.status != "diverged" else None)
            token = self.history.add(record)
            self._tokens.add(token)
            if k == stack.lead:  # the current model's run: a test look attaches to it
                self._last_token, self._last_run_id = token, None
        stats = seed_stats(dev_losses)
        self.repeatFinished.emit(stats)
        self.statusMessage.emit(
            f"Repeat ended: the current model is your seed {stack.seeds[stack.lead]} "
            f"(the Seed field's); all {len(stack.seeds)} seeds are rows in the Runs panel"
        )

    def _back_to_own_trainer(self, stack: RepeatTrainer) -> None:
        """The current model (the learner's seed of a stacked repeat) trains on alone, from
        where the stack left it; the training children are ended."""
        c = self.controller
        if c.document.model is stack.model and not c.document.is_busy():
            own = c.make_trainer(stack.model, stack.examples, stack.config)
            own.resume(stack.step, stack.seconds, stack.batch_stream)
            c.use_trainer(own)
        stack.close()

    def cancel_repeat(self) -> None:
        repeat, self.repeat = self.repeat, None
        if repeat is not None and repeat.stack is not None:
            self._back_to_own_trainer(repeat.stack)

    def owns_model(self, info: ModelInfo) -> bool:
        """Is this model one a running repeat made (the window leaves the fields alone)?"""
        return self.repeat is not None and self.repeat.owns(info)

    def _end_repeat_early(self, why: str) -> None:
        repeat = self.repeat
        if repeat is None:
            return
        self.repeat = None
        if repeat.stack is not None:
            self._back_to_own_trainer(repeat.stack)
        self.repeatCancelled.emit(
            f"The repeat with {len(repeat.seeds)} seeds ended after {repeat.next_index}: {why}."
        )

    def _run_next_seed(self) -> bool:
        repeat, c = self.repeat, self.controller
        if repeat is None:  # ended meanwhile (the learner made another model)
            return False
        i = repeat.next_index
        base = repeat.base
        repeat.generation = c.document.generation + 1  # the model made next is the seed's
        if not c.new_model(base.config, repeat.next_train_config(), base.split_seed):
            self.repeat = None
            return False
        self.repeatProgress.emit(f"seed {i + 1} of {len(repeat.seeds)}")
        c.start()
        return True

    def _continue_repeat(self, outcome: RunEnded) -> None:
        repeat = self.repeat
        assert repeat is not None
        repeat.done.append(outcome.dev_loss)
        ended = outcome.status in ("stopped", "failed")  # the learner's stop, or an error
        if ended or repeat.next_index >= len(repeat.seeds):
            stats = seed_stats(repeat.done)
            self.repeat = None
            self.repeatFinished.emit(stats)
            seed = repeat.seeds[repeat.next_index - 1]
            self.statusMessage.emit(
                f"Repeat ended: the current model is run {repeat.next_index} of "
                f"{len(repeat.seeds)}, seed {seed}; the fields show it, Save and Export use it"
            )
            return
        # start the next seed once this signal has been handled by everyone
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
            self.history.set_test_loss(self._last_run_id, loss)
        elif self._last_token is not None:  # the run is still on its way to the history
            self._unsaved_test_loss = loss
        self.testEvaluated.emit(loss, count)

    @staticmethod
    def describe(stats: SeedStats) -> str:
        return f"dev loss {stats.format()}"
