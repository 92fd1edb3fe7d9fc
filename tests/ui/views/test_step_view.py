"""The One step button and its view: a single minibatch step, shown, and the same weights as
the run done in one go."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from charnames_gui.core.model import MLP
from charnames_gui.core.training import Trainer
from charnames_gui.ui.controller import TrainingState
from charnames_gui.ui.window.main_window import MainWindow


def test_the_one_step_button_trains_the_runs_next_step_and_shows_it(
    qtbot,
    window: MainWindow,
) -> None:
    c, controls = window.controller, window.controls
    assert controls.step_button.isEnabled()
    assert controls.step_button.shortcut().toString() == "Ctrl+Right"
    for n in range(1, 4):
        with qtbot.waitSignal(c.stepDone, timeout=30_000):
            qtbot.mouseClick(controls.step_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=10_000)
        assert c.document.trainer is not None and c.document.trainer.step == n
    view = controls.step_view
    assert view.isVisible()
    assert view.summary().startswith("Step 3 (lr ")
    assert len(view.rows()) == c.document.trainer.config.batch_size
    assert all(" → " in row for row in view.rows())
    assert view.moves().startswith("After '")  # the start of a name: no name in progress
    assert "3" in controls.step_text().split("/")[0]  # the progress bar counts the steps

    tc = c.document.trainer.config
    assert c.document.model is not None
    reference = Trainer(
        MLP.init(c.document.model.config, tc.init, tc.seed), c.document.trainer.examples, tc
    )
    reference.run(3)
    mine, theirs = c.document.model.snapshot(), reference.model.snapshot()
    assert all(np.array_equal(mine[k], theirs[k]) for k in mine)
    # the loss plot got the three steps' losses, as a run would have sent them
    steps, _ = window.loss_plot.raw_data()
    assert list(steps[-3:]) == [1, 2, 3]


def test_one_step_is_not_offered_while_training(qtbot, window: MainWindow) -> None:
    c = window.controller
    c.start()
    qtbot.waitUntil(lambda: c.document.state == TrainingState.RUNNING, timeout=10_000)
    assert not window.controls.step_button.isEnabled()
    assert not c.step_once()
    c.pause()
    qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=30_000)
    assert window.controls.step_button.isEnabled()


def test_the_step_text_agrees_with_the_bars_and_the_window_closes(
    qtbot, window: MainWindow
) -> None:
    """Issue 24 item 5: after One step with a name in progress, the bar of the drawn
    character shows the "after" probability the step window gives it, the run panel says the
    step the progress bar says, and Close or Esc close the step window (item 7)."""
    from charnames_gui.core.display import format_probability

    c, panel = window.controller, window.sampling_panel
    qtbot.waitUntil(lambda: panel.state is not None, timeout=30_000)
    panel.step_action.trigger()  # a name in progress: its context is the step's probe
    with qtbot.waitSignal(c.stepDone, timeout=30_000) as done:
        window.controls.step_button.click()
    one = done.args[0]
    probs = panel.shown().probabilities
    assert np.allclose(probs, one.probs_after, atol=1e-6)  # the bars are the step's "after"
    for i, _before, after in one.largest_moves():
        assert format_probability(after) in window.controls.step_view.moves()
        assert format_probability(float(probs[i])) == format_probability(after)
    assert f"step {one.step:,}" in window.controls.result_label.text()
    assert f"step {one.step:,} /" in window.controls.step_text()
    view = window.controls.step_view
    assert view.isVisible()
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert not view.isVisible()
    view.show()
    view.close_button.click()
    assert not view.isVisible()
