"""core.sampling: the lecture's sampling loop, single steps, temperature and scoring."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from float_error import assert_close_to_exact, forward_bounds, loss_bounds
from small_data import lecture_sample

from charnames_gui.core.config import DEFAULT_SAMPLE_SEED, MAX_NAME_LENGTH, ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset, Vocabulary
from charnames_gui.core.errors import ConfigError, DatasetError
from charnames_gui.core.examples import build_examples
from charnames_gui.core.model import MLP
from charnames_gui.core.sampling import Sampler, SampleState, make_generator
from charnames_gui.core.training import Trainer


@pytest.fixture(scope="module")
def trained() -> tuple[MLP, Vocabulary]:
    """A model trained a few hundred steps on the small names, with the autograd engine."""
    from small_data import SMALL_WORDS

    dataset = Dataset(list(SMALL_WORDS))
    model = MLP.init(ModelConfig(3, 5, 32, dataset.vocab.size), "scaled", seed=7)
    config = TrainConfig(batch_size=32, steps=300, lr=0.2, schedule="constant", engine="autograd")
    Trainer(model, dataset.examples(3), config).run(300)
    return model, dataset.vocab


@pytest.fixture
def sampler(trained: tuple[MLP, Vocabulary]) -> Sampler:
    model, vocab = trained
    return Sampler.from_model(model, vocab)


def lecture_names(model: MLP, vocab: Vocabulary, count: int, seed: int) -> list[str]:
    """The lecture's sampling cell on this model (names without the closing '.')."""
    return lecture_sample(model.snapshot(), model.config.block_size, vocab.itos, seed, count)


# -- whole names ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [DEFAULT_SAMPLE_SEED, 0, 12345])
def test_names_equal_the_lectures_loop(
    trained: tuple[MLP, Vocabulary], sampler: Sampler, seed: int
) -> None:
    model, vocab = trained
    expected = lecture_names(model, vocab, 20, seed)
    assert sampler.sample_names(20, seed) == expected


def test_default_seed_is_the_lectures() -> None:
    assert DEFAULT_SAMPLE_SEED == 2147483647 + 10
    assert torch.equal(make_generator().get_state(), make_generator(2147483657).get_state())


def test_sample_names_defaults(sampler: Sampler) -> None:
    names = sampler.sample_names()
    assert len(names) == 20
    assert names == sampler.sample_names(20, DEFAULT_SAMPLE_SEED)
    assert all("." not in name for name in names)
    assert set("".join(names)) <= set(sampler.vocab.itos[1:])


def test_the_trained_model_makes_plausible_names(sampler: Sampler) -> None:
    names = sampler.sample_names(50)
    assert 2 <= np.mean([len(n) for n in names]) <= 12


def test_temperature_changes_the_names_but_stays_seeded(sampler: Sampler) -> None:
    cold = sampler.sample_names(20, 1, temperature=0.3)
    assert cold == sampler.sample_names(20, 1, temperature=0.3)
    assert cold != sampler.sample_names(20, 1, temperature=1.0)


@pytest.mark.parametrize("count", [0, -1, 10**6])
def test_sample_names_rejects_bad_counts(sampler: Sampler, count: int) -> None:
    with pytest.raises(ConfigError, match="count"):
        sampler.sample_names(count)


def test_a_model_that_never_ends_a_name_is_cut_at_the_maximum_length(
    trained: tuple[MLP, Vocabulary],
) -> None:
    model, vocab = trained
    weights = model.snapshot()
    weights["W2"][:, 0] = 0.0
    weights["b2"][0] = -1000.0  # p('.') = 0: the boundary is never sampled
    stubborn = Sampler(model.config, weights, vocab)
    names = stubborn.sample_names(3)
    assert [len(name) for name in names] == [MAX_NAME_LENGTH] * 3
    assert len(stubborn.sample_name(make_generator(), max_length=7)) == 7


def test_an_untrained_model_still_samples(small_words: list[str]) -> None:
    vocab = Vocabulary.from_words(small_words)
    model = MLP.init(ModelConfig(3, 10, 200, vocab.size), "lecture")
    names = Sampler.from_model(model, vocab).sample_names(10)
    assert len(names) == 10
    assert all(len(name) <= MAX_NAME_LENGTH for name in names)


# -- the distribution -------------------------------------------------------------------------


