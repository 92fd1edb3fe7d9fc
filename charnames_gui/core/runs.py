"""The history of experiments: one record per training run, kept in a SQLite file.

The lecture is a sequence of runs compared by their dev loss ("bigger hidden layer: 2.23;
bigger embedding: 2.17"). A RunRecord keeps what is needed to compare and repeat a run: the
dataset (name and content hash), every hyperparameter, the seeds, how long it trained, the
final losses and a downsampled loss curve.

RunStore keeps the records in one SQLite database (stdlib sqlite3, WAL journal, a commit per
write, so a crash loses at most the run being recorded). Opening tells three cases apart:
- only a file SQLite calls corrupt ("file is not a database", "malformed") is moved aside
  (runs.db.damaged-<time>) and a new empty history is started; a sound database with
  another schema (another program's, a newer app's) is left as it is and this session's
  runs are kept in memory;
- a history another program holds locked is left alone: RunStoreBusy is raised after
  `timeout` seconds, and the caller tries again later (core.run_writer does, off the GUI);
- a read-only one (file mode, folder, read-only file system, WAL without a writable -shm)
  is opened read-only: earlier runs are shown, writes raise RunStoreReadOnly.
`recovery_message` says what happened in plain words. The schema is created inside one
BEGIN IMMEDIATE transaction with CREATE TABLE IF NOT EXISTS, so two apps starting at once on
a missing file both end up with the same, single history.

Thread-safety: a RunStore belongs to the thread that created it (core.run_writer's thread in
the app). sqlite3 enforces this: calling it from another thread raises an error instead of
corrupting the file.
"""

from __future__ import annotations

import builtins
import contextlib
import csv
import io
import math
import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from charnames_gui.core.atomic import atomic_write
from charnames_gui.core.config import ModelConfig, TrainConfig, parameter_count
from charnames_gui.core.data import DEFAULT_SPLIT_SEED
from charnames_gui.core.errors import CharnamesError

RunStatus = Literal["finished", "stopped", "diverged", "failed"]
RUN_STATUSES: tuple[str, ...] = ("finished", "stopped", "diverged", "failed")
RUNS_FILENAME = "runs.db"
SCHEMA_VERSION = 3  # PRAGMA user_version of the database; bump it with a migration
# Columns added by each version, with their value for the runs recorded before it. Version 2:
# BatchNorm (a model option) and weight decay (a training one). Version 3: the standard
# errors of the train and dev losses (core/uncertainty.py; NULL: not measured).
_MIGRATIONS: dict[int, tuple[tuple[str, str], ...]] = {
    2: (("batchnorm", "INTEGER NOT NULL DEFAULT 0"), ("weight_decay", "REAL NOT NULL DEFAULT 0")),
    3: (("train_se", "REAL"), ("dev_se", "REAL")),
}
# A curve of at most this many points: ~16 KB per run as float32, and more points than a
# plot a few hundred pixels wide can show.
MAX_CURVE_POINTS = 2000
OPEN_TIMEOUT = 5.0  # seconds SQLite waits for another program's lock before "busy"
BUSY_MESSAGE = "The run history is busy (another Charnames is using it); it will be retried"


class RunStoreError(CharnamesError):
    """Reading or writing the run history failed (disk full, file locked, ...)."""


class RunStoreBusy(RunStoreError):
    """Another program holds the history locked: nothing was changed; try again later."""


class RunStoreReadOnly(RunStoreError):
    """The history can be read but not written (file mode, folder or file system)."""


class InvalidRunRecord(ValueError):
    """A record that is not a run this app could have made (a damaged row, a hand-edited
    pending file): it is never stored, and never stops other runs from being shown."""


MAX_TEXT = 10_000  # characters in a name, hash, note or group id
MAX_STORED_CURVE = 1_000_000  # points of a row's curve that is read (stored: MAX_CURVE_POINTS)
INT64 = 2**63 - 1  # SQLite's INTEGER


def _whole(name: str, value: Any, low: int, high: int = INT64) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRunRecord(f"{name} is not a whole number from {low:,} to {high:,}")
    return value


