"""Model files: the weights C, W1, b1, W2, b2 plus everything needed to use them.

The format is safetensors: a JSON header, then raw float32 arrays. It stores tensors and
string metadata only, so loading a file can never execute code from it (unlike a pickle).
In a notebook, one line gives the tensors:

    from safetensors.torch import load_file; p = load_file("model.safetensors")  # p["C"], ...

The metadata (all JSON strings) holds the format version, the ModelConfig, the vocabulary,
the split seed, a training summary and the test-set evaluation counter.

A learner's own weights open too (see core/plain_weights.py): a safetensors file of the five
tensors without this metadata, or a torch.save of them, read only with weights_only=True.
Every file is untrusted input: each field is checked and every problem is one clear line.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from charnames_gui.core.atomic import atomic_write
from charnames_gui.core.config import (
    PARAMETER_NAMES,
    ModelConfig,
    parameter_count,
    tensor_names,
    tensor_shapes,
)
from charnames_gui.core.data import Vocabulary
from charnames_gui.core.errors import CharnamesError, FileAccessError, ModelFileError
from charnames_gui.core.model import MLP
from charnames_gui.core.model_file import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MAX_MODEL_FILE_BYTES,
    MAX_SPLIT_SEED,
    ModelFile,
    TestEvaluations,
    TrainingSummary,
    shown_value,
)
from charnames_gui.core.plain_weights import (
    plain_model_parts,
    tensors_from_torch_save,
)
from charnames_gui.core.replay_file import (
    ReplayFileError,
    replay_from_tensors,
    replay_tensors,
    split_replay,
)
from charnames_gui.core.safe_files import read_regular_bytes

# Config, a vocabulary of at most 200 symbols and a training summary: a few KB. A header
# length beyond this is a damaged or hostile file; it is refused before anything is parsed.
MAX_HEADER_BYTES = 1024 * 1024
# Logits beyond this are no longer numbers a softmax can use in float32 (max 3.4e38): a
# file with such weights is refused at load, not when Sample or Step would meet inf.
MAX_OUTPUT_BOUND = 1e30
VERSION_PATTERN = re.compile(r"-?[0-9]{1,6}")


# -- saving -------------------------------------------------------------------------------------


def save_model(path: str | Path, model_file: ModelFile) -> None:
    """Write the model atomically (core.atomic: a temporary file in the same folder, fsync,
    then rename). A failure at any point leaves an existing file at `path` untouched.

    Saving onto a symbolic link updates the file it points to (the link stays a link), and
    temporary files left by an earlier save of the same file that was killed are removed."""
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))  # write next to the real file, rename over it
    mf = model_file
    if not mf.model.is_finite():  # load_model would refuse the file: do not write it
        raise ModelFileError(
            f"Cannot save {target.name}: the weights contain NaN or infinite values"
        )
    # the parameters, and with BatchNorm bngain, bnbias and the running statistics
    tensors = {name: t.detach().contiguous().clone() for name, t in mf.model.tensors().items()}
    metadata = {
        "format": FORMAT_NAME,
        "format_version": str(FORMAT_VERSION),
        "config": json.dumps(mf.model.config.to_dict()),
        "vocab": json.dumps(list(mf.vocab.itos), ensure_ascii=False),
        "split_seed": str(mf.split_seed),
        "training": json.dumps(asdict(mf.training), allow_nan=True),
        "test_evaluations": json.dumps(asdict(mf.test_evaluations)),
    }
    if mf.replay is not None and mf.replay.config == mf.model.config:
        replay, replay_meta = replay_tensors(mf.replay)  # optional: "replay.*" tensors
        tensors.update(replay)
        metadata.update(replay_meta)
    payload = save_safetensors_bytes(tensors, metadata=metadata)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ModelFileError(f"Cannot save: the folder {folder} does not exist")
    if target.is_dir():
        raise ModelFileError(f"Cannot save: {target} is a folder")
    try:
        atomic_write(target, payload)
    except FileAccessError as exc:
        raise ModelFileError(str(exc).replace("Could not write", "Could not save", 1)) from None


# -- loading ------------------------------------------------------------------------------------


def load_model(path: str | Path, dataset_vocab: Vocabulary | None = None) -> ModelFile:
    """Read and check a model file; raise ModelFileError with a one-line reason otherwise.

    dataset_vocab: the open dataset's vocabulary, for a learner's bare weights whose C does
    not have the lecture's 27 rows."""
    p = Path(path)
    raw = read_model_bytes(p)
    return model_from_bytes(raw, p.name, dataset_vocab)


