"""core.snapshots and the trainer's replay frames: the schedule, the bounds, and frames equal
to a model trained to their step."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest

from charnames_gui.core.config import PARAMETER_NAMES, ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.snapshots import (
    MAX_FRAMES,
    PLANNED_FRAMES,
    REPLAY_BUDGET_BYTES,
    Frame,
    ReplayPolicy,
    SnapshotStore,
    is_scheduled,
    next_scheduled,
    policy_for,
    sample_names,
    scheduled_steps,
)
from charnames_gui.core.training import Trainer

FINAL = ModelConfig(3, 10, 200, 27)  # the lecture's final run


def test_the_schedule_is_dense_early_and_logarithmic_later() -> None:
    steps = scheduled_steps(200_000)
    assert steps[:12] == list(range(10)) + [10, 11]
    assert {1_000, 5_000, 100_000, 200_000} <= set(steps)  # round steps a teacher asks for
    assert len(steps) == 161
    # 35 frames in every decade: the gaps grow with the step, never by more than 10% of it
    for decade in (10, 100, 1_000, 10_000):
        assert len([s for s in steps if decade <= s < 10 * decade]) == 35
    assert all(b - a <= max(1, 0.1 * a) for a, b in itertools.pairwise(steps[1:]))
    assert len(scheduled_steps(100_000_000)) == 256  # the longest run allowed
    assert all(is_scheduled(s) for s in steps)
    assert not is_scheduled(21) and not is_scheduled(999) and not is_scheduled(-1)
    assert next_scheduled(95) == 100 and next_scheduled(9) == 10 and next_scheduled(0) == 1


def test_the_policy_keeps_the_whole_lecture_model_in_float32_and_less_of_big_ones() -> None:
    assert policy_for(FINAL) == ReplayPolicy(PARAMETER_NAMES, "float32")
    assert policy_for(ModelConfig(3, 10, 500, 27)).dtype == "float16"
    big = ModelConfig(16, 256, 4096, 200)
    assert policy_for(big).params == ("C",)
    for config in (FINAL, ModelConfig(3, 10, 500, 27), ModelConfig(8, 64, 1000, 100), big):
        store = SnapshotStore.for_model(config)
        # capacity * frame size is within the budget, whatever the model
        assert store.capacity * store.policy.frame_bytes(config) <= REPLAY_BUDGET_BYTES or (
            store.capacity == 2
        )
        assert store.capacity <= MAX_FRAMES
    assert SnapshotStore.for_model(FINAL).capacity >= PLANNED_FRAMES


def test_a_batchnorm_model_keeps_only_c_and_says_why() -> None:
    # the replay's bars, names and hidden layer are the forward without BatchNorm: they
    # would show another model than the one trained
    config = dataclasses.replace(FINAL, batchnorm=True)
    store = SnapshotStore.for_model(config)
    assert store.policy == ReplayPolicy(("C",), "float32") and not store.policy.complete
    assert "BatchNorm" in store.only_c_reason()
    assert "too large" in SnapshotStore.for_model(ModelConfig(16, 256, 4096, 200)).only_c_reason()


def _frame(step: int, config: ModelConfig = FINAL) -> Frame:
    weights = MLP.init(config, seed=step).snapshot()
    return Frame(step, weights, 1.0, 0.1)


def test_a_full_store_thins_the_closest_frames_and_stays_within_its_budget() -> None:
    config = ModelConfig(3, 10, 200, 27)
    policy = ReplayPolicy(PARAMETER_NAMES, "float32")
    per_frame = policy.frame_bytes(config)
    store = SnapshotStore(config, policy, np.zeros((0, 3), np.int64), budget=40 * per_frame)
    assert store.capacity == 40
    weights = MLP.init(config).snapshot()
    for step in scheduled_steps(10_000_000):  # 221 scheduled steps into 40 places
        store.add(Frame(step, weights, 1.0, 0.1))
    assert len(store) == 40 and store.nbytes <= 40 * per_frame + store.probe.nbytes
    steps = store.steps
    assert steps[0] == 0 and steps[-1] == 10_000_000  # the first and last stay
    gaps = np.diff(np.log1p(steps))
    assert gaps.max() < 4 * np.median(gaps)  # still roughly even in log(step)


def test_a_frame_before_the_last_drops_the_later_ones() -> None:
    store = SnapshotStore.for_model(FINAL)
    for step in (0, 1, 2, 3, 10):
        store.add(_frame(step))
    store.add(_frame(2))  # the model went back to step 2 (a lost training process)
    assert store.steps == [0, 1, 2]
    assert store.index_at(1_000) == 2 and store.index_at(1) == 1
    with pytest.raises(ValueError, match="keep"):
        store.add(Frame(5, {"C": np.zeros((27, 10), np.float32)}, 1.0, 0.1))


def test_names_are_the_same_for_the_same_weights_and_sampled_from_them() -> None:
    weights = MLP.init(FINAL, "scaled", seed=1).snapshot()
    names = sample_names(weights, 3)
    assert names == sample_names(weights, 3) and len(names) == 5
    assert all(0 < c < 27 for name in names for c in name)
    # a model that always says 'c' (index 3) then the boundary
    sure = {k: np.zeros_like(v) for k, v in weights.items()}
    sure["b2"][3] = 50.0
    assert sample_names(sure, 3, max_chars=4) == ((3, 3, 3, 3),) * 5


@pytest.fixture
def dataset(small_words: list[str]) -> Dataset:
    return Dataset(small_words)


def _trainer(dataset: Dataset, steps: int, engine: str = "fast") -> Trainer:
    config = TrainConfig(batch_size=16, steps=steps, lr=0.1, lr_decay_at=150, seed=5,
                         engine=engine)  # fmt: skip
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size), config.init, config.seed)
    return Trainer(model, dataset.examples(3), config)


@pytest.mark.parametrize("engine", ["fast", "autograd"])
def test_a_frame_holds_the_weights_of_a_model_trained_to_its_step(
    dataset: Dataset, engine: str
) -> None:
    trainer = _trainer(dataset, 237, engine)
    while not trainer.done:
        trainer.run(17)  # chunks that do not fall on the schedule
    assert trainer.replay.steps == scheduled_steps(237) + [237]  # and the run's last step
    for step in (0, 1, 9, 100, 150, 237):
        frame = trainer.replay.frames[trainer.replay.index_at(step)]
        again = _trainer(dataset, max(step, 1), engine)
        again.run(step)
        assert frame.step == step
        for name in PARAMETER_NAMES:  # the same arithmetic in the same order: equal bits
            np.testing.assert_array_equal(frame.weights[name], again.model.snapshot()[name])
        assert trainer.replay.names_of(frame) == sample_names(again.model.snapshot(), 3)


def test_frame_losses_are_the_mean_minibatch_loss_since_the_frame_before(
    dataset: Dataset,
) -> None:
    trainer = _trainer(dataset, 300)
    losses = np.concatenate([trainer.run(7) for _ in range(43)])  # (300,)
    frames = trainer.replay.frames
    assert math.isnan(frames[0].loss) and math.isnan(frames[0].lr)
    for before, frame in itertools.pairwise(frames):
        expected = losses[before.step : frame.step].astype(np.float64).mean()
        assert frame.loss == pytest.approx(expected, rel=1e-12)
        assert frame.lr == trainer.config.lr_at(frame.step - 1)


def test_step_once_takes_the_frames_of_its_steps(dataset: Dataset) -> None:
    trainer = _trainer(dataset, 12)
    for _ in range(12):
        trainer.step_once()
    assert trainer.replay.steps == list(range(11)) + [11, 12]


def test_a_200k_step_run_of_the_final_preset_stays_under_20_mb() -> None:
    """What the schedule gives for the lecture's run, frames as the trainer makes them."""
    store = SnapshotStore.for_model(FINAL, probe=np.zeros((500, 3), np.int64))
    weights = MLP.init(FINAL).snapshot()
    for step in scheduled_steps(200_000):
        store.add(Frame(step, {k: v.copy() for k, v in weights.items()}, 2.0, 0.1))
    assert len(store) == 161
    assert store.nbytes < 20 * 1024 * 1024
    assert store.nbytes == 161 * FINAL_BYTES + 500 * 3 * 8


FINAL_BYTES = 11_897 * 4
