"""inspect_forward: every stage equals the lecture's own forward pass (the gathers exactly,
the rest within float32 rounding of the exact values: tests/float_error.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from float_error import assert_close_to_exact, forward_bounds

from charnames_gui.core.config import ModelConfig
from charnames_gui.core.data import Vocabulary
from charnames_gui.core.errors import CharnamesError, ConfigError, DatasetError
from charnames_gui.core.forward import context_from_text, inspect_forward
from charnames_gui.core.model import MLP
from charnames_gui.core.sampling import Sampler


def _lecture_forward(weights: dict, context: list[int], temperature: float) -> dict:
    """The lecture's sampling cell, one context, written out again with its names."""
    C, W1, b1, W2, b2 = (torch.tensor(weights[k]) for k in ("C", "W1", "b1", "W2", "b2"))
    emb = C[torch.tensor([context])]  # (1, block_size, n_embd)
    embcat = emb.view(1, -1)
    hpreact = embcat @ W1 + b1
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    probs = F.softmax(logits / temperature, dim=1)
    return {
        "emb": emb[0], "embcat": embcat[0], "hpreact": hpreact[0], "h": h[0],
        "logits": logits[0], "probs": probs[0],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("block_size", "n_embd", "n_hidden", "init", "temperature"),
    [(3, 2, 100, "lecture", 1.0), (3, 10, 200, "scaled", 0.7), (1, 4, 8, "lecture", 2.0),
     (8, 3, 64, "scaled", 1.0)],
)  # fmt: skip
def test_every_stage_equals_the_lectures_forward_pass(
    small_words: list[str], block_size: int, n_embd: int, n_hidden: int, init: str,
    temperature: float,
) -> None:  # fmt: skip
    vocab = Vocabulary.from_words(small_words)
    config = ModelConfig(block_size, n_embd, n_hidden, vocab.size)
    weights = MLP.init(config, init, seed=5).snapshot()
    context = context_from_text("emm", vocab, block_size)
    fp = inspect_forward(weights, config, vocab.itos, context, temperature)
    expected = _lecture_forward(weights, context, temperature)
    exact = forward_bounds(weights, [context])  # logits before the temperature
    hot = forward_bounds(weights, [context], temperature=temperature)
    bounds = {
        "hpreact": (exact.hpreact[0], exact.hpreact_bound[0]),
        "h": (exact.h[0], exact.h_bound[0]),
        "logits": (exact.logits[0], exact.logits_bound[0]),
        "probs": (hot.probs[0], hot.probs_bound[0]),
    }
    for name, value in expected.items():
        got = getattr(fp, name)
        assert got.shape == tuple(value.shape), name
        if name in bounds:  # both float32 computations lie within rounding of the exact
            assert_close_to_exact(got, *bounds[name], f"inspect {name}")
            assert_close_to_exact(value.numpy(), *bounds[name], f"lecture {name}")
        else:  # emb, embcat: rows of C, gathered
            np.testing.assert_array_equal(got, value.numpy(), err_msg=name)
    assert fp.emb.shape == (block_size, n_embd)
    # the sampler's bars are the same numbers
    sampler = Sampler(config, weights, vocab)
    assert_close_to_exact(sampler.distribution(context, temperature), *bounds["probs"], "bars")


def test_code_lines_and_shapes(small_words: list[str]) -> None:
    vocab = Vocabulary.from_words(small_words)
    config = ModelConfig(3, 10, 200, vocab.size)
    weights = MLP.init(config, "scaled").snapshot()
    fp = inspect_forward(weights, config, vocab.itos, [0, 0, vocab.stoi["e"]])
    lines = {s.name: s.line for s in fp.stages()}
    assert lines["emb"] == "emb = C[torch.tensor([context])]   # (1, 3, 10)"
    assert lines["embcat"] == "embcat = emb.view(1, -1)   # (1, 30)"
    assert lines["hpreact"] == "hpreact = embcat @ W1 + b1   # (1, 200)"
    assert lines["h"] == "h = torch.tanh(hpreact)   # (1, 200)"
    assert lines["logits"] == f"logits = h @ W2 + b2   # (1, {vocab.size})"
    assert lines["probs"] == f"probs = F.softmax(logits, dim=1)   # (1, {vocab.size})"
    assert lines["context"].startswith(f"context = [0, 0, {vocab.stoi['e']}]")
    assert fp.context_chars == (".", ".", "e")
    for stage in fp.stages():  # the shape without its batch dimension is the values' shape
        assert stage.values.size == int(np.prod(stage.shape))


