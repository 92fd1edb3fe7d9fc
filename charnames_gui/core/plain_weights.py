"""A learner's own weights: the five tensors C, W1, b1, W2, b2 from the lecture's notebook.

Two ways a notebook saves them, both accepted:

    from safetensors.torch import save_file
    save_file({"C": C, "W1": W1, "b1": b1, "W2": W2, "b2": b2}, "mine.safetensors")
    torch.save([C, W1, b1, W2, b2], "mine.pt")       # or a tuple, or a dict keyed C, W1, ...

A dict may also hold the notebook's vocabulary, which is the natural way to keep it:

    torch.save({"C": C, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "itos": itos}, "mine.pt")

A torch.save file is a pickle, so it is read only with torch.load(..., weights_only=True):
PyTorch's restricted unpickler, which builds tensors and plain containers and refuses
anything that would run code. The configuration comes from the shapes (and block_size, when
the dict says it, must agree with them). The vocabulary, in order of trust:

1. the file's own itos and/or stoi (a dict from the notebook, or a list), when consistent;
2. the dataset the learner names (--data, or the dataset open in the app), when it has as
   many symbols as C has rows;
3. for 27 rows, the lecture's '.' and a-z: a guess, and the app says so.

Other keys that are not tensors are ignored, with a note.
"""

from __future__ import annotations

import io
import pickle
import string
import warnings
import zipfile
from dataclasses import dataclass
from typing import Any

import torch

from charnames_gui.core.config import LIMITS, MAX_PARAMETERS, PARAMETER_NAMES, ModelConfig
from charnames_gui.core.errors import CharnamesError, ModelFileError
from charnames_gui.core.vocabulary import Vocabulary

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


# Keys of a learner's dict beside the five tensors that say something about the model.
VOCAB_KEYS = ("itos", "stoi", "block_size")


def tensors_from_torch_save(
    raw: bytes, name: str
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The five tensors of a torch.save file (list, tuple or dict), loaded without running
    any code the file may hold (compressed entries are refused before they are inflated:
    stored_zip_copy), and the other entries of a dict (itos, stoi, block_size, and
    anything else), for plain_model_parts to use or ignore."""
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


def _five_tensors(obj: Any, name: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    expected = ", ".join(PARAMETER_NAMES)
    extras: dict[str, Any] = {}
    if isinstance(obj, dict):
        missing = [k for k in PARAMETER_NAMES if k not in obj]
        if missing:
            found = ", ".join(sorted(str(k) for k in obj)[:10]) or "nothing"
            raise ModelFileError(
                f"{name} holds {found}; a model needs the tensors {expected} "
                f"({', '.join(missing)} missing)"
            )
        tensors = {k: obj[k] for k in PARAMETER_NAMES}
        extras = {str(k): v for k, v in obj.items() if k not in PARAMETER_NAMES}
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
    return {k: v.detach() for k, v in tensors.items()}, extras


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


def _itos_from(extras: dict[str, Any], vocab_size: int, name: str) -> tuple[str, ...] | None:
    """The file's own vocabulary: itos (the notebook's dict {i: s}, or a list) and/or stoi
    ({s: i}), checked against each other and against C's rows. None when it has neither."""
    itos_raw, stoi_raw = extras.get("itos"), extras.get("stoi")
    if itos_raw is None and stoi_raw is None:
        return None
    bad = f"{name}: its itos/stoi do not fit C's {vocab_size} rows"

    def as_itos(mapping: Any, inverse: bool) -> tuple[str, ...]:
        if isinstance(mapping, list | tuple) and not inverse:
            pairs = list(enumerate(mapping))
        elif isinstance(mapping, dict):
            pairs = [(v, k) for k, v in mapping.items()] if inverse else list(mapping.items())
        else:
            raise ModelFileError(f"{name}: its {'stoi' if inverse else 'itos'} is not a dict")
        if not all(isinstance(i, int) and isinstance(s, str) for i, s in pairs):
            raise ModelFileError(f"{bad} (not integers and characters)")
        by_index = dict(pairs)
        if len(by_index) != len(pairs) or sorted(by_index) != list(range(vocab_size)):
            raise ModelFileError(f"{bad} (indices {len(pairs)} for 0-{vocab_size - 1})")
        return tuple(by_index[i] for i in range(vocab_size))

    itos = as_itos(itos_raw, False) if itos_raw is not None else None
    from_stoi = as_itos(stoi_raw, True) if stoi_raw is not None else None
    if itos is not None and from_stoi is not None and itos != from_stoi:
        raise ModelFileError(f"{name}: its itos and stoi disagree (itos should be stoi inverted)")
    return itos if itos is not None else from_stoi


