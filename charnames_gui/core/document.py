"""The document: what the app knows about the current model and its dataset, without Qt.

One object holds it all (the model, its vocabulary and trainer, the dataset, the training
settings and summary, the file it came from, whether it holds training not yet saved, and what
is being done with it), so the fields change together. The app's controller owns one Document,
changes it, and then tells the views (it is the only one that emits). `charnames train` builds
its training summary with the same training_summary().

The torch-backed types (MLP, the trainers) appear only in annotations: a Document is made
before PyTorch has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import DEFAULT_SPLIT_SEED, Dataset
from charnames_gui.core.model_dataset import Match, compare
from charnames_gui.core.model_file import ModelFile, TestEvaluations, TrainingSummary
from charnames_gui.core.snapshots import SnapshotStore
from charnames_gui.core.training_state import TrainingState
from charnames_gui.core.vocabulary import Vocabulary

if TYPE_CHECKING:  # torch-backed
    from charnames_gui.core.events import RunEnded, Snapshot
    from charnames_gui.core.model import MLP
    from charnames_gui.core.training import TrainerLike

BUSY_STATES = (
    TrainingState.RUNNING,
    TrainingState.SWEEPING,
    TrainingState.EVALUATING,
    TrainingState.STEPPING,
)


@dataclass
class ModelInfo:
    """What views need to know about the current model."""

    config: ModelConfig
    vocab: Vocabulary
    train_config: TrainConfig
    split_seed: int
    step: int = 0
    from_file: bool = False
    # a learner's bare weights not trained in the app yet: there is no run to show progress of
    no_record: bool = False
    generation: int = 0  # which model: Document.generation when it became the current one


def training_summary(
    dataset: Dataset,
    train_config: TrainConfig,
    *,
    steps: int = 0,
    seconds: float = 0.0,
    train_loss: float | None = None,
    dev_loss: float | None = None,
    batch_stream: tuple[int, int] | None = None,
) -> TrainingSummary:
    """What a model file records about a run of train_config on dataset (the app's new
    model at step 0, or the CLI's finished run)."""
    return TrainingSummary(
        steps=steps,
        seconds=seconds,
        train_loss=train_loss,
        dev_loss=dev_loss,
        train_config=train_config.to_dict(),
        dataset_name=dataset.name,
        dataset_hash=dataset.content_hash(),
        dataset_path=str(dataset.path.resolve()) if dataset.path else "",
        batch_stream=batch_stream,
    )


class DocumentView(Protocol):
    """The document as everyone but its owner sees it: read it, never change it (the
    controller hands this out as `controller.document`; mypy refuses an assignment)."""

    @property
    def dataset(self) -> Dataset | None: ...
    @property
    def model(self) -> MLP | None: ...
    @property
    def vocab(self) -> Vocabulary | None: ...
    @property
    def trainer(self) -> TrainerLike | None: ...
    @property
    def train_config(self) -> TrainConfig: ...
    @property
    def split_seed(self) -> int: ...
    @property
    def summary(self) -> TrainingSummary: ...
    @property
    def path(self) -> Path | None: ...
    @property
    def state(self) -> TrainingState: ...
    @property
    def generation(self) -> int: ...
    @property
    def replay(self) -> SnapshotStore | None: ...
    @property
    def step(self) -> int: ...
    @property
    def modified(self) -> bool: ...
    def model_info(self) -> ModelInfo | None: ...
    def dataset_match(self) -> Match | None: ...
    def is_busy(self) -> bool: ...
    def test_evaluation_count(self) -> int: ...
    def model_file(self) -> ModelFile:
        """The model as a file holds it (the summary brought up to the trainer's step)."""
        ...


@dataclass
class Document:
    """The current model and dataset (see the module's docstring). Change it through its
    methods: each one leaves the fields consistent with each other."""

    dataset: Dataset | None = None
    model: MLP | None = None
    vocab: Vocabulary | None = None
    trainer: TrainerLike | None = None
    train_config: TrainConfig = field(default_factory=TrainConfig)
    split_seed: int = DEFAULT_SPLIT_SEED
    summary: TrainingSummary = field(default_factory=TrainingSummary)
    test_evaluations: TestEvaluations = field(default_factory=TestEvaluations)
    path: Path | None = None  # the file the model was opened from or saved to
    plain_weights: bool = False  # the model came from a learner's bare weights (no record)
    # the replay frames of an opened model that has no trainer yet (no dataset); with a
    # trainer they are the trainer's, which records into them (see `replay`)
    file_replay: SnapshotStore | None = None
    state: TrainingState = TrainingState.NO_MODEL
    # how many models were made or opened: a report about an earlier one is recognisable
    generation: int = 0
    _saved_step: int = 0  # the model's step when it was created, loaded or saved
    _metadata_changed: bool = False  # e.g. a test-set evaluation counted since saving

    # -- the model --------------------------------------------------------------------------
    def adopt(
        self,
        model: MLP,
        vocab: Vocabulary,
        trainer: TrainerLike | None,
        *,
        train_config: TrainConfig,
        split_seed: int,
        summary: TrainingSummary,
        test_evaluations: TestEvaluations,
        path: Path | None,
        dataset: Dataset | None,
        plain_weights: bool = False,
        replay: SnapshotStore | None = None,
    ) -> bool:
        """A new or opened model becomes the current one, clean at summary.steps. Returns
        True when the dataset changed with it. replay: the frames of its training (a model
        file's), which its trainer goes on recording into."""
        if replay is not None and replay.config != model.config:
            replay = None  # another shape's frames (checked when read): never shown with it
        if trainer is not None and replay is not None:
            trainer.adopt_replay(replay)
        self.file_replay = replay if trainer is None else None
        self.model, self.vocab, self.trainer = model, vocab, trainer
        self.train_config = train_config
        self.split_seed = split_seed
        self.summary = summary
        self.test_evaluations = test_evaluations
        self.plain_weights = plain_weights
        self.path = path
        self.generation += 1
        self.mark_clean(summary.steps)
        changed = dataset is not self.dataset
        self.dataset = dataset
        return changed

    def use_dataset(self, dataset: Dataset, trainer: TrainerLike) -> None:
        """The current model, now with its own dataset and a trainer that resumes on it (and
        goes on recording into the model's replay frames)."""
        frames = self.replay
        if frames is not None and frames.config == trainer.model.config:
            trainer.adopt_replay(frames)
        self.file_replay = None
        self.dataset, self.trainer = dataset, trainer

    def set_train_config(self, train_config: TrainConfig) -> None:
        """New learning rate, schedule, steps... for the current model, which keeps training:
        the trainer keeps the model's own init scheme and seed (they only matter for a new
        model)."""
        init_changed = (train_config.init, train_config.seed) != (
            self.train_config.init,
            self.train_config.seed,
        )
        self.train_config = train_config
        if self.trainer is not None:
            own = self.trainer.config
            self.trainer.set_config(
                train_config.replace(init=own.init, seed=own.seed) if init_changed else train_config
            )
            self.summary.train_config = self.trainer.config.to_dict()

    def model_info(self) -> ModelInfo | None:
        if self.model is None or self.vocab is None:
            return None
        step = self.step
        return ModelInfo(
            self.model.config,
            self.vocab,
            self.train_config,
            self.split_seed,
            step,
            from_file=self.path is not None,
            no_record=self.plain_weights and step == 0,
            generation=self.generation,
        )

    @property
    def replay(self) -> SnapshotStore | None:
        """The replay frames of the current model's training (core/snapshots.py)."""
        if self.trainer is not None:
            return self.trainer.replay
        return self.file_replay

    @property
    def step(self) -> int:
        """The model's training step: the trainer's (it may be ahead of the summary)."""
        return self.trainer.step if self.trainer is not None else self.summary.steps

    def dataset_match(self) -> Match | None:
        """How the open dataset relates to the current model (None: no model or dataset)."""
        if self.model is None or self.vocab is None or self.dataset is None:
            return None
        return compare(ModelFile(self.model, self.vocab, training=self.summary), self.dataset)

    # -- the training summary ---------------------------------------------------------------
    def sync_summary(self) -> None:
        """Copy the trainer's step, seconds and batch stream into the training summary."""
        if self.trainer is not None:
            self.summary.steps = self.trainer.step
            self.summary.seconds = self.trainer.seconds
            self.summary.batch_stream = self.trainer.batch_stream

    def run_ended(self, outcome: RunEnded) -> None:
        """A run ended: the summary takes its step, settings and (when measured) losses."""
        if self.trainer is not None:
            self.sync_summary()
            self.summary.train_config = self.trainer.config.to_dict()
        if outcome.train_loss is not None:
            self.summary.train_loss = outcome.train_loss
            self.summary.dev_loss = outcome.dev_loss

    def model_file(self, held: Snapshot | None = None) -> ModelFile:
        """The model as a file holds it; held: these weights (at their step) instead of the
        model's, which a run may be changing."""
        assert self.model is not None and self.vocab is not None
        model = self.model
        if held is not None:
            model = self.model.with_weights(held.weights)
            self.summary.steps, self.summary.seconds = held.step, held.seconds
            if self.trainer is not None:
                self.summary.batch_stream = self.trainer.batch_stream
        else:
            self.sync_summary()
        return ModelFile(model, self.vocab, self.split_seed, self.summary, self.test_evaluations,
                         replay=self.replay)  # fmt: skip

    # -- the test set -----------------------------------------------------------------------
    def record_test_evaluation(self, loss: float) -> int:
        """Count a look at the test split (saved in the model file); returns the count."""
        self._metadata_changed = True
        return self.test_evaluations.record(self._dataset_hash(), loss)

    def test_evaluation_count(self) -> int:
        return self.test_evaluations.count(self._dataset_hash())

    def _dataset_hash(self) -> str:
        return self.dataset.content_hash() if self.dataset is not None else ""

    # -- saved or modified ------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        """True when the model has training that is not in its file. Read from the trainer's
        step counter, so it is right even before the worker's reports have arrived."""
        step = self.trainer.step if self.trainer is not None else self._saved_step
        return step != self._saved_step or self._metadata_changed

    def mark_clean(self, step: int) -> None:
        """The model's file holds its training up to `step`."""
        self._saved_step = step
        self._metadata_changed = False

    def saved_as(self, path: Path) -> None:
        """The model is now in this file, with all of its training."""
        self.path = path
        self.mark_clean(self.summary.steps)

    def as_unsaved(self) -> None:
        """The model has no file of its own and is unsaved (a rescued model just opened from
        the app's data folder: Save asks where, it never writes into that folder)."""
        self.path = None
        self._metadata_changed = True

    # -- idle or busy -----------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self.state in BUSY_STATES

    def idle_state(self) -> TrainingState:
        """The state of the current model when nothing runs."""
        if self.trainer is None:
            return TrainingState.NO_DATASET if self.model is not None else TrainingState.NO_MODEL
        if self.trainer.done:
            return TrainingState.FINISHED
        return TrainingState.PAUSED if self.state == TrainingState.PAUSED else TrainingState.READY
