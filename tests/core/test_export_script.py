"""core.export_script: the exported script and notebook repeat the app's autograd run bit for
bit (2,000 steps on the small data), for every init and schedule."""

from __future__ import annotations

import contextlib
import io
import json
import runpy
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from charnames_gui.core.checkpoint import save_model
from charnames_gui.core.config import PARAMETER_NAMES, ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset, Vocabulary
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.export_script import (
    cells,
    notebook,
    notebook_text,
    run_spec,
    script_text,
    write_export,
)
from charnames_gui.core.model import MLP
from charnames_gui.core.model_file import ModelFile, TrainingSummary
from charnames_gui.core.sampling import Sampler
from charnames_gui.core.training import Trainer

STEPS = 2000

RUNS = {
    # the lecture's final run, shortened: lecture init, step decay half way
    "lecture-step": (
        ModelConfig(block_size=3, n_embd=10, n_hidden=200),
        TrainConfig(steps=STEPS, lr_decay_at=1000, engine="autograd"),
        42,
    ),
    # other sizes, scaled init, cosine schedule, an odd batch, another split seed
    "scaled-cosine": (
        ModelConfig(block_size=4, n_embd=3, n_hidden=17),
        TrainConfig(
            batch_size=5, steps=STEPS, lr=0.3, schedule="cosine", lr_after=0.02,
            init="scaled", seed=123, engine="autograd",
        ),
        7,
    ),
    "constant": (
        ModelConfig(block_size=1, n_embd=2, n_hidden=8),
        TrainConfig(batch_size=64, steps=STEPS, lr=0.05, schedule="constant", seed=0,
                    engine="autograd"),
        2**31 - 1,
    ),
}  # fmt: skip


def train_in_app(
    dataset: Dataset, model_config: ModelConfig, train_config: TrainConfig
) -> ModelFile:
    """The app's run: MLP.init + Trainer with the autograd engine, saved as a ModelFile."""
    assert dataset.vocab is not None
    config = ModelConfig(
        model_config.block_size, model_config.n_embd, model_config.n_hidden, dataset.vocab.size
    )
    model = MLP.init(config, train_config.init, train_config.seed)
    trainer = Trainer(model, dataset.examples(config.block_size), train_config)
    while not trainer.done:
        trainer.run(train_config.steps)
    summary = TrainingSummary(
        steps=trainer.step,
        train_config=train_config.to_dict(),
        dataset_name=dataset.name,
        dataset_hash=dataset.content_hash(),
        dataset_path=str(dataset.path),
        batch_stream=trainer.batch_stream,
    )
    return ModelFile(model, dataset.vocab, dataset.split_seed, summary)


def assert_same_weights(namespace: dict, model_file: ModelFile) -> None:
    for name in PARAMETER_NAMES:
        exported = namespace[name].detach()
        assert torch.equal(exported, model_file.model.params[name].detach()), name


