"""Model files of a model with BatchNorm: bngain, bnbias and the running statistics are kept;
files written before BatchNorm existed (no batchnorm in the config) still open."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from charnames_gui.core.checkpoint import load_model, save_model
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import ModelFileError
from charnames_gui.core.model import MLP
from charnames_gui.core.model_file import ModelFile
from charnames_gui.core.sampling import Sampler
from charnames_gui.core.training import Trainer


def trained(small_words: list[str], batchnorm: bool) -> ModelFile:
    dataset = Dataset(small_words, name="small.txt", split_seed=7)
    config = ModelConfig(3, 4, 16, dataset.vocab.size, batchnorm=batchnorm)
    model = MLP.init(config, "scaled", seed=11)
    trainer = Trainer(model, dataset.examples(3), TrainConfig(batch_size=8, steps=30))
    trainer.run(30)
    return ModelFile(model, dataset.vocab, dataset.split_seed)


def test_batchnorm_round_trip_keeps_running_statistics(
    tmp_path: Path, small_words: list[str]
) -> None:
    mf = trained(small_words, batchnorm=True)
    assert float(mf.model.bnmean_running.abs().max()) > 0  # training moved them
    path = tmp_path / "bn.safetensors"
    save_model(path, mf)
    loaded = load_model(path)
    assert loaded.model.config.batchnorm is True
    for name, t in mf.model.tensors().items():
        assert torch.equal(loaded.model.tensors()[name], t.detach()), name
    # sampling and evaluation use the running statistics, so they give the same numbers
    X = torch.tensor([[0, 0, 0], [0, 1, 2]])
    assert torch.equal(loaded.model.logits(X), mf.model.logits(X).detach())
    sampler = Sampler(loaded.model.config, loaded.model.snapshot(), loaded.vocab)
    assert torch.equal(sampler.model.bnstd_running, mf.model.bnstd_running)


def test_a_file_from_before_batchnorm_opens(tmp_path: Path, small_words: list[str]) -> None:
    mf = trained(small_words, batchnorm=False)
    path = tmp_path / "old.safetensors"
    save_model(path, mf)
    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata())
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open has no iter
    config = json.loads(meta["config"])
    del config["batchnorm"]
    meta["config"] = json.dumps(config)
    save_file(tensors, str(path), metadata=meta)
    assert load_model(path).model.config.batchnorm is False


def test_a_batchnorm_file_without_its_statistics_or_with_a_zero_std_is_refused(
    tmp_path: Path, small_words: list[str]
) -> None:
    mf = trained(small_words, batchnorm=True)
    path = tmp_path / "bn.safetensors"
    save_model(path, mf)
    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata())
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    broken = dict(tensors)
    del broken["bnstd_running"]
    save_file(broken, str(path), metadata=meta)
    with pytest.raises(ModelFileError, match="bnstd_running is missing"):
        load_model(path)
    broken = dict(tensors, bnstd_running=torch.zeros_like(tensors["bnstd_running"]))
    save_file(broken, str(path), metadata=meta)
    with pytest.raises(ModelFileError, match="not > 0"):
        load_model(path)
