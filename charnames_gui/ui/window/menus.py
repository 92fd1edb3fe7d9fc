"""Menus built from a table: each action is a row (text, shortcut, handler, tip, when it is
enabled), each menu a list of rows. The window's menu table is in menu_table.py.

Every action is also added to the window itself, so its shortcut works even when the menu
bar is hidden (presentation mode)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

from charnames_gui.core.training_state import TrainingState

Shortcut = QKeySequence | QKeySequence.StandardKey | Qt.Key | str


@dataclass(frozen=True)
class Availability:
    """What the actions' enabled-when read: the app's state with the current model."""

    state: TrainingState
    busy: bool  # training, sweeping, evaluating, stepping, loading
    has_model: bool
    trainable: bool  # the model has its dataset (a trainer)

    @property
    def idle_with_model(self) -> bool:
        """A model that can be trained, and nothing running."""
        return self.has_model and self.trainable and not self.busy


EnabledWhen = Callable[[Availability], bool]


@dataclass(frozen=True)
class Action:
    """One row of a menu. shortcuts: the first is the one shown in the menu."""

    name: str  # the key in Menus.action(name)
    text: str
    handler: Callable[[], object]
    shortcuts: Sequence[Shortcut] = ()
    tip: str = ""
    when: EnabledWhen | None = None  # when it is enabled (None: always)
    enabled: bool = True  # at the start (an action without `when` that another object switches)


@dataclass(frozen=True)
class Menu:
    name: str  # the key in Menus.menu(name)
    title: str
    items: Sequence[Item]
    when: EnabledWhen | None = None


@dataclass(frozen=True)
class Attached:
    """A submenu made elsewhere (its owner fills it), placed here."""

    name: str
    menu: QMenu
    when: EnabledWhen | None = None


@dataclass(frozen=True)
class DockToggles:
    """A checkable row for each dock of the window, in the order they were made."""


SEPARATOR = None

Item = Action | Menu | Attached | DockToggles | None


class Menus:
    """The menu bar and actions made from a table, and their enabled state."""

    def __init__(
        self, window: QMainWindow, table: Sequence[Menu], unlisted: Sequence[Action] = ()
    ) -> None:
        """unlisted: actions in no menu (their keys work in the window)."""
        self._window = window
        self._actions: dict[str, QAction] = {}
        self._menus: dict[str, QMenu] = {}
        self._rules: list[tuple[QAction | QMenu, EnabledWhen]] = []
        bar = window.menuBar()
        for spec in table:
            self._fill(bar.addMenu(spec.title), spec)
        for action in unlisted:
            self._make(action)

    def action(self, name: str) -> QAction:
        return self._actions[name]

    def menu(self, name: str) -> QMenu:
        return self._menus[name]

    def update(self, now: Availability) -> None:
        """Enable each action and menu that has a `when` as it says for `now`."""
        for widget, enabled_when in self._rules:
            widget.setEnabled(enabled_when(now))

    def _fill(self, menu: QMenu, spec: Menu) -> None:
        self._menus[spec.name] = menu
        if spec.when is not None:
            self._rules.append((menu, spec.when))
        for item in spec.items:
            if item is SEPARATOR:
                menu.addSeparator()
            elif isinstance(item, Action):
                menu.addAction(self._make(item))
            elif isinstance(item, Menu):
                self._fill(menu.addMenu(item.title), item)
            elif isinstance(item, Attached):
                menu.addMenu(item.menu)
                self._menus[item.name] = item.menu
                if item.when is not None:
                    self._rules.append((item.menu, item.when))
            elif isinstance(item, DockToggles):
                for dock in self._window.findChildren(QDockWidget):
                    menu.addAction(dock.toggleViewAction())

    def _make(self, spec: Action) -> QAction:
        action = QAction(spec.text, self._window)
        keys = [QKeySequence(s) for s in spec.shortcuts]
        # (a standard key that this platform does not bind is no shortcut)
        action.setShortcuts([k for k in keys if not k.isEmpty()])
        if spec.tip:
            action.setStatusTip(spec.tip)
            action.setToolTip(spec.tip)
        handler = spec.handler
        action.triggered.connect(lambda _checked=False: handler())
        action.setEnabled(spec.enabled)
        if spec.when is not None:
            self._rules.append((action, spec.when))
        self._window.addAction(action)  # shortcuts work even when the menu bar is hidden
        self._actions[spec.name] = action
        return action
