"""core.compare: intervals that cover the truth, and verdicts a learner can read."""

from __future__ import annotations

import math

import numpy as np
import pytest

from charnames_gui.core.compare import compare_examples, compare_runs, compare_seeds
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.runs import RunRecord


@pytest.mark.parametrize("paired", [True, False])
def test_95_percent_intervals_cover_the_true_difference_95_percent_of_the_time(
    paired: bool,
) -> None:
    rng = np.random.default_rng(2147483647)
    trials, covered = 1000, 0
    truth = -0.012  # B is better by 0.012
    for _ in range(trials):
        if paired:  # a seed's effect shared by both settings, plus each run's own noise
            shared = rng.normal(0.0, 0.015, 5)
            a = 2.17 + shared + rng.normal(0.0, 0.005, 5)
            b = 2.17 + truth + shared + rng.normal(0.0, 0.005, 5)
            seeds = list(range(5))
            c = compare_seeds(a, b, seeds_a=seeds, seeds_b=seeds)
            assert c.method.startswith("paired")
        else:  # unequal spreads and counts: Welch
            a = rng.normal(2.17, 0.016, 4)
            b = rng.normal(2.17 + truth, 0.008, 7)
            c = compare_seeds(a, b)
            assert c.method == "Welch's t"
        covered += c.low <= truth <= c.high
    # the coverage of 1,000 trials has an sd of 0.69%: 93-97% is about 3 sd each way
    assert 0.93 <= covered / trials <= 0.97


def test_a_clear_difference_names_the_better_one() -> None:
    a = [2.190, 2.185, 2.195, 2.188, 2.192, 2.186, 2.191, 2.189]
    b = [x - 0.021 + 0.001 * (i % 3 - 1) for i, x in enumerate(a)]
    seeds = list(range(8))
    c = compare_seeds(a, b, "Final run", "Improved", seeds, seeds)
    assert c.better == "Improved" and c.decided
    text = c.sentence()
    assert text.startswith("Improved is better by 0.021 (")
    assert text.endswith("8 seeds each")
    low, high = -c.high, -c.low
    assert low < 0.021 < high
    # and the other way round
    assert compare_seeds(b, a, "Improved", "Final run", seeds, seeds).better == "Improved"


def test_no_difference_says_it_cannot_tell_and_how_many_seeds_would() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(2.17, 0.016, 3), rng.normal(2.175, 0.016, 3)
    c = compare_seeds(a, b, "A", "B")
    assert not c.decided and c.better is None
    assert c.sentence().startswith("Cannot tell A and B apart with 3 seeds each")
    assert c.seeds_needed is not None and c.seeds_needed > 3
    assert f"about {c.seeds_needed} seeds each" in c.sentence()


def test_one_seed_each_cannot_be_judged() -> None:
    c = compare_seeds([2.17], [2.16])
    assert math.isnan(c.low) and not c.decided
    assert "at least 2 seeds" in c.sentence()


def test_paired_only_when_the_seeds_match() -> None:
    a, b = [2.17, 2.18, 2.16], [2.15, 2.17, 2.14]
    assert compare_seeds(a, b, seeds_a=[1, 2, 3], seeds_b=[3, 2, 1]).method.startswith("paired")
    assert compare_seeds(a, b, seeds_a=[1, 2, 3], seeds_b=[1, 2, 4]).method == "Welch's t"


def test_examples_paired_and_clustered() -> None:
    rng = np.random.default_rng(3)
    sizes = rng.integers(3, 9, 400)
    n = int(sizes.sum())
    la = rng.gamma(2.0, 1.0, n)
    lb = la - 0.05 + np.repeat(rng.normal(0, 0.1, 400), sizes)
    c = compare_examples(la, lb, sizes, "old", "new")
    assert c.better == "new" and c.unit == "dev examples"
    assert c.low < -0.05 < c.high or abs(c.difference + 0.05) < 3 * (c.high - c.low)
    assert "paired" in c.sentence()


def _run(dev: float | None, seed: int, status: str = "finished", **changes: object) -> RunRecord:
    values: dict[str, object] = {
        "dataset_name": "names.txt", "dataset_hash": "ab" * 32,
        "model": ModelConfig(3, 10, 200, 27), "train": TrainConfig(seed=seed),
        "dev_loss": dev, "status": status,
    }  # fmt: skip
    values.update(changes)
    return RunRecord(**values)


def test_recorded_runs_are_compared_by_their_finished_seeds() -> None:
    a = [_run(2.20, 1), _run(2.25, 2), _run(2.18, 3), _run(None, 4, "stopped")]
    b = [_run(2.17, 3), _run(2.23, 2), _run(2.15, 1), _run(9.0, 4, "diverged")]
    c = compare_runs(a, b)  # seeds 1-3 finished on both sides: paired by seed
    assert c.paired and c.n_a == c.n_b == 3
    assert c.difference == pytest.approx((2.17 + 2.23 + 2.15 - 2.20 - 2.25 - 2.18) / 3)
    assert c.sentence() == compare_seeds([2.20, 2.25, 2.18], [2.15, 2.23, 2.17], "A", "B",
                                         [1, 2, 3], [1, 2, 3]).sentence()  # fmt: skip
    welch = compare_runs(a[:3], [_run(2.1, 7), _run(2.12, 8)])
    assert not welch.paired and welch.method == "Welch's t"


def test_recorded_runs_on_other_splits_or_unfinished_are_refused() -> None:
    with pytest.raises(ValueError, match="different dev splits"):
        compare_runs([_run(2.2, 1)], [_run(2.1, 1, split_seed=7)])
    with pytest.raises(ValueError, match="B has no run that finished"):
        compare_runs([_run(2.2, 1)], [_run(None, 1, "failed")])
