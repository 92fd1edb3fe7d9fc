"""core.data: reading names, the vocabulary, (context, next) examples and the lecture's split."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from charnames_gui.core import data, vocabulary
from charnames_gui.core import safe_files as data_safe_files
from charnames_gui.core.data import (
    MAX_WORD_LENGTH,
    MIN_WORDS,
    Dataset,
    printable_name,
    read_words,
    split_words,
)
from charnames_gui.core.errors import DatasetError
from charnames_gui.core.examples import build_examples
from charnames_gui.core.vocabulary import Vocabulary, boundary_note

LECTURE_ALPHABET = ".abcdefghijklmnopqrstuvwxyz"


def write_bytes(tmp_path: Path, raw: bytes, name: str = "names.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    return path


def ten_names() -> list[str]:
    return ["ann", "bob", "cid", "dan", "eve", "fay", "gus", "hal", "ida", "jon"]


def one_line(exc_info: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc_info.value)
    assert message and "\n" not in message, f"not a one-line message: {message!r}"
    return message


# -- reading ----------------------------------------------------------------------------------


def test_read_words_strips_whitespace_skips_blank_lines_and_accepts_crlf_and_bom(
    tmp_path: Path,
) -> None:
    names = ten_names()
    text = "\r\n".join(f"  {w}\t" for w in names[:5]) + "\r\n\r\n   \r\n" + "\n".join(names[5:])
    path = write_bytes(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8") + b"\r\n")
    assert read_words(path) == names


def test_read_words_reads_utf8_characters(tmp_path: Path) -> None:
    names = ["zoë", "josé", "åsa", "łucja", "émile", "иван", "björn", "núria", "øyvind", "çelik"]
    path = write_bytes(tmp_path, "\n".join(names).encode("utf-8"))
    assert read_words(path) == names


def test_read_words_of_the_small_fixture(small_dataset_file: Path, small_words: list[str]) -> None:
    assert read_words(small_dataset_file) == small_words
    assert read_words(str(small_dataset_file)) == small_words


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "is empty"),
        (b"\n\n   \r\n\t\n", "only blank lines"),
        (b"emma\x00\x01\x02olivia\n" * 20, "binary file"),
        ("\n".join(["zoë"] * 20).encode("latin-1"), "not UTF-8"),
        (b"ann\nbob\ncid\n", "has 3 names; at least 10"),
        (b"emma\n", "has 1 name; at least 10"),
        (("a" * (MAX_WORD_LENGTH + 1) + "\n").encode() + b"emma\n" * 20, "at most 64"),
        (("x" * 100_000).encode(), "line of 100000 characters"),
    ],
    ids=["empty", "blank-lines", "binary", "latin-1", "too-few", "one", "long-line", "huge-line"],
)
def test_read_words_rejects_unusable_files(tmp_path: Path, raw: bytes, expected: str) -> None:
    path = write_bytes(tmp_path, raw)
    with pytest.raises(DatasetError) as exc_info:
        read_words(path)
    message = one_line(exc_info)
    assert expected in message
    assert "names.txt" in message


def test_read_words_accepts_the_smallest_usable_file(tmp_path: Path) -> None:
    assert len(read_words(write_bytes(tmp_path, "\n".join(ten_names()).encode()))) == MIN_WORDS
    nine = write_bytes(tmp_path, "\n".join(ten_names()[:9]).encode(), "nine.txt")
    with pytest.raises(DatasetError, match="has 9 names"):
        read_words(nine)


def test_read_words_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as exc_info:
        read_words(tmp_path / "nope.txt")
    assert "not found" in one_line(exc_info)


def test_read_words_directory(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as exc_info:
        read_words(tmp_path)
    assert "folder" in one_line(exc_info)


def test_read_words_file_too_large_names_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "MAX_DATASET_BYTES", 3 * 1024 * 1024)
    path = write_bytes(tmp_path, (b"emma\n" * 734_004)[: 3 * 1024 * 1024 + 512 * 1024])
    with pytest.raises(DatasetError) as exc_info:
        read_words(path)
    message = one_line(exc_info)
    assert "3.5 MB" in message
    assert "at most 3 MB" in message


def test_read_words_file_too_large_with_a_tiny_limit_still_says_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "MAX_DATASET_BYTES", 100)
    path = write_bytes(tmp_path, b"emma\n" * 40)  # 200 bytes
    with pytest.raises(DatasetError) as exc_info:
        read_words(path)
    message = one_line(exc_info)
    assert "200 bytes" in message
    assert "at most 100 bytes" in message


def test_read_words_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_bytes(tmp_path, "\n".join(ten_names()).encode())

    def fail(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(data_safe_files.os, "open", fail)
    with pytest.raises(DatasetError) as exc_info:
        read_words(path)
    assert "Permission denied" in one_line(exc_info)


def test_a_fifo_dataset_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "names.txt"
    os.mkfifo(fifo)  # nobody writes: a blocking open would wait forever
    with pytest.raises(DatasetError) as exc_info:
        Dataset.from_file(fifo)
    assert "named pipe" in one_line(exc_info)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_link_to_a_device_is_refused_without_reading(tmp_path: Path, device: str) -> None:
    link = tmp_path / "names.txt"
    link.symlink_to(device)
    with pytest.raises(DatasetError) as exc_info:
        read_words(link)
    assert "is a device, not a file" in one_line(exc_info)


def test_a_file_of_prose_has_too_many_characters(tmp_path: Path) -> None:
    words = [chr(0x4E00 + i) * 3 for i in range(300)]  # 300 distinct CJK characters
    dataset_path = write_bytes(tmp_path, "\n".join(words).encode("utf-8"))
    with pytest.raises(DatasetError) as exc_info:
        Dataset.from_file(dataset_path)
    assert "300 distinct characters" in one_line(exc_info)


# -- vocabulary -------------------------------------------------------------------------------


def test_vocabulary_is_sorted_with_the_boundary_at_index_zero(small_words: list[str]) -> None:
    vocab = Vocabulary.from_words(small_words)
    chars = sorted(set("".join(small_words)))
    assert vocab.itos == (".", *chars)
    assert vocab.boundary == "."
    assert vocab.stoi["."] == 0
    assert vocab.size == len(chars) + 1
    for i, s in enumerate(vocab.itos):
        assert vocab.stoi[s] == i
    assert {vocab.itos[i]: i for i in vocab.stoi.values()} == vocab.stoi
    assert boundary_note(vocab) is None


def test_vocabulary_of_all_letters_is_the_lectures() -> None:
    words = ["abcdefghijklm", "nopqrstuvwxyz"]
    vocab = Vocabulary.from_words(words)
    assert "".join(vocab.itos) == LECTURE_ALPHABET
    # the lecture: stoi = {s: i + 1 for i, s in enumerate(chars)}; stoi['.'] = 0
    chars = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    assert vocab.stoi == stoi


def test_encode_and_decode_are_inverse(small_words: list[str]) -> None:
    vocab = Vocabulary.from_words(small_words)
    for w in small_words:
        assert vocab.decode(vocab.encode(w)) == w
    assert vocab.encode("emma") == [vocab.stoi[c] for c in "emma"]
    with pytest.raises(DatasetError, match="'q'"):
        vocab.encode("qemma")


def test_a_dot_in_the_data_picks_another_boundary_and_says_so() -> None:
    words = ["j.r.", "st. john", "a.b"] + ten_names()
    vocab = Vocabulary.from_words(words)
    assert vocab.boundary != "."
    assert vocab.boundary not in "".join(words)
    assert "." in vocab.itos[1:]
    assert vocab.itos[1:] == tuple(sorted(set("".join(words))))
    note = boundary_note(vocab)
    assert note is not None and "'.'" in note and f"'{vocab.boundary}'" in note
    assert "\n" not in note
    _, Y = build_examples(["a.b"], vocab, 2)
    assert Y.tolist() == [vocab.stoi[c] for c in "a.b"] + [0]


def test_the_boundary_avoids_every_candidate_in_the_data() -> None:
    words = ["".join(vocabulary.BOUNDARY_CANDIDATES)] + ten_names()
    vocab = Vocabulary.from_words(words)
    assert vocab.boundary not in "".join(words)
    assert len(vocab.boundary) == 1


def test_vocabulary_rejects_bad_tables() -> None:
    with pytest.raises(DatasetError):
        Vocabulary((".",))
    with pytest.raises(DatasetError):
        Vocabulary((".", "a", "a"))
    with pytest.raises(DatasetError):
        Vocabulary((".", "ab"))


# -- examples ---------------------------------------------------------------------------------


def decoded_examples(words: list[str], block_size: int) -> list[tuple[str, str]]:
    vocab = Vocabulary(tuple(LECTURE_ALPHABET))
    X, Y = build_examples(words, vocab, block_size)
    assert X.dtype == Y.dtype == torch.uint8  # stored compactly: a byte per index
    assert X.shape == (len(Y), block_size)
    return [(vocab.decode(x.tolist()), vocab.itos[int(y)]) for x, y in zip(X, Y, strict=True)]


def test_build_examples_block_3_is_the_lectures_emma() -> None:
    assert decoded_examples(["emma"], 3) == [
        ("...", "e"),
        ("..e", "m"),
        (".em", "m"),
        ("emm", "a"),
        ("mma", "."),
    ]


def test_build_examples_block_1() -> None:
    assert decoded_examples(["emma", "bo"], 1) == [
        (".", "e"),
        ("e", "m"),
        ("m", "m"),
        ("m", "a"),
        ("a", "."),
        (".", "b"),
        ("b", "o"),
        ("o", "."),
    ]


def test_build_examples_block_8_is_padded_with_boundaries() -> None:
    assert decoded_examples(["olivia"], 8) == [
        ("........", "o"),
        (".......o", "l"),
        ("......ol", "i"),
        (".....oli", "v"),
        ("....oliv", "i"),
        ("...olivi", "a"),
        ("..olivia", "."),
    ]


@pytest.mark.parametrize("block_size", [1, 2, 3, 5, 8])
def test_build_examples_equals_the_lectures_build_dataset(
    small_words: list[str], block_size: int
) -> None:
    vocab = Vocabulary.from_words(small_words)
    stoi = vocab.stoi
    X_expected, Y_expected = [], []  # the lecture's build_dataset, verbatim
    for w in small_words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X_expected.append(context)
            Y_expected.append(ix)
            context = context[1:] + [ix]
    X, Y = build_examples(small_words, vocab, block_size)
    # the same values; the lecture's int64 after .long(), as every minibatch is taken
    assert torch.equal(X.long(), torch.tensor(X_expected))
    assert torch.equal(Y.long(), torch.tensor(Y_expected))
    assert len(Y) == sum(len(w) + 1 for w in small_words)


def lecture_build_dataset(
    words: list[str], stoi: dict[str, int], block_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The lecture's build_dataset, verbatim."""
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


