"""Training jobs of the current model on the worker's thread: start, pause, stop, one step,
the learning-rate sweep and the loss of a whole split; and what the worker reports back.

TrainingJobs sends them to the worker with queued signals and receives its reports on the GUI
thread. It reads the current model from the controller and changes the controller's state only
through its public methods; the controller re-emits the reports to the views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Signal

from charnames_gui.core.events import (
    EvalPoint,
    LossChunk,
    OneStep,
    Progress,
    RunEnded,
    Snapshot,
    SweepEnded,
)
from charnames_gui.core.loss_buffer import DecimatingBuffer
from charnames_gui.core.training_state import TrainingState
from charnames_gui.ui.training_worker import (
    EvalJob,
    StepJob,
    SweepJob,
    TrainingWorker,
    TrainJob,
)

if TYPE_CHECKING:
    from charnames_gui.ui.controller import Controller

WORKER_IDLE_TIMEOUT = 10.0  # seconds to wait for the worker to finish its current chunk
# Each point is a pass over the whole dev split (~0.1 s on the lecture's data), measured by the
# app from the weights at that step while the training process trains on.
DEV_POINTS_PER_RUN = 25


def _one(loss: float) -> np.ndarray:
    return np.array([loss], dtype=np.float32)  # (1,): one step's loss, as a chunk holds it


def eval_interval(steps: int) -> int:
    """Steps between the dev-loss points of a run of `steps` steps."""
    return max(200, steps // DEV_POINTS_PER_RUN)


@dataclass
class RunLog:
    """The current model's curve, kept small for the run history."""

    curve: DecimatingBuffer = field(default_factory=lambda: DecimatingBuffer(2000))
    evals: list[EvalPoint] = field(default_factory=list)
    start_step: int = 0  # model step when this run started
    start_seconds: float = 0.0  # the model's training seconds when this run started


