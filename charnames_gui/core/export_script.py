"""A run of the app as the lecture's own code: a standalone Python script or a Jupyter notebook.

The cells are those of makemore part 2 (build_dataset, the five tensors, the training loop, the
evaluation, the sampling cell), filled in with the run's settings, so that a learner can read
the run in the notebook's words and run it anywhere torch is installed. With the autograd
engine the exported loop gives the app's weights bit for bit: the same split
(random.seed(split_seed) + shuffle), the same draws of the initial weights (one generator, in
the order C, W1, b1, W2, b2), the same minibatches (the app's BatchSampler draws from a
generator seeded seed + 1, which equals the lecture's per-step torch.randint from it), the same
operations in the same order.

What the header claims is what the code does: for an autograd run it says the code gives the
app's weights bit for bit, and its last cell checks that against the model file when the file
is at hand. Otherwise (the fast engine, bare weights with no training record, a minibatch
stream that changed mid-run) the header says plainly what the code does instead. A model
saved before its run ended (for example `charnames train --steps 0`, the initial weights)
is exported with the steps it has taken, so the code stops where the file stopped.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from charnames_gui.core.atomic import atomic_write
from charnames_gui.core.config import DEFAULT_SAMPLE_SEED, ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset, printable_name
from charnames_gui.core.errors import ConfigError, FileAccessError
from charnames_gui.core.model_file import ModelFile

CellKind = Literal["markdown", "code"]
SAMPLE_COUNT = 20  # the lecture's sampling cell prints 20 names


@dataclass(frozen=True)
class RunSpec:
    """What the exported code needs to know about a run."""

    model_config: ModelConfig
    train_config: TrainConfig
    split_seed: int
    itos: tuple[str, ...]  # the model's vocabulary; itos[0] is the boundary token
    data_path: str  # absolute path of the dataset file the code reads
    dataset_hash: str  # Dataset.content_hash() of its words, checked by the code
    chars_from_words: bool  # itos[1:] == sorted(set(''.join(words))): the lecture's line works
    title: str = "a run of charnames-gui"
    notes: tuple[str, ...] = ()  # what the code cannot reproduce, in the learner's words
    steps: int | None = None  # the loop's steps: the model file's (None: the config's)
    reproduces: bool = True  # running the code gives the model file's weights bit for bit
    model_path: str = ""  # the app's .safetensors file the last cell compares with ("": none)

    @property
    def loop_steps(self) -> int:
        return self.train_config.steps if self.steps is None else self.steps

    def claim(self) -> str:
        """The header's one sentence on what running the code gives."""
        if self.reproduces:
            check = " The last cell checks this against the model file." if self.model_path else ""
            return (
                "Running it top to bottom gives the app's weights bit for bit (the same "
                f"split, initial weights, minibatches and autograd steps).{check}"
            )
        return (
            "It does NOT give the model file's weights: see the notes below for what it "
            "does instead."
            + (" The last cell says how far apart they end." if self.model_path else "")
        )


def run_spec(
    model_file: ModelFile, dataset: Dataset, title: str = "", model_path: str | Path = ""
) -> RunSpec:
    """The spec of a model file's run on `dataset` (the one it was trained on, checked by its
    content hash when the file records one). model_path: the .safetensors file holding
    exactly these weights, which the code's last cell compares with ("" for none)."""
    if dataset.path is None:
        raise ConfigError("The dataset has no file to read, so the code could not load it")
    summary = model_file.training
    if summary.dataset_hash and summary.dataset_hash != dataset.content_hash():
        raise ConfigError(
            f"{dataset.name} (sha256 {dataset.content_hash()[:8]}) is not the dataset this model "
            f"was trained on ({summary.dataset_name or 'unnamed'}, sha256 "
            f"{summary.dataset_hash[:8]}); open that one to export the run"
        )
    config = summary.train_config_or_none()
    notes: list[str] = []
    reproduces = True
    steps: int | None = None
    if config is None:
        config = TrainConfig(engine="autograd")
        reproduces = False
        notes.append(
            "The model file holds weights with no training record (a learner's own, or "
            "another app's), so no code can repeat how they were made. This code trains the "
            f"lecture's final run instead: {config.steps:,} steps from the lecture's initial "
            f"weights (seed {config.seed}) on this dataset, which gives other weights."
        )
    else:
        steps = summary.steps
        if config.engine != "autograd" and summary.steps > 0:  # step 0: no engine ran yet
            reproduces = False
            notes.append(
                "The app trained this run with its fast engine (a hand-derived backward pass "
                "in NumPy). This code trains with autograd, the lecture's loop: the same "
                "split, initial weights, minibatches and learning rates, but float32 rounding "
                "differs at every step and the differences grow with the steps (after a few "
                "thousand steps the weights can differ in the second decimal place). Train with "
                "the autograd engine (--engine autograd) for a run this code repeats bit for "
                "bit."
            )
        stream_seed, stream_start = summary.batch_stream or (config.seed, 0)
        if (stream_seed, stream_start) != (config.seed, 0):
            reproduces = False
            notes.append(
                f"The run's batch size or seed changed at step {stream_start:,}; this code "
                "uses the last settings from step 0, so its minibatches differ from the app's "
                "and so do its weights."
            )
        if summary.steps < config.steps:
            what = "its initial weights" if summary.steps == 0 else (
                f"the weights after {summary.steps:,} steps"
            )  # fmt: skip
            notes.append(
                f"The model file holds {what}, of a run planned for {config.steps:,} steps: "
                f"steps = {summary.steps} gives exactly these; set steps = {config.steps} to "
                "train the whole run."
            )
    words_chars = tuple(sorted(set("".join(dataset.words))))
    return RunSpec(
        model_config=model_file.model.config,
        train_config=config,
        split_seed=model_file.split_seed,
        itos=model_file.vocab.itos,
        data_path=str(Path(dataset.path).resolve()),
        dataset_hash=dataset.content_hash(),
        chars_from_words=model_file.vocab.itos[1:] == words_chars,
        # a file name that is not UTF-8 (surrogates) or holds control characters: escaped
        title=printable_name(title) if title else "a run of charnames-gui",
        notes=tuple(notes),
        steps=steps,
        reproduces=reproduces,
        model_path=str(Path(model_path).resolve()) if model_path else "",
    )


