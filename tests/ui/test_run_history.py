"""RunHistory: the run writer's events handed to the GUI thread, never into a closed one."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.runs import RunRecord
from charnames_gui.ui import run_history
from charnames_gui.ui.run_history import RunHistory

WAIT = 10_000


def _record() -> RunRecord:
    return RunRecord(
        dataset_name="names.txt",
        dataset_hash="ab" * 32,
        model=ModelConfig(3, 2, 10, 27),
        train=TrainConfig(steps=10),
        steps_done=10,
        seconds=1.0,
        train_loss=2.0,
        dev_loss=2.1,
        curve_steps=np.arange(1, 11, dtype=np.float32),
        curve_loss=np.linspace(3.0, 2.1, 10).astype(np.float32),
    )


def test_close_waits_for_an_event_being_handed_over(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window deletes its history right after close(): an event the writer's thread was
    emitting into it then must be done, even when the writer outlasts close()'s wait for its
    last writes (a loaded machine). The hand-over is held here, inside the emit, by a slot
    the signal calls on the writer's thread."""
    monkeypatch.setattr(run_history, "CLOSE_TIMEOUT", 0.01)  # the writer outlasts the wait
    history = RunHistory(tmp_path / "runs.db")
    qtbot.waitUntil(lambda: history.is_open, timeout=WAIT)
    inside, release = threading.Event(), threading.Event()

    def held(_event: object) -> None:  # on the writer's thread, within the hand-over
        inside.set()
        release.wait(WAIT / 1000)

    history._event.connect(held, Qt.ConnectionType.DirectConnection)
    history.add(_record())
    assert inside.wait(WAIT / 1000)
    closed = threading.Event()
    closer = threading.Thread(target=lambda: (history.close(), closed.set()))
    closer.start()
    # close() cannot return while the hand-over is under way (it returned after its 0.01 s
    # wait before): a bounded wait that can only pass late, never fail early
    assert not closed.wait(0.3)
    release.set()
    closer.join(WAIT / 1000)
    assert closed.is_set()
