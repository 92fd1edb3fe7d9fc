"""core.guide_facts and the guide's text: every figure Help → Guide quotes is computed from
the open dataset, or is checked here against the data it is about."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.bigram import bigram_dev_loss
from charnames_gui.core.config import DEFAULT_SAMPLE_SEED, ModelConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.guide_facts import LECTURE_NAMES_HASH, embedding_note, guide_facts
from charnames_gui.core.model import MLP
from charnames_gui.core.presets import preset_by_name
from charnames_gui.core.sampling import Sampler
from charnames_gui.guide_text import LECTURE_SPLIT, guide_markdown


def test_the_facts_are_the_open_datasets(small_words: list[str]) -> None:
    dataset = Dataset(small_words, name="small.txt")
    facts = guide_facts(dataset)
    X, Y = dataset.examples(3).tensors["dev"]
    first = preset_by_name("First model")
    untrained = MLP.init(first.model_config(dataset.vocab.size), "lecture", first.train.seed)
    assert facts.first_loss == untrained.loss(X, Y)
    assert facts.bigram_dev == bigram_dev_loss(dataset)
    assert facts.split_examples == tuple(
        len(dataset.examples(3).Y(s)) for s in ("train", "dev", "test")
    )
    assert not facts.is_lecture_file and facts.vocab_size == dataset.vocab.size
    # the untrained names: the first characters of the sampling cell's names
    names = Sampler.from_model(untrained, dataset.vocab).sample_names(3, DEFAULT_SAMPLE_SEED)
    for shown, name in zip(facts.untrained_names, names, strict=True):
        assert name.startswith(shown.removesuffix("..."))
    text = guide_markdown(facts)
    assert f"about {facts.first_loss:.1f}" in text and "small.txt" in text
    assert f"{facts.bigram_dev:.2f} on small.txt" in text
    assert "Open dataset (Ctrl+Shift+O)" in text  # how to open the lecture's names.txt
    assert "Find a learning rate (Ctrl+L)" in text
    assert "falls fast from about 3.3" not in text and "random letters." not in text


def test_the_embedding_note_reads_the_current_model(small_words: list[str]) -> None:
    dataset = Dataset(small_words)
    vocab = dataset.vocab
    model = MLP.init(ModelConfig(3, 2, 20, vocab.size), seed=3)
    C = model.params["C"].numpy().astype(np.float64)
    far = int(np.argmax(np.linalg.norm(C[1:] - C[1:].mean(0), axis=1))) + 1
    note = embedding_note(model, vocab)
    assert f"'{vocab.itos[far]}' sits farthest" in note
    d = np.linalg.norm(C - C[vocab.stoi["a"]], axis=1)
    d[vocab.stoi["a"]] = np.inf
    assert f"a: {vocab.itos[int(np.argmin(d[1:])) + 1]}" in note
    assert embedding_note(MLP.init(ModelConfig(3, 10, 20, vocab.size)), vocab) == ""


def test_the_bundled_dataset_is_not_the_lectures_and_the_guide_says_so() -> None:
    facts = guide_facts(Dataset.from_file(bundled_dataset_path()))
    assert not facts.is_lecture_file
    text = guide_markdown(facts)
    assert "us_first_names_2013_2015.txt" in text and "not the lecture's names.txt" in text
    # the untrained First model repeats one character ("jjjj...", not random)
    assert all(len(set(n.removesuffix("..."))) <= 3 for n in facts.untrained_names)


@pytest.mark.slow
def test_the_lecture_figures_the_guide_quotes(shared_names: Path) -> None:
    """names.txt: its hash, the First model's start near 19.5, the app's split, and the
    notebook's split as its cell run four times in one kernel."""
    dataset = Dataset.from_file(shared_names)
    assert dataset.content_hash() == LECTURE_NAMES_HASH
    facts = guide_facts(dataset)
    assert facts.is_lecture_file and f"{facts.first_loss:.1f}" == "19.5"
    shown = " / ".join(f"{n:,}" for n in facts.split_examples)
    assert shown == LECTURE_SPLIT == "182,625 / 22,655 / 22,866"

    def notebook_split(runs: int) -> str:
        words = shared_names.read_text().splitlines()
        for _ in range(runs):  # the split cell: random.seed(42); random.shuffle(words)
            random.seed(42)
            random.shuffle(words)
        n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
        parts = (words[:n1], words[n1:n2], words[n2:])
        return " / ".join(f"{sum(len(w) + 1 for w in p):,}" for p in parts)

    assert notebook_split(1) == LECTURE_SPLIT
    assert notebook_split(4) == "182,441 / 22,902 / 22,803"
    assert "182,441 / 22,902 / 22,803" in guide_markdown(facts)


def test_the_trust_figures_are_the_seeds_single_runs(small_words: list[str]) -> None:
    """Help > Guide at 1:10:43: each figure is what the K single runs give on the open data."""
    from charnames_gui.core.guide_facts import TRUST_PRESET, TRUST_STEPS, trust_facts
    from charnames_gui.core.training import Trainer
    from charnames_gui.core.uncertainty import loss_with_error

    dataset = Dataset(small_words, name="small.txt")
    facts = guide_facts(dataset)
    t = facts.trust
    assert t is not None and t.preset == TRUST_PRESET and t.steps == TRUST_STEPS
    preset = preset_by_name(TRUST_PRESET)
    config = preset.train.replace(steps=TRUST_STEPS)
    examples = dataset.examples(3)
    for seed, dev in zip(t.seeds, t.dev, strict=True):
        model = MLP.init(preset.model_config(dataset.vocab.size), config.init, seed)
        Trainer(model, examples, config.replace(seed=seed)).run(config.steps)
        estimate = loss_with_error(model, *examples.tensors["dev"], dataset.split.dev)
        assert dev == estimate.loss
        if seed == t.seeds[0]:
            assert (t.se, t.naive_se) == (estimate.se, estimate.naive_se)
            assert (t.dev_names, t.dev_examples) == (len(dataset.split.dev), len(examples.Y("dev")))
    text = guide_markdown(facts)
    assert "How far can one loss be trusted? (1:10:43)" in text
    assert f"{t.dev[0]:.4f} ± {t.se:.3f}" in text and f"{t.mean:.3f} ± {t.sd:.3f}" in text
    assert f"{t.sd / t.se:.1f} times" in text and f"{2 * t.sd:.3f}" in text
    assert trust_facts(dataset, should_stop=lambda: True) is None  # the dialog closed
