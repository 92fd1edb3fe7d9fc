"""core.training: reproducible SGD in chunks, schedules, validation, divergence, LR sweep."""

from __future__ import annotations

import importlib.util
import itertools
import math
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from float_error import EPS32, FUNC_ULPS, assert_close_to_exact, loss_bounds

from charnames_gui.core.config import (
    MAX_BATCH_SIZE,
    MAX_LR,
    MAX_STEPS,
    PARAMETER_NAMES,
    ModelConfig,
    TrainConfig,
)
from charnames_gui.core.data import Dataset
from charnames_gui.core.errors import ConfigError, TrainingDiverged
from charnames_gui.core.events import (
    Diverged,
    EvalDue,
    EvalPoint,
    LossChunk,
    ReplayFrames,
    Snapshot,
)
from charnames_gui.core.examples import SplitTensors
from charnames_gui.core.lr_curve import moving_average, suggest_lr, sweep_window
from charnames_gui.core.model import MLP
from charnames_gui.core.snapshots import scheduled_steps
from charnames_gui.core.training import (
    BatchSampler,
    Trainer,
    lr_sweep,
    lr_sweep_steps,
    train_stream,
)

# The fast engine is written separately; every engine that exists is tested here.
ENGINES = ["autograd"] + (
    ["fast"] if importlib.util.find_spec("charnames_gui.core.engines.fast") else []
)


@pytest.fixture
def dataset(small_words: list[str]) -> Dataset:
    return Dataset(small_words)


@pytest.fixture
def examples(dataset: Dataset) -> SplitTensors:
    return dataset.examples(3)


def make_trainer(
    dataset: Dataset, engine: str = "autograd", init: str = "scaled", **changes: object
) -> Trainer:
    config = TrainConfig(
        batch_size=16, steps=100, lr=0.1, schedule="constant", init=init, seed=3, engine=engine
    ).replace(**changes)
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size), config.init, config.seed)
    return Trainer(model, dataset.examples(3), config)


def params_of(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in trainer.model.params.items()}


def assert_same_params(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    for name in PARAMETER_NAMES:
        assert torch.equal(a[name], b[name]), name


# -- reproducibility --------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_examples_stored_as_bytes_train_bit_for_bit_as_the_lectures_int64(
    dataset: Dataset, engine: str
) -> None:
    """The examples are kept as uint8 (memory); a run on them is the very run on
    the lecture's int64 tensors: same losses, weights, evaluations and single step."""
    compact = dataset.examples(3)
    assert compact.X("train").dtype == compact.Y("train").dtype == torch.uint8
    wide = SplitTensors(3, {s: (X.long(), Y.long()) for s, (X, Y) in compact.tensors.items()})
    config = TrainConfig(batch_size=16, steps=300, lr=0.1, init="scaled", seed=3, engine=engine)
    trainers = [
        Trainer(MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size), "scaled", 3), ex, config)
        for ex in (compact, wide)
    ]
    losses = [t.run(250) for t in trainers]
    np.testing.assert_array_equal(losses[0], losses[1])
    assert_same_params(params_of(trainers[0]), params_of(trainers[1]))
    for split in ("train", "dev", "test"):
        assert trainers[0].evaluate(split) == trainers[1].evaluate(split)
    one, other = (t.step_once() for t in trainers)
    assert one.contexts.dtype == one.targets.dtype == np.int64
    np.testing.assert_array_equal(one.contexts, other.contexts)
    assert (one.loss_before, one.loss_after) == (other.loss_before, other.loss_after)
    assert_same_params(params_of(trainers[0]), params_of(trainers[1]))


@pytest.mark.parametrize("engine", ENGINES)
def test_same_config_and_seed_give_the_same_curve(dataset: Dataset, engine: str) -> None:
    a, b = make_trainer(dataset, engine), make_trainer(dataset, engine)
    curve_a, curve_b = a.run(100), b.run(100)
    assert curve_a.dtype == np.float32 and curve_a.shape == (100,)
    assert np.array_equal(curve_a, curve_b)
    assert_same_params(params_of(a), params_of(b))
    other = make_trainer(dataset, engine, seed=4)
    assert not np.array_equal(other.run(100), curve_a)


