"""The time left of a run: from the recent rate, only once that rate is steady."""

from __future__ import annotations

import pytest

from charnames_gui.core.eta import RemainingTime


def _feed(eta: RemainingTime, rates: list[float], start: tuple[float, int] = (0.0, 0)) -> int:
    """One point per quarter second, each second at the given rate; returns the last step."""
    seconds, step = start
    for rate in rates:
        for _ in range(4):
            seconds += 0.25
            step += round(rate / 4)
            eta.add(seconds, step)
    return step


def test_no_estimate_from_the_first_seconds() -> None:
    eta = RemainingTime()
    _feed(eta, [3000.0, 3000.0])  # two seconds: too little to say
    assert eta.seconds_left(200_000) is None


def test_a_slow_start_gives_no_absurd_estimate() -> None:
    """75 steps/s at step 204 once said "Time left 44 min" for a run at ~3,000 steps/s."""
    eta = RemainingTime()
    step = _feed(eta, [75.0, 75.0, 3000.0, 3000.0])
    assert eta.seconds_left(200_000) is None  # the halves disagree: not steady yet
    step = _feed(eta, [3000.0] * 10, start=(4.0, step))
    left = eta.seconds_left(200_000)
    assert left == pytest.approx((200_000 - step) / 3000.0, rel=0.01)


def test_a_new_run_starts_the_estimate_afresh() -> None:
    eta = RemainingTime()
    _feed(eta, [1000.0] * 6)
    assert eta.seconds_left(100_000) is not None
    eta.add(0.25, 10)  # back to the start of a run
    assert eta.seconds_left(100_000) is None


def test_done_means_nothing_left() -> None:
    eta = RemainingTime()
    step = _feed(eta, [1000.0] * 6)
    assert eta.seconds_left(step) == 0.0
