"""The runs table: every recorded training run, to compare and overlay on the loss plot.

A QTableView over RunsTableModel (one row per core.runs.RunRecord) behind a sort proxy that
sorts numbers as numbers. The lowest dev loss per dataset is bold on green; a strip above the
table shows the baselines an MLP must beat (uniform guessing and the bigram counts). Selecting
rows emits overlayChanged with their records; run_colour(run_id) is the colour a run has in
the table and should have on the plot.

The view talks to a core.runs.RunStore on the GUI thread only (the store is not thread-safe).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QKeyEvent, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.runs import RunRecord, RunStore
from charnames_gui.core.stats import seed_stats
from charnames_gui.ui.training_controls import format_duration

SORT_ROLE = Qt.ItemDataRole.UserRole  # numbers for numeric columns, folded text otherwise
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's RunRecord (any column)
BEST_ROLE = Qt.ItemDataRole.UserRole + 2  # True on the dev cell of the best run of a dataset

BEST_BACKGROUND = QColor(200, 235, 200)
DIVERGED_FOREGROUND = QColor(190, 40, 40)
RUN_PALETTE = (
    "#1f77b4",  # blue
    "#ff7f0e",  # orange
    "#2ca02c",  # green
    "#d62728",  # red
    "#9467bd",  # purple
    "#8c564b",  # brown
    "#e377c2",  # pink
    "#bcbd22",  # olive
    "#17becf",  # cyan
)
INDEX = QModelIndex | QPersistentModelIndex


def run_colour(run_id: int) -> QColor:
    """A stable colour per run, the same in the table and on the plot: a palette of nine
    distinct colours readable on white (matplotlib's tab10 without its grey, which the plot
    uses for reference lines), so any nine consecutive runs differ."""
    return QColor(RUN_PALETTE[int(run_id) % len(RUN_PALETTE)])


def _swatch(colour: QColor, size: int = 12) -> QIcon:
    """A filled square; the same pixmap for the selected state, so selection does not tint
    it and the colour still matches the plot."""
    pixmap = QPixmap(size, size)
    pixmap.fill(colour)
    painter = QPainter(pixmap)
    painter.setPen(colour.darker(150))
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    icon = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected, QIcon.Mode.Active):
        icon.addPixmap(pixmap, mode)
    return icon


def format_lr(record: RunRecord) -> str:
    t = record.train
    if t.schedule == "step" and 0 < t.lr_decay_at < t.steps:
        return f"{t.lr:g} → {t.lr_after:g} at {t.lr_decay_at:,}"
    if t.schedule == "cosine":
        return f"{t.lr:g} ⤵ {t.lr_after:g} (cosine)"
    return f"{t.lr:g}"


def _loss_text(loss: float | None) -> str:
    return "" if loss is None or not math.isfinite(loss) else f"{loss:.4f}"


def _number(value: float | int | None) -> float:
    """Sort key of a number; a missing one sorts after every number (ascending)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.inf
    return float(value)


def _created_text(created: str) -> str:
    try:
        return datetime.fromisoformat(created).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return created


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    tooltip: str
    numeric: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("id", "run", "The run's number; its colour is the colour of its curve on the plot."),
    Column(
        "dev",
        "dev",
        "Mean loss on the dev split (names never trained on): the number to compare runs by. "
        "The lowest per dataset is highlighted.",
    ),
    Column(
        "train",
        "train",
        "Mean loss on the whole train split after the last step. Much lower than dev means "
        "the model memorises its training names (overfitting).",
    ),
    Column(
        "test",
        "test",
        "Loss on the test split, only when you asked for it. Look at it rarely: every look "
        "lets the test set influence your choices.",
    ),
    Column("params", "params", "Number of parameters in C, W1, b1, W2 and b2."),
    Column("block", "block", "block_size: how many previous characters the model sees."),
    Column("embd", "embd", "n_embd: the size of each character's embedding (a row of C)."),
    Column("hidden", "hidden", "n_hidden: neurons in the tanh hidden layer."),
    Column("batch", "batch", "Examples per minibatch step."),
    Column("lr", "lr", "Learning rate and its schedule ('0.1 → 0.01 at 100,000' = step decay)."),
    Column("init", "init", "Initialisation: lecture (plain randn) or scaled (part 3).", False),
    Column("steps", "steps", "Steps done (of the steps planned, if it was stopped early)."),
    Column("time", "time", "Time spent in the training loop."),
    Column("seed", "seed", "Seed of the initial parameters and of the minibatch order."),
    Column(
        "group",
        "seeds",
        "Repeats of one configuration with different seeds: '2 of 5' is the second of five. "
        "Hover to see their mean dev loss ± standard deviation.",
        False,
    ),
    Column("status", "status", "finished, stopped by you, or diverged (loss became NaN).", False),
    Column("dataset", "dataset", "The dataset file; runs compare only on the same data.", False),
    Column("created", "date", "When the run ended.", False),
    Column("note", "note", "Your note about the run: double-click or press F2 to edit.", False),
)
COLUMN_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}