@pytest.mark.parametrize("engine", ENGINES)
def test_chunking_does_not_change_the_curve(dataset: Dataset, engine: str) -> None:
    whole = make_trainer(dataset, engine)
    reference = whole.run(100)
    in_tens = make_trainer(dataset, engine)
    chunks = [in_tens.run(10) for _ in range(10)]
    assert all(len(c) == 10 for c in chunks)
    assert np.array_equal(np.concatenate(chunks), reference)
    assert_same_params(params_of(in_tens), params_of(whole))
    # time_budget=0 stops after every single step: a hundred chunks of one step
    timed = make_trainer(dataset, engine)
    pieces = []
    while not timed.done:
        pieces.append(timed.run(100, time_budget=0.0))
    assert all(len(p) >= 1 for p in pieces) and len(pieces) > 1
    assert np.array_equal(np.concatenate(pieces), reference)
    assert_same_params(params_of(timed), params_of(whole))


def test_the_batch_stream_depends_only_on_the_seed() -> None:
    a = BatchSampler(1000, 32, seed=5)
    b = BatchSampler(1000, 32, seed=5)
    b.block_steps = 3  # blocks of another size draw the same indices
    first = np.stack([a.next() for _ in range(10)])
    assert np.array_equal(first, np.stack([b.next() for _ in range(10)]))
    assert first.shape == (10, 32) and first.min() >= 0 and first.max() < 1000
    assert not np.array_equal(
        first, np.stack([BatchSampler(1000, 32, 6).next() for _ in range(10)])
    )


def test_skip_moves_the_stream_on_across_blocks() -> None:
    straight = BatchSampler(1000, 8, seed=5)
    straight.block_steps = 3
    expected = np.stack([straight.next() for _ in range(11)])
    skipping = BatchSampler(1000, 8, seed=5)
    skipping.block_steps = 3
    skipping.skip(4)
    skipping.skip(3)  # skips add up, and happen only at the next draw
    assert np.array_equal(np.stack([skipping.next() for _ in range(4)]), expected[7:])


def _resumed_copy(trainer: Trainer, dataset: Dataset, stream: tuple[int, int] | None) -> Trainer:
    """A new Trainer from trainer's weights, config and step, as if read from a model file."""
    copy = Trainer(trainer.model.copy(), dataset.examples(3), trainer.config)
    copy.resume(trainer.step, trainer.seconds, stream)
    return copy


@pytest.mark.parametrize("engine", ENGINES)
def test_a_resumed_trainer_goes_on_with_the_same_minibatches(dataset: Dataset, engine: str) -> None:
    """Saved at step 40 and opened again, a model trains on exactly as without the break."""
    trainer = make_trainer(dataset, engine, steps=100)
    trainer.run(40)
    resumed = _resumed_copy(trainer, dataset, trainer.batch_stream)
    older_file = _resumed_copy(trainer, dataset, None)  # no stream saved: (seed, 0) assumed
    expected = trainer.run(60)
    assert np.array_equal(resumed.run(60), expected)
    assert np.array_equal(older_file.run(60), expected)
    assert_same_params(params_of(resumed), params_of(trainer))


def test_a_resumed_trainer_keeps_a_stream_started_mid_run(dataset: Dataset) -> None:
    """A new batch size at step 30 starts a new stream (seed + 30); resumed at step 50, the
    model goes on with that stream, not the config seed's."""
    trainer = make_trainer(dataset, steps=100)
    trainer.run(30)
    trainer.set_config(trainer.config.replace(batch_size=8))
    assert trainer.batch_stream == (trainer.config.seed + 30, 30)
    trainer.run(20)
    resumed = _resumed_copy(trainer, dataset, trainer.batch_stream)
    expected = trainer.run(50)
    assert np.array_equal(resumed.run(50), expected)
    with pytest.raises(ConfigError, match="minibatch stream"):
        resumed.resume(10, 0.0, (3, 20))  # a stream cannot start after the step


