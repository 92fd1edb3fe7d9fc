"""core.search: the Beat-the-lecture search records every trial, keeps away from the test
split until asked, is reproducible from its seed, and improves on its first trial (the
lecture's configuration) even on a tiny dataset."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
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
)
from charnames_gui.core.search_trial import downsampled_curve

# four short trials on 1,000 names: a few seconds
SETTINGS = SearchSettings(
    seed=0, budget_seconds=600, trial_examples=10_000, startup_trials=3, eval_points=2,
    max_trials=4,
)  # fmt: skip


@pytest.fixture(scope="module")
def tiny() -> Dataset:
    return Dataset(read_words(bundled_dataset_path())[:1000], name="tiny.txt")


@contextmanager
def one_thread() -> Iterator[None]:
    """PyTorch and NumPy's BLAS on one thread, as in the app's search: the bits of a
    matmul's sum depend on how many threads split it."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(before)


class WatchedSplits(dict[str, Any]):
    """A SplitTensors.tensors that notes every split looked up."""

    looked: set[str]

    def __getitem__(self, split: str) -> Any:
        self.looked.add(split)
        return super().__getitem__(split)


def watch_test_split(search: Search) -> set[str]:
    looked: set[str] = set()
    original = search.examples_for

    def examples_for(block_size: int) -> SplitTensors:
        examples = original(block_size)
        if not isinstance(examples.tensors, WatchedSplits):
            watched = WatchedSplits(examples.tensors)
            watched.looked = looked
            examples.tensors = watched
        return examples

    search.examples_for = examples_for
    return looked


@pytest.fixture(scope="module")
def finished(tiny: Dataset, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One search of four trials, recorded in a run history, with the splits watched."""
    store = RunStore(tmp_path_factory.mktemp("runs") / "runs.db")
    search = Search(tiny, SETTINGS, record=lambda r: store.add(r).id)
    looked = watch_test_split(search)
    with one_thread():  # as the app's search thread and each worker process run
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


def test_the_best_dev_loss_comes_with_its_error(finished: dict[str, Any]) -> None:
    ended = finished["events"][-1]
    assert isinstance(ended, SearchEnded) and ended.best is not None
    est = ended.best_dev
    assert est is not None
    # the same mean over dev's examples, float32 slices against float64 (one rounding each)
    assert est.loss == pytest.approx(ended.best.dev_loss, rel=est.examples * 2**-24)
    assert 0 < est.se < 0.2 and est.names == len(finished["search"].dataset.split.dev)


def test_the_best_dev_error_is_the_name_clustered_error_of_the_best_model_on_dev(
    finished: dict[str, Any],
) -> None:
    """Recomputed here from its definition: the best trial's model, each dev example's loss,
    the examples grouped name by name in dev's order (len(name) + 1 each), and
    SE^2 = G / (G - 1) * sum_g (T_g - n_g * mean)^2 / N^2, in a plain loop. Not the
    lecture's model, not the test split, not one cluster per example."""
    import numpy as np
    import torch.nn.functional as F

    search: Search = finished["search"]
    ended = finished["events"][-1]
    est = ended.best_dev
    model = search.best_model
    assert model is not None and model.config == ended.best.model
    X, Y = search.examples_for(model.config.block_size).tensors["dev"]
    with one_thread():
        losses = F.cross_entropy(model.logits(X), Y.long(), reduction="none").double().numpy()
    words = search.dataset.split.dev
    N, G = len(losses), len(words)
    assert N == sum(len(w) + 1 for w in words) == est.examples and est.names == G
    mean = float(np.mean(losses))
    total, start = 0.0, 0
    for word in words:
        n = len(word) + 1
        total += (float(losses[start : start + n].sum()) - n * mean) ** 2
        start += n
    se = math.sqrt(G / (G - 1) * total) / N
    naive = float(np.std(losses, ddof=1)) / math.sqrt(N)
    # float64 sums of N float32 losses in two orders (and the losses of one batch against
    # slices, each within a few float32 roundings of the other): far below 1e-6 relative
    assert est.se == pytest.approx(se, rel=1e-6)
    assert est.naive_se == pytest.approx(naive, rel=1e-6)
    assert est.se != pytest.approx(naive, rel=1e-3)  # clustered by name, not per example


def test_two_workers_run_trials_side_by_side_as_the_search_thread_would(
    tiny: Dataset, finished: dict[str, Any]
) -> None:
    """workers=2: each batch of two trials starts before either ends. Optuna proposes the
    first startup_trials trials at random from its seed, whatever the results, so those
    trials are the same as one at a time, with bit-equal dev losses from the workers."""
    search = Search(tiny, replace(SETTINGS, workers=2))
    events = list(search.stream())
    first_end = next(i for i, e in enumerate(events) if isinstance(e, TrialEnded))
    assert events.index(next(e for e in events if getattr(e, "number", -1) == 1)) < first_end
    assert any(isinstance(e, TrialProgress) and e.number == 1 for e in events)
    alone: Search = finished["search"]
    trials = sorted(search.trials, key=lambda t: t.number)  # recorded as each one ends
    assert [t.number for t in trials] == [0, 1, 2, 3]
    startup = SETTINGS.startup_trials
    assert [(t.model, t.train, t.state, t.dev_loss) for t in trials[:startup]] == [
        (t.model, t.train, t.state, t.dev_loss) for t in alone.trials[:startup]
    ]
    assert isinstance(events[-1], SearchEnded) and events[-1].best_dev is not None


@pytest.mark.parametrize("case", range(6))
def test_the_pruning_rule_is_optunas_median_pruner(case: int) -> None:
    """search_trial decides pruning from bars fixed before a trial starts; they must agree
    with Optuna's MedianPruner, which compares with the complete trials only."""
    import numpy as np
    import optuna

    from charnames_gui.core.search_trial import median_thresholds, should_prune

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = np.random.default_rng(case)
    points, startup = 3, 2
    study = optuna.create_study(pruner=optuna.pruners.MedianPruner(n_startup_trials=startup))
    curves = []
    for _ in range(int(rng.integers(0, 5))):
        trial = study.ask()
        curve = [float(v) for v in rng.uniform(2.0, 3.0, points)]
        for i, v in enumerate(curve):
            trial.report(v, i)
        study.tell(trial, curve[-1])
        curves.append(curve)
    pruned = study.ask()  # a pruned trial's values must not count
    pruned.report(0.1, 0)
    study.tell(pruned, state=optuna.trial.TrialState.PRUNED)
    bars = median_thresholds(curves, points, startup)
    trial = study.ask()
    devs: list[float] = []
    for i in range(points):
        devs.append(float(rng.uniform(2.0, 3.0)))
        trial.report(devs[-1], i)
        assert should_prune(devs, bars[i]) == trial.should_prune(), (i, devs, bars)
