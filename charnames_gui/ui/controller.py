"""The controller: the current dataset and model, the app's state, and the training worker's
thread. Views never train or load anything themselves: they call the controller's methods
(intent) and render what its signals carry (state).

The controller is a facade over three collaborators, each one concern:
- datasets.DatasetOpener: opening a dataset file (large ones on a thread);
- training_jobs.TrainingJobs: start, pause, stop, one step, the LR sweep and evaluating a
  split, on the worker's thread, and what the worker reports back;
- model_files.ModelFiles: saving, reading, opening and exporting model files.
They change the controller's state only through its public methods (set_state, adopt_model,
use_dataset_for_model ...), so the fields below change together before the views are told.

All core objects are used on the GUI thread except the Trainer, which only the worker touches
while a run is in progress.

The app builds its window before PyTorch has loaded (see app.py): a controller made with
wait_for_torch=True reads datasets and takes intents at once, but the model is made, and a
Start pressed meanwhile is carried out, when torch_loaded() says the import is done. The
torch-backed modules (model, training, checkpoint) are imported only from then on.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from charnames_gui.core.child_process import TrainingProcess
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError, ConfigError
from charnames_gui.core.events import Progress, RunEnded, Snapshot
from charnames_gui.core.model_dataset import Match, compare
from charnames_gui.core.model_file import ModelFile, TestEvaluations, TrainingSummary
from charnames_gui.core.training_state import TrainingState
from charnames_gui.core.vocabulary import Vocabulary, boundary_note
from charnames_gui.ui.datasets import DatasetOpener
from charnames_gui.ui.model_files import ModelFiles
from charnames_gui.ui.training_jobs import WORKER_IDLE_TIMEOUT, RunLog, TrainingJobs
from charnames_gui.ui.training_worker import TRAIN_ESTIMATE_EXAMPLES, TrainingWorker

if TYPE_CHECKING:  # torch-backed: imported where a model is made (see torch_loaded)
    from charnames_gui.core.examples import SplitTensors
    from charnames_gui.core.model import MLP
    from charnames_gui.core.training import TrainerLike

SHUTDOWN_WAIT = 1.0  # seconds for the worker to end at close before the child is ended
_live_controllers: weakref.WeakSet[Controller] = weakref.WeakSet()


@atexit.register
def _shutdown_live_controllers() -> None:
    """A script that exits without closing its window still stops the worker threads, so Qt
    never destroys a running QThread (which aborts the process)."""
    for controller in list(_live_controllers):
        with contextlib.suppress(RuntimeError):  # the C++ side may already be gone
            controller.shutdown()


@dataclass
class ModelInfo:
    """What views need to know about the current model."""

    config: ModelConfig
    vocab: Vocabulary
    train_config: TrainConfig
    split_seed: int
    step: int = 0
    from_file: bool = False
    # a learner's bare weights not trained in the app yet: there is no run to show progress of
    no_record: bool = False


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
        # the child is started on first use, or early by the app (it imports torch itself)
        self.process = TrainingProcess() if use_training_process else None
        self.torch_ready = False
        # what the learner asked for while torch loads, in order: (kind, action); a kind
        # asked again replaces its earlier request (the last model settings win)
        self._waiting: list[tuple[str, Callable[[], object]]] = []
        self.dataset: Dataset | None = None
        self.model: MLP | None = None
        self.vocab: Vocabulary | None = None
        self.trainer: TrainerLike | None = None
        self.train_config = TrainConfig()
        self.split_seed = 42
        self.summary = TrainingSummary()
        self.test_evaluations = TestEvaluations()
        self.path: Path | None = None
        self.plain_weights = False  # the model came from a learner's bare weights (no record)
        self._saved_step = 0  # the model's step when it was created, loaded or saved
        self._notified_modified = False
        self._metadata_changed = False
        self.state = TrainingState.LOADING if wait_for_torch else TrainingState.NO_MODEL

        self._thread = QThread()
        self._thread.setObjectName("training-worker")
        self.worker = TrainingWorker()
        self.worker.moveToThread(self._thread)
        self.jobs = TrainingJobs(self, self.worker)
        self.datasets = DatasetOpener(self)
        self.dataset_loader = self.datasets.loader
        self.files = ModelFiles(self)
        self.model_loader = self.files.loader
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
        """PyTorch is imported: carry out what was asked meanwhile (the first model, a
        file to open, Start). Called once."""
        if self.torch_ready:
            return
        self.torch_ready = True
        # Start last: it starts whichever model the other requests leave
        waiting = sorted(self._waiting, key=lambda request: request[0] == "start")
        self._waiting = []
        if self.state == TrainingState.LOADING:
            self.set_state(TrainingState.NO_MODEL)
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
        """Open a dataset file, then call then() (the caller makes a new model for it); see
        DatasetOpener.open."""
        return self.datasets.open(path, then, block_size)

    def set_dataset(self, dataset: Dataset) -> None:
        self.require_idle()
        self.dataset = dataset
        self.datasetChanged.emit(dataset)
        note = boundary_note(dataset.vocab) if dataset.vocab else None
        self.statusMessage.emit(
            f"{dataset.name}: {len(dataset.words):,} names, {dataset.vocab.size} symbols"
            + (f". {note}" if note else "")
        )

    def dataset_match(self) -> Match | None:
        """How the open dataset relates to the current model (None: no model or dataset)."""
        if self.model is None or self.vocab is None or self.dataset is None:
            return None
        return compare(ModelFile(self.model, self.vocab, training=self.summary), self.dataset)

    # -- models ---------------------------------------------------------------------------
    def new_model(self, config: ModelConfig, train_config: TrainConfig, split_seed: int) -> bool:
        """A freshly initialised model for the current dataset (vocab size from the data).
        While torch loads, the model is made when it has loaded (True: it will be)."""
        if not self.torch_ready:
            return self.when_torch_loaded(
                "model", lambda: self.new_model(config, train_config, split_seed)
            )
        from charnames_gui.core.model import MLP

        self.require_idle()
        if self.dataset is None:
            self.errorOccurred.emit("No dataset", "Open a dataset of names first.")
            return False
        dataset = self.dataset
        if split_seed != dataset.split_seed:
            dataset = dataset.with_split_seed(split_seed)
            self.dataset = dataset
            self.datasetChanged.emit(dataset)
        assert dataset.vocab is not None
        config = dataclasses.replace(config, vocab_size=dataset.vocab.size)  # keeps batchnorm
        try:
            config.validate()
            train_config.validate()
            model = MLP.init(config, train_config.init, train_config.seed)
            trainer = self.make_trainer(model, dataset.examples(config.block_size), train_config)
        except CharnamesError as exc:
            self.errorOccurred.emit("Cannot create the model", str(exc))
            return False
        summary = TrainingSummary(
            train_config=train_config.to_dict(),
            dataset_name=dataset.name,
            dataset_hash=dataset.content_hash(),
            dataset_path=str(dataset.path.resolve()) if dataset.path else "",
        )
        self.adopt_model(
            model,
            dataset.vocab,
            trainer,
            train_config=train_config,
            split_seed=split_seed,
            summary=summary,
            test_evaluations=TestEvaluations(),
            path=None,
            dataset=dataset,
            state=TrainingState.READY,
        )
        if trainer.engine_note:
            self.statusMessage.emit(trainer.engine_note)
        return True

    def adopt_model(
        self,
        model: MLP,
        vocab: Vocabulary,
        trainer: TrainerLike | None,
        *,
        train_config: TrainConfig,
        split_seed: int,
        summary: TrainingSummary,
        test_evaluations: TestEvaluations,
        path: Path | None,
        dataset: Dataset | None,
        state: TrainingState | None = None,
        plain_weights: bool = False,
    ) -> None:
        """Make a new or opened model the current one: all of its fields change together, its
        training is clean at summary.steps, then the views are told (the dataset first, when
        it is another one). state: the state after it (None: the idle state it has)."""
        self.model, self.vocab, self.trainer = model, vocab, trainer
        self.train_config = train_config
        self.split_seed = split_seed
        self.summary = summary
        self.test_evaluations = test_evaluations
        self.plain_weights = plain_weights
        self.path = path
        self.mark_clean(summary.steps)
        self.jobs.forget()
        if dataset is not self.dataset:
            self.dataset = dataset
            self.datasetChanged.emit(dataset)
        self.modelReset.emit(self.model_info())
        self._reset_figures()
        self.documentChanged.emit()
        self.set_state(state if state is not None else self.idle_state())

    def use_dataset_for_model(self, dataset: Dataset, trainer: TrainerLike) -> None:
        """The current model, now with this dataset (the one it was trained on) and a trainer
        that resumes its training on it."""
        self.dataset, self.trainer = dataset, trainer
        self.jobs.held = None
        self.datasetChanged.emit(dataset)
        self.modelReset.emit(self.model_info())
        self.set_state(self.idle_state())

    def model_info(self) -> ModelInfo | None:
        if self.model is None or self.vocab is None:
            return None
        step = self.trainer.step if self.trainer else self.summary.steps
        return ModelInfo(
            self.model.config,
            self.vocab,
            self.train_config,
            self.split_seed,
            step,
            from_file=self.path is not None,
            no_record=self.plain_weights and step == 0,
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
            self.set_state(TrainingState.FINISHED if self.trainer.done else self.idle_state())
        self.trainingConfigChanged.emit(train_config)
        return True

    def make_trainer(self, model: MLP, examples: SplitTensors, config: TrainConfig) -> TrainerLike:
        """Steps run in the training process when there is one (see core/process_trainer.py),
        so that painting and training do not wait on each other for Python's lock."""
        from charnames_gui.core.process_trainer import ProcessTrainer
        from charnames_gui.core.training import Trainer

        if self.process is not None:
            return ProcessTrainer(self.process, model, examples, config)
        return Trainer(model, examples, config)

    def sync_summary(self) -> None:
        """Copy the trainer's step, seconds and batch stream into the training summary."""
        if self.trainer is not None:
            self.summary.steps = self.trainer.step
            self.summary.seconds = self.trainer.seconds
            self.summary.batch_stream = self.trainer.batch_stream

    def _reset_figures(self) -> None:
        """A new or opened model: no speed, elapsed time or time left yet."""
        step = self.trainer.step if self.trainer is not None else self.summary.steps
        self.progress.emit(Progress(step, self.train_config.steps, 0.0, 0.0))

    # -- training (see training_jobs.py) -----------------------------------------------------
    @property
    def run_log(self) -> RunLog:
        """The current model's curve and dev points since it was made or opened."""
        return self.jobs.log

    @property
    def last_outcome(self) -> RunEnded | None:
        return self.jobs.last_outcome

    def start(self) -> None:
        """Start, resume or continue training the current model (queued while torch loads)."""
        self.jobs.start()

    def pause(self) -> None:
        self.jobs.pause()

    def stop(self) -> None:
        """End the run: the worker stops within a chunk (~20 ms) and evaluates the losses."""
        self.jobs.stop()

    def toggle(self) -> None:
        """Space bar: start, pause or resume."""
        self.jobs.toggle()

    def wait_until_idle(self, timeout: float = WORKER_IDLE_TIMEOUT) -> bool:
        """Pause a run and block until the worker has let go of the model (for saving)."""
        return self.jobs.wait_until_idle(timeout)

    def step_once(self, probe: list[int] | None = None) -> bool:
        """Take exactly one step of the current run; stepDone carries what it did."""
        return self.jobs.step_once(probe)

    def evaluate_split(self, split: str) -> bool:
        """Measure the full loss of a split in the worker; splitEvaluated carries it."""
        return self.jobs.evaluate_split(split)

    def start_lr_sweep(self, n: int = 1000) -> bool:
        """The lecture's learning-rate sweep on a fresh model of the current configuration."""
        return self.jobs.start_lr_sweep(n)

    def record_test_evaluation(self, loss: float) -> int:
        """Count a look at the test split (saved in the model file); returns the count."""
        dataset_hash = self.dataset.content_hash() if self.dataset else ""
        count = self.test_evaluations.record(dataset_hash, loss)
        self._metadata_changed = True
        self.documentChanged.emit()
        return count

    def test_evaluation_count(self) -> int:
        return self.test_evaluations.count(self.dataset.content_hash() if self.dataset else "")

    # -- model files (see model_files.py) ---------------------------------------------------
    def model_file(self, held: Snapshot | None = None) -> ModelFile:
        """The model as a file holds it; held: these weights (at their step) instead of the
        model's, which a run may be changing."""
        assert self.model is not None and self.vocab is not None
        model = self.model
        if held is not None:
            model = self.model.with_weights(held.weights)
            self.summary.steps, self.summary.seconds = held.step, held.seconds
            if self.trainer is not None:
                self.summary.batch_stream = self.trainer.batch_stream
        else:
            self.sync_summary()
        return ModelFile(model, self.vocab, self.split_seed, self.summary, self.test_evaluations)

    def save(self, path: str | Path) -> bool:
        """Save the model (a run is paused first); see ModelFiles.save."""
        return self.files.save(path)

    def saved_as(self, path: Path) -> None:
        """The model is now in this file, with all of its training."""
        self.path = path
        self.mark_clean(self.summary.steps)
        self.documentChanged.emit()

    def read_model_file(self, path: str | Path) -> ModelFile | None:
        """Load and check a model file completely, changing nothing (None: it cannot be used,
        errorOccurred said why)."""
        return self.files.read(path)

    def read_model_file_then(self, path: str | Path, then: Callable[[ModelFile], object]) -> bool:
        """Check a model file completely, then call then(model_file); see
        ModelFiles.read_then."""
        return self.files.read_then(path, then)

    def open_model(self, path: str | Path) -> bool:
        """Read, check and apply a model file (no questions asked)."""
        return self.files.open(path)

    def apply_model_file(self, model_file: ModelFile, path: str | Path) -> bool:
        """Make a checked model file the current model, or change nothing."""
        return self.files.apply(model_file, path)

    def open_dataset_for_model(
        self,
        path: str | Path,
        kept: Callable[[], object],
        otherwise: Callable[[Dataset | None], object],
    ) -> bool:
        """Open `path` for the current model if it is the dataset the model was trained on
        (then kept()), else otherwise(dataset read or None); a large file is read in the
        background first. See ModelFiles.open_dataset_for_model."""
        return self.files.open_dataset_for_model(path, kept, otherwise)

    def write_code(self, path: str | Path, kind: str) -> str:
        """Write the current run as the lecture's code ('script' or 'notebook'); returns what
        to tell the learner, raises CharnamesError when it cannot."""
        return self.files.write_code(path, kind)

    def export_code(self, path: str | Path, kind: str) -> bool:
        """write_code, with its outcome told through the status and error signals."""
        return self.files.export_code(path, kind)

    # -- state ------------------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        """True when the model has training that is not in its file. Read from the trainer's
        step counter, so it is right even before the worker's signals have arrived."""
        step = self.trainer.step if self.trainer is not None else self._saved_step
        return step != self._saved_step or self._metadata_changed

    def mark_clean(self, step: int) -> None:
        """The model's file holds its training up to `step`."""
        self._saved_step = step
        self._metadata_changed = False  # e.g. a test-set evaluation counted since saving
        self._notified_modified = False

    def mark_modified(self) -> None:
        """Training went on: documentChanged, once, when the model first differs from its
        file."""
        if not self._notified_modified and self.modified:
            self._notified_modified = True
            self.documentChanged.emit()

    def set_state(self, state: TrainingState) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

    def idle_state(self) -> TrainingState:
        """The state of the current model when nothing runs."""
        if self.trainer is None:
            return TrainingState.NO_DATASET if self.model is not None else TrainingState.NO_MODEL
        if self.trainer.done:
            return TrainingState.FINISHED
        return TrainingState.PAUSED if self.state == TrainingState.PAUSED else TrainingState.READY

    def require_idle(self) -> None:
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
