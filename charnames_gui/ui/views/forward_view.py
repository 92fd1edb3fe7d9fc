"""The forward pass of the sampling step shown, stage by stage, top to bottom.

    context                                   indices and characters
    emb = C[torch.tensor([context])]          block_size x n_embd heat map (rows of C)
    embcat = emb.view(1, -1)                  one strip
    hpreact = embcat @ W1 + b1                one strip of n_hidden cells
    h = torch.tanh(hpreact)                   the same, saturated units (|h| > 0.99) marked
    logits = h @ W2 + b2                      one cell per character
    probs = F.softmax(logits, dim=1)          the bars of the Sampling panel

It follows the Sampling panel (Step, Back, a bar clicked, the temperature) through the
panel's stepShown signal. The numbers come from core.forward.inspect_forward; this widget
only lays out cells and paints them. A long strip wraps onto several rows; when even that
would make cells under MIN_CELL px, neighbouring cells are averaged into one (the tooltip
says which units). Work is done only when something changed and the view is visible, at most
MAX_RATE_HZ times a second.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QScrollArea, QToolTip, QVBoxLayout, QWidget

from charnames_gui.core.display import display_char, format_probability
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.saturation import SATURATION

if TYPE_CHECKING:  # torch-backed: imported at the first model (core/forward.py, core/session.py)
    from charnames_gui.core.forward import ForwardPass
    from charnames_gui.core.session import ShownStep

MIN_CELL = 3  # px: narrower cells are averaged in groups
CELL = 14  # px: the preferred side of a cell
MAX_STRIP_ROWS = 8  # a strip wraps onto at most this many rows before cells are grouped
MAX_RATE_HZ = 10  # auto-play may step 30 times a second; the view follows at most this often
MARGIN = 8
TITLE = (
    "The forward pass of the step shown in the Sampling panel, one line of the lecture's code "
    "per stage. Red is positive, blue negative, strongest at the stage's largest |value|; a "
    f"black bar under a unit of h: saturated (|h| > {SATURATION}), tanh is flat there. Hover a "
    "cell for its value."
)
PROBS_NOTE = "probs are the bars of the Sampling panel."
NO_STEP = "No sampling step to show yet: the Sampling panel has no model."


@dataclass
class _Strip:
    """Where one stage's cells are drawn."""

    stage: str
    values: np.ndarray  # (rows, columns) after grouping: what each cell shows
    rect: QRect  # the cells' area
    cell_w: float
    cell_h: float
    columns: int  # cells per row
    group: int  # how many values one cell averages (1: one cell per value)
    count: int  # how many values the stage has
    scale: float  # |value| that gets the strongest colour
    marks: np.ndarray | None = None  # (cells,) fraction saturated, drawn under the cell
    labels: list[str] | None = None  # one per cell, drawn under it when they fit
    row_labels: list[str] | None = None  # one per row, drawn left of it (emb: the characters)
    image: tuple[QPoint, QImage] | None = None  # the cells, made at the first paint

    def index_at(self, pos: QPoint) -> int | None:
        """The cell under `pos` (row-major), or None."""
        if not self.rect.contains(pos):
            return None
        col = int((pos.x() - self.rect.x()) // self.cell_w)
        row = int((pos.y() - self.rect.y()) // self.cell_h)
        index = row * self.columns + col
        cells = math.ceil(self.count / self.group)
        return index if 0 <= col < self.columns and 0 <= index < cells else None

    def center(self, cell: int) -> QPoint:
        row, col = divmod(cell, self.columns)
        return QPoint(
            int(self.rect.x() + (col + 0.5) * self.cell_w),
            int(self.rect.y() + (row + 0.5) * self.cell_h),
        )


def _colors(values: np.ndarray, scale: float) -> np.ndarray:
    """The colour of each value, (n,) -> (n, 3) uint8 RGB: white at 0, red for positive, blue
    for negative, full at |value| >= scale (a NaN as +1; no positive scale: all white)."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if scale > 0:
        with np.errstate(invalid="ignore"):
            t = np.where(np.isnan(v / scale), 1.0, np.clip(v / scale, -1.0, 1.0))
    else:
        t = np.zeros_like(v)
    a = np.abs(t)
    positive = t >= 0
    rgb = np.empty((len(v), 3), dtype=np.uint8)
    rgb[:, 0] = np.where(positive, 255, (255 * (1 - 0.9 * a)).astype(np.int64))
    rgb[:, 1] = np.where(positive, 255 * (1 - 0.85 * a), 255 * (1 - 0.6 * a)).astype(np.int64)
    rgb[:, 2] = np.where(positive, (255 * (1 - 0.9 * a)).astype(np.int64), 255)
    return rgb


def _spans(starts: np.ndarray, size: int, length: int) -> np.ndarray:
    """For each of `length` pixels from 0: the index of the last cell (starting at `starts`,
    `size` px long) that covers it, as fillRect cell after cell leaves it; -1: none."""
    pixels = np.arange(length)
    index = np.searchsorted(starts, pixels, side="right") - 1
    covered = (index >= 0) & (pixels < starts[np.maximum(index, 0)] + size)
    return np.where(covered, index, -1)


def _cells_image(strip: _Strip) -> tuple[QPoint, QImage]:
    """The strip's cells as one image, pixel for pixel what a fillRect per cell paints on the
    white canvas (cell k at int(x), int(y), ceil(w) x int(h); a later cell over an earlier
    one): one drawImage instead of a Python loop over up to 2,000 cells per repaint."""
    flat = strip.values.reshape(-1)
    n = len(flat)
    outline = strip.cell_w >= 6  # a 1 px white gap between cells
    w = math.ceil(max(strip.cell_w - (1 if outline else 0), 1))
    h = int(max(strip.cell_h - 1, 1))
    x0, y0 = strip.rect.x(), strip.rect.y()
    rows = math.ceil(n / strip.columns)
    columns = min(n, strip.columns)
    xs = np.array([int(x0 + c * strip.cell_w) for c in range(columns)]) - x0
    ys = np.array([int(y0 + r * strip.cell_h) for r in range(rows)]) - y0
    width, height = int(xs[-1]) + w, int(ys[-1]) + h
    col = _spans(xs, w, width)  # (width,) the column painted last at each pixel, or -1
    row = _spans(ys, h, height)  # (height,)
    k = row[:, None] * strip.columns + col[None, :]  # (height, width) the cell painted last
    painted = (row[:, None] >= 0) & (col[None, :] >= 0) & (k < n)
    if strip.stage == "context":  # the context's boxes: light grey, their text on top
        rgb = np.full((n, 3), 0xF2, dtype=np.uint8)
    else:
        rgb = _colors(flat, strip.scale)
    pixels = np.full((height, width, 4), 255, dtype=np.uint8)  # white, as the canvas
    pixels[painted, :3] = rgb[k[painted]][:, ::-1]  # RGB32 in memory: B, G, R, 0xFF
    image = QImage(pixels.data, width, height, width * 4, QImage.Format.Format_RGB32).copy()
    return QPoint(x0, y0), image


class ForwardCanvas(QWidget):
    """Paints the stages of one ForwardPass; its height grows with the model.
    unitHovered(int | None): the hidden unit of the hpreact or h strip under the mouse (the
    first of a group of averaged units)."""

    unitHovered = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._focused_unit: int | None = None  # a hidden unit pointed at (UnitFocus)
        self._hovered: int | None = None  # the hidden unit under the mouse (unitHovered)
        self.forward: ForwardPass | None = None
        self.message = NO_STEP
        self._strips: dict[str, _Strip] = {}
        self._lines: list[tuple[int, str, bool]] = []  # (y, text, is code) to draw
        self._code_font = self._label_font = QFont()
        self._make_fonts()
        self.setMouseTracking(True)
        self.setMinimumWidth(120)  # the scroll area only scrolls vertically: follow its width

    def _make_fonts(self) -> None:
        """The code and cell-label fonts, from the widget's font (which follows the zoom):
        the layout measures with exactly the font the painter draws with."""
        base = self.font()
        self._code_font = QFont(base)
        self._code_font.setFamilies(["monospace"])
        self._code_font.setStyleHint(QFont.StyleHint.Monospace)
        self._code_font.setFixedPitch(True)
        self._label_font = QFont(base)
        if base.pointSizeF() > 0:
            self._label_font.setPointSizeF(max(base.pointSizeF() - 1, 7))

    def code_font(self) -> QFont:
        return QFont(self._code_font)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # zoomed: measure again with the new size
            self._make_fonts()
            self._layout()
            self.updateGeometry()
            self.update()

    def set_forward(self, forward: ForwardPass | None, message: str = "") -> None:
        self.forward = forward
        self.message = message or (NO_STEP if forward is None else "")
        self._layout()
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        old = self.minimumHeight()
        self._layout()
        if self.minimumHeight() != old:
            self.updateGeometry()

    # -- layout -----------------------------------------------------------------------------
    def _layout(self) -> None:
        self._strips = {}
        self._lines = []
        fm = QFontMetrics(self.font(), self)
        code = QFontMetrics(self._code_font, self)
        width = max(self.width() - 2 * MARGIN, 100)
        y = MARGIN
        self._lines.append((y, TITLE, False))
        y += _text_height(fm, TITLE, width) + 6
        fp = self.forward
        if fp is None:
            self._lines.append((y, self.message, False))
            self.setMinimumHeight(y + fm.height() + MARGIN)
            return
        c = fp.config
        label_h = QFontMetrics(self._label_font, self).height()
        for stage in fp.stages():
            self._lines.append((y, stage.line, True))
            y += _text_height(code, stage.line, width) + 2  # a narrow view wraps the line
            if stage.name == "probs":
                self._lines.append((y, PROBS_NOTE, False))
                y += _text_height(fm, PROBS_NOTE, width) + 4
                continue
            if stage.name == "context":
                chars = [display_char(ch) for ch in fp.context_chars]
                labels = [f"{ch} {i}" for ch, i in zip(chars, fp.context, strict=True)]
                side = max(fm.horizontalAdvance(lab) for lab in labels) + 8
                cell = max(side, CELL * 2)
                strip = self._strip("context", np.zeros(c.block_size), y, width, 1.0,
                                    cell=cell, labels=labels, label_inside=True)  # fmt: skip
            elif stage.name == "emb":
                if c.block_size <= 6:
                    rows = ", ".join(f"C[{i}]" for i in fp.context)
                    note = f"the rows {rows} of C, one per context position"
                else:  # a list of 32 rows says less than the labelled grid
                    note = "the row of C for each context position, its character on the left"
                note += " (orange in Embedding)"
                self._lines.append((y, note, False))
                y += _text_height(fm, note, width) + 2
                chars = [display_char(ch) for ch in fp.context_chars]
                strip = self._grid("emb", fp.emb, y, width, chars)
            elif stage.name in ("hpreact", "h"):
                marks = fp.saturated.astype(np.float64) if stage.name == "h" else None
                scale = 1.0 if stage.name == "h" else float(np.abs(fp.hpreact).max())
                strip = self._strip(stage.name, stage.values.reshape(-1), y, width, scale,
                                    marks=marks)  # fmt: skip
            elif stage.name == "logits":
                labels = [display_char(ch) for ch in fp.itos]
                strip = self._strip("logits", fp.logits, y, width,
                                    float(np.abs(fp.logits).max()), labels=labels)  # fmt: skip
            else:  # embcat
                strip = self._strip("embcat", fp.embcat, y, width,
                                    float(np.abs(fp.embcat).max()))  # fmt: skip
            self._strips[stage.name] = strip
            y = strip.rect.bottom() + 1 + (3 if strip.marks is not None else 0)
            if strip.labels is not None and stage.name != "context":
                y += label_h
            y += 8
        self.setMinimumHeight(y + MARGIN)

    def _strip(
        self,
        stage: str,
        values: np.ndarray,
        y: int,
        width: int,
        scale: float,
        *,
        cell: int = CELL,
        marks: np.ndarray | None = None,
        labels: list[str] | None = None,
        label_inside: bool = False,
    ) -> _Strip:
        """One stage's values as cells, wrapped onto rows, grouped when too many."""
        n = len(values)
        columns = max(1, min(n, width // cell))
        cell_w = float(cell)
        group = 1
        rows = math.ceil(n / columns)
        if rows > MAX_STRIP_ROWS:  # narrower cells first, then groups of cells
            cell_w = max(width / math.ceil(n / MAX_STRIP_ROWS), MIN_CELL)
            columns = max(1, int(width // cell_w))
            group = max(1, math.ceil(n / (columns * MAX_STRIP_ROWS)))
            rows = math.ceil(math.ceil(n / group) / columns)
        grouped = _group_mean(values, group)
        grouped_marks = _group_mean(marks, group) if marks is not None else None
        cell_h = float(cell if label_inside else min(cell, CELL))
        squeezed = group > 1 or cell_w < (cell if label_inside else 9)
        if labels is not None and (squeezed or (rows > 1 and not label_inside)):
            labels = None  # no room to write them: the tooltip names each cell
        rect = QRect(MARGIN, y, math.ceil(columns * cell_w), int(rows * cell_h))
        return _Strip(stage, grouped, rect, cell_w, cell_h, columns, group, n,
                      scale or 1.0, grouped_marks, labels)  # fmt: skip

    def _grid(
        self, stage: str, values: np.ndarray, y: int, width: int, row_labels: list[str]
    ) -> _Strip:
        """emb: one row per context position (its character left of it), one column per
        embedding dimension."""
        rows, n_embd = values.shape
        label_w = max(QFontMetrics(self._label_font, self).horizontalAdvance(t) for t in row_labels)
        label_w += 6
        width = max(width - label_w, 40)
        cell_w = float(max(min(CELL, width // max(n_embd, 1)), MIN_CELL))
        group = max(1, math.ceil(n_embd * cell_w / width)) if n_embd * cell_w > width else 1
        grouped = np.stack([_group_mean(row, group) for row in values])  # (rows, cols)
        columns = grouped.shape[1]
        cell_h = float(max(min(CELL, 360 // max(rows, 1)), 4))
        rect = QRect(MARGIN + label_w, y, math.ceil(columns * cell_w), int(rows * cell_h))
        strip = _Strip(stage, grouped, rect, cell_w, cell_h, columns, group, n_embd,
                       float(np.abs(values).max()) or 1.0)  # fmt: skip
        if cell_h >= QFontMetrics(self._label_font, self).height() * 0.7:  # room to write them
            strip.row_labels = row_labels
        strip.count = rows * columns * group  # every cell of the grid is hoverable
        return strip

    # -- painting ---------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        width = max(self.width() - 2 * MARGIN, 100)
        for y, text, is_code in self._lines:
            painter.setFont(self._code_font if is_code else self.font())
            painter.setPen(QColor("#1f3b73") if is_code else QColor("#333333"))
            painter.drawText(QRect(MARGIN, y, width, 1000), Qt.TextFlag.TextWordWrap, text)
        painter.setFont(self._label_font)
        for strip in self._strips.values():
            self._paint_strip(painter, strip)
        unit = self._focused_unit
        if unit is not None and self.forward is not None and unit < self.forward.config.n_hidden:
            painter.setPen(QPen(QColor("black"), 2))  # the unit pointed at in another view
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for stage in ("hpreact", "h"):
                if stage in self._strips:
                    strip = self._strips[stage]
                    c = self.cell_center(stage, unit)
                    w, h = max(strip.cell_w, 4.0), max(strip.cell_h, 4.0)
                    painter.drawRect(QRectF(c.x() - w / 2 - 1, c.y() - h / 2 - 1, w + 2, h + 2))
        painter.end()

    def set_focused_unit(self, unit: object) -> None:
        """Mark hidden unit `unit` (int) in the hpreact and h strips; None: no mark."""
        self._focused_unit = unit if isinstance(unit, int) else None
        self.update()

    def _paint_strip(self, painter: QPainter, strip: _Strip) -> None:
        inside = strip.stage == "context"
        if strip.image is None:
            strip.image = _cells_image(strip)
        origin, image = strip.image
        painter.drawImage(origin, image)
        if strip.marks is not None:  # saturated: a dark bar under the cell
            w = math.ceil(max(strip.cell_w - (1 if strip.cell_w >= 6 else 0), 1))
            for cell in np.flatnonzero(strip.marks > 0).tolist():
                x = strip.rect.x() + cell % strip.columns * strip.cell_w
                y = strip.rect.y() + cell // strip.columns * strip.cell_h
                painter.fillRect(int(x), int(y + strip.cell_h - 3), w, 3,
                                 QColor(0, 0, 0, int(80 + 175 * strip.marks[cell])))  # fmt: skip
        if strip.row_labels is not None:
            painter.setPen(QColor("#333333"))
            for row, label in enumerate(strip.row_labels):
                cy = int(strip.rect.y() + row * strip.cell_h)
                painter.drawText(QRect(MARGIN, cy, strip.rect.x() - MARGIN - 4, int(strip.cell_h)),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                                 label)  # fmt: skip
        if strip.labels is not None:
            painter.setPen(QColor("#333333"))
            for k, label in enumerate(strip.labels):
                row, col = divmod(k, strip.columns)  # the context may wrap onto rows
                cx = strip.rect.x() + col * strip.cell_w
                cy = int(strip.rect.y() + row * strip.cell_h) if inside else strip.rect.bottom() + 1
                h = int(strip.cell_h) if inside else QFontMetrics(self._label_font, self).height()
                painter.drawText(QRect(int(cx), cy, int(strip.cell_w), h),
                                 Qt.AlignmentFlag.AlignCenter, label)  # fmt: skip

    # -- hover ------------------------------------------------------------------------------
    def unit_at(self, pos: QPoint) -> int | None:
        """The hidden unit whose hpreact or h cell is at pos (a group's first unit)."""
        for stage in ("hpreact", "h"):
            strip = self._strips.get(stage)
            cell = strip.index_at(pos) if strip is not None else None
            if strip is not None and cell is not None:
                return cell * strip.group
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        self._hover(self.unit_at(event.position().toPoint()))

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        self._hover(None)

    def _hover(self, unit: int | None) -> None:
        if unit != self._hovered:
            self._hovered = unit
            self.unitHovered.emit(unit)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            help_event = event
            text = self.tooltip_at(help_event.pos())
            if text:
                QToolTip.showText(help_event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def cell_center(self, stage: str, index: int) -> QPoint:
        """Where the cell showing value `index` of `stage` is (for tests and accessibility);
        for emb, index = position * n_embd + dimension."""
        strip = self._strips[stage]
        if stage == "emb" and self.forward is not None:
            row, dim = divmod(index, self.forward.config.n_embd)
            return strip.center(row * strip.columns + dim // strip.group)
        return strip.center(index // strip.group)

    def strip_geometry(self, stage: str) -> tuple[float, QRect]:
        """(cell width in px, the area of the cells) of `stage`."""
        strip = self._strips[stage]
        return strip.cell_w, QRect(strip.rect)

    def text_lines(self) -> list[tuple[int, str]]:
        """(y, text) of every line of text drawn: the title, the code lines, the notes."""
        return [(y, text) for y, text, _code in self._lines]

    def cell_labels(self, stage: str) -> list[str]:
        """The labels written on or under the cells of `stage` (none when they do not fit)."""
        return list(self._strips[stage].labels or [])

    def row_labels(self, stage: str) -> list[str]:
        """The labels drawn left of the rows of `stage` (emb: the context's characters)."""
        return list(self._strips[stage].row_labels or [])

    def strip_cells(self, stage: str) -> int:
        """How many cells `stage` is drawn with (fewer than its values when grouped)."""
        return int(self._strips[stage].values.size)

    def tooltip_at(self, pos: QPoint) -> str:
        """What hovering at `pos` tells: the value of the cell there, and for a hidden unit or
        a logit, where it comes from and what it does."""
        fp = self.forward
        if fp is None:
            return ""
        for name, strip in self._strips.items():
            cell = strip.index_at(pos)
            if cell is None:
                continue
            if name == "emb":
                row, col = divmod(cell, strip.columns)
                dims = range(col * strip.group, min((col + 1) * strip.group, fp.config.n_embd))
                if not len(dims):
                    return ""
                ch = display_char(fp.itos[fp.context[row]])
                ix = fp.context[row]
                if len(dims) == 1:
                    d = dims[0]
                    return f"emb[0, {row}, {d}] = C[{ix}, {d}] = {fp.emb[row, d]:.4f}  ('{ch}')"
                mean = float(fp.emb[row, dims.start : dims.stop].mean())
                return (f"emb[0, {row}, {dims.start}:{dims.stop}] = C[{ix}, "
                        f"{dims.start}:{dims.stop}] ('{ch}'): mean {mean:.4f}")  # fmt: skip
            first = cell * strip.group
            last = min(first + strip.group, strip.count)
            if strip.group > 1:
                return self._group_tip(name, first, last)
            return self._tip(name, first)
        return ""

    def _tip(self, name: str, i: int) -> str:
        fp = self.forward
        assert fp is not None
        if name == "context":
            ch = display_char(fp.itos[fp.context[i]])
            return (
                f"context[{i}] = {fp.context[i]}: '{ch}'; emb[0, {i}] is row {fp.context[i]} of C"
            )
        if name == "embcat":
            n = fp.config.n_embd
            return f"embcat[0, {i}] = emb[0, {i // n}, {i % n}] = {fp.embcat[i]:.4f}"
        if name in ("hpreact", "h"):
            raised, lowered = fp.unit_effects(i)
            up = ", ".join(f"'{display_char(c)}' {w:+.2f}" for c, w in raised)
            down = ", ".join(f"'{display_char(c)}' {w:+.2f}" for c, w in lowered)
            saturated = f" (saturated: |h| > {SATURATION})" if abs(fp.h[i]) > SATURATION else ""
            return (
                f"hidden unit {i}: hpreact = {fp.hpreact[i]:.4f}, h = tanh = {fp.h[i]:.4f}"
                f"{saturated}\nraises the logits of {up}\nlowers the logits of {down}"
                "\n(its largest and smallest weights in W2)"
            )
        if name == "logits":
            ch = display_char(fp.itos[i])
            parts = "\n".join(
                f"  unit {j}: h[{j}] * W2[{j}, {i}] = {v:+.4f}"
                for j, v in fp.logit_contributions(i)
            )
            return (
                f"logit of '{ch}' = {fp.logits[i]:.4f} (p = {format_probability(fp.probs[i])})"
                f"\nlargest contributions:\n{parts}"
            )
        return ""

    def _group_tip(self, name: str, first: int, last: int) -> str:
        fp = self.forward
        assert fp is not None
        values = getattr(fp, name)[first:last]
        text = (
            f"{name}[{first}:{last}] ({last - first} values in one cell): mean {values.mean():.4f},"
            f" from {values.min():.4f} to {values.max():.4f}"
        )
        if name == "h":
            text += f"\n{int(fp.saturated[first:last].sum())} of {last - first} saturated"
        return text


def _text_height(metrics: QFontMetrics, text: str, width: int) -> int:
    """The height of `text` word-wrapped to `width` px."""
    return metrics.boundingRect(QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, text).height()


def _group_mean(values: np.ndarray, group: int) -> np.ndarray:
    """The mean of each run of `group` values (the last run may be shorter)."""
    if group <= 1:
        return np.asarray(values, dtype=np.float64)
    n = len(values)
    padded = np.full(math.ceil(n / group) * group, np.nan)
    padded[:n] = values
    return np.nanmean(padded.reshape(-1, group), axis=1)


class ForwardView(QWidget):
    """A scrolling ForwardCanvas that follows the Sampling panel's stepShown signal."""

    def __init__(
        self, parent: QWidget | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """clock: seconds, for the rate limit (tests give one that has always moved on)."""
        super().__init__(parent)
        self.canvas = ForwardCanvas()
        scroll = QScrollArea()
        scroll.setWidget(self.canvas)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.setAccessibleName("Forward pass")
        self._pending: ShownStep | None = None  # waiting to be shown
        self._dirty = False
        self._shown: tuple[object, ...] | None = None  # (sampler, context, temperature)
        self._last_render = -math.inf
        self._clock = clock
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._render)

    def show_step(self, step: ShownStep | None) -> None:
        """Show the forward pass of `step` (None: nothing to show)."""
        self._pending = step
        self._dirty = True
        if not self.isVisible():
            return  # computed when the view is shown
        wait = 1.0 / MAX_RATE_HZ - (self._clock() - self._last_render)
        if wait <= 0:
            self._render()
        elif not self._timer.isActive():
            self._timer.start(int(wait * 1000) + 1)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self._render()

    def forward(self) -> ForwardPass | None:
        return self.canvas.forward

    def has_pending(self) -> bool:
        """A step waits to be shown (the rate limit's timer is running)."""
        return self._dirty and self.isVisible()

    def _render(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self._last_render = self._clock()
        step = self._pending
        if step is None:
            self._shown = None
            self.canvas.set_forward(None)
            return
        from charnames_gui.core.forward import inspect_forward  # a sampler: torch is loaded

        sampler = step.sampler
        key = (step.context, step.temperature)
        if self._shown is not None and self._shown[0] is sampler and self._shown[1:] == key:
            return  # the same weights, context and temperature: nothing to recompute
        self._shown = (sampler, *key)
        model = sampler.model
        try:
            forward = inspect_forward(
                model.tensors(), model.config, sampler.vocab.itos,
                list(step.context), step.temperature,
            )  # fmt: skip
        except CharnamesError as exc:
            self.canvas.set_forward(None, str(exc))
            return
        self.canvas.set_forward(forward)
