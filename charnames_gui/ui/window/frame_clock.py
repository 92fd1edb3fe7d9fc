"""One clock for every live view: a frame paints at most one view.

The loss plot, the embedding, the sampling bars and the progress figures each take 5-20 ms to
repaint; painted in the same frame they held the GUI thread for 50-70 ms. So the primary view
(the loss plot) gets every other frame, and each frame in between goes to whichever of the
others is the most overdue. A view that is due waits a frame or two (50 ms each).

While K seeds train together (Train > Repeat) the window slows the clock's views down
(`pace`): the seeds' band changes slowly, and on a busy machine every frame painted is a
chance for the GUI thread to wait for a core (benchmarks/gui_repeat_responsiveness.py).

The clock is a plain object with a `tick()` that tests call directly, with a fake time
source, instead of waiting for the timer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer

FRAME_INTERVAL_MS = 50  # 20 Hz: the primary view at 10 Hz, the others share the rest


@dataclass
class LiveView:
    """A view the clock repaints at most every `refresh_seconds`, when `has_news()`."""

    name: str
    refresh_seconds: float
    has_news: Callable[[], bool]  # something new to show (and the view is worth painting)
    show: Callable[[], None]  # paint it now
    last_shown: float = float("-inf")
    paced: bool = True  # slowed down with the clock's pace (the step count is not)


@dataclass(frozen=True)
class Pace:
    """How fast the views follow: each paced view's refresh interval times `slower`, and the
    primary view at most every `primary_seconds` (0: every other frame)."""

    slower: float = 1.0
    primary_seconds: float = 0.0


NORMAL = Pace()


class FrameClock(QObject):
    def __init__(
        self,
        primary: Callable[[], None],
        parent: QObject | None = None,
        interval_ms: int = FRAME_INTERVAL_MS,
        now: Callable[[], float] = time.monotonic,
        frame_guard: Callable[[], AbstractContextManager[object]] | None = None,
    ) -> None:
        """primary: redraws the primary view (cheap when nothing changed).
        frame_guard: a context manager around each frame (the window uses it to keep the
        worker waiting while the frame is painted)."""
        super().__init__(parent)
        self._primary = primary
        self._now = now
        self._guard = frame_guard or nullcontext
        self._views: list[LiveView] = []
        self._primary_turn = False
        self._primary_shown = float("-inf")
        self._interval = interval_ms / 1000
        self.pace = NORMAL
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timeout)

    def add_view(self, view: LiveView) -> None:
        self._views.append(view)

    def has_news(self) -> bool:
        """Some view has something to show at a coming frame."""
        return any(view.has_news() for view in self._views)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def flush(self) -> None:
        """Show every view's news now, whatever its rate (a test that waits for the views)."""
        with self._guard():
            self._primary()
            for view in self._views:
                if view.has_news():
                    view.last_shown = self._now()
                    view.show()

    def _refresh(self, view: LiveView) -> float:
        return view.refresh_seconds * (self.pace.slower if view.paced else 1.0)

    def _on_timeout(self) -> None:
        with self._guard():
            self.tick()

    def tick(self) -> str | None:
        """Play one frame. Returns the name of the view painted ("primary" or a LiveView's
        name), or None when no view was due."""
        self._primary_turn = not self._primary_turn
        now = self._now()
        if self._primary_turn:
            # (half a frame of slack: a frame a little early is not put off by a whole turn)
            if now - self._primary_shown < self.pace.primary_seconds - self._interval / 2:
                return None
            self._primary_shown = now
            self._primary()
            return "primary"
        due = [
            (now - view.last_shown - self._refresh(view), view)
            for view in self._views
            if view.has_news()
        ]
        due = [(overdue, view) for overdue, view in due if overdue >= 0]
        if not due:
            return None
        _, view = max(due, key=lambda item: item[0])
        view.last_shown = now
        view.show()
        return view.name
