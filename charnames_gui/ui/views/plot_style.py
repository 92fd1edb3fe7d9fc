"""Settings shared by the app's pyqtgraph plots, chosen for the GUI thread's sake."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRectF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QWidget

from charnames_gui.core.atomic import atomic_write
from charnames_gui.core.errors import FileAccessError

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


GRID_ALPHA = 0.25  # the grid's opacity: there to read values by, faint behind the data


def white_plot(name: str, tooltip: str) -> pg.PlotWidget:
    """A plot of the app: white, a faint grid both ways, its axes cached (cache_axes), named
    for screen readers and explained in its tooltip."""
    plot = pg.PlotWidget(background="w")
    plot.setAccessibleName(name)
    plot.setToolTip(tooltip)
    item = plot.getPlotItem()
    cache_axes(item)
    item.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    return plot


def scale_plot_text(plot_item: pg.PlotItem, font: QFont, scale: float) -> None:
    """Axis titles and tick labels in `font` (the widget's font, which follows the zoom),
    with the fixed left axis widened to match."""
    metrics = QFontMetricsF(font)
    for name in ("left", "bottom"):
        axis = plot_item.getAxis(name)
        axis.setStyle(tickFont=font, tickTextOffset=max(2, round(3 * scale)))
        if name == "bottom":  # the first and last labels ("0" at the left end) may reach
            # half a label past the axis' ends; hidden, "0" came and went with the zoom
            axis.setStyle(hideOverlappingLabels=round(metrics.horizontalAdvance("000,000") / 2))
        # the title is HTML with a CSS size (the item's own font is ignored); kept in the
        # style for a title set later
        axis.labelStyle = {**axis.labelStyle, "font-size": f"{font.pointSizeF():.1f}pt"}
        if axis.labelText:
            axis.setLabel(axis.labelText, axis.labelUnits or None, **axis.labelStyle)
    plot_item.getAxis("left").setWidth(round(LEFT_AXIS_WIDTH * scale))
    plot_item.getAxis("bottom").setHeight(round(QFontMetricsF(font).height() * 2.4 + 6))


EXPORT_WIDTH = 1600  # pixels: an exported plot's width


def export_widgets_png(widgets: list[QWidget], path: str | Path, width: int = EXPORT_WIDTH) -> None:
    """Save widgets, stacked top to bottom, as one PNG `width` pixels wide. They are drawn
    as on screen, scaled up: the text keeps its size relative to the plot, so a projector's
    or a paper's reader can read it (an exporter that only enlarges the plot leaves the text
    tiny)."""
    shown = [w for w in widgets if not w.isHidden()]  # (a widget hidden on purpose is left out)
    logical_width = max(w.width() for w in shown)
    height = sum(w.height() for w in shown)
    scale = max(1.0, width / max(logical_width, 1))
    image = QImage(round(logical_width * scale), round(height * scale),
                   QImage.Format.Format_ARGB32)  # fmt: skip
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.scale(scale, scale)
        y = 0
        for widget in shown:
            if isinstance(widget, QGraphicsView):  # the scene, drawn anew at the scale
                target = QRectF(0, y, widget.width(), widget.height())
                widget.render(painter, target, widget.viewport().rect())
            else:
                QWidget.render(widget, painter, QPoint(0, y))
            y += widget.height()
    finally:
        painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise FileAccessError(f"Could not make the image for {Path(path).name}")
    buffer.close()
    atomic_write(path, bytes(data.data()))  # a failed export leaves the old file whole
