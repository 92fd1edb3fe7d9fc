"""The package as a whole: the controller side imports no widget, and importing the package
changes nothing. (lint-imports checks the layers: scripts/run-tests.sh runs it.)"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


CONTROLLER_SIDE_CONTRACT = "The controller side imports no widget"
CLI_CONTRACT = "The CLI: cli.py above its subcommand modules above what they share"
NO_QT_CONTRACT = (
    "The core, the CLI and the bundled files import no Qt (they run in notebooks and CI)"
)


def contract(name: str) -> dict[str, object]:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (found,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == name]
    return found


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports (at any depth of its code)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
    return names


def test_the_controller_side_imports_no_qt_widget() -> None:
    """lint-imports sees PySide6 only as a whole; this looks at its modules: the controller
    side (the modules of that contract in pyproject.toml) uses QtCore, never QtWidgets or
    QtGui."""
    source_modules = contract(CONTROLLER_SIDE_CONTRACT)["source_modules"]
    assert isinstance(source_modules, list) and source_modules
    for module in source_modules:
        path = REPO_ROOT / (module.replace(".", "/") + ".py")
        imported = imported_modules(path)
        assert imported, path
        widgets = {m for m in imported if m.startswith(("PySide6.QtWidgets", "PySide6.QtGui"))}
        assert widgets == set(), f"{module} imports {sorted(widgets)}"


def test_every_cli_module_has_its_place_in_the_cli_contracts() -> None:
    """lint-imports keeps cli.py's subcommand modules from importing it back, and the CLI free
    of Qt, only for the modules its contracts name: a new cli_NAME.py must be named there."""
    cli_modules = {f"charnames_gui.{p.stem}" for p in (REPO_ROOT / "charnames_gui").glob("cli*.py")}
    layers = contract(CLI_CONTRACT)["layers"]
    assert isinstance(layers, list)
    in_layers = {m.strip() for layer in layers for m in layer.split(":")}
    assert cli_modules == in_layers
    no_qt = contract(NO_QT_CONTRACT)["source_modules"]
    assert isinstance(no_qt, list)
    assert cli_modules <= set(no_qt)


# Runs in a fresh interpreter: this test process has imported everything already.
ENVIRON_PROBE = """
import json, os, sys
before = dict(os.environ)
import charnames_gui, charnames_gui.bundled, charnames_gui.cli
after = dict(os.environ)
changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
print(json.dumps({"changed": changed, "file": charnames_gui.__file__}))
"""


def test_importing_the_package_changes_no_environment_variable() -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    result = subprocess.run(
        [sys.executable, "-c", ENVIRON_PROBE],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(report["file"]).resolve().is_relative_to(REPO_ROOT)
    assert report["changed"] == []
