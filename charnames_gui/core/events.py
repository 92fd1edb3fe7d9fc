"""What happens during a training run, as frozen dataclasses.

One shape end to end: core.training.train_stream yields them, the training process sends
them over its pipe as they are (they pickle), the GUI's worker emits them as they are
(Signal(object)), and views import them from here. No Qt, no torch tensors: NumPy copies
and plain numbers, safe to keep on any thread.

    LossChunk      every step's minibatch loss for ~50 ms of steps
    EvalPoint      every eval_every steps: the whole dev split and a train estimate
    EvalDue        (training process -> app) the weights at an eval step, to be measured
    Snapshot       ~4 per second: copies of the weights, and the step they belong to
    ReplayFrames   the replay frames taken at the schedule's steps (core/snapshots.py)
    Diverged       the loss became NaN/inf; the weights are those of the last finite step
    StreamEnded    (training process -> app) the stream is over: step and training seconds
    Progress       steps done, of how many, the run's training time and the recent rate
    RunEnded       once per run: how and why it ended
    SweepPoints    (lr, loss) pairs of the learning-rate finder, in batches
    SweepEnded     the finder's suggestion
    OneStep        the result of one training step taken on its own ("one step")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from charnames_gui.core.snapshots import Frame

RunStatus = Literal["finished", "stopped", "paused", "diverged", "failed"]


@dataclass(frozen=True)
class LossChunk:
    start_step: int  # 1-based number of the first step in `losses`
    losses: np.ndarray  # (n,) float32 minibatch loss of each step
    lr: float  # learning rate of the last step
    seconds: float = 0.0  # the model's training-loop seconds after the last step
    # K seeds trained together (core/stacked_run.py): (n, K) float32, every seed's loss at
    # these steps (NaN after a seed diverged); `losses` is the learner's own seed's column
    band: np.ndarray | None = None

    @property
    def end_step(self) -> int:
        """The step the model is at after this chunk."""
        return self.start_step + len(self.losses) - 1


@dataclass(frozen=True)
class EvalPoint:
    step: int
    dev_loss: float  # full dev split
    train_loss: float  # a fixed subset of the train split (an honest estimate, cheap)


@dataclass(frozen=True)
class EvalDue:
    """An eval step reached in the training process: the app measures the two losses from
    these weights on its own core while the child trains on."""

    step: int
    weights: dict[str, np.ndarray]
    seconds: float = 0.0  # the model's training-loop seconds at that step


@dataclass(frozen=True)
class Snapshot:
    step: int  # the weights are those after this many steps
    weights: dict[str, np.ndarray]  # copies: safe to keep and read on the GUI thread
    seconds: float = 0.0  # the model's training-loop seconds at that step


@dataclass(frozen=True)
class ReplayFrames:
    """Replay frames taken during the last chunk of steps (core/snapshots.py)."""

    frames: list[Frame]


@dataclass(frozen=True)
class Diverged:
    step: int  # 1-based step whose loss was not finite (its update was not made)
    loss: float
    message: str


@dataclass(frozen=True)
class StreamEnded:
    step: int
    seconds: float  # the model's training-loop seconds


@dataclass(frozen=True)
class Progress:
    step: int  # steps done by the model
    total: int  # steps of the run
    run_seconds: float  # training time of this run, across its pauses
    steps_per_second: float  # recent rate


@dataclass(frozen=True)
class RunEnded:
    status: RunStatus
    step: int  # the model's step now (after a lost training process: its last weights')
    seconds: float  # training-loop seconds of the whole model so far
    train_loss: float | None = None  # full train split, when finished or stopped
    dev_loss: float | None = None  # full dev split, when finished or stopped
    message: str = ""  # why, in the learner's words (empty when it went as asked)
    eval_points: list[EvalPoint] = field(default_factory=list)
    # standard errors of train_loss and dev_loss, clustered by name (core/uncertainty.py)
    train_se: float | None = None
    dev_se: float | None = None


@dataclass(frozen=True)
class SweepPoints:
    pairs: list[tuple[float, float]]  # (lr, loss) of consecutive sweep steps
    # a sweep of K seeds (core/stacked_sweep.py): pairs are the first seed's (the learner's);
    # band_lrs (m,) and band (m, K) every seed's loss at the same steps, NaN once blown up
    band_lrs: np.ndarray | None = None
    band: np.ndarray | None = None


@dataclass(frozen=True)
class SweepEnded:
    suggested_lr: float | None  # with K seeds: the reading of their mean curve
    points: int
    message: str = ""
    seed_lrs: tuple[float | None, ...] = ()  # with K seeds: each seed's own suggestion


@dataclass(frozen=True)
class OneStep:
    """One minibatch step of the current run, taken on its own."""

    step: int  # the model's step after it
    contexts: np.ndarray  # (batch, block_size) int64: the minibatch's contexts
    targets: np.ndarray  # (batch,) int64: the character that followed each
    lr: float
    loss_before: float  # the minibatch's loss before the update (the one a run records)
    loss_after: float  # the same minibatch's loss after the update
    # How the step moved the next-character distribution of one context (the sampling
    # panel's, or the start of a name): probs = softmax(logits(probe)), before and after.
    probe: tuple[int, ...] = ()  # (block_size,) character indices
    probs_before: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32))  # (V,)
    probs_after: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32))  # (V,)

    def largest_moves(self, n: int = 5) -> list[tuple[int, float, float]]:
        """The n characters whose probability after the probe moved most:
        (index, before, after), largest |after - before| first."""
        if len(self.probs_before) == 0:
            return []
        moved = np.abs(self.probs_after - self.probs_before)  # (V,)
        order = np.argsort(-moved, kind="stable")[:n]
        return [(int(i), float(self.probs_before[i]), float(self.probs_after[i])) for i in order]

    def rows(self, itos: tuple[str, ...] | list[str]) -> list[str]:
        """The minibatch as text, one row per example: "emm → a" (itos: Vocabulary.itos)."""
        return [
            "".join(itos[int(i)] for i in context) + " → " + itos[int(target)]
            for context, target in zip(self.contexts, self.targets, strict=True)
        ]


# What a training stream yields (train_stream in-process, the child over its pipe).
StreamEvent = LossChunk | EvalPoint | EvalDue | Snapshot | ReplayFrames | Diverged | StreamEnded
