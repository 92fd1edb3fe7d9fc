"""The runs table: every recorded training run, to compare and overlay on the loss plot.

A QTableView over ui.runs_table_model.RunsTableModel behind a sort proxy that sorts numbers
as numbers. The lowest dev loss per dataset is bold on green; a strip above the table shows
the baselines an MLP must beat (uniform guessing and the bigram counts). Selecting rows emits
overlayChanged with their records (a repeat's mean row stands for all its seeds);
run_colour(run_id) is the colour a run has in the table and should have on the plot.

The view shows what a run history reports (a History: ui.run_history.RunHistory in the app)
and sends it intent (delete, notes); it never touches the database itself, so a locked
history cannot freeze it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.run_writer import Opened
from charnames_gui.core.runs import RunRecord, write_runs_csv
from charnames_gui.ui.views.compare_view import CompareView
from charnames_gui.ui.views.flow_layout import FlowLayout
from charnames_gui.ui.views.runs_table_model import (
    COLUMN_INDEX,
    COLUMNS,
    GROUP_ROLE,
    RECORD_ROLE,
    SORT_ROLE,
    GroupRow,
    RunsTableModel,
    loss_text,
    loss_with_se,
    run_colour,
)
from charnames_gui.ui.views.text_scale import set_text_colour

if TYPE_CHECKING:  # scipy-backed: imported when a comparison is made
    from charnames_gui.core.compare import Comparison

__all__ = ["History", "RunsView", "run_colour"]


class History(Protocol):
    """What the view needs of a run history: its reports (queued signals) and its intent."""

    @property
    def opened(self) -> SignalInstance: ...  # core.run_writer.Opened
    @property
    def busyChanged(self) -> SignalInstance: ...  # bool, str
    @property
    def queued(self) -> SignalInstance: ...  # token, RunRecord
    @property
    def recorded(self) -> SignalInstance: ...  # token, RunRecord
    @property
    def updated(self) -> SignalInstance: ...  # RunRecord
    @property
    def deleted(self) -> SignalInstance: ...  # tuple of ids
    @property
    def failed(self) -> SignalInstance: ...  # a sentence
    @property
    def read_only(self) -> bool: ...

    def reload(self) -> None: ...
    def update_note(self, run_id: int, note: str) -> None: ...
    def delete(self, run_ids: Iterable[int]) -> None: ...


class RunsView(QWidget):
    """The dock's content: the baselines strip, the runs table and its buttons."""

    overlayChanged = Signal(object)  # list[RunRecord]: the selected runs, in table order
    statusMessage = Signal(str)  # "Exported 5 runs to runs.csv", run history errors
    # Export CSV… pressed: the window asks where and writes through its one export path
    # (exports.export_file: the model and its dataset are never written over)
    exportRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history: History | None = None
        self._columns_stale = False  # runs added while hidden: columns fitted when shown
        self._waiting: dict[int, RunRecord] = {}  # token -> the row shown while locked
        self._quiet_selection = False
        self.setAccessibleName("Runs")

        self.model = RunsTableModel(self)
        self.model.noteEdited.connect(self._note_edited)

        self.history_state = QLabel()  # busy or read-only: one line, hidden otherwise
        self.history_state.setTextFormat(Qt.TextFormat.PlainText)  # it names the file
        self.history_state.setWordWrap(True)
        self.history_state.setAccessibleName("Run history state")
        set_text_colour(self.history_state, "#8a5a00")  # (a style sheet would fix its font)
        self.history_state.hide()

        self.references = QLabel()
        self.references.setWordWrap(True)
        self.references.setTextFormat(Qt.TextFormat.RichText)
        self.references.setAccessibleName("Baseline losses")
        self.references.setToolTip(
            "What a model must beat. Uniform guessing gives every character probability "
            "1/V: its loss is ln(V). The bigram model of makemore part 1 only counts which "
            "character follows which (on the train split); its loss here is on the dev split."
        )
        self.set_references(None, None)

        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)  # a new run takes its sorted place at once

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Recorded runs")
        self.table.setToolTip(
            "Every training run, recorded when it ends. Click a header to sort; select runs "
            "(Ctrl- or Shift-click) to overlay their loss curves on the plot; double-click a "
            "note to edit it; Delete removes the selected runs."
        )
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMN_INDEX["id"], Qt.SortOrder.DescendingOrder)  # newest first
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self._fit_rows()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)  # the note takes the rest of the width
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        # fitting the columns measures the rows in view, not every run of a long history
        # (each recorded run fits them again: all rows made that quadratic)
        header.setResizeContentsPrecision(0)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(self._open_group)
        self.model.dataChanged.connect(self._data_changed)

        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)  # notes and errors are data
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Selection summary")
        self.summary.setToolTip(
            "The selected runs. For repeats of one configuration with K seeds: the mean dev "
            "loss ± its standard deviation, how much a loss value means before anyone "
            "compares it."
        )

        self.compare_button = QPushButton("Compare…")
        self.compare_button.setAccessibleName("Compare two selected runs")
        self.compare_button.setToolTip(
            "Is B better than A? Select two rows (a repeat's mean row stands for all its "
            "seeds): their dev losses are compared with a 95% interval, paired by seed when "
            "both used the same seeds."
        )
        self.compare_button.clicked.connect(self.compare_selected)
        self.compare_view: CompareView | None = None
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setAccessibleName("Delete selected runs")
        self.delete_button.setToolTip(
            "Delete the selected runs from the history (asks first; Delete key)."
        )
        self.delete_button.clicked.connect(lambda: self.delete_selected(confirm=True))
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setAccessibleName("Export runs as CSV")
        self.export_button.setToolTip(
            "Save every run's hyperparameters and losses as a CSV file for a spreadsheet "
            "or a notebook (the loss curves are not included)."
        )
        self.export_button.clicked.connect(self.exportRequested)
        self.table.installEventFilter(self)  # the Delete key, while the table has focus

        # the summary, then the buttons, which wrap in a narrow dock (large text)
        buttons = FlowLayout()
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.references)
        layout.addWidget(self.history_state)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        self.setTabOrder(self.table, self.compare_button)
        self.setTabOrder(self.compare_button, self.delete_button)
        self.setTabOrder(self.delete_button, self.export_button)
        self._update_controls()

    # -- public API ------------------------------------------------------------------------
    def set_history(self, history: History | None) -> None:
        """Show the runs of a history and follow what it reports (queued signals)."""
        if self._history is not None:
            for signal, slot in self._history_slots():
                signal.disconnect(slot)
        self._history = history
        self._waiting.clear()
        self.model.set_runs([])
        if history is not None:
            for signal, slot in self._history_slots():
                signal.connect(slot)
            history.reload()
        self._update_controls()

    def history(self) -> History | None:
        return self._history

    def _history_slots(self) -> list[tuple[SignalInstance, Callable[..., None]]]:
        h = self._history
        assert h is not None
        return [
            (h.opened, self._on_opened),
            (h.busyChanged, self._on_busy),
            (h.queued, self._on_queued),
            (h.recorded, self._on_recorded),
            (h.updated, self._on_updated),
            (h.deleted, self._on_deleted),
            (h.failed, self._show_store_error),
        ]

    def refresh(self) -> None:
        """Read every run from the history again (the table follows when it answers)."""
        if self._history is not None:
            self._history.reload()

    def show_runs(self, runs: Iterable[RunRecord]) -> None:
        """Show these runs (the runs still waiting for the lock stay), keeping the selection."""
        selected = {r.id for r in self.selected_runs()}
        self._quiet_selection = True
        try:
            self.model.set_runs(runs, waiting=self._waiting.values())
            self.select_ids(selected)
        finally:
            self._quiet_selection = False
        self._fit_columns()
        self._selection_changed()

    def add_run(self, record: RunRecord) -> None:
        """Show a run at once: in place of the row with its id, or as a new row."""
        if not self.model.replace(record):
            self.model.append(record)
        self._fit_columns()
        self._update_controls()

    # -- what the history reports ----------------------------------------------------------
    def _on_opened(self, opened: Opened) -> None:
        self.show_runs(opened.runs)
        if opened.read_only:
            self._show_history_state(
                "The run history is read-only: new runs are shown but not saved."
            )

    def _on_busy(self, busy: bool, message: str) -> None:
        if busy:
            self._show_history_state(message)
        elif self._history is not None and self._history.read_only:
            self._show_history_state(
                "The run history is read-only: new runs are shown but not saved."
            )
        else:
            self.history_state.hide()

    def _show_history_state(self, text: str) -> None:
        self.history_state.setText(text)
        self.history_state.show()

    def _on_queued(self, token: int, record: RunRecord) -> None:
        self._waiting[token] = record
        self.model.append(record, waiting=True)
        self._fit_columns()
        self._update_controls()

    def _on_recorded(self, token: int, record: RunRecord) -> None:
        old = self._waiting.pop(token, None)
        if old is None or not self.model.replace(record, old=old):
            self.add_run(record)
        self._update_controls()

    def _on_updated(self, record: RunRecord) -> None:
        self.model.replace(record)

    def _on_deleted(self, ids: tuple[int, ...]) -> None:
        self.model.remove_ids(ids)
        self._selection_changed()  # the deleted runs leave the plot too
        count = len(ids)
        self.statusMessage.emit(f"Deleted {count} run{'s' if count != 1 else ''}.")
        self._update_controls()

    def _note_edited(self, run_id: int, note: str) -> None:
        if self._history is not None:
            self._history.update_note(run_id, note)

    def set_references(
        self, uniform: float | None, bigram: float | None, dataset_hash: str | None = None
    ) -> None:
        """The baselines of the current dataset: ln(V) and the bigram dev loss (None while it
        is unknown). dataset_hash limits the dev cells' 'below the bigram' tooltip to runs on
        that dataset."""
        if uniform is None:
            self.references.setText("<i>Open a dataset to see the baselines a model must beat.</i>")
        else:
            bigram_text = "not computed" if bigram is None else f"<b>{bigram:.3f}</b> on dev"
            self.references.setText(
                f"Baselines: uniform guessing ln(V) <b>{uniform:.3f}</b> &nbsp;·&nbsp; "
                f"bigram counts {bigram_text} &nbsp;·&nbsp; lower is better"
            )
        self.model.set_bigram(bigram, dataset_hash)

    def selected_runs(self) -> list[RunRecord]:
        """The selected runs, in the order of the table's rows; a repeat's mean row stands
        for its seeds."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        runs: dict[int, RunRecord] = {}  # id() -> record: each once
        for row in rows:
            index = self.proxy.index(row, 0)
            group: GroupRow | None = index.data(GROUP_ROLE)
            for record in group.members if group is not None else [index.data(RECORD_ROLE)]:
                runs.setdefault(id(record), record)
        return list(runs.values())

    def selected_sides(self) -> list[list[RunRecord]]:
        """The selection as things to compare, in table order: a repeat's mean row is its
        seeds, any other row its own run (a seed whose mean row is selected too is in it)."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        groups: list[GroupRow] = []
        singles: list[tuple[int, RunRecord]] = []
        for row in rows:
            index = self.proxy.index(row, 0)
            group: GroupRow | None = index.data(GROUP_ROLE)
            if group is not None:
                groups.append(group)
            else:
                singles.append((row, index.data(RECORD_ROLE)))
        in_groups = {g.group_id for g in groups}
        sides: list[list[RunRecord]] = [list(g.members) for g in groups]
        sides += [[r] for _, r in singles if r.group_id not in in_groups]
        return sides

    def compare_selected(self) -> Comparison | None:
        """Runs > Compare: the two selected sides compared (core.compare.compare_runs),
        shown in a dialog; None when they cannot be compared (the dialog says why)."""
        from charnames_gui.core.compare import compare_runs  # scipy: loaded when asked

        sides = self.selected_sides()
        if len(sides) != 2:
            self.statusMessage.emit(
                "Select two rows to compare (a repeat's mean row counts as one)"
            )
            return None
        a, b = sides
        if self.compare_view is None:
            self.compare_view = CompareView(self)
        result: Comparison | None = None
        try:
            result = compare_runs(a, b)
        except ValueError as exc:
            self.compare_view.show_refusal(str(exc), a, b)
        else:
            self.compare_view.show_comparison(result, a, b)
            self.statusMessage.emit(result.sentence())
        self.compare_view.show()
        self.compare_view.raise_()
        return result

    def _open_group(self, index: QModelIndex) -> None:
        """A double-click on a repeat's mean row selects its K seeds' own rows."""
        group: GroupRow | None = index.data(GROUP_ROLE)
        if group is None:
            return
        self.select_ids(r.id for r in group.members)
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        if rows:
            self.table.scrollTo(self.proxy.index(rows[0], 0))

    def select_ids(self, ids: Iterable[int | None]) -> None:
        wanted = {i for i in ids if i is not None}
        selection = QItemSelection()
        for row in range(self.proxy.rowCount()):
            record = self.proxy.index(row, 0).data(RECORD_ROLE)
            if record is not None and record.id in wanted:
                selection.select(self.proxy.index(row, 0), self.proxy.index(row, len(COLUMNS) - 1))
        self.table.selectionModel().select(
            selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def delete_selected(self, confirm: bool = True) -> int:
        """Ask the history to delete the selected runs (after a question when confirm);
        returns how many were asked for. The rows go when the history has deleted them."""
        runs = [r for r in self.selected_runs() if r.id is not None]
        if not runs or self._history is None:
            return 0
        if confirm:
            what = f"run #{runs[0].id}" if len(runs) == 1 else f"these {len(runs)} runs"
            answer = QMessageBox.question(
                self,
                "Delete runs",
                f"Delete {what} from the history? Their settings, losses and loss curves "
                "cannot be brought back.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return 0
        ids = [r.id for r in runs if r.id is not None]
        self._history.delete(ids)
        return len(ids)

    def export_csv(self, path: str | Path, ids: Iterable[int] | None = None) -> int:
        """Write the runs shown (all, or those with the given ids) to a CSV file; raises
        CharnamesError with a sentence for the user when it cannot."""
        records = sorted(self.model.runs(), key=lambda r: (r.id is None, r.id or 0))
        if ids is not None:
            wanted = set(ids)
            records = [r for r in records if r.id in wanted]
        if not records:
            raise CharnamesError("There are no runs to export.")
        count = write_runs_csv(records, path)
        self.statusMessage.emit(f"Exported {count} run{'s' if count != 1 else ''} to {path}.")
        return count

    # -- internals -------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.matches(QKeySequence.StandardKey.Delete)
        ):
            self.delete_selected(confirm=True)
            return True
        return super().eventFilter(watched, event)

    def _show_store_error(self, message: str) -> None:
        self.statusMessage.emit(message)
        self.summary.setText(message)

    def _selection_changed(self, *args: object) -> None:
        if self._quiet_selection:
            return
        runs = self.selected_runs()
        self._update_summary(runs)
        self._update_controls()
        self.overlayChanged.emit(runs)

    def _data_changed(self, *args: object) -> None:
        self._update_summary(self.selected_runs())

    def _update_summary(self, runs: list[RunRecord]) -> None:
        if not runs:
            self.summary.setText(
                "Select runs to overlay their loss curves on the plot."
                if self.model.rowCount()
                else "No runs yet: each training run is recorded here when it ends."
            )
            return
        parts: list[str] = []
        groups = list(dict.fromkeys(r.group_id for r in runs if r.group_id is not None))
        for group_id in groups[:3]:
            members = self.model.group_runs(group_id)
            ids = sorted(r.id for r in members if r.id is not None)
            label = f"#{ids[0]}–#{ids[-1]}" if len(ids) > 1 else f"#{ids[0]}"
            parts.append(f"seeds {label}: {self.model.group_summary(group_id)}")
        single = [r for r in runs if r.group_id is None]
        if len(single) == 1:
            r = single[0]
            parts.append(
                f"#{r.id}: dev {loss_with_se(r.dev_loss, r.dev_se) or '–'}, "
                f"train {loss_text(r.train_loss) or '–'}, {r.parameters:,} parameters"
            )
        elif single:
            finished = [r for r in single if r.dev_loss is not None and math.isfinite(r.dev_loss)]
            text = f"{len(single)} runs"
            if finished:
                best = min(finished, key=lambda r: r.dev_loss or 0.0)
                text += f", lowest dev {best.dev_loss:.4f} (#{best.id})"
            parts.append(text)
        self.summary.setText(" · ".join(parts))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._columns_stale:
            self._fit_columns()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed: rows and columns too
            self._fit_rows()
            self._fit_columns()

    def _fit_rows(self) -> None:
        # (this view's font: the table may not have taken the new one yet)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)

    def _update_controls(self) -> None:
        has_history = self._history is not None
        self.delete_button.setEnabled(has_history and bool(self.selected_runs()))
        self.compare_button.setEnabled(len(self.selected_sides()) == 2)
        self.export_button.setEnabled(bool(self.model.runs()))
        if not self.selected_runs():
            self._update_summary([])

    def _fit_columns(self) -> None:
        # measuring every cell costs ~1 ms per run: a hidden tab does it when shown
        if not self.isVisible():
            self._columns_stale = True
            return
        self._columns_stale = False
        self.table.resizeColumnsToContents()
        note = COLUMN_INDEX["note"]
        self.table.setColumnWidth(note, max(self.table.columnWidth(note), 120))