class TrainingJobs(QObject):
    """Drives the worker for the controller's current model. Every report of the worker is
    received here (queued to the GUI thread), so wait_until_idle can deliver them all."""

    _requestTrain = Signal(object)  # to the worker's thread
    _requestSweep = Signal(object)
    _requestEval = Signal(object)
    _requestStep = Signal(object)

    def __init__(self, controller: Controller, worker: TrainingWorker) -> None:
        super().__init__(controller)
        self.controller = controller
        self.worker = worker
        self.log = RunLog()
        self.last_outcome: RunEnded | None = None
        # the last weights the worker sent during a run (saved when it does not pause in time)
        self.held: Snapshot | None = None
        # the state to return to after an evaluation or a sweep
        self._state_before_eval: TrainingState | None = None
        self._state_before_sweep: TrainingState | None = None
        self._requestTrain.connect(worker.train)
        self._requestSweep.connect(worker.sweep)
        self._requestEval.connect(worker.evaluate)
        self._requestStep.connect(worker.step_once)
        worker.stepDone.connect(self._on_step_done)
        worker.splitEvaluated.connect(self._on_split_evaluated)
        worker.lossesReady.connect(self._on_losses)
        worker.evalReady.connect(self._on_eval)
        worker.snapshotReady.connect(self._on_snapshot)
        worker.progress.connect(self._on_progress)
        worker.runEnded.connect(self._on_run_ended)
        worker.sweepPoints.connect(self._on_sweep_points)
        worker.sweepEnded.connect(self._on_sweep_ended)

    def forget(self) -> None:
        """A different model: no run log, outcome or held weights of the last one."""
        self.log = RunLog()
        self.last_outcome = None
        self.held = None

    # -- intent ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start, resume or continue training the current model. Pressed while torch loads,
        it starts the model that is then made (the status says so)."""
        c = self.controller
        if c.state == TrainingState.LOADING:
            if not c.is_waiting_for("start"):
                c.when_torch_loaded("start", c.start)
                c.statusMessage.emit("Training starts as soon as PyTorch has loaded")
                c.stateChanged.emit(c.state)  # the same state, now with Start queued
            return
        trainer = c.trainer
        if trainer is None or c.is_busy():
            return
        if trainer.done:
            c.statusMessage.emit(
                f"All {trainer.config.steps:,} steps are done: raise 'Steps' to continue"
            )
            return
        if c.state != TrainingState.PAUSED:  # a new run (else: the paused one resumes)
            self.log.start_step = trainer.step
            self.log.start_seconds = trainer.seconds
        steps = trainer.config.steps
        self.worker.job_queued()
        c.set_state(TrainingState.RUNNING)
        self._requestTrain.emit(
            TrainJob(
                trainer,
                eval_every=eval_interval(steps),
                run_start_seconds=self.log.start_seconds,
            )
        )

    def pause(self) -> None:
        if self.controller.state == TrainingState.RUNNING:
            self.worker.request_pause()

    def stop(self) -> None:
        """End the run: the worker stops within a chunk (~20 ms) and evaluates the losses."""
        c = self.controller
        if c.state in (TrainingState.RUNNING, TrainingState.SWEEPING):
            self.worker.request_stop()
        elif c.state == TrainingState.PAUSED and c.trainer is not None:
            # nothing runs: the worker only evaluates, off the GUI thread
            self.worker.job_queued()
            c.set_state(TrainingState.RUNNING)
            self._requestTrain.emit(TrainJob(c.trainer, eval_every=1, end_now=True))

    def toggle(self) -> None:
        """Space bar: start, pause or resume."""
        state = self.controller.state
        if state == TrainingState.RUNNING:
            self.pause()
        elif state in (TrainingState.READY, TrainingState.PAUSED, TrainingState.LOADING):
            self.start()

    def wait_until_idle(self, timeout: float = WORKER_IDLE_TIMEOUT) -> bool:
        """Pause a run and block until the worker has let go of the model (for saving)."""
        if self.controller.is_busy():
            self.worker.request_pause()
        idle = self.worker.idle.wait(timeout)
        # deliver the worker's queued signals now, so the state is current when we return
        QCoreApplication.sendPostedEvents(self)
        return idle

    def step_once(self, probe: list[int] | None = None) -> bool:
        """Take exactly one step of the current run (the next minibatch of its stream), off
        the GUI thread; stepDone carries what it did, with how the distribution after the
        context `probe` moved (None: the start of a name). Only between runs."""
        c = self.controller
        trainer = c.trainer
        if trainer is None or c.state not in (TrainingState.READY, TrainingState.PAUSED):
            if trainer is not None and trainer.done:
                c.statusMessage.emit(
                    f"All {trainer.config.steps:,} steps are done: raise 'Steps' to go on"
                )
            return False
        if c.state == TrainingState.READY:  # the first step of a run: the run begins
            self.log.start_step = trainer.step
            self.log.start_seconds = trainer.seconds
        self.worker.job_queued()
        c.set_state(TrainingState.STEPPING)
        if probe is not None and (c.model is None or len(probe) != c.model.config.block_size):
            probe = None  # a context from another model: compare the start of a name
        self._requestStep.emit(StepJob(trainer, probe))
        return True

    def evaluate_split(self, split: str) -> bool:
        """Measure the full loss of a split in the worker; splitEvaluated carries it."""
        c = self.controller
        if c.trainer is None or c.is_busy():
            return False
        match = c.dataset_match()
        # bare weights record no dataset (match.known False): measured on the open one's
        # split, as the CLI's evaluate does; a model of another dataset is refused
        if split == "test" and match is not None and not match.same and match.known:
            c.errorOccurred.emit(
                "Test set not evaluated",
                f"{match.message} A test loss on it would not be this model's: the splits do "
                "not correspond (its test names may be in the model's training split).",
            )
            return False
        self._state_before_eval = c.state
        self.worker.job_queued()
        c.set_state(TrainingState.EVALUATING)
        self._requestEval.emit(EvalJob(c.trainer, split))
        return True

    def start_lr_sweep(self, n: int = 1000) -> bool:
        """The lecture's sweep, in the worker, on a fresh model of the current configuration:
        new random weights from its init scheme and seed, as the lecture does (a trained
        model would only show the flat end of the curve)."""
        c = self.controller
        if (
            c.model is None
            or c.dataset is None
            or c.state not in (TrainingState.READY, TrainingState.PAUSED, TrainingState.FINISHED)
        ):
            return False
        assert c.trainer is not None
        self._state_before_sweep = c.state
        self.worker.job_queued()
        c.set_state(TrainingState.SWEEPING)
        from charnames_gui.core.model import MLP

        config = c.train_config
        fresh = MLP.init(c.model.config, config.init, config.seed)
        self._requestSweep.emit(
            SweepJob(fresh, c.trainer.examples, config.batch_size, n, config.seed, config.engine)
        )
        return True

    # -- the worker's reports (on the GUI thread) ------------------------------------------
    def _on_step_done(self, result: OneStep | str) -> None:
        c = self.controller
        trainer = c.trainer
        assert trainer is not None
        # a run taken a step at a time is under way: Start resumes it (and Stop ends it)
        c.set_state(TrainingState.FINISHED if trainer.done else TrainingState.PAUSED)
        if isinstance(result, str):
            c.errorOccurred.emit("One training step", result)
            return
        c.sync_summary()
        self.log.curve.extend(result.step, _one(result.loss_before))
        c.mark_modified()
        c.lossesReady.emit(
            LossChunk(result.step, _one(result.loss_before), result.lr, trainer.seconds)
        )
        c.snapshotReady.emit(trainer.snapshot())
        c.stepDone.emit(result)

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        if self.controller.state == TrainingState.RUNNING:
            self.held = snapshot
        self.controller.snapshotReady.emit(snapshot)

    def _on_losses(self, chunk: LossChunk) -> None:
        self.log.curve.extend(chunk.start_step, chunk.losses)
        if len(chunk.losses):
            self.controller.mark_modified()
        self.controller.lossesReady.emit(chunk)

    def _on_eval(self, point: EvalPoint) -> None:
        self.log.evals.append(point)
        self.controller.evalReady.emit(point)

    def _on_progress(self, progress: Progress) -> None:
        self.controller.progress.emit(progress)

    def _on_run_ended(self, outcome: RunEnded) -> None:
        c = self.controller
        self.last_outcome = outcome
        if c.trainer is not None:
            c.sync_summary()
            c.summary.train_config = c.trainer.config.to_dict()
        if outcome.train_loss is not None:
            c.summary.train_loss = outcome.train_loss
            c.summary.dev_loss = outcome.dev_loss
        self.held = None
        # back at the last weights received (a lost training process): forget what came after
        self.log.evals = [p for p in self.log.evals if p.step <= outcome.step]
        self.log.curve.truncate(outcome.step + 1)
        if outcome.status == "paused":
            c.set_state(TrainingState.PAUSED)
            if outcome.message:  # e.g. a training process that did not answer the pause
                c.statusMessage.emit(outcome.message)
        else:
            c.set_state(c.idle_state())
            if outcome.message and outcome.status not in ("diverged", "failed"):
                c.statusMessage.emit(outcome.message)  # e.g. a process that did not answer
        c.runEnded.emit(outcome)
        # the error last: its dialog is modal, and behind it the window already shows the
        # run's end (state, figures, the recorded run)
        if outcome.status == "diverged":
            c.errorOccurred.emit("Training diverged", outcome.message)
        elif outcome.status == "failed":
            c.errorOccurred.emit("Training failed", outcome.message)

    def _on_split_evaluated(self, split: str, loss: float) -> None:
        c = self.controller
        c.set_state(self._state_before_eval or c.idle_state())
        c.splitEvaluated.emit(split, loss)

    def _on_sweep_points(self, points: object) -> None:
        self.controller.sweepPoints.emit(points)

    def _on_sweep_ended(self, ended: SweepEnded) -> None:
        c = self.controller
        c.set_state(self._state_before_sweep or c.idle_state())
        if ended.message:
            c.statusMessage.emit(ended.message)
        c.sweepEnded.emit(ended)
