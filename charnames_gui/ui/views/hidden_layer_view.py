"""The hidden layer while it trains (makemore part 3), from the weight snapshots.

Histograms of hpreact and h, the saturation image (examples x units, white where |h| > 0.99)
with the fraction saturated and the dead units, and the update-to-data ratio of every
parameter over the run with the lecture's guide line at -3. The numbers come from
core.hidden_stats on a fixed sample of training examples, computed off the GUI thread by
ui/hidden_analysis.py while this view is visible: the view draws what it receives.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from charnames_gui.core.config import PARAMETER_NAMES
from charnames_gui.core.saturation import SATURATION
from charnames_gui.core.update_ratios import UD_GUIDE, UpdateRatioHistory
from charnames_gui.ui.views.legend_row import LegendEntry, LegendRow
from charnames_gui.ui.views.plot_style import LEFT_AXIS_WIDTH, cache_axes, scale_plot_text
from charnames_gui.ui.views.text_scale import set_text_colour, text_scale

if TYPE_CHECKING:  # torch-backed: imported at the first model
    from charnames_gui.core.hidden_stats import HiddenStats

SHOWN_EXAMPLES = 200  # rows of the saturation image: enough to see the pattern, cheap to paint
GUIDE = (
    "What to look for. <b>The saturation image</b> is white where |h| > 0.99: tanh is flat "
    "there and passes almost no gradient. With the lecture's randn initialisation it is mostly "
    "white and h piles up at -1 and +1; a column white on every row is a dead unit that never "
    "learns. <i>Improved initialisation</i> multiplies W1 by (5/3)/√fan_in, as in part 3: "
    "hpreact starts mostly within ±3, h spreads over (-1, 1) and the image is mostly dark. "
    "<b>Update-to-data</b>: how big a step is next to the parameter, "
    "log10(lr · grad.std() / param.std()); the lecture aims for about -3 (1/1000). Far below, "
    "learning is slow; far above, the steps are too large."
)
SAT_TITLE = f"white: |h| > {SATURATION}"  # (short: a plot's title is one line)
TITLE_COLOUR = "#333333"
PLOT_MIN_WIDTH, PLOT_MIN_HEIGHT = 160, 170
NO_DATA = "No model or no dataset: the hidden layer is shown on training examples."
PARAM_COLORS = {"C": "#4c72b0", "W1": "#dd8452", "b1": "#55a868", "W2": "#c44e52",
                "b2": "#8172b3"}  # fmt: skip


class HiddenLayerView(QWidget):
    """Histograms, the saturation image and update ratios of the latest snapshot."""

    statsShown = Signal(object)  # HiddenStats, after it was drawn
    shown = Signal()  # the view became visible: statistics are wanted again
    unitHovered = Signal(object)  # int: the hidden unit (image column) under the mouse; None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stats: HiddenStats | None = None
        self._ready: HiddenStats | None = None  # analysed, waiting for its frame
        self.paced = False  # True: a frame clock calls show_ready(); False: drawn at once
        self.history = UpdateRatioHistory()
        self._build()

    # -- construction -----------------------------------------------------------------------
    def _plot(self, title: str, left: str, bottom: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(background="w")
        item = plot.getPlotItem()
        cache_axes(item)
        item.setTitle(title, color=TITLE_COLOUR)
        item.setLabel("left", left)
        item.setLabel("bottom", bottom)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        plot.setMinimumSize(PLOT_MIN_WIDTH, PLOT_MIN_HEIGHT)
        return plot

    def _build(self) -> None:
        self._summary = QLabel(NO_DATA)
        self._summary.setWordWrap(True)
        self._summary.setAccessibleName("Hidden layer summary")
        self._hp_plot = self._plot("hpreact", "count", "hpreact = embcat @ W1 + b1")
        self._h_plot = self._plot("h", "count", "h = torch.tanh(hpreact)")
        self._h_plot.getPlotItem().setXRange(-1.05, 1.05, padding=0)
        self._hp_curve = self._hp_plot.plot([0, 1], [0], stepMode="center", fillLevel=0,
                                            brush="#4c72b0", pen=None)  # fmt: skip
        self._h_curve = self._h_plot.plot([0, 1], [0], stepMode="center", fillLevel=0,
                                          brush="#dd8452", pen=None)  # fmt: skip
        self._sat_plot = self._plot(SAT_TITLE, "example", "hidden unit")
        self._sat_image = pg.ImageItem(axisOrder="row-major")
        self._sat_image.setAutoDownsample(True)
        self._sat_plot.getPlotItem().addItem(self._sat_image)
        self._sat_plot.getPlotItem().invertY(True)  # example 0 at the top, as plt.imshow
        # the hidden unit pointed at in another view (UnitFocus): a line along its column
        self._unit_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#d62728", width=2))
        self._unit_line.setVisible(False)
        self._sat_plot.getPlotItem().addItem(self._unit_line, ignoreBounds=True)
        self._hovered: int | None = None
        self._sat_plot.scene().sigMouseMoved.connect(self._on_sat_mouse)
        self._sat_plot.installEventFilter(self)  # leaving it: no unit pointed at
        # the full formula is in the guide; a long axis label is cut off in a short plot
        self._ud_plot = self._plot("update-to-data ratio", "log10(update / data)", "step")
        # the legend is a row of text above the plot: it never covers the lines, and zooms
        self._ud_legend = LegendRow()
        self._ud_legend.setAccessibleName("Update-to-data legend")
        self._ud_legend.set_entries(
            [LegendEntry(name, QColor(PARAM_COLORS[name])) for name in PARAMETER_NAMES]
            + [LegendEntry(f"guide: {UD_GUIDE:g}", QColor("#333333"), "dash")]
        )
        self._ud_box = QWidget()
        box_layout = QVBoxLayout(self._ud_box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(0)
        box_layout.addWidget(self._ud_legend)
        box_layout.addWidget(self._ud_plot, 1)
        self._ud_curves = {
            name: self._ud_plot.plot(
                [],
                [],
                name=name,
                pen=pg.mkPen(PARAM_COLORS[name], width=2),
                symbol="o",
                symbolSize=4,
                symbolPen=None,
                symbolBrush=PARAM_COLORS[name],
            )
            for name in PARAMETER_NAMES
        }
        guide = pg.InfiniteLine(pos=UD_GUIDE, angle=0,
                                pen=pg.mkPen("#333333", style=Qt.PenStyle.DashLine))  # fmt: skip
        self._ud_plot.getPlotItem().addItem(guide)
        self._guide = QLabel(GUIDE)
        self._guide.setWordWrap(True)
        set_text_colour(self._guide, "#444444")  # (a style sheet would stop its zoom)
        self._grid = grid = QGridLayout()
        self._columns = 0
        self._arrange(1)
        self._scale_text()
        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(6, 6, 6, 6)
        left = Qt.AlignmentFlag.AlignLeft
        inner.addWidget(self._summary, 0, left)
        inner.addLayout(grid, 1)
        inner.addWidget(self._guide, 0, left)
        self._scroll = scroll = QScrollArea()  # a narrow dock scrolls, not squeezing the plots
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.viewport().installEventFilter(self)  # the texts wrap at its width
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.setAccessibleName("Hidden layer")

    def _arrange(self, columns: int) -> None:
        """The four plots in one column (a narrow dock, scrolling) or two. The saturation
        image comes first: it is what a short dock must show without scrolling."""
        if columns == self._columns:
            return
        self._columns = columns
        for k, cell in enumerate(self._cells()):
            self._grid.removeWidget(cell)
            self._grid.addWidget(cell, *divmod(k, columns))

    def _cells(self) -> tuple[QWidget, ...]:
        """What the grid holds: the plots, the update ratios with their legend above."""
        return (self._sat_plot, self._h_plot, self._hp_plot, self._ud_box)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed
            self._scale_text()
            self._fit_texts()  # (their height for the new font)

    def _scale_text(self) -> None:
        """Titles, axis titles and tick labels in the view's font (it follows the zoom);
        each plot at least as wide as its title (a narrow dock scrolls instead of cutting
        "53.6%" to "53.6°")."""
        font, scale = self.font(), text_scale(self)
        metrics = QFontMetricsF(font)
        for plot in self.plots():
            item = plot.getPlotItem()
            scale_plot_text(item, font, scale)
            item.setTitle(item.titleLabel.text, size=f"{font.pointSizeF():.1f}pt")
            title = f"{SAT_TITLE}: 100.0%" if plot is self._sat_plot else item.titleLabel.text
            texts = (title, item.getAxis("bottom").labelText)
            # the title and the bottom axis title span the data's column, right of the left
            # axis (twice the axis made the dock scroll sideways at 200%, cutting the text)
            widest = (
                max(metrics.horizontalAdvance(t) for t in texts)
                + item.getAxis("left").width()
                + metrics.height()
            )
            tall = 220 if plot is self._sat_plot else PLOT_MIN_HEIGHT
            plot.setMinimumSize(max(PLOT_MIN_WIDTH, round(widest)),
                                max(tall, round(12 * metrics.height())))  # fmt: skip
            item.getAxis("bottom").setHeight(round(metrics.height() * 2.4 + 6))
        self._fit_count_axes()

    def _fit_count_axes(self) -> None:
        """The histograms' left axes as wide as their longest count ("20000" at 200% ran
        into the axis title) plus the title beside them."""
        if self._stats is None:
            return
        metrics = QFontMetricsF(self.font())
        for plot, counts in ((self._hp_plot, self._stats.hpreact_counts),
                             (self._h_plot, self._stats.h_counts)):  # fmt: skip
            axis = plot.getPlotItem().getAxis("left")
            top = float(np.max(counts)) if len(counts) else 0.0
            digits = len(f"{top * 1.1:.0f}")  # the auto range's padding may add a round tick
            needed = (metrics.horizontalAdvance("0" * digits) + axis.style["tickTextOffset"][0]
                      + metrics.height() + 4)  # fmt: skip
            width = max(round(LEFT_AXIS_WIDTH * text_scale(self)), round(needed))
            if axis.width() != width:
                axis.setWidth(width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(2 if event.size().width() >= 720 else 1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self._scroll.viewport():
            self._fit_texts()
        elif event.type() == QEvent.Type.Leave and watched is self._sat_plot:
            self._hover(None)
        return super().eventFilter(watched, event)

    def _on_sat_mouse(self, scene_pos: object) -> None:
        """The saturation image's column under the mouse is a hidden unit: point at it."""
        stats = self._stats
        view_box = self._sat_plot.getPlotItem().vb
        if stats is None or not view_box.sceneBoundingRect().contains(scene_pos):
            self._hover(None)
            return
        point = view_box.mapSceneToView(scene_pos)
        examples, units = stats.saturated[:SHOWN_EXAMPLES].shape  # (examples, n_hidden)
        x, y = point.x(), point.y()
        inside = 0 <= x < units and 0 <= y < examples
        self._hover(int(x) if inside else None)

    def _hover(self, unit: int | None) -> None:
        if unit != self._hovered:
            self._hovered = unit
            self.unitHovered.emit(unit)

    def hover_position(self, unit: int) -> QPoint:
        """Where unit's column of the saturation image is, in the plot's coordinates."""
        view_box = self._sat_plot.getPlotItem().vb
        scene = view_box.mapViewToScene(QPointF(unit + 0.5, 0.5))
        return self._sat_plot.mapFromScene(scene)

    def _fit_texts(self) -> None:
        """The summary and the guide wrap at the visible width: when the plots are wider
        than a narrow dock (large text), the view scrolls sideways for the plots, never for
        a line of text."""
        content = self._scroll.widget()
        layout = content.layout() if content is not None else None
        margins = layout.contentsMargins() if layout is not None else None
        inset = margins.left() + margins.right() if margins is not None else 0
        width = max(self._scroll.viewport().width() - inset, 50)
        for label in (self._summary, self._guide):  # (a fixed size: its height too)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            size = QSize(width, label.heightForWidth(width))
            if label.minimumSize() != size or label.maximumSize() != size:
                label.setFixedSize(size)

    # -- input ------------------------------------------------------------------------------
    def reset(self, has_data: bool) -> None:
        """A new model: nothing drawn yet (has_data False: no model or no dataset to show
        the hidden layer on)."""
        self._stats = None
        self._ready = None
        self.history.clear()
        for curve in self._ud_curves.values():
            curve.setData([], [])
        self._summary.setText("Waiting for the weights…" if has_data else NO_DATA)
        self._fit_texts()
        self._sat_plot.getPlotItem().setTitle(SAT_TITLE)

    def receive(self, stats: HiddenStats) -> None:
        """Statistics of the newest snapshot (ui/hidden_analysis.py): drawn now, or at the
        next frame when paced."""
        if self.paced:
            self._ready = stats  # the window's frame clock draws it (show_ready)
        else:
            self._show(stats)

    def show_failure(self, why: str) -> None:
        self._summary.setText(f"Could not analyse these weights: {html.escape(why)}")
        self._fit_texts()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown.emit()

    # -- read back --------------------------------------------------------------------------
    def set_focused_unit(self, unit: object) -> None:
        """Mark hidden unit `unit` (int) along its column of the saturation image; None: no mark."""
        if isinstance(unit, int):
            self._unit_line.setPos(unit + 0.5)  # (the image's column j spans j..j+1)
        self._unit_line.setVisible(isinstance(unit, int))

    def focused_unit_line(self) -> float | None:
        return float(self._unit_line.value()) if self._unit_line.isVisible() else None

    def plots(self) -> tuple[pg.PlotWidget, ...]:
        """The plots in reading order: saturation image, h, hpreact, update-to-data."""
        return (self._sat_plot, self._h_plot, self._hp_plot, self._ud_plot)

    def plot_titles(self) -> list[str]:
        return [plot.getPlotItem().titleLabel.text for plot in self.plots()]

    def stats(self) -> HiddenStats | None:
        """The statistics drawn now."""
        return self._stats

    def summary_text(self) -> str:
        return self._summary.text()

    def saturation_image(self) -> np.ndarray:
        """The image drawn: (examples, units), 1.0 where |h| > 0.99 (the first
        SHOWN_EXAMPLES examples of the sample)."""
        image = self._sat_image.image
        return np.zeros((0, 0)) if image is None else np.asarray(image)

    def histogram(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        """(edges, counts) drawn for 'hpreact' or 'h'."""
        curve = self._hp_curve if which == "hpreact" else self._h_curve
        x, y = curve.getData()
        return np.asarray(x), np.asarray(y)

    # -- drawing --------------------------------------------------------------------------
    def has_ready(self) -> bool:
        """Analysed statistics wait to be drawn (and the view is visible)."""
        return self._ready is not None and self.isVisible()

    def show_ready(self) -> None:
        """Draw the statistics analysed last (the frame clock calls this, at most 4 Hz)."""
        if self._ready is not None:
            stats, self._ready = self._ready, None
            self._show(stats)

    def _show(self, stats: HiddenStats) -> None:
        self._stats = stats
        self._hp_curve.setData(stats.hpreact_edges, stats.hpreact_counts)
        self._h_curve.setData(stats.h_edges, stats.h_counts)
        self._fit_count_axes()
        # the first SHOWN_EXAMPLES examples (the fraction and dead units count all of them)
        shown = stats.saturated[:SHOWN_EXAMPLES].astype(np.float32)
        self._sat_image.setImage(shown, levels=(0.0, 1.0))
        self._sat_plot.getPlotItem().setTitle(f"{SAT_TITLE}: {stats.saturated_fraction:.1%}")
        self.history.add(stats.step, stats.update_ratios)
        steps = np.asarray(self.history.steps, dtype=np.float64)
        for name, curve in self._ud_curves.items():
            values = np.asarray(self.history.ratios[name], dtype=np.float64)
            keep = np.isfinite(values)
            curve.setData(steps[keep], values[keep])
        ud = self._ud_plot.getPlotItem()
        if len(steps) == 1:  # one point: a range of steps around it, not -400 to 400
            ud.setXRange(steps[0] - 1000, steps[0] + 1000, padding=0)
        else:
            ud.enableAutoRange(axis="x")
        finite = [v for values in self.history.ratios.values() for v in values if math.isfinite(v)]
        low, high = min([*finite, UD_GUIDE]), max([*finite, UD_GUIDE])
        ud.setYRange(low - 0.25, high + 0.25, padding=0)  # the guide line always in sight
        self._summary.setText(summary_html(stats))
        self._fit_texts()
        self.statsShown.emit(stats)


def summary_html(stats: HiddenStats) -> str:
    """Two lines: the step, the saturated share and the dead units in bold, the loss; then
    the update-to-data ratios (a parameter of zeros, as b2 under the scaled init, has none)."""
    examples, units = stats.saturated.shape
    ratio = ", ".join(
        f"{name} {value:.1f}" if math.isfinite(value) else f"{name} –"
        for name, value in stats.update_ratios.items()
    )
    return (
        f"<b>Step {stats.step:,}</b>: <b>{stats.saturated_fraction:.1%}</b> of the "
        f"activations saturated (|h| > {SATURATION}) on {examples:,} training examples, "
        f"<b>{stats.dead_units}</b> dead units of {units:,}; loss on them {stats.loss:.3f}."
        f"<br>log10 update/data: {ratio} (the guide line is at {UD_GUIDE:g})."
    )
