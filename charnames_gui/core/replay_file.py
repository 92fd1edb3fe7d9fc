"""The replay section of a model file: a SnapshotStore as a few stacked tensors.

    replay.steps   (n,) int64            the step of each frame, increasing
    replay.loss    (n,) float32          mean minibatch loss since the frame before (nan: none)
    replay.lr      (n,) float32          learning rate of the frame's last step
    replay.names   (n, k, L) int32       names sampled at each frame, padded with -1
    replay.probe   (p, block_size) int64 the training contexts of the hidden-layer picture
    replay.C ...   (n, *shape)           each kept parameter, float32 or float16

plus the metadata field "replay" ({"version": 1}). The section is optional (older files have
none) and checked as untrusted input: a damaged one is left out with a note, and the model
still opens.
"""

from __future__ import annotations

import json

import numpy as np
import torch

from charnames_gui.core.config import MAX_STEPS, PARAMETER_NAMES, ModelConfig, parameter_shapes
from charnames_gui.core.snapshots import (
    MAX_FRAMES,
    NAME_MAX_CHARS,
    NAMES_PER_FRAME,
    REPLAY_BUDGET_BYTES,
    Frame,
    ReplayPolicy,
    SnapshotStore,
)

PREFIX = "replay."
META_KEY = "replay"
REPLAY_VERSION = 1
# A file's replay may be larger than this app's budget (another version's), not without end.
MAX_REPLAY_BYTES = 2 * REPLAY_BUDGET_BYTES
MAX_PROBE = 10_000
_FLOATS = {torch.float32: "float32", torch.float16: "float16"}


class ReplayFileError(ValueError):
    """The replay section is damaged; the message says how (in a learner's words)."""


def replay_tensors(store: SnapshotStore) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The tensors and metadata of a store's section (nothing for a store without frames)."""
    frames = store.frames
    if not frames:
        return {}, {}
    n = len(frames)
    names = np.full((n, NAMES_PER_FRAME, NAME_MAX_CHARS), -1, dtype=np.int32)
    for i, frame in enumerate(frames):
        for j, name in enumerate(store.names_of(frame)[:NAMES_PER_FRAME]):
            names[i, j, : len(name[:NAME_MAX_CHARS])] = name[:NAME_MAX_CHARS]
    tensors = {
        PREFIX + "steps": torch.tensor([f.step for f in frames], dtype=torch.int64),
        PREFIX + "loss": torch.tensor([f.loss for f in frames], dtype=torch.float32),
        PREFIX + "lr": torch.tensor([f.lr for f in frames], dtype=torch.float32),
        PREFIX + "names": torch.from_numpy(names),
        PREFIX + "probe": torch.from_numpy(np.ascontiguousarray(store.probe, dtype=np.int64)),
    }
    for param in store.policy.params:
        stacked = np.stack([f.weights[param] for f in frames])  # (n, *shape)
        tensors[PREFIX + param] = torch.from_numpy(stacked)
    return tensors, {META_KEY: json.dumps({"version": REPLAY_VERSION})}


