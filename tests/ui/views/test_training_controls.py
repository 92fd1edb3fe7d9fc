"""The run panel: buttons by state, the step count in the progress bar, fixed-size figures."""

from __future__ import annotations

import math

from charnames_gui.core.events import Progress, RunEnded
from charnames_gui.ui.controller import TrainingState
from charnames_gui.ui.views.training_controls import TrainingControls, format_duration


def test_progress_shows_the_step_count_and_the_figures(qtbot) -> None:
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.set_state(TrainingState.READY, 0, 200_000)
    assert controls.step_text() == "step 0 / 200,000 (0%)"
    assert controls.start_button.text() == "Start"
    sizes = {label: label.size() for label in
             (controls.rate_label, controls.elapsed_label, controls.left_label)}  # fmt: skip
    controls.set_state(TrainingState.RUNNING, 0, 200_000)
    controls.show_progress(Progress(809, 200_000, 0.1, 8_090.0))
    assert controls.left_label.text() == "estimating…"  # from a tenth of a second: no figure
    for tenth in range(2, 45):  # a steady 8,090 steps/s
        controls.show_progress(Progress(round(809 * tenth), 200_000, tenth / 10, 8_090.0))
    controls.show_progress(Progress(36_202, 200_000, 36_202 / 8_090.0, 8_090.0))
    assert controls.step_text() == "step 36,202 / 200,000 (18%)"
    assert controls.progress_bar.value() == 181
    assert controls.rate_label.text() == "8,090 steps/s"
    assert controls.elapsed_label.text() == "4.5 s"
    assert controls.left_label.text() == format_duration((200_000 - 36_202) / 8_090.0)
    # the longest texts fit, and new numbers never resize the labels (no window re-layout)
    for progress in (Progress(9_999_999, 10_000_000, 3599.0, 999_999.0),
                     Progress(1, 10_000_000, 500_000.0, 20.0)):  # fmt: skip
        controls.show_progress(progress)  # 59 min 59 s; 138 h 53 min
        for label, size in sizes.items():
            assert label.size() == size
            assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()
    controls.set_state(TrainingState.FINISHED, 200_000, 200_000)
    assert controls.step_text() == "step 200,000 / 200,000 (100%)"
    assert controls.left_label.text() == "done"


def test_format_duration() -> None:
    assert format_duration(5.25) == "5.2 s"
    assert format_duration(61) == "1 min 01 s"
    assert format_duration(3 * 3600 + 125) == "3 h 02 min"
    assert format_duration(math.inf) == "–"


def test_the_figures_reset_for_a_new_model(qtbot) -> None:
    """The controller sends a zero Progress for a new or opened model: no speed, elapsed time
    or time left carried over from the previous one."""
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.show_progress(Progress(36_202, 200_000, 5.3, 8_090.0))
    controls.show_progress(Progress(0, 200_000, 0.0, 0.0))
    assert controls.step_text() == "step 0 / 200,000 (0%)"
    texts = [controls.rate_label.text(), controls.elapsed_label.text(), controls.left_label.text()]
    assert texts == ["–", "–", "–"]


def test_the_result_shows_each_loss_with_its_standard_error(qtbot) -> None:
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.show_outcome(RunEnded("finished", 200_000, 95.0, 2.1211, 2.1662, "",
                                   train_se=0.0021, dev_se=0.0062))  # fmt: skip
    text = controls.result_label.text()
    assert "<b>2.1662 ± 0.006</b>" in text and "<b>2.1211 ± 0.002</b>" in text
    assert "standard error" in text
    controls.show_outcome(RunEnded("stopped", 300, 1.0, 2.5, 2.6))  # no error measured
    assert "<b>2.6000</b>" in controls.result_label.text()
    assert "±" not in controls.result_label.text()
