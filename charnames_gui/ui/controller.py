"""The controller: owns the dataset, the model, the trainer and the training worker's thread.

Views never train or load anything themselves: they call the controller's methods (intent)
and render what its signals carry (state). All core objects are used on the GUI thread
except the Trainer, which only the worker touches while a run is in progress.

The app builds its window before PyTorch has loaded (see app.py): a controller made with
wait_for_torch=True reads datasets and takes intents at once, but the model is made, and a
Start pressed meanwhile is carried out, when torch_loaded() says the import is done. The
torch-backed modules (model, training, checkpoint) are imported only from then on.
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import MAX_DATASET_BYTES, Dataset, Vocabulary, boundary_note
from charnames_gui.core.errors import CharnamesError, ConfigError
from charnames_gui.core.events import (
    EvalPoint,
    LossChunk,
    OneStep,
    Progress,
    RunEnded,
    Snapshot,
    SweepEnded,
)
from charnames_gui.core.model_dataset import Match, compare, label_of, trained_on_label
from charnames_gui.core.model_file import (
    MAX_MODEL_FILE_BYTES,
    ModelFile,
    TestEvaluations,
    TrainingSummary,
)
from charnames_gui.core.safe_files import check_regular_file, format_size
from charnames_gui.ui.dataset_loader import DatasetLoader
from charnames_gui.ui.model_loader import BACKGROUND_MODEL_BYTES, ModelLoader
from charnames_gui.ui.training_worker import (
    TRAIN_ESTIMATE_EXAMPLES,
    EvalJob,
    StepJob,
    SweepJob,
    TrainingWorker,
    TrainJob,
)
from charnames_gui.ui.views.loss_buffer import DecimatingBuffer

if TYPE_CHECKING:  # torch-backed: imported where a model is made (see torch_loaded)
    from charnames_gui.core.examples import SplitTensors
    from charnames_gui.core.model import MLP
    from charnames_gui.core.trainer_process import TrainingProcess
    from charnames_gui.core.training import TrainerLike

MODELS_DATASET_READ_BYTES = 1024 * 1024  # see use_models_dataset
_live_controllers: weakref.WeakSet[Controller] = weakref.WeakSet()


@atexit.register
def _shutdown_live_controllers() -> None:
    """A script that exits without closing its window still stops the worker threads, so Qt
    never destroys a running QThread (which aborts the process)."""
    for controller in list(_live_controllers):
        with contextlib.suppress(RuntimeError):  # the C++ side may already be gone
            controller.shutdown()


WORKER_IDLE_TIMEOUT = 10.0  # seconds to wait for the worker to finish its current chunk
# Save pauses the run and waits this long for it; a training process that has not paused by
# then is not waited for: the last weights received are saved (they are ~0.25 s old).
SAVE_PAUSE_WAIT = 0.5
SHUTDOWN_WAIT = 1.0  # seconds for the worker to end at close before the child is ended
# Each point is a pass over the whole dev split (~0.1 s on the lecture's data), measured by the
# app from the weights at that step while the training process trains on.
DEV_POINTS_PER_RUN = 25
# Larger dataset files are opened on a worker thread (~100,000 names; the lecture's 228 KB
# opens in ~50 ms on the GUI thread, which keeps opening it simple and synchronous).
LOAD_IN_BACKGROUND_BYTES = 1024 * 1024


def _one(loss: float) -> np.ndarray:
    return np.array([loss], dtype=np.float32)  # (1,): one step's loss, as a chunk holds it


def eval_interval(steps: int) -> int:
    """Steps between the dev-loss points of a run of `steps` steps."""
    return max(200, steps // DEV_POINTS_PER_RUN)


class TrainingState(Enum):
    LOADING = "loading PyTorch"  # the app has just started: the model waits for torch
    NO_MODEL = "no model"  # nothing to train or sample
    NO_DATASET = "no dataset"  # a model opened without a dataset: it samples, cannot train
    READY = "ready"  # a model that can be trained; not running
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # all configured steps done (raise steps to continue)
    SWEEPING = "sweeping"  # the learning-rate finder runs
    EVALUATING = "evaluating"  # the worker measures the loss of a whole split
    STEPPING = "stepping"  # the worker takes a single step (step_once)


@dataclass
class ModelInfo:
    """What views need to know about the current model."""

    config: ModelConfig
    vocab: Vocabulary
    train_config: TrainConfig
    split_seed: int
    step: int = 0
    from_file: bool = False


@dataclass
class RunLog:
    """The current model's curve, kept small for the run history."""

    curve: DecimatingBuffer = field(default_factory=lambda: DecimatingBuffer(2000))
    evals: list[EvalPoint] = field(default_factory=list)
    start_step: int = 0  # model step when this run started
    start_seconds: float = 0.0  # the model's training seconds when this run started


