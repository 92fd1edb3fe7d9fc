"""Words from a text file, the character vocabulary, (context, next) examples and the split.

This is the lecture's data pipeline:

    words = open('names.txt', 'r').read().splitlines()
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}; stoi['.'] = 0
    random.seed(42); random.shuffle(words)
    n1 = int(0.8 * len(words)); n2 = int(0.9 * len(words))

made robust against the files a learner may open.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from charnames_gui.core.errors import DatasetError, FileAccessError
from charnames_gui.core.safe_files import read_regular_bytes

if TYPE_CHECKING:
    from charnames_gui.core.examples import SplitTensors

# A dataset is a list of names, not a corpus: 50 MB is ~5 million names, far more than this
# model can learn from in a session, and reading it stays fast.
MAX_DATASET_BYTES = 50 * 1024 * 1024
# 80/10/10 needs at least one word in dev and one in test: int(0.9 * n) < n from n = 10.
MIN_WORDS = 10
# Longer "names" are almost certainly not one name per line (a wrong file); the model could
# still train, but each line would produce thousands of examples.
MAX_WORD_LENGTH = 64
# A vocabulary this large means the file is prose or another script, not names; the softmax
# would still work, but the app's bar chart and embedding plot would not be readable.
MAX_VOCAB_SIZE = 200

# Preferred boundary tokens: the lecture's '.', then symbols rarely found in names.
BOUNDARY_CANDIDATES = (".", "#", "|", "~", "^", "$", "_", "*", "@", "%")
DEFAULT_SPLIT_SEED = 42


def read_words(path: str | Path) -> list[str]:
    """Read one item per line from a UTF-8 text file.

    Surrounding whitespace is stripped, blank lines are skipped, CRLF and a UTF-8 BOM are
    accepted. Raises DatasetError with a one-line message for anything that is not a usable
    list of names: a FIFO, device or folder is refused before it is opened, and never more
    than MAX_DATASET_BYTES are read (see core.safe_files).
    """
    p = Path(path)
    try:
        raw = read_regular_bytes(p, "dataset", MAX_DATASET_BYTES)
    except FileAccessError as exc:
        raise DatasetError(str(exc)) from None
    return words_from_bytes(raw, name=p.name)


def words_from_bytes(raw: bytes, name: str = "dataset") -> list[str]:
    """Decode and split a dataset's bytes; see read_words."""
    if not raw:
        raise DatasetError(f"{name} is empty: it needs one name per line")
    if b"\x00" in raw:
        raise DatasetError(f"{name} is a binary file, not a text file of names")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"{name} is not UTF-8 text (bad byte at position {exc.start}); "
            "save it as UTF-8 with one name per line"
        ) from exc
    words = [line.strip() for line in text.splitlines()]
    words = [w for w in words if w]
    if not words:
        raise DatasetError(f"{name} has only blank lines: it needs one name per line")
    longest = max(words, key=len)
    if len(longest) > MAX_WORD_LENGTH:
        raise DatasetError(
            f"{name} has a line of {len(longest)} characters; names may be at most "
            f"{MAX_WORD_LENGTH} (is this one name per line?)"
        )
    if len(words) < MIN_WORDS:
        raise DatasetError(
            f"{name} has {len(words)} names; at least {MIN_WORDS} are needed to split "
            "80/10/10 into train, dev and test"
        )
    return words


MAX_UNKNOWN_SHOWN = 20  # characters named in an error; the rest are counted


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


