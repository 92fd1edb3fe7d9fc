"""Runs the Beat-the-lecture search (core/search.py) off the GUI thread.

The search is a generator of frozen events; a Python thread drives it and every event is
re-emitted as a signal, unchanged (queued to the GUI thread: the runner lives there). A
Python thread rather than a QThread: Optuna logs, and logging from a QThread leaves a
never-ending dummy Thread behind in `threading`. Cancel is a flag the search checks between
any two training steps. Each trial's RunRecord is handed to the GUI thread
(recordRequested), where the window adds it to the run history like any other run.

The test split: evaluate_test() runs on a thread of its own after the search has ended,
and only when the learner asks; testEvaluated carries the loss.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.search import SearchEnded, SearchSettings


class SearchRunner(QObject):
    """Start, cancel and watch one search at a time."""

    searchEvent = Signal(object)  # TrialStarted, TrialProgress, TrialEnded or SearchEnded
    recordRequested = Signal(object)  # RunRecord of a trial, for the run history
    failed = Signal(str)
    testEvaluated = Signal(float, int)  # test loss, looks so far in this search
    runningChanged = Signal(bool)
    _ended = Signal(object)  # from the search's thread: the SearchEnded, or an error text

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ended.connect(self._on_ended)
        self.running = False
        self.ended: SearchEnded | None = None
        self.search: Any = None  # core.search.Search of the last search

    def start(self, dataset: Dataset, settings: SearchSettings) -> bool:
        if self.running:
            return False
        self.close()  # the thread of the last search (or test look) has ended: join it
        self._stop.clear()
        self.running, self.ended = True, None
        self.runningChanged.emit(True)
        self._spawn(lambda: self._run(dataset, settings))
        return True

    def _spawn(self, target: Callable[[], None]) -> None:
        self._thread = threading.Thread(target=target, name="charnames-search", daemon=True)
        self._thread.start()

    def _run(self, dataset: Dataset, settings: SearchSettings) -> None:  # search's thread
        from charnames_gui.core.search import Search
        from charnames_gui.core.threads import limit_threads

        limit_threads(1)  # small minibatches: one thread is fastest, and leaves a core free
        try:
            self.search = Search(dataset, settings, self.recordRequested.emit, self._stop.is_set)
            for event in self.search.stream():
                if isinstance(event, SearchEnded):
                    self._ended.emit(event)
                else:
                    self.searchEvent.emit(event)
        except (CharnamesError, MemoryError) as exc:
            self._ended.emit(f"The search stopped: {exc}")

    def cancel(self) -> None:
        """Stop between two training steps; the trial in progress is recorded as stopped."""
        self._stop.set()

    def evaluate_test(self) -> bool:
        """The best trial on the test split (counted), on a thread; False if there is none."""
        if self.running or self.ended is None or self.ended.best is None:
            return False
        search = self.search
        self.close()

        def look() -> None:
            loss = search.evaluate_test()
            self.testEvaluated.emit(loss, search.test_looks)

        self._spawn(look)
        return True

    def _on_ended(self, outcome: object) -> None:
        self.running = False
        if isinstance(outcome, SearchEnded):
            self.ended = outcome
            self.searchEvent.emit(outcome)
        else:
            self.failed.emit(str(outcome))
        self.runningChanged.emit(False)

    def close(self) -> None:
        """Cancel and wait for the thread (a new search, the window closing)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
