"""Training in a child process, behind the Trainer's interface.

Python runs one thread at a time (the GIL). When the GUI paints while a worker thread trains
in the same process, each waits for the other: painting made training ~25% slower, and
training made frames late. A RemoteTrainer keeps the same interface as Trainer, but the steps
run in a child process on the other core; the worker thread that drives it spends its time
waiting on a pipe, which holds no lock.

    process = TrainerProcess()                       # one child, started on first use
    trainer = RemoteTrainer(process, model, examples, config)
    trainer.begin()                                  # send the weights, step and config
    losses = trainer.run(1000, time_budget=0.04)     # steps run in the child
    trainer.snapshot()                               # weights back into trainer.model

The child runs the very same core Trainer, so a run gives the same numbers as in-process.
`model` is a mirror of the child's weights, brought up to date by snapshot(); edits made to
it between runs are sent by begin().
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import multiprocessing
import sys
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import torch

from charnames_gui.core.data import SplitTensors
from charnames_gui.core.errors import CharnamesError, TrainingDiverged
from charnames_gui.core.model import MLP, ModelConfig
from charnames_gui.core.threads import limit_threads
from charnames_gui.core.training import TrainConfig, Trainer, train_stream

START_TIMEOUT = 60.0  # seconds for a new child to import torch and answer
EVAL_SLICE = 2048  # rows per slice of a dev-loss point measured on the app's side (~1 ms)


class TrainerProcessError(CharnamesError):
    """The training process failed or could not be started."""


def serve(conn: Connection) -> None:
    """The child's loop: one request, one reply, until "quit" or the pipe closes."""
    limit_threads(1)
    trainer: Trainer | None = None
    key: int | None = None
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
            args = args[1:]  # after the model's key
            if command == "run":
                n, budget = args
                try:
                    losses = trainer.run(n, None, budget)
                except TrainingDiverged as exc:
                    lost = getattr(exc, "losses", np.empty(0, np.float32))
                    conn.send(("diverged", exc.step, exc.loss, lost, trainer.step, trainer.seconds))
                    continue
                conn.send(("ok", losses, trainer.step, trainer.seconds))
            elif command == "stream":
                _stream(conn, trainer, *args)
            elif command == "weights":
                conn.send(("ok", trainer.model.snapshot()))
            elif command == "evaluate":
                conn.send(("ok", trainer.evaluate(args[0])))
            elif command == "loss":
                X, Y = args
                conn.send(("ok", trainer.model.loss(torch.from_numpy(X), torch.from_numpy(Y))))
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
    and stop when a ("stop",) arrives. Always ends with ("end", step, seconds).

    The dev-loss points are measured by the parent from the weights sent at their step: it
    has a core to spare, and here they would hold up the steps."""
    stopped = False
    next_look = 0.0

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
    try:
        for event in events:
            if event[0] == "chunk":
                conn.send(("chunk", event[1], trainer.step, trainer.seconds))
            else:
                conn.send(event)
    except TrainingDiverged as exc:
        lost = getattr(exc, "losses", np.empty(0, np.float32))
        conn.send(("diverged", exc.step, exc.loss, lost))
    conn.send(("end", trainer.step, trainer.seconds))


def _load(
    trainer: Trainer | None,
    key: int | None,
    new_key: int,
    config: ModelConfig,
    params: dict[str, np.ndarray] | None,
    examples: dict[str, tuple[np.ndarray, np.ndarray]] | None,
    train_config: TrainConfig,
    step: int,
    seconds: float,
    batch_stream: tuple[int, int] | None,
) -> tuple[Trainer, int]:
    """A new trainer for a new model (examples given), or the same one brought up to date
    (weights, config, step): its minibatch stream goes on, as in one process. batch_stream:
    the minibatch stream to resume at `step` (sent for a new trainer, or after a resume)."""
    if examples is None and trainer is not None and key == new_key:
        if params is not None:  # None: the child's weights are the newer ones
            with torch.no_grad():
                for name, value in params.items():
                    trainer.model.params[name].copy_(torch.from_numpy(value))
        trainer.set_config(train_config)
    else:
        if examples is None or params is None:
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


class TrainerProcess:
    """The child process and the pipe to it. Requests are serialised with a lock, so the GUI
    thread and the worker thread may both use it (never at once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.loaded_key: int | None = None  # whose examples the child holds

    def call(self, *request: Any) -> tuple[Any, ...]:
        with self._lock:
            conn = self._connection()
            try:
                conn.send(request)
                if not conn.poll(START_TIMEOUT if request[0] == "load" else None):
                    raise TrainerProcessError("The training process does not answer")
                reply = conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._forget()
                raise TrainerProcessError(f"The training process stopped ({exc})") from exc
        if reply[0] == "error":
            raise TrainerProcessError(f"Training failed: {reply[1]}")
        return reply

    @contextlib.contextmanager
    def session(self) -> Iterator[Connection]:
        """The pipe, for a conversation longer than one request (a stream)."""
        with self._lock:
            try:
                yield self._connection()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._forget()
                raise TrainerProcessError(f"The training process stopped ({exc})") from exc

    def receive(self, conn: Connection) -> tuple[Any, ...]:
        """The next message of a session; an error in the child is raised here."""
        while not conn.poll(1.0):
            if self._process is None or not self._process.is_alive():
                raise EOFError("the training process ended")
        reply = conn.recv()
        if reply[0] == "error":
            raise TrainerProcessError(f"Training failed: {reply[1]}")
        return reply

    def _connection(self) -> Connection:
        if self._process is not None and not self._process.is_alive():
            code = self._process.exitcode
            self._forget()  # the next request starts a new child
            raise TrainerProcessError(f"The training process stopped unexpectedly (exit {code})")
        if self._conn is None or self._process is None:
            context = multiprocessing.get_context("spawn")  # no fork of a threaded Qt app
            parent_end, child_end = context.Pipe()
            process = context.Process(target=serve, args=(child_end,), daemon=True,
                                      name="charnames-trainer")  # fmt: skip
            with _main_module_hidden():
                process.start()
            child_end.close()
            self._process, self._conn = process, parent_end
        return self._conn

    def _forget(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join(2)
        self._process = self._conn = None
        self.loaded_key = None

    def start_early(self) -> None:
        """Start the child now, without waiting for it: it imports torch (~1.5 s) while the
        learner looks at the window, and the first request finds it ready."""
        # On failure, the first request starts another child and reports what fails.
        with self._lock, contextlib.suppress(TrainerProcessError):
            self._connection()

    def close(self) -> None:
        """End the child (it finishes its current request first, ~40 ms at most)."""
        with self._lock:
            if self._conn is not None and self._process is not None and self._process.is_alive():
                try:
                    self._conn.send(("quit",))
                    if self._conn.poll(5):
                        self._conn.recv()
                except (EOFError, OSError, BrokenPipeError):
                    pass
                self._process.join(5)
            self._forget()


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


class RemoteTrainer:
    """A Trainer whose steps run in a TrainerProcess (see the module's docstring)."""

    runs_in_process = False

    def __init__(
        self, process: TrainerProcess, model: MLP, examples: SplitTensors, config: TrainConfig
    ) -> None:
        # A local Trainer checks the config, holds the examples and the model's mirror; it
        # never steps.
        self.local = Trainer(model, examples, config)
        self.process = process
        self.key = next(_keys)
        self._mirror_behind = False  # the child has trained since the mirror was updated
        self._resumed = False  # resume() was called: the child's stream must follow

    # -- the Trainer's attributes, kept on the local mirror ---------------------------------
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

    @step.setter
    def step(self, value: int) -> None:
        self.local.step = value

    @property
    def seconds(self) -> float:
        return self.local.seconds

    @seconds.setter
    def seconds(self, value: float) -> None:
        self.local.seconds = value

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
        self.local.set_config(config)  # sent with the next begin()

    def resume(
        self, step: int, seconds: float, batch_stream: tuple[int, int] | None = None
    ) -> None:
        """Trainer.resume, passed on to the child with the next begin()."""
        self.local.resume(step, seconds, batch_stream)
        self._resumed = True

    # -- what runs in the child --------------------------------------------------------------
    def begin(self) -> None:
        """Send the config, the step and the mirror's weights (the examples too, the first
        time). Weights the child has trained further than the mirror are kept."""
        first = self.process.loaded_key != self.key
        examples = (
            {s: (X.numpy(), Y.numpy()) for s, (X, Y) in self.examples.tensors.items()}
            if first
            else None
        )
        params = None if self._mirror_behind and not first else self.model.snapshot()
        stream = self.local.batch_stream if first or self._resumed else None
        self.process.call(
            "load", self.key, self.model.config, params, examples,
            self.config, self.step, self.seconds, stream,
        )  # fmt: skip
        self.process.loaded_key = self.key
        self._resumed = False

    def run(
        self,
        max_steps: int,
        should_stop: Callable[[], bool] | None = None,
        time_budget: float | None = None,
    ) -> np.ndarray:
        """Up to max_steps steps in the child, for at most time_budget seconds (should_stop
        is checked by the caller between calls: the child cannot see it)."""
        n = max(0, min(max_steps, self.config.steps - self.step))
        if n == 0:
            return np.empty(0, dtype=np.float32)
        self._ensure_loaded()
        reply = self.process.call("run", self.key, n, time_budget if time_budget else 0.05)
        if reply[0] == "diverged":
            _, step, loss, losses, done_step, seconds = reply
            self.local.step, self.local.seconds = done_step, seconds
            self.snapshot()  # the last finite weights
            error = TrainingDiverged(step, loss)
            error.losses = losses  # type: ignore[attr-defined]
            raise error
        _, losses, step, seconds = reply
        self.local.step, self.local.seconds = step, seconds
        self._mirror_behind = True
        return losses

    def stream(
        self,
        eval_every: int,
        eval_subset: tuple[torch.Tensor, torch.Tensor],
        should_stop: Callable[[], bool],
        chunk_seconds: float = 0.05,
        snapshot_seconds: float = 0.25,
    ) -> Iterator[tuple]:
        """Trainer.stream, run by the child: the same events, while the child trains on
        without waiting for this side (should_stop is checked as each event arrives, and a
        stop reaches the child between two of its steps)."""
        self._ensure_loaded()
        diverged: tuple[Any, ...] | None = None
        # Events read off the pipe while a dev-loss point was measured: the pipe is kept
        # empty, so the child never waits to send (a full pipe would hold up its steps).
        arrived: collections.deque[tuple[Any, ...]] = collections.deque()
        with self.process.session() as conn:
            conn.send(("stream", self.key, eval_every, chunk_seconds, snapshot_seconds))
            stop_sent = False
            while True:
                if not stop_sent and should_stop():
                    conn.send(("stop",))
                    stop_sent = True
                event = arrived.popleft() if arrived else self.process.receive(conn)
                kind = event[0]
                if kind == "chunk":
                    _, losses, step, seconds = event
                    self.local.step, self.local.seconds = step, seconds
                    self._mirror_behind = True
                    yield ("chunk", losses)
                elif kind == "eval_due":  # measured here, while the child trains on
                    _, step, weights = event

                    def between_slices() -> None:
                        # should_stop() waits for a GUI frame to be drawn (the two would
                        # share a core); a stop asked for meanwhile is passed on at once
                        nonlocal stop_sent
                        if should_stop() and not stop_sent:
                            conn.send(("stop",))
                            stop_sent = True
                        while conn.poll():
                            arrived.append(self.process.receive(conn))

                    yield ("eval", step, *self._losses_of(weights, eval_subset, between_slices))
                elif kind == "weights":
                    yield event
                elif kind == "diverged":
                    diverged = event
                elif kind == "end":
                    self.local.step, self.local.seconds = event[1], event[2]
                    break
        if diverged is not None:
            _, step, loss, losses = diverged
            self.snapshot()  # the last finite weights
            error = TrainingDiverged(step, loss)
            error.losses = losses  # type: ignore[attr-defined]
            raise error

    def _losses_of(
        self,
        weights: dict[str, np.ndarray],
        subset: tuple[torch.Tensor, torch.Tensor],
        between: Callable[[], object] | None = None,
    ) -> tuple[float, float]:
        """(dev loss, loss on subset) of these weights: what Trainer.evaluate("dev") and
        model.loss(*subset) give in the child (equal to ~1e-7: the sums are made in slices of
        EVAL_SLICE rows, with between() called before each, ~1 ms apart)."""
        model = MLP(self.model.config, {k: torch.from_numpy(v) for k, v in weights.items()})
        X, Y = self.examples.tensors["dev"]
        return (
            model.loss(X, Y, EVAL_SLICE, between),
            model.loss(*subset, EVAL_SLICE, between),
        )

    def _ensure_loaded(self) -> None:
        if self.process.loaded_key != self.key:
            self.begin()

    def snapshot(self) -> dict[str, np.ndarray]:
        """The child's weights: copied into the mirror model, and returned."""
        self._ensure_loaded()
        weights: dict[str, np.ndarray] = self.process.call("weights", self.key)[1]
        with torch.no_grad():
            for name, value in weights.items():
                self.model.params[name].copy_(torch.from_numpy(value))
        self._mirror_behind = False
        return weights

    def evaluate(self, split: str) -> float:
        self._ensure_loaded()
        return float(self.process.call("evaluate", self.key, split)[1])

    def loss_on(self, X: torch.Tensor, Y: torch.Tensor) -> float:
        self._ensure_loaded()
        return float(self.process.call("loss", self.key, X.numpy(), Y.numpy())[1])
