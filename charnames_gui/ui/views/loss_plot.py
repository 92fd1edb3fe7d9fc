"""The live loss plot: every step's minibatch loss drawn faintly, the lecture's bucket means
over it, dev-loss points, the learning-rate decay and the loss of uniform guessing.

Items are created once; new losses go into bounded buffers and a timer redraws at most
15 times a second, whatever the rate at which chunks arrive.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QFontMetricsF, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.atomic import atomic_write
from charnames_gui.core.events import EvalPoint, LossChunk
from charnames_gui.core.loss_buffer import BucketMeans, DecimatingBuffer
from charnames_gui.ui.views.legend_row import LegendEntry, LegendRow, Mark
from charnames_gui.ui.views.plot_style import (
    EXPORT_WIDTH,
    export_widgets_png,
    scale_plot_text,
    white_plot,
)
from charnames_gui.ui.views.seed_band import BAND_COLOUR, SeedBand
from charnames_gui.ui.views.text_scale import set_text_colour, text_scale

REDRAW_INTERVAL_MS = 100  # 10 Hz
DEFAULT_TRAIN_SAMPLE = 10_000  # until the window says the real size (set_train_sample_size)
PLOT_MIN_LINES = 5  # the plot's data area is never shorter than this many lines of text
CAPTION_MIN_LINES = 24  # below this height (in lines of text) the caption is hidden
RAW_COLOUR = QColor(70, 110, 180, 70)
SMOOTH_COLOUR = QColor(30, 70, 160)
DEV_COLOUR = QColor(25, 25, 25)  # black: distinct from the run overlays (tab10)
TRAIN_EST_COLOUR = QColor(40, 150, 90)
REFERENCE_COLOUR = QColor(120, 120, 120)
BIGRAM_COLOUR = QColor(150, 60, 150)
DECAY_COLOUR = QColor(200, 40, 40)


@dataclass(frozen=True)
class OverlayCurve:
    """A recorded run drawn for comparison."""

    key: object  # stable id (e.g. the run id)
    label: str
    colour: QColor
    steps: np.ndarray  # (n,)
    losses: np.ndarray  # (n,) loss values (not log10)


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^k that is >= value."""
    exponent = math.floor(math.log10(value))
    for mantissa in (1, 2, 5, 10):
        if mantissa * 10**exponent >= value:
            return float(mantissa * 10**exponent)
    return float(10 ** (exponent + 1))


