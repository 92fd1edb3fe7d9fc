"""The charnames CLI: train, sample, evaluate and split, and a clean exit 2 for bad input."""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from float_error import printed_tolerance

from charnames_gui import cli, cli_common
from charnames_gui.core import data
from charnames_gui.core.checkpoint import load_model
from charnames_gui.core.config import ModelConfig, parameter_count
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.model import MLP
from charnames_gui.core.presets import preset_by_name
from charnames_gui.core.sampling import Sampler

REPO_ROOT = Path(__file__).resolve().parent.parent
FAST = ["--steps", "60", "--block-size", "3", "--embedding", "4", "--hidden", "16"]


@pytest.fixture(autouse=True)
def _restore_threads() -> Iterator[None]:
    """main() sets torch's thread count (to --threads, 1 by default): undo it after each test."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run charnames in-process: (exit code, stdout, stderr)."""
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_bad_input(code: int, err: str, *fragments: str) -> str:
    """Exit 2 with exactly one line on stderr: 'charnames: error: ...'."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("charnames: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(model file, its data): trained once through the CLI for the tests that read it."""
    from small_data import SMALL_WORDS

    folder = tmp_path_factory.mktemp("cli-model")
    data_file = folder / "small.txt"
    data_file.write_text("\n".join(SMALL_WORDS) + "\n")
    out = folder / "small.safetensors"
    threads = torch.get_num_threads()
    code = cli.main(["train", str(data_file), *FAST, "--lr", "0.2", "--out", str(out), "--json"])
    torch.set_num_threads(threads)
    assert code == 0 and out.is_file()
    return out, data_file


# -- train ------------------------------------------------------------------------------------


def test_the_defaults_are_the_lectures_final_run() -> None:
    args = cli.build_parser().parse_args(["train"])
    model, train = cli_common.train_configs(args, 27)
    assert model == ModelConfig(3, 10, 200, 27)
    assert (train.batch_size, train.steps, train.lr) == (32, 200_000, 0.1)
    assert (train.schedule, train.lr_decay_at, train.lr_after) == ("step", 100_000, 0.01)
    assert (train.init, train.seed, args.split_seed) == ("lecture", 2147483647, 42)
    assert args.data is None and args.out is None and not args.json
    sample = cli.build_parser().parse_args(["sample", "m.safetensors"])
    assert (sample.count, sample.seed, sample.temperature) == (20, 2147483657, 1.0)
    evaluate = cli.build_parser().parse_args(["evaluate", "m.safetensors"])
    assert evaluate.split == "dev" and evaluate.data is None
    split = cli.build_parser().parse_args(["split"])
    assert (split.block_size, split.split_seed) == (3, 42)


def test_a_preset_changed_by_the_flags_given() -> None:
    args = cli.build_parser().parse_args(["train", "--preset", "larger HIDDEN layer"])
    model, train = cli_common.train_configs(args, 27)
    preset = preset_by_name("Larger hidden layer")
    assert (model, train) == (preset.model_config(27), preset.train)
    args = cli.build_parser().parse_args(
        ["train", "--preset", "Final run", "--steps", "5000", "--lr-decay-at", "0", "--hidden", "7"]
    )
    model, train = cli_common.train_configs(args, 27)
    final = preset_by_name("Final run")
    assert model == ModelConfig(final.model.block_size, final.model.n_embd, 7, 27)
    assert train == final.train.replace(steps=5000, schedule="constant", lr_decay_at=0)


def test_an_unknown_preset_names_the_presets(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["train", "--preset", "Bigger"])
    assert code == 2
    err = capsys.readouterr().err
    assert "no preset 'Bigger'" in err and "'Fast to 2.20'" in err


class Captured(Exception):
    pass


