"""The figures Help → Guide quotes, computed from the data the learner has open (and the
current model), so the guide never states a number that is only true of another dataset.

On the lecture's names.txt the First model (the lecture's plain randn init) starts at a loss
near 19.5, not at ln 27 = 3.3; on another dataset or seed it starts elsewhere. Which letters
stand apart in a 2-number embedding depends on the data and the seed too, so the guide reads
them off the current model when it has such an embedding, instead of promising a letter.

Needs torch (a model's loss and a few sampled names): call it once torch has loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from charnames_gui.core.bigram import bigram_dev_loss, uniform_loss
from charnames_gui.core.config import DEFAULT_SAMPLE_SEED
from charnames_gui.core.data import Dataset
from charnames_gui.core.presets import preset_by_name
from charnames_gui.core.vocabulary import Vocabulary

# sha256 of the words of the lecture's names.txt (Dataset.content_hash), to say when the open
# dataset is it (tests/core/test_guide_facts.py checks it against ../shared/data/names.txt)
LECTURE_NAMES_HASH = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"
# "How far can one loss be trusted?" (the lecture at 1:10:43): K seeds of one shape, trained
# briefly while the guide opens (~0.5 s: stacked, core/stacked_training.py)
TRUST_PRESET = "Larger embedding"
TRUST_SEEDS = 4
TRUST_STEPS = 1500
UNTRAINED_NAMES = 3  # names sampled from the First model's initial weights
SHOWN_LENGTH = 12  # characters of such a name shown (they rarely end)


@dataclass(frozen=True)
class GuideFacts:
    dataset_name: str
    words: int
    vocab_size: int
    is_lecture_file: bool  # the open dataset is the lecture's names.txt (by content)
    split_examples: tuple[int, int, int]  # train, dev, test examples at block size 3
    uniform: float  # ln(vocab_size): the loss of guessing uniformly
    bigram_dev: float  # the bigram model's dev loss (makemore part 1)
    first_loss: float  # the First model's dev loss at step 0 (the lecture's init)
    improved_first_loss: float  # the same with the scaled init of makemore part 3
    untrained_names: tuple[str, ...]  # sampled from the First model at step 0
    embedding: str = ""  # what the current model's 2-number embedding shows ("" if none)
    trust: TrustFacts | None = None  # K seeds trained here (None: not computed)


@dataclass(frozen=True)
class TrustFacts:
    """K seeds of TRUST_PRESET's shape trained TRUST_STEPS steps on the open dataset: how
    far the dev loss moves with the seed, against its standard error over the dev names."""

    preset: str
    steps: int
    seeds: tuple[int, ...]
    dev: tuple[float, ...]  # each seed's dev loss
    se: float  # the first seed's dev loss: its standard error, clustered by name
    naive_se: float  # ... and what treating the examples as independent would claim
    dev_names: int
    dev_examples: int

    @property
    def mean(self) -> float:
        return float(np.mean(self.dev))

    @property
    def sd(self) -> float:
        return float(np.std(self.dev, ddof=1)) if len(self.dev) > 1 else float("nan")


def trust_facts(
    dataset: Dataset, should_stop: Callable[[], bool] | None = None
) -> TrustFacts | None:
    """TRUST_SEEDS seeds of TRUST_PRESET, TRUST_STEPS steps each, trained together; None
    when should_stop() said so first."""
    from charnames_gui.core.stacked_training import StackedTrainer
    from charnames_gui.core.stats import repeat_seeds
    from charnames_gui.core.uncertainty import name_sizes

    preset = preset_by_name(TRUST_PRESET)
    config = preset.train.replace(steps=TRUST_STEPS)  # (its decay comes later: none here)
    seeds = repeat_seeds(config.seed, TRUST_SEEDS)
    model_config = preset.model_config(dataset.vocab.size)
    sizes = name_sizes(dataset.split.dev)
    with StackedTrainer(model_config, dataset.examples(model_config.block_size), config,
                        seeds) as trainer:  # fmt: skip
        while not trainer.done:
            if should_stop is not None and should_stop():
                return None
            trainer.run(config.steps, should_stop, time_budget=0.1)
        estimates = trainer.estimates("dev", sizes)
    first = estimates[0]
    return TrustFacts(
        preset=preset.name, steps=config.steps, seeds=tuple(seeds),
        dev=tuple(e.loss for e in estimates), se=first.se, naive_se=first.naive_se,
        dev_names=first.names, dev_examples=first.examples,
    )  # fmt: skip


def guide_facts(
    dataset: Dataset,
    model: object = None,
    vocab: Vocabulary | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> GuideFacts:
    """The guide's figures for `dataset` (and the current model: an MLP with its vocab).
    should_stop: the seeds' training ends early (no trust figures) when it says so."""
    from charnames_gui.core.model import MLP
    from charnames_gui.core.sampling import Sampler

    examples = dataset.examples(3)
    X, Y = examples.tensors["dev"]
    first = preset_by_name("First model")
    improved = preset_by_name("Improved initialisation")
    first_config = first.model_config(dataset.vocab.size)
    untrained = MLP.init(first_config, first.train.init, first.train.seed)
    improved_model = MLP.init(
        improved.model_config(dataset.vocab.size), improved.train.init, improved.train.seed
    )
    shown = _first_characters(Sampler.from_model(untrained, dataset.vocab))
    return GuideFacts(
        dataset_name=dataset.name,
        words=len(dataset.words),
        vocab_size=dataset.vocab.size,
        is_lecture_file=dataset.content_hash() == LECTURE_NAMES_HASH,
        split_examples=tuple(len(examples.Y(s)) for s in ("train", "dev", "test")),  # type: ignore[arg-type]
        uniform=uniform_loss(dataset.vocab.size),
        bigram_dev=bigram_dev_loss(dataset),
        first_loss=untrained.loss(X, Y),
        improved_first_loss=improved_model.loss(X, Y),
        untrained_names=shown,
        embedding=embedding_note(model, vocab),
        trust=trust_facts(dataset, should_stop) if len(dataset.split.dev) > 1 else None,
    )


