"""core.engines.fast: the hand-derived backward pass gives autograd's gradients and losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from float_error import assert_close_to_exact, step_bounds

from charnames_gui.core.config import PARAMETER_NAMES, ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.engines import make_engine
from charnames_gui.core.engines.autograd import AutogradEngine
from charnames_gui.core.engines.fast import FastEngine, packed_parameters
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.model import MLP
from charnames_gui.core.training import BatchSampler, Trainer


def random_examples(
    config: ModelConfig, n: int = 400, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, block) contexts and (n,) targets, with some contexts of one repeated character."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randint(0, config.vocab_size, (n, config.block_size), generator=g)
    Y = torch.randint(0, config.vocab_size, (n,), generator=g)
    X[0] = 0  # '...': the boundary token three times
    X[1] = 1  # 'aaa'
    X[2, ::2] = 1  # 'a.a'-like: a character twice in one context
    return X, Y


def packed(model: MLP) -> MLP:
    """The same model with its parameters back to back in one buffer (C, W1, b1, W2, b2)."""
    flat = torch.cat([t.detach().reshape(-1) for t in model.parameters()])  # (n_parameters,)
    views, start = {}, 0
    for name, t in model.params.items():
        views[name] = flat[start : start + t.numel()].view(t.shape)
        start += t.numel()
    result = MLP(model.config, views)
    assert packed_parameters(result.parameters()) is not None
    return result


def separate(model: MLP) -> MLP:
    """The same model with each parameter in a tensor of its own."""
    result = model.copy()
    result.params = {name: t.detach().clone() for name, t in model.params.items()}
    assert packed_parameters(result.parameters()) is None
    return result


def both_engines(
    config: ModelConfig, scheme: str, X: torch.Tensor, Y: torch.Tensor
) -> tuple[AutogradEngine, FastEngine, MLP, MLP]:
    """Autograd on one model, the fast engine on a copy of it."""
    reference = MLP.init(config, scheme)
    model = packed(reference)
    return AutogradEngine(reference, X, Y), FastEngine(model, X, Y), reference, model


def assert_same_step(
    auto: AutogradEngine, fast: FastEngine, ix: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One forward_backward of each engine on the batch ix, from the same weights: each
    engine's loss and gradients lie within float32 rounding (tests/float_error.py) of the
    exact ones, computed in float64."""
    weights = {n: t.detach().numpy().copy() for n, t in auto.model.params.items()}
    ix_t = torch.from_numpy(ix)
    exact = step_bounds(weights, auto.X[ix_t].long().numpy(), auto.Y[ix_t].long().numpy())
    losses = {"autograd": auto.forward_backward(ix), "fast": fast.forward_backward(ix)}
    grads = {"autograd": auto.gradients(), "fast": fast.gradients()}
    for engine in ("autograd", "fast"):
        assert_close_to_exact(losses[engine], exact.loss, exact.loss_bound, f"{engine} loss")
        assert list(grads[engine]) == list(PARAMETER_NAMES)
        for name in PARAMETER_NAMES:
            got = grads[engine][name]
            assert got.shape == exact.grads[name].shape and got.dtype == np.float32
            assert_close_to_exact(got, exact.grads[name], exact.bounds[name], f"{engine} d{name}")
    return grads["autograd"], grads["fast"]


SHAPES = [
    # block, embd, hidden, vocab, batch
    (3, 10, 200, 27, 32),  # the lecture's model
    (3, 2, 100, 27, 32),  # the lecture's first model
    (3, 10, 200, 27, 1),
    (1, 1, 1, 2, 1),  # the smallest model
    (1, 4, 16, 27, 5),
    (8, 5, 33, 40, 7),
    (8, 24, 64, 27, 64),
    (32, 8, 16, 200, 3),  # the largest block and vocabulary
    (2, 256, 8, 50, 4),  # the widest embedding
    (1, 1, 4096, 2, 2),  # the widest hidden layer
    (3, 10, 200, 27, 500),
]