@pytest.mark.parametrize("block_size", [1, 3, 8, 16])
def test_build_examples_of_the_lectures_names_equals_the_lectures_build_dataset(
    shared_names: Path, block_size: int
) -> None:
    words = read_words(shared_names)
    vocab = Vocabulary.from_words(words)
    X_expected, Y_expected = lecture_build_dataset(words, vocab.stoi, block_size)
    X, Y = build_examples(words, vocab, block_size)
    assert X.dtype == Y.dtype == torch.uint8
    assert torch.equal(X.long(), X_expected) and torch.equal(Y.long(), Y_expected)


def test_build_examples_with_an_unsorted_given_vocabulary() -> None:
    # a loaded model's vocabulary need not be sorted; its order is the model's
    vocab = Vocabulary(("#", "z", "o", "a", "é", "m", "e"))
    words = ["emma", "zoé", "a"]
    X_expected, Y_expected = lecture_build_dataset(words, {**vocab.stoi, ".": 0}, 4)
    X, Y = build_examples(words, vocab, 4)
    assert torch.equal(X.long(), X_expected) and torch.equal(Y.long(), Y_expected)
    with pytest.raises(DatasetError, match="'q'"):
        build_examples(["emma", "quinn"], vocab, 3)


def test_build_examples_of_empty_words_and_characters_outside_the_vocabulary() -> None:
    vocab = Vocabulary(tuple(LECTURE_ALPHABET))
    X_expected, Y_expected = lecture_build_dataset(["", "ab", ""], vocab.stoi, 2)
    X, Y = build_examples(["", "ab", ""], vocab, 2)
    assert torch.equal(X.long(), X_expected) and torch.equal(Y.long(), Y_expected)
    for odd in ("\x00", "\ue000", "é", "."):  # separators, other scripts, the boundary
        with pytest.raises(DatasetError, match="Not in the vocabulary"):
            build_examples(["emma", f"a{odd}b"], Vocabulary(tuple("#abem")), 3)


