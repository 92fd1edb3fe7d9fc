"""core.replay_projection: one fixed map for every frame, so motion on screen is motion in C."""

from __future__ import annotations

import itertools

import numpy as np

from charnames_gui.core.projection import PCAProjector, pca_basis
from charnames_gui.core.replay_projection import ReplayProjection
from charnames_gui.core.snapshots import Frame


def _frames(tables: list[np.ndarray]) -> list[Frame]:
    return [Frame(i, {"C": C.astype(np.float32)}, 1.0, 0.1) for i, C in enumerate(tables)]


def _crossing_tables(n: int = 21) -> list[np.ndarray]:
    """C moving on a straight line, from a table stretched along its 1st column to one
    stretched along its 2nd: the two principal directions swap half-way."""
    rng = np.random.default_rng(3)
    base = rng.standard_normal((27, 10)) * 0.1
    wide = np.zeros((27, 10))
    wide[:, 0] = np.linspace(-3, 3, 27)
    tall = np.zeros((27, 10))
    tall[:, 1] = rng.permutation(np.linspace(-3, 3, 27))
    return [base + (1 - t) * wide + t * tall for t in np.linspace(0, 1, n)]


def test_a_straight_motion_in_c_is_a_straight_even_motion_on_screen() -> None:
    tables = _crossing_tables()
    projection = ReplayProjection.for_frames(_frames(tables))
    points = np.stack([projection.project(C) for C in tables])  # (frames, 27, 2)
    # equal steps in C: equal steps on screen (second differences vanish)
    np.testing.assert_allclose(np.diff(points, 2, axis=0), 0, atol=1e-5)
    # every frame inside the fixed limits
    x0, x1, y0, y1 = projection.limits
    assert points[..., 0].min() > x0 and points[..., 0].max() < x1
    assert points[..., 1].min() > y0 and points[..., 1].max() < y1


def test_per_frame_pca_would_turn_the_picture_where_the_fixed_map_does_not() -> None:
    """The reason for the fixed map: PCA of each frame swaps its axes half-way."""
    tables = _crossing_tables()
    projector = PCAProjector()
    own = [projector.project(C)[0] for C in tables]
    jumps = [np.abs(b - a).max() for a, b in itertools.pairwise(own)]
    assert max(jumps) > 10 * np.median(jumps)  # a sudden turn of the whole picture
    projection = ReplayProjection.for_frames(_frames(tables))
    fixed = [projection.project(C) for C in tables]
    steady = [np.abs(b - a).max() for a, b in itertools.pairwise(fixed)]
    assert max(steady) < 1.01 * min(steady)


def test_the_last_frame_is_drawn_as_its_own_pca_with_the_fixed_sign_rule() -> None:
    tables = _crossing_tables()
    projection = ReplayProjection.for_frames(_frames(tables))
    last = tables[-1].astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(projection.project(last), pca_basis(last).project(last))
    # the same frames give the same picture (no orientation left to chance)
    again = ReplayProjection.for_frames(_frames(tables))
    np.testing.assert_array_equal(again.project(tables[3]), projection.project(tables[3]))


def test_two_dimensional_embeddings_are_drawn_as_their_columns() -> None:
    tables = [np.arange(54, dtype=np.float64).reshape(27, 2) * s for s in (1.0, 2.0)]
    projection = ReplayProjection.for_frames(_frames(tables))
    assert projection.basis is None
    np.testing.assert_array_equal(projection.project(tables[1]), tables[1])


def test_each_columns_limits_hold_every_frame() -> None:
    tables = _crossing_tables()
    projection = ReplayProjection.for_frames(_frames(tables))
    every = np.stack(tables)  # (frames, 27, 10)
    for x, y in ((0, 1), (1, 0), (3, 9)):
        x0, x1, y0, y1 = projection.column_limits(x, y)
        assert x0 < every[..., x].min() and every[..., x].max() < x1
        assert y0 < every[..., y].min() and every[..., y].max() < y1
    assert projection.column_limits(0, 10) is None  # C has no 11th column
