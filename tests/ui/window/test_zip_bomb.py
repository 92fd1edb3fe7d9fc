"""A zip bomb opened through the window: refused with a clear message before it is inflated,
so memory stays bounded whatever the file claims (benchmarks/gui_zip_bomb.py measures the
peak RSS and the GUI thread's longest gap for the issue's 2 MB and 4 MB bombs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import ScriptedDialogs
from hostile_files import write_bomb

from charnames_gui.ui.window.main_window import MainWindow

CLAIMED = 512 << 20  # bytes the bomb inflates to (a 0.5 MB file)
MEMORY_CAP_MB = 64  # what opening it may add to the peak (the file, a checked copy, a message)


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def _reset_peak() -> None:
    """The process's peak RSS (VmHWM) back to its RSS now (Linux: /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        pytest.skip("the peak RSS cannot be reset here")


def test_a_zip_bomb_is_refused_with_bounded_memory(
    qtbot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    bomb = write_bomb(tmp_path / "bomb.pt", CLAIMED)
    dialogs = ScriptedDialogs()
    window = make_window(open_data=False, dialogs=dialogs)
    _reset_peak()
    before = _status_mb("VmRSS")
    window.file_commands.open_path(bomb)
    qtbot.waitUntil(lambda: bool(dialogs.errors), timeout=20_000)
    growth = _status_mb("VmHWM") - before
    # inflated, it would add 512 MB (torch.load's reader holds the whole entry)
    assert growth < MEMORY_CAP_MB, f"the peak grew {growth:.0f} MB opening a bomb"
    _title, message = dialogs.errors[-1]
    assert "bomb.pt has compressed entries" in message and "not opened" in message
    assert window.isVisible()
    assert window.controller.document.path is None  # nothing was opened
