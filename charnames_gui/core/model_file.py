"""What a model file holds (ModelFile, its TrainingSummary and TestEvaluations), the file
suffixes the app opens and the limits it checks: no torch, so the window can name files and
show a model's record before PyTorch has loaded. Reading and writing: core/checkpoint.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from charnames_gui.core.config import MAX_SEED, MAX_STEPS, TrainConfig
from charnames_gui.core.data import Vocabulary
from charnames_gui.core.errors import CharnamesError, ModelFileError

if TYPE_CHECKING:
    from charnames_gui.core.model import MLP
    from charnames_gui.core.snapshots import SnapshotStore

FORMAT_NAME = "charnames-gui model"
FORMAT_VERSION = 1
MODEL_SUFFIX = ".safetensors"
# What File > Open model accepts: the app's files and a learner's own (torch.save) weights.
OPENABLE_SUFFIXES = (MODEL_SUFFIX, ".pt", ".pth")
# The largest model the app allows (core.model.MAX_PARAMETERS float32) plus a generous header.
MAX_MODEL_FILE_BYTES = 100 * 1024 * 1024
# The app's split seeds are C ints (the GUI's spin box); random.seed(42) is the lecture's.
MAX_SPLIT_SEED = 2**31 - 1
KINDS = ("charnames", "safetensors weights", "torch.save weights")


@dataclass
class TrainingSummary:
    """What a learner wants to know about how the weights were made."""

    steps: int = 0  # optimisation steps done
    seconds: float = 0.0  # time spent in the training loop
    train_loss: float | None = None  # full loss on the train split after the last step
    dev_loss: float | None = None  # full loss on the dev split after the last step
    train_config: dict[str, Any] = field(default_factory=dict)  # TrainConfig.to_dict()
    dataset_name: str = ""
    dataset_hash: str = ""  # Dataset.content_hash(): the dataset is known by its content
    dataset_path: str = ""  # where it was read from (absolute), to find it again
    # Trainer.batch_stream: (seed, start step) of the minibatch stream, so that training
    # resumed from the file goes on with the minibatches it would have had. None: an older
    # file (the config's seed from step 0 is then assumed).
    batch_stream: tuple[int, int] | None = None

    @classmethod
    def from_dict(cls, data: Any) -> TrainingSummary:
        """Checked field by field: a hand-edited or hostile file gets one clear reason."""
        if not isinstance(data, dict):
            raise ModelFileError("its training record is not readable")
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        steps = known.get("steps", 0)
        if not is_whole_number(steps) or not 0 <= steps <= MAX_STEPS:
            raise ModelFileError(
                f"its training record has {shown_value(steps)} steps; "
                f"a number from 0 to {MAX_STEPS:,} is expected"
            )
        seconds = known.get("seconds", 0.0)
        if not is_number(seconds) or not (math.isfinite(seconds) and seconds >= 0):
            raise ModelFileError(f"its training time {shown_value(seconds)} is not a duration")
        for key in ("train_loss", "dev_loss"):
            value = known.get(key)
            if value is not None and not is_number(value):
                shown = f"{key.replace('_', ' ')} {shown_value(value)}"
                raise ModelFileError(f"its {shown} is not a number")
            if value is not None:
                known[key] = float(value)
        if not isinstance(known.get("train_config", {}), dict):
            raise ModelFileError("its training settings are not readable")
        for key in ("dataset_name", "dataset_hash", "dataset_path"):
            if not isinstance(known.get(key, ""), str):
                raise ModelFileError(f"its {key.replace('_', ' ')} is not text")
        stream = known.get("batch_stream")
        if stream is not None:
            if (
                not isinstance(stream, list)
                or len(stream) != 2
                or not all(is_whole_number(v) for v in stream)
                or not 0 <= stream[0] <= MAX_SEED
                or not 0 <= stream[1] <= steps
            ):
                raise ModelFileError("the minibatch stream of its training is not readable")
            known["batch_stream"] = (stream[0], stream[1])
        return cls(**known)

    def train_config_or_none(self) -> TrainConfig | None:
        """The run's TrainConfig when the file records a valid one (bare weights: none)."""
        if not self.train_config:
            return None
        try:
            config = TrainConfig(**self.train_config)
            config.validate()
        except (TypeError, CharnamesError):
            return None
        return config


@dataclass
class TestEvaluations:
    """How often the test split was looked at, per dataset (by content hash).

    Every look at the test loss leaks a little of the test set into the learner's choices;
    counting the looks makes that discipline visible."""

    __test__ = False  # not a pytest test class

    counts: dict[str, int] = field(default_factory=dict)
    last_loss: dict[str, float] = field(default_factory=dict)

    def record(self, dataset_hash: str, loss: float) -> int:
        self.counts[dataset_hash] = self.counts.get(dataset_hash, 0) + 1
        self.last_loss[dataset_hash] = loss
        return self.counts[dataset_hash]

    def count(self, dataset_hash: str) -> int:
        return self.counts.get(dataset_hash, 0)

    @classmethod
    def from_dict(cls, data: Any) -> TestEvaluations:
        if not isinstance(data, dict):
            raise ModelFileError("its count of test-set evaluations is not readable")
        counts, losses = data.get("counts", {}), data.get("last_loss", {})
        if (
            not isinstance(counts, dict)
            or not isinstance(losses, dict)
            or not all(is_whole_number(v) and 0 <= v < 2**63 for v in counts.values())
            or not all(is_number(v) for v in losses.values())
        ):
            raise ModelFileError("its count of test-set evaluations is not readable")
        return cls(
            {str(k): v for k, v in counts.items()}, {str(k): float(v) for k, v in losses.items()}
        )


@dataclass
class ModelFile:
    """Everything a model file holds."""

    model: MLP
    vocab: Vocabulary
    split_seed: int = 42
    training: TrainingSummary = field(default_factory=TrainingSummary)
    test_evaluations: TestEvaluations = field(default_factory=TestEvaluations)
    format_version: int = FORMAT_VERSION
    # "charnames": the app's own file; otherwise a learner's bare weights (KINDS), which carry
    # no split seed, training record or dataset: those fields then hold their defaults.
    kind: str = "charnames"
    # What reading a learner's weights guessed or ignored, in the learner's words (e.g. the
    # lecture's a-z assumed for 27 rows of C); the CLI prints them, the app shows them.
    notes: tuple[str, ...] = ()
    # the replay frames of its training (core/snapshots.py), when it was saved with them;
    # replay_note: why a damaged replay section was left out (the model opens without it)
    replay: SnapshotStore | None = None
    replay_note: str = ""

    @property
    def is_plain(self) -> bool:
        return self.kind != "charnames"


def is_whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """An int or float that float() can hold (a 400-digit int cannot: OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not isinstance(value, int) or abs(value) < FLOAT_MAX_INT


FLOAT_MAX_INT = 2**1023  # ints below this convert to a finite float


def shown_value(value: object) -> str:
    """A value for a message: repr, cut to one short line."""
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
    return text if len(text) <= 40 else text[:37] + "..."
