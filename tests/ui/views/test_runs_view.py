"""The runs table: rows appear when recorded, sort as numbers, highlight the best, overlay;
a locked history keeps the window responsive and loses no run."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import QMessageBox

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.run_writer import Opened
from charnames_gui.core.runs import RunRecord, RunStore
from charnames_gui.ui.run_history import RunHistory
from charnames_gui.ui.views.runs_table_model import BEST_ROLE, COLUMN_INDEX, GROUP_ROLE, RECORD_ROLE
from charnames_gui.ui.views.runs_view import RunsView, run_colour

WAIT = 20_000  # ms: generous on a shared machine; nothing here measures time


def record(
    dev: float | None, n_embd: int = 10, n_hidden: int = 200, **changes: object
) -> RunRecord:
    values: dict[str, object] = {
        "dataset_name": "names.txt",
        "dataset_hash": "ab" * 32,
        "model": ModelConfig(3, n_embd, n_hidden, 27),
        "train": TrainConfig(steps=1000),
        "steps_done": 1000,
        "seconds": 3.0,
        "train_loss": None if dev is None else dev - 0.05,
        "dev_loss": dev,
        "curve_steps": np.arange(1, 11, dtype=np.float32),
        "curve_loss": np.linspace(3.3, dev or 3.0, 10).astype(np.float32),
    }
    values.update(changes)
    return RunRecord(**values)


@pytest.fixture
def history(qtbot, tmp_path: Path):
    h = RunHistory(tmp_path / "runs.db")
    qtbot.waitUntil(lambda: h.is_open, timeout=WAIT)
    yield h
    h.close()


@pytest.fixture
def view(qtbot, history: RunHistory) -> RunsView:
    v = RunsView()
    qtbot.addWidget(v)
    with qtbot.waitSignal(history.opened, timeout=WAIT):
        v.set_history(history)
    v.resize(640, 450)
    return v


def add(qtbot, view: RunsView, r: RunRecord) -> RunRecord:
    """Record a run through the view's history; the stored record once it is shown."""
    history = view.history()
    assert history is not None
    with qtbot.waitSignal(history.recorded, timeout=WAIT) as recorded:
        history.add(r)
    stored: RunRecord = recorded.args[1]
    assert view.model.row_of(stored.id) is not None
    return stored


def stored_runs(view: RunsView) -> list[RunRecord]:
    """What the database holds, read by a second connection."""
    history = view.history()
    assert history is not None
    store = RunStore(history.path)
    try:
        return store.list()
    finally:
        store.close()


def column(view: RunsView, key: str, role: int = Qt.ItemDataRole.DisplayRole) -> list[object]:
    col = COLUMN_INDEX[key]
    return [view.proxy.index(row, col).data(role) for row in range(view.proxy.rowCount())]


def test_a_recorded_run_appears_and_is_stored(qtbot, view: RunsView) -> None:
    assert view.proxy.rowCount() == 0
    stored = add(qtbot, view, record(2.3))
    assert stored.id is not None and view.proxy.rowCount() == 1
    assert [r.id for r in stored_runs(view)] == [stored.id]
    view.add_run(stored)  # a record already shown is replaced, not shown twice
    add(qtbot, view, record(2.2))
    assert view.proxy.rowCount() == 2 and len(stored_runs(view)) == 2
    assert column(view, "dev") == ["2.2000", "2.3000"]  # newest first


def test_opening_shows_the_stored_runs(qtbot, tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.db")
    for dev in (2.3, 2.2):
        store.add(record(dev))
    store.close()
    history = RunHistory(tmp_path / "runs.db")
    view = RunsView()
    qtbot.addWidget(view)
    view.set_history(history)
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 2, timeout=WAIT)
    history.close()


def test_sorting_is_numeric(qtbot, view: RunsView) -> None:
    add(qtbot, view, record(2.2, n_embd=2, n_hidden=100))  # 3,481 parameters
    add(qtbot, view, record(2.1, n_embd=10, n_hidden=200))  # 11,897
    add(qtbot, view, record(None, n_embd=2, n_hidden=300))  # 10,281; no dev loss
    add(qtbot, view, record(10.5))
    view.table.sortByColumn(COLUMN_INDEX["params"], Qt.SortOrder.AscendingOrder)
    # as text "10,281" < "11,897" < "3,481"; as numbers 3,481 comes first
    assert column(view, "params") == ["3,481", "10,281", "11,897", "11,897"]
    view.table.sortByColumn(COLUMN_INDEX["dev"], Qt.SortOrder.AscendingOrder)
    assert column(view, "dev") == ["2.1000", "2.2000", "10.5000", ""]  # missing last


