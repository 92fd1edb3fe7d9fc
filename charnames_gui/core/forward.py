"""Every stage of the forward pass for ONE context, as the lecture's sampling cell runs it:

    emb = C[torch.tensor([context])]        # (1, block_size, n_embd)
    embcat = emb.view(1, -1)                # (1, block_size * n_embd)
    hpreact = embcat @ W1 + b1              # (1, n_hidden)
    h = torch.tanh(hpreact)                 # (1, n_hidden)
    logits = h @ W2 + b2                    # (1, vocab_size)
    probs = F.softmax(logits, dim=1)        # (1, vocab_size)

inspect_forward() keeps each tensor (without the batch dimension of 1) with its line of code
and its shape for the model's configuration, so a view or `charnames inspect` can show the
chain, and answers the two questions a learner asks of it: what does hidden unit j do to the
next character (its row of W2), and which hidden units made logit c what it is
(h[j] * W2[j, c]). The operations are the sampler's, so probs equals the sampling bars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from charnames_gui.core.config import PARAMETER_NAMES, ModelConfig, tensor_names, tensor_shapes
from charnames_gui.core.data import Vocabulary
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.sampling import NotFiniteError, check_temperature
from charnames_gui.core.saturation import SATURATION


@dataclass(frozen=True)
class Stage:
    """One line of the forward pass: its name, the lecture's code, its shape, its values."""

    name: str
    code: str  # the lecture's line, e.g. "emb = C[torch.tensor([context])]"
    shape: tuple[int, ...]  # with the batch dimension of 1, as in the lecture
    values: np.ndarray  # float64, without the batch dimension

    @property
    def shape_text(self) -> str:
        return "(" + ", ".join(str(n) for n in self.shape) + ")"

    @property
    def line(self) -> str:
        """The code with its shape comment: `emb = C[torch.tensor([context])]   # (1, 3, 10)`."""
        return f"{self.code}   # {self.shape_text}"