def smoothing_bucket(total_steps: int) -> int:
    """The lecture averages 1,000-step buckets of a 200,000-step run: 200 points per curve."""
    return max(10, total_steps // 200)


class LossPlot(QWidget):
    hovered = Signal(str)  # "step 1,234: loss 2.31" for the status bar

    def __init__(self, parent: QWidget | None = None, own_timer: bool = True) -> None:
        """own_timer=False: the owner calls redraw() from its own frame clock instead."""
        super().__init__(parent)
        self._log10 = True
        self._raw = DecimatingBuffer()
        self._smooth = BucketMeans(smoothing_bucket(200_000))
        self._evals: list[EvalPoint] = []
        self._dirty = False
        self._vocab_size: int | None = None
        self._references: dict[str, float] = {}
        self._decay_steps: list[int] = []
        self._overlays: dict[object, tuple[pg.PlotDataItem, OverlayCurve]] = {}
        self._reference_texts: dict[pg.InfiniteLine, str] = {}
        self._total_steps = 0
        self._replay_end = 0  # the last replay frame's step: the x axis reaches it too
        self._drawn_buckets = -1  # what the bucket-mean and dev curves show (-1: redraw)
        self._drawn_evals = -1
        self._band_in_legend = 0  # seeds of the band the legend names (0: no band)
        self._last_step = 0  # the last step with a plotted loss or eval point
        self._follow = True  # the axes follow the run until the user zooms or pans
        self._x_max = 0.0
        self._y_range = (0.0, 0.0)

        self.plot_widget = white_plot(
            "Loss plot",
            "Training loss per step (faint), averaged per bucket of steps (dark), and the loss "
            "on the dev split (black dots). Scroll to zoom, drag to pan, right-click for more; "
            "the 'A' button in the corner fits everything again.",
        )
        item = self.plot_widget.getPlotItem()
        item.setLabel("bottom", "step")
        item.getAxis("left").enableAutoSIPrefix(False)  # no "(x0.001)" on log10 values
        item.getAxis("bottom").enableAutoSIPrefix(False)
        item.setClipToView(True)
        # The legend is a row of text above the plot, never over the data; it wraps onto
        # more lines when the window is narrow or the text large.
        self.legend = LegendRow()
        self._train_sample_size = DEFAULT_TRAIN_SAMPLE
        # thousands of faint segments: antialiasing them costs more than it shows
        self.raw_curve = item.plot(
            pen=pg.mkPen(RAW_COLOUR, width=1),
            antialias=False,
            # 'peak' downsampling keeps each pixel column's min and max: the band looks the
            # same with ~2 points per pixel as with thousands (and draws several times faster)
            autoDownsampleFactor=1.0,
        )
        self.raw_curve.setDownsampling(auto=True, method="peak")
        self.raw_curve.setClipToView(True)
        self.smooth_curve = item.plot(pen=pg.mkPen(SMOOTH_COLOUR, width=2.5), antialias=True)
        self.train_points = item.plot(
            pen=pg.mkPen(TRAIN_EST_COLOUR, width=1, style=Qt.PenStyle.DashLine),
            symbol="t",
            symbolSize=7,
            symbolBrush=TRAIN_EST_COLOUR,
            symbolPen=None,
        )
        self.dev_points = item.plot(
            pen=pg.mkPen(DEV_COLOUR, width=1.5),
            symbol="o",
            symbolSize=7,
            symbolBrush=DEV_COLOUR,
            symbolPen="w",
        )
        # Horizontal references are named in the legend (a label on the line would sit on
        # the curves): a sample item with the line's pen stands for each.
        uniform_pen = pg.mkPen(REFERENCE_COLOUR, width=1.5, style=Qt.PenStyle.DashLine)
        bigram_pen = pg.mkPen(BIGRAM_COLOUR, width=1.5, style=Qt.PenStyle.DotLine)
        self.uniform_line = pg.InfiniteLine(angle=0, pen=uniform_pen)
        self.bigram_line = pg.InfiniteLine(angle=0, pen=bigram_pen)
        # named in the legend too: a label on the line was printed over the data
        self.decay_line = pg.InfiniteLine(
            angle=90, pen=pg.mkPen(DECAY_COLOUR, width=1, style=Qt.PenStyle.DashLine)
        )
        # the step a replay shows (ui/views/timeline.py): a solid line across the curves
        # and its step beside it, high up (the timeline hides its own label on short screens)
        self.replay_line = pg.InfiniteLine(
            angle=90,
            pen=pg.mkPen(QColor(90, 90, 90), width=2),
            label="step {value:,.0f}",
            labelOpts={
                "position": 0.95,
                "color": (60, 60, 60),
                "fill": (255, 255, 255, 210),
                # right of the line in the left half of the plot, left of it in the
                # right half: the label stays inside the plot at either end of a run
                "anchors": [(0, 0.5), (1, 0.5)],
            },
        )
        for line in (self.uniform_line, self.bigram_line, self.decay_line, self.replay_line):
            line.setVisible(False)
            line.setZValue(20)  # labels above the curves
            item.addItem(line, ignoreBounds=True)
        self.seed_band = SeedBand(item)  # K seeds trained together (Train > Repeat)
        self.hover_label = pg.TextItem(
            color=(20, 20, 20), anchor=(0, 1), fill=QColor(255, 255, 225, 220)
        )
        self.hover_label.setZValue(100)
        self.hover_label.setVisible(False)
        item.addItem(self.hover_label, ignoreBounds=True)
        item.vb.sigRangeChangedManually.connect(self._on_user_range)
        item.autoBtn.clicked.connect(self._on_auto_button)
        self._mouse_proxy = pg.SignalProxy(
            self.plot_widget.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved
        )
        self.plot_widget.viewport().installEventFilter(self)  # hide the readout on Leave

        self.log_toggle = QCheckBox("log10(loss)")
        self.log_toggle.setChecked(True)
        self.log_toggle.setAccessibleName("Plot log10 of the loss")
        self.log_toggle.setToolTip(
            "Plot log10(loss), as the lecture does, so the fast early drop and the slow late "
            "progress both stay visible. Untick to plot the loss itself."
        )
        self.log_toggle.toggled.connect(self._set_log10)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        set_text_colour(self.caption, "#555555")  # (a style sheet would stop its zoom)

        # the check box beside the legend: a line of its own would cost the data a line
        # when the caption is hidden (a small screen, large text)
        legend_row = QHBoxLayout()
        legend_row.addWidget(self.legend, 1)
        legend_row.addWidget(self.log_toggle, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addLayout(legend_row)
        layout.addWidget(self.plot_widget, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self.redraw)
        if own_timer:
            self._timer.start()
        self._update_axis_label()
        self._update_caption()
        self._update_legend()
        self._scale_text()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed
            self._scale_text()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_caption()
        QTimer.singleShot(0, self, self._update_axis_label)  # once the plot has its size

    def _fit_caption(self) -> None:
        """On a short plot (a small screen, or large text) the caption gives its room to
        the data; its text stays in the plot's tooltip."""
        line = self.fontMetrics().height()
        self.caption.setVisible(self.height() >= CAPTION_MIN_LINES * line)

    def _scale_text(self) -> None:
        line = self.fontMetrics().height()
        self.plot_widget.setMinimumHeight(PLOT_MIN_LINES * line)
        self._fit_caption()
        scale = text_scale(self)
        item = self.plot_widget.getPlotItem()
        scale_plot_text(item, self.font(), scale)
        self._update_axis_label()
        self.hover_label.textItem.setFont(self.font())
        for curve, size in ((self.train_points, 7), (self.dev_points, 7)):
            curve.setSymbolSize(round(size * scale))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self.hover_label.setVisible(False)
        return super().eventFilter(watched, event)

    # -- feeding data --------------------------------------------------------------------
    def reset(self, total_steps: int, vocab_size: int, decay_steps: list[int]) -> None:
        """A new model: forget the curves."""
        self._raw.clear()
        self._smooth = BucketMeans(smoothing_bucket(total_steps))
        self.seed_band.reset(self._smooth.size)
        self._evals.clear()
        self._last_step = 0
        self._vocab_size = vocab_size
        self._decay_steps = list(decay_steps)
        self._update_references()
        self._update_caption()
        self._invalidate()
        self._show_whole_run(total_steps)

    def set_schedule(self, total_steps: int, decay_steps: list[int]) -> None:
        """The same model continues with other steps / decay (the curves are kept)."""
        self._decay_steps = list(decay_steps)
        self._update_references()
        self._show_whole_run(total_steps)

    def _show_whole_run(self, total_steps: int) -> None:
        self._total_steps = total_steps
        self._follow = True
        self.plot_widget.getPlotItem().disableAutoRange()
        self._x_max = 0.0
        self._y_range = (0.0, 0.0)
        self._follow_x(self._replay_end)

    def _follow_x(self, last_step: float) -> None:
        """Grow the x axis in 1-2-5 jumps (1,000, 2,000, 5,000, ...) up to the run's length:
        the early curve is not squeezed against the left edge, and the axis is re-laid out
        only a dozen times per run instead of at every redraw (which costs GUI time)."""
        if not self._follow:
            return
        wanted = _nice_ceiling(max(last_step * 1.05, 1_000))
        # never past the longest run shown: this run's length, an overlaid run's end, or
        # the last replay frame (an opened model's frames, with no loss curve to follow)
        longest = max([self._total_steps, self._replay_end] + self._overlay_ends())
        if longest:
            wanted = min(wanted, longest)
        if wanted != self._x_max:
            self._x_max = wanted
            self.plot_widget.getPlotItem().setXRange(0, wanted, padding=0.01)

    def _follow_y(self, raw_y: np.ndarray | None = None) -> None:
        """Fit the y axis to all the curves, in steps of a round number: the range (and the
        axis, whose re-layout is the costliest part of a redraw) changes only now and then.
        raw_y: the plotted values of the per-step curve, when the caller has them."""
        if not self._follow:
            return
        if raw_y is None:
            raw_y = self._y(self._raw.data()[1])
        values = [raw_y] + [self._y(curve.losses) for _, curve in self._overlays.values()]
        values = [v[np.isfinite(v)] for v in values if len(v)]
        values = [v for v in values if len(v)]
        if not values:
            return
        low = min(float(v.min()) for v in values)
        high = max(float(v.max()) for v in values)
        # at least 5% of the values' size: one step's loss is a range of readable ticks
        # (1.38 to 1.46), not 1.42345 to 1.42355 with labels too long for the axis
        step = _nice_ceiling(max(high - low, 0.05 * max(abs(low), abs(high)), 1e-3) / 8)
        wanted = (math.floor(low / step) * step, math.ceil(high / step) * step)
        if wanted != self._y_range:
            self._y_range = wanted
            self.plot_widget.getPlotItem().setYRange(*wanted, padding=0.02)

    def _on_user_range(self, *_: object) -> None:
        self._follow = False  # the learner zoomed or panned: leave the view alone

    def _on_auto_button(self) -> None:
        self._follow = True
        self._x_max = 0.0
        self._y_range = (0.0, 0.0)
        self._follow_x(self._x_extent())
        self._follow_y()

    def append_losses(self, chunk: LossChunk) -> None:
        self._raw.extend(chunk.start_step, chunk.losses)
        self._smooth.extend(chunk.start_step, chunk.losses)
        if chunk.band is not None:
            self.seed_band.extend(chunk.start_step, chunk.band)
        self._last_step = chunk.end_step  # a chunk from an earlier step replaces what followed
        self._dirty = True

    def add_eval_point(self, point: EvalPoint) -> None:
        self._evals.append(point)
        self._last_step = max(self._last_step, point.step)
        self._dirty = True

    def cover_replay(self, last_step: int) -> None:
        """The replay's frames reach `last_step` (0: none): the x axis covers them while it
        follows the run. Kept through reset(): the frames' owner sets it for each model."""
        self._replay_end = max(0, int(last_step))
        self._follow_x(self._x_extent())

    def mark_step(self, step: int | None) -> None:
        """Mark the step a replay shows (None: the live model, no mark)."""
        self.replay_line.setVisible(step is not None)
        if step is not None:
            self.replay_line.setPos(step)

    def marked_step(self) -> int | None:
        return round(self.replay_line.value()) if self.replay_line.isVisible() else None

    def total_steps(self) -> int:
        """The length of the run the x axis is laid out for."""
        return self._total_steps

    def last_step(self) -> int:
        """The last step the plot shows a loss or a dev-loss point of (0: none)."""
        return self._last_step

    def roll_back_to(self, step: int) -> bool:
        """The model is back at `step` (a lost training process: the last weights the app
        received): forget the minibatch losses, bucket means and train/dev points of later
        steps, so the plot agrees with the weights; training then appends from `step` on.
        True if anything was dropped."""
        if step >= self._last_step:
            return False
        self._raw.truncate(step + 1)  # steps are 1-based: step `step` itself stays
        self._smooth.truncate(step + 1)
        self.seed_band.truncate(step + 1)
        self._evals = [p for p in self._evals if p.step <= step]
        self._last_step = step
        self._invalidate()  # fewer points than drawn: redraw every curve now
        return True

    def set_reference(self, name: str, value: float | None) -> None:
        """'bigram': the bigram model's dev loss, drawn for comparison."""
        if value is None or not math.isfinite(value):
            self._references.pop(name, None)
        else:
            self._references[name] = value
        self._update_references()

    def set_overlays(self, curves: list[OverlayCurve]) -> None:
        """Draw these recorded runs (and remove overlays not in the list)."""
        item = self.plot_widget.getPlotItem()
        wanted = {c.key: c for c in curves}
        for key in list(self._overlays):
            if key not in wanted:
                curve_item, _ = self._overlays.pop(key)
                item.removeItem(curve_item)
        for key, curve in wanted.items():
            if key in self._overlays:
                curve_item, _ = self._overlays[key]
            else:
                curve_item = item.plot(pen=pg.mkPen(curve.colour, width=2))
                curve_item.setZValue(-1)
            self._overlays[key] = (curve_item, curve)
            curve_item.setData(curve.steps, self._y(curve.losses))
        self._update_legend()
        self._follow_x(self._x_extent())
        self._follow_y()

    def _overlay_ends(self) -> list[int]:
        return [int(c.steps[-1]) for _, c in self._overlays.values() if len(c.steps)]

    def x_range(self) -> tuple[float, float]:
        """The steps the plot shows (left, right)."""
        (left, right), _ = self.plot_widget.getPlotItem().vb.viewRange()
        return float(left), float(right)

    def set_train_sample_size(self, examples: int) -> None:
        """How many training examples the train-loss estimate is measured on."""
        self._train_sample_size = examples
        self._update_legend()

    def _x_extent(self) -> float:
        """The last step of the run or of any overlaid run."""
        steps, _ = self._raw.data()
        ends = [float(steps[-1])] if len(steps) else [0.0]
        ends.append(float(self._replay_end))
        ends += [float(c.steps[-1]) for _, c in self._overlays.values() if len(c.steps)]
        return max(ends)

    # -- reading back ---------------------------------------------------------------------
    def raw_data(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps, loss) as stored (each point the mean of `stride` steps)."""
        return self._raw.data()

    def eval_points(self) -> list[EvalPoint]:
        return list(self._evals)

    @property
    def stride(self) -> int:
        return self._raw.stride

    def export_png(self, path: str | Path, width: int = EXPORT_WIDTH) -> None:
        """The legend and the plot as they look on screen, drawn at `width` pixels: the text
        keeps its size relative to the plot, so it is readable at the export size. The hover
        readout is never in it."""
        self.redraw()
        self.hover_label.setVisible(False)
        export_widgets_png([self.legend, self.plot_widget], path, width)

    def export_csv(self, path: str | Path) -> None:
        """step, loss (and log10) of every stored point, then the dev-loss points.
        FileAccessError (one line) when it cannot be written."""
        steps, losses = self._raw.data()
        fh = io.StringIO(newline="")
        writer = csv.writer(fh)
        writer.writerow(["kind", "step", "loss", "log10_loss", "steps_averaged"])
        for s, v in zip(steps, losses, strict=True):
            writer.writerow(
                ["minibatch", f"{s:g}", f"{v:.6f}", f"{math.log10(v):.6f}", self.stride]
            )
        for p in self._evals:
            writer.writerow(
                ["dev", p.step, f"{p.dev_loss:.6f}", f"{math.log10(p.dev_loss):.6f}", ""]
            )
            writer.writerow(
                [
                    "train_sample",
                    p.step,
                    f"{p.train_loss:.6f}",
                    f"{math.log10(p.train_loss):.6f}",
                    "",
                ]
            )
        atomic_write(path, fh.getvalue())  # a failed export leaves the old file whole

    # -- drawing ------------------------------------------------------------------------------
    def _y(self, losses: np.ndarray) -> np.ndarray:
        values = np.asarray(losses, dtype=np.float64)
        return np.log10(np.maximum(values, 1e-12)) if self._log10 else values

    def _invalidate(self) -> None:
        """Redraw every curve now (new model, or values shown on another scale)."""
        self._drawn_buckets = self._drawn_evals = -1
        self._dirty = True
        self.redraw()

    def redraw(self) -> None:
        """Draw what arrived since the last redraw (nothing if nothing did). Only the items
        whose data changed get new data: the bucket means and the dev points change rarely."""
        if not self._dirty:
            return
        self._dirty = False
        steps, losses = self._raw.data()
        y = self._y(losses)
        self.raw_curve.setData(steps, y)
        single = len(steps) == 1  # (a line of one point is not drawn: a dot is)
        if single != (self.raw_curve.opts["symbol"] is not None):
            self.raw_curve.setSymbol("o" if single else None)
            self.raw_curve.setSymbolBrush(SMOOTH_COLOUR)
            self.raw_curve.setSymbolPen(None)
        if len(steps):
            self._follow_x(self._x_extent())
            self._follow_y(y)
        centres, means = self._smooth.data()
        if len(centres) != self._drawn_buckets:
            self._drawn_buckets = len(centres)
            self.smooth_curve.setData(centres, self._y(means))
            k = self.seed_band.k
            self.seed_band.redraw(self._y, force=True)
            if k != self._band_in_legend:
                self._band_in_legend = k
                self._update_legend()
        if len(self._evals) != self._drawn_evals:
            self._drawn_evals = len(self._evals)
            at = np.array([p.step for p in self._evals], dtype=np.float64)
            self.dev_points.setData(at, self._y(np.array([p.dev_loss for p in self._evals])))
            self.train_points.setData(at, self._y(np.array([p.train_loss for p in self._evals])))

    def _set_log10(self, on: bool) -> None:
        self._log10 = on
        self._update_axis_label()
        self._update_references()
        for curve_item, curve in self._overlays.values():
            curve_item.setData(curve.steps, self._y(curve.losses))
        self._invalidate()
        self._y_range = (0.0, 0.0)
        self._follow_y()

    def _update_axis_label(self) -> None:
        """The left axis title, left out when the plot is too short for it (large text on a
        small screen): a cut "log10(los" helps nobody, and the check box above says it."""
        text = "log10(loss)" if self._log10 else "loss"
        item = self.plot_widget.getPlotItem()
        room = item.vb.sceneBoundingRect().height()
        if room > 0 and QFontMetricsF(self.font()).horizontalAdvance(text) > room - 4:
            text = ""
        if item.getAxis("left").labelText != text:
            item.setLabel("left", text)

    def decay_text(self) -> str:
        """The legend's name for the learning-rate decay line ('' when there is none)."""
        return f"lr decay at {self._decay_steps[0]:,}" if self._decay_steps else ""

    def shown_axis_title(self) -> str:
        return str(self.plot_widget.getPlotItem().getAxis("left").labelText)

    def _update_caption(self) -> None:
        bucket = self._smooth.size
        self.caption.setText(
            f"Faint: the loss of each minibatch. Dark: its mean over {bucket:,} steps (the "
            f"lecture's lossi.view(-1, {bucket}).mean(1)). Dots: the loss on the whole dev split."
        )

    def _update_references(self) -> None:
        uniform = math.log(self._vocab_size) if self._vocab_size else None
        self._show_reference(
            self.uniform_line,
            uniform,
            f"uniform guessing: ln({self._vocab_size}) = {uniform:.2f}" if uniform else "",
        )
        bigram = self._references.get("bigram")
        self._show_reference(
            self.bigram_line,
            bigram,
            f"bigram model, dev: {bigram:.3f}" if bigram is not None else "",
        )
        self.decay_line.setVisible(bool(self._decay_steps))
        if self._decay_steps:
            self.decay_line.setPos(self._decay_steps[0])
        self._update_legend()

    def _show_reference(self, line: pg.InfiniteLine, value: float | None, text: str) -> None:
        line.setVisible(value is not None)
        if value is not None:
            line.setPos(float(self._y(np.array([value]))[0]))
        self._reference_texts[line] = text if value is not None else ""
        self._update_legend()

    def _update_legend(self) -> None:
        sample = self._train_sample_size
        size = f"{sample / 1000:g}k" if sample >= 1000 and sample % 100 == 0 else f"{sample:,}"
        entries = [  # (the short texts: for a narrow plot, large text on a small screen)
            LegendEntry("minibatch loss", RAW_COLOUR.darker(150), "line", "minibatch"),
            LegendEntry("mean per bucket", SMOOTH_COLOUR, "line", "mean"),
            LegendEntry(f"train ({size}-example sample)", TRAIN_EST_COLOUR, "triangle", "train"),
            LegendEntry("dev loss", DEV_COLOUR, "dot", "dev"),
        ]
        references: tuple[tuple[pg.InfiniteLine, QColor, Mark], ...] = (
            (self.uniform_line, REFERENCE_COLOUR, "dash"),
            (self.bigram_line, BIGRAM_COLOUR, "dots"),
        )
        for (line, colour, style), short in zip(references, ("uniform", "bigram"), strict=True):
            text = self._reference_texts.get(line, "")
            if text:
                entries.append(LegendEntry(text, colour, style, short))
        if self._decay_steps:
            entries.append(LegendEntry(self.decay_text(), DECAY_COLOUR, "vdash", "lr decay"))
        if self._band_in_legend > 1:
            text = f"{self._band_in_legend} seeds: lowest to highest, mean (dashed)"
            entries.append(LegendEntry(text, BAND_COLOUR, "line"))
        for _, curve in self._overlays.values():
            entries.append(LegendEntry(curve.label, curve.colour, "line"))
        self.legend.set_entries(entries)

    def _on_mouse_moved(self, event: tuple[QPointF]) -> None:
        pos = event[0]
        item = self.plot_widget.getPlotItem()
        if not item.sceneBoundingRect().contains(pos):
            self.hover_label.setVisible(False)
            return
        point = item.vb.mapSceneToView(pos)
        text = self._describe(point.x())
        if not text:
            self.hover_label.setVisible(False)
            return
        self.hover_label.setText(text)
        self.hover_label.setPos(point)
        self.hover_label.setVisible(True)
        self.hovered.emit(text.replace("\n", "   "))

    def _describe(self, step: float) -> str:
        """What the curves say at this step (nearest stored points)."""
        lines = []
        centres, means = self._smooth.data()
        steps, losses = self._raw.data()
        if len(steps) == 0:
            return ""
        i = int(np.clip(np.searchsorted(steps, step), 0, len(steps) - 1))
        lines.append(f"step {steps[i]:,.0f}: minibatch loss {losses[i]:.3f}")
        if len(centres):
            j = int(np.clip(np.searchsorted(centres, step), 0, len(centres) - 1))
            lines.append(f"mean of steps near {centres[j]:,.0f}: {means[j]:.3f}")
        if self._evals:
            nearest = min(self._evals, key=lambda p: abs(p.step - step))
            lines.append(f"dev loss at step {nearest.step:,}: {nearest.dev_loss:.3f}")
        lines += self.seed_band.describe(step)
        for _, curve in self._overlays.values():
            if len(curve.steps):
                k = int(np.clip(np.searchsorted(curve.steps, step), 0, len(curve.steps) - 1))
                lines.append(f"{curve.label}: {curve.losses[k]:.3f}")
        return "\n".join(lines)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._timer.stop()
        super().closeEvent(event)