def test_the_autograd_trainer_is_the_lectures_loop(dataset: Dataset) -> None:
    """The lecture's training loop, written out, on the same minibatches, step decay included."""
    trainer = make_trainer(dataset, "autograd", init="lecture", schedule="step", lr_decay_at=15)
    config = trainer.config
    model = MLP.init(trainer.model.config, "lecture", config.seed)
    parameters = [p.clone().requires_grad_(True) for p in model.parameters()]
    C, W1, b1, W2, b2 = parameters
    Xtr, Ytr = (t.long() for t in dataset.examples(3).tensors["train"])  # the lecture's int64
    batches = BatchSampler(len(Xtr), config.batch_size, config.seed)
    expected = []
    for i in range(30):
        ix = torch.from_numpy(batches.next())
        emb = C[Xtr[ix]]
        h = torch.tanh(emb.view(-1, 12) @ W1 + b1)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 15 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        expected.append(loss.item())
    losses = trainer.run(30)
    assert np.array_equal(losses, np.array(expected, dtype=np.float32))
    for name, p in zip(PARAMETER_NAMES, parameters, strict=True):
        assert torch.equal(trainer.model.params[name].detach(), p.detach()), name


@pytest.mark.parametrize("engine", ENGINES)
def test_training_learns(dataset: Dataset, engine: str) -> None:
    trainer = make_trainer(dataset, engine, steps=400, lr=0.3)
    before = trainer.evaluate("train")
    losses = trainer.run(400)
    after = trainer.evaluate("train")
    assert math.isfinite(after) and after < before - 0.5
    assert losses[-50:].mean() < losses[:50].mean()
    assert trainer.step == 400 and trainer.done
    assert trainer.seconds > 0


def test_run_never_goes_past_the_configured_steps(dataset: Dataset) -> None:
    trainer = make_trainer(dataset, steps=25)
    assert len(trainer.run(10)) == 10
    assert len(trainer.run(100)) == 15
    assert trainer.done
    assert len(trainer.run(100)) == 0
    assert trainer.step == 25


def test_a_new_step_count_continues_the_same_curve(dataset: Dataset) -> None:
    reference = make_trainer(dataset).run(100)
    trainer = make_trainer(dataset, steps=50)
    first = trainer.run(1000)
    trainer.set_config(trainer.config.replace(steps=100))
    second = trainer.run(1000)
    assert np.array_equal(np.concatenate([first, second]), reference)
    with pytest.raises(ConfigError):
        trainer.set_config(trainer.config.replace(lr=-1.0))


def test_evaluate_is_the_full_loss_of_a_split(dataset: Dataset) -> None:
    trainer = make_trainer(dataset)
    trainer.run(50)
    for split in ("train", "dev", "test"):
        X, Y = dataset.examples(3).tensors[split]
        loss = trainer.evaluate(split)
        assert math.isfinite(loss)
        lecture = F.cross_entropy(trainer.model.logits(X), Y).item()
        exact, bound = loss_bounds(trainer.model.params, X.numpy(), Y.numpy())
        assert_close_to_exact(loss, exact, bound, f"{split} loss")
        assert_close_to_exact(lecture, exact, bound, f"lecture's {split} loss")


def test_a_stream_can_leave_the_dev_points_to_its_watcher(dataset: Dataset) -> None:
    """evaluate=False gives the weights at each dev point instead of the losses (the training
    process sends them to the app): the losses of those weights are the "eval" event's."""
    X, Y = dataset.examples(3).tensors["train"]
    subset = (X[:50], Y[:50])
    measured = make_trainer(dataset, steps=60)
    evals = [e for e in train_stream(measured, 20, subset, lambda: False)
             if isinstance(e, EvalPoint)]  # fmt: skip
    left = make_trainer(dataset, steps=60)
    due = [e for e in train_stream(left, 20, subset, lambda: False, evaluate=False)
           if isinstance(e, EvalDue)]  # fmt: skip
    assert [e.step for e in evals] == [e.step for e in due] == [20, 40, 60]
    dev_X, dev_Y = dataset.examples(3).tensors["dev"]
    for point, weights in zip(evals, due, strict=True):
        model = MLP(left.model.config, {k: torch.from_numpy(v) for k, v in weights.weights.items()})
        assert model.loss(dev_X, dev_Y) == point.dev_loss
        assert model.loss(*subset) == point.train_loss


