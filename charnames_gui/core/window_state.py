"""The window's place and its docks' arrangement, as plain data the app checks itself.

Qt's saveState()/restoreGeometry() blobs are not kept: restoreState() of a damaged blob can
crash the app (5 changed bytes were enough), so the settings hold this instead, and the
window applies it with ordinary calls (addDockWidget, tabifyDockWidget, resizeDocks).

geometry: {"x", "y", "width", "height": int, "maximized": bool}
docks: {"version": 1, "docks": [{"name": str, "area": "left"|"right"|"top"|"bottom",
        "group": int, "current": bool, "hidden": bool, "floating": bool,
        "width": int, "height": int, "x": int, "y": int}, ...]}
A dock's group numbers its group of tabs within the window (docks of one group share an
area); groups are listed in their order within their area; x/y place a floating dock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from charnames_gui.core.errors import SettingsError

DOCKS_VERSION = 1
AREAS = ("left", "right", "top", "bottom")
MAX_DOCKS = 40
MAX_COORD = 100_000  # pixels, either way
MIN_SIDE = 1


def _int(data: dict[str, Any], key: str, low: int, high: int) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(f"{key} is not a whole number from {low} to {high}")
    return value


def _bool(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise SettingsError(f"{key} is not true or false")
    return value


@dataclass(frozen=True)
class WindowGeometry:
    x: int
    y: int
    width: int
    height: int
    maximized: bool = False


def parse_geometry(value: object) -> WindowGeometry:
    if not isinstance(value, dict):
        raise SettingsError("not a window geometry")
    return WindowGeometry(
        x=_int(value, "x", -MAX_COORD, MAX_COORD),
        y=_int(value, "y", -MAX_COORD, MAX_COORD),
        width=_int(value, "width", MIN_SIDE, MAX_COORD),
        height=_int(value, "height", MIN_SIDE, MAX_COORD),
        maximized=_bool(value, "maximized"),
    )


def geometry_to_json(g: WindowGeometry) -> dict[str, Any]:
    return {"x": g.x, "y": g.y, "width": g.width, "height": g.height, "maximized": g.maximized}


@dataclass(frozen=True)
class DockPlace:
    name: str  # the dock's objectName
    area: str  # one of AREAS
    group: int  # its group of tabs (docks of a group share an area)
    current: bool = False  # the tab shown in its group
    hidden: bool = False  # closed by the learner
    floating: bool = False
    width: int = 0  # 0: as the layout gives
    height: int = 0
    x: int = 0  # where a floating dock is
    y: int = 0


def parse_docks(value: object) -> list[DockPlace]:
    """The docks' places, checked: a known version, at most MAX_DOCKS docks with distinct
    names, known areas, and one area per group. SettingsError otherwise."""
    if not isinstance(value, dict) or value.get("version") != DOCKS_VERSION:
        raise SettingsError("not a dock layout of this version")
    docks = value.get("docks")
    if not isinstance(docks, list) or len(docks) > MAX_DOCKS:
        raise SettingsError("not a list of docks")
    places: list[DockPlace] = []
    area_of_group: dict[int, str] = {}
    for item in docks:
        if not isinstance(item, dict):
            raise SettingsError("a dock that is not a group of values")
        name, area = item.get("name"), item.get("area")
        if not isinstance(name, str) or not name or len(name) > 100:
            raise SettingsError("a dock without a name")
        if area not in AREAS:
            raise SettingsError("a dock in an unknown area")
        place = DockPlace(
            name=name,
            area=str(area),
            group=_int(item, "group", 0, MAX_DOCKS),
            current=_bool(item, "current"),
            hidden=_bool(item, "hidden"),
            floating=_bool(item, "floating"),
            width=_int(item, "width", 0, MAX_COORD),
            height=_int(item, "height", 0, MAX_COORD),
            x=_int(item, "x", -MAX_COORD, MAX_COORD) if "x" in item else 0,
            y=_int(item, "y", -MAX_COORD, MAX_COORD) if "y" in item else 0,
        )
        if area_of_group.setdefault(place.group, place.area) != place.area:
            raise SettingsError("a group of tabs in two areas")
        places.append(place)
    if len({p.name for p in places}) != len(places):
        raise SettingsError("a dock named twice")
    return places


def docks_to_json(places: list[DockPlace]) -> dict[str, Any]:
    return {
        "version": DOCKS_VERSION,
        "docks": [
            {
                "name": p.name,
                "area": p.area,
                "group": p.group,
                "current": p.current,
                "hidden": p.hidden,
                "floating": p.floating,
                "width": p.width,
                "height": p.height,
                "x": p.x,
                "y": p.y,
            }
            for p in places
        ],
    }


def groups_in_order(places: list[DockPlace]) -> list[list[DockPlace]]:
    """The groups of tabs, in the order their first dock is listed (that is their order
    within their area), each group's docks in their listed order."""
    groups: dict[int, list[DockPlace]] = {}
    for place in places:
        groups.setdefault(place.group, []).append(place)
    return list(groups.values())
