"""K seeds of the current model's configuration, trained together behind the trainer's
interface (core.training.TrainerLike): the window's Train -> Repeat runs them like a single
run, so Start, Pause, Resume and Stop work as they do for one model.

    trainer = RepeatTrainer(model, examples, config, seeds, sizes)   # model: seed config.seed
    for event in trainer.stream(...):   # LossChunk (.band: every seed's losses), EvalPoint, ...
        ...
    trainer.seed_runs()                 # after the run: each seed's losses with their errors

The steps run in a StackedTrainer (core/stacked_training.py): in one training child per
core when there are several, so the app's worker thread only waits on pipes. Copy `lead`
is the learner's own seed (config.seed): it is the current model, and its losses, dev
points and snapshots are the run's, exactly those of a single run with that seed. Each
LossChunk also carries `band`, (n, K): every seed's loss at those steps (NaN once a copy
diverged), which the loss plot draws as a band.

A copy whose loss stops being finite is frozen and recorded as diverged; the others go on.
If the learner's own copy diverges, the run ends as diverged (as a single run would).
At the end (evaluate("train") / ("dev"), which the worker asks for when a run is finished
or stopped) every seed's loss is measured on the whole split with its standard error,
clustered by name (core/uncertainty.py), by the training children side by side.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from charnames_gui.core.config import TrainConfig
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.events import (
    Diverged,
    EvalPoint,
    LossChunk,
    OneStep,
    Snapshot,
    StreamEvent,
)
from charnames_gui.core.examples import SplitTensors
from charnames_gui.core.loss_buffer import DecimatingBuffer
from charnames_gui.core.model import MLP
from charnames_gui.core.snapshots import SnapshotStore
from charnames_gui.core.stacked_training import StackedTrainer
from charnames_gui.core.uncertainty import LossEstimate

# The training children's niceness: with every core stepping seeds, the window's thread
# still gets one at once when it has a frame to draw (benchmarks/gui_repeat_responsiveness).
CHILD_NICE = 10
# The learner's copy's weights come over from its child for the window's views at most this
# often (the views follow a repeat once a second: ui/window/live_views.REPEAT_PACE)
SNAPSHOT_SECONDS = 1.0
CURVE_POINTS = 2000  # each seed's curve, as the run history keeps it (runs.MAX_CURVE_POINTS)


@dataclass
class SeedRun:
    """One seed of a repeat, as it ended."""

    seed: int
    steps: int  # steps its weights have (before its divergence, if it diverged)
    train: LossEstimate | None
    dev: LossEstimate | None
    diverged_at: int | None  # the step whose loss was not finite
    curve_steps: np.ndarray = field(repr=False)  # (n,) float32
    curve_loss: np.ndarray = field(repr=False)  # (n,) float32


class RepeatTrainer:
    """K seeds trained together, driven like one run (see the module's docstring)."""

    engine_note = ""

    def __init__(
        self,
        model: MLP,
        examples: SplitTensors,
        config: TrainConfig,
        seeds: Sequence[int],
        sizes: dict[str, np.ndarray],
        processes: int = 1,
    ) -> None:
        """model: the current model, made with config.seed (one of `seeds`) and not trained
        yet; sizes: examples per name of the train and dev splits, for the errors."""
        if config.seed not in seeds:
            raise ConfigError("The learner's own seed must be one of the repeat's seeds")
        self._model = model
        self.stacked = StackedTrainer(model.config, examples, config, seeds, processes=processes,
                                      nice=CHILD_NICE)  # fmt: skip
        self.lead = list(self.stacked.seeds).index(config.seed)
        self.sizes = sizes
        self.curves = [DecimatingBuffer(CURVE_POINTS) for _ in seeds]
        self.estimates: dict[str, list[LossEstimate]] = {}
        self._estimated_at: dict[str, int] = {}
        self._lead_weights = model.snapshot()
        self._weights_step = 0
        self.replay = SnapshotStore.for_model(model.config)
        self.replay.keep = False  # the stack's frames are not kept (no replay of a repeat)

    # -- the trainer's interface ----------------------------------------------------------
    @property
    def model(self) -> MLP:
        return self._model

    @property
    def examples(self) -> SplitTensors:
        return self.stacked.examples

    @property
    def config(self) -> TrainConfig:
        return self.stacked.config

    @property
    def seeds(self) -> list[int]:
        return self.stacked.seeds

    @property
    def step(self) -> int:
        return self.stacked.step

    @property
    def seconds(self) -> float:
        return self.stacked.seconds

    @property
    def done(self) -> bool:
        return self.stacked.done or self.stacked.diverged[self.lead] is not None

    @property
    def batch_stream(self) -> tuple[int, int]:
        return (self.config.seed, 0)  # the learner's copy: its seed's stream from step 0

    @property
    def in_child(self) -> bool:
        """The steps run in training children (the worker thread only waits)."""
        return self.stacked.in_processes

    def set_config(self, config: TrainConfig) -> None:
        """Every copy goes on with this config (the app ends a repeat whose settings change:
        its seeds would no longer be single runs)."""
        self.stacked.config = config

    def adopt_replay(self, store: SnapshotStore) -> None:
        """A repeat records no replay frames: the store is kept for the trainer after it."""
        if store.config != self._model.config:
            raise ConfigError("These replay frames belong to a model of another shape")
        store.truncate_after(self.step)
        self.replay = store

    def resume(
        self, step: int, seconds: float, batch_stream: tuple[int, int] | None = None
    ) -> None:
        if step != self.step:
            raise ConfigError("A repeat goes on from where it is")

    def snapshot(self) -> Snapshot:
        return Snapshot(self._weights_step, dict(self._lead_weights), self.seconds)

    def step_once(self, probe: Sequence[int] | None = None) -> OneStep:
        raise ConfigError(
            "One step at a time is not possible while several seeds train together; "
            "Stop the repeat first"
        )

    def evaluate(self, split: str) -> float:
        """The learner's copy's loss on a whole split. For train and dev, every seed's
        loss with its error is measured at the same time (seed_runs() hands them out)."""
        if split in self.sizes:
            if self._estimated_at.get(split) != self.step:
                self.estimates[split] = self.stacked.estimates(split, self.sizes[split])
                self._estimated_at[split] = self.step
            return self.estimates[split][self.lead].loss
        self._sync_lead()
        X, Y = self.examples.tensors[split]
        return self._model.loss(X, Y)

    def close(self) -> None:
        """End the training children."""
        self.stacked.close()

    # -- a run ----------------------------------------------------------------------------
    def stream(
        self,
        eval_every: int,
        eval_subset: tuple[torch.Tensor, torch.Tensor],
        should_stop: Callable[[], bool],
        chunk_seconds: float = 0.05,
        snapshot_seconds: float = 0.25,
    ) -> Iterator[StreamEvent]:
        """The run's events, as Trainer.stream makes them for the learner's copy; each
        LossChunk carries every seed's losses in `band`; snapshots at most every
        SNAPSHOT_SECONDS."""
        snapshot_seconds = max(snapshot_seconds, SNAPSHOT_SECONDS)
        self.stacked.start()  # the children import torch (~2 s) the first time
        last_snapshot = time.perf_counter()
        while not self.done and not should_stop():
            start = self.step + 1
            next_eval = (self.step // eval_every + 1) * eval_every
            losses = self.stacked.run(next_eval - self.step, should_stop, chunk_seconds)
            if not len(losses):
                break
            for k, curve in enumerate(self.curves):
                finite = np.isfinite(losses[:, k])
                if finite.all():
                    curve.extend(start, losses[:, k])
                elif finite.any():  # the steps before its divergence
                    curve.extend(start, losses[: int(np.argmin(finite)), k])
            lead_losses = losses[:, self.lead]
            diverged = self.stacked.diverged[self.lead]
            if diverged is not None:
                ok = lead_losses[: diverged[0] - start]
                yield LossChunk(start, ok.copy(), self.config.lr_at(diverged[0] - 1), self.seconds,
                                band=losses[: len(ok)].copy())  # fmt: skip
                self._sync_lead()
                yield Diverged(diverged[0], diverged[1], self._diverged_message(diverged[0]))
                return
            yield LossChunk(start, lead_losses.copy(), self.config.lr_at(self.step - 1),
                            self.seconds, band=losses)  # fmt: skip
            if self.step % eval_every == 0 or self.done:
                self._sync_lead()
                model = self._model
                dev = model.loss(*self.examples.tensors["dev"])
                yield EvalPoint(self.step, dev, model.loss(*eval_subset))
                yield self.snapshot()
                last_snapshot = time.perf_counter()
            elif time.perf_counter() - last_snapshot >= snapshot_seconds:
                self._sync_lead()
                yield self.snapshot()
                last_snapshot = time.perf_counter()
        self._sync_lead()
        yield self.snapshot()

    def _diverged_message(self, step: int) -> str:
        return (
            f"Your seed's loss became NaN or infinite at step {step:,}: the learning rate is "
            "too large for this configuration. The repeat ended; lower the learning rate."
        )

    def _sync_lead(self) -> None:
        """The learner's copy's weights into the current model (from its training child)."""
        if self._weights_step == self.step and self.step:
            return
        weights = self.stacked.weights(self.lead)
        self._model.load_tensors(weights)
        self._lead_weights = self._model.snapshot()
        self._weights_step = self.step

    # -- the seeds ------------------------------------------------------------------------
    def band(self) -> tuple[np.ndarray, np.ndarray]:
        """Every seed's curve so far at common steps: (steps (n,), losses (n, K)), NaN where
        a seed has no point (after its divergence)."""
        data = [c.data() for c in self.curves]
        longest = max(data, key=lambda d: len(d[0]))[0]
        out = np.full((len(longest), len(data)), np.nan)
        for k, (steps, losses) in enumerate(data):
            n = min(len(steps), len(longest))
            out[:n, k] = losses[:n]
        return longest, out

    def seed_runs(self) -> list[SeedRun]:
        """Each seed as it ended, with its train and dev loss and their errors (measured
        by evaluate(); None before)."""
        runs = []
        for k, seed in enumerate(self.seeds):
            diverged = self.stacked.diverged[k]
            steps, losses = self.curves[k].data()
            train = self.estimates.get("train")
            dev = self.estimates.get("dev")
            runs.append(
                SeedRun(
                    seed=seed,
                    steps=diverged[0] - 1 if diverged else self.step,
                    train=train[k] if train and diverged is None else None,
                    dev=dev[k] if dev and diverged is None else None,
                    diverged_at=diverged[0] if diverged else None,
                    curve_steps=steps.astype(np.float32),
                    curve_loss=losses.astype(np.float32),
                )
            )
        return runs

    def lead_estimate(self, split: str) -> LossEstimate | None:
        """The learner's copy's loss on a split with its error, once measured."""
        found = self.estimates.get(split)
        return found[self.lead] if found else None
