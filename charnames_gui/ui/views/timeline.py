"""The replay timeline: a slider over the run's replay frames, Play, and Back to live.

It renders the frames' steps and losses and emits intent: frameChosen(index) when the
learner picks a frame (drag, click, Left/Right, Home/End, Play), liveChosen() for Back to
live. What a frame shows is the window's business (ui/window/replay.py).

The slider moves one frame per position, so it is dense where the frames are (early steps)
and sparse late, like the schedule (core/snapshots.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

PLAY_FPS = 8  # frames a second while playing: a 161-frame run plays in 20 s
NO_FRAMES_TEXT = "Replay: train to record frames"


class Timeline(QWidget):
    frameChosen = Signal(int)  # index into the frames
    liveChosen = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._steps: list[int] = []
        self._losses: list[float] = []
        self._index: int | None = None  # None: live
        self.play_button = QPushButton("Play")
        self.play_button.setAccessibleName("Play the replay")
        self.play_button.setToolTip("Play the run's frames from the one shown (or the first)")
        self.play_button.setCheckable(True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName("Replay frame")
        self.slider.setToolTip(
            "Drag through the run: the embedding, the bars, the forward pass and the hidden "
            "layer show the model at that step (Left/Right: one frame, Home/End)"
        )
        self.slider.setMinimumWidth(120)
        self.slider.setPageStep(10)
        self.label = QLabel(NO_FRAMES_TEXT)
        self.label.setMinimumWidth(
            self.label.fontMetrics().horizontalAdvance("step 200,000 · loss 2.345")
        )
        self.live_button = QPushButton("Back to live")
        self.live_button.setAccessibleName("Back to the live model")
        self.live_button.setToolTip("Show the model as it is now again")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.play_button)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        layout.addWidget(self.live_button)
        self._timer = QTimer(self)
        self._timer.setInterval(round(1000 / PLAY_FPS))
        self._timer.timeout.connect(self._advance)
        self.slider.valueChanged.connect(self._on_slider)
        self.play_button.toggled.connect(self._on_play)
        self.live_button.clicked.connect(self.go_live)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._update()

    # -- state shown --------------------------------------------------------------------------
    def set_frames(self, steps: Sequence[int], losses: Sequence[float]) -> None:
        """The frames recorded so far. While live the slider stays at the end; a frame
        being shown stays shown (the same step) as later frames arrive."""
        shown = self.step
        self._steps, self._losses = list(steps), list(losses)
        if self._index is not None:
            if not self._steps or shown is None:
                self._index = None
            else:  # the same step, or the last frame before it (a model gone back)
                before = [i for i, s in enumerate(self._steps) if s <= shown]
                self._index = before[-1] if before else 0
        self._update()

    @property
    def index(self) -> int | None:
        """The frame shown, or None while live."""
        return self._index

    @property
    def step(self) -> int | None:
        return self._steps[self._index] if self._index is not None else None

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    # -- intent -------------------------------------------------------------------------------
    def choose(self, index: int) -> None:
        """Show frame `index` (clamped to the frames)."""
        if not self._steps:
            return
        index = max(0, min(len(self._steps) - 1, index))
        if index == self._index:
            return
        self._index = index
        self._update()
        self.frameChosen.emit(index)

    def go_live(self) -> None:
        self.play_button.setChecked(False)
        if self._index is None:
            return
        self._index = None
        self._update()
        self.liveChosen.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        current = self._index if self._index is not None else len(self._steps) - 1
        moves = {
            Qt.Key.Key_Left: current - 1,
            Qt.Key.Key_Right: current + 1,
            Qt.Key.Key_Home: 0,
            Qt.Key.Key_End: len(self._steps) - 1,
        }
        if key in moves and self._steps:
            self.play_button.setChecked(False)
            self.choose(moves[Qt.Key(key)])
            event.accept()
            return
        super().keyPressEvent(event)

    # -- internals ----------------------------------------------------------------------------
    def _on_slider(self, value: int) -> None:
        if self._steps:
            self.choose(value)

    def _on_play(self, on: bool) -> None:
        if on and self._steps:
            if self._index is None or self._index >= len(self._steps) - 1:
                self._index = None
                self.choose(0)
            self._timer.start()
        else:
            self._timer.stop()
        self.play_button.setText("Pause" if on else "Play")

    def _advance(self) -> None:
        if self._index is None or self._index >= len(self._steps) - 1:
            self.play_button.setChecked(False)  # at the end: stay on the last frame
            return
        self.choose(self._index + 1)

    def _update(self) -> None:
        n = len(self._steps)
        has = n > 0
        for widget in (self.play_button, self.slider):
            widget.setEnabled(has)
        self.live_button.setEnabled(self._index is not None)
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, max(0, n - 1))
            self.slider.setValue(self._index if self._index is not None else max(0, n - 1))
        if not has:
            self.label.setText(NO_FRAMES_TEXT)
        elif self._index is None:
            self.label.setText(f"live · {n} frames")
        else:
            loss = self._losses[self._index]
            shown = "" if math.isnan(loss) else f" · loss {loss:.3f}"
            self.label.setText(f"step {self._steps[self._index]:,}{shown}")
