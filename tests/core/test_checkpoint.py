"""core.checkpoint: model files round-trip, load in one line, never run code, save atomically."""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save, save_file

from charnames_gui.core import checkpoint
from charnames_gui.core.checkpoint import load_model, model_from_bytes, save_model
from charnames_gui.core.config import PARAMETER_NAMES, ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset, Vocabulary
from charnames_gui.core.errors import ModelFileError
from charnames_gui.core.model import MLP
from charnames_gui.core.model_file import (
    FORMAT_NAME,
    FORMAT_VERSION,
    ModelFile,
    TestEvaluations,
    TrainingSummary,
)
from charnames_gui.core.training import Trainer


@pytest.fixture
def model_file(small_words: list[str]) -> ModelFile:
    """A model trained a few steps with autograd (its tensors require grad), fully described."""
    dataset = Dataset(small_words, name="small.txt", split_seed=7)
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size), "scaled", seed=11)
    config = TrainConfig(batch_size=8, steps=20, schedule="constant", engine="autograd")
    trainer = Trainer(model, dataset.examples(3), config)
    trainer.run(20)
    summary = TrainingSummary(
        steps=trainer.step,
        seconds=trainer.seconds,
        train_loss=trainer.evaluate("train"),
        dev_loss=trainer.evaluate("dev"),
        train_config=config.to_dict(),
        dataset_name=dataset.name,
        dataset_hash=dataset.content_hash(),
        batch_stream=trainer.batch_stream,
    )
    tests = TestEvaluations()
    tests.record(dataset.content_hash(), 2.5)
    tests.record(dataset.content_hash(), 2.25)
    tests.record("another-dataset", 3.0)
    return ModelFile(model, dataset.vocab, dataset.split_seed, summary, tests)


@pytest.fixture
def saved(tmp_path: Path, model_file: ModelFile) -> Path:
    path = tmp_path / "model.safetensors"
    save_model(path, model_file)
    return path


def metadata_of(path: Path) -> dict[str, str]:
    with safe_open(str(path), framework="pt") as f:
        return dict(f.metadata())


def tensors_of(model_file: ModelFile) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model_file.model.params.items()}


def write_model_like(
    path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None
) -> Path:
    save_file(tensors, str(path), metadata=metadata)
    return path


def expect_error(path: Path, *fragments: str) -> str:
    with pytest.raises(ModelFileError) as exc_info:
        load_model(path)
    message = str(exc_info.value)
    assert message and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


# -- round trip -------------------------------------------------------------------------------


def test_round_trip_keeps_everything(saved: Path, model_file: ModelFile) -> None:
    loaded = load_model(saved)
    for name in PARAMETER_NAMES:
        original = model_file.model.params[name].detach()
        assert loaded.model.params[name].dtype == torch.float32
        assert torch.equal(loaded.model.params[name], original), name  # bit-identical
    assert loaded.model.config == model_file.model.config
    assert loaded.vocab == model_file.vocab
    assert loaded.vocab.itos == model_file.vocab.itos
    assert loaded.split_seed == 7
    assert loaded.training == model_file.training
    assert loaded.test_evaluations == model_file.test_evaluations
    assert loaded.test_evaluations.count(model_file.training.dataset_hash) == 2
    assert loaded.test_evaluations.last_loss[model_file.training.dataset_hash] == 2.25
    assert loaded.test_evaluations.count("unknown") == 0
    assert loaded.format_version == FORMAT_VERSION
    assert loaded.training.train_config["engine"] == "autograd"
    assert loaded.training.batch_stream == (model_file.training.train_config["seed"], 0)


def test_round_trip_of_a_fresh_model_with_an_unusual_vocabulary(tmp_path: Path) -> None:
    vocab = Vocabulary.from_words(["zoë", "j.r.", "åsa", "日本"])
    assert vocab.boundary != "."
    model = MLP.init(ModelConfig(1, 2, 3, vocab.size))
    path = tmp_path / "fresh.safetensors"
    save_model(path, ModelFile(model, vocab))
    loaded = load_model(path)
    assert loaded.vocab.itos == vocab.itos
    assert loaded.training == TrainingSummary()
    assert loaded.training.train_loss is None
    assert loaded.test_evaluations == TestEvaluations()
    assert loaded.split_seed == 42


