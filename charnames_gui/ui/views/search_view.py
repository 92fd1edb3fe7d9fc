"""Beat the lecture: the search on dev, live (core/search.py runs it; this view draws it).

- the trials so far, one row each (its settings, how it ended, its dev loss);
- each trial's dev loss against the minutes of search, with the best so far as a line, the
  lecture's configuration (trial 0) and the target 2.05 marked;
- dev against one setting at a time (chosen in a list), and at the end Optuna's importance
  of each setting.

The view emits intent (start, stop, evaluate on test) and renders the events it is given.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.search import (
    SearchEnded,
    TrialEnded,
    TrialProgress,
    TrialResult,
    TrialStarted,
)
from charnames_gui.ui.views.plot_style import scale_plot_text
from charnames_gui.ui.views.text_scale import text_scale

TARGET = 2.05  # the goal for dev on the lecture's names
COMPLETE_COLOUR = QColor(30, 90, 180)
PRUNED_COLOUR = QColor(150, 150, 150)
BEST_COLOUR = QColor(200, 60, 30)
LECTURE_COLOUR = QColor(90, 150, 60)

# (label, how to read the setting from a trial, log axis)
SETTINGS: tuple[tuple[str, Any, bool], ...] = (
    ("block size", lambda t: t.model.block_size, False),
    ("embedding", lambda t: t.model.n_embd, True),
    ("hidden units", lambda t: t.model.n_hidden, True),
    ("batch size", lambda t: t.train.batch_size, True),
    ("learning rate", lambda t: t.train.lr, True),
    ("lr at the end", lambda t: t.train.lr_after, True),
    ("weight decay (0 = off)", lambda t: t.train.weight_decay, False),
    ("BatchNorm (0 off, 1 on)", lambda t: int(t.model.batchnorm), False),
    ("init (0 lecture, 1 scaled)", lambda t: int(t.train.init == "scaled"), False),
    ("schedule (0 step, 1 cosine)", lambda t: int(t.train.schedule == "cosine"), False),
    ("parameters", lambda t: t.parameters, True),
)
COLUMNS = ("trial", "ended", "dev", "parameters", "seconds", "settings")
SHOWN_STATE = {
    "complete": "ran to the end",
    "pruned": "pruned",
    "diverged": "diverged",
    "stopped": "stopped",
}


class SearchView(QWidget):
    startRequested = Signal(float, int)  # budget in minutes, seed
    stopRequested = Signal()
    testRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Beat the lecture search")
        self.trials: list[TrialResult] = []
        self.best_times: list[float] = []  # minutes at which the best so far changed
        self.best_devs: list[float] = []
        self.ended: SearchEnded | None = None
        self._running: dict[int, str] = {}  # trial number -> its line of status

        intro = QLabel(
            "Beat the lecture's dev loss (about 2.17). Optuna tries configurations, one per "
            "processor core at a time (the first is the lecture's own), each trained on the "
            "same number of examples, and stops hopeless ones early. Only the dev split is "
            "used; the test split is looked at once, at the end, if you ask."
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)

        self.budget = QSpinBox()
        self.budget.setRange(1, 600)
        self.budget.setValue(15)
        self.budget.setSuffix(" min")
        self.budget.setAccessibleName("Search budget in minutes")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setAccessibleName("Search seed")
        self.start_button = QPushButton("Start search")
        self.stop_button = QPushButton("Stop")
        self.test_button = QPushButton("Evaluate the best on test")
        self.test_button.setToolTip(
            "Measure the best trial's loss on the test split: once, at the end (it is counted)"
        )
        self.start_button.clicked.connect(
            lambda: self.startRequested.emit(float(self.budget.value()), self.seed.value())
        )
        self.stop_button.clicked.connect(self.stopRequested)
        self.test_button.clicked.connect(self.testRequested)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Budget"))
        controls.addWidget(self.budget)
        controls.addWidget(QLabel("Seed"))
        controls.addWidget(self.seed)
        for button in (self.start_button, self.stop_button, self.test_button):
            controls.addWidget(button)
        controls.addStretch(1)

        self.status = QLabel("No search yet.")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.best_label = QLabel("")
        self.best_label.setTextFormat(Qt.TextFormat.PlainText)
        self.best_label.setWordWrap(True)
        self.importance_label = QLabel("")
        self.importance_label.setTextFormat(Qt.TextFormat.PlainText)
        self.importance_label.setWordWrap(True)

        # dev against time
        self.time_plot = pg.PlotWidget()
        self.time_plot.setAccessibleName("Dev loss of each trial against minutes of search")
        self.time_plot.setLabel("bottom", "minutes of search")
        self.time_plot.setLabel("left", "dev loss")
        self.time_plot.showGrid(x=True, y=True, alpha=0.2)
        # a light background: the legend sits over the points and the best-so-far line
        self.time_plot.addLegend(offset=(-10, 10), brush=pg.mkBrush(255, 255, 255, 210))
        self.complete_points = pg.ScatterPlotItem(
            size=8, brush=pg.mkBrush(COMPLETE_COLOUR), pen=None, name="trial (to the end)"
        )
        self.pruned_points = pg.ScatterPlotItem(
            size=7, brush=pg.mkBrush(PRUNED_COLOUR), pen=None, name="trial (pruned)"
        )
        self.best_curve = pg.PlotDataItem(
            pen=pg.mkPen(BEST_COLOUR, width=2), stepMode=None, name="best so far"
        )
        # the best trial's dev loss +- one standard error (over dev's names), at the end
        self.best_error = pg.ErrorBarItem(
            x=np.zeros(0), y=np.zeros(0), height=np.zeros(0), beam=0.0,
            pen=pg.mkPen(BEST_COLOUR, width=2),
        )  # fmt: skip
        self.best_error.hide()  # hidden while empty: the axes' auto range would count it
        self.time_plot.addItem(self.complete_points)
        self.time_plot.addItem(self.pruned_points)
        self.time_plot.addItem(self.best_curve)
        self.time_plot.addItem(self.best_error)
        self.target_line = pg.InfiniteLine(
            TARGET,
            angle=0,
            pen=pg.mkPen(BEST_COLOUR, style=Qt.PenStyle.DashLine),
            label=f"target {TARGET}",
            # below the line (its text's top-left corner on it): above it, the best-so-far
            # line of a search that came close ran through the text
            labelOpts={"position": 0.1, "color": BEST_COLOUR, "anchors": [(0, 0), (0, 0)]},
        )
        self.lecture_line = pg.InfiniteLine(
            angle=0,
            pen=pg.mkPen(LECTURE_COLOUR, style=Qt.PenStyle.DotLine),
            label="the lecture's configuration",
            labelOpts={"position": 0.3, "color": LECTURE_COLOUR},  # left of the legend
        )
        self.time_plot.addItem(self.target_line)
        self.time_plot.addItem(self.lecture_line)
        self.lecture_line.hide()

        # dev against a setting
        self.setting = QComboBox()
        self.setting.setAccessibleName("Setting to plot the dev loss against")
        for label, _read, _log in SETTINGS:
            self.setting.addItem(label)
        self.setting.currentIndexChanged.connect(lambda _i: self._draw_setting())
        self.setting_plot = pg.PlotWidget()
        self.setting_plot.setAccessibleName("Dev loss of each trial against one setting")
        self.setting_plot.setLabel("left", "dev loss")
        self.setting_plot.showGrid(x=True, y=True, alpha=0.2)
        self.setting_points = pg.ScatterPlotItem(
            size=8, brush=pg.mkBrush(COMPLETE_COLOUR), pen=None
        )
        self.setting_pruned = pg.ScatterPlotItem(size=7, brush=pg.mkBrush(PRUNED_COLOUR), pen=None)
        self.setting_plot.addItem(self.setting_points)
        self.setting_plot.addItem(self.setting_pruned)
        setting_box = QWidget()
        setting_layout = QVBoxLayout(setting_box)
        setting_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Dev loss against"))
        row.addWidget(self.setting, 1)
        setting_layout.addLayout(row)
        setting_layout.addWidget(self.setting_plot, 1)

        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.time_plot)
        plots.addWidget(setting_box)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Trials of the search")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(plots)
        body.addWidget(self.table)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        body.setChildrenCollapsible(False)
        self.body = body
        self._body_split = False  # the plots/table split is set at the first show

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.best_label)
        layout.addWidget(self.importance_label)
        layout.addWidget(body, 1)
        self.set_running(False)
        self._draw()  # both plots' dev ranges, as with trials
        self._scale_plot_text()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed
            self._scale_plot_text()

    def _scale_plot_text(self) -> None:
        """The plots' axes and the legend in the view's font, which follows the zoom (the
        legend kept pyqtgraph's 9 pt: small beside 150% text on a 1080-pixel screen)."""
        font, scale = self.font(), text_scale(self)
        for plot in (self.time_plot, self.setting_plot):
            scale_plot_text(plot.getPlotItem(), font, scale)
        legend = self.time_plot.getPlotItem().legend
        if legend is not None:
            legend.setLabelTextSize(f"{font.pointSizeF():.1f}pt")
            for _sample, label in legend.items:  # (setLabelTextSize leaves drawn text as is)
                label.setText(label.text)
            legend.updateSize()

    def showEvent(self, event: Any) -> None:
        """At the first show, 3/5 of the body's height for the plots and 2/5 for the table
        (the splitter alone gives the plots' size hint first, and on a 600-pixel-high
        screen the table then showed two rows)."""
        super().showEvent(event)
        if not self._body_split:
            self._body_split = True
            height = max(self.body.height(), 1)
            self.body.setSizes([height * 3 // 5, height - height * 3 // 5])

    # -- state -----------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.budget.setEnabled(not running)
        self.seed.setEnabled(not running)
        self.test_button.setEnabled(
            not running and self.ended is not None and self.ended.best is not None
        )

    def clear(self) -> None:
        self.trials.clear()
        self.best_times.clear()
        self.best_devs.clear()
        self.ended = None
        self.table.setRowCount(0)
        self.importance_label.setText("")
        self.best_label.setText("")
        self._running.clear()
        self.lecture_line.hide()
        self.best_error.setData(x=np.zeros(0), y=np.zeros(0), height=np.zeros(0))
        self.best_error.hide()
        self._draw()

    def _show_running(self) -> None:
        self.status.setText("\n".join(self._running[n] for n in sorted(self._running)))

    def show_message(self, text: str) -> None:
        self.status.setText(text)

    def show_test(self, loss: float, looks: int) -> None:
        times = "once" if looks == 1 else f"{looks} times"
        self.status.setText(
            f"Test loss of the best trial: {loss:.4f} (the test split was looked at {times} "
            "in this search; the run history keeps it with the trial)."
        )

    def on_event(self, event: object) -> None:
        # one line per trial in training (several at once when the search has workers)
        if isinstance(event, TrialStarted):
            self._running[event.number] = (
                f"Trial {event.number}: {_describe(event.model, event.train)}; training..."
            )
            self._show_running()
        elif isinstance(event, TrialProgress):
            self._running[event.number] = (
                f"Trial {event.number}: step {event.step:,} of {event.steps:,}, "
                f"dev {event.dev_loss:.4f}"
            )
            self._show_running()
        elif isinstance(event, TrialEnded):
            self._running.pop(event.trial.number, None)
            self._add_trial(event.trial, event.best)
        elif isinstance(event, SearchEnded):
            self.ended = event
            self._ended(event)
            self.set_running(False)

    # -- drawing ---------------------------------------------------------------------------
    def _add_trial(self, trial: TrialResult, best: TrialResult | None) -> None:
        self.trials.append(trial)
        if trial.number == 0 and trial.state == "complete":
            self.lecture_line.setValue(trial.dev_loss)
            self.lecture_line.show()
        if best is not None and (not self.best_devs or best.dev_loss < self.best_devs[-1]):
            self.best_times.append(trial.ended_at / 60)
            self.best_devs.append(best.dev_loss)
        if best is not None:
            self.best_label.setText(
                f"Best so far: trial {best.number}, dev {best.dev_loss:.4f} with "
                f"{best.parameters:,} parameters ({_describe(best.model, best.train)})"
            )
        row = self.table.rowCount()
        self.table.insertRow(row)
        dev = f"{trial.dev_loss:.4f}" if math.isfinite(trial.dev_loss) else "-"
        values = (
            str(trial.number),
            SHOWN_STATE[trial.state],
            dev,
            f"{trial.parameters:,}",
            f"{trial.seconds:.1f}",
            _describe(trial.model, trial.train),
        )
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            if column in (0, 2, 3, 4):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            else:  # the settings may be cut (...) in a narrow window: the tooltip has them all
                item.setToolTip(value)
            self.table.setItem(row, column, item)
        self.table.scrollToBottom()
        self._draw()

    def _ended(self, event: SearchEnded) -> None:
        why = {
            "budget": "its time budget ran out",
            "stopped": "you stopped it",
            "max_trials": "it ran all its trials",
        }.get(event.reason, event.reason)
        self.status.setText(
            f"The search ended after {len(event.trials)} trials in "
            f"{event.elapsed / 60:.1f} min ({why})."
        )
        if event.best is not None and event.best_dev is not None:
            est = event.best_dev
            if math.isfinite(est.se):  # a bar of +- one standard error at the best trial
                self.best_error.setData(
                    x=np.array([event.best.ended_at / 60]), y=np.array([est.loss]),
                    height=np.array([2 * est.se]),
                )  # fmt: skip
                self.best_error.show()
                self._fit_time_plot()
            self.best_label.setText(
                f"Best: trial {event.best.number}, dev {est.format()} with "
                f"{event.best.parameters:,} parameters "
                f"({_describe(event.best.model, event.best.train)}). The ± is one standard "
                f"error over dev's {est.names:,} names. This trial was picked because dev "
                f"favoured it among {len(event.trials)}, so dev flatters it: the test split, "
                "looked at once, gives the honest figure."
            )
        if event.importances:
            ranked = ", ".join(f"{k} {v:.2f}" for k, v in list(event.importances.items())[:6])
            self.importance_label.setText(f"What mattered most (Optuna's importance): {ranked}")

    def _points(self, x_of: Any) -> tuple[np.ndarray, ...]:
        """(x, dev) of the complete trials and of the others that measured dev."""
        done = [t for t in self.trials if math.isfinite(t.dev_loss)]
        complete = [t for t in done if t.state == "complete"]
        others = [t for t in done if t.state != "complete"]
        return (
            np.array([x_of(t) for t in complete], dtype=float),
            np.array([t.dev_loss for t in complete], dtype=float),
            np.array([x_of(t) for t in others], dtype=float),
            np.array([t.dev_loss for t in others], dtype=float),
        )

    def _draw(self) -> None:
        x, y, px, py = self._points(lambda t: t.ended_at / 60)
        self.complete_points.setData(x=x, y=y)
        self.pruned_points.setData(x=px, y=py)
        if self.best_devs:
            end = self.trials[-1].ended_at / 60 if self.trials else self.best_times[-1]
            xs = np.array([*self.best_times, max(end, self.best_times[-1])])
            ys = np.array([*self.best_devs, self.best_devs[-1]])
            self.best_curve.setData(x=xs, y=ys, stepMode="left" if len(xs) > 1 else None)
        else:
            self.best_curve.setData([], [])
        self._fit_time_plot()
        self._draw_setting()

    def _fit_time_plot(self) -> None:
        """The time plot's dev range: its trials, and always the lecture's dev (its line)
        and the ends of the best's error bar."""
        _x, y, _px, py = self._points(lambda t: t.ended_at / 60)
        keep = [self.lecture_line.value()] if self.lecture_line.isVisible() else []
        bar_y, bar_h = self.best_error.opts.get("y"), self.best_error.opts.get("height")
        if self.best_error.isVisible() and bar_y is not None and bar_h is not None:
            keep += [*(bar_y - bar_h / 2), *(bar_y + bar_h / 2)]
        self._fit_y(self.time_plot, np.concatenate([y, py]), np.array(keep, dtype=float))

    def _draw_setting(self) -> None:
        label, read, log = SETTINGS[max(0, self.setting.currentIndex())]
        x, y, px, py = self._points(read)
        if log:
            x, px = np.log10(np.maximum(x, 1e-12)), np.log10(np.maximum(px, 1e-12))
        self.setting_points.setData(x=x, y=y)
        self.setting_pruned.setData(x=px, y=py)
        self.setting_plot.setLabel("bottom", f"log10({label})" if log else label)
        self._fit_y(self.setting_plot, np.concatenate([y, py]))

    @staticmethod
    def _fit_y(plot: pg.PlotWidget, values: np.ndarray, keep: np.ndarray | None = None) -> None:
        plot.setYRange(*fit_y(values, keep), padding=0)


def fit_y(values: np.ndarray, keep: np.ndarray | None = None) -> tuple[float, float]:
    """The dev range to show: every trial, but a trial far above the others (one that
    diverged to 20 would squash them) is left out (above Tukey's fence: the upper quartile
    plus 1.5 interquartile ranges, and at least 0.1 above the median); the values of `keep`
    (the lecture's dev, the best's error bar) and the target 2.05 are always in view, and a
    margin of 8% keeps the points at the edges whole (15% at the bottom: the target's label
    hangs below its line)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    kept = np.asarray(keep if keep is not None else [], dtype=float)
    shown = kept[np.isfinite(kept)]
    if len(values):
        q1, median, q3 = (float(q) for q in np.percentile(values, [25, 50, 75]))
        fence = max(q3 + 1.5 * (q3 - q1), median + 0.1)
        shown = np.concatenate([shown, values[values <= fence]])
    if not len(shown):
        return TARGET - 0.05, TARGET + 0.15
    low = min(float(shown.min()), TARGET)
    high = max(float(shown.max()), TARGET + 0.05)
    return low - 0.15 * (high - low), high + 0.08 * (high - low)


def _describe(model: Any, train: Any) -> str:
    parts = [
        f"block {model.block_size}, emb {model.n_embd}, hidden {model.n_hidden}",
        f"batch {train.batch_size}, lr {train.lr:.3g}->{train.lr_after:.2g} {train.schedule}",
        train.init,
    ]
    if model.batchnorm:
        parts.append("BatchNorm")
    if train.weight_decay:
        parts.append(f"wd {train.weight_decay:.1g}")
    return ", ".join(parts)