def test_the_distribution_is_the_softmax_of_the_logits(
    trained: tuple[MLP, Vocabulary], sampler: Sampler
) -> None:
    model, vocab = trained
    context = [0, vocab.stoi["e"], vocab.stoi["m"]]
    for temperature in (1.0, 0.5, 2.0, 0.05, 10.0):
        probs = sampler.distribution(context, temperature)
        assert probs.shape == (vocab.size,) and probs.dtype == np.float64
        # float32 probabilities, each within rounding of the exact softmax (float_error.py);
        # the exact ones add up to 1, so these do within the sum of their bounds
        exact = forward_bounds(model.params, [context], temperature=temperature)
        assert_close_to_exact(probs, exact.probs[0], exact.probs_bound[0], f"T={temperature}")
        assert abs(probs.sum() - 1.0) <= exact.probs_bound.sum()
        assert (probs >= 0).all()
    cold, hot = sampler.distribution(context, 0.5), sampler.distribution(context, 2.0)
    assert cold.max() > sampler.distribution(context).max() > hot.max()
    assert cold.argmax() == hot.argmax()


@pytest.mark.parametrize("temperature", [0.0, -1.0, 0.01, 11.0, math.nan, math.inf, -math.inf])
def test_invalid_temperatures(sampler: Sampler, temperature: float) -> None:
    with pytest.raises(ConfigError, match="temperature"):
        sampler.distribution([0, 0, 0], temperature)
    with pytest.raises(ConfigError, match="temperature"):
        sampler.step(sampler.new_state(), make_generator(), temperature)
    with pytest.raises(ConfigError, match="temperature"):
        sampler.sample_names(2, temperature=temperature)


def test_a_context_of_the_wrong_length(sampler: Sampler) -> None:
    with pytest.raises(ConfigError, match="3 characters"):
        sampler.distribution([0, 0])


# -- single steps -----------------------------------------------------------------------------


def test_steps_reproduce_the_lectures_first_name(
    trained: tuple[MLP, Vocabulary], sampler: Sampler
) -> None:
    model, vocab = trained
    expected = lecture_names(model, vocab, 1, 99)[0]
    g = make_generator(99)
    state = sampler.new_state()
    assert state.context == [0, 0, 0] and not state.finished
    while not state.finished:
        before = state.context
        result = sampler.step(state, g)
        assert not result.forced
        np.testing.assert_array_equal(result.probs, sampler.distribution(before))  # same code
        assert state.probabilities[-1] == result.probs[result.index]
    assert vocab.decode(state.chosen) == expected + "."
    assert state.nll == pytest.approx(-sum(math.log(p) for p in state.probabilities))


def test_a_forced_step_does_not_advance_the_generator(sampler: Sampler) -> None:
    vocab = sampler.vocab
    g = make_generator(5)
    before = g.get_state()
    state = sampler.new_state()
    result = sampler.step(state, g, forced=vocab.stoi["e"])
    assert torch.equal(g.get_state(), before)
    assert result.forced and result.index == vocab.stoi["e"]
    assert state.chosen == [vocab.stoi["e"]]
    assert state.context == [0, 0, vocab.stoi["e"]]
    assert state.probabilities == [pytest.approx(sampler.distribution([0, 0, 0])[result.index])]
    sampler.step(state, None, forced=vocab.stoi["m"])  # no generator needed
    sampler.step(state, g)  # a sampled step draws
    assert not torch.equal(g.get_state(), before)


def test_forced_steps_then_sampling_continue_from_the_forced_context(sampler: Sampler) -> None:
    vocab = sampler.vocab
    state = sampler.new_state()
    for ch in "emm":
        sampler.step(state, forced=vocab.stoi[ch])
    assert state.context == vocab.encode("emm")
    g1, g2 = make_generator(3), make_generator(3)
    result = sampler.step(state, g1)
    expected = torch.multinomial(
        torch.tensor(sampler.distribution(vocab.encode("emm"))).unsqueeze(0).float(),
        1,
        generator=g2,
    ).item()
    assert result.index == expected


