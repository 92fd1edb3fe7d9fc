"""One configuration trained with K seeds, each loss with its error: what `charnames repeat`
and `charnames compare` print.

The seeds are trained together by the stacked engine (core/stacked_training.py) when the
configuration allows it, and one after another by Trainer otherwise (the reason is kept in
RepeatResult.note). Either way seed k's run is the single run `charnames train --seed k`
makes. Each model is then measured on the whole train and dev splits, with the standard
error clustered by name (core/uncertainty.py). The test split is never looked at.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import TrainingDiverged
from charnames_gui.core.loss_buffer import DecimatingBuffer
from charnames_gui.core.model import MLP
from charnames_gui.core.runs import RunRecord, recorded_status
from charnames_gui.core.stacked_training import StackedTrainer, cores, stack_refusal
from charnames_gui.core.stats import SeedStats, seed_stats
from charnames_gui.core.training import Trainer
from charnames_gui.core.uncertainty import LossEstimate, loss_with_error

# progress(steps done by every seed, steps of the run, the last loss of each seed)
Progress = Callable[[int, int, np.ndarray], None]
CHUNK_SECONDS = 0.1
CURVE_POINTS = 2000  # each seed's curve, as the run history keeps it (runs.MAX_CURVE_POINTS)


@dataclass
class SeedResult:
    seed: int
    steps: int
    train: LossEstimate
    dev: LossEstimate
    model: MLP = field(repr=False)
    diverged_at: int | None = None  # the step whose loss was not finite (weights: before it)
    curve_steps: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32), repr=False)
    curve_loss: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32), repr=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "seed": self.seed,
            "steps": self.steps,
            "train_loss": round(self.train.loss, 4),
            "train_se": round(self.train.se, 4),
            "dev_loss": round(self.dev.loss, 4),
            "dev_se": round(self.dev.se, 4),
            "diverged_at": self.diverged_at,
        }


@dataclass
class RepeatResult:
    model_config: ModelConfig
    train_config: TrainConfig
    seeds: list[SeedResult]
    stacked: bool  # trained together (True) or one after another
    processes: int  # training children the stack was shared among (1: this process)
    seconds: float  # wall time of the training (not the evaluation)
    note: str = ""  # why the seeds were not stacked

    def dev_stats(self) -> SeedStats:
        return seed_stats(None if r.diverged_at else r.dev.loss for r in self.seeds)

    def dev_interval(self) -> tuple[float, float]:
        """95% t interval of the mean dev loss over seeds (the loss another seed averages
        to); NaN with fewer than 2 finished seeds."""
        s = self.dev_stats()
        if s.n < 2:
            return math.nan, math.nan
        low, high = stats.t.interval(0.95, s.n - 1, loc=s.mean, scale=s.std / math.sqrt(s.n))
        return float(low), float(high)

    def summary(self) -> str:
        """'dev 2.1696 ± 0.0162 over 5 seeds (sd); mean 95% interval 2.1495 to 2.1897'."""
        s = self.dev_stats()
        if s.n == 0:
            return "no seed finished"
        if s.n == 1:
            return f"dev {s.mean:.4f} (1 seed finished)"
        low, high = self.dev_interval()
        return (
            f"dev {s.mean:.4f} ± {s.std:.4f} (sd over {s.n} seeds, range "
            f"{max(s.values) - min(s.values):.4f}); the mean's 95% interval: "
            f"{low:.4f} to {high:.4f}"
        )

    def records(self, dataset: Dataset, group_id: str, status: str = "finished") -> list[RunRecord]:
        """Each seed as a row of the run history, one repeat group (status: how the
        training ended, "finished" or "stopped"; a seed that diverged says so)."""
        records = []
        for k, r in enumerate(self.seeds):
            ended = "diverged" if r.diverged_at else status
            train = r.train.loss if math.isfinite(r.train.loss) else None
            dev = r.dev.loss if math.isfinite(r.dev.loss) else None
            records.append(
                RunRecord(
                    dataset_name=dataset.name,
                    dataset_hash=dataset.content_hash(),
                    model=self.model_config,
                    train=self.train_config.replace(seed=r.seed),
                    split_seed=dataset.split_seed,
                    steps_done=r.steps,
                    seconds=self.seconds if self.stacked else self.seconds / len(self.seeds),
                    train_loss=train,
                    dev_loss=dev,
                    train_se=r.train.se if train is not None else None,
                    dev_se=r.dev.se if dev is not None else None,
                    status=recorded_status(ended, train, dev, self.model_config.vocab_size),
                    group_id=group_id,
                    group_index=k + 1,
                    group_size=len(self.seeds),
                    curve_steps=r.curve_steps,
                    curve_loss=r.curve_loss,
                )
            )
        return records

    def to_dict(self) -> dict[str, object]:
        s = self.dev_stats()
        low, high = self.dev_interval()
        return {
            "seeds": [r.to_dict() for r in self.seeds],
            "dev_mean": round(s.mean, 6) if s.n else None,
            "dev_std": round(s.std, 6) if s.n > 1 else None,
            "dev_mean_low": round(low, 6) if math.isfinite(low) else None,
            "dev_mean_high": round(high, 6) if math.isfinite(high) else None,
            "stacked": self.stacked,
            "processes": self.processes,
            "seconds": round(self.seconds, 3),
            "model_steps_per_second": round(sum(r.steps for r in self.seeds) / self.seconds, 1)
            if self.seconds
            else None,
            "note": self.note,
        }


def train_seeds(
    dataset: Dataset,
    model_config: ModelConfig,
    config: TrainConfig,
    seeds: Sequence[int],
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    processes: int | None = None,
    nice: int = 0,
) -> RepeatResult:
    """Train config with each seed (config.seed is ignored) and measure every model.
    processes: training children the stacked seeds are shared among (None: one per core);
    nice: their niceness (the window's lower priority, core/stacked_run.CHILD_NICE)."""
    examples = dataset.examples(model_config.block_size)
    note = stack_refusal(model_config, config)
    start = time.perf_counter()
    runs: list[tuple[int, MLP, int, int | None]] = []  # seed, model, steps, diverged_at
    curves = [DecimatingBuffer(CURVE_POINTS) for _ in seeds]  # each seed's loss per step
    if not note:
        procs = cores() if processes is None else processes
        with StackedTrainer(model_config, examples, config, seeds, processes=procs,
                            nice=nice) as trainer:  # fmt: skip
            while not trainer.done and not (should_stop and should_stop()):
                first = trainer.step + 1
                losses = trainer.run(config.steps, should_stop, CHUNK_SECONDS)  # (n, K)
                for k, curve in enumerate(curves):
                    finite = np.isfinite(losses[:, k])  # a diverged seed: its steps before
                    kept = len(finite) if finite.all() else int(np.argmin(finite))
                    curve.extend(first, losses[:kept, k])
                if progress is not None and len(losses):
                    progress(trainer.step, config.steps, losses[-1])
            used = trainer.processes or 1
            seconds = time.perf_counter() - start
            for k, seed in enumerate(trainer.seeds):
                diverged = trainer.diverged[k]
                steps = diverged[0] - 1 if diverged else trainer.step
                runs.append((seed, trainer.model(k), steps, diverged[0] if diverged else None))
    else:
        used = 1
        last = np.full(len(seeds), np.nan)
        for k, seed in enumerate(seeds):
            cfg = config.replace(seed=int(seed))
            single = Trainer(MLP.init(model_config, cfg.init, cfg.seed), examples, cfg)
            diverged_at = None
            try:
                while not single.done and not (should_stop and should_stop()):
                    first = single.step + 1
                    chunk = single.run(cfg.steps, should_stop, CHUNK_SECONDS)
                    curves[k].extend(first, chunk)
                    if progress is not None and len(chunk):
                        last[k] = chunk[-1]
                        progress(k * cfg.steps + single.step, len(seeds) * cfg.steps, last)
            except TrainingDiverged as exc:
                diverged_at = exc.step
            runs.append((int(seed), single.model, single.step, diverged_at))
            if should_stop and should_stop():
                break
        seconds = time.perf_counter() - start
    results = []
    for k, (seed, model, steps, diverged_at) in enumerate(runs):
        train = loss_with_error(model, *examples.tensors["train"], dataset.split.train)
        dev = loss_with_error(model, *examples.tensors["dev"], dataset.split.dev)
        curve_steps, curve_loss = curves[k].data()
        results.append(
            SeedResult(
                seed,
                steps,
                train,
                dev,
                model,
                diverged_at,
                curve_steps.astype(np.float32),
                curve_loss.astype(np.float32),
            )
        )
    return RepeatResult(
        model_config, config, results, not note, used, seconds,
        f"Trained one after another: {note}." if note else "",
    )  # fmt: skip