def run_script(path: Path) -> tuple[dict, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace = runpy.run_path(str(path), run_name="__main__")
    return namespace, out.getvalue()


def header(script: str) -> str:
    """The script's opening comment block, unwrapped: what it claims before any code."""
    comments = script.split("\nimport ", 1)[0].splitlines()
    return " ".join(line.lstrip("#").strip() for line in comments)


@pytest.mark.parametrize("run", list(RUNS))
def test_the_exported_script_repeats_the_apps_run_bit_for_bit(
    tmp_path: Path, small_dataset_file: Path, run: str
) -> None:
    model_config, train_config, split_seed = RUNS[run]
    dataset = Dataset.from_file(small_dataset_file, split_seed=split_seed)
    model_file = train_in_app(dataset, model_config, train_config)
    saved = tmp_path / "model.safetensors"
    save_model(saved, model_file)
    spec = run_spec(model_file, dataset, model_path=saved)
    assert spec.notes == () and spec.reproduces
    path = tmp_path / "run.py"
    write_export(path, script_text(spec))
    assert "gives the app's weights bit for bit" in header(path.read_text())
    namespace, printed = run_script(path)
    assert_same_weights(namespace, model_file)
    # the code checks its own claim against the model file
    assert printed.splitlines()[-1].startswith("the same weights as the app's, bit for bit")
    # the split, the examples and the sampling cell are the app's too
    for split in ("train", "dev", "test"):
        X, Y = dataset.examples(model_config.block_size).tensors[split]
        short = {"train": "tr", "dev": "dev", "test": "te"}[split]
        assert torch.equal(namespace[f"X{short}"], X) and torch.equal(namespace[f"Y{short}"], Y)
    names = Sampler.from_model(model_file.model, model_file.vocab).sample_names(20)
    assert printed.splitlines()[-21:-1] == [n + "." for n in names]


def test_the_notebook_is_valid_and_its_cells_repeat_the_run(
    tmp_path: Path, small_dataset_file: Path
) -> None:
    model_config, train_config, split_seed = RUNS["scaled-cosine"]
    dataset = Dataset.from_file(small_dataset_file, split_seed=split_seed)
    model_file = train_in_app(dataset, model_config, train_config)
    spec = run_spec(model_file, dataset)
    path = tmp_path / "run.ipynb"
    write_export(path, notebook_text(spec))
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    kinds = [cell.cell_type for cell in nb.cells]
    assert kinds[0] == "markdown" and kinds.count("code") == 8
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, "<cell>", "exec"), namespace)
    assert_same_weights(namespace, model_file)
    # the lecture's own lines are there, with the run's numbers
    code = "\n".join(cell.source for cell in nb.cells)
    for line in (
        "def build_dataset(words):",
        "random.seed(7)",
        "g = torch.Generator().manual_seed(123) # for reproducibility",
        "W1 = torch.randn((12, 17), generator=g) * ((5/3)/(12**0.5))",
        "g_batches = torch.Generator().manual_seed(123 + 1)",
        "ix = torch.randint(0, Xtr.shape[0], (5,), generator=g_batches)",
        "p.data += -lr * p.grad",
        "g = torch.Generator().manual_seed(2147483647 + 10)",
    ):
        assert line in code, line


