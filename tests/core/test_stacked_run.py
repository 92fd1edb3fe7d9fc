"""core.stacked_run: K seeds driven like one run; each seed's losses are its single run's."""

from __future__ import annotations

import numpy as np
import torch

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.events import EvalPoint, LossChunk, Snapshot
from charnames_gui.core.model import MLP
from charnames_gui.core.stacked_run import RepeatTrainer
from charnames_gui.core.training import Trainer
from charnames_gui.core.uncertainty import loss_with_error, name_sizes


def test_a_paused_and_resumed_repeat_is_every_seeds_single_run(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    model_config = ModelConfig(3, 5, 24, vocab_size=dataset.vocab.size)
    config = TrainConfig(steps=300, lr=0.2, lr_decay_at=200, lr_after=0.02, seed=11)
    seeds = [11, 4, 99]
    examples = dataset.examples(3)
    model = MLP.init(model_config, config.init, config.seed)
    sizes = {s: name_sizes(getattr(dataset.split, s)) for s in ("train", "dev")}
    trainer = RepeatTrainer(model, examples, config, seeds, sizes)
    subset = examples.tensors["train"]
    calls = 0

    def pause_soon() -> bool:  # a pause after a few chunks, as the worker's flag would
        nonlocal calls
        calls += 1
        return calls > 3

    first = list(trainer.stream(100, subset, pause_soon, chunk_seconds=1e-4))
    assert 0 < trainer.step < config.steps and not trainer.done
    rest = list(trainer.stream(100, subset, lambda: False))
    assert trainer.done and trainer.step == config.steps
    chunks = [e for e in first + rest if isinstance(e, LossChunk)]
    band = np.concatenate([c.band for c in chunks if c.band is not None])
    lead = np.concatenate([c.losses for c in chunks])
    assert band.shape == (config.steps, 3) and chunks[0].start_step == 1
    assert np.array_equal(lead, band[:, 0])  # the learner's seed is copy 0
    assert [e.step for e in first + rest if isinstance(e, EvalPoint)] == [100, 200, 300]
    assert isinstance((first + rest)[-1], Snapshot)
    trainer.evaluate("train")
    dev = trainer.evaluate("dev")
    for k, seed in enumerate(seeds):
        single = Trainer(MLP.init(model_config, config.init, seed), examples,
                         config.replace(seed=seed))  # fmt: skip
        assert np.array_equal(band[:, k], single.run(config.steps)), f"seed {seed}"
        runs = trainer.seed_runs()
        expected = loss_with_error(single.model, *examples.tensors["dev"], dataset.split.dev)
        assert runs[k].dev is not None and runs[k].dev.loss == expected.loss
        assert runs[k].dev.se == expected.se and runs[k].steps == config.steps
        if k == 0:  # the current model is the learner's copy, with its weights
            assert dev == expected.loss
            for name, value in single.model.params.items():
                assert torch.equal(model.params[name], value)
