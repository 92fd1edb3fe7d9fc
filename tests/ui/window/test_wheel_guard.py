"""The mouse wheel over a panel of fields scrolls the panel unless a field was clicked into."""

from __future__ import annotations

from helpers import wheel_down
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea, QSpinBox, QVBoxLayout, QWidget

from charnames_gui.ui.window.wheel_guard import guard_fields


def test_the_wheel_scrolls_the_panel_not_an_unfocused_field(qtbot) -> None:
    content = QWidget()
    layout = QVBoxLayout(content)
    boxes = []
    for _ in range(30):  # taller than the area: it scrolls
        box = QSpinBox()
        box.setRange(0, 1000)
        box.setValue(200)
        layout.addWidget(box)
        boxes.append(box)
    area = QScrollArea()
    area.setWidget(content)
    area.resize(200, 150)
    qtbot.addWidget(area)
    guard_fields(area)
    area.show()
    qtbot.waitExposed(area)

    bar = area.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    wheel_down(boxes[1])
    assert boxes[1].value() == 200  # the field kept its value
    assert bar.value() > 0  # and the panel scrolled
    assert boxes[1].focusPolicy() == Qt.FocusPolicy.StrongFocus

    boxes[1].setFocus()
    qtbot.waitUntil(boxes[1].hasFocus)
    wheel_down(boxes[1])
    assert boxes[1].value() == 199  # a field clicked into still steps with the wheel
