"""K seeds trained together, drawn on the loss plot as a band: each seed's loss
averaged per bucket of steps (the plot's dark curve, one per seed), then, at each bucket,
the lowest and highest seed (the band) and their mean (a dashed line). The band is how far
one configuration's curve moves when only the seed changes; hovering names every seed.

The LossPlot owns one SeedBand and feeds it the `band` of each LossChunk (core/events.py):
(n, K) losses, every seed's, NaN after a seed diverged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from charnames_gui.core.loss_buffer import BucketMeans

BAND_COLOUR = QColor(230, 120, 20)
BAND_FILL = QColor(230, 120, 20, 60)


class SeedBand:
    """Bucket means of K seeds, and the plot items that draw their min-max band and mean."""

    def __init__(self, item: pg.PlotItem) -> None:
        self._buckets: list[BucketMeans] = []
        self._bucket_size = 1
        self.seeds: list[int] = []  # labels for the hover text (empty: "seed 1", ...)
        self._drawn = -1
        pen = pg.mkPen(BAND_COLOUR, width=1)
        self.low = pg.PlotDataItem(pen=pen)
        self.high = pg.PlotDataItem(pen=pen)
        self.fill = pg.FillBetweenItem(self.low, self.high, brush=pg.mkBrush(BAND_FILL))
        self.mean = pg.PlotDataItem(pen=pg.mkPen(BAND_COLOUR, width=2, style=Qt.PenStyle.DashLine))
        for part in (self.fill, self.low, self.high, self.mean):
            part.setZValue(5)  # over the faint minibatch losses, under the dev points
            item.addItem(part)
        self.set_visible(False)

    @property
    def k(self) -> int:
        return len(self._buckets)

    def set_visible(self, on: bool) -> None:
        for part in (self.fill, self.low, self.high, self.mean):
            part.setVisible(on)

    def reset(self, bucket_size: int) -> None:
        """No seeds (a new model); the next band starts the buckets anew."""
        self._buckets = []
        self._bucket_size = max(1, bucket_size)
        self.seeds = []
        self._drawn = -1
        self.set_visible(False)

    def extend(self, first_step: int, band: np.ndarray) -> None:
        """Every seed's loss at steps first_step, first_step + 1, ...: (n, K)."""
        if band.ndim != 2:
            return
        if band.shape[1] != self.k:
            self._buckets = [BucketMeans(self._bucket_size) for _ in range(band.shape[1])]
            self._drawn = -1
        for k, buckets in enumerate(self._buckets):
            buckets.extend(first_step, band[:, k])

    def truncate(self, first_step: int) -> None:
        for buckets in self._buckets:
            buckets.truncate(first_step)
        self._drawn = -1

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """(bucket centres (n,), each seed's bucket means (n, K)), NaN where a seed has
        none (it diverged before)."""
        if not self._buckets:
            return np.empty(0), np.empty((0, 0))
        parts = [b.data() for b in self._buckets]
        centres = max(parts, key=lambda p: len(p[0]))[0]
        means = np.full((len(centres), self.k), np.nan)
        for k, (_, m) in enumerate(parts):
            means[: len(m), k] = m
        return centres, means

    def redraw(self, y: Callable[[np.ndarray], np.ndarray], force: bool = False) -> None:
        """Draw the buckets that arrived (y: the plot's scale, log10 or not)."""
        centres, means = self.data()
        if len(centres) == self._drawn and not force:
            return
        self._drawn = len(centres)
        shown = len(centres) > 0 and self.k > 1
        self.set_visible(shown)
        if not shown:
            return
        with np.errstate(all="ignore"):  # a bucket where every seed diverged: NaN
            low, high = np.nanmin(means, axis=1), np.nanmax(means, axis=1)
            mean = np.nanmean(means, axis=1)
        ok = np.isfinite(low)
        self.low.setData(centres[ok], y(low[ok]))
        self.high.setData(centres[ok], y(high[ok]))
        self.mean.setData(centres[ok], y(mean[ok]))

    def describe(self, step: float) -> list[str]:
        """The hover text at this step: the band, then every seed's bucket mean."""
        centres, means = self.data()
        if len(centres) == 0 or self.k < 2:
            return []
        j = int(np.clip(np.searchsorted(centres, step), 0, len(centres) - 1))
        row = means[j]
        finite = row[np.isfinite(row)]
        if not len(finite):
            return []
        lines = [
            f"{self.k} seeds near step {centres[j]:,.0f}: mean {finite.mean():.3f}, "
            f"{finite.min():.3f} to {finite.max():.3f}"
        ]
        names = self.seeds if len(self.seeds) == self.k else [str(i + 1) for i in range(self.k)]
        cells = [
            f"seed {name}: {value:.3f}" if np.isfinite(value) else f"seed {name}: diverged"
            for name, value in zip(names, row, strict=True)
        ]
        # two seeds a line: the readout stays small enough not to hide the curves' end
        lines += ["  " + "   ".join(cells[i : i + 2]) for i in range(0, len(cells), 2)]
        return lines