def cells(spec: RunSpec) -> list[tuple[CellKind, str]]:
    """The notebook's cells, in order: (kind, source)."""
    m, t = spec.model_config, spec.train_config
    boundary = spec.itos[0]
    fan_in = m.block_size * m.n_embd
    out: list[tuple[CellKind, str]] = []
    intro = [
        f"# makemore part 2: {spec.title}",
        "",
        "The lecture's MLP (Bengio et al. 2003) with this run's settings, exported by "
        f"charnames-gui. It needs only torch. {spec.claim()}",
        "",
        f"block_size {m.block_size}, n_embd {m.n_embd}, n_hidden {m.n_hidden}, "
        f"vocab_size {m.vocab_size}; batch {t.batch_size}, steps {spec.loop_steps:,}, "
        f"{t.schedule} schedule, init {t.init}, seed {t.seed}, split seed {spec.split_seed}.",
    ]
    if spec.notes:
        intro += ["", *[f"Note: {n}" for n in spec.notes]]
    out.append(("markdown", "\n".join(intro)))
    out.append(
        (
            "code",
            "import hashlib\n"
            "import math\n"
            "import random\n"
            "\n"
            "import torch\n"
            "import torch.nn.functional as F\n"
            "\n"
            "torch.set_num_threads(1)  # one thread, as the app trains",
        )
    )
    out.append(
        (
            "code",
            "# read in all the words (as the app reads a file: lines stripped, blank lines "
            "skipped);\n# if the file has moved, change the path: its content is checked below\n"
            f"words = open({spec.data_path!r}, encoding='utf-8-sig').read().splitlines()\n"
            "words = [w.strip() for w in words if w.strip()]\n"
            "# the app knows a dataset by its content: is this the file the run used?\n"
            "assert hashlib.sha256('\\n'.join(words).encode('utf-8')).hexdigest() == "
            f"{spec.dataset_hash!r}, 'not the dataset of this run'\n"
            "print(len(words), words[:8])",
        )
    )
    if spec.chars_from_words:
        chars_line = "chars = sorted(list(set(''.join(words))))"
    else:
        chars_line = (
            f"chars = {list(spec.itos[1:])!r}  # the model's vocabulary (more than this file uses)"
        )
    out.append(
        (
            "code",
            "# build the vocabulary of characters and mappings to/from integers\n"
            f"{chars_line}\n"
            "stoi = {s:i+1 for i,s in enumerate(chars)}\n"
            f"stoi[{boundary!r}] = 0\n"
            "itos = {i:s for s,i in stoi.items()}\n"
            "vocab_size = len(itos)\n"
            f"assert vocab_size == {m.vocab_size}\n"
            "print(itos)",
        )
    )
    out.append(
        (
            "code",
            "# build the dataset\n"
            f"block_size = {m.block_size} # context length: how many characters do we take to "
            "predict the next one?\n"
            "\n"
            "def build_dataset(words):\n"
            "  X, Y = [], []\n"
            "  for w in words:\n"
            "    context = [0] * block_size\n"
            f"    for ch in w + {boundary!r}:\n"
            "      ix = stoi[ch]\n"
            "      X.append(context)\n"
            "      Y.append(ix)\n"
            "      context = context[1:] + [ix] # crop and append\n"
            "  X = torch.tensor(X)\n"
            "  Y = torch.tensor(Y)\n"
            "  print(X.shape, Y.shape)\n"
            "  return X, Y\n"
            "\n"
            "# run once per kernel: shuffling again reshuffles the shuffled list (another split)\n"
            f"random.seed({spec.split_seed})\n"
            "random.shuffle(words)\n"
            "n1 = int(0.8*len(words))\n"
            "n2 = int(0.9*len(words))\n"
            "\n"
            "Xtr, Ytr = build_dataset(words[:n1])\n"
            "Xdev, Ydev = build_dataset(words[n1:n2])\n"
            "Xte, Yte = build_dataset(words[n2:])",
        )
    )
    if t.init == "scaled":
        init_note = (
            "# scaled init (makemore part 3): tanh not saturated, first loss ~ln(vocab_size)"
        )
        # one factor, as the app multiplies (part 3 writes * (5/3)/(fan_in**0.5): two roundings)
        w1 = f" * ((5/3)/({fan_in}**0.5))"
        b1, w2, b2 = " * 0.01", " * 0.01", " * 0"
    else:
        init_note = "# the lecture's init: plain torch.randn"
        w1 = b1 = w2 = b2 = ""
    out.append(
        (
            "code",
            f"{init_note}\n"
            f"g = torch.Generator().manual_seed({t.seed}) # for reproducibility\n"
            f"C = torch.randn(({m.vocab_size}, {m.n_embd}), generator=g)\n"
            f"W1 = torch.randn(({fan_in}, {m.n_hidden}), generator=g){w1}\n"
            f"b1 = torch.randn({m.n_hidden}, generator=g){b1}\n"
            f"W2 = torch.randn(({m.n_hidden}, {m.vocab_size}), generator=g){w2}\n"
            f"b2 = torch.randn({m.vocab_size}, generator=g){b2}\n"
            "parameters = [C, W1, b1, W2, b2]\n"
            "print(sum(p.nelement() for p in parameters)) # number of parameters in total\n"
            "for p in parameters:\n"
            "  p.requires_grad = True",
        )
    )
    out.append(("code", _loop_source(m, t, spec.loop_steps)))
    out.append(
        (
            "code",
            "# the loss on all of the train and dev splits\n"
            "@torch.no_grad()\n"
            "def split_loss(X, Y):\n"
            "  emb = C[X] # (N, block_size, n_embd)\n"
            f"  h = torch.tanh(emb.view(-1, {fan_in}) @ W1 + b1) # (N, {m.n_hidden})\n"
            f"  logits = h @ W2 + b2 # (N, {m.vocab_size})\n"
            "  return F.cross_entropy(logits, Y).item()\n"
            "\n"
            "print('train', split_loss(Xtr, Ytr))\n"
            "print('dev', split_loss(Xdev, Ydev))",
        )
    )
    out.append(
        (
            "code",
            "# sample from the model\n"
            f"g = torch.Generator().manual_seed(2147483647 + {DEFAULT_SAMPLE_SEED - 2147483647})\n"
            "\n"
            f"for _ in range({SAMPLE_COUNT}):\n"
            "\n"
            "    out = []\n"
            "    context = [0] * block_size # initialize with all ...\n"
            "    while True:\n"
            "      emb = C[torch.tensor([context])] # (1,block_size,d)\n"
            "      h = torch.tanh(emb.view(1, -1) @ W1 + b1)\n"
            "      logits = h @ W2 + b2\n"
            "      probs = F.softmax(logits, dim=1)\n"
            "      ix = torch.multinomial(probs, num_samples=1, generator=g).item()\n"
            "      context = context[1:] + [ix]\n"
            "      out.append(ix)\n"
            "      if ix == 0 or len(out) == 100: # 100: the app's stop for endless names\n"
            "        break\n"
            "\n"
            "    print(''.join(itos[i] for i in out))",
        )
    )
    if spec.model_path:
        out.append(("code", _check_source(spec)))
    return out


