"""What the sampling panel shows of the step just taken, as plain data (no Qt).

Built from the core SessionState and the distribution the bars show (view_of), then rendered
by ui/views/sampling_panel.py: the context boxes, the character after the arrow, the name so
far and how its last character came, the NLL line, the note above the chart and the bars.
Everything here could be printed by a CLI; the panel only adds fonts and colours.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from charnames_gui.core.config import MAX_NAME_LENGTH
from charnames_gui.core.display import display_char, format_probability
from charnames_gui.core.vocabulary import Vocabulary

if TYPE_CHECKING:  # torch-backed
    from charnames_gui.core.session import SessionState

NAME_HEAD_CHARS = 30  # the name before its last character is cut to this many, from the end
PEAKED = 0.9  # a first distribution this peaked comes from random (randn) weights
UNTRAINED_NOTE = (
    "Bars this peaked before the first character usually mean untrained weights: the "
    "lecture's randn initialisation gives huge logits (see Improved initialisation)."
)
NEW_NAME = "(new name)"


@dataclass(frozen=True, eq=False)
class SamplingView:
    """One step as the panel shows it. Without a model (blank): no boxes, no bars, a notice."""

    context: tuple[str, ...]  # (block_size,) the context the step was drawn from, as in itos
    boundary: str  # the boundary token (its boxes look apart)
    next: str | None  # the character drawn (or chosen) after it; None before the first draw
    last_forced: bool  # the learner chose it (its box, letter and bar take FORCED_COLOR)
    name_head: str  # the name before its last character, shown ("…" + the last 30 if longer)
    name_last: str  # its last character, shown ("" for a new name)
    drew: str  # how the last character came, e.g. "drew 'a' with p = 0.1378" ("" before)
    stats: str  # the name's negative log-likelihood line
    notice: str  # the note above the chart ("" when none)
    probabilities: np.ndarray  # (vocab_size,) float64, what the bars show, vocabulary order
    chosen: int | None  # the bar highlighted: the vocabulary index of `next`
    can_go_back: bool  # the name has a character to take back

    @classmethod
    def blank(cls, notice: str) -> SamplingView:
        """No model: nothing to show but `notice`."""
        return cls((), "", None, False, "", "", "", "", notice, np.zeros(0), None, False)

    @property
    def has_model(self) -> bool:
        return bool(self.context)

    @property
    def boxes(self) -> list[str]:
        """The context boxes' texts, left to right (display_char: '␣' for a space)."""
        return [display_char(c) for c in self.context]

    @property
    def next_box(self) -> str:
        """The box after the arrow: '?' before the first draw ('' without a model)."""
        if not self.has_model:
            return ""
        return "?" if self.next is None else display_char(self.next)

    @property
    def name(self) -> str:
        """The name so far as the panel writes it ('(new name)' when empty)."""
        if not self.has_model:
            return ""
        return self.name_head + self.name_last if self.name_last else NEW_NAME

    @property
    def header(self) -> str:
        """The name so far and how its last character came, as one line of plain text."""
        return self.name + (f"   {self.drew}" if self.drew else "")

    def with_notice(self, notice: str) -> SamplingView:
        return replace(self, notice=notice)

    def with_error(self, message: str, vocab_size: int) -> SamplingView:
        """The step could not be drawn (weights that overflow): the same name and boxes,
        bars of height 0 for the vocabulary now in use, and the message."""
        return replace(self, probabilities=np.zeros(vocab_size), chosen=None, notice=message)


def view_of(
    state: SessionState, vocab: Vocabulary, probs: np.ndarray, error: str = ""
) -> SamplingView:
    """The step `state` shows (state.shown_context, its last character) with the bars at
    `probs` (vocab_size,); error: the last sampling error, shown in place of any note."""
    context = state.shown_context
    probs = np.asarray(probs, dtype=np.float64)
    letters = [display_char(vocab.itos[i]) for i in state.chosen]
    head = "".join(letters[:-1])
    if len(head) > NAME_HEAD_CHARS:
        head = "…" + head[-NAME_HEAD_CHARS:]
    peaked = not any(context) and float(probs.max()) > PEAKED
    return SamplingView(
        context=tuple(vocab.itos[i] for i in context),
        boundary=vocab.boundary,
        next=None if state.last is None else vocab.itos[state.last],
        last_forced=state.last_forced,
        name_head=head if letters else "",
        name_last=letters[-1] if letters else "",
        drew=drew_line(state, vocab, probs),
        stats=stats_line(state),
        notice=error or (UNTRAINED_NOTE if peaked else ""),
        probabilities=probs,
        chosen=state.last,
        can_go_back=bool(state.chosen),
    )


def drew_line(state: SessionState, vocab: Vocabulary, probs: np.ndarray) -> str:
    """How the last character came, as plain text. The p written is the bar's own label
    (same digits); when the draw used another temperature (or older weights) its p then is
    added."""
    if not state.chosen or state.last is None:
        return ""
    letter = display_char(vocab.itos[state.chosen[-1]])
    forced = state.last_forced
    verb = "you chose" if forced else "drew"
    shown = format_probability(float(probs[state.last]))
    then = format_probability(state.probabilities[-1])
    note = ""
    if then != shown:
        note = f" (p = {then} when {'chosen' if forced else 'drawn'}, at T = "
        note += f"{state.temperatures[-1]:.2f})"
    return f"{verb} '{letter}' with p = {shown}{note}"


def stats_line(state: SessionState) -> str:
    """The name's negative log-likelihood so far (or how to begin one)."""
    if not state.chosen:
        return "Step (S) draws the first character; clicking a bar chooses it."
    n = len(state.chosen)
    nll = f"NLL {state.nll:.2f} over {n} character{'s' if n > 1 else ''}"
    if state.finished:
        return f"Complete: {nll} (end included), {state.nll / n:.2f} each"
    if state.cut:
        return f"Cut at {MAX_NAME_LENGTH} characters without an end: {nll}"
    return f"Name so far: {nll}, {state.nll / n:.2f} each"
