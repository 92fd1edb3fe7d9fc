"""The settings fuzzer at full size: the whole window started on mutated settings files.

    python benchmarks/settings_fuzz.py [--cases 1000] [--seed 18]

A real settings.json (saved by a window whose docks were moved about) is mutated with a
fixed seed, half in bytes, half in its parsed values (tests/ui/window/settings_mutations.py);
for each case a MainWindow starts on it offscreen, must show, and the file it saves at close
must read back whole. Printed: the cases run, how many started with every value kept, how
many said something was dropped, the failures (none expected) and the time per window.
Any failure ends the run with exit code 1 and the case's seed and index. (The test suite runs
the same with 6 cases: tests/ui/window/test_settings_fuzz.py.)
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QStandardPaths, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

TESTS = Path(__file__).resolve().parent.parent / "tests" / "ui"
sys.path[:0] = [str(TESTS), str(TESTS / "window")]
from settings_mutations import mutated_files, real_settings, start_on  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    QStandardPaths.setTestModeEnabled(True)  # never the user's own files
    qInstallMessageHandler(lambda *_: None)  # the offscreen platform's notes, per window
    QCoreApplication.setOrganizationName("charnames-gui-settings-fuzz")
    app = QApplication.instance() or QApplication([])
    # as the app does (app.py): never let the cycle collector run on the run history's
    # thread, where it destroyed a closed window's Qt objects and deadlocked with the GUI
    # thread (case ~750 of seed 18); collected after each window instead
    gc.disable()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        real = real_settings(folder)
        whole = said = 0
        failures: list[str] = []
        began = time.perf_counter()
        for index, data in enumerate(mutated_files(real, args.cases, args.seed)):
            try:
                message = start_on(data, folder)
                gc.collect()  # here, on the GUI thread (see below)
            except Exception:  # an assertion or anything else: a failure of the app
                failures.append(f"case {index} (seed {args.seed}): {traceback.format_exc()}")
                continue
            said += bool(message)
            whole += not message
            if (index + 1) % 100 == 0:
                print(f"{index + 1} cases, {len(failures)} failures", flush=True)
        seconds = time.perf_counter() - began
    del app
    print(f"cases: {args.cases} (seed {args.seed})")
    print(f"started with every value kept: {whole}; said something was dropped: {said}")
    print(f"failures: {len(failures)}")
    print(f"time per window: {1000 * seconds / max(1, args.cases):.0f} ms ({seconds:.0f} s)")
    for failure in failures[:5]:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
