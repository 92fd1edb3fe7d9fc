"""Training in a child process gives the same numbers as training in this one."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from charnames_gui.core import trainer_process
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import TrainingDiverged
from charnames_gui.core.model import MLP, ModelConfig
from charnames_gui.core.trainer_process import RemoteTrainer, TrainerProcess, TrainerProcessError
from charnames_gui.core.training import TrainConfig, Trainer

# The tests share one child process (starting one imports torch, ~2 s); it ends with the module.
pytestmark = pytest.mark.keeps_trainer_process


@pytest.fixture(scope="module")
def process() -> Iterator[TrainerProcess]:
    child = TrainerProcess()  # one child for the module: starting one imports torch (~2 s)
    yield child
    child.close()


@pytest.fixture
def dataset(small_words: list[str]) -> Dataset:
    return Dataset(small_words)


def _pair(
    dataset: Dataset, process: TrainerProcess, config: TrainConfig
) -> tuple[Trainer, RemoteTrainer]:
    model_config = ModelConfig(3, 5, 24, dataset.vocab.size)
    local = Trainer(MLP.init(model_config, config.init, config.seed), dataset.examples(3), config)
    remote = RemoteTrainer(
        process, MLP.init(model_config, config.init, config.seed), dataset.examples(3), config
    )
    return local, remote


@pytest.mark.parametrize("engine", ["fast", "autograd"])
def test_the_same_losses_and_weights_as_in_process(
    dataset: Dataset, process: TrainerProcess, engine: str
) -> None:
    config = TrainConfig(steps=600, lr=0.2, lr_decay_at=300, engine=engine)
    local, remote = _pair(dataset, process, config)
    expected = local.run(600)
    remote.begin()
    got = [remote.run(170), remote.run(30)]
    remote.begin()  # a pause and a resume: the minibatch stream goes on in the child
    got += [remote.run(1000, time_budget=5.0)]
    np.testing.assert_array_equal(np.concatenate(got), expected)
    assert remote.step == local.step == 600 and remote.done
    remote.snapshot()
    for name, tensor in local.model.params.items():
        assert torch.equal(remote.model.params[name], tensor)
    assert remote.evaluate("dev") == pytest.approx(local.evaluate("dev"), abs=1e-6)
    X, Y = dataset.examples(3).tensors["train"]
    assert remote.loss_on(X, Y) == pytest.approx(local.loss_on(X, Y), abs=1e-6)


def test_more_steps_and_a_new_learning_rate_continue(
    dataset: Dataset, process: TrainerProcess
) -> None:
    config = TrainConfig(steps=200, lr=0.1, schedule="constant")
    local, remote = _pair(dataset, process, config)
    remote.begin()
    remote.run(500)
    assert remote.step == 200
    more = config.replace(steps=400, lr=0.05)
    local.run(200)
    local.set_config(more)
    remote.set_config(more)
    remote.begin()
    np.testing.assert_array_equal(remote.run(500), local.run(500))


def test_edits_to_the_model_reach_the_child_and_divergence_comes_back(
    dataset: Dataset, process: TrainerProcess
) -> None:
    _, remote = _pair(dataset, process, TrainConfig(steps=100))
    remote.begin()
    remote.run(10)
    remote.snapshot()
    remote.model.params["W2"][0, 0] = float("nan")  # as a test or a learner might
    remote.begin()
    with pytest.raises(TrainingDiverged) as caught:
        remote.run(10)
    assert caught.value.step == 11
    assert remote.step == 10


def test_a_dead_child_is_reported_then_replaced(dataset: Dataset) -> None:
    process = TrainerProcess()
    try:
        _, remote = _pair(dataset, process, TrainConfig(steps=50))
        remote.begin()
        remote.run(5)
        assert process._process is not None
        process._process.kill()
        process._process.join(5)
        with pytest.raises(TrainerProcessError, match="stopped"):
            remote.run(5)
        remote.begin()  # a new child, sent the model again
        assert len(remote.run(5)) == 5
    finally:
        process.close()
    assert process._process is None


def test_a_stream_gives_the_same_events_as_in_process(
    dataset: Dataset, process: TrainerProcess
) -> None:
    config = TrainConfig(steps=900, lr=0.2, schedule="constant")
    local, remote = _pair(dataset, process, config)
    X, Y = dataset.examples(3).tensors["train"]
    subset = (X[:100], Y[:100])

    def collect(trainer: Trainer | RemoteTrainer) -> tuple[np.ndarray, list]:
        losses, evals = [], []
        for event in trainer.stream(300, subset, lambda: False, 0.01, 3600.0):
            if event[0] == "chunk":
                losses.append(event[1])
            elif event[0] == "eval":
                evals.append(event[1:])
        return np.concatenate(losses), evals

    remote.begin()
    remote_losses, remote_evals = collect(remote)
    local_losses, local_evals = collect(local)
    np.testing.assert_array_equal(remote_losses, local_losses)
    assert [e[0] for e in remote_evals] == [300, 600, 900]
    np.testing.assert_allclose(remote_evals, local_evals, atol=1e-6)
    assert remote.step == 900


def test_the_child_leaves_the_dev_points_to_the_app(
    dataset: Dataset, process: TrainerProcess, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The child sends the weights at each dev point and trains on; this side measures the
    losses in slices, asking should_stop() (which waits for a GUI frame) before each."""
    monkeypatch.setattr(trainer_process, "EVAL_SLICE", 16)
    config = TrainConfig(steps=600, lr=0.2, schedule="constant")
    _, remote = _pair(dataset, process, config)
    X, Y = dataset.examples(3).tensors["train"]
    subset = (X[:100], Y[:100])
    asked = [0]

    def should_stop() -> bool:
        asked[0] += 1
        return False

    remote.begin()
    events = list(remote.stream(200, subset, should_stop, 0.01, 3600.0))
    evals = [e[1:] for e in events if e[0] == "eval"]
    assert [step for step, *_ in evals] == [200, 400, 600]
    dev_rows = dataset.examples(3).tensors["dev"][0].shape[0]
    slices = math.ceil(dev_rows / 16) + math.ceil(100 / 16)
    assert asked[0] >= 3 * slices
    remote.snapshot()  # the weights at step 600 into the mirror
    dev_X, dev_Y = dataset.examples(3).tensors["dev"]
    assert evals[-1][1] == pytest.approx(remote.model.loss(dev_X, dev_Y), abs=1e-6)
    assert evals[-1][2] == pytest.approx(remote.model.loss(*subset), abs=1e-6)