def test_a_stream_yields_the_events_of_core_events(dataset: Dataset) -> None:
    """Loss chunks tile the steps, each knows its lr and seconds; snapshots carry their step;
    every event pickles (the training process sends them as they are)."""
    X, Y = dataset.examples(3).tensors["train"]
    trainer = make_trainer(dataset, steps=300, schedule="step", lr_decay_at=150)
    events = list(train_stream(trainer, 100, (X[:20], Y[:20]), lambda: False, 0.001, 0.0))
    chunks = [e for e in events if isinstance(e, LossChunk)]
    assert chunks[0].start_step == 1 and chunks[-1].end_step == 300
    assert all(b.start_step == a.end_step + 1 for a, b in itertools.pairwise(chunks))
    assert all(c.lr == trainer.config.lr_at(c.end_step - 1) for c in chunks)
    assert all(a.seconds <= b.seconds for a, b in itertools.pairwise(chunks))
    snapshots = [e for e in events if isinstance(e, Snapshot)]
    assert snapshots and all(isinstance(s.weights["W1"], np.ndarray) for s in snapshots)
    ends = {c.end_step for c in chunks}
    assert all(s.step in ends for s in snapshots)  # taken between two chunks, at a chunk's end
    assert {type(e) for e in events} <= {LossChunk, EvalPoint, Snapshot, ReplayFrames}
    replay = [f for e in events if isinstance(e, ReplayFrames) for f in e.frames]
    assert [f.step for f in replay] == scheduled_steps(300)  # 0..9, 10, 11, ..., 280, 300
    for event in (
        events[:5] + snapshots[-1:] + [next(e for e in events if isinstance(e, ReplayFrames))]
    ):
        again = pickle.loads(pickle.dumps(event))
        assert type(again) is type(event) and getattr(again, "step", 0) == getattr(event, "step", 0)


def test_a_diverging_stream_ends_with_a_diverged_event(dataset: Dataset) -> None:
    trainer = make_trainer(dataset, steps=100)
    with torch.no_grad():
        trainer.model.W2[0, 0] = float("nan")
    X, Y = dataset.examples(3).tensors["train"]
    events = list(train_stream(trainer, 50, (X[:5], Y[:5]), lambda: False))
    assert isinstance(events[-1], Diverged)
    assert events[-1].step == 1 and "diverged" in events[-1].message
    assert trainer.step == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_single_steps_give_the_same_weights_as_one_run(dataset: Dataset, engine: str) -> None:
    """step_once takes the very step run() would: N single steps, bit for bit the same model
    as N steps in one go (same minibatches, same learning rates, across a decay)."""
    in_one_go = make_trainer(dataset, engine=engine, steps=60, schedule="step", lr_decay_at=25)
    expected = in_one_go.run(40)
    stepped = make_trainer(dataset, engine=engine, steps=60, schedule="step", lr_decay_at=25)
    results = [stepped.step_once() for _ in range(40)]
    assert stepped.step == 40 and [r.step for r in results] == list(range(1, 41))
    np.testing.assert_array_equal(np.float32([r.loss_before for r in results]), expected)
    assert_same_params(params_of(stepped), params_of(in_one_go))
    # and it goes on with the same minibatches as a run
    np.testing.assert_array_equal(stepped.run(20), in_one_go.run(20))
    assert_same_params(params_of(stepped), params_of(in_one_go))


def test_a_single_step_shows_its_minibatch_and_what_it_did(dataset: Dataset) -> None:
    trainer = make_trainer(dataset, batch_size=8, steps=10, lr=0.5)
    X, Y = dataset.examples(3).tensors["train"]
    ix = BatchSampler(X.shape[0], 8, trainer.config.seed).next()  # the first minibatch
    before_model = trainer.model.copy()
    result = trainer.step_once()
    assert result.contexts.shape == (8, 3) and result.targets.shape == (8,)
    np.testing.assert_array_equal(result.contexts, X[ix].numpy())
    np.testing.assert_array_equal(result.targets, Y[ix].numpy())
    rows_t = torch.from_numpy(ix)
    exact, bound = loss_bounds(before_model.params, X[ix].numpy(), Y[ix].numpy())
    assert_close_to_exact(result.loss_before, exact, bound, "the engine's loss")
    assert_close_to_exact(before_model.loss(X[rows_t], Y[rows_t]), exact, bound, "model.loss")
    assert result.loss_after == trainer.model.loss(X[rows_t], Y[rows_t])
    assert result.loss_after < result.loss_before  # one SGD step helps its own minibatch
    assert result.lr == 0.5
    itos = dataset.vocab.itos
    rows = result.rows(itos)
    assert len(rows) == 8
    first = "".join(itos[int(i)] for i in X[ix[0]]) + " → " + itos[int(Y[ix[0]])]
    assert rows[0] == first
    # the distribution after the start of a name, before and after the step
    start = torch.zeros((1, 3), dtype=torch.int64)
    assert result.probe == (0, 0, 0)
    expected_before = torch.softmax(before_model.logits(start), 1)[0].detach().numpy()
    np.testing.assert_array_equal(result.probs_before, expected_before)  # the same code
    expected_after = torch.softmax(trainer.model.logits(start), 1)[0].detach().numpy()
    np.testing.assert_array_equal(result.probs_after, expected_after)
    moves = result.largest_moves(3)
    sizes = [abs(after - before) for _, before, after in moves]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == np.abs(expected_after - expected_before).max()


