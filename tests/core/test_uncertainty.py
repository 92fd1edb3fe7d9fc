"""core.uncertainty: a loss with its standard error, clustered by name."""

from __future__ import annotations

import math

import numpy as np
import pytest

from charnames_gui.core.config import ModelConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.uncertainty import (
    LossEstimate,
    clustered_mean,
    estimate,
    format_error,
    loss_with_error,
    name_sizes,
    sizes_from_examples,
)


def clustered_sample(rng: np.random.Generator, names: int) -> tuple[np.ndarray, np.ndarray]:
    """Values with a shared effect per name (true mean 0): sizes 3-10, effect sd 1, noise 1."""
    sizes = rng.integers(3, 11, names)
    effect = np.repeat(rng.normal(0.0, 1.0, names), sizes)
    return effect + rng.normal(0.0, 1.0, int(sizes.sum())), sizes


def test_the_clustered_error_covers_the_truth_and_the_naive_one_does_not() -> None:
    rng = np.random.default_rng(21)
    covered = naive_covered = 0
    trials = 1000
    for _ in range(trials):
        values, sizes = clustered_sample(rng, 150)
        est = clustered_mean(values, sizes)
        covered += abs(est.loss) <= 1.96 * est.se
        naive_covered += abs(est.loss) <= 1.96 * est.naive_se
    # 1,000 trials: the coverage's own sd is 0.7%, so 93-97% is about 3 sd each way
    assert 0.93 <= covered / trials <= 0.97
    assert naive_covered / trials < 0.85  # independent examples is the wrong model here


def test_it_agrees_with_a_bootstrap_over_names() -> None:
    rng = np.random.default_rng(5)
    values, sizes = clustered_sample(rng, 300)
    est = clustered_mean(values, sizes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    totals = np.add.reduceat(values, starts)
    picks = rng.integers(0, len(sizes), (4000, len(sizes)))  # resample whole names
    means = totals[picks].sum(1) / sizes[picks].sum(1)
    # the bootstrap's own sd of its sd over 4,000 resamples is ~1%; the (G-1) factor 0.2%
    assert means.std() == pytest.approx(est.se, rel=0.05)


def test_name_sizes_follow_the_examples(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    words = dataset.split.dev
    Y = dataset.examples(3).Y("dev")
    sizes = name_sizes(words)
    assert int(sizes.sum()) == len(Y)
    ends = np.cumsum(sizes) - 1
    assert (Y.numpy()[ends] == 0).all()  # each name's last example predicts the boundary
    assert (Y.numpy()[np.setdiff1d(np.arange(len(Y)), ends)] != 0).all()


def test_loss_with_error_is_the_models_loss(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    model = MLP.init(ModelConfig(3, 4, 16, vocab_size=dataset.vocab.size), "scaled", 3)
    X, Y = dataset.examples(3).tensors["train"]
    est = loss_with_error(model, X, Y, dataset.split.train)
    # float32 cross-entropies summed in float64 here and in float32 slices there
    assert est.loss == pytest.approx(model.loss(X, Y), rel=len(Y) * 2**-24)
    assert est.names == len(dataset.split.train) and est.examples == len(Y)
    assert 0 < est.se < 1


def test_format() -> None:
    assert LossEstimate(2.16621, 0.00612, 0.004, 10, 3).format() == "2.1662 ± 0.006"
    assert format_error(0.0162) == "0.016"
    assert format_error(0.00042) == "0.00042"
    assert format_error(math.nan) == "?"


def test_sizes_must_cover_the_values() -> None:
    with pytest.raises(ValueError, match="do not cover"):
        clustered_mean(np.zeros(5), np.array([2, 2]))


def test_the_names_are_found_from_the_examples_alone(small_words: list[str]) -> None:
    """sizes_from_examples(X) == name_sizes(words) for every split and block size: each
    name's examples start with the all-boundary context, and only they do."""
    dataset = Dataset(small_words)
    for block_size in (1, 3, 5):
        examples = dataset.examples(block_size)
        for split in ("train", "dev", "test"):
            X, _ = examples.tensors[split]
            words = getattr(dataset.split, split)
            assert np.array_equal(sizes_from_examples(X), name_sizes(words))
    model = MLP.init(ModelConfig(3, 4, 8, dataset.vocab.size), "lecture", 1)
    X, Y = dataset.examples(3).tensors["dev"]
    assert estimate(model, X, Y) == loss_with_error(model, X, Y, dataset.split.dev)
    with pytest.raises(ValueError, match="beginning of a name"):
        sizes_from_examples(X[1:])