def _first_characters(sampler: Any) -> tuple[str, ...]:
    """The first SHOWN_LENGTH characters of the names the sampling cell draws (seed
    2147483647 + 10), '...' where a name goes on: an untrained model rarely ends one."""
    names = sampler.sample_names(UNTRAINED_NAMES, DEFAULT_SAMPLE_SEED)
    return tuple(n if len(n) <= SHOWN_LENGTH else n[:SHOWN_LENGTH] + "..." for n in names)


def embedding_note(model: object, vocab: Vocabulary | None) -> str:
    """What the current model's embedding shows, when it has 2 numbers per character: the
    character farthest from the others and each vowel's nearest neighbour."""
    from charnames_gui.core.model import MLP

    if not isinstance(model, MLP) or vocab is None or model.config.n_embd != 2:
        return ""
    C = model.params["C"].detach().numpy().astype(np.float64)  # (vocab_size, 2)
    letters = list(range(1, vocab.size))  # the boundary token aside
    if len(letters) < 3:
        return ""
    centre = C[letters].mean(0)
    spread = np.linalg.norm(C[letters] - centre, axis=1)
    apart = vocab.itos[letters[int(np.argmax(spread))]]
    distances = np.linalg.norm(C[:, None, :] - C[None, :, :], axis=2)  # (V, V)
    np.fill_diagonal(distances, np.inf)
    pairs = []
    for ch in "aeiou":
        if ch in vocab.stoi:
            j = int(np.argmin(distances[vocab.stoi[ch], 1:])) + 1
            pairs.append(f"{ch}: {vocab.itos[j]}")
    near = f"; the nearest neighbour of each vowel is {', '.join(pairs)}" if pairs else ""
    return f"In the current model, '{apart}' sits farthest from the other characters{near}."
