"""Model files for the controller: save, read (large files on the ModelLoader's thread), open
and apply a model file, find the dataset it was trained on, and export its run as code.

ModelFiles reads the current model from the controller and changes it only through the
controller's public methods (adopt_model, use_dataset_for_model, saved_as). Choosing the
dataset and trainer for a file (dataset_for) is a function of its inputs alone.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from charnames_gui.core.config import TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.events import Snapshot
from charnames_gui.core.model_dataset import compare, label_of, trained_on_label
from charnames_gui.core.model_file import MAX_MODEL_FILE_BYTES, ModelFile, TrainingSummary
from charnames_gui.core.safe_files import check_regular_file, format_size
from charnames_gui.ui.model_loader import BACKGROUND_MODEL_BYTES, ModelLoader
from charnames_gui.ui.training_jobs import WORKER_IDLE_TIMEOUT

if TYPE_CHECKING:  # torch-backed: imported where a model is made
    from charnames_gui.core.examples import SplitTensors
    from charnames_gui.core.model import MLP
    from charnames_gui.core.training import TrainerLike
    from charnames_gui.ui.controller import Controller

    MakeTrainer = Callable[[MLP, SplitTensors, TrainConfig], TrainerLike]

# A model's own dataset file larger than this is read on the DatasetLoader's thread (see
# open_dataset_for_model and _find_own_dataset); names.txt (228 KB) is read at once.
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
    skipped here and read in the background after: ModelFiles._find_own_dataset); else the
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


class ModelFiles:
    """Saving, opening and exporting the controller's model. Errors and progress go out
    through the controller's errorOccurred and statusMessage; nothing here raises to a view
    except write_code (whose caller chooses how to tell the learner)."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self.loader = ModelLoader(controller)
        self.loader.failed.connect(
            lambda text: controller.errorOccurred.emit("Cannot open model", text)
        )

    def save(self, path: str | Path) -> bool:
        """Save the model. A run is paused first; if it does not pause within SAVE_PAUSE_WAIT
        (a training process that does not answer), the last weights received are saved,
        and the GUI does not wait for the child."""
        c = self.controller
        if c.model is None:
            return False
        from charnames_gui.core.checkpoint import save_model
        from charnames_gui.core.process_trainer import ProcessTrainer

        held: Snapshot | None = None
        if c.is_busy():
            process_run = isinstance(c.trainer, ProcessTrainer)
            if not c.wait_until_idle(SAVE_PAUSE_WAIT if process_run else WORKER_IDLE_TIMEOUT):
                held = c.jobs.held if process_run else None
                if held is None:
                    c.errorOccurred.emit(
                        "Cannot save", "Training did not pause in time; try again."
                    )
                    return False
        try:
            save_model(path, c.model_file(held))
        except (CharnamesError, OSError) as exc:
            c.errorOccurred.emit("Cannot save the model", str(exc))
            return False
        c.saved_as(Path(path))
        if held is not None:
            c.statusMessage.emit(
                f"Saved {Path(path).name} with the last weights received, at step "
                f"{held.step:,} (training has not paused yet)"
            )
        else:
            c.statusMessage.emit(f"Saved {Path(path).name}")
        return True

    def read(self, path: str | Path) -> ModelFile | None:
        """Load and check a model file completely, changing nothing: the caller can then ask
        about unsaved training and apply it. None (after errorOccurred) if it cannot be used.

        A learner's bare weights take their vocabulary from the open dataset when C does not
        have the lecture's 27 rows."""
        from charnames_gui.core.checkpoint import load_model

        c = self.controller
        hint = c.dataset.vocab if c.dataset is not None else None
        try:
            return load_model(path, dataset_vocab=hint)
        except CharnamesError as exc:
            c.errorOccurred.emit("Cannot open model", str(exc))
        except Exception as exc:  # a model file must never crash the window
            traceback.print_exc(file=sys.stderr)
            c.errorOccurred.emit(
                "Cannot open model", f"{Path(path).name} could not be read ({exc!r:.200})"
            )
        return None

    def read_then(self, path: str | Path, then: Callable[[ModelFile], object]) -> bool:
        """Check a model file completely, then call then(model_file) (which may ask about
        unsaved training and apply it). A small file is read at once and then's result is
        returned; a large one (the largest model is 68 MB, ~0.5 s) is read on a worker thread
        so the window keeps drawing: True means it is being read. False: it cannot be opened
        (errorOccurred said why) or another model file is still being read."""
        c = self.controller
        if not c.torch_ready:  # read it when torch has loaded (the file is checked then)
            c.statusMessage.emit(f"{Path(path).name} opens as soon as PyTorch has loaded")
            return c.when_torch_loaded("open", lambda: self.read_then(path, then))
        if self.loader.busy:
            c.statusMessage.emit("Still reading a model file...")
            return False
        try:  # a stat, no read: refuses FIFOs, devices, folders and oversize files at once
            size = check_regular_file(path, "model file", MAX_MODEL_FILE_BYTES).stat().st_size
        except (CharnamesError, OSError) as exc:
            c.errorOccurred.emit("Cannot open model", str(exc))
            return False
        if size > BACKGROUND_MODEL_BYTES:
            c.statusMessage.emit(f"Reading {Path(path).name} ({format_size(size)})...")
            hint = c.dataset.vocab if c.dataset is not None else None
            self.loader.load(Path(path), hint, then)
            return True
        model_file = self.read(path)
        return bool(then(model_file)) if model_file is not None else False

    def open(self, path: str | Path) -> bool:
        """Read, check and apply a model file (no questions asked)."""
        return self.read_then(path, lambda mf: self.apply(mf, path))

    def apply(self, model_file: ModelFile, path: str | Path) -> bool:
        """Make a checked model file the current model. Everything it needs (training
        settings, dataset, trainer) is prepared first; the controller's state changes only
        when all of it worked, so the window is never left half-updated."""
        c = self.controller
        c.require_idle()
        try:
            train_config = train_config_of(model_file)
            dataset, trainer, message = dataset_for(
                model_file, train_config, c.dataset, c.make_trainer
            )
        except Exception as exc:  # a model file must never crash the window
            if not isinstance(exc, CharnamesError):
                traceback.print_exc(file=sys.stderr)
            c.errorOccurred.emit("Cannot open model", f"{Path(path).name}: {exc}")
            return False
        c.adopt_model(
            model_file.model,
            model_file.vocab,
            trainer,
            train_config=train_config,
            split_seed=model_file.split_seed,
            summary=model_file.training,
            test_evaluations=model_file.test_evaluations,
            plain_weights=model_file.is_plain,
            path=Path(path),
            dataset=dataset,
        )
        kind = " (your own weights: no training record)" if model_file.is_plain else ""
        notes = "".join(f". {note}" for note in model_file.notes)  # e.g. a-z was guessed
        c.statusMessage.emit(
            f"Opened {Path(path).name}{kind}" + (f". {message}" if message else "") + notes
        )
        self._find_own_dataset(model_file, dataset)  # a large one: read in the background
        return True

    def open_dataset_for_model(
        self,
        path: str | Path,
        kept: Callable[[], object],
        otherwise: Callable[[Dataset | None], object],
    ) -> bool:
        """Open `path` for the current model if it is the dataset the model was trained on
        (same content): the model, its step and its training stay, then kept() runs. Any
        other file goes to otherwise(dataset), the way of a new dataset (and a new model):
        dataset is the file already read, or None when it has not been read yet.

        A small file (names.txt is 228 KB) is read and decided at once, with kept's or
        otherwise's result returned. A larger one is read on the DatasetLoader's thread and
        decided when read: True means it is loading (a second open meanwhile is refused)."""
        c = self.controller
        if c.model is None or c.vocab is None or not c.summary.dataset_hash:
            return bool(otherwise(None))
        try:
            size = Path(path).stat().st_size
        except OSError:
            return bool(otherwise(None))  # the usual way says why it cannot be opened
        if size > MODELS_DATASET_READ_BYTES:
            model = c.model
            return c.datasets.read(
                path,
                model.config.block_size,
                lambda dataset: self._decide_read_dataset(dataset, model, kept, otherwise),
            )
        try:
            dataset = Dataset.from_file(path, split_seed=c.split_seed, vocab=c.vocab)
        except CharnamesError:
            return bool(otherwise(None))
        if dataset.content_hash() == c.summary.dataset_hash and self._keep_model_with(dataset):
            return bool(kept())
        return bool(otherwise(None))

    def _decide_read_dataset(
        self,
        dataset: Dataset,
        model: MLP,
        kept: Callable[[], object],
        otherwise: Callable[[Dataset | None], object],
    ) -> None:
        """A large dataset file has been read for open_dataset_for_model: decide now."""
        c = self.controller
        if c.model is not model or c.is_busy():  # the learner went on meanwhile
            c.statusMessage.emit(f"{dataset.name} was not opened: open it again when paused")
            return
        if dataset.content_hash() == c.summary.dataset_hash and self._keep_model_with(dataset):
            kept()
        else:
            otherwise(dataset)

    def _keep_model_with(self, dataset: Dataset, message: str = "") -> bool:
        """The current model, its step and training, now with `dataset` (its own: same
        content) and a trainer that resumes on it. False: nothing changed (said why)."""
        c = self.controller
        assert c.model is not None and c.vocab is not None
        try:
            if dataset.vocab != c.vocab or dataset.split_seed != c.split_seed:
                dataset = Dataset(dataset.words, name=dataset.name, split_seed=c.split_seed,
                                  path=dataset.path, vocab=c.vocab)  # fmt: skip
            c.require_idle()
            trainer = resumed_trainer(c.make_trainer, c.model, c.summary, dataset, c.train_config)
        except CharnamesError as exc:
            c.errorOccurred.emit("Cannot open dataset", str(exc))
            return False
        c.use_dataset_for_model(dataset, trainer)
        c.statusMessage.emit(
            message or f"Opened {dataset.name}, the dataset this model was trained on"
        )
        return True

    def _find_own_dataset(self, model_file: ModelFile, dataset: Dataset | None) -> bool:
        """For a model just opened without its own dataset: when its recorded dataset file
        is too large to read on the GUI thread (dataset_for skipped it), read it on the
        DatasetLoader's thread and attach it if it still holds the same names. True: it is
        being read."""
        summary = model_file.training
        if not summary.dataset_hash or not summary.dataset_path:
            return False
        if dataset is not None and dataset.content_hash() == summary.dataset_hash:
            return False
        try:
            if Path(summary.dataset_path).stat().st_size <= MODELS_DATASET_READ_BYTES:
                return False  # read (or found changed) by dataset_for already
        except OSError:
            return False
        c = self.controller
        return c.datasets.read(
            summary.dataset_path,
            model_file.model.config.block_size,
            lambda found: self._attach_found(found, model_file),
            failed=lambda why: c.statusMessage.emit(f"Its dataset could not be read: {why}"),
        )

    def _attach_found(self, dataset: Dataset, model_file: ModelFile) -> None:
        c = self.controller
        steps = model_file.training.steps
        if (
            c.model is not model_file.model
            or c.is_busy()
            or (c.trainer is not None and c.trainer.step != steps)
        ):
            return  # the learner went on meanwhile: nothing changes under them
        if dataset.content_hash() != model_file.training.dataset_hash:
            c.statusMessage.emit(
                f"{dataset.name} holds other names now; to train, open the dataset it was "
                f"trained on: {trained_on_label(model_file)}"
            )
            return
        self._keep_model_with(dataset, f"Opened its dataset too: {label_of(dataset)}")

    def write_code(self, path: str | Path, kind: str) -> str:
        """Write the current run as the lecture's code: kind 'script' (.py) or 'notebook'
        (.ipynb), see core/export_script.py. Returns what to tell the learner; raises
        CharnamesError when it cannot."""
        from charnames_gui.core.export_script import (
            notebook_text,
            run_spec,
            script_text,
            write_export,
        )

        c = self.controller
        if c.model is None or c.vocab is None:
            raise CharnamesError("There is no model to export")
        if c.dataset is None:
            raise CharnamesError("Open the dataset the model was trained on: the code reads it")
        title = c.path.name if c.path is not None else "an unsaved model"
        # the code's last cell compares with the saved file when it holds these very weights
        saved = c.path if c.path is not None and c.path.suffix == ".safetensors" else None
        compare_with = saved if saved is not None and not c.modified else ""
        spec = run_spec(c.model_file(), c.dataset, title=title, model_path=compare_with)
        text = script_text(spec) if kind == "script" else notebook_text(spec)
        # never over the model's own file or its dataset (a learner's slip in the dialog)
        write_export(path, text, protect=(c.path, c.dataset.path))
        notes = f" Note: {' '.join(spec.notes)}" if spec.notes else ""
        return f"Exported {Path(path).name}.{notes}"

    def export_code(self, path: str | Path, kind: str) -> bool:
        """write_code, with its outcome told through the status and error signals."""
        c = self.controller
        try:
            message = self.write_code(path, kind)
        except CharnamesError as exc:
            c.errorOccurred.emit("Cannot export", str(exc))
            return False
        c.statusMessage.emit(message)
        return True
