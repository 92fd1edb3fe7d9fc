"""The figures Help → Guide quotes, computed from the data the learner has open (and the
current model), so the guide never states a number that is only true of another dataset.

On the lecture's names.txt the First model (the lecture's plain randn init) starts at a loss
near 19.5, not at ln 27 = 3.3; on another dataset or seed it starts elsewhere. Which letters
stand apart in a 2-number embedding depends on the data and the seed too, so the guide reads
them off the current model when it has such an embedding, instead of promising a letter.

Needs torch (a model's loss and a few sampled names): call it once torch has loaded.
"""

from __future__ import annotations

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


def guide_facts(
    dataset: Dataset, model: object = None, vocab: Vocabulary | None = None
) -> GuideFacts:
    """The guide's figures for `dataset` (and the current model: an MLP with its vocab)."""
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
