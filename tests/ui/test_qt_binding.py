"""Guards against a broken Qt binding: PySide6 6.12.0's Signal.emit() lost a reference on
every call and aborted the app after about a thousand emits."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    plain = Signal()
    number = Signal(int)
    payload = Signal(object)


def test_emitting_signals_keeps_reference_counts(qapp: object) -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.payload.connect(received.append)
    before = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))
    for _ in range(200):
        emitter.plain.emit()
        emitter.number.emit(1)
        emitter.payload.emit(None)
    received.clear()
    after = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))
    # a handful of references may come and go elsewhere; a leak here is hundreds
    assert all(abs(a - b) < 50 for a, b in zip(after, before, strict=True)), (before, after)
