#!/usr/bin/env bash
# Install the Charnames desktop entry and icons for the current user (freedesktop menus:
# GNOME, KDE, Xfce, ...). Nothing is installed system-wide and no root is needed.
#
#   scripts/install_desktop_entry.sh [PATH/TO/charnames-gui]   # install
#   scripts/install_desktop_entry.sh --uninstall                  # remove what it installed
#
# The launcher defaults to .venv/bin/charnames-gui in the repository root (the venv made by
# `python -m venv .venv && .venv/bin/pip install -e .`). Exec= in the installed entry is
# rewritten to that absolute path, so the menu entry works without the venv on PATH.
#
# Installs, under ${XDG_DATA_HOME:-~/.local/share}:
#   applications/charnames-gui.desktop
#   icons/hicolor/256x256/apps/charnames-gui.png
#   icons/hicolor/64x64/apps/charnames-gui.png
#   icons/hicolor/scalable/apps/charnames-gui.svg
# then refreshes the desktop database and icon cache when those tools are present.
set -euo pipefail

APP_ID=charnames-gui
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
resources="$repo/resources"
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
apps_dir="$data_home/applications"
icons_dir="$data_home/icons/hicolor"

desktop_dst="$apps_dir/$APP_ID.desktop"
icon_dsts=(
  "$icons_dir/256x256/apps/$APP_ID.png"
  "$icons_dir/64x64/apps/$APP_ID.png"
  "$icons_dir/scalable/apps/$APP_ID.svg"
)
icon_srcs=(
  "$resources/icon.png"
  "$resources/icon-64.png"
  "$resources/icon.svg"
)

usage() {
  sed -n '2,17s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

refresh_caches() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$apps_dir" || echo "warning: update-desktop-database failed" >&2
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$icons_dir/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$icons_dir" || true
  fi
}

# Quote a path for an Exec= line (Desktop Entry spec, "The Exec key"): plain paths are left
# alone; otherwise the path is double-quoted with " ` $ \ backslash-escaped, then every
# backslash is doubled for the string-value escaping, and % is written as %%.
exec_quote() {
  local s=$1
  if [[ $s =~ ^[A-Za-z0-9_./+:@,-]+$ ]]; then
    printf '%s' "$s"
    return
  fi
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//\`/\\\`}
  s=${s//\$/\\\$}
  s=${s//\\/\\\\}
  s=${s//%/%%}
  printf '"%s"' "$s"
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  --uninstall)
    rm -f -- "$desktop_dst" "${icon_dsts[@]}"
    refresh_caches
    echo "removed $desktop_dst and the $APP_ID icons from $icons_dir"
    exit 0
    ;;
esac
if [ $# -gt 1 ]; then
  usage >&2
  exit 2
fi

exe=${1:-$repo/.venv/bin/$APP_ID}
if [ ! -f "$exe" ] || [ ! -x "$exe" ]; then
  echo "error: no executable launcher at $exe" >&2
  echo "  create it with: python -m venv .venv && .venv/bin/pip install -e .   (in $repo)" >&2
  echo "  or pass the path of a charnames-gui executable as the argument" >&2
  exit 1
fi
exe="$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")"  # absolute, symlinks kept
if [[ $exe == *%* ]]; then
  echo "warning: the launcher path contains '%'; GLib-based menus may not start it" >&2
fi

for f in "$resources/$APP_ID.desktop" "${icon_srcs[@]}"; do
  [ -f "$f" ] || { echo "error: missing $f" >&2; exit 1; }
done

tmp_dir=$(mktemp -d)
trap 'rm -rf -- "$tmp_dir"' EXIT
tmp="$tmp_dir/$APP_ID.desktop"  # desktop-file-validate wants the .desktop extension
exec_line="Exec=$(exec_quote "$exe") %f"
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    Exec=*) printf '%s\n' "$exec_line" ;;
    *) printf '%s\n' "$line" ;;
  esac
done <"$resources/$APP_ID.desktop" >"$tmp"
if command -v desktop-file-validate >/dev/null 2>&1; then
  # hints (e.g. two main categories) are fine; errors stop the install
  if ! out=$(desktop-file-validate "$tmp" 2>&1); then
    printf '%s\n' "$out" >&2
    echo "error: the rewritten desktop entry does not validate" >&2
    exit 1
  fi
fi
install -D -m 644 -- "$tmp" "$desktop_dst"

for i in "${!icon_srcs[@]}"; do
  install -D -m 644 -- "${icon_srcs[$i]}" "${icon_dsts[$i]}"
done

refresh_caches
echo "installed $desktop_dst"
echo "  $exec_line"
for d in "${icon_dsts[@]}"; do echo "installed $d"; done