def test_undo_takes_back_the_last_character(sampler: Sampler) -> None:
    vocab = sampler.vocab
    state = sampler.new_state()
    for ch in "ava":
        sampler.step(state, forced=vocab.stoi[ch])
    g = make_generator(1)
    sampler.step(state, g)
    generator_state = g.get_state()
    state.undo()
    assert state.chosen == vocab.encode("ava")
    assert len(state.probabilities) == 3
    assert state.context == vocab.encode("ava")
    assert torch.equal(g.get_state(), generator_state)  # the generator is not rewound
    for _ in range(3):
        state.undo()
    assert state.chosen == [] and state.probabilities == [] and state.context == [0, 0, 0]
    state.undo()  # nothing left: a no-op
    assert state.chosen == []


def test_a_finished_name_takes_no_more_steps(sampler: Sampler) -> None:
    state = sampler.new_state()
    sampler.step(state, forced=0)
    assert state.finished
    with pytest.raises(ConfigError, match="complete"):
        sampler.step(state, make_generator())
    state.undo()
    assert not state.finished


def test_step_needs_a_generator_or_a_valid_forced_choice(sampler: Sampler) -> None:
    with pytest.raises(ConfigError, match="generator"):
        sampler.step(sampler.new_state())
    for bad in (-1, sampler.vocab.size):
        with pytest.raises(ConfigError, match=str(bad)):
            sampler.step(sampler.new_state(), forced=bad)


def test_sample_state_context_slides() -> None:
    state = SampleState(2, chosen=[5, 6, 7])
    assert state.context == [6, 7]
    assert SampleState(4, chosen=[5]).context == [0, 0, 0, 5]
    assert SampleState(1).context == [0]
    assert SampleState(2, [1], [0.0]).nll == math.inf


# -- scoring ----------------------------------------------------------------------------------


def test_score_is_the_sum_of_minus_log_p(trained: tuple[MLP, Vocabulary], sampler: Sampler) -> None:
    model, vocab = trained
    scores, nll = sampler.score(" emma ")
    assert [s.character for s in scores] == list("emma.")
    assert [s.context for s in scores] == ["...", "..e", ".em", "emm", "mma"]
    assert nll == pytest.approx(-sum(math.log(s.probability) for s in scores))
    X, Y = build_examples(["emma"], vocab, 3)
    lecture = F.cross_entropy(model.logits(X), Y.long(), reduction="sum").item()
    exact, bound = loss_bounds(model.params, X.numpy(), Y.numpy())  # the mean of 5 rows
    for total in (nll, lecture):
        assert_close_to_exact(total, 5 * exact, 5 * bound, "the name's nll")
    for s, x, y in zip(scores, X, Y, strict=True):
        assert s.probability == sampler.distribution(x.tolist())[int(y)]


@pytest.mark.parametrize(
    ("name", "expected"), [("", "Type a name"), ("   ", "Type a name"), ("em.ma", "boundary")]
)
def test_score_rejects_bad_names(sampler: Sampler, name: str, expected: str) -> None:
    with pytest.raises(DatasetError, match=expected):
        sampler.score(name)


def test_score_rejects_unknown_characters(sampler: Sampler) -> None:
    with pytest.raises(DatasetError, match="'q'"):
        sampler.score("quinn")


# -- the sampler's weights --------------------------------------------------------------------


def test_the_sampler_keeps_its_own_copy_of_the_weights(trained: tuple[MLP, Vocabulary]) -> None:
    model, vocab = trained
    working = model.copy()
    sampler = Sampler(working.config, working.params, vocab)
    before = sampler.distribution([0, 0, 0])
    working.params["b2"] += 5.0 * torch.arange(vocab.size)
    assert np.array_equal(sampler.distribution([0, 0, 0]), before)


def test_a_sampler_from_weights_a_trainer_is_using(small_words: list[str]) -> None:
    """Tensors that require grad (the autograd engine's) are copied, not refused."""
    dataset = Dataset(small_words)
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size), "scaled")
    config = TrainConfig(batch_size=8, steps=5, schedule="constant", engine="autograd")
    Trainer(model, dataset.examples(3), config).run(5)
    sampler = Sampler(model.config, model.params, dataset.vocab)
    reference = Sampler.from_model(model, dataset.vocab)
    assert np.array_equal(sampler.distribution([0, 0, 0]), reference.distribution([0, 0, 0]))


def test_the_vocabulary_must_fit_the_model(trained: tuple[MLP, Vocabulary]) -> None:
    model, _ = trained
    with pytest.raises(ConfigError, match="vocabulary"):
        Sampler(model.config, model.snapshot(), Vocabulary(tuple(".abc")))
