"""The runs table's model: one row per recorded run, plus a mean ± std row per K-seed repeat.

Rows are core.runs.RunRecords (a stored run has an id; a run still waiting for a locked
history, or one a read-only history could not keep, has none yet) followed by GroupRows,
one per repeat with at least two recorded seeds. The view (ui.runs_view) sorts them with a
proxy on SORT_ROLE; a repeat's row sorts next to its newest seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap

from charnames_gui.core.runs import RunRecord
from charnames_gui.core.stats import SeedStats, format_error, seed_stats
from charnames_gui.ui.views.training_controls import format_duration

SORT_ROLE = Qt.ItemDataRole.UserRole  # numbers for numeric columns, folded text otherwise
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's RunRecord (any column); None on a group
BEST_ROLE = Qt.ItemDataRole.UserRole + 2  # True on the dev cell of the best run of a dataset
GROUP_ROLE = Qt.ItemDataRole.UserRole + 3  # a repeat's summary row: its GroupRow, else None
MIN_GROUP_ROW = 2  # a repeat gets its mean ± std row once this many seeds are recorded

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


def loss_text(loss: float | None) -> str:
    return "" if loss is None or not math.isfinite(loss) else f"{loss:.4f}"


def loss_with_se(loss: float | None, se: float | None) -> str:
    """'2.1662 ± 0.006'; just the loss when its error was not measured; '' for none."""
    text = loss_text(loss)
    return f"{text} ± {format_error(se)}" if text and se is not None else text


def _number(value: float | int | None) -> float:
    """Sort key of a number; a missing one sorts after every number (ascending)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.inf
    return float(value)


def dataset_text(name: str, content_hash: str) -> str:
    """'names.txt · 1a2b3c4d': the name plus the first 8 hex digits of the content hash, so
    two files both called names.txt (the bundled one and the lecture's) are told apart."""
    return f"{name} · {content_hash[:8]}" if content_hash else name


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
        "Mean loss on the dev split (names never trained on): the number to compare runs by, "
        "± its standard error over the split's names (another split of the same size could "
        "move it about that much). A repeat's mean row: mean ± sd over its seeds. The lowest "
        "per dataset is highlighted.",
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
        "The row marked 'mean' gives their mean loss ± standard deviation.",
        False,
    ),
    Column(
        "status",
        "status",
        "finished; stopped by you; diverged (the loss became NaN, or ended above uniform "
        "guessing ln(V)); failed (the training process stopped with an error).",
        False,
    ),
    Column(
        "dataset",
        "dataset",
        "The dataset file and the start of its content hash: runs compare only on the same "
        "data, and two files with the same name show different hashes.",
        False,
    ),
    Column("created", "date", "When the run ended.", False),
    Column("note", "note", "Your note about the run: double-click or press F2 to edit.", False),
)
COLUMN_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}


@dataclass(frozen=True)
class GroupRow:
    """The summary row of one K-seed repeat: the mean ± std of its recorded seeds."""

    group_id: str
    members: tuple[RunRecord, ...]  # recorded seeds, in recording order

    @property
    def size(self) -> int:  # K, as planned
        return max((r.group_size or 0 for r in self.members), default=len(self.members))

    def stats(self, key: str) -> SeedStats:
        return seed_stats(getattr(r, f"{key}_loss") for r in self.members)

    @property
    def newest_id(self) -> int:
        return max((r.id or 0 for r in self.members), default=0)


