"""What the `charnames` subcommands share: argument checks, the progress bar, the dataset
and configs a command works on, and saving a trained model without losing it.

cli.py and the subcommand modules (cli_repeat, cli_search, ...) import this; it imports none
of them, so no subcommand imports cli.py back (an import-linter contract keeps it so).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.checkpoint import save_model
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import CharnamesError, ConfigError, DatasetError, ModelFileError
from charnames_gui.core.model_dataset import dataset_for_model, read_dataset_for
from charnames_gui.core.model_file import MAX_SPLIT_SEED, ModelFile
from charnames_gui.core.presets import PRESETS, preset_by_name

# Split seeds stop at checkpoint.MAX_SPLIT_SEED (2**31 - 1): the app's Split seed field is a
# 32-bit spin box, so a model trained with a larger one could not be shown or continued there.


def whole_number(text: str) -> int:
    """argparse type: an int, with a clear message for '1.5', 'abc' or 5,000 digits."""
    try:
        return int(text)
    except ValueError:
        shown = text if len(text) <= 20 else f"{text[:20]}... ({len(text):,} characters)"
        raise argparse.ArgumentTypeError(f"{shown!r} is not a whole number") from None


def check_range(name: str, value: int, low: int, high: int, why: str = "") -> None:
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:,} and {high:,}{why}, not {value:,}")


def check_split_seed(split_seed: int) -> None:
    check_range("--split-seed", split_seed, 0, MAX_SPLIT_SEED, " (the app's Split seed field)")


class _Tqdm(tqdm):
    monitor_interval = 0  # no monitor thread: the bar is updated at least every 0.1 s anyway


class ProgressBar:
    """The training progress on one line (tqdm): steps, steps/s, time left and the last loss,
    redrawn at most 10 times a second; nothing when disabled (output not a terminal)."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self._bar = _Tqdm(
            total=total, file=stream, disable=not enabled, unit=" steps", mininterval=0.1,
            ncols=100, bar_format="{l_bar}{bar}| {n:,}/{total:,} [{elapsed}<{remaining}, "
            "{rate_fmt}{postfix}]",
        )  # fmt: skip

    def update(self, step: int, loss: float) -> None:
        self._bar.set_postfix_str(f"loss {loss:.3f}", refresh=False)
        self._bar.update(step - self._bar.n)

    def close(self) -> None:
        self._bar.close()


def load_dataset(path: str | None, split_seed: int, vocab: object = None) -> Dataset:
    data_path = Path(path) if path else bundled_dataset_path()
    return Dataset.from_file(data_path, split_seed=split_seed, vocab=vocab)  # type: ignore[arg-type]


def check_output_path(out: Path, dataset: Dataset) -> None:
    """Before training: --out must not be the dataset itself (after resolving links), and its
    folder must take a new file, so that no training is thrown away at the end."""
    if out.is_dir() or not (out.parent if str(out.parent) else Path(".")).is_dir():
        raise ConfigError(f"Cannot save to {out}: choose a file in an existing folder")
    if dataset.path is not None and out.exists():
        try:
            same = os.path.samefile(out, dataset.path)
        except OSError:
            same = False
        if same:
            raise ConfigError(
                f"--out {out} is the dataset itself: saving there would overwrite the names; "
                "choose another file"
            )
    folder = out.parent if str(out.parent) else Path(".")
    try:  # the only sure test of "can I write here" is writing: a private empty file
        fd, probe = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".probe", dir=folder)
    except OSError as exc:
        raise ConfigError(
            f"Cannot save to {out}: the folder is not writable ({exc.strerror or exc}); "
            "choose another folder before training"
        ) from None
    os.close(fd)
    os.unlink(probe)


class SaveRescued(CharnamesError):
    """The model could not be saved where asked; it was saved in a temporary folder."""

    def __init__(self, out: Path, rescue: Path, reason: str) -> None:
        self.rescue = rescue
        super().__init__(f"Cannot save to {out} ({reason}); the model was saved to {rescue}")


def save_or_rescue(out: Path, model_file: ModelFile) -> Path:
    """Save to out; if that fails at the end of a run, save to a new temporary folder instead
    and raise SaveRescued naming both, so the trained model is never lost."""
    try:
        save_model(out, model_file)
        return out
    except (OSError, ModelFileError) as first:
        reason = first.strerror if isinstance(first, OSError) and first.strerror else str(first)
    rescue = Path(tempfile.mkdtemp(prefix="charnames-")) / (out.name or "model.safetensors")
    try:
        save_model(rescue, model_file)
    except (OSError, ModelFileError) as exc:
        raise ModelFileError(
            f"Cannot save to {out} ({reason}), nor to {rescue.parent} ({exc}): the model is lost"
        ) from None
    raise SaveRescued(out, rescue, reason)


def train_configs(args: argparse.Namespace, vocab_size: int) -> tuple[ModelConfig, TrainConfig]:
    """The lecture's final run, or --preset's configs, changed by the flags that were given
    (a flag left out is None)."""
    if args.preset:
        try:
            preset = preset_by_name(args.preset)
        except KeyError:
            names = ", ".join(f"'{p.name}'" for p in PRESETS)
            raise ConfigError(
                f"There is no preset {args.preset!r}; the presets are {names}"
            ) from None
        model_config, train_config = preset.model_config(vocab_size), preset.train
    else:
        model_config, train_config = ModelConfig(vocab_size=vocab_size), TrainConfig()
    shape = {
        "block_size": args.block_size,
        "n_embd": args.embedding,
        "n_hidden": args.hidden,
        "batchnorm": args.batchnorm,
    }
    model_config = dataclasses.replace(
        model_config, **{k: v for k, v in shape.items() if v is not None}
    )
    changes = {
        name: getattr(args, name)
        for name in (
            "batch_size",
            "steps",
            "lr",
            "lr_after",
            "init",
            "seed",
            "engine",
            "weight_decay",
        )
        if getattr(args, name) is not None
    }
    if args.lr_decay_at is not None:
        changes["schedule"] = "step" if args.lr_decay_at > 0 else "constant"
        changes["lr_decay_at"] = args.lr_decay_at
    if args.schedule:
        changes["schedule"] = args.schedule
    return model_config, train_config.replace(**changes)


def dataset_of(args: argparse.Namespace, model_file: ModelFile) -> Dataset:
    """--data, or the dataset the model records (by content): never a guess."""
    if getattr(args, "data", None):
        return read_dataset_for(args.data, model_file)
    bundled: Path | None
    try:
        bundled = bundled_dataset_path()
    except DatasetError:
        bundled = None
    return dataset_for_model(model_file, Path(args.model).name, bundled)
