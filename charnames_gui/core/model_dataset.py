"""Which dataset a model was trained on, known by content (sha256 of its words), not by name.

Two files can both be called names.txt (the bundled one and the lecture's differ in 7,361 of
32,033 names), so a model file records the hash and the path of its dataset; a dataset is
"the model's" only when its hash is the recorded one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from charnames_gui.core.data import Dataset, Vocabulary
from charnames_gui.core.errors import DatasetError
from charnames_gui.core.model_file import ModelFile

HASH_SHOWN = 8  # hex digits of a hash shown to a learner: enough to tell files apart


def dataset_label(name: str, path: str | Path | None, content_hash: str) -> str:
    """'names.txt (/home/me/names.txt, sha256 1a2b3c4d)': what tells two datasets apart."""
    where = f"{path}, " if path else ""
    digest = f"sha256 {content_hash[:HASH_SHOWN]}" if content_hash else "content unknown"
    return f"{name or 'unnamed'} ({where}{digest})"


def trained_on_label(model_file: ModelFile) -> str:
    s = model_file.training
    return dataset_label(s.dataset_name, s.dataset_path, s.dataset_hash)


def label_of(dataset: Dataset) -> str:
    return dataset_label(dataset.name, dataset.path, dataset.content_hash())


@dataclass(frozen=True)
class Match:
    """How an open dataset relates to a model."""

    same: bool  # the model was trained on exactly these words
    known: bool  # the model records a dataset at all (bare weights do not)
    message: str  # empty when same; else one line naming both datasets


def compare(model_file: ModelFile, dataset: Dataset) -> Match:
    recorded = model_file.training.dataset_hash
    if not recorded:
        return Match(
            False,
            False,
            f"The model does not record its dataset; figures are measured on {label_of(dataset)}",
        )
    if recorded == dataset.content_hash():
        return Match(True, True, "")
    return Match(
        False,
        True,
        f"The model was trained on {trained_on_label(model_file)}; the open dataset is "
        f"{label_of(dataset)}. Its train/dev/test splits are not the model's.",
    )


def dataset_for_model(model_file: ModelFile, model_name: str, bundled: Path | None) -> Dataset:
    """The dataset the model was trained on, found without being told: the bundled one when
    the recorded hash is the bundled file's, else the recorded path if its words still have
    that hash. Otherwise DatasetError naming the file that is needed."""
    s = model_file.training
    if not s.dataset_hash:
        raise DatasetError(
            f"{model_name} does not record which dataset it was trained on; "
            "pass the file with --data FILE"
        )
    candidates = [Path(s.dataset_path)] if s.dataset_path else []
    if bundled is not None:
        candidates.append(bundled)
    for path in candidates:
        try:
            dataset = Dataset.from_file(
                path, split_seed=model_file.split_seed, vocab=model_file.vocab
            )
        except DatasetError:
            continue
        if dataset.content_hash() == s.dataset_hash:
            return dataset
    where = f" at {s.dataset_path}" if s.dataset_path else ""
    raise DatasetError(
        f"{model_name} was trained on {trained_on_label(model_file)}, which is not{where} "
        "any more (or has changed); pass that file with --data FILE"
    )


def read_dataset_for(
    path: str | Path, model_file: ModelFile | None, split_seed: int | None = None
) -> Dataset:
    """A dataset file read for a model: with the model's vocabulary and split seed."""
    vocab: Vocabulary | None = model_file.vocab if model_file is not None else None
    seed = split_seed if split_seed is not None else (model_file.split_seed if model_file else 42)
    return Dataset.from_file(path, split_seed=seed, vocab=vocab)
