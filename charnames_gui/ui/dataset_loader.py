"""Opening a dataset off the GUI thread: reading, splitting and building the examples of a
million names takes seconds, and the window must keep drawing meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from charnames_gui.core.bigram import bigram_dev_loss
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError


class _LoadThread(QThread):
    """Dataset.from_file and its examples for one block size; result or error when done."""

    def __init__(self, path: Path, split_seed: int, block_size: int | None) -> None:
        super().__init__()
        self.setObjectName("dataset-loader")
        self.path, self.split_seed, self.block_size = path, split_seed, block_size
        self.dataset: Dataset | None = None
        self.error = ""

    def run(self) -> None:
        try:
            dataset = Dataset.from_file(self.path, split_seed=self.split_seed)
            if self.block_size is not None:
                dataset.examples(self.block_size)  # cached: the new model needs them next
            dataset.split.which()  # cached: the sampling panel marks names by their split
            bigram_dev_loss(dataset)  # cached: the experiments panel shows the baseline
            dataset.content_hash()  # cached: the run history records it
            self.dataset = dataset
        except CharnamesError as exc:
            self.error = str(exc)
        except MemoryError:
            self.error = f"Not enough memory to open {self.path.name}; close other programs"


class DatasetLoader(QObject):
    """Loads one dataset at a time on its own thread. `loaded` or `failed` is emitted on the
    loader's (GUI) thread once the thread has ended, with the callback given to load()."""

    loaded = Signal(object, object)  # Dataset, the `then` given to load()
    failed = Signal(str, str)  # file name, message in the learner's words

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: _LoadThread | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    @property
    def loading_name(self) -> str:
        return self._thread.path.name if self._thread is not None else ""

    def load(
        self,
        path: Path,
        split_seed: int,
        block_size: int | None,
        then: Callable[[], object] | None = None,
    ) -> None:
        if self._thread is not None:
            raise RuntimeError("a dataset is already loading")
        thread = _LoadThread(path, split_seed, block_size)
        thread.finished.connect(lambda: self._on_finished(thread, then))
        self._thread = thread
        thread.start()

    def _on_finished(self, thread: _LoadThread, then: Callable[[], object] | None) -> None:
        if thread is not self._thread:
            return
        self._thread = None
        thread.wait()  # finished is emitted as run() returns: the thread is ending
        thread.deleteLater()
        if thread.dataset is not None:
            self.loaded.emit(thread.dataset, then)
        else:
            self.failed.emit(thread.path.name, thread.error)

    def wait(self) -> None:
        """Block until a running load ends (closing the app); its result is dropped. The
        wait is bounded: a dataset is at most MAX_DATASET_BYTES of regular file."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.wait()