@dataclass(frozen=True)
class ForwardPass:
    """The forward pass of one sampling step. Arrays are float64 copies of float32 results."""

    config: ModelConfig
    itos: tuple[str, ...]
    context: tuple[int, ...]  # (block_size,) indices
    temperature: float
    emb: np.ndarray  # (block_size, n_embd): the rows of C the context selects
    embcat: np.ndarray  # (block_size * n_embd,)
    hpreact: np.ndarray  # (n_hidden,)
    h: np.ndarray  # (n_hidden,)
    logits: np.ndarray  # (vocab_size,)
    probs: np.ndarray  # (vocab_size,) softmax(logits / temperature)
    W2: np.ndarray  # (n_hidden, vocab_size): what each hidden unit does to each logit

    @property
    def context_chars(self) -> tuple[str, ...]:
        return tuple(self.itos[i] for i in self.context)

    @property
    def saturated(self) -> np.ndarray:
        """(n_hidden,) bool: |h| > 0.99 (core.saturation)."""
        return np.abs(self.h) > SATURATION

    def stages(self) -> list[Stage]:
        """The chain top to bottom, each with its code and shape for this configuration."""
        c = self.config
        shown = ", ".join(str(i) for i in self.context)
        softmax = (
            "probs = F.softmax(logits, dim=1)"
            if self.temperature == 1.0
            else f"probs = F.softmax(logits / {self.temperature:g}, dim=1)"
        )
        hpreact_code = (
            "hpreact = bngain * (embcat @ W1 + b1 - bnmean_running) / bnstd_running + bnbias"
            if c.batchnorm
            else "hpreact = embcat @ W1 + b1"
        )
        return [
            Stage(
                "context",
                f"context = [{shown}]",
                (c.block_size,),
                np.asarray(self.context, dtype=np.float64),
            ),
            Stage(
                "emb",
                "emb = C[torch.tensor([context])]",
                (1, c.block_size, c.n_embd),
                self.emb,
            ),
            Stage("embcat", "embcat = emb.view(1, -1)", (1, c.block_size * c.n_embd), self.embcat),
            Stage("hpreact", hpreact_code, (1, c.n_hidden), self.hpreact),
            Stage("h", "h = torch.tanh(hpreact)", (1, c.n_hidden), self.h),
            Stage("logits", "logits = h @ W2 + b2", (1, c.vocab_size), self.logits),
            Stage("probs", softmax, (1, c.vocab_size), self.probs),
        ]

    def unit_effects(
        self, j: int, k: int = 3
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """Hidden unit j: the k characters whose logits it raises most (largest W2[j]) and
        the k it lowers most (smallest W2[j]), as (character, weight)."""
        row = self.W2[j]
        order = np.argsort(row, kind="stable")
        raised = [(self.itos[i], float(row[i])) for i in order[::-1][:k]]
        lowered = [(self.itos[i], float(row[i])) for i in order[:k]]
        return raised, lowered

    def logit_contributions(self, c: int, k: int = 5) -> list[tuple[int, float]]:
        """Logit c: the k hidden units with the largest contributions h[j] * W2[j, c] in
        absolute value, as (j, contribution). logits[c] = sum of all of them + b2[c]."""
        contributions = self.h * self.W2[:, c]  # (n_hidden,)
        order = np.argsort(-np.abs(contributions), kind="stable")[:k]
        return [(int(j), float(contributions[j])) for j in order]

    def to_dict(self) -> dict[str, object]:
        """Plain numbers for JSON: every stage's code, shape and values."""
        result: dict[str, object] = {
            "config": self.config.to_dict(),
            "temperature": self.temperature,
            "context": list(self.context),
            "context_chars": list(self.context_chars),
        }
        result["stages"] = [
            {"name": s.name, "code": s.code, "shape": list(s.shape), "values": s.values.tolist()}
            for s in self.stages()
        ]
        result["saturated_units"] = [int(j) for j in np.flatnonzero(self.saturated)]
        return result


def inspect_forward(
    params: Mapping[str, np.ndarray | torch.Tensor],
    config: ModelConfig,
    itos: Sequence[str],
    context: Sequence[int],
    temperature: float = 1.0,
) -> ForwardPass:
    """Run the lecture's forward pass on one context and keep every stage.

    params: C, W1, b1, W2, b2 (NumPy arrays or tensors; not changed). context: block_size
    vocabulary indices. Raises ConfigError for a context that does not fit the model, and
    NotFiniteError when the weights overflow to inf or NaN."""
    check_temperature(temperature)
    if len(itos) != config.vocab_size:
        raise ConfigError(f"The vocabulary has {len(itos)} symbols, the model {config.vocab_size}")
    if len(context) != config.block_size:
        raise ConfigError(f"The context must hold {config.block_size} characters")
    if any(not 0 <= int(i) < config.vocab_size for i in context):
        raise ConfigError("The context holds an index outside the vocabulary")
    shapes = tensor_shapes(config)
    t = {
        n: torch.as_tensor(
            np.asarray(params[n]) if not isinstance(params[n], torch.Tensor) else params[n]
        )
        .detach()
        .to(torch.float32)
        .reshape(shapes[n])
        for n in tensor_names(config)
    }
    C, W1, b1, W2, b2 = (t[n] for n in PARAMETER_NAMES)
    with torch.no_grad():
        emb = C[torch.tensor([list(context)])]  # (1, block_size, n_embd)
        embcat = emb.view(1, -1)  # (1, block_size * n_embd)
        hpreact = embcat @ W1 + b1  # (1, n_hidden)
        if config.batchnorm:  # one context: the running statistics, as at evaluation
            hpreact = (
                t["bngain"] * (hpreact - t["bnmean_running"]) / t["bnstd_running"] + t["bnbias"]
            )
        h = torch.tanh(hpreact)  # (1, n_hidden)
        logits = h @ W2 + b2  # (1, vocab_size)
        scaled = logits if temperature == 1.0 else logits / temperature
        probs = F.softmax(scaled, dim=1)  # (1, vocab_size)
    if not bool(torch.isfinite(probs).all()):
        raise NotFiniteError()

    def out(t: torch.Tensor) -> np.ndarray:
        return t[0].numpy().astype(np.float64)

    return ForwardPass(
        config=config,
        itos=tuple(itos),
        context=tuple(int(i) for i in context),
        temperature=float(temperature),
        emb=out(emb),
        embcat=out(embcat),
        hpreact=out(hpreact),
        h=out(h),
        logits=out(logits),
        probs=out(probs),
        W2=W2.numpy().astype(np.float64),
    )


def context_from_text(text: str, vocab: Vocabulary, block_size: int) -> list[int]:
    """The context for `text` as sampling builds it: its last block_size characters, padded
    on the left with the boundary token. Raises DatasetError for unknown characters."""
    indices = vocab.encode(text)
    return ([0] * block_size + indices)[-block_size:] if block_size else []
