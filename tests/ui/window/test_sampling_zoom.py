"""The sampling panel at every zoom and size: its texts follow the zoom, the chart's axis title,
tick labels and legend never overlap, and the stepping buttons stay in view."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from helpers import bars_of, context_window_of, name_list_of, named, step_buttons
from PySide6.QtCore import QPoint, QRect, QRectF
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QLabel, QToolButton, QWidget

from charnames_gui.core.config import ModelConfig
from charnames_gui.core.data import Vocabulary
from charnames_gui.core.model import MLP
from charnames_gui.ui.views.sampling_bars import (
    MIN_DATA_LINES,
    TICK_POINT_SIZES,
)
from charnames_gui.ui.views.sampling_panel import SamplingPanel
from charnames_gui.ui.views.text_scale import base_point_size
from charnames_gui.ui.window.app_settings import AppSettings
from charnames_gui.ui.window.zoom import Zoom


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


@pytest.fixture
def zoom(tmp_path) -> Iterator[Zoom]:
    """The app's zoom (it scales the application font); back to 100% after the test."""
    settings = AppSettings.at(tmp_path / "settings.json")
    level = Zoom(settings)
    yield level
    level.set_factor(1.0)


def _panel(qtbot, words: list[str], size: tuple[int, int]) -> SamplingPanel:
    """A shown panel with an untrained model (its first bars are peaked: the note shows)."""
    panel = SamplingPanel()
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    vocab = Vocabulary.from_words(words)
    config = ModelConfig(3, 10, 200, vocab.size)  # the lecture's first model, randn init
    panel.set_model(config, MLP.init(config, "lecture").snapshot(), vocab, same_model=False)
    _settle()
    return panel


def _rect_in(widget: QWidget, ancestor: QWidget, rect: QRectF | QRect | None = None) -> QRect:
    rect = QRect(widget.rect()) if rect is None else QRectF(rect).toAlignedRect()
    return QRect(widget.mapTo(ancestor, rect.topLeft()), rect.size())


def test_every_text_of_the_panel_follows_the_zoom(qtbot, small_words, zoom) -> None:
    panel = _panel(qtbot, small_words, (700, 560))
    bars, window = bars_of(panel), context_window_of(panel)
    assert panel.shown().notice  # the note on peaked first bars is shown

    def sizes() -> dict[str, float]:
        axis = bars.getPlotItem().getAxis("bottom")
        return {
            "note": named(panel, QLabel, "Sampling panel notice").font().pointSizeF(),
            "context characters": window.box_point_size(),
            "context box": window.box_side(),
            "tick labels": bars.tick_point_size(),
            "axis title": float(axis.labelStyle["font-size"].removesuffix("pt")),
            "legend": named(panel, QWidget, "Bar colours").font().pointSizeF(),
            "name": float(
                re.findall(r"font-size:([\d.]+)pt", named(panel, QLabel, "Name so far").text())[0]
            ),
        }

    before = sizes()
    zoom.set_factor(2.0)
    qtbot.waitUntil(lambda: window.box_point_size() > 1.5 * before["context characters"])
    after = sizes()
    for what, size in before.items():
        if what == "tick labels":  # the largest of TICK_POINT_SIZES that fits, zoomed
            assert after[what] / 2 in TICK_POINT_SIZES and size in TICK_POINT_SIZES
        else:
            assert after[what] == pytest.approx(2 * size, rel=0.1), what
    assert named(panel, QLabel, "Sampling panel notice").font().pointSizeF() == pytest.approx(
        2 * base_point_size()
    )
    zoom.set_factor(1.0)
    qtbot.waitUntil(lambda: window.box_point_size() == before["context characters"])
    assert sizes() == before


@pytest.mark.parametrize("factor", [0.75, 1.0, 2.0, 2.5])
@pytest.mark.parametrize("size", [(520, 420), (900, 330), (1300, 600)], ids=str)
def test_the_axis_title_tick_labels_and_legend_never_overlap(
    qtbot, small_words, zoom, factor, size
) -> None:
    zoom.set_factor(factor)
    panel = _panel(qtbot, small_words, size)
    panel.finish_name()
    _settle()
    bars = bars_of(panel)
    title = bars.axis_title_rect()
    assert title.height() > 0
    # the title is inside the chart, below every row of tick labels
    assert QRectF(bars.rect()).contains(title), (title, bars.rect())
    assert title.top() >= bars.tick_text_bottom() - 1
    # and the legend is a row of its own, below the chart
    title_in_panel = _rect_in(bars, panel, title)
    legend = _rect_in(named(panel, QWidget, "Bar colours"), panel)
    assert named(panel, QWidget, "Bar colours").isVisible() and legend.height() > 0
    assert not legend.intersects(title_in_panel), (legend, title_in_panel)
    assert not legend.intersects(_rect_in(bars, panel)), "the legend is laid over the chart"
    # nothing of the stepper is laid over anything else (a wrapped note takes its lines)
    stepper = [
        named(panel, QLabel, "Sampling panel notice"),
        context_window_of(panel),
        bars,
        named(panel, QWidget, "Bar colours"),
        *step_buttons(panel),
    ]
    shown = [_rect_in(w, panel) for w in stepper if w.isVisible()]
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert not a.intersects(b), (a, b)


@pytest.mark.parametrize("factor", [1.0, 2.0])
def test_the_chart_shrinks_first(qtbot, small_words, zoom, factor) -> None:
    """On a low panel the chart keeps only a few lines of bars; its minimum follows the zoom."""
    zoom.set_factor(factor)
    # (tall: at 200% its rows of buttons and fields take two lines each in 700 px)
    panel = _panel(qtbot, small_words, (700, 1100))
    line = panel.fontMetrics().lineSpacing()
    axis = bars_of(panel).getPlotItem().getAxis("bottom").height()
    assert bars_of(panel).minimumHeight() <= axis + (MIN_DATA_LINES + 1) * line
    assert bars_of(panel).minimumHeight() >= axis + (MIN_DATA_LINES - 1) * line  # room for bars
    assert bars_of(panel).height() > bars_of(panel).minimumHeight()  # tall panel: the chart grows


