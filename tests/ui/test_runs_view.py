"""The runs table: rows appear at once, sort as numbers, highlight the best, overlay."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import QMessageBox

from charnames_gui.core.model import ModelConfig
from charnames_gui.core.runs import RunRecord, RunStore
from charnames_gui.core.training import TrainConfig
from charnames_gui.ui.runs_view import BEST_ROLE, COLUMN_INDEX, RECORD_ROLE, RunsView, run_colour


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
    return RunRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path):
    s = RunStore(tmp_path / "runs.db")
    yield s
    s.close()


@pytest.fixture
def view(qtbot, store: RunStore) -> RunsView:
    v = RunsView()
    qtbot.addWidget(v)
    v.set_store(store)
    v.resize(640, 450)
    return v


def column(view: RunsView, key: str, role: int = Qt.ItemDataRole.DisplayRole) -> list[object]:
    col = COLUMN_INDEX[key]
    return [view.proxy.index(row, col).data(role) for row in range(view.proxy.rowCount())]


def test_add_run_appears_at_once_and_is_stored(view: RunsView, store: RunStore) -> None:
    assert view.proxy.rowCount() == 0
    stored = view.add_run(record(2.3))
    assert stored.id is not None
    assert view.proxy.rowCount() == 1
    assert store.get(stored.id) is not None
    # a record that already has an id is shown, not stored twice
    other = store.add(record(2.2))
    view.add_run(other)
    assert view.proxy.rowCount() == 2 and len(store) == 2
    assert column(view, "dev") == ["2.2000", "2.3000"]  # newest first


def test_refresh_reads_the_store(qtbot, store: RunStore) -> None:
    for dev in (2.3, 2.2):
        store.add(record(dev))
    view = RunsView()
    qtbot.addWidget(view)
    view.set_store(store)
    assert view.proxy.rowCount() == 2


def test_sorting_is_numeric(view: RunsView) -> None:
    view.add_run(record(2.2, n_embd=2, n_hidden=100))  # 3,481 parameters
    view.add_run(record(2.1, n_embd=10, n_hidden=200))  # 11,897
    view.add_run(record(None, n_embd=2, n_hidden=300))  # 10,281; no dev loss
    view.add_run(record(10.5))
    view.table.sortByColumn(COLUMN_INDEX["params"], Qt.SortOrder.AscendingOrder)
    # as text "10,281" < "11,897" < "3,481"; as numbers 3,481 comes first
    assert column(view, "params") == ["3,481", "10,281", "11,897", "11,897"]
    view.table.sortByColumn(COLUMN_INDEX["dev"], Qt.SortOrder.AscendingOrder)
    assert column(view, "dev") == ["2.1000", "2.2000", "10.5000", ""]  # missing last


def test_best_dev_loss_is_highlighted_per_dataset(view: RunsView) -> None:
    a = view.add_run(record(2.3))
    b = view.add_run(record(2.15))
    c = view.add_run(record(2.4, dataset_hash="cd" * 32))  # the only run on another dataset
    view.table.sortByColumn(COLUMN_INDEX["id"], Qt.SortOrder.AscendingOrder)
    best = column(view, "dev", BEST_ROLE)
    assert best == [False, True, True]
    fonts = column(view, "dev", Qt.ItemDataRole.FontRole)
    assert isinstance(fonts[1], QFont) and fonts[1].bold()
    assert fonts[0] is None
    assert isinstance(column(view, "dev", Qt.ItemDataRole.BackgroundRole)[1], QBrush)
    # a better run takes the highlight over at once
    view.add_run(record(2.0))
    assert column(view, "dev", BEST_ROLE) == [False, False, True, True]
    assert [r.id for r in view.model.runs()][:3] == [a.id, b.id, c.id]


def test_selection_emits_overlay_records(qtbot, view: RunsView) -> None:
    runs = [view.add_run(record(d)) for d in (2.3, 2.2, 2.1)]
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


def test_note_edit_persists(view: RunsView, store: RunStore) -> None:
    run = view.add_run(record(2.2))
    index = view.proxy.index(0, COLUMN_INDEX["note"])
    assert index.flags() & Qt.ItemFlag.ItemIsEditable
    assert not view.proxy.index(0, COLUMN_INDEX["dev"]).flags() & Qt.ItemFlag.ItemIsEditable
    assert view.proxy.setData(index, "  bigger embedding  ")
    assert index.data() == "bigger embedding"
    assert store.get(run.id).note == "bigger embedding"  # type: ignore[arg-type, union-attr]
    again = RunStore(store.path)
    assert again.get(run.id).note == "bigger embedding"  # type: ignore[arg-type, union-attr]
    again.close()


def test_note_edit_failure_is_reported(qtbot, view: RunsView, store: RunStore) -> None:
    view.add_run(record(2.2))
    store.close()  # every write now fails
    index = view.proxy.index(0, COLUMN_INDEX["note"])
    with qtbot.waitSignal(view.statusMessage, timeout=1000) as blocker:
        assert not view.proxy.setData(index, "lost")
    assert "Could not save" in blocker.args[0]
    assert index.data() == ""


def test_a_run_that_cannot_be_saved_is_reported(qtbot, view: RunsView, store: RunStore) -> None:
    store.close()
    with qtbot.waitSignal(view.statusMessage, timeout=1000) as blocker:
        assert view.add_run(record(2.2)) is None
    assert "Could not save" in blocker.args[0]
    assert view.proxy.rowCount() == 0


def test_delete_asks_first(qtbot, view: RunsView, store: RunStore, monkeypatch) -> None:
    runs = [view.add_run(record(d)) for d in (2.3, 2.2, 2.1)]
    view.select_ids([runs[1].id])
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    assert view.delete_selected() == 0  # said No
    assert len(store) == 3
    view.table.setFocus()
    with qtbot.waitSignal(view.overlayChanged, timeout=1000) as blocker:
        qtbot.keyClick(view.table, Qt.Key.Key_Delete)  # the Delete key, said Yes
    assert blocker.args[0] == []  # the deleted run leaves the plot
    assert not answers
    assert [r.id for r in store.list()] == [runs[0].id, runs[2].id]
    assert view.proxy.rowCount() == 2


def test_export_csv(view: RunsView, tmp_path: Path) -> None:
    runs = [view.add_run(record(d)) for d in (2.3, 2.2)]
    out = tmp_path / "out.csv"
    assert view.export_csv(out) == 2
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["id"]) for r in rows] == [r.id for r in runs]
    assert [float(r["dev_loss"]) for r in rows] == [2.3, 2.2]


def test_seed_groups_are_shown_with_their_statistics(view: RunsView) -> None:
    for i, dev in enumerate((2.17, 2.16, 2.18), start=1):
        view.add_run(record(dev, group_id="g", group_index=i, group_size=5))
    view.add_run(record(2.3))
    view.table.sortByColumn(COLUMN_INDEX["id"], Qt.SortOrder.AscendingOrder)
    assert column(view, "group") == ["1 of 5", "2 of 5", "3 of 5", ""]
    tip = column(view, "group", Qt.ItemDataRole.ToolTipRole)[0]
    assert "dev 2.170 ± 0.010 (3 seeds); 3 of 5 recorded" in tip
    view.select_ids([view.proxy.index(0, 0).data(RECORD_ROLE).id])
    assert "2.170 ± 0.010 (3 seeds)" in view.summary.text()


def test_references(view: RunsView) -> None:
    view.add_run(record(2.2))
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
