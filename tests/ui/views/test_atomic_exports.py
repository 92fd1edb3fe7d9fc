"""Every export of a view (loss CSV, loss and embedding PNGs, runs CSV, names) goes through
atomic_write: on a failure (a full disk) the file that was there is left whole."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from test_loss_plot import _plot

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.errors import FileAccessError
from charnames_gui.core.runs import RunRecord, write_runs_csv
from charnames_gui.ui.views.name_list import GeneratedNames

OLD = b"what the learner made before\n"
RUN = RunRecord("names.txt", "ab" * 32, ModelConfig(), TrainConfig(), id=1, created="today")


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)


def _exports(qtbot) -> dict[str, Callable[[Path], object]]:  # type: ignore[no-untyped-def]
    plot = _plot(qtbot)
    names = GeneratedNames()
    qtbot.addWidget(names)
    return {
        "loss-csv": plot.export_csv,
        "loss-png": plot.export_png,
        "runs-csv": lambda path: write_runs_csv([RUN], path),
        "names": names.export,
    }


@pytest.mark.parametrize("kind", ["loss-csv", "loss-png", "runs-csv", "names"])
def test_a_failed_export_leaves_the_old_file(qtbot, tmp_path: Path, monkeypatch, kind: str) -> None:  # type: ignore[no-untyped-def]
    export = _exports(qtbot)[kind]
    target = tmp_path / "out"
    target.write_bytes(OLD)
    os.chmod(target, 0o640)
    _full_disk(monkeypatch)
    with pytest.raises(FileAccessError, match="No space left"):
        export(target)
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary file left
    monkeypatch.undo()
    export(target)  # and a later export replaces it, keeping its permissions
    assert target.read_bytes() != OLD
    assert target.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("kind", ["loss-csv", "names"])
def test_an_export_never_blocks_on_a_named_pipe(qtbot, tmp_path: Path, kind: str) -> None:  # type: ignore[no-untyped-def]
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(FileAccessError, match="named pipe"):
        _exports(qtbot)[kind](fifo)
