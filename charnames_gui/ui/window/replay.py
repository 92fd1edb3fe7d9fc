"""Replay in the window: the timeline under the loss plot takes the views back to a frame.

A frame chosen on the timeline (ui/views/timeline.py) is shown by the embedding scatter
(one fixed projection for all frames, core/replay_projection.py), the sampling panel's bars
and the forward pass (they sample from the frame's weights), the hidden-layer view, and a
mark on the loss plot. Meanwhile the live views leave those views alone (LiveViews asks the
timeline whether a frame is shown); the progress and the loss curves stay live. Back to live
shows the model as it is now.

Export (File → Export, or the timeline's Export button) writes the replay as MP4, GIF, or the
step shown as PNG or SVG (core/replay_export.py) on a BackgroundJob, with a progress dialog
whose Cancel stops it between two frames. The file is written atomically, never over the
model's file or its dataset, and a file the learner did not pick in the dialog is never
replaced without asking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDialog, QProgressDialog, QStatusBar, QWidget

from charnames_gui.core.display import display_text
from charnames_gui.core.replay_projection import ReplayProjection
from charnames_gui.core.snapshots import Frame, SnapshotStore
from charnames_gui.ui.background import BackgroundJob
from charnames_gui.ui.controller import Controller
from charnames_gui.ui.hidden_analysis import HiddenAnalysis
from charnames_gui.ui.views.embedding_view import EmbeddingView
from charnames_gui.ui.views.loss_plot import LossPlot
from charnames_gui.ui.views.sampling_panel import SamplingPanel
from charnames_gui.ui.views.timeline import Timeline
from charnames_gui.ui.window.app_settings import AppSettings
from charnames_gui.ui.window.exports import ExportKind, start_folder
from charnames_gui.ui.window.replay_export_dialog import ExportChoice, ReplayExportDialog

if TYPE_CHECKING:
    from charnames_gui.core.replay_render import ReplayRenderer

FRAMES_CHECK_MS = 500  # how often the timeline looks for new frames while training
STATUS_MS = 8000
TITLE = "Export the replay"
FILTERS = {
    ".mp4": "MP4 video (*.mp4)",
    ".gif": "Animated GIF (*.gif)",
    ".png": "PNG picture (*.png)",
    ".svg": "SVG drawing (*.svg)",
}
EXPORT_FOLDER_KEY = "replay"  # the last folder used, remembered as exports.py does


class AsksReplay(Protocol):
    """The questions the replay's export asks (the window's Dialogs, or a scripted one)."""

    def error(self, title: str, message: str) -> None: ...
    def confirm(self, title: str, message: str, yes_text: str = "OK") -> bool: ...
    def save_path(self, title: str, file_filter: str, suggested: str = "") -> str | None: ...


@dataclass(frozen=True)
class ReplayViews:
    """The views a frame is shown in, and where messages go."""

    window: QWidget  # the parent of the export's dialogs
    timeline: Timeline
    loss_plot: LossPlot
    embedding_view: EmbeddingView
    sampling_panel: SamplingPanel
    hidden_analysis: HiddenAnalysis
    status: QStatusBar


class _Progress(QObject):
    """Lives on the GUI thread: the export's thread emits, the dialog hears it queued."""

    advanced = Signal(int, int)  # frames done, in all


