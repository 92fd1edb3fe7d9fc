"""Runs -> Compare: is B better than A?

Two picks of the runs table (a repeat's mean row stands for its seeds, any other row for its
run) are compared by their dev losses with core.compare.compare_runs: paired by seed when
both used the same seeds, Welch's t otherwise, with a 95% interval and a sentence. The test
split is never looked at. This dialog only shows the answer; RunsView.compare_selected
makes it.

With presets=True the dialog also asks for two presets (Experiments > Compare two presets):
the learner picks A, B, the seeds of each and optionally fewer steps, and presses Train and
compare; the dialog emits presetsRequested and shows the training's progress (with Cancel)
and then the answer. The training runs elsewhere (ui/compare_runner.py).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.compare_request import PresetRequest
from charnames_gui.core.presets import PRESETS
from charnames_gui.core.runs import RunRecord
from charnames_gui.core.stats import MAX_REPEATS

if TYPE_CHECKING:  # scipy- and torch-backed: imported when a comparison is made
    from charnames_gui.core.compare import Comparison
    from charnames_gui.core.compare_presets import PresetComparison, PresetProgress

DEFAULT_PRESETS = ("First model", "Larger hidden layer")  # the lecture's first question
DEFAULT_SEEDS = 4
MAX_STEPS = 1_000_000
# Why two single runs get no interval here, and what does compare them.
SINGLE_RUNS = (
    "The Runs panel keeps each run's settings and losses, not its weights, so two single "
    "runs cannot be compared name by name here. To compare the two models on the same dev "
    "names, save each (File > Save model as...) and run: charnames compare A.safetensors "
    "B.safetensors. To compare the two settings, train each with several seeds (Training > "
    "Repeat with several seeds, or Experiments > Compare two presets) and compare the "
    "repeats' mean rows."
)


def side_text(name: str, runs: list[RunRecord]) -> str:
    """'A: #12–#19, 8 seeds of hidden 200, embd 10, lr 0.1 ...' (plain text)."""
    ids = sorted(r.id for r in runs if r.id is not None)
    where = f"#{ids[0]}–#{ids[-1]}" if len(ids) > 1 else (f"#{ids[0]}" if ids else "unsaved")
    first = runs[0]
    m, t = first.model, first.train
    seeds = f"{len(runs)} seeds" if len(runs) > 1 else f"seed {t.seed}"
    return (
        f"{name}: run {where}, {seeds}: block {m.block_size}, embd {m.n_embd}, hidden "
        f"{m.n_hidden}, batch {t.batch_size}, lr {t.lr:g}, {t.steps:,} steps, {t.init} init"
    )


def interval_text(c: Comparison) -> str:
    """What the numbers are, in one line."""
    if not (math.isfinite(c.low) and math.isfinite(c.high)):
        return f"mean dev loss: A {c.mean_a:.4f}, B {c.mean_b:.4f} ({c.method})"
    return (
        f"mean dev loss: A {c.mean_a:.4f}, B {c.mean_b:.4f}; B minus A {c.difference:+.4f}, "
        f"95% interval {c.low:+.4f} to {c.high:+.4f} ({c.method})"
    )


def preset_side_text(name: str, comparison: PresetComparison, side: int) -> str:
    """'A: First model, 4 seeds of 30,000 steps: block 3, embd 2, hidden 100, ...'."""
    result = comparison.b if side else comparison.a
    m, t = result.model_config, result.train_config
    return (
        f"{name}: {comparison.name_b if side else comparison.name_a}, {len(result.seeds)} seeds "
        f"of {t.steps:,} steps: block {m.block_size}, embd {m.n_embd}, hidden {m.n_hidden}, "
        f"batch {t.batch_size}, lr {t.lr:g}, {t.init} init"
    )


class PresetPicker(QGroupBox):
    """Two presets, the seeds of each and the steps; Train and compare, Cancel, progress."""

    requested = Signal(object)  # PresetRequest
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Train two presets with the same seeds", parent)
        names = [p.name for p in PRESETS]
        self.a_box, self.b_box = QComboBox(), QComboBox()
        for box, name, which in ((self.a_box, DEFAULT_PRESETS[0], "A"),
                                 (self.b_box, DEFAULT_PRESETS[1], "B")):  # fmt: skip
            box.addItems(names)
            box.setCurrentText(name)
            box.setAccessibleName(f"Preset {which}")
            box.currentTextChanged.connect(self._update)
        self.seeds = QSpinBox()
        self.seeds.setRange(2, MAX_REPEATS)
        self.seeds.setValue(DEFAULT_SEEDS)
        self.seeds.setAccessibleName("Seeds of each preset")
        self.seeds.setToolTip(
            "Each preset is trained with these seeds, the same for A and B, all seeds of a "
            "preset together on every core: seed k of A and seed k of B are paired."
        )
        self.steps = QSpinBox()
        self.steps.setRange(0, MAX_STEPS)
        self.steps.setSingleStep(1000)
        self.steps.setGroupSeparatorShown(True)
        self.steps.setSpecialValueText("each preset's own")
        self.steps.setAccessibleName("Steps of each run")
        self.steps.setToolTip(
            "Fewer steps answer sooner, for shorter training: the answer is about the presets "
            "trained this long (a learning-rate decay beyond the end moves to the middle)."
        )
        self.start_button = QPushButton("Train and compare")
        self.start_button.setAccessibleName("Train both presets and compare them")
        self.start_button.clicked.connect(self._start_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the comparison")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Comparison progress")
        form = QFormLayout()
        form.addRow("A:", self.a_box)
        form.addRow("B:", self.b_box)
        form.addRow("Seeds each:", self.seeds)
        form.addRow("Steps:", self.steps)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.running = False
        self.status.setText(
            "Both presets are trained with the same seeds (each preset's seeds together, on "
            "every core), then compared seed by seed. The window stays usable meanwhile."
        )
        self._update()

    def request(self) -> PresetRequest:
        steps = self.steps.value()
        return PresetRequest(self.a_box.currentText(), self.b_box.currentText(),
                             self.seeds.value(), steps or None)  # fmt: skip

    def set_running(self, running: bool) -> None:
        self.running = running
        if running:
            self.progress.setValue(0)
            self.status.setText("Starting the training…")
        self._update()

    def show_progress(self, p: PresetProgress) -> None:
        self.progress.setValue(round(p.fraction * 1000))
        self.status.setText(p.text())

    def _start_clicked(self) -> None:
        if self.a_box.currentText() == self.b_box.currentText():
            self.status.setText("Pick two different presets for A and B.")
            return
        self.requested.emit(self.request())

    def _update(self) -> None:
        for widget in (self.a_box, self.b_box, self.seeds, self.steps, self.start_button):
            widget.setEnabled(not self.running)
        self.cancel_button.setEnabled(self.running)
        self.progress.setVisible(self.running)
        if not self.running and self.a_box.currentText() == self.b_box.currentText():
            self.start_button.setEnabled(False)


class CompareView(QDialog):
    """The answer to one comparison (plain text throughout)."""

    presetsRequested = Signal(object)  # PresetRequest
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None, presets: bool = False) -> None:
        super().__init__(parent)
        title = "Compare two presets" if presets else "Compare runs"
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.picker: PresetPicker | None = None
        if presets:
            self.picker = PresetPicker(self)
            self.picker.requested.connect(self.presetsRequested)
            self.picker.cancelRequested.connect(self.cancelRequested)
        self.sides = QLabel()
        self.sides.setWordWrap(True)
        self.sides.setTextFormat(Qt.TextFormat.PlainText)
        self.answer = QLabel()
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.PlainText)
        self.answer.setAccessibleName("Comparison")
        font = self.answer.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.answer.setFont(font)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel(
            "Lower dev loss is better. The interval is where the true difference of the two "
            "settings lies, 95 times in 100: when it holds 0, the seeds alone could make a "
            "difference this large. Only dev losses are used; the test split stays untouched."
        )
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555555;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = self._layout = QVBoxLayout(self)
        if self.picker is not None:
            layout.addWidget(self.picker)
        for widget in (self.sides, self.answer, self.details, self.note):
            layout.addWidget(widget)
        layout.addWidget(buttons)
        self.setMinimumWidth(min(560, max(360, self.fontMetrics().averageCharWidth() * 70)))
        if presets:  # no answer yet
            self._show("", "", "")

    def show_comparison(self, c: Comparison, a: list[RunRecord], b: list[RunRecord]) -> None:
        details = interval_text(c)
        if not (math.isfinite(c.low) and math.isfinite(c.high)):
            details += "\n" + SINGLE_RUNS
        self._show(f"{side_text('A', a)}\n{side_text('B', b)}", c.sentence(), details)

    def show_refusal(self, why: str, a: list[RunRecord], b: list[RunRecord]) -> None:
        self._show(f"{side_text('A', a)}\n{side_text('B', b)}", why, "")

    def _show(self, sides: str, answer: str, details: str) -> None:
        """The answer's three lines; an empty one takes no room, and the dialog grows to
        fit what it now says (its wrapped labels would be squeezed otherwise)."""
        for label, text in ((self.sides, sides), (self.answer, answer), (self.details, details)):
            label.setText(text)
            label.setVisible(bool(text))
        self._fit()

    def _fit(self) -> None:
        """As tall as the wrapped text needs at this width (adjustSize stops at 2/3 of the
        screen, which squeezed the preset fields at 1024 x 600), never taller than the
        screen's free room."""
        layout = self._layout
        width = max(self.width(), self.minimumWidth(), layout.totalMinimumSize().width())
        if layout.hasHeightForWidth():
            height = layout.totalHeightForWidth(width)
        else:
            height = layout.totalSizeHint().height()
        screen = self.screen()
        room = screen.availableGeometry().height() - 40 if screen is not None else height
        self.resize(width, max(min(height, room), layout.totalMinimumSize().height()))

    # -- two presets ------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        if self.picker is not None:
            self.picker.set_running(running)
        if running:
            self._show("", "", "")

    def show_progress(self, p: PresetProgress) -> None:
        if self.picker is not None:
            self.picker.show_progress(p)

    def show_preset_comparison(self, result: PresetComparison) -> None:
        c = result.comparison
        self._show(
            f"{preset_side_text('A', result, 0)}\n{preset_side_text('B', result, 1)}",
            c.sentence(),
            interval_text(c) + ". Both presets' seeds are rows of the Runs panel now.",
        )
        if self.picker is not None:
            self.picker.status.setText(
                f"Trained in {result.a.seconds + result.b.seconds:.1f} s "
                f"({result.a.seconds:.1f} s for A, {result.b.seconds:.1f} s for B)"
            )

    def show_preset_message(self, text: str) -> None:
        """Why there is no answer (cancelled, failed), in the picker's status line."""
        if self.picker is not None:
            self.picker.status.setText(text)
