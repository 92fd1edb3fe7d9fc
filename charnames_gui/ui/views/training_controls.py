"""Start / Pause / End run / One step, the progress of the run, and its result.

"End run" (not "Stop"): the sampling panel's auto-play has its own Pause, a different action."""

from __future__ import annotations

import html
import math

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.eta import RemainingTime
from charnames_gui.core.events import OneStep, Progress, RunEnded
from charnames_gui.core.stats import format_error
from charnames_gui.core.training_state import TrainingState
from charnames_gui.ui.views.flow_layout import FlowLayout
from charnames_gui.ui.views.step_view import StepView


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


NO_RECORD_TEXT = "your own weights: no training record"
RUN_TITLE = "Run"  # the group's title (none in presentation mode's strip)
ESTIMATING = "estimating…"  # the time left, until the recent rate is steady


# What the ± means, once, in a learner's words (the Guide says more: Help > Guide)
ERROR_NOTE = (
    "<br><small>± its standard error over the split's names: another split of the same "
    "size could give a loss about this much higher or lower.</small>"
)


def with_error(loss: float, se: float | None) -> str:
    """'2.1662 ± 0.006' (just '2.1662' when the error is not known)."""
    return f"{loss:.4f} ± {format_error(se)}" if se is not None else f"{loss:.4f}"


