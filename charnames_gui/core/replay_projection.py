"""One fixed picture frame for every replay frame of the embedding C.

PCA of each frame on its own can mirror or turn the picture from one frame to the next (the
sign of a component is arbitrary, and two components swap when their variances cross), so a
character would seem to jump when nothing moved. Here every frame is drawn with the SAME
linear map: the mean and the two principal directions of a reference table (the last
frame's C, oriented by core/projection.py's fixed sign rule), and the same axis limits. A
character that moves in C moves by its projection on screen, and a straight motion in C is a
straight motion in the picture.

With n_embd == 2 the two columns of C are drawn as they are (the lecture's plt.scatter).
Drawn by columns (C[:, x] against C[:, y]), the frame is fixed as well: each column's range
over all frames (column_limits), so the view does not re-fit as a character leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from charnames_gui.core.projection import PCABasis, pca_basis
from charnames_gui.core.snapshots import Frame

MARGIN = 0.08  # of the points' extent, on each side


@dataclass(frozen=True)
class ReplayProjection:
    """The map from a frame's C (vocab_size, n_embd) to (vocab_size, 2) points."""

    basis: PCABasis | None  # None: the two columns of C themselves (n_embd <= 2)
    limits: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max over all frames
    # (low, high) of each column of C over all frames and characters, with the same margin
    columns: tuple[tuple[float, float], ...] = ()

    @classmethod
    def for_frames(cls, frames: list[Frame], reference: int = -1) -> ReplayProjection:
        """The map for these frames, from the reference frame's C (default: the last)."""
        if not frames:
            raise ValueError("a replay needs at least one frame")
        tables = [np.asarray(f.weights["C"], dtype=np.float64) for f in frames]
        basis = None if tables[0].shape[1] <= 2 else pca_basis(tables[reference])
        points = [_project(basis, C) for C in tables]
        every = np.concatenate(points)  # (n_frames * vocab_size, 2)
        low, high = _padded(every.min(axis=0), every.max(axis=0))
        stacked = np.stack(tables)  # (n_frames, vocab_size, n_embd)
        c_low, c_high = _padded(stacked.min(axis=(0, 1)), stacked.max(axis=(0, 1)))
        columns = tuple((float(lo), float(hi)) for lo, hi in zip(c_low, c_high, strict=True))
        limits = (float(low[0]), float(high[0]), float(low[1]), float(high[1]))
        return cls(basis, limits, columns)

    def column_limits(self, x: int, y: int) -> tuple[float, float, float, float] | None:
        """x_min, x_max, y_min, y_max of columns x and y of C over all frames (None: C has
        no such column)."""
        if not (0 <= x < len(self.columns) and 0 <= y < len(self.columns)):
            return None
        (x0, x1), (y0, y1) = self.columns[x], self.columns[y]
        return x0, x1, y0, y1

    def project(self, C: np.ndarray) -> np.ndarray:
        return _project(self.basis, np.asarray(C, dtype=np.float64))

    @property
    def axis_names(self) -> tuple[str, str]:
        if self.basis is None:
            return "C[:, 0]", "C[:, 1]"
        return "PC 1 of the last C", "PC 2 of the last C"


def _padded(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The range widened by MARGIN of its extent on each side (never empty)."""
    pad = np.maximum((high - low) * MARGIN, 1e-6)
    return low - pad, high + pad


def _project(basis: PCABasis | None, C: np.ndarray) -> np.ndarray:
    if basis is not None:
        return basis.project(C)
    points = np.zeros((C.shape[0], 2))
    points[:, : C.shape[1]] = C[:, :2]
    return points