def _number(name: str, value: Any, optional: bool) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRunRecord(f"{name} is not a finite number")


def _text(name: str, value: Any, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InvalidRunRecord(f"{name} is not a text of at most {MAX_TEXT:,} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRunRecord(f"{name} holds invalid characters") from None


def check_record(record: RunRecord) -> RunRecord:
    """The record, when every field is what the app itself stores: InvalidRunRecord (a short
    reason) otherwise. Checked before a record is stored and after a row is read."""
    try:
        record.model.validate()
        record.train.validate()
    except (ValueError, TypeError, OverflowError) as exc:  # ConfigError is a ValueError
        raise InvalidRunRecord(str(exc)) from None
    _text("dataset_name", record.dataset_name)
    _text("dataset_hash", record.dataset_hash)
    _text("note", record.note)
    _text("group_id", record.group_id, optional=True)
    _text("created", record.created)
    if len(record.created) > 64:
        raise InvalidRunRecord("created is not a date")
    _whole("split_seed", record.split_seed, 0)
    _whole("steps_done", record.steps_done, 0)
    for name in ("group_index", "group_size"):
        if getattr(record, name) is not None:
            _whole(name, getattr(record, name), 0, 1_000_000)
    _number("seconds", record.seconds, optional=False)
    if record.seconds < 0:
        raise InvalidRunRecord("seconds is negative")
    for name in ("train_loss", "dev_loss", "test_loss"):
        value = getattr(record, name)
        if isinstance(value, float) and math.isnan(value):
            continue  # stored as NULL: not measured
        _number(name, value, optional=True)
    if record.status not in RUN_STATUSES:
        raise InvalidRunRecord(f"status must be one of {', '.join(RUN_STATUSES)}")
    if record.id is not None:
        _whole("id", record.id, 0)
    steps, losses = record.curve_steps, record.curve_loss
    if (
        not isinstance(steps, np.ndarray)
        or not isinstance(losses, np.ndarray)
        or steps.ndim != 1
        or steps.shape != losses.shape
        or len(steps) > MAX_STORED_CURVE
    ):
        raise InvalidRunRecord("its loss curve is not two lists of the same length")
    return record


def is_diverged(loss: float | None, vocab_size: int) -> bool:
    """True when a final loss is no better than uniform guessing, ln(V), or not finite.

    A run with lr 10 or 100 "finishes" with a loss far above ln(27) = 3.30: the network
    learnt nothing a constant 1/V guess would not give, so it diverged. None (no loss was
    measured) is not evidence of divergence."""
    if loss is None:
        return False
    return not math.isfinite(loss) or loss > math.log(vocab_size)


def recorded_status(
    ended: str, train_loss: float | None, dev_loss: float | None, vocab_size: int
) -> RunStatus:
    """The status a run is recorded with, from how the training loop ended.

    "finished" becomes "diverged" when the final loss (train split, or dev when the train
    loss is missing) stays above ln(V); "stopped", "diverged" and "failed" are kept (a run
    stopped early is usually above ln(V) with the lecture's init and is not a failure)."""
    if ended == "finished":
        final = train_loss if train_loss is not None else dev_loss
        return "diverged" if is_diverged(final, vocab_size) else "finished"
    if ended in ("stopped", "diverged", "failed"):
        return ended  # type: ignore[return-value]
    raise ValueError(f"a run that ended {ended!r} is not recorded")


def default_runs_path(data_dir: Path) -> Path:
    """Where the run history lives inside the app's data folder (the Qt layer passes
    QStandardPaths.AppDataLocation)."""
    return Path(data_dir) / RUNS_FILENAME


def _empty_curve() -> np.ndarray:
    return np.empty(0, dtype=np.float32)


@dataclass(eq=False)  # eq=False: the curves are arrays, compare records field by field
class RunRecord:
    """One training run, as the runs table shows it and the database stores it."""

    dataset_name: str
    dataset_hash: str  # Dataset.content_hash(): runs on the same words compare
    model: ModelConfig
    train: TrainConfig
    split_seed: int = DEFAULT_SPLIT_SEED  # the 80/10/10 shuffle: dev losses compare within one
    steps_done: int = 0  # optimisation steps actually done (fewer than train.steps if stopped)
    seconds: float = 0.0  # time spent in the training loop
    train_loss: float | None = None  # full train split after the last step
    dev_loss: float | None = None  # full dev split after the last step
    test_loss: float | None = None  # only once the user asked for it
    status: RunStatus = "finished"
    # standard errors of train_loss and dev_loss over their examples, clustered by name
    # (core/uncertainty.py); None: not measured
    train_se: float | None = None
    dev_se: float | None = None
    group_id: str | None = None  # the same id for the K-seed repeats of one configuration
    group_index: int | None = None  # 1-based position in the group
    group_size: int | None = None  # K
    note: str = ""
    curve_steps: np.ndarray = field(default_factory=_empty_curve)  # (n,) float32 step numbers
    curve_loss: np.ndarray = field(default_factory=_empty_curve)  # (n,) float32 mean loss
    id: int | None = None  # set by RunStore.add
    created: str = ""  # ISO 8601 local time; set by RunStore.add when empty

    @property
    def parameters(self) -> int:
        return parameter_count(self.model)

    @property
    def group_label(self) -> str:
        """'2 of 5' for the second of five seed repeats; '' for a single run."""
        if self.group_id is None or self.group_index is None or self.group_size is None:
            return ""
        return f"{self.group_index} of {self.group_size}"


# -- the database ---------------------------------------------------------------------------

MODEL_COLUMNS = ("block_size", "n_embd", "n_hidden", "vocab_size", "batchnorm")
TRAIN_COLUMNS = (
    "batch_size",
    "steps",
    "lr",
    "schedule",
    "lr_decay_at",
    "lr_after",
    "init",
    "seed",
    "engine",
    "weight_decay",
)
RESULT_COLUMNS = (
    "steps_done",
    "seconds",
    "train_loss",
    "dev_loss",
    "test_loss",
    "status",
    "group_id",
    "group_index",
    "group_size",
    "note",
    "train_se",
    "dev_se",
)
# The columns of the CSV export: everything except the curve, plus the parameter count.
CSV_COLUMNS = (
    "id",
    "created",
    "dataset_name",
    "dataset_hash",
    "split_seed",
    *MODEL_COLUMNS,
    "parameters",
    *TRAIN_COLUMNS,
    *RESULT_COLUMNS,
)

# IF NOT EXISTS: two apps starting at once on a missing file must not fail on each other.
_SCHEMA_STATEMENTS = (
    """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    dataset_name TEXT NOT NULL,
    dataset_hash TEXT NOT NULL,
    split_seed INTEGER NOT NULL,
    block_size INTEGER NOT NULL,
    n_embd INTEGER NOT NULL,
    n_hidden INTEGER NOT NULL,
    vocab_size INTEGER NOT NULL,
    batch_size INTEGER NOT NULL,
    steps INTEGER NOT NULL,
    lr REAL NOT NULL,
    schedule TEXT NOT NULL,
    lr_decay_at INTEGER NOT NULL,
    lr_after REAL NOT NULL,
    init TEXT NOT NULL,
    seed INTEGER NOT NULL,
    engine TEXT NOT NULL,
    batchnorm INTEGER NOT NULL DEFAULT 0,
    weight_decay REAL NOT NULL DEFAULT 0,
    steps_done INTEGER NOT NULL,
    seconds REAL NOT NULL,
    train_loss REAL,
    dev_loss REAL,
    test_loss REAL,
    status TEXT NOT NULL,
    group_id TEXT,
    group_index INTEGER,
    group_size INTEGER,
    note TEXT NOT NULL DEFAULT '',
    train_se REAL,
    dev_se REAL,
    curve_steps BLOB NOT NULL,  -- float32 little-endian, (n,)
    curve_loss BLOB NOT NULL    -- float32 little-endian, (n,)
)""",
    "CREATE INDEX IF NOT EXISTS runs_group ON runs (group_id)",
)
_ALL_COLUMNS = (
    "id",
    "created",
    "dataset_name",
    "dataset_hash",
    "split_seed",
    *MODEL_COLUMNS,
    *TRAIN_COLUMNS,
    *RESULT_COLUMNS,
    "curve_steps",
    "curve_loss",
)
_SORTABLE = frozenset(c for c in _ALL_COLUMNS if not c.startswith("curve_"))

# Every TrainConfig field needs a column: a new field means a new SCHEMA_VERSION and a
# migration (tests/core/test_runs.py checks this, so no field is silently left out).


class _Damaged(Exception):
    """SQLite calls the file corrupt (not a database, malformed): the message says why."""


class _Foreign(Exception):
    """A sound database that is not (this version's) run history: left as it is."""


class _ReadOnly(Exception):
    """The file can be read at most: SQLite refused a write (or creating -wal/-shm)."""


class _Unusable(Exception):
    """The file cannot be opened for another reason (no permission, I/O error): it is not
    damaged, so it is left where it is."""


def _kind(exc: sqlite3.Error) -> str:
    """'busy', 'read_only', 'damaged' or 'other', from SQLite's extended error name."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
        return "busy"
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return "read_only"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or (
        "not a database" in text or "malformed" in text
    ):
        return "damaged"
    return "other"


def _schema_state(conn: sqlite3.Connection) -> tuple[int, set[str]]:
    """(user_version, table names), read in one transaction: another app creating the
    schema meanwhile must not be seen half done (version 0 but the tables there)."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
    finally:
        if own:
            conn.execute("COMMIT")
    return version, tables


def _curve_blob(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(values, dtype="<f4").tobytes()


def _curve_from_blob(blob: bytes | None) -> np.ndarray:
    if not blob or len(blob) % 4:
        return _empty_curve()
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)  # a writable copy


def _real(value: float | None) -> float | None:
    """A float for SQLite (which stores NaN as NULL anyway)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _row_id(row: sqlite3.Row) -> int:
    try:
        return int(row["id"])
    except (TypeError, ValueError, OverflowError, IndexError):
        return -1


def _checked_row(row: sqlite3.Row) -> RunRecord | None:
    """The row as a checked record, or None when it is damaged."""
    try:
        return check_record(_record_from_row(row))
    except (ValueError, TypeError, OverflowError, KeyError, IndexError, AttributeError):
        return None


def _record_from_row(row: sqlite3.Row) -> RunRecord:
    # a history of schema 1 opened read-only has no batchnorm nor weight_decay: their defaults
    has = set(row.keys())
    model = ModelConfig(
        **{c: int(row[c]) for c in MODEL_COLUMNS if c != "batchnorm"},
        batchnorm=bool(row["batchnorm"]) if "batchnorm" in has else False,
    )
    train = TrainConfig(
        batch_size=int(row["batch_size"]),
        steps=int(row["steps"]),
        lr=float(row["lr"]),
        schedule=row["schedule"],
        lr_decay_at=int(row["lr_decay_at"]),
        lr_after=float(row["lr_after"]),
        init=row["init"],
        seed=int(row["seed"]),
        engine=row["engine"],
        weight_decay=float(row["weight_decay"]) if "weight_decay" in has else 0.0,
    )
    steps, losses = _curve_from_blob(row["curve_steps"]), _curve_from_blob(row["curve_loss"])
    if len(steps) != len(losses):  # a row written by hand or damaged: drop the curve only
        steps, losses = _empty_curve(), _empty_curve()
    return RunRecord(
        dataset_name=row["dataset_name"],
        dataset_hash=row["dataset_hash"],
        model=model,
        train=train,
        split_seed=int(row["split_seed"]),
        steps_done=int(row["steps_done"]),
        seconds=float(row["seconds"]),
        train_loss=row["train_loss"],
        dev_loss=row["dev_loss"],
        test_loss=row["test_loss"],
        status=row["status"],
        group_id=row["group_id"],
        group_index=row["group_index"],
        group_size=row["group_size"],
        note=row["note"] or "",
        train_se=row["train_se"] if "train_se" in has else None,
        dev_se=row["dev_se"] if "dev_se" in has else None,
        curve_steps=steps,
        curve_loss=losses,
        id=int(row["id"]),
        created=row["created"],
    )


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # full precision: the CSV is for analysis
    return str(value)


def write_runs_csv(records: Sequence[RunRecord], path: str | Path) -> int:
    """Write records as CSV, without curves; returns the number of rows written.

    Columns are CSV_COLUMNS; missing values are empty cells. Written with atomic_write: a
    failed export leaves the old file as it was (FileAccessError says why, in one line)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in records:
        row = {
            "id": r.id,
            "created": r.created,
            "dataset_name": r.dataset_name,
            "dataset_hash": r.dataset_hash,
            "split_seed": r.split_seed,
            **{c: getattr(r.model, c) for c in MODEL_COLUMNS},
            "parameters": r.parameters,
            **{c: getattr(r.train, c) for c in TRAIN_COLUMNS},
            **{c: getattr(r, c) for c in RESULT_COLUMNS},
        }
        writer.writerow([_csv_value(row[c]) for c in CSV_COLUMNS])
    atomic_write(path, out.getvalue())
    return len(records)


def record_to_dict(record: RunRecord) -> dict[str, Any]:
    """A record as JSON-ready values (curves as lists): for the writer's pending file."""
    values = {f: getattr(record, f) for f in _PLAIN_FIELDS}
    values["model"] = record.model.to_dict()
    values["train"] = record.train.to_dict()
    values["curve_steps"] = [float(v) for v in record.curve_steps]
    values["curve_loss"] = [float(v) for v in record.curve_loss]
    return values


def record_from_dict(values: dict[str, Any]) -> RunRecord:
    """The inverse of record_to_dict; ValueError/TypeError/KeyError on anything else."""
    plain = {f: values[f] for f in _PLAIN_FIELDS if f in values}
    record = RunRecord(
        model=ModelConfig(**values["model"]),
        train=TrainConfig(**values["train"]),
        curve_steps=np.asarray(values.get("curve_steps", []), dtype=np.float32),
        curve_loss=np.asarray(values.get("curve_loss", []), dtype=np.float32),
        **plain,
    )
    if record.status not in RUN_STATUSES or len(record.curve_steps) != len(record.curve_loss):
        raise ValueError("not a run record")
    return record


_PLAIN_FIELDS = (
    "dataset_name",
    "dataset_hash",
    "split_seed",
    "steps_done",
    "seconds",
    "train_loss",
    "dev_loss",
    "test_loss",
    "status",
    "group_id",
    "group_index",
    "group_size",
    "note",
    "id",
    "created",
)


class RunStore:
    """Run records in a SQLite file; see the module docstring for recovery and threads.

    Raises RunStoreBusy when another program keeps the file locked for `timeout` seconds
    (nothing is renamed or created then). Attributes for the caller:
        recovery_message  a sentence for the user when the file was damaged, read-only or
                          could not be opened, else None
        created_new       True when the history was started empty by this open
        persistent        False when the file could not be used at all: the records then
                          live in memory for this session only (recovery_message says so)
        read_only         True when earlier runs can be read but nothing can be written
    """

    def __init__(self, path: str | Path, timeout: float = OPEN_TIMEOUT) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.recovery_message: str | None = None
        self.created_new = False
        self.persistent = True
        self.read_only = False
        self.skipped: list[int] = []  # ids of the damaged rows the last list() left out
        self._conn = self._open_or_recover()

    # -- opening ---------------------------------------------------------------------------
    def _open_or_recover(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return self._in_memory(f"its folder cannot be created ({exc.strerror or exc})")
        try:
            return self._open_checked()
        except _ReadOnly:
            return self._open_read_only()
        except _Unusable as exc:
            return self._in_memory(f"it cannot be opened ({exc})")
        except _Foreign as exc:  # sound, only not ours: never renamed
            return self._in_memory(f"{exc}; it was left as it is")
        except _Damaged as damage:
            reason = str(damage)
        try:
            aside = self._move_aside()
        except OSError as exc:
            return self._in_memory(
                f"it is damaged ({reason}) and cannot be moved aside ({exc.strerror or exc})"
            )
        try:
            conn = self._open_checked()
        except (_Damaged, _Foreign, _ReadOnly, _Unusable) as exc:
            return self._in_memory(f"a new file cannot be created there ({exc})")
        self.recovery_message = (
            f"The run history {self.path} could not be read ({reason}). It was kept as "
            f"{aside.name} and a new, empty history was started."
        )
        return conn

    def _connect(self, target: str, uri: bool = False) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; every write below is one
        # statement (its own transaction) and schema creation uses an explicit one.
        conn = sqlite3.connect(target, timeout=self.timeout, isolation_level=None, uri=uri)
        conn.row_factory = sqlite3.Row
        return conn

    def _open_checked(self) -> sqlite3.Connection:
        """Open the file, creating the schema if it is new.

        RunStoreBusy: locked by another program; _ReadOnly: it cannot be written;
        _Damaged: SQLite calls it corrupt; _Foreign: a sound database with another schema;
        _Unusable: otherwise."""
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:
            conn = self._connect(str(self.path))
        except sqlite3.Error as exc:
            raise self._classified(exc) from exc
        try:
            self._check_schema(conn, may_create=True)
            self._check_writable(conn)
            # WAL: a crash mid-write leaves the last committed state intact. Some file systems
            # (network drives) cannot do WAL; the default journal is still safe there.
            if not self.read_only:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.Error as exc:
            conn.close()
            raise self._classified(exc) from exc
        except (_Damaged, _Foreign):
            conn.close()
            raise
        if not existed:
            self.created_new = True
        return conn

    def _classified(self, exc: sqlite3.Error) -> Exception:
        kind = _kind(exc)
        if kind == "busy":
            return RunStoreBusy(BUSY_MESSAGE)
        if kind == "read_only":
            return _ReadOnly(str(exc))
        if kind == "damaged":
            return _Damaged(str(exc))
        return _Unusable(str(exc))

    def _check_writable(self, conn: sqlite3.Connection) -> None:
        """SQLite opens a file it cannot write read-only without a word; ask for the write
        lock to find out now (read-only raises), not at the first run to record. A lock
        held by another program says nothing about the file: the writes will wait."""
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:  # a write that changes nothing, rolled back (in WAL mode the lock alone
                # can succeed on a read-only file)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            finally:
                conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            if _kind(exc) != "busy":
                raise

    def _check_schema(self, conn: sqlite3.Connection, may_create: bool) -> None:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise _Damaged(f"integrity check failed: {check}")
        version, tables = _schema_state(conn)
        if version == 0 and not tables and may_create:
            # One transaction, taken with the write lock: another app starting at the same
            # moment waits here, then finds the schema made and leaves it alone.
            conn.execute("BEGIN IMMEDIATE")
            try:
                version, tables = _schema_state(conn)
                if version == 0 and not tables:
                    for statement in _SCHEMA_STATEMENTS:
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    self.created_new = True
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            version, tables = _schema_state(conn)
        if version > SCHEMA_VERSION:
            raise _Foreign(f"it was made by a newer version of the app (schema {version})")
        if not 1 <= version <= SCHEMA_VERSION or "runs" not in tables:
            raise _Foreign("it is not a charnames-gui run history")
        if version < SCHEMA_VERSION and may_create:
            version = self._migrate(conn)
        added = {name for v in range(version + 1, SCHEMA_VERSION + 1) for name, _ in _MIGRATIONS[v]}
        columns = {r[1] for r in conn.execute("PRAGMA table_info(runs)")}
        if columns != set(_ALL_COLUMNS) - added:
            raise _Foreign("its table of runs has unexpected columns")
        # a trigger runs with every write: one planted in the file could delete the runs
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' LIMIT 1").fetchone():
            raise _Foreign("it has triggers, which this app never makes")

    def _migrate(self, conn: sqlite3.Connection) -> int:
        """Bring an older history up to SCHEMA_VERSION (new columns, with the value the old
        runs had), in one transaction with the write lock; returns the version it is at. A
        history that cannot be written stays as it is (and is read as it is)."""
        conn.execute("BEGIN IMMEDIATE")  # read-only or busy: raised, and handled as such
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            for v in range(version + 1, SCHEMA_VERSION + 1):
                for name, kind in _MIGRATIONS[v]:
                    conn.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        return SCHEMA_VERSION

    def _open_read_only(self) -> sqlite3.Connection:
        """Read a history that cannot be written: mode=ro, or immutable=1 when even the WAL
        index (-shm) cannot be made (a read-only folder or file system)."""
        base = self.path.resolve().as_uri()
        last: Exception | None = None
        for query in ("?mode=ro", "?mode=ro&immutable=1"):
            try:
                conn = self._connect(base + query, uri=True)
            except sqlite3.Error as exc:
                last = exc
                continue
            try:
                self._check_schema(conn, may_create=False)
            except (sqlite3.Error, _Damaged, _Foreign) as exc:
                conn.close()
                if isinstance(exc, sqlite3.Error) and _kind(exc) == "busy":
                    raise RunStoreBusy(BUSY_MESSAGE) from exc
                last = exc
                continue
            self.read_only = True
            self.recovery_message = (
                f"The run history {self.path} is read-only: earlier runs are shown, but new "
                "runs are kept for this session only."
            )
            return conn
        return self._in_memory(f"it is read-only and cannot be read ({last})")

    def _move_aside(self) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}-{n}")
        # The journal files belong to the damaged file: keep them with it, or SQLite would
        # replay them into the new database.
        for suffix in ("-wal", "-shm", "-journal"):
            extra = self.path.with_name(self.path.name + suffix)
            if extra.exists():
                os.replace(extra, aside.with_name(aside.name + suffix))
        if self.path.exists():
            os.replace(self.path, aside)
        return aside

    def _in_memory(self, reason: str) -> sqlite3.Connection:
        self.persistent = False
        self.created_new = True
        self.recovery_message = (
            f"The run history {self.path} cannot be used: {reason}. Runs of this session are "
            "kept in memory only and will be lost when the app closes."
        )
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.row_factory = sqlite3.Row
        for statement in _SCHEMA_STATEMENTS:
            conn.execute(statement)
        return conn

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing: one transaction (one commit) per call -------------------------------------
    def _write(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        """One statement, committed on its own (autocommit). RunStoreBusy when another
        program kept the file locked for `timeout` seconds: retry later."""
        if self.read_only:
            raise RunStoreReadOnly(f"The run history {self.path} is read-only")
        try:
            return self._conn.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            kind = _kind(exc)
            if kind == "busy":
                raise RunStoreBusy(BUSY_MESSAGE) from exc
            if kind == "read_only":
                raise RunStoreReadOnly(f"The run history {self.path} is read-only") from exc
            raise RunStoreError(f"Could not save to the run history {self.path}: {exc}") from exc

    def add(self, record: RunRecord) -> RunRecord:
        """Store a record; returns a copy with its new id (and creation time, if it had none).
        InvalidRunRecord (nothing stored) when a field is not what the app stores."""
        created = record.created or datetime.now().astimezone().isoformat(timespec="seconds")
        check_record(replace(record, created=created))
        values: dict[str, Any] = {
            "created": created,
            "dataset_name": record.dataset_name,
            "dataset_hash": record.dataset_hash,
            "split_seed": int(record.split_seed),
            **{c: int(getattr(record.model, c)) for c in MODEL_COLUMNS},
            **{c: getattr(record.train, c) for c in TRAIN_COLUMNS},
            "steps_done": int(record.steps_done),
            "seconds": float(record.seconds),
            "train_loss": _real(record.train_loss),
            "dev_loss": _real(record.dev_loss),
            "test_loss": _real(record.test_loss),
            "status": record.status,
            "group_id": record.group_id,
            "group_index": record.group_index,
            "group_size": record.group_size,
            "note": record.note,
            "train_se": _real(record.train_se),
            "dev_se": _real(record.dev_se),
            "curve_steps": _curve_blob(record.curve_steps),
            "curve_loss": _curve_blob(record.curve_loss),
        }
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self._write(f"INSERT INTO runs ({names}) VALUES ({marks})", values.values())
        stored = self.get(int(cursor.lastrowid or 0))
        if stored is None:  # pragma: no cover - the insert just succeeded
            raise RunStoreError("The run was saved but cannot be read back")
        return stored

    def delete(self, run_ids: Iterable[int]) -> int:
        """Delete runs by id; returns how many were deleted."""
        ids = [int(i) for i in run_ids]
        if not ids:
            return 0
        marks = ", ".join("?" for _ in ids)
        return self._write(f"DELETE FROM runs WHERE id IN ({marks})", ids).rowcount

    def update_note(self, run_id: int, note: str) -> None:
        self._write("UPDATE runs SET note = ? WHERE id = ?", (str(note), int(run_id)))

    def set_test_loss(self, run_id: int, loss: float | None) -> None:
        self._write("UPDATE runs SET test_loss = ? WHERE id = ?", (_real(loss), int(run_id)))

    # -- reading ---------------------------------------------------------------------------
    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            if _kind(exc) == "busy":
                raise RunStoreBusy(BUSY_MESSAGE) from exc
            raise RunStoreError(f"Could not read the run history {self.path}: {exc}") from exc

    def get(self, run_id: int) -> RunRecord | None:
        rows = self._read("SELECT * FROM runs WHERE id = ?", (int(run_id),))
        return _checked_row(rows[0]) if rows else None

    def __len__(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM runs")[0][0])

    def export_csv(self, path: str | Path, ids: Iterable[int] | None = None) -> int:
        """Write the runs (all, or those with the given ids) as CSV; see write_runs_csv."""
        records = self.list()
        if ids is not None:
            wanted = {int(i) for i in ids}
            records = [r for r in records if r.id in wanted]
        return write_runs_csv(records, path)

    def list(
        self,
        order_by: str = "id",
        descending: bool = False,
        dataset_hash: str | None = None,
        group_id: str | None = None,
    ) -> list[RunRecord]:
        """Runs sorted by a column (any stored column but the curves), optionally only those
        of one dataset or one K-seed group. Missing values (NULL) sort first."""
        if order_by not in _SORTABLE:
            raise ValueError(f"cannot sort runs by {order_by!r}")
        where, params = [], []
        if dataset_hash is not None:
            where.append("dataset_hash = ?")
            params.append(dataset_hash)
        if group_id is not None:
            where.append("group_id = ?")
            params.append(group_id)
        sql = "SELECT * FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        direction = "DESC" if descending else "ASC"
        sql += f" ORDER BY {order_by} {direction}, id {direction}"
        return self._records(self._read(sql, params))

    def _records(self, rows: Iterable[sqlite3.Row]) -> builtins.list[RunRecord]:
        """The rows as records; a damaged row (a wrong type, an absurd value) is left out
        and its id kept in `skipped` (its neighbours are shown)."""
        records: builtins.list[RunRecord] = []
        skipped: builtins.list[int] = []
        for row in rows:
            record = _checked_row(row)
            if record is None:
                skipped.append(_row_id(row))
            else:
                records.append(record)
        self.skipped = skipped
        return records

    def skipped_message(self) -> str | None:
        """A sentence about the rows the last list() left out, or None."""
        if not self.skipped:
            return None
        ids = ", ".join(f"#{i}" for i in self.skipped[:10]) + (
            ", ..." if len(self.skipped) > 10 else ""
        )
        count = len(self.skipped)
        return (
            f"{count} run{'s' if count != 1 else ''} of the history ({ids}) "
            f"{'are' if count != 1 else 'is'} damaged and not shown; the others are."
        )
