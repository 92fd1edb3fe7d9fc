"""model_files.py without a window: the settings a file continues with, and which dataset
(and resumed trainer) a model file opens with: the open one, its own file on disk, or none."""

from __future__ import annotations

from pathlib import Path

import pytest

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.model_file import ModelFile, TrainingSummary
from charnames_gui.core.training import Trainer
from charnames_gui.ui import model_files
from charnames_gui.ui.model_files import dataset_for, train_config_of

TRAINED_STEPS = 30


def _trained_file(dataset: Dataset, path: Path | None = None) -> ModelFile:
    """A small model trained TRAINED_STEPS steps on `dataset`, as a file records it."""
    assert dataset.vocab is not None
    config = TrainConfig(steps=1000, lr=0.05, schedule="constant", seed=3)
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size), config.init, config.seed)
    trainer = Trainer(model, dataset.examples(3), config)
    trainer.run(TRAINED_STEPS)
    summary = TrainingSummary(
        steps=trainer.step,
        seconds=trainer.seconds,
        train_config=config.to_dict(),
        dataset_name=dataset.name,
        dataset_hash=dataset.content_hash(),
        dataset_path=str(path.resolve()) if path else "",
        batch_stream=trainer.batch_stream,
    )
    return ModelFile(model, dataset.vocab, dataset.split_seed, summary)


def test_a_file_goes_on_with_its_own_settings_and_at_least_the_steps_it_has_taken(
    small_words: list[str],
) -> None:
    model_file = _trained_file(Dataset(small_words))
    assert train_config_of(model_file) == TrainConfig(
        steps=1000, lr=0.05, schedule="constant", seed=3
    )
    model_file.training.steps = 5000  # trained further than its settings' steps
    assert train_config_of(model_file).steps == 5000
    bare = ModelFile(model_file.model, model_file.vocab)  # the learner's own weights
    assert train_config_of(bare) == TrainConfig()


def test_the_open_dataset_is_used_when_it_is_the_models(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    model_file = _trained_file(dataset)
    found, trainer, message = dataset_for(
        model_file, train_config_of(model_file), Dataset(small_words), Trainer
    )
    assert found is not None and found.words == dataset.words and found.vocab is model_file.vocab
    assert trainer is not None and trainer.step == TRAINED_STEPS and message == ""


def test_the_models_own_file_is_read_when_another_dataset_is_open(
    small_words: list[str], small_dataset_file: Path
) -> None:
    model_file = _trained_file(Dataset.from_file(small_dataset_file), small_dataset_file)
    other = Dataset(small_words[:40])  # same letters, other names
    found, trainer, message = dataset_for(model_file, train_config_of(model_file), other, Trainer)
    assert found is not None and found.path == small_dataset_file.resolve()
    assert found.content_hash() == model_file.training.dataset_hash
    assert trainer is not None and trainer.step == TRAINED_STEPS
    assert message.startswith("Opened its dataset too")


def test_another_dataset_that_fits_is_used_and_named(small_words: list[str]) -> None:
    model_file = _trained_file(Dataset(small_words))  # its file is nowhere on disk
    other = Dataset(small_words[:40], name="fewer.txt")
    found, trainer, message = dataset_for(model_file, train_config_of(model_file), other, Trainer)
    assert found is not None and found.words == other.words and trainer is not None
    assert "fewer.txt" in message and "splits are not the model's" in message


def test_without_a_fitting_dataset_the_model_opens_alone(small_words: list[str]) -> None:
    model_file = _trained_file(Dataset(small_words))
    config = train_config_of(model_file)
    found, trainer, message = dataset_for(model_file, config, None, Trainer)
    assert (found, trainer) == (None, None)
    assert message.startswith("To train it, open the dataset it was trained on: ")
    foreign = Dataset([*small_words, "zürich", "québec"], name="places.txt")  # ü, é: unknown
    found, trainer, message = dataset_for(model_file, config, foreign, Trainer)
    assert (found, trainer) == (None, None)
    assert "places.txt" in message and "does not fit this model" in message


def test_a_large_recorded_dataset_is_not_read_on_the_gui_thread(
    small_dataset_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_file = _trained_file(Dataset.from_file(small_dataset_file), small_dataset_file)
    monkeypatch.setattr(model_files, "MODELS_DATASET_READ_BYTES", 10)  # every file is large
    found, trainer, message = dataset_for(model_file, train_config_of(model_file), None, Trainer)
    assert (found, trainer) == (None, None)
    assert message.startswith("To train it, open the dataset it was trained on")


# -- a large dataset file for the current model: read on the loader's thread, then decided ------


@pytest.fixture
def controller(qtbot, small_dataset_file: Path):
    """A controller with a new model made for small.txt (its hash recorded); shut at the end."""
    from charnames_gui.ui.controller import Controller

    c = Controller(use_training_process=False)
    c.set_dataset(Dataset.from_file(small_dataset_file))
    assert c.new_model(ModelConfig(3, 4, 16), TrainConfig(steps=100), 42)
    yield c
    c.shutdown()


def _decisions(c, path: Path) -> tuple[bool, list[str], list[Dataset | None]]:
    kept: list[str] = []
    other: list[Dataset | None] = []
    started = c.open_dataset_for_model(
        path, kept=lambda: kept.append("kept"), otherwise=other.append
    )
    return started, kept, other


def test_a_large_file_of_the_models_dataset_is_read_in_the_background_and_kept(
    qtbot, controller, small_dataset_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_files, "MODELS_DATASET_READ_BYTES", 10)  # every file is large
    c = controller
    model, dataset_before = c.document.model, c.document.dataset
    started, kept, other = _decisions(c, small_dataset_file)
    assert started and c.dataset_loader.busy and (kept, other) == ([], [])  # reading
    qtbot.waitUntil(lambda: kept == ["kept"], timeout=30_000)
    assert other == [] and c.document.model is model and c.document.dataset is not dataset_before
    assert (
        c.document.trainer is not None
        and c.document.dataset.content_hash() == c.document.summary.dataset_hash
    )


def test_a_large_other_file_is_handed_on_once_read(
    qtbot, controller, tmp_path: Path, small_words: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_files, "MODELS_DATASET_READ_BYTES", 10)
    other_file = tmp_path / "fewer.txt"
    other_file.write_text("\n".join(small_words[:40]) + "\n")
    c = controller
    model = c.document.model
    started, kept, other = _decisions(c, other_file)
    assert started
    qtbot.waitUntil(lambda: len(other) == 1, timeout=30_000)
    read = other[0]  # read already: the new dataset's way need not read it again
    assert kept == [] and read is not None and read.words == small_words[:40]
    assert c.document.model is model  # changing the model is the caller's (after its question)


def test_a_large_file_read_after_the_model_changed_changes_nothing(
    qtbot, controller, small_dataset_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_files, "MODELS_DATASET_READ_BYTES", 10)
    c = controller
    messages: list[str] = []
    c.statusMessage.connect(messages.append)
    started, kept, other = _decisions(c, small_dataset_file)
    assert started
    assert c.new_model(ModelConfig(3, 4, 16), TrainConfig(steps=100), 42)  # meanwhile
    model, dataset = c.document.model, c.document.dataset
    qtbot.waitUntil(lambda: not c.dataset_loader.busy, timeout=30_000)
    qtbot.waitUntil(lambda: "was not opened" in messages[-1], timeout=30_000)
    assert (kept, other) == ([], []) and (c.document.model, c.document.dataset) == (model, dataset)
