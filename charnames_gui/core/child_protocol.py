"""What the app and its training child say to each other, and how long each side waits.

Shared by both ends: core/child_process.py (the app's side: starting, asking, ending the
child) and core/child_serve.py (what the child runs); core/process_trainer.py drives a run
through them. Torch-free.
"""

from __future__ import annotations

from charnames_gui.core.errors import CharnamesError

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


class TrainerProcessError(CharnamesError):
    """The training process failed, could not be started, or stopped answering."""


class TrainerNotAnswering(TrainerProcessError):
    """The training process is alive but silent (stopped, or stuck); it has been ended."""


class CallGivenUp(Exception):
    """The caller gave up waiting for a reply (its give_up() became true); the reply is
    read and dropped before the next request."""
