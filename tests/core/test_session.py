"""SamplingSession: the lecture's sampling loop driven one intent at a time."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from small_data import lecture_sample

from charnames_gui.core.config import DEFAULT_SAMPLE_SEED, ModelConfig
from charnames_gui.core.data import Vocabulary
from charnames_gui.core.display import display_char, display_text
from charnames_gui.core.errors import CharnamesError, ConfigError
from charnames_gui.core.model import MLP
from charnames_gui.core.sampling import NOT_FINITE, NotFiniteError, Sampler, name_to_score
from charnames_gui.core.session import SamplingSession


@pytest.fixture
def sampler(small_words: list[str]) -> Sampler:
    vocab = Vocabulary.from_words(small_words)
    config = ModelConfig(3, 4, 32, vocab.size)
    weights = MLP.init(config, "scaled", seed=3).snapshot()
    weights["b2"][0] = 2.0  # names end within a few characters
    return Sampler(config, weights, vocab)


def test_finish_name_again_and_again_gives_the_lecture_sample(sampler: Sampler) -> None:
    session = SamplingSession(sampler)
    weights = {k: t.numpy() for k, t in sampler.model.params.items()}
    expected = lecture_sample(weights, 3, sampler.vocab.itos, DEFAULT_SAMPLE_SEED, 8)
    got = [session.finish_name().text for _ in range(5)]
    # stepping continues with the same generator, name after name
    while len(got) < 8:
        done = session.step()
        if done is not None:
            got.append(done.text)
    assert got == expected
    session.reset_generator()
    assert [n.text for n in session.sample_names(8)] == expected


def test_back_rewinds_the_generator_so_step_draws_the_same_again(sampler: Sampler) -> None:
    session = SamplingSession(sampler, seed=7)
    for _ in range(2):
        if session.step() is not None:
            session.new_name()
    before = session.state()
    session.step()
    drawn = session.state()
    assert session.back()
    assert session.state().chosen == before.chosen
    session.step()
    assert session.state().chosen == drawn.chosen
    assert session.state().probabilities == drawn.probabilities


def test_forced_choices_leave_the_generator_alone(sampler: Sampler) -> None:
    vocab = sampler.vocab
    a = SamplingSession(sampler, seed=11)
    b = SamplingSession(sampler, seed=11)
    a.force_next(vocab.stoi["e"])
    a.force_next(vocab.stoi["m"])
    assert torch.equal(a.generator.get_state(), b.generator.get_state())
    state = a.state()
    assert state.chosen == vocab.encode("em") and state.forced == [True, True]
    assert state.context == [0] + vocab.encode("em")
    assert state.shown_context == [0, 0, vocab.stoi["e"]]
    probs = sampler.distribution([0, 0, vocab.stoi["e"]])
    assert state.probabilities[-1] == probs[vocab.stoi["m"]]  # the same computation

    # choose replaces the last character; a drawn one gives its random number back
    a.new_name()
    a.step()
    a.choose(vocab.stoi["z"])
    assert a.state().chosen == [vocab.stoi["z"]] and a.state().forced == [True]
    b.force_next(vocab.stoi["z"])
    assert torch.equal(a.generator.get_state(), b.generator.get_state())


def test_a_completed_name_and_its_nll(sampler: Sampler) -> None:
    vocab = sampler.vocab
    session = SamplingSession(sampler)
    for ch in "ava":
        assert session.force_next(vocab.stoi[ch]) is None
    done = session.force_next(0)
    assert done is not None and done.text == "ava" and done.edited and not done.cut
    state = session.state()
    assert state.finished and state.done
    assert done.nll == pytest.approx(-sum(math.log(p) for p in state.probabilities))
    assert done.predictions == 4
    session.step()  # a new name starts
    assert len(session.state().chosen) == 1


def test_a_name_without_an_end_is_cut(sampler: Sampler) -> None:
    sampler.model.params["b2"][0] = -1e4  # never the boundary token
    session = SamplingSession(sampler, max_length=12)
    done = session.finish_name()
    assert done.cut and len(done.text) == 12
    assert session.state().cut and session.done
    session.back()
    assert not session.state().cut


def test_temperature_and_seed_are_checked(sampler: Sampler) -> None:
    session = SamplingSession(sampler)
    with pytest.raises(ConfigError):
        session.set_temperature(0.0)
    with pytest.raises(ConfigError, match="seed"):
        session.set_seed(2**63)
    session.set_temperature(0.5)
    session.step()
    assert session.state().temperatures == [0.5]
    logits = sampler.model.logits(torch.tensor([[0, 0, 0]]))
    expected = torch.softmax(logits / 0.5, dim=1)[0].numpy()
    np.testing.assert_array_equal(session.shown_distribution(), expected)  # the same code


def test_new_weights_keep_or_restart_the_name(sampler: Sampler) -> None:
    session = SamplingSession(sampler)
    session.step()
    chosen = session.state().chosen
    weights = {k: t.numpy() * 0.5 for k, t in sampler.model.params.items()}
    newer = Sampler(sampler.model.config, weights, sampler.vocab)
    session.set_sampler(newer, keep_name=True)
    assert session.state().chosen == chosen
    session.set_sampler(newer, keep_name=False)
    assert session.state().chosen == []


def test_weights_too_large_give_a_clear_error(sampler: Sampler) -> None:
    sampler.model.params["W2"][:] = 3e38
    session = SamplingSession(sampler)
    with pytest.raises(CharnamesError, match="not finite") as error:
        session.step()
    assert str(error.value) == NOT_FINITE
    assert isinstance(error.value, NotFiniteError)
    assert session.state().chosen == []  # nothing happened
    with pytest.raises(NotFiniteError):
        session.shown_distribution()
    with pytest.raises(NotFiniteError):
        session.sample_names(2)


def test_display_char_makes_every_character_visible() -> None:
    assert display_char("\t") == "⇥"
    assert display_char(" ") == "␣"
    assert display_char("\n") == "↵"
    assert display_char("\x1b") == "␛"
    assert display_char("\x7f") == "␡"
    assert display_char("\x85") == "�"  # a C1 control
    assert display_char(".") == "." and display_char("é") == "é"
    assert display_text("a\tb\nc") == "a⇥b↵c"
    for code in range(0x110):  # one printable character each, never an empty label
        shown = display_char(chr(code))
        assert len(shown) == 1 and shown.isprintable()


def test_capitals_are_lowercased_when_the_vocabulary_has_none(sampler: Sampler) -> None:
    name, note = name_to_score(sampler.vocab, " EMMA ")
    assert name == "emma" and note is not None and "capital" in note
    assert name_to_score(sampler.vocab, "emma") == ("emma", None)
    assert sampler.score("EMMA") == sampler.score("emma")
    capitals = Vocabulary.from_words(["Emma", "emma"])
    assert name_to_score(capitals, "EMMA") == ("EMMA", None)
