"""charnames inspect MODEL --context TEXT [--json]: every stage of the forward pass."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from small_data import SMALL_WORDS

from charnames_gui import cli
from charnames_gui.core.checkpoint import save_model
from charnames_gui.core.config import ModelConfig
from charnames_gui.core.data import Vocabulary
from charnames_gui.core.forward import context_from_text, inspect_forward
from charnames_gui.core.model import MLP
from charnames_gui.core.model_file import ModelFile


@pytest.fixture(autouse=True)
def _restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def model_file(tmp_path: Path) -> tuple[Path, MLP, Vocabulary]:
    vocab = Vocabulary.from_words(SMALL_WORDS)
    model = MLP.init(ModelConfig(3, 4, 16, vocab.size), "scaled", seed=1)
    path = tmp_path / "m.safetensors"
    save_model(path, ModelFile(model, vocab))
    return path, model, vocab


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_inspect_json_gives_every_stage_as_numbers(
    capsys: pytest.CaptureFixture[str], model_file: tuple[Path, MLP, Vocabulary]
) -> None:
    path, model, vocab = model_file
    code, out, err = run(capsys, "inspect", path, "--context", "emm", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["context_chars"] == ["e", "m", "m"]
    stages = {s["name"]: s for s in data["stages"]}
    assert list(stages) == ["context", "emb", "embcat", "hpreact", "h", "logits", "probs"]
    expected = inspect_forward(model.snapshot(), model.config, vocab.itos, vocab.encode("emm"))
    for name in ("emb", "hpreact", "h", "logits", "probs"):
        # the same computation on the same weights; JSON keeps every float exactly
        np.testing.assert_array_equal(stages[name]["values"], getattr(expected, name))
    assert stages["emb"]["shape"] == [1, 3, 4]


def test_inspect_pads_a_short_context_and_prints_the_code(
    capsys: pytest.CaptureFixture[str], model_file: tuple[Path, MLP, Vocabulary]
) -> None:
    path, _model, vocab = model_file
    code, out, _ = run(capsys, "inspect", path, "--context", "e")
    assert code == 0
    assert "context '..e'" in out
    assert "emb = C[torch.tensor([context])]   # (1, 3, 4)" in out
    assert "h = torch.tanh(hpreact)   # (1, 16)" in out
    assert "saturated hidden units" in out
    assert context_from_text("e", vocab, 3) == [0, 0, vocab.stoi["e"]]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--context", "e!"], "Not in the vocabulary"), (["--temperature", "0"], "temperature")],
)
def test_inspect_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
    model_file: tuple[Path, MLP, Vocabulary],
    args: list[str],
    fragment: str,
) -> None:
    code, _out, err = run(capsys, "inspect", model_file[0], *args)
    assert code == 2 and "Traceback" not in err
    assert err.strip().startswith("charnames: error: ") and fragment in err
    assert len(err.strip().splitlines()) == 1


def test_inspect_weights_too_large(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    vocab = Vocabulary.from_words(SMALL_WORDS)
    model = MLP.init(ModelConfig(3, 4, 16, vocab.size), seed=1)
    model.params["W2"][:] = 3e38
    path = tmp_path / "huge.safetensors"
    save_model(path, ModelFile(model, vocab))
    code, _, err = run(capsys, "inspect", path, "--json")
    assert code == 2
    assert "too large" in err and "not finite" in err
    code, _, err = run(capsys, "sample", path)
    assert code == 2 and "not finite" in err
