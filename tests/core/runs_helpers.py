"""A run record for the run-history tests."""

from __future__ import annotations

import numpy as np

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.runs import MAX_CURVE_POINTS, RunRecord


def make_record(dev_loss: float = 2.2, **changes: object) -> RunRecord:
    steps = np.linspace(1, 5000, MAX_CURVE_POINTS).astype(np.float32)  # a downsampled curve
    curve = np.linspace(3.3, 2.1, MAX_CURVE_POINTS).astype(np.float32)
    values: dict[str, object] = {
        "dataset_name": "names.txt",
        "dataset_hash": "ab" * 32,
        "model": ModelConfig(3, 10, 200, 27),
        "train": TrainConfig(steps=5000, lr=0.2, lr_decay_at=2500, lr_after=0.02, seed=7),
        "split_seed": 42,
        "steps_done": 5000,
        "seconds": 12.5,
        "train_loss": 2.1,
        "dev_loss": dev_loss,
        "status": "finished",
        "note": "first try",
        "curve_steps": steps,
        "curve_loss": curve,
    }
    values.update(changes)
    return RunRecord(**values)