def test_best_dev_loss_is_highlighted_per_dataset(qtbot, view: RunsView) -> None:
    a = add(qtbot, view, record(2.3))
    b = add(qtbot, view, record(2.15))
    c = add(qtbot, view, record(2.4, dataset_hash="cd" * 32))  # the only run on another dataset
    view.table.sortByColumn(COLUMN_INDEX["id"], Qt.SortOrder.AscendingOrder)
    best = column(view, "dev", BEST_ROLE)
    assert best == [False, True, True]
    fonts = column(view, "dev", Qt.ItemDataRole.FontRole)
    assert isinstance(fonts[1], QFont) and fonts[1].bold()
    assert fonts[0] is None
    assert isinstance(column(view, "dev", Qt.ItemDataRole.BackgroundRole)[1], QBrush)
    # a better run takes the highlight over at once
    add(qtbot, view, record(2.0))
    assert column(view, "dev", BEST_ROLE) == [False, False, True, True]
    assert [r.id for r in view.model.runs()][:3] == [a.id, b.id, c.id]


def test_the_dataset_column_tells_two_names_txt_apart(qtbot, view: RunsView) -> None:
    add(qtbot, view, record(2.2, dataset_hash="1a2b3c4d" + "0" * 56))  # the bundled names
    add(qtbot, view, record(2.1, dataset_hash="9f8e7d6c" + "0" * 56))  # the lecture's file
    view.table.sortByColumn(COLUMN_INDEX["id"], Qt.SortOrder.AscendingOrder)
    assert column(view, "dataset") == ["names.txt · 1a2b3c4d", "names.txt · 9f8e7d6c"]
    tip = column(view, "dataset", Qt.ItemDataRole.ToolTipRole)[0]
    assert "1a2b3c4d" + "0" * 56 in tip  # the whole hash on hover


def test_selection_emits_overlay_records(qtbot, view: RunsView) -> None:
    runs = [add(qtbot, view, record(d)) for d in (2.3, 2.2, 2.1)]
    with qtbot.waitSignal(view.overlayChanged, timeout=1000) as blocker:
        view.select_ids([runs[0].id, runs[2].id])
    payload = blocker.args[0]
    assert sorted(r.id for r in payload) == sorted([runs[0].id, runs[2].id])
    assert all(isinstance(r, RunRecord) for r in payload)
    np.testing.assert_array_equal(payload[0].curve_steps, np.arange(1, 11))  # curves included
    assert view.delete_button.isEnabled()
    with qtbot.waitSignal(view.overlayChanged, timeout=1000) as blocker:
        view.table.clearSelection()
    assert blocker.args[0] == []


def test_note_edit_persists(qtbot, view: RunsView) -> None:
    run = add(qtbot, view, record(2.2))
    index = view.proxy.index(0, COLUMN_INDEX["note"])
    assert index.flags() & Qt.ItemFlag.ItemIsEditable
    assert not view.proxy.index(0, COLUMN_INDEX["dev"]).flags() & Qt.ItemFlag.ItemIsEditable
    history = view.history()
    assert history is not None
    with qtbot.waitSignal(history.updated, timeout=WAIT):
        assert view.proxy.setData(index, "  bigger embedding  ")
    assert index.data() == "bigger embedding"
    assert [r.note for r in stored_runs(view) if r.id == run.id] == ["bigger embedding"]


def test_delete_asks_first(qtbot, view: RunsView, monkeypatch) -> None:
    runs = [add(qtbot, view, record(d)) for d in (2.3, 2.2, 2.1)]
    view.select_ids([runs[1].id])
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    assert view.delete_selected() == 0  # said No
    assert len(stored_runs(view)) == 3
    view.table.setFocus()
    with qtbot.waitSignal(view.overlayChanged, timeout=WAIT) as blocker:
        qtbot.keyClick(view.table, Qt.Key.Key_Delete)  # the Delete key, said Yes
    assert blocker.args[0] == []  # the deleted run leaves the plot
    assert not answers
    assert [r.id for r in stored_runs(view)] == [runs[0].id, runs[2].id]
    assert view.proxy.rowCount() == 2


