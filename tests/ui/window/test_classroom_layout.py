"""In front of a class (issue 24): at 1024 x 600, 1280 x 720 and 1920 x 1080, at 100%, 150% and
200%, in the normal layout and in presentation mode, every text grows with the zoom, no text
is cut (a panel that scrolls may bring it into view), no label sits over the data, and the
probability texts show all their digits. Geometry, not pixels: fonts, rectangles, size hints.

One window goes through every screen size, zoom and mode (a window costs more than the
checks); each tab of a dock group is raised in turn."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRect
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDockWidget,
    QLabel,
    QScrollArea,
    QTabBar,
    QTableView,
    QWidget,
)

from charnames_gui.core.display import format_probability
from charnames_gui.ui.views.sampling_bars import ProbabilityBars
from charnames_gui.ui.views.text_scale import base_point_size
from charnames_gui.ui.window.main_window import MainWindow

SCREENS = [(1024, 600), (1280, 720), (1920, 1080)]
ZOOMS = [1.0, 1.5, 2.0]
CHOICES = (["Loss", "Sampling"], ["Forward pass", "Hidden layer"], ["Embedding", "Network"])


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def _rect_in(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


def _visible_part(widget: QWidget, window: QWidget) -> QRect:
    """The widget's rectangle in the window, cut by every ancestor (scroll viewports, docks)."""
    visible = _rect_in(widget, window)
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        visible = visible.intersected(_rect_in(parent, window))
        parent = parent.parentWidget()
    return visible.intersected(window.rect())


def _bring_into_view(widget: QWidget) -> None:
    """What a learner does with the scroll bars (scrolling moves the content at once)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea) and parent.widget() is not None:
            content = parent.widget()
            if content.isAncestorOf(widget):
                centre = widget.mapTo(content, widget.rect().center())
                parent.ensureVisible(centre.x(), centre.y(), widget.width() // 2 + 1,
                                     widget.height() // 2 + 1)  # fmt: skip
        parent = parent.parentWidget()


def _shown(widget: QWidget, window: QWidget) -> bool:
    """On screen now: visible and inside the window."""
    return widget.isVisibleTo(window) and _rect_in(widget, window).intersects(window.rect())


def _texts(window: MainWindow) -> list[QWidget]:
    """The labels, buttons and tab bars on screen."""
    found: list[QWidget] = []
    for kind in (QLabel, QAbstractButton, QTabBar):
        for w in window.findChildren(kind):
            inner = w.objectName().startswith("qt_") and not isinstance(w, QTabBar)
            if inner or not _shown(w, window):
                continue
            if isinstance(w, (QLabel, QAbstractButton)) and not w.text():
                continue
            found.append(w)
    return found


def _name(widget: QWidget) -> str:
    if isinstance(widget, (QLabel, QAbstractButton)):
        name = widget.accessibleName() or type(widget.parentWidget()).__name__
        return f"{type(widget).__name__} {widget.text()[:40]!r} ({name})"
    if isinstance(widget, QTabBar):
        tabs = [widget.tabText(i) for i in range(widget.count())]
        return f"tabs {tabs}"
    return type(widget).__name__


def _cut(widget: QWidget, window: MainWindow) -> str:
    """'' when the widget's text has the room it needs and can be brought into view."""
    what = _name(widget)
    if isinstance(widget, QLabel):
        if widget.wordWrap():
            needed = widget.heightForWidth(widget.width())
            if needed > widget.height() + 1:
                return f"{what}: needs {needed} px of height, has {widget.height()}"
        elif widget.minimumSize() == widget.maximumSize():  # fixed: room for its widest text
            metrics = QFontMetricsF(widget.font())
            widest = max(metrics.horizontalAdvance(line) for line in widget.text().split("\n"))
            lines = widget.text().count("\n") + 1
            if widest > widget.contentsRect().width() + 1:
                return f"{what}: wider than its fixed {widget.width()} px"
            if lines * metrics.lineSpacing() > widget.contentsRect().height() + 1:
                return f"{what}: taller than its fixed {widget.height()} px"
        else:
            hint = widget.minimumSizeHint()
            if hint.width() > widget.width() + 1 or hint.height() > widget.height() + 1:
                return f"{what}: needs {hint.width()}x{hint.height()}, has {widget.size()}"
    elif isinstance(widget, QAbstractButton):
        text = widget.text().replace("&", "")
        if QFontMetricsF(widget.font()).horizontalAdvance(text) > widget.width():
            return f"{what}: text wider than the button ({widget.width()} px)"
    elif isinstance(widget, QTabBar):
        for i in range(widget.count()):
            text = widget.tabText(i).replace("&", "")
            room = widget.tabRect(i).width()
            if QFontMetricsF(widget.font()).horizontalAdvance(text) > room:
                return f"{what}: tab {text!r} cut to {room} px"
            if not widget.rect().contains(widget.tabRect(i)):
                return f"{what}: tab {text!r} out of view (the bar needs scroll buttons)"
    _bring_into_view(widget)
    visible, whole = _visible_part(widget, window), _rect_in(widget, window)
    if visible != whole and not _scrolls_through(widget, window, visible, whole):
        return f"{what}: cut, only {visible} of {whole}"
    return ""


