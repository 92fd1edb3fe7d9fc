"""A row of widgets that wraps onto more lines when its width runs short (Qt's flow layout
example): a row of buttons stays whole at large zoom on a small screen instead of scrolling
sideways. Its minimum width is its widest item; its height follows its width. A widget whose
text wraps (height for width) takes the rest of a line when that is a third of the width or more."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QStyle, QWidget


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, spacing: int = -1) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing  # -1: the style's spacing between widgets
        self._heights: dict[int, int] = {}  # heightForWidth's answers until the next change

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        # asked many times per layout pass (every label or progress change in the panel)
        if width not in self._heights:
            self._heights[width] = self._arrange(QRect(0, 0, width, 0), apply=False)
        return self._heights[width]

    def invalidate(self) -> None:
        self._heights.clear()
        super().invalidate()

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        """Everything on one line."""
        width = sum(item.sizeHint().width() for item in self._visible())
        width += max(0, len(self._visible()) - 1) * self._gap(Qt.Orientation.Horizontal)
        height = max((item.sizeHint().height() for item in self._visible()), default=0)
        return QSize(width, height) + self._margin_size()

    def minimumSize(self) -> QSize:
        """As narrow as the widest item (one item a line)."""
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        return size + self._margin_size()

    # -- placing the items -----------------------------------------------------------------
    def _visible(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def _margin_size(self) -> QSize:
        margins: QMargins = self.contentsMargins()
        return QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _gap(self, orientation: Qt.Orientation) -> int:
        if self._spacing >= 0:
            return self._spacing
        parent = self.parentWidget()
        if parent is None:
            return 6
        metric = (
            QStyle.PixelMetric.PM_LayoutHorizontalSpacing
            if orientation == Qt.Orientation.Horizontal
            else QStyle.PixelMetric.PM_LayoutVerticalSpacing
        )
        gap = parent.style().layoutSpacing(
            QSizePolicy.ControlType.PushButton, QSizePolicy.ControlType.PushButton, orientation
        )
        return gap if gap >= 0 else parent.style().pixelMetric(metric)

    def _arrange(self, rect: QRect, apply: bool) -> int:
        """Lays the items out in lines within rect, each centred in its line's height (when
        apply); returns the height needed."""
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        h_gap, v_gap = self._gap(Qt.Orientation.Horizontal), self._gap(Qt.Orientation.Vertical)
        lines: list[list[tuple[QLayoutItem, QSize]]] = [[]]
        x = area.x()
        for item in self._visible():
            size = _size_within(item, area.width())
            rest = area.right() + 1 - x
            if lines[-1] and size.width() > rest:
                if item.hasHeightForWidth() and rest >= max(item.minimumSize().width(),
                                                            area.width() // 3):  # fmt: skip
                    size = _size_within(item, rest)  # a wrapped text takes the rest
                else:  # a new line
                    lines.append([])
                    x = area.x()
            lines[-1].append((item, size))
            x += size.width() + h_gap
        y = area.y()
        for line in lines:
            height = max((size.height() for _item, size in line), default=0)
            x = area.x()
            for item, size in line:
                if apply:
                    top = y + (height - size.height()) // 2
                    item.setGeometry(QRect(QPoint(x, top), size))
                x += size.width() + h_gap
            y += height + v_gap
        return max(0, y - v_gap - rect.y()) + margins.bottom()


def _size_within(item: QLayoutItem, width: int) -> QSize:
    """The item's preferred size, no wider than width; a wrapped text is as high as its
    lines at that width."""
    hint = item.sizeHint()
    fitted = max(min(hint.width(), width), item.minimumSize().width())
    if item.hasHeightForWidth():
        return QSize(fitted, item.heightForWidth(fitted))
    return QSize(fitted, hint.height())
