"""Training in a child process, behind the trainer's interface (core.training.TrainerLike).

Python runs one thread at a time (the GIL). When the GUI paints while a worker thread trains
in the same process, each waits for the other: painting made training ~25% slower, and
training made frames late. A ProcessTrainer has the same interface as Trainer, but the steps
of its runs go on in a child process on the other core; the worker thread that drives it
spends its time waiting on a pipe, which holds no lock.

    process = TrainingProcess()                      # one child, started on first use
    trainer = ProcessTrainer(process, model, examples, config)
    for event in trainer.stream(...):                # core.events, as the child sent them
        ...
    trainer.model                                    # the weights at trainer.step

The child runs the very same core Trainer and train_stream, so a run gives the same numbers
as in-process. This side never waits on the child for anything it already has:

- `model` holds the last weights received. The child sends a Snapshot ~4 times a second
  and at the end of every stream, so saving, sampling or evaluating never asks the child.
- If the child dies (killed, out of memory) or stops answering, the run ends with the last
  weights received, and `step` goes back to their step: the step shown, the weights and a
  saved file always agree. The next run starts a new child from there, with the minibatches
  the model would have had.
- Every wait on the child has a limit. A training child sends a heartbeat every HEARTBEAT
  seconds, even in the middle of a long step; one silent for STOP_TIMEOUT seconds after a
  stop (SILENCE_TIMEOUT while it runs) is stopped or frozen, and is ended (terminated, then
  killed). Requests and big sends have time limits too; closing never waits on the child.
"""

from __future__ import annotations

import collections
import itertools
import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch

from charnames_gui.core.child_process import TrainingProcess
from charnames_gui.core.child_protocol import (
    ALIVE,
    ANSWER_TIMEOUT,
    SILENCE_TIMEOUT,
    START_TIMEOUT,
    STOP_TIMEOUT,
    STREAM_POLL,
    CallGivenUp,
    TrainerNotAnswering,
    TrainerProcessError,
)
from charnames_gui.core.config import TrainConfig
from charnames_gui.core.events import (
    Diverged,
    EvalDue,
    EvalPoint,
    LossChunk,
    OneStep,
    ReplayFrames,
    Snapshot,
    StreamEnded,
    StreamEvent,
)
from charnames_gui.core.examples import SplitTensors
from charnames_gui.core.model import MLP, eval_slice_rows
from charnames_gui.core.snapshots import SnapshotStore
from charnames_gui.core.training import Trainer

EVAL_SLICE = 2048  # rows per slice of a dev-loss point measured on the app's side (~1 ms)


_keys = itertools.count(1)


