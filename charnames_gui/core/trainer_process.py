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
import contextlib
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import torch

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.events import (
    Diverged,
    EvalDue,
    EvalPoint,
    LossChunk,
    OneStep,
    Snapshot,
    StreamEnded,
    StreamEvent,
)
from charnames_gui.core.examples import SplitTensors
from charnames_gui.core.model import MLP, eval_slice_rows
from charnames_gui.core.threads import limit_threads
from charnames_gui.core.training import Trainer, train_stream

START_TIMEOUT = 60.0  # seconds for a new child to import torch and answer
ANSWER_TIMEOUT = 10.0  # seconds for a running child to answer a request
HEARTBEAT = 0.25  # seconds between the "alive" messages of a child that trains
# Seconds without any message (events or heartbeats) after which a training child is taken
# for stuck (stopped, or frozen) and ended: after a stop was sent, and while it runs. A
# healthy child beats even during a step that takes minutes (the largest models).
STOP_TIMEOUT = 2.0
SILENCE_TIMEOUT = 10.0
ALIVE = ("alive",)
CLOSE_TIMEOUT = 1.0  # seconds for each step of closing: quit, terminate, kill
POLL = 0.05  # seconds between two looks at the pipe while waiting for a reply
STREAM_POLL = 0.05  # ... and during a stream (should_stop() is asked between looks: a pause lands
#                     within ~50 ms; looking more often takes the GIL from the GUI more often)
EVAL_SLICE = 2048  # rows per slice of a dev-loss point measured on the app's side (~1 ms)


class TrainerProcessError(CharnamesError):
    """The training process failed, could not be started, or stopped answering."""


class TrainerNotAnswering(TrainerProcessError):
    """The training process is alive but silent (stopped, or stuck); it has been ended."""


class CallGivenUp(Exception):
    """The caller gave up waiting for a reply (its give_up() became true); the reply is
    read and dropped before the next request."""


def serve(conn: Connection) -> None:
    """The child's loop: one request, one reply (a stream: many), until "quit" or EOF."""
    limit_threads(1)  # torch's threads and NumPy's BLAS (the fast engine's matmuls)
    trainer: Trainer | None = None
    key: int | None = None
    try:
        conn.send(("ready",))  # torch is imported: the app may send (it never blocks on us)
    except OSError:
        return
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        command, args = request[0], request[1:]
        try:
            if command == "quit":
                conn.send(("ok",))
                return
            if command == "stop":  # arrived after a stream had ended by itself: nothing to do
                continue
            if command == "load":
                trainer, key = _load(trainer, key, *args)
                conn.send(("ok", trainer.engine_note))
                continue
            if trainer is None or args[0] != key:
                raise TrainerProcessError("This model has not been sent to the training process")
            if command == "stream":
                _stream(conn, trainer, *args[1:])
            else:
                raise TrainerProcessError(f"Unknown request {command!r}")
        except (EOFError, OSError):  # the app is gone (closed or killed): end quietly
            return
        except Exception as exc:  # reported to the parent, which raises it there
            try:
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
            except OSError:
                return


_NO_SUBSET = (torch.empty(0, dtype=torch.int64), torch.empty(0, dtype=torch.int64))


def _stream(
    conn: Connection,
    trainer: Trainer,
    eval_every: int,
    chunk_seconds: float,
    snapshot_seconds: float,
) -> None:
    """Train without waiting for the parent between chunks: send each event as it happens,
    and stop when a ("stop",) arrives. Always ends with the weights (a Snapshot), then a
    StreamEnded.

    The dev-loss points are measured by the parent from the weights sent at their step
    (EvalDue): it has a core to spare, and here they would hold up the steps."""
    stopped = False
    next_look = 0.0
    send_lock = threading.Lock()  # the heartbeat thread sends too: one message at a time
    done = threading.Event()

    def send(message: object) -> None:
        with send_lock:
            conn.send(message)

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT):
            try:
                send(ALIVE)
            except OSError:
                return

    def should_stop() -> bool:
        # A look at the pipe is a system call: every 5 ms is often enough (a step takes
        # ~0.2 ms), and a stop still lands within a few ms.
        nonlocal stopped, next_look
        now = time.perf_counter()
        if not stopped and now >= next_look:
            next_look = now + 0.005
            if conn.poll():
                conn.recv()  # ("stop",)
                stopped = True
        return stopped

    events = train_stream(trainer, eval_every, _NO_SUBSET, should_stop, chunk_seconds,
                          snapshot_seconds, evaluate=False)  # fmt: skip
    beat = threading.Thread(target=heartbeat, name="heartbeat", daemon=True)
    beat.start()
    try:
        for event in events:
            send(event)
        send(trainer.snapshot())  # the app keeps these; it never has to ask for them
    finally:
        done.set()
        beat.join()  # no heartbeat after the end: the pipe is clean for the next request
    conn.send(StreamEnded(trainer.step, trainer.seconds))


