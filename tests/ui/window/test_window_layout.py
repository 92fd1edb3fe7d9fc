"""The training panel's share of the width: capped by its window, not only by the screen
(a window smaller than a large screen, e.g. at 200% zoom and not maximised)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QWidget

from charnames_gui.ui.window.window_layout import KEEP_WIDTH_SHARE, PanelScroll


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


class _BigScreen:
    """A 1920 x 1080 screen (the offscreen platform's is 800 x 600, smaller than the windows)."""

    def availableGeometry(self) -> QRect:
        return QRect(0, 0, 1920, 1080)


def _window_with_wide_panel(qtbot) -> tuple[QMainWindow, QDockWidget, PanelScroll]:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QWidget())
    wide = QLabel("a row of fields far wider than any share of the window " * 3)
    scroll = PanelScroll(wide, keep_width=True)
    dock = QDockWidget("Training", window)
    dock.setWidget(scroll)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    window.resize(600, 400)  # smaller than the screen
    window.show()
    qtbot.waitExposed(window)
    _settle()
    return window, dock, scroll


def test_the_panels_minimum_is_a_share_of_its_window_and_follows_its_resizes(qtbot) -> None:
    window, dock, scroll = _window_with_wide_panel(qtbot)
    assert scroll.minimumSizeHint().width() == int(600 * KEEP_WIDTH_SHARE)
    assert dock.minimumSizeHint().width() < 600 * KEEP_WIDTH_SHARE + 20  # (frame, margins)
    window.resize(780, 400)
    _settle()
    assert scroll.minimumSizeHint().width() == int(780 * KEEP_WIDTH_SHARE)
    qtbot.waitUntil(lambda: dock.minimumSizeHint().width() >= int(780 * KEEP_WIDTH_SHARE))
    window.resize(600, 400)
    _settle()
    assert window.width() == 600  # the larger minimum was given back: the window could shrink
    # a floating dock is a window as wide as the panel: the main window still sets the cap
    dock.setFloating(True)
    _settle()
    assert scroll.minimumSizeHint().width() == int(600 * KEEP_WIDTH_SHARE)


@pytest.mark.parametrize("zoom", [1.0, 2.0])
@pytest.mark.parametrize("size", [(1024, 600), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_on_a_large_screen_the_training_panel_keeps_within_its_window(
    qtbot, make_window, monkeypatch, size, zoom
) -> None:
    monkeypatch.setattr(PanelScroll, "screen", lambda self: _BigScreen())
    window = make_window(open_data=False)
    window.zoom.set_factor(zoom)
    window.resize(*size)
    _settle()
    window.docks.reset()
    _settle()
    assert (window.width(), window.height()) == size
    needed = window.train_dock.widget().minimumSizeHint().width()
    assert needed <= size[0] * KEEP_WIDTH_SHARE
    # the plots keep the rest: the window's minimum leaves room beside the panel
    assert window.minimumSizeHint().width() <= size[0]