class ProcessTrainer:
    """A trainer whose runs go on in a TrainingProcess (see the module's docstring)."""

    def __init__(
        self, process: TrainingProcess, model: MLP, examples: SplitTensors, config: TrainConfig
    ) -> None:
        # A local Trainer checks the config and holds the examples and the weights this side
        # has (the model); it steps only for step_once().
        self.local = Trainer(model, examples, config)
        self.process = process
        self.key = next(_keys)
        self._send_batch_stream = False  # the child's minibatch stream must be set anew
        self._local_batches_in_step = True  # local.batches is at local.step

    # -- the Trainer's attributes, kept on the local side ----------------------------------
    @property
    def model(self) -> MLP:
        return self.local.model

    @property
    def examples(self) -> SplitTensors:
        return self.local.examples

    @property
    def config(self) -> TrainConfig:
        return self.local.config

    @property
    def step(self) -> int:
        return self.local.step

    @property
    def seconds(self) -> float:
        return self.local.seconds

    @property
    def done(self) -> bool:
        return self.local.done

    @property
    def engine_note(self) -> str:
        return self.local.engine_note

    @property
    def batch_stream(self) -> tuple[int, int]:
        return self.local.batch_stream

    @property
    def replay(self) -> SnapshotStore:
        return self.local.replay

    def adopt_replay(self, store: SnapshotStore) -> None:
        self.local.adopt_replay(store)  # this side keeps the frames; the child only sends

    def set_config(self, config: TrainConfig) -> None:
        self.local.set_config(config)  # sent with the next run

    def resume(
        self, step: int, seconds: float, batch_stream: tuple[int, int] | None = None
    ) -> None:
        """Trainer.resume, passed on to the child with the next run."""
        self.local.resume(step, seconds, batch_stream)
        self._send_batch_stream = True
        self._local_batches_in_step = True

    def snapshot(self) -> Snapshot:
        """The weights this side holds (never asks the child)."""
        return self.local.snapshot()

    def evaluate(self, split: str) -> float:
        """Mean loss over a split, measured on this side from the weights it holds."""
        return self.local.evaluate(split)

    def step_once(self, probe: Sequence[int] | None = None) -> OneStep:
        """One step of the run, taken on this side (the weights are here between runs); the
        child gets the new weights and the minibatch stream's place with the next run."""
        if not self._local_batches_in_step:  # runs in the child moved the step on
            self.local.resume(self.local.step, self.local.seconds, self.local.batch_stream)
            self._local_batches_in_step = True
        result = self.local.step_once(probe)
        self._send_batch_stream = True
        return result

    # -- what runs in the child ------------------------------------------------------------
    def _load(self, give_up: Callable[[], bool]) -> None:
        """Send the weights, config and step (the examples too, the first time)."""
        first = self.process.loaded_key != self.key
        examples = (
            {s: (X.numpy(), Y.numpy()) for s, (X, Y) in self.examples.tensors.items()}
            if first
            else None
        )
        stream = self.local.batch_stream if first or self._send_batch_stream else None
        self.process.call(
            "load", self.key, self.model.config, self.model.snapshot(), examples,
            self.config, self.step, self.seconds, stream,
            timeout=START_TIMEOUT if first else ANSWER_TIMEOUT, give_up=give_up,
        )  # fmt: skip
        self.process.loaded_key = self.key
        self._send_batch_stream = False

    def stream(
        self,
        eval_every: int,
        eval_subset: tuple[torch.Tensor, torch.Tensor],
        should_stop: Callable[[], bool],
        chunk_seconds: float = 0.05,
        snapshot_seconds: float = 0.25,
    ) -> Iterator[StreamEvent]:
        """Trainer.stream, run by the child: the same events, while the child trains on
        without waiting for this side (should_stop is checked between two messages, and a
        stop reaches the child between two of its steps).

        Raises TrainerProcessError when the child dies or stops answering; the model is then
        back at the last weights received (the message says so)."""
        held = self.snapshot()  # the last weights received: these, at the start
        try:
            try:
                self._load(should_stop)
            except CallGivenUp:  # paused or stopped while the child started: nothing ran
                return
            self._local_batches_in_step = False
            for event in self._events(eval_every, eval_subset, should_stop, chunk_seconds,
                                      snapshot_seconds):  # fmt: skip
                if isinstance(event, LossChunk):
                    self.local.step, self.local.seconds = event.end_step, event.seconds
                elif isinstance(event, Snapshot):
                    held = event
                elif isinstance(event, ReplayFrames):  # this side keeps the replay
                    self.local.replay.add_all(event.frames)
                elif isinstance(event, StreamEnded):
                    self.local.step, self.local.seconds = event.step, event.seconds
                    continue  # this side's own business
                yield event
        except TrainerProcessError as exc:
            lost = self.local.step - held.step
            self._keep(held)
            back = f"; the model is at step {held.step:,}, the last weights received"
            if lost > 0:
                back = back.replace("is at", "is back at") + f" ({lost:,} later steps lost)"
            raise type(exc)(f"{exc}{back}") from exc
        self._keep(held)

    def _keep(self, held: Snapshot) -> None:
        """Make `held` the model's weights and step (the child resumes from there)."""
        self.model.load_tensors(held.weights)  # parameters and BatchNorm's running statistics
        if held.step != self.local.step:  # rolled back: the minibatches must follow
            self._send_batch_stream = True
            self.local.replay.truncate_after(held.step)
        self.local.step, self.local.seconds = held.step, held.seconds

    def _events(
        self,
        eval_every: int,
        eval_subset: tuple[torch.Tensor, torch.Tensor],
        should_stop: Callable[[], bool],
        chunk_seconds: float,
        snapshot_seconds: float,
    ) -> Iterator[StreamEvent]:
        """The child's messages as they arrive, with the dev points measured here."""
        # Messages read off the pipe while a dev-loss point was measured: the pipe is kept
        # empty, so the child never waits to send (a full pipe would hold up its steps).
        arrived: collections.deque[object] = collections.deque()
        with self.process.session() as conn:
            conn.send(("stream", self.key, eval_every, chunk_seconds, snapshot_seconds))
            stop_sent_at: float | None = None
            last_message = time.perf_counter()

            def check_stop() -> None:
                nonlocal stop_sent_at
                if stop_sent_at is None and should_stop():
                    conn.send(("stop",))
                    stop_sent_at = time.perf_counter()

            def pending() -> None:
                # called between the slices of a dev point: keep the pipe empty and a stop
                # asked for meanwhile is passed on at once
                check_stop()
                while conn.poll():
                    arrived.append(self.process.receive(conn, 0))

            while True:
                check_stop()
                event = arrived.popleft() if arrived else self.process.receive(conn, STREAM_POLL)
                now = time.perf_counter()
                if event is None:  # silence: a child that trains beats every HEARTBEAT s
                    limit = SILENCE_TIMEOUT if stop_sent_at is None else STOP_TIMEOUT
                    if now - max(last_message, stop_sent_at or 0.0) > limit:
                        self.process.abandon()
                        raise TrainerNotAnswering(
                            f"The training process does not answer (silent for {limit:.0f} s); "
                            "it was ended"
                        )
                    continue
                last_message = now
                if event == ALIVE:
                    continue
                if isinstance(event, EvalDue):  # measured here, while the child trains on
                    losses = self._losses_of(event.weights, eval_subset, pending)
                    yield EvalPoint(event.step, *losses)
                    yield Snapshot(event.step, event.weights, event.seconds)
                    last_message = time.perf_counter()  # the measuring was this side's time
                elif isinstance(event, LossChunk | Snapshot | ReplayFrames | Diverged):
                    yield event
                elif isinstance(event, StreamEnded):
                    yield event
                    return
                else:
                    raise TrainerProcessError(f"Unexpected message from the child: {event!r}")

    def _losses_of(
        self,
        weights: dict[str, np.ndarray],
        subset: tuple[torch.Tensor, torch.Tensor],
        between: Callable[[], object] | None = None,
    ) -> tuple[float, float]:
        """(dev loss, loss on subset) of these weights: what Trainer.evaluate("dev") and
        model.loss(*subset) give in the child (equal to ~1e-7: the sums are made in slices of
        EVAL_SLICE rows, fewer for a model whose activations would pass EVAL_SLICE_BYTES,
        with between() called before each, ~1 ms apart)."""
        model = self.model.with_weights(weights)
        X, Y = self.examples.tensors["dev"]
        rows = min(EVAL_SLICE, eval_slice_rows(model.config))
        return model.loss(X, Y, rows, between), model.loss(*subset, rows, between)
