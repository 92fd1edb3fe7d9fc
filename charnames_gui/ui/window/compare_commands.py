"""Experiments → Compare two presets: the Compare dialog with its preset picker, wired to a
PresetCompareRunner (both presets trained with K seeds off the GUI thread) and to the run
history (each preset's seeds become a repeat of the Runs panel when the answer comes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QStatusBar, QWidget

from charnames_gui.core.compare_request import PresetRequest
from charnames_gui.core.runs import RunRecord
from charnames_gui.ui.compare_runner import PresetCompareRunner
from charnames_gui.ui.controller import Controller
from charnames_gui.ui.run_history import RunHistory
from charnames_gui.ui.views.compare_view import CompareView

if TYPE_CHECKING:  # torch-backed: made on the runner's thread
    from charnames_gui.core.compare_presets import PresetComparison


class PresetCompareWindow:
    """The dialog and its runner (made when first asked for)."""

    def __init__(
        self, controller: Controller, history: RunHistory, status: QStatusBar, parent: QWidget
    ) -> None:
        self.controller = controller
        self.history = history
        self.status = status
        self.view = CompareView(parent, presets=True)
        self.runner = PresetCompareRunner(parent)
        self.processes: int | None = None  # training children (None: as a repeat has them)
        v, r = self.view, self.runner
        v.presetsRequested.connect(self.start)
        v.cancelRequested.connect(r.cancel)
        r.runningChanged.connect(v.set_running)
        r.progress.connect(v.show_progress)
        r.compared.connect(self._compared)
        r.recordsReady.connect(self._record)
        r.failed.connect(v.show_preset_message)
        r.cancelled.connect(
            lambda: v.show_preset_message("Cancelled: nothing was compared or recorded.")
        )

    def show(self) -> None:
        self.view.show()
        self.view.raise_()
        self.view.activateWindow()

    def start(self, request: PresetRequest) -> bool:
        dataset = self.controller.document.dataset
        if dataset is None:
            self.view.show_preset_message("Open a dataset first: the presets train on its names.")
            return False
        from charnames_gui.core.stacked_training import cores  # torch-backed

        # one training child per core when the app trains in a child at all (not in tests,
        # nor with --no-process), as a repeat does
        processes = cores() if self.controller.process is not None else 1
        if self.processes is not None:
            processes = self.processes
        return self.runner.start(dataset, request, processes)

    def _compared(self, result: PresetComparison) -> None:
        self.view.show_preset_comparison(result)
        self.status.showMessage(result.comparison.sentence(), 15000)

    def _record(self, records: list[RunRecord]) -> None:
        for record in records:
            self.history.add(record)

    def close(self) -> None:
        """Cancel a comparison and wait for its thread (the window closing)."""
        self.runner.close()
