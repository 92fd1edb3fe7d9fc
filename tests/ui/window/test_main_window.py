"""Drive the main window as a learner would: open data, train, pause, stop, save, load, close."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from helpers import ScriptedDialogs, wheel_down
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from charnames_gui.core.checkpoint import load_model
from charnames_gui.core.events import EvalPoint, LossChunk, RunEnded
from charnames_gui.core.model import MLP
from charnames_gui.core.training import Trainer
from charnames_gui.ui.controller import TrainingState
from charnames_gui.ui.window.dialogs import SaveChoice
from charnames_gui.ui.window.main_window import MainWindow


def _train_until(qtbot, win: MainWindow, steps: int) -> None:
    qtbot.waitUntil(lambda: win.controller.document.trainer.step >= steps, timeout=20_000)


def test_start_shows_losses_then_pause_resume_stop(qtbot, window: MainWindow) -> None:
    c = window.controller
    assert c.document.state == TrainingState.READY
    # the first losses come once the training process has started (it imports torch: slow
    # on a loaded machine, hence the long timeout; it is a wait, not a time asserted)
    with qtbot.waitSignal(c.lossesReady, timeout=60_000):
        window.controls.start_button.click()
    assert c.document.state == TrainingState.RUNNING
    assert not window.panel.isEnabled()  # no edits while the worker trains
    qtbot.waitUntil(lambda: len(window.loss_plot.raw_data()[0]) > 50, timeout=10_000)
    steps, losses = window.loss_plot.raw_data()
    assert np.all(np.diff(steps) > 0) and np.all(np.isfinite(losses))

    with qtbot.waitSignal(c.runEnded, timeout=5_000) as paused:
        window.controls.pause_button.click()
    assert paused.args[0].status == "paused"
    assert c.document.state == TrainingState.PAUSED
    assert window.controls.start_button.text() == "Resume"
    step_at_pause = c.document.trainer.step

    with qtbot.waitSignal(c.lossesReady, timeout=10_000):
        window.controls.start_button.click()  # resume
    qtbot.waitUntil(lambda: c.document.trainer.step > step_at_pause + 100, timeout=10_000)

    with qtbot.waitSignal(c.runEnded, timeout=10_000) as stopped:
        window.controls.stop_button.click()
    outcome = stopped.args[0]
    assert outcome.status == "stopped"
    assert math.isfinite(outcome.train_loss) and math.isfinite(outcome.dev_loss)
    assert "dev" in window.controls.result_label.text()
    assert window.isWindowModified()


def test_pause_is_checked_between_steps(qtbot, window: MainWindow) -> None:
    """Pause is a flag the training loop reads between steps: once set, the worker goes idle
    and the window says so (how quickly is measured in benchmarks/, not asserted here)."""
    c = window.controller
    c.start()
    _train_until(qtbot, window, 200)
    c.worker.request_pause()
    qtbot.waitUntil(c.worker.idle.is_set, timeout=5_000)
    qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=5_000)
    step = c.document.trainer.step
    assert step >= 200
    assert c.document.trainer.step == step  # no step after the pause


def test_space_toggles_training(qtbot, window: MainWindow) -> None:
    c = window.controller
    window.loss_plot.setFocus()
    with qtbot.waitSignal(c.lossesReady, timeout=10_000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    with qtbot.waitSignal(c.runEnded, timeout=5_000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert c.document.state == TrainingState.PAUSED


def test_dev_points_and_finish_evaluate(qtbot, window: MainWindow) -> None:
    window.panel.steps.setValue(1_000)  # continue with fewer steps: the run finishes
    c = window.controller
    assert c.document.trainer.config.steps == 1_000
    with qtbot.waitSignal(c.runEnded, timeout=30_000) as ended:
        c.start()
    assert ended.args[0].status == "finished"
    assert c.document.state == TrainingState.FINISHED
    points = window.loss_plot.eval_points()
    assert points and points[-1].step == 1_000
    assert all(math.isfinite(p.dev_loss) for p in points)
    # raising the steps continues the same model
    window.panel.steps.setValue(1_500)
    assert c.document.state == TrainingState.READY
    assert window.controls.start_button.text() == "Continue"
    with qtbot.waitSignal(c.runEnded, timeout=30_000):
        c.start()
    assert c.document.trainer.step == 1_500


def test_save_and_open_round_trip(qtbot, window: MainWindow, tmp_path: Path) -> None:
    c = window.controller
    c.start()
    _train_until(qtbot, window, 300)
    target = tmp_path / "trained"
    window.dialogs.save_paths.append(str(target))
    assert window.file_commands.save_model_as()  # pauses the worker, then saves
    saved = target.with_suffix(".safetensors")
    assert saved.is_file()
    assert not window.isWindowModified()
    assert saved.name in window.windowTitle()
    qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=5_000)
    weights = {k: v.clone() for k, v in c.document.model.params.items()}
    assert load_model(saved).training.steps == c.document.trainer.step

    window.file_commands.new_model(ask=False)
    assert c.document.path is None
    assert window.file_commands.open_model(saved)
    # with its replay frames the file may be large enough to be read on a thread
    qtbot.waitUntil(lambda: c.document.path is not None, timeout=30_000)
    for name, tensor in weights.items():
        assert bool((c.document.model.params[name] == tensor).all())
    assert (
        c.document.trainer is not None
        and c.document.trainer.step == load_model(saved).training.steps
    )
    assert window.panel.model_config() == c.document.model.config

    # Continued, the model trains on exactly as it would have without the break: the same
    # minibatches from the saved step on.
    saved_step = c.document.trainer.step
    c.start()
    _train_until(qtbot, window, saved_step + 200)
    c.pause()
    qtbot.waitUntil(lambda: c.document.state == TrainingState.PAUSED, timeout=5_000)
    steps, losses = window.loss_plot.raw_data()
    assert window.loss_plot.stride == 1
    after = steps > saved_step
    d = c.document
    tc = d.trainer.config
    reference = Trainer(MLP.init(d.model.config, tc.init, tc.seed),
                        d.dataset.examples(d.model.config.block_size), tc)  # fmt: skip
    expected = reference.run(int(steps[after][-1]))
    np.testing.assert_array_equal(losses[after], expected[saved_step:])


def test_unsaved_training_asks_before_new_model(qtbot, window: MainWindow) -> None:
    c = window.controller
    c.start()
    _train_until(qtbot, window, 100)
    c.wait_until_idle()
    model_before = c.document.model
    window.dialogs.save_choice = SaveChoice.CANCEL
    window.panel.n_hidden.setValue(50)  # a new size needs a new model: asks, user cancels
    assert window.dialogs.questions
    assert c.document.model is model_before
    assert window.panel.n_hidden.value() == model_before.config.n_hidden  # reverted
    window.dialogs.save_choice = SaveChoice.DISCARD
    window.panel.n_hidden.setValue(50)
    assert c.document.model is not model_before and c.document.model.config.n_hidden == 50


def test_bad_dataset_and_bad_model_show_a_message(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    model_before = window.controller.document.model
    assert not window.file_commands.open_dataset(empty)
    assert "empty" in window.dialogs.errors[-1][1]
    hostile = tmp_path / "evil.safetensors"
    hostile.write_bytes(b"\x80\x04\x95" + b"cos\nsystem\n" + b"\x00" * 20)
    assert not window.file_commands.open_model(hostile)
    assert "pickle" in window.dialogs.errors[-1][1]
    assert window.controller.document.model is model_before  # the app keeps working
    assert window.controller.document.state == TrainingState.READY


def test_divergence_is_reported_and_app_keeps_working(qtbot, window: MainWindow) -> None:
    c = window.controller
    c.document.model.params["W2"][0, 0] = float("nan")  # the next loss is NaN
    with qtbot.waitSignal(c.runEnded, timeout=10_000) as ended:
        c.start()
    assert ended.args[0].status == "diverged"
    assert window.dialogs.errors and "diverged" in window.dialogs.errors[-1][1]
    window.file_commands.new_model(ask=False)
    with qtbot.waitSignal(c.lossesReady, timeout=10_000):
        c.start()
    c.wait_until_idle()


def test_close_during_training_stops_the_worker(qtbot, make_window) -> None:
    win = make_window(dialogs=ScriptedDialogs(save_choice=SaveChoice.DISCARD))
    win.controller.start()
    qtbot.waitUntil(lambda: win.controller.document.trainer.step > 100, timeout=10_000)
    assert win.close()
    assert win.dialogs.questions  # it asked about the unsaved training
    assert not win.controller.jobs.thread_running


def test_close_can_be_cancelled(qtbot, window: MainWindow) -> None:
    c = window.controller
    c.start()
    _train_until(qtbot, window, 50)
    window.dialogs.save_choice = SaveChoice.CANCEL
    assert not window.close()
    assert c.jobs.thread_running
    c.wait_until_idle()


def test_settings_persist_hyperparameters_and_geometry(qtbot, make_window) -> None:
    first = make_window(open_data=False)
    # the offscreen screen is 800 x 600: restoring clamps wider windows to their minimum
    first.resize(first.minimumSizeHint().width(), 560)
    size = first.size()
    first.panel.n_hidden.setValue(123)
    first.panel.lr.setValue(0.05)
    first.close()
    second = make_window(open_data=False, steps=None)
    assert second.panel.n_hidden.value() == 123
    assert second.panel.lr.value() == pytest.approx(0.05)
    assert second.size() == size


def test_drop_a_dataset_file(qtbot, window: MainWindow, tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("\n".join(f"name{c}" for c in "abcdefghijkl"), encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    window.dropEvent(drop)
    qtbot.waitUntil(lambda: window.controller.document.dataset.name == "other.txt", timeout=5_000)
    assert "other.txt" in window.dataset_label.text()


def test_export_plot_and_csv(qtbot, window: MainWindow, tmp_path: Path) -> None:
    c = window.controller
    c.start()
    _train_until(qtbot, window, 300)
    c.wait_until_idle()
    window.loss_plot.redraw()
    png, csv_path = tmp_path / "loss.png", tmp_path / "loss.csv"
    window.dialogs.save_paths += [str(png), str(csv_path)]
    window.export_commands.export_plot_png()
    window.export_commands.export_losses_csv()
    assert png.stat().st_size > 1000
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("kind,step,loss")
    assert len(rows) > 300


def test_export_script_writes_the_current_run_as_the_lectures_code(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    c = window.controller
    with qtbot.waitSignal(c.stepDone, timeout=30_000):
        assert c.step_once()
    script = tmp_path / "run.py"
    window.dialogs.save_paths.append(str(script))
    window.export_commands.export_script()
    text = script.read_text(encoding="utf-8")
    assert "W1" in text and "block_size" in text
    assert window.export_commands.status.currentMessage().startswith("Exported run.py.")


def test_every_control_has_an_accessible_name(window: MainWindow) -> None:
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit

    controls = (
        window.findChildren(QAbstractSpinBox)
        + window.findChildren(QComboBox)
        + window.findChildren(QAbstractButton)
    )
    # Qt's own parts: a line edit's clear button, the menu bar's extension button
    controls = [
        w
        for w in controls
        if not w.objectName().startswith("qt_") and not isinstance(w.parent(), QLineEdit)
    ]
    assert len(controls) > 15
    # a button's text is its accessible name; everything else needs one set explicitly
    unnamed = [
        w
        for w in controls
        if not w.accessibleName() and not (isinstance(w, QAbstractButton) and w.text())
    ]
    assert not unnamed, [type(w).__name__ for w in unnamed]


def test_a_frame_repaints_one_view(window: MainWindow, monkeypatch) -> None:
    """The window's live views share its frame clock (tests/ui/window/test_frame_clock.py):
    the loss plot on every other frame, one of the others in between."""
    from charnames_gui.core.events import Progress, Snapshot

    window.frame_clock.stop()  # the test plays the frames
    assert window.controller.document.model is not None
    painted: list[str] = []
    monkeypatch.setattr(
        window.embedding_view, "set_embedding", lambda *a, **k: painted.append("embedding")
    )
    monkeypatch.setattr(
        window.sampling_panel, "set_model", lambda *a, **k: painted.append("sampling")
    )
    monkeypatch.setattr(window.controls, "show_progress", lambda p: painted.append("progress"))
    window.live_views.on_snapshot(
        Snapshot(step=10, weights=window.controller.document.model.snapshot())
    )
    window.live_views.on_progress(
        Progress(step=10, total=100, run_seconds=1.0, steps_per_second=10.0)
    )
    names = [window.frame_clock.tick() for _ in range(6)]
    assert names.count("primary") == 3
    assert sorted(n for n in names if n != "primary") == ["embedding", "progress", "sampling"]
    assert sorted(painted) == ["embedding", "progress", "sampling"]


def test_the_wheel_over_the_training_panel_scrolls_it(qtbot, window: MainWindow) -> None:
    """Scrolling down the panel must not change (and so reset) the model on the way."""
    window.resize(1280, 800)
    hidden = window.panel.n_hidden
    before = hidden.value()
    model = window.controller.document.model
    wheel_down(hidden)
    assert hidden.value() == before
    assert window.controller.document.model is model


def test_the_training_panel_fits_a_1280_by_800_screen(window: MainWindow) -> None:
    """Every field reachable without scrolling, even with a finished run's four-line result."""
    from PySide6.QtWidgets import QApplication, QScrollArea

    from charnames_gui.core.events import RunEnded

    window.resize(1280, 800)
    window.reset_layout()  # the layout a 1280 x 800 screen starts with (the test screen is smaller)
    window.controls.show_outcome(RunEnded("finished", 200_000, 31.5, 2.1010, 2.1642))
    QApplication.processEvents()
    scroll = window.train_dock.widget()
    assert isinstance(scroll, QScrollArea)
    # the height the panel needs at the width it has (its labels wrap), not squeezed
    viewport = scroll.viewport()
    assert scroll.content.heightForWidth(viewport.width()) <= viewport.height()
    c = window.controls  # the Run buttons on one line (a wrapped row costs a line of height)
    buttons = (c.start_button, c.pause_button, c.stop_button, c.step_button)
    assert len({b.y() for b in buttons}) == 1


def test_a_run_ended_at_an_earlier_step_rolls_the_loss_plot_back(qtbot, window: MainWindow) -> None:
    """A lost training process: the controller says the model is back at step 200 (the last
    weights received) while losses up to 300 and a dev point at 300 are plotted already."""
    c = window.controller
    c.lossesReady.emit(LossChunk(1, np.linspace(3.3, 2.5, 300).astype(np.float32), 0.1))
    c.evalReady.emit(EvalPoint(100, 2.9, 2.8))
    c.evalReady.emit(EvalPoint(300, 2.6, 2.5))
    assert window.loss_plot.last_step() == 300
    c.runEnded.emit(RunEnded("failed", 200, 1.0, message="The training process stopped"))
    steps, _ = window.loss_plot.raw_data()
    assert steps.max() == 200
    assert [p.step for p in window.loss_plot.eval_points()] == [100]
    assert window.loss_plot.raw_curve.xData.max() == 200  # drawn so, not only stored
