"""core.replay_file: the replay saved with a model opens again as it was; old files open; a
damaged section is left out with a note, never a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from charnames_gui.core.checkpoint import load_model, save_model
from charnames_gui.core.config import PARAMETER_NAMES, ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.model_file import ModelFile
from charnames_gui.core.snapshots import ReplayPolicy, SnapshotStore
from charnames_gui.core.training import Trainer


@pytest.fixture
def trained(small_words: list[str]) -> tuple[Trainer, Dataset]:
    dataset = Dataset(small_words)
    config = TrainConfig(batch_size=8, steps=120, seed=4)
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size), config.init, config.seed)
    trainer = Trainer(model, dataset.examples(3), config)
    trainer.run(120)
    return trainer, dataset


def _save(trainer: Trainer, dataset: Dataset, path: Path) -> None:
    save_model(path, ModelFile(trainer.model, dataset.vocab, replay=trainer.replay))


def test_the_replay_round_trips_with_the_model(
    trained: tuple[Trainer, Dataset], tmp_path: Path
) -> None:
    trainer, dataset = trained
    path = tmp_path / "m.safetensors"
    _save(trainer, dataset, path)
    opened = load_model(path)
    store, saved = opened.replay, trainer.replay
    assert store is not None and opened.replay_note == ""
    assert store.steps == saved.steps and store.policy == saved.policy
    np.testing.assert_array_equal(store.probe, saved.probe)
    for a, b in zip(store.frames, saved.frames, strict=True):
        assert store.names_of(a) == saved.names_of(b) and a.step == b.step
        np.testing.assert_array_equal([a.loss, a.lr], np.float32([b.loss, b.lr]))  # nan at 0
        for name in PARAMETER_NAMES:
            np.testing.assert_array_equal(a.weights[name], b.weights[name])
    # the weights themselves are untouched, and the notebook one-liner still gives them
    tensors = load_file(path)
    assert torch.equal(tensors["C"], trainer.model.C)
    assert tensors["replay.C"].shape == (len(saved), *trainer.model.C.shape)


def test_a_model_without_a_replay_opens_without_one(
    trained: tuple[Trainer, Dataset], tmp_path: Path
) -> None:
    trainer, dataset = trained
    path = tmp_path / "old.safetensors"
    save_model(path, ModelFile(trainer.model, dataset.vocab))  # as files were saved before
    assert load_model(path).replay is None and load_model(path).replay_note == ""


def test_a_float16_replay_round_trips(tmp_path: Path, small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    config = ModelConfig(3, 4, 16, dataset.vocab.size)
    model = MLP.init(config)
    store = SnapshotStore(config, ReplayPolicy(("C",), "float16"), np.zeros((2, 3), np.int64))
    from charnames_gui.core.snapshots import Frame

    for step in (0, 5):
        store.add(
            Frame(
                step,
                {"C": model.C.numpy().astype(np.float16)},
                2.0,
                0.1,
                ((1, 2), (3,), (), (4,), (5,)),
            )
        )
    path = tmp_path / "m.safetensors"
    save_model(path, ModelFile(model, dataset.vocab, replay=store))
    opened = load_model(path).replay
    assert opened is not None and opened.policy == store.policy and opened.steps == [0, 5]
    assert opened.frames[1].weights["C"].dtype == np.float16
    assert opened.frames[1].names == ((1, 2), (3,), (), (4,), (5,))  # () a name ended at once


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: t.update({"replay.steps": t["replay.steps"].flip(0)}), "increasing"),
        (lambda t: t["replay.C"].__setitem__((1, 0, 0), float("nan")), "not finite"),
        (lambda t: t["replay.names"].__setitem__((0, 0, 0), 99), "vocabulary"),
        (lambda t: t["replay.probe"].__setitem__((0, 0), -3), "vocabulary"),
        (lambda t: t.update({"replay.W1": t["replay.W1"][:2].clone()}), "type or shape"),
        (lambda t: t.update({"replay.loss": t["replay.loss"].double()}), "type or shape"),
        (lambda t: t.pop("replay.b2"), "neither the whole model nor C"),
        (lambda t: t.pop("replay.lr"), "fields"),
        (lambda t: t.update({"replay.extra": torch.zeros(1)}), "fields"),
    ],
)
def test_a_damaged_replay_is_left_out_with_a_note_and_the_model_opens(
    trained: tuple[Trainer, Dataset], tmp_path: Path, change: object, reason: str
) -> None:
    trainer, dataset = trained
    path = tmp_path / "m.safetensors"
    _save(trainer, dataset, path)
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    tensors = load_file(path)
    change(tensors)
    save_file(tensors, str(path), metadata=meta)
    opened = load_model(path)
    assert opened.replay is None
    assert opened.replay_note.startswith("Its replay was left out") and reason in opened.replay_note
    assert torch.equal(opened.model.W1, trainer.model.W1)


def test_a_replay_with_an_unknown_version_is_left_out(
    trained: tuple[Trainer, Dataset], tmp_path: Path
) -> None:
    trainer, dataset = trained
    path = tmp_path / "m.safetensors"
    _save(trainer, dataset, path)
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    save_file(load_file(path), str(path), metadata={**meta, "replay": '{"version": 7}'})
    assert "format this version does not know" in load_model(path).replay_note
