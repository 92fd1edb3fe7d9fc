"""One training step, seen up close: its minibatch, its loss, and how it moved the bars.

    ix = torch.randint(0, Xtr.shape[0], (32,))       # the minibatch: 32 rows "emm → a"
    loss = F.cross_entropy(logits, Ytr[ix])          # before the update ...
    for p in parameters: p.data += -lr * p.grad      # ... and after it, on the same rows

Read-only: it renders a core.events.OneStep (Controller.step_once) and sends nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFontDatabase, QKeyEvent
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from charnames_gui.core.events import OneStep
from charnames_gui.ui.views.sampling_bars import display_char, format_probability

MOVES_SHOWN = 5  # characters listed under "the bars moved"


def moves_text(step: OneStep, itos: tuple[str, ...] | list[str]) -> str:
    """ "after 'emm': a 0.312 → 0.330 (+0.018); ..." for the characters that moved most."""
    if len(step.probs_before) == 0:
        return ""
    context = "".join(display_char(itos[i]) for i in step.probe)
    parts = [
        f"{display_char(itos[i])} {format_probability(before)} → {format_probability(after)} "
        f"({after - before:+.3f})"
        for i, before, after in step.largest_moves(MOVES_SHOWN)
    ]
    return f"After '{context}' the bars moved most for: " + "; ".join(parts)


class StepView(QWidget):
    """What one step did (see the module's docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("One training step")
        self.setAccessibleName("One training step")
        self.summary_label = QLabel("Press One step (Ctrl+Right) to train on a single minibatch.")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setAccessibleName("Loss of the step's minibatch")
        self.moves_label = QLabel("")
        self.moves_label.setWordWrap(True)
        self.moves_label.setTextFormat(Qt.TextFormat.PlainText)
        self.moves_label.setAccessibleName("How the bars of the current context moved")
        self.rows_box = QPlainTextEdit()
        self.rows_box.setReadOnly(True)
        self.rows_box.setAccessibleName("The minibatch: context → next character")
        self._fit_rows_font()
        self.rows_box.setMinimumHeight(120)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)  # (Esc too: keyPressEvent)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.moves_label)
        layout.addWidget(QLabel("The minibatch (context → next character):"))
        layout.addWidget(self.rows_box, 1)
        layout.addWidget(buttons)

    def _fit_rows_font(self) -> None:
        """The rows in a fixed-width font as large as the window's text (it follows the
        zoom; a font set once would not)."""
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        fixed.setPointSizeF(self.font().pointSizeF())
        self.rows_box.setFont(fixed)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed
            self._fit_rows_font()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:  # as a dialog: Esc closes it
            self.close()
            return
        super().keyPressEvent(event)

    def show_step(self, step: OneStep, itos: tuple[str, ...] | list[str]) -> None:
        visible = [display_char(c) for c in itos]
        rows = step.rows(visible)
        self.summary_label.setText(
            f"Step {step.step:,} (lr {step.lr:g}), {len(rows)} examples: loss on this "
            f"minibatch {step.loss_before:.4f} before the update, {step.loss_after:.4f} after "
            f"({step.loss_after - step.loss_before:+.4f})."
        )
        self.moves_label.setText(moves_text(step, itos))
        self.rows_box.setPlainText("\n".join(rows))

    # read-back for tests and screen readers
    def summary(self) -> str:
        return self.summary_label.text()

    def moves(self) -> str:
        return self.moves_label.text()

    def rows(self) -> list[str]:
        text = self.rows_box.toPlainText()
        return text.split("\n") if text else []
