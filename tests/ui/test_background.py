"""ui.background: a function or generator runs off the GUI thread; its result, error and
progress come back as signals on the GUI thread, after its thread has ended (the autouse
fixture in tests/conftest.py fails any test that leaves a QThread running)."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from charnames_gui.core.errors import DatasetError
from charnames_gui.ui.background import BackgroundJob, OneAtATime


def test_a_function_returns_its_result_on_the_gui_thread(qtbot) -> None:
    ran_on_gui_thread: list[bool] = []

    def work(a: int, b: int = 0) -> int:
        ran_on_gui_thread.append(QThread.currentThread().isMainThread())
        return a + b

    job = BackgroundJob(work, 2, b=3, name="adder")
    got: list[tuple[object, bool]] = []
    job.returned.connect(lambda value: got.append((value, QThread.currentThread().isMainThread())))
    with qtbot.waitSignal(job.finished, timeout=10_000):
        job.start()
    assert got == [(5, True)]  # delivered on the GUI thread
    assert ran_on_gui_thread == [False]
    assert not job.running and job.seconds >= 0.0


def test_an_error_is_handed_over_not_raised(qtbot) -> None:
    def work() -> None:
        raise DatasetError("names.txt is a binary file")

    job = BackgroundJob(work)
    returned: list[object] = []
    job.returned.connect(returned.append)
    with qtbot.waitSignal(job.errored, timeout=10_000) as errored:
        job.start()
    assert isinstance(errored.args[0], DatasetError) and "binary" in str(errored.args[0])
    qtbot.waitUntil(lambda: not job.running, timeout=10_000)
    assert returned == []


def test_a_generator_reports_progress_and_returns(qtbot) -> None:
    def work(n: int):
        yield from range(n)
        return "done"

    job = BackgroundJob(work, 4)
    progress: list[object] = []
    job.yielded.connect(progress.append)
    with qtbot.waitSignal(job.returned, timeout=10_000) as returned:
        job.start()
    assert returned.args == ["done"] and progress == [0, 1, 2, 3]


def test_cancel_stops_a_generator_at_its_next_yield_and_drops_the_result(qtbot) -> None:
    go_on = threading.Event()
    steps: list[int] = []

    def work():
        for i in range(1000):
            steps.append(i)
            go_on.wait(5)  # held until the test has cancelled
            yield i
        return "finished"

    job = BackgroundJob(work)
    returned: list[object] = []
    job.returned.connect(returned.append)
    with qtbot.waitSignal(job.finished, timeout=10_000):
        job.start()
        qtbot.waitUntil(lambda: bool(steps), timeout=10_000)
        job.cancel()
        go_on.set()
    assert job.cancelled and returned == [] and len(steps) <= 2


def test_wait_blocks_until_the_thread_has_ended(qtbot) -> None:
    release = threading.Event()
    job = BackgroundJob(lambda: release.wait(5))
    job.start()
    assert job.running
    threading.Timer(0.05, release.set).start()
    job.wait()  # closing the app: returns once the work has ended; no result is emitted
    assert job.cancelled
    qtbot.waitSignal(job.finished, timeout=10_000).wait()


def test_a_job_runs_once() -> None:
    job = BackgroundJob(lambda: None)
    job.start()
    with pytest.raises(RuntimeError):
        job.start()
    job.wait()


def test_one_at_a_time_hands_over_the_result_and_refuses_a_second_job(qtbot) -> None:
    release = threading.Event()
    runner = OneAtATime()
    done: list[object] = []
    failed: list[BaseException] = []
    runner.run(lambda: release.wait(5) and "read", name="reader", done=done.append,
               failed=failed.append)  # fmt: skip
    assert runner.busy
    with pytest.raises(RuntimeError):
        runner.run(lambda: None, name="reader", done=done.append, failed=failed.append)
    release.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)
    assert done == ["read"] and failed == []

    def bad() -> None:
        raise DatasetError("not a list of names")

    runner.run(bad, name="reader", done=done.append, failed=failed.append)
    qtbot.waitUntil(lambda: bool(failed), timeout=10_000)
    assert str(failed[0]) == "not a list of names" and not runner.busy


def test_one_at_a_time_wait_drops_the_running_jobs_result(qtbot) -> None:
    release = threading.Event()
    runner = OneAtATime()
    done: list[object] = []
    runner.run(lambda: release.wait(5), name="reader", done=done.append, failed=done.append)
    threading.Timer(0.05, release.set).start()
    runner.wait()  # closing: returns once the thread has ended; nothing is handed over
    assert not runner.busy
    runner.run(lambda: "next", name="reader", done=done.append, failed=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    assert done == ["next"]  # the dropped job's result never arrives
