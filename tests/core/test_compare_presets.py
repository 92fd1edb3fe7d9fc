"""core.compare_presets: two presets trained with the same seeds, compared paired by seed."""

from __future__ import annotations

import time

import numpy as np
import pytest

from charnames_gui.core.compare import compare_seeds
from charnames_gui.core.compare_presets import PresetProgress, compare_presets, preset_training
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.model import MLP
from charnames_gui.core.presets import preset_by_name
from charnames_gui.core.runs import recorded_status
from charnames_gui.core.stats import repeat_seeds
from charnames_gui.core.training import Trainer
from charnames_gui.core.uncertainty import loss_with_error

STEPS = 30


def test_each_side_is_its_seeds_single_runs_paired_by_seed(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    a, b = preset_by_name("First model"), preset_by_name("Larger hidden layer")
    seen: list[PresetProgress] = []
    began = time.perf_counter()
    result = compare_presets(dataset, a, b, 3, steps=STEPS, progress=seen.append, processes=1)
    wall = time.perf_counter() - began
    assert result is not None
    assert result.a.seconds > 0 and result.b.seconds > 0  # each side's training time
    assert result.a.seconds + result.b.seconds <= wall
    c = result.comparison
    assert c.method.startswith("paired t") and c.n_a == c.n_b == 3
    assert (c.name_a, c.name_b) == ("First model", "Larger hidden layer")
    seeds = repeat_seeds(a.train.seed, 3)
    assert [r.seed for r in result.a.seeds] == [r.seed for r in result.b.seeds] == seeds
    # B's last seed is its single run with that seed, bit for bit
    config = preset_training(b, STEPS).replace(seed=seeds[-1])
    model_config = b.model_config(dataset.vocab.size)
    examples = dataset.examples(model_config.block_size)
    single = Trainer(MLP.init(model_config, config.init, config.seed), examples, config)
    single.run(STEPS)
    dev = loss_with_error(single.model, *examples.tensors["dev"], dataset.split.dev)
    assert result.b.seeds[-1].dev.loss == dev.loss
    # the comparison is compare_seeds of the two sides' dev losses
    again = compare_seeds(
        [r.dev.loss for r in result.a.seeds], [r.dev.loss for r in result.b.seeds],
        seeds_a=seeds, seeds_b=seeds,
    )  # fmt: skip
    assert (c.difference, c.low, c.high) == (again.difference, again.low, again.high)
    # progress goes through A and then B, and ends at the whole
    assert seen[0].side == 0 and seen[-1].side == 1 and seen[-1].fraction == 1.0
    assert all(np.diff([p.fraction for p in seen]) >= 0)
    assert "Training B (Larger hidden layer)" in seen[-1].text()
    # each seed becomes a history row of its repeat, with its curve
    records = result.b.records(dataset, "g1")
    assert [r.train.seed for r in records] == seeds and records[0].group_size == 3
    assert records[-1].dev_loss == dev.loss
    # 30 steps of the lecture's init end above ln V: recorded as the app records such a run
    last = records[-1]
    assert last.status == recorded_status(
        "finished", last.train_loss, last.dev_loss, dataset.vocab.size
    )
    assert len(records[0].curve_steps) == STEPS == records[0].steps_done


def test_a_stopped_comparison_has_no_answer(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    a, b = preset_by_name("First model"), preset_by_name("Larger embedding")
    assert (
        compare_presets(dataset, a, b, 2, steps=STEPS, should_stop=lambda: True, processes=1)
        is None
    )


def test_requests_that_cannot_be_answered_say_why(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    a = preset_by_name("First model")
    with pytest.raises(ConfigError, match="two different presets"):
        compare_presets(dataset, a, a, 3, steps=STEPS)
    with pytest.raises(ConfigError, match="between 2 and"):
        compare_presets(dataset, a, preset_by_name("Final run"), 1, steps=STEPS)


def test_a_shortened_preset_keeps_its_decay_inside_the_run() -> None:
    final = preset_by_name("Final run")
    assert preset_training(final).steps == 200_000
    short = preset_training(final, 1000, seed=7)
    assert (short.steps, short.lr_decay_at, short.seed) == (1000, 500, 7)