class RunsTableModel(QAbstractTableModel):
    """RunRecords as table rows. Notes are editable and written through to the store."""

    errorOccurred = Signal(str)  # a store write failed: a sentence for the user

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.store: RunStore | None = None
        self._runs: list[RunRecord] = []
        self._best: set[int] = set()  # ids of the best dev loss per (dataset, split seed)
        self._bigram: float | None = None
        self._reference_hash: str | None = None
        self._swatches: dict[str, QIcon] = {}  # colour name -> icon, made once

    # -- content ---------------------------------------------------------------------------
    def runs(self) -> list[RunRecord]:
        return list(self._runs)

    def record(self, row: int) -> RunRecord:
        return self._runs[row]

    def row_of(self, run_id: int) -> int | None:
        return next((i for i, r in enumerate(self._runs) if r.id == run_id), None)

    def set_runs(self, runs: Iterable[RunRecord]) -> None:
        self.beginResetModel()
        self._runs = list(runs)
        self._update_best()
        self.endResetModel()

    def append(self, record: RunRecord) -> None:
        row = len(self._runs)
        self.beginInsertRows(QModelIndex(), row, row)
        self._runs.append(record)
        self.endInsertRows()
        self._refresh_derived()

    def replace(self, record: RunRecord) -> bool:
        row = self.row_of(record.id) if record.id is not None else None
        if row is None:
            return False
        self._runs[row] = record
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        self._refresh_derived()
        return True

    def remove_ids(self, ids: Iterable[int]) -> None:
        gone = set(ids)
        for row in reversed(range(len(self._runs))):
            if self._runs[row].id in gone:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._runs[row]
                self.endRemoveRows()
        self._refresh_derived()

    def set_bigram(self, bigram: float | None, dataset_hash: str | None) -> None:
        self._bigram, self._reference_hash = bigram, dataset_hash
        self._emit_column("dev")

    def group_runs(self, group_id: str) -> list[RunRecord]:
        return [r for r in self._runs if r.group_id == group_id]

    def group_summary(self, group_id: str) -> str:
        """'dev 2.170 ± 0.006 (5 seeds)', plus how many are still missing."""
        runs = self.group_runs(group_id)
        text = "dev " + seed_stats(r.dev_loss for r in runs).format()
        size = max((r.group_size or 0 for r in runs), default=0)
        if size > len(runs):
            text += f"; {len(runs)} of {size} recorded"
        return text

    def _update_best(self) -> None:
        best: dict[tuple[str, int], RunRecord] = {}
        for r in self._runs:
            if r.dev_loss is None or not math.isfinite(r.dev_loss) or r.id is None:
                continue
            key = (r.dataset_hash, r.split_seed)
            if key not in best or r.dev_loss < best[key].dev_loss:  # type: ignore[operator]
                best[key] = r
        self._best = {r.id for r in best.values() if r.id is not None}

    def _refresh_derived(self) -> None:
        """Best-run highlight and group summaries depend on every row."""
        self._update_best()
        self._emit_column("dev")
        self._emit_column("group")

    def _emit_column(self, key: str) -> None:
        if self._runs:
            col = COLUMN_INDEX[key]
            self.dataChanged.emit(self.index(0, col), self.index(len(self._runs) - 1, col))

    # -- QAbstractTableModel ---------------------------------------------------------------
    def rowCount(self, parent: INDEX = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._runs)

    def columnCount(self, parent: INDEX = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        column = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip
        return None

    def flags(self, index: INDEX) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and COLUMNS[index.column()].key == "note":
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: INDEX, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._runs):
            return None
        r = self._runs[index.row()]
        key = COLUMNS[index.column()].key
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, key)
        if role == Qt.ItemDataRole.EditRole:
            return r.note if key == "note" else self._display(r, key)
        if role == SORT_ROLE:
            return self._sort_key(r, key)
        if role == RECORD_ROLE:
            return r
        if role == BEST_ROLE:
            return key == "dev" and r.id in self._best
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(r, key)
        if role == Qt.ItemDataRole.DecorationRole and key == "id" and r.id is not None:
            colour = run_colour(r.id)
            if colour.name() not in self._swatches:
                self._swatches[colour.name()] = _swatch(colour)
            return self._swatches[colour.name()]
        if role == Qt.ItemDataRole.FontRole and key == "dev" and r.id in self._best:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and key == "dev" and r.id in self._best:
            return QBrush(BEST_BACKGROUND)
        if role == Qt.ItemDataRole.ForegroundRole and key == "status" and r.status == "diverged":
            return QBrush(DIVERGED_FOREGROUND)
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[index.column()].numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: INDEX, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        if COLUMNS[index.column()].key != "note":
            return False
        record = self._runs[index.row()]
        note = str(value).strip()
        if note == record.note:
            return False
        if self.store is not None and record.id is not None:
            try:
                self.store.update_note(record.id, note)
            except CharnamesError as exc:
                self.errorOccurred.emit(str(exc))
                return False
        record.note = note
        self.dataChanged.emit(index, index)
        return True

    # -- cell contents ---------------------------------------------------------------------
    @staticmethod
    def _display(r: RunRecord, key: str) -> str:
        m, t = r.model, r.train
        if key == "id":
            return f"#{r.id}" if r.id is not None else "new"
        if key in ("dev", "train", "test"):
            return _loss_text(getattr(r, f"{key}_loss"))
        values = {
            "params": lambda: f"{r.parameters:,}",
            "block": lambda: str(m.block_size),
            "embd": lambda: str(m.n_embd),
            "hidden": lambda: str(m.n_hidden),
            "batch": lambda: str(t.batch_size),
            "lr": lambda: format_lr(r),
            "init": lambda: t.init,
            "steps": lambda: (
                f"{r.steps_done:,}"
                if r.steps_done >= t.steps
                else f"{r.steps_done:,} of {t.steps:,}"
            ),
            "time": lambda: format_duration(r.seconds),
            "seed": lambda: str(t.seed),
            "group": lambda: r.group_label,
            "status": lambda: r.status,
            "dataset": lambda: r.dataset_name,
            "created": lambda: _created_text(r.created),
            "note": lambda: r.note,
        }
        return values[key]()

    @staticmethod
    def _sort_key(r: RunRecord, key: str) -> float | str:
        m, t = r.model, r.train
        numbers: dict[str, Callable[[], float | int | None]] = {
            "id": lambda: r.id,
            "dev": lambda: r.dev_loss,
            "train": lambda: r.train_loss,
            "test": lambda: r.test_loss,
            "params": lambda: r.parameters,
            "block": lambda: m.block_size,
            "embd": lambda: m.n_embd,
            "hidden": lambda: m.n_hidden,
            "batch": lambda: t.batch_size,
            "lr": lambda: t.lr,
            "steps": lambda: r.steps_done,
            "time": lambda: r.seconds,
            "seed": lambda: t.seed,
        }
        if key in numbers:
            return _number(numbers[key]())
        if key == "group":  # repeats of one configuration sort together, in order
            return "" if r.group_id is None else f"{r.group_id}:{r.group_index or 0:05d}"
        if key == "created":
            return r.created
        return RunsTableModel._display(r, key).casefold()

    def _tooltip(self, r: RunRecord, key: str) -> str:
        if key == "dev":
            lines = [COLUMNS[COLUMN_INDEX["dev"]].tooltip]
            if r.id in self._best:
                lines.insert(0, "The lowest dev loss among the runs on this dataset.")
            if (
                self._bigram is not None
                and r.dev_loss is not None
                and math.isfinite(r.dev_loss)
                and (self._reference_hash is None or self._reference_hash == r.dataset_hash)
            ):
                gain = self._bigram - r.dev_loss
                side = "below" if gain >= 0 else "above"
                lines.insert(0, f"{abs(gain):.3f} {side} the bigram baseline ({self._bigram:.3f}).")
            return "\n".join(lines)
        if key == "group" and r.group_id is not None:
            return f"Seed repeats of this configuration: {self.group_summary(r.group_id)}"
        if key == "dataset":
            return f"{r.dataset_name}\nsha256 {r.dataset_hash[:16]}…, split seed {r.split_seed}"
        if key == "status" and r.status == "diverged":
            return "The loss became NaN or infinite: the learning rate was probably too high."
        if key == "note" and r.note:
            return r.note
        if key == "created":
            return r.created
        return COLUMNS[COLUMN_INDEX[key]].tooltip