def test_the_script_runs_standalone_with_only_torch(
    tmp_path: Path, small_dataset_file: Path
) -> None:
    """In a fresh interpreter, isolated (-I) and outside the repository: it cannot import the
    app, so it needs nothing but torch."""
    model_config, train_config, split_seed = RUNS["constant"]
    dataset = Dataset.from_file(small_dataset_file, split_seed=split_seed)
    model_file = train_in_app(dataset, model_config, train_config.replace(steps=300))
    path = tmp_path / "run.py"
    write_export(path, script_text(run_spec(model_file, dataset)))
    result = subprocess.run(
        [sys.executable, "-I", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names = Sampler.from_model(model_file.model, model_file.vocab).sample_names(20)
    assert result.stdout.splitlines()[-20:] == [n + "." for n in names]


def test_the_schedules_match_lr_at(small_dataset_file: Path) -> None:
    dataset = Dataset.from_file(small_dataset_file)
    for schedule in ("constant", "step", "cosine"):
        config = TrainConfig(steps=50, schedule=schedule, lr_decay_at=20, lr=0.3, lr_after=0.007)
        model_file = train_in_app(dataset, ModelConfig(2, 2, 4), config.replace(steps=1))
        model_file.training.train_config = config.to_dict()
        loop = next(src for _, src in cells(run_spec(model_file, dataset)) if "for i in" in src)
        lr_source = "\n".join(
            line.strip() for line in loop.splitlines() if "lr =" in line or "progress =" in line
        )
        for i in range(50):
            scope = {"i": i, "math": __import__("math")}
            exec(lr_source, scope)
            assert scope["lr"] == config.lr_at(i), (schedule, i)


def test_notes_for_what_the_code_cannot_repeat(small_dataset_file: Path) -> None:
    dataset = Dataset.from_file(small_dataset_file)
    model_file = train_in_app(dataset, ModelConfig(2, 2, 4), TrainConfig(steps=10))
    model_file.training.steps = 5
    model_file.training.batch_stream = (99, 3)
    notes = " ".join(run_spec(model_file, dataset).notes)
    assert "fast engine" in notes and "--engine autograd" in notes
    assert "changed at step 3" in notes
    assert "the weights after 5 steps, of a run planned for 10 steps" in notes
    assert "steps = 5 gives exactly these" in notes
    script = script_text(run_spec(model_file, dataset))
    assert "# Note: The app trained this run with its fast engine" in script


def test_a_model_of_another_dataset_is_not_exported_with_this_one(
    tmp_path: Path, small_dataset_file: Path, small_words: list[str]
) -> None:
    dataset = Dataset.from_file(small_dataset_file)
    model_file = train_in_app(dataset, ModelConfig(2, 2, 4), TrainConfig(steps=3))
    other_file = tmp_path / "other.txt"
    other_file.write_text("\n".join(reversed(small_words[:-1])), encoding="utf-8")
    other = Dataset.from_file(other_file, vocab=dataset.vocab)
    with pytest.raises(ConfigError) as info:
        run_spec(model_file, other)
    message = str(info.value)
    assert dataset.content_hash()[:8] in message and other.content_hash()[:8] in message


def test_a_model_vocabulary_wider_than_the_file_is_written_out(
    tmp_path: Path, small_dataset_file: Path
) -> None:
    dataset = Dataset.from_file(small_dataset_file)
    assert dataset.vocab is not None
    wide = Vocabulary((*dataset.vocab.itos, "q", "x"))  # letters no small name uses
    wide_dataset = Dataset.from_file(small_dataset_file, vocab=wide)
    model_file = train_in_app(wide_dataset, ModelConfig(2, 2, 4), TrainConfig(steps=200))
    model_file.training.train_config = TrainConfig(steps=200, engine="autograd").to_dict()
    path = tmp_path / "wide.py"
    write_export(path, script_text(run_spec(model_file, wide_dataset)))
    assert "the model's vocabulary" in path.read_text()
    namespace, _ = run_script(path)
    assert namespace["vocab_size"] == wide.size


def test_bare_weights_say_plainly_that_the_code_trains_something_else(
    tmp_path: Path, small_dataset_file: Path
) -> None:
    dataset = Dataset.from_file(small_dataset_file)
    assert dataset.vocab is not None
    model = MLP.init(ModelConfig(3, 10, 200, dataset.vocab.size), seed=3)
    model_file = ModelFile(model, dataset.vocab, kind="safetensors weights")
    saved = tmp_path / "mine.safetensors"
    save_model(saved, model_file)
    spec = run_spec(model_file, dataset, model_path=saved)
    assert spec.train_config == TrainConfig(engine="autograd") and len(spec.notes) == 1
    assert not spec.reproduces
    text = header(script_text(spec))
    assert "bit for bit" not in text  # no claim the code cannot keep
    assert "does NOT give the model file's weights" in text
    assert "no training record" in text and "200,000 steps" in text
    # (200,000 steps is too long to run here; its check cell says "other weights")
    assert "other weights than the app's" in script_text(spec)


def test_a_steps_0_model_exports_code_that_stops_at_step_0(
    tmp_path: Path, small_dataset_file: Path
) -> None:
    """charnames train --steps 0 saves the initial weights of a 200,000-step plan: the code
    runs 0 steps, gives exactly those weights and says so."""
    dataset = Dataset.from_file(small_dataset_file)
    assert dataset.vocab is not None
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size))  # no step taken
    summary = TrainingSummary(
        steps=0, train_config=TrainConfig().to_dict(),  # the plan: the final run, fast engine
        dataset_name=dataset.name, dataset_hash=dataset.content_hash(),
        dataset_path=str(dataset.path), batch_stream=(TrainConfig().seed, 0),
    )  # fmt: skip
    model_file = ModelFile(model, dataset.vocab, dataset.split_seed, summary)
    saved = tmp_path / "init.safetensors"
    save_model(saved, model_file)
    spec = run_spec(model_file, dataset, model_path=saved)
    assert spec.reproduces and spec.loop_steps == 0
    path = tmp_path / "init.py"
    write_export(path, script_text(spec))
    text = path.read_text()
    assert "gives the app's weights bit for bit" in header(text)
    assert "holds its initial weights" in header(text) and "steps = 200000" in header(text)
    assert "\nsteps = 0\n" in path.read_text()
    namespace, printed = run_script(path)
    assert_same_weights(namespace, model_file)
    assert printed.splitlines()[-1].startswith("the same weights as the app's, bit for bit")


