"""One way to run work off the GUI thread, in the style of superqt's thread_worker.

The work is a plain function (or a generator: each value it yields is progress) of the core,
run on a QThread of its own. What it returns, raises or yields comes back on the GUI thread as
queued signals. Cancelling is a flag: a generator stops at its next yield, and the result of a
function that was cancelled is dropped. `returned` or `errored` is emitted only once the thread
has ended, so no thread is left running behind a result (tests check that none is).

    job = BackgroundJob(Dataset.from_file, path, name="dataset-loader")
    job.returned.connect(use_dataset)
    job.errored.connect(lambda exc: say(str(exc)))
    job.start()

The training worker is not one of these: it is a long-lived object that takes many jobs and
is paced by the window's frames (see training_worker.py).
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

# Threads started and not yet ended: held here so that none is destroyed while it runs (Qt
# aborts the process then), even when its job object is dropped early.
_running: set[_Thread] = set()


class _Thread(QThread):
    def __init__(self, job: BackgroundJob, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.job = job

    def run(self) -> None:
        self.job._run()


class BackgroundJob(QObject):
    """fn(*args, **kwargs) on a thread of its own (see the module's docstring). One use:
    start() once."""

    returned = Signal(object)  # fn's result (a generator's return value)
    errored = Signal(object)  # the exception fn raised
    yielded = Signal(object)  # each value a generator yields
    finished = Signal()  # after returned or errored, or when cancelled

    def __init__(
        self,
        fn: Callable[..., Any],
        *args: Any,
        name: str = "background-job",
        parent: QObject | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(parent)
        self._call = lambda: fn(*args, **kwargs)
        self._cancelled = threading.Event()
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread: _Thread | None = _Thread(self, name)
        self._thread.finished.connect(self._on_thread_finished)  # queued to this thread
        self._started = False
        self.seconds = 0.0  # how long the work ran on its thread (set when it has ended)

    @property
    def running(self) -> bool:
        """Started and not finished yet (its result not handed over)."""
        return self._started and self._thread is not None

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def start(self) -> BackgroundJob:
        if self._started:
            raise RuntimeError("a BackgroundJob runs once")
        self._started = True
        thread = self._thread
        assert thread is not None
        _running.add(thread)
        thread.finished.connect(lambda: _running.discard(thread))  # queued to the GUI thread
        thread.start()
        return self

    def cancel(self) -> None:
        """Ask the work to stop: a generator ends at its next yield; no result is emitted."""
        self._cancelled.set()

    def wait(self) -> None:
        """Block until the thread has ended (e.g. closing the app); the result is dropped."""
        self.cancel()
        thread = self._thread
        if thread is not None:
            thread.wait()

    # -- on the job's thread ----------------------------------------------------------------
    def _run(self) -> None:
        began = time.perf_counter()
        try:
            result = self._call()
            if inspect.isgenerator(result):
                result = self._drain(result)
            self._result = result
        except Exception as exc:  # handed to the GUI thread as `errored`
            self._error = exc
        self.seconds = time.perf_counter() - began

    def _drain(self, gen: Any) -> Any:
        while not self._cancelled.is_set():
            try:
                value = next(gen)
            except StopIteration as stop:
                return stop.value
            self.yielded.emit(value)  # queued: this object lives on the GUI thread
        gen.close()
        return None

    # -- on the GUI thread ------------------------------------------------------------------
    def _on_thread_finished(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        thread.wait()  # finished is emitted as run() returns: let it end completely
        thread.deleteLater()
        if not self._cancelled.is_set():
            if self._error is not None:
                self.errored.emit(self._error)
            else:
                self.returned.emit(self._result)
        self.finished.emit()


class OneAtATime(QObject):
    """Runs one BackgroundJob at a time (a file being read): done(result) or failed(exc)
    runs on the GUI thread when the job has ended, unless wait() dropped it meanwhile."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job: BackgroundJob | None = None

    @property
    def busy(self) -> bool:
        return self._job is not None

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        name: str,
        done: Callable[[Any], object],
        failed: Callable[[BaseException], object],
    ) -> None:
        """fn(*args) on a thread of its own; RuntimeError while a job is still busy."""
        if self._job is not None:
            raise RuntimeError(f"{name} is still running")
        job = BackgroundJob(fn, *args, name=name, parent=self)
        job.returned.connect(lambda result: self._end(job) and done(result))
        job.errored.connect(lambda exc: self._end(job) and failed(exc))
        self._job = job
        job.start()

    def _end(self, job: BackgroundJob) -> bool:
        """The job's result arrived: it is handed over if the job is still the current one
        (not dropped by wait())."""
        if job is not self._job:
            return False
        self._job = None
        job.deleteLater()
        return True

    def wait(self) -> None:
        """Block until a running job ends (closing the app); its result is dropped."""
        job, self._job = self._job, None
        if job is not None:
            job.wait()
