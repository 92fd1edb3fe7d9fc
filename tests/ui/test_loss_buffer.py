"""The loss plot's bounded buffers: a million steps keep their shape in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from charnames_gui.ui.loss_buffer import BucketMeans, DecimatingBuffer


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
