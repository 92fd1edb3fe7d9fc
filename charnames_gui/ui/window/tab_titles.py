"""Dock tab titles that read in full at every size: each dock has its full title and shorter
ones; a group of tabs shows the longest titles whose tabs all fit in its bar, so the bar
never needs scroll buttons (which cut the tabs beside them in half). The dock's own title
bar, its tooltip and the View menu keep the full title.

The dock tab bars also get a narrower tab padding (PM_TabBarTabHSpace): Fusion pads each
tab by 24 px at every zoom, a whole short word at 1024 x 600."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QDockWidget, QProxyStyle, QStyle, QStyleOption, QTabBar, QWidget

TAB_HSPACE = 12  # px of padding in a dock tab, text excluded (Fusion: 24)


class TabStyle(QProxyStyle):
    """The application's style with narrower dock tabs."""

    def pixelMetric(
        self,
        metric: QStyle.PixelMetric,
        option: QStyleOption | None = None,
        widget: QWidget | None = None,
    ) -> int:
        if metric == QStyle.PixelMetric.PM_TabBarTabHSpace:
            return TAB_HSPACE
        return super().pixelMetric(metric, option, widget)


def titles_of(dock: QDockWidget) -> tuple[str, ...]:
    """The dock's titles, longest first (a plain QDockWidget: its title alone)."""
    titles = dock.property("titles")
    return tuple(titles) if titles else (dock.windowTitle(),)


def full_title(dock: QDockWidget) -> str:
    return titles_of(dock)[0]


def _title(dock: QDockWidget, level: int) -> str:
    titles = titles_of(dock)
    return titles[min(level, len(titles) - 1)]


def needed_width(bar: QTabBar, docks: Sequence[QDockWidget], level: int) -> float:
    """The width bar's tabs need with the docks' titles of this level (docks in tab order):
    each tab's padding now plus its new text."""
    metrics = QFontMetricsF(bar.font())
    total = 0.0
    for i, dock in enumerate(docks):
        padding = bar.tabSizeHint(i).width() - metrics.horizontalAdvance(bar.tabText(i))
        total += padding + metrics.horizontalAdvance(_title(dock, level))
    return total


def fit(bar: QTabBar, group: Sequence[QDockWidget]) -> None:
    """Give the group's docks the longest titles whose tabs fit in bar's width (the
    shortest when none do: the bar then scrolls, as a last resort)."""
    by_text = {d.windowTitle(): d for d in group}
    docks = [by_text.get(bar.tabText(i)) for i in range(bar.count())]
    if any(d is None for d in docks) or len(docks) != len(group):
        return  # (not this group's bar)
    ordered = [d for d in docks if d is not None]
    levels = max(len(titles_of(d)) for d in ordered)
    level = next(
        (n for n in range(levels) if needed_width(bar, ordered, n) <= bar.width()), levels - 1
    )
    for i, dock in enumerate(ordered):
        title = _title(dock, level)
        if dock.windowTitle() != title:
            dock.setWindowTitle(title)  # (Qt renames its tab)
        bar.setTabToolTip(i, full_title(dock))
