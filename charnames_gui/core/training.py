"""Minibatch SGD on the MLP, advanced in chunks of steps so a GUI or CLI can watch it.

The lecture's loop, with its knobs as a TrainConfig:

    for i in range(200000):
        ix = torch.randint(0, Xtr.shape[0], (32,))
        ... forward, backward ...
        lr = 0.1 if i < 100000 else 0.01
        for p in parameters: p.data += -lr * p.grad
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import numpy as np
import torch

from charnames_gui.core.config import DEFAULT_ENGINE, DEFAULT_INIT_SEED, MAX_BATCH_SIZE, TrainConfig
from charnames_gui.core.engines import Engine, make_engine
from charnames_gui.core.errors import ConfigError, TrainingDiverged
from charnames_gui.core.events import (
    Diverged,
    EvalDue,
    EvalPoint,
    LossChunk,
    OneStep,
    ReplayFrames,
    Snapshot,
    StreamEvent,
)
from charnames_gui.core.examples import SplitTensors
from charnames_gui.core.model import MLP
from charnames_gui.core.snapshots import (
    SnapshotStore,
    is_scheduled,
    make_frame,
    next_scheduled,
    probe_rows,
)


class BatchSampler:
    """Minibatch row indices from a seeded torch.Generator.

    Indices are drawn in fixed blocks of steps, so the sequence of minibatches depends only on
    the seed, never on how the caller chunks the run: the same config gives the same curve.
    skip(n) moves on n minibatches (when they are next needed), so a model resumed at step n
    gets the minibatches it would have had without the break.
    """

    def __init__(self, n_examples: int, batch_size: int, seed: int) -> None:
        self.n_examples = n_examples
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed + 1)  # + 1: not init's stream
        self.block_steps = max(1, 2**18 // batch_size)  # ~2 MB of indices per block
        self._block = np.empty((0, batch_size), dtype=np.int64)
        self._next = 0
        self._to_skip = 0  # done at the next draw: never on the GUI thread

    def skip(self, n: int) -> None:
        self._to_skip += n

    def next(self) -> np.ndarray:
        while self._to_skip:
            if self._next == len(self._block):
                self._new_block()
            skipped = min(self._to_skip, len(self._block) - self._next)
            self._next += skipped
            self._to_skip -= skipped
        if self._next == len(self._block):
            self._new_block()
        ix = self._block[self._next]
        self._next += 1
        return ix

    def _new_block(self) -> None:
        # (block_steps, batch_size): the rows of the next block_steps minibatches
        self._block = torch.randint(
            0, self.n_examples, (self.block_steps, self.batch_size), generator=self.generator
        ).numpy()
        self._next = 0


class Trainer:
    """Drives SGD on a model in chunks of steps.

    run() hands back the per-step training losses of each chunk; the caller decides how often
    to look (the CLI for its progress bar, the GUI worker between signals) and can stop between
    any two steps with should_stop.
    """

    def __init__(self, model: MLP, examples: SplitTensors, config: TrainConfig) -> None:
        config.validate()
        if examples.block_size != model.config.block_size:
            raise ConfigError("The examples were built for another block size than the model's")
        X, Y = examples.tensors["train"]
        if X.shape[0] == 0:
            raise ConfigError("The training split has no examples")
        self.model = model
        self.examples = examples
        self.config = config
        self.step = 0  # steps done so far
        self.engine: Engine = make_engine(config.engine, model, X, Y)
        self.engine.weight_decay = config.weight_decay
        # The minibatch stream: (its seed, the step it started at). A new batch size or seed
        # starts a new one; a model file keeps it, so a resumed run goes on with it.
        self.batch_stream = (config.seed, 0)
        self.batches = BatchSampler(X.shape[0], config.batch_size, config.seed)
        self.seconds = 0.0  # time spent inside run(): the training loop only
        # Replay frames at the steps of core/snapshots.py's schedule, bounded in size; probe:
        # a fixed sample of training contexts for the hidden-layer picture.
        probe = X[torch.from_numpy(probe_rows(X.shape[0]))].long().numpy()
        self.replay = SnapshotStore.for_model(model.config, probe)
        self.record_replay = True  # False: no frames (benchmarks/replay_throughput.py)
        self._loss_sum, self._loss_count = 0.0, 0  # minibatch losses since the last frame

    def adopt_replay(self, store: SnapshotStore) -> None:
        """Go on recording into `store` (a model file's frames, or the frames of the trainer
        this one replaces); frames after this trainer's step are dropped."""
        if store.config != self.model.config:
            raise ConfigError("These replay frames belong to a model of another shape")
        store.keep = True
        store.truncate_after(self.step)
        self.replay = store

    def snapshot(self) -> Snapshot:
        """Copies of the weights, with the step they belong to."""
        return Snapshot(self.step, self.model.snapshot(), self.seconds)

    @property
    def engine_note(self) -> str:
        """Why another engine than the configured one trains (empty when it is the one)."""
        return getattr(self.engine, "note", "")

    @property
    def done(self) -> bool:
        return self.step >= self.config.steps

    def set_config(self, config: TrainConfig) -> None:
        """Continue with new learning rates or step count (same model, same minibatch stream).

        A new batch size or seed starts a new minibatch stream, seeded with seed + step and
        recorded in batch_stream (model files keep it for resume()); a new engine trains the
        same tensors."""
        config.validate()
        old = self.config
        self.config = config
        if config.engine != old.engine:
            X, Y = self.examples.tensors["train"]
            self.engine = make_engine(config.engine, self.model, X, Y)
        self.engine.weight_decay = config.weight_decay
        if config.batch_size != old.batch_size or config.seed != old.seed:
            self.batch_stream = (config.seed + self.step, self.step)
            self.batches = BatchSampler(
                self.examples.X("train").shape[0], config.batch_size, config.seed + self.step
            )

    def resume(
        self, step: int, seconds: float, batch_stream: tuple[int, int] | None = None
    ) -> None:
        """Go on from `step` (a model file's): the schedule from that step, and the minibatch
        stream `batch_stream` (seed, start step) at that step. A file without one had the
        config's seed from step 0, unless its batch size or seed changed on the way."""
        seed, start = batch_stream if batch_stream is not None else (self.config.seed, 0)
        if not 0 <= start <= step:
            raise ConfigError(f"A minibatch stream from step {start:,} cannot be at step {step:,}")
        self.step, self.seconds = step, seconds
        self.replay.truncate_after(step)
        self.batch_stream = (seed, start)
        self.batches = BatchSampler(self.examples.X("train").shape[0], self.config.batch_size, seed)
        self.batches.skip(step - start)

    def run(
        self,
        max_steps: int,
        should_stop: Callable[[], bool] | None = None,
        time_budget: float | None = None,
    ) -> np.ndarray:
        """Advance up to max_steps (never past config.steps) and return their losses.

        Stops early, between two steps, when should_stop() is true or time_budget seconds have
        passed. Raises TrainingDiverged, before updating, if a loss is NaN or infinite; the
        losses of the steps done before it are in the exception's `losses`.
        """
        n = max(0, min(max_steps, self.config.steps - self.step))
        losses = np.empty(n, dtype=np.float32)
        engine, batches, lr_at = self.engine, self.batches, self.config.lr_at
        start = time.perf_counter()
        deadline = start + time_budget if time_budget is not None else math.inf
        done = 0
        since_frame = 0  # index in `losses` of the first step after the last frame
        record = self.record_replay
        if record and n and self.replay.last_step < self.step and is_scheduled(self.step):
            self._take_frame(math.nan)  # step 0 of a new model
        next_frame = next_scheduled(self.step) if record else -1
        try:
            while done < n:
                loss = engine.forward_backward(batches.next())
                if not math.isfinite(loss):
                    error = TrainingDiverged(self.step + 1, loss)
                    error.losses = losses[:done].copy()  # type: ignore[attr-defined]
                    raise error
                engine.update(lr_at(self.step))
                losses[done] = loss
                done += 1
                self.step += 1
                if self.step == next_frame:  # one int comparison a step (~0.05% of one)
                    self._loss_sum += float(losses[since_frame:done].sum(dtype=np.float64))
                    self._loss_count += done - since_frame
                    since_frame = done
                    self._take_frame(lr_at(self.step - 1))
                    next_frame = next_scheduled(self.step)
                if (should_stop is not None and should_stop()) or time.perf_counter() > deadline:
                    break
            if record and self.done and done and self.replay.last_step < self.step:  # last step
                self._loss_sum += float(losses[since_frame:done].sum(dtype=np.float64))
                self._loss_count += done - since_frame
                since_frame = done
                self._take_frame(lr_at(self.step - 1))
        finally:
            self._loss_sum += float(losses[since_frame:done].sum(dtype=np.float64))
            self._loss_count += done - since_frame
            self.seconds += time.perf_counter() - start
        return losses[:done]

    def _take_frame(self, lr: float) -> None:
        """A replay frame of the weights now, with the mean loss since the last frame."""
        loss = self._loss_sum / self._loss_count if self._loss_count else math.nan
        self._loss_sum, self._loss_count = 0.0, 0
        weights = {name: t.detach().numpy() for name, t in self.model.params.items()}  # copied
        self.replay.add(
            make_frame(self.replay.policy, self.step, weights, self.model.config.block_size,
                       loss, lr)
        )  # fmt: skip

    def step_once(self, probe: Sequence[int] | None = None) -> OneStep:
        """Exactly one step of the run, the very step run() would take next (the same
        minibatch, the same learning rate), and what it did: the minibatch's loss before and
        after, and the next-character probabilities after `probe` (a context of block_size
        indices; default: the start of a name) before and after.

        Raises TrainingDiverged, before updating, if the loss is not finite."""
        if self.done:
            raise ConfigError(f"All {self.config.steps:,} steps are done: raise 'Steps' to go on")
        block_size = self.model.config.block_size
        context = tuple(probe) if probe is not None else (0,) * block_size
        if len(context) != block_size or not all(
            0 <= i < self.model.config.vocab_size for i in context
        ):
            raise ConfigError(f"The context must be {block_size} indices of the vocabulary")
        probe_X = torch.tensor([context], dtype=torch.int64)  # (1, block_size)
        probs_before = self._probs(probe_X)
        if self.record_replay and self.replay.last_step < self.step and is_scheduled(self.step):
            self._take_frame(math.nan)  # step 0 of a new model
        ix = self.batches.next()  # (batch_size,) rows of the training split
        lr = self.config.lr_at(self.step)
        start = time.perf_counter()
        try:
            before = self.engine.forward_backward(ix)
            if not math.isfinite(before):
                raise TrainingDiverged(self.step + 1, before)
            self.engine.update(lr)
            self.step += 1
            self._loss_sum += before
            self._loss_count += 1
            if self.record_replay and (is_scheduled(self.step) or self.done):
                self._take_frame(lr)
        finally:
            self.seconds += time.perf_counter() - start
        # (batch_size, block_size), (batch_size,) int64
        Xb, Yb = self.examples.batch("train", torch.from_numpy(ix))
        after = self.model.loss(Xb, Yb)
        return OneStep(
            self.step, Xb.numpy().copy(), Yb.numpy().copy(), lr, before, after,
            context, probs_before, self._probs(probe_X),
        )  # fmt: skip

    @torch.no_grad()
    def _probs(self, X: torch.Tensor) -> np.ndarray:
        """softmax(logits) of one context: (vocab_size,) float32."""
        return torch.softmax(self.model.logits(X), dim=1)[0].numpy().copy()

    def evaluate(self, split: str) -> float:
        """Mean loss over a whole split (the lecture's 'evaluate on all of Xdev')."""
        X, Y = self.examples.tensors[split]
        return self.model.loss(X, Y)

    def stream(
        self,
        eval_every: int,
        eval_subset: tuple[torch.Tensor, torch.Tensor],
        should_stop: Callable[[], bool],
        chunk_seconds: float = 0.05,
        snapshot_seconds: float = 0.25,
    ) -> Iterator[StreamEvent]:
        """Train until done or should_stop(), telling what happens as it goes (see
        train_stream)."""
        return train_stream(
            self, eval_every, eval_subset, should_stop, chunk_seconds, snapshot_seconds
        )


