"""A learner's own weights: the five tensors C, W1, b1, W2, b2 from the lecture's notebook.

Two ways a notebook saves them, both accepted:

    from safetensors.torch import save_file
    save_file({"C": C, "W1": W1, "b1": b1, "W2": W2, "b2": b2}, "mine.safetensors")
    torch.save([C, W1, b1, W2, b2], "mine.pt")       # or a tuple, or a dict keyed C, W1, ...

A torch.save file is a pickle, so it is read only with torch.load(..., weights_only=True):
PyTorch's restricted unpickler, which builds tensors and plain containers and refuses
anything that would run code. The configuration comes from the shapes; the vocabulary is the
lecture's ('.' and a-z) for 27 rows, else the open dataset's when its size fits.
"""

from __future__ import annotations

import io
import pickle
import string
import warnings
import zipfile
from typing import Any

import torch

from charnames_gui.core.config import LIMITS, MAX_PARAMETERS, PARAMETER_NAMES, ModelConfig
from charnames_gui.core.data import Vocabulary
from charnames_gui.core.errors import CharnamesError, ModelFileError

# The lecture's vocabulary: stoi = {s: i + 1 for i, s in enumerate(chars)}; stoi['.'] = 0
LECTURE_VOCAB = Vocabulary((".", *string.ascii_lowercase))


# torch.save stores a list of 5 tensors in 8 entries (data.pkl, byteorder, version, ...).
MAX_ZIP_ENTRIES = 64


def stored_zip_copy(raw: bytes, name: str) -> bytes:
    """A zip (torch.save's format) rewritten from entries checked before any is read.

    torch.save writes every entry stored, never compressed. A compressed entry is how a zip
    bomb works (2 MB of DEFLATE inflate to 2 GB), so one is refused before it is inflated;
    a stored entry cannot hold more bytes than the file, so the total is bounded by the
    file's size. torch.load then reads the copy made of the checked entries only, so its own
    zip reader never sees sizes or offsets that were not checked here."""
    damaged = f"{name} is a damaged or truncated torch.save file"
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
            if not infos or len(infos) > MAX_ZIP_ENTRIES:
                raise ModelFileError(f"{damaged} ({len(infos)} entries)")
            total = 0
            for info in infos:
                if info.compress_type != zipfile.ZIP_STORED:
                    raise ModelFileError(
                        f"{name} has compressed entries, which torch.save never writes (a "
                        "file made to fill memory when opened looks like this); it was not "
                        "opened. Save the tensors again with torch.save"
                    )
                total += info.file_size
                if info.file_size != info.compress_size or total > len(raw):
                    raise ModelFileError(f"{damaged} (its entries claim more than the file)")
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
                for info in infos:
                    copy.writestr(info.filename, zf.read(info))
            return out.getvalue()
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ModelFileError(damaged) from exc
    except (RuntimeError, NotImplementedError, UnicodeError) as exc:  # e.g. encrypted entries
        raise ModelFileError(damaged) from exc


