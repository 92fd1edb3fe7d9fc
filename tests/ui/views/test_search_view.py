"""The search view and its runner: a search on a tiny dataset runs off the GUI thread, the
view shows every trial, the best so far and dev against a setting; Stop cancels; the test
split is evaluated only when asked."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.data import Dataset, read_words
from charnames_gui.core.search import SearchEnded, SearchSettings, TrialEnded
from charnames_gui.ui.search_runner import SearchRunner
from charnames_gui.ui.views.search_view import SETTINGS, SearchView

TINY = SearchSettings(
    seed=0, trial_examples=4_000, startup_trials=2, eval_points=2, max_trials=3
)  # fmt: skip


@pytest.fixture(scope="module")
def tiny() -> Dataset:
    return Dataset(read_words(bundled_dataset_path())[:600], name="tiny.txt")


@pytest.fixture
def runner(qtbot):
    r = SearchRunner()
    yield r
    r.close()


@pytest.fixture
def view(qtbot) -> SearchView:
    v = SearchView()
    qtbot.addWidget(v)
    return v


def test_a_search_runs_off_the_gui_thread_and_fills_the_view(
    qtbot, runner: SearchRunner, view: SearchView, tiny: Dataset
) -> None:
    gui_thread = threading.get_ident()
    threads: set[int] = set()
    records: list[object] = []
    runner.searchEvent.connect(view.on_event)
    runner.runningChanged.connect(view.set_running)
    runner.recordRequested.connect(records.append)
    runner.recordRequested.connect(
        lambda _r: threads.add(threading.get_ident()), Qt.ConnectionType.DirectConnection
    )
    assert runner.start(tiny, TINY)
    assert not view.start_button.isEnabled() and view.stop_button.isEnabled()
    with qtbot.waitSignal(runner.runningChanged, timeout=120_000) as blocker:
        pass
    assert blocker.args == [False]
    assert gui_thread not in threads  # the trials ran on the search's thread
    assert len(records) == 3
    assert isinstance(runner.ended, SearchEnded)
    assert view.table.rowCount() == 3
    assert view.table.item(0, 0).text() == "0"
    # the time plot: every trial that measured dev; the best-so-far line never rises
    x, _y = view.complete_points.getData()
    px, _py = view.pruned_points.getData()
    assert len(x) + len(px) == 3
    _bx, by = view.best_curve.getData()
    assert len(by) >= 2 and np.all(np.diff(by) <= 0)
    assert float(by[-1]) == pytest.approx(runner.ended.best.dev_loss)
    assert view.lecture_line.isVisible() or runner.ended.trials[0].state != "complete"
    # dev against each setting: the points move with the chosen setting
    for index in range(len(SETTINGS)):
        view.setting.setCurrentIndex(index)
        sx, _sy = view.setting_points.getData()
        assert len(sx) == len(x) and np.all(np.isfinite(sx))
    assert "ended after 3 trials" in view.status.text()
    best_dev = runner.ended.best_dev
    assert best_dev is not None and f"dev {best_dev.format()}" in view.best_label.text()
    assert "dev flatters it" in view.best_label.text()
    # the test split, once, when asked
    assert view.test_button.isEnabled()
    view.testRequested.connect(runner.evaluate_test)
    with qtbot.waitSignal(runner.testEvaluated, timeout=30_000) as test:
        view.test_button.click()
    loss, looks = test.args
    runner.close()
    assert np.isfinite(loss) and looks == 1
    view.show_test(loss, looks)
    assert "once" in view.status.text()


def test_stop_cancels_between_two_steps(
    qtbot, runner: SearchRunner, view: SearchView, tiny: Dataset
) -> None:
    runner.searchEvent.connect(view.on_event)
    view.stopRequested.connect(runner.cancel)
    big = SearchSettings(seed=1, trial_examples=50_000_000, max_trials=5)
    started: list[object] = []
    runner.searchEvent.connect(started.append)
    runner.start(tiny, big)
    qtbot.waitUntil(lambda: bool(started), timeout=30_000)
    with qtbot.waitSignal(runner.runningChanged, timeout=30_000):
        view.stop_button.setEnabled(True)
        view.stop_button.click()
    assert runner.ended is not None and runner.ended.reason == "stopped"
    ended = [e for e in started if isinstance(e, TrialEnded)]
    assert ended and ended[-1].trial.state == "stopped"
    assert runner.start(tiny, big)  # a new search may start once the last one ended
    runner.cancel()
    qtbot.waitUntil(lambda: not runner.running, timeout=30_000)