def test_non_finite_summary_losses_survive(tmp_path: Path, model_file: ModelFile) -> None:
    model_file.training.dev_loss = math.nan
    path = tmp_path / "nan-loss.safetensors"
    save_model(path, model_file)
    assert math.isnan(load_model(path).training.dev_loss)


def test_saving_again_overwrites(saved: Path, model_file: ModelFile) -> None:
    model_file.model.params["b2"].data += 1.0
    model_file.training.steps = 999
    save_model(saved, model_file)
    loaded = load_model(saved)
    assert loaded.training.steps == 999
    assert torch.equal(loaded.model.b2, model_file.model.b2.detach())


def test_a_notebook_loads_the_weights_in_one_line(saved: Path, model_file: ModelFile) -> None:
    p = load_file(saved)
    assert sorted(p) == sorted(PARAMETER_NAMES)
    for name in PARAMETER_NAMES:
        assert torch.equal(p[name], model_file.model.params[name].detach())
    C, W1, b1, W2, b2 = (p[n] for n in PARAMETER_NAMES)
    X = torch.tensor([[0, 0, 0]])
    logits = torch.tanh(C[X].view(1, -1) @ W1 + b1) @ W2 + b2
    assert torch.equal(logits, model_file.model.logits(X).detach())  # the same operations


@pytest.mark.parametrize("first_bytes", [b"\x80\x05", b"PK"], ids=["pickle", "zip"])
def test_a_header_length_that_starts_like_a_pickle_or_zip_still_loads(
    tmp_path: Path, model_file: ModelFile, first_bytes: bytes
) -> None:
    """The header's length comes first: 1,408 bytes is b"\x80\x05...", the start of a
    pickle; 19,280 is b"PK...", the start of a zip. Real model files have ~1,400-byte headers."""
    path = tmp_path / "model.safetensors"
    target = int.from_bytes(first_bytes, "little")
    model_file.training.dataset_name = ""
    model_file.test_evaluations = TestEvaluations()  # a shorter header, below 1,408 bytes
    save_model(path, model_file)
    shortest = int.from_bytes(path.read_bytes()[:8], "little")
    assert shortest < target
    # safetensors pads the header to a multiple of 8 bytes, so pad the name to land on target
    for extra in range(target - shortest - 8, target - shortest + 1):
        model_file.training.dataset_name = "x" * extra
        save_model(path, model_file)
        if path.read_bytes()[:2] == first_bytes:
            break
    raw = path.read_bytes()
    assert raw[:2] == first_bytes
    loaded = load_model(path)
    assert loaded.training.dataset_name == model_file.training.dataset_name


def test_the_metadata_is_plain_json(saved: Path, model_file: ModelFile) -> None:
    meta = metadata_of(saved)
    assert meta["format"] == FORMAT_NAME
    assert meta["format_version"] == str(FORMAT_VERSION)
    assert json.loads(meta["config"]) == model_file.model.config.to_dict()
    assert json.loads(meta["vocab"]) == list(model_file.vocab.itos)
    assert meta["split_seed"] == "7"
    assert json.loads(meta["training"])["steps"] == 20
    assert json.loads(meta["test_evaluations"])["counts"]["another-dataset"] == 1


# -- bad files --------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    expect_error(tmp_path / "nope.safetensors", "not found")


def test_directory(tmp_path: Path) -> None:
    expect_error(tmp_path, "folder")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    expect_error(path, "empty.safetensors", "not a model file")


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "names.txt"
    path.write_text("emma\nolivia\nava\n" * 10)
    expect_error(path, "names.txt", "not a model file")