def test_a_single_step_compares_the_context_it_is_given(dataset: Dataset) -> None:
    trainer = make_trainer(dataset, steps=10)
    emm = [dataset.vocab.stoi[c] for c in "emm"]
    result = trainer.step_once(emm)
    assert result.probe == tuple(emm)
    with pytest.raises(ConfigError, match="3 indices"):
        trainer.step_once([1, 2])


def test_a_single_step_past_the_end_is_refused(dataset: Dataset) -> None:
    trainer = make_trainer(dataset, steps=2)
    trainer.run(2)
    with pytest.raises(ConfigError, match="steps are done"):
        trainer.step_once()


def test_examples_of_another_block_size_are_refused(dataset: Dataset) -> None:
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size))
    with pytest.raises(ConfigError, match="block size"):
        Trainer(model, dataset.examples(2), TrainConfig(engine="autograd"))


# -- stopping ---------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_should_stop_stops_between_steps(dataset: Dataset, engine: str) -> None:
    reference = make_trainer(dataset, engine).run(100)
    trainer = make_trainer(dataset, engine)
    calls = []

    def should_stop() -> bool:
        calls.append(trainer.step)
        return len(calls) == 7

    losses = trainer.run(100, should_stop=should_stop)
    assert len(losses) == 7 and trainer.step == 7
    assert calls == [1, 2, 3, 4, 5, 6, 7]  # asked after every step
    rest = trainer.run(100)  # carrying on gives the uninterrupted curve
    assert np.array_equal(np.concatenate([losses, rest]), reference)


# -- schedules --------------------------------------------------------------------------------


def test_the_default_config_is_the_lectures_final_run() -> None:
    config = TrainConfig()
    assert (config.batch_size, config.steps, config.lr) == (32, 200_000, 0.1)
    assert (config.schedule, config.lr_decay_at, config.lr_after) == ("step", 100_000, 0.01)
    assert (config.init, config.seed) == ("lecture", 2147483647)


def test_step_schedule_is_the_lectures_decay() -> None:
    config = TrainConfig()  # lr = 0.1 if i < 100000 else 0.01
    assert config.lr_at(0) == 0.1
    assert config.lr_at(99_999) == 0.1
    assert config.lr_at(100_000) == 0.01
    assert config.lr_at(199_999) == 0.01
    assert config.decay_steps() == [100_000]
    assert TrainConfig(steps=100, lr_decay_at=100).decay_steps() == []


def test_constant_schedule() -> None:
    config = TrainConfig(schedule="constant", lr=0.05, steps=1000)
    assert {config.lr_at(i) for i in (0, 1, 500, 999, 5000)} == {0.05}
    assert config.decay_steps() == []


