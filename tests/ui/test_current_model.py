"""Every view shows the controller's current model, whatever the learner did before: New,
Open, a preset, a repeat, One step, Start (and pause), with Discard or Cancel at the question
about unsaved training, in any order.

The window trains in-thread here (no child process to start): a tiny dataset and small
copies of the presets (each preset's shape shrunk, the shapes still differing as theirs do), a
few hundred steps at a time, and the views are waited for by condition (the frame clock is
flushed, the hidden layer analysed as soon as asked), so a few hundred sequences with a fixed
seed take seconds."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from charnames_gui.core.config import PARAMETER_NAMES
from charnames_gui.core.presets import PRESETS, ModelShape, Preset
from charnames_gui.core.training_state import TrainingState
from charnames_gui.ui import hidden_analysis
from charnames_gui.ui.controller import Controller
from charnames_gui.ui.views import forward_view
from charnames_gui.ui.window import main_window
from charnames_gui.ui.window.dialogs import SaveChoice
from charnames_gui.ui.window.main_window import MainWindow

SEQUENCES = 300  # random sequences, every view checked after each
SEQUENCE_LENGTH = 4
SEED = 2024
TIMEOUT = 20_000


def _small(preset: Preset) -> Preset:
    """The preset with a smaller model and run: other presets' shapes stay other shapes."""
    m = preset.model
    shape = ModelShape(min(m.block_size, 4), max(2, m.n_embd // 2), max(8, m.n_hidden // 16),
                       m.batchnorm)  # fmt: skip
    train = preset.train.replace(steps=500, lr_decay_at=min(preset.train.lr_decay_at, 250))
    return Preset(preset.name, preset.description, shape, train)


SMALL_PRESETS = tuple(_small(p) for p in PRESETS)


def small_preset(name: str) -> Preset:
    return next(p for p in SMALL_PRESETS if p.name == name)


@pytest.fixture
def win(
    make_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    """A window whose steps run on the worker thread, with the hidden layer in view and
    analysed at once (no rate limit: the test waits for it)."""
    monkeypatch.setattr(hidden_analysis, "REFRESH_HZ", 1000)
    monkeypatch.setattr(hidden_analysis, "MAX_DUTY", 1.0)
    # the forward pass shown at once (its rate limit held each settle() up to 1/MAX_RATE_HZ s)
    monkeypatch.setattr(forward_view, "MAX_RATE_HZ", 1e9)
    monkeypatch.setattr(
        main_window, "Controller", functools.partial(Controller, use_training_process=False)
    )
    window = make_window(steps=None)
    window.resize(1024, 600)  # (less to paint at each frame)
    window.hidden_dock.setFloating(True)  # beside the forward pass: both are seen
    window.hidden_dock.show()
    window.runs_dock.hide()  # (not checked here: fitting its columns to each new run cost 10%)
    # shown but not painted: what is checked is each view's state, not its pixels, and the
    # painting of every plot at each settle() was most of the test's time
    for shown in (window, window.hidden_dock):
        shown.setUpdatesEnabled(False)
    yield window


def until(qtbot, condition: Callable[[], object], timeout: int = TIMEOUT) -> None:
    """qtbot.waitUntil, looking every millisecond rather than every 10: each action waits a
    few times for the worker and analysis threads, and the rest of each 10 ms added up to
    about a fifth of the test (the event loop blocks in between: no busy wait)."""
    deadline = time.monotonic() + timeout / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true within {timeout} ms: {condition}")
        qtbot.wait(1)


def settle(qtbot, win: MainWindow) -> None:
    """Nothing runs, the hidden layer is analysed and every view has shown its news."""
    c = win.controller
    until(qtbot, lambda: not c.document.is_busy())

    def shown() -> bool:
        win.frame_clock.flush()
        return (
            win.hidden_analysis.settled
            and not win.frame_clock.has_news()
            and not win.forward_view.has_pending()
        )

    until(qtbot, shown)


def check_every_view(win: MainWindow, what: str) -> None:
    """Each view against the controller's current model."""
    c = win.controller
    model, trainer = c.document.model, c.document.trainer
    assert model is not None and trainer is not None, what
    weights = model.snapshot()
    config, step = model.config, trainer.step
    # sampling panel: samples from these weights, nothing to complain about
    sampler = win.sampling_panel.sampler
    assert sampler is not None, f"{what}: {win.sampling_panel.shown().notice}"
    assert sampler.model.config == config, what
    for name in PARAMETER_NAMES:
        np.testing.assert_array_equal(sampler.model.snapshot()[name], weights[name], what)
    # embedding: this model's C at this step
    table, shown_step = win.embedding_view.shown()
    assert table is not None and table.shape == weights["C"].shape, what
    np.testing.assert_allclose(table, weights["C"], err_msg=what)
    assert shown_step == step, what
    # loss plot: this run's length, nothing beyond this model's step
    assert win.loss_plot.total_steps() == trainer.config.steps, what
    assert win.loss_plot.last_step() <= step, what
    # forward pass: this model's layers
    forward = win.forward_view.forward()
    if forward is not None:
        assert forward.config == config, what
        np.testing.assert_allclose(forward.W2, weights["W2"], rtol=1e-6, err_msg=what)
    # hidden layer: this model's units, at this step
    stats = win.hidden_view.stats()
    assert stats is not None and stats.step == step, what
    assert stats.saturated.shape[1] == config.n_hidden, what
    # hyperparameter fields: this model's sizes and seed
    fields = win.panel.model_config()
    assert (fields.block_size, fields.n_embd, fields.n_hidden) == (
        config.block_size, config.n_embd, config.n_hidden), what  # fmt: skip
    assert win.panel.train_config().seed == trainer.config.seed, what


# -- what the learner does --------------------------------------------------------------------
def new(qtbot, win: MainWindow, rng: random.Random) -> None:
    win.file_commands.new_model()  # Ctrl+N


def open_file(qtbot, win: MainWindow, rng: random.Random) -> None:
    win.file_commands.open_model(rng.choice(win.saved_models))


def preset(qtbot, win: MainWindow, rng: random.Random) -> None:
    win.panel.apply_preset(rng.choice(SMALL_PRESETS))


def one_step(qtbot, win: MainWindow, rng: random.Random) -> None:
    c = win.controller
    if c.document.state in (TrainingState.READY, TrainingState.PAUSED):
        with qtbot.waitSignal(c.stepDone, timeout=TIMEOUT):
            win.controls.stepClicked.emit()  # Ctrl+Right


def start(qtbot, win: MainWindow, rng: random.Random) -> None:
    c = win.controller
    if c.document.state not in (TrainingState.READY, TrainingState.PAUSED):
        return
    target = c.document.trainer.step + rng.randint(1, 300)
    with qtbot.waitSignal(c.runEnded, timeout=TIMEOUT):  # paused, or ended by itself
        c.start()
        until(qtbot, lambda: c.document.trainer.step >= target or c.document.trainer.done)
        c.pause()


def repeat(qtbot, win: MainWindow, rng: random.Random) -> None:
    """Training > Repeat with 2 seeds, each a short run to its end (the Steps field)."""
    c, x = win.controller, win.experiments
    if c.document.state not in (TrainingState.READY, TrainingState.PAUSED, TrainingState.FINISHED):
        return
    # each seed's model trained from its start: a short run (the current model's step,
    # added before, made each repeat train up to 2 x 300 steps, half of the test's time)
    win.panel.steps.setValue(rng.randint(5, 40))
    win.dialogs.int_answer = 2
    win.experiment_commands.repeat_with_seeds()
    until(qtbot, lambda: x.repeat is None and not c.document.is_busy())


ACTIONS = (new, open_file, preset, one_step, start, repeat)


@pytest.fixture
def saved(win: MainWindow, tmp_path: Path) -> MainWindow:
    """Two model files of other sizes to open."""
    paths = []
    for name in ("Larger embedding", "First model"):
        win.panel.apply_preset(small_preset(name))
        path = tmp_path / f"{name.replace(' ', '_')}.safetensors"
        assert win.controller.save(path)
        paths.append(str(path))
    win.saved_models = paths
    return win


def test_one_step_then_another_preset_shows_the_new_model(qtbot, saved: MainWindow) -> None:
    """The issue's steps: Final run, Start, pause, One step, First model, Discard."""
    win, rng = saved, random.Random(0)
    win.panel.apply_preset(small_preset("Final run"))
    start(qtbot, win, rng)
    one_step(qtbot, win, rng)
    settle(qtbot, win)
    win.dialogs.save_choice = SaveChoice.DISCARD
    win.panel.apply_preset(small_preset("First model"))
    settle(qtbot, win)
    assert "Cannot sample" not in win.sampling_panel.shown().notice
    check_every_view(win, "First model after One step")
    win.file_commands.new_model()  # Ctrl+N: a model of the same size
    settle(qtbot, win)
    check_every_view(win, "Ctrl+N after that")


def test_every_view_shows_the_current_model_in_any_order(qtbot, saved: MainWindow) -> None:
    win, rng = saved, random.Random(SEED)
    settle(qtbot, win)
    check_every_view(win, "at start")
    for done in range(SEQUENCES):
        sequence = [rng.choice(ACTIONS) for _ in range(SEQUENCE_LENGTH)]
        what = " -> ".join(a.__name__ for a in sequence)
        for action in sequence:
            # the answer to "save the unsaved training?": Discard, or Cancel now and then
            win.dialogs.save_choice = rng.choice(
                (SaveChoice.DISCARD, SaveChoice.DISCARD, SaveChoice.CANCEL)
            )
            action(qtbot, win, rng)
            settle(qtbot, win)
        check_every_view(win, f"sequence {done}: {what}")
    assert not win.dialogs.errors, win.dialogs.errors
