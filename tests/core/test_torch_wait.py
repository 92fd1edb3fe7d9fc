"""TorchWait: the requests made while PyTorch loads, carried out in order once it has."""

from __future__ import annotations

from charnames_gui.core.torch_wait import TorchWait


def test_a_request_made_when_torch_is_ready_runs_at_once_and_returns_its_result() -> None:
    wait = TorchWait(ready=True)
    done: list[str] = []
    assert wait.when_ready("model", lambda: done.append("model") or True)
    assert not wait.when_ready("open", lambda: False)  # the action's refusal is returned
    assert done == ["model"] and not wait.is_waiting_for("model")
    assert wait.loaded() == []


def test_requests_wait_until_loaded_then_run_as_asked_with_start_last() -> None:
    wait = TorchWait()
    done: list[str] = []
    assert wait.when_ready("start", lambda: done.append("start"))
    assert wait.when_ready("model", lambda: done.append("model 1"))
    assert wait.when_ready("open", lambda: done.append("open"))
    assert done == [] and wait.is_waiting_for("start") and not wait.ready
    actions = wait.loaded()
    assert wait.ready and not wait.is_waiting_for("start") and not wait.is_waiting_for("model")
    for action in actions:
        action()
    assert done == ["model 1", "open", "start"]
    assert wait.loaded() == []  # loaded once: nothing runs twice


def test_a_kind_asked_again_replaces_its_earlier_request() -> None:
    wait = TorchWait()
    done: list[str] = []
    wait.when_ready("model", lambda: done.append("model 1"))
    wait.when_ready("start", lambda: done.append("start"))
    wait.when_ready("model", lambda: done.append("model 2"))  # the last settings win
    wait.when_ready("start", lambda: done.append("start again"))  # still one Start
    for action in wait.loaded():
        action()
    assert done == ["model 2", "start again"]