def plain_model_parts(
    tensors: dict[str, torch.Tensor],
    extras: dict[str, Any],
    name: str,
    dataset_vocab: Vocabulary | None,
) -> tuple[dict[str, torch.Tensor], ModelConfig, Vocabulary, tuple[str, ...]]:
    """A learner's weights made usable: float32 tensors, the config read off the shapes, the
    vocabulary (the file's own, else the named dataset's, else the lecture's a-z guessed for
    27 rows) and notes in the learner's words (what was guessed or ignored)."""
    tensors = float32_tensors(tensors, name)
    config = config_from_shapes(tensors, name)
    notes: list[str] = []
    block_size = extras.get("block_size")
    if block_size is not None:
        if isinstance(block_size, bool) or not isinstance(block_size, int):
            raise ModelFileError(f"{name}: its block_size {block_size!r} is not a whole number")
        if block_size != config.block_size:
            fan_in = config.block_size * config.n_embd
            raise ModelFileError(
                f"{name}: its block_size is {block_size}, but W1's {fan_in} rows and C's "
                f"{config.n_embd} columns make {config.block_size}"
            )
    ignored = sorted(k for k in extras if k not in VOCAB_KEYS)
    if ignored:
        shown = ", ".join(ignored[:5]) + (", ..." if len(ignored) > 5 else "")
        notes.append(f"{name}: ignored what is not a model's tensor or vocabulary: {shown}")
    vocab = vocabulary_for(config.vocab_size, dataset_vocab, name, extras)
    if vocab.note:
        notes.append(vocab.note)
    return tensors, config, vocab.vocab, tuple(notes)


@dataclass(frozen=True)
class ChosenVocabulary:
    """A vocabulary and, when it was guessed or overrides the dataset's, the note that says
    so."""

    vocab: Vocabulary
    note: str = ""


def vocabulary_for(
    vocab_size: int,
    dataset_vocab: Vocabulary | None,
    name: str,
    extras: dict[str, Any] | None = None,
) -> ChosenVocabulary:
    """The file's own itos/stoi; else the named dataset's when its size matches; else, for 27
    rows, the lecture's '.' + a-z, with a note saying it is a guess."""
    own = _itos_from(extras or {}, vocab_size, name)
    dataset_label = "the open dataset"
    if own is not None:
        try:
            vocab = Vocabulary(own)
        except CharnamesError as exc:
            raise ModelFileError(f"{name}: its itos is not a vocabulary ({exc})") from exc
        note = ""
        if dataset_vocab is not None and dataset_vocab != vocab:
            note = (
                f"{name} carries its own vocabulary (itos), which differs from "
                f"{dataset_label}'s: the file's is used"
            )
        return ChosenVocabulary(vocab, note)
    if dataset_vocab is not None and dataset_vocab.size == vocab_size:
        return ChosenVocabulary(dataset_vocab)
    if vocab_size == LECTURE_VOCAB.size:
        why = (
            f"{dataset_label} has {dataset_vocab.size} symbols, not {vocab_size}"
            if dataset_vocab is not None
            else "no dataset was named"
        )
        return ChosenVocabulary(
            LECTURE_VOCAB,
            f"{name} does not say which characters C's 27 rows stand for and {why}, so they "
            "are read as the lecture's '.' and a-z (a guess). If your names use other "
            "characters, name their dataset (charnames: --data FILE; the app: open it first), "
            "or save itos with the weights",
        )
    have = (
        f"{dataset_label} has {dataset_vocab.size} symbols"
        if dataset_vocab is not None
        else "no dataset is open"
    )
    raise ModelFileError(
        f"{name} has {vocab_size} rows in C, so {vocab_size} symbols, but does not say which; "
        f"{have}. Open the dataset it was trained on first (charnames: --data FILE)"
    )
