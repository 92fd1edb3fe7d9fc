"""The probability bars and the context window redraw only what changed."""

from __future__ import annotations

import math
import string

import numpy as np
import pytest

from charnames_gui.ui.views.sampling_bars import ContextWindow, ProbabilityBars, _round_up

ITOS = (".", *string.ascii_lowercase)


@pytest.mark.parametrize(
    ("value", "top"),
    [(0.0, 0.02), (0.013, 0.02), (0.11, 0.12), (0.12, 0.12), (0.2, 0.2), (0.21, 0.25),
     (0.5, 0.5), (0.93, 1.0), (1.25, 1.3), (math.nan, 1.0), (math.inf, 1.0)],
)  # fmt: skip
def test_the_probability_axis_tops_at_round_values(value: float, top: float) -> None:
    assert _round_up(value) == pytest.approx(top)
    assert _round_up(value) >= min(value, 1.0) or not math.isfinite(value)


def _distribution(seed: int) -> np.ndarray:
    probs = np.random.default_rng(seed).uniform(0.9, 1.1, len(ITOS))
    return probs / probs.sum()


def test_a_slightly_different_distribution_keeps_the_axes(qtbot, monkeypatch) -> None:
    """While a model trains the bars get a new distribution every 2 s; an axis given new
    ticks or a new range is drawn afresh, so they are set only when they change."""
    bars = ProbabilityBars()
    qtbot.addWidget(bars)
    bars.resize(800, 300)
    bars.show()
    bars.set_vocabulary(ITOS)
    bars.set_distribution(_distribution(0), chosen=3)
    plot = bars.getPlotItem()
    calls: list[str] = []
    axis = plot.getAxis("bottom")
    monkeypatch.setattr(axis, "setTicks", lambda *a: calls.append("ticks"))
    monkeypatch.setattr(axis, "setStyle", lambda **k: calls.append("style"))
    monkeypatch.setattr(plot, "setYRange", lambda *a, **k: calls.append("y range"))

    bars.set_distribution(_distribution(1), chosen=5)
    assert calls == []
    np.testing.assert_allclose(bars.bar_heights(), _distribution(1))
    assert bars.tick_labels() == list(ITOS)

    bars.set_by_probability(True)  # the bars change places: the labels follow them
    assert calls == ["ticks"]
    peaked = np.full(len(ITOS), 0.5 / (len(ITOS) - 1))
    peaked[4] = 0.5
    bars.set_distribution(peaked)
    assert "y range" in calls


def test_a_held_axis_stays_0_to_1_whatever_the_bars(qtbot, monkeypatch) -> None:
    """A replay holds the y axis: scrubbing to a frame with other probabilities gives the
    bars new heights but never a new scale (a redraw of the axis and grid each time)."""
    bars = ProbabilityBars()
    qtbot.addWidget(bars)
    bars.resize(800, 300)
    bars.show()
    bars.set_vocabulary(ITOS)
    bars.set_distribution(_distribution(0), chosen=3)
    assert bars.y_range()[1] == pytest.approx(_round_up(_distribution(0).max() * 1.25))
    bars.hold_axis(True)
    assert bars.y_range() == (0.0, pytest.approx(1.25))
    left = bars.getPlotItem().getAxis("left")
    labels = sorted((value, label) for level in left._tickLevels for value, label in level)
    assert [label for _, label in labels] == ["0.0", "0.25", "0.5", "0.75", "1.0"]
    plot = bars.getPlotItem()
    calls: list[str] = []
    monkeypatch.setattr(plot, "setYRange", lambda *a, **k: calls.append("y range"))
    monkeypatch.setattr(left, "setTicks", lambda *a: calls.append("left ticks"))
    peaked = np.full(len(ITOS), 0.1 / (len(ITOS) - 1))
    peaked[4] = 0.9
    for probs in (peaked, _distribution(1), np.eye(len(ITOS))[7]):
        bars.set_distribution(probs, chosen=4)
        np.testing.assert_allclose(bars.bar_heights(), probs)
    assert calls == []
    monkeypatch.undo()
    bars.hold_axis(False)  # live again: the axis follows the bars
    assert bars.y_range()[1] == pytest.approx(_round_up(1.25))
    assert left._tickLevels is None


def test_the_context_window_restyles_only_changed_boxes(qtbot, monkeypatch) -> None:
    window = ContextWindow()
    qtbot.addWidget(window)
    window.set_window([".", ".", "a"], ".", "b")
    assert window.texts() == [".", ".", "a"]
    assert window.next_text() == "b"
    restyled: list[str] = []
    for label in window.findChildren(type(window._next)):
        was = label.text()
        monkeypatch.setattr(label, "setStyleSheet", lambda _style, was=was: restyled.append(was))
    window.set_window([".", "a", "b"], ".", "c")  # the middle box turns from boundary to char
    assert window.texts() == [".", "a", "b"]
    assert window.next_text() == "c"
    assert restyled == ["."]
