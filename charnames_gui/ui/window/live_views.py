"""The live views of a run: the progress figures, the embedding scatter, the sampling
panel and the hidden layer follow the training at bounded rates, each in a frame of the
window's one FrameClock (see frame_clock.py), never on every signal.

The worker's signals only keep the latest Progress and Snapshot here; a frame shows them.
A snapshot belongs to the model it was sent for (its generation): once another model is the
current one, it is dropped, never shown with the new model's configuration; each view shows
a snapshot once. While the replay shows a frame (ui/window/replay.py) the embedding, the
sampling panel and the hidden layer keep it; the progress and the loss plot stay live.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QDockWidget, QWidget

from charnames_gui.core.events import Progress, Snapshot
from charnames_gui.ui.controller import Controller
from charnames_gui.ui.hidden_analysis import HiddenAnalysis
from charnames_gui.ui.views.embedding_view import EmbeddingView
from charnames_gui.ui.views.hidden_layer_view import HiddenLayerView
from charnames_gui.ui.views.loss_plot import LossPlot
from charnames_gui.ui.views.sampling_panel import SamplingPanel
from charnames_gui.ui.views.training_controls import TrainingControls
from charnames_gui.ui.window.frame_clock import NORMAL, FrameClock, LiveView, Pace

EMBEDDING_REFRESH_SECONDS = 0.25
PROGRESS_REFRESH_SECONDS = 0.25  # step count, speed and times: readable, not a blur
SAMPLING_REFRESH_SECONDS = 2.0
HIDDEN_REFRESH_SECONDS = 0.25
# While K seeds train together: the embedding and the hidden layer once a second, the loss
# plot (the band) 5 times (benchmarks/gui_repeat_responsiveness.py --pace measures it)
REPEAT_PACE = Pace(slower=4.0, primary_seconds=0.2)


@dataclass(frozen=True)
class Shown:
    """The views that follow a run, and the window they are painted in."""

    window: QWidget
    loss_plot: LossPlot
    controls: TrainingControls
    embedding_view: EmbeddingView
    sampling_panel: SamplingPanel
    sampling_dock: QDockWidget
    hidden_view: HiddenLayerView
    hidden_analysis: HiddenAnalysis  # the hidden layer's statistics, off the GUI thread


class LiveViews:
    """The window's frame clock and what each of its frames may show."""

    def __init__(
        self, controller: Controller, views: Shown, replaying: Callable[[], bool] = lambda: False
    ) -> None:
        """replaying(): a replay frame is shown (the timeline is not live)."""
        self.controller = controller
        self.views = views
        self.replaying = replaying
        self.pending_progress: Progress | None = None
        self.pending_snapshot: Snapshot | None = None
        self._snapshot_generation = -1  # the model the pending snapshot belongs to
        self._shown_by: set[str] = set()  # views that have shown the pending snapshot
        self.clock = FrameClock(views.loss_plot.redraw, views.window, frame_guard=self._frame)
        self.clock.add_view(
            LiveView(
                "progress",
                PROGRESS_REFRESH_SECONDS,
                lambda: self.pending_progress is not None,
                self._show_pending_progress,
                paced=False,
            )
        )
        self.clock.add_view(
            LiveView(
                "embedding",
                EMBEDDING_REFRESH_SECONDS,
                self._embedding_has_news,
                self._show_pending_embedding,
            )
        )
        self.clock.add_view(
            LiveView(
                "sampling",
                SAMPLING_REFRESH_SECONDS,
                self._sampling_has_news,
                self._show_pending_sampling,
            )
        )
        hidden = views.hidden_view
        hidden.paced = True  # its analyses are drawn in a frame of their own
        self.clock.add_view(
            LiveView("hidden layer", HIDDEN_REFRESH_SECONDS, hidden.has_ready, hidden.show_ready)
        )
        self.clock.start()

    def on_progress(self, progress: Progress) -> None:
        self.pending_progress = progress  # shown at the next frame

    def on_snapshot(self, snapshot: Snapshot) -> None:
        info = self.controller.document.model_info()
        self.pending_snapshot = snapshot  # shown at the next frame (at a bounded rate)
        self._snapshot_generation = info.generation if info is not None else -1
        self._shown_by = set()
        if not self.replaying():
            self.views.hidden_analysis.offer(snapshot.step, snapshot.weights)  # at most 4 Hz

    @contextmanager
    def _frame(self) -> Iterator[None]:
        """Around every frame: the worker waits between two steps while the frame is painted
        (controller.gui_frame). The two threads share one interpreter lock, and painting while
        the worker trains made every frame take several times longer and cost the worker more
        than the frame itself."""
        self.clock.pace = REPEAT_PACE if self._seeds_training() else NORMAL
        with self.controller.gui_frame():
            yield
            # paint now, not at some later turn of the event loop: scenes first process
            # their changed items (posted calls), which post the window's paint request
            QCoreApplication.sendPostedEvents()
            QCoreApplication.sendPostedEvents(self.views.window, QEvent.Type.UpdateRequest)

    def _seeds_training(self) -> bool:
        """K seeds train together (a repeat): the trainer is a stack, and it runs."""
        document = self.controller.document
        if document.trainer is None or not document.is_busy():
            return False
        # imported here: core.stacked_run imports torch, which the window is built without
        # (a trainer exists only once torch has loaded)
        from charnames_gui.core.stacked_run import RepeatTrainer

        return isinstance(document.trainer, RepeatTrainer)

    def _show_pending_progress(self) -> None:
        assert self.pending_progress is not None
        self.views.controls.show_progress(self.pending_progress)
        self.pending_progress = None

    def _news_for(self, view: str) -> bool:
        """A snapshot of the current model that this view has not shown yet."""
        info = self.controller.document.model_info()
        if info is None or info.generation != self._snapshot_generation:
            self.pending_snapshot = None  # of a model replaced since: never shown
        if self.replaying():
            return False  # kept until the replay goes back to live
        return self.pending_snapshot is not None and view not in self._shown_by

    def _embedding_has_news(self) -> bool:
        return self._news_for("embedding")

    def _show_pending_embedding(self) -> None:
        snapshot, info = self.pending_snapshot, self.controller.document.model_info()
        assert snapshot is not None and info is not None
        self._shown_by.add("embedding")
        self.views.embedding_view.set_embedding(
            snapshot.weights["C"], info.vocab.itos, step=snapshot.step
        )

    def _sampling_has_news(self) -> bool:
        state = self.views.sampling_panel.state
        mid_name = state is not None and bool(state.chosen) and not state.finished
        # A name in progress keeps the weights it was drawn with: its bars and the "drew
        # 'x' with p = ..." beside them stay consistent; the next name gets the latest.
        return (
            self._news_for("sampling")
            and not mid_name
            and not self.views.sampling_dock.visibleRegion().isEmpty()
        )

    def _show_pending_sampling(self) -> None:
        snapshot, info = self.pending_snapshot, self.controller.document.model_info()
        assert snapshot is not None and info is not None
        self._shown_by.add("sampling")
        self.views.sampling_panel.set_model(
            info.config, snapshot.weights, info.vocab, same_model=True
        )

    def show_final_weights(self) -> None:
        """The worker is idle: show the model's final weights everywhere."""
        info = self.controller.document.model_info()
        model = self.controller.document.model
        if info is None or model is None or self.replaying():
            return
        self.pending_snapshot = None
        weights = model.snapshot()
        v = self.views
        v.embedding_view.set_embedding(weights["C"], info.vocab.itos, step=info.step)
        v.sampling_panel.set_model(info.config, weights, info.vocab, same_model=True)
        v.hidden_analysis.offer(info.step, weights)

    def back_from_replay(self) -> None:
        """The replay went back to live: show the model as it is now (the latest snapshot
        while it trains, its weights when idle)."""
        if not self.controller.document.is_busy():
            self.show_final_weights()
            return
        self._shown_by = set()  # every view shows the latest snapshot again
        snapshot = self.pending_snapshot
        if snapshot is not None:
            self.views.hidden_analysis.offer(snapshot.step, snapshot.weights)
