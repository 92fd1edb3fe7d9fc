"""core.atomic.atomic_output: a file written by another program (ffmpeg) under a temporary
name appears only when complete, with the target's permissions; a failure leaves the old
file, and protected files are refused before anything is written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from charnames_gui.core.atomic import atomic_output
from charnames_gui.core.errors import FileAccessError


def test_the_file_appears_whole_with_the_targets_permissions(tmp_path: Path) -> None:
    target = tmp_path / "video.mp4"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    with atomic_output(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_bytes(b"new video")
        assert target.read_bytes() == b"old"  # not yet
    assert target.read_bytes() == b"new video"
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["video.mp4"]


def test_a_failure_in_the_writer_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "video.mp4"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("ffmpeg died")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["video.mp4"]


def test_protected_and_special_files_are_refused_before_writing(tmp_path: Path) -> None:
    model = tmp_path / "model.safetensors"
    model.write_bytes(b"weights")
    link = tmp_path / "link.mp4"
    link.symlink_to(model)  # another name for the model file
    with (
        pytest.raises(FileAccessError, match=r"model\.safetensors"),
        atomic_output(link, protect=(model,)),
    ):
        pytest.fail("the writer must not run")
    assert model.read_bytes() == b"weights"
    with pytest.raises(FileAccessError, match="folder"), atomic_output(tmp_path):
        pytest.fail("the writer must not run")