def read_model_bytes(p: Path) -> bytes:
    """The file's bytes, if it is a regular file of at most MAX_MODEL_FILE_BYTES
    (core.safe_files: the type and size are checked before opening, the file is opened
    non-blocking and read with a cap), so a FIFO or a link to /dev/zero is refused at once
    instead of hanging or filling memory."""
    try:
        return read_regular_bytes(p, "model file", MAX_MODEL_FILE_BYTES)
    except FileAccessError as exc:
        raise ModelFileError(str(exc)) from None


def model_from_bytes(
    raw: bytes, name: str = "model file", dataset_vocab: Vocabulary | None = None
) -> ModelFile:
    """A ModelFile from the bytes of an app model file, a bare safetensors file of the five
    tensors, or a torch.save of them."""
    try:
        return _model_from_bytes(raw, name, dataset_vocab)
    except RecursionError:  # belt and braces: every JSON parse below already catches it
        raise ModelFileError(
            f"{name} is not a model file (its header is nested too deeply)"
        ) from None
    except MemoryError:
        raise ModelFileError(f"{name} is too large to open in the memory available") from None


def _model_from_bytes(raw: bytes, name: str, dataset_vocab: Vocabulary | None) -> ModelFile:
    if len(raw) < 8:
        raise ModelFileError(f"{name} is not a model file (only {len(raw)} bytes)")
    # A safetensors file starts with its header's length (8 bytes, little-endian), then "{".
    # Only bytes without that shape are checked for pickles and zips: a header length such
    # as 384 = b"\x80\x01..." looks like a pickle's first two bytes.
    if raw[8:9] != b"{":
        if _is_torch_save(raw):
            tensors, extras = tensors_from_torch_save(raw, name)
            return _plain_model_file(tensors, name, dataset_vocab, "torch.save weights", extras)
        raise ModelFileError(
            f"{name} is not a model file: it is neither safetensors nor a torch.save of tensors"
        )
    header_len = int.from_bytes(raw[:8], "little")
    if header_len > MAX_HEADER_BYTES:
        raise ModelFileError(f"{name} is not a model file (its header claims {header_len:,} bytes)")
    if header_len <= 0 or 8 + header_len > len(raw):
        raise ModelFileError(f"{name} is not a charnames model file, or it is truncated")
    header = _parse_json(raw[8 : 8 + header_len], f"{name} is not a model file (unreadable header)")
    if not isinstance(header, dict):
        raise ModelFileError(f"{name} is not a charnames model file (unreadable header)")
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict):
        raise ModelFileError(f"{name} is a safetensors file but not a charnames model file")
    if meta.get("format") != FORMAT_NAME:  # a learner's own weights (or another app's)
        tensors = _safetensors(raw, name)
        return _plain_model_file(tensors, name, dataset_vocab, "safetensors weights")
    version_text = meta.get("format_version")
    # ASCII digits only: "²".isdigit() is True but int("²") fails; "1-" and "--1" likewise
    if not isinstance(version_text, str) or not VERSION_PATTERN.fullmatch(version_text):
        raise ModelFileError(f"{name} has no readable format version")
    if not all(isinstance(v, str) for v in meta.values()):
        raise ModelFileError(f"{name} is a damaged charnames model file (unreadable metadata)")
    version = int(version_text)
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{name} was saved by a newer version of charnames-gui (format {version}; this "
            f"version reads up to {FORMAT_VERSION}). Update the app to open it."
        )
    if version < 1:
        raise ModelFileError(f"{name} has an unknown format version {version}")
    tensors = _safetensors(raw, name)
    try:
        return _model_file_from_parts(tensors, meta, version)
    except ModelFileError as exc:
        raise ModelFileError(f"Cannot open {name}: {exc}") from exc
    except (CharnamesError, ValueError, TypeError) as exc:  # e.g. a Vocabulary's own check
        raise ModelFileError(f"Cannot open {name}: {_first_line(exc)}") from exc