@pytest.mark.parametrize("scheme", ["lecture", "scaled"])
@pytest.mark.parametrize(("block", "embd", "hidden", "vocab", "batch"), SHAPES)
def test_gradients_and_loss_equal_autograd(
    block: int, embd: int, hidden: int, vocab: int, batch: int, scheme: str
) -> None:
    config = ModelConfig(block, embd, hidden, vocab)
    X, Y = random_examples(config)
    auto, fast, _, _ = both_engines(config, scheme, X, Y)
    ix = np.random.default_rng(batch).integers(0, X.shape[0], batch)
    assert_same_step(auto, fast, ix)


@pytest.mark.parametrize("block", [1, 3, 8])
def test_repeated_characters_add_up_in_dC(block: int) -> None:
    """All-boundary contexts, one character repeated, and the same example twice."""
    config = ModelConfig(block, 6, 20, 27)
    X, Y = random_examples(config)
    auto, fast, _, _ = both_engines(config, "scaled", X, Y)
    for ix in ([0], [1], [2], [0, 0, 1, 1, 2], [0, 1, 2, 3, 0, 1, 2, 3]):
        assert_same_step(auto, fast, np.array(ix, dtype=np.int64))
    fast.forward_backward(np.array([0, 0], dtype=np.int64))  # '...' twice
    dC = fast.gradients()["C"]
    assert np.any(dC[0] != 0) and np.all(dC[1:] == 0)  # only the boundary token's row


