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

from charnames_gui.core.data import Dataset, Vocabulary


def bigram_pairs(words: list[str], vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """(ix1, ix2) int64 arrays of every pair of consecutive characters of boundary + w +
    boundary: len(w) + 1 pairs per word, the same count as the MLP's examples."""
    first: list[int] = []
    second: list[int] = []
    stoi = vocab.stoi
    for w in words:
        chs = [0, *(stoi[ch] for ch in w), 0]  # index 0 is the boundary token
        first.extend(chs[:-1])
        second.extend(chs[1:])
    return np.asarray(first, dtype=np.int64), np.asarray(second, dtype=np.int64)


def bigram_counts(words: list[str], vocab: Vocabulary) -> np.ndarray:
    """N: (V, V) int64, N[i, j] = how often character j follows character i."""
    ix1, ix2 = bigram_pairs(words, vocab)
    counts = np.zeros((vocab.size, vocab.size), dtype=np.int64)
    np.add.at(counts, (ix1, ix2), 1)
    return counts


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
    ix1, ix2 = bigram_pairs(eval_words, vocab)
    if len(ix1) == 0:
        return math.nan
    with np.errstate(divide="ignore"):
        return float(-np.log(P[ix1, ix2]).mean())


def bigram_loss(dataset: Dataset, split: str = "dev", smoothing: float = 1.0) -> float:
    """Loss of the bigram model counted on the train split, evaluated on `split`."""
    words = getattr(dataset.split, split)
    return bigram_nll(dataset.split.train, words, dataset.vocab, smoothing)


def bigram_dev_loss(dataset: Dataset) -> float:
    """The baseline an MLP must beat: counts on train, mean NLL on dev (any vocabulary)."""
    return bigram_loss(dataset, "dev")


def bigram_train_loss(dataset: Dataset) -> float:
    return bigram_loss(dataset, "train")


def uniform_loss(vocab_size: int) -> float:
    """ln(V): the loss of guessing every character with probability 1/V."""
    return math.log(vocab_size)
