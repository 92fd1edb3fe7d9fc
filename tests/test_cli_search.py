"""charnames search: the best trial with its dev error, the workers, the test split once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from charnames_gui import cli
from charnames_gui.core.runs import RunStore

TINY = ["--budget", "5", "--max-trials", "3", "--trial-examples", "2000", "--workers", "1"]


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


def test_search_prints_the_best_with_its_error_and_looks_at_test_once(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, tmp_path: Path
) -> None:
    runs = tmp_path / "runs.db"
    code, out, err = run(capsys, "search", small_dataset_file, *TINY, "--runs", runs)
    assert code == 0, err
    assert "1 at a time" in err
    best_line = next(line for line in out.splitlines() if line.startswith("best: trial"))
    assert " ± " in best_line
    assert "dev flatters it" in out and "The test split was not looked at" in out
    with RunStore(runs) as store:
        assert len(store.list()) == 3 and all(r.test_loss is None for r in store.list())

    code, out, err = run(capsys, "search", small_dataset_file, *TINY, "--runs", runs,
                         "--test", "--json")  # fmt: skip
    assert code == 0, err
    summary = json.loads(out.splitlines()[-1])
    assert summary["workers"] == 1 and summary["trials"] == 3
    best_dev = summary["best_dev"]
    assert best_dev["loss"] == pytest.approx(summary["best"]["dev_loss"], abs=1e-4)
    assert 0 < best_dev["se"] < best_dev["loss"] and best_dev["names"] > 0
    assert summary["test_looks_on_this_dataset"] == 1


def test_search_refuses_too_many_workers(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path
) -> None:
    code, _out, err = run(capsys, "search", small_dataset_file, "--workers", "99")
    assert code == 2 and "at once" in err and "Traceback" not in err
