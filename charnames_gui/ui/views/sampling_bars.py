"""The two views of one sampling step: the context window the model sees, and the bar chart
of the probability of every next character.

One bar per vocabulary entry, labelled with its character. The bar of the character that was
drawn (or that the learner chose) is highlighted; clicking a bar, or its label, asks for that
character instead.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QFont, QFontMetrics, QPalette, QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QToolTip, QWidget

from charnames_gui.core.display import display_char, format_probability
from charnames_gui.ui.views.flow_layout import FlowLayout
from charnames_gui.ui.views.plot_style import cache_axes
from charnames_gui.ui.views.text_scale import text_scale

# Colours readable on white and distinguishable for the common colour-vision deficiencies.
BAR_COLOR = QColor("#4c72b0")  # every character
BOUNDARY_COLOR = QColor("#8c8c8c")  # the boundary token: "the name ends here"
SAMPLED_COLOR = QColor("#dd8452")  # the character that was drawn
FORCED_COLOR = QColor("#8e44ad")  # the character the learner chose instead
AXIS_COLOR = QColor("#333333")
TICK_POINT_SIZES = (11, 10, 9)  # tick label fonts at 100% zoom, largest first
LEFT_AXIS_WIDTH = 48  # pixels at 100% zoom: "0.25" and the title "probability"
LEFT_TITLE = "probability"
MIN_DATA_LINES = 5  # the bars keep at least this many text lines of height
PREFERRED_DATA_LINES = 6  # asked for in the size hint; more when there is room
HELD_TOP = 1.25  # a replay's y axis: all of 0..1, and room above for the chosen bar's value
# its ticks, never past 1: halves always, quarters where the chart is tall enough for them
HELD_TICKS = [[(0.0, "0.0"), (0.5, "0.5"), (1.0, "1.0")], [(0.25, "0.25"), (0.75, "0.75")]]


def _round_up(value: float) -> float:
    """The top of the probability axis: value rounded up to a step of 0.02 below 0.2, 0.05
    below 0.5, 0.1 above (at least 0.02). The axis then keeps its range while a model trains
    and its probabilities drift a little. 1.0 for a value that is not finite (a model that
    diverged has no distribution to show)."""
    if not math.isfinite(value):
        return 1.0
    step = 0.02 if value <= 0.2 else 0.05 if value <= 0.5 else 0.1
    return max(step * math.ceil(round(value / step, 9)), 0.02)


class CharacterAxis(pg.AxisItem):
    """The bottom axis, with its title ("next character") inside the axis's own height,
    below the tick labels. pyqtgraph puts the title 5 px below the axis: out of the plot
    and onto whatever is under it."""

    def resizeEvent(self, ev: object = None) -> None:
        super().resizeEvent(ev)
        if self.label is not None:
            br = self.label.boundingRect()
            self.label.setPos(int(self.size().width() / 2 - br.width() / 2),
                              self.size().height() - br.height())  # fmt: skip

    def title_rect(self) -> QRectF:
        """The title's rectangle in scene coordinates."""
        return self.label.sceneBoundingRect()