def train_stream(
    trainer: Trainer,
    eval_every: int,
    eval_subset: tuple[torch.Tensor, torch.Tensor],
    should_stop: Callable[[], bool],
    chunk_seconds: float = 0.05,
    snapshot_seconds: float = 0.25,
    evaluate: bool = True,
) -> Iterator[StreamEvent]:
    """A run as a stream of events (core/events.py), for whoever watches it:

        LossChunk     the per-step losses of about chunk_seconds of steps
        EvalPoint     every eval_every steps: the whole dev split, and the loss on
                      eval_subset (a sample of train)
        Snapshot      every snapshot_seconds: copies of the parameters
        ReplayFrames  the replay frames taken during the chunk (core/snapshots.py)
        Diverged      the last event when a loss became NaN/inf (weights: the last finite)

    evaluate=False: instead of EvalPoint, EvalDue with copies of the parameters at that
    step, for the watcher to measure the two losses itself (the training process leaves
    them to the app, on the other core: they cost ~7% of a run).

    It ends when the run is done, diverged or should_stop() is true (checked between any
    two steps).
    """
    next_eval = (trainer.step // eval_every + 1) * eval_every
    last_snapshot = time.perf_counter()
    while not trainer.done and not should_stop():
        start_step = trainer.step + 1
        try:
            losses = trainer.run(next_eval - trainer.step, should_stop, chunk_seconds)
        except TrainingDiverged as exc:
            done: np.ndarray = getattr(exc, "losses", np.empty(0, np.float32))
            if len(done):
                lr = trainer.config.lr_at(trainer.step - 1)
                yield LossChunk(start_step, done, lr, trainer.seconds)
            yield Diverged(exc.step, exc.loss, str(exc))
            return
        yield LossChunk(start_step, losses, trainer.config.lr_at(trainer.step - 1), trainer.seconds)
        frames = trainer.replay.take_new()
        if frames:
            yield ReplayFrames(frames)
        if trainer.step >= next_eval:
            if evaluate:
                dev = trainer.evaluate("dev")
                yield EvalPoint(trainer.step, dev, trainer.model.loss(*eval_subset))
            else:
                yield EvalDue(trainer.step, trainer.model.snapshot(), trainer.seconds)
            next_eval += eval_every
        now = time.perf_counter()
        if now - last_snapshot >= snapshot_seconds:
            yield trainer.snapshot()
            last_snapshot = now


class TrainerLike(Protocol):
    """What the app's worker and controller use of a trainer: the in-process Trainer, or
    the ProcessTrainer whose steps run in a child process (core/process_trainer.py)."""

    @property
    def model(self) -> MLP: ...  # the weights (for a ProcessTrainer: the last received)
    @property
    def examples(self) -> SplitTensors: ...
    @property
    def config(self) -> TrainConfig: ...
    @property
    def step(self) -> int: ...
    @property
    def seconds(self) -> float: ...
    @property
    def done(self) -> bool: ...
    @property
    def engine_note(self) -> str: ...
    @property
    def batch_stream(self) -> tuple[int, int]: ...
    @property
    def replay(self) -> SnapshotStore: ...  # the frames of this model's training so far

    def set_config(self, config: TrainConfig) -> None: ...

    def adopt_replay(self, store: SnapshotStore) -> None: ...

    def resume(
        self, step: int, seconds: float, batch_stream: tuple[int, int] | None = None
    ) -> None: ...

    def snapshot(self) -> Snapshot: ...

    def evaluate(self, split: str) -> float: ...

    def step_once(self, probe: Sequence[int] | None = None) -> OneStep: ...

    def stream(
        self,
        eval_every: int,
        eval_subset: tuple[torch.Tensor, torch.Tensor],
        should_stop: Callable[[], bool],
        chunk_seconds: float = 0.05,
        snapshot_seconds: float = 0.25,
    ) -> Iterator[StreamEvent]: ...


def sweep_lrs(n: int, low_exponent: float = -3.0, high_exponent: float = 0.0) -> list[float]:
    """The sweep's learning rates: the lecture's 10 ** torch.linspace(-3, 0, 1000)."""
    return (10 ** torch.linspace(low_exponent, high_exponent, n)).tolist()


def lr_sweep_steps(
    model: MLP,
    examples: SplitTensors,
    batch_size: int = 32,
    n: int = 1000,
    low_exponent: float = -3.0,
    high_exponent: float = 0.0,
    seed: int = DEFAULT_INIT_SEED,
    engine: str = DEFAULT_ENGINE,
) -> Iterator[tuple[float, float]]:
    """The lecture's learning-rate sweep, one (lr, loss) per step:

        lre = torch.linspace(-3, 0, 1000); lrs = 10**lre
        for i in range(1000): ...one step with lr = lrs[i]...; record (lrs[i], loss)

    It trains a copy of the model, so the caller's model is untouched. The sweep ends early
    once the loss is NaN/inf: past that point every lr is too large.
    """
    if not 1 <= n <= 100_000:
        raise ConfigError(f"The sweep needs between 1 and 100,000 steps, not {n:,}")
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ConfigError(
            f"batch_size must be between 1 and {MAX_BATCH_SIZE:,}, not {batch_size:,}"
        )
    work = model.copy()
    X, Y = examples.tensors["train"]
    eng = make_engine(engine, work, X, Y)
    batches = BatchSampler(X.shape[0], batch_size, seed)
    for lr in sweep_lrs(n, low_exponent, high_exponent):
        loss = eng.forward_backward(batches.next())
        if not math.isfinite(loss):
            return
        eng.update(lr)
        yield lr, loss


def lr_sweep(model: MLP, examples: SplitTensors, **kwargs: object) -> list[tuple[float, float]]:
    """All (lr, loss) pairs of lr_sweep_steps."""
    return list(lr_sweep_steps(model, examples, **kwargs))  # type: ignore[arg-type]
