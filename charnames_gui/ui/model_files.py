"""Model files: save, read (large files on the ModelLoader's thread), prepare an opened file
(the dataset and trainer it goes on with), and export a run as the lecture's code.

Nothing here changes the app's state or tells the learner anything: every function returns
what it made or raises CharnamesError in the learner's words, and the controller applies and
says it. Choosing the dataset and trainer for a file (dataset_for) is a function of its
inputs alone.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from charnames_gui.core.config import TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.document import DocumentView
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.model_dataset import compare, label_of, trained_on_label
from charnames_gui.core.model_file import MAX_MODEL_FILE_BYTES, ModelFile, TrainingSummary
from charnames_gui.core.safe_files import check_regular_file, format_size
from charnames_gui.core.vocabulary import Vocabulary
from charnames_gui.ui.model_loader import BACKGROUND_MODEL_BYTES, ModelLoader, read_model

if TYPE_CHECKING:  # torch-backed: imported where a model is made
    from charnames_gui.core.events import Snapshot
    from charnames_gui.core.examples import SplitTensors
    from charnames_gui.core.model import MLP
    from charnames_gui.core.training import TrainerLike

    MakeTrainer = Callable[[MLP, SplitTensors, TrainConfig], TrainerLike]

# A model's own dataset file larger than this is read on the DatasetLoader's thread (see
# own_dataset_to_read and the controller's open_dataset_for_model); names.txt (228 KB) is
# read at once.
MODELS_DATASET_READ_BYTES = 1024 * 1024
# Save pauses the run and waits this long for it; a training process that has not paused by
# then is not waited for: the last weights received are saved (they are ~0.25 s old).
SAVE_PAUSE_WAIT = 0.5


def train_config_of(model_file: ModelFile) -> TrainConfig:
    """The training settings a model file continues with: its own (or the defaults), with
    at least as many steps as it has taken."""
    saved = model_file.training.train_config_or_none() or TrainConfig()
    return saved.replace(steps=max(saved.steps, model_file.training.steps, 1))


def resumed_trainer(
    make_trainer: MakeTrainer,
    model: MLP,
    summary: TrainingSummary,
    dataset: Dataset,
    train_config: TrainConfig,
) -> TrainerLike:
    """A trainer for `model` on `dataset` that goes on from the training in `summary`."""
    trainer = make_trainer(model, dataset.examples(model.config.block_size), train_config)
    trainer.resume(summary.steps, summary.seconds, summary.batch_stream)
    return trainer


def dataset_for(
    model_file: ModelFile,
    train_config: TrainConfig,
    open_dataset: Dataset | None,
    make_trainer: MakeTrainer,
) -> tuple[Dataset | None, TrainerLike | None, str]:
    """(dataset, trainer, message) for a model about to be opened, without changing any
    state: the open dataset when it is the model's; else the model's own file when its
    recorded path still holds the same names (a file too large for the GUI thread is
    skipped here and read in the background after: own_dataset_to_read); else the
    open dataset if it fits the vocabulary (figures then measured on another dataset, said
    with both names); else none (sampling and the embedding still work from the file alone)."""
    summary = model_file.training
    candidates: list[tuple[Dataset, bool]] = []  # (dataset, is it the model's own)

    def with_model_vocab(d: Dataset) -> Dataset:
        return Dataset(d.words, name=d.name, split_seed=model_file.split_seed,
                       path=d.path, vocab=model_file.vocab)  # fmt: skip

    if open_dataset is not None:
        with contextlib.suppress(CharnamesError):
            candidates.append((with_model_vocab(open_dataset), False))
    own_open = any(
        summary.dataset_hash and d.content_hash() == summary.dataset_hash for d, _ in candidates
    )
    if summary.dataset_hash and not own_open and summary.dataset_path:
        with contextlib.suppress(CharnamesError, OSError):
            if Path(summary.dataset_path).stat().st_size > MODELS_DATASET_READ_BYTES:
                raise OSError("too large to read on the GUI thread: read in the background")
            recorded = Dataset.from_file(
                summary.dataset_path, split_seed=model_file.split_seed, vocab=model_file.vocab
            )
            if recorded.content_hash() == summary.dataset_hash:
                candidates.insert(0, (recorded, True))
    if not candidates:
        if open_dataset is None:
            wanted = f": {trained_on_label(model_file)}" if summary.dataset_hash else ""
            return None, None, f"To train it, open the dataset it was trained on{wanted}"
        return (
            None,
            None,
            f"The open dataset {label_of(open_dataset)} does not fit this model (other "
            f"characters); open the one it was trained on: {trained_on_label(model_file)}",
        )
    dataset, found_on_disk = candidates[0]
    trainer = resumed_trainer(make_trainer, model_file.model, summary, dataset, train_config)
    match = compare(model_file, dataset)
    if found_on_disk:
        return dataset, trainer, f"Opened its dataset too: {label_of(dataset)}"
    return dataset, trainer, match.message


@dataclass
class Prepared:
    """A checked model file with what it goes on with: nothing is applied yet."""

    model_file: ModelFile
    path: Path
    train_config: TrainConfig
    dataset: Dataset | None
    trainer: TrainerLike | None
    message: str  # which dataset it has, in the learner's words ("" if nothing to say)

    def opened_message(self) -> str:
        """What the status bar says once it is the current model."""
        mf = self.model_file
        kind = " (your own weights: no training record)" if mf.is_plain else ""
        # e.g. a-z was guessed; a damaged replay section left out
        notes = "".join(f". {note}" for note in (*mf.notes, mf.replay_note) if note)
        said = f". {self.message}" if self.message else ""
        return f"Opened {self.path.name}{kind}{said}{notes}"


def prepare(
    model_file: ModelFile, path: str | Path, open_dataset: Dataset | None, make_trainer: MakeTrainer
) -> Prepared:
    """The settings, dataset and trainer a checked model file is opened with. Raises
    CharnamesError; anything else is reported as one (a model file never crashes the app)."""
    try:
        train_config = train_config_of(model_file)
        dataset, trainer, message = dataset_for(
            model_file, train_config, open_dataset, make_trainer
        )
    except Exception as exc:
        if not isinstance(exc, CharnamesError):
            traceback.print_exc(file=sys.stderr)
        raise CharnamesError(f"{Path(path).name}: {exc}") from None
    return Prepared(model_file, Path(path), train_config, dataset, trainer, message)


def with_vocab(dataset: Dataset, vocab: Vocabulary, split_seed: int) -> Dataset:
    """The same words, with a model's vocabulary and split seed."""
    if dataset.vocab == vocab and dataset.split_seed == split_seed:
        return dataset
    return Dataset(dataset.words, name=dataset.name, split_seed=split_seed,
                   path=dataset.path, vocab=vocab)  # fmt: skip