def test_a_fast_engine_run_says_what_the_code_does_and_measures_the_drift(
    tmp_path: Path, small_dataset_file: Path
) -> None:
    dataset = Dataset.from_file(small_dataset_file)
    config = TrainConfig(steps=300, lr_decay_at=150, engine="fast")
    model_file = train_in_app(dataset, ModelConfig(3, 4, 16), config)
    saved = tmp_path / "fast.safetensors"
    save_model(saved, model_file)
    spec = run_spec(model_file, dataset, model_path=saved)
    assert not spec.reproduces
    path = tmp_path / "fast.py"
    write_export(path, script_text(spec))
    text = header(path.read_text())
    assert "bit for bit" not in text.split("Note:")[0]  # the claim sentence makes none
    assert "does NOT give the model file's weights" in text and "fast engine" in text
    assert "--engine autograd" in text
    namespace, printed = run_script(path)
    same = all(
        torch.equal(namespace[n].detach(), model_file.model.params[n]) for n in PARAMETER_NAMES
    )
    last = printed.splitlines()[-1]
    assert last.startswith("the same weights" if same else "other weights than the app's")
    assert "largest difference" in last


def test_write_export_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="folder"):
        write_export(tmp_path, "x")
    with pytest.raises(ConfigError, match="Cannot write"):
        write_export(tmp_path / "missing" / "x.py", "x")


def test_notebook_json_is_plain(small_dataset_file: Path) -> None:
    dataset = Dataset.from_file(small_dataset_file)
    model_file = train_in_app(dataset, ModelConfig(2, 2, 4), TrainConfig(steps=3))
    data = json.loads(notebook_text(run_spec(model_file, dataset)))
    assert data["nbformat"] == 4 and data["metadata"]["kernelspec"]["name"] == "python3"
    nbformat.validate(notebook(run_spec(model_file, dataset)))


def test_a_dataset_with_dots_exports_its_own_boundary_token(tmp_path: Path) -> None:
    """Names with '.' make '#' the boundary token: the exported code pads and ends with it."""
    data_file = tmp_path / "dotted.txt"
    words = [*SMALL_WORDS_WITH_DOTS]
    data_file.write_text("\n".join(words) + "\n", encoding="utf-8")
    dataset = Dataset.from_file(data_file)
    assert dataset.vocab is not None and dataset.vocab.boundary == "#"
    config = TrainConfig(steps=300, batch_size=8, engine="autograd")
    model_file = train_in_app(dataset, ModelConfig(2, 3, 8), config)
    path = tmp_path / "dotted.py"
    write_export(path, script_text(run_spec(model_file, dataset)))
    assert "for ch in w + '#':" in path.read_text()
    namespace, _ = run_script(path)
    assert_same_weights(namespace, model_file)


SMALL_WORDS_WITH_DOTS = ["st.john", "j.r.", "emma", "olivia", "ava", "mia", "luna", "ella",
                         "aria", "nora", "zoe", "lily", "leah", "nova"]  # fmt: skip