def test_stepping_buttons_in_view_at_1280x720(qtbot, make_window) -> None:
    """The learner's main buttons are visible without scrolling at 1280x720, 100%."""
    window = make_window()
    window.resize(1280, 720)
    _settle()
    window.docks.reset()
    _settle()
    panel = window.sampling_panel
    window.sampling_dock.raise_()
    qtbot.waitUntil(lambda: panel.state is not None)
    _settle()
    for button in step_buttons(panel):
        visible = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
        parent = button.parentWidget()
        while parent is not None and parent is not window:
            visible = visible.intersected(_rect_in(parent, window))
            parent = parent.parentWidget()
        assert visible.size() == button.size(), f"{button.text()} is not fully in view"
        assert isinstance(button, QToolButton)


def test_the_name_tables_rows_follow_the_zoom(qtbot, small_words, zoom) -> None:
    panel = _panel(qtbot, small_words, (700, 560))
    names = name_list_of(panel)
    before = names.row_height()
    assert before >= names.fontMetrics().height()  # a row holds a line of text
    zoom.set_factor(2.0)
    qtbot.waitUntil(lambda: names.row_height() > 1.6 * before)
    assert names.row_height() >= names.fontMetrics().height()


@pytest.mark.parametrize("factor", [1.0, 2.0])
@pytest.mark.parametrize("screen", [(1024, 600), (1280, 720), (1920, 1080)], ids=str)
def test_in_the_window_nothing_of_the_chart_overlaps(qtbot, make_window, screen, factor) -> None:
    window = make_window()
    window.zoom.set_factor(factor)
    window.resize(*screen)
    _settle()
    window.docks.reset()
    _settle()
    window.sampling_dock.raise_()
    panel = window.sampling_panel
    qtbot.waitUntil(lambda: panel.state is not None)
    panel.finish_name()
    _settle()
    bars = bars_of(panel)
    title = _rect_in(bars, panel, bars.axis_title_rect())
    assert QRectF(bars.rect()).contains(bars.axis_title_rect())
    assert bars.axis_title_rect().top() >= bars.tick_text_bottom() - 1
    pieces = [
        named(panel, QLabel, "Sampling panel notice"),
        context_window_of(panel),
        bars,
        named(panel, QWidget, "Bar colours"),
        *step_buttons(panel),
    ]
    shown = [_rect_in(w, panel) for w in pieces if w.isVisible()]
    assert not title.intersects(_rect_in(named(panel, QWidget, "Bar colours"), panel))
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert not a.intersects(b), (a, b)


@pytest.mark.parametrize("factor", [1.0, 2.0])
def test_one_row_of_tick_labels_whenever_one_fits(qtbot, small_words, zoom, factor) -> None:
    """A smaller font on one row beats two rows: the second row would take a line of bars."""
    zoom.set_factor(factor)
    panel = _panel(qtbot, small_words, (1000, 500))
    bars = bars_of(panel)
    font = QFont(bars.font())
    font.setPointSizeF(min(TICK_POINT_SIZES) * factor)
    widest = max(QFontMetrics(font).horizontalAdvance(c) for c in bars.tick_labels()) + 2
    per_bar = bars.getPlotItem().vb.width() / len(bars.tick_labels())
    assert widest <= per_bar  # (this panel is wide enough for one row)
    assert bars.label_rows() == 1
    assert bars.shown_tick_labels() == bars.tick_labels()  # every bar labelled
    bars.setFixedWidth(round(bars.width() * 0.5))  # too narrow for one row at any size
    qtbot.waitUntil(lambda: bars.getPlotItem().vb.width() < per_bar * len(bars.tick_labels()) * 0.6)
    assert widest > bars.getPlotItem().vb.width() / len(bars.tick_labels())
    assert bars.label_rows() == 2
    assert bars.shown_tick_labels() == bars.tick_labels()  # still every bar, staggered


def test_the_context_row_fits_a_narrow_panel_at_large_zoom(qtbot, small_words, zoom) -> None:
    """At 200% in a narrow dock the caption goes above the boxes and the boxes shrink to the
    width (never below their 100% size); a wider panel gets the zoom's boxes back."""
    zoom.set_factor(2.0)
    panel = _panel(qtbot, small_words, (700, 560))
    window = context_window_of(panel)
    qtbot.waitUntil(lambda: window.box_side() == 64)  # 32 px at 100%, doubled
    full_points = window.box_point_size()
    panel.resize(290, 560)
    qtbot.waitUntil(lambda: window.box_side() < 64)
    assert window.box_side() >= 32
    assert window.box_point_size() == pytest.approx(full_points * window.box_side() / 64)
    _settle()
    assert panel.minimumSizeHint().width() <= 290
    for label in window.findChildren(QLabel):  # the caption, boxes, arrow and '?' box
        if label.isVisibleTo(panel):
            rect = _rect_in(label, panel)
            assert rect.left() >= 0 and rect.right() < panel.width(), (label.text(), rect)
    caption = next(w for w in window.findChildren(QLabel) if w.text() == "context")
    boxes = [w for w in window.findChildren(QLabel) if w is not caption and w.isVisibleTo(panel)]
    assert all(_rect_in(b, panel).top() > _rect_in(caption, panel).bottom() for b in boxes)
    panel.resize(700, 560)
    qtbot.waitUntil(lambda: window.box_side() == 64)
    assert window.box_point_size() == full_points
