"""charnames repeat and charnames compare."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from charnames_gui import cli
from charnames_gui.core.config import TrainConfig
from charnames_gui.core.runs import RunStore
from charnames_gui.core.stats import repeat_seeds

SMALL = ["--steps", "60", "--block-size", "3", "--embedding", "4", "--hidden", "16"]


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


def test_repeat_seeds_are_the_single_runs(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path
) -> None:
    code, out, err = run(capsys, "repeat", small_dataset_file, *SMALL, "--seeds", "3", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["stacked"] is True and len(result["seeds"]) == 3
    seeds = [s["seed"] for s in result["seeds"]]
    assert seeds == repeat_seeds(TrainConfig().seed, 3)
    for seed in (seeds[0], seeds[2]):
        code, out, err = run(capsys, "train", small_dataset_file, *SMALL, "--seed", seed, "--json")
        single = json.loads(out)
        mine = next(s for s in result["seeds"] if s["seed"] == seed)
        assert mine["dev_loss"] == single["dev_loss"] and mine["train_loss"] == single["train_loss"]
        assert mine["dev_se"] == pytest.approx(single["dev_se"], abs=1e-4)
    assert result["dev_mean_low"] < result["dev_mean"] < result["dev_mean_high"]


def test_repeat_text_and_the_serial_fallback(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path
) -> None:
    code, out, err = run(
        capsys, "repeat", small_dataset_file, *SMALL, "--seeds", "2", "--engine", "autograd"
    )
    assert code == 0, err
    assert "one after another" in err and "autograd" in err
    lines = out.splitlines()
    assert sum(line.startswith("seed ") for line in lines) == 2
    assert " ± " in lines[1] and "the mean's 95% interval" in lines[-1]


def test_compare_two_model_files(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, tmp_path: Path
) -> None:
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    for path, init in ((a, "lecture"), (b, "scaled")):
        code, _, err = run(
            capsys, "train", small_dataset_file, *SMALL, "--init", init, "--out", path
        )
        assert code == 0, err
    code, out, err = run(capsys, "compare", a, b, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["unit"] == "dev examples" and result["low"] <= result["difference"]
    code, out, err = run(capsys, "compare", a, b)
    assert "these two trained models" in out and "paired over" in out


def test_compare_presets_trains_paired_seeds(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path
) -> None:
    code, out, err = run(
        capsys, "compare", "First model", "Larger embedding", small_dataset_file,
        "--seeds", "3", "--steps", "40", "--json",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["unit"] == "seeds" and result["n_a"] == result["n_b"] == 3
    assert result["method"].startswith("paired t")


def test_compare_runs_of_the_history(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from core.runs_helpers import make_record

    path = tmp_path / "runs.db"
    with RunStore(path) as store:
        ids = {}
        for group, base in (("g1", 2.20), ("g2", 2.17)):
            for i, seed in enumerate((5, 6, 7, 8)):
                record = make_record(
                    dev_loss=base + 0.002 * i, group_id=group, group_index=i + 1,
                    group_size=4, train=TrainConfig(seed=seed),
                )  # fmt: skip
                ids[group] = store.add(record).id
    code, out, err = run(capsys, "compare", f"run:{ids['g1']}", str(ids["g2"]), "--runs", path)
    assert code == 0, err
    assert "is better by 0.030" in out and "4 seeds each" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["compare", "nothing-like-this", "First model"], "not a model file, a run id or a preset"),
        (["repeat", "--seeds", "0"], "--seeds must be between 1"),
        (["compare", "run:3", "run:4", "--runs", "/nonexistent/runs.db"], "no run history"),
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2 and fragment in err and "Traceback" not in err
