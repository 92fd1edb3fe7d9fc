"""Model files: the weights C, W1, b1, W2, b2 plus everything needed to use them.

The format is safetensors: a JSON header, then raw float32 arrays. It stores tensors and
string metadata only, so loading a file can never execute code from it (unlike a pickle).
In a notebook, one line gives the tensors:

    from safetensors.torch import load_file; p = load_file("model.safetensors")  # p["C"], ...

The metadata (all JSON strings) holds the format version, the ModelConfig, the vocabulary,
the split seed, a training summary and the test-set evaluation counter.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from charnames_gui.core.data import Vocabulary
from charnames_gui.core.errors import CharnamesError, ModelFileError
from charnames_gui.core.model import MLP, PARAMETER_NAMES, ModelConfig, parameter_count

FORMAT_NAME = "charnames-gui model"
FORMAT_VERSION = 1
MODEL_SUFFIX = ".safetensors"
# The largest model the app allows (core.model.MAX_PARAMETERS float32) plus a generous header.
MAX_MODEL_FILE_BYTES = 100 * 1024 * 1024


@dataclass
class TrainingSummary:
    """What a learner wants to know about how the weights were made."""

    steps: int = 0  # optimisation steps done
    seconds: float = 0.0  # time spent in the training loop
    train_loss: float | None = None  # full loss on the train split after the last step
    dev_loss: float | None = None  # full loss on the dev split after the last step
    train_config: dict[str, Any] = field(default_factory=dict)  # TrainConfig.to_dict()
    dataset_name: str = ""
    dataset_hash: str = ""  # Dataset.content_hash()
    # Trainer.batch_stream: (seed, start step) of the minibatch stream, so that training
    # resumed from the file goes on with the minibatches it would have had. None: an older
    # file (the config's seed from step 0 is then assumed).
    batch_stream: tuple[int, int] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingSummary:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        stream = known.get("batch_stream")
        if stream is not None:
            if (
                not isinstance(stream, list)
                or len(stream) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in stream)
                or not 0 <= stream[1] <= int(known.get("steps", 0))
            ):
                raise ModelFileError("the minibatch stream of its training is not readable")
            known["batch_stream"] = (stream[0], stream[1])
        return cls(**known)


@dataclass
class TestEvaluations:
    """How often the test split was looked at, per dataset (by content hash).

    Every look at the test loss leaks a little of the test set into the learner's choices;
    counting the looks makes that discipline visible."""

    __test__ = False  # not a pytest test class

    counts: dict[str, int] = field(default_factory=dict)
    last_loss: dict[str, float] = field(default_factory=dict)

    def record(self, dataset_hash: str, loss: float) -> int:
        self.counts[dataset_hash] = self.counts.get(dataset_hash, 0) + 1
        self.last_loss[dataset_hash] = loss
        return self.counts[dataset_hash]

    def count(self, dataset_hash: str) -> int:
        return self.counts.get(dataset_hash, 0)


@dataclass
class ModelFile:
    """Everything a model file holds."""

    model: MLP
    vocab: Vocabulary
    split_seed: int = 42
    training: TrainingSummary = field(default_factory=TrainingSummary)
    test_evaluations: TestEvaluations = field(default_factory=TestEvaluations)
    format_version: int = FORMAT_VERSION


def save_model(path: str | Path, model_file: ModelFile) -> None:
    """Write the model atomically: a temporary file in the same folder, fsync, then rename.
    A failure at any point leaves an existing file at `path` untouched."""
    target = Path(path)
    mf = model_file
    if not mf.model.is_finite():  # load_model would refuse the file: do not write it
        raise ModelFileError(
            f"Cannot save {target.name}: the weights contain NaN or infinite values"
        )
    tensors = {name: t.detach().contiguous().clone() for name, t in mf.model.params.items()}
    metadata = {
        "format": FORMAT_NAME,
        "format_version": str(FORMAT_VERSION),
        "config": json.dumps(mf.model.config.to_dict()),
        "vocab": json.dumps(list(mf.vocab.itos), ensure_ascii=False),
        "split_seed": str(mf.split_seed),
        "training": json.dumps(asdict(mf.training), allow_nan=True),
        "test_evaluations": json.dumps(asdict(mf.test_evaluations)),
    }
    payload = save_safetensors_bytes(tensors, metadata=metadata)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ModelFileError(f"Cannot save: the folder {folder} does not exist")
    # mkstemp makes the file private (0600); a model file is an ordinary document, so keep the
    # mode of the file it replaces, or the usual rw-r--r--.
    mode = target.stat().st_mode & 0o777 if target.is_file() else 0o644
    tmp_path: str | None = None
    try:
        fd, tmp_path = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        os.chmod(tmp_path, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
        tmp_path = None
    except OSError as exc:
        raise ModelFileError(f"Could not save {target.name}: {exc.strerror or exc}") from exc
    finally:
        if tmp_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_path)


def load_model(path: str | Path) -> ModelFile:
    """Read and check a model file; raise ModelFileError with a one-line reason otherwise."""
    p = Path(path)
    if not p.exists():
        raise ModelFileError(f"Model file not found: {p}")
    if p.is_dir():
        raise ModelFileError(f"{p} is a folder, not a model file")
    size = p.stat().st_size
    if size > MAX_MODEL_FILE_BYTES:
        raise ModelFileError(
            f"{p.name} is {size / 1e6:.0f} MB, larger than any model this app makes "
            f"(at most {MAX_MODEL_FILE_BYTES // (1024 * 1024)} MB)"
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"Cannot read {p}: {exc.strerror or exc}") from exc
    return model_from_bytes(raw, p.name)


def model_from_bytes(raw: bytes, name: str = "model file") -> ModelFile:
    # A safetensors file starts with its header's length (8 bytes, little-endian), then "{".
    # Only bytes without that shape are checked for pickles and zips: a header length such
    # as 384 = b"\x80\x01..." looks like a pickle's first two bytes.
    if raw[8:9] != b"{":
        _reject_known_foreign_formats(raw, name)
    if len(raw) < 8:
        raise ModelFileError(f"{name} is not a model file (only {len(raw)} bytes)")
    header_len = int.from_bytes(raw[:8], "little")
    if header_len <= 0 or 8 + header_len > len(raw):
        raise ModelFileError(f"{name} is not a charnames model file, or it is truncated")
    try:
        header = json.loads(raw[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{name} is not a charnames model file (unreadable header)") from exc
    if not isinstance(header, dict):
        raise ModelFileError(f"{name} is not a charnames model file (unreadable header)")
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{name} is a safetensors file but not a charnames model file")
    try:
        version = int(meta.get("format_version", ""))
    except (ValueError, TypeError) as exc:  # TypeError: not a string in a hand-made header
        raise ModelFileError(f"{name} has no readable format version") from exc
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{name} was saved by a newer version of charnames-gui (format {version}; this "
            f"version reads up to {FORMAT_VERSION}). Update the app to open it."
        )
    if version < 1:
        raise ModelFileError(f"{name} has an unknown format version {version}")
    try:
        tensors = load_safetensors_bytes(raw)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{name} is corrupt or truncated ({_first_line(exc)})") from exc
    try:
        return _model_file_from_parts(tensors, meta, version)
    except (CharnamesError, ValueError, TypeError, KeyError, AttributeError) as exc:
        # CharnamesError includes the ModelFileErrors below, whose reasons need the file's name
        raise ModelFileError(f"{name} has inconsistent contents: {_first_line(exc)}") from exc


def _model_file_from_parts(
    tensors: dict[str, torch.Tensor], meta: dict[str, str], version: int
) -> ModelFile:
    config_dict = json.loads(meta["config"])
    if not isinstance(config_dict, dict):
        raise ModelFileError("the model configuration is not readable")
    config = ModelConfig(**{k: config_dict[k] for k in ModelConfig.__dataclass_fields__})
    config.validate()
    itos = json.loads(meta["vocab"])
    if not isinstance(itos, list) or not all(isinstance(s, str) for s in itos):
        raise ModelFileError("the vocabulary is not readable")
    vocab = Vocabulary(tuple(itos))
    if vocab.size != config.vocab_size:
        raise ModelFileError(
            f"the vocabulary has {vocab.size} symbols but the model expects {config.vocab_size}"
        )
    for name in PARAMETER_NAMES:
        if name not in tensors:
            raise ModelFileError(f"the parameter {name} is missing")
        if tensors[name].dtype != torch.float32:
            raise ModelFileError(f"the parameter {name} is {tensors[name].dtype}, not float32")
        if not bool(torch.isfinite(tensors[name]).all()):
            raise ModelFileError(f"the parameter {name} contains NaN or infinite values")
    extra = sorted(set(tensors) - set(PARAMETER_NAMES))
    if extra:
        raise ModelFileError(f"unexpected tensors {', '.join(extra)}")
    model = MLP(config, tensors)  # checks every shape against the config
    assert model.parameter_count() == parameter_count(config)
    training = TrainingSummary.from_dict(json.loads(meta.get("training", "{}")))
    tests = json.loads(meta.get("test_evaluations", "{}"))
    test_evaluations = TestEvaluations(
        counts={str(k): int(v) for k, v in dict(tests.get("counts", {})).items()},
        last_loss={str(k): float(v) for k, v in dict(tests.get("last_loss", {})).items()},
    )
    split_seed = int(meta.get("split_seed", "42"))
    return ModelFile(model, vocab, split_seed, training, test_evaluations, version)


def _reject_known_foreign_formats(raw: bytes, name: str) -> None:
    """Name the common wrong files plainly. Nothing here is ever unpickled."""
    if raw[:2] == b"PK":
        raise ModelFileError(
            f"{name} is a PyTorch/zip file. For safety the app opens only .safetensors model "
            "files, which cannot contain code; pickled files are never loaded"
        )
    if raw[:1] == b"\x80" and len(raw) > 1 and raw[1] <= 5:
        raise ModelFileError(
            f"{name} is a Python pickle, which could run code when loaded; "
            "the app never loads pickles. Open a .safetensors model file instead"
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