def test_random_bytes(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for i in range(20):
        path = tmp_path / f"random{i}.bin"
        path.write_bytes(rng.bytes(int(rng.integers(1, 5000))))
        expect_error(path, f"random{i}.bin")


def test_truncated_file(saved: Path) -> None:
    raw = saved.read_bytes()
    for cut in (len(raw) // 2, len(raw) - 1, 100, 9, 5):
        saved.write_bytes(raw[:cut])
        expect_error(saved, "model.safetensors")


def test_corrupt_header(saved: Path) -> None:
    raw = saved.read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    bad = bytearray(raw)
    bad[8 + header_len // 2 : 8 + header_len // 2 + 4] = b"\xff\x00\xfe\x01"
    saved.write_bytes(bytes(bad))
    expect_error(saved, "unreadable header")


def test_corrupt_header_length(saved: Path) -> None:
    raw = saved.read_bytes()
    saved.write_bytes((2**62).to_bytes(8, "little") + raw[8:])
    expect_error(saved, "not a model file", "header claims")  # refused before reading it
    saved.write_bytes((len(raw)).to_bytes(8, "little") + raw[8:])
    expect_error(saved, "truncated")
    saved.write_bytes((0).to_bytes(8, "little") + raw[8:])
    expect_error(saved, "model.safetensors")


def test_corrupt_data_offsets(saved: Path) -> None:
    """A header that is valid JSON but whose offsets lie: safetensors refuses it."""
    raw = saved.read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_len])
    header["W1"]["data_offsets"][1] += 4
    text = json.dumps(header).encode()
    saved.write_bytes(len(text).to_bytes(8, "little") + text + raw[8 + header_len :])
    expect_error(saved, "corrupt or truncated")


def test_a_safetensors_file_without_our_metadata_needs_the_dataset_for_its_vocabulary(
    tmp_path: Path, model_file: ModelFile
) -> None:
    """23 rows in C: not the lecture's 27, so the open dataset's vocabulary is needed."""
    for meta in (None, {"format": "pt"}):
        plain = write_model_like(tmp_path / "plain.safetensors", tensors_of(model_file), meta)
        expect_error(plain, "plain.safetensors", "23 rows in C", "Open the dataset")
        loaded = load_model(plain, dataset_vocab=model_file.vocab)
        assert loaded.kind == "safetensors weights" and loaded.is_plain
        assert loaded.vocab == model_file.vocab
        assert loaded.model.config == model_file.model.config


def rewrite_metadata(path: Path, **changes: str) -> None:
    tensors = load_file(path)
    meta = metadata_of(path)
    meta.update(changes)
    save_file(tensors, str(path), metadata=meta)


def test_a_newer_format_version(saved: Path) -> None:
    rewrite_metadata(saved, format_version="99")
    message = expect_error(saved, "newer version", "99")
    assert str(FORMAT_VERSION) in message


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"format_version": "abc"}, "format version"),
        ({"format_version": "0"}, "unknown format version"),
        ({"format_version": "-3"}, "unknown format version"),
        ({"config": "{not json"}, "config is not readable"),
        ({"config": "[1, 2]"}, "config is not readable"),
        ({"config": json.dumps({"block_size": 3})}, "config has no n_embd (embedding size)"),
        ({"config": json.dumps({"n_embd": 3})}, "config has no block_size (context length)"),
        ({"config": {"block_size": 4}}, "W1"),
        ({"config": {"n_hidden": 17}}, "W1"),
        ({"config": {"block_size": 0}}, "block_size"),
        ({"config": {"n_embd": 2.5}}, "n_embd"),
        ({"config": {"vocab_size": 20}}, "vocabulary has"),
        ({"vocab": json.dumps(list(".ab"))}, "vocabulary"),
        ({"vocab": json.dumps("abc")}, "vocabulary"),
        ({"vocab": json.dumps([".", "a", "a"] + list("bcdefghijklmnopqr"))}, "distinct"),
        ({"split_seed": "forty-two"}, "split seed 'forty-two' is not a whole number"),
        ({"split_seed": str(2**31)}, "split seed 2,147,483,648 is larger"),
        ({"split_seed": "-1"}, "split seed '-1' is not a whole number"),
        ({"training": "{"}, "training record is not readable"),
        ({"training": "[1, 2]"}, "training record is not readable"),
        ({"training": json.dumps({"steps": -5})}, "-5 steps"),
        ({"training": json.dumps({"steps": 10**15})}, "1000000000000000 steps"),
        ({"training": json.dumps({"steps": 20.5})}, "20.5 steps"),
        ({"training": json.dumps({"train_loss": "2.1"})}, "train loss '2.1' is not a number"),
        ({"training": json.dumps({"seconds": -1})}, "training time -1"),
        ({"training": json.dumps({"dataset_hash": 5})}, "dataset hash is not text"),
        ({"training": json.dumps({"train_config": []})}, "training settings"),
        ({"training": json.dumps({"steps": 20, "batch_stream": [2**70, 0]})}, "minibatch stream"),
        ({"training": "[" * 100_000 + "]" * 100_000}, "training record is not readable"),
        ({"config": "{\"a\":" * 100_000 + "1" + "}" * 100_000}, "config is not readable"),
        ({"training": '{"steps": ' + "9" * 5000 + "}"}, "training record is not readable"),
        ({"vocab": json.dumps([".", "\ud800"] + list("bcdefghijklmnopqr"))}, "not valid text"),
        ({"training": json.dumps({"steps": 20, "batch_stream": "x"})}, "minibatch stream"),
        ({"training": json.dumps({"steps": 20, "batch_stream": [1]})}, "minibatch stream"),
        ({"training": json.dumps({"steps": 20, "batch_stream": [1, 21]})}, "minibatch stream"),
        ({"training": json.dumps({"steps": 20, "batch_stream": [1, -1]})}, "minibatch stream"),
        ({"training": json.dumps({"steps": 20, "batch_stream": [1.5, 0]})}, "minibatch stream"),
        ({"training": json.dumps({"steps": 20, "batch_stream": [True, 0]})}, "minibatch stream"),
        ({"test_evaluations": "[1, 2, 3]"}, "test-set evaluations is not readable"),
        ({"test_evaluations": json.dumps({"counts": {"a": "many"}})}, "test-set evaluations"),
        ({"test_evaluations": json.dumps({"counts": []})}, "test-set evaluations"),
    ],
)  # fmt: skip
def test_inconsistent_metadata(saved: Path, changes: dict[str, Any], fragment: str) -> None:
    if isinstance(changes.get("config"), dict):  # a change to some fields of the config
        config = json.loads(metadata_of(saved)["config"])
        changes = {"config": json.dumps({**config, **changes["config"]})}
    rewrite_metadata(saved, **changes)
    expect_error(saved, "model.safetensors", fragment)


