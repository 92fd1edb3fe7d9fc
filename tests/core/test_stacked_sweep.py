"""core.stacked_sweep: K learning-rate sweeps at once, each its own single sweep."""

from __future__ import annotations

import numpy as np
import pytest

from charnames_gui.core.config import ModelConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.lr_curve import suggest_lr
from charnames_gui.core.model import MLP
from charnames_gui.core.stacked_sweep import (
    finite_prefix,
    lr_sweep_seeds,
    mean_curve,
    seed_suggestions,
    suggest_from_seeds,
)
from charnames_gui.core.training import lr_sweep

SEEDS = [7, 11, 2147483647]


def test_each_seed_is_its_single_sweep(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    model_config = ModelConfig(3, 4, 16, dataset.vocab.size)
    examples = dataset.examples(3)
    chunks = list(lr_sweep_seeds(model_config, examples, SEEDS, 8, 300, "lecture",
                                 high_exponent=1.5))  # fmt: skip
    assert len(chunks) >= 1 and all(c.losses.shape[1] == len(SEEDS) for c in chunks)
    lrs = np.concatenate([c.lrs for c in chunks])
    losses = np.concatenate([c.losses for c in chunks])  # (n, K)
    ends = []
    for k, seed in enumerate(SEEDS):
        single = lr_sweep(MLP.init(model_config, "lecture", seed), examples, batch_size=8,
                          n=300, seed=seed, high_exponent=1.5)  # fmt: skip
        end = finite_prefix(losses[:, k])
        assert end == len(single)
        # the same steps: the stack keeps each loss as float32, the single sweep as a float
        assert lrs[:end].tolist() == [lr for lr, _ in single]
        assert losses[:end, k].tolist() == [float(np.float32(loss)) for _, loss in single]
        ends.append(end)
    assert ends == [300] * len(SEEDS)
    suggestions = seed_suggestions(lrs, losses)
    assert suggestions[0] == suggest_lr(
        list(zip(lrs[: ends[0]].tolist(), losses[: ends[0], 0].tolist(), strict=True))
    )
    mean = mean_curve(losses)
    assert len(mean) == min(ends) and np.allclose(mean, losses[: min(ends)].mean(axis=1))
    assert suggest_from_seeds(lrs, losses) == suggest_lr(
        list(zip(lrs[: len(mean)].tolist(), mean.tolist(), strict=True))
    )


def test_a_stopped_sweep_ends_at_once(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    model_config = ModelConfig(3, 4, 16, dataset.vocab.size)
    chunks = list(lr_sweep_seeds(model_config, dataset.examples(3), SEEDS, 8, 300,
                                 should_stop=lambda: True))  # fmt: skip
    assert sum(len(c.lrs) for c in chunks) < 300


def test_a_seed_that_blows_up_ends_its_curve_and_the_mean() -> None:
    lrs = np.geomspace(0.001, 1.0, 60)
    x = np.log10(lrs)
    losses = np.stack([3 + (x + 1) ** 2, 3.1 + (x + 1.2) ** 2, 2.9 + (x + 0.8) ** 2], axis=1)
    losses[50:, 1] = np.nan  # seed 1 blew up at step 50; NaN from there on
    assert [finite_prefix(losses[:, k]) for k in range(3)] == [60, 50, 60]
    assert len(mean_curve(losses)) == 50
    low, mid, high = seed_suggestions(lrs, losses)
    assert low is not None and mid is not None and high is not None
    assert mid < low < high  # each seed's valley: 10**-1.2, 10**-1, 10**-0.8 (about)
    assert suggest_from_seeds(lrs, losses) == pytest.approx(0.1, rel=0.15)
