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
from dataclasses import dataclass, field
from pathlib import Path

import torch

from charnames_gui.core.errors import DatasetError

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
    list of names.
    """
    p = Path(path)
    if not p.exists():
        raise DatasetError(f"Dataset not found: {p}")
    if p.is_dir():
        raise DatasetError(f"{p} is a folder, not a text file of names")
    size = p.stat().st_size
    if size > MAX_DATASET_BYTES:
        raise DatasetError(
            f"{p.name} is {format_size(size)}; a dataset of names may be at most "
            f"{format_size(MAX_DATASET_BYTES)}"
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DatasetError(f"Cannot read {p}: {exc.strerror or exc}") from exc
    return words_from_bytes(raw, name=p.name)


def format_size(n_bytes: int) -> str:
    """1,000 bytes, 3.5 KB, 50 MB: sizes in the units a file manager shows."""
    if n_bytes < 1024:
        return f"{n_bytes:,} bytes"
    if n_bytes < 1024 * 1024:
        return f"{n_bytes / 1024:.3g} KB"
    return f"{n_bytes / (1024 * 1024):.3g} MB"


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
            raise DatasetError(f"Not in the vocabulary: {' '.join(repr(c) for c in unknown)}")
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


def build_examples(
    words: list[str], vocab: Vocabulary, block_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The lecture's build_dataset: every (context, next character) pair of every word.

    Returns X (N, block_size) int64 contexts and Y (N,) int64 next characters, where
    N = sum(len(w) + 1): each character and the closing boundary token is one example.
    """
    if block_size < 1:
        raise ValueError("block_size must be at least 1")
    contexts: list[list[int]] = []
    targets: list[int] = []
    stoi = vocab.stoi
    for w in words:
        context = [0] * block_size  # starts as all boundary tokens: '...'
        for ch in w + vocab.boundary:
            ix = stoi[ch]
            contexts.append(context)
            targets.append(ix)
            context = context[1:] + [ix]  # crop and append: the window slides
    X = torch.tensor(contexts, dtype=torch.int64).reshape(len(targets), block_size)
    Y = torch.tensor(targets, dtype=torch.int64)
    return X, Y


@dataclass(frozen=True)
class WordSplit:
    train: list[str]
    dev: list[str]
    test: list[str]

    def which(self) -> dict[str, str]:
        """word -> 'train' | 'dev' | 'test' (a word in several splits reports train first)."""
        where: dict[str, str] = {}
        for name, words in (("test", self.test), ("dev", self.dev), ("train", self.train)):
            for w in words:
                where[w] = name
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
class SplitTensors:
    """(X, Y) example tensors of each split for one block_size."""

    block_size: int
    tensors: dict[str, tuple[torch.Tensor, torch.Tensor]]

    def X(self, split: str) -> torch.Tensor:
        return self.tensors[split][0]

    def Y(self, split: str) -> torch.Tensor:
        return self.tensors[split][1]


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
        """sha256 of the words (one per line), so runs on the same data can be compared."""
        return hashlib.sha256("\n".join(self.words).encode("utf-8")).hexdigest()

    def examples(self, block_size: int) -> SplitTensors:
        """Example tensors of each split for block_size, built once and cached."""
        if block_size not in self._examples:
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