def own_dataset_to_read(model_file: ModelFile, dataset: Dataset | None) -> str | None:
    """The recorded dataset file of a model just opened without its own dataset, when it is
    too large for dataset_for to read on the GUI thread: read it in the background, then
    attach it if it still holds the same names. None: nothing to read."""
    summary = model_file.training
    if not summary.dataset_hash or not summary.dataset_path:
        return None
    if dataset is not None and dataset.content_hash() == summary.dataset_hash:
        return None
    try:
        if Path(summary.dataset_path).stat().st_size <= MODELS_DATASET_READ_BYTES:
            return None  # read (or found changed) by dataset_for already
    except OSError:
        return None
    return summary.dataset_path


class StillReading(CharnamesError):
    """Another model file is still being read (said in the status bar, not a dialog)."""


class ModelFiles:
    """Reads model files for the controller, one large one at a time on the loader's thread,
    and writes them."""

    def __init__(self, parent: QObject | None = None) -> None:
        self.loader = ModelLoader(parent)

    def read(
        self,
        path: str | Path,
        dataset_vocab: Vocabulary | None,
        done: Callable[[ModelFile], object],
        failed: Callable[[str], object],
    ) -> ModelFile | int:
        """Check a model file completely, changing nothing. A small file is read now and
        returned; a large one (the largest model is 68 MB, ~0.5 s) is read on the loader's
        thread: its size is returned, then done(model_file) or failed(message) runs. Raises
        CharnamesError (StillReading while another file is read).

        A learner's bare weights take their vocabulary from dataset_vocab (the open
        dataset's) when C does not have the lecture's 27 rows."""
        if self.loader.busy:
            raise StillReading("Still reading a model file...")
        try:  # a stat, no read: refuses FIFOs, devices, folders and oversize files at once
            size = check_regular_file(path, "model file", MAX_MODEL_FILE_BYTES).stat().st_size
        except OSError as exc:
            raise CharnamesError(f"{Path(path).name} cannot be read ({exc.strerror})") from None
        if size > BACKGROUND_MODEL_BYTES:
            self.loader.load(Path(path), dataset_vocab, done, failed)
            return size
        return read_model(path, dataset_vocab)


def save(path: str | Path, model_file: ModelFile) -> None:
    """Write a model file (atomically: a failed save leaves the previous file). Raises
    CharnamesError."""
    from charnames_gui.core.checkpoint import save_model

    try:
        save_model(path, model_file)
    except OSError as exc:
        raise CharnamesError(f"{Path(path).name} could not be written ({exc.strerror})") from None


def write_code(path: str | Path, kind: str, document: DocumentView) -> str:
    """Write the document's run as the lecture's code: kind 'script' (.py) or 'notebook'
    (.ipynb), see core/export_script.py. Returns what to tell the learner; raises
    CharnamesError. The caller lets a run pause first (the weights then stay still)."""
    from charnames_gui.core.export_script import notebook_text, run_spec, script_text, write_export

    d = document
    if d.model is None or d.vocab is None:
        raise CharnamesError("There is no model to export")
    if d.dataset is None:
        raise CharnamesError("Open the dataset the model was trained on: the code reads it")
    title = d.path.name if d.path is not None else "an unsaved model"
    # the code's last cell compares with the saved file when it holds these very weights
    saved = d.path if d.path is not None and d.path.suffix == ".safetensors" else None
    compare_with = str(saved) if saved is not None and not d.modified else ""
    spec = run_spec(d.model_file(), d.dataset, title=title, model_path=compare_with)
    text = script_text(spec) if kind == "script" else notebook_text(spec)
    # never over the model's own file or its dataset (a learner's slip in the dialog)
    write_export(path, text, protect=(d.path, d.dataset.path))
    notes = f" Note: {' '.join(spec.notes)}" if spec.notes else ""
    return f"Exported {Path(path).name}.{notes}"


def saved_message(path: str | Path, held: Snapshot | None) -> str:
    """What the status bar says after a save; held: the last weights received were saved
    (a training process that had not paused yet)."""
    if held is None:
        return f"Saved {Path(path).name}"
    return (
        f"Saved {Path(path).name} with the last weights received, at step {held.step:,} "
        "(training has not paused yet)"
    )


def format_loading(path: str | Path, size: int) -> str:
    return f"Reading {Path(path).name} ({format_size(size)})..."