def test_saturation_unit_effects_and_logit_contributions(small_words: list[str]) -> None:
    vocab = Vocabulary.from_words(small_words)
    config = ModelConfig(3, 10, 200, vocab.size)
    weights = MLP.init(config, "lecture").snapshot()
    fp = inspect_forward(weights, config, vocab.itos, [0, 0, 0])
    np.testing.assert_array_equal(fp.saturated, np.abs(fp.h) > 0.99)
    assert fp.saturated.any()  # randn init: many units sit on tanh's flat ends

    j = 7
    raised, lowered = fp.unit_effects(j, k=3)
    row = weights["W2"][j]
    assert [w for _, w in raised] == sorted(row)[::-1][:3]  # the weights themselves
    assert [w for _, w in lowered] == sorted(row)[:3]
    assert raised[0][0] == vocab.itos[int(np.argmax(row))]

    c = vocab.stoi["a"]
    top = fp.logit_contributions(c, k=5)
    every = fp.h * weights["W2"][:, c]
    assert [v for _, v in top] == sorted(every, key=abs, reverse=True)[:5]  # the same products
    exact = forward_bounds(weights, [[0, 0, 0]])
    for logit in (float(every.sum() + weights["b2"][c]), fp.logits[c]):
        assert_close_to_exact(logit, exact.logits[0, c], exact.logits_bound[0, c], "logit")


def test_context_from_text_pads_with_the_boundary_token(small_words: list[str]) -> None:
    vocab = Vocabulary.from_words(small_words)
    assert context_from_text("", vocab, 3) == [0, 0, 0]
    assert context_from_text("e", vocab, 3) == [0, 0, vocab.stoi["e"]]
    assert context_from_text("emma", vocab, 3) == vocab.encode("mma")
    assert context_from_text("..e", vocab, 3) == [0, 0, vocab.stoi["e"]]
    with pytest.raises(DatasetError, match="Not in the vocabulary"):
        context_from_text("e!", vocab, 3)


def test_bad_input_gives_clear_errors(small_words: list[str]) -> None:
    vocab = Vocabulary.from_words(small_words)
    config = ModelConfig(3, 2, 10, vocab.size)
    weights = MLP.init(config).snapshot()
    with pytest.raises(ConfigError, match="3 characters"):
        inspect_forward(weights, config, vocab.itos, [0, 0])
    weights["W1"][:] = 3e38
    weights["W2"][:] = 3e38
    with pytest.raises(CharnamesError, match="not finite"):
        inspect_forward(weights, config, vocab.itos, [1, 2, 3])


def test_to_dict_is_json(small_words: list[str]) -> None:
    vocab = Vocabulary.from_words(small_words)
    config = ModelConfig(2, 2, 6, vocab.size)
    weights = MLP.init(config).snapshot()
    fp = inspect_forward(weights, config, vocab.itos, [0, 1])
    data = json.loads(json.dumps(fp.to_dict()))
    names = [s["name"] for s in data["stages"]]
    assert names == ["context", "emb", "embcat", "hpreact", "h", "logits", "probs"]
    assert np.array(data["stages"][1]["values"]).shape == (2, 2)
    # float32 probabilities, each within its rounding bound: their sum is 1 within the sum
    probs_bound = forward_bounds(weights, [[0, 1]]).probs_bound
    assert abs(sum(data["stages"][-1]["values"]) - 1.0) <= probs_bound.sum()
