"""A learner's own weights on a dataset whose 27 symbols are not '.' and a-z.

The notebook's own code (makemore part 2: the vocabulary, build_dataset, the 80/10/10 split,
the training loop, the split losses and the sampling cell) trains a tiny model on names with
'q' replaced by '-'. Saved the ways a learner saves it, the CLI must give the notebook's own
names, forward pass and losses: with the a-z guess the indices would be shifted ('-' is
index 1, where a-z has 'a').
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import torch
from float_error import assert_close_to_exact, forward_bounds, loss_bounds, printed_tolerance
from notebook_code import DASHED, notebook_run, save_as

from charnames_gui import cli


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("dashed")
    data_file = folder / "dashed.txt"
    data_file.write_text("\n".join(DASHED) + "\n", encoding="utf-8")
    run = notebook_run(data_file)
    assert run["itos"][1] == "-" and len(run["itos"]) == 27
    return data_file, run


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


FORMS = ["list", "tuple", "dict", "dict+itos", "dict+stoi+more", "safetensors"]


@pytest.mark.parametrize("form", FORMS)
def test_sample_inspect_and_evaluate_give_the_notebooks_own_results(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, notebook: tuple[Path, dict], form: str
) -> None:
    data_file, run = notebook
    path = save_as(form, tmp_path, run)
    own_vocab = form in ("dict+itos", "dict+stoi+more")
    data = [] if own_vocab else ["--data", data_file]  # the file's own itos needs no dataset
    # sample: the notebook's cell, line for line (with its trailing '.')
    out, err = run_cli(capsys, "sample", path, *data, "--as-notebook")
    assert out.splitlines() == run["printed"]
    assert ("ignored" in err and "lossi" in err) == (form == "dict+stoi+more")
    assert "a-z" not in err  # nothing guessed
    out, _ = run_cli(capsys, "sample", path, *data)
    assert out.splitlines() == [line[:-1] for line in run["printed"]]
    # inspect: the context is encoded with the notebook's stoi, and the probabilities are its
    out, _ = run_cli(capsys, "inspect", path, *data, "--context=-ui", "--json")
    inspected = json.loads(out)
    stages = {s["name"]: s for s in inspected["stages"]}
    context = [run["stoi"][ch] for ch in "-ui"]
    assert inspected["context"] == context and inspected["context_chars"] == ["-", "u", "i"]
    exact = forward_bounds(run["tensors"], [context])
    assert_close_to_exact(stages["probs"]["values"], exact.probs[0], exact.probs_bound[0], "p")
    # evaluate: every split, the notebook's split and loss
    for split in ("train", "dev", "test"):
        out, err = run_cli(capsys, "evaluate", path, "--data", data_file, "--split", split,
                           "--json")  # fmt: skip
        result = json.loads(out)
        X, Y = run["splits"][split]
        assert result["examples"] == len(Y) and result["split_seed"] == 42
        exact_loss, bound = loss_bounds(run["tensors"], X.numpy(), Y.numpy())
        assert_close_to_exact(run["losses"][split], exact_loss, bound, f"notebook {split}")
        allowed = bound + printed_tolerance(4)  # the JSON prints 4 places
        assert_close_to_exact(result["loss"], exact_loss, allowed, f"evaluate {split}")
        assert result["models_dataset"] is None  # the weights do not say
        assert "random.seed(42)" in err


def test_without_the_dataset_a_z_is_a_guess_and_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, notebook: tuple[Path, dict]
) -> None:
    _, run = notebook
    path = save_as("list", tmp_path, run)
    out, err = run_cli(capsys, "sample", path, "--count", "3")
    assert "read as the lecture's '.' and a-z (a guess)" in err and "--data FILE" in err
    assert len(out.splitlines()) == 3


def test_another_split_seed_is_another_split(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, notebook: tuple[Path, dict]
) -> None:
    data_file, run = notebook
    path = save_as("dict+itos", tmp_path, run)
    out, err = run_cli(capsys, "evaluate", path, "--data", data_file, "--split-seed", "7",
                       "--split", "test", "--json")  # fmt: skip
    words = data_file.read_text().splitlines()
    random.seed(7)
    random.shuffle(words)
    test_words = words[int(0.9 * len(words)) :]
    assert json.loads(out)["split_seed"] == 7 and "random.seed(7)" in err
    assert json.loads(out)["examples"] == sum(len(w) + 1 for w in test_words)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"block_size": 4}, "block_size is 4"),
        ({"itos": {0: ".", 1: "a"}}, "do not fit C's 27 rows"),
        ({"itos": {i: "a" for i in range(27)}}, "not a vocabulary"),
    ],
)
def test_inconsistent_vocabularies_are_refused(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    notebook: tuple[Path, dict],
    extra: dict,
    fragment: str,
) -> None:
    _, run = notebook
    path = tmp_path / "bad.pt"
    torch.save({**run["tensors"], **extra}, path)
    code = cli.main(["sample", str(path)])
    _, err = capsys.readouterr()
    assert code == 2 and fragment in err, err


def test_itos_and_stoi_that_disagree_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, notebook: tuple[Path, dict]
) -> None:
    _, run = notebook
    stoi = dict(run["stoi"])
    stoi["a"], stoi["b"] = stoi["b"], stoi["a"]
    path = tmp_path / "bad.pt"
    torch.save({**run["tensors"], "itos": run["itos"], "stoi": stoi}, path)
    assert cli.main(["sample", str(path)]) == 2
    assert "disagree" in capsys.readouterr().err