class RunsTableModel(QAbstractTableModel):
    """RunRecords as table rows, then one GroupRow per repeat. Notes are editable: an edit
    emits noteEdited and is shown at once (the view hands it to the run history)."""

    noteEdited = Signal(int, str)  # run id, new note

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._runs: list[RunRecord] = []
        self._groups: list[GroupRow] = []  # rows len(_runs) .. len(_runs) + len(_groups) - 1
        self._waiting: set[int] = set()  # id() of records shown while the history is locked
        self._best: set[int] = set()  # ids of the best dev loss per (dataset, split seed)
        self._bigram: float | None = None
        self._reference_hash: str | None = None
        self._swatches: dict[str, QIcon] = {}  # colour name -> icon, made once

    # -- content ---------------------------------------------------------------------------
    def runs(self) -> list[RunRecord]:
        return list(self._runs)

    def groups(self) -> list[GroupRow]:
        return list(self._groups)

    def record(self, row: int) -> RunRecord | None:
        """The run of a row; None on a repeat's summary row."""
        return self._runs[row] if row < len(self._runs) else None

    def row_of(self, run_id: int) -> int | None:
        return next((i for i, r in enumerate(self._runs) if r.id == run_id), None)

    def set_runs(self, runs: Iterable[RunRecord], waiting: Iterable[RunRecord] = ()) -> None:
        """Every row anew: the stored runs, then those waiting for a locked history."""
        waiting = list(waiting)
        self.beginResetModel()
        self._runs = [*runs, *waiting]
        self._waiting = {id(r) for r in waiting}
        self._groups = self._group_rows()
        self._update_best()
        self.endResetModel()

    def append(self, record: RunRecord, waiting: bool = False) -> None:
        """A new row; waiting: the history is locked and the run is not stored yet."""
        row = len(self._runs)
        self.beginInsertRows(QModelIndex(), row, row)
        self._runs.append(record)
        if waiting:
            self._waiting.add(id(record))
        self.endInsertRows()
        self._refresh_derived()

    def replace(self, record: RunRecord, old: RunRecord | None = None) -> bool:
        """Show record in place of `old` (a waiting row), or of the stored run with its id."""
        if old is not None:
            row = next((i for i, r in enumerate(self._runs) if r is old), None)
        else:
            row = self.row_of(record.id) if record.id is not None else None
        if row is None:
            return False
        self._waiting.discard(id(self._runs[row]))
        self._runs[row] = record
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        self._refresh_derived()
        return True

    def is_waiting(self, record: RunRecord) -> bool:
        return id(record) in self._waiting

    def remove_ids(self, ids: Iterable[int]) -> None:
        gone = set(ids)
        for row in reversed(range(len(self._runs))):
            if self._runs[row].id in gone:
                self.beginRemoveRows(QModelIndex(), row, row)
                self._waiting.discard(id(self._runs[row]))
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

    def _group_rows(self) -> list[GroupRow]:
        members: dict[str, list[RunRecord]] = {}
        for r in self._runs:
            if r.group_id is not None and r.id is not None:
                members.setdefault(r.group_id, []).append(r)
        return [GroupRow(g, tuple(rs)) for g, rs in members.items() if len(rs) >= MIN_GROUP_ROW]

    def _refresh_groups(self) -> None:
        """Keep one summary row per repeat, after the runs: rows are inserted, removed or
        changed in place, so the view keeps its selection."""
        wanted = {g.group_id: g for g in self._group_rows()}
        first = len(self._runs)
        for i in reversed(range(len(self._groups))):  # repeats gone (runs deleted)
            if self._groups[i].group_id not in wanted:
                self.beginRemoveRows(QModelIndex(), first + i, first + i)
                del self._groups[i]
                self.endRemoveRows()
        for i, group in enumerate(self._groups):  # repeats with new or changed seeds
            self._groups[i] = wanted.pop(group.group_id)
            row = first + i
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        for group in wanted.values():  # repeats that reach MIN_GROUP_ROW seeds
            row = first + len(self._groups)
            self.beginInsertRows(QModelIndex(), row, row)
            self._groups.append(group)
            self.endInsertRows()

    def _refresh_derived(self) -> None:
        """Best-run highlight and group summaries depend on every row."""
        self._update_best()
        self._refresh_groups()
        self._emit_column("dev")
        self._emit_column("group")

    def _emit_column(self, key: str) -> None:
        if self._runs:
            col = COLUMN_INDEX[key]
            self.dataChanged.emit(self.index(0, col), self.index(len(self._runs) - 1, col))

    # -- QAbstractTableModel ---------------------------------------------------------------
    def rowCount(self, parent: INDEX = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._runs) + len(self._groups)

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
        record = self.record(index.row()) if index.isValid() else None
        if record is not None and record.id is not None and COLUMNS[index.column()].key == "note":
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: INDEX, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        if index.row() >= len(self._runs):
            return self._group_data(self._groups[index.row() - len(self._runs)], index, role)
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
        if role == GROUP_ROLE:
            return None
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
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and key == "status"
            and r.status in ("diverged", "failed")
        ):
            return QBrush(DIVERGED_FOREGROUND)
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[index.column()].numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: INDEX, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        record = self.record(index.row())
        if record is None or record.id is None or COLUMNS[index.column()].key != "note":
            return False
        note = str(value).strip()
        if note == record.note:
            return False
        record.note = note
        self.dataChanged.emit(index, index)
        self.noteEdited.emit(record.id, note)
        return True

    # -- cell contents ---------------------------------------------------------------------
    def _display(self, r: RunRecord, key: str) -> str:
        m, t = r.model, r.train
        if key == "id":
            if r.id is not None:
                return f"#{r.id}"
            return "waiting" if self.is_waiting(r) else "unsaved"
        if key in ("dev", "train", "test"):
            # (the test loss has no error: it is looked at as rarely as possible)
            return loss_with_se(getattr(r, f"{key}_loss"), getattr(r, f"{key}_se", None))
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
            "dataset": lambda: dataset_text(r.dataset_name, r.dataset_hash),
            "created": lambda: _created_text(r.created),
            "note": lambda: r.note,
        }
        return values[key]()

    def _sort_key(self, r: RunRecord, key: str) -> float | str:
        m, t = r.model, r.train
        numbers: dict[str, Callable[[], float | int | None]] = {
            "id": lambda: r.id if r.id is not None else math.inf,  # not stored yet: newest
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
        return self._display(r, key).casefold()

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
            return f"{r.dataset_name}\nsha256 {r.dataset_hash}\nsplit seed {r.split_seed}"
        if key == "id" and r.id is None:
            if self.is_waiting(r):
                return (
                    "Not saved yet: the run history is busy (another Charnames is using it). "
                    "It is saved as soon as the history is free."
                )
            return "Not saved: the run history cannot be written. It is kept for this session."
        if key == "status" and r.status == "diverged":
            return (
                "The loss became NaN or infinite, or ended no better than uniform guessing "
                "(ln V): the learning rate was probably too high."
            )
        if key == "status" and r.status == "failed":
            return "The training process stopped with an error before the run could end."
        if key == "note" and r.note:
            return r.note
        if key == "created":
            return r.created
        return COLUMNS[COLUMN_INDEX[key]].tooltip

    # -- a repeat's summary row ------------------------------------------------------------
    def _group_data(self, g: GroupRow, index: INDEX, role: int) -> Any:
        key = COLUMNS[index.column()].key
        if role == Qt.ItemDataRole.DisplayRole:
            return self._group_display(g, key)
        if role == SORT_ROLE:
            return self._group_sort_key(g, key)
        if role == GROUP_ROLE:
            return g
        if role in (RECORD_ROLE, BEST_ROLE):
            return None if role == RECORD_ROLE else False
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"The mean ± standard deviation over the {len(g.members)} recorded seeds of "
                f"this repeat: {self.group_summary(g.group_id)}. Select it to overlay every "
                "seed's curve."
            )
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[index.column()].numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _group_display(self, g: GroupRow, key: str) -> str:
        first = g.members[0]
        if key in ("dev", "train", "test"):
            stats = g.stats(key)
            if not stats.values:
                return ""
            if stats.n == 1:
                return f"{stats.mean:.4f}"
            if key == "dev":  # '2.170 ± 0.016 (8 seeds)': the sd over seeds
                return stats.format()
            return f"{stats.mean:.3f} ± {stats.std:.3f}"
        if key == "id":
            return "mean"
        if key == "seed":
            return f"{len(g.members)} seeds"
        if key == "group":
            return f"{len(g.members)} of {g.size}"
        if key == "status":
            return "repeat"
        if key == "time":
            return format_duration(sum(r.seconds for r in g.members) / len(g.members))
        if key == "created":
            return _created_text(max(r.created for r in g.members))
        if key == "note":
            return ""
        return self._display(first, key)  # the configuration every seed shares

    def _group_sort_key(self, g: GroupRow, key: str) -> float | str:
        if key == "id":  # just after its newest seed: above the seeds when newest first
            return g.newest_id + 0.5
        if key in ("dev", "train", "test"):
            return _number(g.stats(key).mean)
        if key == "group":
            return f"{g.group_id}:99999"
        if key == "created":
            return max(r.created for r in g.members)
        if key == "time":
            return sum(r.seconds for r in g.members) / len(g.members)
        if key == "seed":
            return -1.0
        return self._sort_key(g.members[0], key)
