"""Reading and checking a large model file off the GUI thread.

The largest model the app allows is a 68 MB file; reading and checking it takes about half a
second, too long for the window to stop drawing. Small files (nearly all: the lecture's model
is 48 KB) are read at once on the GUI thread, which keeps opening one simple.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from charnames_gui.core.errors import CharnamesError, ModelFileError
from charnames_gui.core.model_file import ModelFile
from charnames_gui.core.vocabulary import Vocabulary
from charnames_gui.ui.background import BackgroundJob

# Files above this size are read on a worker thread (~10 ms of reading and checking).
BACKGROUND_MODEL_BYTES = 2 * 1024 * 1024


def read_model(path: str | Path, dataset_vocab: Vocabulary | None) -> ModelFile:
    """load_model, with any failure as a CharnamesError in the learner's words: a model file
    must never crash the window. Torch-backed: only called once PyTorch has loaded."""
    from charnames_gui.core.checkpoint import load_model

    try:
        return load_model(path, dataset_vocab=dataset_vocab)
    except CharnamesError:
        raise
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        raise ModelFileError(f"{Path(path).name} could not be read ({exc!r:.200})") from None


class ModelLoader(QObject):
    """Reads one model file at a time on a thread of its own; done(model_file) or
    failed(message) runs on the GUI thread once that thread has ended."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job: BackgroundJob | None = None

    @property
    def busy(self) -> bool:
        return self._job is not None

    def load(
        self,
        path: Path,
        dataset_vocab: Vocabulary | None,
        done: Callable[[ModelFile], object],
        failed: Callable[[str], object],
    ) -> None:
        if self._job is not None:
            raise RuntimeError("a model file is already being read")
        job = BackgroundJob(read_model, path, dataset_vocab, name="model-loader", parent=self)
        job.returned.connect(lambda model_file: self._end(job) and done(model_file))
        job.errored.connect(lambda exc: self._end(job) and failed(str(exc)))
        self._job = job
        job.start()

    def _end(self, job: BackgroundJob) -> bool:
        if job is not self._job:  # dropped by wait() (closing)
            return False
        self._job = None
        job.deleteLater()
        return True

    def wait(self) -> None:
        """Block until a running read ends (closing the app); its result is dropped. Bounded:
        a model file is at most MAX_MODEL_FILE_BYTES of regular file."""
        job, self._job = self._job, None
        if job is not None:
            job.wait()