class Controller(QObject):
    datasetChanged = Signal(object)  # Dataset | None
    modelReset = Signal(object)  # ModelInfo: a different model (new or loaded)
    trainingConfigChanged = Signal(object)  # TrainConfig applied to the current model
    stateChanged = Signal(object)  # TrainingState
    documentChanged = Signal()  # file path or modified flag
    lossesReady = Signal(object)  # LossChunk
    evalReady = Signal(object)  # EvalPoint
    snapshotReady = Signal(object)  # Snapshot
    progress = Signal(object)  # Progress
    runEnded = Signal(object)  # RunEnded (with the full train/dev loss when evaluated)
    sweepPoints = Signal(object)  # list[(lr, loss)]
    sweepEnded = Signal(object)  # SweepEnded
    splitEvaluated = Signal(str, float)  # split, loss (asked for with evaluate_split)
    errorOccurred = Signal(str, str)  # title, message in plain words
    statusMessage = Signal(str)
    stepDone = Signal(object)  # OneStep: a single step taken with step_once()

    _requestTrain = Signal(object)  # to the worker's thread
    _requestSweep = Signal(object)
    _requestEval = Signal(object)
    _requestStep = Signal(object)

    def __init__(
        self,
        parent: QObject | None = None,
        use_training_process: bool = True,
        wait_for_torch: bool = False,
    ) -> None:
        """use_training_process: run the steps in a child process (the app's default); False
        runs them on the worker thread itself. wait_for_torch: PyTorch is still loading (the
        app's start); models are made, and Start carried out, at torch_loaded()."""
        super().__init__(parent)
        self.use_training_process = use_training_process
        self.process: TrainingProcess | None = None
        self.torch_ready = False
        # what the learner asked for while torch loads, in order: (kind, action); a kind
        # asked again replaces its earlier request (the last model settings win)
        self._waiting: list[tuple[str, Callable[[], object]]] = []
        self.dataset: Dataset | None = None
        self.model: MLP | None = None
        self.vocab: Vocabulary | None = None
        self.trainer: TrainerLike | None = None
        # the last weights the worker sent during a run (saved when it does not pause in time)
        self._held: Snapshot | None = None
        self.train_config = TrainConfig()
        self.split_seed = 42
        self.summary = TrainingSummary()
        self.test_evaluations = TestEvaluations()
        self.path: Path | None = None
        self._saved_step = 0  # the model's step when it was created, loaded or saved
        self._notified_modified = False
        self._metadata_changed = False
        self.state = TrainingState.LOADING if wait_for_torch else TrainingState.NO_MODEL
        self.run_log = RunLog()
        self.last_outcome: RunEnded | None = None

        self.dataset_loader = DatasetLoader(self)
        self.model_loader = ModelLoader(self)
        self.model_loader.failed.connect(
            lambda text: self.errorOccurred.emit("Cannot open model", text)
        )
        self.dataset_loader.loaded.connect(self._on_dataset_loaded)
        self.dataset_loader.failed.connect(self._on_dataset_failed)
        self._thread = QThread()
        self._thread.setObjectName("training-worker")
        self.worker = TrainingWorker()
        self.worker.moveToThread(self._thread)
        self._requestTrain.connect(self.worker.train)
        self._requestSweep.connect(self.worker.sweep)
        self._requestEval.connect(self.worker.evaluate)
        self._requestStep.connect(self.worker.step_once)
        self.worker.stepDone.connect(self._on_step_done)
        self.worker.splitEvaluated.connect(self._on_split_evaluated)
        self.worker.lossesReady.connect(self._on_losses)
        self.worker.evalReady.connect(self._on_eval)
        self.worker.snapshotReady.connect(self._on_snapshot)
        self.worker.progress.connect(self.progress)
        self.worker.runEnded.connect(self._on_run_ended)
        self.worker.sweepPoints.connect(self.sweepPoints)
        self.worker.sweepEnded.connect(self._on_sweep_ended)
        self._thread.start()
        # However the app ends, the thread is stopped before Qt destroys it.
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        _live_controllers.add(self)
        if not wait_for_torch:
            self.torch_loaded()

    # -- PyTorch ---------------------------------------------------------------------------
    def torch_loaded(self) -> None:
        """PyTorch is imported: make the training process, then carry out what was asked
        meanwhile (the first model, a file to open, Start). Called once."""
        if self.torch_ready:
            return
        from charnames_gui.core.trainer_process import TrainingProcess

        self.torch_ready = True
        if self.use_training_process:
            self.process = TrainingProcess()
        # Start last: it starts whichever model the other requests leave
        waiting = sorted(self._waiting, key=lambda request: request[0] == "start")
        self._waiting = []
        if self.state == TrainingState.LOADING:
            self._set_state(TrainingState.NO_MODEL)
        for _, action in waiting:
            action()

    def when_torch_loaded(self, kind: str, action: Callable[[], object]) -> bool:
        """Run action now if torch is loaded (returning its result), else when it is (True:
        accepted). An earlier request of the same kind is replaced."""
        if self.torch_ready:
            return bool(action())
        self._waiting = [(k, a) for k, a in self._waiting if k != kind]
        self._waiting.append((kind, action))
        return True

    def is_waiting_for(self, kind: str) -> bool:
        """True when a request of this kind ("model", "start", "open") waits for torch."""
        return any(k == kind for k, _ in self._waiting)

    # -- dataset --------------------------------------------------------------------------
    def open_dataset(
        self,
        path: str | Path,
        then: Callable[[], object] | None = None,
        block_size: int | None = None,
    ) -> bool:
        """Open a dataset file, then call then() (the caller makes a new model for it).

        A small file (the lecture's 228 KB) is read at once and then() runs before this
        returns, with its result returned. A larger one is read, split and turned into
        examples for block_size on a worker thread, so the window keeps drawing; True means
        it is loading, and then() runs when it is set. False: the file cannot be opened, or
        another dataset is still loading."""
        if self.dataset_loader.busy:
            self.statusMessage.emit(f"Still opening {self.dataset_loader.loading_name}...")
            return False
        try:  # a stat, no read: refuses FIFOs, devices, folders and oversize files at once
            size = check_regular_file(path, "dataset", MAX_DATASET_BYTES).stat().st_size
        except (CharnamesError, OSError) as exc:
            self.errorOccurred.emit("Cannot open dataset", str(exc))
            return False
        if size > LOAD_IN_BACKGROUND_BYTES:
            self.statusMessage.emit(f"Opening {Path(path).name} ({format_size(size)})...")
            self.dataset_loader.load(Path(path), self.split_seed, block_size, then)
            return True
        try:
            dataset = Dataset.from_file(path, split_seed=self.split_seed)
        except CharnamesError as exc:
            self.errorOccurred.emit("Cannot open dataset", str(exc))
            return False
        self.set_dataset(dataset)
        return bool(then()) if then is not None else True

    def _on_dataset_loaded(self, dataset: Dataset, then: Callable[[], object] | None) -> None:
        self.set_dataset(dataset)
        if then is not None:
            then()

    def _on_dataset_failed(self, name: str, message: str) -> None:
        self.errorOccurred.emit("Cannot open dataset", message)

    def set_dataset(self, dataset: Dataset) -> None:
        self._require_idle()
        self.dataset = dataset
        self.datasetChanged.emit(dataset)
        note = boundary_note(dataset.vocab) if dataset.vocab else None
        self.statusMessage.emit(
            f"{dataset.name}: {len(dataset.words):,} names, {dataset.vocab.size} symbols"
            + (f". {note}" if note else "")
        )

    # -- models ---------------------------------------------------------------------------
    def new_model(self, config: ModelConfig, train_config: TrainConfig, split_seed: int) -> bool:
        """A freshly initialised model for the current dataset (vocab size from the data).
        While torch loads, the model is made when it has loaded (True: it will be)."""
        if not self.torch_ready:
            return self.when_torch_loaded(
                "model", lambda: self.new_model(config, train_config, split_seed)
            )
        from charnames_gui.core.model import MLP

        self._require_idle()
        if self.dataset is None:
            self.errorOccurred.emit("No dataset", "Open a dataset of names first.")
            return False
        dataset = self.dataset
        if split_seed != dataset.split_seed:
            dataset = dataset.with_split_seed(split_seed)
            self.dataset = dataset
            self.datasetChanged.emit(dataset)
        assert dataset.vocab is not None
        config = ModelConfig(config.block_size, config.n_embd, config.n_hidden, dataset.vocab.size)
        try:
            config.validate()
            train_config.validate()
            model = MLP.init(config, train_config.init, train_config.seed)
            trainer = self._make_trainer(model, dataset.examples(config.block_size), train_config)
        except CharnamesError as exc:
            self.errorOccurred.emit("Cannot create the model", str(exc))
            return False
        self.model, self.vocab, self.trainer = model, dataset.vocab, trainer
        self.train_config = train_config
        self.split_seed = split_seed
        self.summary = TrainingSummary(
            train_config=train_config.to_dict(),
            dataset_name=dataset.name,
            dataset_hash=dataset.content_hash(),
            dataset_path=str(dataset.path.resolve()) if dataset.path else "",
        )
        self.test_evaluations = TestEvaluations()
        self.path = None
        self._mark_clean(0)
        self.run_log = RunLog()
        self.last_outcome = None
        self._held = None
        self.modelReset.emit(self.model_info())
        self._reset_figures()
        self.documentChanged.emit()
        self._set_state(TrainingState.READY)
        if trainer.engine_note:
            self.statusMessage.emit(trainer.engine_note)
        return True

    def model_info(self) -> ModelInfo | None:
        if self.model is None or self.vocab is None:
            return None
        return ModelInfo(
            self.model.config,
            self.vocab,
            self.train_config,
            self.split_seed,
            self.trainer.step if self.trainer else self.summary.steps,
            from_file=self.path is not None,
        )

    def train_estimate_examples(self) -> int:
        """How many training examples the train-loss estimate is measured on (0: no model)."""
        if self.trainer is None:
            return 0
        return min(int(self.trainer.examples.X("train").shape[0]), TRAIN_ESTIMATE_EXAMPLES)

    def apply_train_config(self, train_config: TrainConfig) -> bool:
        """New learning rate, schedule, steps... for the current model: it keeps training."""
        if self.is_busy():
            return False
        try:
            train_config.validate()
        except ConfigError as exc:
            self.errorOccurred.emit("Invalid setting", str(exc))
            return False
        init_changed = (train_config.init, train_config.seed) != (
            self.train_config.init,
            self.train_config.seed,
        )
        self.train_config = train_config
        if self.trainer is not None:
            # the init scheme and seed only matter for a new model; keep the model's own
            self.trainer.set_config(
                train_config.replace(init=self.trainer.config.init, seed=self.trainer.config.seed)
                if init_changed
                else train_config
            )
            self.summary.train_config = self.trainer.config.to_dict()
            self._set_state(TrainingState.FINISHED if self.trainer.done else self._idle_state())
        self.trainingConfigChanged.emit(train_config)
        return True

    def _idle_state(self) -> TrainingState:
        if self.trainer is None:
            return TrainingState.NO_DATASET if self.model is not None else TrainingState.NO_MODEL
        if self.trainer.done:
            return TrainingState.FINISHED
        return TrainingState.PAUSED if self.state == TrainingState.PAUSED else TrainingState.READY

    # -- training ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start, resume or continue training the current model. Pressed while torch loads,
        it starts the model that is then made (the status says so)."""
        if self.state == TrainingState.LOADING:
            if not self.is_waiting_for("start"):
                self.when_torch_loaded("start", self.start)
                self.statusMessage.emit("Training starts as soon as PyTorch has loaded")
                self.stateChanged.emit(self.state)  # the same state, now with Start queued
            return
        if self.trainer is None or self.is_busy():
            return
        if self.trainer.done:
            self.statusMessage.emit(
                f"All {self.trainer.config.steps:,} steps are done: raise 'Steps' to continue"
            )
            return
        if self.state != TrainingState.PAUSED:  # a new run (else: the paused one resumes)
            self.run_log.start_step = self.trainer.step
            self.run_log.start_seconds = self.trainer.seconds
        steps = self.trainer.config.steps
        self.worker.job_queued()
        self._set_state(TrainingState.RUNNING)
        self._requestTrain.emit(
            TrainJob(
                self.trainer,
                eval_every=eval_interval(steps),
                run_start_seconds=self.run_log.start_seconds,
            )
        )

    def pause(self) -> None:
        if self.state == TrainingState.RUNNING:
            self.worker.request_pause()

    def stop(self) -> None:
        """End the run: the worker stops within a chunk (~20 ms) and evaluates the losses."""
        if self.state in (TrainingState.RUNNING, TrainingState.SWEEPING):
            self.worker.request_stop()
        elif self.state == TrainingState.PAUSED and self.trainer is not None:
            # nothing runs: the worker only evaluates, off the GUI thread
            self.worker.job_queued()
            self._set_state(TrainingState.RUNNING)
            self._requestTrain.emit(TrainJob(self.trainer, eval_every=1, end_now=True))

    def toggle(self) -> None:
        """Space bar: start, pause or resume."""
        if self.state == TrainingState.RUNNING:
            self.pause()
        elif self.state in (TrainingState.READY, TrainingState.PAUSED, TrainingState.LOADING):
            self.start()

    def wait_until_idle(self, timeout: float = WORKER_IDLE_TIMEOUT) -> bool:
        """Pause a run and block until the worker has let go of the model (for saving)."""
        if self.is_busy():
            self.worker.request_pause()
        idle = self.worker.idle.wait(timeout)
        # deliver the worker's queued signals now, so the state is current when we return
        QCoreApplication.sendPostedEvents(self)
        return idle

    def step_once(self, probe: list[int] | None = None) -> bool:
        """Take exactly one step of the current run (the next minibatch of its stream), off
        the GUI thread; stepDone carries what it did, with how the distribution after the
        context `probe` moved (None: the start of a name). Only between runs."""
        if self.trainer is None or self.state not in (TrainingState.READY, TrainingState.PAUSED):
            if self.trainer is not None and self.trainer.done:
                self.statusMessage.emit(
                    f"All {self.trainer.config.steps:,} steps are done: raise 'Steps' to go on"
                )
            return False
        if self.state == TrainingState.READY:  # the first step of a run: the run begins
            self.run_log.start_step = self.trainer.step
            self.run_log.start_seconds = self.trainer.seconds
        self.worker.job_queued()
        self._set_state(TrainingState.STEPPING)
        if probe is not None and (self.model is None or len(probe) != self.model.config.block_size):
            probe = None  # a context from another model: compare the start of a name
        self._requestStep.emit(StepJob(self.trainer, probe))
        return True

    def _on_step_done(self, result: OneStep | str) -> None:
        assert self.trainer is not None
        # a run taken a step at a time is under way: Start resumes it (and Stop ends it)
        self._set_state(TrainingState.FINISHED if self.trainer.done else TrainingState.PAUSED)
        if isinstance(result, str):
            self.errorOccurred.emit("One training step", result)
            return
        self.summary.steps = self.trainer.step
        self.summary.seconds = self.trainer.seconds
        self.summary.batch_stream = self.trainer.batch_stream
        self.run_log.curve.extend(result.step, _one(result.loss_before))
        self._mark_modified()
        self.lossesReady.emit(
            LossChunk(result.step, _one(result.loss_before), result.lr, self.trainer.seconds)
        )
        self.snapshotReady.emit(self.trainer.snapshot())
        self.stepDone.emit(result)

    def _reset_figures(self) -> None:
        """A new or opened model: no speed, elapsed time or time left yet."""
        step = self.trainer.step if self.trainer is not None else self.summary.steps
        self.progress.emit(Progress(step, self.train_config.steps, 0.0, 0.0))

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        if self.state == TrainingState.RUNNING:
            self._held = snapshot
        self.snapshotReady.emit(snapshot)

    def _on_losses(self, chunk: LossChunk) -> None:
        self.run_log.curve.extend(chunk.start_step, chunk.losses)
        if len(chunk.losses):
            self._mark_modified()
        self.lossesReady.emit(chunk)

    def _on_eval(self, point: EvalPoint) -> None:
        self.run_log.evals.append(point)
        self.evalReady.emit(point)

    def _on_run_ended(self, outcome: RunEnded) -> None:
        self.last_outcome = outcome
        if self.trainer is not None:
            self.summary.steps = self.trainer.step
            self.summary.seconds = self.trainer.seconds
            self.summary.batch_stream = self.trainer.batch_stream
            self.summary.train_config = self.trainer.config.to_dict()
        if outcome.train_loss is not None:
            self.summary.train_loss = outcome.train_loss
            self.summary.dev_loss = outcome.dev_loss
        self._held = None
        # back at the last weights received (a lost training process): forget what came after
        self.run_log.evals = [p for p in self.run_log.evals if p.step <= outcome.step]
        self.run_log.curve.truncate(outcome.step + 1)
        if outcome.status == "paused":
            self._set_state(TrainingState.PAUSED)
            if outcome.message:  # e.g. a training process that did not answer the pause
                self.statusMessage.emit(outcome.message)
        else:
            self._set_state(self._idle_state())
            if outcome.message and outcome.status not in ("diverged", "failed"):
                self.statusMessage.emit(outcome.message)  # e.g. a process that did not answer
        self.runEnded.emit(outcome)
        # the error last: its dialog is modal, and behind it the window already shows the
        # run's end (state, figures, the recorded run)
        if outcome.status == "diverged":
            self.errorOccurred.emit("Training diverged", outcome.message)
        elif outcome.status == "failed":
            self.errorOccurred.emit("Training failed", outcome.message)

    # -- evaluating a split ---------------------------------------------------------------
    def evaluate_split(self, split: str) -> bool:
        """Measure the full loss of a split in the worker; splitEvaluated carries it."""
        if self.trainer is None or self.is_busy():
            return False
        match = self.dataset_match()
        if split == "test" and match is not None and not match.same:
            self.errorOccurred.emit(
                "Test set not evaluated",
                f"{match.message} A test loss on it would not be this model's: the splits do "
                "not correspond (its test names may be in the model's training split).",
            )
            return False
        self._state_before_eval = self.state
        self.worker.job_queued()
        self._set_state(TrainingState.EVALUATING)
        self._requestEval.emit(EvalJob(self.trainer, split))
        return True

    def _on_split_evaluated(self, split: str, loss: float) -> None:
        self._set_state(getattr(self, "_state_before_eval", self._idle_state()))
        self.splitEvaluated.emit(split, loss)

    def record_test_evaluation(self, loss: float) -> int:
        """Count a look at the test split (saved in the model file); returns the count."""
        dataset_hash = self.dataset.content_hash() if self.dataset else ""
        count = self.test_evaluations.record(dataset_hash, loss)
        self._metadata_changed = True
        self.documentChanged.emit()
        return count

    def test_evaluation_count(self) -> int:
        return self.test_evaluations.count(self.dataset.content_hash() if self.dataset else "")

    # -- learning-rate finder -------------------------------------------------------------
    def start_lr_sweep(self, n: int = 1000) -> bool:
        """The lecture's sweep, in the worker, on a fresh model of the current configuration:
        new random weights from its init scheme and seed, as the lecture does (a trained
        model would only show the flat end of the curve)."""
        if (
            self.model is None
            or self.dataset is None
            or self.state
            not in (
                TrainingState.READY,
                TrainingState.PAUSED,
                TrainingState.FINISHED,
            )
        ):
            return False
        assert self.trainer is not None
        self._state_before_sweep = self.state
        self.worker.job_queued()
        self._set_state(TrainingState.SWEEPING)
        from charnames_gui.core.model import MLP

        fresh = MLP.init(self.model.config, self.train_config.init, self.train_config.seed)
        self._requestSweep.emit(
            SweepJob(
                fresh,
                self.trainer.examples,
                self.train_config.batch_size,
                n,
                self.train_config.seed,
                self.train_config.engine,
            )
        )
        return True

    def _on_sweep_ended(self, ended: SweepEnded) -> None:
        self._set_state(getattr(self, "_state_before_sweep", self._idle_state()))
        if ended.message:
            self.statusMessage.emit(ended.message)
        self.sweepEnded.emit(ended)

    # -- model files ----------------------------------------------------------------------------
    def model_file(self, held: Snapshot | None = None) -> ModelFile:
        """The model as a file holds it; held: these weights (at their step) instead of the
        model's, which a run may be changing."""
        assert self.model is not None and self.vocab is not None
        model = self.model
        if held is not None:
            model = self.model.with_weights(held.weights)
            self.summary.steps, self.summary.seconds = held.step, held.seconds
        elif self.trainer is not None:
            self.summary.steps = self.trainer.step
            self.summary.seconds = self.trainer.seconds
        if self.trainer is not None:
            self.summary.batch_stream = self.trainer.batch_stream
        return ModelFile(model, self.vocab, self.split_seed, self.summary, self.test_evaluations)

    def save(self, path: str | Path) -> bool:
        """Save the model. A run is paused first; if it does not pause within SAVE_PAUSE_WAIT
        (a training process that does not answer), the last weights received are saved,
        and the GUI does not wait for the child."""
        if self.model is None:
            return False
        from charnames_gui.core.checkpoint import save_model
        from charnames_gui.core.trainer_process import ProcessTrainer

        held: Snapshot | None = None
        if self.is_busy():
            process_run = isinstance(self.trainer, ProcessTrainer)
            if not self.wait_until_idle(SAVE_PAUSE_WAIT if process_run else WORKER_IDLE_TIMEOUT):
                held = self._held if process_run else None
                if held is None:
                    self.errorOccurred.emit(
                        "Cannot save", "Training did not pause in time; try again."
                    )
                    return False
        try:
            save_model(path, self.model_file(held))
        except (CharnamesError, OSError) as exc:
            self.errorOccurred.emit("Cannot save the model", str(exc))
            return False
        self.path = Path(path)
        self._mark_clean(self.summary.steps)
        self.documentChanged.emit()
        if held is not None:
            self.statusMessage.emit(
                f"Saved {self.path.name} with the last weights received, at step "
                f"{held.step:,} (training has not paused yet)"
            )
        else:
            self.statusMessage.emit(f"Saved {self.path.name}")
        return True

    def read_model_file(self, path: str | Path) -> ModelFile | None:
        """Load and check a model file completely, changing nothing: the caller can then ask
        about unsaved training and apply it. None (after errorOccurred) if it cannot be used.

        A learner's bare weights take their vocabulary from the open dataset when C does not
        have the lecture's 27 rows."""
        from charnames_gui.core.checkpoint import load_model

        hint = self.dataset.vocab if self.dataset is not None else None
        try:
            return load_model(path, dataset_vocab=hint)
        except CharnamesError as exc:
            self.errorOccurred.emit("Cannot open model", str(exc))
        except Exception as exc:  # a model file must never crash the window
            traceback.print_exc(file=sys.stderr)
            self.errorOccurred.emit(
                "Cannot open model", f"{Path(path).name} could not be read ({exc!r:.200})"
            )
        return None

    def read_model_file_then(self, path: str | Path, then: Callable[[ModelFile], object]) -> bool:
        """Check a model file completely, then call then(model_file) (which may ask about
        unsaved training and apply it). A small file is read at once and then's result is
        returned; a large one (the largest model is 68 MB, ~0.5 s) is read on a worker thread
        so the window keeps drawing: True means it is being read. False: it cannot be opened
        (errorOccurred said why) or another model file is still being read."""
        if not self.torch_ready:  # read it when torch has loaded (the file is checked then)
            self.statusMessage.emit(f"{Path(path).name} opens as soon as PyTorch has loaded")
            return self.when_torch_loaded("open", lambda: self.read_model_file_then(path, then))
        if self.model_loader.busy:
            self.statusMessage.emit("Still reading a model file...")
            return False
        try:  # a stat, no read: refuses FIFOs, devices, folders and oversize files at once
            size = check_regular_file(path, "model file", MAX_MODEL_FILE_BYTES).stat().st_size
        except (CharnamesError, OSError) as exc:
            self.errorOccurred.emit("Cannot open model", str(exc))
            return False
        if size > BACKGROUND_MODEL_BYTES:
            self.statusMessage.emit(f"Reading {Path(path).name} ({format_size(size)})...")
            hint = self.dataset.vocab if self.dataset is not None else None
            self.model_loader.load(Path(path), hint, then)
            return True
        model_file = self.read_model_file(path)
        return bool(then(model_file)) if model_file is not None else False

    def open_model(self, path: str | Path) -> bool:
        """Read, check and apply a model file (no questions asked)."""
        return self.read_model_file_then(path, lambda mf: self.apply_model_file(mf, path))

    def apply_model_file(self, model_file: ModelFile, path: str | Path) -> bool:
        """Make a checked model file the current model. Everything it needs (training
        settings, dataset, trainer) is prepared first; the controller's state changes only
        when all of it worked, so the window is never left half-updated."""
        self._require_idle()
        try:
            train_config = self._train_config_of(model_file)
            dataset, trainer, message = self._dataset_for(model_file, train_config, self.dataset)
        except Exception as exc:  # a model file must never crash the window
            if not isinstance(exc, CharnamesError):
                traceback.print_exc(file=sys.stderr)
            self.errorOccurred.emit("Cannot open model", f"{Path(path).name}: {exc}")
            return False
        self.model = model_file.model
        self.vocab = model_file.vocab
        self.split_seed = model_file.split_seed
        self.summary = model_file.training
        self.test_evaluations = model_file.test_evaluations
        self.path = Path(path)
        self._mark_clean(model_file.training.steps)
        self.run_log = RunLog()
        self.last_outcome = None
        self.train_config = train_config
        self.trainer = trainer
        self._held = None
        if dataset is not self.dataset:
            self.dataset = dataset
            self.datasetChanged.emit(dataset)
        self.modelReset.emit(self.model_info())
        self._reset_figures()
        self.documentChanged.emit()
        self._set_state(self._idle_state())
        kind = " (your own weights: no training record)" if model_file.is_plain else ""
        self.statusMessage.emit(
            f"Opened {self.path.name}{kind}" + (f". {message}" if message else "")
        )
        return True

    def use_models_dataset(self, path: str | Path) -> bool:
        """Open `path` for the current model if it is the dataset the model was trained on
        (same content): the model, its step and its training stay. False otherwise (nothing
        changed; the caller opens it as a new dataset)."""
        if self.model is None or self.vocab is None or not self.summary.dataset_hash:
            return False
        # read here, on the GUI thread, only a file small enough to read at once (names.txt
        # is 228 KB); a larger one goes the way of any dataset (and starts a new model)
        with contextlib.suppress(OSError):
            if Path(path).stat().st_size > MODELS_DATASET_READ_BYTES:
                return False
        try:
            dataset = Dataset.from_file(path, split_seed=self.split_seed, vocab=self.vocab)
        except CharnamesError:
            return False
        if dataset.content_hash() != self.summary.dataset_hash:
            return False
        self._require_idle()
        try:
            trainer = self._resumed_trainer(dataset, self.train_config)
        except CharnamesError as exc:
            self.errorOccurred.emit("Cannot open dataset", str(exc))
            return False
        self.dataset, self.trainer, self._held = dataset, trainer, None
        self.datasetChanged.emit(dataset)
        self.modelReset.emit(self.model_info())
        self._set_state(self._idle_state())
        self.statusMessage.emit(f"Opened {dataset.name}, the dataset this model was trained on")
        return True

    def write_code(self, path: str | Path, kind: str) -> str:
        """Write the current run as the lecture's code: kind 'script' (.py) or 'notebook'
        (.ipynb), see core/export_script.py. Returns what to tell the learner; raises
        CharnamesError when it cannot."""
        from charnames_gui.core.export_script import (
            notebook_text,
            run_spec,
            script_text,
            write_export,
        )

        if self.model is None or self.vocab is None:
            raise CharnamesError("There is no model to export")
        if self.dataset is None:
            raise CharnamesError("Open the dataset the model was trained on: the code reads it")
        spec = run_spec(self.model_file(), self.dataset, title=self._document_name())
        write_export(path, script_text(spec) if kind == "script" else notebook_text(spec))
        notes = f" Note: {' '.join(spec.notes)}" if spec.notes else ""
        return f"Exported {Path(path).name}.{notes}"

    def export_code(self, path: str | Path, kind: str) -> bool:
        """write_code, with its outcome told through the status and error signals."""
        try:
            message = self.write_code(path, kind)
        except CharnamesError as exc:
            self.errorOccurred.emit("Cannot export", str(exc))
            return False
        self.statusMessage.emit(message)
        return True

    def _document_name(self) -> str:
        return self.path.name if self.path is not None else "an unsaved model"

    def dataset_match(self) -> Match | None:
        """How the open dataset relates to the current model (None: no model or dataset)."""
        if self.model is None or self.vocab is None or self.dataset is None:
            return None
        return compare(ModelFile(self.model, self.vocab, training=self.summary), self.dataset)

    def _train_config_of(self, model_file: ModelFile) -> TrainConfig:
        saved = model_file.training.train_config_or_none() or TrainConfig()
        return saved.replace(steps=max(saved.steps, model_file.training.steps, 1))

    def _resumed_trainer(self, dataset: Dataset, train_config: TrainConfig) -> TrainerLike:
        assert self.model is not None
        trainer = self._make_trainer(
            self.model, dataset.examples(self.model.config.block_size), train_config
        )
        trainer.resume(self.summary.steps, self.summary.seconds, self.summary.batch_stream)
        return trainer

    def _dataset_for(
        self, model_file: ModelFile, train_config: TrainConfig, open_dataset: Dataset | None
    ) -> tuple[Dataset | None, TrainerLike | None, str]:
        """(dataset, trainer, message) for a model about to be opened, without changing any
        state: the open dataset when it is the model's; else the model's own file when its
        recorded path still holds the same names; else the open dataset if it fits the
        vocabulary (figures then measured on another dataset, said with both names); else
        none (sampling and the embedding still work from the file alone)."""
        model, summary = model_file.model, model_file.training
        candidates: list[tuple[Dataset, bool]] = []  # (dataset, is it the model's own)

        def with_model_vocab(d: Dataset) -> Dataset:
            return Dataset(d.words, name=d.name, split_seed=model_file.split_seed,
                           path=d.path, vocab=model_file.vocab)  # fmt: skip

        if open_dataset is not None:
            with contextlib.suppress(CharnamesError):
                candidates.append((with_model_vocab(open_dataset), False))
        own_open = any(
            summary.dataset_hash and d.content_hash() == summary.dataset_hash for d, _ in candidates
        )
        if summary.dataset_hash and not own_open and summary.dataset_path:
            with contextlib.suppress(CharnamesError, OSError):
                if Path(summary.dataset_path).stat().st_size > MODELS_DATASET_READ_BYTES:
                    raise OSError("too large to read on the GUI thread: open it by hand")
                recorded = Dataset.from_file(
                    summary.dataset_path, split_seed=model_file.split_seed, vocab=model_file.vocab
                )
                if recorded.content_hash() == summary.dataset_hash:
                    candidates.insert(0, (recorded, True))
        if not candidates:
            if open_dataset is None:
                wanted = f": {trained_on_label(model_file)}" if summary.dataset_hash else ""
                return None, None, f"To train it, open the dataset it was trained on{wanted}"
            return (
                None,
                None,
                f"The open dataset {label_of(open_dataset)} does not fit this model (other "
                f"characters); open the one it was trained on: {trained_on_label(model_file)}",
            )
        dataset, found_on_disk = candidates[0]
        trainer = self._make_trainer(model, dataset.examples(model.config.block_size), train_config)
        trainer.resume(summary.steps, summary.seconds, summary.batch_stream)
        match = compare(model_file, dataset)
        if found_on_disk:
            return dataset, trainer, f"Opened its dataset too: {label_of(dataset)}"
        return dataset, trainer, match.message

    # -- helpers ----------------------------------------------------------------------------
    def _make_trainer(self, model: MLP, examples: SplitTensors, config: TrainConfig) -> TrainerLike:
        """Steps run in the training process when there is one (see core/trainer_process.py),
        so that painting and training do not wait on each other for Python's lock."""
        from charnames_gui.core.trainer_process import ProcessTrainer
        from charnames_gui.core.training import Trainer

        if self.process is not None:
            return ProcessTrainer(self.process, model, examples, config)
        return Trainer(model, examples, config)

    @property
    def modified(self) -> bool:
        """True when the model has training that is not in its file. Read from the trainer's
        step counter, so it is right even before the worker's signals have arrived."""
        step = self.trainer.step if self.trainer is not None else self._saved_step
        return step != self._saved_step or self._metadata_changed

    def _mark_clean(self, step: int) -> None:
        self._saved_step = step
        self._metadata_changed = False  # e.g. a test-set evaluation counted since saving
        self._notified_modified = False

    def _mark_modified(self) -> None:
        if not self._notified_modified and self.modified:
            self._notified_modified = True
            self.documentChanged.emit()

    def _set_state(self, state: TrainingState) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

    def _require_idle(self) -> None:
        """Pause whatever runs and process its last signals, before the model is replaced."""
        if self.is_busy():
            self.wait_until_idle()

    def is_busy(self) -> bool:
        return self.state in (
            TrainingState.RUNNING,
            TrainingState.SWEEPING,
            TrainingState.EVALUATING,
            TrainingState.STEPPING,
        )

    def shutdown(self) -> None:
        """Pause any run and end the worker's thread (closing the window). No evaluation:
        the worker returns within one chunk (~20 ms), then the thread's event loop ends. A
        training process that keeps the worker waiting longer than SHUTDOWN_WAIT is ended
        (terminated, then killed), which ends the worker's wait. Safe to call more than once."""
        self.dataset_loader.wait()
        self.model_loader.wait()
        self.worker.request_pause()
        self._thread.quit()
        if not self._thread.wait(int(SHUTDOWN_WAIT * 1000)) and self.process is not None:
            self.process.abandon()
        self._thread.wait()
        if self.process is not None:
            self.process.close()
