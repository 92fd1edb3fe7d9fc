"""Hidden-layer diagnostics: saturation by hand, the lecture's point about initialisation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from float_error import assert_close_to_exact, log10_ratio_bound, std_bound, step_bounds

from charnames_gui.core.config import ModelConfig
from charnames_gui.core.data import Dataset, read_words
from charnames_gui.core.hidden_stats import example_sample, hidden_stats
from charnames_gui.core.model import MLP
from charnames_gui.core.update_ratios import UpdateRatioHistory, update_ratio


@pytest.fixture
def dataset(small_words: list[str]) -> Dataset:
    return Dataset(small_words)


def test_the_sample_is_fixed(dataset: Dataset) -> None:
    X, Y = dataset.examples(3).tensors["train"]
    a, b = example_sample(X, Y, rows=50), example_sample(X, Y, rows=50)
    assert a.rows == 50 and torch.equal(a.X, b.X) and torch.equal(a.Y, b.Y)
    assert example_sample(X, Y, rows=10**6).rows == X.shape[0]


def test_saturation_equals_a_hand_computation(dataset: Dataset) -> None:
    config = ModelConfig(3, 4, 20, dataset.vocab.size)
    weights = MLP.init(config, "lecture", seed=9).snapshot()
    X, Y = dataset.examples(3).tensors["train"]
    sample = example_sample(X, Y, rows=40)
    stats = hidden_stats(weights, config, sample, lr=0.1, step=0)

    saturated = 0
    always = [True] * config.n_hidden
    for row in sample.X.tolist():
        x = np.concatenate([weights["C"][i] for i in row])  # embcat, by hand
        for j in range(config.n_hidden):
            pre = float(np.dot(x, weights["W1"][:, j]) + weights["b1"][j])
            sat = abs(math.tanh(pre)) > 0.99
            saturated += sat
            always[j] = always[j] and sat
    assert stats.saturated.shape == (40, 20)
    assert stats.saturated_fraction == pytest.approx(saturated / (40 * 20))
    assert stats.dead_units == sum(always)
    assert stats.h_counts.sum() == 40 * 20 and stats.hpreact_counts.sum() == 40 * 20


def test_a_unit_saturated_on_every_example_is_dead(dataset: Dataset) -> None:
    config = ModelConfig(3, 4, 10, dataset.vocab.size)
    weights = MLP.init(config, "scaled").snapshot()
    weights["b1"][[2, 5]] = [50.0, -50.0]
    X, Y = dataset.examples(3).tensors["train"]
    stats = hidden_stats(weights, config, example_sample(X, Y, rows=100), lr=0.1)
    assert stats.dead_units == 2
    assert stats.saturated[:, 2].all() and stats.saturated[:, 5].all()


def test_update_ratios_are_log10_lr_grad_std_over_param_std(dataset: Dataset) -> None:
    config = ModelConfig(3, 4, 16, dataset.vocab.size)
    model = MLP.init(config, "lecture", seed=4)
    X, Y = dataset.examples(3).tensors["train"]
    sample = example_sample(X, Y, rows=64)
    stats = hidden_stats(model.snapshot(), config, sample, lr=0.1, step=7)

    params = [p.clone().requires_grad_(True) for p in model.parameters()]
    C, W1, b1, W2, b2 = params
    emb = C[sample.X]
    h = torch.tanh(emb.view(-1, 12) @ W1 + b1)
    loss = F.cross_entropy(h @ W2 + b2, sample.Y)
    loss.backward()
    lecture = [((0.1 * p.grad).std() / p.data.std()).log10().item() for p in params]
    got = [stats.update_ratios[name] for name in ("C", "W1", "b1", "W2", "b2")]
    # both within float32 rounding of the exact log10(lr * std(grad) / std(param)): the
    # gradients' bounds carried through std and log10 (float_error.py)
    exact = step_bounds(model.snapshot(), sample.X.numpy(), sample.Y.numpy())
    for i, name in enumerate(("C", "W1", "b1", "W2", "b2")):
        g, E_g = exact.grads[name], exact.bounds[name]
        w = model.params[name].numpy()
        sg, sw = 0.1 * g.std(ddof=1), w.astype(np.float64).std(ddof=1)
        bound = log10_ratio_bound(sg, 0.1 * std_bound(g, E_g), sw, std_bound(w))
        for value in (got[i], lecture[i]):
            assert_close_to_exact(value, np.log10(sg / sw), bound, f"{name} update ratio")
    assert stats.loss == loss.item()  # the same autograd code on the same rows
    assert math.isnan(update_ratio(0.1, 1.0, 0.0))  # b2 of zeros: undefined, not inf

    history = UpdateRatioHistory()
    history.add(stats.step, stats.update_ratios)
    assert history.steps == [7] and history.ratios["W1"] == [got[1]]


def test_history_keeps_its_curve_when_a_step_comes_twice(dataset: Dataset) -> None:
    """A run's last snapshot and its final weights share a step: one point, not a new curve."""
    config = ModelConfig(3, 4, 20, dataset.vocab.size)
    X, Y = dataset.examples(3).tensors["train"]
    sample = example_sample(X, Y, rows=40)
    weights = MLP.init(config, "lecture", seed=9).snapshot()
    history = UpdateRatioHistory()
    for step, lr in ((0, 0.1), (100, 0.1), (200, 0.1), (200, 0.01)):
        stats = hidden_stats(weights, config, sample, lr=lr, step=step)
        history.add(stats.step, stats.update_ratios)
    assert history.steps == [0, 100, 200]
    assert all(len(values) == 3 for values in history.ratios.values())
    last = hidden_stats(weights, config, sample, lr=0.01, step=200).update_ratios["W1"]
    assert history.ratios["W1"][-1] == pytest.approx(last)  # the newer values
    history.add(50, hidden_stats(weights, config, sample, lr=0.1, step=50).update_ratios)  # rewound
    assert history.steps == [50]


def test_lecture_init_saturates_most_units_and_the_scaled_init_few(
    shared_names_or_small: Dataset,
) -> None:
    """The lecture's point (makemore part 3), measured at step 0 of the final run's model."""
    dataset = shared_names_or_small
    config = ModelConfig(3, 10, 200, dataset.vocab.size)
    X, Y = dataset.examples(3).tensors["train"]
    sample = example_sample(X, Y)
    lecture = hidden_stats(MLP.init(config, "lecture").snapshot(), config, sample, lr=0.1)
    scaled = hidden_stats(MLP.init(config, "scaled").snapshot(), config, sample, lr=0.1)
    assert lecture.saturated_fraction > 0.5
    assert scaled.saturated_fraction < 0.2


@pytest.fixture
def shared_names_or_small(small_words: list[str]) -> Dataset:
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "names.txt"
    if shared.is_file():  # the lecture's names
        return Dataset(read_words(shared))
    return Dataset(small_words)
