"""The examples as torch tensors: (X, Y) of each split, built by core/vocabulary.py's
example_arrays (the lecture's build_dataset) and shared with torch without a copy.

The one place data meets torch; data.py itself stays torch-free, so the window can read a
dataset before PyTorch has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from charnames_gui.core.vocabulary import Vocabulary, example_arrays


def build_examples(
    words: list[str], vocab: Vocabulary, block_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """X (N, block_size) contexts and Y (N,) next characters of every word, as tensors (see
    example_arrays: stored compactly, uint8; take .long() before C[X] or cross_entropy)."""
    X, Y = example_arrays(words, vocab, block_size)
    return torch.from_numpy(X), torch.from_numpy(Y)


@dataclass
class SplitTensors:
    """(X, Y) example tensors of each split for one block_size: X (N, block_size) contexts,
    Y (N,) next characters.

    Stored compactly (build_examples: a byte per character index), so memory follows the
    data: 4 bytes an example of block size 3, not the lecture's 32 of int64. Take int64 rows
    with batch() (or .long()) before C[X]: a uint8 index is a mask to torch. MLP.logits and
    MLP.loss convert their input themselves, a slice at a time."""

    block_size: int
    tensors: dict[str, tuple[torch.Tensor, torch.Tensor]]

    def X(self, split: str) -> torch.Tensor:
        return self.tensors[split][0]

    def Y(self, split: str) -> torch.Tensor:
        return self.tensors[split][1]

    def batch(self, split: str, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """X[rows], Y[rows] of a split as int64, as the lecture's Xtr[ix], Ytr[ix]."""
        X, Y = self.tensors[split]
        return X[rows].long(), Y[rows].long()

    def nbytes(self) -> int:
        """Bytes held by the example tensors of all splits."""
        return sum(t.nbytes for pair in self.tensors.values() for t in pair)
