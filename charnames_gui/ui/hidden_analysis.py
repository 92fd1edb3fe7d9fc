"""The hidden layer's statistics (core.hidden_stats) of the newest weight snapshot, computed
off the GUI thread for the hidden-layer view, which only draws what it is given.

A snapshot costs 5 ms (the lecture's model) to 200 ms (hidden 4,096) to analyse, so the work
runs as a BackgroundJob, at most REFRESH_HZ times a second, only while someone looks (the
view is visible), never more than one at a time (snapshots that arrive meanwhile replace each
other and only the newest is analysed), and taking at most MAX_DUTY of a core: training goes
first. An analysis of a model replaced since is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from charnames_gui.core.config import ModelConfig
from charnames_gui.ui.background import BackgroundJob

if TYPE_CHECKING:  # torch-backed: imported at the first model
    import torch

    from charnames_gui.core.hidden_stats import ExampleSample

REFRESH_HZ = 4
MAX_DUTY = 0.2  # at most this share of one core: a big model waits longer between analyses


class HiddenAnalysis(QObject):
    """Statistics of the newest snapshot of the current model (see the module's docstring).
    wanted(): is anyone looking (False: snapshots wait, nothing is computed)."""

    analysed = Signal(object)  # HiddenStats of the newest snapshot analysed
    failed = Signal(str)  # why these weights could not be analysed

    def __init__(self, wanted: Callable[[], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._wanted = wanted
        self._config: ModelConfig | None = None
        self._sample: ExampleSample | None = None
        self._lr_at: Callable[[int], float] = lambda _step: 0.1
        self._pending: tuple[int, Mapping[str, np.ndarray]] | None = None
        self._job: BackgroundJob | None = None
        self._analysed_once = False
        self._next_start = 0.0  # no analysis starts before this time
        self._timer = QTimer(self)
        self._timer.setInterval(round(1000 / REFRESH_HZ))
        self._timer.timeout.connect(self.poke)

    @property
    def has_data(self) -> bool:
        """There is a model and a sample of training examples to analyse it on."""
        return self._sample is not None

    @property
    def busy(self) -> bool:
        return self._job is not None

    @property
    def settled(self) -> bool:
        """Nothing is being analysed and no snapshot waits to be (or no one looks)."""
        return self._job is None and (self._pending is None or not self._wanted())

    def set_model(
        self,
        config: ModelConfig | None,
        examples: tuple[torch.Tensor, torch.Tensor] | None,
        lr_at: Callable[[int], float],
    ) -> None:
        """A new model: its configuration, the training (X, Y) to draw the fixed sample from
        (None: no dataset), and the learning rate of each step."""
        from charnames_gui.core.hidden_stats import example_sample

        if self._job is not None:  # its result is of the replaced model: dropped
            self._job.cancel()
        self._config = config
        self._sample = example_sample(*examples) if config and examples else None
        self._lr_at = lr_at
        self._pending = None
        self._analysed_once = False

    def offer(self, step: int, weights: Mapping[str, np.ndarray]) -> None:
        """The newest snapshot (copies of the weights). Analysed within 1/REFRESH_HZ s while
        wanted; a newer snapshot replaces one not analysed yet."""
        if self._sample is None:
            return
        self._pending = (step, weights)
        if not self._timer.isActive():
            self._timer.start()
        if not self._analysed_once:
            self.poke()  # the first one at once

    def poke(self) -> None:
        """Start the analysis of the pending snapshot if it is time (and someone looks)."""
        if self._pending is None or not self._wanted():
            self._timer.stop()  # nothing to do, or no one to see it: poke() again restarts
            return
        if self._job is not None or time.monotonic() < self._next_start:
            return
        config, sample = self._config, self._sample
        if config is None or sample is None:
            return
        from charnames_gui.core.hidden_stats import hidden_stats  # a sample: torch is loaded

        step, weights = self._pending
        self._pending = None
        job = BackgroundJob(hidden_stats, weights, config, sample, self._lr_at(step), step,
                            name="hidden-stats", parent=self)  # fmt: skip
        job.returned.connect(self.analysed)
        job.errored.connect(lambda exc: self.failed.emit(str(exc)))
        job.finished.connect(lambda: self._on_finished(job))
        self._job = job
        self._analysed_once = True
        job.start()

    def _on_finished(self, job: BackgroundJob) -> None:
        if job is self._job:
            self._job = None
        job.deleteLater()
        # training goes first: wait (1 / MAX_DUTY - 1) times as long as the work took
        self._next_start = time.monotonic() + job.seconds * (1 / MAX_DUTY - 1)

    def wait(self) -> None:
        """Block until the analysis under way has ended (closing, tests); it is dropped."""
        self._timer.stop()
        if self._job is not None:
            self._job.wait()
