"""The core and the CLI run without Qt: importing them never loads PySide6 or pyqtgraph."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")

# Runs in a fresh interpreter: this test process has Qt loaded already (pytest-qt, conftest).
PROBE = """
import json, pkgutil, sys
import charnames_gui.core
names = ["charnames_gui.core", "charnames_gui.cli", "charnames_gui.resources"]
names += [m.name for m in pkgutil.walk_packages(charnames_gui.core.__path__, "charnames_gui.core.")]
for name in names:
    __import__(name)
qt = sorted(m for m in sys.modules if m.split(".")[0] in {qt_modules!r})
print(json.dumps({{"imported": names, "qt": qt}}))
"""


def test_core_and_cli_import_no_qt() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(qt_modules=set(QT_MODULES))],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for expected in (
        "charnames_gui.cli",
        "charnames_gui.core.data",
        "charnames_gui.core.model",
        "charnames_gui.core.training",
        "charnames_gui.core.sampling",
        "charnames_gui.core.checkpoint",
        "charnames_gui.core.errors",
        "charnames_gui.core.engines.autograd",
    ):
        assert expected in report["imported"]
    assert report["qt"] == [], f"Qt imported by the core or the CLI: {report['qt']}"


def test_no_core_source_mentions_qt() -> None:
    """A cheap second guard that names the file: no Qt import anywhere under core/."""
    offenders = []
    for path in sorted((REPO_ROOT / "charnames_gui" / "core").rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")) and any(
                qt in stripped.split()[1] for qt in QT_MODULES
            ):
                offenders.append(f"{path.relative_to(REPO_ROOT)}: {stripped}")
    assert offenders == []
