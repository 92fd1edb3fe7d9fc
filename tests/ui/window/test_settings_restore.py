"""Settings are untrusted input: whatever the settings FILE holds (damaged, hostile, a special
file, an earlier version's Qt file), the window shows, with the defaults for what could not
be read, and says so in the status bar."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.ui.window import app_settings
from charnames_gui.ui.window.app_settings import AppSettings
from charnames_gui.ui.window.main_window import MainWindow
from charnames_gui.ui.window.zoom import MIN_ZOOM

GOOD_MODEL = {"block_size": 4, "n_embd": 12, "n_hidden": 150, "vocab_size": 27}
GOOD_TRAIN = TrainConfig(lr=0.05, steps=1234, lr_decay_at=600).to_dict()
MakeWindow = Callable[..., MainWindow]


def hyperparameters(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {"model": GOOD_MODEL, "train": GOOD_TRAIN, "split_seed": 7}
    values.update(changes)
    return values


def start(make_window: MakeWindow, tmp_path: Path, content: bytes | str | dict) -> MainWindow:
    """A window started on a settings file holding content (a dict: as JSON)."""
    path = tmp_path / "hostile" / "settings.json"
    path.parent.mkdir(exist_ok=True)
    if isinstance(content, dict):
        content = json.dumps(content)
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    path.write_bytes(content)
    return make_window(open_data=False, steps=None, with_settings=AppSettings.at(path))


def said(window: MainWindow) -> str:
    """What the status bar's settings note says ("" when there is none)."""
    note = window.settings_note
    if note is None:
        return ""
    assert note.isVisible() and note.parent() is not None
    return note.text()


def assert_defaults_and_said(window: MainWindow) -> None:
    assert window.isVisible()
    assert window.panel.split_seed_value() == 42
    assert window.panel.n_hidden.value() == ModelConfig().n_hidden
    assert window.recent_files.paths() == []
    message = said(window)
    assert message.startswith("The settings file could not be fully read"), message
    assert "defaults" in message


# -- hostile files ---------------------------------------------------------------------------
HOSTILE_FILES = {
    "truncated": json.dumps({"view/zoom": 1.5, "hyperparameters": hyperparameters()})[:-20],
    "not-utf8": b'{"recent_files": ["\xff\xfe"]',
    "nan": '{"view/zoom": NaN, "hyperparameters": {"split_seed": Infinity}}',
    "deep": "[" * 100_000 + "]" * 100_000,
    "huge-int": '{"view/zoom": ' + "9" * 5000 + "}",
    "too-large": json.dumps({"recent_files": ["/x" * 100] * 2000}),  # > 256 KB
    "a-list": "[1, 2, 3]",
    "surrogate": '{"last_folder": "\\ud800", "recent_files": 5}',
    "empty": b"",
    "zeros": b"\0" * 4096,
}


@pytest.mark.parametrize("content", HOSTILE_FILES.values(), ids=HOSTILE_FILES.keys())
def test_an_unreadable_settings_file_starts_with_the_defaults_and_says_so(
    qtbot, make_window: MakeWindow, tmp_path: Path, content: bytes | str
) -> None:
    window = start(make_window, tmp_path, content)
    assert_defaults_and_said(window)
    assert window.zoom.factor == 1.0


WRONG_VALUES = {
    "zoom-text": {"view/zoom": "big"},
    "zoom-huge": {"view/zoom": 1e308},
    "recent-not-a-list": {"recent_files": 5},
    "hyper-a-list": {"hyperparameters": [1, 2]},
    "hyper-huge-seed": {"hyperparameters": hyperparameters(split_seed=2**70)},
    "geometry-text": {"window/geometry": "@ByteArray(\\x1\\xd9\\xd0\\xcb)"},
    "geometry-huge": {"window/geometry": {"x": 0, "y": 0, "width": 2**40, "height": 9}},
    "docks-old-state": {"window/state": "@ByteArray(\\0\\0\\0\\xff)", "window/docks": [1]},
    "docks-two-areas": {
        "window/docks": {
            "version": 1,
            "docks": [
                {"name": "RunsDock", "area": "left", "group": 0, "width": 9, "height": 9},
                {"name": "SamplingDock", "area": "top", "group": 0, "width": 9, "height": 9},
            ],
        }
    },
    "flag-text": {"test_set_explained": "yes"},
}


