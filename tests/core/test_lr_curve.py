"""Reading a sweep's curves at one learning rate (the LR finder's hover readout)."""

from __future__ import annotations

import numpy as np

from charnames_gui.core.lr_curve import read_sweep


def test_the_reading_is_the_nearest_step_of_every_curve() -> None:
    xs = np.linspace(-3, 0, 7)  # log10(lr): -3, -2.5, ..., 0
    curves = np.stack([xs + 5, xs + 6, np.where(xs > -1, np.nan, xs + 7)], 1)  # (7, 3)
    reading = read_sweep(-1.6, xs, curves, xs[:5], np.arange(5.0))
    assert reading is not None
    assert reading.x == -1.5 and reading.lr == 10**-1.5
    assert reading.losses == (3.5, 4.5, 5.5) and reading.mean == 3.0
    lines = reading.lines()
    assert lines[0] == "lr = 0.0316 = 10^-1.50   (log10 lr = -1.50)"
    assert lines[1] == "mean of 3 seeds: 3.000"
    assert lines[2:] == ["seed 1 (yours): 3.500   seed 2: 4.500", "seed 3: 5.500"]
    late = read_sweep(-0.1, xs, curves, xs[:5], np.arange(5.0))
    assert late is not None and late.x == 0.0 and late.mean is None  # past the mean's end
    assert "mean of 3 seeds: ended" in late.text() and "seed 3: blew up" in late.text()
    assert read_sweep(-1.0, xs[:0], curves[:0], xs[:0], xs[:0]) is None


def test_one_seed_reads_the_step_and_its_moving_average() -> None:
    xs = np.array([-2.0, -1.0])
    reading = read_sweep(-1.2, xs, np.array([[2.5], [2.25]]), xs, np.array([2.4, 2.3]))
    assert reading is not None
    assert reading.lines()[1:] == ["loss at this step: 2.250", "moving average: 2.300"]
