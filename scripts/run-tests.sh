#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite, Qt on the offscreen platform.
# Extra arguments go to pytest, e.g. scripts/run-tests.sh -m "not slow" -x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports            # layer contracts: [tool.importlinter] in pyproject.toml
.venv/bin/mypy charnames_gui      # types: [tool.mypy] in pyproject.toml
QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest "$@"
