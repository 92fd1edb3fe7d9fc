"""Beat the lecture: a hyperparameter search on the dev split with Optuna.

The lecture ends with an invitation: beat its dev loss (about 2.17) by changing the sizes,
the learning rate and its decay. This search does it the disciplined way:

- Optuna's TPE sampler proposes a configuration (block size, embedding, hidden units,
  batch size, learning rate and schedule, weight decay, init, BatchNorm); trial 0 is the
  lecture's own configuration, the baseline to beat;
- each trial trains on the same number of examples (trial_examples: a larger batch takes
  fewer steps) and reports its dev loss a few times on the way; Optuna's median pruner stops
  a trial whose dev loss is worse than the median of earlier trials at the same point;
- every trial is handed to `record` (the run history) as it ends;
- only dev is ever evaluated: the test split is looked at once, at the end, when the
  learner asks (test_loss), and that look is counted.

Trials run one at a time in the search's thread, or `workers` at a time in worker processes
(core/search_pool.py: one per core). Reproducible from its seed: each trial is a
deterministic function of its configuration (seeded init and minibatches), the sampler is
seeded, a batch's results are told to Optuna in trial order, and the pruner's bars are fixed
before a batch starts, so the same seed and number of workers propose the same trials with
the same dev losses. The time budget only decides how many of them run.

At the end, the best trial's dev loss comes with its standard error (core/uncertainty.py).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from charnames_gui.core.config import (
    DEFAULT_ENGINE,
    ModelConfig,
    ScheduleKind,
    TrainConfig,
    parameter_count,
)
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError, ConfigError
from charnames_gui.core.runs import RunRecord, recorded_status
from charnames_gui.core.search_pool import MAX_WORKERS, TrialPool
from charnames_gui.core.search_trial import (
    TrialOutcome,
    TrialPlan,
    TrialState,
    eval_marks,
    median_thresholds,
    run_trial,
)

if TYPE_CHECKING:
    import optuna

    from charnames_gui.core.model import MLP
    from charnames_gui.core.uncertainty import LossEstimate


# The lecture's final run, the baseline the search starts from (trial 0). Its learning rate
# drops tenfold at the same fraction of the run as the lecture's (step 100,000 of 200,000).
LECTURE_TRIAL: dict[str, Any] = {
    "block_size": 3,
    "n_embd": 10,
    "n_hidden": 200,
    "batch_size": 32,
    "lr": 0.1,
    "lr_after_ratio": 0.1,
    "schedule": "step",
    "weight_decay_on": False,
    "init": "lecture",
    "batchnorm": False,
}
STEP_DECAY_AT = 0.5  # 'step' schedule: the decay at this fraction of the steps (lecture: 1/2)


@dataclass(frozen=True)
class SearchSettings:
    seed: int = 0  # seeds the sampler; the same seed proposes the same trials
    budget_seconds: float = 900.0  # wall-clock time for the whole search
    trial_examples: int = 4_000_000  # minibatch rows per trial (steps = this / batch size)
    eval_points: int = 4  # dev evaluations per trial, each reported to the pruner
    startup_trials: int = 8  # random trials before TPE models the results
    max_trials: int = 1000  # a limit besides the budget
    engine: str = DEFAULT_ENGINE
    init_seed: int = TrainConfig.seed  # every trial's initial weights and minibatches
    # trials side by side, one process each (1: in the search's own thread); the trials a
    # seed proposes depend on it, since a batch is proposed before its results are known
    workers: int = 1

    def validate(self) -> None:
        if not (math.isfinite(self.budget_seconds) and self.budget_seconds > 0):
            raise ConfigError("The search's budget must be a positive number of seconds")
        if not 1_000 <= self.trial_examples <= 10**9:
            raise ConfigError("A trial must train on between 1,000 and 10^9 examples")
        if not 1 <= self.eval_points <= 100:
            raise ConfigError("A trial evaluates dev between 1 and 100 times")
        if not 1 <= self.max_trials <= 100_000:
            raise ConfigError("The search runs between 1 and 100,000 trials")
        if not 0 <= self.seed < 2**32:
            raise ConfigError("The search's seed must be between 0 and 2^32 - 1")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise ConfigError(f"The search runs between 1 and {MAX_WORKERS} trials at once")


@dataclass(frozen=True)
class TrialResult:
    """One trial, as the search and its view show it."""

    number: int  # 0-based; trial 0 is the lecture's configuration
    model: ModelConfig
    train: TrainConfig
    state: TrialState
    dev_loss: float  # the last dev loss measured (nan if none)
    dev_curve: tuple[tuple[int, float], ...]  # (step, dev loss) at each evaluation
    train_loss: float | None  # whole train split, for a trial that ran to its end
    steps_done: int
    seconds: float  # training only
    ended_at: float  # seconds since the search started
    params: dict[str, Any] = field(default_factory=dict)  # Optuna's values for it

    @property
    def parameters(self) -> int:
        return parameter_count(self.model)

    def describe(self) -> str:
        m, t = self.model, self.train
        parts = [
            f"block {m.block_size}, embedding {m.n_embd}, hidden {m.n_hidden}",
            f"batch {t.batch_size}, lr {t.lr:.3g} -> {t.lr_after:.3g} ({t.schedule})",
            f"init {t.init}",
        ]
        if m.batchnorm:
            parts.append("BatchNorm")
        if t.weight_decay:
            parts.append(f"weight decay {t.weight_decay:.2g}")
        return "; ".join(parts)


@dataclass(frozen=True)
class TrialEnded:
    trial: TrialResult
    best: TrialResult | None  # the best complete trial so far (lowest dev loss)
    elapsed: float  # seconds since the search started


@dataclass(frozen=True)
class TrialStarted:
    number: int
    model: ModelConfig
    train: TrainConfig
    elapsed: float


@dataclass(frozen=True)
class TrialProgress:
    number: int
    step: int
    steps: int
    dev_loss: float
    elapsed: float


@dataclass(frozen=True)
class SearchEnded:
    trials: tuple[TrialResult, ...]
    best: TrialResult | None
    elapsed: float
    reason: str  # "budget", "max_trials" or "stopped"
    importances: dict[str, float]  # Optuna's importance of each setting (empty if too few)
    # the best trial's dev loss with its standard error over dev's names. The best of many
    # trials on dev is picked *because* dev favoured it, so this figure is optimistic; the
    # test split, looked at once, says how it does on names no choice has seen.
    best_dev: LossEstimate | None = None


class SearchWorkerError(CharnamesError):
    """A worker process of the search ended without answering (killed, out of memory)."""


SearchEvent = TrialStarted | TrialProgress | TrialEnded | SearchEnded


def suggest(
    trial: optuna.Trial, settings: SearchSettings, vocab_size: int
) -> tuple[ModelConfig, TrainConfig]:
    """The configuration a trial tries: Optuna picks each setting within its range."""
    block_size = trial.suggest_int("block_size", 3, 10)
    n_embd = trial.suggest_int("n_embd", 4, 32, log=True)
    n_hidden = trial.suggest_int("n_hidden", 64, 512, log=True)
    batch_size = trial.suggest_categorical("batch_size", [32, 64, 128, 256])
    lr = trial.suggest_float("lr", 0.02, 1.0, log=True)
    ratio = trial.suggest_float("lr_after_ratio", 0.001, 0.2, log=True)
    schedule: ScheduleKind = "cosine"
    if trial.suggest_categorical("schedule", ["step", "cosine"]) == "step":
        schedule = "step"
    weight_decay = 0.0
    if trial.suggest_categorical("weight_decay_on", [False, True]):
        weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-3, log=True)
    init = trial.suggest_categorical("init", ["lecture", "scaled"])
    batchnorm = trial.suggest_categorical("batchnorm", [False, True])
    model = ModelConfig(block_size, n_embd, n_hidden, vocab_size, batchnorm=batchnorm)
    steps = max(1, settings.trial_examples // batch_size)
    train = TrainConfig(
        batch_size=batch_size,
        steps=steps,
        lr=lr,
        schedule=schedule,
        lr_decay_at=int(steps * STEP_DECAY_AT),
        lr_after=lr * ratio,
        init=init,
        seed=settings.init_seed,
        engine=settings.engine,
        weight_decay=weight_decay,
    )
    return model, train


class Search:
    """Runs trials until the budget, max_trials or should_stop(); see stream."""

    def __init__(
        self,
        dataset: Dataset,
        settings: SearchSettings,
        record: Callable[[RunRecord], object] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        settings.validate()
        self.dataset = dataset
        self.settings = settings
        self.record = record
        self.should_stop = should_stop or (lambda: False)
        self.trials: list[TrialResult] = []
        self.best: TrialResult | None = None
        self.best_model: MLP | None = None  # the weights of the best trial
        self.best_dev: LossEstimate | None = None  # the best's dev loss with its error
        self._examples: dict[int, Any] = {}  # block_size -> SplitTensors
        self._start = 0.0
        self._deadline = 0.0
        self.test_looks = 0  # how often evaluate_test was called
        self.run_ids: dict[int, object] = {}  # trial number -> what record() returned
        self.study: optuna.Study | None = None
        # trial number -> Optuna's values for it (before it runs), its result (after)
        self._params: dict[int, dict[str, Any]] = {}
        self._results: dict[int, TrialResult] = {}

    def examples_for(self, block_size: int) -> Any:
        """The dataset's SplitTensors for block_size (built once)."""
        if block_size not in self._examples:
            self._examples[block_size] = self.dataset.examples(block_size)
        return self._examples[block_size]

    def _out_of_time(self) -> bool:
        return time.monotonic() > self._deadline

    def _elapsed(self) -> float:
        return time.monotonic() - self._start

    def _plan(self, trial: optuna.Trial) -> TrialPlan:
        s = self.settings
        model_config, train = suggest(trial, s, self.dataset.vocab.size)
        complete = [[d for _, d in t.dev_curve] for t in self.trials if t.state == "complete"]
        return TrialPlan(
            number=trial.number,
            model=model_config,
            train=train,
            marks=eval_marks(train.steps, s.eval_points),
            thresholds=median_thresholds(complete, s.eval_points, s.startup_trials),
            deadline=self._deadline,
        )

    # -- running a batch of trials --------------------------------------------------------
    def _run_here(self, plan: TrialPlan) -> Iterator[SearchEvent]:
        """One trial in this thread (workers = 1)."""
        trial = run_trial(self.examples_for(plan.model.block_size), plan, self.should_stop)
        try:
            while True:
                step, steps, dev = next(trial)
                yield TrialProgress(plan.number, step, steps, dev, self._elapsed())
        except StopIteration as done:
            outcome, model = done.value
        yield self._ended(plan, outcome, model)

    def _run_in_pool(self, pool: TrialPool, plans: list[TrialPlan]) -> Iterator[SearchEvent]:
        """A batch of trials side by side in the worker processes."""
        from concurrent.futures import Future

        futures: list[Future[Any]] = [pool.submit(plan) for plan in plans]
        handled: set[int] = set()
        while len(handled) < len(plans):
            if self.should_stop():
                pool.stop.set()
            # each trial is recorded and shown as soon as it ends (in the order they end)
            for i, future in enumerate(futures):
                if i not in handled and future.done():
                    handled.add(i)
                    yield self._ended_in_pool(plans[i], future)
            all_done = len(handled) == len(plans)
            progress = pool.next_progress(0.0 if all_done else 0.05)
            while progress is not None:
                number, step, steps, dev = progress
                yield TrialProgress(number, step, steps, dev, self._elapsed())
                progress = pool.next_progress(0.0)

    def _ended_in_pool(self, plan: TrialPlan, future: Any) -> TrialEnded:
        try:
            outcome, weights = future.result()
        except (OSError, RuntimeError, EOFError) as exc:  # BrokenProcessPool included
            raise SearchWorkerError(
                f"A search worker stopped unexpectedly during trial {plan.number} ({exc})"
            ) from exc
        model = None
        if weights is not None:
            import torch

            from charnames_gui.core.model import MLP

            tensors = {name: torch.from_numpy(value) for name, value in weights.items()}
            model = MLP(plan.model, tensors)
        return self._ended(plan, outcome, model)

    def _ended(self, plan: TrialPlan, outcome: TrialOutcome, model: MLP | None) -> TrialEnded:
        """Record a trial that ended (the run history, the best so far)."""
        result = self._result(plan, outcome, self._params.pop(plan.number))
        self._finish(result, outcome)
        if result.state == "complete" and (
            self.best is None or result.dev_loss < self.best.dev_loss
        ):
            self.best, self.best_model = result, model
        self._results[plan.number] = result
        return TrialEnded(result, self.best, self._elapsed())

    def _result(
        self, plan: TrialPlan, outcome: TrialOutcome, params: dict[str, Any]
    ) -> TrialResult:
        return TrialResult(
            number=plan.number,
            model=plan.model,
            train=plan.train,
            state=outcome.state,
            dev_loss=outcome.dev_curve[-1][1] if outcome.dev_curve else math.nan,
            dev_curve=outcome.dev_curve,
            train_loss=outcome.train_loss,
            steps_done=outcome.steps_done,
            seconds=outcome.seconds,
            ended_at=self._elapsed(),
            params=params,
        )

    def _finish(self, result: TrialResult, outcome: TrialOutcome) -> None:
        self.trials.append(result)
        if self.record is None:
            return
        what = {
            "complete": "ran to its end",
            "pruned": f"pruned at step {result.steps_done:,} (worse than the median trial)",
            "diverged": "diverged",
            "stopped": "stopped when the search ended",
        }[result.state]
        status = "finished" if result.state == "complete" else "stopped"
        if result.state == "diverged":
            status = "diverged"
        elif result.state == "complete":
            status = recorded_status(
                "finished", result.train_loss, result.dev_loss, result.model.vocab_size
            )
        self.run_ids[result.number] = self.record(
            RunRecord(
                dataset_name=self.dataset.name,
                dataset_hash=self.dataset.content_hash(),
                model=result.model,
                train=result.train,
                split_seed=self.dataset.split_seed,
                steps_done=result.steps_done,
                seconds=result.seconds,
                train_loss=result.train_loss,
                dev_loss=result.dev_loss if math.isfinite(result.dev_loss) else None,
                status=status,  # type: ignore[arg-type]
                note=f"Beat the lecture search (seed {self.settings.seed}), trial "
                f"{result.number}: {what}",
                curve_steps=outcome.curve_steps,
                curve_loss=outcome.curve_loss,
            )
        )

    # -- the search -----------------------------------------------------------------------
    def stream(self) -> Iterator[SearchEvent]:
        """Run the search: TrialStarted, TrialProgress (each dev evaluation) and TrialEnded
        for each trial, then SearchEnded."""
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        s = self.settings
        # pruning is decided by search_trial's MedianPruner rule; Optuna samples
        sampler = optuna.samplers.TPESampler(seed=s.seed, n_startup_trials=s.startup_trials)
        study = optuna.create_study(direction="minimize", sampler=sampler)
        study.enqueue_trial(LECTURE_TRIAL)
        self.study = study
        self._start = time.monotonic()
        self._deadline = self._start + s.budget_seconds
        pool = TrialPool(self.dataset, s.workers) if s.workers > 1 else None
        reason = "max_trials"
        try:
            while len(self.trials) < s.max_trials:
                if self._out_of_time() or self.should_stop():
                    reason = "budget" if self._out_of_time() else "stopped"
                    break
                size = min(s.workers, s.max_trials - len(self.trials))
                batch = [(t, self._plan(t)) for t in (study.ask() for _ in range(size))]
                self._params.update({plan.number: dict(t.params) for t, plan in batch})
                for _, plan in batch:
                    yield TrialStarted(plan.number, plan.model, plan.train, self._elapsed())
                if pool is None:
                    yield from self._run_here(batch[0][1])
                else:
                    yield from self._run_in_pool(pool, [plan for _, plan in batch])
                stopped = False
                for trial, plan in batch:  # told in trial order: the same seed, the same trials
                    result = self._results.pop(plan.number)
                    for index, (_, dev) in enumerate(result.dev_curve):
                        if math.isfinite(dev):
                            trial.report(dev, index)
                    if result.state == "complete":
                        study.tell(trial, result.dev_loss)
                    else:
                        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                    stopped = stopped or result.state == "stopped"
                if stopped:
                    reason = "budget" if self._out_of_time() else "stopped"
                    break
        finally:
            if pool is not None:
                pool.close()
        self.best_dev = self._best_dev_with_error()
        yield SearchEnded(
            tuple(self.trials), self.best, self._elapsed(), reason, importances(study),
            self.best_dev,
        )  # fmt: skip

    def _best_dev_with_error(self) -> LossEstimate | None:
        """The best trial's dev loss with its standard error (clustered by name)."""
        if self.best_model is None:
            return None
        from charnames_gui.core.uncertainty import loss_with_error

        X, Y = self.examples_for(self.best_model.config.block_size).tensors["dev"]
        return loss_with_error(self.best_model, X, Y, self.dataset.split.dev)

    def evaluate_test(self) -> float:
        """The best trial's loss on the test split: call it once, at the end, when the
        learner asks (each call is a look, counted in test_looks)."""
        if self.best is None or self.best_model is None:
            raise ConfigError("The search has no finished trial to evaluate on test")
        X, Y = self.examples_for(self.best.model.block_size).tensors["test"]
        self.test_looks += 1
        return self.best_model.loss(X, Y)

    def run(self) -> SearchEnded:
        ended = None
        for event in self.stream():
            if isinstance(event, SearchEnded):
                ended = event
        assert ended is not None
        return ended


def importances(study: optuna.Study) -> dict[str, float]:
    """Optuna's PED-ANOVA importance of each setting for the dev loss of the complete trials
    (which settings separate the best trials from the rest; it needs no scikit-learn, as
    fANOVA would). Empty with fewer than 4 complete trials, or when they do not vary."""
    import optuna

    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if len(complete) < 4:
        return {}
    try:
        with warnings.catch_warnings():  # experimental; too few trials in its top quantile
            warnings.simplefilter("ignore")
            values = optuna.importance.get_param_importances(
                study, evaluator=optuna.importance.PedAnovaImportanceEvaluator()
            )
    except (RuntimeError, ValueError, ZeroDivisionError):
        return {}
    return {k: float(v) for k, v in values.items()}
