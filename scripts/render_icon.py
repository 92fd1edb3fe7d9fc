"""Render ``resources/icon.svg`` to the PNG icons the app and the desktop entry use.

Uses PySide6's QtSvg (part of PySide6-Essentials), headless: ``QT_QPA_PLATFORM`` defaults
to ``offscreen``. Each size is rendered from the vector source, not scaled from another
PNG, so small icons stay sharp.

Usage (from the repository root)::

    python scripts/render_icon.py                  # resources/icon.png (256), icon-64.png
    python scripts/render_icon.py --size 256 --size 64 --size 32
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
DEFAULT_SVG = RESOURCES / "icon.svg"
DEFAULT_SIZES = (256, 64)


def png_name(size: int) -> str:
    """icon.png for 256 px (the main icon), icon-<size>.png for the others."""
    return "icon.png" if size == 256 else f"icon-{size}.png"


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--svg", type=Path, default=DEFAULT_SVG, help="default: %(default)s")
    p.add_argument("--out-dir", type=Path, default=RESOURCES, help="default: %(default)s")
    p.add_argument(
        "--size", type=int, action="append", help="pixel size, repeatable (default: 256 and 64)"
    )
    args = p.parse_args(argv)
    sizes: list[int] = args.size or list(DEFAULT_SIZES)

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841  (keeps Qt alive)
    renderer = QSvgRenderer(str(args.svg))
    if not renderer.isValid():
        print(f"error: cannot read {args.svg} as SVG", file=sys.stderr)
        return 1
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        out = args.out_dir / png_name(size)
        if not render(renderer, size).save(str(out), "PNG"):
            print(f"error: cannot write {out}", file=sys.stderr)
            return 1
        print(f"wrote {out} ({size}x{size})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