def _scrolls_through(widget: QWidget, window: QWidget, visible: QRect, whole: QRect) -> bool:
    """A text taller than its scrolling panel's view, whole in width: scrolling down reads
    every line of it."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    if parent is None:
        return False
    view = _visible_part(parent.viewport(), window)
    return (
        visible.left() == whole.left() and visible.right() == whole.right()
        and whole.height() > view.height()
        and visible.height() >= view.height() - 12  # (less the margins above it)
    )  # fmt: skip


def _plot_checks(window: MainWindow, zoom: float) -> list[str]:
    """Plot text follows the zoom; axis titles never over the ticks; no legend over data."""
    problems = []
    expected = base_point_size() * zoom
    for plot in window.findChildren(pg.PlotWidget):
        if not _shown(plot, window):
            continue
        item = plot.getPlotItem()
        name = plot.accessibleName() or item.titleLabel.text or type(plot).__name__
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            if not axis.isVisible():
                continue
            font = axis.style["tickFont"]
            size = font.pointSizeF() if font is not None else None
            if size is None or abs(size - expected) > 0.25 * expected:
                problems.append(f"{name} {side} ticks at {size} pt, not {expected:.1f}")
            title = str(axis.labelStyle.get("font-size", "")).removesuffix("pt")
            if axis.labelText and (not title or abs(float(title) - expected) > 0.25 * expected):
                problems.append(f"{name} {side} title at {title or '?'} pt, not {expected:.1f}")
        axis = item.getAxis("left")  # its tick labels and, beside them, its title
        low, high = item.vb.viewRange()[1]
        values = [v for _, level in axis.tickValues(low, high, axis.height()) for v in level]
        if axis.isVisible() and values and axis.style["tickFont"] is not None and axis.labelText:
            metrics = QFontMetricsF(axis.style["tickFont"])
            strings = axis.tickStrings(values, axis.autoSIPrefixScale, 1.0)
            widest = max(metrics.horizontalAdvance(s) for s in strings)
            needed = widest + axis.style["tickTextOffset"][0] + metrics.height()
            if needed > axis.width() + 1:
                problems.append(
                    f"{name}: left axis title over its ticks {strings} ({needed:.0f} px, "
                    f"{axis.width()})"
                )
    loss = window.loss_plot
    decay = loss.decay_text()
    if _shown(loss.plot_widget, window) and decay and decay not in loss.legend.texts():
        problems.append("the learning-rate decay is not named in the legend")
    return problems


def _probability_checks(window: MainWindow, presenting: bool) -> list[str]:
    """The drawn character's p has every digit its bar shows; the bars have their letters."""
    panel = window.sampling_panel
    bars = panel.findChild(ProbabilityBars)
    if bars is None or not _shown(bars, window):
        return []
    problems = []
    state, shown = panel.state, panel.shown()
    assert state is not None and state.chosen
    p = format_probability(float(shown.probabilities[state.chosen[-1]]))
    if f"p = {p}" not in shown.header:
        problems.append(f"drew text {shown.header!r} lacks p = {p}")
    if bars.value_label() != p:
        problems.append(f"bar value {bars.value_label()!r}, not {p}")
    if presenting and len(bars.shown_tick_labels()) != len(bars.tick_labels()):
        shown_ticks, all_ticks = bars.shown_tick_labels(), bars.tick_labels()
        problems.append(f"{len(shown_ticks)} of {len(all_ticks)} letters under the bars")
    return problems


