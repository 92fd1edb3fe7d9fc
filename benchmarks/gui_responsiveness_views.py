"""gui_responsiveness.py with the Forward pass and the Hidden layer views both visible (the
Hidden layer dock floats beside the window), their cost measured. Same options:

    python benchmarks/gui_responsiveness_views.py [--seconds 3] [--rounds 10] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gui_responsiveness

from charnames_gui.ui.window import main_window

_show = main_window.MainWindow.show


def _show_with_views(self: main_window.MainWindow) -> None:
    _show(self)
    self.forward_dock.raise_()
    self.hidden_dock.setFloating(True)
    self.hidden_dock.resize(500, 700)
    self.hidden_dock.show()


main_window.MainWindow.show = _show_with_views  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(gui_responsiveness.main(sys.argv[1:]))
