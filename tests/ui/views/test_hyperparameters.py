"""The hyperparameter panel's Experiment list names the preset the values are (issue 24)."""

from __future__ import annotations

from charnames_gui.ui.views.hyperparameters import HyperparameterPanel


def test_the_defaults_are_labelled_as_the_final_run(qtbot) -> None:
    panel = HyperparameterPanel()
    qtbot.addWidget(panel)
    panel.set_vocab_size(27)
    assert panel.preset.currentText() == "Final run"  # the defaults are the lecture's final run
    assert panel.preset_description.text()
    panel.n_hidden.setValue(panel.n_hidden.value() + 1)
    assert panel.preset.currentText() == "Custom settings"
    panel.n_hidden.setValue(panel.n_hidden.value() - 1)  # back to its values: its name again
    assert panel.preset.currentText() == "Final run"


def test_choosing_a_preset_leaves_space_to_start_training(qtbot) -> None:
    """Space after a preset chosen with the mouse opened the list again: the list keeps no
    focus after a choice."""
    panel = HyperparameterPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.preset.setFocus()
    index = panel.preset.findText("First model")
    panel.preset.activated.emit(index)
    assert panel.preset.currentText() == "First model"
    assert not panel.preset.hasFocus()


def test_the_later_lectures_settings_fold_under_one_line_that_says_what_is_set(qtbot) -> None:
    """The Beat the lecture preset sets part 3's init and BatchNorm: the folded line names
    them, the configs carry them, and unfolding shows the fields."""
    panel = HyperparameterPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_vocab_size(27)
    assert panel.later.summary.text() == "none"  # the lecture's model
    assert not panel.batchnorm.isVisible()  # folded: one line
    with qtbot.waitSignal(panel.modelShapeChanged):
        panel.preset.activated.emit(panel.preset.findText("Beat the lecture"))
    assert panel.model_config().batchnorm
    assert panel.train_config().init == "scaled"
    assert panel.later.summary.text() == "scaled init, BatchNorm"
    panel.later.set_unfolded(True)
    assert panel.batchnorm.isVisible() and panel.weight_decay.isVisible()
    with qtbot.waitSignal(panel.trainingChanged):
        panel.weight_decay.setValue(0.0001)
    assert panel.train_config().weight_decay == 0.0001
    assert panel.preset.currentText() == "Custom settings"
    panel.later.set_unfolded(False)
    assert panel.later.summary.text() == "scaled init, BatchNorm, weight decay 0.0001"
    with qtbot.waitSignal(panel.modelShapeChanged):
        panel.batchnorm.setChecked(False)
    assert not panel.model_config().batchnorm