def split_replay(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Take the replay section's tensors out of a file's tensors (in place) and return them."""
    return {k: tensors.pop(k) for k in [k for k in tensors if k.startswith(PREFIX)]}


def replay_from_tensors(
    section: dict[str, torch.Tensor], meta_text: str | None, config: ModelConfig
) -> SnapshotStore:
    """The store a file's section holds, checked field by field (ReplayFileError)."""
    try:
        meta = json.loads(meta_text or "")
    except (ValueError, RecursionError):
        raise ReplayFileError("its description is not readable") from None
    if not isinstance(meta, dict) or meta.get("version") != REPLAY_VERSION:
        raise ReplayFileError("it was saved in a format this version does not know")
    total = sum(t.numel() * t.element_size() for t in section.values())
    if total > MAX_REPLAY_BYTES:
        raise ReplayFileError(f"it holds {total / 2**20:.0f} MB, more than the app keeps")
    required = {"steps", "loss", "lr", "names", "probe"}
    fields = {k[len(PREFIX) :]: v for k, v in section.items()}
    params = tuple(p for p in PARAMETER_NAMES if p in fields)
    unknown = set(fields) - required - set(PARAMETER_NAMES)
    if required - set(fields) or unknown:
        raise ReplayFileError("its fields are not the expected ones")
    if params not in (PARAMETER_NAMES, ("C",)):
        raise ReplayFileError("its frames keep neither the whole model nor C")
    steps = _array(fields["steps"], torch.int64, "steps", 1)
    n = len(steps)
    if not 1 <= n <= MAX_FRAMES:
        raise ReplayFileError(f"it has {n:,} frames (1 to {MAX_FRAMES} expected)")
    if steps[0] < 0 or steps[-1] > MAX_STEPS or np.any(np.diff(steps) <= 0):
        raise ReplayFileError("its steps are not increasing numbers of steps")
    loss = _array(fields["loss"], torch.float32, "losses", 1, (n,))
    lr = _array(fields["lr"], torch.float32, "learning rates", 1, (n,))
    if np.any(np.isinf(loss)) or np.any(np.isinf(lr)):
        raise ReplayFileError("its losses or learning rates are not numbers")
    names = _array(fields["names"], torch.int32, "names", 3)
    if names.shape[0] != n or names.shape[1] > 100 or names.shape[2] > 1000:
        raise ReplayFileError("its names do not fit its frames")
    if names.size and (names.min() < -1 or names.max() >= config.vocab_size):
        raise ReplayFileError("its names use characters outside the vocabulary")
    probe = _array(fields["probe"], torch.int64, "probe contexts", 2)
    if probe.shape[0] > MAX_PROBE or probe.shape[1] != config.block_size:
        raise ReplayFileError("its probe contexts do not fit the model")
    if probe.size and (probe.min() < 0 or probe.max() >= config.vocab_size):
        raise ReplayFileError("its probe contexts use characters outside the vocabulary")
    dtypes = {fields[p].dtype for p in params}
    if len(dtypes) != 1 or next(iter(dtypes)) not in _FLOATS:
        raise ReplayFileError("its weights are not all float32 or all float16")
    policy = ReplayPolicy(params, _FLOATS[next(iter(dtypes))])
    shapes = parameter_shapes(config)
    weights: dict[str, np.ndarray] = {}
    for p in params:
        weights[p] = _array(fields[p], fields[p].dtype, p, 1 + len(shapes[p]), (n, *shapes[p]))
        if not np.all(np.isfinite(weights[p])):
            raise ReplayFileError(f"its {p} has values that are not finite")
    frames = [
        Frame(
            int(steps[i]),
            {p: weights[p][i].copy() for p in params},
            float(loss[i]),
            float(lr[i]),
            tuple(tuple(int(c) for c in row if c >= 0) for row in names[i]),
        )
        for i in range(n)
    ]
    budget = max(REPLAY_BUDGET_BYTES, policy.frame_bytes(config) * n)
    store = SnapshotStore(config, policy, probe.copy(), budget)
    store.frames = frames
    store.last_step = frames[-1].step
    return store


def _array(
    t: torch.Tensor, dtype: torch.dtype, what: str, ndim: int, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    if t.dtype != dtype or t.dim() != ndim or (shape is not None and tuple(t.shape) != shape):
        raise ReplayFileError(f"its {what} have the wrong type or shape")
    return t.numpy()


def frames_nbytes(store: SnapshotStore) -> int:
    """Bytes of the section as saved (weights, names, probe, steps, losses)."""
    if not store.frames:
        return 0
    n = len(store.frames)
    return store.nbytes + n * (8 + 4 + 4 + 4 * NAMES_PER_FRAME * NAME_MAX_CHARS)
