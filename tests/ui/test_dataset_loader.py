"""Opening a large dataset does not block the GUI thread; small ones open at once."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from charnames_gui.ui.datasets import LOAD_IN_BACKGROUND_BYTES
from charnames_gui.ui.window.main_window import MainWindow


def big_names_file(folder: Path, n_names: int = 300_000) -> Path:
    rng = random.Random(0)
    letters = "abcdefghijklmnopqrstuvwxyz"
    names = ("".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(n_names))
    path = folder / "big.txt"
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    assert path.stat().st_size > LOAD_IN_BACKGROUND_BYTES
    return path


def test_opening_a_big_dataset_keeps_the_event_loop_running(
    qtbot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    window = make_window()
    small_model = window.controller.document.model
    big = big_names_file(tmp_path)
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    statuses: list[str] = []
    window.controller.statusMessage.connect(statuses.append)
    try:
        with qtbot.waitSignal(window.controller.modelReset, timeout=60_000):
            assert window.file_commands.open_dataset(big)  # returns at once: loading
            ticks.clear()  # count only the ticks while the file loads
            assert statuses[-1].startswith("Opening big.txt (2 MB)")
    finally:
        timer.stop()
    assert len(ticks) > 0, "the GUI thread was blocked while the dataset loaded"
    controller = window.controller
    assert controller.document.dataset is not None and controller.document.dataset.name == "big.txt"
    assert len(controller.document.dataset.words) == 300_000
    assert controller.document.model is not small_model  # the new model is for the big dataset
    assert window.recent_files.paths()[0] == str(big.resolve())


def test_a_big_file_that_is_not_names_shows_a_message(
    qtbot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    window = make_window()
    model_before = window.controller.document.model
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"emma\x00" * 400_000)  # 2 MB: read on the worker thread
    with qtbot.waitSignal(window.controller.errorOccurred, timeout=60_000) as blocker:
        assert window.file_commands.open_dataset(binary)
    assert "binary file" in blocker.args[1]
    assert window.controller.document.model is model_before
    assert (
        window.controller.document.dataset is not None
        and window.controller.document.dataset.name == "small.txt"
    )


def test_a_second_open_while_loading_is_refused(
    qtbot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    window = make_window()
    big = big_names_file(tmp_path)
    with qtbot.waitSignal(window.controller.modelReset, timeout=60_000):
        assert window.file_commands.open_dataset(big)
        with qtbot.waitSignal(window.controller.statusMessage) as blocker:
            assert not window.controller.open_dataset(big)
        assert "Still opening big.txt" in blocker.args[0]


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_device_is_refused_at_once(
    qtbot, make_window: Callable[..., MainWindow], tmp_path: Path, kind: str
) -> None:
    window = make_window()
    path = tmp_path / "names.txt"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    assert not window.file_commands.open_dataset(path)
    assert ("named pipe" if kind == "fifo" else "device") in window.dialogs.errors[-1][1]
    assert not window.controller.dataset_loader.busy