def _is_torch_save(raw: bytes) -> bool:
    """A zip (torch.save's format since 1.6) or a protocol-2+ pickle (its legacy format)."""
    return raw[:4] == b"PK\x03\x04" or (raw[:1] == b"\x80" and 2 <= raw[1] <= 5)


def _safetensors(raw: bytes, name: str) -> dict[str, torch.Tensor]:
    try:
        return load_safetensors_bytes(raw)
    except (SafetensorError, ValueError, RuntimeError, TypeError) as exc:
        raise ModelFileError(f"{name} is corrupt or truncated ({_first_line(exc)})") from exc


def _plain_model_file(
    tensors: dict[str, torch.Tensor],
    name: str,
    dataset_vocab: Vocabulary | None,
    kind: str,
    extras: dict[str, Any] | None = None,
) -> ModelFile:
    """A learner's bare weights: config from the shapes, vocabulary and notes by the rules of
    plain_weights.plain_model_parts, no training record."""
    missing = [k for k in PARAMETER_NAMES if k not in tensors]
    extra = sorted(set(tensors) - set(PARAMETER_NAMES))
    if missing or extra:
        found = ", ".join(sorted(tensors)[:10]) or "no tensors"
        raise ModelFileError(
            f"{name} holds {found}; a model needs exactly the tensors {', '.join(PARAMETER_NAMES)}"
        )
    tensors, config, vocab, notes = plain_model_parts(tensors, extras or {}, name, dataset_vocab)
    _check_weights(tensors, name)
    return ModelFile(MLP(config, tensors), vocab, kind=kind, notes=notes)


