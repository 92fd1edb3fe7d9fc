"""Every number a learner sets, with its limits: the model's shape (ModelConfig), the run's
knobs (TrainConfig) and sampling's (seed, temperature).

Plain dataclasses and constants, no torch: the window builds its controls from them before
PyTorch has finished loading (see app.py), and the CLI checks its arguments with them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Literal

from charnames_gui.core.errors import ConfigError

InitScheme = Literal["lecture", "scaled"]
INIT_SCHEMES: tuple[str, ...] = ("lecture", "scaled")
PARAMETER_NAMES = ("C", "W1", "b1", "W2", "b2")
# BatchNorm (makemore part 3), only in a model with batchnorm=True: a gain and a bias trained
# by SGD, and the running mean and std kept by a momentum update (buffers, never trained)
BN_PARAMETER_NAMES = ("bngain", "bnbias")
BN_BUFFER_NAMES = ("bnmean_running", "bnstd_running")
BN_MOMENTUM = 0.001  # part 3: bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
BN_EPS = 1e-5  # bnstdi = sqrt(var + eps): a unit that is constant over a batch gives no 0/0
DEFAULT_INIT_SEED = 2147483647  # the lecture's torch.Generator().manual_seed(2147483647)

# Upper bounds that keep a run on a laptop CPU: beyond them a single step takes seconds or
# the parameters do not fit in memory. The lecture's largest model uses 3, 10 and 200.
LIMITS = {
    "block_size": (1, 32),
    "n_embd": (1, 256),
    "n_hidden": (1, 4096),
    "vocab_size": (2, 200),
}
MAX_PARAMETERS = 20_000_000


@dataclass(frozen=True)
class ModelConfig:
    block_size: int = 3  # how many previous characters the model sees
    n_embd: int = 10  # size of each character's embedding vector (a row of C)
    n_hidden: int = 200  # neurons in the tanh hidden layer
    vocab_size: int = 27  # characters + the boundary token
    # BatchNorm after the hidden layer's pre-activation (part 3); off: the lecture's model
    batchnorm: bool = False

    def validate(self) -> None:
        if not isinstance(self.batchnorm, bool):
            raise ConfigError(f"batchnorm must be true or false, not {self.batchnorm!r}")
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{name} must be a whole number, not {value!r}")
            if not low <= value <= high:
                raise ConfigError(f"{name} must be between {low} and {high:,}, not {value:,}")
        if parameter_count(self) > MAX_PARAMETERS:
            raise ConfigError(
                f"This model would have {parameter_count(self):,} parameters; "
                f"at most {MAX_PARAMETERS:,} are allowed"
            )

    def to_dict(self) -> dict[str, int | bool]:
        return asdict(self)


def parameter_names(config: ModelConfig) -> tuple[str, ...]:
    """The trained parameters: C, W1, b1, W2, b2, and with BatchNorm bngain, bnbias."""
    return PARAMETER_NAMES + (BN_PARAMETER_NAMES if config.batchnorm else ())


def buffer_names(config: ModelConfig) -> tuple[str, ...]:
    """Tensors kept by the model but not trained by SGD: BatchNorm's running statistics."""
    return BN_BUFFER_NAMES if config.batchnorm else ()


def tensor_names(config: ModelConfig) -> tuple[str, ...]:
    """Every tensor of a model: its parameters, then its buffers."""
    return parameter_names(config) + buffer_names(config)


def parameter_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Shapes in the lecture's order of creation (the order the generator is drawn in)."""
    shapes = {
        "C": (config.vocab_size, config.n_embd),
        "W1": (config.block_size * config.n_embd, config.n_hidden),
        "b1": (config.n_hidden,),
        "W2": (config.n_hidden, config.vocab_size),
        "b2": (config.vocab_size,),
    }
    if config.batchnorm:  # part 3 keeps them as (1, n_hidden); a row, like b1
        shapes["bngain"] = shapes["bnbias"] = (config.n_hidden,)
    return shapes