def _load(
    trainer: Trainer | None,
    key: int | None,
    new_key: int,
    config: ModelConfig,
    params: dict[str, np.ndarray],
    examples: dict[str, tuple[np.ndarray, np.ndarray]] | None,
    train_config: TrainConfig,
    step: int,
    seconds: float,
    batch_stream: tuple[int, int] | None,
) -> tuple[Trainer, int]:
    """A new trainer for a new model (examples given), or the same one brought up to date
    (weights, config, step): its minibatch stream goes on, as in one process. batch_stream:
    the minibatch stream to resume at `step` (sent for a new trainer, or after the app
    stepped or rolled the model back itself)."""
    if examples is None and trainer is not None and key == new_key:
        with torch.no_grad():
            for name, value in params.items():
                trainer.model.params[name].copy_(torch.from_numpy(value))
        trainer.set_config(train_config)
    else:
        if examples is None:
            raise TrainerProcessError("The training process lost this model's examples")
        tensors = {s: (torch.from_numpy(X), torch.from_numpy(Y)) for s, (X, Y) in examples.items()}
        split_tensors = SplitTensors(config.block_size, tensors)
        model = MLP(config, {name: torch.from_numpy(v) for name, v in params.items()})
        trainer = Trainer(model, split_tensors, train_config)
    if batch_stream is not None:
        trainer.resume(step, seconds, batch_stream)
    else:
        trainer.step, trainer.seconds = step, seconds
    return trainer, new_key


def _describe_end(process: multiprocessing.process.BaseProcess | None) -> str:
    """How a child ended, in words: "killed by signal 9 (SIGKILL)", "exit code 1"."""
    if process is None:
        return "it was ended by the app"
    process.join(0.5)  # the pipe closes a moment before the process can be reaped
    code = process.exitcode
    if code is None:
        return "it does not answer"
    if code < 0:
        try:
            name = f" ({signal.Signals(-code).name})"
        except ValueError:
            name = ""
        return f"killed by signal {-code}{name}"
    return f"exit code {code}"


