"""Where a replay picture is drawn: a Pillow image (PNG, GIF and video frames) or an SVG
document (a still for slides that stays sharp at any size). core/replay_render.py draws each
view once, through the few shapes of the Canvas protocol, so both look the same.

Coordinates are pixels of the picture (x right, y down). Text anchors are Pillow's two
letters: horizontal l/m/r (start, middle, end), vertical a/m (top, middle).
"""

from __future__ import annotations

import base64
import functools
import io
import re
from pathlib import Path
from typing import Protocol
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from PIL import Image, ImageDraw, ImageFont

Colour = tuple[int, int, int]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1

FONT_FAMILY = "DejaVu Sans, Verdana, sans-serif"  # SVG: the font the PNGs are drawn with
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)
# XML 1.0 cannot hold these characters at all (not even escaped): dropped from SVG text
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@functools.lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans when installed (it has every character a dataset may hold), else
    Pillow's own font."""
    for path in _FONT_FILES:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


class Canvas(Protocol):
    size: tuple[int, int]

    def rect(
        self, box: Box, fill: Colour | None = None, outline: Colour | None = None, width: int = 1
    ) -> None: ...

    def ellipse(self, box: Box, fill: Colour) -> None: ...

    def line(self, xy: Box, fill: Colour, width: int = 1) -> None: ...

    def text(
        self, xy: tuple[float, float], text: str, fill: Colour, size: int, anchor: str = "la"
    ) -> None: ...

    def mask(self, pixels: np.ndarray, box: Box) -> None:
        """A (rows, columns) bool picture stretched over `box`: white where true, black
        elsewhere, each cell a sharp block."""


class PillowCanvas:
    """Draws on a Pillow RGB image (`image`)."""

    def __init__(self, size: tuple[int, int], background: Colour) -> None:
        self.size = size
        self.image = Image.new("RGB", size, background)
        self._draw = ImageDraw.Draw(self.image)

    def rect(
        self, box: Box, fill: Colour | None = None, outline: Colour | None = None, width: int = 1
    ) -> None:
        self._draw.rectangle(box, fill=fill, outline=outline, width=width)

    def ellipse(self, box: Box, fill: Colour) -> None:
        self._draw.ellipse(box, fill=fill)

    def line(self, xy: Box, fill: Colour, width: int = 1) -> None:
        self._draw.line(xy, fill=fill, width=width)

    def text(
        self, xy: tuple[float, float], text: str, fill: Colour, size: int, anchor: str = "la"
    ) -> None:
        self._draw.text(xy, text, fill=fill, font=font(size), anchor=anchor)

    def mask(self, pixels: np.ndarray, box: Box) -> None:
        x0, y0, x1, y1 = (round(v) for v in box)
        picture = Image.fromarray(np.where(pixels, 255, 0).astype(np.uint8), mode="L")
        picture = picture.resize((x1 - x0, y1 - y0), Image.Resampling.NEAREST)
        self.image.paste(picture.convert("RGB"), (x0, y0))


def _rgb(colour: Colour) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


_TEXT_ANCHOR = {"l": "start", "m": "middle", "r": "end"}


def _baseline(y: float, size: int, vertical: str) -> float:
    """The baseline of text placed as Pillow places it (top: its ascender at y; middle:
    halfway between ascender and descender at y), from the font's own metrics, so every SVG
    viewer puts it where the PNG has it (dominant-baseline is not understood everywhere)."""
    shape = font(size)
    if isinstance(shape, ImageFont.FreeTypeFont):
        ascent, descent = shape.getmetrics()  # pixels above and below the baseline
    else:  # Pillow's bitmap font (no DejaVu installed): its usual proportions
        ascent, descent = round(0.8 * size), round(0.2 * size)
    return y + ascent if vertical == "a" else y + (ascent - descent) / 2


class SvgCanvas:
    """Collects the shapes as SVG elements; `document()` is the whole file. Text is escaped
    (a dataset's characters are data, never markup)."""

    def __init__(self, size: tuple[int, int], background: Colour) -> None:
        self.size = size
        w, h = size
        self._parts = [f'<rect x="0" y="0" width="{w}" height="{h}" fill="{_rgb(background)}"/>']

    def rect(
        self, box: Box, fill: Colour | None = None, outline: Colour | None = None, width: int = 1
    ) -> None:
        x0, y0, x1, y1 = box
        paint = f'fill="{_rgb(fill)}"' if fill is not None else 'fill="none"'
        if outline is not None:
            paint += f' stroke="{_rgb(outline)}" stroke-width="{width}"'
        else:
            paint += ' stroke="none"'
        self._parts.append(
            f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(x1 - x0)}" '
            f'height="{_num(y1 - y0)}" {paint}/>'
        )

    def ellipse(self, box: Box, fill: Colour) -> None:
        x0, y0, x1, y1 = box
        self._parts.append(
            f'<ellipse cx="{_num((x0 + x1) / 2)}" cy="{_num((y0 + y1) / 2)}" '
            f'rx="{_num((x1 - x0) / 2)}" ry="{_num((y1 - y0) / 2)}" fill="{_rgb(fill)}" '
            'stroke="none"/>'
        )

    def line(self, xy: Box, fill: Colour, width: int = 1) -> None:
        x0, y0, x1, y1 = xy
        self._parts.append(
            f'<line x1="{_num(x0)}" y1="{_num(y0)}" x2="{_num(x1)}" y2="{_num(y1)}" '
            f'stroke="{_rgb(fill)}" stroke-width="{width}"/>'
        )

    def text(
        self, xy: tuple[float, float], text: str, fill: Colour, size: int, anchor: str = "la"
    ) -> None:
        x, y = xy
        shown = escape(_NOT_XML.sub("", text))
        baseline = _baseline(y, size, anchor[1])
        self._parts.append(
            f'<text x="{_num(x)}" y="{_num(baseline)}" font-size="{size}" fill="{_rgb(fill)}" '
            f'stroke="none" text-anchor="{_TEXT_ANCHOR[anchor[0]]}" '
            f'xml:space="preserve">{shown}</text>'
        )

    def mask(self, pixels: np.ndarray, box: Box) -> None:
        # a picture by nature: embedded as a 1-bit PNG already at the box's size (each cell
        # a sharp block, as in the PNG still: viewers would smooth a small one when scaling)
        x0, y0, x1, y1 = (round(v) for v in box)
        picture = Image.fromarray(np.where(pixels, 255, 0).astype(np.uint8), mode="L")
        picture = picture.resize((x1 - x0, y1 - y0), Image.Resampling.NEAREST).convert("1")
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG", optimize=True)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        self._parts.append(
            f'<image x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" '
            f'preserveAspectRatio="none" href="data:image/png;base64,{data}"/>'
        )

    def document(self, title: str = "") -> str:
        w, h = self.size
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" font-family={quoteattr(FONT_FAMILY)}>\n'
        )
        titled = f"<title>{escape(_NOT_XML.sub('', title))}</title>\n" if title else ""
        return head + titled + "\n".join(self._parts) + "\n</svg>\n"