def tensor_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Shapes of the parameters and the buffers."""
    return parameter_shapes(config) | {name: (config.n_hidden,) for name in buffer_names(config)}


def parameter_count(config: ModelConfig) -> int:
    """3,481 for the lecture's first model (block 3, embd 2, hidden 100), 11,897 for 10/200.
    BatchNorm adds bngain and bnbias (2 * n_hidden); its running statistics are not counted."""
    return sum(math.prod(shape) for shape in parameter_shapes(config).values())


ENGINES = ("fast", "autograd")  # see core/engines
DEFAULT_ENGINE = "fast"
ScheduleKind = Literal["constant", "step", "cosine"]
SCHEDULES: dict[str, str] = {
    "constant": "the same learning rate for every step",
    "step": "the lecture's decay: lr until 'decay at', then 'lr after'",
    "cosine": "a smooth cosine curve from lr down to 'lr after' at the last step",
}
MAX_STEPS = 100_000_000
MAX_BATCH_SIZE = 65_536
MAX_LR = 100.0
MAX_WEIGHT_DECAY = 1.0  # beyond, the decay alone pulls every weight to 0 in a few steps
DECAYED_PARAMETERS = ("C", "W1", "W2")  # the matrices weight decay applies to


@dataclass(frozen=True)
class TrainConfig:
    batch_size: int = 32  # examples per step; the gradient is averaged over them
    steps: int = 200_000  # total optimisation steps of the run
    lr: float = 0.1  # learning rate (for 'step': before the decay)
    schedule: ScheduleKind = "step"  # how the learning rate changes over the run
    lr_decay_at: int = 100_000  # 'step' schedule: the step at which lr becomes lr_after
    lr_after: float = 0.01  # learning rate after the decay (or at the end, for 'cosine')
    init: str = "lecture"  # parameter initialisation: 'lecture' or 'scaled'
    seed: int = DEFAULT_INIT_SEED  # seeds the initial parameters and the minibatches
    engine: str = DEFAULT_ENGINE  # 'fast' (hand-derived backward) or 'autograd'
    # L2 weight decay: grad += weight_decay * p for the matrices C, W1, W2 (not the biases
    # nor BatchNorm's gain); the same as adding weight_decay / 2 * sum(p**2) to the loss.
    # The losses reported stay the data's cross-entropy.
    weight_decay: float = 0.0

    def validate(self) -> None:
        def whole(name: str, low: int, high: int) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{name} must be a whole number, not {value!r}")
            if not low <= value <= high:
                raise ConfigError(f"{name} must be between {low:,} and {high:,}, not {value:,}")

        whole("batch_size", 1, MAX_BATCH_SIZE)
        whole("steps", 1, MAX_STEPS)
        whole("lr_decay_at", 0, MAX_STEPS)
        whole("seed", 0, 2**63 - 1)
        for name in ("lr", "lr_after"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise ConfigError(f"{name} must be a number greater than 0, not {value!r}")
            if value > MAX_LR:
                raise ConfigError(f"{name} of {value:g} is absurd; at most {MAX_LR:g} is allowed")
        wd = self.weight_decay
        if isinstance(wd, bool) or not isinstance(wd, int | float) or not math.isfinite(wd):
            raise ConfigError(f"weight_decay must be a number, not {wd!r}")
        if not 0 <= wd <= MAX_WEIGHT_DECAY:
            raise ConfigError(
                f"weight_decay must be between 0 and {MAX_WEIGHT_DECAY:g}, not {wd:g}"
            )
        if self.schedule not in SCHEDULES:
            raise ConfigError(
                f"schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}"
            )
        if self.init not in INIT_SCHEMES:
            raise ConfigError(f"init must be one of {', '.join(INIT_SCHEMES)}, not {self.init!r}")
        if self.engine not in ENGINES:
            raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")

    def lr_at(self, step: int) -> float:
        """Learning rate of 0-based step `step`."""
        if self.schedule == "constant":
            return self.lr
        if self.schedule == "step":
            return self.lr if step < self.lr_decay_at else self.lr_after
        progress = min(step / max(self.steps - 1, 1), 1.0)
        return self.lr_after + 0.5 * (self.lr - self.lr_after) * (1 + math.cos(math.pi * progress))

    def decay_steps(self) -> list[int]:
        """Steps where the learning rate jumps (to mark them on a loss plot)."""
        if self.schedule == "step" and 0 < self.lr_decay_at < self.steps:
            return [self.lr_decay_at]
        return []

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def replace(self, **changes: object) -> TrainConfig:
        return replace(self, **changes)  # type: ignore[arg-type]


# -- sampling --------------------------------------------------------------------------------
DEFAULT_SAMPLE_SEED = 2147483647 + 10  # the lecture's sampling generator
MAX_NAME_LENGTH = 100  # a safety stop for an untrained model that never samples the boundary
MIN_TEMPERATURE = 0.05
MAX_TEMPERATURE = 10.0
MAX_SEED = 2**63 - 1  # torch.Generator().manual_seed takes 64 bits
