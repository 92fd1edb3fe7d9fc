"""Opening a dataset off the GUI thread: reading, splitting and building the examples of a
million names takes seconds, and the window must keep drawing meanwhile. The work is
read_dataset (plain core calls); DatasetLoader runs one at a time as a BackgroundJob
(background.OneAtATime)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from charnames_gui.core.bigram import bigram_dev_loss
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError, DatasetError
from charnames_gui.ui.background import OneAtATime


def read_dataset(path: Path, split_seed: int, block_size: int | None) -> Dataset:
    """Dataset.from_file, with what the app needs next computed once (cached in the
    Dataset): the examples for block_size, the split lookup, the bigram baseline, the hash.
    Raises CharnamesError in the learner's words."""
    try:
        dataset = Dataset.from_file(path, split_seed=split_seed)
        if block_size is not None:
            dataset.examples(block_size)  # the new model needs them next
        dataset.split.which()  # the sampling panel marks names by their split
        bigram_dev_loss(dataset)  # the experiments panel shows the baseline
        dataset.content_hash()  # the run history records it
        return dataset
    except MemoryError:
        raise DatasetError(f"Not enough memory to open {path.name}; close other programs") from None


class DatasetLoader(OneAtATime):
    """Reads one dataset at a time on a thread of its own; done(dataset) or failed(message)
    runs on the GUI thread once that thread has ended. wait() (closing) is bounded: a
    dataset is at most MAX_DATASET_BYTES of regular file."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = ""

    @property
    def loading_name(self) -> str:
        return self._name if self.busy else ""

    def load(
        self,
        path: Path,
        split_seed: int,
        block_size: int | None,
        done: Callable[[Dataset], object],
        failed: Callable[[str], object],
    ) -> None:
        if self.busy:
            raise RuntimeError("a dataset is already loading")
        self.run(read_dataset, path, split_seed, block_size, name="dataset-loader", done=done,
                 failed=lambda exc: failed(_message(exc, path)))  # fmt: skip
        self._name = path.name


def _message(exc: BaseException, path: Path) -> str:
    if isinstance(exc, CharnamesError):
        return str(exc)
    return f"{path.name} could not be read ({exc!r:.200})"
