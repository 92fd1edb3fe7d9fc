"""Replay in the window (issue 22): the timeline under the loss plot takes every view back to
a frame, Back to live returns, the frames are saved and opened with the model, and the
export runs off the GUI thread with progress and cancel, never over a file unasked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from helpers import bars_of
from PIL import Image
from PySide6.QtCore import Qt

from charnames_gui.core.replay_projection import ReplayProjection
from charnames_gui.core.training_state import TrainingState
from charnames_gui.ui.window.main_window import MainWindow
from charnames_gui.ui.window.replay_export_dialog import ExportChoice, ReplayExportDialog

STEPS = 240


def trained(qtbot, make_window) -> MainWindow:  # type: ignore[no-untyped-def]
    win = make_window(steps=STEPS)
    c = win.controller
    qtbot.waitUntil(lambda: c.document.state == TrainingState.READY, timeout=60_000)
    c.start()
    qtbot.waitUntil(lambda: c.document.state == TrainingState.FINISHED, timeout=120_000)
    timeline = win.timeline
    qtbot.waitUntil(lambda: timeline.slider_steps()[-1:] == [STEPS], timeout=10_000)
    return win


def test_a_frame_takes_every_view_back_and_back_to_live_returns(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    win = trained(qtbot, make_window)
    c, timeline = win.controller, win.timeline
    store = c.document.replay
    assert store is not None and timeline.slider_steps() == store.steps
    index = store.steps.index(100)
    timeline.setFocus()
    timeline.choose(index)
    frame = store.frames[index]
    # the embedding: the frame's C through the one fixed map of the run
    win.embedding_view.set_projection("pca")
    expected = ReplayProjection.for_frames(store.frames).project(frame.weights["C"])
    np.testing.assert_allclose(win.embedding_view.points(), expected)
    assert win.loss_plot.marked_step() == 100
    # the sampling panel (and the forward pass, which follows it) samples from the frame
    sampler = win.sampling_panel.sampler
    assert sampler is not None
    for name, value in frame.weights.items():
        np.testing.assert_array_equal(sampler.model.params[name].numpy(), value)
    assert "step 100" in win.statusBar().currentMessage()
    assert bars_of(win.sampling_panel).axis_held()  # 0..1 on every frame
    # the hidden layer is analysed for the frame's weights
    win.hidden_dock.raise_()
    qtbot.waitUntil(lambda: getattr(win.hidden_view.stats(), "step", None) == 100,
                    timeout=20_000)  # fmt: skip
    # keys move through the frames
    qtbot.keyClick(timeline, Qt.Key.Key_Right)
    assert win.loss_plot.marked_step() == store.steps[index + 1]
    qtbot.keyClick(timeline, Qt.Key.Key_Home)
    assert win.loss_plot.marked_step() == 0
    qtbot.mouseClick(timeline.live_button, Qt.MouseButton.LeftButton)
    assert timeline.index is None and win.loss_plot.marked_step() is None
    assert not bars_of(win.sampling_panel).axis_held()
    live = c.document.model.snapshot()  # type: ignore[union-attr]
    np.testing.assert_array_equal(win.sampling_panel.sampler.model.params["C"].numpy(), live["C"])  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: getattr(win.hidden_view.stats(), "step", None) == STEPS,
                    timeout=20_000)  # fmt: skip


def test_the_frames_are_saved_and_opened_with_the_model(qtbot, make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = trained(qtbot, make_window)
    steps = win.controller.document.replay.steps  # type: ignore[union-attr]
    path = tmp_path / "m.safetensors"
    assert win.controller.save(path)
    other = make_window(steps=STEPS)
    qtbot.waitUntil(lambda: other.controller.document.state == TrainingState.READY, timeout=60_000)
    assert other.file_commands.open_model(path)
    qtbot.waitUntil(lambda: other.timeline.slider_steps() == steps, timeout=10_000)
    other.timeline.choose(0)
    assert other.loss_plot.marked_step() == 0


def test_export_gif_still_and_cancel(qtbot, make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = trained(qtbot, make_window)
    replay, dialogs = win.replay_commands, win.dialogs
    gif, png, svg = tmp_path / "embedding.gif", tmp_path / "bars.png", tmp_path / "hidden.svg"
    dialogs.save_paths = [str(gif), str(png), str(svg), str(tmp_path / "cancelled.mp4")]  # type: ignore[attr-defined]
    # the dialog's choice (what the learner clicks), answered without its modal loop
    asked: list[ReplayExportDialog] = []

    def choose(dialog: ReplayExportDialog) -> bool:
        dialog.select(ExportChoice("embedding", ".gif", (1280, 720)))
        asked.append(dialog)
        return True

    replay.ask_choice = choose
    assert replay.export_dialog()
    assert replay.progress_dialog is not None  # progress shown while it runs
    qtbot.waitUntil(lambda: replay.job is None, timeout=120_000)
    assert Image.open(gif).n_frames == len(win.controller.document.replay.frames)  # type: ignore[union-attr]
    assert str(gif) in win.statusBar().currentMessage()
    win.timeline.choose(5)  # a still is of the step shown
    assert replay.export(ExportChoice("bars", ".png", (1920, 1080)))
    qtbot.waitUntil(lambda: replay.job is None, timeout=60_000)
    assert Image.open(png).size == (1920, 1080)
    assert replay.export(ExportChoice("hidden", ".svg", (1280, 720)))
    qtbot.waitUntil(lambda: replay.job is None, timeout=60_000)
    assert "step 5" in svg.read_text() or f"step {win.timeline.step:,}" in svg.read_text()
    assert replay.export(ExportChoice("hidden", ".mp4", (1280, 720)))
    replay.cancel_export()  # what the progress dialog's Cancel does
    qtbot.waitUntil(lambda: replay.job is None, timeout=60_000)
    assert not (tmp_path / "cancelled.mp4").exists()
    assert "cancelled" in win.statusBar().currentMessage()
    assert not dialogs.errors  # type: ignore[attr-defined]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_export_never_replaces_a_file_unasked(qtbot, make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = trained(qtbot, make_window)
    replay, dialogs = win.replay_commands, win.dialogs
    earlier = tmp_path / "talk.gif"
    earlier.write_bytes(b"the learner's own file")
    # typed without its suffix: the file dialog did not ask about talk.gif, so the app does
    dialogs.save_paths = [str(tmp_path / "talk")]  # type: ignore[attr-defined]
    dialogs.confirm_answer = False  # type: ignore[attr-defined]
    assert not replay.export(ExportChoice("embedding", ".gif", (1280, 720)))
    assert dialogs.questions and "talk.gif" in dialogs.questions[-1]  # type: ignore[attr-defined]
    assert earlier.read_bytes() == b"the learner's own file"
    # the model's own file, even under another name, is refused with a clear message
    model = tmp_path / "model.safetensors"
    assert win.controller.save(model)
    link = tmp_path / "model.svg"
    link.symlink_to(model)
    before = model.read_bytes()
    dialogs.save_paths = [str(link)]  # type: ignore[attr-defined]
    assert replay.export(ExportChoice("embedding", ".svg", (1280, 720)))
    qtbot.waitUntil(lambda: replay.job is None, timeout=60_000)
    assert model.read_bytes() == before
    assert dialogs.errors and "model.safetensors" in dialogs.errors[-1][1]  # type: ignore[attr-defined]


def test_the_timeline_fits_under_the_plot_on_small_and_large_screens(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    win = make_window()
    timeline = win.timeline
    buttons = (timeline.play_button, timeline.live_button, timeline.export_button)
    for size, zoom in (((1024, 600), 1.0), ((1024, 600), 2.0), ((1280, 720), 1.5),
                       ((1920, 1080), 2.0)):  # fmt: skip
        win.zoom.set_factor(zoom)
        win.resize(*size)
        win.docks.reset()
        qtbot.waitUntil(lambda: all(b.isVisible() for b in buttons))
        qtbot.waitUntil(lambda: timeline.height() >= timeline.minimumSizeHint().height())
        for button in buttons:  # whole, inside the window, on screen
            rect = button.rect().translated(button.mapTo(win, button.rect().topLeft()))
            assert win.rect().contains(rect), (size, zoom, button.text(), rect)
            assert button.width() >= button.minimumSizeHint().width(), (size, zoom)
        assert timeline.slider.width() > 40
