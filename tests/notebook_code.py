"""The lecture's notebook code (makemore part 2), run as a learner runs it, for tests that
compare the app with the notebook: a vocabulary that is not '.' and a-z, and the ways a
learner saves the five tensors."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from small_data import SMALL_WORDS

# 27 symbols: '.', '-' and 25 letters (no q); '-' sorts first, so every index is shifted
DASHED = [w.replace("q", "-") for w in [*SMALL_WORDS, "jack", "kai", "quinn", "xavier"]]
STEPS = 300


def notebook_run(words_file: Path) -> dict[str, Any]:
    """The lecture's cells on words_file (block_size 3, n_embd 10, n_hidden 200), a few
    hundred steps; returns the tensors, itos/stoi, the split losses and 20 sampled lines."""
    words = open(words_file).read().splitlines()  # noqa: SIM115  # the notebook's line
    chars = sorted(list(set("".join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    block_size = 3

    def build_dataset(words: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        X, Y = [], []
        for w in words:
            context = [0] * block_size
            for ch in w + ".":
                ix = stoi[ch]
                X.append(context)
                Y.append(ix)
                context = context[1:] + [ix]  # crop and append
        return torch.tensor(X), torch.tensor(Y)

    random.seed(42)
    random.shuffle(words)
    n1 = int(0.8 * len(words))
    n2 = int(0.9 * len(words))
    splits = {
        "train": build_dataset(words[:n1]),
        "dev": build_dataset(words[n1:n2]),
        "test": build_dataset(words[n2:]),
    }
    Xtr, Ytr = splits["train"]
    g = torch.Generator().manual_seed(2147483647)  # for reproducibility
    C = torch.randn((27, 10), generator=g)
    W1 = torch.randn((30, 200), generator=g)
    b1 = torch.randn(200, generator=g)
    W2 = torch.randn((200, 27), generator=g)
    b2 = torch.randn(27, generator=g)
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True
    torch.manual_seed(0)
    for i in range(STEPS):
        ix = torch.randint(0, Xtr.shape[0], (32,))
        emb = C[Xtr[ix]]  # (32, 3, 10)
        h = torch.tanh(emb.view(-1, 30) @ W1 + b1)  # (32, 200)
        logits = h @ W2 + b2  # (32, 27)
        loss = F.cross_entropy(logits, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < STEPS // 2 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
    losses = {}
    with torch.no_grad():
        for split, (X, Y) in splits.items():
            emb = C[X]
            h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
            losses[split] = F.cross_entropy(h @ W2 + b2, Y).item()
    # the sampling cell, as printed
    g = torch.Generator().manual_seed(2147483647 + 10)
    printed = []
    with torch.no_grad():
        for _ in range(20):
            out = []
            context = [0] * block_size
            while True:
                emb = C[torch.tensor([context])]  # (1,block_size,d)
                h = torch.tanh(emb.view(1, -1) @ W1 + b1)
                logits = h @ W2 + b2
                probs = F.softmax(logits, dim=1)
                ix = torch.multinomial(probs, num_samples=1, generator=g).item()
                context = context[1:] + [ix]
                out.append(ix)
                if ix == 0 or len(out) == 100:
                    break
            printed.append("".join(itos[i] for i in out))
    tensors = {
        k: t.detach() for k, t in zip(("C", "W1", "b1", "W2", "b2"), parameters, strict=True)
    }
    return {"tensors": tensors, "itos": itos, "stoi": stoi, "splits": splits,
            "losses": losses, "printed": printed}  # fmt: skip


def save_as(form: str, folder: Path, run: dict[str, Any]) -> Path:
    """The tensors saved the ways a learner saves them."""
    tensors = run["tensors"]
    path = folder / ("mine.safetensors" if form == "safetensors" else f"{form}.pt")
    if form == "safetensors":
        save_file(dict(tensors), str(path))
    elif form == "list":
        torch.save(list(tensors.values()), path)
    elif form == "tuple":
        torch.save(tuple(tensors.values()), path)
    elif form == "dict":
        torch.save(dict(tensors), path)
    elif form == "dict+itos":
        torch.save({**tensors, "itos": run["itos"]}, path)
    elif form == "dict+stoi+more":  # stoi, block_size and keys that mean nothing to a model
        torch.save({**tensors, "stoi": run["stoi"], "block_size": 3, "lossi": [2.5, 2.4],
                    "note": "my first model"}, path)  # fmt: skip
    return path
