"""`charnames replay`: a model trained by `charnames train --out` becomes a video or a still."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from PIL import Image

from charnames_gui import cli
from charnames_gui.core.checkpoint import load_model, save_model
from charnames_gui.core.replay_render import ReplayRenderer
from charnames_gui.core.snapshots import scheduled_steps

FAST = ["--steps", "40", "--block-size", "3", "--embedding", "4", "--hidden", "16"]


@pytest.fixture(autouse=True)
def _restore_threads() -> Iterator[None]:
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def model_path(
    tmp_path: Path, small_dataset_file: Path, capsys: pytest.CaptureFixture[str]
) -> Path:
    path = tmp_path / "m.safetensors"
    code, _, err = run(capsys, "train", small_dataset_file, *FAST, "--out", path)
    assert code == 0, err
    return path


def test_train_saves_the_replay_and_replay_writes_a_video(
    model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = load_model(model_path).replay
    assert store is not None and store.steps == scheduled_steps(40)
    out = tmp_path / "embedding.mp4"
    code, printed, err = run(capsys, "replay", model_path, "--out", out)
    assert code == 0, err
    assert f"{len(store)} frames, steps 0 to 40" in printed
    assert iio.imread(out, index=None).shape == (len(store), 720, 1280, 3)


def test_replay_draws_the_bars_of_a_context_as_a_still_of_a_step(
    model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bars.png"
    code, printed, err = run(capsys, "replay", model_path, "--out", out, "--view", "bars",
                             "--context", "em", "--step", "25", "--size", "1920x1080")  # fmt: skip
    assert code == 0, err
    assert "step 24" in printed  # the frame at or before step 25 (22, 24, 26 are frames)
    model_file = load_model(model_path)
    assert model_file.replay is not None
    context = tuple(model_file.vocab.encode(".em"))
    expected = ReplayRenderer(model_file.replay, model_file.vocab.itos, "bars", context,
                              (1920, 1080)).render(model_file.replay.index_at(25))  # fmt: skip
    np.testing.assert_array_equal(np.asarray(Image.open(out)), np.asarray(expected))


def test_replay_of_a_model_without_frames_or_with_bad_input_is_one_clear_line(
    model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model_file = load_model(model_path)
    model_file.replay = None
    old = tmp_path / "old.safetensors"
    save_model(old, model_file)
    code, _, err = run(capsys, "replay", old, "--out", tmp_path / "x.gif")
    assert code == 2 and "has no replay frames" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, "replay", model_path, "--out", tmp_path / "x.avi")
    assert code == 2 and "not .avi" in err
    code, _, err = run(capsys, "replay", model_path, "--out", tmp_path / "x.gif", "--context", "é")
    assert code == 2 and len(err.splitlines()) == 1
    assert not list(tmp_path.glob("x.*"))
