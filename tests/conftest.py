"""Shared fixtures: Qt on the offscreen platform, isolated settings, no leaked threads."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from small_data import SMALL_WORDS

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# cli.main turns a bug into one line; in tests a bug keeps its traceback (tests that check
# what a learner sees run the CLI without this variable)
os.environ.setdefault("CHARNAMES_TRACEBACK", "1")
# Tiny models train fastest on one thread, and the app trains on one; two threads on a busy
# 2-core machine made small runs ~10x slower.
torch.set_num_threads(1)

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_NAMES = REPO_ROOT.parent / "shared" / "data" / "names.txt"


@pytest.fixture
def small_words() -> list[str]:
    return list(SMALL_WORDS)


@pytest.fixture
def small_dataset_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.txt"
    path.write_text("\n".join(SMALL_WORDS) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def shared_names() -> Path:
    if not SHARED_NAMES.is_file():
        pytest.skip(f"the lecture's dataset is not at {SHARED_NAMES}")
    return SHARED_NAMES


@pytest.fixture(scope="session", autouse=True)
def _isolated_qt_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """QSettings and QStandardPaths point into a temporary folder, never the user's own."""
    try:
        from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths
    except ImportError:  # core-only environments
        yield
        return
    settings_dir = tmp_path_factory.mktemp("qsettings")
    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings_dir))
    # Qt's test mode keeps files under ~/.qttest/<location>/<organisation>: a name of this
    # session's own, removed at its end, so no run sees another's run history (one written
    # by a newer schema would stop the app at start with a question)
    organisation = f"charnames-gui-tests-{settings_dir.name}-{os.getpid()}"
    QCoreApplication.setOrganizationName(organisation)
    QCoreApplication.setApplicationName("charnames-gui-tests")
    yield
    test_home = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.HomeLocation))
    for kind in ("share", "config", "cache"):
        shutil.rmtree(test_home / ".qttest" / kind / organisation, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_leaked_threads(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[None]:
    """Fail any test that leaves a QThread, a Python thread or a training process running."""
    started: list[object] = []
    try:
        from PySide6.QtCore import QThread
    except ImportError:
        QThread = None
    if QThread is not None:
        original_start = QThread.start

        def recording_start(self: QThread, *args: object) -> None:
            started.append(self)
            original_start(self, *args)

        monkeypatch.setattr(QThread, "start", recording_start)
    before = set(threading.enumerate())
    yield
    running = []
    for thread in started:
        try:
            if thread.isRunning():
                running.append(thread)
        except RuntimeError:  # the C++ object is gone: it was deleted, so it is not running
            pass
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    children = [p for p in multiprocessing.active_children() if p.name == "charnames-trainer"]
    if running:
        for thread in running:  # stop them so later tests are not disturbed
            thread.quit()
            thread.wait(5000)
        pytest.fail(f"{len(running)} QThread(s) still running after the test")
    if leaked:
        pytest.fail(f"Python thread(s) still running after the test: {leaked}")
    if children and request.node.get_closest_marker("keeps_trainer_process") is None:
        for child in children:
            child.terminate()
        pytest.fail(f"{len(children)} training process(es) still running after the test")