class TrainingControls(QWidget):
    startClicked = Signal()
    pauseClicked = Signal()
    stopClicked = Signal()
    stepClicked = Signal()  # "One step": a single minibatch step of the run

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._total = 0  # the run's planned steps, as the progress bar last said
        self._one_step: int | None = None  # the step One step took the model to
        self._compact = False  # presentation mode's strip (set_compact)
        self.start_button = QPushButton("Start")
        self.start_button.setAccessibleName("Start training")
        self.start_button.setToolTip("Start training the model (Space)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setAccessibleName("Pause training")
        self.pause_button.setToolTip("Pause: keep the model and continue later (Space)")
        self.stop_button = QPushButton("End run")
        self.stop_button.setAccessibleName("End the run")
        self.stop_button.setToolTip(
            "End the run now and measure the loss on the whole train and dev splits (Ctrl+.)"
        )
        self.step_button = QPushButton("One step")
        self.step_button.setAccessibleName("Train one step")
        self.step_button.setShortcut(QKeySequence("Ctrl+Right"))
        self.step_button.setToolTip(
            "Train on a single minibatch and see it: its rows, its loss before and after, and "
            "how the bars of the current context moved (Ctrl+Right)"
        )
        self._remaining = RemainingTime()  # time left from the recent, steady rate
        self.step_view = StepView(self)
        self.step_view.setWindowFlag(Qt.WindowType.Tool)  # a small window of its own
        self.step_view.resize(460, 420)
        for button in (self.start_button, self.pause_button, self.stop_button, self.step_button):
            button.setMinimumHeight(30)
        self.start_button.setStyleSheet("QPushButton:enabled { font-weight: bold; }")
        self.start_button.clicked.connect(self.startClicked)
        self.pause_button.clicked.connect(self.pauseClicked)
        self.stop_button.clicked.connect(self.stopClicked)
        self.step_button.clicked.connect(self.stepClicked)

        self.progress_bar = QProgressBar()
        self.progress_bar.setAccessibleName("Training progress")
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("")  # set_step writes the step count

        self.rate_label = QLabel("–")
        self.elapsed_label = QLabel("–")
        self.left_label = QLabel("–")
        self.result_label = QLabel("Press Start to train.")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label.setAccessibleName("Result of the last run")
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_label = QLabel("Test split: not looked at yet.")
        self.test_label.setAccessibleName("Test loss and how often it was evaluated")
        self.test_label.setToolTip(
            "The test split is for one honest number at the end. Every look at it leaks a "
            "little into your choices, so the app counts the looks (saved in the model file)."
        )
        self.test_label.setTextFormat(Qt.TextFormat.RichText)
        self.test_label.setWordWrap(True)
        for label, name in (
            (self.rate_label, "Steps per second"),
            (self.elapsed_label, "Elapsed time"),
            (self.left_label, "Time left"),
        ):
            label.setAccessibleName(name)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._fix_figure_sizes()

        # The buttons, and the three figures (the step count is in the progress bar), wrap
        # onto more lines when the panel is narrow (large text on a small screen) instead of
        # widening it past the window's share or being cut.
        self._buttons = buttons = FlowLayout()
        for button in (self.start_button, self.pause_button, self.stop_button, self.step_button):
            buttons.addWidget(button)
        self.figures = QWidget()  # hidden in presentation mode, with the result
        flow = FlowLayout(self.figures)
        flow.setContentsMargins(0, 0, 0, 0)
        for name, label in (
            ("Speed", self.rate_label),
            ("Elapsed", self.elapsed_label),
            ("Time left", self.left_label),
        ):
            pair = QWidget()
            row = QHBoxLayout(pair)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(6)
            row.addWidget(QLabel(name))
            row.addWidget(label)
            flow.addWidget(pair)

        self._box = box = QGroupBox(RUN_TITLE)
        inner = QVBoxLayout(box)
        inner.setSpacing(4)
        inner.setContentsMargins(8, 6, 8, 6)
        inner.addLayout(buttons)
        inner.addWidget(self.progress_bar)
        inner.addWidget(self.figures)
        inner.addWidget(self.result_label)
        inner.addWidget(self.test_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)
        self.set_state(TrainingState.NO_MODEL, 0, 1)

    def sizeHint(self) -> QSize:
        """As wide as the buttons on one line (the figures then take two lines)."""
        hint = super().sizeHint()
        box = self._box  # its frame (the style's) and its layout's margins
        frame, layout = box.contentsMargins(), box.layout()
        inner = layout.contentsMargins() if layout is not None else frame
        margins = frame.left() + frame.right() + inner.left() + inner.right()
        hint.setWidth(min(hint.width(), self._buttons.sizeHint().width() + margins))
        return hint

    def _fix_figure_sizes(self) -> None:
        """The figures change several times a second. Qt re-lays out the whole window when
        a widget's size hint changes, unless the widget has a fixed size: so they get one,
        for the longest text each shows (again when the zoom changes the font)."""
        durations = ("88 min 88 s", "888 h 88 min")  # format_duration's longest texts
        widest = {
            self.rate_label: ("888,888 steps/s",),
            self.elapsed_label: durations,
            self.left_label: (*durations, ESTIMATING),
        }
        for label, texts in widest.items():
            metrics = label.fontMetrics()
            width = max(metrics.horizontalAdvance(text) for text in texts)
            label.setFixedSize(width + 4, metrics.height() + 2)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed
            self._fix_figure_sizes()
            self._fit_progress_bar()
            # a style sheet fixes the font when it is applied: apply it again
            self.start_button.setStyleSheet(self.start_button.styleSheet())

    def set_compact(self, compact: bool) -> None:
        """Presentation mode: only the buttons and the progress bar, on one line when there
        is room (the progress bar flows after the buttons), without the group's title."""
        for widget in (self.figures, self.result_label, self.test_label):
            widget.setVisible(not compact)
        if compact == self._compact:
            return
        self._compact = compact
        bar, inner = self.progress_bar, self._box.layout()
        assert isinstance(inner, QVBoxLayout)
        if compact:
            inner.removeWidget(bar)
            self._buttons.addWidget(bar)
            self._box.setTitle("")
        else:
            self._buttons.removeWidget(bar)
            inner.insertWidget(1, bar)  # under the buttons
            self._box.setTitle(RUN_TITLE)
        self._fit_progress_bar()

    def _fit_progress_bar(self) -> None:
        """In a line of the flow the bar is as wide as its longest text needs (the flow gives
        each item its size hint, and a progress bar's is narrow)."""
        if self._compact:
            metrics = self.progress_bar.fontMetrics()
            longest = metrics.horizontalAdvance("step 888,888 / 888,888 (100%)")
            self.progress_bar.setMinimumWidth(longest + 2 * metrics.height())
        else:
            self.progress_bar.setMinimumWidth(0)

    def set_state(
        self,
        state: TrainingState,
        step: int,
        total: int,
        start_queued: bool = False,
        no_record: bool = False,
    ) -> None:
        """start_queued: Start was pressed while PyTorch loads (it starts when loaded).
        no_record: see set_step."""
        running = state == TrainingState.RUNNING
        loading = state == TrainingState.LOADING
        self.start_button.setEnabled(
            state in (TrainingState.READY, TrainingState.PAUSED) or (loading and not start_queued)
        )
        self.start_button.setText(
            "Starting…"
            if start_queued
            else "Resume"
            if state == TrainingState.PAUSED
            else ("Continue" if step > 0 else "Start")
        )
        self.pause_button.setEnabled(running)
        self.step_button.setEnabled(state in (TrainingState.READY, TrainingState.PAUSED))
        self.stop_button.setEnabled(state in (TrainingState.RUNNING, TrainingState.PAUSED,
                                              TrainingState.SWEEPING))  # fmt: skip
        if self._one_step is not None and step < self._one_step:
            self._one_step = None  # another model (or rolled back): its progress counts
        self.set_step(step, total, no_record)
        if state == TrainingState.FINISHED:
            self.left_label.setText("done")
        if not running:  # the rate after a pause, a new model or a step is measured afresh
            self._remaining.reset()
            if state != TrainingState.FINISHED:
                self.left_label.setText("–")
        if loading:
            self.result_label.setText(
                "Training starts as soon as PyTorch has loaded."
                if start_queued
                else "PyTorch is loading (a second or two). Press <b>Start</b> now if you "
                "like: training begins as soon as it has loaded."
            )
        elif self.result_label.text().startswith(("PyTorch is loading", "Training starts")):
            self.result_label.setText("Press Start to train.")
        if running:
            self.result_label.setText(
                "Training... <b>Pause</b> (Space) keeps the model to continue later; "
                "<b>End run</b> ends it and measures the loss on the whole train and dev "
                "splits."
            )

    def set_step(self, step: int, total: int, no_record: bool = False) -> None:
        """no_record: a learner's own weights, not trained here yet; no run is planned, so
        the bar says so instead of "step 0 / 200,000" (trained, they count steps as usual)."""
        self._total = total
        if no_record and step == 0:
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat(NO_RECORD_TEXT)
            return
        permille = int(1000 * min(step, total) / max(total, 1))
        self.progress_bar.setValue(permille)
        self.progress_bar.setFormat(f"step {step:,} / {total:,} ({permille // 10}%)")

    def step_text(self) -> str:
        """What the progress bar says: "step 36,202 / 200,000 (18%)"."""
        return self.progress_bar.format()

    def show_progress(self, progress: Progress) -> None:
        if self._one_step is not None and progress.step < self._one_step:
            return  # sent before the One step shown since: stale
        self.set_step(progress.step, progress.total)
        rate = progress.steps_per_second
        self.rate_label.setText(f"{rate:,.0f} steps/s" if rate > 0 else "–")
        # zero: a new or opened model, nothing trained in this run yet
        elapsed = progress.run_seconds
        self.elapsed_label.setText(format_duration(elapsed) if elapsed > 0 else "–")
        if elapsed <= 0:
            self._remaining.reset()
            self.left_label.setText("–")
            return
        self._remaining.add(elapsed, progress.step)
        left = self._remaining.seconds_left(progress.total)
        # (until the recent rate is steady: no figure rather than a wrong one)
        self.left_label.setText(format_duration(left) if left is not None else ESTIMATING)

    def show_outcome(self, outcome: RunEnded) -> None:
        words = {
            "finished": "Finished",
            "stopped": "Ended",
            "paused": "Paused",
            "diverged": "Diverged",
            "failed": "Failed",
        }[outcome.status]
        if outcome.train_loss is not None and outcome.dev_loss is not None:
            self.result_label.setText(
                f"<b>{words}</b> at step {outcome.step:,} after "
                f"{format_duration(outcome.seconds)} of training.<br>"
                f"Loss on the whole <b>train</b> split: "
                f"<b>{with_error(outcome.train_loss, outcome.train_se)}</b><br>"
                f"Loss on the whole <b>dev</b> split: "
                f"<b>{with_error(outcome.dev_loss, outcome.dev_se)}</b>"
                + ERROR_NOTE
                * (outcome.dev_se is not None)
            )
        elif outcome.status == "paused":
            note = f" {html.escape(outcome.message)}" if outcome.message else ""
            self.result_label.setText(f"<b>Paused</b> at step {outcome.step:,}.{note}")
        else:
            message = html.escape(outcome.message)
            self.result_label.setText(f"<b>{words}</b> at step {outcome.step:,}. {message}")

    def show_step(self, step: OneStep, itos: tuple[str, ...] | list[str]) -> None:
        """A single step was taken: show it in the step window, and its step count here."""
        self.step_view.show_step(step, itos)
        self._one_step = step.step
        self.set_step(step.step, max(self._total, step.step))  # the bar agrees
        self.result_label.setText(  # (not "Paused at" an older step, nor "Press Start")
            f"<b>One step</b> taken: the model is at step {step.step:,}. <b>Start</b> (Space) "
            "goes on training; <b>One step</b> (Ctrl+Right) takes another."
        )
        self.step_view.show()
        self.step_view.raise_()

    def show_message(self, html: str) -> None:
        self.result_label.setText(html)

    def show_test_loss(self, loss: float | None, count: int) -> None:
        """The test loss, always with how often it was looked at."""
        if loss is None or count == 0:
            self.test_label.setText("Test split: not looked at yet.")
            return
        times = "once" if count == 1 else f"{count} times"
        warn = " color:#b00;" if count > 3 else ""
        self.test_label.setText(
            f"<span style='{warn}'>test <b>{loss:.4f}</b>, evaluated {times}</span>"
        )
