"""The replay timeline: a slider over the run's replay frames, Play, and Back to live.

It renders the frames' steps and losses and emits intent: frameChosen(index) when the
learner picks a frame (drag, click, Left/Right, Home/End, Play), liveChosen() for Back to
live, exportRequested() for Export. What a frame shows is the window's business
(ui/window/replay.py).

It fits any width: one row when there is room, else the slider on a row of its own above
the buttons (a small screen, or large text), so no button is ever cut off.

The slider moves one frame per position, so it is dense where the frames are (early steps)
and sparse late, like the schedule (core/snapshots.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QKeyEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSizePolicy,
    QSlider,
    QStyle,
    QWidget,
)

PLAY_FPS = 8  # frames a second while playing: a 161-frame run plays in 20 s
NO_FRAMES_TEXT = "Replay: train to record frames"
SLIDER_MIN_WIDTH = 160  # at 100% text: room to drag through 160-odd frames
# a window fewer lines of text high than this (a small screen at large zoom) gets the compact
# timeline: one low row of icon buttons, so the loss plot keeps its room
COMPACT_LINES = 24
ROW, ROWS, COMPACT = "row", "rows", "compact"


class Timeline(QWidget):
    frameChosen = Signal(int)  # index into the frames
    liveChosen = Signal()
    exportRequested = Signal()

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
        self.slider.setPageStep(10)
        self.label = QLabel(NO_FRAMES_TEXT)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.live_button = QPushButton("Back to live")
        self.live_button.setAccessibleName("Back to the live model")
        self.live_button.setToolTip("Show the model as it is now again")
        self.export_button = QPushButton("Export…")
        self.export_button.setAccessibleName("Export the replay")
        self.export_button.setToolTip(
            "The run as an MP4 video or animated GIF, or the step shown as a PNG or SVG, for slides"
        )
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(4, 2, 4, 2)
        self._layout.setVerticalSpacing(2)
        # the layout sets no minimum of its own: minimumSizeHint says how narrow it may be
        self._layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self._mode: str | None = None
        self._watched: QWidget | None = None  # the window whose height is watched
        self._arrange(ROW)
        self._timer = QTimer(self)
        self._timer.setInterval(round(1000 / PLAY_FPS))
        self._timer.timeout.connect(self._advance)
        self.slider.valueChanged.connect(self._on_slider)
        self.play_button.toggled.connect(self._on_play)
        self.live_button.clicked.connect(self.go_live)
        self.export_button.clicked.connect(self.exportRequested)
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

    def slider_steps(self) -> list[int]:
        """The steps of the frames the slider moves through."""
        return list(self._steps)

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

    # -- layout -------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        """ROW: one row with the step and loss; ROWS: the slider above the buttons (narrow);
        COMPACT: one low row of icons (a window only a few lines of text high)."""
        return self._mode or ROW

    @property
    def two_rows(self) -> bool:
        """The slider is on a row of its own (the timeline is narrow)."""
        return self._mode == ROWS

    def _label_width(self) -> int:
        metrics = self.label.fontMetrics()  # (the text before the first frame is the longer)
        return max(metrics.horizontalAdvance(t) for t in ("step 200,000 · loss 2.345",
                                                          NO_FRAMES_TEXT)) + 4  # fmt: skip

    def _slider_width(self) -> int:
        # grows with the text (zoom): a thumb that is easy to catch
        return round(SLIDER_MIN_WIDTH * self.fontMetrics().height() / 16)

    def _one_row_width(self) -> int:
        """The width one row needs: the buttons, the label and a slider of its minimum."""
        spacing = max(0, self._layout.horizontalSpacing())
        buttons = sum(b.sizeHint().width() for b in self._buttons())
        texts = sum(  # as they are with their texts (in compact mode they show icons)
            b.fontMetrics().horizontalAdvance(text) - b.fontMetrics().horizontalAdvance(b.text())
            for b, text in zip(self._buttons(), self._texts(), strict=True)
        )
        return buttons + texts + self._label_width() + self._slider_width() + 4 * spacing + 8

    def _buttons(self) -> tuple[QPushButton, QPushButton, QPushButton]:
        return (self.play_button, self.live_button, self.export_button)

    def _texts(self) -> tuple[str, str, str]:
        return ("Pause" if self.play_button.isChecked() else "Play", "Back to live", "Export…")

    def _mode_for(self, width: int) -> str:
        window = self.window()
        line = self.fontMetrics().height()
        if window is not self and window.height() < COMPACT_LINES * line:
            return COMPACT
        return ROW if width >= self._one_row_width() else ROWS

    def _arrange(self, mode: str) -> None:
        if mode == self._mode:
            return
        self._mode = mode
        layout = self._layout
        row: tuple[QWidget, ...] = (
            self.play_button, self.slider, self.label, self.live_button, self.export_button
        )  # fmt: skip
        for widget in row:
            layout.removeWidget(widget)
        for column in range(5):
            layout.setColumnStretch(column, 0)
            layout.setColumnMinimumWidth(column, 0)
        compact = mode == COMPACT
        self.label.setVisible(not compact)
        self.label.setMinimumWidth(self._label_width() if mode == ROW else 0)
        self.label.setWordWrap(mode == ROWS)  # beside the buttons it may need two lines
        self.slider.setMinimumWidth(self._slider_width() if mode == ROW else 0)
        if compact:
            layout.setContentsMargins(2, 0, 2, 0)
        else:
            layout.setContentsMargins(4, 2, 4, 2)
        self._show_button_faces()
        if mode == ROWS:
            layout.addWidget(self.slider, 0, 0, 1, 4)
            layout.addWidget(self.play_button, 1, 0)
            layout.addWidget(self.label, 1, 1)
            layout.addWidget(self.live_button, 1, 2)
            layout.addWidget(self.export_button, 1, 3)
        else:
            for column, widget in enumerate(row):
                layout.addWidget(widget, 0, column)
            if mode == ROW:  # the label's policy ignores its size: the column keeps its room
                layout.setColumnMinimumWidth(2, self._label_width())
        layout.setColumnStretch(1, 1)
        self.updateGeometry()

    def _show_button_faces(self) -> None:
        """Texts, or in compact mode icons (their texts stay in the tooltips)."""
        style = self.style()
        pixmap = QStyle.StandardPixmap
        playing = self.play_button.isChecked()
        icons = (
            pixmap.SP_MediaPause if playing else pixmap.SP_MediaPlay,
            pixmap.SP_MediaSkipForward,
            pixmap.SP_DialogSaveButton,
        )
        compact = self._mode == COMPACT
        for button, text, icon in zip(self._buttons(), self._texts(), icons, strict=True):
            button.setText("" if compact else text)
            button.setIcon(style.standardIcon(icon) if compact else QIcon())

    def minimumSizeHint(self) -> QSize:
        # narrow is fine (two rows): the buttons alone set the minimum width
        hint = super().minimumSizeHint()
        spacing = max(0, self._layout.horizontalSpacing())
        margins = self._layout.contentsMargins()
        buttons = sum(b.minimumSizeHint().width() for b in self._buttons())
        return QSize(buttons + 3 * spacing + margins.left() + margins.right(), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(self._mode_for(event.size().width()))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        window = self.window()
        if window is not self and window is not self._watched:
            if self._watched is not None:
                self._watched.removeEventFilter(self)
            window.installEventFilter(self)  # its height decides the compact mode
            self._watched = window
        self._arrange(self._mode_for(self.width()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._watched and event.type() == QEvent.Type.Resize:
            self._arrange(self._mode_for(self.width()))
        return False

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # zoom: the widths change with the text
            self._mode = None
            self._arrange(self._mode_for(self.width()))

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
        self._show_button_faces()

    def _advance(self) -> None:
        if self._index is None or self._index >= len(self._steps) - 1:
            self.play_button.setChecked(False)  # at the end: stay on the last frame
            return
        self.choose(self._index + 1)

    def _update(self) -> None:
        n = len(self._steps)
        has = n > 0
        for widget in (self.play_button, self.slider, self.export_button):
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
