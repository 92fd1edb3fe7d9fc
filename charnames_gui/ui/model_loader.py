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

from charnames_gui.core.errors import CharnamesError, ModelFileError
from charnames_gui.core.model_file import ModelFile
from charnames_gui.core.vocabulary import Vocabulary
from charnames_gui.ui.background import OneAtATime

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


class ModelLoader(OneAtATime):
    """Reads one model file at a time on a thread of its own; done(model_file) or
    failed(message) runs on the GUI thread once that thread has ended. wait() (closing) is
    bounded: a model file is at most MAX_MODEL_FILE_BYTES of regular file."""

    def load(
        self,
        path: Path,
        dataset_vocab: Vocabulary | None,
        done: Callable[[ModelFile], object],
        failed: Callable[[str], object],
    ) -> None:
        if self.busy:
            raise RuntimeError("a model file is already being read")
        self.run(read_model, path, dataset_vocab, name="model-loader", done=done,
                 failed=lambda exc: failed(str(exc)))  # fmt: skip
