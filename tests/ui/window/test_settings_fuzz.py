"""The window-level settings fuzzer, at a small count (benchmarks/settings_fuzz.py runs
1,000 and more): a real saved settings.json, mutated in bytes and in values with a fixed
seed; the window shows every time, and what it saves then reads back whole."""

from __future__ import annotations

from pathlib import Path

from settings_mutations import mutated_files, real_settings, start_on

CASES = 6  # ~0.7 s a window
SEED = 18


def test_the_window_shows_on_every_mutated_settings_file(qtbot, tmp_path: Path) -> None:
    real = real_settings(tmp_path)
    said = [start_on(data, tmp_path) for data in mutated_files(real, CASES, SEED)]
    assert len(said) == CASES
    # some mutations are read whole (a changed value of the right kind), most are not
    assert any(s.startswith("The settings file could not be fully read") for s in said)