def test_cosine_schedule_runs_from_lr_to_lr_after() -> None:
    config = TrainConfig(schedule="cosine", lr=0.2, lr_after=0.02, steps=1001)
    assert config.lr_at(0) == pytest.approx(0.2)
    assert config.lr_at(500) == pytest.approx(0.11)  # halfway: the mean
    assert config.lr_at(1000) == pytest.approx(0.02)
    assert config.lr_at(5000) == pytest.approx(0.02)  # past the end: stays at lr_after
    lrs = [config.lr_at(i) for i in range(1001)]
    assert all(a >= b for a, b in itertools.pairwise(lrs))
    assert TrainConfig(schedule="cosine", steps=1).lr_at(0) == pytest.approx(0.1)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_trainer_uses_the_schedule(dataset: Dataset, engine: str) -> None:
    """After the decay step, each update is lr_after times the gradient."""
    trainer = make_trainer(dataset, engine, schedule="step", lr=0.5, lr_decay_at=3, lr_after=0.001)
    used: list[float] = []
    original = trainer.engine.update

    def recording_update(lr: float) -> None:
        used.append(lr)
        original(lr)

    trainer.engine.update = recording_update
    trainer.run(6)
    assert used == [0.5, 0.5, 0.5, 0.001, 0.001, 0.001]


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("batch_size", 0),
        ("batch_size", -32),
        ("batch_size", MAX_BATCH_SIZE + 1),
        ("batch_size", 32.0),
        ("batch_size", True),
        ("steps", 0),
        ("steps", -1),
        ("steps", MAX_STEPS + 1),
        ("steps", 1.5),
        ("lr", 0.0),
        ("lr", -0.1),
        ("lr", math.nan),
        ("lr", math.inf),
        ("lr", MAX_LR * 10),
        ("lr", "0.1"),
        ("lr", True),
        ("lr_after", 0.0),
        ("lr_after", -0.01),
        ("lr_after", math.nan),
        ("lr_after", -math.inf),
        ("lr_after", 1e9),
        ("lr_decay_at", -1),
        ("seed", -1),
        ("schedule", "exponential"),
        ("init", "xavier"),
        ("engine", "gpu"),
    ],
)
def test_invalid_train_configs_raise_config_error(
    dataset: Dataset, field: str, value: object
) -> None:
    config = TrainConfig(engine="autograd").replace(**{field: value})
    with pytest.raises(ConfigError) as exc_info:
        config.validate()
    message = str(exc_info.value)
    assert field in message and "\n" not in message
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size))
    with pytest.raises(ConfigError):
        Trainer(model, dataset.examples(3), config)


def test_integer_learning_rates_are_fine() -> None:
    TrainConfig(lr=1, lr_after=1, engine="autograd").validate()


# -- divergence -------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_nan_loss_stops_the_run_with_the_last_finite_parameters(
    dataset: Dataset, engine: str
) -> None:
    reference = make_trainer(dataset, engine)
    reference_losses = reference.run(6)
    trainer = make_trainer(dataset, engine)
    original = trainer.engine.forward_backward
    calls = [0]

    def nan_at_step_7(ix: np.ndarray) -> float:
        calls[0] += 1
        loss = original(ix)
        return math.nan if calls[0] == 7 else loss

    trainer.engine.forward_backward = nan_at_step_7
    with pytest.raises(TrainingDiverged) as exc_info:
        trainer.run(100)
    error = exc_info.value
    assert error.step == 7 and math.isnan(error.loss)
    assert "step 7" in str(error) and "\n" not in str(error)
    assert np.array_equal(error.losses, reference_losses)
    assert trainer.step == 6
    assert trainer.model.is_finite()
    assert_same_params(params_of(trainer), params_of(reference))


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
@pytest.mark.parametrize("engine", ENGINES)
def test_overflowing_logits_stop_the_run_before_any_update(dataset: Dataset, engine: str) -> None:
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size), "lecture")
    # finite weights whose logits overflow float32: the loss is NaN or inf
    model.params["W2"].copy_(torch.sign(model.W2) * 3e38)
    before = {name: p.clone() for name, p in model.params.items()}
    config = TrainConfig(batch_size=16, steps=10, schedule="constant", engine=engine)
    trainer = Trainer(model, dataset.examples(3), config)
    with pytest.raises(TrainingDiverged) as exc_info:
        trainer.run(10)
    assert exc_info.value.step == 1
    assert not math.isfinite(exc_info.value.loss)
    assert len(exc_info.value.losses) == 0
    assert trainer.step == 0
    assert model.is_finite()
    assert_same_params({n: p.detach() for n, p in model.params.items()}, before)


def test_a_nan_parameter_stops_the_run_at_the_first_step(dataset: Dataset) -> None:
    trainer = make_trainer(dataset)
    trainer.model.params["W2"].data[0, 0] = float("nan")
    C_before = trainer.model.C.detach().clone()
    with pytest.raises(TrainingDiverged) as exc_info:
        trainer.run(10)
    assert exc_info.value.step == 1 and math.isnan(exc_info.value.loss)
    assert torch.equal(trainer.model.C.detach(), C_before)  # no update was applied
    assert trainer.step == 0


# -- learning-rate sweep ----------------------------------------------------------------------


