"""Training jobs of the current model on the worker's thread: a run (start, resume, end),
one step, the learning-rate sweep and the loss of a whole split; and the record of the
current model's run that the worker's reports add to.

TrainingJobs owns the TrainingWorker and the thread it runs on (started here, ended by
shutdown()), and sends each job to the worker with a queued signal. It decides nothing about the
app's state and tells nobody: the controller asks for a job when its state allows one,
receives the worker's reports, records them here, and tells the views. A repeat over K seeds
is a series of ordinary runs (see experiments.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from charnames_gui.core.config import TrainConfig
from charnames_gui.core.events import EvalPoint, LossChunk, OneStep, RunEnded, Snapshot
from charnames_gui.core.loss_buffer import DecimatingBuffer
from charnames_gui.ui.training_worker import EvalJob, StepJob, SweepJob, TrainingWorker, TrainJob

if TYPE_CHECKING:  # torch-backed
    from charnames_gui.core.child_process import TrainingProcess
    from charnames_gui.core.model import MLP
    from charnames_gui.core.training import TrainerLike

WORKER_IDLE_TIMEOUT = 10.0  # seconds to wait for the worker to finish its current chunk
SHUTDOWN_WAIT = 1.0  # seconds for the worker to end at close before the child is ended
# Each point is a pass over the whole dev split (~0.1 s on the lecture's data), measured by the
# app from the weights at that step while the training process trains on.
DEV_POINTS_PER_RUN = 25


def one_loss(loss: float) -> np.ndarray:
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
    """The worker on its thread; sends it jobs; keeps the current model's run log, the last
    weights a run sent and how its last run ended."""

    _requestTrain = Signal(object)  # to the worker's thread
    _requestSweep = Signal(object)
    _requestEval = Signal(object)
    _requestStep = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("training-worker")
        self.worker = worker = TrainingWorker()
        worker.moveToThread(self._thread)
        self.log = RunLog()
        self.last_outcome: RunEnded | None = None
        # the last weights the worker sent during a run (saved when it does not pause in time)
        self.held: Snapshot | None = None
        self._requestTrain.connect(worker.train)
        self._requestSweep.connect(worker.sweep)
        self._requestEval.connect(worker.evaluate)
        self._requestStep.connect(worker.step_once)
        self._thread.start()

    @property
    def thread_running(self) -> bool:
        """The worker's thread runs (until shutdown())."""
        return self._thread.isRunning()

    def shutdown(self, process: TrainingProcess | None) -> None:
        """Pause any job and end the worker's thread. No evaluation: the worker returns
        within one chunk (~20 ms), then the thread's event loop ends. When a training
        `process` keeps the worker waiting longer than SHUTDOWN_WAIT, it is ended
        (terminated, then killed), which ends the worker's wait. Safe to call again."""
        self.worker.request_pause()
        self._thread.quit()
        if not self._thread.wait(int(SHUTDOWN_WAIT * 1000)) and process is not None:
            process.abandon()
        self._thread.wait()

    def forget(self) -> None:
        """A different model: no run log, outcome or held weights of the last one."""
        self.log = RunLog()
        self.last_outcome = None
        self.held = None

    # -- jobs -------------------------------------------------------------------------------
    def train(self, trainer: TrainerLike, new_run: bool) -> None:
        """Run (new_run) or resume the trainer's run up to its configured steps."""
        if new_run:
            self._begin_run(trainer)
        self.worker.job_queued()
        self._requestTrain.emit(
            TrainJob(
                trainer,
                eval_every=eval_interval(trainer.config.steps),
                run_start_seconds=self.log.start_seconds,
            )
        )

    def end_run(self, trainer: TrainerLike) -> None:
        """End a paused run: the worker only evaluates it, off the GUI thread."""
        self.worker.job_queued()
        self._requestTrain.emit(TrainJob(trainer, eval_every=1, end_now=True))

    def step(self, trainer: TrainerLike, probe: list[int] | None, new_run: bool) -> None:
        """Exactly one step (the next minibatch of the run's stream), comparing the
        distribution after the context `probe` (None: the start of a name)."""
        if new_run:
            self._begin_run(trainer)
        self.worker.job_queued()
        self._requestStep.emit(StepJob(trainer, probe))

    def evaluate(self, trainer: TrainerLike, split: str) -> None:
        self.worker.job_queued()
        self._requestEval.emit(EvalJob(trainer, split))

    def sweep(
        self, fresh: MLP, trainer: TrainerLike, config: TrainConfig, n: int,
        seeds: tuple[int, ...] = (),
    ) -> None:  # fmt: skip
        """The lecture's sweep on `fresh` weights, with the trainer's examples (with several
        seeds, each seed's sweep of its own fresh weights, stacked)."""
        self.worker.job_queued()
        job = SweepJob(fresh, trainer.examples, config.batch_size, n, config.seed,
                       config.engine, seeds, config.init)  # fmt: skip
        self._requestSweep.emit(job)

    def _begin_run(self, trainer: TrainerLike) -> None:
        self.log.start_step = trainer.step
        self.log.start_seconds = trainer.seconds

    # -- the worker's reports, recorded -----------------------------------------------------
    def record_losses(self, chunk: LossChunk) -> None:
        self.log.curve.extend(chunk.start_step, chunk.losses)

    def record_step(self, result: OneStep) -> None:
        self.log.curve.extend(result.step, one_loss(result.loss_before))

    def record_eval(self, point: EvalPoint) -> None:
        self.log.evals.append(point)

    def record_end(self, outcome: RunEnded) -> None:
        """Back at the last weights received (a lost training process): forget what came
        after them."""
        self.last_outcome = outcome
        self.held = None
        self.log.evals = [p for p in self.log.evals if p.step <= outcome.step]
        self.log.curve.truncate(outcome.step + 1)
