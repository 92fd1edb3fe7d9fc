"""The free place for a readout nearest the pointer, away from the curves."""

from __future__ import annotations

import numpy as np

from charnames_gui.ui.views.free_spot import CELL, Area, free_spot, points_along


def test_points_along_a_segment_leave_no_gap_and_skip_nan() -> None:
    px, py = points_along(np.array([0.0, 0.0, np.nan]), np.array([0.0, 100.0, 1.0]))
    assert py.max() == 100.0 and np.diff(np.sort(py)).max() <= CELL / 2 + 1e-9
    assert np.isfinite(px).all() and (px == 0).all()


def test_the_spot_is_off_the_curve_and_nearest_the_pointer() -> None:
    area = Area(0, 0, 200, 100)
    px, py = points_along(np.array([0.0, 200.0]), np.array([50.0, 50.0]))  # a flat line
    spot = free_spot(area, (40, 20), px, py, near=(100, 60), margin=4)
    assert spot is not None
    left, top = spot
    assert top >= 50 + 4 and top + 20 <= 100 - 4  # below the line, inside the area
    assert abs(left + 20 - 100) <= CELL  # centred under the pointer, to a cell
    up = free_spot(area, (40, 20), px, py, near=(100, 10), margin=4)
    assert up is not None and up[1] + 20 <= 50 - 4  # above it for a pointer above it
    assert free_spot(area, (40, 60), px, py, near=(100, 60)) is None  # too tall either side
