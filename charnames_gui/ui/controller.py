"""The controller: the one owner of the window's state. It holds the Document (the current
model and dataset, core/document.py), the training jobs (the worker and its thread), and
the only signals the views listen to. Views never train or load anything themselves: they
call the controller's methods (intent) and render what its signals carry (state).

It works with collaborators that each do one thing, return what they made or raise, and tell
nobody (none of them knows the controller):
- datasets.DatasetOpener: reading a dataset file (large ones on a thread);
- model_files: reading, preparing, saving and exporting model files (large ones on a thread);
- training_jobs.TrainingJobs: the worker on its thread, the jobs sent to it, and the current
  model's run log.
The controller changes the document, then emits: the fields change together before the views
are told. Everyone else reads it as `controller.document`, a read-only DocumentView; the
controller keeps the commands (intent) and the signals, no accessors that only forward.

All core objects are used on the GUI thread except the Trainer, which only the worker touches
while a job runs.

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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal

from charnames_gui.core.child_process import TrainingProcess
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.document import Document, DocumentView, ModelInfo, training_summary
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
from charnames_gui.core.model_dataset import label_of, trained_on_label
from charnames_gui.core.model_file import ModelFile, TestEvaluations, TrainingSummary
from charnames_gui.core.snapshots import SnapshotStore
from charnames_gui.core.torch_wait import TorchWait
from charnames_gui.core.training_state import TrainingState
from charnames_gui.core.vocabulary import Vocabulary, boundary_note
from charnames_gui.ui import model_files
from charnames_gui.ui.datasets import (
    LOAD_IN_BACKGROUND_BYTES,
    DatasetOpener,
    Loading,
    StillOpening,
)
from charnames_gui.ui.model_files import (
    SAVE_PAUSE_WAIT,
    ModelFiles,
    Prepared,
    StillReading,
)
from charnames_gui.ui.training_jobs import WORKER_IDLE_TIMEOUT, TrainingJobs, one_loss
from charnames_gui.ui.training_worker import TRAIN_ESTIMATE_EXAMPLES

if TYPE_CHECKING:  # torch-backed: imported where a model is made (see torch_loaded)
    from charnames_gui.core.examples import SplitTensors
    from charnames_gui.core.model import MLP
    from charnames_gui.core.training import TrainerLike

__all__ = ["Controller", "ModelInfo", "TrainingState"]

_Read = TypeVar("_Read")
_live_controllers: weakref.WeakSet[Controller] = weakref.WeakSet()


@atexit.register
def _shutdown_live_controllers() -> None:
    """A script that exits without closing its window still stops the worker threads, so Qt
    never destroys a running QThread (which aborts the process)."""
    for controller in list(_live_controllers):
        with contextlib.suppress(RuntimeError):  # the C++ side may already be gone
            controller.shutdown()


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
        self.torch_wait = TorchWait()  # what the learner asks for while torch loads
        self._document = Document(
            state=TrainingState.LOADING if wait_for_torch else TrainingState.NO_MODEL
        )
        self._notified_modified = False
        # where an evaluation or a sweep returns to
        self._state_before_job: TrainingState | None = None

        self.jobs = TrainingJobs(self)  # the worker, on its own thread
        self.worker = self.jobs.worker
        self.datasets = DatasetOpener(self)
        self.dataset_loader = self.datasets.loader
        self.files = ModelFiles(self)
        self.model_loader = self.files.loader
        # every report is received here (queued to the GUI thread), so wait_until_idle can
        # deliver them all
        w = self.worker
        w.lossesReady.connect(self._on_losses)
        w.evalReady.connect(self._on_eval)
        w.snapshotReady.connect(self._on_snapshot)
        w.progress.connect(self._on_progress)
        w.runEnded.connect(self._on_run_ended)
        w.stepDone.connect(self._on_step_done)
        w.splitEvaluated.connect(self._on_split_evaluated)
        w.sweepPoints.connect(self._on_sweep_points)
        w.sweepEnded.connect(self._on_sweep_ended)
        # However the app ends, the thread is stopped before Qt destroys it.
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        _live_controllers.add(self)
        if not wait_for_torch:
            self.torch_loaded()

    # -- the document, read-only (it changes only here) -------------------------------------
    @property
    def document(self) -> DocumentView:
        """The current model and dataset, for reading (views, window commands, tests)."""
        return self._document

    # -- PyTorch ---------------------------------------------------------------------------
    def torch_loaded(self) -> None:
        """PyTorch is imported: carry out what was asked meanwhile (the first model, a
        file to open, Start). Called once (a second call changes nothing)."""
        if self.torch_wait.ready:
            return
        waiting = self.torch_wait.loaded()
        if self._document.state == TrainingState.LOADING:
            self._set_state(TrainingState.NO_MODEL)
        for action in waiting:
            action()

    # -- the window's frames ------------------------------------------------------------------
    @contextlib.contextmanager
    def gui_frame(self) -> Iterator[None]:
        """Around a frame the window paints: the worker waits between two steps meanwhile.
        The two threads share one interpreter lock, and painting while the worker trains made
        every frame take several times longer and cost the worker more than the frame."""
        gui_idle = self.worker.gui_idle
        gui_idle.clear()
        try:
            yield
        finally:
            gui_idle.set()

    # -- datasets -----------------------------------------------------------------------------
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
        another dataset is still loading (said)."""

        def done(dataset: Dataset) -> object:
            self.set_dataset(dataset)
            return then() if then is not None else True

        read = self._read_dataset(path, block_size, done)
        return read is not None and (isinstance(read, Loading) or bool(done(read)))

    def _read_dataset(
        self,
        path: str | Path,
        block_size: int | None,
        done: Callable[[Dataset], object],
        failed: Callable[[str], object] | None = None,
        min_background_bytes: int = LOAD_IN_BACKGROUND_BYTES,
    ) -> Dataset | Loading | None:
        """DatasetOpener.open with its outcome told: None when it cannot be read."""
        failed = failed or (lambda why: self.errorOccurred.emit("Cannot open dataset", why))

        def read_it() -> Dataset | Loading:
            return self.datasets.open(path, self._document.split_seed, block_size, done, failed,
                                      min_background_bytes=min_background_bytes)  # fmt: skip

        read = self._told(read_it, failed)
        if isinstance(read, Loading):
            self.statusMessage.emit(read.message)
        return read

    def _told(self, read: Callable[[], _Read], failed: Callable[[str], object]) -> _Read | None:
        """A collaborator's read with its refusal told (None then): another file still being
        read in the status bar, anything else through failed."""
        try:
            return read()
        except (StillOpening, StillReading) as exc:
            self.statusMessage.emit(str(exc))
        except CharnamesError as exc:
            failed(str(exc))
        return None

    def set_dataset(self, dataset: Dataset) -> None:
        self.require_idle()
        self._document.dataset = dataset
        self.datasetChanged.emit(dataset)
        note = boundary_note(dataset.vocab) if dataset.vocab else None
        self.statusMessage.emit(
            f"{dataset.name}: {len(dataset.words):,} names, {dataset.vocab.size} symbols"
            + (f". {note}" if note else "")
        )

    def open_dataset_for_model(
        self,
        path: str | Path,
        kept: Callable[[], object],
        otherwise: Callable[[Dataset | None], object],
    ) -> bool:
        """Open `path` for the current model if it is the dataset the model was trained on
        (same content): the model, its step and its training stay, then kept() runs. Any
        other file goes to otherwise(dataset), the way of a new dataset (and a new model):
        dataset is the file already read, or None when it has not been read yet.

        A small file (names.txt is 228 KB) is read and decided at once, with kept's or
        otherwise's result returned. A larger one is read on the DatasetLoader's thread and
        decided when read: True means it is loading (a second open meanwhile is refused)."""
        d = self._document
        if d.model is None or d.vocab is None or not d.summary.dataset_hash:
            return bool(otherwise(None))
        try:
            size = Path(path).stat().st_size
        except OSError:
            return bool(otherwise(None))  # the usual way says why it cannot be opened
        if size > model_files.MODELS_DATASET_READ_BYTES:  # read in the background
            model = d.model
            read = self._read_dataset(
                path,
                model.config.block_size,
                lambda dataset: self._decide_read_dataset(dataset, model, kept, otherwise),
                min_background_bytes=0,
            )
            return read is not None
        try:
            dataset = Dataset.from_file(path, split_seed=d.split_seed, vocab=d.vocab)
        except CharnamesError:
            return bool(otherwise(None))
        if dataset.content_hash() == d.summary.dataset_hash and self._keep_model_with(dataset):
            return bool(kept())
        return bool(otherwise(None))

    def _decide_read_dataset(
        self,
        dataset: Dataset,
        model: MLP,
        kept: Callable[[], object],
        otherwise: Callable[[Dataset | None], object],
    ) -> None:
        """A large dataset file has been read for open_dataset_for_model: decide now."""
        d = self._document
        if d.model is not model or d.is_busy():  # the learner went on meanwhile
            self.statusMessage.emit(f"{dataset.name} was not opened: open it again when paused")
            return
        if dataset.content_hash() == d.summary.dataset_hash and self._keep_model_with(dataset):
            kept()
        else:
            otherwise(dataset)

    def _keep_model_with(self, dataset: Dataset, message: str = "") -> bool:
        """The current model, its step and training, now with `dataset` (its own: same
        content) and a trainer that resumes on it. False: nothing changed (said why)."""
        d = self._document
        assert d.model is not None and d.vocab is not None
        try:
            dataset = model_files.with_vocab(dataset, d.vocab, d.split_seed)
            self.require_idle()
            trainer = model_files.resumed_trainer(
                self.make_trainer, d.model, d.summary, dataset, d.train_config
            )
        except CharnamesError as exc:
            self.errorOccurred.emit("Cannot open dataset", str(exc))
            return False
        d.use_dataset(dataset, trainer)
        self.jobs.held = None
        self.datasetChanged.emit(dataset)
        self.modelReset.emit(d.model_info())
        self._set_state(d.idle_state())
        self.statusMessage.emit(
            message or f"Opened {dataset.name}, the dataset this model was trained on"
        )
        return True

    # -- models -------------------------------------------------------------------------------
    def new_model(self, config: ModelConfig, train_config: TrainConfig, split_seed: int) -> bool:
        """A freshly initialised model for the current dataset (vocab size from the data).
        While torch loads, the model is made when it has loaded (True: it will be)."""
        if not self.torch_wait.ready:
            return self.torch_wait.when_ready(
                "model", lambda: self.new_model(config, train_config, split_seed)
            )
        from charnames_gui.core.model import MLP

        self.require_idle()
        dataset = self._document.dataset
        if dataset is None:
            self.errorOccurred.emit("No dataset", "Open a dataset of names first.")
            return False
        if split_seed != dataset.split_seed:
            dataset = dataset.with_split_seed(split_seed)
            self._document.dataset = dataset
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
        self._adopt(
            model,
            dataset.vocab,
            trainer,
            train_config=train_config,
            split_seed=split_seed,
            summary=training_summary(dataset, train_config),
            test_evaluations=TestEvaluations(),
            path=None,
            dataset=dataset,
            state=TrainingState.READY,
        )
        if trainer.engine_note:
            self.statusMessage.emit(trainer.engine_note)
        return True

    def _adopt(
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
        replay: SnapshotStore | None = None,
    ) -> None:
        """Make a new or opened model the current one: all of its fields change together, its
        training is clean at summary.steps, then the views are told (the dataset first, when
        it is another one). state: the state after it (None: the idle state it has).
        replay: the frames of its training (a model file's), kept and recorded into."""
        d = self._document
        dataset_changed = d.adopt(
            model,
            vocab,
            trainer,
            train_config=train_config,
            split_seed=split_seed,
            summary=summary,
            test_evaluations=test_evaluations,
            path=path,
            dataset=dataset,
            plain_weights=plain_weights,
            replay=replay,
        )
        self._notified_modified = False
        self.jobs.forget()
        if dataset_changed:
            self.datasetChanged.emit(dataset)
        self.modelReset.emit(d.model_info())
        self.progress.emit(Progress(d.step, d.train_config.steps, 0.0, 0.0))  # no speed yet
        self.documentChanged.emit()
        self._set_state(state if state is not None else d.idle_state())

    def train_estimate_examples(self) -> int:
        """How many training examples the train-loss estimate is measured on (0: no model)."""
        trainer = self._document.trainer
        if trainer is None:
            return 0
        return min(int(trainer.examples.X("train").shape[0]), TRAIN_ESTIMATE_EXAMPLES)

    def apply_train_config(self, train_config: TrainConfig) -> bool:
        """New learning rate, schedule, steps... for the current model: it keeps training."""
        if self._document.is_busy():
            return False
        try:
            train_config.validate()
        except ConfigError as exc:
            self.errorOccurred.emit("Invalid setting", str(exc))
            return False
        d = self._document
        d.set_train_config(train_config)
        if d.trainer is not None:
            self._set_state(TrainingState.FINISHED if d.trainer.done else d.idle_state())
        self.trainingConfigChanged.emit(train_config)
        return True

    def use_trainer(self, trainer: TrainerLike) -> bool:
        """Train the current model with this trainer of it from now on (a repeat's K seeds,
        core/stacked_run.py, and back to its own after it). Only between runs."""
        d = self._document
        if d.trainer is None or d.is_busy() or trainer.model is not d.model:
            return False
        d.trainer = trainer
        return True

    def make_trainer(self, model: MLP, examples: SplitTensors, config: TrainConfig) -> TrainerLike:
        """Steps run in the training process when there is one (see core/process_trainer.py),
        so that painting and training do not wait on each other for Python's lock."""
        from charnames_gui.core.process_trainer import ProcessTrainer
        from charnames_gui.core.training import Trainer

        if self.process is not None:
            return ProcessTrainer(self.process, model, examples, config)
        return Trainer(model, examples, config)

    # -- training: intent -----------------------------------------------------------------------
    def start(self) -> None:
        """Start, resume or continue training the current model. Pressed while torch loads,
        it starts the model that is then made (the status says so)."""
        d = self._document
        if d.state == TrainingState.LOADING:
            if not self.torch_wait.is_waiting_for("start"):
                self.torch_wait.when_ready("start", self.start)
                self.statusMessage.emit("Training starts as soon as PyTorch has loaded")
                self.stateChanged.emit(d.state)  # the same state, now with Start queued
            return
        trainer = d.trainer
        if trainer is None or d.is_busy():
            return
        if trainer.done:
            self.statusMessage.emit(
                f"All {trainer.config.steps:,} steps are done: raise 'Steps' to continue"
            )
            return
        # a new run, or the paused one resumed
        self.jobs.train(trainer, new_run=d.state != TrainingState.PAUSED)
        self._set_state(TrainingState.RUNNING)

    def pause(self) -> None:
        if self._document.state == TrainingState.RUNNING:
            self.worker.request_pause()

    def stop(self) -> None:
        """End the run: the worker stops within a chunk (~20 ms) and evaluates the losses."""
        d = self._document
        if d.state in (TrainingState.RUNNING, TrainingState.SWEEPING):
            self.worker.request_stop()
        elif d.state == TrainingState.PAUSED and d.trainer is not None:
            self.jobs.end_run(d.trainer)
            self._set_state(TrainingState.RUNNING)

    def toggle(self) -> None:
        """Space bar: start, pause or resume."""
        state = self._document.state
        if state == TrainingState.RUNNING:
            self.pause()
        elif state in (TrainingState.READY, TrainingState.PAUSED, TrainingState.LOADING):
            self.start()

    def step_once(self, probe: list[int] | None = None) -> bool:
        """Take exactly one step of the current run (the next minibatch of its stream), off
        the GUI thread; stepDone carries what it did, with how the distribution after the
        context `probe` moved (None: the start of a name). Only between runs."""
        d = self._document
        trainer = d.trainer
        if trainer is None or d.state not in (TrainingState.READY, TrainingState.PAUSED):
            if trainer is not None and trainer.done:
                self.statusMessage.emit(
                    f"All {trainer.config.steps:,} steps are done: raise 'Steps' to go on"
                )
            return False
        if probe is not None and (d.model is None or len(probe) != d.model.config.block_size):
            probe = None  # a context from another model: compare the start of a name
        # the first step of a run begins the run
        self.jobs.step(trainer, probe, new_run=d.state == TrainingState.READY)
        self._set_state(TrainingState.STEPPING)
        return True

    def evaluate_split(self, split: str) -> bool:
        """Measure the full loss of a split in the worker; splitEvaluated carries it."""
        d = self._document
        if d.trainer is None or d.is_busy():
            return False
        match = d.dataset_match()
        # bare weights record no dataset (match.known False): measured on the open one's
        # split, as the CLI's evaluate does; a model of another dataset is refused
        if split == "test" and match is not None and not match.same and match.known:
            self.errorOccurred.emit(
                "Test set not evaluated",
                f"{match.message} A test loss on it would not be this model's: the splits do "
                "not correspond (its test names may be in the model's training split).",
            )
            return False
        self._state_before_job = d.state
        self.jobs.evaluate(d.trainer, split)
        self._set_state(TrainingState.EVALUATING)
        return True

    def start_lr_sweep(self, n: int = 1000, seeds: int = 1) -> bool:
        """The lecture's sweep, in the worker, on a fresh model of the current configuration:
        new random weights from its init scheme and seed, as the lecture does (a trained
        model would only show the flat end of the curve). seeds > 1: also the sweeps of
        seeds - 1 other seeds, stacked (when the configuration can be; core/stacked_sweep)."""
        d = self._document
        idle = (TrainingState.READY, TrainingState.PAUSED, TrainingState.FINISHED)
        if d.model is None or d.dataset is None or d.trainer is None or d.state not in idle:
            return False
        from charnames_gui.core.model import MLP
        from charnames_gui.core.stacked_training import stack_refusal
        from charnames_gui.core.stats import repeat_seeds

        config = d.train_config
        many = seeds > 1 and not stack_refusal(d.model.config, config.replace(engine="fast"))
        if seeds > 1 and not many:
            self.statusMessage.emit(
                "This configuration cannot sweep several seeds together: one seed is swept"
            )
        self._state_before_job = d.state
        self.jobs.sweep(MLP.init(d.model.config, config.init, config.seed), d.trainer, config, n,
                        tuple(repeat_seeds(config.seed, seeds)) if many else ())  # fmt: skip
        self._set_state(TrainingState.SWEEPING)
        return True

    def wait_until_idle(self, timeout: float = WORKER_IDLE_TIMEOUT) -> bool:
        """Pause a run and block until the worker has let go of the model (for saving)."""
        if self._document.is_busy():
            self.worker.request_pause()
        idle = self.worker.idle.wait(timeout)
        # deliver the worker's queued reports now, so the state is current when we return
        QCoreApplication.sendPostedEvents(self)
        return idle

    def require_idle(self) -> None:
        """Pause whatever runs and process its last reports, before the model is replaced."""
        if self._document.is_busy():
            self.wait_until_idle()

    # -- training: the worker's reports (on the GUI thread) -------------------------------------
    def _on_losses(self, chunk: LossChunk) -> None:
        self.jobs.record_losses(chunk)
        if len(chunk.losses):
            self._mark_modified()
        self.lossesReady.emit(chunk)

    def _on_eval(self, point: EvalPoint) -> None:
        self.jobs.record_eval(point)
        self.evalReady.emit(point)

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        if self._document.state == TrainingState.RUNNING:
            self.jobs.held = snapshot
        self.snapshotReady.emit(snapshot)

    def _on_progress(self, progress: Progress) -> None:
        self.progress.emit(progress)

    def _on_step_done(self, result: OneStep | str) -> None:
        d = self._document
        trainer = d.trainer
        assert trainer is not None
        # a run taken a step at a time is under way: Start resumes it (and Stop ends it)
        self._set_state(TrainingState.FINISHED if trainer.done else TrainingState.PAUSED)
        if isinstance(result, str):
            self.errorOccurred.emit("One training step", result)
            return
        d.sync_summary()
        self.jobs.record_step(result)
        self._mark_modified()
        self.lossesReady.emit(
            LossChunk(result.step, one_loss(result.loss_before), result.lr, trainer.seconds)
        )
        self.snapshotReady.emit(trainer.snapshot())
        self.stepDone.emit(result)

    def _on_run_ended(self, outcome: RunEnded) -> None:
        d = self._document
        d.run_ended(outcome)
        self.jobs.record_end(outcome)
        if outcome.status == "paused":
            self._set_state(TrainingState.PAUSED)
            if outcome.message:  # e.g. a training process that did not answer the pause
                self.statusMessage.emit(outcome.message)
        else:
            self._set_state(d.idle_state())
            if outcome.message and outcome.status not in ("diverged", "failed"):
                self.statusMessage.emit(outcome.message)  # e.g. a process that did not answer
        self.runEnded.emit(outcome)
        # the error last: its dialog is modal, and behind it the window already shows the
        # run's end (state, figures, the recorded run)
        if outcome.status == "diverged":
            self.errorOccurred.emit("Training diverged", outcome.message)
        elif outcome.status == "failed":
            self.errorOccurred.emit("Training failed", outcome.message)

    def _on_split_evaluated(self, split: str, loss: float) -> None:
        self._set_state(self._state_before_job or self._document.idle_state())
        self.splitEvaluated.emit(split, loss)

    def _on_sweep_points(self, points: object) -> None:
        self.sweepPoints.emit(points)

    def _on_sweep_ended(self, ended: SweepEnded) -> None:
        self._set_state(self._state_before_job or self._document.idle_state())
        if ended.message:
            self.statusMessage.emit(ended.message)
        self.sweepEnded.emit(ended)

    # -- the test set ---------------------------------------------------------------------------
    def record_test_evaluation(self, loss: float) -> int:
        """Count a look at the test split (saved in the model file); returns the count."""
        count = self._document.record_test_evaluation(loss)
        self.documentChanged.emit()
        return count

    # -- model files ----------------------------------------------------------------------------
    def save(self, path: str | Path) -> bool:
        """Save the model. A run is paused first; if it does not pause within SAVE_PAUSE_WAIT
        (a training process that does not answer), the last weights received are saved,
        and the GUI does not wait for the child."""
        d = self._document
        if d.model is None:
            return False
        to_save = self._model_file_to_save()
        if to_save is None:
            self.errorOccurred.emit("Cannot save", "Training did not pause in time; try again.")
            return False
        model_file, held = to_save
        try:
            model_files.save(path, model_file)
        except CharnamesError as exc:
            self.errorOccurred.emit("Cannot save the model", str(exc))
            return False
        d.saved_as(Path(path))
        self._notified_modified = False
        self.documentChanged.emit()
        self.statusMessage.emit(model_files.saved_message(path, held))
        return True

    def _model_file_to_save(self) -> tuple[ModelFile, Snapshot | None] | None:
        """The model as a file holds it, a run paused first, with the weights held (a
        training process that did not pause within SAVE_PAUSE_WAIT: its last weights
        received). None: training did not pause and there are no weights to fall back on."""
        from charnames_gui.core.process_trainer import ProcessTrainer

        d = self._document
        held: Snapshot | None = None
        if d.is_busy():
            process_run = isinstance(d.trainer, ProcessTrainer)
            if not self.wait_until_idle(SAVE_PAUSE_WAIT if process_run else WORKER_IDLE_TIMEOUT):
                held = self.jobs.held if process_run else None
                if held is None:
                    return None
        return d.model_file(held), held

    def write_rescue(self, path: Path) -> str | None:
        """Write the model, as Save would, to `path` (a new file in the app's data folder),
        changing nothing else: the model stays unsaved and its own file is never touched.
        For a session that ends without the window closing (ui/window/session_rescue.py):
        no dialog, no signal. Returns None, or why it could not be written."""
        if self._document.model is None:
            return "there is no model"
        to_save = self._model_file_to_save()
        if to_save is None:
            return "training did not pause in time"
        try:
            model_files.save(path, to_save[0])
        except CharnamesError as exc:
            return str(exc)
        return None

    def open_rescued(self, model_file: ModelFile, path: Path) -> bool:
        """Make a checked rescued model the current one, unsaved and without a file of its
        own (Save then asks where: never into the app's data folder)."""
        if not self.apply_model_file(model_file, path):
            return False
        self._document.as_unsaved()
        self._mark_modified()  # documentChanged: the title's "*", Save asks where
        self.statusMessage.emit(
            "Opened the model kept from your last session: it is not saved yet (File > Save)"
        )
        return True

    def read_model_file_then(self, path: str | Path, then: Callable[[ModelFile], object]) -> bool:
        """Check a model file completely, then call then(model_file) (which may ask about
        unsaved training and apply it). A small file is read at once and then's result is
        returned; a large one is read on a worker thread so the window keeps drawing: True
        means it is being read. False: it cannot be opened (errorOccurred said why) or
        another model file is still being read."""
        if not self.torch_wait.ready:  # read it when torch has loaded (it is checked then)
            self.statusMessage.emit(f"{Path(path).name} opens as soon as PyTorch has loaded")
            return self.torch_wait.when_ready("open", lambda: self.read_model_file_then(path, then))
        hint = self._document.dataset.vocab if self._document.dataset is not None else None

        def failed(why: str) -> None:
            self.errorOccurred.emit("Cannot open model", why)

        read = self._told(lambda: self.files.read(path, hint, then, failed), failed)
        if read is None:
            return False
        if isinstance(read, int):
            self.statusMessage.emit(model_files.format_loading(path, read))
            return True
        return bool(then(read))

    def open_model(self, path: str | Path) -> bool:
        """Read, check and apply a model file (no questions asked)."""
        return self.read_model_file_then(path, lambda mf: self.apply_model_file(mf, path))

    def apply_model_file(self, model_file: ModelFile, path: str | Path) -> bool:
        """Make a checked model file the current model. Everything it needs (training
        settings, dataset, trainer) is prepared first; the state changes only when all of it
        worked, so the window is never left half-updated."""
        self.require_idle()
        try:
            prepared = model_files.prepare(
                model_file, path, self._document.dataset, self.make_trainer
            )
        except CharnamesError as exc:
            self.errorOccurred.emit("Cannot open model", str(exc))
            return False
        self._adopt_prepared(prepared)
        return True

    def _adopt_prepared(self, p: Prepared) -> None:
        mf = p.model_file
        self._adopt(
            mf.model,
            mf.vocab,
            p.trainer,
            train_config=p.train_config,
            split_seed=mf.split_seed,
            summary=mf.training,
            test_evaluations=mf.test_evaluations,
            plain_weights=mf.is_plain,
            path=p.path,
            dataset=p.dataset,
            replay=mf.replay,
        )
        self.statusMessage.emit(p.opened_message())
        own = model_files.own_dataset_to_read(mf, p.dataset)
        if own is not None:  # a large one: read in the background, attached if unchanged
            self._read_dataset(
                own,
                mf.model.config.block_size,
                lambda found: self._attach_found(found, mf),
                failed=lambda why: self.statusMessage.emit(f"Its dataset could not be read: {why}"),
                min_background_bytes=0,
            )

    def _attach_found(self, dataset: Dataset, model_file: ModelFile) -> None:
        steps = model_file.training.steps
        trainer = self._document.trainer
        if (
            self._document.model is not model_file.model
            or self._document.is_busy()
            or (trainer is not None and trainer.step != steps)
        ):
            return  # the learner went on meanwhile: nothing changes under them
        if dataset.content_hash() != model_file.training.dataset_hash:
            self.statusMessage.emit(
                f"{dataset.name} holds other names now; to train, open the dataset it was "
                f"trained on: {trained_on_label(model_file)}"
            )
            return
        self._keep_model_with(dataset, f"Opened its dataset too: {label_of(dataset)}")

    # -- state ----------------------------------------------------------------------------------
    def _mark_modified(self) -> None:
        """Training went on: documentChanged, once, when the model first differs from its
        file."""
        if not self._notified_modified and self._document.modified:
            self._notified_modified = True
            self.documentChanged.emit()

    def _set_state(self, state: TrainingState) -> None:
        if state != self._document.state:
            self._document.state = state
            self.stateChanged.emit(state)

    def shutdown(self) -> None:
        """Pause any run and end the worker's thread (closing the window): see
        TrainingJobs.shutdown, which ends a training process that keeps the worker waiting.
        Safe to call more than once."""
        self.dataset_loader.wait()
        self.model_loader.wait()
        self.jobs.shutdown(self.process)
        if self.process is not None:
            self.process.close()
        # a repeat's trainer (core/stacked_run.py) has training children of its own
        close = getattr(self._document.trainer, "close", None)
        if callable(close):
            close()
