"""The JSON settings store: any bytes load without an error (what was dropped is said), each
known key is checked, saves are atomic, and an old Qt settings file is migrated as text."""

from __future__ import annotations

import errno
import json
import os
import random
from pathlib import Path

import pytest

from charnames_gui.core.errors import FileAccessError
from charnames_gui.core.legacy_settings import legacy_values, parse_ini, unescape_value
from charnames_gui.core.settings_store import (
    MAX_RECENT,
    MAX_SETTINGS_BYTES,
    SettingsError,
    SettingsStore,
    check_value,
    parse_settings,
)
from charnames_gui.core.window_state import DockPlace, docks_to_json, parse_docks

GOOD = {
    "recent_files": ["/home/a/names.txt", "/home/a/m.safetensors"],
    "last_folder": "/home/a",
    "view/zoom": 1.25,
    "test_set_explained": True,
    "hyperparameters": {"model": {"block_size": 3}, "split_seed": 42},
    "window/geometry": {"x": 10, "y": 20, "width": 1000, "height": 700, "maximized": False},
    "window/docks": docks_to_json(
        [
            DockPlace("training", "left", 0, current=True, width=300, height=600),
            DockPlace("sampling", "bottom", 1, current=True, width=500, height=250),
            DockPlace("runs", "bottom", 1, width=500, height=250),
            DockPlace("lr", "bottom", 2, floating=True, x=5, y=6, width=200, height=100),
        ]
    ),
    "export_folder/png": "/home/a/Documents",
}


def test_a_good_file_loads_whole(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    store = SettingsStore.load(path)
    assert store.problem == ""
    for key, value in GOOD.items():
        assert store.get(key) == value, key


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe\x00",
        b"[" * 100_000 + b"]" * 100_000,  # RecursionError in json
        b'{"view/zoom": ' + b"9" * 5000 + b"}",  # the int digit limit (ValueError)
        b'{"view/zoom": NaN}',
        b"[]",
        b'"text"',
        b"{" + b",".join(b'"k%d": 1' % i for i in range(500)) + b"}",
        b" " * (MAX_SETTINGS_BYTES + 1),
    ],
    ids=["empty", "not-utf8", "deep", "huge-int", "nan", "list", "string", "many-keys", "big"],
)
def test_unreadable_bytes_give_defaults_and_say_so(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(data)
    store = SettingsStore.load(path)
    assert store.keys() == []
    assert "could not be fully read" in store.problem


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("recent_files", 5),
        ("recent_files", "one"),
        ("view/zoom", "big"),
        ("view/zoom", 1e300),
        ("view/zoom", True),
        ("test_set_explained", "true"),
        ("hyperparameters", "[]"),
        ("last_folder", ["/a"]),
        ("export_folder/csv", 3),
        ("window/geometry", {"x": 0, "y": 0, "width": 2**40, "height": 5}),
        ("window/geometry", {"x": 0, "y": 0, "width": 5}),
        ("window/docks", {"version": 2, "docks": []}),
        ("window/docks", {"version": 1, "docks": [{"name": "a", "area": "middle", "group": 0}]}),
        ("window/docks", {"version": 1, "docks": [{"name": "a", "area": "left", "group": -1}]}),
        ("other", "x" * 5000),
        ("other", [[[[[[[[[[[1]]]]]]]]]]]),
        ("other", "\ud800"),
    ],
)
def test_a_bad_value_drops_only_its_key(tmp_path: Path, key: str, value: object) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({**GOOD, key: value}), encoding="utf-8")
    store = SettingsStore.load(path)
    assert not store.contains(key)
    assert key in store.problem
    assert all(store.get(k) == v for k, v in GOOD.items() if k != key)


def test_a_long_recent_list_keeps_the_first_ten(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    paths = [f"/f{i}" for i in range(100)] + ["/f0"]
    path.write_text(json.dumps({"recent_files": ["/f0", *paths]}), encoding="utf-8")
    assert SettingsStore.load(path).get("recent_files") == paths[:MAX_RECENT]
    assert MAX_RECENT == 10


def test_docks_of_one_group_share_an_area() -> None:
    two_areas = docks_to_json([DockPlace("a", "left", 0), DockPlace("b", "right", 0)])
    with pytest.raises(SettingsError):
        parse_docks(two_areas)
    twice = docks_to_json([DockPlace("a", "left", 0), DockPlace("a", "left", 1)])
    with pytest.raises(SettingsError):
        parse_docks(twice)


def test_set_checks_and_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config" / "settings.json"  # the folder is made
    store = SettingsStore(path)
    with pytest.raises(SettingsError):
        store.set("view/zoom", "large")
    store.set("view/zoom", 1.5)
    store.save()
    assert json.loads(path.read_text(encoding="utf-8")) == {"view/zoom": 1.5}
    store.set("view/zoom", 2.0)

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(FileAccessError, match="No space left"):
        store.save()
    assert store.dirty  # kept to save again
    assert json.loads(path.read_text(encoding="utf-8")) == {"view/zoom": 1.5}
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]