def available_memory() -> int | None:
    """Bytes of memory the system can still hand out (Linux MemAvailable), None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def examples_bytes(n_examples: int, block_size: int, itemsize: int = 1) -> int:
    """Peak bytes of the examples: X and Y (itemsize bytes an index: example_dtype's), a copy
    of them for a training engine (the fast engine's [X | Y]), and the windows and int32
    starts of a split while it is built."""
    return n_examples * ((block_size + 1) * itemsize * 2 + block_size * itemsize + 4)


def check_examples_fit(name: str, n_examples: int, block_size: int, itemsize: int = 1) -> None:
    """DatasetError when the (X, Y) tensors would take more than 80% of the free memory: a
    MemoryError (or the system ending the app) is not a message a learner can act on."""
    needed = examples_bytes(n_examples, block_size, itemsize)
    free = available_memory()
    if free is not None and needed > 0.8 * free:
        raise DatasetError(
            f"The {n_examples:,} examples of {name} at block size {block_size} need "
            f"{needed / 2**30:.1f} GB of memory and {free / 2**30:.1f} GB is free; use a "
            "smaller block size or dataset"
        )


class SplitLookup(Mapping[str, str]):
    """word -> 'train' | 'dev' | 'test' for the words of a split, read like a dict.

    A dict of a million names takes ~50 MB; this takes 13 bytes a word: each distinct
    word's hash (int64), its split (uint8) and its place in that split's list (int32),
    sorted by hash. A lookup finds the hash by bisection and compares the word itself, so
    two words with the same hash are never confused. A word in several splits reports
    train first, then dev."""

    _SPLITS = ("train", "dev", "test")  # code -> split, in the order a word reports them

    def __init__(self, train: list[str], dev: list[str], test: list[str]) -> None:
        self._lists = (train, dev, test)
        n = len(train) + len(dev) + len(test)
        hashes = np.fromiter((hash(w) for words in self._lists for w in words), np.int64, n)
        codes = np.repeat(np.arange(3, dtype=np.uint8), [len(words) for words in self._lists])
        places = np.concatenate([np.arange(len(words), dtype=np.int32) for words in self._lists])
        order = np.argsort(hashes, kind="stable")  # stable: train, dev, test within a hash
        hashes, codes, places = hashes[order], codes[order], places[order]
        del order
        # a word seen before (a repeated name, or one in several splits) keeps its first
        # entry only; equal hashes are next to each other and rare for distinct words
        repeats = np.flatnonzero(hashes[1:] == hashes[:-1]) + 1
        drop = [i for i in repeats.tolist() if self._seen_before(hashes, codes, places, i)]
        if drop:
            keep = np.ones(n, dtype=bool)
            keep[drop] = False
            hashes, codes, places = hashes[keep], codes[keep], places[keep]
        self._hashes, self._codes, self._places = hashes, codes, places

    def _word(self, codes: np.ndarray, places: np.ndarray, i: int) -> str:
        return self._lists[int(codes[i])][int(places[i])]

    def _seen_before(
        self, hashes: np.ndarray, codes: np.ndarray, places: np.ndarray, i: int
    ) -> bool:
        """Whether entry i's word is an earlier entry's (of the same hash)."""
        word, j = self._word(codes, places, i), i - 1
        while j >= 0 and hashes[j] == hashes[i]:
            if self._word(codes, places, j) == word:
                return True
            j -= 1
        return False

    def __getitem__(self, word: str) -> str:
        if not isinstance(word, str):
            raise KeyError(word)
        h = hash(word)
        i = int(np.searchsorted(self._hashes, h))
        while i < len(self._hashes) and self._hashes[i] == h:
            if self._word(self._codes, self._places, i) == word:
                return self._SPLITS[int(self._codes[i])]
            i += 1
        raise KeyError(word)

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self._hashes)):
            yield self._word(self._codes, self._places, i)

    def __len__(self) -> int:
        return len(self._hashes)

    def nbytes(self) -> int:
        """Bytes of the lookup's own arrays (the words are the split's)."""
        return self._hashes.nbytes + self._codes.nbytes + self._places.nbytes


@dataclass(frozen=True)
class WordSplit:
    train: list[str]
    dev: list[str]
    test: list[str]

    def which(self) -> SplitLookup:
        """word -> 'train' | 'dev' | 'test' (a word in several splits reports train first).
        Built once and kept (a million names take a while): a loader thread builds it ahead
        of the GUI. Read it, do not change it."""
        cached: SplitLookup | None = self.__dict__.get("_which")
        if cached is not None:
            return cached
        where = SplitLookup(self.train, self.dev, self.test)
        object.__setattr__(self, "_which", where)  # frozen: the split itself never changes
        return where


def split_words(words: list[str], split_seed: int = DEFAULT_SPLIT_SEED) -> WordSplit:
    """Split exactly as the lecture: shuffle with random.seed(split_seed), then 80/10/10."""
    shuffled = list(words)
    # random.seed + random.shuffle on the module-level RNG is what the lecture does; a private
    # Random(seed) draws the same sequence without disturbing anyone else's global state.
    random.Random(split_seed).shuffle(shuffled)
    n1 = int(0.8 * len(shuffled))
    n2 = int(0.9 * len(shuffled))
    return WordSplit(shuffled[:n1], shuffled[n1:n2], shuffled[n2:])


SPLITS = ("train", "dev", "test")


@dataclass
class Dataset:
    """A list of names with its vocabulary and 80/10/10 split.

    The vocabulary is built from the words, unless one is given (a loaded model's): then every
    character of the words must be in it."""

    words: list[str]
    name: str = "dataset"
    split_seed: int = DEFAULT_SPLIT_SEED
    path: Path | None = None
    vocab: Vocabulary = None  # type: ignore[assignment]  # None: built from the words
    split: WordSplit = field(init=False)
    _examples: dict[int, SplitTensors] = field(init=False, default_factory=dict, repr=False)
    # figures computed once from the words (the bigram baseline...): keyed by what they are
    derived: dict[str, float] = field(init=False, default_factory=dict, repr=False)
    _content_hash: str | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        if len(self.words) < MIN_WORDS:
            raise DatasetError(
                f"{self.name} has {len(self.words)} names; at least {MIN_WORDS} are needed "
                "to split 80/10/10 into train, dev and test"
            )
        if self.vocab is None:
            self.vocab = Vocabulary.from_words(self.words)
        else:
            unknown = sorted(set("".join(self.words)) - set(self.vocab.itos[1:]))
            if unknown:
                shown = " ".join(repr(c) for c in unknown[:10])
                raise DatasetError(
                    f"{self.name} has characters the model does not know: {shown}"
                    + (" ..." if len(unknown) > 10 else "")
                )
        self.split = split_words(self.words, self.split_seed)

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        split_seed: int = DEFAULT_SPLIT_SEED,
        vocab: Vocabulary | None = None,
    ) -> Dataset:
        p = Path(path)
        return cls(
            read_words(p),
            name=p.name,
            split_seed=split_seed,
            path=p,
            vocab=vocab,  # type: ignore[arg-type]  # None: built from the words
        )

    def content_hash(self) -> str:
        """sha256 of the words (one per line), so runs on the same data can be compared.
        Computed once: the words of a Dataset do not change."""
        if self._content_hash is None:
            text = "\n".join(self.words).encode("utf-8")
            self._content_hash = hashlib.sha256(text).hexdigest()
        return self._content_hash

    def examples(self, block_size: int) -> SplitTensors:
        """Example tensors of each split for block_size, built once and cached. Refused with
        a message, before anything is allocated, when they would not fit in memory."""
        # torch is imported here, when the first model is made: the window opens without it
        from charnames_gui.core.examples import SplitTensors, build_examples

        if block_size not in self._examples:
            n_examples = sum(map(len, self.words)) + len(self.words)
            itemsize = np.dtype(example_dtype(self.vocab.size)).itemsize
            check_examples_fit(self.name, n_examples, block_size, itemsize)
            self._examples[block_size] = SplitTensors(
                block_size,
                {
                    name: build_examples(getattr(self.split, name), self.vocab, block_size)
                    for name in SPLITS
                },
            )
        return self._examples[block_size]

    def with_split_seed(self, split_seed: int) -> Dataset:
        return Dataset(
            self.words, name=self.name, split_seed=split_seed, path=self.path, vocab=self.vocab
        )


# Bidirectional overrides and isolates reorder the rest of a terminal line (U+202A-E, 2066-9).
_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_SHORT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\"}


def printable_name(name: str) -> str:
    """A name as text that is safe to print on a terminal: control characters (C0 such as
    ESC, BS and newline, DEL, C1), lone surrogates, line separators and bidi overrides are
    written as escapes (\\x1b, \\n, \\u2028); a backslash is doubled so escapes stay
    unambiguous. Any other character, 'é' or 'и', is printed as it is."""
    out: list[str] = []
    for ch in name:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
