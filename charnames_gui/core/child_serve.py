"""What the training child runs: one request, one reply (a stream of events for a run),
until the app says "quit" or the pipe closes. Started by core/child_process.py; the app's
side of a run is core/process_trainer.py."""

from __future__ import annotations

import threading
import time
from multiprocessing.connection import Connection

import numpy as np
import torch

from charnames_gui.core.child_protocol import ALIVE, HEARTBEAT, TrainerProcessError
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.events import StreamEnded
from charnames_gui.core.examples import SplitTensors
from charnames_gui.core.model import MLP
from charnames_gui.core.stacked_child import StackHost
from charnames_gui.core.threads import limit_threads
from charnames_gui.core.training import Trainer, train_stream


def serve(conn: Connection) -> None:
    """The child's loop: one request, one reply (a stream: many), until "quit" or EOF."""
    limit_threads(1)  # torch's threads and NumPy's BLAS (the fast engine's matmuls)
    trainer: Trainer | None = None
    key: int | None = None
    stacks = StackHost()  # groups of a StackedTrainer's copies (core/stacked_child.py)
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
            if command.startswith("stack_"):
                conn.send(stacks.handle(command, args))
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
        trainer.model.load_tensors(params)  # parameters and BatchNorm's running statistics
        trainer.set_config(train_config)
    else:
        if examples is None:
            raise TrainerProcessError("The training process lost this model's examples")
        tensors = {s: (torch.from_numpy(X), torch.from_numpy(Y)) for s, (X, Y) in examples.items()}
        split_tensors = SplitTensors(config.block_size, tensors)
        model = MLP(config, {name: torch.from_numpy(v) for name, v in params.items()})
        trainer = Trainer(model, split_tensors, train_config)
        trainer.replay.keep = False  # frames are sent to the app, which keeps them
    if batch_stream is not None:
        trainer.resume(step, seconds, batch_stream)
    else:
        trainer.step, trainer.seconds = step, seconds
        trainer.replay.truncate_after(step)
    return trainer, new_key
