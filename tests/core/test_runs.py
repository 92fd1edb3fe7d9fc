"""The run history: recording, reading back, surviving restarts and damaged files."""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from runs_helpers import make_record

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.runs import (
    CSV_COLUMNS,
    SCHEMA_VERSION,
    TRAIN_COLUMNS,
    RunRecord,
    RunStore,
    default_runs_path,
)


def assert_same_run(a: RunRecord, b: RunRecord) -> None:
    for f in fields(RunRecord):
        if f.name in ("id", "created"):
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, np.ndarray):
            assert vb.dtype == np.float32
            np.testing.assert_array_equal(va, vb)
        else:
            assert va == vb, f.name


def test_record_and_read_back_every_field(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.db")
    assert store.recovery_message is None
    assert store.created_new
    record = make_record(test_loss=2.25, group_id="g1", group_index=2, group_size=5)
    stored = store.add(record)
    assert stored.id is not None
    assert stored.created  # ISO time set by add
    assert stored.created[:4].isdigit() and "T" in stored.created
    assert_same_run(record, stored)
    assert_same_run(record, store.get(stored.id))
    assert stored.parameters == 11_897
    assert stored.group_label == "2 of 5"
    assert store.get(stored.id + 100) is None
    store.close()


def test_restored_after_restart(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    first = RunStore(path)
    ids = [first.add(make_record(dev_loss=2.0 + i / 10)).id for i in range(3)]
    first.close()
    again = RunStore(path)  # a new store on the same file: the app restarted
    assert again.recovery_message is None
    assert not again.created_new
    runs = again.list()
    assert [r.id for r in runs] == ids
    assert [r.dev_loss for r in runs] == pytest.approx([2.0, 2.1, 2.2])
    assert_same_run(make_record(dev_loss=2.0), runs[0])
    again.close()


def test_committed_without_close(tmp_path: Path) -> None:
    """A crash after add() (no close) loses nothing: every write is committed."""
    path = tmp_path / "runs.db"
    store = RunStore(path)
    store.add(make_record())
    other = RunStore(path)  # a second connection sees the committed row
    assert len(other) == 1
    other.close()
    store.close()


def test_missing_folder_is_created(tmp_path: Path) -> None:
    path = default_runs_path(tmp_path / "a" / "b")
    assert path.name == "runs.db"
    store = RunStore(path)
    assert path.exists()
    assert store.persistent and store.recovery_message is None
    store.close()


def test_garbage_file_is_moved_aside_and_recreated(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    garbage = bytes(range(256)) * 40
    path.write_bytes(garbage)
    store = RunStore(path)
    assert store.recovery_message is not None
    assert "new, empty history" in store.recovery_message
    assert store.persistent
    aside = list(tmp_path.glob("runs.db.damaged-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == garbage  # the user's file is kept, not deleted
    assert aside[0].name in store.recovery_message
    assert len(store) == 0
    store.add(make_record())
    store.close()
    again = RunStore(path)
    assert again.recovery_message is None and len(again) == 1
    again.close()


def test_truncated_database_is_recovered(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = RunStore(path)
    for i in range(30):
        store.add(make_record(dev_loss=2 + i / 100))
    store.close()
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    for extra in tmp_path.glob("runs.db-*"):  # no WAL left to repair the cut file
        extra.unlink()
    recovered = RunStore(path)
    assert recovered.recovery_message is not None
    assert len(recovered) == 0
    recovered.add(make_record())
    assert len(recovered) == 1
    recovered.close()


def test_a_history_with_a_trigger_is_left_alone(tmp_path: Path) -> None:
    """A trigger this app never makes (one that deletes every run at each insert): the file
    is not written to, and this session's runs are kept in memory, not lost to it."""
    path = tmp_path / "runs.db"
    store = RunStore(path)
    store.add(make_record())
    store.close()
    _database_with(path, "CREATE TRIGGER wipe AFTER INSERT ON runs BEGIN DELETE FROM runs; END")
    store = RunStore(path)
    assert store.recovery_message is not None and "triggers" in store.recovery_message
    assert not store.persistent
    store.add(make_record())
    assert len(store) == 1
    store.close()


def _database_with(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("statements", "reason"),
    [
        (
            ("CREATE TABLE people (name TEXT)", "INSERT INTO people VALUES ('emma')"),
            "not a charnames-gui run history",
        ),
        (
            (
                "CREATE TABLE runs (id INTEGER PRIMARY KEY, loss REAL)",
                f"PRAGMA user_version = {SCHEMA_VERSION}",
            ),
            "unexpected columns",
        ),
        (
            (
                "CREATE TABLE runs (id INTEGER PRIMARY KEY)",
                f"PRAGMA user_version = {SCHEMA_VERSION + 1}",
            ),
            "newer version",
        ),
    ],
)
def test_a_sound_database_of_another_schema_is_left_alone(
    tmp_path: Path, statements: tuple[str, ...], reason: str
) -> None:
    """Only a corrupt file is moved aside: another program's database, or a
    newer app's history, stays where it is, untouched; this session's runs live in memory."""
    path = tmp_path / "runs.db"
    _database_with(path, *statements)
    before = path.read_bytes()
    store = RunStore(path)
    assert store.recovery_message is not None
    assert reason in store.recovery_message and "left as it is" in store.recovery_message
    assert not store.persistent
    store.add(make_record())
    assert len(store) == 1
    store.close()
    assert not list(tmp_path.glob("runs.db.damaged-*"))
    assert path.read_bytes() == before


def test_unusable_folder_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = RunStore(blocker / "runs.db")  # its parent is a file: it cannot be created
    assert not store.persistent
    assert store.recovery_message is not None
    assert "memory only" in store.recovery_message
    stored = store.add(make_record())
    assert store.get(stored.id) is not None
    store.close()


def test_delete_note_and_test_loss(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = RunStore(path)
    a, b, c = (store.add(make_record(dev_loss=x)) for x in (2.3, 2.2, 2.1))
    assert store.delete([a.id, c.id]) == 2
    assert [r.id for r in store.list()] == [b.id]
    assert store.delete([]) == 0
    store.update_note(b.id, "bigger embedding, 'quoted', ünïcode")
    store.set_test_loss(b.id, 2.19)
    store.close()
    again = RunStore(path)
    got = again.get(b.id)
    assert got is not None
    assert got.note == "bigger embedding, 'quoted', ünïcode"
    assert got.test_loss == pytest.approx(2.19)
    again.close()


def test_list_sorts_and_filters(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.db")
    store.add(make_record(dev_loss=2.3))
    store.add(make_record(dev_loss=2.1, group_id="g"))
    store.add(make_record(dev_loss=2.2, dataset_hash="cd" * 32, group_id="g"))
    assert [r.dev_loss for r in store.list("dev_loss")] == [2.1, 2.2, 2.3]
    assert [r.dev_loss for r in store.list("dev_loss", descending=True)] == [2.3, 2.2, 2.1]
    assert [r.dev_loss for r in store.list(dataset_hash="cd" * 32)] == [2.2]
    assert [r.dev_loss for r in store.list("dev_loss", group_id="g")] == [2.1, 2.2]
    with pytest.raises(ValueError):
        store.list("dev_loss; DROP TABLE runs")
    store.close()


def test_nan_loss_of_a_diverged_run_reads_back_as_missing(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.db")
    stored = store.add(make_record(status="diverged", train_loss=float("nan"), dev_loss=None))
    assert stored.status == "diverged"
    assert stored.train_loss is None and stored.dev_loss is None
    with pytest.raises(ValueError):
        store.add(make_record(status="exploded"))
    store.close()


def test_export_csv(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.db")
    a = store.add(make_record(dev_loss=2.25, note='a "note", with comma'))
    b = store.add(make_record(dev_loss=2.125, test_loss=2.2))
    out = tmp_path / "runs.csv"
    assert store.export_csv(out) == 2
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [int(r["id"]) for r in rows] == [a.id, b.id]
    assert rows[0]["note"] == 'a "note", with comma'
    assert float(rows[1]["dev_loss"]) == 2.125
    assert rows[0]["test_loss"] == ""  # never evaluated on test: an empty cell
    assert rows[0]["parameters"] == "11897"
    assert rows[0]["lr"] == "0.2" and rows[0]["schedule"] == "step"
    assert rows[0]["seed"] == "7" and rows[0]["status"] == "finished"
    assert store.export_csv(out, ids=[b.id]) == 1
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    assert not list(tmp_path.glob(".runs.csv.*"))  # no temporary file left behind
    store.close()


def test_every_train_config_field_is_stored() -> None:
    """A new TrainConfig field needs a column (and a new SCHEMA_VERSION)."""
    assert {f.name for f in fields(TrainConfig)} == set(TRAIN_COLUMNS)


def test_seed_stats_mean_and_sample_std() -> None:
    from charnames_gui.core.stats import seed_stats

    stats = seed_stats([2.17, 2.16, 2.18, 2.17, 2.17])
    assert stats.n == 5 and stats.skipped == 0
    assert stats.mean == pytest.approx(2.17)
    # sample std by hand: deviations 0, -.01, .01, 0, 0 -> sqrt(0.0002 / 4)
    assert stats.std == pytest.approx((0.0002 / 4) ** 0.5)
    assert stats.format() == "2.170 ± 0.007 (5 seeds)"


def test_seed_stats_skip_missing_and_format_edge_cases() -> None:
    from charnames_gui.core.stats import seed_stats

    stats = seed_stats([2.2, None, float("nan"), float("inf"), 2.4])
    assert stats.values == (2.2, 2.4) and stats.skipped == 3
    assert stats.format(2) == "2.30 ± 0.14 (2 seeds), 3 without a loss"
    assert seed_stats([2.1234]).format() == "2.123 (1 seed)"
    assert seed_stats([]).format() == "no finished runs"
    assert np.isnan(seed_stats([2.0]).std)


def test_repeat_seeds_are_deterministic_and_distinct() -> None:
    from charnames_gui.core.stats import SEED_LIMIT, repeat_seeds

    seeds = repeat_seeds(2147483647, 5)
    assert seeds[0] == 2147483647  # repeat 1 is the run the user already has
    assert seeds == repeat_seeds(2147483647, 5)
    assert repeat_seeds(2147483647, 3) == seeds[:3]  # more repeats extend, not reshuffle
    assert len(set(seeds)) == 5
    assert all(0 <= s < SEED_LIMIT for s in seeds[1:])
    assert all(abs(a - b) > 1 for a in seeds for b in seeds if a != b)  # never neighbours
    assert repeat_seeds(1, 5) != seeds
    with pytest.raises(ValueError):
        repeat_seeds(1, 0)


def _schema_1_history(path: Path) -> None:
    """A history as schema 1 wrote it (no batchnorm, no weight_decay, no errors), with one run."""
    store = RunStore(path)
    store.add(make_record(note="before BatchNorm"))
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE runs DROP COLUMN train_se")
    conn.execute("ALTER TABLE runs DROP COLUMN dev_se")
    conn.execute("ALTER TABLE runs DROP COLUMN batchnorm")
    conn.execute("ALTER TABLE runs DROP COLUMN weight_decay")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_a_schema_1_history_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    """BatchNorm and weight decay added two columns: an older history gains them,
    its runs read as without BatchNorm and without decay, and new runs keep both."""
    path = tmp_path / "runs.db"
    _schema_1_history(path)
    store = RunStore(path)
    assert store.recovery_message is None and not store.read_only
    (old,) = store.list()
    assert old.note == "before BatchNorm"
    assert old.model.batchnorm is False and old.train.weight_decay == 0.0
    model = make_record().model
    new = store.add(
        make_record(
            model=ModelConfig(model.block_size, model.n_embd, model.n_hidden, 27, batchnorm=True),
            train=make_record().train.replace(weight_decay=0.001),
        )
    )
    assert new.model.batchnorm is True and new.train.weight_decay == 0.001
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_a_schema_2_history_gains_the_standard_errors(tmp_path: Path) -> None:
    """Schema 3 keeps each loss's standard error: older runs read as not measured (None)."""
    path = tmp_path / "runs.db"
    store = RunStore(path)
    store.add(make_record(note="before the errors"))
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE runs DROP COLUMN train_se")
    conn.execute("ALTER TABLE runs DROP COLUMN dev_se")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    store = RunStore(path)
    assert store.recovery_message is None and not store.read_only
    (old,) = store.list()
    assert old.note == "before the errors" and old.train_se is None and old.dev_se is None
    new = store.add(make_record(train_se=0.0021, dev_se=0.0062))
    store.close()
    store = RunStore(path)
    again = next(r for r in store.list() if r.id == new.id)
    assert (again.train_se, again.dev_se) == (0.0021, 0.0062)
    store.close()


def test_a_read_only_schema_1_history_is_read_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    _schema_1_history(path)
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        store = RunStore(path)
        if not store.read_only:  # pragma: no cover - running as root writes anyway
            pytest.skip("this user can write a read-only file")
        (old,) = store.list()
        assert old.model.batchnorm is False and old.train.weight_decay == 0.0
        store.close()
    finally:
        tmp_path.chmod(0o755)
        path.chmod(0o644)
