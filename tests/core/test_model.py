"""core.model: the lecture's parameters, their initialisation, the forward pass and limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from float_error import U32, assert_close_to_exact, loss_bounds

from charnames_gui.core.config import (
    MAX_PARAMETERS,
    PARAMETER_NAMES,
    ModelConfig,
    parameter_count,
    parameter_shapes,
)
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.model import MLP


def test_parameter_counts_of_the_lectures_models() -> None:
    assert parameter_count(ModelConfig(3, 2, 100, 27)) == 3481
    assert parameter_count(ModelConfig(3, 10, 200, 27)) == 11897
    assert ModelConfig() == ModelConfig(3, 10, 200, 27)  # the lecture's final model
    model = MLP.init(ModelConfig(3, 2, 100, 27))
    assert model.parameter_count() == 3481
    assert sum(p.nelement() for p in model.parameters()) == 3481


def test_parameter_shapes_follow_the_lecture() -> None:
    assert parameter_shapes(ModelConfig(4, 5, 6, 7)) == {
        "C": (7, 5),
        "W1": (20, 6),
        "b1": (6,),
        "W2": (6, 7),
        "b2": (7,),
    }
    assert tuple(parameter_shapes(ModelConfig())) == PARAMETER_NAMES


def test_lecture_init_is_the_lectures_code_exactly() -> None:
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((27, 10), generator=g)
    W1 = torch.randn((30, 200), generator=g)
    b1 = torch.randn(200, generator=g)
    W2 = torch.randn((200, 27), generator=g)
    b2 = torch.randn(27, generator=g)
    model = MLP.init(ModelConfig(3, 10, 200, 27), "lecture")
    expected = {"C": C, "W1": W1, "b1": b1, "W2": W2, "b2": b2}
    for name in PARAMETER_NAMES:
        assert model.params[name].dtype == torch.float32
        assert torch.equal(model.params[name], expected[name]), name
    assert torch.equal(model.C, C) and torch.equal(model.W1, W1) and torch.equal(model.b1, b1)
    assert torch.equal(model.W2, W2) and torch.equal(model.b2, b2)


def test_lecture_init_of_the_first_model() -> None:
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((27, 2), generator=g)
    W1 = torch.randn((6, 100), generator=g)
    model = MLP.init(ModelConfig(3, 2, 100, 27))
    assert torch.equal(model.C, C) and torch.equal(model.W1, W1)


def test_the_seed_changes_the_init_and_the_same_seed_repeats_it() -> None:
    config = ModelConfig(3, 4, 8, 27)
    a, b, c = MLP.init(config, seed=1), MLP.init(config, seed=1), MLP.init(config, seed=2)
    assert all(torch.equal(a.params[n], b.params[n]) for n in PARAMETER_NAMES)
    assert not torch.equal(a.C, c.C)


def test_scaled_init_shrinks_the_output_layer_and_the_first_loss_is_near_ln_vocab(
    small_words: list[str],
) -> None:
    ds = Dataset(small_words)
    config = ModelConfig(3, 10, 200, ds.vocab.size)
    X, Y = ds.examples(3).tensors["train"]
    lecture, scaled = MLP.init(config, "lecture"), MLP.init(config, "scaled")
    # same draws, then scaled: W1 by (5/3)/sqrt(fan_in), W2 small, b2 zero
    # W1: the app rounds (5/3)/sqrt(30) and the product (2 roundings); this line rounds 5/3,
    # sqrt(30) and two products (4): at most 6 units of float32 rounding (U32) apart
    expected_W1 = lecture.W1 * (5 / 3) / math.sqrt(30)
    assert torch.allclose(scaled.W1, expected_W1, rtol=6 * U32, atol=0)
    assert torch.equal(scaled.W2, lecture.W2 * 0.01)  # the same one rounding
    assert torch.count_nonzero(scaled.b2) == 0
    assert torch.equal(scaled.C, lecture.C)
    first_loss = scaled.loss(X, Y)
    assert abs(first_loss - math.log(ds.vocab.size)) < 0.1
    assert lecture.loss(X, Y) > 10  # the lecture's famous ~27 starting loss: confidently wrong
    # the tanh layer is far less saturated (|h| close to 1 kills the gradient)
    saturated = {}
    for name, model in (("lecture", lecture), ("scaled", scaled)):
        h = torch.tanh(model.C[X.long()].view(len(X), -1) @ model.W1 + model.b1)
        saturated[name] = float((h.abs() > 0.99).float().mean())
    assert saturated["scaled"] < 0.2 < 0.6 < saturated["lecture"]


def test_forward_matches_the_lectures_expression(small_words: list[str]) -> None:
    ds = Dataset(small_words)
    model = MLP.init(ModelConfig(4, 3, 17, ds.vocab.size), "scaled", seed=5)
    X, Y = ds.examples(4).tensors["train"]  # stored as bytes: the model converts them
    C, W1, b1, W2, b2 = (model.params[n] for n in PARAMETER_NAMES)
    Xtr, Ytr = X.long(), Y.long()  # the lecture's int64 tensors
    emb = C[Xtr]  # the lecture's forward, verbatim
    h = torch.tanh(emb.view(-1, 12) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Ytr)
    assert torch.equal(model.logits(Xtr), logits)
    assert torch.equal(model.logits(X), logits)
    # the app's sum of slices, the lecture's mean and in slices of 7: each within float32
    # rounding of the exact loss
    exact, bound = loss_bounds(model.params, X.numpy(), Y.numpy())
    for got in (loss.item(), model.loss(X, Y), model.loss(X, Y, batch=7)):
        assert_close_to_exact(got, exact, bound, "loss")


def test_loss_of_no_examples_is_nan() -> None:
    model = MLP.init(ModelConfig(3, 2, 4, 5))
    assert math.isnan(model.loss(torch.zeros((0, 3), dtype=torch.int64), torch.zeros(0).long()))


def test_copy_and_snapshot_are_independent() -> None:
    model = MLP.init(ModelConfig(2, 2, 3, 5))
    copy = model.copy()
    snap = model.snapshot()
    model.params["W1"] += 1.0
    assert not torch.equal(copy.W1, model.W1)
    assert isinstance(snap["W1"], np.ndarray) and snap["W1"].dtype == np.float32
    assert np.array_equal(snap["W1"] + 1.0, model.W1.numpy())
    assert sorted(snap) == sorted(PARAMETER_NAMES)


def test_is_finite() -> None:
    model = MLP.init(ModelConfig(2, 2, 3, 5))
    assert model.is_finite()
    model.params["b2"][1] = float("inf")
    assert not model.is_finite()


def test_params_are_float32_and_detached_from_their_source() -> None:
    source = {
        name: torch.zeros(shape, dtype=torch.float64)
        for name, shape in parameter_shapes(ModelConfig(2, 2, 3, 5)).items()
    }
    model = MLP(ModelConfig(2, 2, 3, 5), source)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    source["C"] += 1
    assert torch.count_nonzero(model.C) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("block_size", 0),
        ("block_size", -1),
        ("block_size", 33),
        ("block_size", 10**9),
        ("n_embd", 0),
        ("n_embd", -5),
        ("n_embd", 10**6),
        ("n_hidden", 0),
        ("n_hidden", -200),
        ("n_hidden", 10**7),
        ("vocab_size", 1),
        ("vocab_size", 0),
        ("vocab_size", 10_000),
        ("block_size", 3.0),
        ("n_embd", 2.5),
        ("n_hidden", "200"),
        ("n_hidden", None),
        ("block_size", True),
        ("n_embd", False),
    ],
)
def test_invalid_configs_raise_config_error(field: str, value: object) -> None:
    kwargs: dict[str, object] = {"block_size": 3, "n_embd": 10, "n_hidden": 200, "vocab_size": 27}
    kwargs[field] = value
    config = ModelConfig(**kwargs)
    with pytest.raises(ConfigError) as exc_info:
        config.validate()
    message = str(exc_info.value)
    assert field in message and "\n" not in message
    with pytest.raises(ConfigError):
        MLP.init(config)


def test_a_model_too_large_for_a_laptop_is_refused() -> None:
    config = ModelConfig(32, 256, 4096, 200)  # every size within its own limit
    assert parameter_count(config) > MAX_PARAMETERS
    with pytest.raises(ConfigError, match="parameters"):
        config.validate()


def test_unknown_init_scheme() -> None:
    with pytest.raises(ConfigError, match="init"):
        MLP.init(ModelConfig(), "xavier")


def test_mlp_rejects_missing_or_misshapen_parameters() -> None:
    config = ModelConfig(2, 2, 3, 5)
    params = MLP.init(config).params
    with pytest.raises(ConfigError, match="b2"):
        MLP(config, {k: v for k, v in params.items() if k != "b2"})
    with pytest.raises(ConfigError, match="W1"):
        MLP(config, {**params, "W1": torch.zeros(5, 3)})


def test_evaluation_slices_are_sized_by_memory() -> None:
    from charnames_gui.core.model import EVAL_SLICE_BYTES, eval_slice_rows

    largest = ModelConfig(block_size=16, n_embd=256, n_hidden=4096, vocab_size=27)
    rows = eval_slice_rows(largest)
    per_row = 4 * (16 * 256 + 3 * 4096 + 3 * 27)
    assert rows * per_row <= EVAL_SLICE_BYTES < (rows + 1) * per_row
    assert rows < 2000  # it was 65,536 rows: 3.3 GB of activations
    assert eval_slice_rows(ModelConfig(block_size=1, n_embd=2, n_hidden=10, vocab_size=5)) == 65536


def test_loss_in_memory_sized_slices_equals_one_slice() -> None:
    config = ModelConfig(block_size=3, n_embd=4, n_hidden=2000, vocab_size=27)
    model = MLP.init(config, "scaled", 3)
    g = torch.Generator().manual_seed(0)
    X = torch.randint(0, 27, (20_000, 3), generator=g)
    Y = torch.randint(0, 27, (20_000,), generator=g)
    calls: list[int] = []
    sliced = model.loss(X, Y, between=lambda: calls.append(1))
    assert len(calls) > 1  # this model's slices are smaller than the data
    exact, bound = loss_bounds(model.params, X.numpy(), Y.numpy())
    assert_close_to_exact(sliced, exact, bound, "in slices")
    assert_close_to_exact(model.loss(X, Y, batch=len(Y)), exact, bound, "one slice")
