"""Every subcommand on a corpus of hostile files: each ends with exit code 0 or 2 and at most
one line on stderr, never a traceback, a hang or a file it was not asked to write."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from hostile_files import app_file_with_metadata, meta_tensors, sparse_tensors, zip_bomb

from charnames_gui import cli
from charnames_gui.core.checkpoint import save_model
from charnames_gui.core.config import ModelConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.model_file import ModelFile, TrainingSummary

BOMB_BYTES = 32 << 20  # inflated; about 32 KB on disk


@pytest.fixture(autouse=True)
def _learner_view(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As a learner runs it: a bug would be one line (exit 70), which these tests refuse."""
    monkeypatch.delenv("CHARNAMES_TRACEBACK", raising=False)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    from small_data import SMALL_WORDS

    data = folder / "names.txt"
    data.write_text("\n".join(SMALL_WORDS) + "\n", encoding="utf-8")
    dataset = Dataset.from_file(data)
    config = ModelConfig(block_size=2, n_embd=3, n_hidden=8, vocab_size=dataset.vocab.size)
    summary = TrainingSummary(
        dataset_name=dataset.name, dataset_hash=dataset.content_hash(), dataset_path=str(data)
    )
    good = folder / "good.safetensors"
    save_model(good, ModelFile(MLP.init(config), dataset.vocab, 42, summary))
    raw = good.read_bytes()
    files = {"data": data, "good": good}

    def add(name: str, content: bytes) -> None:
        files[name] = folder / name
        files[name].write_bytes(content)

    add("bomb.pt", zip_bomb(BOMB_BYTES))
    add("sparse.pt", sparse_tensors())
    add("meta.pt", meta_tensors())
    for i, version in enumerate(["1-", "--1", "²", "1" * 5000]):
        add(f"version{i}.safetensors", app_file_with_metadata(raw, format_version=version))
    add(
        "huge_loss.safetensors",
        app_file_with_metadata(raw, training='{"train_loss": ' + "9" * 400 + "}"),
    )
    add(
        "huge_seconds.safetensors",
        app_file_with_metadata(raw, training='{"seconds": ' + "9" * 400 + "}"),
    )
    add(
        "html_name.safetensors",
        app_file_with_metadata(
            raw, training='{"dataset_name": "<img src=x width=700 height=400000>"}'
        ),
    )
    add("escape\x1b[31m\x07name.safetensors", raw)
    add("not_utf8_\udcff.safetensors", raw)  # (written with the byte 0xff in its name)
    add("nested.safetensors", app_file_with_metadata(raw, config="[" * 100_000 + "]" * 100_000))
    add("empty.pt", b"")
    fifo = folder / "fifo.py"
    os.mkfifo(fifo)
    files["fifo"] = fifo
    return files


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def check(code: int, err: str) -> None:
    assert code in (0, 2), err
    assert "Traceback" not in err and "\x1b" not in err and "\x07" not in err, err
    assert len(err.strip().splitlines()) <= 2, err  # a note and an error at most
    assert all(len(line) <= 600 for line in err.splitlines()), err[:200]


MODEL_FILES = [
    "bomb.pt", "sparse.pt", "meta.pt", "version0.safetensors", "version1.safetensors",
    "version2.safetensors", "version3.safetensors", "huge_loss.safetensors",
    "huge_seconds.safetensors", "html_name.safetensors", "escape\x1b[31m\x07name.safetensors",
    "not_utf8_\udcff.safetensors", "nested.safetensors", "empty.pt",
]  # fmt: skip


@pytest.mark.parametrize("name", MODEL_FILES)
def test_every_model_command_on_a_hostile_file(
    capsys: pytest.CaptureFixture[str], corpus: dict[str, Path], name: str, tmp_path: Path
) -> None:
    model = corpus[name]
    data = corpus["data"]
    for args in (
        ["sample", model, "--count", "2"],
        ["evaluate", model, "--data", data],
        ["inspect", model, "--context", "ab"],
        ["export", model, "--data", data, "--script", tmp_path / "run.py"],
    ):
        code, _, err = run(capsys, *args)
        check(code, err)


