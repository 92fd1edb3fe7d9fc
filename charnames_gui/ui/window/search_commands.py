"""Experiments → Beat the lecture: the search view in a window of its own, wired to a
SearchRunner (the search off the GUI thread) and to the app's run history (every trial is
recorded there, and the test loss of the best trial when the learner asks for it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from charnames_gui.core.runs import RunRecord
from charnames_gui.core.search import SearchSettings
from charnames_gui.core.search_pool import default_workers
from charnames_gui.ui.controller import Controller
from charnames_gui.ui.run_history import RunHistory
from charnames_gui.ui.search_runner import SearchRunner
from charnames_gui.ui.views.search_view import SearchView


class SearchWindow:
    """The view, its runner, and the run ids of the trials (to keep the test loss)."""

    def __init__(self, controller: Controller, history: RunHistory, parent: QWidget) -> None:
        self.controller = controller
        self.history = history
        self.view = SearchView(parent)
        self.view.setWindowFlag(Qt.WindowType.Window)  # a window of its own, over the app
        self.view.setWindowTitle("Beat the lecture")
        # 1000 x 700, or 70% x 80% of a larger screen, never larger than the screen (1024 x 600)
        room = parent.screen().availableGeometry()
        width = min(room.width(), max(1000, room.width() * 7 // 10))
        self.view.resize(width, min(room.height(), max(700, room.height() * 4 // 5)))
        self.runner = SearchRunner(parent)
        self._tokens: list[int] = []  # history token of each trial, in trial order
        self._run_ids: dict[int, int] = {}  # history token -> run id once stored
        v, r = self.view, self.runner
        v.startRequested.connect(self.start)
        v.stopRequested.connect(r.cancel)
        v.testRequested.connect(self.evaluate_test)
        r.searchEvent.connect(v.on_event)
        r.runningChanged.connect(v.set_running)
        r.failed.connect(v.show_message)
        r.recordRequested.connect(self._record)
        r.testEvaluated.connect(self._tested)
        history.recorded.connect(self._stored)

    def show(self) -> None:
        self.view.show()
        self.view.raise_()
        self.view.activateWindow()

    def start(self, minutes: float, seed: int) -> None:
        dataset = self.controller.document.dataset
        if dataset is None:
            self.view.show_message("Open a dataset first: the search trains on its names.")
            return
        self.view.clear()
        self._tokens.clear()
        self._run_ids.clear()
        settings = SearchSettings(seed=seed, budget_seconds=minutes * 60, workers=default_workers())
        side_by_side = f", {settings.workers} trials at a time" if settings.workers > 1 else ""
        self.view.show_message(
            f"Searching for {minutes:g} min on {dataset.name} (seed {seed}{side_by_side})..."
        )
        self.runner.start(dataset, settings)

    def evaluate_test(self) -> None:
        if not self.runner.evaluate_test():
            self.view.show_message("The test split can be looked at once the search has ended.")

    def _record(self, record: RunRecord) -> None:
        self._tokens.append(self.history.add(record))

    def _stored(self, token: int, record: RunRecord) -> None:
        if token in self._tokens and record.id is not None:
            self._run_ids[token] = record.id

    def _tested(self, loss: float, looks: int) -> None:
        self.view.show_test(loss, looks)
        ended = self.runner.ended
        if ended is None or ended.best is None or ended.best.number >= len(self._tokens):
            return
        run_id = self._run_ids.get(self._tokens[ended.best.number])
        if run_id is not None:
            self.history.set_test_loss(run_id, loss)

    def close(self) -> None:
        self.runner.close()
        self.view.close()


class SearchCommands:
    """The Experiments menu: the search window, made the first time it is asked for."""

    def __init__(self, controller: Controller, history: RunHistory, parent: QWidget) -> None:
        self.controller = controller
        self.history = history
        self.parent = parent
        self.window: SearchWindow | None = None

    def open_search(self) -> None:
        """Show the search window (made the first time)."""
        if self.window is None:
            self.window = SearchWindow(self.controller, self.history, self.parent)
        self.window.show()

    def close(self) -> None:
        """The app closes: the search stops and its window closes."""
        if self.window is not None:
            self.window.close()
