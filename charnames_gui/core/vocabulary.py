"""The characters the model knows, and the words written as their indices: the Vocabulary
(stoi/itos, the boundary token at index 0) and the lecture's build_dataset as NumPy arrays
(example_arrays; core/examples.py wraps them as torch tensors, core/data.py caches them per
dataset). Torch-free, like data.py: the window reads a dataset before PyTorch has loaded."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from charnames_gui.core.errors import DatasetError

# A vocabulary this large means the file is prose or another script, not names; the softmax
# would still work, but the app's bar chart and embedding plot would not be readable.
MAX_VOCAB_SIZE = 200
MAX_UNKNOWN_SHOWN = 20  # characters named in an error; the rest are counted

# Preferred boundary tokens: the lecture's '.', then symbols rarely found in names.
BOUNDARY_CANDIDATES = (".", "#", "|", "~", "^", "$", "_", "*", "@", "%")


@dataclass(frozen=True)
class Vocabulary:
    """The characters the model knows. Index 0 is the boundary token that pads the start of a
    context and ends a name ('.' in the lecture)."""

    itos: tuple[str, ...]  # index -> character; itos[0] is the boundary token
    stoi: dict[str, int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.itos) < 2:
            raise DatasetError("A vocabulary needs the boundary token and at least one character")
        if len(set(self.itos)) != len(self.itos):
            raise DatasetError("A vocabulary's characters must be distinct")
        if any(len(s) != 1 for s in self.itos):
            raise DatasetError("Every vocabulary entry must be a single character")
        object.__setattr__(self, "stoi", {s: i for i, s in enumerate(self.itos)})

    @classmethod
    def from_words(cls, words: list[str]) -> Vocabulary:
        chars = sorted(set("".join(words)))
        if len(chars) + 1 > MAX_VOCAB_SIZE:
            raise DatasetError(
                f"The dataset uses {len(chars)} distinct characters; at most "
                f"{MAX_VOCAB_SIZE - 1} are supported (is this a list of names?)"
            )
        boundary = next((b for b in BOUNDARY_CANDIDATES if b not in chars), None)
        if boundary is None:
            boundary = next(chr(c) for c in range(0x2400, 0x2500) if chr(c) not in chars)
        return cls((boundary, *chars))

    @property
    def boundary(self) -> str:
        return self.itos[0]

    @property
    def size(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> list[int]:
        unknown = sorted({ch for ch in text if ch not in self.stoi})
        if unknown:
            shown = " ".join(repr(c) for c in unknown[:MAX_UNKNOWN_SHOWN])
            more = len(unknown) - MAX_UNKNOWN_SHOWN
            raise DatasetError(
                f"Not in the vocabulary: {shown}" + (f" and {more:,} more" if more > 0 else "")
            )
        return [self.stoi[ch] for ch in text]

    def decode(self, indices: list[int]) -> str:
        return "".join(self.itos[i] for i in indices)


def boundary_note(vocab: Vocabulary) -> str | None:
    """A sentence for the user when the lecture's '.' could not be the boundary token."""
    if vocab.boundary == ".":
        return None
    return (
        f"The dataset contains '.', so '{vocab.boundary}' marks the start and end of a name "
        "instead."
    )


