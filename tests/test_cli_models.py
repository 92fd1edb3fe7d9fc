"""The CLI commands that take a model: a learner's own weights, the dataset a model was trained
on (by content), export, --steps 0, and model files that are hostile input."""

from __future__ import annotations

import os
import random
import runpy
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from small_data import SMALL_WORDS, lecture_sample

from charnames_gui import cli
from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.checkpoint import load_model, save_model
from charnames_gui.core.config import DEFAULT_SAMPLE_SEED, PARAMETER_NAMES, ModelConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP

# SMALL_WORDS lack j, k, q and x: with these the vocabulary is the lecture's 27 symbols.
WORDS_27 = [*SMALL_WORDS, "jack", "kai", "quinn", "xavier"]
TINY = ["--block-size", "2", "--embedding", "3", "--hidden", "8"]


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


def assert_bad_input(code: int, err: str, *fragments: str) -> str:
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if not line.startswith("Note: ")]
    assert len(lines) == 1 and lines[0].startswith("charnames: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def write_words(path: Path, words: list[str]) -> Path:
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return path


def lecture_training(words: list[str], steps: int = 300) -> tuple[dict[str, torch.Tensor], Any]:
    """The notebook's cells, as a learner runs them: returns the five tensors and itos."""
    chars = sorted(list(set("".join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    block_size = 3

    def build_dataset(words: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        X, Y = [], []
        for w in words:
            context = [0] * block_size
            for ch in w + ".":
                ix = stoi[ch]
                X.append(context)
                Y.append(ix)
                context = context[1:] + [ix]
        return torch.tensor(X), torch.tensor(Y)

    words = list(words)
    random.seed(42)
    random.shuffle(words)
    Xtr, Ytr = build_dataset(words[: int(0.8 * len(words))])
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((27, 10), generator=g)
    W1 = torch.randn((30, 200), generator=g)
    b1 = torch.randn(200, generator=g)
    W2 = torch.randn((200, 27), generator=g)
    b2 = torch.randn(27, generator=g)
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True
    for i in range(steps):
        ix = torch.randint(0, Xtr.shape[0], (32,))
        emb = C[Xtr[ix]]
        h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < steps // 2 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
    return dict(zip(PARAMETER_NAMES, parameters, strict=True)), itos


# -- a learner's own weights -------------------------------------------------------------------


@pytest.mark.parametrize("form", ["safetensors", "torch.save dict", "torch.save list"])
def test_round_trip_of_notebook_weights_through_charnames_sample(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, form: str
) -> None:
    """Weights from a plain lecture-style loop, saved as a learner would, sampled by the CLI:
    the names are those of the notebook's sampling cell."""
    torch.manual_seed(0)
    tensors, itos = lecture_training(WORDS_27)
    path = tmp_path / ("mine.safetensors" if form == "safetensors" else "mine.pt")
    if form == "safetensors":
        save_file({k: v.detach() for k, v in tensors.items()}, str(path))
    elif form == "torch.save dict":
        torch.save(tensors, path)
    else:
        torch.save(list(tensors.values()), path)
    code, out, err = run(capsys, "sample", path, "--count", "20")
    assert code == 0, err
    itos_tuple = tuple(itos[i] for i in range(27))
    expected = lecture_sample(tensors, 3, itos_tuple, DEFAULT_SAMPLE_SEED, 20)
    assert out.splitlines() == expected


def test_own_weights_of_another_vocabulary_take_it_from_data(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data_file = write_words(tmp_path / "small.txt", SMALL_WORDS)  # 23 symbols
    dataset = Dataset.from_file(data_file)
    assert dataset.vocab is not None
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size))
    path = tmp_path / "mine.pt"
    torch.save([model.params[k].clone() for k in PARAMETER_NAMES], path)
    code, _, err = run(capsys, "sample", path)
    assert_bad_input(code, err, "23 rows in C", "Open the dataset")
    code, out, err = run(capsys, "sample", path, "--data", data_file, "--count", "3")
    assert code == 0 and len(out.splitlines()) == 3, err
    code, _, err = run(capsys, "evaluate", path)
    assert_bad_input(code, err, "23 rows in C", "--data FILE")
    lecture = tmp_path / "lecture.pt"  # 27 rows: the vocabulary is known, the dataset not
    torch.save(lecture_training(WORDS_27, steps=1)[0], lecture)
    code, _, err = run(capsys, "evaluate", lecture)
    assert_bad_input(code, err, "does not record which dataset", "--data")
    code, out, err = run(capsys, "evaluate", path, "--data", data_file)
    assert code == 0, err
    # the app cannot know whether this was the weights' dataset: it says which split it used
    assert "dev loss" in out and "split seed 42" in out and "not the model's" not in out
    assert "does not record its dataset or split" in err and "random.seed(42)" in err


def test_a_hostile_pickle_given_to_sample_runs_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    marker = tmp_path / "ran.txt"

    class RunsCode:
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    torch.save({"C": torch.zeros(27, 2), "evil": RunsCode()}, path)
    code, out, err = run(capsys, "sample", path)
    assert_bad_input(code, err, "evil.pt", "something other than tensors")
    assert out == "" and not marker.exists()


# -- the model's dataset, by content -----------------------------------------------------------


@pytest.fixture
def trained(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[Path, Path]:
    data_file = write_words(tmp_path / "names.txt", WORDS_27)
    out = tmp_path / "model.safetensors"
    code, _, err = run(capsys, "train", data_file, *TINY, "--steps", "50", "--out", out)
    assert code == 0, err
    return out, data_file


def test_evaluate_without_data_uses_the_recorded_file_while_its_content_matches(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, trained: tuple[Path, Path]
) -> None:
    model, data_file = trained
    recorded = load_model(model).training
    assert recorded.dataset_path == str(data_file.resolve())
    code, out, err = run(capsys, "evaluate", model)
    assert code == 0, err
    assert str(data_file.resolve()) in out and recorded.dataset_hash[:8] in out
    # same name, other content: never used silently
    write_words(data_file, list(reversed(WORDS_27)))
    code, _, err = run(capsys, "evaluate", model)
    message = assert_bad_input(code, err, "names.txt", recorded.dataset_hash[:8], "--data")
    assert "not at" in message or "changed" in message
    data_file.unlink()
    code, _, err = run(capsys, "sample", model, "--count", "2")
    assert code == 0, err  # sampling needs no dataset
    code, _, err = run(capsys, "export", model, "--script", tmp_path / "x.py")
    assert_bad_input(code, err, str(data_file.resolve()), "--data")


def test_a_model_of_the_bundled_dataset_finds_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "bundled.safetensors"
    code, _, err = run(capsys, "train", *TINY, "--steps", "5", "--out", out)
    assert code == 0, err
    summary = load_model(out).training
    summary.dataset_path = "/nowhere/names.txt"  # an older file, or moved: the hash decides
    mf = load_model(out)
    mf.training = summary
    save_model(out, mf)
    code, text, err = run(capsys, "evaluate", out)
    assert code == 0, err
    assert str(bundled_dataset_path()) in text and "not the model's" not in text


def test_another_dataset_is_marked_and_its_test_split_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, trained: tuple[Path, Path]
) -> None:
    """The same name and size, other names: the lecture's names.txt beside the bundled one."""
    model, data_file = trained
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    other = write_words(other_folder / "names.txt", [*WORDS_27[1:], "zara"])
    trained_hash = load_model(model).training.dataset_hash[:8]
    other_hash = Dataset.from_file(other).content_hash()[:8]
    code, out, err = run(capsys, "evaluate", model, "--data", other, "--split", "dev")
    assert code == 0, err
    assert "not the model's dataset" in out
    assert trained_hash in err and other_hash in err and str(other) in err
    code, out, err = run(capsys, "evaluate", model, "--data", other, "--split", "test")
    assert_bad_input(code, err, trained_hash, other_hash, "test loss")
    assert out == ""
    code, out, err = run(capsys, "evaluate", model, "--data", data_file, "--split", "test")
    assert code == 0 and "test loss" in out and err == "", err


# -- export --------------------------------------------------------------------------------------


def test_export_then_run_gives_the_cli_trained_weights_bit_for_bit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """charnames train --engine autograd --steps 2000 --out m.safetensors
    charnames export m.safetensors --script run.py --notebook run.ipynb; python run.py"""
    data_file = write_words(tmp_path / "small.txt", SMALL_WORDS)
    model = tmp_path / "m.safetensors"
    args = ["--engine", "autograd", "--steps", "2000", "--lr-decay-at", "1000"]
    code, _, err = run(capsys, "train", data_file, *args, "--out", model)
    assert code == 0, err
    script, nb = tmp_path / "run.py", tmp_path / "run.ipynb"
    code, out, err = run(capsys, "export", model, "--script", script, "--notebook", nb)
    assert code == 0, err
    assert err == ""  # nothing the code cannot repeat
    assert f"wrote {script}" in out and nb.is_file()
    torch.manual_seed(0)
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        namespace = runpy.run_path(str(script))
    saved = load_file(model)
    for name in PARAMETER_NAMES:
        assert torch.equal(namespace[name].detach(), saved[name]), name


def test_export_needs_a_target(
    capsys: pytest.CaptureFixture[str], trained: tuple[Path, Path]
) -> None:
    code, _, err = run(capsys, "export", trained[0])
    assert_bad_input(code, err, "--script", "--notebook")


# -- train --steps 0 ----------------------------------------------------------------------------


def test_steps_0_saves_the_initial_model(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data_file = write_words(tmp_path / "small.txt", SMALL_WORDS)
    out = tmp_path / "init.safetensors"
    code, text, err = run(capsys, "train", data_file, *TINY, "--steps", "0", "--out", out)
    assert code == 0, err
    loaded = load_model(out)
    assert loaded.training.steps == 0
    assert loaded.training.train_config["steps"] == 200_000  # the run's plan is kept
    fresh = MLP.init(loaded.model.config)
    for name in PARAMETER_NAMES:
        assert torch.equal(loaded.model.params[name], fresh.params[name]), name
    assert "saved" in text


# -- model files as hostile input ------------------------------------------------------------------


def run_within(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """run() in a thread, so that a hang fails the test instead of hanging the suite."""
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(cli.main([str(a) for a in args])))
    thread.daemon = True
    thread.start()
    thread.join(30)
    assert result, f"charnames {' '.join(map(str, args))} hung"
    out, err = capsys.readouterr()
    return result[0], out, err


@pytest.mark.parametrize("command", ["sample", "evaluate", "export"])
def test_a_fifo_or_a_device_link_as_a_model_is_refused_at_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    fifo = tmp_path / "fifo.safetensors"
    os.mkfifo(fifo)
    link = tmp_path / "zero.safetensors"
    link.symlink_to("/dev/zero")
    for path in (fifo, link):
        code, _, err = run_within(capsys, command, path)
        assert_bad_input(code, err, path.name, "not a file")


def test_hostile_headers_and_weights_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, trained: tuple[Path, Path]
) -> None:
    model, _ = trained
    deep = tmp_path / "deep.safetensors"
    text = ('{"a":' * 100_000 + "1" + "}" * 100_000).encode()
    deep.write_bytes(len(text).to_bytes(8, "little") + text)
    code, _, err = run(capsys, "sample", deep)
    assert_bad_input(code, err, "deep.safetensors")
    mf = load_model(model)
    mf.model.params["W2"].fill_(3e38)
    huge = tmp_path / "huge.safetensors"
    save_model(huge, mf)
    for command in ("sample", "evaluate"):
        code, _, err = run(capsys, command, huge)
        assert_bad_input(code, err, "weights too large: the model's outputs are not finite")


def test_seeds_out_of_range_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, trained: tuple[Path, Path]
) -> None:
    code, _, err = run(capsys, "sample", trained[0], "--seed", "99999999999999999999999")
    assert_bad_input(code, err, "--seed")
    code, _, err = run(capsys, "train", trained[1], *TINY, "--split-seed", "3000000000")
    assert_bad_input(code, err, "--split-seed", "2,147,483,647")


def test_inspect_opens_own_weights(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "mine.pt"
    tensors, _ = lecture_training(WORDS_27, steps=1)
    torch.save(tensors, path)
    code, out, err = run(capsys, "inspect", path, "--context", "em")
    assert code == 0, err
    assert "vocab_size 27" in out and "emb = C[" in out
    data_file = write_words(tmp_path / "small.txt", SMALL_WORDS)
    dataset = Dataset.from_file(data_file)
    assert dataset.vocab is not None
    model = MLP.init(ModelConfig(2, 3, 8, dataset.vocab.size))
    small = tmp_path / "small.pt"
    torch.save([model.params[k] for k in PARAMETER_NAMES], small)
    code, _, err = run(capsys, "inspect", small)
    assert_bad_input(code, err, "23 rows in C", "--data FILE")
    code, out, err = run(capsys, "inspect", small, "--data", data_file, "--context", "em")
    assert code == 0 and "vocab_size 23" in out, err