def test_build_examples_memory_is_proportional_to_the_examples() -> None:
    """No Python list per example: the lecture's lists cost over 100 bytes an example; the
    tensors cost block_size + 1 bytes. tracemalloc sees numpy's and Python's allocations."""
    import tracemalloc

    words = ["".join(random.Random(i).choices("abcdefghij", k=6)) for i in range(20_000)]
    vocab = Vocabulary.from_words(words)
    tracemalloc.start()
    try:
        X, _ = build_examples(words, vocab, 3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the int32 start index, the joined text as UTF-32 (~4 bytes a character), the
    # windows and X and Y: well under the 32 bytes the int64 X and Y alone took
    assert peak / len(X) < 24, f"{peak / len(X):.0f} bytes per example"


def test_build_examples_works_a_chunk_of_words_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Beyond X and Y themselves (block_size + 1 bytes an example), building them needs only
    the work arrays of one chunk of words, however many words there are; and the examples
    are the same as in one pass."""
    import tracemalloc

    words = ["".join(random.Random(i).choices("abcdefghij", k=6)) for i in range(20_000)]
    vocab = Vocabulary.from_words(words)
    whole = build_examples(words, vocab, 3)
    monkeypatch.setattr(vocabulary, "BUILD_CHUNK_WORDS", 1000)
    tracemalloc.start()
    try:
        X, Y = build_examples(words, vocab, 3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert torch.equal(X, whole[0]) and torch.equal(Y, whole[1])
    assert X.dtype == torch.uint8
    # 4 bytes an example are X and Y; a chunk of 1,000 of the 20,000 words adds ~1 byte
    assert peak / len(X) < 6, f"{peak / len(X):.1f} bytes per example"
    for size in (1, 3, 7):  # chunks that split the words anywhere give the same examples
        monkeypatch.setattr(vocabulary, "BUILD_CHUNK_WORDS", size)
        X, Y = build_examples(words[:50], vocab, 3)
        expected_X, expected_Y = lecture_build_dataset(words[:50], {**vocab.stoi, ".": 0}, 3)
        assert torch.equal(X.long(), expected_X) and torch.equal(Y.long(), expected_Y)


def test_build_examples_of_no_words_is_empty() -> None:
    X, Y = build_examples([], Vocabulary(tuple(LECTURE_ALPHABET)), 3)
    assert X.shape == (0, 3) and Y.shape == (0,)
    assert X.dtype == Y.dtype == torch.uint8


def test_examples_take_one_byte_per_index(small_words: list[str]) -> None:
    """A million names' examples: X and Y hold block_size + 1 bytes an
    example, not the 8 * (block_size + 1) of int64."""
    ds = Dataset(small_words)
    for block_size in (1, 3, 8):
        ex = ds.examples(block_size)
        n = sum(len(ex.Y(split)) for split in ("train", "dev", "test"))
        assert n == sum(len(w) + 1 for w in small_words)
        assert ex.nbytes() == n * (block_size + 1)


def test_example_dtype_fits_every_vocabulary() -> None:
    assert vocabulary.example_dtype(vocabulary.MAX_VOCAB_SIZE) == np.uint8
    assert vocabulary.example_dtype(256) == np.uint8  # indices 0..255
    assert vocabulary.example_dtype(257) == np.int32
    # a vocabulary beyond a byte (not one a dataset can have: a model's given one) still
    # gets every index right
    itos = ("#", *(chr(0x100 + i) for i in range(299)))
    vocab = Vocabulary(itos)
    word = "".join(itos[1:])
    X, Y = build_examples([word], vocab, 2)
    assert X.dtype == Y.dtype == torch.int32
    expected_X, expected_Y = lecture_build_dataset([word], {**vocab.stoi, ".": 0}, 2)
    assert torch.equal(X.long(), expected_X) and torch.equal(Y.long(), expected_Y)


def test_a_batch_is_int64_rows_of_the_examples(small_words: list[str]) -> None:
    ex = Dataset(small_words).examples(3)
    rows = torch.tensor([5, 0, 5, 17])
    Xb, Yb = ex.batch("train", rows)
    assert Xb.dtype == Yb.dtype == torch.int64  # ready for C[Xb] and cross_entropy
    assert torch.equal(Xb, ex.X("train")[rows].long())
    assert torch.equal(Yb, ex.Y("train")[rows].long())


def test_build_examples_rejects_block_size_zero() -> None:
    with pytest.raises(ValueError):
        build_examples(["emma"], Vocabulary(tuple(LECTURE_ALPHABET)), 0)


# -- split ------------------------------------------------------------------------------------


def lecture_split(words: list[str], seed: int) -> tuple[list[str], list[str], list[str]]:
    """The lecture's code, on the module-level random (its state is restored afterwards)."""
    state = random.getstate()
    try:
        words = list(words)
        random.seed(seed)
        random.shuffle(words)
        n1 = int(0.8 * len(words))
        n2 = int(0.9 * len(words))
        return words[:n1], words[n1:n2], words[n2:]
    finally:
        random.setstate(state)


@pytest.mark.parametrize("seed", [42, 0, 7, 2**40])
@pytest.mark.parametrize("n", [10, 11, 19, 50])
def test_split_equals_the_lectures_code(small_words: list[str], seed: int, n: int) -> None:
    words = small_words[:n]
    split = split_words(words, seed)
    assert (split.train, split.dev, split.test) == lecture_split(words, seed)
    assert len(split.dev) >= 1 and len(split.test) >= 1


def test_split_does_not_touch_the_global_random_state_or_the_words(
    small_words: list[str],
) -> None:
    original = list(small_words)
    state = random.getstate()
    split_words(small_words)
    assert random.getstate() == state
    assert small_words == original


def test_which_names_each_words_split(small_words: list[str]) -> None:
    split = split_words(small_words)
    where = split.which()
    assert sorted(where) == sorted(small_words)
    for name in ("train", "dev", "test"):
        for w in getattr(split, name):
            assert where[w] == name


def test_which_reports_train_first_for_a_word_in_several_splits() -> None:
    words = ["ann"] * 10 + ten_names()
    where = split_words(words).which()
    assert where["ann"] == "train"


def test_which_is_the_dict_it_replaces_in_a_fraction_of_its_memory() -> None:
    """The word -> split lookup of a split agrees with a plain dict (built test, dev, train
    so that train wins), repeated words and words in several splits included, and takes
    13 bytes a distinct word."""
    rng = random.Random(7)
    words = ["".join(rng.choices("abc", k=rng.randint(1, 6))) for _ in range(3000)]
    split = split_words(words)
    expected: dict[str, str] = {}
    for name in ("test", "dev", "train"):
        for w in getattr(split, name):
            expected[w] = name
    where = split.which()
    assert len(where) == len(expected) < len(words)  # many repeats among 3-letter words
    assert dict(where) == expected
    assert sorted(where) == sorted(expected)  # each distinct word once
    for absent in ("", "d", "abcabca", "zz"):
        assert where.get(absent) is None and absent not in where
    assert where.get(123) is None  # not a word: not found
    assert where.nbytes() == 13 * len(expected)
    assert split.which() is where  # built once


def test_which_tells_apart_words_whose_hashes_are_equal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every word hashed alike (the worst case): the word itself decides."""
    import builtins

    monkeypatch.setattr(builtins, "hash", lambda _: 42)
    lookup = data.SplitLookup(["ann", "bob", "ann"], ["cid"], ["bob", "dan"])
    assert dict(lookup) == {"ann": "train", "bob": "train", "cid": "dev", "dan": "test"}
    assert lookup.get("eve") is None


# -- Dataset ----------------------------------------------------------------------------------


def test_dataset_examples_per_split(small_words: list[str]) -> None:
    ds = Dataset(small_words, name="small")
    assert (len(ds.split.train), len(ds.split.dev), len(ds.split.test)) == (40, 5, 5)
    ex = ds.examples(3)
    assert ex.block_size == 3
    for name in ("train", "dev", "test"):
        X, Y = ex.tensors[name]
        expected_X, expected_Y = build_examples(getattr(ds.split, name), ds.vocab, 3)
        assert torch.equal(X, expected_X) and torch.equal(Y, expected_Y)
        assert ex.X(name) is X and ex.Y(name) is Y
    assert ds.examples(3) is ex  # cached
    assert ds.examples(5).block_size == 5


def test_dataset_from_file(small_dataset_file: Path, small_words: list[str]) -> None:
    ds = Dataset.from_file(small_dataset_file, split_seed=3)
    assert ds.words == small_words
    assert ds.name == "small.txt"
    assert ds.path == small_dataset_file
    assert ds.split == split_words(small_words, 3)


def test_dataset_content_hash_and_with_split_seed(small_words: list[str]) -> None:
    ds = Dataset(small_words)
    assert ds.content_hash() == Dataset(list(small_words)).content_hash()
    assert ds.content_hash() != Dataset(small_words[:-1]).content_hash()
    other = ds.with_split_seed(1)
    assert other.split_seed == 1 and other.vocab == ds.vocab
    assert other.split == split_words(small_words, 1)


def test_dataset_needs_ten_words() -> None:
    with pytest.raises(DatasetError) as exc_info:
        Dataset(ten_names()[:9], name="short.txt")
    assert "short.txt has 9 names" in one_line(exc_info)


def test_dataset_with_a_given_vocab_rejects_unknown_characters(small_words: list[str]) -> None:
    vocab = Vocabulary.from_words(small_words)
    assert Dataset(small_words[:20], vocab=vocab).vocab is vocab
    with pytest.raises(DatasetError) as exc_info:
        Dataset([*small_words, "quinn", "xavier"], name="more.txt", vocab=vocab)
    message = one_line(exc_info)
    assert "more.txt" in message and "'q'" in message and "'x'" in message
    # the boundary token is not a character of a name
    with pytest.raises(DatasetError, match=r"'\.'"):
        Dataset([*small_words, "st.ella"], vocab=vocab)


@pytest.mark.slow
def test_the_lectures_names_give_the_lectures_example_counts(shared_names: Path) -> None:
    ds = Dataset.from_file(shared_names)
    assert len(ds.words) == 32033
    assert "".join(ds.vocab.itos) == LECTURE_ALPHABET
    assert (len(ds.split.train), len(ds.split.dev), len(ds.split.test)) == (25626, 3203, 3204)
    ex = ds.examples(3)
    assert ex.X("train").shape == (182625, 3)
    assert ex.X("dev").shape == (22655, 3)
    assert ex.X("test").shape == (22866, 3)


# -- printing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("emma", "emma"),
        ("zoë иван", "zoë иван"),
        ("a\x1b[31mred", "a\\x1b[31mred"),  # ESC: would colour the terminal
        ("ab\x08\x08xy", "ab\\x08\\x08xy"),  # BS: would overwrite letters
        ("a\x7fb\x85c\x9bd", "a\\x7fb\\x85c\\x9bd"),  # DEL and C1 controls
        ("line\nbreak\ttab\rcr", "line\\nbreak\\ttab\\rcr"),
        ("back\\slash", "back\\\\slash"),  # doubled: an escape is never ambiguous
        ("a\ud800b", "a\\ud800b"),  # a lone surrogate cannot be encoded for printing
        ("a\u2028b\u202ec", "a\\u2028b\\u202ec"),  # line separator, right-to-left override
    ],
)
def test_printable_name_escapes_what_a_terminal_would_act_on(name: str, shown: str) -> None:
    assert printable_name(name) == shown
    assert printable_name(name).encode("utf-8")  # always printable as UTF-8


# -- memory -----------------------------------------------------------------------------------


def test_examples_that_would_not_fit_in_memory_are_refused_before_allocating(
    small_words: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = Dataset(small_words)
    n_examples = sum(len(w) + 1 for w in small_words)
    monkeypatch.setattr(data, "available_memory", lambda: data.examples_bytes(n_examples, 8))
    assert len(ds.examples(3).Y("train")) > 0  # fits in 80% of that
    with pytest.raises(DatasetError) as exc_info:
        ds.examples(32)
    message = one_line(exc_info)
    assert f"{n_examples:,} examples" in message and "block size 32" in message
    assert 32 not in ds._examples


def test_available_memory_reads_the_system() -> None:
    free = data.available_memory()
    assert free is None or free > 0