def test_export_csv(qtbot, view: RunsView, tmp_path: Path) -> None:
    runs = [add(qtbot, view, record(d)) for d in (2.3, 2.2)]
    out = tmp_path / "out.csv"
    assert view.export_csv(out) == 2
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["id"]) for r in rows] == [r.id for r in runs]
    assert [float(r["dev_loss"]) for r in rows] == [2.3, 2.2]


def test_seed_groups_have_a_mean_row(qtbot, view: RunsView) -> None:
    add(qtbot, view, record(2.17, group_id="g", group_index=1, group_size=5))
    assert view.proxy.rowCount() == 1  # one seed: no mean row yet
    for i, dev in enumerate((2.16, 2.18), start=2):
        add(qtbot, view, record(dev, group_id="g", group_index=i, group_size=5))
    single = add(qtbot, view, record(2.3))
    view.table.sortByColumn(COLUMN_INDEX["id"], Qt.SortOrder.AscendingOrder)
    assert column(view, "group") == ["1 of 5", "2 of 5", "3 of 5", "3 of 5", ""]
    assert column(view, "id")[3] == "mean"  # just after its newest seed
    assert column(view, "dev")[3] == "2.170 ± 0.010 (3 seeds)"
    assert column(view, "seed")[3] == "3 seeds"
    tip = column(view, "group", Qt.ItemDataRole.ToolTipRole)[0]
    assert "dev 2.170 ± 0.010 (3 seeds); 3 of 5 recorded" in tip
    view.select_ids([view.proxy.index(0, 0).data(RECORD_ROLE).id])
    assert "2.170 ± 0.010 (3 seeds)" in view.summary.text()
    # selecting the mean row overlays every seed
    with qtbot.waitSignal(view.overlayChanged, timeout=1000) as blocker:
        view.table.selectRow(3)
    assert view.proxy.index(3, 0).data(GROUP_ROLE) is not None
    assert sorted(r.group_index for r in blocker.args[0]) == [1, 2, 3]
    # deleting seeds below two removes the mean row
    ids = [r.id for r in view.model.runs() if r.group_id == "g"]
    history = view.history()
    assert history is not None
    with qtbot.waitSignal(history.deleted, timeout=WAIT):
        history.delete(ids[:2])
    assert view.proxy.rowCount() == 2
    assert "mean" not in column(view, "id") and single.id is not None


def test_each_loss_shows_its_standard_error(qtbot, view: RunsView) -> None:
    add(qtbot, view, record(2.1662, train_se=0.0021, dev_se=0.0062))
    add(qtbot, view, record(2.2))  # recorded before the errors were measured: none shown
    assert column(view, "dev") == ["2.2000", "2.1662 ± 0.006"]
    assert column(view, "train") == ["2.1500", "2.1162 ± 0.002"]


def test_double_clicking_a_mean_row_selects_its_seeds(qtbot, view: RunsView) -> None:
    seeds = [
        add(qtbot, view, record(dev, group_id="g", group_index=i, group_size=2))
        for i, dev in enumerate((2.16, 2.18), start=1)
    ]
    add(qtbot, view, record(2.3))
    mean_row = column(view, "id").index("mean")
    view.table.doubleClicked.emit(view.proxy.index(mean_row, COLUMN_INDEX["dev"]))
    assert sorted(r.id for r in view.selected_runs()) == sorted(r.id for r in seeds)
    assert view.proxy.index(mean_row, 0) not in view.table.selectionModel().selectedRows()


def _repeat(qtbot, view: RunsView, group: str, devs: list[float], seeds: list[int], **changes):
    runs = []
    for i, (dev, seed) in enumerate(zip(devs, seeds, strict=True)):
        train = TrainConfig(steps=1000, seed=seed)
        r = record(dev, group_id=group, group_index=i + 1, group_size=len(devs), train=train,
                   **changes)  # fmt: skip
        runs.append(add(qtbot, view, r))
    return runs


