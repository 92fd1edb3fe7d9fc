"""scripts/preset_table.py: the README's preset table comes from the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from charnames_gui.core.presets import PRESETS

REPO = Path(__file__).resolve().parent.parent


def load_script() -> ModuleType:
    path = REPO / "scripts" / "preset_table.py"
    spec = importlib.util.spec_from_file_location("preset_table", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def readme_rows() -> dict[str, str]:
    script = load_script()
    lines = (REPO / "README.md").read_text(encoding="utf-8").split("\n")
    start = lines.index(script.HEADER)
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("| "):
            break
        rows[line.split(" | ")[0][2:]] = line
    return rows


def test_the_readme_table_lists_every_preset_in_order() -> None:
    assert list(readme_rows()) == [p.name for p in PRESETS]


def test_replace_table_changes_only_the_rows_given() -> None:
    script = load_script()
    text = (
        "intro\n\n"
        + "\n".join(
            [
                script.HEADER,
                script.RULE,
                "| First model | 1 | 2 | 3 | 4 |",
                "| Final run | 5 | 6 | 7 | 8 |",
            ]
        )
        + "\n\nafter\n"
    )
    new = script.replace_table(text, {"Final run": "| Final run | 9 | 9 | 9 | 9 |"})
    assert new == text.replace("| Final run | 5 | 6 | 7 | 8 |", "| Final run | 9 | 9 | 9 | 9 |")


@pytest.mark.slow
def test_the_readme_figures_of_the_fast_preset_are_what_the_code_gives(shared_names: Path) -> None:
    script = load_script()
    name = "Fast to 2.20"  # 900 steps: seconds; the others are checked by running the script
    assert readme_rows()[name] == script.table_row(name, script.train_preset(shared_names, name))
