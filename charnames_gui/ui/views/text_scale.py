"""How large the app's text is now, against its size at 100%: the views size what they
draw by hand (axes, tick labels, markers) from it when their font changes.

The zoom (ui.window.zoom) sets the application font; widgets follow it by themselves, and
the plots follow it in their changeEvent(FontChange) through text_scale()."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

_base_font: QFont | None = None  # the application font at 100%, read once


def base_font() -> QFont:
    """The application's font before any zoom (shared by every window of the process)."""
    global _base_font
    if _base_font is None:
        _base_font = QFont(QApplication.font())
    return QFont(_base_font)


def base_point_size() -> float:
    size = base_font().pointSizeF()
    return size if size > 0 else 9.0


def text_scale(widget: QWidget) -> float:
    """How much larger than at 100% the widget's text is (1.0, 1.5, ...)."""
    size = widget.font().pointSizeF()
    return size / base_point_size() if size > 0 else 1.0


def set_text_colour(label: QWidget, colour: QColor | str) -> None:
    """A label's text colour through its palette. A style sheet would do it too, but a
    widget with a style sheet keeps the font it had then: its text no longer zooms."""
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(colour))
    label.setPalette(palette)