def test_wrong_shapes_for_the_config(tmp_path: Path, saved: Path) -> None:
    tensors = load_file(saved)
    tensors["W2"] = torch.zeros(17, tensors["W2"].shape[1])
    path = write_model_like(tmp_path / "shapes.safetensors", tensors, metadata_of(saved))
    expect_error(path, "W2", "shape")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_weights(tmp_path: Path, saved: Path, bad: float) -> None:
    tensors = load_file(saved)
    tensors["W1"][0, 0] = bad
    path = write_model_like(tmp_path / "nan.safetensors", tensors, metadata_of(saved))
    expect_error(path, "W1", "NaN or infinite")


def test_missing_extra_and_wrongly_typed_tensors(tmp_path: Path, saved: Path) -> None:
    tensors, meta = load_file(saved), metadata_of(saved)
    missing = {k: v for k, v in tensors.items() if k != "b1"}
    expect_error(write_model_like(tmp_path / "m.safetensors", missing, meta), "b1", "missing")
    extra = {**tensors, "W3": torch.zeros(2)}
    expect_error(write_model_like(tmp_path / "e.safetensors", extra, meta), "W3")
    doubles = {**tensors, "C": tensors["C"].double()}
    expect_error(write_model_like(tmp_path / "d.safetensors", doubles, meta), "C", "float32")


def test_a_non_string_format_version_in_a_hand_made_header(tmp_path: Path) -> None:
    header = {"__metadata__": {"format": FORMAT_NAME, "format_version": [1]}}
    text = json.dumps(header).encode()
    path = tmp_path / "handmade.safetensors"
    path.write_bytes(len(text).to_bytes(8, "little") + text)
    expect_error(path, "format version")
    for meta in ([1, 2], "text"):
        text = json.dumps({"__metadata__": meta}).encode()
        path.write_bytes(len(text).to_bytes(8, "little") + text)
        expect_error(path, "not a charnames model file")
    text = json.dumps({"__metadata__": None}).encode()  # bare weights, but no tensors
    path.write_bytes(len(text).to_bytes(8, "little") + text)
    expect_error(path, "holds no tensors", "C, W1, b1, W2, b2")
    text = json.dumps([1, 2, 3]).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text)
    expect_error(path, "not a model file")


def test_a_file_too_large_to_be_a_model(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoint, "MAX_MODEL_FILE_BYTES", 1024)
    expect_error(saved, "model.safetensors", "may be at most")


