"""SamplingView: what the sampling panel shows of a step, built from the session's state."""

from __future__ import annotations

import math

import numpy as np

from charnames_gui.core.display import format_probability
from charnames_gui.core.sampling_view import (
    NEW_NAME,
    UNTRAINED_NOTE,
    SamplingView,
    view_of,
)
from charnames_gui.core.session import SessionState
from charnames_gui.core.vocabulary import Vocabulary

VOCAB = Vocabulary.from_words(["ab c", "ba"])  # itos: '.', ' ', 'a', 'b', 'c'


def _state(
    chosen: list[int], forced: list[bool] | None = None, p: float = 0.25, cut: bool = False
) -> SessionState:
    return SessionState(
        block_size=3,
        chosen=chosen,
        forced=forced or [False] * len(chosen),
        probabilities=[p] * len(chosen),
        temperatures=[1.0] * len(chosen),
        cut=cut,
        temperature=1.0,
        seed=0,
    )


def _flat(size: int = VOCAB.size) -> np.ndarray:
    return np.full(size, 1.0 / size)


def test_before_the_first_draw_the_boxes_hold_the_boundary_and_a_question_mark() -> None:
    view = view_of(_state([]), VOCAB, _flat())
    assert view.boxes == ["."] * 3 and view.next_box == "?" and view.next is None
    assert view.header == NEW_NAME and view.drew == "" and not view.can_go_back
    assert view.stats.startswith("Step (S) draws the first character")
    assert view.chosen is None and view.notice == ""


def test_after_draws_the_view_shows_the_step_just_taken() -> None:
    a, space, b = VOCAB.stoi["a"], VOCAB.stoi[" "], VOCAB.stoi["b"]
    probs = _flat()
    state = _state([a, space, b], forced=[False, False, True], p=0.2)
    view = view_of(state, VOCAB, probs)
    # b was chosen after the context (., a, ' '): the box shows the space visibly
    assert view.context == (".", "a", " ") and view.boxes == [".", "a", "␣"]
    assert view.next == "b" and view.next_box == "b" and view.last_forced
    assert view.name_head == "a␣" and view.name_last == "b"
    # chosen with p = 0.2, the bars show 0.2 too: no second p
    assert view.drew == f"you chose 'b' with p = {format_probability(0.2)}"
    assert view.header == f"a␣b   you chose 'b' with p = {format_probability(0.2)}"
    nll = -3 * math.log(0.2)
    assert view.stats == f"Name so far: NLL {nll:.2f} over 3 characters, {nll / 3:.2f} each"
    assert view.chosen == b and view.can_go_back
    np.testing.assert_array_equal(view.probabilities, probs)


def test_a_draw_at_another_temperature_adds_its_p_then() -> None:
    a = VOCAB.stoi["a"]
    view = view_of(_state([a], p=0.5), VOCAB, _flat())
    shown, then = format_probability(0.2), format_probability(0.5)
    assert view.drew == f"drew 'a' with p = {shown} (p = {then} when drawn, at T = 1.00)"


def test_a_finished_and_a_cut_name_say_so() -> None:
    a = VOCAB.stoi["a"]
    assert view_of(_state([a, 0]), VOCAB, _flat()).stats.startswith("Complete: NLL")
    assert view_of(_state([a] * 4, cut=True), VOCAB, _flat()).stats.startswith("Cut at")


def test_a_long_name_keeps_its_last_thirty_characters_before_the_last() -> None:
    a, b = VOCAB.stoi["a"], VOCAB.stoi["b"]
    view = view_of(_state([a] * 40 + [b]), VOCAB, _flat())
    assert view.name_head == "…" + "a" * 30 and view.name_last == "b"


def test_peaked_first_bars_get_the_note_and_an_error_takes_its_place() -> None:
    peaked = np.zeros(VOCAB.size)
    peaked[2] = 0.95
    peaked[0] = 0.05
    assert view_of(_state([]), VOCAB, peaked).notice == UNTRAINED_NOTE
    assert view_of(_state([]), VOCAB, _flat()).notice == ""
    assert view_of(_state([]), VOCAB, peaked, error="not finite").notice == "not finite"
    # only for the draw from an empty context: after it, peaked bars are a trained model's
    assert view_of(_state([2]), VOCAB, peaked).notice == UNTRAINED_NOTE  # drawn from (., ., .)
    assert view_of(_state([2, 3]), VOCAB, peaked).notice == ""


def test_blank_and_error_views() -> None:
    blank = SamplingView.blank("No model")
    assert not blank.has_model and blank.boxes == [] and blank.next_box == ""
    assert blank.header == "" and blank.notice == "No model" and len(blank.probabilities) == 0
    view = view_of(_state([2]), VOCAB, _flat())
    failed = view.with_error("weights not finite", VOCAB.size)
    # the name and boxes stay; the bars are zeros, none highlighted; the message shows
    assert failed.header == view.header and failed.boxes == view.boxes
    assert failed.chosen is None and failed.notice == "weights not finite"
    np.testing.assert_array_equal(failed.probabilities, np.zeros(VOCAB.size))
    assert view.with_notice("x").notice == "x" and view.notice == ""
