"""Layout for every screen from 1024 x 600 to 4K: panels that scroll instead of clipping, and
a default arrangement of the docks chosen from the window's size and the zoom."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QSize
from PySide6.QtGui import QScreen, QShowEvent
from PySide6.QtWidgets import QFrame, QMainWindow, QScrollArea, QVBoxLayout, QWidget

COMPACT_WIDTH = 1280  # below this (at 100% zoom) the embedding shares the bottom tabs
MIN_PANEL_WIDTH = 220  # a dock never asks for more: its content scrolls instead
MIN_PANEL_HEIGHT = 100
KEEP_WIDTH_SHARE = 0.4  # the training panel's most of the window's (and screen's) width


def first_window_size(screen: QScreen | None) -> QSize:
    """80% of the screen's free area, at least 1280 x 800, never more than the screen
    (a 1024 x 600 projector gets all of it, a 1920 x 1080 screen 1536 x 864)."""
    free = screen.availableGeometry().size() if screen is not None else QSize(1280, 800)
    width = max(1280, round(free.width() * 0.8))
    height = max(800, round(free.height() * 0.8))
    return QSize(min(width, free.width()), min(height, free.height()))


class _NoHeightForWidth(QWidget):
    """Holds a panel in its scroll area. A panel with word-wrapped labels has a height for
    each width, and QScrollArea then sizes it by its *preferred* height for the viewport's
    width (every plot at its size hint): the panel scrolled even where it fitted. Without
    height-for-width it is sized to the viewport, and scrolls only below its minimum."""

    def hasHeightForWidth(self) -> bool:
        return False


class PanelScroll(QScrollArea):
    """A dock's content in a scroll area: when the dock is smaller than the content needs,
    scroll bars appear (nothing is clipped), and the dock asks the window for little room.

    keep_width: the content is never narrower than it needs (the training panel's fields);
    the dock is as wide as that, and only scrolls vertically."""

    def __init__(self, content: QWidget, keep_width: bool = False) -> None:
        super().__init__()
        self._keep_width = keep_width
        self._host: QMainWindow | None = None  # the window whose width caps the panel's
        self._cap = 0  # the cap last used by minimumSizeHint
        self.content = content
        holder = _NoHeightForWidth()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(content)
        self.setWidget(holder)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)

    def minimumSizeHint(self) -> QSize:
        content = self.widget()
        if self._keep_width and content is not None:
            # follows the content (and so the zoom): no horizontal scroll bar, unless that
            # would take more than KEEP_WIDTH_SHARE of the window (large text in a small
            # window): then the panel scrolls sideways and the plots keep their room
            # (its preferred width: its rows and forms wrap below it, so its minimum is far
            # narrower than what looks right)
            width = content.sizeHint().width() + self.verticalScrollBar().sizeHint().width()
            self._cap = self._share()
            return QSize(min(width + 6, self._cap), MIN_PANEL_HEIGHT)
        return QSize(MIN_PANEL_WIDTH, MIN_PANEL_HEIGHT)

    def _share(self) -> int:
        return max(MIN_PANEL_WIDTH, int(self._room() * KEEP_WIDTH_SHARE))

    def _room(self) -> int:
        """The width the panel takes its share of: its main window's once that is shown
        (a window smaller than a large screen, e.g. at 200%, not maximised), never more
        than the screen's free width (the window's width is not final while it is built)."""
        screen = self.screen()
        free = screen.availableGeometry().width() if screen is not None else 1280
        host = self._host
        if host is not None and host.isVisible():
            free = min(free, host.width())
        return free

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._keep_width and self._host is None:
            # the main window, also while the dock floats (a floating dock is a window of
            # its own, as wide as this panel: its width must not cap the panel)
            parent = self.parentWidget()
            while parent is not None and not isinstance(parent, QMainWindow):
                parent = parent.parentWidget()
            if parent is not None:
                self._host = parent
                parent.installEventFilter(self)
                self.updateGeometry()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # the window was resized: a new cap is a new minimum for the dock (and the window)
        resized = event.type() in (QEvent.Type.Resize, QEvent.Type.Show)
        if watched is self._host and resized and self._share() != self._cap:
            self.updateGeometry()
        return super().eventFilter(watched, event)

    def sizeHint(self) -> QSize:
        content = self.widget()
        hint = content.sizeHint() if content is not None else QSize(MIN_PANEL_WIDTH, 200)
        return hint.expandedTo(self.minimumSizeHint())


@dataclass(frozen=True)
class DockSizes:
    """The default arrangement for one window size."""

    compact: bool  # the embedding is a tab next to sampling, not a column on the right
    side_width: int  # the embedding column (when not compact)
    bottom_height: int  # the sampling / runs / finder tabs


def default_dock_sizes(window: QSize, zoom: float = 1.0) -> DockSizes:
    """Sizes for a window: at 1280 x 800 and 100% the embedding is a column of 400 px and the
    bottom tabs 330 px high; narrower (or zoomed) windows put the embedding in the tabs, and
    the bottom tabs take at most 45% of the height."""
    zoom = max(zoom, 1.0)
    compact = window.width() < COMPACT_WIDTH * zoom
    side = int(min(400 * zoom, window.width() * 0.3))
    bottom = int(min(330 * zoom, window.height() * 0.45))
    return DockSizes(compact, side, bottom)