def tensors_from_torch_save(raw: bytes, name: str) -> dict[str, torch.Tensor]:
    """The five tensors of a torch.save file (list, tuple or dict), loaded without running
    any code the file may hold and without inflating compressed entries (stored_zip_copy)."""
    if raw[:4] == b"PK\x03\x04":
        raw = stored_zip_copy(raw, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # legacy-format notes; the error below says enough
            obj = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelFileError(
            f"{name} is a pickle that holds something other than tensors (loading it could "
            "run code), so it was not loaded. Save only the five tensors: "
            "torch.save([C, W1, b1, W2, b2], path)"
        ) from exc
    except MemoryError:
        raise ModelFileError(f"{name} is too large to open in the memory available") from None
    except Exception as exc:  # torch.load's reader on damaged bytes: any error, one message
        raise ModelFileError(f"{name} is a damaged or truncated torch.save file") from exc
    return _five_tensors(obj, name)


def _five_tensors(obj: Any, name: str) -> dict[str, torch.Tensor]:
    expected = ", ".join(PARAMETER_NAMES)
    if isinstance(obj, dict):
        keys = [k for k in obj if isinstance(k, str)]
        if len(keys) != len(obj) or set(keys) != set(PARAMETER_NAMES):
            found = ", ".join(sorted(str(k) for k in obj)[:10]) or "nothing"
            raise ModelFileError(
                f"{name} holds {found}; a model needs exactly the tensors {expected}"
            )
        tensors = {k: obj[k] for k in PARAMETER_NAMES}
    elif isinstance(obj, list | tuple):
        if len(obj) != len(PARAMETER_NAMES):
            raise ModelFileError(
                f"{name} holds a list of {len(obj)} items; a model needs the 5 tensors "
                f"[{expected}] in this order"
            )
        tensors = dict(zip(PARAMETER_NAMES, obj, strict=True))
    else:
        raise ModelFileError(
            f"{name} holds a {type(obj).__name__}; a model needs the tensors {expected} "
            "as a list, tuple or dict"
        )
    for key, value in tensors.items():
        if not isinstance(value, torch.Tensor):
            raise ModelFileError(f"{name}: {key} is a {type(value).__name__}, not a tensor")
        # sparse, quantized or meta tensors (no values at all) are not weights to use
        if value.layout != torch.strided or value.is_quantized or value.device.type != "cpu":
            kind = value.device.type if value.device.type != "cpu" else str(value.layout)
            raise ModelFileError(
                f"{name}: {key} is a {kind.removeprefix('torch.')} tensor; a model needs "
                "ordinary (dense) tensors of numbers"
            )
    return {k: v.detach() for k, v in tensors.items()}


def float32_tensors(tensors: dict[str, torch.Tensor], name: str) -> dict[str, torch.Tensor]:
    """Check each tensor is real numbers and convert to float32 (float64 from a notebook is
    fine); the caller checks finiteness."""
    out = {}
    for key in PARAMETER_NAMES:
        t = tensors[key]
        if not (t.is_floating_point()) or t.is_complex():
            raise ModelFileError(f"{name}: {key} holds {t.dtype} values, not real numbers")
        if t.numel() > MAX_PARAMETERS:
            raise ModelFileError(f"{name}: {key} is larger than any model this app trains")
        out[key] = t.to(torch.float32).contiguous()
    return out


def config_from_shapes(tensors: dict[str, torch.Tensor], name: str) -> ModelConfig:
    """block_size, n_embd, n_hidden and vocab_size read off the shapes, every pair checked:

    C (vocab_size, n_embd)   W1 (block_size * n_embd, n_hidden)   b1 (n_hidden,)
    W2 (n_hidden, vocab_size)   b2 (vocab_size,)
    """
    dims = {"C": 2, "W1": 2, "b1": 1, "W2": 2, "b2": 1}
    for key, ndim in dims.items():
        shape = tuple(tensors[key].shape)
        if len(shape) != ndim:
            raise ModelFileError(
                f"{name}: {key} has shape {shape}; it should have {ndim} dimension"
                + ("s" if ndim > 1 else "")
            )
    vocab_size, n_embd = tensors["C"].shape
    fan_in, n_hidden = tensors["W1"].shape
    checks = [
        (n_embd > 0 and fan_in % n_embd == 0 and fan_in > 0,
         f"W1 has {fan_in} rows, not a multiple of C's {n_embd} columns (block_size * n_embd)"),
        (tensors["b1"].shape[0] == n_hidden,
         f"b1 has {tensors['b1'].shape[0]} entries but W1 has {n_hidden} columns (n_hidden)"),
        (tensors["W2"].shape[0] == n_hidden,
         f"W2 has {tensors['W2'].shape[0]} rows but W1 has {n_hidden} columns (n_hidden)"),
        (tensors["W2"].shape[1] == vocab_size,
         f"W2 has {tensors['W2'].shape[1]} columns but C has {vocab_size} rows (vocab_size)"),
        (tensors["b2"].shape[0] == vocab_size,
         f"b2 has {tensors['b2'].shape[0]} entries but C has {vocab_size} rows (vocab_size)"),
    ]  # fmt: skip
    for ok, message in checks:
        if not ok:
            raise ModelFileError(f"{name}: the shapes do not fit together: {message}")
    config = ModelConfig(
        block_size=fan_in // n_embd, n_embd=n_embd, n_hidden=n_hidden, vocab_size=vocab_size
    )
    try:
        config.validate()
    except CharnamesError as exc:
        limits = ", ".join(f"{k} {lo}-{hi:,}" for k, (lo, hi) in LIMITS.items())
        raise ModelFileError(f"{name}: {exc} (the app handles {limits})") from exc
    return config


def vocabulary_for(vocab_size: int, dataset_vocab: Vocabulary | None, name: str) -> Vocabulary:
    """The lecture's '.'+a-z for 27 rows; else the open dataset's when its size matches."""
    if vocab_size == LECTURE_VOCAB.size:
        return LECTURE_VOCAB
    if dataset_vocab is not None and dataset_vocab.size == vocab_size:
        return dataset_vocab
    have = (
        f"the open dataset has {dataset_vocab.size} symbols"
        if dataset_vocab is not None
        else "no dataset is open"
    )
    raise ModelFileError(
        f"{name} has {vocab_size} rows in C, so {vocab_size} symbols, but does not say which; "
        f"{have}. Open the dataset it was trained on first (charnames: --data FILE)"
    )
