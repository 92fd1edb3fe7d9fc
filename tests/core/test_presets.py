"""The lecture's presets: faithful sizes and training, each with its reason."""

from __future__ import annotations

import pytest

from charnames_gui.core.presets import PRESETS, preset_by_name


def test_parameter_counts_match_the_lecture() -> None:
    assert preset_by_name("first model").parameter_count(27) == 3_481
    assert preset_by_name("Larger hidden layer").parameter_count(27) == 10_281
    assert preset_by_name("Larger embedding").parameter_count(27) == 11_897
    assert preset_by_name("Final run").parameter_count(27) == 11_897


def test_model_config_takes_the_dataset_vocabulary() -> None:
    config = preset_by_name("First model").model_config(vocab_size=30)
    assert (config.block_size, config.n_embd, config.n_hidden, config.vocab_size) == (
        3,
        2,
        100,
        30,
    )


def test_final_run_is_the_lecture_loop() -> None:
    final = preset_by_name("Final run").train
    assert (final.batch_size, final.steps, final.lr) == (32, 200_000, 0.1)
    assert final.schedule == "step" and final.lr_decay_at == 100_000 and final.lr_after == 0.01
    assert final.init == "lecture"
    assert [final.lr_at(99_999), final.lr_at(100_000)] == [0.1, 0.01]
    improved = preset_by_name("Improved initialisation").train
    assert improved == final.replace(init="scaled")


def test_early_presets_train_alike_so_only_the_model_differs() -> None:
    early = [preset_by_name(n).train for n in ("First model", "Larger hidden layer")]
    assert early[0] == early[1] == preset_by_name("Larger embedding").train
    assert 10_000 <= early[0].steps <= 100_000  # the lecture's tens of thousands of steps
    # lr 0.1, decayed to 0.01 for the last steps, as the lecture did by hand
    assert early[0].lr_at(0) == 0.1 and early[0].lr_at(early[0].steps - 1) == 0.01


def test_every_preset_is_valid_and_explained() -> None:
    names = [p.name for p in PRESETS]
    # the lecture's five, 'Fast to 2.20' and 'Beat the lecture' (issue 23)
    assert len(set(names)) == len(names) == 7
    for preset in PRESETS:
        preset.train.validate()
        preset.model_config(27).validate()
        assert "?" in preset.description  # the question the experiment answers


def test_unknown_preset() -> None:
    with pytest.raises(KeyError):
        preset_by_name("transformer")
