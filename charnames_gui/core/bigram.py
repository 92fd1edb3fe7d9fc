"""The bigram baseline of "makemore part 1": count which character follows which.

    N[ix1, ix2] += 1 for every pair of consecutive characters of '.' + w + '.'
    P = (N + 1) / (N + 1).sum(1, keepdims=True)   # +1: "model smoothing", no zero probability
    loss = mean of -log P[ix1, ix2] over the pairs of the words evaluated

Here the counts come from the train split only and the loss is read on the dev split, so the
number is comparable with the MLP's dev loss: both are the mean negative log-likelihood of
each next character given what precedes it (one term per character plus the closing '.').
On the lecture's names.txt, counting and evaluating on all words gives 2.454.
"""

from __future__ import annotations

import math

import numpy as np

from charnames_gui.core.data import Dataset
from charnames_gui.core.vocabulary import Vocabulary, example_arrays


def bigram_pairs(words: list[str], vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """(ix1, ix2) int64 arrays of every pair of consecutive characters of boundary + w +
    boundary: len(w) + 1 pairs per word, the same count as the MLP's examples. They are the
    MLP's examples of block size 1 (context: one character), built vectorised."""
    X, Y = example_arrays(words, vocab, 1)  # X (N, 1), Y (N,), stored as bytes
    # int64: ix1 * V + ix2 would overflow a byte
    return X[:, 0].astype(np.int64), Y.astype(np.int64)


# words per chunk when counting: a million names' pairs at once would need ~100 MB of int64
# indices for a (V, V) table of counts
COUNT_CHUNK_WORDS = 1 << 16


def bigram_counts(words: list[str], vocab: Vocabulary) -> np.ndarray:
    """N: (V, V) int64, N[i, j] = how often character j follows character i."""
    V = vocab.size
    counts = np.zeros(V * V, dtype=np.int64)
    for first in range(0, len(words), COUNT_CHUNK_WORDS):
        ix1, ix2 = bigram_pairs(words[first : first + COUNT_CHUNK_WORDS], vocab)
        # one flat histogram of the pair index i*V + j: N[ix1, ix2] += 1 for every pair
        counts += np.bincount(ix1 * V + ix2, minlength=V * V)
    return counts.reshape(V, V)


def bigram_probabilities(counts: np.ndarray, smoothing: float = 1.0) -> np.ndarray:
    """P: (V, V) float64, each row a distribution over the next character."""
    smoothed = counts.astype(np.float64) + smoothing  # (V, V)
    return smoothed / smoothed.sum(axis=1, keepdims=True)


def bigram_nll(
    train_words: list[str],
    eval_words: list[str],
    vocab: Vocabulary,
    smoothing: float = 1.0,
) -> float:
    """Mean negative log-likelihood of eval_words under counts from train_words.

    NaN when there is nothing to evaluate. With smoothing 0 a pair never seen in training
    has probability 0 and the loss is infinite: the reason the lecture adds 1."""
    P = bigram_probabilities(bigram_counts(train_words, vocab), smoothing)
    # the mean of -log P[ix1, ix2] over the eval pairs, summed by pair: each of the V * V
    # pairs counts as often as it occurs (memory: two (V, V) tables, not one entry a pair)
    seen = bigram_counts(eval_words, vocab)  # (V, V)
    n_pairs = int(seen.sum())
    if n_pairs == 0:
        return math.nan
    occurs = seen > 0  # only pairs that occur: 0 * log(0) would be NaN
    with np.errstate(divide="ignore"):
        return float(-(seen[occurs] * np.log(P[occurs])).sum() / n_pairs)


def bigram_loss(dataset: Dataset, split: str = "dev", smoothing: float = 1.0) -> float:
    """Loss of the bigram model counted on the train split, evaluated on `split`."""
    key = f"bigram_loss:{split}:{smoothing!r}"
    if key not in dataset.derived:  # counted once per dataset (a million names: ~0.3 s)
        words = getattr(dataset.split, split)
        dataset.derived[key] = bigram_nll(dataset.split.train, words, dataset.vocab, smoothing)
    return dataset.derived[key]


def bigram_dev_loss(dataset: Dataset) -> float:
    """The baseline an MLP must beat: counts on train, mean NLL on dev (any vocabulary)."""
    return bigram_loss(dataset, "dev")


def bigram_train_loss(dataset: Dataset) -> float:
    return bigram_loss(dataset, "train")


def uniform_loss(vocab_size: int) -> float:
    """ln(V): the loss of guessing every character with probability 1/V."""
    return math.log(vocab_size)
