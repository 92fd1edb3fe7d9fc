"""The network as one picture for the step the Sampling panel shows: context -> embcat -> h ->
logits -> probs, left to right, each node coloured on its column's scale (the numbers of the
scale under each column). Pointing at a hidden unit draws its column of W1 (from every embcat
node) and its row of W2 (to every logit), coloured on one weight scale, and tells the other
views (UnitFocus) so they mark the same unit. The numbers come from core.network_picture."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QShowEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.network_picture import ColourScale, Column, NetworkPicture
from charnames_gui.ui.views.unit_focus import UnitFocus

if TYPE_CHECKING:  # torch-backed: imported at the first model
    from charnames_gui.core.session import ShownStep

NODE_GAP = 1  # px between two nodes of a column


def colour(scale: ColourScale, value: float) -> QColor:
    """Signed: blue < 0 (white) < red; unsigned: white to dark green."""
    t = scale.position(value)
    if not scale.signed:
        return QColor(
            int(255 * (1 - 0.85 * t)), int(255 * (1 - 0.45 * t)), int(255 * (1 - 0.8 * t))
        )
    if t >= 0:
        return QColor(255, int(255 * (1 - 0.85 * t)), int(255 * (1 - 0.9 * t)))
    t = -t
    return QColor(int(255 * (1 - 0.9 * t)), int(255 * (1 - 0.6 * t)), 255)


@dataclass
class _Placed:
    column: Column
    rect: QRectF  # the nodes' area
    node_height: float

    def node(self, i: int) -> QRectF:
        y = self.rect.top() + i * self.node_height
        return QRectF(self.rect.left(), y, self.rect.width(), max(1.0, self.node_height - NODE_GAP))

    def index_at(self, pos: QPointF) -> int | None:
        if not self.rect.contains(pos):
            return None
        i = int((pos.y() - self.rect.top()) // self.node_height)
        return i if 0 <= i < len(self.column.values) else None


SHORT_NAMES = {"context": "ctx", "embcat": "emb", "logits": "logit", "probs": "p"}


class NetworkView(QWidget):
    """Draws a NetworkPicture; follows the Sampling panel's stepShown (show_step)."""

    def __init__(self, focus: UnitFocus | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Network")
        self.setMouseTracking(True)
        self.setMinimumSize(240, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.focus = focus or UnitFocus(self)
        self.focus.changed.connect(self._on_focus)
        self._picture: NetworkPicture | None = None
        self._message = "Sample a name (Sampling panel) to see the network at work."
        self._pending: ShownStep | None = None
        self._dirty = False
        self._shown_key: tuple[object, ...] | None = None
        self._placed: list[_Placed] = []
        self._unit: int | None = None
        self._timer = QTimer(self)  # at most 10 pictures a second while sampling runs
        self._timer.setSingleShot(True)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._render)

    # -- data ------------------------------------------------------------------------------
    def show_step(self, step: ShownStep | None) -> None:
        self._pending, self._dirty = step, True
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self._render()

    def picture(self) -> NetworkPicture | None:
        return self._picture

    def message(self) -> str:
        return self._message

    def _render(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        step = self._pending
        if step is None:
            self._picture, self._shown_key = None, None
            self._message = "Sample a name (Sampling panel) to see the network at work."
            self.update()
            return
        key = (step.sampler, step.context, step.temperature)
        if self._shown_key == key:
            return
        self._shown_key = key
        from charnames_gui.core.forward import inspect_forward  # a sampler: torch is loaded
        from charnames_gui.core.network_picture import network_picture

        model = step.sampler.model
        try:
            tensors = model.tensors()
            forward = inspect_forward(tensors, model.config, step.sampler.vocab.itos,
                                      list(step.context), step.temperature)  # fmt: skip
            self._picture = network_picture(forward, tensors["W1"].detach().numpy())
        except CharnamesError as exc:
            self._picture, self._message = None, str(exc)
        picture, unit = self._picture, self._unit
        if picture is not None and unit is not None and unit >= picture.forward.config.n_hidden:
            self._unit = None
        self.update()

    def _on_focus(self, unit: object) -> None:
        self._unit = unit if isinstance(unit, int) else None
        self.update()

    def focused_unit(self) -> int | None:
        return self._unit

    # -- geometry --------------------------------------------------------------------------
    def _layout(self) -> list[_Placed]:
        picture = self._picture
        if picture is None:
            return []
        metrics = QFontMetricsF(self.font())
        line = metrics.height()
        top = 2 * line + 4  # the column titles (two lines)
        bottom = self.height() - 2.2 * line - 4  # the colour scales and their numbers
        n = len(picture.columns)
        slot = self.width() / n
        width = max(8.0, min(slot * 0.35, 6 * line))
        placed = []
        for k, col in enumerate(picture.columns):
            count = max(1, len(col.values))
            height = max(1.0, bottom - top)
            node = height / count
            x = slot * k + (slot - width) / 2
            placed.append(_Placed(col, QRectF(x, top, width, node * count), node))
        return placed

    # -- painting --------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        painter.setFont(self.font())
        if self._picture is None:
            painter.drawText(self.rect().adjusted(8, 8, -8, -8),
                             Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignCenter,
                             self._message)  # fmt: skip
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._placed = placed = self._layout()
        self._paint_fixed_links(painter, placed)
        if self._unit is not None:
            self._paint_unit_links(painter, placed, self._unit)
        metrics = QFontMetricsF(self.font())
        text_pen = QPen(self.palette().text().color())
        for p in placed:
            col = p.column
            for i, value in enumerate(col.values):
                rect = p.node(i)
                if col.name == "context":
                    painter.fillRect(rect, QColor(235, 235, 235))
                else:
                    painter.fillRect(rect, colour(col.scale, float(value)))
                if p.node_height >= metrics.height() and col.name in ("context", "logits", "probs"):
                    painter.setPen(text_pen)
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, col.labels[i])
            if col.name == "h" and self._unit is not None:
                painter.setPen(QPen(QColor(0, 0, 0), 2))
                painter.drawRect(p.node(self._unit).adjusted(-3, -1, 3, 1))
            self._paint_title(painter, p, metrics)
            if col.name != "context":
                self._paint_scale(painter, p, metrics)

    def _paint_title(self, painter: QPainter, p: _Placed, metrics: QFontMetricsF) -> None:
        slot = self.width() / max(1, len(self._placed))
        lines = self.title_lines(p.column.name)
        painter.setPen(QPen(self.palette().text().color()))
        centre = p.rect.center().x()
        for k, text in enumerate(lines):
            box = QRectF(centre - slot / 2, k * metrics.height() + 2, slot, metrics.height())
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def title_lines(self, column: str) -> tuple[str, str]:
        """A column's title as drawn, two lines that fit its slot: the name and the formula
        with the shape ("embcat", "C[context]  (30)"), then without the shape, then the name
        and the shape, the name alone, its short form, nothing: never a cut word."""
        picture = self._picture
        if picture is None:
            return ("", "")
        metrics = QFontMetricsF(self.font())
        room = self.width() / max(1, len(picture.columns)) - 4
        title = picture.column(column).title
        head, _, shape = title.partition("  (")
        shape = f"({shape}" if shape else ""
        name, _, formula = head.partition(" = ")
        candidates = [
            (name, f"{formula}  {shape}".strip()),
            (name, formula),
            (name, shape),
            (name, ""),
            (SHORT_NAMES.get(name, name), ""),
            ("", ""),
        ]
        return next(
            lines
            for lines in candidates
            if all(metrics.horizontalAdvance(text) <= room for text in lines)
        )

    def _scale_bar(self, p: _Placed, metrics: QFontMetricsF) -> QRectF:
        slot = self.width() / max(1, len(self._placed))
        left = p.rect.center().x() - slot * 0.4
        return QRectF(left, p.rect.bottom() + 4, slot * 0.8, metrics.height() * 0.6)

    def scale_numbers(self, column: str) -> list[tuple[QRectF, str]]:
        """The numbers under a column's colour bar as drawn, with their boxes: every tick
        with 3 then 2 significant digits, else the two ends, whichever first leaves a gap
        between neighbours (a narrow dock wrote "-1.09-10"); none when not even the ends
        fit (the nodes' tooltips give the values)."""
        placed = [p for p in self._placed if p.column.name == column]
        if not placed:
            return []
        p = placed[0]
        metrics = QFontMetricsF(self.font())
        slot = self.width() / max(1, len(self._placed))
        bar = self._scale_bar(p, metrics)
        gap = metrics.horizontalAdvance(" ")
        ticks = list(p.column.scale.ticks())
        ends = ticks[:: max(1, len(ticks) - 1)]
        for digits, values in ((3, ticks), (2, ticks), (3, ends), (2, ends)):
            boxes = []
            for k, value in enumerate(values):
                text = f"{value:.{digits}g}"
                width = metrics.horizontalAdvance(text) + 2
                at = bar.left() + bar.width() * k / max(1, len(values) - 1)
                left = min(max(at - width / 2, p.rect.center().x() - slot / 2),
                           p.rect.center().x() + slot / 2 - width)  # fmt: skip
                boxes.append((QRectF(left, bar.bottom() + 1, width, metrics.height()), text))
            if all(b[0].left() >= a[0].right() + gap for a, b in itertools.pairwise(boxes)):
                return boxes
        return []

    def _paint_scale(self, painter: QPainter, p: _Placed, metrics: QFontMetricsF) -> None:
        """A colour bar under the column, its ends (and 0) written below it."""
        scale = p.column.scale
        bar = self._scale_bar(p, metrics)
        steps = 24
        for k in range(steps):
            t = k / (steps - 1)
            value = scale.low + t * (scale.high - scale.low)
            cell = QRectF(bar.left() + k * bar.width() / steps, bar.top(),
                          bar.width() / steps + 0.5, bar.height())  # fmt: skip
            painter.fillRect(cell, colour(scale, value))
        painter.setPen(QPen(self.palette().text().color()))
        for box, text in self.scale_numbers(p.column.name):
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_fixed_links(self, painter: QPainter, placed: list[_Placed]) -> None:
        """Links that do not depend on the weights: each context character to its embedding
        slots, each logit to its probability."""
        context, embcat, logits, probs = placed[0], placed[1], placed[3], placed[4]
        painter.setPen(QPen(QColor(180, 180, 180), 1))
        n_embd = len(embcat.column.values) // max(1, len(context.column.values))
        for i in range(len(context.column.values)):
            a = context.node(i)
            for k in range(n_embd):
                b = embcat.node(i * n_embd + k)
                painter.drawLine(
                    QPointF(a.right(), a.center().y()), QPointF(b.left(), b.center().y())
                )
        for i in range(len(logits.column.values)):
            a, b = logits.node(i), probs.node(i)
            painter.drawLine(QPointF(a.right(), a.center().y()), QPointF(b.left(), b.center().y()))

    def _paint_unit_links(self, painter: QPainter, placed: list[_Placed], j: int) -> None:
        """Unit j's column of W1 and row of W2, on one signed weight scale."""
        assert self._picture is not None
        links = self._picture.unit_links(j)
        embcat, hidden, logits = placed[1], placed[2], placed[3]
        unit = hidden.node(j)
        scale = links.weight_scale
        for i, w in enumerate(links.w_in):
            a = embcat.node(i)
            painter.setPen(QPen(colour(scale, float(w)), 0.5 + 2.5 * abs(scale.position(float(w)))))
            painter.drawLine(
                QPointF(a.right(), a.center().y()), QPointF(unit.left(), unit.center().y())
            )
        for c, w in enumerate(links.w_out):
            b = logits.node(c)
            painter.setPen(QPen(colour(scale, float(w)), 0.5 + 2.5 * abs(scale.position(float(w)))))
            painter.drawLine(
                QPointF(unit.right(), unit.center().y()), QPointF(b.left(), b.center().y())
            )

    # -- pointing --------------------------------------------------------------------------
    def node_at(self, pos: QPointF) -> tuple[str, int] | None:
        for p in self._placed:
            i = p.index_at(pos)
            if i is not None:
                return p.column.name, i
        return None

    def hidden_unit_centre(self, j: int) -> QPointF:
        """Where unit j is drawn (for tests and tooltips)."""
        hidden = next(p for p in self._layout() if p.column.name == "h")
        return hidden.node(j).center()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hit = self.node_at(event.position())
        if hit is not None and hit[0] == "h":
            self.focus.set(hit[1])
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self.focus.set(None)
        super().leaveEvent(event)

    def tooltip_at(self, pos: QPointF) -> str:
        """Plain text: the node, its value, and for a hidden unit what it does."""
        hit = self.node_at(pos)
        if hit is None or self._picture is None:
            return ""
        name, i = hit
        col = self._picture.column(name)
        if name == "context":
            return f"context position {i}: {col.labels[i]}"
        text = f"{col.labels[i]}: {name} = {col.values[i]:.4f}"
        if name == "h":
            links = self._picture.unit_links(i)
            raised, lowered = self._picture.forward.unit_effects(i)
            text += (
                f"\nits column of W1 brings hpreact = {links.carried_in.sum():.4f} + b1"
                f"\nraises {', '.join(repr(ch) for ch, _ in raised)}; "
                f"lowers {', '.join(repr(ch) for ch, _ in lowered)}"
            )
        return text

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = event.position() if hasattr(event, "position") else QPointF(event.pos())  # type: ignore[attr-defined]
            text = self.tooltip_at(QPointF(pos))
            if text:
                QToolTip.showText(event.globalPos(), text, self)  # type: ignore[attr-defined]
            else:
                QToolTip.hideText()
            return True
        return super().event(event)
