"""Two-dimensional views of the embedding table C: chosen columns, and PCA checked against SVD."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from charnames_gui.core.projection import PCAProjector, pca_basis, select_dimensions


def _table(vocab_size: int, n_embd: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # distinct variances per column, so the principal directions are well defined
    return rng.normal(size=(vocab_size, n_embd)) * np.linspace(3.0, 0.5, n_embd)


def _svd_reference(C: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = C - C.mean(axis=0)
    _, s, Vt = np.linalg.svd(X, full_matrices=False)
    return X @ Vt[:k].T, Vt[:k], (s[:k] ** 2) / np.sum(s**2)


def test_select_dimensions_returns_the_chosen_columns() -> None:
    C = _table(27, 10)
    points = select_dimensions(C, 3, 7)
    np.testing.assert_array_equal(points[:, 0], C[:, 3])
    np.testing.assert_array_equal(points[:, 1], C[:, 7])
    np.testing.assert_array_equal(select_dimensions(C, 0, 1), C[:, :2])


def test_select_dimensions_one_dimension_is_a_strip_at_zero() -> None:
    C = _table(27, 1)
    points = select_dimensions(C, 0, None)
    np.testing.assert_array_equal(points[:, 0], C[:, 0])
    np.testing.assert_array_equal(points[:, 1], np.zeros(27))


@pytest.mark.parametrize(("x", "y"), [(10, 0), (0, 10), (-1, 0)])
def test_select_dimensions_rejects_a_dimension_out_of_range(x: int, y: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        select_dimensions(_table(27, 10), x, y)


@pytest.mark.parametrize(("vocab_size", "n_embd"), [(27, 2), (27, 10), (27, 64), (5, 40)])
def test_pca_matches_numpy_svd_up_to_sign(vocab_size: int, n_embd: int) -> None:
    C = _table(vocab_size, n_embd, seed=n_embd)
    basis = pca_basis(C)
    ref_points, ref_components, ref_explained = _svd_reference(C, 2)
    points = basis.project(C)
    for i in range(2):
        sign = np.sign(basis.components[i] @ ref_components[i])
        assert sign != 0
        np.testing.assert_allclose(basis.components[i], sign * ref_components[i], atol=1e-9)
        np.testing.assert_allclose(points[:, i], sign * ref_points[:, i], atol=1e-9)
    np.testing.assert_allclose(basis.explained, ref_explained, rtol=1e-9)
    np.testing.assert_allclose(basis.components @ basis.components.T, np.eye(2), atol=1e-12)


def test_pca_without_history_makes_the_largest_loading_positive() -> None:
    C = _table(27, 10, seed=3)
    for table in (C, -C):  # the same directions, opposite signs of the data
        basis = pca_basis(table)
        for row in basis.components:
            assert row[np.argmax(np.abs(row))] > 0


def test_pca_sign_is_stable_under_a_small_perturbation() -> None:
    rng = np.random.default_rng(7)
    projector = PCAProjector()
    C = _table(27, 10, seed=5)
    first, _ = projector.project(C)
    previous = first
    for _ in range(50):  # fifty training frames, each nudging C a little
        C = C + rng.normal(scale=0.02, size=C.shape)
        points, _ = projector.project(C)
        # no frame is the mirror image of the one before: every coordinate moves only a little
        assert np.max(np.abs(points - previous)) < 0.5
        previous = points


def test_pca_follows_the_previous_orientation_when_the_fixed_rule_would_flip() -> None:
    # The first component's two largest loadings are nearly equal; a small change makes the
    # other one the largest, which by the fixed rule alone would flip the sign.
    direction_a = np.array([0.7, -0.69, 0.1, 0.0])
    direction_b = np.array([0.69, -0.7, 0.1, 0.0])
    rng = np.random.default_rng(1)
    t = rng.normal(size=(27, 1))
    noise = rng.normal(scale=0.01, size=(27, 4)) + np.outer(rng.normal(size=27), [0, 0, 0, 0.3])
    C1 = t * direction_a + noise
    C2 = t * direction_b + noise
    assert np.sign(pca_basis(C1).components[0][0]) != np.sign(pca_basis(C2).components[0][0])
    projector = PCAProjector()
    p1, _ = projector.project(C1)
    p2, _ = projector.project(C2)
    assert np.corrcoef(p1[:, 0], p2[:, 0])[0, 1] > 0.99  # same orientation, not mirrored
    projector.reset()
    assert projector.project(C2)[0][0, 0] == pytest.approx(pca_basis(C2).project(C2)[0, 0])


def test_pca_of_one_dimension_is_the_centred_column() -> None:
    C = _table(27, 1)
    basis = pca_basis(C)
    assert basis.components.shape == (1, 1)
    np.testing.assert_allclose(basis.explained, [1.0])
    points = basis.project(C)
    np.testing.assert_allclose(np.abs(points[:, 0]), np.abs(C[:, 0] - C[:, 0].mean()))
    np.testing.assert_array_equal(points[:, 1], np.zeros(27))


def test_pca_of_a_constant_table_does_not_fail() -> None:
    basis = pca_basis(np.ones((27, 10)))
    np.testing.assert_array_equal(basis.explained, [0.0, 0.0])
    np.testing.assert_allclose(basis.components @ basis.components.T, np.eye(2), atol=1e-12)
    np.testing.assert_array_equal(basis.project(np.ones((27, 10))), np.zeros((27, 2)))


def test_pca_of_two_rows_has_one_direction_with_all_the_variance() -> None:
    C = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])
    basis = pca_basis(C)
    np.testing.assert_allclose(basis.explained, [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(basis.components[0], [1 / 3, 2 / 3, 2 / 3], atol=1e-12)
    assert abs(basis.components[0] @ basis.components[1]) < 1e-12


def test_projector_starts_over_when_the_embedding_size_changes() -> None:
    projector = PCAProjector()
    projector.project(_table(27, 10))
    points, explained = projector.project(_table(27, 4))
    assert points.shape == (27, 2)
    assert explained.shape == (2,)


def test_pca_rejects_non_finite_values() -> None:
    C = _table(27, 10)
    C[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        pca_basis(C)


def test_tracked_pca_converges_to_the_exact_components() -> None:
    C = _table(40, 30, seed=11)
    projector = PCAProjector(exact_max=0)  # always track, as for a (200, 256) table
    ref_points, _, ref_explained = _svd_reference(C, 2)
    first, _ = projector.project(C)  # already close after the first frame
    for i in range(2):
        sign = np.sign(first[:, i] @ ref_points[:, i])
        np.testing.assert_allclose(first[:, i], sign * ref_points[:, i], atol=1e-2)
    for _ in range(10):
        points, explained = projector.project(C)
    for i in range(2):
        sign = np.sign(points[:, i] @ ref_points[:, i])
        np.testing.assert_allclose(points[:, i], sign * ref_points[:, i], atol=1e-8)
    np.testing.assert_allclose(explained, ref_explained, rtol=1e-8)


def test_tracked_pca_follows_a_table_that_changes_under_training() -> None:
    rng = np.random.default_rng(2)
    # a learned embedding's spectrum falls off: a few directions carry most of the variance
    C = rng.normal(size=(60, 120)) * 2.0 * 0.8 ** np.arange(120)
    tracked, exact = PCAProjector(exact_max=0), PCAProjector()
    for _ in range(30):
        C = C + rng.normal(scale=0.01, size=C.shape)
        tracked_points, tracked_explained = tracked.project(C)
        exact_points, exact_explained = exact.project(C)
        np.testing.assert_allclose(tracked_points, exact_points, atol=1e-4 * np.abs(C).max())
        np.testing.assert_allclose(tracked_explained, exact_explained, rtol=1e-4)


def test_large_tables_are_tracked_and_small_ones_solved_exactly() -> None:
    projector = PCAProjector()
    projector.project(_table(27, 10))
    assert projector._subspace is None
    projector.project(_table(200, 256))
    assert projector._subspace is not None and projector._subspace.shape == (256, 8)
    assert projector.basis is not None and projector.basis.components.shape == (2, 256)


@pytest.mark.parametrize(("vocab_size", "n_embd"), [(27, 2), (27, 10), (5, 40)])
def test_pca_matches_eigh_of_the_covariance_up_to_sign(vocab_size: int, n_embd: int) -> None:
    """An independent reference: eigenvectors of the covariance matrix (np.cov, np.linalg.eigh)."""
    C = _table(vocab_size, n_embd, seed=vocab_size + n_embd)
    variances, vectors = np.linalg.eigh(np.cov(C, rowvar=False))  # ascending
    reference = vectors[:, ::-1][:, :2].T  # (2, n_embd), by decreasing variance
    basis = pca_basis(C)
    for mine, ref in zip(basis.components, reference, strict=True):
        assert abs(float(mine @ ref)) == pytest.approx(1.0, abs=1e-9)  # same line
    np.testing.assert_allclose(
        basis.explained, variances[::-1][:2] / variances.sum(), rtol=1e-9, atol=1e-12
    )


def test_pca_sign_rule_makes_the_largest_loading_positive_for_flipped_data() -> None:
    """-C has the same principal directions: the rule orients them the same way, so the
    picture of -C is the mirror image of the picture of C, as the data is."""
    C = _table(27, 10, seed=11)
    basis, flipped = pca_basis(C), pca_basis(-C)
    np.testing.assert_allclose(flipped.components, basis.components, atol=1e-12)
    np.testing.assert_allclose(flipped.project(-C), -basis.project(C), atol=1e-12)


def _save_and_load_twice(path: Path, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    save_file({"C": torch.from_numpy(C.astype(np.float32))}, str(path))
    return load_file(str(path))["C"].numpy(), load_file(str(path))["C"].numpy()


@pytest.mark.parametrize(("vocab_size", "n_embd"), [(27, 10), (60, 40)])  # exact and tracked
def test_two_loads_of_one_model_file_give_the_same_picture(
    tmp_path: Path, vocab_size: int, n_embd: int
) -> None:
    """PCA's orientation flipped between two openings of the same model file, because
    it followed whatever model was shown before."""
    C = _table(vocab_size, n_embd, seed=21)
    first_load, second_load = _save_and_load_twice(tmp_path / "model.safetensors", C)
    projector = PCAProjector()
    first, _ = projector.project(first_load)
    # Other models of the same shape in between, each one oriented by the rule ...
    for seed in (22, 23):
        projector.project(_table(vocab_size, n_embd, seed=seed))
        projector.project(-_table(vocab_size, n_embd, seed=seed))
    second, _ = projector.project(second_load)
    np.testing.assert_array_equal(second, first)
    # ... and a fresh projector, as in another session of the app, draws it the same way.
    np.testing.assert_array_equal(PCAProjector().project(second_load)[0], first)


def test_a_training_step_follows_the_previous_frame_and_a_new_model_does_not() -> None:
    C = _table(27, 10, seed=31)
    projector = PCAProjector()
    projector.project(C)
    assert projector.continues(C + 0.01 * _table(27, 10, seed=32))
    assert not projector.continues(_table(27, 10, seed=33))
    assert not projector.continues(_table(27, 11, seed=33))
