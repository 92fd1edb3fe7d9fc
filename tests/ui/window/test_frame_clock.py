"""The frame clock: the primary view every other frame, the most overdue other view between."""

from __future__ import annotations

import numpy as np

from charnames_gui.ui.window.frame_clock import FrameClock, LiveView


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_frame_paints_one_view(qtbot) -> None:
    time = FakeTime()
    painted: list[str] = []
    clock = FrameClock(lambda: painted.append("loss plot"), now=time)
    for name in ("progress", "embedding", "sampling"):
        clock.add_view(LiveView(name, 0.25, lambda: True, lambda n=name: painted.append(n)))
    names = [clock.tick() for _ in range(6)]
    assert names[::2] == ["primary"] * 3  # every other frame, whatever else is due
    assert sorted(names[1::2]) == ["embedding", "progress", "sampling"]
    assert painted[::2] == ["loss plot"] * 3
    # none of the others is due again until its refresh interval has passed
    assert [clock.tick(), clock.tick()] == ["primary", None]
    time.now += 0.3
    assert clock.tick() == "primary"
    assert clock.tick() in ("progress", "embedding", "sampling")


def test_the_most_overdue_view_goes_first(qtbot) -> None:
    time = FakeTime()
    clock = FrameClock(lambda: None, now=time)
    clock.add_view(LiveView("fast", 0.25, lambda: True, lambda: None, last_shown=99.5))
    clock.add_view(LiveView("slow", 2.0, lambda: True, lambda: None, last_shown=97.0))
    clock.tick()
    assert clock.tick() == "slow"  # 1.0 s overdue against 0.25 s


def test_a_view_without_news_is_skipped(qtbot) -> None:
    clock = FrameClock(lambda: None, now=FakeTime())
    news = {"embedding": False}
    clock.add_view(LiveView("embedding", 0.25, lambda: news["embedding"], lambda: None))
    assert [clock.tick(), clock.tick()] == ["primary", None]
    news["embedding"] = True
    assert [clock.tick(), clock.tick()] == ["primary", "embedding"]


def test_the_timer_plays_frames_inside_the_guard(qtbot) -> None:
    from contextlib import contextmanager

    events: list[str] = []

    @contextmanager
    def guard():
        events.append("enter")
        yield
        events.append("exit")

    clock = FrameClock(lambda: events.append("frame"), interval_ms=5, frame_guard=guard)
    clock.start()
    qtbot.waitUntil(lambda: events.count("frame") >= 1, timeout=2_000)
    clock.stop()
    assert not clock.is_running()
    assert events[:3] == ["enter", "frame", "exit"]


def test_a_slower_pace_spaces_the_primary_and_the_paced_views(qtbot) -> None:
    """While K seeds train: the primary view at most every primary_seconds, each paced view
    `slower` times less often, a view that is not paced (the step count) as before."""
    from charnames_gui.ui.window.frame_clock import NORMAL, Pace

    time = FakeTime()
    clock = FrameClock(lambda: None, now=time)
    clock.add_view(LiveView("hidden layer", 0.25, lambda: True, lambda: None))
    clock.add_view(LiveView("progress", 0.25, lambda: True, lambda: None, paced=False))
    clock.pace = Pace(slower=4.0, primary_seconds=0.2)
    shown: list[tuple[float, str]] = []
    for _ in range(40):  # 2 s of 50 ms frames
        name = clock.tick()
        if name is not None:
            shown.append((round(time.now - 100.0, 2), name))
        time.now += 0.05
    primary = [t for t, name in shown if name == "primary"]
    assert len(primary) == 10 and np.diff(primary).min() >= 0.2 - 1e-9
    hidden = [t for t, name in shown if name == "hidden layer"]
    assert len(hidden) == 2 and hidden[1] - hidden[0] >= 1.0  # every 4 x 0.25 s
    progress = [t for t, name in shown if name == "progress"]
    assert len(progress) >= 6  # still about every 0.25 s
    clock.pace = NORMAL
    assert [clock.tick(), clock.tick()] == ["primary", "hidden layer"]  # 0.3 s since
