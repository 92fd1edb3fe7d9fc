"""Experiments → Beat the lecture: the search window opens from the menu, records every
trial in the app's run history, and keeps the best trial's test loss when asked."""

from __future__ import annotations

from charnames_gui.core.search import SearchSettings

# two trials at a time: the worker processes, as the window runs a search
TINY = SearchSettings(
    seed=0, trial_examples=2_000, startup_trials=2, eval_points=1, max_trials=3, workers=2
)


def test_the_menu_opens_the_search_and_trials_reach_the_run_history(qtbot, window) -> None:
    beat_lecture = window.menus.action("beat_lecture")
    assert beat_lecture in window.menus.menu("experiments").actions()
    beat_lecture.trigger()
    search = window.search_commands.window
    assert search is not None and search.view.isVisible()
    assert search.view.start_button.isEnabled()
    stored: list[object] = []
    window.run_history.recorded.connect(lambda _token, record: stored.append(record))
    try:
        search.view.clear()
        assert search.runner.start(window.controller.document.dataset, TINY)
        qtbot.waitUntil(lambda: search.runner.ended is not None, timeout=60_000)
        qtbot.waitUntil(lambda: len(stored) == 3, timeout=20_000)
        assert all("Beat the lecture search" in r.note for r in stored)
        assert search.view.table.rowCount() == 3
        with qtbot.waitSignal(window.run_history.updated, timeout=20_000) as updated:
            search.view.test_button.click()
        best = search.runner.ended.best
        assert updated.args[0].test_loss is not None
        assert updated.args[0].dev_loss == best.dev_loss
        assert "once" in search.view.status.text()
    finally:
        search.close()
