"""Runs -> Compare: is B better than A?

Two picks of the runs table (a repeat's mean row stands for its seeds, any other row for its
run) are compared by their dev losses with core.compare.compare_runs: paired by seed when
both used the same seeds, Welch's t otherwise, with a 95% interval and a sentence. The test
split is never looked at. This dialog only shows the answer; RunsView.compare_selected
makes it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from charnames_gui.core.runs import RunRecord

if TYPE_CHECKING:  # scipy-backed: imported when a comparison is made
    from charnames_gui.core.compare import Comparison


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


class CompareView(QDialog):
    """The answer to one comparison (plain text throughout)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare runs")
        self.setAccessibleName("Compare runs")
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
        layout = QVBoxLayout(self)
        for widget in (self.sides, self.answer, self.details, self.note):
            layout.addWidget(widget)
        layout.addWidget(buttons)
        self.setMinimumWidth(min(560, max(360, self.fontMetrics().averageCharWidth() * 70)))

    def show_comparison(self, c: Comparison, a: list[RunRecord], b: list[RunRecord]) -> None:
        self.sides.setText(f"{side_text('A', a)}\n{side_text('B', b)}")
        self.answer.setText(c.sentence())
        self.details.setText(interval_text(c))

    def show_refusal(self, why: str, a: list[RunRecord], b: list[RunRecord]) -> None:
        self.sides.setText(f"{side_text('A', a)}\n{side_text('B', b)}")
        self.answer.setText(why)
        self.details.setText("")
