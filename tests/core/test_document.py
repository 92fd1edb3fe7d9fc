"""core.document: the current model and dataset without Qt. Its fields change together, it
knows when its training is not saved and what state the model is in when nothing runs, and
the training summary it records is the one `charnames train` writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.document import Document, training_summary
from charnames_gui.core.events import RunEnded
from charnames_gui.core.model import MLP
from charnames_gui.core.model_file import TestEvaluations
from charnames_gui.core.training import Trainer
from charnames_gui.core.training_state import TrainingState

TRAIN = TrainConfig(steps=5, batch_size=4, lr_decay_at=3)


@pytest.fixture
def dataset(small_dataset_file: Path) -> Dataset:
    return Dataset.from_file(small_dataset_file)


def adopted(dataset: Dataset, seed: int = 1) -> tuple[Document, Trainer]:
    config = ModelConfig(block_size=2, n_embd=2, n_hidden=4, vocab_size=dataset.vocab.size)
    train = TRAIN.replace(seed=seed)
    model = MLP.init(config, train.init, train.seed)
    trainer = Trainer(model, dataset.examples(config.block_size), train)
    doc = Document()
    doc.adopt(model, dataset.vocab, trainer, train_config=train, split_seed=dataset.split_seed,
              summary=training_summary(dataset, train), test_evaluations=TestEvaluations(),
              path=None, dataset=dataset)  # fmt: skip
    return doc, trainer


def test_an_empty_document_has_no_model_and_nothing_to_save() -> None:
    doc = Document()
    assert doc.model_info() is None and doc.dataset_match() is None
    assert not doc.modified and not doc.is_busy()
    assert doc.idle_state() == TrainingState.NO_MODEL


def test_adopting_a_model_changes_every_field_together(dataset: Dataset) -> None:
    doc, trainer = adopted(dataset)
    info = doc.model_info()
    assert info is not None and info.step == 0 and not info.from_file
    assert info.config == doc.model.config and info.vocab == dataset.vocab
    assert info.generation == doc.generation == 1
    assert doc.trainer is trainer and doc.dataset is dataset
    assert doc.dataset_match() is not None and doc.dataset_match().same
    assert doc.idle_state() == TrainingState.READY and not doc.modified
    # another model: a new generation, so a report about the first one is recognisable
    model = doc.model
    assert model is not None
    doc.adopt(model, dataset.vocab, None, train_config=TRAIN, split_seed=42,
              summary=training_summary(dataset, TRAIN), test_evaluations=TestEvaluations(),
              path=Path("m.safetensors"), dataset=None)  # fmt: skip
    info = doc.model_info()
    assert info is not None and info.generation == 2 and info.from_file
    assert doc.idle_state() == TrainingState.NO_DATASET  # a model without its dataset


def test_training_makes_it_modified_and_saving_makes_it_clean(dataset: Dataset) -> None:
    doc, trainer = adopted(dataset)
    trainer.run(2)
    assert doc.modified and doc.step == 2  # read from the trainer, before any report
    doc.saved_as(Path("model.safetensors"))
    assert doc.modified  # the summary did not have the steps yet: nothing says they are saved
    doc.model_file()  # what a save writes: the summary takes the trainer's steps
    doc.saved_as(Path("model.safetensors"))
    assert not doc.modified and doc.path == Path("model.safetensors")
    assert doc.summary.steps == 2 and doc.summary.batch_stream == trainer.batch_stream
    assert doc.record_test_evaluation(2.5) == 1 and doc.modified  # counted in the file
    assert doc.test_evaluation_count() == 1


def test_busy_states_and_the_idle_state_after_them(dataset: Dataset) -> None:
    doc, trainer = adopted(dataset)
    for busy in (TrainingState.RUNNING, TrainingState.STEPPING, TrainingState.SWEEPING,
                 TrainingState.EVALUATING):  # fmt: skip
        doc.state = busy
        assert doc.is_busy()
    doc.state = TrainingState.PAUSED
    assert not doc.is_busy() and doc.idle_state() == TrainingState.PAUSED
    trainer.run(TRAIN.steps)
    assert doc.idle_state() == TrainingState.FINISHED


def test_a_run_that_ended_is_in_the_summary(dataset: Dataset) -> None:
    doc, trainer = adopted(dataset)
    trainer.run(3)
    doc.run_ended(RunEnded("stopped", 3, trainer.seconds, 2.9, 3.1))
    assert (doc.summary.steps, doc.summary.train_loss, doc.summary.dev_loss) == (3, 2.9, 3.1)
    doc.run_ended(RunEnded("paused", 3, trainer.seconds))  # not evaluated: losses stay
    assert doc.summary.dev_loss == 3.1


def test_new_training_settings_keep_the_models_init_and_seed(dataset: Dataset) -> None:
    doc, trainer = adopted(dataset, seed=7)
    doc.set_train_config(TRAIN.replace(seed=8, lr=0.05, init="scaled"))
    assert doc.train_config.seed == 8  # what the learner asked for ...
    assert trainer.config.seed == 7 and trainer.config.init == TRAIN.init  # ... the model's own
    assert trainer.config.lr == 0.05 and doc.summary.train_config["lr"] == 0.05


def test_the_cli_and_the_app_record_the_same_training_summary(dataset: Dataset) -> None:
    """One builder: a new model's summary is the CLI's at step 0, field for field."""
    summary = training_summary(dataset, TRAIN, steps=10, seconds=1.5, train_loss=2.0,
                               dev_loss=2.1, batch_stream=(8, 0))  # fmt: skip
    assert summary.dataset_name == "small.txt" and summary.dataset_hash == dataset.content_hash()
    assert summary.dataset_path == str(dataset.path.resolve())
    assert summary.train_config == TRAIN.to_dict()
    assert (summary.steps, summary.seconds, summary.batch_stream) == (10, 1.5, (8, 0))
    doc, _ = adopted(dataset)
    fresh = training_summary(dataset, doc.train_config)
    assert doc.summary == fresh


def test_the_replay_frames_stay_with_the_model_through_opening_and_its_dataset(
    dataset: Dataset,
) -> None:
    doc, trainer = adopted(dataset)
    trainer.run(5)
    frames = doc.replay
    assert frames is trainer.replay and frames.steps == [0, 1, 2, 3, 4, 5]
    assert doc.model_file().replay is frames  # saved with the model
    # opened without its dataset: the document keeps the file's frames
    model = trainer.model
    doc.adopt(model, dataset.vocab, None, train_config=TRAIN, split_seed=dataset.split_seed,
              summary=training_summary(dataset, TRAIN, steps=3), test_evaluations=TestEvaluations(),
              path=None, dataset=None, replay=frames)  # fmt: skip
    assert doc.replay is frames
    # its dataset comes: the new trainer (at step 3) records into the same frames, and the
    # frames after its step are gone (its training goes on from there)
    resumed = Trainer(model, dataset.examples(model.config.block_size), TRAIN)
    resumed.resume(3, 0.0)
    doc.use_dataset(dataset, resumed)
    assert doc.replay is frames and resumed.replay is frames and frames.steps == [0, 1, 2, 3]
    # another shape's frames are never shown with a model
    other = MLP.init(ModelConfig(2, 3, 4, dataset.vocab.size), TRAIN.init, 1)
    doc.adopt(other, dataset.vocab, None, train_config=TRAIN, split_seed=dataset.split_seed,
              summary=training_summary(dataset, TRAIN), test_evaluations=TestEvaluations(),
              path=None, dataset=None, replay=frames)  # fmt: skip
    assert doc.replay is None
