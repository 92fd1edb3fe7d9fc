"""Reading and checking a large model file off the GUI thread.

The largest model the app allows is a 68 MB file; reading and checking it takes about half a
second, too long for the window to stop drawing. Small files (nearly all: the lecture's model
is 48 KB) are read at once on the GUI thread, which keeps open_model simple to use.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from charnames_gui.core.data import Vocabulary
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.model_file import ModelFile

# Files above this size are read on a worker thread (~10 ms of reading and checking).
BACKGROUND_MODEL_BYTES = 2 * 1024 * 1024


class _ReadThread(QThread):
    """load_model(path, dataset_vocab): the ModelFile or a one-line error when done."""

    def __init__(self, path: Path, dataset_vocab: Vocabulary | None) -> None:
        super().__init__()
        self.setObjectName("model-loader")
        self.path, self.dataset_vocab = path, dataset_vocab
        self.model_file: ModelFile | None = None
        self.error = ""

    def run(self) -> None:
        # torch-backed; only ever run after PyTorch has loaded (see Controller.torch_loaded)
        from charnames_gui.core.checkpoint import load_model

        try:
            self.model_file = load_model(self.path, dataset_vocab=self.dataset_vocab)
        except CharnamesError as exc:
            self.error = str(exc)
        except Exception as exc:  # a model file must never crash the app
            self.error = f"{self.path.name} could not be read ({exc!r:.200})"


class ModelLoader(QObject):
    """Reads one model file at a time on its own thread; `then(model_file)` runs on the GUI
    thread when it worked, `failed` carries the message when it did not."""

    failed = Signal(str)  # one line in the learner's words

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: _ReadThread | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def load(
        self, path: Path, dataset_vocab: Vocabulary | None, then: Callable[[ModelFile], object]
    ) -> None:
        if self._thread is not None:
            raise RuntimeError("a model file is already being read")
        thread = _ReadThread(path, dataset_vocab)
        thread.finished.connect(lambda: self._on_finished(thread, then))
        self._thread = thread
        thread.start()

    def _on_finished(self, thread: _ReadThread, then: Callable[[ModelFile], object]) -> None:
        if thread is not self._thread:  # dropped by wait() (closing)
            return
        self._thread = None
        thread.wait()  # finished is emitted as run() returns: the thread is ending
        thread.deleteLater()
        if thread.model_file is not None:
            then(thread.model_file)
        else:
            self.failed.emit(thread.error)

    def wait(self) -> None:
        """Block until a running read ends (closing the app); its result is dropped. Bounded:
        a model file is at most MAX_MODEL_FILE_BYTES of regular file."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.wait()
