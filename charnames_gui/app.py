"""charnames-gui: start the desktop app.

PyTorch takes ~1.3 s to import, longer than everything else together. So the process first
shows a window (the app's title, its last size and place, "Loading PyTorch…") and paints it;
then a background thread imports torch and the Qt-free core and sets the thread limits; then
the GUI thread builds the main window in the same place and closes the first one.

CHARNAMES_STARTUP_MARKER=PATH appends one line per window to PATH when it is first painted:
"window SECONDS" (the first window) and "main_window SECONDS" (the full one), SECONDS being
time.time(). benchmarks/startup.py reads it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QGuiApplication, QIcon, QScreen
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox, QWidget

from charnames_gui import __version__
from charnames_gui.bundled import resource_path

APP_NAME = "Charnames"
MARKER_ENV = "CHARNAMES_STARTUP_MARKER"
PAINT_WAIT_MS = 500  # the import starts at the first window's first paint, or after this


class FirstPaint(QObject):
    """Calls `then` once, when the watched widget is painted for the first time."""

    def __init__(self, widget: QWidget, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self.then = then
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            self.then()
        return False


def mark_first_paint(widget: QWidget, label: str) -> None:
    """With CHARNAMES_STARTUP_MARKER set: append "LABEL time.time()" to that file when the
    widget is first painted."""
    path = os.environ.get(MARKER_ENV)
    if not path:
        return

    def write() -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{label} {time.time():.6f}\n")

    FirstPaint(widget, write)


class BackgroundImport(QObject):
    """Imports torch and the core in a thread; `finished` carries "" or an error message."""

    finished = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.import_thread = threading.Thread(target=self._run, name="import-torch", daemon=True)

    def start(self) -> None:
        """Start the import (once; later calls do nothing)."""
        if self.import_thread.ident is None:
            self.import_thread.start()

    def _run(self) -> None:
        try:
            from charnames_gui.core.threads import limit_threads

            # Small minibatches train fastest on one thread; the GUI keeps the other core.
            limit_threads(1)
            # The Qt-free modules the main window needs (they import torch and numpy).
            import charnames_gui.core.checkpoint
            import charnames_gui.core.sampling
            import charnames_gui.core.training  # noqa: F401
        except Exception as exc:  # shown to the learner, then the app quits
            self.finished.emit(f"PyTorch could not be loaded: {exc}")
            return
        self.finished.emit("")


def first_window_size(screen: QScreen | None) -> QSize:
    """80% of the screen's free area, at least 1280 x 800, never more than the screen
    (a 1024 x 600 projector gets all of it, a 1920 x 1080 screen 1536 x 864)."""
    free = screen.availableGeometry().size() if screen is not None else QSize(1280, 800)
    width = max(1280, round(free.width() * 0.8))
    height = max(800, round(free.height() * 0.8))
    return QSize(min(width, free.width()), min(height, free.height()))


def loading_window(settings: QSettings) -> QMainWindow:
    """The first window: where the main window will be, saying what it waits for."""
    window = QMainWindow()
    window.setWindowTitle(APP_NAME)
    label = QLabel("Loading PyTorch…")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    window.setCentralWidget(label)
    geometry = settings.value("window/geometry")
    if geometry is None or not window.restoreGeometry(geometry):
        window.resize(first_window_size(window.screen()))  # 1280 x 800, or the screen
    return window


class Startup(QObject):
    """Shows the first window at once, then the main window when torch is loaded."""

    def __init__(self, files: list[str]) -> None:
        super().__init__()
        self.files = files
        self.window: QMainWindow = loading_window(QSettings())
        mark_first_paint(self.window, "window")
        self.loader = BackgroundImport()
        # A slot of this object, which lives in the GUI thread: the signal, emitted by the
        # import thread, is queued to the GUI thread.
        self.loader.finished.connect(self.build_main_window)

    def start(self) -> None:
        # The import starts once the first window is painted, so that it is painted without
        # waiting for it (a window that is never painted, e.g. minimised: after a moment).
        FirstPaint(self.window, lambda: QTimer.singleShot(0, self.loader.start))
        QTimer.singleShot(PAINT_WAIT_MS, self.loader.start)
        self.window.show()

    @Slot(str)
    def build_main_window(self, error: str) -> None:
        first = self.window
        if error:
            QMessageBox.critical(first, APP_NAME, error)
            QCoreApplication.exit(1)
            return
        from charnames_gui.ui.main_window import MainWindow
        from charnames_gui.ui.plot_style import configure_pyqtgraph

        configure_pyqtgraph()
        window = MainWindow(load_bundled=not self.files)
        mark_first_paint(window, "main_window")
        window.setGeometry(first.geometry())
        if first.isMaximized():
            window.showMaximized()
        else:
            window.show()
        first.close()
        self.window = window
        if window.controller.process is not None:  # the training child loads torch meanwhile
            QTimer.singleShot(0, window, window.controller.process.start_early)
        if self.files:
            path = self.files[0]
            QTimer.singleShot(0, lambda: window.open_path(path))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv if argv is None else argv)
    QCoreApplication.setOrganizationName("charnames-gui")
    QCoreApplication.setApplicationName("charnames-gui")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(args)
    QGuiApplication.setApplicationDisplayName(APP_NAME)
    QGuiApplication.setDesktopFileName("charnames-gui")
    QApplication.setWindowIcon(QIcon(str(resource_path("icon.png"))))
    startup = Startup([a for a in args[1:] if not a.startswith("-")])
    startup.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
