"""Opening a dataset file for the controller: small files at once on the GUI thread, larger
ones on the DatasetLoader's thread, so the window keeps drawing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from charnames_gui.core.data import MAX_DATASET_BYTES, Dataset
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.safe_files import check_regular_file, format_size
from charnames_gui.ui.dataset_loader import DatasetLoader

if TYPE_CHECKING:
    from charnames_gui.ui.controller import Controller

# Larger dataset files are opened on a worker thread (~100,000 names; the lecture's 228 KB
# opens in ~50 ms on the GUI thread, which keeps opening it simple and synchronous).
LOAD_IN_BACKGROUND_BYTES = 1024 * 1024


class DatasetOpener:
    """Reads a dataset file and hands it to controller.set_dataset; errors and progress go
    out through the controller's errorOccurred and statusMessage."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self.loader = DatasetLoader(controller)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        # set while read() loads a file: it is handed over, not set (see read)
        self._hand_to: Callable[[Dataset], object] | None = None
        self._on_read_failed: Callable[[str], object] | None = None

    def open(
        self,
        path: str | Path,
        then: Callable[[], object] | None = None,
        block_size: int | None = None,
    ) -> bool:
        """Open a dataset file, then call then() (the caller makes a new model for it).

        A small file (the lecture's 228 KB) is read at once and then() runs before this
        returns, with its result returned. A larger one is read, split and turned into
        examples for block_size on a worker thread, so the window keeps drawing; True means
        it is loading, and then() runs when it is set. False: the file cannot be opened, or
        another dataset is still loading."""
        c = self.controller
        if self.loader.busy:
            c.statusMessage.emit(f"Still opening {self.loader.loading_name}...")
            return False
        try:  # a stat, no read: refuses FIFOs, devices, folders and oversize files at once
            size = check_regular_file(path, "dataset", MAX_DATASET_BYTES).stat().st_size
        except (CharnamesError, OSError) as exc:
            c.errorOccurred.emit("Cannot open dataset", str(exc))
            return False
        if size > LOAD_IN_BACKGROUND_BYTES:
            c.statusMessage.emit(f"Opening {Path(path).name} ({format_size(size)})...")
            self.loader.load(Path(path), c.split_seed, block_size, then)
            return True
        try:
            dataset = Dataset.from_file(path, split_seed=c.split_seed)
        except CharnamesError as exc:
            c.errorOccurred.emit("Cannot open dataset", str(exc))
            return False
        c.set_dataset(dataset)
        return bool(then()) if then is not None else True

    def read(
        self,
        path: str | Path,
        block_size: int | None,
        then: Callable[[Dataset], object],
        failed: Callable[[str], object] | None = None,
    ) -> bool:
        """Read a large dataset file on the loader's thread and hand it to then(dataset)
        without setting it (the caller decides: the model's own dataset, or a new one).
        failed(message) replaces the usual error dialog when given. True: it is loading;
        False: another dataset is still loading, or the file cannot be read (said)."""
        c = self.controller
        if self.loader.busy:
            c.statusMessage.emit(f"Still opening {self.loader.loading_name}...")
            return False
        try:
            size = check_regular_file(path, "dataset", MAX_DATASET_BYTES).stat().st_size
        except (CharnamesError, OSError) as exc:
            if failed is not None:
                failed(str(exc))
            else:
                c.errorOccurred.emit("Cannot open dataset", str(exc))
            return False
        c.statusMessage.emit(f"Opening {Path(path).name} ({format_size(size)})...")
        self._hand_to, self._on_read_failed = then, failed
        self.loader.load(Path(path), c.split_seed, block_size)
        return True

    def _on_loaded(self, dataset: Dataset, then: Callable[[], object] | None) -> None:
        hand_to, self._hand_to, self._on_read_failed = self._hand_to, None, None
        if hand_to is not None:
            hand_to(dataset)
            return
        self.controller.set_dataset(dataset)
        if then is not None:
            then()

    def _on_failed(self, name: str, message: str) -> None:
        failed, self._hand_to, self._on_read_failed = self._on_read_failed, None, None
        if failed is not None:
            failed(message)
            return
        self.controller.errorOccurred.emit("Cannot open dataset", message)
