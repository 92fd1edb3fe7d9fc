"""Menus made from a table: every item and shortcut of the window's menus, and actions
enabled as their `when` says."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from charnames_gui.core.training_state import TrainingState
from charnames_gui.ui.window.main_window import MainWindow
from charnames_gui.ui.window.menus import SEPARATOR, Action, Attached, Availability, Menu, Menus

QUIT, GUIDE = "(Quit)", "(HelpContents)"  # the platform's standard keys, read in the test

# (menu, text, keys): what the window's menus showed before they were made from a table
WINDOW_MENUS = [
    ("&File", "&New model", "Ctrl+N"),
    ("&File", "Open &dataset...", "Ctrl+Shift+O"),
    ("&File", "&Open model...", "Ctrl+O"),
    ("&File", "Open &recent >"),
    ("&File", "---"),
    ("&File", "&Save model", "Ctrl+S"),
    ("&File", "Save model &as...", "Ctrl+Shift+S"),
    ("&File", "&Export >"),
    ("&File/&Export", "Plot as &PNG...", ""),
    ("&File/&Export", "Losses as &CSV...", ""),
    ("&File/&Export", "&Embedding as PNG...", ""),
    ("&File/&Export", "Re&play for slides (video, GIF, PNG, SVG)...", ""),
    ("&File/&Export", "&Runs table as CSV...", ""),
    ("&File/&Export", "---"),
    ("&File/&Export", "Python &script...", ""),
    ("&File/&Export", "&Jupyter notebook...", ""),
    ("&File", "---"),
    ("&File", "&Quit", QUIT),
    ("&Training", "Start / &Pause", "Space"),
    ("&Training", "&End the run", "Ctrl+."),
    ("&Training", "---"),
    ("&Training", "Find a &learning rate", "Ctrl+L"),
    ("&Training", "&Repeat with several seeds...", ""),
    ("&Training", "---"),
    ("&Training", "Evaluate on &test set...", ""),
    ("E&xperiments", "&Beat the lecture...", ""),
    ("E&xperiments", "&Compare two runs...", ""),
    ("E&xperiments", "Compare two &presets...", ""),
    ("&View", "Training", ""),
    ("&View", "Embedding", ""),
    ("&View", "Runs", ""),
    ("&View", "Learning-rate finder", ""),
    ("&View", "Hidden layer", ""),
    ("&View", "Network", ""),
    ("&View", "Forward pass", ""),
    ("&View", "Sampling", ""),
    ("&View", "---"),
    ("&View", "Zoom &in", "Ctrl+= or Ctrl++"),
    ("&View", "Zoom &out", "Ctrl+-"),
    ("&View", "&Actual size", "Ctrl+0"),
    ("&View", "---"),
    ("&View", "&Presentation mode", "F11"),
    ("&View", "---"),
    ("&View", "&Reset layout", ""),
    ("&Help", "&Guide", GUIDE),
    ("&Help", "&Keyboard shortcuts", "Ctrl+/"),
    ("&Help", "The &lecture (makemore part 2)", ""),
    ("&Help", "&About Charnames", ""),
]


def _items(menu: QMenu, path: str) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for action in menu.actions():
        sub = action.menu()
        if action.isSeparator():
            rows.append((path, "---"))
        elif isinstance(sub, QMenu):
            rows.append((path, action.text() + " >"))
            if sub.title() != "Open &recent":  # (the recent files)
                rows += _items(sub, f"{path}/{action.text()}")
        else:
            keys = " or ".join(k.toString() for k in action.shortcuts())
            rows.append((path, action.text(), keys))
    return rows


def test_every_menu_item_and_shortcut_is_there(window: MainWindow) -> None:
    rows = []
    for top in window.menuBar().actions():
        menu = top.menu()
        assert isinstance(menu, QMenu)
        rows += _items(menu, top.text())
    standard = {
        QUIT: QKeySequence(QKeySequence.StandardKey.Quit).toString(),
        GUIDE: QKeySequence(QKeySequence.StandardKey.HelpContents).toString(),
    }
    assert rows == [tuple(standard.get(part, part) for part in row) for row in WINDOW_MENUS]
    assert window.menus.action("leave_presentation").shortcut().toString() == "Esc"


def not_busy(now: Availability) -> bool:
    return not now.busy


def has_model(now: Availability) -> bool:
    return now.has_model


def _now(state: TrainingState, busy: bool = False, has_model: bool = True) -> Availability:
    return Availability(state, busy=busy, has_model=has_model, trainable=has_model)


def test_actions_and_menus_are_enabled_as_their_rows_say(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    called: list[str] = []
    recent = QMenu("Recent", window)
    new_row = Action("new", "&New", lambda: called.append("new"), ["Ctrl+N"], when=not_busy)
    save_row = Action("save", "&Save", lambda: called.append("save"), when=has_model)
    about_row = Action("about", "&About", lambda: called.append("about"))
    recent_row = Attached("recent", recent, when=not_busy)
    table = [Menu("file", "&File", [new_row, recent_row, SEPARATOR, save_row, about_row])]
    hidden = [Action("leave", "Leave", lambda: called.append("leave"), ["Esc"], enabled=False)]
    menus = Menus(window, table, hidden)
    new, save, about, leave = (menus.action(n) for n in ("new", "save", "about", "leave"))
    assert window.actions() == [new, save, about, leave]  # keys work without the menu bar
    separators = [a.isSeparator() for a in menus.menu("file").actions()]
    assert separators == [False, False, True, False, False]
    assert not leave.isEnabled()  # until its owner enables it

    menus.update(_now(TrainingState.RUNNING, busy=True))
    assert not new.isEnabled() and not recent.isEnabled() and save.isEnabled()
    assert about.isEnabled()
    menus.update(_now(TrainingState.NO_MODEL, has_model=False))
    assert new.isEnabled() and recent.isEnabled() and not save.isEnabled()

    new.trigger()
    about.trigger()
    assert called == ["new", "about"]
    assert isinstance(new, QAction) and new.shortcut().toString() == "Ctrl+N"