def test_a_fifo_in_place_of_the_file_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    os.mkfifo(path)
    store = SettingsStore.load(path)
    assert store.keys() == [] and "regular file" in store.problem


QT_CONF = r"""[General]
empty=@Invalid()
hyperparameters="{\"split_seed\": 7, \"model\": {\"block_size\": 4}}"
last_folder=/home/u/d d
recent_files=/a/b c.txt, "/x,y\"z.pt", q
test_set_explained=true

[export_folder]
png=/tmp/\xe9t\xe9

[view]
zoom=@Variant(\0\0\0\t\x7f\xff\xff\xff)

[window]
geometry=@ByteArray(\x1\xd9\xd0\xcb)
state=@ByteArray(\0\0\0\xff\0\0\0\0\xfd\0\0\0\x3)
"""


def test_an_old_qt_file_is_migrated_as_text_only(tmp_path: Path) -> None:
    legacy = tmp_path / "charnames-gui.conf"
    legacy.write_text(QT_CONF, encoding="utf-8")
    assert legacy_values(legacy) == {
        "hyperparameters": {"split_seed": 7, "model": {"block_size": 4}},
        "last_folder": "/home/u/d d",
        "recent_files": ["/a/b c.txt", '/x,y"z.pt', "q"],
        "test_set_explained": True,
        "export_folder/png": "/tmp/été",
    }  # the @Variant zoom and the @ByteArray window state are never read
    store = SettingsStore.open(tmp_path / "new" / "settings.json", legacy)
    # the zoom held a Qt value (never read): said, named; the window state is not a kept key
    assert "could not be brought over (view/zoom)" in store.problem and store.dirty
    assert store.get("recent_files") == ["/a/b c.txt", '/x,y"z.pt', "q"]
    store.save()
    # once: the next start reads the JSON file
    legacy.write_text("[General]\nlast_folder=/elsewhere\n", encoding="utf-8")
    again = SettingsStore.open(tmp_path / "new" / "settings.json", legacy)
    assert again.get("last_folder") == "/home/u/d d"


def test_qt_ini_values_unescape() -> None:
    assert unescape_value("@Variant(\\0\\0)") is None
    assert unescape_value(' "a\\\\b\\n" ') == "a\\b\n"
    assert unescape_value("x, y") == ["x", "y"]
    assert unescape_value("\\x41\\101") == "AA"
    assert parse_ini("[a%20b]\nc\\d=1\n") == {"a b/c/d": "1"}


def _mutate(data: bytearray, rng: random.Random) -> bytearray:
    for _ in range(rng.randint(1, 8)):
        kind = rng.random()
        i = rng.randrange(len(data) + 1)
        if kind < 0.4 and data:  # change a byte
            data[min(i, len(data) - 1)] = rng.randrange(256)
        elif kind < 0.6:  # insert bytes, sometimes JSON's own
            data[i:i] = rng.choice(
                [b"[", b"{", b'"', b"9" * rng.randint(1, 30), bytes([rng.randrange(256)])]
            )
        elif kind < 0.8 and data:  # delete a run
            del data[i : i + rng.randint(1, 20)]
        else:  # duplicate a run (longer lists, deeper nesting)
            j = rng.randrange(len(data) + 1)
            data[i:i] = data[j : j + rng.randint(1, 200)] * rng.randint(1, 50)
    return data


def fuzz_settings_bytes(cases: int, seed: int) -> int:
    """Mutated copies of a real settings file: each loads without an exception, and every
    value kept passes its key's check again. Returns how many kept at least one value."""
    real = json.dumps(GOOD, indent=1).encode()
    rng = random.Random(seed)
    kept_some = 0
    for _ in range(cases):
        values, _dropped = parse_settings(bytes(_mutate(bytearray(real), rng)))
        for key, value in values.items():
            assert check_value(key, value) == value
        kept_some += bool(values)
    return kept_some


def test_the_store_survives_mutated_files() -> None:
    """(benchmarks/settings_fuzz.py runs thousands, through the whole window's start.)"""
    assert fuzz_settings_bytes(cases=500, seed=18) > 0
