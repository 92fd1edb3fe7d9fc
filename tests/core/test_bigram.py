"""The bigram baseline: counts on train (+1 smoothing), mean NLL on another split."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from float_error import printed_tolerance, sum_tolerance

from charnames_gui.core import bigram
from charnames_gui.core.bigram import (
    bigram_counts,
    bigram_dev_loss,
    bigram_loss,
    bigram_nll,
    bigram_pairs,
    bigram_probabilities,
    bigram_train_loss,
    uniform_loss,
)
from charnames_gui.core.data import Dataset, Vocabulary

VOCAB = Vocabulary((".", "a", "b"))


def test_counts_by_hand() -> None:
    # .ab. and .a. -> pairs .a ab b. .a a.
    N = bigram_counts(["ab", "a"], VOCAB)
    np.testing.assert_array_equal(N, [[0, 2, 0], [1, 0, 1], [1, 0, 0]])


def test_nll_by_hand() -> None:
    # smoothed rows: '.' -> [1, 3, 1] / 5, 'a' -> [2, 1, 2] / 5, 'b' -> [2, 1, 1] / 4
    # evaluating "a": pairs .a (3/5) and a. (2/5)
    expected = -(math.log(3 / 5) + math.log(2 / 5)) / 2
    assert bigram_nll(["ab", "a"], ["a"], VOCAB) == pytest.approx(expected)
    # "b" was never first in training: .b gets 1/5 thanks to the +1
    expected_b = -(math.log(1 / 5) + math.log(2 / 4)) / 2
    assert bigram_nll(["ab", "a"], ["b"], VOCAB) == pytest.approx(expected_b)


def test_without_smoothing_an_unseen_pair_is_infinitely_surprising() -> None:
    assert bigram_nll(["ab", "a"], ["b"], VOCAB, smoothing=0) == math.inf
    assert math.isnan(bigram_nll(["ab"], [], VOCAB))


def test_dataset_losses_use_train_counts(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    split = dataset.split
    dev = bigram_dev_loss(dataset)
    assert dev == pytest.approx(bigram_nll(split.train, split.dev, dataset.vocab))
    assert bigram_train_loss(dataset) == pytest.approx(
        bigram_nll(split.train, split.train, dataset.vocab)
    )
    assert bigram_loss(dataset, "test") == pytest.approx(
        bigram_nll(split.train, split.test, dataset.vocab)
    )
    # counting fits train better than dev, and both beat guessing uniformly
    assert bigram_train_loss(dataset) < dev < uniform_loss(dataset.vocab.size)


def test_any_vocabulary_including_a_replaced_boundary() -> None:
    words = ["a.b", "b.c", "ü", "cab", "a", "bb", "c.", "ab", "ca", "üa", "b", "c"]
    dataset = Dataset(words)
    assert dataset.vocab.boundary != "."
    assert math.isfinite(bigram_dev_loss(dataset))


def test_counts_and_loss_made_in_chunks_are_those_of_every_pair_at_once(
    small_words: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A million names are counted a chunk of words at a time (memory: a (V, V) table, not
    int64 indices for every pair); the figures are those of all the pairs at once."""
    vocab = Vocabulary.from_words(small_words)
    V = vocab.size
    ix1, ix2 = bigram_pairs(small_words, vocab)  # every pair, (n,) each
    expected = np.zeros((V, V), dtype=np.int64)
    np.add.at(expected, (ix1, ix2), 1)
    P = bigram_probabilities(expected)
    train, held_out = small_words[:40], small_words[40:]
    h1, h2 = bigram_pairs(held_out, vocab)
    expected_nll = float(-np.log(bigram_probabilities(bigram_counts(train, vocab))[h1, h2]).mean())
    for chunk in (1, 3, 1000):
        monkeypatch.setattr(bigram, "COUNT_CHUNK_WORDS", chunk)
        np.testing.assert_array_equal(bigram_counts(small_words, vocab), expected)
        self_nll = float(-np.log(P[ix1, ix2]).mean())
        assert bigram_nll(small_words, small_words, vocab) == pytest.approx(self_nll, rel=1e-12)
        assert bigram_nll(train, held_out, vocab) == pytest.approx(expected_nll, rel=1e-12)


def test_uniform_loss() -> None:
    assert abs(uniform_loss(27) - 3.2958) <= printed_tolerance(4)  # ln 27, to 4 places


@pytest.mark.slow
def test_lecture_number_on_names_txt(shared_names: Path) -> None:
    dataset = Dataset.from_file(shared_names)
    # makemore part 1 prints 2.4544: its log-likelihood is a float32 running sum of the
    # 228,146 pairs' log p, whose rounding (gamma(n) times the sum of |log p|) allows that;
    # in float64 the same counts give 2.45458
    self_nll = bigram_nll(dataset.words, dataset.words, dataset.vocab)
    pairs = sum(len(w) + 1 for w in dataset.words)
    assert pairs == 228_146
    assert abs(self_nll - 2.4544) <= sum_tolerance(pairs, self_nll)
    assert abs(self_nll - 2.4546) <= printed_tolerance(4)
    assert abs(bigram_dev_loss(dataset) - 2.4533) <= printed_tolerance(4)  # the app's figure