def test_index_add_path_for_large_one_hot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ONE_HOT_LIMIT, dC is scattered by index_add_ (float64, in chunks of rows)."""
    monkeypatch.setattr(FastEngine, "ONE_HOT_LIMIT", 0)
    monkeypatch.setattr(FastEngine, "SCATTER_CHUNK", 7)  # several chunks per batch
    for block in (1, 3, 8):
        config = ModelConfig(block, 5, 30, 27)
        X, Y = random_examples(config)
        auto, fast, _, _ = both_engines(config, "lecture", X, Y)
        for ix in ([0, 0, 1, 2], np.arange(64)):
            assert_same_step(auto, fast, np.asarray(ix, dtype=np.int64))
        assert not fast._use_onehot


def test_largest_batch() -> None:
    """At batch 65,536 a float32 sum has 65,536 terms (autograd's matmul adds them in one
    long run): the bound grows with the length, and both engines stay inside it."""
    config = ModelConfig(4, 3, 8, 5)
    X, Y = random_examples(config, n=70_000)
    auto, fast, _, _ = both_engines(config, "scaled", X, Y)
    assert_same_step(auto, fast, np.arange(65_536, dtype=np.int64))


def test_real_words_and_a_changing_batch_size(small_words: list[str]) -> None:
    examples = Dataset(small_words).examples(3)
    X, Y = examples.tensors["train"]
    config = ModelConfig(3, 10, 200, Dataset(small_words).vocab.size)
    auto, fast, _, _ = both_engines(config, "lecture", X, Y)
    for batch in (32, 1, 7, 32, X.shape[0]):
        ix = BatchSampler(X.shape[0], batch, seed=batch).next()
        assert_same_step(auto, fast, ix)


def test_the_engines_copy_of_the_examples_stays_a_byte_per_index(
    small_words: list[str],
) -> None:
    """[X | Y] is kept in the examples' dtype (uint8): block_size + 1 bytes an example, not
    the 8x of int64; a minibatch is widened to int64 on its own."""
    dataset = Dataset(small_words)
    X, Y = dataset.examples(3).tensors["train"]
    fast = FastEngine(MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size)), X, Y)
    assert fast._XY.dtype == np.uint8 and fast._XY.nbytes == 4 * X.shape[0]
    fast.forward_backward(np.arange(8, dtype=np.int64))
    assert fast._xb.dtype == fast._yb.dtype == np.int64
    np.testing.assert_array_equal(fast._xb, X[:8].numpy())
    np.testing.assert_array_equal(fast._yb, Y[:8].numpy())


def test_update_trains_the_models_own_tensors() -> None:
    config = ModelConfig(3, 4, 16, 27)
    X, Y = random_examples(config)
    model = MLP.init(config, "scaled")  # its parameters lie in one buffer
    tensors = dict(model.params)
    before = {name: t.clone() for name, t in tensors.items()}
    fast = FastEngine(model, X, Y)
    fast.forward_backward(np.arange(16, dtype=np.int64))
    grads = fast.gradients()
    unchanged = all(torch.equal(model.params[n], before[n]) for n in PARAMETER_NAMES)
    assert unchanged, "forward_backward must not change the parameters"
    fast.update(0.1)
    for name in PARAMETER_NAMES:
        assert model.params[name] is tensors[name]  # the same tensor, changed in place
        expected = before[name] + (-0.1 * torch.from_numpy(grads[name]))  # autograd's update
        assert torch.equal(model.params[name], expected)
    # gradients() hands out copies
    fast.gradients()["W1"][:] = 123.0
    assert not np.any(fast.gradients()["W1"] == 123.0)


def test_works_on_tensors_that_require_grad() -> None:
    """The engines can take turns on one model (Trainer.set_config switches them)."""
    config = ModelConfig(3, 4, 16, 27)
    X, Y = random_examples(config)
    model = MLP.init(config)
    auto = AutogradEngine(model, X, Y)  # turns requires_grad on
    auto.forward_backward(np.arange(8, dtype=np.int64))
    auto.update(0.1)
    assert model.W1.requires_grad
    fast = FastEngine(model, X, Y)
    before = model.W1.detach().clone()
    fast.forward_backward(np.arange(8, dtype=np.int64))
    fast.update(0.1)
    assert not torch.equal(model.W1.detach(), before)


def test_update_needs_a_step_first_and_bad_data_is_refused() -> None:
    config = ModelConfig(3, 4, 16, 27)
    X, Y = random_examples(config)
    fast = FastEngine(MLP.init(config), X, Y)
    with pytest.raises(RuntimeError):
        fast.update(0.1)
    with pytest.raises(ValueError):
        fast.forward_backward(np.array([], dtype=np.int64))
    with pytest.raises(ConfigError):
        FastEngine(MLP.init(config), X, torch.full_like(Y, 27))  # a character past the vocab
    with pytest.raises(ConfigError):
        FastEngine(MLP.init(config), X[:, :2], Y)  # another block size
    with pytest.raises(ConfigError, match="one buffer"):
        FastEngine(separate(MLP.init(config)), X, Y)  # parameters in five tensors


def test_packed_parameters_only_when_back_to_back() -> None:
    model = MLP.init(ModelConfig(3, 4, 16, 27))
    assert packed_parameters(separate(model).parameters()) is None  # five separate tensors
    flat = packed_parameters(packed(model).parameters())
    assert flat is not None and flat.shape == (model.parameter_count(),)
    swapped = packed(model).parameters()
    swapped[1], swapped[2] = swapped[2], swapped[1]
    assert packed_parameters(swapped) is None  # not in the order C, W1, b1, W2, b2


def test_the_factory_makes_it() -> None:
    config = ModelConfig(3, 4, 16, 27)
    X, Y = random_examples(config)
    engine = make_engine("fast", MLP.init(config), X, Y)
    assert isinstance(engine, FastEngine) and engine.name == "fast"


class Checked:
    """An engine that records every step's minibatch and learning rate and, for the fast
    engine, checks each step's loss and gradients against the exact (float64) step at the
    weights it starts from, within float32 rounding (tests/float_error.py)."""

    def __init__(self, engine: AutogradEngine | FastEngine, X: torch.Tensor, Y: torch.Tensor):
        self.engine, self.X, self.Y = engine, X, Y
        self.name = engine.name
        self.batches: list[np.ndarray] = []
        self.lrs: list[float] = []

    def forward_backward(self, ix: np.ndarray) -> float:
        self.batches.append(ix.copy())
        weights = {n: t.detach().numpy().copy() for n, t in self.engine.model.params.items()}
        ix_t = torch.from_numpy(ix)
        exact = step_bounds(weights, self.X[ix_t].long().numpy(), self.Y[ix_t].long().numpy())
        loss = self.engine.forward_backward(ix)
        step = len(self.batches)
        assert_close_to_exact(loss, exact.loss, exact.loss_bound, f"step {step} loss")
        grads = self.engine.gradients()
        for name in PARAMETER_NAMES:
            assert_close_to_exact(
                grads[name], exact.grads[name], exact.bounds[name], f"step {step} d{name}"
            )
        return loss

    def update(self, lr: float) -> None:
        self.lrs.append(lr)
        self.engine.update(lr)


@pytest.mark.parametrize("init", ["lecture", "scaled"])
def test_trainer_runs_match_autograd(small_words: list[str], init: str) -> None:
    """The same seed gives the same minibatches and learning rates with either engine, and
    every step of each is the exact step to within float32 rounding.

    Whole trajectories are not compared with a tolerance: from the lecture's init (loss ~27)
    the last-bit differences of two float32 runs grow step after step (~1e-3 after 50 steps),
    and no bound on that growth follows from the arithmetic alone. Each step being right
    from where it starts is what can be checked on any CPU."""
    dataset = Dataset(small_words)
    examples = dataset.examples(3)
    X, Y = examples.tensors["train"]
    config = ModelConfig(3, 10, 200, dataset.vocab.size)
    steps = 30
    runs = {}
    for engine in ("autograd", "fast"):
        train = TrainConfig(
            batch_size=32, steps=steps, lr=0.1, lr_decay_at=steps // 2, init=init, seed=5,
            engine=engine,
        )  # fmt: skip
        trainer = Trainer(MLP.init(config, init, seed=5), examples, train)
        checked = Checked(trainer.engine, X, Y)
        trainer.engine = checked
        losses = np.concatenate([trainer.run(steps // 3), trainer.run(steps)])
        assert len(losses) == steps and trainer.step == steps
        runs[engine] = checked
    auto, fast = runs["autograd"], runs["fast"]
    assert fast.lrs == auto.lrs == [train.lr_at(i) for i in range(steps)]
    assert len(fast.batches) == len(auto.batches) == steps
    for a, f in zip(auto.batches, fast.batches, strict=True):
        np.testing.assert_array_equal(a, f)


def test_the_bound_catches_a_gradient_one_percent_off() -> None:
    """The bounds have teeth: at the lecture's size a gradient 1% off fails them."""
    config = ModelConfig(3, 10, 200, 27)
    X, Y = random_examples(config)
    for scheme in ("lecture", "scaled"):
        _, fast, reference, _ = both_engines(config, scheme, X, Y)
        ix = np.arange(32, dtype=np.int64)
        weights = {n: t.detach().numpy() for n, t in reference.params.items()}
        exact = step_bounds(weights, X[:32].numpy(), Y[:32].numpy())
        fast.forward_backward(ix)
        for name, grad in fast.gradients().items():
            assert_close_to_exact(grad, exact.grads[name], exact.bounds[name], name)
            with pytest.raises(AssertionError):
                assert_close_to_exact(grad * 1.01, exact.grads[name], exact.bounds[name], name)


def test_a_model_the_fast_engine_refuses_falls_back_to_autograd_and_says_so(
    small_words: list[str],
) -> None:
    from charnames_gui.core.config import TrainConfig
    from charnames_gui.core.data import Dataset
    from charnames_gui.core.engines import AutogradEngine, make_engine
    from charnames_gui.core.training import Trainer

    dataset = Dataset(small_words)
    model = MLP.init(ModelConfig(3, 4, 8, dataset.vocab.size))
    X, Y = dataset.examples(3).tensors["train"]
    bad_Y = Y.clone()
    bad_Y[0] = dataset.vocab.size + 5  # an index the model's softmax does not have
    engine = make_engine("fast", model, X, bad_Y)
    assert isinstance(engine, AutogradEngine)
    assert "fast engine cannot train" in engine.note
    trainer = Trainer(model, dataset.examples(3), TrainConfig(steps=10))
    assert trainer.engine.name == "fast" and trainer.engine_note == ""
