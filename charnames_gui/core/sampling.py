"""Sampling names from a trained model, one character at a time, as the lecture does:

    g = torch.Generator().manual_seed(2147483647 + 10)
    for _ in range(20):
        out = []
        context = [0] * block_size
        while True:
            emb = C[torch.tensor([context])]       # (1, block_size, n_embd)
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            logits = h @ W2 + b2
            probs = F.softmax(logits, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break

A Sampler works on its own copy of the weights, so it can run while a trainer changes the
model's tensors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from charnames_gui.core.config import (
    DEFAULT_SAMPLE_SEED,
    MAX_NAME_LENGTH,
    MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    ModelConfig,
    tensor_names,
)
from charnames_gui.core.data import Vocabulary
from charnames_gui.core.errors import CharnamesError, ConfigError, DatasetError
from charnames_gui.core.model import MLP

NOT_FINITE = "The model's outputs are not finite numbers (weights too large?)"


class NotFiniteError(CharnamesError):
    """The weights give logits or probabilities that are inf or NaN: nothing to sample."""

    def __init__(self) -> None:
        super().__init__(NOT_FINITE)


def make_generator(seed: int = DEFAULT_SAMPLE_SEED) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@dataclass
class SampleState:
    """One name being sampled: the characters chosen so far and what the model saw."""

    block_size: int
    chosen: list[int] = field(default_factory=list)  # indices appended so far
    probabilities: list[float] = field(default_factory=list)  # p of each chosen index

    @property
    def context(self) -> list[int]:
        """(block_size,) indices the model sees: all boundary tokens at first, then the window
        slides left as characters are appended."""
        return ([0] * self.block_size + self.chosen)[len(self.chosen) :]

    @property
    def finished(self) -> bool:
        return bool(self.chosen) and self.chosen[-1] == 0

    @property
    def nll(self) -> float:
        """-sum(log p) of the chosen characters, in nats."""
        return sum(-math.log(p) if p > 0 else math.inf for p in self.probabilities)

    def undo(self) -> None:
        """Take back the last character (the generator is not rewound)."""
        if self.chosen:
            self.chosen.pop()
            self.probabilities.pop()


@dataclass(frozen=True)
class StepResult:
    probs: np.ndarray  # (vocab_size,) the distribution that was sampled from
    index: int  # the chosen character
    forced: bool  # chosen by the caller, not sampled


@dataclass(frozen=True)
class CharacterScore:
    character: str  # the character (the boundary token for the end of the name)
    context: str  # what the model saw
    probability: float


class Sampler:
    """Distribution, single steps and whole names from a snapshot of a model's weights."""

    def __init__(
        self,
        config: ModelConfig,
        weights: Mapping[str, np.ndarray | torch.Tensor],
        vocab: Vocabulary,
    ) -> None:
        if vocab.size != config.vocab_size:
            raise ConfigError(
                f"The vocabulary has {vocab.size} symbols but the model expects {config.vocab_size}"
            )
        # Copies: later changes to the source (a trainer's tensors) never reach this sampler.
        # (with BatchNorm, its running statistics too: a file without them gets part 3's
        # zeros and ones)
        self.model = MLP(
            config, {name: _copy(weights[name]) for name in tensor_names(config) if name in weights}
        )
        self.vocab = vocab

    @classmethod
    def from_model(cls, model: MLP, vocab: Vocabulary) -> Sampler:
        return cls(model.config, model.snapshot(), vocab)

    @property
    def block_size(self) -> int:
        return self.model.config.block_size

    def new_state(self) -> SampleState:
        return SampleState(self.block_size)

    @torch.no_grad()
    def _probs(self, context: list[int], temperature: float) -> torch.Tensor:
        """(1, vocab_size) probabilities, computed with the lecture's exact operations."""
        logits = self.model.logits(torch.tensor([context]))  # (1, vocab_size)
        if temperature != 1.0:
            logits = logits / temperature
        probs = F.softmax(logits, dim=1)
        # Huge weights (3e38) overflow the logits to inf, and softmax then gives NaN:
        # multinomial would fail with a RuntimeError deep in torch.
        if not bool(torch.isfinite(probs).all()):
            raise NotFiniteError()
        return probs

    def distribution(self, context: list[int], temperature: float = 1.0) -> np.ndarray:
        """(vocab_size,) probability of each next character after `context`."""
        check_temperature(temperature)
        if len(context) != self.block_size:
            raise ConfigError(f"The context must hold {self.block_size} characters")
        return self._probs(context, temperature)[0].numpy().astype(np.float64)

    def step(
        self,
        state: SampleState,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        forced: int | None = None,
    ) -> StepResult:
        """Append one character to `state`: drawn with torch.multinomial from `generator`, or
        the `forced` index. A forced choice draws nothing, so the generator is untouched."""
        check_temperature(temperature)
        if state.finished:
            raise ConfigError("This name is already complete")
        probs = self._probs(state.context, temperature)
        if forced is None:
            if generator is None:
                raise ConfigError("step() needs a generator or a forced choice")
            ix = int(torch.multinomial(probs, num_samples=1, generator=generator).item())
        else:
            if not 0 <= forced < self.vocab.size:
                raise ConfigError(f"No character with index {forced}")
            ix = forced
        p = probs[0].numpy().astype(np.float64)
        state.chosen.append(ix)
        state.probabilities.append(float(p[ix]))
        return StepResult(p, ix, forced is not None)

    def sample_name(
        self,
        generator: torch.Generator,
        temperature: float = 1.0,
        max_length: int = MAX_NAME_LENGTH,
    ) -> str:
        """One whole name, without the closing boundary token."""
        state = self.new_state()
        while not state.finished and len(state.chosen) < max_length:
            self.step(state, generator, temperature)
        return self.vocab.decode([i for i in state.chosen if i != 0])

    def sample_names(
        self, count: int = 20, seed: int = DEFAULT_SAMPLE_SEED, temperature: float = 1.0
    ) -> list[str]:
        """`count` names from one generator seeded with `seed`, as the lecture's last cell."""
        if not 1 <= count <= 100_000:
            raise ConfigError(f"count must be between 1 and 100,000, not {count:,}")
        g = make_generator(seed)
        return [self.sample_name(g, temperature) for _ in range(count)]

    def score(self, name: str) -> tuple[list[CharacterScore], float]:
        """The probability the model gives each character of `name` and its end, and the
        name's total negative log-likelihood (nats). Capitals are lowercased when the
        vocabulary has none (see name_to_score)."""
        name, _ = name_to_score(self.vocab, name)
        if not name:
            raise DatasetError("Type a name to score")
        if self.vocab.boundary in name:
            raise DatasetError(f"A name cannot contain the boundary token '{self.vocab.boundary}'")
        indices = self.vocab.encode(name) + [0]
        scores: list[CharacterScore] = []
        nll = 0.0
        context = [0] * self.block_size
        for ix in indices:
            p = float(self.distribution(context)[ix])
            scores.append(CharacterScore(self.vocab.itos[ix], self.vocab.decode(context), p))
            nll += -math.log(p) if p > 0 else math.inf
            context = context[1:] + [ix]
        return scores, nll


def name_to_score(vocab: Vocabulary, typed: str) -> tuple[str, str | None]:
    """The name to score for what the learner typed, and a note when it was changed: "EMMA"
    becomes "emma" when the vocabulary has no capitals (the lecture's names are lowercase)."""
    name = typed.strip()
    has_capitals = any(ch != ch.lower() for ch in vocab.itos[1:])
    lowered = name.lower()
    if (
        not has_capitals
        and lowered != name
        and all(ch in vocab.stoi for ch in lowered)
        and vocab.boundary not in lowered
    ):
        return lowered, f"Scored as '{lowered}': this model knows no capital letters"
    return name, None


def _copy(weight: np.ndarray | torch.Tensor) -> torch.Tensor:
    if isinstance(weight, torch.Tensor):
        return weight.detach().clone()  # may require grad while the autograd engine trains
    return torch.tensor(np.asarray(weight))


def check_temperature(temperature: float) -> None:
    if not (math.isfinite(temperature) and MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE):
        raise ConfigError(
            f"temperature must be between {MIN_TEMPERATURE} and {MAX_TEMPERATURE}, "
            f"not {temperature}"
        )
