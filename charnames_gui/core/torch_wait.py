"""What the learner asks for while PyTorch still loads (the app's start, see app.py): kept
in order and carried out once it has loaded.

A request has a kind: "model" (make a model), "open" (open a model file) or "start" (Start
training). A kind asked again replaces its earlier request (the last model settings win, a
second Start is still one Start). When torch has loaded, Start is carried out last, so it
starts whichever model the other requests leave. No Qt, no torch: the controller holds one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

RequestKind = Literal["model", "open", "start"]


class TorchWait:
    """Requests waiting for PyTorch; `ready` once it has loaded (then nothing waits)."""

    def __init__(self, ready: bool = False) -> None:
        self.ready = ready
        self._waiting: list[tuple[RequestKind, Callable[[], object]]] = []

    def when_ready(self, kind: RequestKind, action: Callable[[], object]) -> bool:
        """Run action now if torch has loaded (returning its result as a bool), else keep
        it for then, in place of an earlier request of this kind (True: accepted)."""
        if self.ready:
            return bool(action())
        self._waiting = [(k, a) for k, a in self._waiting if k != kind]
        self._waiting.append((kind, action))
        return True

    def is_waiting_for(self, kind: RequestKind) -> bool:
        """True when a request of this kind waits for torch."""
        return any(k == kind for k, _ in self._waiting)

    def loaded(self) -> list[Callable[[], object]]:
        """Torch has loaded: `ready` from now on. Returns the waiting actions in the order
        to carry them out (as asked, Start last) and forgets them; [] when already ready."""
        if self.ready:
            return []
        self.ready = True
        waiting = sorted(self._waiting, key=lambda request: request[0] == "start")
        self._waiting = []
        return [action for _, action in waiting]