class ProbabilityBars(pg.PlotWidget):
    """Bars of a (vocab_size,) distribution, alphabetical or most likely first.

    Emits barClicked(index) with the vocabulary index of the bar (or tick label) clicked.
    """

    barClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            parent, background="w", axisItems={"bottom": CharacterAxis(orientation="bottom")}
        )
        self._labels: list[str] = []  # on-screen label of each vocabulary index
        self._probs = np.zeros(0)  # (vocab_size,) the distribution shown
        self._order = np.zeros(0, dtype=np.int64)  # bar slot -> vocabulary index
        self._chosen: int | None = None
        self._forced = False
        self._by_probability = False
        self._label_rows = 0  # tick labels on one row, or staggered on two (0: not yet set)
        # What the axes show, so that they are redrawn only when it changes: an axis with new
        # ticks or a new range is drawn afresh (~10 ms for the 27 labels and the grid).
        self._shown_ticks: list[tuple[int, str]] | None = None
        self._shown_point_size = 0.0
        self._shown_ranges: tuple[float, int] | None = None
        self._scale = 0.0  # the zoom the text was last sized for (0: not yet)
        self._held = False  # a replay: the y axis holds 0..1 (hold_axis)

        plot = self.getPlotItem()
        cache_axes(plot)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)  # a click chooses a character, it never pans
        plot.showGrid(y=True, alpha=0.25)
        plot.setLabel("left", LEFT_TITLE)
        plot.setLabel("bottom", "next character")
        self._tick_font = QFont()
        self._tick_font.setPointSize(TICK_POINT_SIZES[0])
        bottom = plot.getAxis("bottom")
        bottom.setStyle(tickFont=QFont(self._tick_font), tickLength=0)
        left = plot.getAxis("left")
        for axis in (bottom, left):  # probabilities read as 0.3, never as "300 (x0.001)"
            axis.enableAutoSIPrefix(False)
        for axis in (bottom, left):
            axis.setPen(AXIS_COLOR)
            axis.setTextPen(AXIS_COLOR)

        # Created once and updated in place with setOpts.
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.8, pen=None, brush=BAR_COLOR)
        plot.addItem(self._bars)
        # A pale band behind the chosen bar's column: visible even when its bar is tiny.
        self._column = pg.BarGraphItem(x=[0], height=[0], width=0.96, pen=None)
        self._column.setZValue(-10)
        plot.addItem(self._column)
        self._value = pg.TextItem(anchor=(0.5, 0.0), color=(40, 40, 40))
        plot.addItem(self._value)

        self.setToolTip(
            "The probability the model gives each possible next character, after the "
            "temperature: the distribution the next character is drawn from. Click a bar "
            "(or its label) to use that character instead."
        )
        self.setAccessibleName("Next-character probabilities")
        plot.vb.sigResized.connect(self._update_ticks)  # labels per bar depend on the width
        plot.vb.sigResized.connect(self._fit_left_title)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.scene().sigMouseMoved.connect(self._on_hover)
        self._scale_text()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed
            self._scale_text()

    def _scale_text(self) -> None:
        """Every text of the chart at the zoom: axis titles, tick labels and the value above
        the chosen bar, with the axes' room to match."""
        scale = text_scale(self)
        if scale == self._scale:
            return
        self._scale = scale
        plot = self.getPlotItem()
        font = self.font()
        left = plot.getAxis("left")
        left.setStyle(tickFont=QFont(font), tickTextOffset=max(2, round(3 * scale)))
        left.setWidth(round(LEFT_AXIS_WIDTH * scale))
        for axis in (left, plot.getAxis("bottom")):
            # the title is HTML with a CSS size (the item's own font is ignored)
            axis.labelStyle = {
                "font-size": f"{font.pointSizeF():.1f}pt",
                "color": AXIS_COLOR.name(),
            }
            axis.setLabel(axis.labelText, **axis.labelStyle)
        value_font = QFont(font)
        value_font.setBold(True)
        self._value.setFont(value_font)
        self._shown_point_size = 0.0  # the tick labels and the axis height, sized again
        self._label_rows = 0
        self._update_ticks()
        self._fit_left_title()

    def _fit_left_title(self, *_: object) -> None:
        """ "probability" up the left axis when the chart is tall enough for it, else "p"
        (a short chart on a small screen would cut the word)."""
        axis = self.getPlotItem().getAxis("left")
        word = QFontMetrics(self.font()).horizontalAdvance(LEFT_TITLE) + 8
        title = LEFT_TITLE if self.getPlotItem().vb.height() >= word else "p"
        if axis.labelText != title:
            axis.setLabel(title, **axis.labelStyle)

    def left_title(self) -> str:
        return str(self.getPlotItem().getAxis("left").labelText)

    def sizeHint(self) -> QSize:
        """A few lines more than the minimum (pyqtgraph asks for 480 px): the panel's rows
        below the chart are not pushed out of a dock that follows the hint."""
        lines = PREFERRED_DATA_LINES * self.fontMetrics().lineSpacing()
        return QSize(super().sizeHint().width(), self.minimumHeight() + lines)

    def axis_title_rect(self) -> QRectF:
        """Where "next character" is drawn, in widget coordinates."""
        axis = self.getPlotItem().getAxis("bottom")
        return self.mapFromScene(axis.title_rect()).boundingRect().toRectF()

    def tick_text_bottom(self) -> float:
        """The lowest y (widget coordinates) the bottom axis's tick labels can reach."""
        axis = self.getPlotItem().getAxis("bottom")
        top = self.mapFromScene(axis.sceneBoundingRect()).boundingRect().top()
        metrics = QFontMetrics(self._tick_font)
        return (
            top + axis.style["tickTextOffset"][1] + max(self._label_rows, 1) * metrics.lineSpacing()
        )

    def label_rows(self) -> int:
        """The rows of tick labels: 1, or 2 (staggered) when one row does not fit."""
        return self._label_rows

    def tick_point_size(self) -> float:
        return self._tick_font.pointSizeF()

    # -- state ------------------------------------------------------------------------------
    def set_vocabulary(self, itos: Sequence[str]) -> None:
        self._labels = [display_char(ch) for ch in itos]
        self._probs = np.zeros(len(itos))
        self._chosen = None
        self._update()

    def set_distribution(
        self, probs: np.ndarray, chosen: int | None = None, forced: bool = False
    ) -> None:
        """Show `probs` (vocab_size,), with `chosen` highlighted (drawn, or chosen by the
        learner if `forced`)."""
        if probs.shape != (len(self._labels),):
            raise ValueError(f"expected {len(self._labels)} probabilities, got {probs.shape}")
        self._probs = np.asarray(probs, dtype=np.float64)
        self._chosen = chosen
        self._forced = forced
        self._update()

    def clear_bars(self) -> None:
        self._labels = []
        self._probs = np.zeros(0)
        self._chosen = None
        self._update()

    def hold_axis(self, held: bool) -> None:
        """held (a replay): the y axis is 0..1 on every frame, so scrubbing never redraws it
        (a new scale costs a redraw of the axis and grid) and a bar that grows on screen grows
        in probability. Not held (live): the axis follows the tallest bar."""
        if held == self._held:
            return
        self._held = held
        self.getPlotItem().getAxis("left").setTicks(HELD_TICKS if held else None)
        self._update()

    def axis_held(self) -> bool:
        return self._held

    def y_range(self) -> tuple[float, float]:
        """The probabilities the y axis spans."""
        low, high = self.getPlotItem().vb.viewRange()[1]
        return float(low), float(high)

    def set_by_probability(self, by_probability: bool) -> None:
        """Most likely first (True) or in vocabulary order: the boundary token, then
        alphabetical (False)."""
        self._by_probability = by_probability
        self._update()

    # -- read back (tests, accessibility) ---------------------------------------------------
    def bar_order(self) -> list[int]:
        """The vocabulary index of each bar, left to right."""
        return [int(i) for i in self._order]

    def bar_heights(self) -> np.ndarray:
        return np.asarray(self._bars.opts["height"], dtype=np.float64)

    def tick_labels(self) -> list[str]:
        """The character under each bar, left to right."""
        return [self._labels[i] for i in self._order]

    def shown_tick_labels(self) -> list[str]:
        """The labels actually drawn under the axis (some are skipped when too narrow)."""
        ticks = self.getPlotItem().getAxis("bottom")._tickLevels or [[]]
        return [label.strip() for _, label in ticks[0]]

    def bar_colors(self) -> list[QColor]:
        """The fill colour of each bar, left to right."""
        return [QColor(b) for b in self._bars.opts["brushes"]]

    def value_label(self) -> str:
        """The probability written above the highlighted bar ('' when none is)."""
        return self._value.textItem.toPlainText() if self._value.isVisible() else ""

    def bar_center(self, index: int) -> QPointF:
        """Where the bar of vocabulary index `index` is, in widget coordinates (half-way up,
        or just above the axis for a tiny bar)."""
        slot = int(np.flatnonzero(self._order == index)[0])
        top = float(self._probs[index])
        view_point = QPointF(slot, max(top / 2, 0.0))
        scene_point = self.getPlotItem().vb.mapViewToScene(view_point)
        return QPointF(self.mapFromScene(scene_point))

    # -- drawing ----------------------------------------------------------------------------
    def _update(self) -> None:
        n = len(self._labels)
        probs = self._probs
        if self._by_probability:
            self._order = np.argsort(-probs, kind="stable")
        else:
            self._order = np.arange(n)
        heights = probs[self._order]
        brushes = []
        for i in self._order:
            if i == self._chosen:
                brushes.append(FORCED_COLOR if self._forced else SAMPLED_COLOR)
            elif i == 0:
                brushes.append(BOUNDARY_COLOR)
            else:
                brushes.append(BAR_COLOR)
        self._bars.setOpts(x=np.arange(n), height=heights, width=0.8, brushes=brushes)

        top = float(heights.max()) if n else 1.0
        # headroom for the chosen bar's value above the bars
        y_top = HELD_TOP if self._held else _round_up(top * 1.25)
        if self._shown_ranges != (y_top, n):
            self._shown_ranges = (y_top, n)
            plot = self.getPlotItem()
            plot.setYRange(0.0, y_top, padding=0)
            plot.setXRange(-0.6, max(n, 1) - 0.4, padding=0)
        self._update_ticks()

        if self._chosen is not None and n:
            slot = int(np.flatnonzero(self._order == self._chosen)[0])
            p = float(probs[self._chosen])
            color = FORCED_COLOR if self._forced else SAMPLED_COLOR
            self._value.setText(format_probability(p))
            self._value.setColor(color if self._forced else color.darker(130))
            band = QColor(color)
            band.setAlpha(45)
            self._column.setOpts(x=[slot], height=[y_top], brush=band)
            self._column.setVisible(True)
            # centred over its bar, but kept inside the plot at either end
            if slot == 0:
                self._value.setAnchor((0.0, 0.0))
                self._value.setPos(slot - 0.4, y_top)
            elif slot == n - 1:
                self._value.setAnchor((1.0, 0.0))
                self._value.setPos(slot + 0.4, y_top)
            else:
                self._value.setAnchor((0.5, 0.0))
                self._value.setPos(slot, y_top)
            self._value.setVisible(True)
        else:
            self._value.setVisible(False)
            self._column.setVisible(False)

    def _update_ticks(self, *_: object) -> None:
        """Label every bar when the labels fit; else on two staggered rows (a leading newline
        moves every other label down a line); else every k-th label (hovering names each)."""
        n = len(self._labels)
        axis = self.getPlotItem().getAxis("bottom")
        if n == 0:
            if self._shown_ticks != []:
                self._shown_ticks = []
                axis.setTicks([[]])
            return
        per_bar = max(self.getPlotItem().vb.width(), 1.0) / n
        scale = self._scale or 1.0
        # The largest font that labels every bar on one row; else on two rows (a line less
        # for the bars); else every k-th label at the smallest font.
        for rows, point_size in itertools.product((1, 2), TICK_POINT_SIZES):
            self._tick_font.setPointSizeF(point_size * scale)
            metrics = QFontMetrics(self._tick_font)
            label_width = max(metrics.horizontalAdvance(label) for label in self._labels) + 2
            stride = max(1, math.ceil(label_width / (rows * per_bar)))
            if stride == 1:
                break
        if point_size * scale != self._shown_point_size:
            self._shown_point_size = point_size * scale
            self._label_rows = 0  # the axis's height too
            axis.setStyle(tickFont=QFont(self._tick_font))
        ticks = []
        for slot, i in enumerate(self._order):
            if slot % stride == 0:
                lower = rows == 2 and (slot // stride) % 2 == 1
                ticks.append((slot, ("\n" if lower else "") + self._labels[i]))
        if ticks != self._shown_ticks:
            self._shown_ticks = ticks
            axis.setTicks([ticks])
        if rows != self._label_rows:  # room for the label rows and, below them, the title
            self._label_rows = rows
            title = axis.label.boundingRect().height()
            offset = axis.style["tickTextOffset"][1]
            height = round(offset + metrics.lineSpacing() * rows + 2 + title)
            axis.setHeight(height)
            # the chart shrinks first on a small screen, but keeps a few lines of bars
            self.setMinimumHeight(height + MIN_DATA_LINES * self.fontMetrics().lineSpacing())

    # -- mouse ------------------------------------------------------------------------------
    def _slot_at(self, scene_pos: QPointF) -> int | None:
        """The bar under a scene position: anywhere in its column, or on its label."""
        plot = self.getPlotItem()
        vb = plot.vb
        column = vb.sceneBoundingRect().united(plot.getAxis("bottom").sceneBoundingRect())
        if not column.contains(scene_pos) or not len(self._order):
            return None
        slot = round(vb.mapSceneToView(scene_pos).x())
        return slot if 0 <= slot < len(self._order) else None

    def _on_click(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        slot = self._slot_at(event.scenePos())  # type: ignore[attr-defined]
        if slot is not None:
            self.barClicked.emit(int(self._order[slot]))

    def _on_hover(self, scene_pos: QPointF) -> None:
        slot = self._slot_at(scene_pos)
        if slot is None:
            return
        i = int(self._order[slot])
        text = f"'{self._labels[i]}': probability {format_probability(self._probs[i], 4)}"
        if i == 0:
            text += " (the name ends here)"
        QToolTip.showText(QCursor.pos(), text + "\nClick to use this character.", self)


BOX_STYLES = {
    "boundary": "background:#eeeeee; color:#8c8c8c; border:1px solid #bbbbbb;",
    "char": "background:#ffffff; color:#222222; border:1px solid #4c72b0;",
    "empty": "background:#ffffff; color:#999999; border:1px dashed #999999;",
}


def _box_metrics(block_size: int, scale: float = 1.0) -> tuple[int, float]:
    """(box side in px, font size in pt) at zoom `scale`: readable up to 8 boxes, smaller for
    longer windows (the scroll area takes over beyond the panel's width)."""
    if block_size <= 8:
        side, point_size = 32, 15
    elif block_size <= 16:
        side, point_size = 26, 12
    else:
        side, point_size = 21, 10
    return round(side * scale), point_size * scale


CONTEXT_SPACING = 3  # px between two context boxes
ROW_SPACING = 6  # px between the boxes, the arrow and the next character


class ContextWindow(QWidget):
    """block_size boxes with the characters the model sees, an arrow, and the character that
    came next.

    The boxes grow with the zoom. In a dock too narrow for the row (a small screen at large
    zoom) the caption goes above the boxes, then the boxes shrink to fit the width, never
    below their size at 100% zoom: the row is read without scrolling sideways."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._boxes: list[QLabel] = []
        self._scale = text_scale(self)  # the zoom the boxes are built for
        self._side = 0  # the side of a box now (px): the zoom's, or less in a narrow dock
        self._point_size = 0.0  # the size of the characters in the boxes now (pt)
        self._font_css = ""
        # what is shown (chars, boundary, next, forced), to show again at a new size
        self._shown: tuple[list[str], str, str | None, bool] | None = None
        self._strip = QWidget()
        self._row = QHBoxLayout(self._strip)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(CONTEXT_SPACING)
        self._scroll = QScrollArea()
        self._scroll.setWidget(self._strip)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        # A long window keeps its newest characters (the right end) in view.
        bar = self._scroll.horizontalScrollBar()
        bar.rangeChanged.connect(lambda _low, high: bar.setValue(high))
        self._arrow = QLabel("→")
        self._next = QLabel()
        self._next.setAlignment(Qt.AlignmentFlag.AlignCenter)
        boxes = QWidget()  # the boxes, the arrow and the next character stay on one line
        row = QHBoxLayout(boxes)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(ROW_SPACING)
        row.addWidget(self._scroll)
        row.addWidget(self._arrow)
        row.addWidget(self._next)
        self._caption = QLabel("context")
        _set_text_colour(self._caption, QColor("#555555"))  # (a style sheet would fix its font)
        # the caption goes above the boxes when the dock is too narrow for both on one line
        layout = FlowLayout(self, spacing=ROW_SPACING)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._caption)
        layout.addWidget(boxes)
        self.setAccessibleName("Context window")
        self.setToolTip(
            "The context: the block_size characters the model sees to predict the next one. "
            "A name starts as all boundary tokens; each new character enters on the right and "
            "the oldest drops off the left. The box after the arrow is the character that "
            "came next."
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed: boxes and text follow
            scale = text_scale(self)
            if scale != self._scale:
                self._scale = scale
                self._rebuild(len(self._boxes))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit(event.size().width())

    def sizeHint(self) -> QSize:
        """The caption and the row on one line, boxes at the zoom's size (whatever size
        they have now: a wider dock gets them back)."""
        hint = super().sizeHint()
        if not self._boxes:
            return hint
        side = _box_metrics(len(self._boxes), self._scale)[0]
        width = self._caption.sizeHint().width() + ROW_SPACING + self._row_width(side)
        return QSize(width, hint.height())

    def minimumSizeHint(self) -> QSize:
        """The caption above the row, boxes at their 100% size (or the zoom's, if smaller)."""
        hint = super().minimumSizeHint()
        if not self._boxes:
            return hint
        width = max(self._caption.sizeHint().width(), self._row_width(self._smallest_side()))
        return QSize(width, hint.height())

    def box_point_size(self) -> float:
        """The font size (pt) of the characters in the boxes."""
        return self._point_size

    def box_side(self) -> int:
        """The side of a context box, in pixels (0 without boxes)."""
        return self._boxes[0].width() if self._boxes else 0

    def _smallest_side(self) -> int:
        n = len(self._boxes)
        return min(_box_metrics(n, self._scale)[0], _box_metrics(n, 1.0)[0])

    def _arrow_width(self, point_size: float) -> int:
        font = QFont(self._arrow.font())
        font.setPointSizeF(max(point_size, 1.0))
        return QFontMetrics(font).horizontalAdvance("→") + 2

    def _row_width(self, side: int) -> int:
        """The width of the boxes (up to 8 in view), the arrow and the next box at `side`."""
        n = len(self._boxes)
        shown = min(n, 8)
        full_side, full_point = _box_metrics(n, self._scale)
        point_size = full_point * side / max(full_side, 1)
        strip = shown * side + (shown - 1) * CONTEXT_SPACING + 2
        return strip + ROW_SPACING + self._arrow_width(point_size) + ROW_SPACING + side + 4

    def _fit(self, width: int) -> None:
        """Boxes as large as the zoom makes them, or as fit in `width` (not below 100%)."""
        n = len(self._boxes)
        if not n:
            return
        full_side, full_point = _box_metrics(n, self._scale)
        side = full_side
        smallest = self._smallest_side()
        while side > smallest and self._row_width(side) > width:
            side -= 1
        if side != self._side:
            self._apply_size(side, full_point * side / full_side)

    def _rebuild(self, block_size: int) -> None:
        for box in self._boxes:
            box.deleteLater()
        self._boxes = []
        for _ in range(block_size):
            box = QLabel()
            box.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._row.addWidget(box)
            self._boxes.append(box)
        side, point_size = _box_metrics(block_size, self._scale)
        self._side = -1
        self._apply_size(side, point_size)
        if self.width() > 0 and block_size:
            self._fit(self.width())
        self.updateGeometry()

    def _apply_size(self, side: int, point_size: float) -> None:
        """Boxes of `side` px with characters of `point_size` pt (and what is shown again)."""
        self._side, self._point_size = side, point_size
        block_size = len(self._boxes)
        for box in self._boxes:
            box.setFixedSize(side, side)
        self._font_css = f"font-size:{point_size:.1f}pt; font-family:monospace;"
        self._next.setFixedSize(side + 4, side + 4)
        self._arrow.setStyleSheet(f"font-size:{point_size:.1f}pt; color:#555555;")
        width = max(block_size * side + (block_size - 1) * CONTEXT_SPACING, 0)
        self._strip.setFixedSize(width, side)
        self._scroll.setMaximumWidth(width + 2)
        # Up to 8 boxes always fit; longer windows scroll when the panel is narrow.
        self._scroll.setMinimumWidth(min(width, 8 * (side + CONTEXT_SPACING)) + 2)
        # Room for a horizontal scroll bar only when the window may not fit beside the name.
        bar = self._scroll.horizontalScrollBar().sizeHint().height() if width > 300 else 0
        self._scroll.setFixedHeight(side + bar + 2)
        if self._shown is not None and len(self._shown[0]) == block_size:
            self.set_window(*self._shown)

    def set_window(
        self, chars: list[str], boundary: str, nxt: str | None, forced: bool = False
    ) -> None:
        """Show `chars` (block_size,) and the character `nxt` that followed them (None: not
        drawn yet); `forced` when the learner chose it."""
        self._shown = (list(chars), boundary, nxt, forced)
        if len(chars) != len(self._boxes):
            self._rebuild(len(chars))
        for widget in (self._caption, self._arrow, self._next):
            widget.setVisible(True)
        for box, ch in zip(self._boxes, chars, strict=True):
            kind = "boundary" if ch == boundary else "char"
            _show(box, display_char(ch), BOX_STYLES[kind] + self._font_css + "border-radius:3px;")
        if nxt is None:
            _show(self._next, "?", BOX_STYLES["empty"] + self._font_css + "border-radius:3px;")
        else:
            color = (FORCED_COLOR if forced else SAMPLED_COLOR).name()
            _show(
                self._next,
                display_char(nxt),
                f"background:#ffffff; color:{color}; border:2px solid {color}; "
                f"font-weight:bold; border-radius:3px;" + self._font_css,
            )
        bar = self._scroll.horizontalScrollBar()
        bar.setValue(bar.maximum())

    def clear(self) -> None:
        """No model: no boxes."""
        self._shown = None
        self._rebuild(0)
        for widget in (self._caption, self._arrow, self._next):
            widget.setVisible(False)

    def texts(self) -> list[str]:
        """The characters shown in the boxes, left to right."""
        return [box.text() for box in self._boxes]

    def next_text(self) -> str:
        return self._next.text()


def _set_text_colour(label: QLabel, colour: QColor) -> None:
    """A label's text colour through its palette: unlike a style sheet, it leaves the font
    free to follow the application's (the zoom)."""
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, colour)
    label.setPalette(palette)


def _show(label: QLabel, text: str, style: str) -> None:
    """Set a box's text and style sheet, each only if it changed: a new style sheet makes Qt
    re-polish the widget, which costs far more than the text."""
    if label.text() != text:
        label.setText(text)
    if label.styleSheet() != style:
        label.setStyleSheet(style)
