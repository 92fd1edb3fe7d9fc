"""A damaged or hostile run history: a bad row hides only itself, a pending file of any content
never stops recording, nothing unchecked is stored, and a run that cannot be kept is counted."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from runs_helpers import make_record
from test_run_writer import Events

from charnames_gui.core import run_writer
from charnames_gui.core.config import TrainConfig
from charnames_gui.core.errors import FileAccessError
from charnames_gui.core.run_writer import (
    Failed,
    Opened,
    Recorded,
    RunWriter,
    pending_path,
    read_pending_file,
)
from charnames_gui.core.runs import InvalidRunRecord, RunStore, RunStoreError, record_to_dict


def _seed(path: Path, n: int) -> None:
    with RunStore(path) as store:
        for i in range(n):
            store.add(make_record(dev_loss=2 + i / 100))


def _spoil(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE runs SET lr = 'abc' WHERE id = 4",
        "UPDATE runs SET seed = 1e24 WHERE id = 4",  # 2**80: SQLite keeps it as a REAL
        "UPDATE runs SET status = 'bogus' WHERE id = 4",
        "UPDATE runs SET dataset_name = x'ff00' WHERE id = 4",  # a BLOB, not text
        "UPDATE runs SET block_size = -3 WHERE id = 4",
        "UPDATE runs SET note = x'00' WHERE id = 4",  # a BLOB
        "UPDATE runs SET dev_loss = 'nan?' WHERE id = 4",
    ],
    ids=["lr-text", "huge-seed", "status", "blob-name", "negative", "note-blob", "loss-text"],
)
def test_a_damaged_row_hides_only_itself(tmp_path: Path, sql: str) -> None:
    path = tmp_path / "runs.db"
    _seed(path, 5)
    _spoil(path, sql)
    with RunStore(path) as store:
        assert [r.id for r in store.list()] == [1, 2, 3, 5]
        assert store.get(4) is None
        message = store.skipped_message()
        assert message is not None and "#4" in message and "not shown" in message
        assert store.add(make_record()).id == 6  # and the next run is recorded


def test_the_writer_shows_the_good_rows_and_records_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    _seed(path, 5)
    _spoil(path, "UPDATE runs SET lr = 'abc' WHERE id = 4")
    events = Events()
    writer = RunWriter(path, events)
    opened = events.next(Opened)
    assert isinstance(opened, Opened) and len(opened.runs) == 4
    assert opened.message is not None and "#4" in opened.message
    writer.add(make_record())
    recorded = events.next(Recorded)
    assert isinstance(recorded, Recorded) and recorded.record.id == 6
    assert writer.close()


def test_nothing_unchecked_is_stored(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.db") as store:
        bad_train = TrainConfig.__new__(TrainConfig)
        object.__setattr__(bad_train, "__dict__", {**TrainConfig().__dict__, "lr": "abc"})
        for record in [
            make_record(train=bad_train),
            make_record(created=5),
            make_record(split_seed=2**80),
            make_record(seconds=float("inf")),
            make_record(note="\ud800"),
        ]:
            with pytest.raises(InvalidRunRecord):
                store.add(record)
        assert len(store) == 0


def _valid() -> dict[str, object]:
    return record_to_dict(make_record(created="2026-01-01T10:00:00+00:00"))


@pytest.mark.parametrize(
    ("content", "good"),
    [
        ("[" * 100_000 + "]" * 100_000, 0),  # RecursionError in json
        ("not json", 0),
        ('{"version": 1, "runs": 5}', 0),
        ("\xff\xfe", 0),
        (
            json.dumps(
                {
                    "version": 1,
                    "runs": [
                        _valid(),
                        {**_valid(), "train": {**_valid()["train"], "lr": "abc"}},  # type: ignore[dict-item]
                        {**_valid(), "created": 5},
                        {**_valid(), "train": {**_valid()["train"], "seed": 2**80}},  # type: ignore[dict-item]
                        {**_valid(), "split_seed": 2**80},
                        [1, 2],
                    ],
                }
            ),
            1,
        ),
    ],
    ids=["deep", "not-json", "runs-not-a-list", "not-utf8", "some-bad-runs"],
)
def test_a_pending_file_of_any_content_never_stops_recording(
    tmp_path: Path, content: str, good: int
) -> None:
    path = tmp_path / "runs.db"
    _seed(path, 2)
    pending_path(path).write_text(content, encoding="utf-8", errors="surrogateescape")
    events = Events()
    writer = RunWriter(path, events)
    failed = events.next(Failed)
    assert isinstance(failed, Failed) and "runs.db.pending.json" in failed.message
    assert "kept as runs.db.pending.json.unreadable-" in failed.message
    opened = events.next(Opened)
    assert isinstance(opened, Opened) and len(opened.runs) == 2
    for _ in range(good):  # the valid waiting run is recorded
        assert isinstance(events.next(Recorded), Recorded)
    writer.add(make_record(note="after"))
    while True:
        recorded = events.next(Recorded)
        assert isinstance(recorded, Recorded)
        if recorded.record.note == "after":
            break
    assert recorded.record.id == 3 + good
    assert writer.close()
    with RunStore(path) as store:
        assert len(store.list()) == 3 + good and store.skipped == []
    assert not pending_path(path).exists()  # the bad file is kept aside, not in the way
    assert len(list(tmp_path.glob("runs.db.pending.json.unreadable-*"))) == 1


def test_read_pending_file_never_raises(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    for content in [b"", b"{}", b'{"runs": [null, 1, "x", {}]}', b'{"runs": {"a": 1}}', b"1e999"]:
        path.write_bytes(content)
        records, problem = read_pending_file(path)
        assert records == [] and problem is not None


def test_runs_that_cannot_be_kept_are_counted_for_the_close_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk: the run cannot be stored, nor kept in the pending file. The writer says
    so at once, and unrecorded() tells the window what a close would lose."""
    path = tmp_path / "runs.db"
    _seed(path, 1)

    def full(*args: object, **kwargs: object) -> None:
        raise FileAccessError("Could not write runs.db.pending.json: No space left on device")

    def refuse(self: RunStore, record: object) -> None:
        raise RunStoreError("Could not save to the run history: database or disk is full")

    monkeypatch.setattr(run_writer, "atomic_write", full)
    monkeypatch.setattr(RunStore, "add", refuse)
    events = Events()
    writer = RunWriter(path, events)
    events.next(Opened)
    writer.add(make_record())
    failed = events.next(Failed)
    assert isinstance(failed, Failed) and "No space left" in failed.message
    events.next(Recorded)  # shown for this session
    assert writer.close()
    count, why = writer.unrecorded()
    assert count == 1 and why is not None and "No space left" in why