def _model_file_from_parts(
    tensors: dict[str, torch.Tensor], meta: dict[str, str], version: int
) -> ModelFile:
    """ModelFileErrors raised here say what is wrong; the caller names the file."""
    config_dict = _parse_json(meta.get("config", ""), "the model file's config is not readable")
    if not isinstance(config_dict, dict):
        raise ModelFileError("the model file's config is not readable")
    for key, meaning in CONFIG_FIELDS.items():
        if key not in config_dict:
            raise ModelFileError(f"the model file's config has no {key} ({meaning})")
    # batchnorm: absent from files written before it existed (a model without it)
    batchnorm = config_dict.get("batchnorm", False)
    if not isinstance(batchnorm, bool):
        raise ModelFileError("the model file's config says batchnorm is neither true nor false")
    config = ModelConfig(**{k: config_dict[k] for k in CONFIG_FIELDS}, batchnorm=batchnorm)
    config.validate()  # ConfigError: "n_embd must be a whole number, not 2.5" and the like
    itos = _parse_json(meta.get("vocab", ""), "the model file's vocabulary is not readable")
    if not isinstance(itos, list) or not all(isinstance(s, str) for s in itos):
        raise ModelFileError("the model file's vocabulary is not a list of characters")
    if any(0xD800 <= ord(ch) <= 0xDFFF for s in itos for ch in s):
        raise ModelFileError("the model file's vocabulary has a character that is not valid text")
    vocab = Vocabulary(tuple(itos))
    if vocab.size != config.vocab_size:
        raise ModelFileError(
            f"the vocabulary has {vocab.size} symbols but the model expects {config.vocab_size}"
        )
    replay_section = split_replay(tensors)
    names = tensor_names(config)  # with BatchNorm: bngain, bnbias and the running statistics
    for name in names:
        if name not in tensors:
            raise ModelFileError(f"the parameter {name} is missing")
        if tensors[name].dtype != torch.float32:
            raise ModelFileError(f"the parameter {name} is {tensors[name].dtype}, not float32")
    extra = sorted(set(tensors) - set(names))
    if extra:
        raise ModelFileError(f"unexpected tensors {', '.join(extra)}")
    for name in names:
        shape = tuple(tensors[name].shape)
        expected = tensor_shapes(config)[name]
        if shape != expected:
            raise ModelFileError(
                f"the parameter {name} has shape {shape}, but the config needs {expected}"
            )
    _check_weights(tensors, "")
    model = MLP(config, tensors)
    assert model.parameter_count() == parameter_count(config)
    training = TrainingSummary.from_dict(
        _parse_json(meta.get("training", "{}"), "its training record is not readable")
    )
    test_evaluations = TestEvaluations.from_dict(
        _parse_json(
            meta.get("test_evaluations", "{}"), "its count of test-set evaluations is not readable"
        )
    )
    split_seed_text = meta.get("split_seed", "42")
    if not split_seed_text.isascii() or not split_seed_text.isdigit() or len(split_seed_text) > 12:
        raise ModelFileError(f"its split seed {shown_value(split_seed_text)} is not a whole number")
    split_seed = int(split_seed_text)
    if split_seed > MAX_SPLIT_SEED:
        raise ModelFileError(
            f"its split seed {split_seed:,} is larger than the app's largest, {MAX_SPLIT_SEED:,}"
        )
    model_file = ModelFile(model, vocab, split_seed, training, test_evaluations, version)
    if replay_section or "replay" in meta:
        try:
            model_file.replay = replay_from_tensors(replay_section, meta.get("replay"), config)
        except ReplayFileError as exc:  # optional: the model opens without it
            model_file.replay_note = f"Its replay was left out: {exc}."
    return model_file


CONFIG_FIELDS = {
    "block_size": "context length",
    "n_embd": "embedding size",
    "n_hidden": "hidden layer size",
    "vocab_size": "vocabulary size",
}


def _check_weights(tensors: dict[str, torch.Tensor], name: str) -> None:
    """Finite, and small enough that every output is finite: |h| <= 1 after tanh, so
    |logits| <= sum |W2| + |b2| per column; the pre-activation likewise is bounded by
    max|C| * sum |W1| + |b1|. Bounds in float64, so huge weights (3e38) are caught before a
    matmul turns them into inf (or inf - inf into NaN)."""
    where = f"{name}: " if name else ""
    for key in tensors:
        if not bool(torch.isfinite(tensors[key]).all()):
            raise ModelFileError(f"{where}the parameter {key} contains NaN or infinite values")
    t = {k: tensors[k].double().abs() for k in tensors}
    pre_bn = t["C"].max() * t["W1"].sum(0) + t["b1"]  # (n_hidden,)
    if "bnstd_running" in t:  # BatchNorm divides by the running std
        if not bool((tensors["bnstd_running"] > 0).all()):
            raise ModelFileError(f"{where}bnstd_running holds a standard deviation that is not > 0")
        pre_bn = t["bngain"] * (pre_bn + t["bnmean_running"]) / t["bnstd_running"] + t["bnbias"]
    pre = float(pre_bn.max())
    logits = float((t["W2"].sum(0) + t["b2"]).max())
    if not (pre <= MAX_OUTPUT_BOUND and logits <= MAX_OUTPUT_BOUND):
        raise ModelFileError(f"{where}weights too large: the model's outputs are not finite")


def _parse_json(text: str | bytes, message: str) -> Any:
    """json.loads, with every way it can fail (bad syntax or bytes, deep nesting) as one
    ModelFileError."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text)
    except (
        UnicodeDecodeError,
        ValueError,
        RecursionError,
    ) as exc:  # JSONDecodeError is a ValueError
        raise ModelFileError(message) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