class ReplayCommands:
    """Connects the timeline to the current model's frames and to the views; exports.
    show_live(): the live views show the model as it is now (LiveViews.show_final_weights).
    ask_choice(dialog): runs the choice dialog (tests answer without a modal loop)."""

    def __init__(
        self,
        controller: Controller,
        views: ReplayViews,
        dialogs: AsksReplay,
        settings: AppSettings,
        show_live: Callable[[], None],
        ask_choice: Callable[[ReplayExportDialog], bool] | None = None,
    ) -> None:
        self.controller = controller
        self.views = views
        self.dialogs = dialogs
        self.settings = settings
        self.show_live = show_live
        self.ask_choice = ask_choice or (lambda d: d.exec() == QDialog.DialogCode.Accepted)
        self.job: BackgroundJob | None = None
        self.progress_dialog: QProgressDialog | None = None
        self._store: SnapshotStore | None = None
        self._seen: tuple[int, int] = (0, -1)  # (frames, last step) last given to the timeline
        self._projection: ReplayProjection | None = None
        timeline = views.timeline
        timeline.frameChosen.connect(self.show_frame)
        timeline.liveChosen.connect(self.go_live)
        timeline.exportRequested.connect(self.export_dialog)
        controller.modelReset.connect(lambda _info: self.reset())
        controller.runEnded.connect(lambda _outcome: self.refresh())
        controller.stepDone.connect(lambda _one: self.refresh())
        self._timer = QTimer(views.window)  # frames come with the run's events: look 2x a second
        self._timer.setInterval(FRAMES_CHECK_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    @property
    def active(self) -> bool:
        """A frame is shown (not the live model)."""
        return self.views.timeline.index is not None

    # -- frames -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Give the timeline the frames recorded since it last looked."""
        store = self.controller.document.replay
        frames = list(store.frames) if store is not None else []  # a copy: training adds
        seen = (len(frames), frames[-1].step if frames else -1)
        if store is self._store and seen == self._seen:
            return
        timeline = self.views.timeline
        if store is not self._store and self.active:
            timeline.go_live()  # another model's frames: nothing to stay on
        self._store, self._seen, self._projection = store, seen, None
        timeline.set_frames([f.step for f in frames], [f.loss for f in frames])
        self.views.loss_plot.cover_replay(max(seen[1], 0))
        if self.active:  # the frame stays shown; new frames change the fixed map
            self._show(timeline.index, frames)

    def reset(self) -> None:
        """A new or opened model: live, with its own frames."""
        self.views.timeline.go_live()
        self._store, self._seen = None, (0, -1)
        self.refresh()
        store = self.controller.document.replay
        last = store.frames[-1].step if store is not None and store.frames else 0
        self.views.loss_plot.cover_replay(last)  # also for a model without frames

    def show_frame(self, index: int) -> None:
        self.refresh()
        store = self._store
        self._show(index, list(store.frames) if store is not None else [])

    def _show(self, index: int | None, frames: list[Frame]) -> None:
        store, info = self._store, self.controller.document.model_info()
        if store is None or info is None or index is None or not frames:
            return
        frame = frames[min(index, len(frames) - 1)]
        v = self.views
        if self._projection is None:
            self._projection = ReplayProjection.for_frames(frames)
        v.embedding_view.set_replay_projection(self._projection)
        v.embedding_view.set_embedding(frame.weights["C"], info.vocab.itos, step=frame.step)
        v.loss_plot.mark_step(frame.step)
        whole = store.policy.complete and store.config == info.config
        v.sampling_panel.hold_bars_axis(whole)  # (otherwise the bars stay live)
        if not whole:
            v.status.showMessage(
                f"Replay, step {frame.step:,}: {store.only_c_reason()}, so only the embedding "
                "goes back; the other views stay live",
                STATUS_MS,
            )
            return
        weights = frame.float_weights()
        v.sampling_panel.set_model(info.config, weights, info.vocab, same_model=True)
        v.hidden_analysis.offer(frame.step, weights)
        names = ", ".join(
            display_text("".join(info.vocab.itos[c] for c in name)) or "(empty)"
            for name in store.names_of(frame)
        )
        v.status.showMessage(f"Replay, step {frame.step:,}: samples {names}", STATUS_MS)

    def go_live(self) -> None:
        v = self.views
        v.embedding_view.set_replay_projection(None)
        v.loss_plot.mark_step(None)
        v.sampling_panel.hold_bars_axis(False)
        self.show_live()

    # -- export -------------------------------------------------------------------------------
    def export_dialog(self) -> bool:
        """Ask what to export (view, format, size), then where; start the export."""
        store, info = self.controller.document.replay, self.controller.document.model_info()
        if store is None or not store.frames or info is None:
            self.dialogs.error(TITLE, "This model has no replay frames yet: train it first.")
            return False
        dialog = ReplayExportDialog(
            self.views.window,
            whole_model=store.policy.complete,
            why_not=store.only_c_reason(),
            context_text=self._context_text(),
            step_text=self._still_step_text(store),
            chosen=self._remembered_choice(),
        )
        try:
            if not self.ask_choice(dialog):
                return False
            choice = dialog.choice()
        finally:
            dialog.deleteLater()
        self._remember(choice)
        return self.export(choice)

    def export(self, choice: ExportChoice) -> bool:
        """Ask where, then write the replay as `choice` (a still: the step shown, or the last
        frame while live) on a background job. True: it started."""
        from charnames_gui.core.replay_render import ReplayRenderer, ReplayViewError

        store, info, c = (
            self.controller.document.replay,
            self.controller.document.model_info(),
            self.controller,
        )
        if self.job is not None:
            self.dialogs.error(TITLE, "An export is running: wait for it or cancel it.")
            return False
        if store is None or not store.frames or info is None:
            self.dialogs.error(TITLE, "This model has no replay frames yet: train it first.")
            return False
        path = self._ask_path(choice)
        if path is None:
            return False
        context = tuple(self.views.sampling_panel.shown_context())
        try:
            renderer = ReplayRenderer(
                store.copy(), info.vocab.itos, choice.view, context, choice.size
            )
        except ReplayViewError as exc:
            self.dialogs.error(TITLE, str(exc))
            return False
        index = self.views.timeline.index
        frame = index if index is not None else -1
        protect = (
            c.document.path,
            c.document.dataset.path if c.document.dataset is not None else None,
        )
        self._start(renderer, path, frame, protect, total=1 if choice.still else len(renderer))
        return True

    def _ask_path(self, choice: ExportChoice) -> Path | None:
        name = f"{choice.view}{choice.suffix}"
        kind = ExportKind(EXPORT_FOLDER_KEY, TITLE, FILTERS[choice.suffix], name)
        suggested = start_folder(self.settings, kind) / kind.suggested_name
        chosen = self.dialogs.save_path(TITLE, FILTERS[choice.suffix], str(suggested))
        if not chosen:
            return None
        path = Path(chosen)
        if path.suffix.lower() != choice.suffix:
            # a name the file dialog did not ask about: never replaced without asking
            path = path.with_name(path.name + choice.suffix)
            if path.exists() and not self.dialogs.confirm(
                TITLE, f"{path.name} already exists. Replace it?", "Replace"
            ):
                return None
        self.settings.setValue(f"export_folder/{EXPORT_FOLDER_KEY}", str(path.parent))
        return path

    def _start(
        self,
        renderer: ReplayRenderer,
        path: Path,
        frame: int,
        protect: tuple[Path | None, ...],
        total: int,
    ) -> None:
        from charnames_gui.core.replay_export import export_replay

        relay = _Progress()
        job: BackgroundJob = BackgroundJob(
            export_replay,
            renderer,
            path,
            progress=relay.advanced.emit,
            cancelled=lambda: job.cancelled,
            frame=frame,
            protect=protect,
            name="replay-export",
        )
        relay.setParent(job)
        dialog = QProgressDialog(f"Writing {path.name}…", "Cancel", 0, total, self.views.window)
        dialog.setWindowTitle(TITLE)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(job.cancel)
        relay.advanced.connect(lambda done, _total: dialog.setValue(done))
        job.returned.connect(lambda written: self._say(f"Wrote {written}"))
        job.errored.connect(self._failed)
        job.finished.connect(lambda: self._finished(job))
        self.job, self.progress_dialog = job, dialog
        job.start()

    def _say(self, message: str) -> None:
        self.views.status.showMessage(message, STATUS_MS)

    def _failed(self, exc: BaseException) -> None:
        self.dialogs.error(TITLE, f"The replay was not exported: {exc}")

    def _finished(self, job: BackgroundJob) -> None:
        if job.cancelled:
            self._say("The export was cancelled; no file was written")
        if self.progress_dialog is not None:
            self.progress_dialog.reset()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None
        self.job = None
        job.deleteLater()

    def cancel_export(self) -> None:
        """What the progress dialog's Cancel does."""
        if self.job is not None:
            self.job.cancel()

    def shutdown(self) -> None:
        """The window closes: stop an export between two frames and wait for it."""
        self._timer.stop()
        if self.job is not None:
            self.job.wait()

    # -- what the dialog shows and remembers --------------------------------------------------
    def _context_text(self) -> str:
        info = self.controller.document.model_info()
        context = self.views.sampling_panel.shown_context()
        if info is None:
            return "."
        if not context:  # the bars' default: the start of a name
            return "." * info.config.block_size
        return display_text("".join(info.vocab.itos[c] for c in context))

    def _still_step_text(self, store: SnapshotStore) -> str:
        step = self.views.timeline.step
        if step is None:
            return f"the last frame (step {store.frames[-1].step:,})"
        return f"the step shown (step {step:,})"

    def _remembered_choice(self) -> ExportChoice:
        s = self.settings
        view, suffix = s.value("replay_export/view", ""), s.value("replay_export/format", "")
        size = s.value("replay_export/size", "")
        default = ExportChoice()
        try:
            w, h = (int(v) for v in str(size).split("x"))
        except ValueError:
            w, h = default.size
        return ExportChoice(
            view if view in ("embedding", "bars", "hidden") else default.view,
            suffix if suffix in FILTERS else default.suffix,
            (w, h) if (w, h) in ((1280, 720), (1920, 1080)) else default.size,
        )

    def _remember(self, choice: ExportChoice) -> None:
        self.settings.setValue("replay_export/view", choice.view)
        self.settings.setValue("replay_export/format", choice.suffix)
        self.settings.setValue("replay_export/size", "{}x{}".format(*choice.size))
