"""core.search: the Beat-the-lecture search records every trial, keeps away from the test
split until asked, is reproducible from its seed, and improves on its first trial (the
lecture's configuration) even on a tiny dataset."""

from __future__ import annotations

import math
from typing import Any

import pytest

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.data import Dataset, read_words
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.examples import SplitTensors
from charnames_gui.core.runs import RunStore
from charnames_gui.core.search import (
    LECTURE_TRIAL,
    Search,
    SearchEnded,
    SearchSettings,
    TrialEnded,
    TrialProgress,
    TrialStarted,
    downsampled_curve,
)

# four short trials on 1,000 names: a few seconds
SETTINGS = SearchSettings(
    seed=0, budget_seconds=600, trial_examples=10_000, startup_trials=3, eval_points=2,
    max_trials=4,
)  # fmt: skip


@pytest.fixture(scope="module")
def tiny() -> Dataset:
    return Dataset(read_words(bundled_dataset_path())[:1000], name="tiny.txt")


class WatchedSplits(dict[str, Any]):
    """A SplitTensors.tensors that notes every split looked up."""

    looked: set[str]

    def __getitem__(self, split: str) -> Any:
        self.looked.add(split)
        return super().__getitem__(split)


def watch_test_split(search: Search) -> set[str]:
    looked: set[str] = set()
    original = search._examples_for

    def examples_for(block_size: int) -> SplitTensors:
        examples = original(block_size)
        if not isinstance(examples.tensors, WatchedSplits):
            watched = WatchedSplits(examples.tensors)
            watched.looked = looked
            examples.tensors = watched
        return examples

    search._examples_for = examples_for  # type: ignore[method-assign]
    return looked


@pytest.fixture(scope="module")
def finished(tiny: Dataset, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One search of four trials, recorded in a run history, with the splits watched."""
    store = RunStore(tmp_path_factory.mktemp("runs") / "runs.db")
    search = Search(tiny, SETTINGS, record=lambda r: store.add(r).id)
    looked = watch_test_split(search)
    events = list(search.stream())
    looked_before_asked = set(looked)
    return {
        "search": search,
        "events": events,
        "store": store,
        "looked": looked,
        "looked_before_asked": looked_before_asked,
    }


def test_the_first_trial_is_the_lecture_and_the_search_improves_on_it(
    finished: dict[str, Any],
) -> None:
    search: Search = finished["search"]
    first = search.trials[0]
    assert first.number == 0
    assert (first.model.block_size, first.model.n_embd, first.model.n_hidden) == (3, 10, 200)
    assert first.train.init == LECTURE_TRIAL["init"] and not first.model.batchnorm
    assert search.best is not None
    assert search.best.dev_loss < first.dev_loss
    assert search.best.number > 0


def test_events_tell_each_trial_as_it_goes(finished: dict[str, Any]) -> None:
    events = finished["events"]
    starts = [e for e in events if isinstance(e, TrialStarted)]
    ends = [e for e in events if isinstance(e, TrialEnded)]
    assert [e.number for e in starts] == [e.trial.number for e in ends] == [0, 1, 2, 3]
    assert any(isinstance(e, TrialProgress) for e in events)
    last = events[-1]
    assert isinstance(last, SearchEnded) and last.reason == "max_trials"
    assert last.best is not None and last.best.dev_loss == min(
        t.dev_loss for t in last.trials if t.state == "complete"
    )
    # each TrialEnded's best is the best so far: never rising
    bests = [e.best.dev_loss for e in ends if e.best is not None]
    assert bests == sorted(bests, reverse=True)


def test_every_trial_is_recorded_in_the_run_history(finished: dict[str, Any]) -> None:
    search: Search = finished["search"]
    runs = finished["store"].list()
    assert len(runs) == len(search.trials) == 4
    for run, trial in zip(runs, search.trials, strict=True):
        assert run.model == trial.model and run.train == trial.train
        assert run.steps_done == trial.steps_done
        assert f"trial {trial.number}" in run.note
        if trial.state == "complete":
            assert run.dev_loss == pytest.approx(trial.dev_loss)
            assert run.status in ("finished", "diverged")
        assert run.test_loss is None  # nobody asked


def test_the_test_split_is_untouched_until_asked_and_each_look_is_counted(
    finished: dict[str, Any],
) -> None:
    search: Search = finished["search"]
    assert "test" not in finished["looked_before_asked"]
    assert "dev" in finished["looked_before_asked"]
    assert search.test_looks == 0
    loss = search.evaluate_test()
    assert math.isfinite(loss) and search.test_looks == 1
    assert "test" in finished["looked"]


def test_the_same_seed_proposes_the_same_trials(tiny: Dataset) -> None:
    settings = SearchSettings(
        seed=5, trial_examples=2_000, startup_trials=2, eval_points=1, max_trials=3
    )
    a, b = Search(tiny, settings).run(), Search(tiny, settings).run()
    assert [(t.model, t.train, t.dev_loss) for t in a.trials] == [
        (t.model, t.train, t.dev_loss) for t in b.trials
    ]


def test_a_stop_request_ends_the_search_between_two_steps(tiny: Dataset) -> None:
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 50

    ended = Search(tiny, SETTINGS, should_stop=stop).run()
    assert ended.reason == "stopped"
    assert ended.trials[-1].state == "stopped"


def test_bad_settings_are_refused(tiny: Dataset) -> None:
    for bad in (
        SearchSettings(budget_seconds=0),
        SearchSettings(trial_examples=10),
        SearchSettings(seed=-1),
    ):
        with pytest.raises(ConfigError):
            Search(tiny, bad)


def test_the_curve_is_downsampled_to_bucket_means() -> None:
    import numpy as np

    steps, means = downsampled_curve(np.arange(5000, dtype=np.float32))
    assert len(steps) == len(means) <= 2000
    assert steps[-1] == 5000 and means[0] == pytest.approx(np.arange(3).mean())


def test_importing_core_search_does_not_import_optuna() -> None:
    """core.search imports Optuna only when a search runs (it takes ~1 s to import)."""
    import subprocess
    import sys

    code = "import sys, charnames_gui.core.search; print('optuna' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
