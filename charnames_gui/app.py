"""charnames-gui: start the desktop app."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import torch


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv if argv is None else argv)
    # Small minibatches train fastest on one thread; the GUI keeps the other core.
    torch.set_num_threads(1)

    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from charnames_gui import __version__
    from charnames_gui.resources import resource_path
    from charnames_gui.ui.main_window import MainWindow
    from charnames_gui.ui.plot_style import configure_pyqtgraph

    QCoreApplication.setOrganizationName("charnames-gui")
    QCoreApplication.setApplicationName("charnames-gui")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(args)
    QGuiApplication.setApplicationDisplayName("Charnames")
    QGuiApplication.setDesktopFileName("charnames-gui")
    app.setWindowIcon(QIcon(str(resource_path("icon.png"))))
    configure_pyqtgraph()

    files = [a for a in args[1:] if not a.startswith("-")]
    window = MainWindow(load_bundled=not files)
    window.show()
    if files:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: window.open_path(files[0]))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
