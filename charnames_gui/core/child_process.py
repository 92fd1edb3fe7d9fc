"""The training process: a child process and the pipe to it, started and ended from the app.

Torch-free: the app starts the child while its own window is still being painted, so that
the child imports torch on the other core while the app imports it on this one (see
app.py). What the child runs: core/child_serve.py; the trainer that talks to it:
core/process_trainer.py; the messages and time limits: core/child_protocol.py.

Every wait on the child has a limit. A training child sends a heartbeat every HEARTBEAT
seconds, even in the middle of a long step; one silent for STOP_TIMEOUT seconds after a stop
(SILENCE_TIMEOUT while it runs) is stopped or frozen, and is ended (terminated, then killed).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from charnames_gui.core.child_protocol import (
    CLOSE_TIMEOUT,
    POLL,
    START_TIMEOUT,
    CallGivenUp,
    TrainerNotAnswering,
    TrainerProcessError,
)
from charnames_gui.core.errors import CharnamesError


def child_main(conn: Connection) -> None:
    """The child's entry point: imports torch and the trainer, then serves requests."""
    from charnames_gui.core.child_serve import serve

    serve(conn)


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
            process = context.Process(target=child_main, args=(child_end,), daemon=True,
                                      name="charnames-trainer")  # fmt: skip
            with main_module_hidden():
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
        # Never waits: a request or stream that holds the pipe has a child already (a GUI
        # thread waiting here for a run to end would freeze the window).
        if not self._lock.acquire(blocking=False):
            return
        try:  # on failure, the first request starts another child and reports what fails
            with contextlib.suppress(OSError, CharnamesError):
                self._connection()
        finally:
            self._lock.release()

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
def main_module_hidden() -> Iterator[None]:
    """Start a child without it importing the parent's __main__.

    A "spawn" child re-imports the script that started the parent, to find functions
    defined there; a script without an `if __name__ == "__main__":` guard (a learner's
    notebook export, `python -m charnames_gui`, a test driver) would then start a second app
    in the child. The child needs nothing from __main__ (child_main lives in this module), so
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