def test_train_with_the_defaults_sets_up_the_lectures_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without training 200,000 steps: capture what `charnames train` hands the Trainer."""
    seen = {}

    def capture(model: MLP, examples: object, config: object) -> None:
        seen.update(model=model, examples=examples, config=config)
        raise Captured

    monkeypatch.setattr(cli, "Trainer", capture)
    with pytest.raises(Captured):
        cli.main(["train"])
    config = seen["config"]
    assert (config.batch_size, config.steps, config.lr) == (32, 200_000, 0.1)
    assert (config.schedule, config.lr_decay_at, config.lr_after) == ("step", 100_000, 0.01)
    assert (config.init, config.seed) == ("lecture", 2147483647)
    assert config.lr_at(99_999) == 0.1 and config.lr_at(100_000) == 0.01
    model = seen["model"]
    assert model.config == ModelConfig(3, 10, 200, 27)
    assert model.parameter_count() == 11897
    lecture = MLP.init(ModelConfig(3, 10, 200, 27), "lecture", 2147483647)
    assert torch.equal(model.C, lecture.C) and torch.equal(model.W2, lecture.W2)
    assert seen["examples"].block_size == 3


@pytest.mark.parametrize("engine", ["fast", "autograd"])
def test_train_json(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, engine: str
) -> None:
    code, out, err = run(capsys, "train", small_dataset_file, *FAST, "--json", "--engine", engine)
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["steps"] == 60
    vocab_size = Dataset.from_file(small_dataset_file).vocab.size
    assert result["parameters"] == parameter_count(ModelConfig(3, 4, 16, vocab_size))
    assert result["seconds"] > 0
    # steps/s is printed to 0.1 and seconds to 1e-6: 60 / seconds moves by at most
    # 60 / s**2 * 0.5e-6 when s is rounded
    seconds = result["seconds"]
    allowed = printed_tolerance(1) + 60 / (seconds - 0.5e-6) ** 2 * printed_tolerance(6)
    assert abs(result["steps_per_second"] - 60 / seconds) <= allowed
    assert math.isfinite(result["train_loss"]) and math.isfinite(result["dev_loss"])
    ds = Dataset.from_file(small_dataset_file)
    X, Y = ds.examples(3).tensors["train"]
    initial = MLP.init(ModelConfig(3, 4, 16, vocab_size), "lecture", 2147483647).loss(X, Y)
    assert result["train_loss"] < initial - 1
    assert result["engine"] == engine
    assert "Traceback" not in err


def test_train_is_reproducible(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path
) -> None:
    runs = []
    for _ in range(2):
        code, out, _ = run(capsys, "train", small_dataset_file, *FAST, "--json")
        assert code == 0
        runs.append(json.loads(out.splitlines()[-1]))
    assert runs[0]["train_loss"] == runs[1]["train_loss"]
    assert runs[0]["dev_loss"] == runs[1]["dev_loss"]
    code, out, _ = run(capsys, "train", small_dataset_file, *FAST, "--json", "--seed", "1")
    assert json.loads(out.splitlines()[-1])["train_loss"] != runs[0]["train_loss"]


def test_train_human_output(capsys: pytest.CaptureFixture[str], small_dataset_file: Path) -> None:
    code, out, err = run(capsys, "train", small_dataset_file, *FAST)
    assert code == 0
    assert "train loss" in out and "dev loss" in out and "steps/s" in out
    assert "small.txt: 50 names" in err and "parameters" in err


def test_train_out_saves_everything(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "m.safetensors"
    args = [*FAST, "--split-seed", "5", "--init", "scaled", "--lr-decay-at", "30"]
    code, stdout, _ = run(capsys, "train", small_dataset_file, *args, "--out", out, "--json")
    assert code == 0
    result = json.loads(stdout.splitlines()[-1])
    assert result["model_file"] == str(out)
    loaded = load_model(out)
    assert loaded.split_seed == 5
    assert loaded.model.config == ModelConfig(3, 4, 16, 23)
    assert loaded.training.steps == 60
    assert loaded.training.dataset_name == "small.txt"
    assert loaded.training.train_config["init"] == "scaled"
    assert loaded.training.train_config["schedule"] == "step"
    assert loaded.training.train_config["lr_decay_at"] == 30
    assert loaded.training.batch_stream == (loaded.training.train_config["seed"], 0)
    # the JSON prints losses to 4 places; the file keeps them whole
    assert abs(loaded.training.train_loss - result["train_loss"]) <= printed_tolerance(4)
    ds = Dataset.from_file(small_dataset_file, split_seed=5)
    assert loaded.training.dataset_hash == ds.content_hash()
    X, Y = ds.examples(3).tensors["dev"]
    assert abs(loaded.model.loss(X, Y) - result["dev_loss"]) <= printed_tolerance(4)


@pytest.mark.parametrize(
    ("args", "schedule", "decay_at"),
    [
        ([], "step", 100_000),
        (["--lr-decay-at", "0"], "constant", 0),
        (["--schedule", "cosine"], "cosine", 100_000),
        (["--lr-decay-at", "0", "--schedule", "step"], "step", 0),
    ],
)
def test_train_schedule_options(
    capsys: pytest.CaptureFixture[str],
    small_dataset_file: Path,
    tmp_path: Path,
    args: list[str],
    schedule: str,
    decay_at: int,
) -> None:
    out = tmp_path / "m.safetensors"
    code, _, err = run(capsys, "train", small_dataset_file, "--steps", "3", *args, "--out", out)
    assert code == 0, err
    config = load_model(out).training.train_config
    assert (config["schedule"], config["lr_decay_at"]) == (schedule, decay_at)


def test_a_dot_in_the_data_is_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, small_words: list[str]
) -> None:
    path = tmp_path / "dots.txt"
    path.write_text("\n".join([*small_words, "j.r."]))
    code, out, err = run(capsys, "train", path, *FAST, "--json")
    assert code == 0
    assert "contains '.'" in err
    json.loads(out.splitlines()[-1])


def test_an_interrupted_run_still_reports(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = cli.Trainer.run
    calls = [0]

    def run_then_interrupt(self: cli.Trainer, *args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt
        return original(self, 7)

    monkeypatch.setattr(cli.Trainer, "run", run_then_interrupt)
    code, out, err = run(capsys, "train", small_dataset_file, *FAST, "--json")
    assert code == 130
    assert "Interrupted at step 7" in err
    assert json.loads(out.splitlines()[-1])["steps"] == 7


def test_an_interrupt_before_the_first_step(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(self: cli.Trainer, *args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.Trainer, "run", interrupt)
    code, out, err = run(capsys, "train", small_dataset_file, *FAST)
    assert code == 130 and "Traceback" not in err
    assert "steps 0 in 0.0 s (0.0 steps/s)" in out


def test_a_diverging_run_stops_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_init = MLP.init

    def poisoned(*args: object, **kwargs: object) -> MLP:
        model = real_init(*args, **kwargs)
        model.params["W2"][0, 0] = float("nan")
        return model

    monkeypatch.setattr(cli.MLP, "init", poisoned)
    code, out, err = run(capsys, "train", small_dataset_file, *FAST, "--json")
    assert_bad_input(code, err, "diverged at step 1", "learning rate")
    assert out == ""


# -- sample, evaluate, split ------------------------------------------------------------------


def test_sample(capsys: pytest.CaptureFixture[str], model_path: tuple[Path, Path]) -> None:
    path, _ = model_path
    code, out, _ = run(capsys, "sample", path)
    assert code == 0
    names = out.split("\n")[:-1]
    assert len(names) == 20
    assert all(not name.endswith(".") and "." not in name for name in names)
    loaded = load_model(path)
    sampler = Sampler.from_model(loaded.model, loaded.vocab)
    assert names == sampler.sample_names(20, 2147483657)
    code, out, _ = run(capsys, "sample", path, "--count", "5", "--seed", "3")
    assert out.split("\n")[:-1] == sampler.sample_names(5, 3)
    code, out, _ = run(capsys, "sample", path, "--count", "7", "--temperature", "0.5")
    assert out.split("\n")[:-1] == sampler.sample_names(7, 2147483657, 0.5)


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_evaluate(
    capsys: pytest.CaptureFixture[str], model_path: tuple[Path, Path], split: str
) -> None:
    path, data_file = model_path
    loaded = load_model(path)
    X, Y = Dataset.from_file(data_file).examples(3).tensors[split]
    code, out, _ = run(capsys, "evaluate", path, "--data", data_file, "--split", split, "--json")
    assert code == 0
    result = json.loads(out.splitlines()[-1])
    assert result["split"] == split and result["examples"] == len(Y)
    assert abs(result["loss"] - loaded.model.loss(X, Y)) <= printed_tolerance(4)  # 4 places
    code, out, _ = run(capsys, "evaluate", path, "--data", data_file, "--split", split)
    assert out.startswith(f"{split} loss ") and f"{len(Y):,} examples of small.txt" in out


def test_evaluate_defaults_to_dev(
    capsys: pytest.CaptureFixture[str], model_path: tuple[Path, Path]
) -> None:
    path, data_file = model_path
    code, out, _ = run(capsys, "evaluate", path, "--data", data_file, "--json")
    assert code == 0 and json.loads(out)["split"] == "dev"


def test_split_json(capsys: pytest.CaptureFixture[str], small_dataset_file: Path) -> None:
    code, out, _ = run(capsys, "split", small_dataset_file, "--json")
    assert code == 0
    result = json.loads(out.splitlines()[-1])
    ds = Dataset.from_file(small_dataset_file)
    assert result["words"] == 50 and result["vocab_size"] == ds.vocab.size
    assert result["boundary"] == "." and result["block_size"] == 3 and result["split_seed"] == 42
    for split in ("train", "dev", "test"):
        assert result["splits"][split]["words"] == len(getattr(ds.split, split))
        assert result["splits"][split]["examples"] == len(ds.examples(3).Y(split))
    assert [result["splits"][s]["words"] for s in ("train", "dev", "test")] == [40, 5, 5]
    code, out, _ = run(
        capsys, "split", small_dataset_file, "--block-size", "8", "--split-seed", "1"
    )
    assert code == 0 and out.startswith("train") and len(out.splitlines()) == 3


@pytest.mark.slow
def test_split_of_the_lectures_names(
    capsys: pytest.CaptureFixture[str], shared_names: Path
) -> None:
    code, out, _ = run(capsys, "split", shared_names, "--json")
    assert code == 0
    splits = json.loads(out)["splits"]
    assert [splits[s]["words"] for s in ("train", "dev", "test")] == [25626, 3203, 3204]
    assert [splits[s]["examples"] for s in ("train", "dev", "test")] == [182625, 22655, 22866]


def test_split_of_the_bundled_dataset(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "split", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["dataset"] == "us_first_names_2013_2015.txt" and result["vocab_size"] == 27
    assert result["words"] > 30_000


# -- bad input: exit 2 and one line -----------------------------------------------------------


BAD_DATA = {
    "empty": b"",
    "blank": b"\n  \n\r\n",
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10,
    "latin1": "\n".join(["zoë", "josé"] * 10).encode("latin-1"),
    "few": b"emma\nava\nmia\n",
    "long": b"x" * 5000 + b"\n" + b"emma\n" * 20,
}


@pytest.mark.parametrize("command", ["train", "split"])
@pytest.mark.parametrize("kind", sorted(BAD_DATA))
def test_bad_datasets(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, kind: str
) -> None:
    path = tmp_path / f"{kind}.txt"
    path.write_bytes(BAD_DATA[kind])
    options = ["--steps", "5"] if command == "train" else ["--json"]
    code, out, err = run(capsys, command, path, *options)
    assert_bad_input(code, err, f"{kind}.txt")
    assert out == ""


@pytest.mark.parametrize("command", ["train", "split"])
def test_missing_and_folder_datasets(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    code, _, err = run(capsys, command, tmp_path / "missing.txt")
    assert_bad_input(code, err, "not found", "missing.txt")
    code, _, err = run(capsys, command, tmp_path)
    assert_bad_input(code, err, "folder")


def test_a_dataset_too_large(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "MAX_DATASET_BYTES", 64)
    code, _, err = run(capsys, "train", small_dataset_file, "--steps", "5")
    assert_bad_input(code, err, "at most 64 bytes")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--block-size", "0"], "block_size"),
        (["--block-size", "-3"], "block_size"),
        (["--block-size", "1000"], "block_size"),
        (["--embedding", "0"], "n_embd"),
        (["--embedding", "100000"], "n_embd"),
        (["--hidden", "-1"], "n_hidden"),
        (["--hidden", "1000000"], "n_hidden"),
        (["--embedding", "256", "--hidden", "4096", "--block-size", "32"], "parameters"),
        (["--batch-size", "0"], "batch_size"),
        (["--batch-size", "-32"], "batch_size"),
        (["--batch-size", "100000000"], "batch_size"),
        (["--steps", "-100"], "steps"),
        (["--steps", "10000000000"], "steps"),
        (["--lr", "0"], "lr"),
        (["--lr", "-0.1"], "lr"),
        (["--lr", "nan"], "lr"),
        (["--lr", "inf"], "lr"),
        (["--lr", "1e9"], "lr"),
        (["--lr-after", "0"], "lr_after"),
        (["--lr-after", "-1"], "lr_after"),
        (["--lr-decay-at", "-5"], "lr_decay_at"),
        (["--seed", "-1"], "seed"),
    ],
)
def test_bad_hyperparameters(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, args: list[str], fragment: str
) -> None:
    code, out, err = run(capsys, "train", small_dataset_file, *args)
    assert_bad_input(code, err, fragment)
    assert out == ""


def test_bad_output_paths(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "train", small_dataset_file, *FAST, "--out", tmp_path / "no" / "m.safetensors"
    )
    assert_bad_input(code, err, "existing folder")
    folder = tmp_path / "models"
    folder.mkdir()
    code, _, err = run(capsys, "train", small_dataset_file, *FAST, "--out", folder)
    assert_bad_input(code, err, "Cannot save")
    assert list(folder.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models", "small.txt"]


def bad_model_files(folder: Path, good: Path) -> dict[str, Path]:
    raw = good.read_bytes()
    files = {
        "truncated": raw[: len(raw) // 2],
        "text": b"emma\nolivia\n" * 5,
        "empty": b"",
        "pickle": pickle.dumps({"C": [1.0, 2.0]}),
        "zip": b"PK\x03\x04" + bytes(60),
    }
    paths = {}
    for kind, content in files.items():
        paths[kind] = folder / f"{kind}.safetensors"
        paths[kind].write_bytes(content)
    newer = bytearray(raw)
    header_len = int.from_bytes(raw[:8], "little")
    header = raw[8 : 8 + header_len].replace(b'"format_version":"1"', b'"format_version":"9"')
    assert header != raw[8 : 8 + header_len]
    newer[8 : 8 + header_len] = header
    paths["newer"] = folder / "newer.safetensors"
    paths["newer"].write_bytes(bytes(newer))
    return paths


@pytest.mark.parametrize("command", ["sample", "evaluate"])
@pytest.mark.parametrize(
    ("kind", "fragment"),
    [
        ("truncated", "truncated"),
        ("text", "not a model file"),
        ("empty", "not a model file"),
        ("pickle", "pickle"),
        ("zip", "damaged or truncated torch.save file"),
        ("newer", "newer version"),
    ],
)
def test_bad_model_files(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    model_path: tuple[Path, Path],
    command: str,
    kind: str,
    fragment: str,
) -> None:
    path = bad_model_files(tmp_path, model_path[0])[kind]
    code, out, err = run(capsys, command, path)
    assert_bad_input(code, err, path.name, fragment)
    assert out == ""


@pytest.mark.parametrize("command", ["sample", "evaluate"])
def test_missing_and_folder_model_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    code, _, err = run(capsys, command, tmp_path / "nope.safetensors")
    assert_bad_input(code, err, "not found")
    code, _, err = run(capsys, command, tmp_path)
    assert_bad_input(code, err, "folder")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--count", "0"], "count"),
        (["--count", "-4"], "count"),
        (["--temperature", "0"], "temperature"),
        (["--temperature", "-1"], "temperature"),
        (["--temperature", "nan"], "temperature"),
        (["--temperature", "1000"], "temperature"),
    ],
)
def test_bad_sample_options(
    capsys: pytest.CaptureFixture[str],
    model_path: tuple[Path, Path],
    args: list[str],
    fragment: str,
) -> None:
    code, out, err = run(capsys, "sample", model_path[0], *args)
    assert_bad_input(code, err, fragment)
    assert out == ""


def test_evaluate_on_data_the_model_cannot_read(
    capsys: pytest.CaptureFixture[str], model_path: tuple[Path, Path], tmp_path: Path
) -> None:
    other = tmp_path / "other.txt"
    other.write_text("\n".join(["quinn", "xavier", "kyle"] * 5))
    code, _, err = run(capsys, "evaluate", model_path[0], "--data", other)
    assert_bad_input(code, err, "other.txt", "does not know")
    code, _, err = run(capsys, "evaluate", model_path[0], "--data", tmp_path / "gone.txt")
    assert_bad_input(code, err, "not found")


@pytest.mark.parametrize("block_size", ["0", "-1", "33"])
def test_split_bad_block_size(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, block_size: str
) -> None:
    code, _, err = run(capsys, "split", small_dataset_file, "--block-size", block_size)
    assert_bad_input(code, err, "block size")


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--steps", "abc"],
        ["train", "--lr", "fast"],
        ["train", "--init", "xavier"],
        ["evaluate", "m.safetensors", "--split", "validation"],
        ["--threads", "0", "split"],
        ["--threads", "100000", "split"],
        ["frobnicate"],
        [],
    ],
)
def test_argument_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert "Traceback" not in err
    assert "error:" in err.strip().splitlines()[-1]
    assert out == ""


def test_progress_bar_draws_steps_and_loss() -> None:
    stream = io.StringIO()
    bar = cli_common.ProgressBar(1000, stream, enabled=True)
    bar.update(250, 2.3456)
    bar.close()
    last = stream.getvalue().rstrip("\n").split("\r")[-1]  # the line as it was drawn last
    assert "250/1,000" in last and "steps/s" in last and "loss 2.346" in last
    assert stream.getvalue().endswith("\n")
    stream = io.StringIO()
    off = cli_common.ProgressBar(10, stream, enabled=False)
    off.update(5, 2.0)
    off.close()
    assert stream.getvalue() == ""


def test_only_charnames_errors_are_turned_into_exit_2(
    small_dataset_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug still shows its traceback: main() catches the core's user-facing errors only."""

    def bug(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError

    monkeypatch.setattr(cli.Dataset, "from_file", bug)
    with pytest.raises(ZeroDivisionError):
        cli.main(["split", str(small_dataset_file)])
    assert issubclass(data.DatasetError, CharnamesError)


# -- end to end, in a fresh process -----------------------------------------------------------


def charnames(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "charnames_gui.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_end_to_end_train(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "e2e.safetensors"
    trained = charnames("train", small_dataset_file, *FAST, "--out", out, "--json", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    result = json.loads(trained.stdout.splitlines()[-1])
    assert result["steps"] == 60
    in_process = run(capsys, "train", small_dataset_file, *FAST, "--json")[1].splitlines()[-1]
    assert json.loads(in_process)["train_loss"] == result["train_loss"]
    assert len(run(capsys, "sample", out, "--count", "4")[1].split("\n")[:-1]) == 4


def test_end_to_end_bad_input_exits_2(tmp_path: Path) -> None:
    evil = tmp_path / "evil.safetensors"
    marker = tmp_path / "ran"
    evil.write_bytes(b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR.")
    result = charnames("sample", evil, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("charnames: error: ") and result.stderr.count("\n") == 1
    assert not marker.exists()


# -- reliability: input that must not lose work, hang or crash ---------------------


def rewrite_metadata(good: Path, dest: Path, **changes: str) -> Path:
    """A copy of a model file with some metadata values replaced (the tensors unchanged)."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(good), framework="pt") as fh:
        metadata = dict(fh.metadata())
        tensors = {name: fh.get_tensor(name) for name in fh.keys()}  # noqa: SIM118
    metadata.update(changes)
    save_file(tensors, str(dest), metadata=metadata)
    return dest


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to make a model fails the test: the check must come before training."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started")

    monkeypatch.setattr(cli.MLP, "init", refuse)


@pytest.mark.usefixtures("no_training")
def test_out_that_is_the_dataset_is_refused_before_training(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, tmp_path: Path
) -> None:
    names = small_dataset_file.read_bytes()
    code, out, err = run(capsys, "train", small_dataset_file, *FAST, "--out", small_dataset_file)
    assert_bad_input(code, err, "is the dataset itself")
    link = tmp_path / "model.safetensors"
    link.symlink_to(small_dataset_file)
    code, out, err = run(capsys, "train", small_dataset_file, *FAST, "--out", link)
    assert_bad_input(code, err, "is the dataset itself")
    assert out == "" and small_dataset_file.read_bytes() == names


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder no new file can be made in: read-only by mode, or /sys when running as root
    (root writes through modes)."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    try:
        (Path("/sys") / "charnames-probe").touch()
    except OSError:
        yield Path("/sys")
    else:
        pytest.skip("no unwritable folder to test with")


@pytest.mark.usefixtures("no_training")
def test_an_unwritable_out_folder_is_refused_before_training(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, unwritable_folder: Path
) -> None:
    target = unwritable_folder / "model.safetensors"
    code, out, err = run(capsys, "train", small_dataset_file, *FAST, "--out", target)
    assert_bad_input(code, err, "not writable", "before training")
    assert out == ""


def test_a_save_that_fails_at_the_end_keeps_the_model(
    capsys: pytest.CaptureFixture[str],
    small_dataset_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "model.safetensors"
    real_save = cli_common.save_model

    def disk_full_at_target(path: str | Path, model_file: object) -> None:
        if Path(path) == target:
            raise OSError(28, "No space left on device")
        real_save(path, model_file)

    monkeypatch.setattr(cli_common, "save_model", disk_full_at_target)
    code, out, err = run(capsys, "train", small_dataset_file, *FAST, "--out", target, "--json")
    line = assert_bad_input(code, err, "No space left on device", "the model was saved to")
    rescued = Path(json.loads(out)["model_file"])
    assert rescued.is_file() and str(rescued) in line and not target.exists()
    assert load_model(rescued).training.steps == 60
    rescued.unlink()
    rescued.parent.rmdir()


def test_a_fifo_or_device_dataset_exits_2_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "names.txt"
    os.mkfifo(fifo)  # nobody writes: a blocking open would wait forever
    zero = tmp_path / "zero.txt"
    zero.symlink_to("/dev/zero")
    for path, fragment in ((fifo, "named pipe"), (zero, "device")):
        result = charnames("split", path, cwd=tmp_path)  # a hang fails by its timeout
        assert result.returncode == 2, result.stderr
        assert fragment in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("command", ["train", "split"])
def test_a_split_seed_the_app_cannot_show_is_refused(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, tmp_path: Path, command: str
) -> None:
    out = tmp_path / "m.safetensors"
    extra = [*FAST, "--out", out] if command == "train" else []
    for seed in ("3000000000", str(2**31), "-1"):
        code, _, err = run(capsys, command, small_dataset_file, "--split-seed", seed, *extra)
        assert_bad_input(code, err, "--split-seed", "2,147,483,647")
    assert not out.exists()
    code, _, err = run(capsys, command, small_dataset_file, "--split-seed", str(2**31 - 1), *extra)
    assert code == 0, err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["sample", "MODEL", "--seed", "99999999999999999999999"], "--seed"),
        (["sample", "MODEL", "--seed", "-3"], "--seed"),
        (["train", "DATA", "--seed", "99999999999999999999999"], "seed"),
    ],
)
def test_huge_seeds_exit_2_with_a_message(
    capsys: pytest.CaptureFixture[str],
    model_path: tuple[Path, Path],
    args: list[str],
    fragment: str,
) -> None:
    args = [{"MODEL": str(model_path[0]), "DATA": str(model_path[1])}.get(a, a) for a in args]
    code, out, err = run(capsys, *args)
    assert_bad_input(code, err, fragment)
    assert out == ""


def test_a_number_thousands_of_digits_long_is_not_a_traceback(
    capsys: pytest.CaptureFixture[str], model_path: tuple[Path, Path], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "sample", model_path[0], "--seed", "9" * 5000)
    assert code == 2 and "Traceback" not in err and "not a whole number" in err
    assert "set_int_max_str_digits" not in err and len(err) < 1000
    huge = rewrite_metadata(model_path[0], tmp_path / "huge.safetensors", split_seed="9" * 5000)
    code, _, err = run(capsys, "evaluate", huge, "--data", model_path[1])
    assert_bad_input(code, err)  # the wording of model-file errors is core.checkpoint's


def test_a_header_nested_100000_deep_exits_2(
    capsys: pytest.CaptureFixture[str], model_path: tuple[Path, Path], tmp_path: Path
) -> None:
    deep = rewrite_metadata(
        model_path[0], tmp_path / "deep.safetensors", config="[" * 100_000 + "]" * 100_000
    )
    for command in ("sample", "evaluate"):
        code, out, err = run(capsys, command, deep)
        assert_bad_input(code, err)
        assert out == ""


def test_memory_error_exits_2_with_a_message(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def out_of_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(cli.MLP, "init", out_of_memory)  # as a large allowed model may
    code, _, err = run(capsys, "train", small_dataset_file, *FAST)
    assert_bad_input(code, err, "Not enough memory")


def test_evaluate_refuses_a_non_finite_loss(
    capsys: pytest.CaptureFixture[str], model_path: tuple[Path, Path], tmp_path: Path
) -> None:
    from charnames_gui.core.checkpoint import save_model

    model_file = load_model(model_path[0])
    with torch.no_grad():
        for t in model_file.model.params.values():
            t.fill_(3e38)  # finite weights, but the logits overflow to inf
    huge = tmp_path / "huge.safetensors"
    save_model(huge, model_file)
    code, out, err = run(capsys, "evaluate", huge, "--data", model_path[1])
    assert_bad_input(code, err, "huge.safetensors", "too large")
    assert out == ""


def test_sample_prints_control_characters_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from charnames_gui.core.checkpoint import save_model
    from charnames_gui.core.data import Vocabulary
    from charnames_gui.core.model_file import ModelFile, TrainingSummary

    controls = ["\x1b", "\x08", "\x7f", "\x85", "\n", "\t"]
    vocab = Vocabulary((".", "a", "b", *controls))
    model = MLP.init(ModelConfig(3, 4, 16, vocab.size), "scaled", 1)
    with torch.no_grad():
        model.params["W2"].zero_()
        model.params["b2"].zero_()  # uniform: every character is drawn often
    path = tmp_path / "controls.safetensors"
    save_model(path, ModelFile(model, vocab, 42, TrainingSummary()))
    code, out, err = run(capsys, "sample", path, "--count", "50")
    assert code == 0, err
    assert out.count("\n") == 50  # a newline in a name does not make an extra line
    assert not set(out.replace("\n", "")) & set(controls)
    assert "\\x1b" in out and "\\n" in out


def test_examples_too_large_for_memory_exit_2(
    capsys: pytest.CaptureFixture[str], small_dataset_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "available_memory", lambda: 1000)
    code, out, err = run(capsys, "split", small_dataset_file, "--block-size", "32")
    assert_bad_input(code, err, "need", "smaller block size")
    assert out == ""


def test_a_vocabulary_with_a_lone_surrogate_exits_2(
    capsys: pytest.CaptureFixture[str], model_path: tuple[Path, Path], tmp_path: Path
) -> None:
    from safetensors import safe_open

    with safe_open(str(model_path[0]), framework="pt") as fh:
        vocab = json.loads(fh.metadata()["vocab"])
    vocab[5] = "\ud800"
    bad = rewrite_metadata(model_path[0], tmp_path / "bad.safetensors", vocab=json.dumps(vocab))
    for command in ("sample", "evaluate"):
        code, out, err = run(capsys, command, bad, "--data", model_path[1])
        assert_bad_input(code, err)
        assert out == ""
