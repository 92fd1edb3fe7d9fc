"""The README's preset table, regenerated from the code: each preset trained by the CLI.

    python scripts/preset_table.py [--data ../shared/data/names.txt] [--preset NAME ...]
                                   [--update-readme]

Runs `charnames train DATA --preset NAME --json` for each preset (one at a time, one
thread each: the Final run presets take minutes), prints the markdown table, and with
--update-readme writes it over the table in README.md. Figures are rounded as the CLI
rounds them (4 decimals); the same code and data give the same figures on every run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # a source checkout

from charnames_gui.core.presets import PRESETS  # noqa: E402

HEADER = "| preset | parameters | steps | train | dev |"
RULE = "|---|---|---|---|---|"


def train_preset(data: Path, name: str) -> dict[str, object]:
    """The CLI's --json result of one preset (its own process, as a learner would run it)."""
    result = subprocess.run(
        [sys.executable, "-m", "charnames_gui.cli", "train", str(data), "--preset", name, "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"preset {name!r} failed: {result.stderr.strip()}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def table_row(name: str, result: dict[str, object]) -> str:
    return (
        f"| {name} | {result['parameters']:,} | {result['steps']:,} | "
        f"{result['train_loss']:.4f} | {result['dev_loss']:.4f} |"
    )


def replace_table(readme: str, rows: dict[str, str]) -> str:
    """README text with the rows of the presets given replaced (others kept as they are)."""
    lines = readme.split("\n")
    start = lines.index(HEADER)
    end = start + 2
    while end < len(lines) and lines[end].startswith("| "):
        end += 1
    old = {line.split(" | ")[0][2:]: line for line in lines[start + 2 : end]}
    names = [p.name for p in PRESETS]
    body = [rows.get(n) or old[n] for n in names if n in rows or n in old]
    return "\n".join([*lines[: start + 2], *body, *lines[end:]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "names.txt")
    parser.add_argument(
        "--preset", action="append", help="only this preset (repeatable); default: all"
    )
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)
    names = args.preset or [p.name for p in PRESETS]
    unknown = sorted(set(names) - {p.name for p in PRESETS})
    if unknown:
        parser.error(f"unknown preset(s): {', '.join(unknown)}")
    if not args.data.is_file():
        parser.error(f"no dataset at {args.data}")
    rows: dict[str, str] = {}
    for name in names:
        rows[name] = table_row(name, train_preset(args.data, name))
        print(rows[name], file=sys.stderr, flush=True)  # progress: the slow ones take minutes
    print("\n".join([HEADER, RULE, *rows.values()]))
    if args.update_readme:
        readme = REPO / "README.md"
        readme.write_text(replace_table(readme.read_text(encoding="utf-8"), rows), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
