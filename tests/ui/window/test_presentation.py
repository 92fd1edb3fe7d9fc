"""Presentation mode (ui/window/presentation.py): the chosen views fill the screen, nothing
else is left standing, and a small screen keeps its size."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from charnames_gui.ui.window.main_window import MainWindow


def test_views_without_the_loss_leave_no_timeline_behind(qtbot, window: MainWindow) -> None:
    """The replay's timeline lives under the loss plot: with Loss not chosen it goes too, and
    the chosen views take the whole width (a timeline left standing kept a blank column)."""
    window.resize(1280, 720)
    window.presentation.enter()
    window.presentation.choose(["Forward pass", "Hidden layer"])
    QApplication.processEvents()
    assert not window.loss_plot.isVisible()
    assert not window.timeline.isVisible()
    assert not window.centralWidget().isVisible()
    left = min(window.forward_dock.x(), window.hidden_dock.x())
    assert left < 10  # from the window's left edge
    # the views get the height, not the strip of buttons above them
    qtbot.waitUntil(lambda: window.forward_dock.height() > 2 * window.train_dock.height())
    window.presentation.choose(["Loss", "Sampling"])
    QApplication.processEvents()
    assert window.loss_plot.isVisible() and window.timeline.isVisible()
    window.presentation.leave()
    QApplication.processEvents()
    assert window.centralWidget().isVisible() and window.timeline.isVisible()


class _Heights(QObject):
    """Every height the window is given."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.seen.append(watched.height())
        return False


def test_a_small_screen_keeps_its_height_at_150_percent(qtbot, window: MainWindow) -> None:
    """At 1024 x 600 and 150% the window grew to 674 px on entering: the strip and the
    chooser went on top while every dock still held its place below."""
    size = (1024, 600)
    window.showFullScreen = lambda: window.setGeometry(0, 0, *size)
    window.resize(*size)
    window.zoom.set_factor(1.5)
    QApplication.processEvents()
    heights = _Heights()
    window.installEventFilter(heights)
    window.presentation.enter()
    qtbot.waitUntil(lambda: window.presentation.bar.isVisible())
    QApplication.processEvents()
    window.removeEventFilter(heights)
    window.presentation.leave()
    del window.showFullScreen  # (no cycle through the window is left for the collector)
    assert all(height <= size[1] for height in heights.seen)


def test_the_strip_is_one_line_of_buttons_and_progress(qtbot, window: MainWindow) -> None:
    """The strip wasted two lines: the dock's title "Training" and the group's title "Run".
    It is the buttons with the progress bar after them; leaving puts both titles back."""
    window.resize(1280, 720)
    controls = window.controls
    window.presentation.enter()
    QApplication.processEvents()
    start, bar = controls.start_button, controls.progress_bar
    centre = start.mapTo(window, start.rect().center()).y()
    assert abs(bar.mapTo(window, bar.rect().center()).y() - centre) <= 2  # on one line
    assert window.train_dock.titleBarWidget() is not None  # (an empty one: no title)
    assert window.train_dock.titleBarWidget().height() == 0
    strip = window.train_dock.height()
    assert strip < 2 * (start.height() + window.fontMetrics().height())
    window.presentation.leave()
    QApplication.processEvents()
    assert window.train_dock.titleBarWidget() is None
    assert (
        bar.mapTo(window, bar.rect().topLeft()).y()
        > start.mapTo(window, start.rect().bottomLeft()).y()
    )
