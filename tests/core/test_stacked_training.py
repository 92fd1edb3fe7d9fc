"""core.stacked_training: K seeds trained together equal their single runs, bit for bit."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from charnames_gui.core.config import PARAMETER_NAMES, ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.model import MLP
from charnames_gui.core.stacked_training import StackedTrainer, split_groups, stack_refusal
from charnames_gui.core.training import Trainer


def single_run(
    dataset: Dataset, model_config: ModelConfig, config: TrainConfig
) -> tuple[np.ndarray, Trainer]:
    """The run `charnames train` makes: MLP.init with the seed, then Trainer.run."""
    model = MLP.init(model_config, config.init, config.seed)
    trainer = Trainer(model, dataset.examples(model_config.block_size), config)
    return trainer.run(config.steps), trainer


CASES = [
    # (block, embd, hidden), TrainConfig changes
    ((3, 10, 200), {"steps": 300, "lr": 0.1, "lr_decay_at": 150, "lr_after": 0.01}),
    ((2, 5, 16), {"steps": 200, "init": "scaled", "schedule": "cosine", "lr": 0.5}),
    ((4, 3, 9), {"steps": 120, "batch_size": 1, "schedule": "constant", "lr": 0.05}),
    # beyond the fast engine's one-hot limit: dC by the float64 scatter-add, per copy
    ((3, 4, 8), {"steps": 2, "batch_size": 6000, "lr": 0.1}),
]


@pytest.mark.parametrize(("shape", "changes"), CASES)
@pytest.mark.parametrize("threads", [1, 2])
def test_every_copy_equals_its_single_run(
    small_words: list[str], shape: tuple[int, int, int], changes: dict, threads: int
) -> None:
    dataset = Dataset(small_words)
    model_config = ModelConfig(*shape, vocab_size=dataset.vocab.size)
    config = TrainConfig(**changes)
    seeds = [7, 123456, 2147483647]
    examples = dataset.examples(model_config.block_size)
    with StackedTrainer(model_config, examples, config, seeds, threads=threads) as stacked:
        assert stacked.threads == min(threads, len(seeds))
        losses = np.concatenate([stacked.run(50), stacked.run(config.steps)])
        assert stacked.done and losses.shape == (config.steps, len(seeds))
        for k, seed in enumerate(seeds):
            single_losses, trainer = single_run(dataset, model_config, config.replace(seed=seed))
            assert np.array_equal(losses[:, k], single_losses), f"losses of seed {seed}"
            weights = stacked.weights(k)
            for name in PARAMETER_NAMES:
                assert np.array_equal(weights[name], trainer.model.params[name].numpy()), name
        dev = stacked.evaluate("dev")
        assert dev[-1] == trainer.evaluate("dev")


def test_groups_in_training_processes_equal_their_single_runs(small_words: list[str]) -> None:
    """Two groups, each in a training child of its own, at a lower priority (as the
    window asks): still each seed's single run."""
    dataset = Dataset(small_words)
    model_config = ModelConfig(3, 6, 20, vocab_size=dataset.vocab.size)
    config = TrainConfig(steps=400, lr=0.3, schedule="cosine", init="scaled")
    seeds = [5, 6, 7]
    with StackedTrainer(model_config, dataset.examples(3), config, seeds, processes=2,
                        nice=3) as stacked:  # fmt: skip
        assert stacked.processes == 2 and stacked.in_processes
        losses = np.concatenate([stacked.run(1), stacked.run(config.steps)])
        pids = [r.process.pid for r in stacked._remote]
        assert all(pids) and len(set(pids)) == 2
        own = os.getpriority(os.PRIO_PROCESS, 0)
        assert all(os.getpriority(os.PRIO_PROCESS, pid) >= min(own + 3, 19) for pid in pids)
        allowed = sorted(os.sched_getaffinity(0))
        if len(allowed) >= 2:  # each child on a core of its own (stacked_training.pin_children)
            assert [os.sched_getaffinity(pid) for pid in pids] == [{allowed[0]}, {allowed[1]}]
        assert losses.shape == (config.steps, 3) and stacked.done
        for k, seed in enumerate(seeds):
            single_losses, trainer = single_run(dataset, model_config, config.replace(seed=seed))
            assert np.array_equal(losses[:, k], single_losses), f"losses of seed {seed}"
            weights = stacked.weights(k)
            for name in PARAMETER_NAMES:
                assert np.array_equal(weights[name], trainer.model.params[name].numpy()), name
    assert all(r.process.pid is None for r in stacked._remote)  # close() ended the children


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # the step that diverges
def test_a_diverging_copy_is_frozen_and_the_others_go_on(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    model_config = ModelConfig(3, 4, 16, vocab_size=dataset.vocab.size)
    config = TrainConfig(steps=40, lr=0.1, schedule="constant")
    examples = dataset.examples(3)
    with StackedTrainer(model_config, examples, config, [1, 2, 3], threads=2) as stacked:
        g, j = stacked._group_of[1]
        stacked._groups[g].engine._flat[j, 0] = np.inf  # C[0, 0]: the boundary token's
        before = stacked.weights(1)
        losses = stacked.run(40)
        assert stacked.diverged[1] is not None and stacked.diverged[1][0] == 1
        assert np.isnan(losses[:, 1]).all()
        for name in PARAMETER_NAMES:  # frozen where its loss stopped being finite
            assert np.array_equal(stacked.weights(1)[name], before[name], equal_nan=True)
        for k in (0, 2):  # the others are their single runs still
            single_losses, trainer = single_run(dataset, model_config, config.replace(seed=k + 1))
            assert stacked.diverged[k] is None
            assert np.array_equal(losses[:, k], single_losses)
            for name in PARAMETER_NAMES:
                assert np.array_equal(stacked.weights(k)[name], trainer.model.params[name].numpy())


def test_stack_refusal_names_what_it_cannot_do() -> None:
    assert stack_refusal(ModelConfig(), TrainConfig()) == ""
    assert "autograd" in stack_refusal(ModelConfig(), TrainConfig(engine="autograd"))

    @dataclasses.dataclass(frozen=True)
    class WithDecay(TrainConfig):  # what another setting (weight decay) would look like
        weight_decay: float = 0.0

    assert stack_refusal(ModelConfig(), WithDecay()) == ""  # at its default: the same run
    assert "weight decay" in stack_refusal(ModelConfig(), WithDecay(weight_decay=0.1))
    with pytest.raises(ConfigError, match="weight decay"):
        StackedTrainer(ModelConfig(), None, WithDecay(weight_decay=0.1), [1])


def test_seeds_must_differ(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    with pytest.raises(ConfigError, match="differ"):
        StackedTrainer(
            ModelConfig(vocab_size=dataset.vocab.size), dataset.examples(3), TrainConfig(), [1, 1]
        )


def test_split_groups_is_balanced() -> None:
    assert split_groups(8, 2) == [range(0, 4), range(4, 8)]
    assert [len(g) for g in split_groups(5, 2)] == [2, 3] or [
        len(g) for g in split_groups(5, 2)
    ] == [3, 2]
    assert split_groups(1, 4) == [range(0, 1)]
