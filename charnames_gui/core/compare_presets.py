"""Is preset B better than preset A? Both trained with the same K seeds, then compared.

Each preset is trained with K seeds (core/repeat.train_seeds: stacked, on all cores, each
seed its own single run), A first, then B, on the same dataset and split. Both sides use the
same seeds, so seed k of A and seed k of B drew the same minibatch order (same batch size)
and the comparison is paired by seed (core/compare.compare_seeds). A seed that diverged
leaves its side; the pairing then falls back to Welch's t. Only dev losses are compared: the
test split stays untouched. What `charnames compare PRESET_A PRESET_B` and the window's
Compare presets dialog both do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from charnames_gui.core.compare import Comparison, compare_seeds
from charnames_gui.core.config import TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.presets import Preset
from charnames_gui.core.repeat import RepeatResult, train_seeds
from charnames_gui.core.stats import MAX_REPEATS, repeat_seeds


@dataclass(frozen=True)
class PresetProgress:
    """Where the training of the two presets is."""

    side: int  # 0: A, 1: B
    name: str  # the preset being trained
    step: int  # steps done by every seed of this side
    steps: int  # steps of this side's run
    seeds: int

    @property
    def fraction(self) -> float:
        """Of the whole comparison (A's steps, then B's), 0 to 1."""
        return (self.side + self.step / max(self.steps, 1)) / 2

    def text(self) -> str:
        which = "AB"[self.side]
        return (
            f"Training {which} ({self.name}): step {self.step:,} of {self.steps:,}, "
            f"{self.seeds} seeds together"
        )


@dataclass
class PresetComparison:
    comparison: Comparison
    a: RepeatResult
    b: RepeatResult
    name_a: str
    name_b: str


def preset_training(
    preset: Preset, steps: int | None = None, seed: int | None = None
) -> TrainConfig:
    """The preset's training, optionally shortened to `steps` (a step decay that would fall
    beyond the end moves to the middle) and with another first seed."""
    config = preset.train
    if steps is not None:
        config = replace(config, steps=steps)
        if config.schedule == "step" and config.lr_decay_at >= config.steps:
            config = replace(config, lr_decay_at=config.steps // 2)  # keep the decay's half
    if seed is not None:
        config = replace(config, seed=seed)
    config.validate()
    return config


def dev_losses(result: RepeatResult) -> tuple[list[float], list[int]]:
    """The dev loss and seed of every seed that did not diverge."""
    done = [r for r in result.seeds if not r.diverged_at and np.isfinite(r.dev.loss)]
    return [r.dev.loss for r in done], [r.seed for r in done]


def compare_presets(
    dataset: Dataset,
    a: Preset,
    b: Preset,
    seeds: int,
    steps: int | None = None,
    seed: int | None = None,
    progress: Callable[[PresetProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    processes: int | None = None,
    nice: int = 0,
) -> PresetComparison | None:
    """Train a and b with the same `seeds` seeds each and compare their dev losses; None
    when should_stop() ended it first. Raises ConfigError for a request that cannot be
    answered (the same preset twice, too few seeds, every seed of a side diverged)."""
    if a.name == b.name:
        raise ConfigError("Pick two different presets: a preset against itself tells nothing")
    if not 2 <= seeds <= MAX_REPEATS:
        raise ConfigError(f"Seeds must be between 2 and {MAX_REPEATS}, not {seeds}")
    if steps is not None and steps < 1:
        raise ConfigError("Give at least one step")
    results: list[RepeatResult] = []
    for side, preset in enumerate((a, b)):
        config = preset_training(preset, steps, seed)
        model_config = preset.model_config(dataset.vocab.size)
        model_config.validate()
        seed_list = repeat_seeds(config.seed, seeds)

        def report(step: int, total: int, last: np.ndarray, side: int = side,
                   name: str = preset.name) -> None:  # fmt: skip
            if progress is not None:
                progress(PresetProgress(side, name, step, total, seeds))

        result = train_seeds(
            dataset, model_config, config, seed_list, report, should_stop, processes, nice
        )
        if should_stop is not None and should_stop():
            return None
        results.append(result)
    ra, rb = results
    (dev_a, seeds_a), (dev_b, seeds_b) = dev_losses(ra), dev_losses(rb)
    for preset, dev in ((a, dev_a), (b, dev_b)):
        if not dev:
            raise ConfigError(
                f"Every seed of {preset.name!r} diverged (its loss became NaN or infinite): "
                "there is no dev loss to compare."
            )
    comparison = compare_seeds(dev_a, dev_b, a.name, b.name, seeds_a, seeds_b)
    return PresetComparison(comparison, ra, rb, a.name, b.name)
