"""The replay timeline: frames chosen by slider, keys and Play; Back to live."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt

from charnames_gui.ui.views.timeline import NO_FRAMES_TEXT, Timeline


def make(qtbot) -> Timeline:
    timeline = Timeline()
    qtbot.addWidget(timeline)
    timeline.show()
    return timeline


def test_without_frames_nothing_can_be_chosen(qtbot) -> None:
    timeline = make(qtbot)
    assert not timeline.slider.isEnabled() and not timeline.play_button.isEnabled()
    assert timeline.label.text() == NO_FRAMES_TEXT and timeline.index is None


def test_keys_and_the_slider_choose_frames_and_back_to_live_leaves_them(qtbot) -> None:
    timeline = make(qtbot)
    timeline.set_frames([0, 1, 2, 10, 1000], [math.nan, 3.2, 3.1, 2.9, 2.5])
    assert timeline.label.text() == "live · 5 frames"
    chosen: list[int] = []
    timeline.frameChosen.connect(chosen.append)
    timeline.setFocus()
    qtbot.keyClick(timeline, Qt.Key.Key_Left)  # from live (the last frame): one back
    assert timeline.index == 3 and timeline.label.text() == "step 10 · loss 2.900"
    qtbot.keyClick(timeline, Qt.Key.Key_Home)
    assert timeline.step == 0 and timeline.label.text() == "step 0"  # no loss before step 1
    qtbot.keyClick(timeline, Qt.Key.Key_Right)
    qtbot.keyClick(timeline, Qt.Key.Key_End)
    timeline.slider.setValue(2)  # as a drag does
    assert chosen == [3, 0, 1, 4, 2]
    assert timeline.live_button.isEnabled()
    # later frames arrive while one is shown: it stays shown
    timeline.set_frames([0, 1, 2, 10, 1000, 2000], [math.nan, 3.2, 3.1, 2.9, 2.5, 2.4])
    assert timeline.step == 2 and timeline.slider.value() == 2
    with qtbot.waitSignal(timeline.liveChosen):
        qtbot.mouseClick(timeline.live_button, Qt.MouseButton.LeftButton)
    assert timeline.index is None and timeline.slider.value() == 5
    assert not timeline.live_button.isEnabled()


def test_play_goes_through_every_frame_and_stops_at_the_last(qtbot) -> None:
    timeline = make(qtbot)
    timeline.set_frames([0, 1, 2, 3], [math.nan, 3.0, 2.9, 2.8])
    chosen: list[int] = []
    timeline.frameChosen.connect(chosen.append)
    qtbot.mouseClick(timeline.play_button, Qt.MouseButton.LeftButton)
    assert timeline.playing and timeline.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: not timeline.playing, timeout=5_000)
    assert chosen == [0, 1, 2, 3] and timeline.index == 3
    assert timeline.play_button.text() == "Play" and not timeline.play_button.isChecked()


def test_a_narrow_timeline_puts_the_slider_above_its_buttons_and_cuts_none(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QFont

    timeline = make(qtbot)
    timeline.set_frames([0, 1, 2], [math.nan, 3.0, 2.9])
    buttons = (timeline.play_button, timeline.live_button, timeline.export_button)
    for point_size in (9, 18):  # 100% and 200% text
        font = QFont(timeline.font())
        font.setPointSize(point_size)
        timeline.setFont(font)
        for width in (1400, 700, timeline.minimumSizeHint().width()):
            timeline.resize(width, timeline.sizeHint().height())
            qtbot.waitUntil(lambda w=width: timeline.width() == w)
            timeline.resize(width, timeline.minimumSizeHint().height())
            qtbot.waitUntil(lambda: all(b.width() > 0 for b in buttons))
            assert timeline.mode != "compact"  # a window of its own: never compact
            for button in buttons:  # whole, inside the timeline, and wide enough for its text
                geometry = button.geometry()
                assert timeline.rect().contains(geometry), (point_size, width, button.text())
                assert geometry.width() >= button.minimumSizeHint().width()
            if timeline.mode == "row":  # the step and loss are not covered by a button
                label = timeline.label.geometry()
                assert label.width() >= timeline.label.minimumWidth()
                assert not any(label.intersects(b.geometry()) for b in buttons)
            slider = timeline.slider.geometry()
            assert timeline.rect().contains(slider) and slider.width() > 40
            if timeline.two_rows:
                assert slider.bottom() < timeline.play_button.geometry().top()
        assert timeline.two_rows  # at its minimum width
    timeline.resize(3000, 60)
    qtbot.waitUntil(lambda: not timeline.two_rows)
