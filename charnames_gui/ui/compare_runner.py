"""Trains two presets with K seeds each and compares them (core/compare_presets.py), off the
GUI thread.

A Python thread rather than a QThread, as for the search (search_runner.py): the stacked
engine starts its training children and threads from it. Progress, the answer and errors
come back as signals queued to the GUI thread, where the runner lives. Cancel is a flag the
training checks between two chunks of steps (about 0.1 s); a cancelled comparison emits
`cancelled` and no answer. Closing the window cancels and joins the thread.
"""

from __future__ import annotations

import threading
import uuid

from PySide6.QtCore import QObject, Signal

from charnames_gui.core.compare_request import PresetRequest
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError


class PresetCompareRunner(QObject):
    progress = Signal(object)  # core.compare_presets.PresetProgress
    compared = Signal(object)  # core.compare_presets.PresetComparison
    recordsReady = Signal(object)  # list[RunRecord]: both repeats' seeds, for the history
    failed = Signal(str)  # why there is no answer, in the learner's words
    cancelled = Signal()
    runningChanged = Signal(bool)
    _ended = Signal(object, object)  # from the thread: (PresetComparison | None, error text)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ended.connect(self._on_ended)
        self.running = False

    def start(self, dataset: Dataset, request: PresetRequest, processes: int = 1) -> bool:
        """Begin training (False if a comparison is already running). processes: training
        children the seeds of each preset share (1: this process)."""
        if self.running:
            return False
        self.close()  # the last comparison's thread has ended: join it
        self._stop.clear()
        self.running = True
        self.runningChanged.emit(True)
        self._thread = threading.Thread(
            target=self._run, args=(dataset, request, processes), name="charnames-compare",
            daemon=True,
        )  # fmt: skip
        self._thread.start()
        return True

    def _run(self, dataset: Dataset, request: PresetRequest, processes: int) -> None:  # thread
        from charnames_gui.core.compare_presets import compare_presets
        from charnames_gui.core.presets import preset_by_name
        from charnames_gui.core.stacked_run import CHILD_NICE

        try:
            a, b = preset_by_name(request.a), preset_by_name(request.b)
            result = compare_presets(
                dataset, a, b, request.seeds, request.steps, None, self.progress.emit,
                self._stop.is_set, processes, CHILD_NICE,
            )  # fmt: skip
            if result is not None:
                records = []
                for side in (result.a, result.b):
                    records += side.records(dataset, uuid.uuid4().hex[:12])
                self.recordsReady.emit(records)
            self._ended.emit(result, None)
        except KeyError as exc:
            self._ended.emit(None, f"There is no preset called {exc}")
        except (CharnamesError, MemoryError) as exc:
            self._ended.emit(None, f"The comparison stopped: {exc}")
        except Exception as exc:  # a bug must not leave the dialog waiting forever
            self._ended.emit(None, f"The comparison failed ({type(exc).__name__}): {exc}")

    def cancel(self) -> None:
        """Stop between two chunks of steps; nothing is answered or recorded."""
        self._stop.set()

    def _on_ended(self, result: object, error: str | None) -> None:
        self.running = False
        if error is not None:
            self.failed.emit(error)
        elif result is None:
            self.cancelled.emit()
        else:
            self.compared.emit(result)
        self.runningChanged.emit(False)

    def close(self) -> None:
        """Cancel and wait for the thread (a new comparison, the window closing)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
