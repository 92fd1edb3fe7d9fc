"""The hidden layer while it trains (makemore part 3), from the weight snapshots.

Histograms of hpreact and h, the saturation image (examples x units, white where |h| > 0.99)
with the fraction saturated and the dead units, and the update-to-data ratio of every
parameter over the run with the lecture's guide line at -3. The numbers come from
core.hidden_stats on a fixed sample of training examples.

A snapshot costs 5 ms (the lecture's model) to 200 ms (hidden 4,096) to analyse, so the work
runs on a thread of the view's own pool, at most REFRESH_HZ times a second, only while the view
is visible, never more than one at a time (snapshots that arrive meanwhile replace each other
and only the newest is analysed), and taking at most MAX_DUTY of a core: training goes first.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from charnames_gui.core.config import PARAMETER_NAMES, ModelConfig
from charnames_gui.core.saturation import SATURATION
from charnames_gui.core.update_ratios import UD_GUIDE, UpdateRatioHistory
from charnames_gui.ui.views.plot_style import cache_axes

if TYPE_CHECKING:  # torch-backed: imported at the first model
    import torch

    from charnames_gui.core.hidden_stats import ExampleSample, HiddenStats

REFRESH_HZ = 4
SHOWN_EXAMPLES = 200  # rows of the saturation image: enough to see the pattern, cheap to paint
MAX_DUTY = 0.2  # at most this share of one core: a big model's analysis waits longer between
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
SAT_TITLE = f"saturated: white where |h| > {SATURATION}"
NO_DATA = "No model or no dataset: the hidden layer is shown on training examples."
PARAM_COLORS = {"C": "#4c72b0", "W1": "#dd8452", "b1": "#55a868", "W2": "#c44e52",
                "b2": "#8172b3"}  # fmt: skip


class _Signals(QObject):
    done = Signal(int, object)  # the model's generation; HiddenStats, or an Exception


class _Job(QRunnable):
    def __init__(
        self, compute: Callable[[], HiddenStats], signals: _Signals, generation: int
    ) -> None:
        super().__init__()
        self._compute = compute
        self._signals = signals
        self._generation = generation

    def run(self) -> None:
        try:
            result: object = self._compute()
        except Exception as exc:
            result = exc
        self._signals.done.emit(self._generation, result)


class HiddenLayerView(QWidget):
    """Histograms, the saturation image and update ratios of the latest snapshot."""

    statsShown = Signal(object)  # HiddenStats, after it was drawn

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config: ModelConfig | None = None
        self._sample: ExampleSample | None = None
        self._lr_at: Callable[[int], float] = lambda _step: 0.1
        self._pending: tuple[int, Mapping[str, np.ndarray]] | None = None
        self._busy = False
        self._started = 0.0  # time.monotonic() of the analysis under way
        self._next_start = 0.0  # no analysis starts before this time
        self._stats: HiddenStats | None = None
        self._generation = 0  # +1 per model: an analysis of a replaced model is dropped
        self._ready: HiddenStats | None = None  # analysed, waiting for its frame
        self.paced = False  # True: a frame clock calls show_ready(); False: drawn at once
        self.history = UpdateRatioHistory()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._timer = QTimer(self)
        self._timer.setInterval(round(1000 / REFRESH_HZ))
        self._timer.timeout.connect(self._maybe_start)
        self._build()

    # -- construction -----------------------------------------------------------------------
    def _plot(self, title: str, left: str, bottom: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(background="w")
        item = plot.getPlotItem()
        cache_axes(item)
        item.setTitle(title, color="#333333")
        item.setLabel("left", left)
        item.setLabel("bottom", bottom)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        plot.setMinimumSize(160, 170)
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
        self._sat_plot.setMinimumHeight(220)
        self._sat_image = pg.ImageItem(axisOrder="row-major")
        self._sat_image.setAutoDownsample(True)
        self._sat_plot.getPlotItem().addItem(self._sat_image)
        self._sat_plot.getPlotItem().invertY(True)  # example 0 at the top, as plt.imshow
        # the full formula is in the guide; a long axis label is cut off in a short plot
        self._ud_plot = self._plot("update-to-data ratio", "log10(update / data)", "step")
        self._ud_plot.getPlotItem().addLegend(offset=(-4, 4), labelTextSize="8pt")
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
        self._guide.setStyleSheet("color:#444444;")
        self._grid = grid = QGridLayout()
        self._columns = 0
        self._arrange(1)
        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(6, 6, 6, 6)
        inner.addWidget(self._summary)
        inner.addLayout(grid, 1)
        inner.addWidget(self._guide)
        scroll = QScrollArea()  # a narrow dock scrolls rather than squeezing the plots
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
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
        for k, plot in enumerate(self.plots()):
            self._grid.removeWidget(plot)
            self._grid.addWidget(plot, *divmod(k, columns))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(2 if event.size().width() >= 720 else 1)

    # -- input ------------------------------------------------------------------------------
    def set_model(
        self,
        config: ModelConfig | None,
        examples: tuple[torch.Tensor, torch.Tensor] | None,
        lr_at: Callable[[int], float],
    ) -> None:
        """A new model: its configuration, the training (X, Y) to draw the fixed sample from
        (None: no dataset), and the learning rate of each step."""
        from charnames_gui.core.hidden_stats import example_sample

        self._generation += 1
        self._config = config
        self._sample = example_sample(*examples) if config and examples else None
        self._lr_at = lr_at
        self._pending = None
        self._stats = None
        self._ready = None
        self.history.clear()
        for curve in self._ud_curves.values():
            curve.setData([], [])
        self._summary.setText(NO_DATA if self._sample is None else "Waiting for the weights…")
        self._sat_plot.getPlotItem().setTitle(SAT_TITLE, color="#333333")

    def offer(self, step: int, weights: Mapping[str, np.ndarray]) -> None:
        """The newest snapshot (copies of the weights). Analysed within 1/REFRESH_HZ s while
        the view is visible; a newer snapshot replaces one not analysed yet."""
        if self._sample is None:
            return
        self._pending = (step, weights)
        if not self._timer.isActive():
            self._timer.start()
        if not self._busy and self.isVisible() and self.stats() is None:
            self._maybe_start()  # the first one at once

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._maybe_start()

    # -- read back --------------------------------------------------------------------------
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

    def is_busy(self) -> bool:
        return self._busy

    def wait_idle(self, msecs: int = 30_000) -> bool:
        """Wait for the analysis under way (shutting down, tests)."""
        return self._pool.waitForDone(msecs)

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

    # -- internals --------------------------------------------------------------------------
    def _maybe_start(self) -> None:
        if self._pending is None or not self.isVisible():
            self._timer.stop()  # nothing to do, or no one to see it: showEvent restarts
            return
        if self._busy or time.monotonic() < self._next_start:
            return
        config, sample = self._config, self._sample
        if config is None or sample is None:
            return
        from charnames_gui.core.hidden_stats import hidden_stats  # a sample: torch is loaded

        step, weights = self._pending
        self._pending = None
        lr = self._lr_at(step)
        self._busy = True
        self._started = time.monotonic()
        job = _Job(
            lambda: hidden_stats(weights, config, sample, lr, step), self._signals, self._generation
        )
        self._pool.start(job)

    def _on_done(self, generation: int, result: object) -> None:
        self._busy = False
        took = time.monotonic() - self._started
        self._next_start = time.monotonic() + took * (1 / MAX_DUTY - 1)  # training goes first
        if generation != self._generation:
            # the weights of a model replaced since (same shapes or not): never mix its
            # step into the new model's history (the timer analyses the new one's snapshot)
            return
        if isinstance(result, Exception):
            self._summary.setText(f"Could not analyse these weights: {result}")
            return
        from charnames_gui.core.hidden_stats import HiddenStats

        assert isinstance(result, HiddenStats)
        if self.paced:
            self._ready = result  # the window's frame clock draws it (show_ready)
        else:
            self._show(result)

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
        # the first SHOWN_EXAMPLES examples (the fraction and dead units count all of them)
        shown = stats.saturated[:SHOWN_EXAMPLES].astype(np.float32)
        self._sat_image.setImage(shown, levels=(0.0, 1.0))
        self._sat_plot.getPlotItem().setTitle(
            f"{SAT_TITLE}: {stats.saturated_fraction:.1%}", color="#333333"
        )
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
