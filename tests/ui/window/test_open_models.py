"""Opening models in the window: checked before anything changes, a learner's own weights, the
model's dataset known by content, and File > Export as the lecture's code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import ScriptedDialogs
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from small_data import SMALL_WORDS, lecture_sample

from charnames_gui.core.checkpoint import load_model, save_model
from charnames_gui.core.config import DEFAULT_SAMPLE_SEED, PARAMETER_NAMES, ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.model_file import ModelFile, TrainingSummary
from charnames_gui.core.training import Trainer
from charnames_gui.ui import model_files
from charnames_gui.ui.controller import TrainingState
from charnames_gui.ui.window.dialogs import SaveChoice

WORDS_27 = [*SMALL_WORDS, "jack", "kai", "quinn", "xavier"]


def trained_file(folder: Path, data_file: Path, steps: int = 200) -> Path:
    """A model trained on data_file, recording its hash and path, saved in folder."""
    dataset = Dataset.from_file(data_file)
    assert dataset.vocab is not None
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size), "scaled", 1)
    config = TrainConfig(steps=steps, engine="autograd")
    trainer = Trainer(model, dataset.examples(3), config)
    trainer.run(steps)
    summary = TrainingSummary(
        steps=trainer.step,
        train_loss=trainer.evaluate("train"),
        dev_loss=trainer.evaluate("dev"),
        train_config=config.to_dict(),
        dataset_name=dataset.name,
        dataset_hash=dataset.content_hash(),
        dataset_path=str(data_file.resolve()),
        batch_stream=trainer.batch_stream,
    )
    path = folder / "trained.safetensors"
    save_model(path, ModelFile(model, dataset.vocab, dataset.split_seed, summary))
    return path


def rewrite(path: Path, **changes: str) -> Path:
    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata())
    save_file(load_file(path), str(path), metadata={**meta, **changes})
    return path


def make_unsaved(qtbot, window) -> None:
    """A trained step that is not in any file."""
    c = window.controller
    with qtbot.waitSignal(c.stepDone, timeout=10_000):
        assert c.step_once()
    qtbot.waitUntil(lambda: not c.document.is_busy(), timeout=10_000)
    assert c.document.modified


# -- checked first, then asked, then applied ------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("split_seed", str(2**31), "split seed"),
        ("training", json.dumps({"steps": -5}), "-5 steps"),
        ("training", json.dumps({"steps": 10**15}), "steps"),
        ("training", json.dumps({"steps": 9, "batch_stream": [2**70, 0]}), "minibatch stream"),
        ("training", json.dumps({"train_loss": "2.1"}), "train loss"),
        ("config", "[1]" * 1 + "", "config is not readable"),
        ("config", json.dumps({"block_size": 3}), "no n_embd (embedding size)"),
    ],
)
def test_a_bad_model_file_changes_nothing_and_asks_nothing(
    qtbot, window, tmp_path: Path, small_dataset_file: Path, field: str, value: str, fragment: str
) -> None:
    path = rewrite(trained_file(tmp_path, small_dataset_file), **{field: value})
    make_unsaved(qtbot, window)
    c = window.controller
    before = (
        c.document.model,
        c.document.trainer,
        c.document.dataset,
        c.document.path,
        c.document.state,
        window.controls.step_text(),
    )
    assert not window.file_commands.open_model(path)
    assert window.dialogs.questions == []  # no Save/Discard for a file that cannot open
    title, message = window.dialogs.errors[-1]
    assert title == "Cannot open model" and fragment in message and "\n" not in message
    assert (
        c.document.model,
        c.document.trainer,
        c.document.dataset,
        c.document.path,
        c.document.state,
        window.controls.step_text(),
    ) == before


def test_a_good_file_asks_after_checking_and_cancel_keeps_everything(
    qtbot, make_window, tmp_path: Path, small_dataset_file: Path
) -> None:
    window = make_window(dialogs=ScriptedDialogs(save_choice=SaveChoice.CANCEL))
    path = trained_file(tmp_path, small_dataset_file)
    make_unsaved(qtbot, window)
    model_before = window.controller.document.model
    assert not window.file_commands.open_model(path)
    assert len(window.dialogs.questions) == 1 and "not saved" in window.dialogs.questions[0]
    assert window.controller.document.model is model_before


# -- a learner's own weights -----------------------------------------------------------------------


def test_notebook_weights_open_and_sample_the_notebooks_names(
    qtbot, make_window, tmp_path: Path
) -> None:
    data_file = tmp_path / "names27.txt"
    data_file.write_text("\n".join(WORDS_27) + "\n")
    window = make_window(open_data=False)
    g = torch.Generator().manual_seed(2147483647)
    tensors = {
        "C": torch.randn((27, 10), generator=g),
        "W1": torch.randn((30, 200), generator=g),
        "b1": torch.randn(200, generator=g),
        "W2": torch.randn((200, 27), generator=g) * 0.1,
        "b2": torch.randn(27, generator=g),
    }
    tensors["b2"][0] += 4.0  # untrained weights that still end their names
    path = tmp_path / "mine.pt"
    torch.save(list(tensors.values()), path)
    assert window.file_commands.open_path(path)
    c = window.controller
    assert c.document.model is not None and c.document.state == TrainingState.NO_DATASET
    assert window.status_state.text() == "no dataset"
    panel = window.sampling_panel
    panel.sample_batch(5)
    itos = tuple(".abcdefghijklmnopqrstuvwxyz")
    assert panel._names.names() == lecture_sample(tensors, 3, itos, DEFAULT_SAMPLE_SEED, 5)
    # Save never overwrites the learner's .pt: it asks for a .safetensors name
    window.dialogs.save_paths.append(str(tmp_path / "mine.safetensors"))
    assert window.file_commands.save_model()
    assert path.read_bytes()[:2] == b"PK"
    assert load_model(tmp_path / "mine.safetensors").vocab.itos == itos


# -- the model's dataset, by content ---------------------------------------------------------------


def test_the_models_dataset_is_found_by_its_recorded_path(
    qtbot, window, tmp_path: Path, small_dataset_file: Path
) -> None:
    model_folder = tmp_path / "models"
    model_folder.mkdir()
    own = model_folder / "names.txt"  # the same name as the open one, other content
    own.write_text("\n".join(reversed(SMALL_WORDS)) + "\n")
    path = trained_file(model_folder, own)
    assert window.file_commands.open_model(path)
    c = window.controller
    assert c.document.dataset is not None and c.document.dataset.path == own.resolve()
    assert c.document.dataset_match() is not None and c.document.dataset_match().same
    assert c.document.state == TrainingState.FINISHED  # trainable: all its steps are done


def test_another_dataset_is_named_with_both_hashes_and_its_test_split_refused(
    qtbot, window, tmp_path: Path, small_dataset_file: Path
) -> None:
    own = tmp_path / "own" / "small.txt"  # same file name as the open dataset
    own.parent.mkdir()
    own.write_text("\n".join(SMALL_WORDS[::-1][:-2]) + "\n")
    path = trained_file(tmp_path, own)
    own_hash = Dataset.from_file(own).content_hash()[:8]
    own.unlink()  # gone: the open dataset is used, and said to be another one
    open_hash = window.controller.document.dataset.content_hash()[:8]
    messages: list[str] = []
    window.controller.statusMessage.connect(messages.append)
    assert window.file_commands.open_model(path)
    c = window.controller
    said = messages[-1]
    assert own_hash in said and open_hash in said and str(own.parent) in said
    assert "splits are not the model's" in said
    assert "measured on its own dataset" in window.controls.result_label.text()
    assert "Not the dataset this model was trained on" in window.dataset_label.text()
    window.sampling_panel.sample_batch(3)  # names are not marked against the wrong split
    assert window.sampling_panel._names.marks() == ["dataset unknown"] * 3
    assert not c.evaluate_split("test")
    title, message = window.dialogs.errors[-1]
    assert title == "Test set not evaluated" and "splits do not correspond" in message
    assert c.document.state == TrainingState.FINISHED  # dev and train still work
    with qtbot.waitSignal(c.splitEvaluated, timeout=10_000):
        assert c.evaluate_split("dev")


def test_opening_the_models_dataset_keeps_the_model(
    qtbot, make_window, tmp_path: Path, small_dataset_file: Path
) -> None:
    """A model opened with a dataset that does not fit (other letters), then its own: the
    model stays, with its step, and becomes trainable."""
    path = trained_file(tmp_path, small_dataset_file, steps=300)
    small_dataset_file.rename(tmp_path / "moved.txt")
    cities = tmp_path / "cities.txt"
    cities.write_text("\n".join(["zürich", "köln", "montréal", "québec"] * 5) + "\n")
    window = make_window(open_data=False)
    assert window.file_commands.open_dataset(cities)
    messages: list[str] = []
    window.controller.statusMessage.connect(messages.append)
    assert window.file_commands.open_model(path)
    c = window.controller
    said = messages[-1]  # names both: the open one, and the one to open (moved: not found)
    assert "cities.txt" in said and str(small_dataset_file.resolve()) in said
    assert c.document.dataset is None and c.document.state == TrainingState.NO_DATASET
    assert window.status_state.text() == "no dataset"
    assert window.controls.step_text().startswith("step 300 / 300")
    model = c.document.model
    assert window.file_commands.open_dataset(tmp_path / "moved.txt")
    assert (
        c.document.model is model
        and c.document.trainer is not None
        and c.document.trainer.step == 300
    )
    assert window.dialogs.questions == []
    assert c.document.dataset_match().same
    assert "Not the dataset" not in window.dataset_label.text()


# -- File > Export ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["script", "notebook"])
def test_export_the_run_as_the_lectures_code(qtbot, window, tmp_path: Path, kind: str) -> None:
    target = tmp_path / f"run.{'py' if kind == 'script' else 'ipynb'}"
    window.dialogs.save_paths.append(str(target))
    action = window.menus.action(f"export_{kind}")
    assert action.isEnabled()
    action.trigger()
    text = target.read_text()
    assert "def build_dataset(words):" in text and "torch.multinomial" in text
    if kind == "script":
        compile(text, str(target), "exec")
    else:
        import nbformat

        nbformat.validate(nbformat.reads(text, as_version=4))


def test_every_parameter_exported_is_the_models(qtbot, window, tmp_path: Path) -> None:
    """The export of a fresh model: running it for 0 steps gives the window's weights."""
    c = window.controller
    c.apply_train_config(c.document.train_config.replace(steps=1, engine="autograd"))
    target = tmp_path / "run.py"
    assert model_files.write_code(target, "script", c.document).startswith("Exported run.py")
    source = target.read_text()
    assert "\nsteps = 0\n" in source  # a fresh model exports the 0 steps it has taken
    namespace: dict = {}
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, str(target), "exec"), namespace)
    for name in PARAMETER_NAMES:
        assert torch.equal(namespace[name].detach(), c.document.model.params[name].detach()), name


