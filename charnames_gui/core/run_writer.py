"""The run history's own thread: opens the RunStore and does every read and write off the GUI.

SQLite waits for another program's lock (a second Charnames, a backup tool) for up to its
timeout; on the GUI thread that would be a frozen window. RunWriter owns the store in a
thread of its own, takes jobs from a queue and reports what happened through `on_event`
(called on the writer's thread: the Qt layer re-emits it as a queued signal).

Nothing is lost while the file is locked:
- a locked history at start is retried with backoff (Busy is reported, nothing is renamed);
- a run to record is kept in memory and in `runs.db.pending.json` next to the database
  until it lands, so it survives a restart too; a locked write is retried with backoff;
- a history that cannot be written at all (read-only) still shows the runs of the session.

Known limit: the pending file is one per history, not per app. Two apps that both end runs
while a third program holds the lock each keep their runs in memory, but the file holds
only the last writer's; a crash of the other one then loses its waiting runs.
"""

from __future__ import annotations

import json
import os
import queue
import stat
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from charnames_gui.core.atomic import atomic_write
from charnames_gui.core.errors import FileAccessError
from charnames_gui.core.runs import (
    BUSY_MESSAGE,
    InvalidRunRecord,
    RunRecord,
    RunStore,
    RunStoreBusy,
    RunStoreError,
    check_record,
    record_from_dict,
    record_to_dict,
)

FIRST_RETRY = 0.05  # seconds before the first retry of a locked history; doubles each time
LAST_RETRY = 2.0  # the longest wait between two retries
LOCK_TIMEOUT = 0.25  # SQLite's own wait per attempt (short: the writer retries anyway)
PENDING_SUFFIX = ".pending.json"


# -- what the writer reports (frozen: they cross threads as they are) ----------------------
@dataclass(frozen=True)
class Opened:
    runs: tuple[RunRecord, ...]  # every stored run, oldest first
    message: str | None  # damaged, read-only or in memory: a sentence for the user
    read_only: bool


@dataclass(frozen=True)
class Busy:
    busy: bool  # True while another program keeps the history locked
    message: str  # BUSY_MESSAGE while busy, "" once the history answers again


@dataclass(frozen=True)
class Queued:
    token: int  # the number add() returned
    record: RunRecord  # not stored yet (id None): shown meanwhile, replaced by Recorded


@dataclass(frozen=True)
class Recorded:
    token: int
    record: RunRecord  # as stored, with its id


@dataclass(frozen=True)
class Updated:
    record: RunRecord  # a stored run with a new note or test loss


@dataclass(frozen=True)
class Deleted:
    ids: tuple[int, ...]


@dataclass(frozen=True)
class Failed:
    message: str  # one line for the status bar


HistoryEvent = Opened | Busy | Queued | Recorded | Updated | Deleted | Failed


@dataclass
class _Job:
    kind: str  # "add", "note", "test_loss", "delete", "reload", "retry_pending"
    token: int = 0
    record: RunRecord | None = None
    run_id: int = 0
    value: Any = None
    queued_shown: bool = False  # the view has been told about this pending record
    from_file: bool = False  # read from the pending file: may have landed before a crash


def pending_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + PENDING_SUFFIX)


