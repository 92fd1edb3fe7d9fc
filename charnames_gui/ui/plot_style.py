"""Settings shared by the app's pyqtgraph plots, chosen for the GUI thread's sake."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

LEFT_AXIS_WIDTH = 54  # pixels: room for "-0.25" and the axis title


def configure_pyqtgraph() -> None:
    """The app's pyqtgraph defaults (the app and the benchmarks call this once).

    Antialiasing stays off by default: on the GUI thread it costs ~40% more per frame, and
    the grid and the faint per-step curve do not need it; the few items that do (the smooth
    loss curve, the embedding's circles) turn it on for themselves."""
    pg.setConfigOptions(antialias=False, foreground="k", background="w")


def cache_axes(plot_item: pg.PlotItem) -> None:
    """Keep each axis (with its grid lines, which cover the whole plot) as a cached pixmap.

    The grid is drawn by the axes, so every repaint of the curves used to replay the axes'
    drawing, text included: ~7 ms of a 12 ms frame, holding the GIL that the training worker
    needs. Cached, the axes are repainted only when their range or size changes.
    """
    for name in ("left", "bottom", "right", "top"):
        axis = plot_item.getAxis(name)
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    # A fixed width for the left axis: otherwise new tick labels ("0.4" -> "0.35") change its
    # width, and the whole plot is laid out again and repainted from scratch (~60 ms).
    plot_item.getAxis("left").setWidth(LEFT_AXIS_WIDTH)


def cache_legend(legend: pg.LegendItem) -> None:
    """Keep the legend and each of its entries (sample line, text) as cached pixmaps.

    Caching is per item, and an entry's text is a child item of its own: uncached, every
    frame that changes a curve under the legend re-lays out all its text (~5 ms a frame).
    Call again after entries are added. Past six entries the legend gets two columns, so
    it does not run off the bottom of a small plot."""
    columns = 2 if len(legend.items) > 6 else 1
    if legend.columnCount != columns:
        legend.setColumnCount(columns)
    legend.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    for sample, label in legend.items:
        sample.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        label.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
