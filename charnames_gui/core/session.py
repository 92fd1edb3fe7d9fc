"""A sampling session: the lecture's sampling loop, one intent at a time.

    g = torch.Generator().manual_seed(2147483647 + 10)
    context = [0] * block_size
    while True:
        probs = F.softmax(logits(context) / temperature, dim=1)   # shown_distribution()
        ix = torch.multinomial(probs, 1, generator=g).item()      # step()
        context = context[1:] + [ix]                              # state().context
        if ix == 0: break                                         # a CompletedName

The session holds everything the loop needs between two clicks: the name so far, which of its
characters the learner chose (forced), the one generator that serves every name (so Finish name
again and again gives the lecture's names in order), the temperature, and for Back the
generator's state before each draw. A view renders state() and calls the intent methods; it
keeps no sampling state of its own. Nothing here imports Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from charnames_gui.core.config import DEFAULT_SAMPLE_SEED, MAX_NAME_LENGTH, MAX_SEED
from charnames_gui.core.data import Vocabulary
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.sampling import Sampler, SampleState, check_temperature, make_generator


@dataclass(frozen=True)
class CompletedName:
    """A whole name, as it goes to the list of generated names."""

    text: str  # without the closing boundary token
    nll: float  # -sum(log p) of its characters and its end, as drawn (nats)
    predictions: int  # how many characters were drawn, the end token included
    edited: bool = False  # the learner chose at least one character
    cut: bool = False  # stopped at the length limit without drawing the end token

    @property
    def nll_per_char(self) -> float:
        return self.nll / self.predictions if self.predictions else math.nan


@dataclass(frozen=True)
class SessionState:
    """What a view shows of the name in progress (copies: safe to keep)."""

    block_size: int
    chosen: list[int]  # indices drawn or chosen so far (the boundary last if finished)
    forced: list[bool]  # parallel to chosen: chosen by the learner instead of drawn
    probabilities: list[float]  # parallel to chosen: p it was drawn (or chosen) with
    temperatures: list[float]  # parallel to chosen: the temperature at that moment
    cut: bool  # stopped at the length limit without the end token
    temperature: float  # the temperature the next draw will use
    seed: int

    @property
    def finished(self) -> bool:
        """The name ended with the boundary token."""
        return bool(self.chosen) and self.chosen[-1] == 0

    @property
    def done(self) -> bool:
        """Finished or cut: the next step starts a new name."""
        return self.finished or self.cut

    @property
    def context(self) -> list[int]:
        """(block_size,) the context the next character will be drawn from."""
        return ([0] * self.block_size + self.chosen)[len(self.chosen) :]

    @property
    def shown_context(self) -> list[int]:
        """The context the last character was drawn from (the current one before the first
        draw): the step a view shows."""
        if not self.chosen:
            return self.context
        n = len(self.chosen)
        return ([0] * self.block_size + self.chosen[:-1])[n - 1 :]

    @property
    def last(self) -> int | None:
        return self.chosen[-1] if self.chosen else None

    @property
    def last_forced(self) -> bool:
        return bool(self.forced) and self.forced[-1]

    @property
    def nll(self) -> float:
        """-sum(log p) of the chosen characters, in nats."""
        return sum(-math.log(p) if p > 0 else math.inf for p in self.probabilities)


@dataclass(frozen=True)
class ShownStep:
    """The step a sampling view shows, for views that follow it (the forward pass)."""

    sampler: Sampler
    context: tuple[int, ...]  # (block_size,) what the model saw
    temperature: float
    chosen: int | None  # the character drawn or chosen from it (None: not yet)
    forced: bool


@dataclass
class _Draw:
    forced: bool
    temperature: float
    generator_state: torch.Tensor | None  # the generator just before a sampled draw


@dataclass
class SamplingSession:
    """The name in progress and the generator, driven by intents (step, back, choose, ...).

    Every intent that cannot work says so with a CharnamesError (for example
    NotFiniteError when the weights overflow) and leaves the session as it was.
    """

    sampler: Sampler
    seed: int = DEFAULT_SAMPLE_SEED
    temperature: float = 1.0
    max_length: int = MAX_NAME_LENGTH
    _generator: torch.Generator = field(init=False, repr=False)
    _state: SampleState = field(init=False, repr=False)
    _draws: list[_Draw] = field(init=False, repr=False)
    _cut: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        _check_seed(self.seed)
        check_temperature(self.temperature)
        self._generator = make_generator(self.seed)
        self._start_name()

    # -- read back --------------------------------------------------------------------------
    @property
    def vocab(self) -> Vocabulary:
        return self.sampler.vocab

    @property
    def generator(self) -> torch.Generator:
        return self._generator

    def state(self) -> SessionState:
        s = self._state
        return SessionState(
            block_size=s.block_size,
            chosen=list(s.chosen),
            forced=[d.forced for d in self._draws],
            probabilities=list(s.probabilities),
            temperatures=[d.temperature for d in self._draws],
            cut=self._cut,
            temperature=self.temperature,
            seed=self.seed,
        )

    @property
    def done(self) -> bool:
        return self._state.finished or self._cut

    def shown_distribution(self) -> np.ndarray:
        """(vocab_size,) the distribution of the step shown (state().shown_context) at the
        current temperature: the bars. Raises NotFiniteError for overflowing weights."""
        return self.sampler.distribution(self.state().shown_context, self.temperature)

    # -- settings ---------------------------------------------------------------------------
    def set_temperature(self, temperature: float) -> None:
        check_temperature(temperature)
        self.temperature = float(temperature)

    def set_seed(self, seed: int) -> None:
        """Use `seed` from now on: the generator is reseeded and a new name starts."""
        _check_seed(seed)
        self.seed = seed
        self.reset_generator()

    def reset_generator(self) -> None:
        """Seed the generator again and start a new name: the names repeat from the first."""
        self._generator = make_generator(self.seed)
        self._start_name()

    def set_sampler(self, sampler: Sampler, keep_name: bool) -> None:
        """Sample from new weights. keep_name: the same model a moment later (training), so the
        name in progress and the generator carry on; otherwise everything starts afresh."""
        same_shape = (
            sampler.model.config == self.sampler.model.config and sampler.vocab == self.vocab
        )
        self.sampler = sampler
        if not (keep_name and same_shape):
            self.reset_generator()

    # -- intents ----------------------------------------------------------------------------
    def new_name(self) -> None:
        """Drop the name in progress; the generator carries on."""
        self._start_name()

    def step(self) -> CompletedName | None:
        """Draw one character (a new name first if the last one is done). Returns the name
        this draw completed, if it did."""
        return self._draw(None)

    def force_next(self, index: int) -> CompletedName | None:
        """Append `index` without drawing: the generator is untouched."""
        if not 0 <= index < self.vocab.size:
            raise ConfigError(f"No character with index {index}")
        return self._draw(index)

    def choose(self, index: int) -> CompletedName | None:
        """Put `index` in place of the character drawn last (or as the first character): Back,
        then force_next. The generator is rewound, so the next Step draws the random number
        the replaced character used."""
        if not 0 <= index < self.vocab.size:
            raise ConfigError(f"No character with index {index}")
        if self._state.chosen:
            self.back()
        return self.force_next(index)

    def back(self) -> bool:
        """Take back the last character and, if it was drawn, rewind the generator to before
        that draw: Step then draws the same character again (same weights and temperature).
        False when the name is empty."""
        if not self._state.chosen:
            return False
        draw = self._draws.pop()
        self._state.undo()
        self._cut = False
        if draw.generator_state is not None:
            self._generator.set_state(draw.generator_state)
        return True

    def finish_name(self) -> CompletedName:
        """Draw until the end token (or the length limit); a new name first if the last one
        is done."""
        if self.done:
            self._start_name()
        while True:
            completed = self._draw(None)
            if completed is not None:
                return completed

    def sample_names(self, count: int) -> list[CompletedName]:
        """`count` whole names from the session's generator (the lecture's last cell when the
        generator is fresh). The name in progress is left as it is."""
        names = []
        for _ in range(count):
            state = self.sampler.new_state()
            while not state.finished and len(state.chosen) < self.max_length:
                self.sampler.step(state, self._generator, self.temperature)
            names.append(self._completed(state, edited=False, cut=not state.finished))
        return names

    # -- internals --------------------------------------------------------------------------
    def _start_name(self) -> None:
        self._state = self.sampler.new_state()
        self._draws = []
        self._cut = False

    def _draw(self, forced: int | None) -> CompletedName | None:
        if self.done:
            self._start_name()
        before = None if forced is not None else self._generator.get_state()
        self.sampler.step(self._state, self._generator, self.temperature, forced)
        self._draws.append(_Draw(forced is not None, self.temperature, before))
        edited = any(d.forced for d in self._draws)
        if self._state.finished:
            return self._completed(self._state, edited, cut=False)
        if len(self._state.chosen) >= self.max_length:
            self._cut = True
            return self._completed(self._state, edited, cut=True)
        return None

    def _completed(self, state: SampleState, edited: bool, cut: bool) -> CompletedName:
        text = self.vocab.decode([i for i in state.chosen if i != 0])
        return CompletedName(text, state.nll, len(state.chosen), edited, cut)


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"The seed must be a whole number from 0 to {MAX_SEED}")