class RunWriter:
    """A thread that owns a RunStore at `path`; see the module docstring."""

    def __init__(
        self,
        path: str | Path,
        on_event: Callable[[HistoryEvent], None],
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        self.path = Path(path)
        self.pending_path = pending_path(self.path)
        self._emit = on_event
        self._lock_timeout = lock_timeout
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._waiting: deque[_Job] = deque()  # jobs taken from the queue, in order
        self._unsaved: list[RunRecord] = []  # refused (read-only, disk full): next start
        self._closing = threading.Event()
        self._next_token = 0
        self._token_lock = threading.Lock()
        self._busy = False
        self._pending_error: str | None = None  # why the pending file could not be written
        self._unrecorded = 0  # runs then neither stored nor in the pending file
        self._thread = threading.Thread(target=self._run, name="run-history", daemon=True)
        self._thread.start()

    # -- the caller's side (any thread) -----------------------------------------------------
    def add(self, record: RunRecord) -> int:
        """Record a run (its creation time is now, when not set); returns its token."""
        with self._token_lock:
            self._next_token += 1
            token = self._next_token
        if not record.created:
            record = replace(record, created=_now())
        self._jobs.put(_Job("add", token=token, record=record))
        return token

    def update_note(self, run_id: int, note: str) -> None:
        self._jobs.put(_Job("note", run_id=int(run_id), value=str(note)))

    def set_test_loss(self, run_id: int, loss: float | None) -> None:
        self._jobs.put(_Job("test_loss", run_id=int(run_id), value=loss))

    def delete(self, run_ids: Iterable[int]) -> None:
        self._jobs.put(_Job("delete", value=tuple(int(i) for i in run_ids)))

    def reload(self) -> None:
        self._jobs.put(_Job("reload"))

    def close(self, timeout: float = 2.0) -> bool:
        """Finish the jobs that can land now and stop; records that cannot stay in the
        pending file for the next start. True when the thread has ended."""
        self._closing.set()
        self._jobs.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def pending_count(self) -> int:
        return sum(1 for job in list(self._waiting) if job.kind == "add")

    # -- the writer's thread ----------------------------------------------------------------
    def _run(self) -> None:
        store = None
        try:
            store = self._open()
            if store is not None:
                self._loop(store)
        except Exception as exc:  # a bug must not end the history silently
            self._emit(Failed(f"The run history stopped working: {exc}"))
        finally:
            if store is not None:
                store.close()

    def _open(self) -> RunStore | None:
        delay = FIRST_RETRY
        while not self._closing.is_set():
            try:
                store = RunStore(self.path, timeout=self._lock_timeout)
            except RunStoreBusy:
                self._set_busy(True)
                self._closing.wait(delay)
                delay = min(delay * 2, LAST_RETRY)
                continue
            self._set_busy(False)
            pending = self._read_pending(store)
            if store.persistent and not store.read_only:
                self._waiting.extend(pending)
            else:  # nowhere to store them now: they stay in the pending file for later
                self._unsaved.extend(job.record for job in pending if job.record is not None)
            skipped = None
            try:
                runs = tuple(store.list())
                skipped = store.skipped_message()
            except RunStoreError as exc:  # locked between open and read: shown at reload
                runs = ()
                self._waiting.append(_Job("reload"))
                self._emit(Failed(str(exc)))
            message = " ".join(m for m in (store.recovery_message, skipped) if m) or None
            self._emit(Opened(runs, message, store.read_only))
            return store
        return None

    def _loop(self, store: RunStore) -> None:
        delay = FIRST_RETRY
        while True:
            try:
                # with work waiting on a lock: wake up to retry it, or for a new job
                job = self._jobs.get(timeout=delay if self._waiting else None)
            except queue.Empty:
                job = _Job("retry")
            closing = job is None
            if job is not None and job.kind != "retry":
                self._waiting.append(job)
                if job.kind == "add":
                    self._write_pending()
            while not closing and not self._jobs.empty():  # take every job already queued
                more = self._jobs.get_nowait()
                if more is None:
                    closing = True
                else:
                    self._waiting.append(more)
                    if more.kind == "add":
                        self._write_pending()
            landed_all = self._work(store)
            delay = FIRST_RETRY if landed_all else min(delay * 2, LAST_RETRY)
            if closing:
                return

    def _work(self, store: RunStore) -> bool:
        """Do the waiting jobs in order; stop at the first one the lock holds up.
        True when none is left waiting."""
        while self._waiting:
            job = self._waiting[0]
            try:
                self._do(store, job)
            except RunStoreBusy:
                for waiting in self._waiting:  # show the runs that wait, once
                    if waiting.kind == "add" and not waiting.queued_shown:
                        waiting.queued_shown = True
                        assert waiting.record is not None
                        self._emit(Queued(waiting.token, waiting.record))
                self._set_busy(True)
                return False
            self._waiting.popleft()
            if job.kind == "add":
                self._write_pending()
        self._set_busy(False)
        return True

    def _do(self, store: RunStore, job: _Job) -> None:
        try:
            if job.kind == "add":
                assert job.record is not None
                stored = (
                    self._add_once(store, job.record) if job.from_file else store.add(job.record)
                )
                self._emit(Recorded(job.token, stored))
            elif job.kind in ("note", "test_loss"):
                if job.kind == "note":
                    store.update_note(job.run_id, job.value)
                else:
                    store.set_test_loss(job.run_id, job.value)
                record = store.get(job.run_id)
                if record is not None:
                    self._emit(Updated(record))
            elif job.kind == "delete":
                store.delete(job.value)
                self._emit(Deleted(tuple(job.value)))
            elif job.kind == "retry_pending":
                self._write_pending()
                if isinstance(job.value, threading.Event):
                    job.value.set()
            elif job.kind == "reload":
                runs = tuple(store.list())
                self._emit(Opened(runs, store.skipped_message(), store.read_only))
        except RunStoreBusy:
            raise
        except InvalidRunRecord as exc:  # never stored, nor kept to poison the next start
            if job.kind == "add":
                assert job.record is not None
                self._emit(Recorded(job.token, job.record))  # shown for this session
                self._emit(Failed(f"The run was not recorded: it is not valid ({exc})"))
            else:
                self._emit(Failed(str(exc)))
        except Exception as exc:  # RunStoreError, or a bug: this job fails, not the history
            if job.kind == "add":  # shown for this session; kept in the pending file
                assert job.record is not None
                self._unsaved.append(job.record)
                self._emit(Recorded(job.token, job.record))
                self._emit(Failed(f"The run was not recorded: {exc}"))
            else:
                self._emit(Failed(str(exc)))

    def _add_once(self, store: RunStore, record: RunRecord) -> RunRecord:
        """Insert, unless a crash after an earlier insert left it in the pending file."""
        for stored in store.list(order_by="created", descending=True):
            if stored.created < record.created:
                break
            if _same_run(stored, record):
                return stored
        return store.add(record)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self._emit(Busy(busy, BUSY_MESSAGE if busy else ""))

    # -- the pending file -------------------------------------------------------------------
    def _write_pending(self) -> None:
        """The records not yet stored, as JSON next to the database (removed when none),
        written atomically. When it cannot be written (a full disk), `unrecorded()` counts
        the runs a close would lose, and Failed says so once."""
        waiting = [j.record for j in self._waiting if j.record is not None]
        records = [record_to_dict(r) for r in self._unsaved + waiting]
        try:
            if not records:
                self.pending_path.unlink(missing_ok=True)
            else:
                atomic_write(self.pending_path, json.dumps({"version": 1, "runs": records}))
        except (OSError, FileAccessError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            if self._pending_error is None:
                self._emit(Failed(f"Runs waiting to be recorded could not be kept: {reason}"))
            self._pending_error = reason or "the file cannot be written"
            self._unrecorded = len(records)
            return
        self._pending_error = None
        self._unrecorded = 0

    def unrecorded(self) -> tuple[int, str | None]:
        """(runs neither in the history nor in the pending file, why): what closing now
        would lose; (0, None) when nothing."""
        return self._unrecorded, self._pending_error

    def retry_pending(self, wait: float = 0.0) -> tuple[int, str | None]:
        """Write the pending file again (after a full disk was freed), on the writer's thread,
        waiting up to `wait` seconds for it (it waits behind jobs held up by a lock).
        Returns unrecorded() as it then is."""
        done = threading.Event()
        self._jobs.put(_Job("retry_pending", value=done))
        if wait > 0:
            done.wait(wait)
        return self.unrecorded()

    def _read_pending(self, store: RunStore) -> list[_Job]:
        """Runs a previous session could not record. Each is checked as a stored one is; a
        file that cannot be read, or holds runs that are not valid, is moved aside (named
        in the message) and the valid runs are recorded."""
        records, problem = read_pending_file(self.pending_path)
        if problem:
            aside = _move_aside(self.pending_path)
            kept = f"; it was kept as {aside.name}" if aside is not None else ""
            self._emit(Failed(f"{problem}{kept}"))
        jobs = []
        for record in records:
            with self._token_lock:
                self._next_token += 1
                token = self._next_token
            jobs.append(_Job("add", token=token, record=replace(record, id=None), from_file=True))
        return jobs


MAX_PENDING_BYTES = 64 << 20


def read_pending_file(path: Path) -> tuple[list[RunRecord], str | None]:
    """The valid runs of a pending file, and a sentence when anything was left out (None:
    all read, or no file). Never raises: any content gives at most a message."""
    name = path.name
    try:
        if not path.exists():
            return [], None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return [], f"{name} is not a regular file and was not read"
            data = f.read(MAX_PENDING_BYTES + 1)
    except OSError as exc:
        return [], f"Runs waiting in {name} cannot be read: {exc.strerror or exc}"
    if len(data) > MAX_PENDING_BYTES:
        return [], f"Runs waiting in {name} were not read: the file is larger than 64 MB"
    try:
        values = json.loads(data.decode("utf-8"))
        items = values["runs"]
        if not isinstance(items, list):
            raise TypeError("runs is not a list")
    except (ValueError, TypeError, KeyError, RecursionError, MemoryError):
        return [], f"Runs waiting in {name} cannot be read: it is not a list of runs"
    records: list[RunRecord] = []
    bad = 0
    for item in items:
        try:
            if not isinstance(item, dict):
                raise TypeError("not a run")
            records.append(check_record(record_from_dict(item)))
        except (ValueError, TypeError, KeyError, OverflowError, RecursionError, AttributeError):
            bad += 1
    if bad:
        return records, (
            f"{bad} of the {len(items)} runs waiting in {name} "
            f"{'are' if bad != 1 else 'is'} not valid and {'were' if bad != 1 else 'was'} "
            "not recorded"
        )
    return records, None


def _move_aside(path: Path) -> Path | None:
    """Keep a file that could not be (fully) read under a new name, next to it."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.unreadable-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.unreadable-{stamp}-{n}")
    try:
        os.replace(path, aside)
    except OSError:
        return None
    return aside


def _same_run(a: RunRecord, b: RunRecord) -> bool:
    def key(r: RunRecord) -> tuple[object, ...]:
        return (r.created, r.seconds, r.steps_done, r.train, r.dataset_hash, r.dev_loss, r.note)

    return key(a) == key(b)


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
