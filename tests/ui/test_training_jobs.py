"""training_jobs.py through the controller: the worker's reports are received by
TrainingJobs, so wait_until_idle must deliver them before it returns; an evaluation returns
to the state it began in; a new model forgets the last model's run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.events import Progress, RunEnded
from charnames_gui.ui.controller import Controller, TrainingState
from charnames_gui.ui.training_jobs import eval_interval

LONG = 10_000_000  # steps: a run that never ends by itself during a test
CONFIG = TrainConfig(steps=LONG, lr=0.05, schedule="constant", seed=7)


@pytest.fixture
def controller(qtbot, small_words: list[str]) -> Iterator[Controller]:
    """A small model on the small dataset, trained on the worker's thread (no child)."""
    c = Controller(use_training_process=False)
    try:
        c.set_dataset(Dataset(small_words))
        assert c.new_model(ModelConfig(3, 4, 16), CONFIG, 42)
        yield c
    finally:
        c.shutdown()


def test_wait_until_idle_returns_with_the_runs_end_delivered(qtbot, controller: Controller) -> None:
    c = controller
    ended: list[RunEnded] = []
    figures: list[Progress] = []
    c.runEnded.connect(ended.append)
    c.progress.connect(figures.append)
    c.start()
    assert c.document.state == TrainingState.RUNNING
    qtbot.waitUntil(lambda: len(figures) >= 2, timeout=30_000)
    assert c.wait_until_idle()
    # no event loop has run since: wait_until_idle delivered the worker's reports itself
    assert c.document.state == TrainingState.PAUSED
    assert [o.status for o in ended] == ["paused"] and c.jobs.last_outcome is ended[0]
    assert c.document.trainer is not None and ended[0].step == c.document.trainer.step
    assert (
        c.document.summary.steps == c.document.trainer.step
    )  # the run's end is in the model's summary
    steps, _ = c.jobs.log.curve.data()
    assert len(steps) and steps.max() <= c.document.trainer.step
    assert c.document.modified


def test_an_evaluation_returns_to_the_state_it_began_in(qtbot, controller: Controller) -> None:
    c = controller
    assert c.step_once()  # a run taken one step at a time: paused
    qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=30_000)
    with qtbot.waitSignal(c.splitEvaluated, timeout=30_000) as evaluated:
        assert c.evaluate_split("dev")
        assert c.document.state == TrainingState.EVALUATING
        assert not c.evaluate_split("train")  # one job at a time
    split, loss = evaluated.args
    assert split == "dev" and loss > 0
    assert c.document.state == TrainingState.PAUSED


def test_a_new_model_forgets_the_last_models_run(qtbot, controller: Controller) -> None:
    c = controller
    assert c.step_once()
    qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=30_000)
    assert len(c.jobs.log.curve.data()[0]) == 1
    assert c.new_model(ModelConfig(3, 4, 16), CONFIG, 42)
    assert len(c.jobs.log.curve.data()[0]) == 0 and c.jobs.last_outcome is None
    assert c.jobs.held is None and c.document.state == TrainingState.READY


def test_a_run_has_about_25_dev_points_and_at_least_200_steps_between_them() -> None:
    assert eval_interval(1000) == 200
    assert eval_interval(200_000) == 8000