class TrainingProcess:
    """The child process and the pipe to it. Requests are serialised with a lock, so the GUI
    thread and the worker thread may both use it (never at once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.loaded_key: int | None = None  # whose examples the child holds
        self._unanswered = 0  # replies still to come for requests whose wait was given up
        self._answered = False  # the child has answered once: it has imported torch

    @property
    def pid(self) -> int | None:
        """The child's process id (None before it is started or after it ended)."""
        process = self._process
        return process.pid if process is not None else None

    def call(
        self, *request: Any, timeout: float, give_up: Callable[[], bool] | None = None
    ) -> tuple[Any, ...]:
        """Send a request and wait for its reply, at most `timeout` seconds (START_TIMEOUT
        while a new child imports torch); a child that does not answer by then is ended.
        Raises CallGivenUp as soon as give_up() is true (the child is left to answer)."""
        with self._lock:
            conn, _ = self._connection()
            try:
                if not self._answered:  # a new child says hello once it has imported torch
                    self._wait(conn, START_TIMEOUT, give_up)
                    self._answered = True
                while self._unanswered:  # replies to requests given up earlier
                    self._wait(conn, timeout, give_up)
                    self._unanswered -= 1
                self._send(conn, request, timeout)
                self._unanswered += 1
                reply = self._wait(conn, timeout, give_up)
                self._unanswered -= 1
            except (EOFError, OSError) as exc:
                raise self._lost(exc) from exc
        if reply[0] == "error":
            raise TrainerProcessError(f"Training failed: {reply[1]}")
        return reply

    def _send(self, conn: Connection, request: tuple[Any, ...], timeout: float) -> None:
        """conn.send(request), at most `timeout` seconds: a big request (the examples, the
        weights of a big model) fills the pipe, and a child that does not read it (stopped)
        would hold the send for ever. Sent from a helper thread; a child that has not read
        it all in time is ended, which ends the send."""
        errors: list[BaseException] = []
        # (an Event, not Thread.join: join() from a QThread registers it with `threading`)
        sent = threading.Event()

        def send() -> None:
            try:
                conn.send(request)
            except BaseException as exc:  # handed to the caller's thread
                errors.append(exc)
            finally:
                sent.set()

        threading.Thread(target=send, name="charnames-send", daemon=True).start()
        if not sent.wait(timeout):
            self.abandon()  # the pipe breaks: the send ends with an error
            sent.wait()
            raise TrainerNotAnswering(
                f"The training process does not answer (for {timeout:.0f} s); it was ended"
            )
        if errors:
            raise errors[0]

    def _wait(
        self, conn: Connection, timeout: float, give_up: Callable[[], bool] | None
    ) -> tuple[Any, ...]:
        deadline = time.perf_counter() + timeout
        while not conn.poll(POLL):
            if give_up is not None and give_up():
                raise CallGivenUp
            if time.perf_counter() > deadline:
                self.abandon()
                raise TrainerNotAnswering(
                    f"The training process does not answer (for {timeout:.0f} s); it was ended"
                )
        return conn.recv()

    @contextlib.contextmanager
    def session(self) -> Iterator[Connection]:
        """The pipe, for a conversation longer than one request (a stream)."""
        with self._lock:
            try:
                yield self._connection()[0]
            except (EOFError, OSError) as exc:
                raise self._lost(exc) from exc

    def receive(self, conn: Connection, timeout: float) -> object | None:
        """The next message of a session, or None after `timeout` seconds of silence from a
        child that is still alive. An error in the child is raised here."""
        if not conn.poll(timeout):
            process = self._process
            if process is None or not process.is_alive():
                raise EOFError("the training process ended")
            return None
        reply = conn.recv()
        if isinstance(reply, tuple) and reply[0] == "error":
            raise TrainerProcessError(f"Training failed: {reply[1]}")
        if reply == ("ready",):  # the hello of a child that replaced a dead one
            self._answered = True
            return None
        return reply

    def _lost(self, exc: BaseException) -> TrainerProcessError:
        """The error for a child that went away mid-request; it is forgotten (the next
        request starts a new one)."""
        how = _describe_end(self._process)
        self.abandon()
        return TrainerProcessError(f"The training process stopped unexpectedly ({how})")

    def _connection(self) -> tuple[Connection, bool]:
        """The pipe to a live child, and whether the child was started just now. A child that
        died while idle lost nothing (this side has the weights): a new one replaces it."""
        if self._process is not None and not self._process.is_alive():
            self.abandon()
        if self._conn is None or self._process is None:
            context = multiprocessing.get_context("spawn")  # no fork of a threaded Qt app
            parent_end, child_end = context.Pipe()
            process = context.Process(target=serve, args=(child_end,), daemon=True,
                                      name="charnames-trainer")  # fmt: skip
            with _main_module_hidden():
                process.start()
            child_end.close()
            self._process, self._conn = process, parent_end
            return parent_end, True
        return self._conn, False

    def abandon(self) -> None:
        """End the child without asking it (terminate, then kill), and forget it. Safe from
        any thread, with or without the lock; a thread waiting on the pipe sees it close."""
        process = self._process
        self._process = self._conn = None
        self.loaded_key = None
        self._unanswered, self._answered = 0, False
        if process is not None and process.is_alive():
            process.terminate()
            if process.pid is not None and hasattr(signal, "SIGCONT"):
                # a stopped (SIGSTOP) child acts on SIGTERM only once continued
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGCONT)
            process.join(CLOSE_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join(CLOSE_TIMEOUT)
        # (the pipe is left to be closed by whoever holds it: another thread may be reading
        # it, and sees EOF once the child is gone)

    def start_early(self) -> None:
        """Start the child now, without waiting for it: it imports torch (~1.5 s) while the
        learner looks at the window, and the first request finds it ready."""
        # On failure, the first request starts another child and reports what fails.
        with self._lock, contextlib.suppress(OSError, CharnamesError):
            self._connection()

    def close(self) -> None:
        """End the child: asked to quit, then terminated, then killed, ~1 s for each. A child
        busy with a stream that does not end is not waited for."""
        if self._lock.acquire(timeout=CLOSE_TIMEOUT):
            try:
                process, conn = self._process, self._conn
                if conn is not None and process is not None and process.is_alive():
                    try:
                        conn.send(("quit",))
                        if conn.poll(CLOSE_TIMEOUT):
                            conn.recv()
                            process.join(CLOSE_TIMEOUT)
                    except (EOFError, OSError):
                        pass
                self.abandon()
            finally:
                self._lock.release()
        else:  # a stream holds the pipe: ending the child ends the stream too
            self.abandon()


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start a child without it importing the parent's __main__.

    A "spawn" child re-imports the script that started the parent, to find functions
    defined there; a script without an `if __name__ == "__main__":` guard (a learner's
    notebook export, `python -m charnames_gui`, a test driver) would then start a second app
    in the child. The child needs nothing from __main__ (serve lives in this module), so
    while it starts, __main__ shows spawn no file and no module name to import."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved: dict[str, Any] = {
        name: main.__dict__[name] for name in ("__file__", "__spec__") if name in main.__dict__
    }
    for name in saved:
        del main.__dict__[name]
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        del main.__dict__["__spec__"]
        main.__dict__.update(saved)


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
        with torch.no_grad():
            for name, value in held.weights.items():
                self.model.params[name].copy_(torch.from_numpy(value))
        if held.step != self.local.step:  # rolled back: the minibatches must follow
            self._send_batch_stream = True
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
                elif isinstance(event, LossChunk | Snapshot | Diverged):
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
