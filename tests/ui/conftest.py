"""Fixtures for driving the main window: isolated settings and run history, scripted dialogs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import ScriptedDialogs

from charnames_gui.core.config import TrainConfig
from charnames_gui.ui.window.app_settings import AppSettings
from charnames_gui.ui.window.main_window import MainWindow

STEPS = 400_000  # long enough that a run never ends by itself during a test


@pytest.fixture(autouse=True)
def normal_text_size(qapp) -> Iterator[None]:
    """A test that zooms leaves the next one the application's normal font."""
    from charnames_gui.ui.views.text_scale import base_font

    base_font()  # read before any test zooms
    yield
    if qapp.font() != base_font():
        qapp.setFont(base_font())


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    """The window's settings file in the test's folder (written when a window closes)."""
    return AppSettings.at(tmp_path / "settings.json")


@pytest.fixture
def make_window(
    qtbot, settings: AppSettings, tmp_path: Path, small_dataset_file: Path
) -> Iterator[Callable[..., MainWindow]]:
    """make_window(open_data=True, steps=STEPS): a shown window with the small dataset open
    and runs of `steps` steps (None: the restored settings); with_settings: other settings
    than the `settings` fixture's (e.g. a file written by the test).
    Every window made is shut down at the end of the test."""
    made: list[MainWindow] = []

    def make(
        open_data: bool = True,
        steps: int | None = STEPS,
        dialogs: ScriptedDialogs | None = None,
        with_settings: AppSettings | None = None,
    ) -> MainWindow:
        win = MainWindow(
            settings=with_settings or settings,
            load_bundled=False,
            runs_path=tmp_path / "runs.db",
            dialogs=dialogs or ScriptedDialogs(),
        )
        made.append(win)
        win.show()
        if steps is not None:  # None: keep what the settings restored
            win.panel.set_values(train=TrainConfig(steps=steps, lr_decay_at=steps // 2))
        if open_data:
            assert win.file_commands.open_dataset(small_dataset_file)
        return win

    yield make
    for win in made:
        win.frame_clock.stop()  # no frame between here and the deferred delete
        win.hide()  # (a full-screen window would sit over the next test's widgets)
        win.controller.shutdown()
        win.hidden_analysis.wait()
        win.run_history.close()
        win.deleteLater()


@pytest.fixture
def window(make_window: Callable[..., MainWindow]) -> MainWindow:
    return make_window()
