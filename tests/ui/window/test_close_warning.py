"""Closing the window never loses a run silently: runs the history could not keep (a full
disk) are tried once more, then the learner is asked, once."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers import ScriptedDialogs

from charnames_gui.core import run_writer
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.runs import MAX_CURVE_POINTS, RunRecord, RunStore, RunStoreError
from charnames_gui.ui.window.main_window import MainWindow


def a_run() -> RunRecord:
    return RunRecord(
        dataset_name="names.txt",
        dataset_hash="ab" * 32,
        model=ModelConfig(3, 10, 200, 27),
        train=TrainConfig(steps=5000, lr=0.2, lr_decay_at=2500, lr_after=0.02, seed=7),
        split_seed=42,
        steps_done=5000,
        seconds=12.5,
        train_loss=2.1,
        dev_loss=2.2,
        status="finished",
        curve_steps=np.linspace(1, 5000, MAX_CURVE_POINTS).astype(np.float32),
        curve_loss=np.linspace(3.3, 2.1, MAX_CURVE_POINTS).astype(np.float32),
    )


def test_closing_with_unrecorded_runs_retries_then_asks_once(
    qtbot, make_window: Callable[..., MainWindow], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialogs = ScriptedDialogs(confirm_answer=False)
    window = make_window(open_data=False, dialogs=dialogs)
    history = window.run_history
    qtbot.waitUntil(lambda: history.is_open, timeout=10_000)
    real_write = run_writer.atomic_write

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def refuse(self: RunStore, record: object) -> None:
        raise RunStoreError("Could not save to the run history: database or disk is full")

    monkeypatch.setattr(run_writer, "atomic_write", full_disk)
    monkeypatch.setattr(RunStore, "add", refuse)
    history.add(a_run())
    qtbot.waitUntil(lambda: history.unrecorded()[0] == 1, timeout=10_000)

    # still full: asked once, with the count and the reason; Cancel keeps the window open
    assert not window.close()
    assert window.isVisible()
    assert len(dialogs.questions) == 1
    assert "1 run could not be recorded" in dialogs.questions[0]
    assert "No space left on device" in dialogs.questions[0]

    # space freed: the retry keeps the run in the pending file, and the window closes
    # without a question (the run is recorded at the next start)
    monkeypatch.setattr(run_writer, "atomic_write", real_write)
    assert window.close()
    assert len(dialogs.questions) == 1
    assert history.unrecorded() == (0, None)
    assert run_writer.pending_path(history.path).is_file()


def test_closing_anyway_when_the_learner_says_so(
    qtbot, make_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    dialogs = ScriptedDialogs(confirm_answer=True)
    window = make_window(open_data=False, dialogs=dialogs)
    monkeypatch.setattr(window.run_history, "unrecorded", lambda: (3, "the disk is full"))
    monkeypatch.setattr(
        window.run_history, "retry_pending", lambda wait=0.0: (3, "the disk is full")
    )
    assert window.close()
    assert dialogs.questions == [
        "3 runs could not be recorded in the run history (the disk is full), and would be "
        "lost if the window closes now. Free some disk space and close again to keep them, "
        "or close anyway?"
    ]


def test_a_close_with_every_run_recorded_asks_nothing(
    qtbot, make_window: Callable[..., MainWindow]
) -> None:
    dialogs = ScriptedDialogs(confirm_answer=False)
    window = make_window(open_data=False, dialogs=dialogs)
    assert window.close()
    assert dialogs.questions == []
