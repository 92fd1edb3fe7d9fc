"""The settings from the later lectures (part 3's scaled initialisation and BatchNorm; weight
decay), folded under one line of the hyperparameter panel: the lecture's own settings stay in
front, and the panel keeps its height on a small screen at large zoom. The folded line says
what is set, so a BatchNorm model is never hidden."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.config import MAX_WEIGHT_DECAY
from charnames_gui.ui.views.flow_layout import FlowLayout


class LaterLectures(QWidget):
    """A header button that folds a row holding the initialisation (a combo box whose data is
    'lecture' or 'scaled'), the BatchNorm box and the weight decay."""

    def __init__(self, init: QComboBox, batchnorm: bool, weight_decay: float) -> None:
        super().__init__()
        self.init = init
        self.batchnorm = QCheckBox("BatchNorm")
        self.batchnorm.setChecked(batchnorm)
        self.batchnorm.setToolTip(
            "BatchNorm (makemore part 3), after the hidden layer's pre-activation: each hidden "
            "unit's pre-activation is centred and scaled by its minibatch's mean and std, then "
            "by a learned gain and bias (bngain, bnbias). Evaluation and sampling use running "
            "averages of the mean and std instead. Off in the lecture's model."
        )
        self.batchnorm.setAccessibleName("BatchNorm")
        self.weight_decay = QDoubleSpinBox()
        self.weight_decay.setDecimals(6)
        self.weight_decay.setRange(0.0, MAX_WEIGHT_DECAY)
        self.weight_decay.setSingleStep(0.0001)
        self.weight_decay.setValue(weight_decay)
        self.weight_decay.setKeyboardTracking(False)
        self.weight_decay.setToolTip(
            "Weight decay (L2): each step also pulls C, W1 and W2 towards zero by "
            "weight_decay * p, which discourages large weights and can reduce overfitting. "
            "0 in the lecture."
        )
        self.weight_decay.setAccessibleName("Weight decay")

        self.header = QToolButton()
        self.header.setCheckable(True)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setAutoRaise(True)
        self.header.setAccessibleName("From later lectures")
        self.header.setToolTip("Settings from the later lectures (off in this lecture's model)")
        self.header.setText("Later lectures:")
        self.summary = QLabel()  # what is set, shown while folded
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        header_row = FlowLayout()
        header_row.addWidget(self.header)
        header_row.addWidget(self.summary)
        self.body = QWidget()
        row = FlowLayout(self.body)
        row.setContentsMargins(16, 0, 0, 0)
        row.addWidget(_labelled("Init", self.init))
        row.addWidget(self.batchnorm)
        row.addWidget(_labelled("Weight decay", self.weight_decay))
        self.body.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header_row)
        layout.addWidget(self.body)
        self.header.toggled.connect(self._fold)
        self.init.currentIndexChanged.connect(self._update_header)
        self.batchnorm.toggled.connect(self._update_header)
        self.weight_decay.valueChanged.connect(self._update_header)
        self._update_header()

    def unfolded(self) -> bool:
        return self.header.isChecked()

    def set_unfolded(self, unfolded: bool) -> None:
        self.header.setChecked(unfolded)

    def _fold(self, unfolded: bool) -> None:
        self.body.setVisible(unfolded)
        self._update_header()

    def summary_text(self) -> str:
        """What is set: 'scaled init, BatchNorm, weight decay 0.0001', or 'none' (the
        lecture's model)."""
        used = [] if self.init.currentData() == "lecture" else [f"{self.init.currentData()} init"]
        if self.batchnorm.isChecked():
            used.append("BatchNorm")
        if self.weight_decay.value() > 0:
            used.append(f"weight decay {self.weight_decay.value():g}")
        return ", ".join(used) or "none"

    def _update_header(self) -> None:
        arrow = Qt.ArrowType.DownArrow if self.unfolded() else Qt.ArrowType.RightArrow
        self.header.setArrowType(arrow)
        self.summary.setText(self.summary_text())
        self.summary.setVisible(not self.unfolded())


def _labelled(text: str, field: QWidget) -> QWidget:
    """A label and its field kept together on one line of the flow."""
    pair = QWidget()
    layout = QHBoxLayout(pair)
    layout.setContentsMargins(0, 0, 0, 0)
    label = QLabel(text)
    label.setBuddy(field)
    layout.addWidget(label)
    layout.addWidget(field)
    return pair