def test_lr_sweep_is_the_lectures(dataset: Dataset, examples: SplitTensors) -> None:
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size))
    before = {name: p.clone() for name, p in model.params.items()}
    pairs = lr_sweep(model, examples, n=60, engine="autograd")
    assert len(pairs) == 60
    lrs = [lr for lr, _ in pairs]
    assert lrs == (10 ** torch.linspace(-3, 0, 60)).tolist()  # the lecture's line, verbatim
    # float32 10**x: a few ulps from the real 0.001 and 1 (float_error.FUNC_ULPS)
    assert lrs[0] == pytest.approx(0.001, rel=FUNC_ULPS * EPS32) and lrs[-1] == 1.0
    assert all(math.isfinite(loss) for _, loss in pairs)
    assert_same_params(model.params, before)  # the caller's model is untouched
    assert not any(p.requires_grad for p in model.parameters())


def test_lr_sweep_defaults_to_the_lectures_thousand_steps(
    dataset: Dataset, examples: SplitTensors
) -> None:
    model = MLP.init(ModelConfig(3, 2, 8, dataset.vocab.size))
    pairs = list(lr_sweep_steps(model, examples, engine="autograd"))
    assert len(pairs) == 1000
    assert [lr for lr, _ in pairs] == (10 ** torch.linspace(-3, 0, 1000)).tolist()


def test_lr_sweep_is_seeded(dataset: Dataset, examples: SplitTensors) -> None:
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size))
    a = lr_sweep(model, examples, n=20, engine="autograd", seed=1)
    assert a == lr_sweep(model, examples, n=20, engine="autograd", seed=1)
    assert a != lr_sweep(model, examples, n=20, engine="autograd", seed=2)


def test_lr_sweep_stops_at_a_non_finite_loss(dataset: Dataset, examples: SplitTensors) -> None:
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size))
    model.params["W2"][0, 0] = float("nan")
    assert lr_sweep(model, examples, n=20, engine="autograd") == []


@pytest.mark.parametrize(
    "kwargs",
    [{"n": 0}, {"n": -5}, {"n": 10**7}, {"batch_size": 0}, {"batch_size": -1}],
)
def test_lr_sweep_rejects_bad_arguments(
    dataset: Dataset, examples: SplitTensors, kwargs: dict[str, int]
) -> None:
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size))
    with pytest.raises(ConfigError):
        lr_sweep(model, examples, engine="autograd", **kwargs)


def test_suggest_lr_finds_the_valley() -> None:
    lrs = (10 ** np.linspace(-3, 0, 1000)).tolist()
    valley = [(lr, (math.log10(lr) + 1) ** 2 + 2.0) for lr in lrs]  # lowest at lr = 0.1
    suggestion = suggest_lr(valley)
    assert suggestion is not None and 0.08 < suggestion < 0.125
    assert suggest_lr(valley[:2]) is None
    assert suggest_lr([]) is None


def test_suggest_lr_on_a_real_sweep(dataset: Dataset, examples: SplitTensors) -> None:
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size), "scaled")
    pairs = lr_sweep(model, examples, n=300, engine="autograd")
    suggestion = suggest_lr(pairs)
    assert suggestion is not None and 1e-3 <= suggestion <= 1.0
    assert suggestion in [lr for lr, _ in pairs]


def test_the_suggestion_reads_the_curve_the_finder_draws() -> None:
    """One smoothing (core.training.moving_average, sweep_window) for the suggestion and the
    LR finder's curve: the suggested lr is where that curve is lowest (full-window points)."""
    rng = np.random.default_rng(0)
    lrs = (10 ** np.linspace(-3, 0, 1000)).tolist()
    losses = [3.0 - math.log10(lr) * 0.0 + (math.log10(lr) + 1) ** 2 + float(rng.normal(0, 0.3))
              for lr in lrs]  # fmt: skip
    pairs = list(zip(lrs, losses, strict=True))
    w = sweep_window(len(pairs))
    assert w == 50
    smoothed = moving_average(np.array(losses), w)
    interior = slice(w // 2, len(losses) - (w - 1) // 2)
    best = int(np.argmin(smoothed[interior])) + w // 2
    assert suggest_lr(pairs) == lrs[best]
    # the same as the plain sliding window of the lecture's reading
    valid = np.convolve(losses, np.ones(w) / w, mode="valid")
    assert lrs[int(np.argmin(valid)) + w // 2] == suggest_lr(pairs)
