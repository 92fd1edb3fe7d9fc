"""Where a hover readout can go without covering the curves it reads: the free place nearest
the pointer, found on a grid of small cells (numpy only, pixel coordinates).

The curves are turned into points along every segment (dense enough that no segment passes
between two cells unseen); a cell holding a point is taken; a summed-area table then tells
for every placement of the readout's rectangle (plus a margin) whether it holds a taken
cell, all at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CELL = 4.0  # px: the grid's cell


@dataclass(frozen=True)
class Area:
    left: float
    top: float
    width: float
    height: float


def points_along(
    x: np.ndarray, y: np.ndarray, spacing: float = CELL / 2
) -> tuple[np.ndarray, np.ndarray]:
    """Points along the polyline (x, y) (pixels), no two consecutive ones farther apart than
    `spacing`; points that are not finite are left out (the view draws curves up to them)."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = np.asarray(x, dtype=np.float64)[ok], np.asarray(y, dtype=np.float64)[ok]
    if len(x) < 2:
        return x, y
    dx, dy = np.diff(x), np.diff(y)  # (n - 1,) each segment
    counts = np.clip(np.ceil(np.hypot(dx, dy) / spacing), 1, 10_000).astype(np.int64)
    segment = np.repeat(np.arange(len(dx)), counts)  # which segment each point is on
    first = np.cumsum(counts) - counts
    t = (np.arange(counts.sum()) - first[segment]) / counts[segment]  # [0, 1) along it
    return (
        np.append(x[:-1][segment] + t * dx[segment], x[-1]),
        np.append(y[:-1][segment] + t * dy[segment], y[-1]),
    )


def free_spot(
    area: Area,
    size: tuple[float, float],
    px: np.ndarray,
    py: np.ndarray,
    near: tuple[float, float],
    margin: float = 6.0,
) -> tuple[float, float] | None:
    """The top-left corner of a size = (w, h) rectangle inside `area`, at least `margin`
    from every point (px, py) and from the area's edge, whose centre is nearest `near`;
    None when there is no such place."""
    w, h = size
    cols, rows = int(area.width // CELL), int(area.height // CELL)
    wc, hc = math.ceil((w + 2 * margin) / CELL), math.ceil((h + 2 * margin) / CELL)
    if wc > cols or hc > rows or cols <= 0 or rows <= 0:
        return None
    taken = np.zeros((rows, cols), dtype=np.int64)
    ix = np.floor((px - area.left) / CELL)
    iy = np.floor((py - area.top) / CELL)
    inside = (ix >= 0) & (ix < cols) & (iy >= 0) & (iy < rows)
    taken[iy[inside].astype(np.int64), ix[inside].astype(np.int64)] = 1
    table = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    table[1:, 1:] = taken.cumsum(0).cumsum(1)
    # (rows - hc + 1, cols - wc + 1): taken cells under the rectangle placed at each cell
    under = table[hc:, wc:] - table[:-hc, wc:] - table[hc:, :-wc] + table[:-hc, :-wc]
    free = np.argwhere(under == 0)  # (n, 2) row, column
    if not len(free):
        return None
    lefts = area.left + free[:, 1] * CELL + margin
    tops = area.top + free[:, 0] * CELL + margin
    distance = np.hypot(lefts + w / 2 - near[0], tops + h / 2 - near[1])
    best = int(np.argmin(distance))
    return float(lefts[best]), float(tops[best])
