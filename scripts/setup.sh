#!/usr/bin/env bash
# Sets up ./.venv with everything charnames-gui needs, on a fresh Debian/Ubuntu machine.
#   scripts/setup.sh          the app
#   scripts/setup.sh --test   the app and its test tools
# Qt's system libraries are installed with apt-get when run as root or with password-less
# sudo; otherwise the apt-get command to run is printed. Safe to run again: it only installs
# what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[[ "${1:-}" == "--test" ]] && with_tests=1

# --- Qt's system libraries (PySide6 wheels bring Qt itself, not these) -------------------
qt_debs=(libegl1 libgl1 libfontconfig1 libfreetype6 libxkbcommon0 libdbus-1-3 fonts-dejavu-core
         libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
         libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 libxcb-randr0 libx11-xcb1)
if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for deb in "${qt_debs[@]}"; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$deb")
  done
  if ((${#missing[@]})); then
    if [[ $(id -u) == 0 ]]; then apt=(apt-get)
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then apt=(sudo apt-get)
    else apt=()
    fi
    if ((${#apt[@]})); then
      echo "Installing Qt's system libraries: ${missing[*]}"
      "${apt[@]}" update -qq
      DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
    else
      echo "Qt needs these system packages; please run:" >&2
      echo "  sudo apt-get install ${missing[*]}" >&2
    fi
  fi
fi

# --- Python 3.11+ and the virtual environment ----------------------------------------------
python=${PYTHON:-}
if [[ -z "$python" ]]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python=$candidate; break; fi
  done
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "charnames-gui needs Python 3.11 or newer (found: $("$python" --version 2>&1))." >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "Creating .venv with $("$python" --version)"
  "$python" -m venv .venv
fi

# Reinstall only when the project's requirements changed. One stamp per pyproject.toml
# content and per kind (app, test): the test install includes the app, so switching between
# run-app.sh and run-tests.sh reinstalls nothing.
hash=$(sha256sum pyproject.toml | cut -c1-16)
app_stamp=".venv/.installed-$hash-app"
test_stamp=".venv/.installed-$hash-test"
extras=""; want=$app_stamp
if ((with_tests)); then extras="[test]"; want=$test_stamp; fi
if [[ ! -f "$want" && ! ( $want == "$app_stamp" && -f "$test_stamp" ) ]]; then
  # torch first and pinned: on these machines torch==2.13.0 is a local CPU build, while an
  # open range could pull a multi-GB CUDA build. pip shows its progress (the first install
  # downloads a few hundred MB and takes a minute or more).
  echo "Installing into .venv (first run, or pyproject.toml changed): step 1 of 2, PyTorch 2.13.0 (CPU)"
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar on torch==2.13.0 \
    || true  # checked below
  echo "Step 2 of 2: charnames-gui and its dependencies${extras:+ (with the test tools)}"
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar on -e ".$extras" \
    || true
  .venv/bin/python -c "import charnames_gui, torch" \
    || { echo "The installation into .venv failed (see pip's messages above)." >&2; exit 1; }
  find .venv -maxdepth 1 -name '.installed-*' ! -name ".installed-$hash-*" -delete
  touch "$want"
  ((with_tests)) && touch "$app_stamp"
  echo "Installed."
fi
