"""Small data and the lecture's own code, for tests (imported by tests and conftest.py)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

# Fifty short names: enough for an 80/10/10 split (40/5/5) and a vocabulary of a few letters.
SMALL_WORDS = [
    "emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn",
    "abigail", "emily", "ella", "elizabeth", "camila", "luna", "sofia", "avery", "mila",
    "aria", "scarlett", "penelope", "layla", "chloe", "victoria", "madison", "eleanor",
    "grace", "nora", "riley", "zoey", "hannah", "hazel", "lily", "ellie", "violet", "lillian",
    "zoe", "stella", "aurora", "natalie", "emilia", "everly", "leah", "aubrey", "willow",
    "addison", "lucy", "audrey", "bella", "nova",
]  # fmt: skip


def lecture_sample(
    weights: dict, block_size: int, itos: tuple[str, ...], seed: int, count: int
) -> list[str]:
    """The lecture's sampling cell, verbatim apart from the names of things: the reference
    the app's sampler must match. Names are returned without the closing boundary token."""
    C, W1, b1, W2, b2 = (torch.as_tensor(weights[k]) for k in ("C", "W1", "b1", "W2", "b2"))
    g = torch.Generator().manual_seed(seed)
    names = []
    for _ in range(count):
        out = []
        context = [0] * block_size
        while True:
            emb = C[torch.tensor([context])]  # (1, block_size, n_embd)
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            logits = h @ W2 + b2
            probs = F.softmax(logits, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
            assert len(out) < 100, "the test model should end its names"
        names.append("".join(itos[i] for i in out[:-1]))
    return names
