"""What to export of a replay: which view, as what (a video or GIF of the run, or the step
shown as a PNG or SVG), and at which slide size. The file name is asked next (replay.py)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.ui.window.dialogs import fit_to_screen

VIEW_CHOICES = ("embedding", "bars", "hidden")
FORMAT_CHOICES = (".mp4", ".gif", ".png", ".svg")
SIZE_CHOICES = ((1280, 720), (1920, 1080))
DIALOG_WIDTH = 420  # px at 100% text: wraps the longer choices, fits a 1024 px screen at 200%


@dataclass(frozen=True)
class ExportChoice:
    view: str = "embedding"  # one of VIEW_CHOICES
    suffix: str = ".mp4"  # one of FORMAT_CHOICES
    size: tuple[int, int] = (1280, 720)

    @property
    def still(self) -> bool:
        """One picture of the step shown, not the whole run."""
        return self.suffix in (".png", ".svg")


class ReplayExportDialog(QDialog):
    """whole_model: the frames keep every weight (else only the embedding; why_not says why).
    context_text: the sampling context the bars follow; step_text: the step a still shows."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        whole_model: bool,
        why_not: str,
        context_text: str,
        step_text: str,
        chosen: ExportChoice = ExportChoice(),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export the replay")
        layout = QVBoxLayout(self)
        view_texts = {
            "embedding": "The embedding C (one fixed map for every step)",
            "bars": f"The next character after '{context_text}' (the sampling panel's bars)",
            "hidden": "The hidden layer's saturation (white: |h| > 0.99)",
        }
        format_texts = {
            ".mp4": "MP4 video of the whole run",
            ".gif": "Animated GIF of the whole run",
            ".png": f"PNG picture of {step_text}",
            ".svg": f"SVG drawing of {step_text} (sharp at any size)",
        }
        self.views = self._group(layout, "View", view_texts, chosen.view)
        self.formats = self._group(layout, "As", format_texts, chosen.suffix)
        size_texts = {f"{w}x{h}": f"{w} x {h}" for w, h in SIZE_CHOICES}
        self.sizes = self._group(layout, "Size", size_texts, "{}x{}".format(*chosen.size))
        if not whole_model:
            for view in ("bars", "hidden"):
                button = self._button(self.views, view)
                button.setEnabled(False)
                button.setToolTip(f"Only the embedding: {why_not}")
            self._button(self.views, "embedding").setChecked(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Choose a file…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        fit_to_screen(self, QSize(DIALOG_WIDTH, 0))

    def _group(
        self, layout: QVBoxLayout, title: str, texts: dict[str, str], chosen: str
    ) -> QButtonGroup:
        box = QGroupBox(title)
        inner = QVBoxLayout(box)
        group = QButtonGroup(box)
        for key, text in texts.items():
            button = QRadioButton(text)
            button.setObjectName(key)
            button.setChecked(key == chosen)
            group.addButton(button)
            inner.addWidget(button)
        if group.checkedButton() is None:
            group.buttons()[0].setChecked(True)
        layout.addWidget(box)
        return group

    @staticmethod
    def _button(group: QButtonGroup, key: str) -> QRadioButton:
        button = next(b for b in group.buttons() if b.objectName() == key)
        assert isinstance(button, QRadioButton)
        return button

    def select(self, choice: ExportChoice) -> None:
        """Check the buttons of a choice (as the learner's clicks do)."""
        self._button(self.views, choice.view).setChecked(True)
        self._button(self.formats, choice.suffix).setChecked(True)
        self._button(self.sizes, "{}x{}".format(*choice.size)).setChecked(True)

    def choice(self) -> ExportChoice:
        def key(group: QButtonGroup) -> str:
            checked = group.checkedButton()
            return checked.objectName() if checked is not None else ""

        width, height = (int(v) for v in key(self.sizes).split("x"))
        return ExportChoice(key(self.views), key(self.formats), (width, height))