def test_compare_two_repeats_pairs_them_by_seed(qtbot, view: RunsView) -> None:
    """Runs > Compare: two mean rows with the same seeds: a paired interval and a verdict."""
    seeds = [1, 2, 3, 4]
    _repeat(qtbot, view, "a", [2.20, 2.25, 2.18, 2.23], seeds)
    _repeat(qtbot, view, "b", [2.17, 2.23, 2.16, 2.20], seeds, n_hidden=300)
    assert not view.compare_button.isEnabled()
    ids = column(view, "id")
    first, second = [i for i, text in enumerate(ids) if text == "mean"]
    view.table.selectRow(first)
    view.table.selectionModel().select(
        view.proxy.index(second, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    assert view.compare_button.isEnabled()
    with qtbot.waitSignal(view.statusMessage, timeout=WAIT) as told:
        result = view.compare_selected()
    assert result is not None and result.paired and result.n_a == result.n_b == 4
    # newest first: A is the n_hidden=300 repeat, B the first one (worse by 0.025)
    assert told.args[0].startswith("A is better by 0.025")
    assert "4 seeds each" in told.args[0]
    dialog = view.compare_view
    assert dialog is not None and dialog.isVisible()
    assert dialog.answer.text() == result.sentence()
    assert "hidden 300" in dialog.sides.text() and "paired t" in dialog.details.text()


def test_compare_refuses_runs_on_different_dev_splits(qtbot, view: RunsView) -> None:
    add(qtbot, view, record(2.2))
    add(qtbot, view, record(2.1, split_seed=7))
    view.table.selectAll()
    assert view.compare_view is None and view.compare_button.isEnabled()
    assert view.compare_selected() is None
    assert view.compare_view is not None
    assert "different dev splits" in view.compare_view.answer.text()


def test_references(qtbot, view: RunsView) -> None:
    add(qtbot, view, record(2.2))
    view.set_references(3.2958, 2.4533, dataset_hash="ab" * 32)
    text = view.references.text()
    assert "3.296" in text and "2.453" in text
    tip = view.proxy.index(0, COLUMN_INDEX["dev"]).data(Qt.ItemDataRole.ToolTipRole)
    assert "0.253 below the bigram baseline" in tip
    view.set_references(3.2958, None)
    assert "not computed" in view.references.text()


def test_run_colour_is_stable_and_distinct() -> None:
    assert run_colour(7) == run_colour(7)
    names = {run_colour(i).name() for i in range(10, 19)}
    assert len(names) == 9  # any nine consecutive runs get nine different colours


def test_a_run_recorded_while_the_history_is_locked_lands_later(qtbot, view: RunsView) -> None:
    """The window keeps running while another program holds the history;
    the run is shown at once as waiting, and stored once the lock goes."""
    history = view.history()
    assert history is not None
    add(qtbot, view, record(2.3))
    holder = sqlite3.connect(history.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    try:
        with qtbot.waitSignal(history.queued, timeout=WAIT):
            token = history.add(record(2.1, note="while locked"))
        qtbot.waitUntil(lambda: not view.history_state.isHidden(), timeout=WAIT)
        assert "busy (another Charnames is using it)" in view.history_state.text()
        assert "waiting" in column(view, "id")
        before = len(ticks)
        qtbot.waitUntil(lambda: len(ticks) > before + 3, timeout=WAIT)  # the GUI keeps ticking
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with qtbot.waitSignal(history.recorded, timeout=WAIT) as recorded:
        pass
    timer.stop()
    assert recorded.args[0] == token and recorded.args[1].id is not None
    qtbot.waitUntil(lambda: view.history_state.isHidden(), timeout=WAIT)
    assert "waiting" not in column(view, "id") and view.proxy.rowCount() == 2
    assert [r.note for r in stored_runs(view)] == ["", "while locked"]


def test_a_read_only_history_is_said_so(qtbot, view: RunsView) -> None:
    history = view.history()
    assert history is not None
    stored = add(qtbot, view, record(2.2))
    message = f"The run history {history.path} is read-only: earlier runs are shown, ..."
    history.opened.emit(Opened((stored,), message, read_only=True))  # as the writer reports
    assert not view.history_state.isHidden()
    assert "read-only" in view.history_state.text()
    assert view.proxy.rowCount() == 1
    unsaved = record(2.1)  # a run the store refused: shown for the session, marked unsaved
    history.recorded.emit(99, unsaved)
    assert "unsaved" in column(view, "id")
