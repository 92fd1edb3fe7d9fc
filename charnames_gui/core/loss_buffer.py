"""Bounded storage for a loss curve of any length (no Qt).

A 1,000,000-step run would keep a million floats per curve and redraw them all; instead the
buffer keeps at most `capacity` points. When it fills up, neighbouring pairs are averaged and
each point then stands for twice as many steps: memory and drawing cost stay bounded while the
curve keeps its shape. `bucket_means` gives the lecture's smoothing,
lossi.view(-1, 1000).mean(1), incrementally.
"""

from __future__ import annotations

import numpy as np


class DecimatingBuffer:
    def __init__(self, capacity: int = 200_000) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number of at least 2")
        self.capacity = capacity
        self.stride = 1  # steps per stored point
        self._steps = np.empty(capacity, dtype=np.float64)  # mean step of each point
        self._values = np.empty(capacity, dtype=np.float64)  # mean value of each point
        self._n = 0
        # fewer than `stride` steps that do not make a whole point yet
        self._pending_steps = np.empty(0, dtype=np.float64)
        self._pending_values = np.empty(0, dtype=np.float64)

    def __len__(self) -> int:
        return self._n

    def clear(self) -> None:
        self.stride = 1
        self._n = 0
        self._pending_steps = self._pending_values = np.empty(0, dtype=np.float64)

    def extend(self, first_step: int, values: np.ndarray) -> None:
        """Append per-step values; values[0] belongs to step first_step. Values kept for
        first_step or later are dropped first (a model rolled back to the last weights the
        app received trains those steps again)."""
        self.truncate(first_step)
        new_steps = np.arange(first_step, first_step + len(values), dtype=np.float64)
        steps = np.concatenate([self._pending_steps, new_steps])
        vals = np.concatenate([self._pending_values, np.asarray(values, dtype=np.float64)])
        i = 0
        while True:
            whole = min((len(vals) - i) // self.stride, self.capacity - self._n)
            if whole:
                end = i + whole * self.stride
                self._steps[self._n : self._n + whole] = (
                    steps[i:end].reshape(whole, self.stride).mean(axis=1)
                )
                self._values[self._n : self._n + whole] = (
                    vals[i:end].reshape(whole, self.stride).mean(axis=1)
                )
                self._n += whole
                i = end
            if self._n < self.capacity:
                break
            self._halve()  # full: n == capacity is even, so every point has a partner
        self._pending_steps = steps[i:].copy()
        self._pending_values = vals[i:].copy()

    def truncate(self, first_step: int) -> None:
        """Forget every value of step first_step or later (a stored point that mixes steps on
        both sides goes too)."""
        half_width = (self.stride - 1) / 2
        if self._n and self._steps[self._n - 1] + half_width >= first_step:
            self._n = int(np.searchsorted(self._steps[: self._n] + half_width, first_step))
            self._pending_steps = self._pending_values = np.empty(0, dtype=np.float64)
        keep = self._pending_steps < first_step
        if not keep.all():
            self._pending_steps = self._pending_steps[keep]
            self._pending_values = self._pending_values[keep]

    def _halve(self) -> None:
        """Average neighbouring pairs: half the points, each standing for twice the steps."""
        half = self._n // 2
        self._steps[:half] = self._steps[: 2 * half].reshape(half, 2).mean(axis=1)
        self._values[:half] = self._values[: 2 * half].reshape(half, 2).mean(axis=1)
        self._n = half
        self.stride *= 2

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) views of the stored points (valid until the next extend)."""
        return self._steps[: self._n], self._values[: self._n]


class BucketMeans:
    """Means of consecutive buckets of `size` steps: the lecture's
    lossi.view(-1, 1000).mean(1), computed as the chunks arrive."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._means: list[float] = []
        self._centres: list[float] = []
        self._sum = 0.0
        self._count = 0
        self._first_step = 0

    def clear(self) -> None:
        self._means.clear()
        self._centres.clear()
        self._sum = 0.0
        self._count = 0

    def extend(self, first_step: int, values: np.ndarray) -> None:
        self.truncate(first_step)
        values = np.asarray(values, dtype=np.float64)
        i = 0
        while i < len(values):
            if self._count == 0:
                self._first_step = first_step + i
            take = min(self.size - self._count, len(values) - i)
            self._sum += float(values[i : i + take].sum())
            self._count += take
            i += take
            if self._count == self.size:
                self._means.append(self._sum / self.size)
                self._centres.append(self._first_step + (self.size - 1) / 2)
                self._sum = 0.0
                self._count = 0

    def truncate(self, first_step: int) -> None:
        """Forget the buckets (whole or not) holding step first_step or later."""
        if self._count and self._first_step + self._count > first_step:
            self._sum, self._count = 0.0, 0  # the bucket being filled reaches it
        while self._centres and self._centres[-1] + (self.size - 1) / 2 >= first_step:
            self._centres.pop()
            self._means.pop()
            self._sum, self._count = 0.0, 0  # any bucket being filled came after it

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self._centres), np.asarray(self._means)
