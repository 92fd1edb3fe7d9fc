"""The run history's thread: a locked history never loses a run, never blocks the caller."""

from __future__ import annotations

import queue
import sqlite3
from pathlib import Path

from runs_helpers import make_record

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
    pending_path,
)
from charnames_gui.core.runs import RunStore

WAIT = 30.0  # seconds: generous on a shared machine; no test measures time


class Events:
    def __init__(self) -> None:
        self.q: queue.Queue[HistoryEvent] = queue.Queue()

    def __call__(self, event: HistoryEvent) -> None:
        self.q.put(event)

    def next(self, kind: type) -> HistoryEvent:
        while True:
            event = self.q.get(timeout=WAIT)
            if isinstance(event, kind):
                return event


def _seed(path: Path, n: int) -> None:
    store = RunStore(path)
    for i in range(n):
        store.add(make_record(dev_loss=2 + i / 100))
    store.close()


def test_opens_lists_and_records(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    _seed(path, 2)
    events = Events()
    writer = RunWriter(path, events)
    opened = events.next(Opened)
    assert isinstance(opened, Opened) and len(opened.runs) == 2 and opened.message is None
    token = writer.add(make_record(status="failed"))
    recorded = events.next(Recorded)
    assert isinstance(recorded, Recorded) and recorded.token == token
    assert recorded.record.id is not None and recorded.record.status == "failed"
    writer.update_note(recorded.record.id, "lr too high")
    updated = events.next(Updated)
    assert isinstance(updated, Updated) and updated.record.note == "lr too high"
    writer.delete([recorded.record.id])
    assert isinstance(events.next(Deleted), Deleted)
    assert writer.close()
    assert not pending_path(path).exists()


def test_a_run_ended_while_locked_lands_when_the_lock_goes(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    _seed(path, 25)
    events = Events()
    writer = RunWriter(path, events)
    events.next(Opened)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    token = writer.add(make_record(dev_loss=2.05))  # returns at once: the caller never waits
    queued = events.next(Queued)
    assert isinstance(queued, Queued) and queued.token == token and queued.record.id is None
    busy = events.next(Busy)
    assert isinstance(busy, Busy) and busy.busy and "busy" in busy.message
    assert pending_path(path).exists()  # survives a crash meanwhile
    holder.execute("ROLLBACK")
    holder.close()
    recorded = events.next(Recorded)
    assert isinstance(recorded, Recorded) and recorded.token == token
    assert recorded.record.id is not None
    assert writer.close()
    assert not pending_path(path).exists()
    store = RunStore(path)
    assert len(store) == 26 and not list(tmp_path.glob("runs.db.damaged-*"))
    store.close()


def test_a_history_locked_at_start_is_retried_not_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    _seed(path, 25)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = delete")  # the lock keeps readers out too
    conn.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    events = Events()
    writer = RunWriter(path, events)
    busy = events.next(Busy)
    assert isinstance(busy, Busy) and busy.busy
    holder.execute("ROLLBACK")
    holder.close()
    opened = events.next(Opened)
    assert isinstance(opened, Opened) and len(opened.runs) == 25 and opened.message is None
    assert writer.close()
    assert not list(tmp_path.glob("runs.db.damaged-*"))


def test_pending_runs_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    _seed(path, 1)
    events = Events()
    writer = RunWriter(path, events)
    events.next(Opened)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    writer.add(make_record(dev_loss=2.01, note="waiting"))
    events.next(Queued)
    writer.close(timeout=5)  # the app closes while the history is still locked
    holder.execute("ROLLBACK")
    holder.close()
    assert pending_path(path).exists()
    again = Events()
    writer = RunWriter(path, again)
    again.next(Opened)
    recorded = again.next(Recorded)
    assert isinstance(recorded, Recorded) and recorded.record.note == "waiting"
    assert writer.close()
    store = RunStore(path)
    assert [r.note for r in store.list()].count("waiting") == 1
    store.close()
    assert not pending_path(path).exists()


def test_a_run_the_store_refuses_is_shown_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    _seed(path, 1)
    events = Events()
    writer = RunWriter(path, events)
    events.next(Opened)
    writer._thread.join(0.01)
    # a write the store refuses outright (not a lock, e.g. read-only): shown, reported
    token = writer.add(make_record(status="bogus"))
    recorded = events.next(Recorded)
    assert isinstance(recorded, Recorded) and recorded.token == token
    assert recorded.record.id is None
    failed = events.next(Failed)
    assert isinstance(failed, Failed) and "not recorded" in failed.message
    assert writer.close()
