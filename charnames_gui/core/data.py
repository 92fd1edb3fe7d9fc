"""Words from a text file, the character vocabulary, (context, next) examples and the split.

This is the lecture's data pipeline:

    words = open('names.txt', 'r').read().splitlines()
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}; stoi['.'] = 0
    random.seed(42); random.shuffle(words)
    n1 = int(0.8 * len(words)); n2 = int(0.9 * len(words))

made robust against the files a learner may open. The vocabulary and the examples as indices
are in core/vocabulary.py, their torch tensors in core/examples.py.
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
from charnames_gui.core.vocabulary import Vocabulary, example_dtype

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
DEFAULT_SPLIT_SEED = 42


def _names(count: int) -> str:
    return "1 name" if count == 1 else f"{count:,} names"


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
            f"{name} has {_names(len(words))}; at least {MIN_WORDS} are needed to split "
            "80/10/10 into train, dev and test"
        )
    return words


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
                f"{self.name} has {_names(len(self.words))}; at least {MIN_WORDS} are needed "
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