def _check(
    window: MainWindow, zoom: float, presenting: bool, fonts: dict[int, float], seen: set[int]
) -> list[str]:
    """The problems on screen now; fonts: each text's size at 100% (filled at 100%); seen:
    every text item looked at."""
    problems = []
    # (a tab behind another is visible but out of the window: Qt moves it away)
    docks = [d for d in window.findChildren(QDockWidget) if d.isVisibleTo(window)]
    groups: dict[int, list[QDockWidget]] = {}
    for dock in docks:  # the docks tabbed together: each raised in turn
        tabbed = [dock, *window.tabifiedDockWidgets(dock)]
        groups.setdefault(min(id(d) for d in tabbed), []).append(dock)
    rounds = max((len(g) for g in groups.values()), default=0)
    for turn in range(rounds):
        for group in groups.values():
            group[min(turn, len(group) - 1)].raise_()
        _settle()
        docks_shown = [d for d in docks if _shown(d, window)]
        texts = _texts(window)
        seen.update(id(w) for w in texts)
        problems += [p for w in texts if (p := _cut(w, window))]
        problems += _plot_checks(window, zoom)
        problems += _probability_checks(window, presenting)
        tables = [t for t in window.findChildren(QTableView) if _shown(t, window)]
        for table in tables:  # a row as high as its text (fixed once, it cut zoomed text)
            row = table.verticalHeader().defaultSectionSize()
            if row < QFontMetricsF(table.font()).height():
                problems.append(f"{table.accessibleName()}: rows of {row} px cut their text")
        for w in [*texts, *docks_shown, *tables]:
            size = w.font().pointSizeF()
            if zoom == 1.0 and not presenting:
                fonts.setdefault(id(w), size)
            elif id(w) in fonts and size < fonts[id(w)] * zoom * 0.9:
                problems.append(f"{_name(w)}: {size} pt at {zoom:.0%}, {fonts[id(w)]} at 100%")
    return problems


def test_every_text_zooms_and_is_whole(qtbot, make_window) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.sampling_panel.state is not None, timeout=30_000)
    window.sampling_panel.step_action.trigger()  # a drawn character and its p
    fonts: dict[int, float] = {}
    seen: set[int] = set()
    report: list[str] = []
    for width, height in SCREENS:
        # the screen of this size (the offscreen platform's is 800 x 600)
        full = (0, 0, width, height)
        window.showFullScreen = lambda f=full: window.setGeometry(*f)
        for zoom in ZOOMS:
            window.zoom.set_factor(zoom)
            window.resize(width, height)
            _settle()
            window.reset_layout()
            _settle()
            where = f"{width}x{height} {zoom:.0%}"
            if window.height() > height or window.width() > width:
                report.append(f"{where}: the window grew to {window.width()}x{window.height()}")
            report += [f"{where} normal: {p}" for p in _check(window, zoom, False, fonts, seen)]
            window.presentation.enter()
            for chosen in CHOICES:
                window.presentation.choose(chosen)
                _settle()
                shown_zoom = window.zoom.factor
                label = f"{where} presenting {'+'.join(chosen)}"
                if window.height() > height:
                    report.append(f"{label}: the window grew to {window.height()} px")
                report += [f"{label}: {p}" for p in _check(window, shown_zoom, True, fonts, seen)]
            window.presentation.leave()
            _settle()
    window.zoom.set_factor(1.0)
    del window.showFullScreen  # (no cycle through the window is left for the collector)
    report = list(dict.fromkeys(report))
    assert len(seen) > 100 and len(fonts) > 80  # (it looked at the window's texts)
    assert not report, f"{len(report)} problems:\n" + "\n".join(report)
