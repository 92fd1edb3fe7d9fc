"""charnames-gui: start the desktop app.

PyTorch takes ~1.3 s to import, longer than everything else together, so the window does not
wait for it: the main window's modules import no torch (tests/test_startup.py checks it).
The process builds and paints the main window, with the bundled dataset read and Start
ready; then a background thread imports torch and the torch-backed core and sets the thread
limits; then the controller makes the model, and carries out what the learner asked for
meanwhile (Start, a model file to open: see Controller.torch_loaded).

CHARNAMES_STARTUP_MARKER=PATH appends lines to PATH: "main_window SECONDS" when the window is
first painted and "torch SECONDS" when the model is made, SECONDS being time.time().
benchmarks/startup.py reads them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QSocketNotifier,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from charnames_gui import __version__
from charnames_gui.bundled import resource_path

APP_NAME = "Charnames"
# kept alive while the app runs: quit_on_signals' sockets and notifier, the GUI-thread GC
_SIGNAL_SOCKETS: list[object] = []
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
    if os.environ.get(MARKER_ENV):
        FirstPaint(widget, lambda: write_marker(label))


def write_marker(label: str) -> None:
    """With CHARNAMES_STARTUP_MARKER set: append "LABEL time.time()" to that file."""
    path = os.environ.get(MARKER_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{label} {time.time():.6f}\n")


class BackgroundImport(QObject):
    """Imports torch and the core in a thread; `finished` carries "" or an error message."""

    finished = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.import_thread = threading.Thread(target=self._run, name="import-torch", daemon=True)

    @property
    def started(self) -> bool:
        return self.import_thread.ident is not None

    def start(self) -> None:
        """Start the import (once; later calls do nothing)."""
        if not self.started:
            self.import_thread.start()

    def _run(self) -> None:
        try:
            from charnames_gui.core.threads import limit_threads

            # Small minibatches train fastest on one thread; the GUI keeps the other core.
            limit_threads(1)
            # The torch-backed core the window uses once a model exists: imported here, so
            # the GUI thread never waits for an import (the window does not import them).
            import charnames_gui.core.checkpoint
            import charnames_gui.core.examples
            import charnames_gui.core.forward
            import charnames_gui.core.hidden_stats
            import charnames_gui.core.process_trainer
            import charnames_gui.core.session
            import charnames_gui.core.training  # noqa: F401
        except Exception as exc:  # shown to the learner, then the app quits
            self.finished.emit(f"PyTorch could not be loaded: {exc}")
            return
        self.finished.emit("")


class Startup(QObject):
    """Shows the main window at once, then tells its controller when torch is loaded."""

    def __init__(self, files: list[str]) -> None:
        super().__init__()
        from charnames_gui.ui.views.plot_style import configure_pyqtgraph
        from charnames_gui.ui.window.main_window import MainWindow

        self.files = files
        configure_pyqtgraph()
        self.window = MainWindow(load_bundled=not files, wait_for_torch=True)
        mark_first_paint(self.window, "main_window")
        self.loader = BackgroundImport()
        # A slot of this object, which lives in the GUI thread: the signal, emitted by the
        # import thread, is queued to the GUI thread.
        self.loader.finished.connect(self.torch_loaded)

    def start(self) -> None:
        # The imports start once the window is painted, so that it is painted without
        # waiting for them (a window that is never painted, e.g. minimised: after a moment):
        # the training child imports torch on the other core while this process does.
        FirstPaint(self.window, lambda: QTimer.singleShot(0, self._load_torch))
        QTimer.singleShot(PAINT_WAIT_MS, self._load_torch)
        self.window.show()
        if self.files:  # a dataset opens now; a model file when torch has loaded
            self.window.file_commands.open_path(self.files[0])
        else:  # a model the last session could not save (session_rescue.py), once shown
            QTimer.singleShot(0, self.window.session_rescue.offer)

    def _load_torch(self) -> None:
        """Start the training child (once), then torch's import here (once)."""
        process = self.window.controller.process
        if process is not None and process.pid is None and not self.loader.started:
            process.start_early()
        self.loader.start()

    @Slot(str)
    def torch_loaded(self, error: str) -> None:
        window = self.window
        if error:
            QMessageBox.critical(window, APP_NAME, error)
            QCoreApplication.exit(1)
            return
        window.controller.torch_loaded()
        write_marker("torch")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv if argv is None else argv)
    QCoreApplication.setOrganizationName("charnames-gui")
    QCoreApplication.setApplicationName("charnames-gui")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(args)
    QGuiApplication.setApplicationDisplayName(APP_NAME)
    QGuiApplication.setDesktopFileName("charnames-gui")
    QApplication.setWindowIcon(QIcon(str(resource_path("icon.png"))))
    # Python's cycle collector runs on whichever thread allocates when its threshold is hit:
    # on a worker thread (the run history's, a loader's) it can destroy Qt objects there and
    # deadlock with the GUI thread (seen in the settings fuzzer). Collect on the GUI thread only.
    from pyqtgraph.util.garbage_collector import GarbageCollector

    _SIGNAL_SOCKETS.append(GarbageCollector(interval=1.0))  # kept alive with the app
    startup = Startup([a for a in args[1:] if not a.startswith("-")])
    # a logout, a shutdown or SIGTERM ends the app without a close: unsaved training is kept
    if isinstance(app, QGuiApplication):
        startup.window.session_rescue.connect_to(app)
    quit_on_signals(app)
    startup.start()
    return app.exec()


def quit_on_signals(app: QCoreApplication) -> None:
    """SIGTERM (a logout's or shutdown's last word to a program, `kill`) and SIGHUP (its
    terminal closed) quit the event loop instead of ending the process at once, so that
    aboutToQuit keeps unsaved training (session_rescue.py). Python runs a signal handler only
    between bytecodes, which never come while Qt waits for events: the signal is written to
    a socket (signal.set_wakeup_fd) that wakes the event loop."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    try:
        signal.set_wakeup_fd(writer.fileno())
    except ValueError:  # not the main thread: leave the default handlers
        reader.close()
        writer.close()
        return
    for number in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if number is not None:
            signal.signal(number, lambda *_: None)  # the wakeup byte does the work
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def woken() -> None:
        with contextlib.suppress(OSError):
            reader.recv(64)
        app.exit(0)  # not quit(): Qt 6 would first ask each window to close ("Save?")

    notifier.activated.connect(woken)
    _SIGNAL_SOCKETS.extend((reader, writer, notifier))  # kept open while the app runs


if __name__ == "__main__":
    sys.exit(main())
