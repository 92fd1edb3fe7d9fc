"""The run history for the Qt side: core.run_writer's thread, its reports as queued signals.

Every call returns at once; the database is opened, read and written on the writer's thread,
so a history locked by another Charnames never freezes the window. Views and Experiments
listen to the signals (delivered on the GUI thread).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from charnames_gui.core.run_writer import (
    Busy,
    Deleted,
    Failed,
    HistoryEvent,
    Opened,
    Queued,
    Recorded,
    RunWriter,
    Updated,
)
from charnames_gui.core.runs import RunRecord

CLOSE_TIMEOUT = 2.0  # seconds to let the last writes land on close; the rest stay pending
RETRY_WAIT = 1.0  # seconds a close waits for one more try to keep unrecorded runs


def unrecorded_question(count: int, why: str | None) -> str:
    """What the window asks before closing loses runs the history could not keep."""
    runs = "1 run" if count == 1 else f"{count:,} runs"
    reason = f" ({why})" if why else ""
    return (
        f"{runs} could not be recorded in the run history{reason}, and would be lost if "
        "the window closes now. Free some disk space and close again to keep them, or "
        "close anyway?"
    )


class RunHistory(QObject):
    opened = Signal(object)  # Opened: every stored run, and a recovery message or None
    busyChanged = Signal(bool, str)  # locked by another program: True and the sentence
    queued = Signal(int, object)  # token, RunRecord waiting for the lock (no id yet)
    recorded = Signal(int, object)  # token, RunRecord as stored (id None: not saved)
    updated = Signal(object)  # RunRecord with a new note or test loss
    deleted = Signal(object)  # tuple of ids
    failed = Signal(str)  # a sentence for the status bar

    _event = Signal(object)  # from the writer's thread; queued to this object's thread

    def __init__(self, path: str | Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.read_only = False
        self.busy = False
        self.message: str | None = None  # the recovery message of the last open
        self.is_open = False
        self._event.connect(self._dispatch)
        self._closed = False
        # held while the writer's thread hands an event over, and by close(): once close()
        # returns, no hand-over is under way and none begins, so the window may delete this
        # object (a signal emitted from the thread into an object being deleted crashed)
        self._handing_over = threading.Lock()
        self._writer = RunWriter(self.path, self._from_writer)

    # -- intent (returns at once) -------------------------------------------------------------
    def add(self, record: RunRecord) -> int:
        """Record a run; `recorded` follows with the same token once it is stored."""
        return self._writer.add(record)

    def update_note(self, run_id: int, note: str) -> None:
        self._writer.update_note(run_id, note)

    def set_test_loss(self, run_id: int, loss: float | None) -> None:
        self._writer.set_test_loss(run_id, loss)

    def delete(self, run_ids: Iterable[int]) -> None:
        self._writer.delete(run_ids)

    def reload(self) -> None:
        self._writer.reload()

    def unrecorded(self) -> tuple[int, str | None]:
        """(runs neither in the history nor in its pending file, why): what closing now
        would lose (a full disk); (0, None) when nothing."""
        return self._writer.unrecorded()

    def retry_pending(self, wait: float = 0.0) -> tuple[int, str | None]:
        """Try again to keep the waiting runs in the pending file (after space was freed),
        waiting up to `wait` seconds; returns unrecorded() after it."""
        return self._writer.retry_pending(wait)

    def close(self) -> None:
        """Stop the writer (waiting at most CLOSE_TIMEOUT for the last writes). From then
        on no event comes from the writer's thread, even one it was handing over."""
        if not self._closed:
            with self._handing_over:
                self._closed = True
            self._writer.close(CLOSE_TIMEOUT)

    # -- reports ------------------------------------------------------------------------------
    def _from_writer(self, event: HistoryEvent) -> None:
        """On the writer's thread: hand the event to the GUI thread (a queued signal), unless
        closed."""
        with self._handing_over:
            if self._closed:
                return
            with contextlib.suppress(RuntimeError):  # the window, and this object, are gone
                self._event.emit(event)

    def _dispatch(self, event: HistoryEvent) -> None:
        if isinstance(event, Opened):
            self.is_open, self.read_only = True, event.read_only
            if event.message is not None:
                self.message = event.message
            self.opened.emit(event)
        elif isinstance(event, Busy):
            self.busy = event.busy
            self.busyChanged.emit(event.busy, event.message)
        elif isinstance(event, Queued):
            self.queued.emit(event.token, event.record)
        elif isinstance(event, Recorded):
            self.recorded.emit(event.token, event.record)
        elif isinstance(event, Updated):
            self.updated.emit(event.record)
        elif isinstance(event, Deleted):
            self.deleted.emit(event.ids)
        elif isinstance(event, Failed):
            self.failed.emit(event.message)
