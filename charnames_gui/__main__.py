"""python -m charnames_gui: the desktop app (the CLI is python -m charnames_gui.cli)."""

import sys

from charnames_gui.app import main

if __name__ == "__main__":
    sys.exit(main())
