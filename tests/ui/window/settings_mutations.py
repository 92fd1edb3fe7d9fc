"""Mutated copies of a real saved settings.json, for the window-level settings fuzzer
(tests/ui/window/test_settings_fuzz.py runs a few; benchmarks/settings_fuzz.py thousands).

Half the cases change bytes (most then fail to parse: the defaults), half change the parsed
values (these reach the window's own checks and dock placing: valid JSON of wrong kinds,
sizes, names, areas and groups)."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from charnames_gui.ui.window.main_window import MainWindow

DOCK_NAMES = ["TrainingDock", "EmbeddingDock", "SamplingDock", "RunsDock", "LrFinderDock",
              "ForwardDock", "HiddenLayerDock", "NetworkDock", "NoSuchDock", ""]  # fmt: skip
HOSTILE_VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 2**31, -(2**31), 2**62, -(2**62), 2**63, 10**400,
    0.5, -0.0, 1e308, -1e308, "", "x" * 5000, "\u202e<b>", "\ud800", "left", "top",
    "@Variant(\\0\\0\\0\\t\\x7f\\xff\\xff\\xff)", [], {}, [{}], [None] * 300,
    {"version": 1, "docks": []}, 100_000, -100_000, 99_999, 1,
]  # fmt: skip


def _containers(value: Any) -> Iterator[Any]:
    """Every list and dict in value."""
    if isinstance(value, dict | list):
        yield value
        for item in value.values() if isinstance(value, dict) else value:
            yield from _containers(item)


def mutate_values(values: dict[str, Any], rng: random.Random) -> Any:
    """A copy of a settings dict with 1-6 changes of its parsed values."""
    data = copy.deepcopy(values)
    for _ in range(rng.randint(1, 6)):
        box = rng.choice(list(_containers(data)))
        kind = rng.random()
        if isinstance(box, dict):
            keys = list(box)
            if not keys or kind < 0.1:
                box[rng.choice(["name", "area", "group", "x", "view/zoom", "docks"])] = rng.choice(
                    HOSTILE_VALUES
                )
            elif kind < 0.6:  # a value of another kind or size
                box[rng.choice(keys)] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
            elif kind < 0.75:
                del box[rng.choice(keys)]
            elif kind < 0.9 and "name" in box:  # another dock, area or group
                field = rng.choice(["name", "area", "group", "current", "hidden", "floating"])
                box[field] = {
                    "name": rng.choice(DOCK_NAMES),
                    "area": rng.choice(["left", "right", "top", "bottom", "middle"]),
                    "group": rng.randint(0, 12),
                }.get(field, rng.random() < 0.5)
            else:  # a number pushed to an edge
                numeric = [k for k in keys if isinstance(box[k], int | float)]
                if numeric:
                    box[rng.choice(numeric)] = rng.choice([0, -1, 1, 99_999, 100_000, 2**31])
        else:
            if not box or kind < 0.3:
                box.append(copy.deepcopy(rng.choice(HOSTILE_VALUES)))
            elif kind < 0.6:  # a repeated entry (a dock named twice)
                box.insert(rng.randrange(len(box) + 1), copy.deepcopy(rng.choice(box)))
            elif kind < 0.8:
                del box[rng.randrange(len(box))]
            else:
                rng.shuffle(box)
    return data


def mutate_bytes(data: bytearray, rng: random.Random) -> bytearray:
    """1-8 changes of bytes: changed, inserted (often JSON's own), deleted, repeated runs."""
    for _ in range(rng.randint(1, 8)):
        kind = rng.random()
        i = rng.randrange(len(data) + 1)
        if kind < 0.4 and data:
            data[min(i, len(data) - 1)] = rng.randrange(256)
        elif kind < 0.6:
            data[i:i] = rng.choice(
                [b"[", b"{", b'"', b"-", b"9" * rng.randint(1, 30), bytes([rng.randrange(256)])]
            )
        elif kind < 0.8 and data:
            del data[i : i + rng.randint(1, 20)]
        else:
            j = rng.randrange(len(data) + 1)
            data[i:i] = data[j : j + rng.randint(1, 200)] * rng.randint(1, 50)
    return data


def mutated_files(real: bytes, cases: int, seed: int) -> Iterator[bytes]:
    """`cases` mutations of a real settings file's bytes, the same ones for the same seed."""
    rng = random.Random(seed)
    values = json.loads(real)
    for _ in range(cases):
        if rng.random() < 0.5:
            yield bytes(mutate_bytes(bytearray(real), rng))
        else:
            text = json.dumps(mutate_values(values, rng), ensure_ascii=rng.random() < 0.5)
            yield text.encode("utf-8", "surrogatepass")


# -- the window on each mutated file ----------------------------------------------------------
def real_settings(folder: Path) -> bytes:
    """The settings.json a window saves after a learner moved its docks about: one tabbed
    elsewhere, one floating, one closed, the hyperparameters changed."""
    from PySide6.QtCore import Qt

    path = folder / "real" / "settings.json"
    win = _window(path, folder)
    win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, win.runs_dock)
    win.tabifyDockWidget(win.embedding_dock, win.network_dock)
    win.lr_dock.setFloating(True)
    win.hidden_dock.hide()
    win.panel.n_hidden.setValue(123)
    win.zoom.set_factor(1.25)
    win.recent_files.add(folder / "names.txt")
    _close(win, then=lambda: win.zoom.set_factor(1.0, remember=False))  # the saved 1.25 kept
    return path.read_bytes()


def _window(path: Path, folder: Path) -> MainWindow:
    from helpers import ScriptedDialogs

    from charnames_gui.ui.window.app_settings import AppSettings
    from charnames_gui.ui.window.main_window import MainWindow

    win = MainWindow(
        settings=AppSettings.at(path),
        load_bundled=False,
        runs_path=folder / "runs.db",
        dialogs=ScriptedDialogs(),
    )
    win.show()
    return win


def _close(win: MainWindow, then: Callable[[], object] = lambda: None) -> None:
    """Close the window (which saves its settings), call `then`, and delete the window at
    once: processEvents() never runs a deleteLater, so without sendPostedEvents every
    window of a long run stayed alive (12 MB each, and each slowed the next)."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    assert win.close()  # saves the settings (closeEvent)
    then()
    win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()


def start_on(data: bytes, folder: Path) -> str:
    """A window started on a settings file of these bytes; it must show, and the file it
    saves at close must read back whole. Returns what its status bar said at start."""
    from PySide6.QtWidgets import QApplication

    from charnames_gui.ui.window.app_settings import AppSettings

    path = folder / "case" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    win = _window(path, folder)
    QApplication.processEvents()
    try:
        assert win.isVisible(), "the window did not show"
        assert win.width() > 0 and win.height() > 0
        said = win.settings_note.text() if win.settings_note is not None else ""
    finally:
        win.zoom.set_factor(1.0, remember=False)
        _close(win)
    saved = AppSettings.at(path)
    assert saved.problem == "", f"the window saved settings it cannot read: {saved.problem}"
    return said