def test_an_unreadable_file(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", fail)
    expect_error(saved, "Permission denied")


# -- pickles are never loaded -----------------------------------------------------------------


class RunsCode:
    """A pickle of this runs `touch marker` when unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_a_torch_save_file_is_refused(tmp_path: Path, model_file: ModelFile) -> None:
    marker = tmp_path / "ran.txt"
    path = tmp_path / "model.pt"
    torch.save({**tensors_of(model_file), "evil": RunsCode(marker)}, path)
    assert path.read_bytes()[:2] == b"PK"  # a zip with a pickle inside
    expect_error(path, "model.pt", "something other than tensors", "not loaded")
    assert not marker.exists()


def test_a_legacy_torch_save_file_is_refused(tmp_path: Path, model_file: ModelFile) -> None:
    marker = tmp_path / "ran.txt"
    path = tmp_path / "legacy.pt"
    torch.save(
        {**tensors_of(model_file), "evil": RunsCode(marker)},
        path,
        _use_new_zipfile_serialization=False,
    )
    expect_error(path, "legacy.pt")
    assert not marker.exists()


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_pickle_that_would_run_code_is_never_unpickled(tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "ran.txt"
    payload = pickle.dumps(RunsCode(marker), protocol=protocol)
    # the payload is real: unpickling it would create the marker (checked in a dry run below)
    assert b"system" in payload
    for name in ("evil.pkl", "evil.safetensors"):
        path = tmp_path / name
        path.write_bytes(payload)
        expect_error(path, name)
        assert not marker.exists()
    with pytest.raises(ModelFileError):
        model_from_bytes(payload)
    assert not marker.exists()


def test_the_evil_pickle_really_would_run_code(tmp_path: Path) -> None:
    """Guards the test above: if this stops creating the marker, that test proves nothing."""
    marker = tmp_path / "ran.txt"
    pickle.loads(pickle.dumps(RunsCode(marker)))
    assert marker.exists()


def test_loading_never_calls_pickle(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the loader unpickled something")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    assert load_model(saved).model.parameter_count() > 0


# -- atomic save ------------------------------------------------------------------------------


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_failed_rename_leaves_the_old_file_and_no_temporary_file(
    saved: Path, model_file: ModelFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = saved.read_bytes()
    listing = files_in(saved.parent)

    def no_rename(src: object, dst: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(checkpoint.os, "replace", no_rename)
    model_file.model.params["b2"].data += 1.0
    with pytest.raises(ModelFileError) as exc_info:
        save_model(saved, model_file)
    assert "Input/output error" in str(exc_info.value)
    assert saved.read_bytes() == before
    assert files_in(saved.parent) == listing


def test_a_write_failing_half_way_leaves_the_old_file(
    saved: Path, model_file: ModelFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = saved.read_bytes()
    listing = files_in(saved.parent)
    real_fdopen = os.fdopen

    class DiskFull(io.RawIOBase):
        def __init__(self, fd: int) -> None:
            self.fh = real_fdopen(fd, "wb")

        def write(self, data: object) -> int:
            self.fh.write(bytes(data)[: len(bytes(data)) // 2])
            self.fh.flush()
            raise OSError(28, "No space left on device")

        def fileno(self) -> int:
            return self.fh.fileno()

        def close(self) -> None:
            self.fh.close()
            super().close()

    monkeypatch.setattr(checkpoint.os, "fdopen", lambda fd, mode: DiskFull(fd))
    with pytest.raises(ModelFileError) as exc_info:
        save_model(saved, model_file)
    assert "No space left on device" in str(exc_info.value)
    assert "\n" not in str(exc_info.value)
    assert saved.read_bytes() == before
    assert files_in(saved.parent) == listing
    monkeypatch.undo()
    assert load_model(saved).training == model_file.training


def test_a_failed_first_save_leaves_nothing(
    tmp_path: Path, model_file: ModelFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(checkpoint.os, "fsync", no_fsync)
    with pytest.raises(ModelFileError):
        save_model(tmp_path / "new.safetensors", model_file)
    assert files_in(tmp_path) == []


def test_saving_into_a_missing_folder(tmp_path: Path, model_file: ModelFile) -> None:
    with pytest.raises(ModelFileError) as exc_info:
        save_model(tmp_path / "no" / "such" / "model.safetensors", model_file)
    assert "does not exist" in str(exc_info.value)
    assert files_in(tmp_path) == []


def test_saving_onto_a_folder(tmp_path: Path, model_file: ModelFile) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(ModelFileError):
        save_model(folder, model_file)
    assert files_in(tmp_path) == ["a-folder"]
    assert files_in(folder) == []


def test_non_finite_weights_are_not_saved(saved: Path, model_file: ModelFile) -> None:
    before = saved.read_bytes()
    model_file.model.params["W2"].data[0, 0] = float("nan")
    with pytest.raises(ModelFileError, match="NaN or infinite"):
        save_model(saved, model_file)
    assert saved.read_bytes() == before
    assert files_in(saved.parent) == ["model.safetensors"]


def test_saving_in_the_current_folder(
    tmp_path: Path, model_file: ModelFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    save_model("here.safetensors", model_file)
    assert files_in(tmp_path) == ["here.safetensors"]
    assert load_model("here.safetensors").split_seed == 7


def test_test_evaluations_count_per_dataset() -> None:
    tests = TestEvaluations()
    assert tests.record("a", 2.0) == 1
    assert tests.record("a", 1.5) == 2
    assert tests.record("b", 3.0) == 1
    assert (tests.count("a"), tests.count("b"), tests.count("c")) == (2, 1, 0)
    assert tests.last_loss == {"a": 1.5, "b": 3.0}


def test_training_summary_ignores_unknown_keys() -> None:
    summary = TrainingSummary.from_dict({"steps": 5, "from_the_future": True})
    assert summary == TrainingSummary(steps=5)


def test_model_from_bytes_of_saved_bytes(saved: Path) -> None:
    assert model_from_bytes(saved.read_bytes()).split_seed == 7
    for size in (1, 2, 3):
        bad = save(
            {"C": torch.zeros(size)}, metadata={"format": FORMAT_NAME, "format_version": "1"}
        )
        with pytest.raises(ModelFileError, match="Cannot open bad: the model file's config"):
            model_from_bytes(bad, "bad")


# -- files that are not regular files, hostile headers and weights ------------------


def load_within(path: Path, seconds: float = 10.0) -> BaseException | None:
    """load_model in a thread: a hang fails the test instead of hanging the suite."""
    result: list[BaseException | None] = []

    def run() -> None:
        try:
            load_model(path)
            result.append(None)
        except BaseException as exc:  # handed to the test
            result.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"load_model({path.name}) hung"
    return result[0]


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    error = load_within(fifo)
    assert isinstance(error, ModelFileError) and "not a file" in str(error)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_link_to_a_device_is_refused_without_reading_it(tmp_path: Path, device: str) -> None:
    link = tmp_path / "model.safetensors"
    link.symlink_to(device)
    error = load_within(link)
    assert isinstance(error, ModelFileError) and "not a file" in str(error)


def test_a_header_nested_100000_deep_is_a_clear_error(tmp_path: Path) -> None:
    text = ('{"a":' * 100_000 + "1" + "}" * 100_000).encode()
    path = tmp_path / "deep.safetensors"
    path.write_bytes(len(text).to_bytes(8, "little") + text)
    expect_error(path, "deep.safetensors", "not a model file")


def test_a_header_length_beyond_the_cap_is_refused_before_parsing(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the header was parsed")

    monkeypatch.setattr(checkpoint, "MAX_HEADER_BYTES", 100)
    monkeypatch.setattr(json, "loads", forbidden)
    expect_error(saved, "header claims")


def test_finite_but_huge_weights_are_refused(tmp_path: Path, saved: Path) -> None:
    tensors, meta = load_file(saved), metadata_of(saved)
    huge = {**tensors, "W2": torch.full_like(tensors["W2"], 3e38)}
    path = write_model_like(tmp_path / "huge.safetensors", huge, meta)
    expect_error(path, "huge.safetensors", "weights too large: the model's outputs are not finite")
    huge = {**tensors, "W1": torch.full_like(tensors["W1"], -3e38)}
    path = write_model_like(tmp_path / "huge1.safetensors", huge, meta)
    expect_error(path, "weights too large")


def test_a_huge_but_valid_split_seed_within_the_apps_range_loads(saved: Path) -> None:
    rewrite_metadata(saved, split_seed=str(2**31 - 1))
    assert load_model(saved).split_seed == 2**31 - 1


def test_the_training_settings_of_a_file_are_checked(model_file: ModelFile) -> None:
    assert model_file.training.train_config_or_none() == TrainConfig(
        batch_size=8, steps=20, schedule="constant", engine="autograd"
    )
    model_file.training.train_config = {**model_file.training.train_config, "steps": -5}
    assert model_file.training.train_config_or_none() is None
    model_file.training.train_config = {"unknown": 1}
    assert model_file.training.train_config_or_none() is None


# -- saving: litter of killed saves, symbolic links --------------------------------------------


def test_a_save_removes_the_temporary_files_a_killed_save_left(
    saved: Path, model_file: ModelFile
) -> None:
    folder = saved.parent
    stale = [folder / ".model.safetensors.k3j_x9a2.tmp", folder / ".model.safetensors.abcdefgh.tmp"]
    kept = [
        folder / ".other.safetensors.abcdefgh.tmp",  # another file's save
        folder / ".model.safetensors.notmine.tmp",  # not mkstemp's pattern
        folder / "model.safetensors.abcdefgh.tmp",  # not hidden
    ]
    for path in stale + kept:
        path.write_bytes(b"half a model")
    save_model(saved, model_file)
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)
    assert load_model(saved).training.steps == model_file.training.steps


def test_saving_onto_a_link_updates_its_target(tmp_path: Path, model_file: ModelFile) -> None:
    real_folder = tmp_path / "real"
    real_folder.mkdir()
    target = real_folder / "model.safetensors"
    target.write_bytes(b"old")
    link = tmp_path / "link.safetensors"
    link.symlink_to(target)
    save_model(link, model_file)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load_model(target).split_seed == model_file.split_seed
    assert sorted(p.name for p in real_folder.iterdir()) == ["model.safetensors"]


# -- a learner's own weights ---------------------------------------------------------


def lecture_tensors(vocab_size: int = 27, block_size: int = 3) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((vocab_size, 10), generator=g)
    W1 = torch.randn((block_size * 10, 200), generator=g)
    b1 = torch.randn(200, generator=g)
    W2 = torch.randn((200, vocab_size), generator=g)
    b2 = torch.randn(vocab_size, generator=g)
    return {"C": C, "W1": W1, "b1": b1, "W2": W2, "b2": b2}


@pytest.mark.parametrize("form", ["safetensors", "list", "tuple", "dict", "legacy", "float64"])
def test_a_learners_own_weights_open(tmp_path: Path, form: str) -> None:
    tensors = lecture_tensors(block_size=4)
    path = tmp_path / f"mine.{form}"
    parameters = [tensors[k] for k in PARAMETER_NAMES]
    for p in parameters:
        p.requires_grad = True  # as in the notebook's loop
    if form == "safetensors":
        save_file({k: v.detach() for k, v in tensors.items()}, str(path))
    elif form == "list":
        torch.save(parameters, path)
    elif form == "tuple":
        torch.save(tuple(parameters), path)
    elif form == "dict":
        torch.save(tensors, path)
    elif form == "legacy":
        torch.save(parameters, path, _use_new_zipfile_serialization=False)
    else:
        torch.save({k: v.detach().double() for k, v in tensors.items()}, path)
    loaded = load_model(path)
    assert loaded.is_plain and loaded.kind.endswith("weights")
    assert loaded.model.config == ModelConfig(block_size=4, n_embd=10, n_hidden=200, vocab_size=27)
    assert loaded.vocab.itos == tuple(".abcdefghijklmnopqrstuvwxyz")
    for name in PARAMETER_NAMES:
        assert torch.equal(loaded.model.params[name], tensors[name].detach().float())
    assert loaded.training == TrainingSummary() and loaded.split_seed == 42


def test_bare_weights_of_another_vocabulary_use_the_open_datasets(tmp_path: Path) -> None:
    vocab = Vocabulary(tuple(".abcdefghij"))
    path = tmp_path / "mine.pt"
    torch.save(lecture_tensors(vocab_size=11), path)
    expect_error(path, "11 rows in C", "no dataset is open", "Open the dataset")
    with pytest.raises(ModelFileError, match="the open dataset has 12 symbols"):
        load_model(path, dataset_vocab=Vocabulary(tuple(".abcdefghijk")))
    assert load_model(path, dataset_vocab=vocab).vocab == vocab


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        ({"W1": torch.zeros(31, 200)}, ("W1 has 31 rows", "C's 10 columns")),
        ({"b1": torch.zeros(100)}, ("b1 has 100 entries", "W1 has 200 columns")),
        ({"W2": torch.zeros(100, 27)}, ("W2 has 100 rows", "W1 has 200 columns")),
        ({"W2": torch.zeros(200, 26)}, ("W2 has 26 columns", "C has 27 rows")),
        ({"b2": torch.zeros(26)}, ("b2 has 26 entries", "C has 27 rows")),
        ({"C": torch.zeros(27)}, ("C has shape (27,)",)),
        ({"C": torch.zeros(27, 10, dtype=torch.int64)}, ("C holds torch.int64",)),
        ({"W2": torch.full((200, 27), 3e38)}, ("weights too large",)),
    ],
)  # fmt: skip
def test_bare_weights_whose_shapes_do_not_fit_name_the_tensors(
    tmp_path: Path, change: dict[str, torch.Tensor], fragments: tuple[str, ...]
) -> None:
    path = tmp_path / "mine.pt"
    torch.save({**lecture_tensors(), **change}, path)
    expect_error(path, "mine.pt", *fragments)


@pytest.mark.parametrize(
    ("obj", "fragment"),
    [
        ([torch.zeros(2)] * 4, "list of 4 items"),
        ({"C": torch.zeros(2)}, "needs the tensors C, W1, b1, W2, b2 (W1, b1, W2, b2 missing)"),
        ({**lecture_tensors(), "W1": [1.0, 2.0]}, "W1 is a list, not a tensor"),
        (torch.zeros(3), "holds a Tensor"),
    ],
)  # fmt: skip
def test_torch_save_files_that_are_not_the_five_tensors(
    tmp_path: Path, obj: object, fragment: str
) -> None:
    path = tmp_path / "mine.pt"
    torch.save(obj, path)
    expect_error(path, fragment)


def test_a_hostile_pickle_beside_real_tensors_runs_nothing(tmp_path: Path) -> None:
    """torch.save of the five tensors plus an object whose __reduce__ would create a file."""
    marker = tmp_path / "ran.txt"
    for form, kwargs in (("zip", {}), ("legacy", {"_use_new_zipfile_serialization": False})):
        path = tmp_path / f"{form}.pt"
        torch.save([*lecture_tensors().values(), RunsCode(marker)], path, **kwargs)
        expect_error(path, f"{form}.pt", "something other than tensors", "not loaded")
        assert not marker.exists()


ODD_JSON = ["[]", "{}", '"x"', "1.5", "-1", str(2**70), "null", "true", '{"a": [1, {"b": null}]}',
            '["\\ud800"]', "1e999", "NaN", '{"steps": "5"}', '{"counts": {"a": -1}}']  # fmt: skip


@pytest.mark.parametrize(
    "key", ["format_version", "config", "vocab", "split_seed", "training", "test_evaluations"]
)
def test_any_odd_value_of_any_field_is_a_model_file_error(saved: Path, key: str) -> None:
    """Whatever a hand-edited or hostile file holds, loading raises ModelFileError with one
    line (no TypeError, AttributeError, RecursionError... escapes)."""
    raw_meta = metadata_of(saved)
    for value in ODD_JSON:
        rewrite_metadata(saved, **{**raw_meta, key: value})
        try:
            load_model(saved)
        except ModelFileError as exc:
            assert "\n" not in str(exc) and "object has no attribute" not in str(exc)


@pytest.mark.parametrize("form", ["zip", "legacy", "bare safetensors", "app file"])
def test_damaged_bytes_of_every_format_are_a_model_file_error(
    form: str, saved: Path, model_file: ModelFile
) -> None:
    """Seeded random byte flips and cuts: a file either loads or gives one ModelFileError;
    nothing from torch.load's or safetensors' readers (AssertionError, struct.error,
    TypeError...) escapes."""
    tensors = [t.detach().clone() for t in tensors_of(model_file).values()]
    buffer = io.BytesIO()
    if form == "zip":
        torch.save(tensors, buffer)
    elif form == "legacy":
        torch.save(tensors, buffer, _use_new_zipfile_serialization=False)
    elif form == "bare safetensors":
        buffer.write(save(dict(zip(PARAMETER_NAMES, tensors, strict=True))))
    else:
        buffer.write(saved.read_bytes())
    raw = buffer.getvalue()
    rng = np.random.default_rng(1)
    for _ in range(300):
        damaged = bytearray(raw)
        for i in rng.integers(0, min(len(raw), 3000), size=int(rng.integers(1, 8))):
            damaged[i] = int(rng.integers(0, 256))
        if rng.random() < 0.2:
            damaged = damaged[: int(rng.integers(0, len(damaged)))]
        try:
            model_from_bytes(bytes(damaged), "damaged.pt", dataset_vocab=model_file.vocab)
        except ModelFileError as exc:
            assert "\n" not in str(exc)
