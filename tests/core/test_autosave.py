"""Rescued models' folder: unique names, notes read as untrusted input, odd files ignored."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from charnames_gui.core.autosave import (
    NOTE_MAX_BYTES,
    RescueNote,
    describe,
    discard,
    find_rescued,
    new_rescue_path,
    note_path,
    write_note,
)


def test_a_new_name_never_takes_an_existing_file(tmp_path: Path) -> None:
    first = new_rescue_path(tmp_path, now=1_700_000_000, pid=42)
    assert first.name.startswith("unsaved-") and first.name.endswith("-42.safetensors")
    first.write_bytes(b"kept")
    second = new_rescue_path(tmp_path, now=1_700_000_000, pid=42)
    assert second != first and second.name.endswith("-42-2.safetensors")
    note_path(second).write_text("{}")  # a note alone also takes the name
    assert new_rescue_path(tmp_path, now=1_700_000_000, pid=42).name.endswith("-42-3.safetensors")
    assert first.read_bytes() == b"kept"


def test_a_note_round_trips_and_the_question_says_what_it_knows(tmp_path: Path) -> None:
    model = new_rescue_path(tmp_path)
    model.write_bytes(b"model")
    write_note(model, RescueNote("/home/ada/mine.safetensors", "names.txt", 1234, 1.7e9))
    (found,) = find_rescued(tmp_path)
    assert found.model == model
    assert found.note == RescueNote("/home/ada/mine.safetensors", "names.txt", 1234, 1.7e9)
    question = describe(found)
    assert "1,234 steps" in question and "names.txt" in question
    assert "mine.safetensors" in question and "/home/ada" not in question
    discard(model)
    assert list(tmp_path.iterdir()) == []
    discard(model)  # already gone: no error


@pytest.mark.parametrize(
    "note",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"steps": 1e999, "rescued_at": ' + "9" * 400 + "}",
        '{"steps": true, "rescued_at": NaN, "original": 5}',
        '{"original": "\\u001b[31mred\\u0007' + "x" * 5000 + '"}',
        "\xff\xfe not utf-8",
        "",
    ],
    ids=["deep", "huge-numbers", "wrong-kinds", "control-and-long", "not-utf8", "empty"],
)
def test_a_hostile_note_only_makes_the_question_shorter(tmp_path: Path, note: str) -> None:
    model = new_rescue_path(tmp_path)
    model.write_bytes(b"model")
    note_path(model).write_bytes(note.encode("latin-1"))  # "\xff\xfe": not UTF-8
    (found,) = find_rescued(tmp_path)
    question = describe(found)
    assert "not saved" in question and len(question) < 700
    assert "\x1b" not in question and "\x07" not in question


def test_odd_files_in_the_folder_are_never_opened_or_listed(tmp_path: Path) -> None:
    kept = new_rescue_path(tmp_path, now=1_700_000_000, pid=1)
    kept.write_bytes(b"model")
    os.mkfifo(note_path(kept))  # a pipe as its note: never read (no hang)
    os.mkfifo(tmp_path / "unsaved-20260101-000000-2.safetensors")
    (tmp_path / "unsaved-20260101-000000-3.safetensors").mkdir()
    (tmp_path / "unsaved-20260101-000000-4.safetensors").symlink_to(kept)
    (tmp_path / "mine.safetensors").write_bytes(b"a learner's file, not a rescue")
    big = new_rescue_path(tmp_path, now=1_700_000_000, pid=5)
    big.write_bytes(b"model")
    note_path(big).write_text(json.dumps({"original": "x" * (2 * NOTE_MAX_BYTES)}))
    found = find_rescued(tmp_path)
    assert sorted(r.model for r in found) == sorted([kept, big])
    assert all(r.note == RescueNote() for r in found)


def test_a_missing_folder_holds_none(tmp_path: Path) -> None:
    assert find_rescued(tmp_path / "nowhere") == []
    (tmp_path / "file").write_text("x")
    assert find_rescued(tmp_path / "file") == []
