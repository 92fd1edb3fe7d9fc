"""core.safe_files: only regular files are opened, and never more than a limit is read."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from charnames_gui.core.errors import CharnamesError, FileAccessError
from charnames_gui.core.safe_files import (
    check_regular_file,
    format_size,
    read_regular_bytes,
    read_regular_text,
)

LIMIT = 1000


def one_line(exc_info: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc_info.value)
    assert message and "\n" not in message, f"not a one-line message: {message!r}"
    return message


def run_with_deadline(fn: object, seconds: float = 10.0) -> BaseException | object:
    """Run fn in a daemon thread; a hang fails the test instead of freezing the suite."""
    result: list[object] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # handed back to the test
            result.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "reading hung"
    return result[0]


def test_reads_a_regular_file_and_resolves_links(tmp_path: Path) -> None:
    target = tmp_path / "names.txt"
    target.write_bytes(b"emma\nolivia\n")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert check_regular_file(link, "dataset", LIMIT) == target.resolve()
    assert read_regular_bytes(link, "dataset", LIMIT) == b"emma\nolivia\n"
    assert read_regular_text(str(target), "dataset", LIMIT) == "emma\nolivia\n"


def test_a_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "full.txt"
    path.write_bytes(b"a" * LIMIT)
    assert len(read_regular_bytes(path, "dataset", LIMIT)) == LIMIT


@pytest.mark.parametrize("reader", [check_regular_file, read_regular_bytes, read_regular_text])
def test_a_fifo_is_refused_without_hanging(tmp_path: Path, reader: object) -> None:
    fifo = tmp_path / "names.txt"
    os.mkfifo(fifo)  # nobody writes: a blocking open would wait forever
    outcome = run_with_deadline(lambda: reader(fifo, "dataset", LIMIT))
    assert isinstance(outcome, FileAccessError)
    assert "named pipe" in str(outcome) and "\n" not in str(outcome)


def test_a_symlink_to_dev_zero_is_refused_without_reading(tmp_path: Path) -> None:
    link = tmp_path / "model.safetensors"
    link.symlink_to("/dev/zero")
    outcome = run_with_deadline(lambda: read_regular_bytes(link, "model file", LIMIT))
    assert isinstance(outcome, FileAccessError)
    assert "is a device, not a file" in str(outcome)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError) as exc_info:
        read_regular_text(tmp_path, "dataset", LIMIT)
    assert "is a folder" in one_line(exc_info)


def test_an_oversize_file_is_refused_naming_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * (LIMIT + 1))
    with pytest.raises(FileAccessError) as exc_info:
        read_regular_bytes(path, "dataset", LIMIT)
    message = one_line(exc_info)
    assert "big.txt" in message and "at most 1,000 bytes" in message


def test_a_file_growing_after_the_stat_is_still_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.txt"
    path.write_bytes(b"a" * 10)
    real_fstat = os.fstat

    def fstat_then_grow(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        path.write_bytes(b"a" * (LIMIT * 5))  # grows between the check and the read
        return st

    monkeypatch.setattr(os, "fstat", fstat_then_grow)
    with pytest.raises(FileAccessError, match="larger than 1,000 bytes"):
        read_regular_bytes(path, "dataset", LIMIT)


def test_a_missing_file_and_a_link_loop_are_clear(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError) as exc_info:
        read_regular_bytes(tmp_path / "nope.txt", "dataset", LIMIT)
    assert "was not found" in one_line(exc_info)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(FileAccessError) as exc_info:
        read_regular_bytes(loop, "dataset", LIMIT)
    one_line(exc_info)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files without permission")
def test_an_unreadable_file_is_clear(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_bytes(b"emma\n")
    path.chmod(0)
    with pytest.raises(FileAccessError) as exc_info:
        read_regular_bytes(path, "dataset", LIMIT)
    assert "Permission denied" in one_line(exc_info)


def test_bad_encoding_is_clear(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("zoë".encode("latin-1"))
    with pytest.raises(FileAccessError) as exc_info:
        read_regular_text(path, "dataset", LIMIT)
    assert "not UTF-8 text" in one_line(exc_info)


def test_errors_are_charnames_errors() -> None:
    assert issubclass(FileAccessError, CharnamesError)


def test_sizes_read_as_a_file_manager_shows_them() -> None:
    assert format_size(1000) == "1,000 bytes"
    assert format_size(3584) == "3.5 KB"
    assert format_size(50 * 2**20) == "50 MB"
    assert format_size(10 * 2**30) == "10 GB"  # a sparse 10 GB "dataset": never "1.02e+04 MB"
    assert format_size(2**62) == "4,294,967,296 GB"
