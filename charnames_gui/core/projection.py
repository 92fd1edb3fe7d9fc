"""Two-dimensional pictures of the embedding table C, shape (vocab_size, n_embd).

The lecture draws two columns of C: plt.scatter(C[:, 0], C[:, 1]). With more than two
dimensions a learner can pick any two columns, or project the rows onto the two directions
along which they vary the most (PCA). Both live here, without Qt, so they can be checked
against numpy.

PCA is the SVD of the centred table (numpy.linalg.svd). It has a sign ambiguity: v and -v are
equally good components. The sign rule:

- A table on its own (a model just made or opened, the first frame): each component's loading
  of largest magnitude is positive. So the same model file always gives the same picture,
  whatever was shown before it.
- A training frame (the table moved less than PCAProjector.STEP_MAX of its spread since the
  previous frame): each component points the way it did in the previous frame, so the picture
  never mirrors from one frame to the next, even when the rule above would flip it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Below this |cos| between a new and the previous component, the previous orientation says
# nothing useful (the component turned by ~90 degrees) and the fixed rule decides instead.
_ALIGNMENT_MIN = 1e-3
# Exact PCA while min(vocab_size, n_embd) is at most this, which covers a lecture-sized
# vocabulary whatever n_embd; larger tables are tracked by subspace iteration.
EXACT_PCA_MAX = 32
_OVERSAMPLING = 6
_FIRST_POWER_STEPS = 12
# A frame continues the previous one when ||C - C_prev|| is at most this fraction of the
# previous table's spread ||C_prev - mean||. Two unrelated tables differ by at least about
# their spread (sqrt(2) of it for two alike). On the bundled names, 1,250 steps between frames
# (4 frames/s at 5,000 steps/s) move C by at most 0.65 of it with n_embd = 10; with n_embd = 2
# the first two frames after the random init move it by 0.9 and 0.8, so there the fixed rule
# orients them (a mirror image is possible once, while the picture changes most anyway).
STEP_MAX = 0.75


def select_dimensions(C: np.ndarray, x: int, y: int | None) -> np.ndarray:
    """(vocab_size, 2) points: column x of C against column y, or against 0 when y is None
    (an embedding with a single dimension is drawn as a strip)."""
    C = _as_table(C)
    n_embd = C.shape[1]
    for name, dim in (("x", x), ("y", y)):
        if dim is not None and not 0 <= dim < n_embd:
            raise ValueError(f"{name} dimension {dim} is outside 0..{n_embd - 1}")
    points = np.zeros((C.shape[0], 2))
    points[:, 0] = C[:, x]
    if y is not None:
        points[:, 1] = C[:, y]
    return points


@dataclass(frozen=True)
class PCABasis:
    """The top principal directions of the rows of C."""

    mean: np.ndarray  # (n_embd,) the mean row, subtracted before projecting
    components: (
        np.ndarray
    )  # (k, n_embd) orthonormal rows by decreasing variance, k = min(2, n_embd)
    explained: np.ndarray  # (k,) fraction of the total variance along each component

    @property
    def n_embd(self) -> int:
        return self.components.shape[1]

    def project(self, C: np.ndarray) -> np.ndarray:
        """(vocab_size, 2) coordinates of the centred rows; the second is 0 when k == 1."""
        C = _as_table(C)
        if C.shape[1] != self.n_embd:
            raise ValueError(f"C has {C.shape[1]} dimensions, the basis {self.n_embd}")
        points = np.zeros((C.shape[0], 2))
        points[:, : len(self.components)] = (C - self.mean) @ self.components.T
        return points


def pca_basis(C: np.ndarray, previous: PCABasis | None = None) -> PCABasis:
    """The two principal components of the rows of C (one if n_embd == 1), computed exactly.

    Signs follow `previous` when it has the same n_embd, so an animation does not flip;
    otherwise the entry of largest magnitude of each component is made positive.
    """
    C = _finite_table(C)
    mean = C.mean(axis=0)
    X = C - mean  # (vocab_size, n_embd)
    k = min(2, C.shape[1])
    components, variances = _principal_directions(X, k)
    return _oriented_basis(mean, components, variances, float(np.vdot(X, X)), previous)


class PCAProjector:
    """PCA for successive snapshots of C, each frame oriented like the one before.

    Small tables get an exact eigendecomposition every frame (well under 1 ms while
    min(vocab_size, n_embd) <= exact_max). A larger one takes up to 15-30 ms for (200, 256),
    and much longer while the trainer keeps the CPU busy, too long for a GUI frame, so the
    basis is tracked instead by subspace iteration (each step a pair of thin (vocab_size,
    n_embd) products): more steps on the first frame, a few per frame after it, which
    converge to the exact components while C changes slowly under training.
    """

    STEP_MAX = STEP_MAX

    def __init__(self, exact_max: int = EXACT_PCA_MAX, power_steps: int = 2) -> None:
        self.exact_max = exact_max
        self.power_steps = power_steps
        self.basis: PCABasis | None = None
        self._subspace: np.ndarray | None = None  # (n_embd, p) orthonormal columns, tracked
        self._previous: np.ndarray | None = None  # the previous frame's C

    def reset(self) -> None:
        """Forget the orientation (a new model: nothing to stay continuous with)."""
        self.basis = None
        self._subspace = None
        self._previous = None

    def continues(self, C: np.ndarray) -> bool:
        """Whether C is a training step away from the previous frame's table."""
        prev = self._previous
        if prev is None or prev.shape != C.shape:
            return False
        spread = float(np.linalg.norm(prev - prev.mean(axis=0)))
        return float(np.linalg.norm(C - prev)) <= self.STEP_MAX * spread

    def project(self, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(vocab_size, 2) points and the (k,) explained-variance fractions."""
        C = _finite_table(C)
        if not self.continues(C):  # another model: the fixed sign rule, from a fresh start
            self.reset()
        self._previous = C.copy()
        if min(C.shape) <= self.exact_max:
            self._subspace = None
            self.basis = pca_basis(C, self.basis)
        else:
            self.basis = self._tracked_basis(C)
        return self.basis.project(C), self.basis.explained

    def _tracked_basis(self, C: np.ndarray) -> PCABasis:
        mean = C.mean(axis=0)
        X = C - mean
        n_embd = C.shape[1]
        k = min(2, n_embd)
        p = min(n_embd, k + _OVERSAMPLING)  # a few extra directions speed up convergence
        steps = self.power_steps
        if self._subspace is None or self._subspace.shape != (n_embd, p):
            # a fixed random start (the same picture every time), then extra steps so the
            # first frame is already close; no O(n^3) decomposition on the GUI thread
            Q = np.random.default_rng(0).standard_normal((n_embd, p))
            steps = _FIRST_POWER_STEPS
        else:
            Q = self._subspace
        for _ in range(steps):
            Q, _ = np.linalg.qr(X.T @ (X @ Q))  # (n_embd, p)
        # Rayleigh-Ritz: the best directions inside span(Q), sorted by variance
        B = X @ Q  # (vocab_size, p)
        variances, rotation = np.linalg.eigh(B.T @ B)
        order = np.argsort(variances)[::-1]
        Q = Q @ rotation[:, order]
        self._subspace = Q
        variances = np.clip(variances[order][:k], 0.0, None)
        return _oriented_basis(mean, Q[:, :k].T, variances, float(np.vdot(X, X)), self.basis)


def _principal_directions(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The top k unit directions (k, n_embd) of centred rows X and their sums of squares (k,)."""
    n_embd = X.shape[1]
    # X = U S Vt: the rows of Vt are the principal directions, S**2 the variance along each
    # (times vocab_size, like the total vdot(X, X) it is divided by)
    _, S, Vt = np.linalg.svd(X, full_matrices=False)  # S descending, Vt (min(V, E), n_embd)
    top, components = S[:k] ** 2, Vt[:k]
    if len(top) < k:  # fewer rows than k: pad, _orthonormal_rows fills in directions
        top = np.concatenate([top, np.zeros(k - len(top))])
        components = np.vstack([components, np.zeros((k - len(components), n_embd))])
    top = np.clip(top, 0.0, None)
    return _orthonormal_rows(components, top, float(np.vdot(X, X))), top


def _oriented_basis(
    mean: np.ndarray,
    components: np.ndarray,
    variances: np.ndarray,
    total: float,
    previous: PCABasis | None,
) -> PCABasis:
    components = components.copy()
    reference = previous if previous is not None and previous.n_embd == len(mean) else None
    for i in range(len(components)):
        components[i] *= _orientation(components[i], reference, i)
    explained = variances / total if total > 0 else np.zeros(len(variances))
    return PCABasis(mean=mean, components=components, explained=explained)


def _finite_table(C: np.ndarray) -> np.ndarray:
    C = _as_table(C)
    if not np.all(np.isfinite(C)):
        raise ValueError("C contains NaN or infinite values")
    return C


def _as_table(C: np.ndarray) -> np.ndarray:
    C = np.asarray(C, dtype=np.float64)
    if C.ndim != 2 or C.shape[0] < 1 or C.shape[1] < 1:
        raise ValueError(f"C must be a (vocab_size, n_embd) table, not shape {C.shape}")
    return C


def _orthonormal_rows(components: np.ndarray, variances: np.ndarray, total: float) -> np.ndarray:
    """Unit-length rows; a direction with no variance (all rows of C equal along it) is
    arbitrary, so a coordinate axis orthogonal to the earlier rows stands in for it."""
    out = np.zeros_like(components)
    n_embd = components.shape[1]
    tiny = 1e-12 * max(total, 1e-300)
    for i, row in enumerate(components):
        norm = float(np.linalg.norm(row))
        if variances[i] > tiny and norm > 0:
            out[i] = row / norm
            continue
        for axis in range(n_embd):  # the first coordinate axis not spanned by earlier rows
            candidate = np.zeros(n_embd)
            candidate[axis] = 1.0
            candidate -= out[:i].T @ (out[:i] @ candidate)
            if np.linalg.norm(candidate) > 1e-6:
                out[i] = candidate / np.linalg.norm(candidate)
                break
    return out


def _orientation(component: np.ndarray, reference: PCABasis | None, i: int) -> float:
    """+1 or -1: the sign that keeps `component` pointing the way it did before."""
    if reference is not None and i < len(reference.components):
        alignment = float(component @ reference.components[i])
        if abs(alignment) > _ALIGNMENT_MIN:
            return 1.0 if alignment > 0 else -1.0
    return 1.0 if component[np.argmax(np.abs(component))] >= 0 else -1.0