class RunsView(QWidget):
    """The dock's content: the baselines strip, the runs table and its buttons."""

    overlayChanged = Signal(object)  # list[RunRecord]: the selected runs, in table order
    statusMessage = Signal(str)  # "Exported 5 runs to runs.csv", store errors

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store: RunStore | None = None
        self._quiet_selection = False
        self.setAccessibleName("Runs")

        self.model = RunsTableModel(self)
        self.model.errorOccurred.connect(self._show_store_error)

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
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)  # the note takes the rest of the width
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.dataChanged.connect(self._data_changed)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Selection summary")
        self.summary.setToolTip(
            "The selected runs. For repeats of one configuration with K seeds: the mean dev "
            "loss ± its standard deviation, how much a loss value means before anyone "
            "compares it."
        )

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
        self.export_button.clicked.connect(self._export_clicked)
        self.table.installEventFilter(self)  # the Delete key, while the table has focus

        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.references)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.setTabOrder(self.table, self.delete_button)
        self.setTabOrder(self.delete_button, self.export_button)
        self._update_controls()

    # -- public API ------------------------------------------------------------------------
    def set_store(self, store: RunStore | None) -> None:
        self._store = store
        self.model.store = store
        self.refresh()

    def store(self) -> RunStore | None:
        return self._store

    def refresh(self) -> None:
        """Reload every run from the store, keeping the selection."""
        selected = {r.id for r in self.selected_runs()}
        runs: list[RunRecord] = []
        if self._store is not None:
            try:
                runs = self._store.list()
            except CharnamesError as exc:
                self._show_store_error(str(exc))
        self._quiet_selection = True
        try:
            self.model.set_runs(runs)
            self.select_ids(selected)
        finally:
            self._quiet_selection = False
        self._fit_columns()
        self._selection_changed()

    def add_run(self, record: RunRecord) -> RunRecord | None:
        """Show a run at once. A record without an id is first added to the store; one with
        an id is taken as already stored. Returns the stored record, or None when it could
        not be saved (the reason goes to statusMessage and the summary line)."""
        if record.id is None:
            if self._store is None:
                raise RuntimeError("RunsView.add_run needs a store (set_store) for a new run")
            try:
                record = self._store.add(record)
            except CharnamesError as exc:
                self._show_store_error(str(exc))
                return None
        if not self.model.replace(record):
            self.model.append(record)
        self._fit_columns()
        self._update_controls()
        return record

    def update_run(self, record: RunRecord) -> None:
        """Show changed values of a stored run (for example its test loss)."""
        self.model.replace(record)

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
        """The selected runs, in the order of the table's rows."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.proxy.index(row, 0).data(RECORD_ROLE) for row in rows]

    def select_ids(self, ids: Iterable[int | None]) -> None:
        wanted = {i for i in ids if i is not None}
        selection = QItemSelection()
        for row in range(self.proxy.rowCount()):
            record = self.proxy.index(row, 0).data(RECORD_ROLE)
            if record.id in wanted:
                selection.select(self.proxy.index(row, 0), self.proxy.index(row, len(COLUMNS) - 1))
        self.table.selectionModel().select(
            selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def delete_selected(self, confirm: bool = True) -> int:
        """Delete the selected runs from the store (after a question when confirm)."""
        runs = self.selected_runs()
        if not runs or self._store is None:
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
        try:
            deleted = self._store.delete(ids)
        except CharnamesError as exc:
            self._show_store_error(str(exc))
            return 0
        self.model.remove_ids(ids)
        self._selection_changed()  # the deleted runs leave the plot too
        self.statusMessage.emit(f"Deleted {deleted} run{'s' if deleted != 1 else ''}.")
        self._update_controls()
        return deleted

    def export_csv(self, path: str | Path, ids: Iterable[int] | None = None) -> int:
        """Write the runs (all, or those with the given ids) to a CSV file; raises
        CharnamesError with a sentence for the user when it cannot."""
        if self._store is None:
            raise CharnamesError("There is no run history to export.")
        count = self._store.export_csv(path, ids)
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

    def _export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export runs as CSV", "runs.csv", "CSV files (*.csv);;All files (*)"
        )
        if not path:
            return
        try:
            self.export_csv(path)
        except CharnamesError as exc:
            QMessageBox.warning(self, "Export runs", str(exc))

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
                f"#{r.id}: dev {_loss_text(r.dev_loss) or '–'}, "
                f"train {_loss_text(r.train_loss) or '–'}, {r.parameters:,} parameters"
            )
        elif single:
            finished = [r for r in single if r.dev_loss is not None and math.isfinite(r.dev_loss)]
            text = f"{len(single)} runs"
            if finished:
                best = min(finished, key=lambda r: r.dev_loss or 0.0)
                text += f", lowest dev {best.dev_loss:.4f} (#{best.id})"
            parts.append(text)
        self.summary.setText(" · ".join(parts))

    def _update_controls(self) -> None:
        has_store = self._store is not None
        self.delete_button.setEnabled(has_store and bool(self.selected_runs()))
        self.export_button.setEnabled(has_store and self.model.rowCount() > 0)
        if not self.selected_runs():
            self._update_summary([])

    def _fit_columns(self) -> None:
        self.table.resizeColumnsToContents()
        note = COLUMN_INDEX["note"]
        self.table.setColumnWidth(note, max(self.table.columnWidth(note), 120))