def _check_source(spec: RunSpec) -> str:
    """The last cell: compare the weights with the model file's, read with torch alone (a
    safetensors file is an 8-byte header length, a JSON header, then raw arrays)."""
    if spec.reproduces:
        same, other = (
            "the same weights as the app's, bit for bit",
            "NOT the app's weights, though they should be: please report it",
        )
    else:
        same, other = "the same weights", "other weights than the app's, as the notes say"
    verdict = f"{same!r} if same else {other!r}"
    return (
        "# check: are these the model file's weights? (if the file is at hand)\n"
        "import json, os\n"
        f"model_path = {spec.model_path!r}\n"
        "if os.path.exists(model_path):\n"
        "  raw = open(model_path, 'rb').read()\n"
        "  n = int.from_bytes(raw[:8], 'little')\n"
        "  header = json.loads(raw[8:8 + n])\n"
        "  def saved(name):\n"
        "    start, stop = header[name]['data_offsets']\n"
        "    data = bytearray(raw[8 + n + start:8 + n + stop])\n"
        "    return torch.frombuffer(data, dtype=torch.float32).view(header[name]['shape'])\n"
        "  names = ['C', 'W1', 'b1', 'W2', 'b2']\n"
        "  same = all(torch.equal(saved(k), p.detach()) for k, p in zip(names, parameters))\n"
        "  largest = max((saved(k) - p.detach()).abs().max().item()\n"
        "                for k, p in zip(names, parameters))\n"
        f"  print({verdict}, f'(largest difference {{largest:.3g}})')\n"
        "else:\n"
        "  print('the model file', model_path, 'is not here: nothing to compare with')"
    )


