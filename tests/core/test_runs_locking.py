"""The run history under a lock, a race, a read-only file and a corrupt one.

Only a file SQLite calls corrupt is moved aside. A locked one is reported busy and left
alone, two starts on a missing file make one history, a read-only one is read read-only.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from runs_helpers import make_record  # tests/core is on sys.path

import charnames_gui
from charnames_gui.core.runs import (
    RunStore,
    RunStoreBusy,
    RunStoreReadOnly,
    is_diverged,
    record_from_dict,
    record_to_dict,
    recorded_status,
)


def _history_with(path: Path, n: int, journal: str = "wal") -> None:
    store = RunStore(path)
    for i in range(n):
        store.add(make_record(dev_loss=2 + i / 100))
    store.close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.close()


def _lock(path: Path) -> sqlite3.Connection:
    """Another program holding the history: BEGIN EXCLUSIVE, as in the issue's repro."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


def test_locked_history_at_open_is_busy_not_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    _history_with(path, 25, journal="delete")  # rollback journal: the lock stops readers too
    holder = _lock(path)
    with pytest.raises(RunStoreBusy) as busy:
        RunStore(path, timeout=0.1)
    assert "busy" in str(busy.value)
    assert not list(tmp_path.glob("runs.db.damaged-*"))
    holder.execute("ROLLBACK")
    holder.close()
    store = RunStore(path)
    assert len(store) == 25 and store.recovery_message is None
    store.close()


def test_write_locked_wal_history_opens_and_a_write_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    _history_with(path, 25)
    holder = _lock(path)
    store = RunStore(path, timeout=0.1)  # WAL: readers are not held up by the writer
    assert len(store) == 25 and store.recovery_message is None
    with pytest.raises(RunStoreBusy):
        store.add(make_record())
    holder.execute("ROLLBACK")
    holder.close()
    store.add(make_record())
    assert len(store) == 26
    store.close()
    assert not list(tmp_path.glob("runs.db.damaged-*"))


def _start_store(path: str, start: multiprocessing.synchronize.Event) -> str:
    start.wait()
    try:
        store = RunStore(path)
    except Exception as exc:
        return f"error: {exc}"
    message = store.recovery_message or ""
    store.add(make_record())
    store.close()
    return message


def test_two_starts_on_a_missing_history_make_one(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(2) as pool:
        for trial in range(15):
            path = tmp_path / f"trial{trial}" / "runs.db"
            path.parent.mkdir()
            start = manager.Event()
            results = [pool.apply_async(_start_store, (str(path), start)) for _ in range(2)]
            start.set()
            messages = [r.get(timeout=60) for r in results]
            assert messages == ["", ""], (trial, messages)
            assert not list(path.parent.glob("runs.db.damaged-*")), trial
            store = RunStore(path)
            assert len(store) == 2
            store.close()


_READ_ONLY_PROBE = """
import json, sys
from charnames_gui.core.runs import RunStore, RunStoreReadOnly
store = RunStore(sys.argv[1])
runs = store.list()
try:
    store.add(runs[0])
    wrote = True
except (RunStoreReadOnly, IndexError):
    wrote = False
print(json.dumps({"read_only": store.read_only, "message": store.recovery_message,
                  "runs": len(store), "wrote": wrote, "persistent": store.persistent}))
"""


def _probe_as_other_user(path: Path) -> dict[str, object]:
    """Open the history in a process that file modes apply to (root ignores them)."""
    env = {**os.environ, "PYTHONPATH": str(Path(charnames_gui.__file__).parents[1])}
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("needs setpriv to test file modes as root")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    done = subprocess.run(
        [*prefix, sys.executable, "-c", _READ_ONLY_PROBE, str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=path.parent,
        timeout=60,
        check=False,
    )
    if prefix and done.returncode != 0 and "ModuleNotFoundError" in done.stderr:
        # the checkout or its virtualenv sits in a folder private to root (mktemp -d)
        pytest.skip("the other user cannot read this checkout: file modes not testable here")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder the other user can reach (pytest's own tmp folders are private to root,
    and other pytest runs reset their mode)."""
    folder = Path(tempfile.mkdtemp(prefix="charnames-ro-"))
    os.chmod(folder, 0o755)
    yield folder
    for sub in [folder, *folder.rglob("*")]:
        if sub.is_dir():
            os.chmod(sub, 0o755)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_read_only_file_is_read_read_only(shared_dir: Path, journal: str) -> None:
    path = shared_dir / "runs.db"
    _history_with(path, 3, journal)
    os.chmod(path, 0o444)
    result = _probe_as_other_user(path)
    assert result["read_only"] and result["runs"] == 3 and not result["wrote"], result
    assert "read-only" in str(result["message"])
    assert not list(shared_dir.glob("runs.db.damaged-*"))


def test_wal_history_in_a_read_only_folder_is_read_read_only(shared_dir: Path) -> None:
    folder = shared_dir / "ro"
    folder.mkdir()
    path = folder / "runs.db"
    _history_with(path, 3, "wal")  # no -wal/-shm left, and none can be made
    os.chmod(folder, 0o555)
    try:
        result = _probe_as_other_user(path)
    finally:
        os.chmod(folder, 0o755)
    assert result["read_only"] and result["runs"] == 3 and result["persistent"]
    assert "read-only" in str(result["message"])
    assert not list(folder.glob("runs.db.damaged-*"))


def test_a_write_to_a_read_only_store_says_read_only(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    _history_with(path, 1)
    store = RunStore(path)
    store.read_only = True  # as _open_read_only leaves it
    with pytest.raises(RunStoreReadOnly):
        store.add(make_record())
    store.close()


def test_garbage_is_the_only_thing_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    path.write_bytes(b"this is not a database" * 100)
    store = RunStore(path)
    assert store.recovery_message is not None and "kept as" in store.recovery_message
    assert len(list(tmp_path.glob("runs.db.damaged-*"))) == 1
    store.close()


def test_a_loss_above_uniform_guessing_is_diverged() -> None:
    v = 27  # ln(27) = 3.296
    assert recorded_status("finished", 3.31, 3.4, v) == "diverged"  # lr 10: learnt nothing
    assert recorded_status("finished", float("nan"), None, v) == "diverged"
    assert recorded_status("finished", 2.1, 2.2, v) == "finished"
    assert recorded_status("finished", None, 3.5, v) == "diverged"  # dev when no train loss
    assert recorded_status("stopped", 9.0, 9.0, v) == "stopped"  # stopped early: not judged
    assert recorded_status("failed", None, None, v) == "failed"
    assert not is_diverged(None, v)
    with pytest.raises(ValueError):
        recorded_status("paused", 2.0, 2.0, v)


def test_record_dict_round_trip() -> None:
    record = make_record(status="failed", group_id="g", group_index=1, group_size=2)
    again = record_from_dict(json.loads(json.dumps(record_to_dict(record))))
    assert again.status == "failed" and again.train == record.train
    assert again.model == record.model and again.group_label == "1 of 2"
    assert list(again.curve_loss) == list(record.curve_loss)
