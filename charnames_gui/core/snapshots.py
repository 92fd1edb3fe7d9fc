"""Replay snapshots: the model at chosen steps of a run, to scrub back through and export.

Which steps (the schedule): every step up to 9, then 35 round numbers per decade (10, 11,
..., 19, 20, 22, ..., 48, 50, 55, ..., 95, 100, 110, ...), so the early steps, where the
embedding moves most, are dense and the late ones sparse: 161 frames for the lecture's
200,000 steps (step 1,000 and the learning-rate decay at 100,000 among them), 256 for the
largest run allowed, plus the last step of a run.

What a frame keeps (the policy, chosen once per model so every frame has the same fields):
all five parameters in float32 when PLANNED_FRAMES of them fit in REPLAY_BUDGET_BYTES (the
lecture's models: 47.6 KB a frame), else in float16, else only C. A frame also keeps the
mean minibatch loss since the frame before, the learning rate, and a few names sampled from
its weights with a fixed generator (from the frame itself when first shown, so the training
loop only copies the weights).

Bounded whatever the run: a store holds at most `capacity` frames (REPLAY_BUDGET_BYTES and
MAX_FRAMES); when full, the frame whose neighbours are closest in log(step) goes, so the
spacing stays roughly logarithmic. Torch-free (NumPy only): the frames are also the events
the training process sends to the app.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from charnames_gui.core.config import PARAMETER_NAMES, ModelConfig, parameter_shapes

# tenths of a decade's first step: 1.0..1.9 by 0.1, 2.0..4.8 by 0.2, 5.0..9.5 by 0.5
MANTISSA_TENTHS: tuple[int, ...] = (
    *range(10, 20),
    *range(20, 50, 2),
    *range(50, 100, 5),
)
DENSE_STEPS = 10  # steps 0..9 are all frames
REPLAY_BUDGET_BYTES = 16 * 1024 * 1024  # weights of all frames, in memory and on disk
PLANNED_FRAMES = 200  # frames the policy plans room for (161 for a 200k-step run)
MAX_FRAMES = 400  # whatever the budget: beyond this, frames are thinned
NAMES_PER_FRAME = 5
NAME_MAX_CHARS = 20  # names are cut here (an untrained model rarely ends one)
NAMES_SEED = 2147483647 + 10  # the lecture's sampling seed, one stream per frame
PROBE_EXAMPLES = 500  # training contexts kept for the hidden-layer picture
PROBE_SEED = 42


# -- the schedule -------------------------------------------------------------------------------


def next_scheduled(step: int) -> int:
    """The first scheduled step after `step` (steps are >= 0)."""
    if step < DENSE_STEPS - 1:
        return step + 1
    decade = 1
    while True:
        for tenths in MANTISSA_TENTHS:
            candidate = tenths * decade
            if candidate > step:
                return candidate
        decade *= 10


def is_scheduled(step: int) -> bool:
    if step < DENSE_STEPS:
        return step >= 0
    return next_scheduled(step - 1) == step


def scheduled_steps(last: int) -> list[int]:
    """Every scheduled step from 0 to `last` inclusive."""
    steps, step = [0], 0
    while (step := next_scheduled(step)) <= last:
        steps.append(step)
    return steps


# -- what a frame keeps -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayPolicy:
    """Which parameters every frame of a model keeps, and in which float type."""

    params: tuple[str, ...]  # PARAMETER_NAMES, or just ("C",)
    dtype: str  # "float32" or "float16"

    @property
    def complete(self) -> bool:
        """Whether a frame holds the whole model (bars, forward pass, hidden layer)."""
        return self.params == PARAMETER_NAMES

    def frame_bytes(self, config: ModelConfig) -> int:
        shapes = parameter_shapes(config)
        itemsize = np.dtype(self.dtype).itemsize
        return sum(math.prod(shapes[name]) for name in self.params) * itemsize


def _c_fits(config: ModelConfig, budget: int) -> bool:
    return ReplayPolicy(("C",), "float32").frame_bytes(config) * PLANNED_FRAMES <= budget


def policy_for(config: ModelConfig, budget: int = REPLAY_BUDGET_BYTES) -> ReplayPolicy:
    """The richest frame of which PLANNED_FRAMES fit in `budget`: the whole model in float32,
    then float16, then C alone (float32, then float16). A BatchNorm model keeps C alone: the
    replay's bars, names and hidden layer are the lecture's forward without BatchNorm."""
    if config.batchnorm:
        return ReplayPolicy(("C",), "float32" if _c_fits(config, budget) else "float16")
    choices = [
        ReplayPolicy(PARAMETER_NAMES, "float32"),
        ReplayPolicy(PARAMETER_NAMES, "float16"),
        ReplayPolicy(("C",), "float32"),
    ]
    for policy in choices:
        if policy.frame_bytes(config) * PLANNED_FRAMES <= budget:
            return policy
    return ReplayPolicy(("C",), "float16")


@dataclass(frozen=True)
class Frame:
    """The model after `step` steps, as kept for replay."""

    step: int
    weights: dict[str, np.ndarray]  # the policy's parameters, in its float type
    loss: float  # mean minibatch loss of the steps since the previous frame (nan: none)
    lr: float  # learning rate of the last step (nan at step 0)
    # a few names sampled from these weights, character indices without the final boundary
    names: tuple[tuple[int, ...], ...] = ()

    @property
    def nbytes(self) -> int:
        return sum(int(w.nbytes) for w in self.weights.values())

    def float_weights(self) -> dict[str, np.ndarray]:
        """The kept parameters as float32 arrays (copies when stored as float16)."""
        return {k: np.asarray(v, dtype=np.float32) for k, v in self.weights.items()}


def sample_names(
    weights: Mapping[str, np.ndarray],
    block_size: int,
    count: int = NAMES_PER_FRAME,
    seed: int = NAMES_SEED,
    max_chars: int = NAME_MAX_CHARS,
) -> tuple[tuple[int, ...], ...]:
    """`count` names sampled side by side from the weights (the lecture's loop, on a batch):
    the same seed gives the same names for the same weights. NumPy, float32."""
    C, W1, b1, W2, b2 = (np.asarray(weights[k], dtype=np.float32) for k in PARAMETER_NAMES)
    rng = np.random.default_rng(seed)
    context = np.zeros((count, block_size), dtype=np.int64)  # (count, block_size)
    out: list[list[int]] = [[] for _ in range(count)]
    running = np.ones(count, dtype=bool)
    for _ in range(max_chars):
        emb = C[context].reshape(count, -1)  # (count, block_size * n_embd)
        logits = np.tanh(emb @ W1 + b1) @ W2 + b2  # (count, vocab_size)
        logits = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        cdf = np.cumsum(probs, axis=1)  # (count, vocab_size), last column = the sum
        u = rng.random(count) * cdf[:, -1]
        ix = np.minimum((cdf < u[:, None]).sum(axis=1), cdf.shape[1] - 1)  # (count,)
        for i in np.flatnonzero(running):
            if ix[i] == 0:
                running[i] = False
            else:
                out[i].append(int(ix[i]))
        if not running.any():
            break
        context = np.concatenate([context[:, 1:], ix[:, None]], axis=1)
    return tuple(tuple(name) for name in out)


def make_frame(
    policy: ReplayPolicy,
    step: int,
    weights: Mapping[str, np.ndarray],
    block_size: int,
    loss: float,
    lr: float,
) -> Frame:
    """A frame of full float32 weights (copied). Its names are sampled here only when the
    frame will not keep every weight; otherwise later, from the frame (SnapshotStore.names_of),
    off the training loop: sampling costs ~0.8 ms, copying the lecture's weights ~3 us."""
    dtype = np.dtype(policy.dtype)
    kept = {k: np.array(weights[k], dtype=dtype, copy=True) for k in policy.params}
    names = () if policy.complete else sample_names(weights, block_size)
    return Frame(step, kept, float(loss), float(lr), names)


def probe_rows(n_examples: int, count: int = PROBE_EXAMPLES, seed: int = PROBE_SEED) -> np.ndarray:
    """Row numbers of the training examples kept for the hidden-layer picture: a fixed
    sample, sorted."""
    rng = np.random.default_rng(seed)
    count = min(count, n_examples)
    return np.sort(rng.choice(n_examples, size=count, replace=False))


# -- the store ----------------------------------------------------------------------------------


@dataclass
class SnapshotStore:
    """The frames of one model's training, bounded in count and bytes.

    keep=False (the training process): frames are only handed out (take_new), the app
    keeps them."""

    config: ModelConfig
    policy: ReplayPolicy
    probe: np.ndarray  # (n, block_size) int64 contexts for the hidden-layer picture
    budget: int = REPLAY_BUDGET_BYTES
    keep: bool = True
    frames: list[Frame] = field(default_factory=list)
    _new: list[Frame] = field(default_factory=list)
    _names: dict[int, tuple[tuple[int, ...], ...]] = field(default_factory=dict)  # by step
    last_step: int = -1  # the step of the latest frame taken (kept or not)

    @classmethod
    def for_model(
        cls, config: ModelConfig, probe: np.ndarray | None = None, budget: int = REPLAY_BUDGET_BYTES
    ) -> SnapshotStore:
        if probe is None:
            probe = np.zeros((0, config.block_size), dtype=np.int64)
        return cls(config, policy_for(config, budget), np.asarray(probe, np.int64), budget)

    @property
    def capacity(self) -> int:
        per_frame = max(1, self.policy.frame_bytes(self.config))
        return max(2, min(MAX_FRAMES, self.budget // per_frame))

    @property
    def nbytes(self) -> int:
        return sum(f.nbytes for f in self.frames) + int(self.probe.nbytes)

    @property
    def steps(self) -> list[int]:
        return [f.step for f in self.frames]

    def __len__(self) -> int:
        return len(self.frames)

    def add(self, frame: Frame) -> None:
        """Keep a frame. One at a step already kept replaces it; one before the last kept
        (the model went back) drops the frames after it first."""
        self._check(frame)
        self._new.append(frame)
        del self._new[: -self.capacity]  # nobody took them: the oldest would be stale anyway
        if self.keep:
            self.truncate_after(frame.step - 1)
            if len(self.frames) >= self.capacity:
                self._thin()
            self.frames.append(frame)
        self.last_step = frame.step

    def add_all(self, frames: Iterable[Frame]) -> None:
        for frame in frames:
            self.add(frame)

    def copy(self) -> SnapshotStore:
        """The frames as they are now (a list of the same frames: they are immutable), for
        an export that runs while training adds more."""
        copy = SnapshotStore(self.config, self.policy, self.probe, self.budget)
        copy.frames, copy.last_step, copy._names = (
            list(self.frames),
            self.last_step,
            dict(self._names),
        )
        return copy

    def names_of(self, frame: Frame) -> tuple[tuple[int, ...], ...]:
        """The names sampled from a frame's weights (with the fixed generator): kept in the
        frame when it has only C, else sampled from it when first asked (and remembered)."""
        if frame.names or not self.policy.complete:
            return frame.names
        names = self._names.get(frame.step)
        if names is None:
            names = sample_names(frame.float_weights(), self.config.block_size)
            self._names[frame.step] = names
        return names

    def only_c_reason(self) -> str:
        """Why the frames keep only C (policy not complete), in a learner's words."""
        if self.config.batchnorm:
            return "the replay of a BatchNorm model keeps only the embedding C"
        return "this model is too large for its replay to keep every weight"

    def take_new(self) -> list[Frame]:
        """The frames added since the last call (for the stream of events)."""
        new, self._new = self._new, []
        return new

    def truncate_after(self, step: int) -> None:
        """Forget the frames after `step` (the model went back to it)."""
        cut = bisect.bisect_right(self.steps, step)
        del self.frames[cut:]
        for later in [s for s in self._names if s > step]:
            del self._names[later]
        self.last_step = min(self.last_step, step)

    def index_at(self, step: int) -> int:
        """The index of the last frame at or before `step` (0 if none is)."""
        return max(0, bisect.bisect_right(self.steps, step) - 1)

    def _thin(self) -> None:
        """Drop the inner frame whose neighbours are closest in log(1 + step): the first and
        last frames stay, and the spacing stays roughly logarithmic."""
        if len(self.frames) < 3:
            del self.frames[0]
            return
        logs = np.log1p(np.array(self.steps, dtype=np.float64))
        gaps = logs[2:] - logs[:-2]  # (n - 2,) span left if inner frame i + 1 went
        del self.frames[int(np.argmin(gaps)) + 1]

    def _check(self, frame: Frame) -> None:
        shapes = parameter_shapes(self.config)
        if set(frame.weights) != set(self.policy.params):
            raise ValueError(f"a frame must keep {', '.join(self.policy.params)}")
        for name, value in frame.weights.items():
            if value.shape != shapes[name] or value.dtype != np.dtype(self.policy.dtype):
                raise ValueError(f"frame parameter {name} has the wrong shape or type")


def frame_model_weights(frame: Frame, policy: ReplayPolicy) -> dict[str, np.ndarray] | None:
    """All five parameters as float32, or None when the frame keeps only C."""
    if not policy.complete:
        return None
    return frame.float_weights()