@pytest.mark.parametrize("values", WRONG_VALUES.values(), ids=WRONG_VALUES.keys())
def test_a_value_of_the_wrong_kind_is_dropped_alone_and_said(
    qtbot, make_window: MakeWindow, tmp_path: Path, values: dict
) -> None:
    good = {"last_folder": str(tmp_path), "view/zoom": MIN_ZOOM}
    window = start(make_window, tmp_path, {**good, **values})
    assert_defaults_and_said(window)
    assert "unreadable values" in said(window)
    # the good values beside it are kept
    assert window.recent_files.last_folder() == str(tmp_path)
    if "view/zoom" not in values:
        assert window.zoom.factor == MIN_ZOOM


def test_a_named_pipe_in_place_of_the_settings_file(
    qtbot, make_window: MakeWindow, tmp_path: Path
) -> None:
    """Opened without blocking, refused unread: the window shows at once."""
    path = tmp_path / "settings.json"
    os.mkfifo(path)
    window = make_window(open_data=False, steps=None, with_settings=AppSettings.at(path))
    assert_defaults_and_said(window)
    assert "not a regular file" in said(window)


def test_a_folder_in_place_of_the_settings_file(
    qtbot, make_window: MakeWindow, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    path.mkdir()
    window = make_window(open_data=False, steps=None, with_settings=AppSettings.at(path))
    assert_defaults_and_said(window)


def test_a_long_recent_list_is_cut_to_a_short_menu(
    qtbot, make_window: MakeWindow, tmp_path: Path
) -> None:
    """The issue's 100,000 recent files (12 s start-up, a menu of 100,002 items): a list
    too long for the caps is dropped; a long one within them is cut to the first ten."""
    window = start(make_window, tmp_path, {"recent_files": [f"/r/{i}.pt" for i in range(150)]})
    assert window.recent_files.paths() == [f"/r/{i}.pt" for i in range(10)]
    assert len(window.recent_files.menu.actions()) == 10 + 2  # the separator, Clear list


# -- the issue's hostile Qt file, migrated at the default place --------------------------------
HOSTILE_QT_CONF = r"""[General]
recent_files=@Variant(\0\0\0\t\x7f\xff\xff\xff)
last_folder=/home/learner/names

[view]
zoom=@Variant(\0\0\0\t\x7f\xff\xff\xff)

[window]
state=@ByteArray(\0\0\0\xff\0\0\0\0\xfd\0\0\0\x3\0\0\0\0\0\0\x1\x2c\0\0\x2\x8c\xfc\x2\0)
geometry=@ByteArray(\x1\xd9\xd0\xcb\0\x3\0\0)
"""


def test_the_issues_hostile_qt_file_is_never_deserialized(
    qtbot, make_window: MakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An earlier version's charnames-gui.conf with a list claiming 2**31 items (std::bad_alloc
    and an abort under QSettings) and a damaged window state (SIGSEGV in restoreState): its
    plain values come over, the rest is never read, and the window says what was left."""
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "charnames-gui.conf").write_text(HOSTILE_QT_CONF, encoding="utf-8")
    settings_path = folder / "settings.json"
    monkeypatch.setattr(
        app_settings,
        "default_settings_path",
        lambda: (settings_path, folder / "charnames-gui.conf"),
    )
    window = MainWindow(load_bundled=False, runs_path=tmp_path / "runs.db")
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.isVisible()
        assert window.recent_files.paths() == []
        assert window.recent_files.last_folder() == "/home/learner/names"
        message = said(window)
        assert "earlier version could not be brought over (recent_files, view/zoom)" in message
        assert window.dockWidgetArea(window.train_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
        window.close()
        # migrated once: the next start reads the JSON file, with nothing to say
        assert json.loads(settings_path.read_text())["last_folder"] == "/home/learner/names"
        assert AppSettings.at(settings_path, folder / "charnames-gui.conf").problem == ""
    finally:
        window.controller.shutdown()
        window.run_history.close()


# -- the panel's own checks (values within the file's caps) ----------------------------------
@pytest.mark.parametrize("split_seed", [2**31, 3_000_000_000, -1, "42", 4.5, True, None, [1]])
def test_a_bad_split_seed_falls_back_to_the_default(
    qtbot, make_window: MakeWindow, tmp_path: Path, split_seed: object
) -> None:
    window = start(
        make_window, tmp_path, {"hyperparameters": hyperparameters(split_seed=split_seed)}
    )
    assert window.panel.split_seed_value() == 42
    # the other parts were good: they are kept
    assert window.panel.n_hidden.value() == 150
    assert window.panel.steps.value() == 1234


@pytest.mark.parametrize(
    "model",
    [
        {**GOOD_MODEL, "n_hidden": -5},
        {**GOOD_MODEL, "n_hidden": "150"},
        {**GOOD_MODEL, "block_size": 2**40},
        {**GOOD_MODEL, "colour": "red"},
        [1, 2, 3],
        "model",
    ],
)
def test_a_bad_model_shape_falls_back_to_the_default(
    qtbot, make_window: MakeWindow, tmp_path: Path, model: object
) -> None:
    window = start(make_window, tmp_path, {"hyperparameters": hyperparameters(model=model)})
    assert window.panel.n_hidden.value() == ModelConfig().n_hidden
    assert window.panel.split_seed_value() == 7


@pytest.mark.parametrize(
    "train",
    [
        {**GOOD_TRAIN, "steps": -5},
        {**GOOD_TRAIN, "steps": 10**15},
        {**GOOD_TRAIN, "seed": -1},
        {**GOOD_TRAIN, "lr": "0.1"},
        {**GOOD_TRAIN, "lr": -1.0},
        {**GOOD_TRAIN, "engine": 3},
    ],
)
def test_bad_training_values_fall_back_to_the_default(
    qtbot, make_window: MakeWindow, tmp_path: Path, train: object
) -> None:
    window = start(make_window, tmp_path, {"hyperparameters": hyperparameters(train=train)})
    assert window.panel.steps.value() == TrainConfig().steps
    assert window.panel.n_hidden.value() == 150


def test_the_largest_allowed_seed_is_clamped_to_what_the_panel_shows(
    qtbot, make_window: MakeWindow, tmp_path: Path
) -> None:
    train = {**GOOD_TRAIN, "seed": 2**63 - 1}
    window = start(make_window, tmp_path, {"hyperparameters": hyperparameters(train=train)})
    assert window.panel.seed.value() == 2**31 - 1
    assert window.panel.steps.value() == 1234


# -- what is saved comes back ---------------------------------------------------------------
def test_dock_places_come_back_without_qt_state(
    qtbot, make_window: MakeWindow, settings: AppSettings
) -> None:
    """A dock moved to the right, one closed: the next start puts them back from plain data
    (the file holds no Qt state bytes)."""
    first = make_window(open_data=False)
    right = Qt.DockWidgetArea.RightDockWidgetArea
    first.addDockWidget(right, first.runs_dock)
    first.hidden_dock.hide()
    first.close()
    path = settings.store.path
    saved = json.loads(path.read_text())
    assert {"window/geometry", "window/docks", "hyperparameters"} <= saved.keys()
    assert "window/state" not in saved
    again = make_window(open_data=False, steps=None, with_settings=AppSettings.at(path))
    qtbot.waitUntil(lambda: again.isVisible())
    assert again.dockWidgetArea(again.runs_dock) == right
    assert again.hidden_dock.isHidden()
    assert not again.sampling_dock.isHidden()
    assert said(again) == ""
