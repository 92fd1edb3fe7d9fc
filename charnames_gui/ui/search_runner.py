"""Runs the Beat-the-lecture search (core/search.py) off the GUI thread.

The search is a generator of frozen events; a QThread drives it and every event is
re-emitted as a queued signal, unchanged. Cancel is a flag the search checks between any
two training steps. Each trial's RunRecord is handed to the GUI thread (recordRequested),
where the window adds it to the run history like any other run.

The test split: evaluate_test() runs on the same thread after the search has ended, and
only when the learner asks; testEvaluated carries the loss.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.search import SearchEnded, SearchSettings


class _SearchWorker(QObject):
    searchEvent = Signal(object)  # TrialStarted, TrialProgress, TrialEnded or SearchEnded
    record = Signal(object)  # RunRecord of a trial, for the run history
    failed = Signal(str)
    testEvaluated = Signal(float, int)  # test loss, looks so far in this search

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self._stop = stop
        self.search: Any = None

    @Slot(object, object)
    def run(self, dataset: Dataset, settings: SearchSettings) -> None:
        from charnames_gui.core.search import Search
        from charnames_gui.core.threads import limit_threads

        limit_threads(1)  # small minibatches: one thread is fastest, and leaves a core free
        try:
            self.search = Search(dataset, settings, self.record.emit, self._stop.is_set)
            for event in self.search.stream():
                self.searchEvent.emit(event)
        except (CharnamesError, MemoryError) as exc:
            self.failed.emit(f"The search stopped: {exc}")

    @Slot()
    def evaluate_test(self) -> None:
        if self.search is None or self.search.best is None:
            self.failed.emit("The search has no finished trial to evaluate on the test split")
            return
        loss = self.search.evaluate_test()
        self.testEvaluated.emit(loss, self.search.test_looks)


class SearchRunner(QObject):
    """Start, cancel and watch one search at a time."""

    searchEvent = Signal(object)
    recordRequested = Signal(object)  # RunRecord
    failed = Signal(str)
    testEvaluated = Signal(float, int)
    runningChanged = Signal(bool)
    _start = Signal(object, object)
    _test = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = threading.Event()
        self._thread = QThread()
        self._thread.setObjectName("SearchThread")
        self._worker = _SearchWorker(self._stop)
        self._worker.moveToThread(self._thread)
        self._start.connect(self._worker.run)
        self._test.connect(self._worker.evaluate_test)
        self._worker.searchEvent.connect(self._on_event)
        self._worker.record.connect(self.recordRequested)
        self._worker.failed.connect(self._on_failed)
        self._worker.testEvaluated.connect(self.testEvaluated)
        self._thread.start()
        self.running = False
        self.ended: SearchEnded | None = None

    def start(self, dataset: Dataset, settings: SearchSettings) -> bool:
        if self.running:
            return False
        self._stop.clear()
        self.running, self.ended = True, None
        self.runningChanged.emit(True)
        self._start.emit(dataset, settings)
        return True

    def cancel(self) -> None:
        """Stop between two training steps; the trial in progress is recorded as stopped."""
        self._stop.set()

    def evaluate_test(self) -> bool:
        if self.running or self.ended is None or self.ended.best is None:
            return False
        self._test.emit()
        return True

    def _on_event(self, event: object) -> None:
        if isinstance(event, SearchEnded):
            self.running, self.ended = False, event
            self.runningChanged.emit(False)
        self.searchEvent.emit(event)

    def _on_failed(self, message: str) -> None:
        if self.running:
            self.running = False
            self.runningChanged.emit(False)
        self.failed.emit(message)

    def close(self) -> None:
        """Cancel and wait for the thread (the window closing)."""
        self._stop.set()
        self._thread.quit()
        self._thread.wait()
