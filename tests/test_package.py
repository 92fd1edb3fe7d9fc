"""The package as a whole: its layer contracts hold and importing it changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def lint_imports() -> str:
    beside = Path(sys.executable).parent / "lint-imports"
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is missing: pip install -e '.[test]'")
    return found


def test_import_contracts_hold() -> None:
    """[tool.importlinter] in pyproject.toml: no Qt in the core, the CLI and the bundled files;
    the core never imports the ui; views do not import the training worker."""
    result = subprocess.run(
        [lint_imports(), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


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
