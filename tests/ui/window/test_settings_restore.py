"""Settings are untrusted input: a bad settings file never stops the app from starting."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from PySide6.QtCore import QSettings

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.ui.window.main_window import MainWindow

GOOD_MODEL = {"block_size": 4, "n_embd": 12, "n_hidden": 150, "vocab_size": 27}
GOOD_TRAIN = TrainConfig(lr=0.05, steps=1234, lr_decay_at=600).to_dict()


def hyperparameters(**changes: object) -> str:
    values: dict[str, object] = {"model": GOOD_MODEL, "train": GOOD_TRAIN, "split_seed": 7}
    values.update(changes)
    return json.dumps(values)


@pytest.mark.parametrize(
    "split_seed", [2**31, 3_000_000_000, 2**70, -1, "42", 4.5, True, None, [1]]
)
def test_a_bad_split_seed_falls_back_to_the_default(
    qtbot, settings: QSettings, make_window: Callable[..., MainWindow], split_seed: object
) -> None:
    settings.setValue("hyperparameters", hyperparameters(split_seed=split_seed))
    window = make_window(open_data=False, steps=None)
    assert window.panel.split_seed_value() == 42
    # the other parts were good: they are kept
    assert window.panel.n_hidden.value() == 150
    assert window.panel.steps.value() == 1234


@pytest.mark.parametrize(
    "model",
    [
        {**GOOD_MODEL, "n_hidden": -5},
        {**GOOD_MODEL, "n_hidden": "150"},
        {**GOOD_MODEL, "block_size": 2**40},
        {**GOOD_MODEL, "colour": "red"},
        [1, 2, 3],
        "model",
    ],
)
def test_a_bad_model_shape_falls_back_to_the_default(
    qtbot, settings: QSettings, make_window: Callable[..., MainWindow], model: object
) -> None:
    settings.setValue("hyperparameters", hyperparameters(model=model))
    window = make_window(open_data=False, steps=None)
    assert window.panel.n_hidden.value() == ModelConfig().n_hidden
    assert window.panel.split_seed_value() == 7


@pytest.mark.parametrize(
    "train",
    [
        {**GOOD_TRAIN, "steps": -5},
        {**GOOD_TRAIN, "steps": 10**15},
        {**GOOD_TRAIN, "seed": 2**70},
        {**GOOD_TRAIN, "lr": "0.1"},
        {**GOOD_TRAIN, "lr": float("nan")},
        {**GOOD_TRAIN, "engine": 3},
    ],
)
def test_bad_training_values_fall_back_to_the_default(
    qtbot, settings: QSettings, make_window: Callable[..., MainWindow], train: object
) -> None:
    settings.setValue("hyperparameters", hyperparameters(train=train))
    window = make_window(open_data=False, steps=None)
    assert window.panel.steps.value() == TrainConfig().steps
    assert window.panel.n_hidden.value() == 150


def test_the_largest_allowed_seed_is_clamped_to_what_the_panel_shows(
    qtbot, settings: QSettings, make_window: Callable[..., MainWindow]
) -> None:
    settings.setValue("hyperparameters", hyperparameters(train={**GOOD_TRAIN, "seed": 2**63 - 1}))
    window = make_window(open_data=False, steps=None)
    assert window.panel.seed.value() == 2**31 - 1
    assert window.panel.steps.value() == 1234


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hyperparameters", "[" * 100_000 + "]" * 100_000),  # RecursionError in json
        ("hyperparameters", '{"split_seed": ' + "9" * 5000 + "}"),  # int digit limit
        ("hyperparameters", "not json"),
        ("hyperparameters", "[]"),
        ("recent_files", 5),
    ],
    ids=["deep-json", "huge-int", "not-json", "a-list", "recent-not-a-list"],
)
def test_an_unreadable_settings_value_keeps_the_defaults(
    qtbot, settings: QSettings, make_window: Callable[..., MainWindow], key: str, value: object
) -> None:
    settings.setValue(key, value)
    window = make_window(open_data=False, steps=None)
    assert window.panel.split_seed_value() == 42
    assert window.panel.n_hidden.value() == ModelConfig().n_hidden
    assert window.recent_files.paths() == []  # recent_files was read at start
