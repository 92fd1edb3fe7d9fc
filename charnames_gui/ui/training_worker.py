"""The training worker: a QObject living on a QThread that drives a trainer (TrainerLike).

The GUI thread never trains. It asks the worker to run a job with a queued signal, and the
worker reports back with queued signals at a bounded rate. Each carries an event of
core/events.py, as the trainer's stream made it (chunks are merged):

    lossesReady     ~20 per second  a LossChunk: every step's loss since the last signal
    evalReady       every eval_every steps: an EvalPoint (full dev loss, train estimate)
    snapshotReady   ~4 per second   a Snapshot: NumPy copies of the weights and their step
    progress        with each LossChunk: a Progress
    runEnded        once: a RunEnded, how the run ended (with the full train and dev loss)
    stepDone        a OneStep, for a single step taken on its own

Stopping (or pausing) is a threading.Event the training loop checks between steps; a Qt slot
could not run while the loop holds the worker's thread.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from charnames_gui.core.errors import CharnamesError, TrainingDiverged
from charnames_gui.core.events import (
    Diverged,
    EvalPoint,
    LossChunk,
    Progress,
    RunEnded,
    RunStatus,
    Snapshot,
    SweepEnded,
    SweepPoints,
)
from charnames_gui.core.lr_curve import suggest_lr

if TYPE_CHECKING:  # torch-backed: the jobs import them (they only come once torch is loaded)
    import torch

    from charnames_gui.core.examples import SplitTensors
    from charnames_gui.core.model import MLP
    from charnames_gui.core.training import TrainerLike

LOSS_INTERVAL = 0.05  # seconds between loss signals: 20 Hz
SNAPSHOT_INTERVAL = 0.25  # seconds between parameter snapshots: 4 Hz
FRAME_WAIT = 0.05  # longest the worker waits for a GUI frame to be drawn
CHUNK_SECONDS = 0.05  # the trainer checks the clock and the stop flag inside each chunk
# The train points use a fixed random sample of the train split: the full split is 8x the
# dev split and would make every point 5x as costly; 10,000 examples estimate its loss to
# about +-0.01, enough to see the gap between train and dev open up.
TRAIN_ESTIMATE_EXAMPLES = 10_000


@dataclass
class TrainJob:
    trainer: TrainerLike
    eval_every: int  # steps between dev-loss points on the plot
    end_now: bool = False  # do not train: end the (paused) run with its evaluation
    run_start_seconds: float = 0.0  # the model's training seconds when this run started


@dataclass
class SweepJob:
    model: MLP  # the sweep trains a copy; this model is not changed
    examples: SplitTensors
    batch_size: int
    n: int
    seed: int
    engine: str
    # more than one: the sweep of each seed, stacked (seeds[0] is `seed`; core/stacked_sweep)
    seeds: tuple[int, ...] = ()
    init: str = "lecture"


@dataclass
class EvalJob:
    trainer: TrainerLike
    split: str


@dataclass
class StepJob:
    trainer: TrainerLike
    probe: list[int] | None = None  # the context whose distribution is compared (None: start)


class TrainingWorker(QObject):
    lossesReady = Signal(object)  # LossChunk
    evalReady = Signal(object)  # EvalPoint
    snapshotReady = Signal(object)  # Snapshot
    progress = Signal(object)  # Progress
    runEnded = Signal(object)  # RunEnded
    sweepPoints = Signal(object)  # SweepPoints: (lr, loss) pairs
    sweepEnded = Signal(object)  # SweepEnded: the suggested learning rate
    splitEvaluated = Signal(str, float)  # split name, mean loss over the whole split
    stepDone = Signal(object)  # OneStep, or a str: why the step could not be taken

    def __init__(self) -> None:
        super().__init__()
        self._stop = threading.Event()
        self._pause = threading.Event()
        # Set while no job runs. The controller clears it before queueing a job, so waiting
        # on it (e.g. before saving) cannot miss a job that has not started yet.
        self.idle = threading.Event()
        self.idle.set()
        # Cleared by the GUI thread while it draws a frame. The worker and the GUI share one
        # interpreter lock; if both run Python at once, each waits on the other at every
        # hand-over and a 5 ms frame takes 20. So the worker steps aside for the frame (at
        # most FRAME_WAIT seconds) and both go at full speed, one after the other.
        self.gui_idle = threading.Event()
        self.gui_idle.set()
        self._yield_to_gui = True

    # -- called from the GUI thread: plain flags, no queued calls needed -----------------
    def job_queued(self) -> None:
        """Before a job is queued: not idle, and no stop or pause asked for yet. (Cleared
        here, not when the job starts: a pause asked for in between must not be lost.)"""
        self._stop.clear()
        self._pause.clear()
        self.idle.clear()

    def request_stop(self) -> None:
        self._stop.set()

    def request_pause(self) -> None:
        self._pause.set()

    def _interrupted(self) -> bool:
        """Checked between two steps: stop or pause now? (And let a GUI frame finish.)"""
        if self._yield_to_gui:
            self.gui_idle.wait(FRAME_WAIT)
        return self._stop.is_set() or self._pause.is_set()

    # -- run on the worker thread ----------------------------------------------------------
    @Slot(object)
    def train(self, job: TrainJob) -> None:
        try:
            self._train(job)
        finally:
            self.idle.set()

    def _train(self, job: TrainJob) -> None:
        from charnames_gui.core.child_protocol import TrainerNotAnswering
        from charnames_gui.core.process_trainer import ProcessTrainer

        trainer = job.trainer
        # Stepping aside for GUI frames only matters when the steps run in this process.
        in_child = isinstance(trainer, ProcessTrainer) or getattr(trainer, "in_child", False)
        self._yield_to_gui = not in_child
        status: RunStatus
        try:
            if job.end_now:  # a paused run is stopped: only its final evaluation is left
                status, message = "stopped", ""
            else:
                status, message = self._train_loop(job)
        except TrainerNotAnswering as exc:
            # this side ended the child: what the learner asked for, if they asked
            if self._stop.is_set():
                status = "stopped"
            elif self._pause.is_set():
                status = "paused"
            else:
                status = "failed"
            message = str(exc)
        except (CharnamesError, RuntimeError, ValueError, MemoryError) as exc:
            status, message = "failed", str(exc) or type(exc).__name__
        # the weights the run ended with (a ProcessTrainer: the last it received)
        self.snapshotReady.emit(trainer.snapshot())
        train_loss = dev_loss = train_se = dev_se = None
        if status in ("finished", "stopped"):
            try:
                train_loss = trainer.evaluate("train")
                dev_loss = trainer.evaluate("dev")
                train_se, dev_se = (
                    self._standard_error(trainer, "train"),
                    self._standard_error(trainer, "dev"),
                )
            except (CharnamesError, RuntimeError, MemoryError) as exc:
                status, message = "failed", f"Training failed: {exc}"
                train_loss = dev_loss = None
        self.runEnded.emit(
            RunEnded(
                status,
                trainer.step,
                trainer.seconds,
                train_loss,
                dev_loss,
                message,
                train_se=train_se,
                dev_se=dev_se,
            )
        )

    @staticmethod
    def _standard_error(trainer: TrainerLike, split: str) -> float | None:
        """The standard error of the split's loss, clustered by name (core/uncertainty.py):
        a second pass over the split with the weights this side holds (a repeat's trainer
        measured it with the loss already). None when it cannot be told."""
        from charnames_gui.core.uncertainty import estimate

        lead = getattr(trainer, "lead_estimate", None)
        if callable(lead):
            found = lead(split)
            return found.se if found is not None else None
        X, Y = trainer.examples.tensors[split]
        try:
            se = estimate(trainer.model, X, Y).se
        except ValueError:  # examples not laid out name by name
            return None
        return se if math.isfinite(se) else None

    def _train_loop(self, job: TrainJob) -> tuple[RunStatus, str]:
        trainer = job.trainer
        pending: list[np.ndarray] = []
        bands: list[np.ndarray] = []  # every seed's losses, for a repeat (core/stacked_run.py)
        pending_start = trainer.step + 1
        pending_lr = trainer.config.lr_at(trainer.step)
        run_start = time.perf_counter()
        last_loss_emit = run_start
        rate_mark = (run_start, trainer.step)
        rate = 0.0

        def flush(now: float) -> None:
            nonlocal pending, bands, pending_start, rate, rate_mark
            if pending:
                losses = np.concatenate(pending)
                band = np.concatenate(bands) if len(bands) == len(pending) else None
                chunk = LossChunk(pending_start, losses, pending_lr, trainer.seconds, band)
                self.lossesReady.emit(chunk)
                pending, bands = [], []
                pending_start = chunk.end_step + 1
            if now > rate_mark[0]:
                rate = (trainer.step - rate_mark[1]) / (now - rate_mark[0])
            if now - rate_mark[0] > 1.0:
                rate_mark = (now, trainer.step)
            elapsed = trainer.seconds - job.run_start_seconds  # across pauses
            self.progress.emit(Progress(trainer.step, trainer.config.steps, elapsed, rate))

        diverged: Diverged | None = None
        events = trainer.stream(job.eval_every, self._train_subset(trainer), self._interrupted,
                                CHUNK_SECONDS, SNAPSHOT_INTERVAL)  # fmt: skip
        try:
            for event in events:
                now = time.perf_counter()
                if isinstance(event, LossChunk):
                    if not pending:
                        pending_start = event.start_step
                    pending.append(event.losses)
                    if event.band is not None:
                        bands.append(event.band)
                    pending_lr = event.lr
                    if now - last_loss_emit >= LOSS_INTERVAL:
                        flush(now)
                        last_loss_emit = now
                elif isinstance(event, EvalPoint):
                    flush(now)
                    last_loss_emit = now
                    self.evalReady.emit(event)
                elif isinstance(event, Snapshot):
                    self.snapshotReady.emit(event)
                elif isinstance(event, Diverged):
                    diverged = event
        finally:
            flush(time.perf_counter())
        if diverged is not None:
            return "diverged", diverged.message
        if trainer.done:
            return "finished", ""
        if self._stop.is_set():
            return "stopped", ""
        return "paused", ""

    @staticmethod
    def _train_subset(trainer: TrainerLike) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        X, Y = trainer.examples.tensors["train"]
        if X.shape[0] <= TRAIN_ESTIMATE_EXAMPLES:
            return X, Y
        g = torch.Generator().manual_seed(0)  # the same subset at every point of the run
        ix = torch.randperm(X.shape[0], generator=g)[:TRAIN_ESTIMATE_EXAMPLES]
        return X[ix], Y[ix]

    @Slot(object)
    def evaluate(self, job: EvalJob) -> None:
        """The full loss of one split (e.g. test), off the GUI thread."""
        try:
            loss = job.trainer.evaluate(job.split)
        except (CharnamesError, RuntimeError, ValueError, MemoryError):
            loss = float("nan")
        finally:
            self.idle.set()
        self.splitEvaluated.emit(job.split, loss)

    @Slot(object)
    def step_once(self, job: StepJob) -> None:
        """One step of the current run, on its own (train one step and watch)."""
        try:
            result: object = job.trainer.step_once(job.probe)
        except TrainingDiverged as exc:
            result = str(exc)
        except (CharnamesError, RuntimeError, ValueError, MemoryError) as exc:
            result = f"The step could not be taken: {exc}"
        finally:
            self.idle.set()
        self.stepDone.emit(result)

    @Slot(object)
    def sweep(self, job: SweepJob) -> None:
        """The lecture's learning-rate sweep on a copy of the model; points in batches."""
        try:
            self._sweep(job)
        finally:
            self.idle.set()

    def _sweep(self, job: SweepJob) -> None:
        from charnames_gui.core.training import lr_sweep_steps

        if len(job.seeds) > 1:
            self._sweep_seeds(job)
            return
        pairs: list[tuple[float, float]] = []
        batch: list[tuple[float, float]] = []
        last_emit = time.perf_counter()
        try:
            for pair in lr_sweep_steps(
                job.model,
                job.examples,
                batch_size=job.batch_size,
                n=job.n,
                seed=job.seed,
                engine=job.engine,
            ):
                pairs.append(pair)
                batch.append(pair)
                now = time.perf_counter()
                if now - last_emit >= LOSS_INTERVAL:
                    self.sweepPoints.emit(SweepPoints(batch))
                    batch = []
                    last_emit = now
                if self._interrupted():
                    break
        except (CharnamesError, RuntimeError, ValueError, MemoryError) as exc:
            if batch:
                self.sweepPoints.emit(SweepPoints(batch))
            self.sweepEnded.emit(SweepEnded(None, len(pairs), f"The sweep failed: {exc}"))
            return
        if batch:
            self.sweepPoints.emit(SweepPoints(batch))
        complete = len(pairs) == job.n
        message = "" if complete else f"The sweep ended after {len(pairs):,} of {job.n:,} steps"
        if not complete and not self._stop.is_set() and pairs:
            message += ": the loss became NaN or infinite, the learning rate was too large"
        self.sweepEnded.emit(SweepEnded(suggest_lr(pairs), len(pairs), message))

    def _sweep_seeds(self, job: SweepJob) -> None:
        """The sweep of K seeds stacked; each batch of points carries every seed's losses,
        the pairs are the first seed's (until its curve ends)."""
        from charnames_gui.core.stacked_sweep import (
            SweepChunk,
            finite_prefix,
            lr_sweep_seeds,
            seed_suggestions,
            suggest_from_seeds,
        )

        chunks: list[SweepChunk] = []
        pending: list[SweepChunk] = []
        lead_end: int | None = None  # the step where the first seed's curve ended
        done = 0

        def emit() -> None:
            nonlocal lead_end, done
            if not pending:
                return
            lrs = np.concatenate([c.lrs for c in pending])
            band = np.concatenate([c.losses for c in pending])
            keep = 0 if lead_end is not None else finite_prefix(band[:, 0])
            if lead_end is None and keep < len(lrs):
                lead_end = done + keep
            pairs = list(zip(lrs[:keep].tolist(), band[:keep, 0].tolist(), strict=True))
            self.sweepPoints.emit(SweepPoints(pairs, lrs, band))
            done += len(lrs)
            pending.clear()

        last_emit = time.perf_counter()
        try:
            for chunk in lr_sweep_seeds(job.model.config, job.examples, job.seeds,
                                        job.batch_size, job.n, job.init,
                                        should_stop=self._interrupted):  # fmt: skip
                chunks.append(chunk)
                pending.append(chunk)
                if time.perf_counter() - last_emit >= LOSS_INTERVAL:
                    emit()
                    last_emit = time.perf_counter()
        except (CharnamesError, RuntimeError, ValueError, MemoryError) as exc:
            emit()
            self.sweepEnded.emit(SweepEnded(None, done, f"The sweep failed: {exc}"))
            return
        emit()
        if not chunks:
            self.sweepEnded.emit(SweepEnded(None, 0, "The sweep ended before its first step"))
            return
        lrs = np.concatenate([c.lrs for c in chunks])
        losses = np.concatenate([c.losses for c in chunks])  # (n, K)
        steps = len(lrs)
        message = "" if steps == job.n else f"The sweep ended after {steps:,} of {job.n:,} steps"
        if steps < job.n and not self._stop.is_set():
            message += ": every seed's loss became NaN or infinite, the learning rate was too large"
        suggested = suggest_from_seeds(lrs, losses)
        seed_lrs = tuple(seed_suggestions(lrs, losses))
        points = lead_end if lead_end is not None else steps
        self.sweepEnded.emit(SweepEnded(suggested, points, message, seed_lrs))