def test_a_stop_asked_during_a_dev_point_reaches_the_child(
    dataset: Dataset, process: TrainerProcess, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(trainer_process, "EVAL_SLICE", 16)
    config = TrainConfig(steps=100_000, lr=0.1, schedule="constant")
    _, remote = _pair(dataset, process, config)
    X, Y = dataset.examples(3).tensors["train"]
    measuring = [False]
    losses_of = remote._losses_of

    def spy(*args: object) -> tuple[float, float]:
        measuring[0] = True
        return losses_of(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(remote, "_losses_of", spy)
    remote.begin()
    events = list(remote.stream(200, (X[:100], Y[:100]), lambda: measuring[0], 0.01, 3600.0))
    evals = [e for e in events if e[0] == "eval"]
    assert evals[0][1] == 200
    # stopped while the first point was measured: the child had sent one more at most
    assert len(evals) <= 2
    assert remote.step < 100_000


def test_a_stream_stops_between_two_steps_when_asked(
    dataset: Dataset, process: TrainerProcess
) -> None:
    _, remote = _pair(dataset, process, TrainConfig(steps=10_000_000))
    X, Y = dataset.examples(3).tensors["train"]
    remote.begin()
    chunks: list[np.ndarray] = []
    stop = lambda: len(chunks) >= 3  # noqa: E731
    for event in remote.stream(10_000_000, (X[:10], Y[:10]), stop, 0.01, 3600.0):
        if event[0] == "chunk":
            chunks.append(event[1])
    assert 0 < remote.step < 10_000_000
    remote.begin()  # the pipe is clean: the next request works
    assert len(remote.run(5)) == 5


def test_a_resumed_model_goes_on_with_its_minibatches_in_the_child(
    dataset: Dataset, process: TrainerProcess
) -> None:
    """A model file's step and minibatch stream reach the child: it trains on as the model
    would have without the break (here: a stream started by a batch-size change)."""
    config = TrainConfig(steps=200, lr=0.1, schedule="constant")
    local, _ = _pair(dataset, process, config)
    local.run(30)
    local.set_config(config.replace(batch_size=8))
    local.run(40)
    saved_weights = local.model.copy()
    expected = local.run(50)

    remote = RemoteTrainer(process, saved_weights, dataset.examples(3), local.config)
    remote.resume(70, 1.5, local.batch_stream)
    assert (remote.step, remote.seconds, remote.batch_stream) == (70, 1.5, (config.seed + 30, 30))
    np.testing.assert_array_equal(remote.run(50), expected)
