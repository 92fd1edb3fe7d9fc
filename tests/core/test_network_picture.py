"""The network picture: its columns are the forward pass's stages, and a hidden unit's links
add up to what the forward pass computed (its W1 column to hpreact, its W2 row to the logits)."""

from __future__ import annotations

import numpy as np
import pytest
from float_error import sum_tolerance

from charnames_gui.core.config import ModelConfig
from charnames_gui.core.forward import inspect_forward
from charnames_gui.core.model import MLP
from charnames_gui.core.network_picture import COLUMNS, ColourScale, network_picture

ITOS = tuple(".abcdefghijklmnopqrstuvwxyz")


@pytest.fixture
def picture():
    config = ModelConfig(3, 4, 20, len(ITOS))
    weights = MLP.init(config, "lecture", seed=5).snapshot()
    forward = inspect_forward(weights, config, ITOS, [0, 5, 1])
    return network_picture(forward, weights["W1"]), weights


def test_the_columns_are_the_stages_with_their_scales(picture) -> None:
    pic, _ = picture
    assert tuple(c.name for c in pic.columns) == COLUMNS
    f = pic.forward
    assert pic.column("context").labels == ("'.'", "'e'", "'a'")
    np.testing.assert_array_equal(pic.column("embcat").values, f.embcat)
    np.testing.assert_array_equal(pic.column("h").values, f.h)
    np.testing.assert_array_equal(pic.column("probs").values, f.probs)
    assert pic.column("h").scale == ColourScale(-1.0, 1.0, signed=True)  # tanh's range
    logits = pic.column("logits").scale
    assert logits.signed and logits.high == pytest.approx(np.abs(f.logits).max())
    assert pic.column("probs").scale.high == pytest.approx(f.probs.max())
    # the scale's numbers are its ends and 0; a value maps into -1..1 (signed) or 0..1
    assert logits.ticks() == [logits.low, 0.0, logits.high]
    assert logits.position(logits.high * 2) == 1.0 and logits.position(0.0) == 0.0
    assert pic.column("probs").scale.position(f.probs.max()) == pytest.approx(1.0)


def test_a_units_links_add_up_to_its_preactivation_and_its_share_of_each_logit(picture) -> None:
    pic, weights = picture
    f = pic.forward
    for j in (0, 7, 19):
        links = pic.unit_links(j)
        np.testing.assert_array_equal(links.w_in, weights["W1"][:, j])
        np.testing.assert_array_equal(links.w_out, weights["W2"][j, :])
        # hpreact[j] = sum_i embcat[i] * W1[i, j] + b1[j], computed in float32 by the model
        terms = np.append(links.carried_in, weights["b1"][j])
        bound = sum_tolerance(len(terms), np.abs(terms).sum())
        assert abs(terms.sum() - f.hpreact[j]) <= bound
        np.testing.assert_allclose(links.carried_out, f.h[j] * weights["W2"][j, :])
        top = max(np.abs(links.w_in).max(), np.abs(links.w_out).max())
        assert links.weight_scale.high == pytest.approx(top)
    # the logits are every unit's share plus b2
    shares = np.stack([pic.unit_links(j).carried_out for j in range(20)])
    terms = np.vstack([shares, weights["b2"].reshape(1, -1)])
    bound = sum_tolerance(terms.shape[0], np.abs(terms).sum(axis=0))
    assert np.all(np.abs(terms.sum(axis=0) - f.logits) <= bound)
    with pytest.raises(IndexError):
        pic.unit_links(20)
