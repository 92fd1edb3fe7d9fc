"""The README's figures that code reproduces: scripts/readme_figures.py's quick part (the
step-0 saturation of the hidden layer), and its parsing of the README's tables. The
200,000-step figures are checked by `python scripts/readme_figures.py --full` (minutes)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "readme_figures.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_figures", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_step_0_saturation_figures_are_the_apps(shared_names: Path) -> None:
    script = load_script()
    from charnames_gui.core.data import Dataset

    figures = script.quick_figures(Dataset.from_file(shared_names), script.README.read_text())
    assert len(figures) == 2
    for figure in figures:
        assert figure.ok, figure


def test_every_figure_the_full_check_compares_is_in_the_readme() -> None:
    """The rows and sentence --full reads are still in the README (a reworded README would
    otherwise only fail in a run of minutes)."""
    script = load_script()
    text = script.README.read_text()
    for row in ("Final run (lecture init)", "Improved initialisation"):
        cells = script.readme_row(text, row)
        assert float(script.percent(cells[1])) > 0 and float(script.percent(cells[2])) > 0
    for row in ("autograd (the lecture's loop)", "fast (hand-derived backward pass)"):
        cells = script.readme_row(text, row)
        assert float(cells[1]) > 0 and float(cells[2]) > 0
    assert "runs end 0.0011 apart in dev" in " ".join(text.split())
    with pytest.raises(SystemExit):
        script.readme_row(text, "no such row")