def _lr_line(t: TrainConfig) -> str:
    """The schedule as core.training.TrainConfig.lr_at computes it, in the lecture's form."""
    if t.schedule == "constant":
        return f"  lr = {t.lr!r}"
    if t.schedule == "step":
        return f"  lr = {t.lr!r} if i < {t.lr_decay_at} else {t.lr_after!r}"
    return (
        "  # cosine from lr down to lr_after at the last step\n"
        f"  progress = min(i / max({t.steps} - 1, 1), 1.0)\n"
        f"  lr = {t.lr_after!r} + 0.5 * ({t.lr!r} - {t.lr_after!r}) * "
        "(1 + math.cos(math.pi * progress))"
    )


def _loop_source(m: ModelConfig, t: TrainConfig, steps: int) -> str:
    fan_in = m.block_size * m.n_embd
    return (
        "# the minibatch stream: the app draws from a generator seeded seed + 1 (the same as\n"
        f"# torch.manual_seed({t.seed + 1}) before the lecture's plain torch.randint)\n"
        f"g_batches = torch.Generator().manual_seed({t.seed} + 1)\n"
        f"steps = {steps}\n"
        "lossi = []\n"
        "stepi = []\n"
        "\n"
        "for i in range(steps):\n"
        "\n"
        "  # minibatch construct\n"
        f"  ix = torch.randint(0, Xtr.shape[0], ({t.batch_size},), generator=g_batches)\n"
        "\n"
        "  # forward pass\n"
        f"  emb = C[Xtr[ix]] # ({t.batch_size}, {m.block_size}, {m.n_embd})\n"
        f"  h = torch.tanh(emb.view(-1, {fan_in}) @ W1 + b1) # ({t.batch_size}, {m.n_hidden})\n"
        f"  logits = h @ W2 + b2 # ({t.batch_size}, {m.vocab_size})\n"
        "  loss = F.cross_entropy(logits, Ytr[ix])\n"
        "\n"
        "  # backward pass\n"
        "  for p in parameters:\n"
        "    p.grad = None\n"
        "  loss.backward()\n"
        "\n"
        "  # update\n"
        f"{_lr_line(t)}\n"
        "  for p in parameters:\n"
        "    p.data += -lr * p.grad\n"
        "\n"
        "  # track stats\n"
        "  stepi.append(i)\n"
        "  lossi.append(loss.log10().item())\n"
        "\n"
        "if steps > 0:\n"
        "  print(loss.item()) # the last minibatch's loss"
    )


def script_text(spec: RunSpec) -> str:
    """The cells as one Python script: markdown as comments, code as it is."""
    parts = [
        "#!/usr/bin/env python3",
        "# Exported by charnames-gui (`charnames export MODEL --script FILE`). Needs only torch.",
    ]
    for kind, source in cells(spec):
        if kind == "markdown":
            lines = [
                wrapped
                for line in source.splitlines()
                for wrapped in (textwrap.wrap(line, 86) or [""])
            ]
            parts.append("\n".join(f"# {line}".rstrip() for line in lines))
        else:
            parts.append(source)
    return "\n\n".join(parts) + "\n"


def notebook(spec: RunSpec) -> Any:
    """The cells as a Jupyter notebook (an nbformat v4 NotebookNode, validated)."""
    import nbformat  # only needed for notebooks
    from nbformat import v4

    nb = v4.new_notebook()
    nb.cells = [
        v4.new_markdown_cell(source) if kind == "markdown" else v4.new_code_cell(source)
        for kind, source in cells(spec)
    ]
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


def notebook_text(spec: RunSpec) -> str:
    import nbformat

    return str(nbformat.writes(notebook(spec)))


def write_export(path: str | Path, text: str, protect: Iterable[str | Path | None] = ()) -> None:
    """Write exported code atomically (core.atomic): a folder, a named pipe or a device is
    refused before anything is opened, and so is any file in `protect` (the model file and
    its dataset); on any failure the file that was at `path` is left as it was."""
    try:
        atomic_write(path, text, protect=protect)
    except FileAccessError as exc:
        raise ConfigError(str(exc)) from None
