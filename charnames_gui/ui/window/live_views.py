"""The live views of a run: the progress figures, the embedding scatter, the sampling
panel and the hidden layer follow the training at bounded rates, each in a frame of the
window's one FrameClock (see frame_clock.py), never on every signal.

The worker's signals only keep the latest Progress and Snapshot here; a frame shows them.
A snapshot belongs to the model it was sent for (its generation): once another model is the
current one, it is dropped, never shown with the new model's configuration; each view shows
a snapshot once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent

from charnames_gui.core.events import Progress, Snapshot
from charnames_gui.ui.window.frame_clock import FrameClock, LiveView

if TYPE_CHECKING:
    from charnames_gui.ui.window.main_window import MainWindow

EMBEDDING_REFRESH_SECONDS = 0.25
PROGRESS_REFRESH_SECONDS = 0.25  # step count, speed and times: readable, not a blur
SAMPLING_REFRESH_SECONDS = 2.0
HIDDEN_REFRESH_SECONDS = 0.25


class LiveViews:
    """The window's frame clock and what each of its frames may show."""

    def __init__(self, win: MainWindow) -> None:
        self.win = win
        self.pending_progress: Progress | None = None
        self.pending_snapshot: Snapshot | None = None
        self._snapshot_generation = -1  # the model the pending snapshot belongs to
        self._shown_by: set[str] = set()  # views that have shown the pending snapshot
        self.clock = FrameClock(win.loss_plot.redraw, win, frame_guard=self._frame)
        self.clock.add_view(LiveView("progress", PROGRESS_REFRESH_SECONDS,
                                     lambda: self.pending_progress is not None,
                                     self._show_pending_progress))  # fmt: skip
        self.clock.add_view(LiveView("embedding", EMBEDDING_REFRESH_SECONDS,
                                     self._embedding_has_news,
                                     self._show_pending_embedding))  # fmt: skip
        self.clock.add_view(LiveView("sampling", SAMPLING_REFRESH_SECONDS,
                                     self._sampling_has_news,
                                     self._show_pending_sampling))  # fmt: skip
        win.hidden_view.paced = True  # its analyses are drawn in a frame of their own
        self.clock.add_view(LiveView("hidden layer", HIDDEN_REFRESH_SECONDS,
                                     win.hidden_view.has_ready,
                                     win.hidden_view.show_ready))  # fmt: skip
        self.clock.start()

    def on_progress(self, progress: Progress) -> None:
        self.pending_progress = progress  # shown at the next frame

    def on_snapshot(self, snapshot: Snapshot) -> None:
        info = self.win.controller.model_info()
        self.pending_snapshot = snapshot  # shown at the next frame (at a bounded rate)
        self._snapshot_generation = info.generation if info is not None else -1
        self._shown_by = set()
        self.win.hidden_analysis.offer(snapshot.step, snapshot.weights)  # analysed at most 4 Hz

    @contextmanager
    def _frame(self) -> Iterator[None]:
        """Around every frame: the worker waits between two steps while the frame is painted
        (controller.gui_frame). The two threads share one interpreter lock, and painting while the
        worker trains made every frame take several times longer and cost the worker more
        than the frame itself."""
        with self.win.controller.gui_frame():
            yield
            # paint now, not at some later turn of the event loop: scenes first process
            # their changed items (posted calls), which post the window's paint request
            QCoreApplication.sendPostedEvents()
            QCoreApplication.sendPostedEvents(self.win, QEvent.Type.UpdateRequest)

    def _show_pending_progress(self) -> None:
        assert self.pending_progress is not None
        self.win.controls.show_progress(self.pending_progress)
        self.pending_progress = None

    def _news_for(self, view: str) -> bool:
        """A snapshot of the current model that this view has not shown yet."""
        info = self.win.controller.model_info()
        if info is None or info.generation != self._snapshot_generation:
            self.pending_snapshot = None  # of a model replaced since: never shown
        return self.pending_snapshot is not None and view not in self._shown_by

    def _embedding_has_news(self) -> bool:
        return self._news_for("embedding")

    def _show_pending_embedding(self) -> None:
        snapshot, info = self.pending_snapshot, self.win.controller.model_info()
        assert snapshot is not None and info is not None
        self._shown_by.add("embedding")
        self.win.embedding_view.set_embedding(snapshot.weights["C"], info.vocab.itos,
                                              step=snapshot.step)  # fmt: skip

    def _sampling_has_news(self) -> bool:
        state = self.win.sampling_panel.state
        mid_name = state is not None and bool(state.chosen) and not state.finished
        # A name in progress keeps the weights it was drawn with: its bars and the "drew
        # 'x' with p = ..." beside them stay consistent; the next name gets the latest.
        return (
            self._news_for("sampling")
            and not mid_name
            and not self.win.sampling_dock.visibleRegion().isEmpty()
        )

    def _show_pending_sampling(self) -> None:
        snapshot, info = self.pending_snapshot, self.win.controller.model_info()
        assert snapshot is not None and info is not None
        self._shown_by.add("sampling")
        self.win.sampling_panel.set_model(info.config, snapshot.weights, info.vocab,
                                          same_model=True)  # fmt: skip

    def show_final_weights(self) -> None:
        """The worker is idle: show the model's final weights everywhere."""
        info = self.win.controller.model_info()
        model = self.win.controller.model
        if info is None or model is None:
            return
        self.pending_snapshot = None
        weights = model.snapshot()
        self.win.embedding_view.set_embedding(weights["C"], info.vocab.itos, step=info.step)
        self.win.sampling_panel.set_model(info.config, weights, info.vocab, same_model=True)
        self.win.hidden_analysis.offer(info.step, weights)
