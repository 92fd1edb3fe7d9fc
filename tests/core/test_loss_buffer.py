"""The loss plot's bounded buffers: a million steps keep their shape in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from charnames_gui.core.loss_buffer import BucketMeans, DecimatingBuffer


def test_short_curves_are_kept_exactly() -> None:
    buffer = DecimatingBuffer(capacity=100)
    values = np.linspace(3.0, 2.0, 60)
    buffer.extend(1, values[:25])
    buffer.extend(26, values[25:])
    steps, stored = buffer.data()
    assert buffer.stride == 1
    np.testing.assert_array_equal(steps, np.arange(1, 61))
    np.testing.assert_allclose(stored, values)


def test_a_million_steps_stay_bounded_and_keep_their_mean() -> None:
    rng = np.random.default_rng(0)
    buffer = DecimatingBuffer(capacity=2_000)
    total = 1_000_000
    values = 2.0 + 0.5 * np.exp(-np.arange(total) / 100_000) + 0.1 * rng.standard_normal(total)
    for start in range(0, total, 7_777):  # chunks of any size, as the worker sends them
        buffer.extend(start + 1, values[start : start + 7_777])
    steps, stored = buffer.data()
    assert len(stored) <= 2_000
    assert buffer.stride == 512  # doubled until a million steps fit: 1,953 points
    assert np.all(np.diff(steps) > 0)
    # every point is the mean of `stride` consecutive steps, at their mean step
    np.testing.assert_allclose(stored[0], values[:512].mean())
    np.testing.assert_allclose(steps[0], np.arange(1, 513).mean())
    np.testing.assert_allclose(stored.mean(), values[: len(stored) * 512].mean(), rtol=1e-9)


def test_capacity_must_be_even() -> None:
    with pytest.raises(ValueError):
        DecimatingBuffer(capacity=3)


def test_bucket_means_are_the_lectures_view_mean() -> None:
    values = np.random.default_rng(1).random(10_000)
    means = BucketMeans(1_000)
    for start in range(0, 10_000, 333):
        means.extend(start + 1, values[start : start + 333])
    centres, got = means.data()
    np.testing.assert_allclose(got, values.reshape(-1, 1000).mean(1))  # lossi.view(-1, 1000)
    np.testing.assert_allclose(centres, np.arange(10) * 1000 + 500.5)


def test_steps_trained_again_replace_the_ones_after_them() -> None:
    """A model rolled back to the last weights received (the training process died) trains
    those steps again: the curves keep one value per step, the new one."""
    buffer, means = DecimatingBuffer(capacity=100), BucketMeans(10)
    buffer.extend(1, np.full(60, 3.0))
    means.extend(1, np.full(60, 3.0))
    buffer.extend(41, np.full(30, 2.0))  # back to step 40, then 30 new steps
    means.extend(41, np.full(30, 2.0))
    steps, stored = buffer.data()
    np.testing.assert_array_equal(steps, np.arange(1, 71))
    np.testing.assert_array_equal(stored, [3.0] * 40 + [2.0] * 30)
    centres, values = means.data()
    np.testing.assert_array_equal(centres, [5.5 + 10 * i for i in range(7)])
    np.testing.assert_array_equal(values, [3.0] * 4 + [2.0] * 3)
    # once decimated (stride 2 here), whole points before the step are kept
    buffer.extend(1, np.arange(150, dtype=np.float64))
    assert buffer.stride == 2
    buffer.extend(101, np.zeros(4))
    steps, stored = buffer.data()
    assert steps.max() < 105 and (steps[:-2] < 100.5).all()
    np.testing.assert_array_equal(stored[-2:], [0.0, 0.0])
