#!/usr/bin/env bash
# Set up (first time only) and start charnames-gui with the bundled dataset.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/charnames-gui "$@"