def encode_words(
    words: list[str], vocab: Vocabulary, block_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """The words laid out for the lecture's sliding context, as vocabulary indices:

        [0]*block_size + word 1 + [0] + [0]*block_size + word 2 + [0] + ...

    (padded, (n_chars + n_words * (block_size + 1),) uint8) and each word's length.
    One join and one table lookup: a byte per character, no list per word or example.
    """
    # the words joined by a separator no word can contain (it is not in the vocabulary);
    # an ASCII one ('\x00' in practice) keeps the join of ASCII names a plain copy
    sep = next(chr(c) for c in range(0xF900) if chr(c) not in vocab.stoi)
    points = np.frombuffer(sep.join(words).encode("utf-32-le"), dtype=np.uint32)  # (chars,)
    index_type = np.uint8 if vocab.size < 255 else np.uint16
    missing = np.iinfo(index_type).max
    top = max(ord(sep), *(ord(ch) for ch in vocab.itos), int(points.max(initial=0)))
    lookup = np.full(top + 1, missing, dtype=index_type)  # code point -> index (<= 1.1 M)
    lookup[[ord(ch) for ch in vocab.itos]] = np.arange(vocab.size)
    lookup[ord(sep)] = 0
    codes = lookup[points]  # (chars,) vocabulary index of each character, 0 for separators
    is_sep = points == ord(sep)
    unknown = codes == missing
    if unknown.any() or int(is_sep.sum()) != len(words) - 1:
        shown = sorted(set(points[unknown | is_sep].tolist()) - {ord(sep)} or {ord(sep)})
        raise DatasetError("Not in the vocabulary: " + " ".join(repr(chr(c)) for c in shown[:10]))
    # each word's length: the gaps between separators
    bounds = np.concatenate(([-1], np.flatnonzero(is_sep), [len(points)]))
    lengths = np.diff(bounds) - 1
    # a separator becomes the word's closing 0 and the next word's block_size leading 0s
    body = np.repeat(codes, np.where(is_sep, block_size + 1, 1))
    zeros = np.zeros(block_size, dtype=index_type)
    padded = np.concatenate((zeros, body, zeros[:1]))
    return padded, lengths


def example_dtype(vocab_size: int) -> type[np.unsignedinteger] | type[np.signedinteger]:
    """The dtype examples are stored in: a byte per character index (uint8) while the
    vocabulary fits in one, as every dataset's does (MAX_VOCAB_SIZE = 200); int32 beyond.
    A million names' 7.5 million examples of block size 3 then take 30 MB, not 240 MB."""
    return np.uint8 if vocab_size <= 256 else np.int32


def example_arrays(
    words: list[str], vocab: Vocabulary, block_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's build_dataset: every (context, next character) pair of every word, as
    NumPy arrays (core/examples.py wraps them as torch tensors, without a copy).

    Returns X (N, block_size) contexts and Y (N,) next characters, where
    N = sum(len(w) + 1): each character and the closing boundary token is one example.
    They hold the lecture's values, stored compactly (example_dtype: uint8): convert a
    minibatch or slice with .long() before C[X] (torch takes a uint8 index as a mask) or
    cross_entropy(logits, Y), as MLP.logits and MLP.loss do.

    The lecture's loop, for reference (same X and Y, element for element):

        for w in words:
            context = [0] * block_size
            for ch in w + '.':
                ix = stoi[ch]
                X.append(context); Y.append(ix)
                context = context[1:] + [ix]  # crop and append

    Here it is vectorised so that memory stays proportional to the data (no list per
    example): each word is laid out as block_size boundary tokens, its characters and a
    closing boundary token in one flat array (encode_words); the example at position t of a
    word is the window of block_size tokens starting at t, and its target is the token
    after the window.
    """
    if block_size < 1:
        raise ValueError("block_size must be at least 1")
    dtype = example_dtype(vocab.size)
    n_examples = sum(map(len, words)) + len(words)
    X = np.empty((n_examples, block_size), dtype=dtype)  # (N, block_size)
    Y = np.empty(n_examples, dtype=dtype)  # (N,)
    # a chunk of words at a time: the work arrays (the text as UTF-32, window starts) stay
    # a few MB however many names there are, next to X and Y themselves
    done = 0
    for first in range(0, len(words), BUILD_CHUNK_WORDS):
        chunk = words[first : first + BUILD_CHUNK_WORDS]
        done = _chunk_examples(chunk, vocab, block_size, X, Y, done)
    if done != n_examples:  # never: a word's examples are its characters and the boundary
        raise RuntimeError(f"built {done:,} examples, expected {n_examples:,}")
    return X, Y


BUILD_CHUNK_WORDS = 1 << 16  # words per step of build_examples (~500,000 examples)


def _chunk_examples(
    words: list[str], vocab: Vocabulary, block_size: int, X: np.ndarray, Y: np.ndarray, at: int
) -> int:
    """Write the examples of words into X and Y from row `at`; return the row after them."""
    padded, lengths = encode_words(words, vocab, block_size)
    n_words = len(words)
    n_examples = int(lengths.sum()) + n_words
    # example e, in word w, has its window start e + w*block tokens into padded
    index_type: type[np.signedinteger] = np.int32 if len(padded) < 2**31 else np.int64
    starts: np.ndarray = np.arange(n_examples, dtype=index_type)
    starts += np.repeat(np.arange(n_words, dtype=index_type) * block_size, lengths + 1)
    del lengths
    windows = np.lib.stride_tricks.sliding_window_view(padded, block_size)  # a view, no copy
    end = at + n_examples
    X[at:end] = windows[starts]  # (n, block_size)
    starts += block_size  # in place: the target is the token after each window
    Y[at:end] = padded[starts]  # (n,)
    return end