# -- a large model file is read off the GUI thread ---------------------------------------------


def test_a_large_model_file_is_read_on_a_worker_thread(
    qtbot, window, tmp_path: Path, small_dataset_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from charnames_gui.ui import model_files

    monkeypatch.setattr(model_files, "BACKGROUND_MODEL_BYTES", 0)  # every file is large
    path = trained_file(tmp_path, small_dataset_file)
    make_unsaved(qtbot, window)
    c = window.controller
    model_before = c.document.model
    assert window.file_commands.open_model(
        path
    )  # reading: nothing has changed yet, nothing was asked
    assert c.model_loader.busy and c.document.model is model_before
    assert not window.file_commands.open_model(path)  # one file at a time
    qtbot.waitUntil(lambda: c.document.path == path, timeout=10_000)
    assert c.document.model is not model_before and not c.model_loader.busy
    assert len(window.dialogs.questions) == 1  # asked once the file was checked
    bad = rewrite(trained_file(tmp_path, small_dataset_file), split_seed="x")
    with qtbot.waitSignal(c.errorOccurred, timeout=10_000) as error:
        assert window.file_commands.open_model(bad)
    assert error.args[0] == "Cannot open model" and "split seed" in error.args[1]
    assert c.document.path == path


def test_closing_while_a_model_file_is_read_ends_the_reader(
    qtbot, make_window, tmp_path: Path, small_dataset_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from charnames_gui.ui import model_files

    monkeypatch.setattr(model_files, "BACKGROUND_MODEL_BYTES", 0)
    window = make_window()
    assert window.file_commands.open_model(trained_file(tmp_path, small_dataset_file))
    window.controller.shutdown()  # waits for the reader (bounded: a regular, capped file)
    assert not window.controller.model_loader.busy


# -- the model's own dataset when it is large (read on the loader's thread) -----------------------


def big_dataset_file(folder: Path, n_names: int = 150_000) -> Path:
    """Names of a small alphabet (a seeded random), larger than the GUI thread reads at once."""
    import random

    from charnames_gui.ui.model_files import MODELS_DATASET_READ_BYTES

    rng = random.Random(7)
    names = ("".join(rng.choices("abcdefgh", k=rng.randint(4, 10))) for _ in range(n_names))
    path = folder / "big.txt"
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    assert path.stat().st_size > MODELS_DATASET_READ_BYTES
    return path


class Ticks:
    """Counts a 10 ms timer's ticks: ticks while a file is read mean the GUI thread ran."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.count = 0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.count += 1


def trained_on_big_file(qtbot, window, folder: Path) -> Path:
    """The window's model made for big.txt (read in the background), trained a step, saved."""
    big = big_dataset_file(folder)
    c = window.controller
    assert window.file_commands.open_dataset(
        big
    )  # not the open model's dataset: a new model for it
    qtbot.waitUntil(
        lambda: c.document.dataset is not None and c.document.dataset.name == "big.txt",
        timeout=60_000,
    )
    qtbot.waitUntil(
        lambda: c.document.trainer is not None and not c.document.is_busy(), timeout=60_000
    )
    make_unsaved(qtbot, window)
    saved = folder / "big_model.safetensors"
    assert c.save(saved) and not c.document.modified
    return saved


def test_opening_the_models_big_dataset_keeps_the_model_and_its_step(
    qtbot, window, tmp_path: Path
) -> None:
    trained_on_big_file(qtbot, window, tmp_path)
    make_unsaved(qtbot, window)  # training that is not saved: a new model would ask first
    c = window.controller
    model, step, dataset_before = c.document.model, c.document.trainer.step, c.document.dataset
    messages: list[str] = []
    c.statusMessage.connect(messages.append)
    ticks = Ticks()
    try:
        assert window.file_commands.open_dataset(tmp_path / "big.txt")  # returns at once: reading
        assert c.dataset_loader.busy and c.document.dataset is dataset_before
        assert not window.file_commands.open_dataset(tmp_path / "big.txt")  # one dataset at a time
        assert messages[-1] == "Still opening big.txt..."
        ticks.count = 0
        qtbot.waitUntil(lambda: c.document.dataset is not dataset_before, timeout=60_000)
    finally:
        ticks.timer.stop()
    assert ticks.count > 0, "the GUI thread was blocked while the dataset was read"
    assert (
        c.document.model is model
        and c.document.trainer is not None
        and c.document.trainer.step == step
    )
    assert c.document.modified and window.dialogs.questions == []  # kept: nothing to ask
    assert c.document.dataset.name == "big.txt" and c.document.dataset_match().same
    assert messages[-1] == "Opened big.txt, the dataset this model was trained on"
    assert window.controls.step_text().startswith(f"step {step:,} / ")
    assert window.recent_files.paths()[0] == str((tmp_path / "big.txt").resolve())


def test_another_big_dataset_still_starts_a_new_model_after_asking(
    qtbot, window, tmp_path: Path
) -> None:
    folder = tmp_path / "other"
    folder.mkdir()
    trained_on_big_file(qtbot, window, tmp_path)
    make_unsaved(qtbot, window)
    c = window.controller
    model = c.document.model
    other = big_dataset_file(folder, n_names=160_000)  # the same name, other names in it
    assert window.file_commands.open_dataset(other)
    qtbot.waitUntil(lambda: c.document.model is not model, timeout=60_000)
    assert len(window.dialogs.questions) == 1  # asked about the unsaved training first
    assert c.document.dataset.path == other and len(c.document.dataset.words) == 160_000
    assert c.document.trainer is not None and c.document.trainer.step == 0


def test_a_model_file_finds_its_big_dataset_in_the_background(
    qtbot, make_window, tmp_path: Path
) -> None:
    saved = trained_on_big_file(qtbot, make_window(), tmp_path)
    window = make_window()  # a fresh window, with small.txt open (other letters)
    c = window.controller
    messages: list[str] = []
    c.statusMessage.connect(messages.append)
    ticks = Ticks()
    try:
        assert window.file_commands.open_model(saved)
        # opened at once, sampling works; its dataset is being read
        assert (
            c.document.path == saved and c.document.model is not None and c.document.trainer is None
        )
        assert c.document.state == TrainingState.NO_DATASET and c.dataset_loader.busy
        window.sampling_panel.sample_batch(3)
        assert len(window.sampling_panel._names.names()) == 3
        assert not window.file_commands.open_dataset(tmp_path / "big.txt")  # one dataset at a time
        assert messages[-1] == "Still opening big.txt..."
        ticks.count = 0
        qtbot.waitUntil(lambda: c.document.trainer is not None, timeout=60_000)
    finally:
        ticks.timer.stop()
    assert ticks.count > 0, "the GUI thread was blocked while the dataset was read"
    assert (
        c.document.dataset is not None
        and c.document.dataset.path == (tmp_path / "big.txt").resolve()
    )
    assert (
        c.document.dataset_match().same
        and c.document.trainer.step == load_model(saved).training.steps
    )
    assert messages[-1].startswith("Opened its dataset too: big.txt")
    assert c.document.state == TrainingState.READY and not c.document.modified
    make_unsaved(qtbot, window)  # it trains on


def test_bare_weights_show_no_training_record_until_trained(
    qtbot, make_window, tmp_path: Path
) -> None:
    from charnames_gui.ui.views.training_controls import NO_RECORD_TEXT

    data_file = tmp_path / "names27.txt"
    data_file.write_text("\n".join(WORDS_27) + "\n")
    window = make_window(open_data=False)
    g = torch.Generator().manual_seed(1)
    shapes = [(27, 10), (30, 200), (200,), (200, 27), (27,)]
    path = tmp_path / "mine.pt"
    torch.save([torch.randn(shape, generator=g) * 0.1 for shape in shapes], path)
    assert window.file_commands.open_path(path)
    assert window.controls.step_text() == NO_RECORD_TEXT  # not "step 0 / 200,000 (0%)"
    assert window.controls.progress_bar.value() == 0
    assert window.file_commands.open_dataset(
        data_file
    )  # a new model for the dataset: steps as usual
    assert window.controls.step_text().startswith("step 0 / ")
    assert window.file_commands.open_path(path)  # the weights again, now with a dataset that fits
    c = window.controller
    assert c.document.trainer is not None and c.document.state == TrainingState.READY
    assert window.controls.step_text() == NO_RECORD_TEXT
    make_unsaved(qtbot, window)  # trained in the app: they count steps from 0
    qtbot.waitUntil(lambda: window.controls.step_text().startswith("step 1 / "), timeout=10_000)


@pytest.mark.parametrize("form", ["list", "dict+itos"])
def test_notebook_weights_of_another_vocabulary_give_the_notebooks_names_and_losses(
    qtbot, make_window, tmp_path: Path, form: str
) -> None:
    """Names with '-' instead of 'q' (27 symbols, not a-z), trained by the notebook's code:
    with the dataset open (or the file's own itos), the app samples the notebook's names and
    measures its train, dev and test losses."""
    from float_error import assert_close_to_exact, loss_bounds
    from notebook_code import DASHED, notebook_run, save_as

    data_file = tmp_path / "dashed.txt"
    data_file.write_text("\n".join(DASHED) + "\n", encoding="utf-8")
    run = notebook_run(data_file)
    path = save_as(form, tmp_path, run)
    window = make_window(open_data=False)
    assert window.file_commands.open_dataset(data_file)
    assert window.file_commands.open_path(path)
    c = window.controller
    assert c.document.vocab is not None and c.document.vocab.itos == tuple(
        run["itos"][i] for i in range(27)
    )
    panel = window.sampling_panel
    panel.sample_batch(20)
    assert panel._names.names() == [line[:-1] for line in run["printed"]]
    for split in ("train", "dev", "test"):
        with qtbot.waitSignal(c.splitEvaluated, timeout=30_000) as evaluated:
            assert c.evaluate_split(split)
        assert evaluated.args[0] == split
        X, Y = run["splits"][split]
        exact, bound = loss_bounds(run["tensors"], X.numpy(), Y.numpy())
        assert_close_to_exact(evaluated.args[1], exact, bound, f"the app's {split} loss")
        assert_close_to_exact(run["losses"][split], exact, bound, f"the notebook's {split}")
        qtbot.waitUntil(lambda: not c.document.is_busy(), timeout=10_000)
