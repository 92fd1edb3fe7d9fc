"""The time a run has left, from the rate of its recent steps, said only once that rate is
steady.

The rate of the first second of a run (the training process warming up, another program
busy) can be a tenth of the rate that follows: "Time left 44 min" at step 204 of a run that
ends in 3 minutes. So the estimate uses a window of recent steps, and waits until the
window's two halves agree on the rate."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

WINDOW_SECONDS = 10.0  # the rate of the steps of about the last 10 s of training
MIN_SECONDS = 3.0  # no estimate from less than this much training
TOLERANCE = 0.25  # the two halves of the window agree within 25%


@dataclass
class RemainingTime:
    """Feed it (training seconds, step) as progress arrives; seconds_left() says how long
    the rest of the run takes at the recent rate, or None while that rate is not known."""

    window_seconds: float = WINDOW_SECONDS
    min_seconds: float = MIN_SECONDS
    tolerance: float = TOLERANCE
    _points: deque[tuple[float, int]] = field(default_factory=deque)

    def reset(self) -> None:
        self._points.clear()

    def add(self, seconds: float, step: int) -> None:
        """seconds: the run's training time (pauses left out); step: the model's step."""
        if self._points and (seconds < self._points[-1][0] or step < self._points[-1][1]):
            self.reset()  # another run, or the model went back
        if self._points and seconds == self._points[-1][0]:
            self._points.pop()
        self._points.append((seconds, step))
        while len(self._points) > 2 and seconds - self._points[1][0] >= self.window_seconds:
            self._points.popleft()

    def _rate(self, first: tuple[float, int], last: tuple[float, int]) -> float:
        span = last[0] - first[0]
        return (last[1] - first[1]) / span if span > 0 else 0.0

    def rate(self) -> float | None:
        """Steps per second over the window, once it is steady (else None)."""
        points = self._points
        if len(points) < 3 or points[-1][0] - points[0][0] < self.min_seconds:
            return None
        middle = points[0][0] + (points[-1][0] - points[0][0]) / 2
        split = next(i for i, p in enumerate(points) if p[0] >= middle)
        split = min(max(split, 1), len(points) - 2)
        early = self._rate(points[0], points[split])
        late = self._rate(points[split], points[-1])
        if early <= 0 or late <= 0 or abs(late - early) > self.tolerance * max(early, late):
            return None
        return self._rate(points[0], points[-1])

    def seconds_left(self, total: int) -> float | None:
        """Seconds until step `total` at the steady recent rate; None while not known."""
        rate = self.rate()
        if rate is None or not self._points:
            return None
        return max(total - self._points[-1][1], 0) / rate