def test_the_bomb_is_refused_before_it_is_inflated(
    capsys: pytest.CaptureFixture[str], corpus: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("torch.load was reached")

    monkeypatch.setattr(torch, "load", never)
    code, _, err = run(capsys, "sample", corpus["bomb.pt"])
    assert code == 2 and "compressed" in err


def test_odd_format_versions_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], corpus: dict[str, Path]
) -> None:
    for i in range(3):
        code, _, err = run(capsys, "sample", corpus[f"version{i}.safetensors"])
        assert code == 2 and "format version" in err, err
    for name in ("huge_loss.safetensors", "huge_seconds.safetensors"):
        code, _, err = run(capsys, "sample", corpus[name])
        assert code == 2 and "Cannot open" in err and "not" in err, err


def test_sparse_and_meta_tensors_are_named(
    capsys: pytest.CaptureFixture[str], corpus: dict[str, Path]
) -> None:
    for name, kind in (("sparse.pt", "sparse"), ("meta.pt", "meta")):
        code, _, err = run(capsys, "sample", corpus[name])
        assert code == 2 and kind in err, err


def test_file_names_are_escaped_in_errors(
    capsys: pytest.CaptureFixture[str], corpus: dict[str, Path], tmp_path: Path
) -> None:
    missing = tmp_path / "gone\x1b]0;title\x07.safetensors"
    code, _, err = run(capsys, "sample", missing)
    assert code == 2 and "\\x1b" in err and "\x1b" not in err and "\x07" not in err


def test_thirty_thousand_unknown_characters_are_a_short_error(
    capsys: pytest.CaptureFixture[str], corpus: dict[str, Path]
) -> None:
    context = "".join(chr(0x4E00 + i) for i in range(30_000))
    code, _, err = run(capsys, "inspect", corpus["good"], "--context", context)
    assert code == 2 and "more" in err and len(err) < 600, err[:300]


@pytest.mark.parametrize("threads", ["100000", "20000", "257"])
def test_too_many_threads_are_refused(capsys: pytest.CaptureFixture[str], threads: str) -> None:
    for args in (["--threads", threads, "split"],
                 ["bench", "--steps", "1", "--rounds", "1", "--threads", threads]):  # fmt: skip
        code, _, err = run(capsys, *args)
        assert code == 2 and "256" in err and "Traceback" not in err, err


def test_export_never_writes_over_the_model_its_dataset_or_a_pipe(
    capsys: pytest.CaptureFixture[str], corpus: dict[str, Path], tmp_path: Path
) -> None:
    good, data = corpus["good"], corpus["data"]
    before = {p: p.read_bytes() for p in (good, data)}
    link = tmp_path / "link.py"
    link.symlink_to(data)
    same = tmp_path / "same"
    for args in (
        ["--script", data],
        ["--notebook", good],
        ["--script", link],
        ["--script", corpus["fifo"]],  # would block on open: refused by its type
        ["--script", same, "--notebook", same],
    ):
        code, _, err = run(capsys, "export", good, "--data", data, *args)
        assert code == 2 and "Traceback" not in err, err
    assert {p: p.read_bytes() for p in before} == before
    assert not same.exists()


def test_a_failed_export_leaves_the_old_target(
    capsys: pytest.CaptureFixture[str],
    corpus: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "run.py"
    target.write_text("# the learner's own script\n")
    target.chmod(0o640)

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    code, _, err = run(capsys, "export", corpus["good"], "--data", corpus["data"],
                       "--script", target)  # fmt: skip
    assert code == 2 and "No space left" in err
    assert target.read_text() == "# the learner's own script\n"
    assert [p.name for p in tmp_path.iterdir()] == ["run.py"]  # no temporary file left
    monkeypatch.undo()
    code, _, err = run(capsys, "export", corpus["good"], "--data", corpus["data"],
                       "--script", target)  # fmt: skip
    assert code == 0 and "torch" in target.read_text() and (target.stat().st_mode & 0o777) == 0o640


@pytest.mark.parametrize("command", ["sample"])
def test_a_reader_that_goes_away_is_no_traceback(corpus: dict[str, Path], command: str) -> None:
    """`charnames sample M --count 5000 | head -1` (unbuffered, so that a few lines reach the
    closed pipe at once)"""
    args = ["--count", "50"] if command == "sample" else []
    env = {k: v for k, v in os.environ.items() if k != "CHARNAMES_TRACEBACK"}
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "charnames_gui.cli", command, str(corpus["good"]), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as head does after its line
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert code in (0, cli.EXIT_BROKEN_PIPE)
