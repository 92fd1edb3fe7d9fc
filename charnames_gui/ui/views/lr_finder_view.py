"""The learning-rate finder: the lecture's sweep drawn live, and a learning rate to pick.

    lre = torch.linspace(-3, 0, 1000); lrs = 10**lre   # one step at each, on a fresh model
    plt.plot(lri, lossi)                               # loss against log10(lr)

The worker sends (lr, loss) pairs in batches; they go into a growing NumPy buffer and one
curve is updated in place. When the sweep ends, the suggested point is marked and a movable
vertical line (or the spin box, from the keyboard) picks the learning rate to use.

With K seeds (the Seeds box; core/stacked_sweep.py) each seed sweeps a fresh model of its
own: the plot shows the learner's seed's steps, each seed's moving average as a thin line,
the band from the lowest to the highest of them, and the mean of the seeds' losses (moving
average) in bold; the suggestion is the mean's valley, and the status line says how far the
seeds' own valleys lie apart.

Hovering the plot reads the curves at the step nearest the pointer (core/lr_curve.read_sweep):
the learning rate (10^x and x), each seed's loss and their mean, as plain text in the zoom's
font. The readout goes where it covers none of the curves it reads (ui/views/free_spot.py):
the free place in the plot nearest the pointer, else above or below the plot (over the
explanation or the controls), never over the curves.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDoubleSpinBox,
    QFrame,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.config import MAX_LR
from charnames_gui.core.events import SweepPoints
from charnames_gui.core.lr_curve import (
    SweepReading,
    finite_prefix,
    mean_curve,
    moving_average,
    read_sweep,
    sweep_window,
)
from charnames_gui.ui.views.flow_layout import FlowLayout
from charnames_gui.ui.views.free_spot import Area, free_spot, points_along
from charnames_gui.ui.views.legend_row import LegendEntry, LegendRow
from charnames_gui.ui.views.plot_style import scale_plot_text, white_plot
from charnames_gui.ui.views.text_scale import text_scale

RAW_COLOUR = QColor(70, 110, 180, 110)
SMOOTH_COLOUR = QColor(30, 70, 160)
SUGGESTED_COLOUR = QColor(230, 120, 20)
CHOSEN_COLOUR = QColor(200, 40, 40)
SEED_COLOUR = QColor(110, 110, 110, 120)  # each seed's moving average, thin
BAND_COLOUR = QColor(30, 70, 160, 45)  # lowest to highest seed
DEFAULT_SEEDS = 4
MAX_SWEEP_SEEDS = 16
MIN_LR = 0.00001  # the smallest the spin box can show with 5 decimals
READOUT_MARGIN = 6  # px between the hover readout and the curves or the plot's edge

EXPLANATION = (
    "The sweep trains a fresh copy of the model for one step at each learning rate, from "
    "10<sup>-3</sup> (left) to 10<sup>0</sup> = 1 (right), and plots each step's loss. "
    "Too small a rate barely moves the loss; too large a one makes it jump and blow up. "
    "The lecture read the plot by looking for the valley: the lowest loss just before it "
    "becomes unstable, around log10(lr) = -1, so lr = 0.1."
)


def round_lr(lr: float) -> float:
    """Two significant digits (0.0912 -> 0.091): the sweep cannot tell finer than that."""
    if lr <= 0 or not math.isfinite(lr):
        return lr
    return float(f"{lr:.2g}")


class _LrSpinBox(QDoubleSpinBox):
    """Shows 0.15 rather than 0.15000, and a dash while there is nothing to choose."""

    def textFromValue(self, value: float) -> str:
        return f"{value:.5f}".rstrip("0").rstrip(".")


SWEEP_STEPS = 1000  # the lecture's torch.linspace(-3, 0, 1000)


class LrFinderView(QWidget):
    lrChosen = Signal(float)  # "Use this learning rate"
    sweepRequested = Signal(int)  # "Run the sweep" with this many steps

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Learning-rate finder")
        self._x = np.empty(0, dtype=np.float64)  # log10(lr) of each point
        self._y = np.empty(0, dtype=np.float64)  # loss of each point
        self._n = 0
        self._expected = 0
        self._suggested: float | None = None
        self._finished = False
        self._band_x = np.empty(0, dtype=np.float64)  # log10(lr) of each step of K seeds
        self._band = np.empty((0, 0), dtype=np.float64)  # (steps, K) every seed's loss
        self._m = 0  # steps in the band so far
        self._smoothed = np.empty((0, 0), dtype=np.float64)  # (m, K) each seed's drawn curve
        self._hover_x: float | None = None  # log10(lr) under the pointer
        self.reading: SweepReading | None = None  # what the hover readout shows

        self.explanation = QLabel(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.RichText)
        self.explanation.setAccessibleName("What the learning-rate sweep is")

        self.plot_widget = white_plot(
            "Loss against learning rate",
            "Each point is one training step at a learning rate 10^x. Click the plot or drag "
            "the red line to choose a learning rate; scroll to zoom.",
        )
        item = self.plot_widget.getPlotItem()
        item.setLabel("bottom", "log10(learning rate)")
        item.setLabel("left", "loss")
        scale_plot_text(item, self.font(), text_scale(self))  # (again at each zoom)
        item.setMenuEnabled(False)
        self.legend = LegendRow()  # above the plot: never over the curve
        self.band_low = pg.PlotDataItem(pen=pg.mkPen(None))
        self.band_high = pg.PlotDataItem(pen=pg.mkPen(None))
        self.band_fill = pg.FillBetweenItem(
            self.band_low, self.band_high, brush=pg.mkBrush(BAND_COLOUR)
        )
        item.addItem(self.band_fill)
        self.seed_curves: list[pg.PlotDataItem] = []  # one per seed, made as they come
        self.raw_curve = item.plot(pen=pg.mkPen(RAW_COLOUR, width=1))
        self.smooth_curve = item.plot(pen=pg.mkPen(SMOOTH_COLOUR, width=2))
        self.suggested_marker = pg.ScatterPlotItem(
            size=12, pen=pg.mkPen("k", width=1), brush=pg.mkBrush(SUGGESTED_COLOUR)
        )
        item.addItem(self.suggested_marker)
        self.line = pg.InfiniteLine(
            angle=90, movable=True, pen=pg.mkPen(CHOSEN_COLOUR, width=2), label=None
        )
        self.line.setHoverPen(pg.mkPen(CHOSEN_COLOUR, width=4))
        self.line.setVisible(False)
        self.line.setZValue(10)
        item.addItem(self.line)
        self.line.sigPositionChanged.connect(self._line_moved)
        self.plot_widget.scene().sigMouseClicked.connect(self._plot_clicked)
        # the readout floats over the view (not in its layout): in the plot where it covers
        # no curve, else over the text above or below the plot; the pointer passes through
        self.readout = QLabel(self)
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setAccessibleName("Reading of the curves under the pointer")
        self.readout.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.readout.setAutoFillBackground(True)
        self.readout.setFrameShape(QFrame.Shape.Box)
        self.readout.setMargin(3)
        palette = self.readout.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(255, 255, 225))
        palette.setColor(QPalette.ColorRole.WindowText, QColor(20, 20, 20))
        self.readout.setPalette(palette)
        self.readout.hide()
        self._mouse_proxy = pg.SignalProxy(
            self.plot_widget.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved
        )
        item.getViewBox().sigRangeChanged.connect(self._refresh_readout)  # zoom, pan
        self.plot_widget.viewport().installEventFilter(self)  # hide the readout on Leave

        self.status = QLabel()
        self.status.setAccessibleName("Sweep status")
        self.status.setWordWrap(True)

        self.lr_box = _LrSpinBox()
        self.lr_box.setDecimals(5)
        self.lr_box.setSpecialValueText("–")  # shown at the minimum: before a sweep ends
        self.lr_box.setRange(MIN_LR, MAX_LR)
        self.lr_box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.lr_box.setKeyboardTracking(False)
        self.lr_box.setAccessibleName("Chosen learning rate")
        self.lr_box.setToolTip(
            "The learning rate to use: pick it on the plot (in the valley, before the loss "
            "blows up) or type it here."
        )
        self.lr_box.valueChanged.connect(self._box_changed)
        lr_label = QLabel("Chosen &learning rate:")
        lr_label.setBuddy(self.lr_box)
        self.use_button = QPushButton("Use this learning rate")
        self.use_button.setAccessibleName("Use this learning rate")
        self.use_button.setToolTip("Put the chosen learning rate into the training settings.")
        self.use_button.clicked.connect(self._use_clicked)

        self.run_button = QPushButton("Run the sweep")
        self.run_button.setAccessibleName("Run the learning-rate sweep")
        self.run_button.setToolTip(
            "Train a copy of the current model for 1,000 steps, each with a larger learning "
            "rate from 0.001 to 1, and plot the loss of each step. The model itself is not "
            "changed."
        )
        self.run_button.clicked.connect(lambda: self.sweepRequested.emit(SWEEP_STEPS))
        self.seeds = QSpinBox()
        self.seeds.setRange(1, MAX_SWEEP_SEEDS)
        self.seeds.setValue(DEFAULT_SEEDS)
        self.seeds.setAccessibleName("Seeds of the sweep")
        self.seeds.setToolTip(
            "How many seeds sweep, each a fresh model with its own initial weights and "
            "minibatches, all together: the band shows how much the curve and its valley "
            "move with the seed. 1 is the lecture's single sweep."
        )
        seeds_label = QLabel("S&eeds:")
        seeds_label.setBuddy(self.seeds)

        # the buttons wrap onto more lines in a narrow dock (large text on a small screen)
        # instead of making the view scroll sideways with its text cut
        controls = FlowLayout()
        for widget in (self.run_button, seeds_label, self.seeds, lr_label, self.lr_box,
                       self.use_button):  # fmt: skip
            controls.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.explanation)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.status)
        layout.addLayout(controls)
        self.setTabOrder(self.run_button, self.seeds)
        self.setTabOrder(self.seeds, self.lr_box)
        self.setTabOrder(self.lr_box, self.use_button)
        self.clear()

    def _show_legend(self, suggested: bool) -> None:
        k = self._band.shape[1] if self._m else 0
        if k > 1:
            entries = [
                LegendEntry("your seed, each step", QColor(RAW_COLOUR).darker(150), "line"),
                LegendEntry(f"mean of {k} seeds (moving average)", QColor(SMOOTH_COLOUR), "line"),
                LegendEntry("each seed (moving average)", QColor(SEED_COLOUR).darker(150), "line"),
                LegendEntry("lowest to highest seed", QColor(150, 170, 215), "line"),
            ]
        else:
            entries = [
                LegendEntry("loss of each step", QColor(RAW_COLOUR).darker(150), "line"),
                LegendEntry("moving average", QColor(SMOOTH_COLOUR), "line"),
            ]
        if suggested:
            entries.append(LegendEntry("suggested", QColor(SUGGESTED_COLOUR), "dot"))
        self.legend.set_entries(entries)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed
            scale_plot_text(self.plot_widget.getPlotItem(), self.font(), text_scale(self))
            self.plot_widget.setMinimumHeight(5 * self.fontMetrics().height())
            self._refresh_readout()  # the readout's font follows (it is a child)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self.hide_readout()
        return super().eventFilter(watched, event)

    # -- public API ------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the sweep: an empty plot, nothing to choose."""
        self._n = 0
        self._expected = 0
        self._suggested = None
        self._finished = False
        self._m = 0
        self._band = np.empty((0, 0), dtype=np.float64)
        self._smoothed = np.empty((0, 0), dtype=np.float64)
        self.hide_readout()
        self.raw_curve.setData([], [])
        self.smooth_curve.setData([], [])
        self.band_low.setData([], [])
        self.band_high.setData([], [])
        for curve in self.seed_curves:
            curve.setData([], [])
        self.suggested_marker.setData([], [])
        self._show_legend(suggested=False)
        self.line.setVisible(False)
        with QSignalBlocker(self.lr_box):  # the app clears it: no choice to follow
            self.lr_box.setValue(self.lr_box.minimum())  # shows the dash
        self.lr_box.setEnabled(False)
        self.use_button.setEnabled(False)
        self.status.setText(
            "Run the learning-rate sweep to see how the loss depends on the learning rate."
        )

    def start(self, n_steps: int, low_exponent: float = -3.0, high_exponent: float = 0.0) -> None:
        """A new sweep of n_steps over lr = 10**linspace(low_exponent, high_exponent)."""
        self.clear()
        self._expected = max(0, int(n_steps))
        self._x = np.empty(max(self._expected, 16), dtype=np.float64)
        self._y = np.empty_like(self._x)
        self.plot_widget.setXRange(low_exponent, high_exponent, padding=0.02)
        self.plot_widget.enableAutoRange(axis="y")
        self.status.setText(f"Sweeping: 0 of {self._expected:,} steps…")

    def append(self, batch: SweepPoints) -> None:
        """Add (lr, loss) points of the sweep and redraw (called ~20 times a second)."""
        if batch.band is not None and batch.band_lrs is not None and len(batch.band_lrs):
            self._append_band(batch.band_lrs, batch.band)
        points = [(lr, loss) for lr, loss in batch.pairs if lr > 0 and math.isfinite(loss)]
        if not points:
            if batch.band is not None:
                self._redraw()
            return
        needed = self._n + len(points)
        if needed > len(self._x):  # more points than announced: grow the buffers
            size = max(needed, 2 * len(self._x))
            self._x = np.resize(self._x, size)
            self._y = np.resize(self._y, size)
        new = np.asarray(points, dtype=np.float64)  # (k, 2)
        self._x[self._n : needed] = np.log10(new[:, 0])
        self._y[self._n : needed] = new[:, 1]
        self._n = needed
        self._redraw()
        self.status.setText(f"Sweeping: {self._n:,} of {self._expected:,} steps…")

    def finish(self, suggested_lr: float | None, seed_lrs: tuple[float | None, ...] = ()) -> None:
        """The sweep ended: mark the suggestion (core.training.suggest_lr; with K seeds, of
        their mean curve; seed_lrs: each seed's own) and let the user choose, starting
        from it."""
        self._finished = True
        self._suggested = suggested_lr
        x, y = self.points()
        if len(x) == 0:
            self.status.setText("The sweep produced no finite loss: nothing to choose from.")
            return
        low, high = float(x.min()), float(x.max())
        self.line.setBounds((low, high))
        if suggested_lr is not None and suggested_lr > 0:
            sx = math.log10(suggested_lr)
            cx, cy = self.smooth_curve.getData()  # the curve the suggestion read
            if cx is None or len(cx) == 0:
                cx, cy = x, moving_average(y, self._window())
            nearest = int(np.argmin(np.abs(cx - sx)))
            self.suggested_marker.setData([sx], [cy[nearest]])
            self._show_legend(suggested=True)
            start = sx
        else:
            start = float(x[int(np.argmin(moving_average(y, self._window())))])
        self.line.setVisible(True)
        self.lr_box.setEnabled(True)
        self.use_button.setEnabled(True)
        self._set_chosen_x(start)
        parts = [f"Sweep done: {len(x):,} steps."]
        if len(x) < self._expected:
            parts.append(
                f"It stopped early at lr {10**high:.3g}: beyond it the loss was not finite."
            )
        k = self._band.shape[1] if self._m else 1
        if suggested_lr is not None:
            of = f"of the mean of {k} seeds" if k > 1 else "of the moving average"
            parts.append(
                f"Suggested lr {round_lr(suggested_lr):g} (log10 = {math.log10(suggested_lr):.2f}"
                f"): the lowest point {of}."
            )
        own = [lr for lr in seed_lrs if lr is not None and lr > 0]
        if len(own) > 1:
            parts.append(
                f"Each seed alone suggests {round_lr(min(own)):g} to {round_lr(max(own)):g}: "
                "one sweep's valley moves this much with the seed."
            )
        parts.append("Drag the red line or click the plot to choose another.")
        self.status.setText(" ".join(parts))

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """(log10(lr), loss) of the points so far: copies."""
        return self._x[: self._n].copy(), self._y[: self._n].copy()

    def suggested_lr(self) -> float | None:
        return self._suggested

    def chosen_lr(self) -> float | None:
        """The learning rate that "Use" would emit (the line's, to two significant digits,
        or one typed in the box); None before finish()."""
        if not self._finished or not self.lr_box.isEnabled():
            return None
        return float(self.lr_box.value())

    def set_chosen_lr(self, lr: float) -> None:
        if lr > 0 and self._finished:
            self._set_chosen_x(math.log10(lr))

    # -- hover readout ---------------------------------------------------------------------
    def hover(self, scene_pos: QPointF) -> None:
        """The pointer is at scene_pos: read the curves there, or hide the readout when it
        is outside the plot or there is nothing drawn (what moving the mouse does)."""
        view = self.plot_widget.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(scene_pos):
            self.hide_readout()
            return
        self._hover_x = float(view.mapSceneToView(scene_pos).x())
        self._refresh_readout()

    def hide_readout(self) -> None:
        self._hover_x = None
        self.reading = None
        self.readout.hide()

    def readout_text(self) -> str:
        """The readout's text while it is shown, else ''."""
        return self.readout.text() if self.readout.isVisible() else ""

    def readout_rect(self) -> QRectF:
        """Where the readout is, in this view's coordinates (pixels)."""
        return QRectF(self.readout.geometry())

    def to_view(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Plot coordinates (log10 lr, loss) -> this view's pixels."""
        box = self.plot_widget.getPlotItem().getViewBox()
        t = box.childGroup.sceneTransform() * self.plot_widget.viewportTransform()
        offset = self.plot_widget.viewport().mapTo(self, QPoint(0, 0))
        return (
            t.m11() * x + t.m21() * y + t.m31() + offset.x(),
            t.m12() * x + t.m22() * y + t.m32() + offset.y(),
        )

    def read_curves(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(x, y) of the drawn curves the readout reads: with K seeds each seed's moving
        average and their mean; with one, the steps' losses and their moving average."""
        if self._band_shown():
            curves = [*self.seed_curves[: self._band.shape[1]], self.smooth_curve]
        else:
            curves = [self.raw_curve, self.smooth_curve]
        out = []
        for curve in curves:
            x, y = curve.getData()
            if x is not None and len(x):
                out.append((np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)))
        return out

    # -- internals -------------------------------------------------------------------------
    def _on_mouse_moved(self, event: tuple[QPointF]) -> None:
        self.hover(event[0])

    def _band_shown(self) -> bool:
        return self._m > 0 and self._band.shape[1] > 1

    def _read(self, x: float) -> SweepReading | None:
        mx, my = self.smooth_curve.getData()
        mean_x = np.empty(0) if mx is None else np.asarray(mx, dtype=np.float64)
        mean = np.empty(0) if my is None else np.asarray(my, dtype=np.float64)
        if self._band_shown():
            xs, curves = self._band_x[: self._m], self._smoothed[: self._m]
            return read_sweep(x, xs, curves, mean_x, mean)
        xs, ys = self._x[: self._n], self._y[: self._n]
        return read_sweep(x, xs, ys[:, None], mean_x, mean)

    def _refresh_readout(self, *args: object) -> None:
        """Read the curves under the pointer again (new points, a zoom or a pan) and put
        the readout where it covers none of them."""
        if self._hover_x is None:
            return
        reading = self._read(self._hover_x)
        if reading is None:
            self.reading = None
            self.readout.hide()
            return
        self.reading = reading
        self.readout.setText(reading.text())
        self.readout.adjustSize()
        self.readout.move(self._readout_place(reading))
        self.readout.show()
        self.readout.raise_()

    def _readout_place(self, reading: SweepReading) -> QPoint:
        """The free place in the plot nearest the pointer's step on the bold curve; else
        above the plot or below it (their text is covered, the curves never); else the
        top left of the view."""
        size = (float(self.readout.width()), float(self.readout.height()))
        xs, ys = [], []
        for x, y in self.read_curves():
            vx, vy = self.to_view(x, y)
            px, py = points_along(vx, vy)
            xs.append(px)
            ys.append(py)
        px = np.concatenate(xs) if xs else np.empty(0)
        py = np.concatenate(ys) if ys else np.empty(0)
        box = self.plot_widget.getPlotItem().getViewBox().sceneBoundingRect()
        top_left = self.plot_widget.viewport().mapTo(
            self, self.plot_widget.mapFromScene(box.topLeft())
        )
        plot = Area(top_left.x(), top_left.y(), box.width(), box.height())
        y_near = float(reading.mean if reading.mean is not None else np.nanmean(reading.losses))
        near_x, near_y = self.to_view(np.array([reading.x]), np.array([y_near]))
        near = (float(near_x[0]), float(near_y[0]))
        if np.isfinite(near[1]):
            spot = free_spot(plot, size, px, py, near, READOUT_MARGIN)
            if spot is not None:
                return QPoint(round(spot[0]), round(spot[1]))
        w, h = size
        left = round(min(max(near[0] - w / 2, 0.0), max(0.0, self.width() - w)))
        widget_top = self.plot_widget.geometry().top()
        widget_bottom = self.plot_widget.geometry().bottom()
        if widget_top >= h:  # over the explanation and the legend
            return QPoint(left, round(widget_top - h))
        if self.height() - widget_bottom - 1 >= h:  # over the status line and the buttons
            return QPoint(left, widget_bottom + 1)
        return QPoint(left, 0)

    def _window(self) -> int:
        return sweep_window(self._n)  # the smoothing core.training.suggest_lr reads

    def _append_band(self, lrs: np.ndarray, band: np.ndarray) -> None:
        """Every seed's losses at the next steps: (m,) lrs, (m, K) losses."""
        m, k = band.shape
        new = self._m == 0 or self._band.shape[1] != k
        if new:
            size = max(self._expected, m, 16)
            self._band_x = np.empty(size, dtype=np.float64)
            self._band = np.full((size, k), np.nan, dtype=np.float64)
            self._m = 0
        needed = self._m + m
        if needed > len(self._band_x):
            size = max(needed, 2 * len(self._band_x))
            self._band_x = np.resize(self._band_x, size)
            grown = np.full((size, k), np.nan, dtype=np.float64)
            grown[: self._m] = self._band[: self._m]
            self._band = grown
        self._band_x[self._m : needed] = np.log10(np.asarray(lrs, dtype=np.float64))
        self._band[self._m : needed] = band
        self._m = needed
        if new:
            self._show_legend(suggested=False)

    def _redraw_band(self) -> bool:
        """Each seed's moving average, the band between the lowest and highest, and the mean
        of the seeds (moving average) as the bold curve; False when there is no band."""
        if self._m == 0 or self._band.shape[1] < 2:
            return False
        x, band = self._band_x[: self._m], self._band[: self._m]
        k = band.shape[1]
        w = sweep_window(self._m)
        smoothed = np.full_like(band, np.nan)  # (m, K): each seed's curve, up to its end
        while len(self.seed_curves) < k:
            curve = pg.PlotDataItem(pen=pg.mkPen(SEED_COLOUR, width=1))
            self.plot_widget.getPlotItem().addItem(curve)
            curve.setZValue(-1)
            self.seed_curves.append(curve)
        for j in range(k):
            end = finite_prefix(band[:, j])
            smoothed[:end, j] = moving_average(band[:end, j], w)
            self.seed_curves[j].setData(x[:end], smoothed[:end, j])
        self._smoothed = smoothed
        for curve in self.seed_curves[k:]:
            curve.setData([], [])
        some = ~np.isnan(smoothed).all(axis=1)  # steps where at least one seed has a loss
        self.band_low.setData(x[some], np.nanmin(smoothed[some], axis=1))
        self.band_high.setData(x[some], np.nanmax(smoothed[some], axis=1))
        mean = mean_curve(band)  # (m',) up to the first seed's blow-up
        self.smooth_curve.setData(x[: len(mean)], moving_average(mean, sweep_window(len(mean))))
        return True

    def _redraw(self) -> None:
        x, y = self._x[: self._n], self._y[: self._n]
        self.raw_curve.setData(x, y)
        if not self._redraw_band():
            self.smooth_curve.setData(x, moving_average(y, self._window()))
        # the first steps (lecture init) and the blow-up can be far above the valley: keep
        # the valley readable by not letting a few huge values set the y range
        if self._n >= 20:
            top = float(np.percentile(y, 95))
            bottom = float(y.min())
            margin = 0.05 * max(top - bottom, 0.1)
            self.plot_widget.setYRange(bottom - margin, top + margin, padding=0)
        self._refresh_readout()  # the pointer stays: read the new points

    def _set_chosen_x(self, x: float) -> None:
        self.line.setValue(x)  # clamped to the bounds; _line_moved updates the box
        self._line_moved()

    def _line_moved(self, *args: object) -> None:
        if not self.line.isVisible():
            return
        lr = round_lr(10 ** float(self.line.value()))
        with QSignalBlocker(self.lr_box):  # the line stays where it was put, not rounded
            self.lr_box.setValue(lr)

    def _box_changed(self, value: float) -> None:
        if value <= 0:
            return
        with QSignalBlocker(self.line):  # the box keeps the value typed
            self.line.setValue(math.log10(value))

    def _plot_clicked(self, event: object) -> None:
        if not self._finished or not self.line.isVisible():
            return
        pos = event.scenePos()  # type: ignore[attr-defined]
        view = self.plot_widget.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(pos):
            return
        self._set_chosen_x(view.mapSceneToView(pos).x())

    def _use_clicked(self) -> None:
        lr = self.chosen_lr()
        if lr is not None:
            self.lrChosen.emit(lr)
