"""The step-by-step sampling panel: what it shows, and that it samples the lecture's names."""

from __future__ import annotations

import contextlib
import functools
import math
import string
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import bars_of, context_window_of, name_list_of, named, score_box_of
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QTextDocumentFragment
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSpinBox,
    QWidget,
)
from small_data import lecture_sample

from charnames_gui.core.config import DEFAULT_SAMPLE_SEED, MAX_NAME_LENGTH, ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset, Vocabulary, split_words
from charnames_gui.core.display import format_probability
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.model import MLP
from charnames_gui.core.sampling import Sampler
from charnames_gui.core.sampling_view import UNTRAINED_NOTE
from charnames_gui.core.session import ShownStep
from charnames_gui.core.training import Trainer
from charnames_gui.ui.views.sampling_bars import FORCED_COLOR, SAMPLED_COLOR
from charnames_gui.ui.views.sampling_panel import NO_MODEL, SamplingPanel


@contextlib.contextmanager
def _one_torch_thread() -> Iterator[None]:
    """Tiny models train ~20x faster on one thread when the test machine is busy."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@functools.cache
def _trained(words: tuple[str, ...], block_size: int) -> tuple[ModelConfig, dict, Vocabulary]:
    """A tiny model trained a few hundred steps: it ends its names, unlike random weights."""
    dataset = Dataset(list(words))
    config = ModelConfig(block_size, 4, 32, dataset.vocab.size)
    model = MLP.init(config, "scaled")
    trainer = Trainer(
        model, dataset.examples(block_size), TrainConfig(steps=400, lr=0.3, engine="autograd")
    )
    with _one_torch_thread():
        trainer.run(400)
    return config, model.snapshot(), dataset.vocab


@pytest.fixture
def trained(small_words: list[str]) -> tuple[ModelConfig, dict, Vocabulary]:
    config, weights, vocab = _trained(tuple(small_words), 3)
    return config, {k: v.copy() for k, v in weights.items()}, vocab


@pytest.fixture
def panel(qtbot) -> SamplingPanel:
    widget = SamplingPanel()
    qtbot.addWidget(widget)
    widget.resize(700, 560)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _random_model(words: list[str], block_size: int) -> tuple[ModelConfig, dict, Vocabulary]:
    vocab = Vocabulary.from_words(words)
    config = ModelConfig(block_size, 5, 24, vocab.size)
    return config, MLP.init(config, "scaled", seed=block_size).snapshot(), vocab


def _type_name(panel: SamplingPanel, word: str) -> None:
    """Make the panel produce `word` by forcing each character and the end."""
    panel.new_name()
    for ix in panel.sampler.vocab.encode(word) + [0]:
        panel.force_next(ix)


def test_without_a_model_the_controls_are_off_and_say_why(panel: SamplingPanel) -> None:
    assert not panel.shown().controls_enabled
    assert not panel.finish_action.isEnabled()
    assert not bars_of(panel).isEnabled()
    assert panel.shown().notice == NO_MODEL
    assert panel.state is None
    panel.step()  # the shortcut path: nothing happens, nothing breaks
    panel.finish_name()
    assert panel.shown().names == []


@pytest.mark.parametrize("block_size", [2, 8])
@pytest.mark.parametrize("by_probability", [False, True])
def test_stepping_shows_the_context_and_the_distribution_it_was_drawn_from(
    panel: SamplingPanel, qtbot, small_words: list[str], block_size: int, by_probability: bool
) -> None:
    config, weights, vocab = _random_model(small_words, block_size)
    contexts: list[list[int]] = []
    panel.contextChanged.connect(contexts.append)
    panel.set_model(config, weights, vocab, same_model=False)
    panel.set_sorted(by_probability)
    sampler = Sampler(config, weights, vocab)

    assert panel.shown().context == ["."] * block_size
    assert panel.shown().next == "?"
    assert contexts == [[0] * block_size]
    for _ in range(5):
        panel.step()
        state = panel.state
        context = ([0] * block_size + state.chosen)[len(state.chosen) - 1 : -1]
        assert panel.shown_context() == context
        assert panel.shown().context == [vocab.itos[i] for i in context]
        assert panel.shown().next == vocab.itos[state.chosen[-1]]
        assert contexts[-1] == context
        expected = sampler.distribution(context)
        order = bars_of(panel).bar_order()
        if by_probability:
            assert np.all(np.diff(expected[order]) <= 0)
        else:
            assert order == list(range(vocab.size))
        np.testing.assert_array_equal(bars_of(panel).bar_heights(), expected[order])
        assert bars_of(panel).tick_labels() == [vocab.itos[i] for i in order]
        # the drawn character is highlighted and its probability is the bar's height
        slot = order.index(state.chosen[-1])
        assert bars_of(panel).bar_colors()[slot] == SAMPLED_COLOR
        assert state.probabilities[-1] == expected[state.chosen[-1]]
        if state.finished:
            break


def test_a_bar_click_puts_that_character_instead_and_back_undoes(
    panel: SamplingPanel, qtbot, trained
) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    panel.step()
    drawn = panel.state.chosen[-1]
    target = vocab.stoi["z"] if drawn != vocab.stoi["z"] else vocab.stoi["y"]
    panel.set_sorted(True)  # the click must find the bar wherever it is

    point = bars_of(panel).bar_center(target).toPoint()
    qtbot.mouseClick(bars_of(panel).viewport(), Qt.MouseButton.LeftButton, pos=point)

    state = panel.state
    assert state.chosen == [target]
    assert state.forced == [True]
    expected = Sampler(config, weights, vocab).distribution([0] * config.block_size)
    assert state.probabilities == [expected[target]]  # the same computation
    slot = bars_of(panel).bar_order().index(target)
    assert bars_of(panel).bar_colors()[slot] == FORCED_COLOR
    assert panel.shown().next == vocab.itos[target]

    panel.step()
    assert len(panel.state.chosen) == 2
    panel.back()
    assert panel.state.chosen == [target]
    panel.back()
    assert panel.state.chosen == []
    assert not panel.back_action.isEnabled()
    with qtbot.waitSignal(panel.statusMessage) as message:
        panel.back()
    assert "Nothing to take back" in message.args[0]


def test_finish_name_again_and_again_gives_thelecture_sample(panel: SamplingPanel, trained) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    expected = lecture_sample(weights, config.block_size, vocab.itos, DEFAULT_SAMPLE_SEED, 30)

    got = []
    for _ in range(10):
        panel.finish_name()
        got.append(vocab.decode(panel.state.chosen[:-1]))
    assert got == expected[:10]
    # stepping continues with the same generator, name after name
    while len(got) < 13:
        panel.step()
        if panel.state.finished:
            got.append(vocab.decode(panel.state.chosen[:-1]))
    assert got == expected[:13]
    assert panel.shown().names == expected[:13]

    panel.reset_generator()  # from the first name again; Sample 20 is the lecture's last cell
    panel.sample_batch()
    assert panel.shown().names[13:] == expected[:20]


def test_a_new_seed_reseeds_the_generator(panel: SamplingPanel, qtbot, trained) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    named(panel, QLineEdit, "Seed").clear()
    qtbot.keyClicks(named(panel, QLineEdit, "Seed"), "42")
    qtbot.keyClick(named(panel, QLineEdit, "Seed"), Qt.Key.Key_Return)
    panel.finish_name()
    panel.finish_name()
    assert panel.shown().names == lecture_sample(weights, config.block_size, vocab.itos, 42, 2)

    with qtbot.waitSignal(panel.statusMessage) as message:
        named(panel, QLineEdit, "Seed").setText("9999999999999999999")  # > 2**63 - 1
        named(panel, QLineEdit, "Seed").editingFinished.emit()
    assert "seed must be" in message.args[0]
    assert named(panel, QLineEdit, "Seed").text() == "42"


def test_other_vocabulary_and_block_size(panel: SamplingPanel, small_words: list[str]) -> None:
    rng = np.random.default_rng(0)
    alphabet = list(string.ascii_letters + string.digits)
    words = ["".join(rng.choice(alphabet, 5)) for _ in range(100)]
    config, weights, vocab = _random_model(words, 8)
    assert vocab.size > 50
    panel.resize(1000, 600)
    panel.set_model(config, weights, vocab, same_model=False)
    panel.step()
    sampler = Sampler(config, weights, vocab)
    np.testing.assert_array_equal(
        bars_of(panel).bar_heights(), sampler.distribution(panel.shown_context())
    )
    assert len(panel.shown().context) == 8
    assert bars_of(panel).shown_tick_labels() == list(vocab.itos)  # every bar is labelled

    # a different model resets the name in progress and the list
    panel.finish_name()
    small = _random_model(small_words, 2)
    panel.set_model(*small, same_model=False)
    assert panel.state.chosen == []
    assert panel.shown().names == []
    assert len(panel.shown().context) == 2
    assert len(bars_of(panel).bar_heights()) == small[2].size


def test_names_are_marked_train_dev_test_new_or_unknown(
    panel: SamplingPanel, trained, small_words: list[str]
) -> None:
    config, weights, vocab = trained
    split = split_words(small_words)
    panel.set_model(config, weights, vocab, same_model=False)
    panel.set_word_split(split)
    for word in (split.train[0], split.dev[0], split.test[0], "zzemma"):
        _type_name(panel, word)
    assert panel.shown().names == [split.train[0], split.dev[0], split.test[0], "zzemma"]
    assert name_list_of(panel).marks() == ["train", "dev/test", "dev/test", "new"]
    assert all(entry.edited for entry in panel.shown().entries)
    assert name_list_of(panel).row_texts(3)[1] == "new · edited"
    assert "1 in train, 2 in dev/test, 1 new" in name_list_of(panel).summary_text()

    panel.set_word_split(None)  # a model file loaded without its dataset
    assert name_list_of(panel).marks() == ["dataset unknown"] * 4
    assert "dataset unknown" in name_list_of(panel).row_texts(0)[1]


def test_the_name_list_nll_is_the_sum_of_minus_log_p(panel: SamplingPanel, trained) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    panel.finish_name()
    state = panel.state
    entry = panel.shown().entries[-1]
    assert entry.nll == -sum(math.log(p) for p in state.probabilities)
    assert entry.predictions == len(state.chosen)
    assert f"{entry.nll:.2f}" in panel.shown().stats


def test_score_a_name(panel: SamplingPanel, qtbot, trained) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    qtbot.keyClicks(named(panel, QLineEdit, "Name to score"), "emma")
    scores, nll = Sampler(config, weights, vocab).score("emma")
    rows = score_box_of(panel).rows()
    assert [r[1] for r in rows] == ["e", "m", "m", "a", ".  (end)"]
    assert [r[0] for r in rows] == ["...", "..e", ".em", "emm", "mma"]
    assert [r[2] for r in rows] == [s.probability for s in scores]
    assert f"{nll:.2f}" in score_box_of(panel).result_text()

    score_box_of(panel).set_name("Emma!")
    assert score_box_of(panel).rows() == []
    assert "Not in the vocabulary" in score_box_of(panel).result_text()
    assert "'!'" in score_box_of(panel).result_text()

    # a double-click on a generated name scores it
    panel.finish_name()
    name = panel.shown().names[-1]
    name_list_of(panel).activate(0)
    assert named(panel, QLineEdit, "Name to score").text() == name
    assert panel.shown().tab == "score"


def test_a_new_snapshot_of_the_same_model_keeps_the_name(panel: SamplingPanel, trained) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    panel.finish_name()
    panel.back()  # a name in progress, several characters long
    chosen = list(panel.state.chosen)
    listed = panel.shown().names
    assert len(chosen) >= 1 and listed

    newer = {k: v * 0.5 for k, v in weights.items()}  # "training went on"
    panel.set_model(config, newer, vocab, same_model=True)
    assert panel.state.chosen == chosen
    assert panel.shown().names == listed
    expected = Sampler(config, newer, vocab).distribution(panel.shown_context())
    np.testing.assert_array_equal(bars_of(panel).bar_heights(), expected)
    newer["W2"][:] = 0  # the panel sampled from its own copy
    np.testing.assert_array_equal(bars_of(panel).bar_heights(), expected)
    panel.step()  # the name continues where it was, with the new weights
    assert panel.state.chosen[:-1] == chosen
    drawn_from = Sampler(config, {k: v * 0.5 for k, v in weights.items()}, vocab)
    p = drawn_from.distribution(panel.shown_context())[panel.state.chosen[-1]]
    assert panel.state.probabilities[-1] == p


def test_sampling_while_a_trainer_changes_the_model(
    panel: SamplingPanel, small_words: list[str]
) -> None:
    """The controller's pattern: train a chunk, hand the panel a snapshot, keep stepping."""
    dataset = Dataset(small_words)
    config = ModelConfig(3, 4, 32, dataset.vocab.size)
    model = MLP.init(config, "scaled")
    trainer = Trainer(model, dataset.examples(3), TrainConfig(steps=200, engine="autograd"))
    panel.set_model(config, model.snapshot(), dataset.vocab, same_model=False)
    steps = 0
    while not trainer.done:
        with _one_torch_thread():
            trainer.run(40)
        snapshot = model.snapshot()
        panel.set_model(config, snapshot, dataset.vocab, same_model=True)
        before = list(panel.state.chosen) if not panel.state.finished else []
        panel.step()
        steps += 1
        assert panel.state.chosen[: len(before)] == before
        with _one_torch_thread():
            trainer.run(1)  # the live tensors change; the panel keeps the snapshot's weights
        expected = Sampler(config, snapshot, dataset.vocab).distribution(panel.shown_context())
        np.testing.assert_array_equal(bars_of(panel).bar_heights(), expected)
        shown = panel.sampler.distribution(panel.shown_context())
        np.testing.assert_array_equal(shown, expected)
    assert steps >= 4


def test_temperature_rescales_the_bars(panel: SamplingPanel, trained) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    panel.step()
    panel.set_temperature(0.5)
    model = MLP(config, {k: torch.tensor(v) for k, v in weights.items()})
    logits = model.logits(torch.tensor([panel.shown_context()]))
    expected = F.softmax(logits / 0.5, dim=1)[0].numpy()
    np.testing.assert_array_equal(bars_of(panel).bar_heights(), expected)
    panel.step()
    shown = Sampler(config, weights, vocab).distribution(panel.shown_context(), 0.5)
    assert panel.state.probabilities[-1] == shown[panel.state.chosen[-1]]  # the same code


def test_auto_play_finishes_a_name(panel: SamplingPanel, qtbot, trained) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    panel.set_speed(30)
    panel.play_action.trigger()
    assert panel.play_action.text() == "Pause"
    assert panel.shown().playing
    qtbot.waitUntil(lambda: len(panel.shown().names) >= 1, timeout=10_000)
    panel.play_action.trigger()
    assert not panel.shown().playing
    expected = lecture_sample(weights, config.block_size, vocab.itos, DEFAULT_SAMPLE_SEED, 1)
    assert panel.shown().names[0] == expected[0]


def test_keyboard_shortcuts_work_window_wide_but_not_in_text_fields(qtbot, trained) -> None:
    """S, F, Backspace, R and P reach the panel from anywhere in its window, unless a text
    field (or a spin box) has focus: then the field gets the key."""
    window = QMainWindow()
    qtbot.addWidget(window)
    panel = SamplingPanel()
    window.setCentralWidget(panel)
    elsewhere = QWidget()
    button, field, spin = QPushButton("elsewhere"), QLineEdit(), QSpinBox()
    row = QHBoxLayout(elsewhere)
    for widget in (button, field, spin):
        row.addWidget(widget)
    dock = QDockWidget("Other panel", window)
    dock.setWidget(elsewhere)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    window.resize(1100, 600)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    assert {a.shortcut().toString() for a in panel.actions()} >= {"S", "F", "Backspace", "R", "P"}

    button.setFocus()
    qtbot.waitUntil(button.hasFocus)
    qtbot.keyClick(button, Qt.Key.Key_S)
    assert len(panel.state.chosen) == 1
    qtbot.keyClick(button, Qt.Key.Key_Backspace)
    assert panel.state.chosen == []
    qtbot.keyClick(button, Qt.Key.Key_F)
    assert panel.state.finished
    qtbot.keyClick(button, Qt.Key.Key_R)
    assert panel.state.chosen == []
    qtbot.keyClick(button, Qt.Key.Key_P)
    assert panel.shown().playing
    qtbot.keyClick(button, Qt.Key.Key_P)
    assert not panel.shown().playing

    # a text field keeps its letters and Backspace
    panel.new_name()
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    qtbot.keyClicks(field, "sofia")
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    assert field.text() == "sofi"
    assert panel.state.chosen == []
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    qtbot.keyClicks(spin, "7")
    qtbot.keyClick(spin, Qt.Key.Key_Backspace)
    assert panel.state.chosen == []
    assert not panel.shown().playing

    # the arrows step and take back only inside the panel
    bars_of(panel).setFocus()
    qtbot.waitUntil(bars_of(panel).hasFocus)
    qtbot.keyClick(bars_of(panel), Qt.Key.Key_Right)
    assert len(panel.state.chosen) == 1
    qtbot.keyClick(bars_of(panel), Qt.Key.Key_Left)
    assert panel.state.chosen == []
    named(panel, QLineEdit, "Name to score").setFocus()
    qtbot.waitUntil(named(panel, QLineEdit, "Name to score").hasFocus)
    qtbot.keyClicks(named(panel, QLineEdit, "Name to score"), "emma")
    qtbot.keyClick(named(panel, QLineEdit, "Name to score"), Qt.Key.Key_Left)
    qtbot.keyClick(named(panel, QLineEdit, "Name to score"), Qt.Key.Key_Backspace)
    assert named(panel, QLineEdit, "Name to score").text() == "ema"
    assert panel.state.chosen == []


def test_a_name_without_an_end_is_cut(panel: SamplingPanel, qtbot, trained) -> None:
    config, weights, vocab = trained
    weights["b2"][0] = -1e4  # this model never draws the boundary token
    panel.set_model(config, weights, vocab, same_model=False)
    with qtbot.waitSignal(panel.statusMessage) as message:
        panel.finish_name()
    assert str(MAX_NAME_LENGTH) in message.args[0]
    assert len(panel.state.chosen) == MAX_NAME_LENGTH
    entry = panel.shown().entries[-1]
    assert entry.cut and len(entry.text) == MAX_NAME_LENGTH
    panel.step()  # a new name starts
    assert len(panel.state.chosen) == 1


def test_copy_and_export(panel: SamplingPanel, qtbot, trained, tmp_path: Path) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    assert not panel.shown().list_buttons_enabled
    panel.sample_batch(5)
    names = panel.shown().names
    assert len(names) == 5
    panel.copy_names()
    assert QGuiApplication.clipboard().text() == "\n".join(names) + "\n"
    path = tmp_path / "names.txt"
    assert panel.export_names(path) == 5
    assert path.read_text(encoding="utf-8").splitlines() == names
    with pytest.raises(CharnamesError, match="it is a folder"):  # one line for the window
        panel.export_names(tmp_path)


def test_clear_model_and_a_mismatched_model(panel: SamplingPanel, qtbot, trained) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    panel.step()
    with qtbot.waitSignal(panel.contextChanged) as changed:
        panel.clear_model()
    assert changed.args[0] == []
    assert not panel.shown().controls_enabled
    wrong = ModelConfig(config.block_size, config.n_embd, config.n_hidden, vocab.size + 1)
    panel.set_model(wrong, weights, vocab, same_model=False)
    assert "Cannot sample from this model" in panel.shown().notice
    assert not panel.shown().controls_enabled


def test_back_then_step_draws_the_same_character_again(panel: SamplingPanel, trained) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    panel.step()
    panel.step()
    drawn = panel.state.chosen
    panel.back()
    panel.step()
    assert panel.state.chosen == drawn
    assert panel.state.forced == [False, False]


def test_weights_too_large_give_a_message_not_an_exception(
    panel: SamplingPanel, qtbot, trained
) -> None:
    config, weights, vocab = trained
    weights["W2"][:] = 3e38
    with qtbot.waitSignal(panel.statusMessage) as message:
        panel.set_model(config, weights, vocab, same_model=False)
    assert "not finite" in message.args[0]
    assert "not finite" in panel.shown().notice
    panel.step()  # nothing escapes from the slots either
    panel.finish_name()
    panel.sample_batch(3)
    assert panel.shown().names == [] and panel.state.chosen == []
    panel.set_model(config, {k: v * 0.0 for k, v in weights.items()}, vocab, same_model=True)
    assert panel.shown().notice == ""  # fine weights again: the message goes


def test_the_header_and_the_bar_label_show_the_same_number(panel: SamplingPanel, trained) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    panel.step()
    label = bars_of(panel).value_label()
    assert label and f"p = {label}" in panel.shown().header
    assert "when drawn" not in panel.shown().header
    panel.set_temperature(2.0)  # the bars now show T = 2: the header says both
    label = bars_of(panel).value_label()
    assert f"with p = {label} (p = " in panel.shown().header
    assert "when drawn, at T = 1.00" in panel.shown().header
    last = panel.state.chosen[-1]
    assert label == format_probability(panel.shown().probabilities[last])


def test_an_untrained_model_gets_a_note_about_its_peaked_bars(
    panel: SamplingPanel, small_words: list[str]
) -> None:
    vocab = Vocabulary.from_words(small_words)
    config = ModelConfig(3, 10, 200, vocab.size)
    panel.set_model(config, MLP.init(config, "lecture").snapshot(), vocab, same_model=False)
    assert panel.shown().probabilities.max() > 0.9  # the lecture's randn init
    assert panel.shown().notice == UNTRAINED_NOTE
    panel.set_model(config, MLP.init(config, "scaled").snapshot(), vocab, same_model=False)
    assert panel.shown().notice == ""


def test_scoring_details(panel: SamplingPanel, trained) -> None:
    config, weights, vocab = trained
    weights["b2"][vocab.stoi["z"]] -= 20  # 'z' gets p ~ 1e-9
    panel.set_model(config, weights, vocab, same_model=False)
    panel.score_name("EMMA")
    assert "Scored as 'emma'" in score_box_of(panel).result_text()
    assert [r[1] for r in score_box_of(panel).rows()][:4] == ["e", "m", "m", "a"]
    assert score_box_of(panel).header_fits()
    # a probability that rounds to 0.0000 is written in scientific notation
    panel.score_name("zzzzzz")
    shown = score_box_of(panel).shown_probabilities()
    tiny = [text for text, p in zip(shown, score_box_of(panel).rows(), strict=True) if p[2] < 5e-5]
    assert tiny and all("e-" in text for text in tiny)
    long_name = "a" * 40
    panel.score_name(long_name)
    assert long_name not in score_box_of(panel).result_text()
    assert "…" in score_box_of(panel).result_text()
    assert long_name in score_box_of(panel).result_tooltip()


def test_names_with_control_characters_are_shown_visibly(panel: SamplingPanel) -> None:
    words = [w + "\t\x1b" for w in ("ab", "ba", "abba")] * 4
    config, weights, vocab = _random_model(words, 3)
    panel.set_model(config, weights, vocab, same_model=False)
    for ch in "a\t\x1b":
        panel.force_next(vocab.stoi[ch])
    panel.force_next(0)
    assert panel.shown().names == ["a\t\x1b"]
    assert name_list_of(panel).row_texts(0)[0] == "a⇥␛"
    assert "a⇥␛" in name_list_of(panel).row_tooltip(0)
    assert "⇥" in bars_of(panel).tick_labels() and "␛" in bars_of(panel).tick_labels()
    assert "a⇥␛" in panel.shown().header


def test_long_generated_names_are_elided_with_the_whole_name_in_a_tooltip(
    panel: SamplingPanel, trained
) -> None:
    config, weights, vocab = trained
    panel.set_model(config, weights, vocab, same_model=False)
    _type_name(panel, "a" * 60)
    assert name_list_of(panel).row_tooltip(0).startswith("'" + "a" * 60 + "'")
    assert name_list_of(panel).elide_mode() == Qt.TextElideMode.ElideRight


def test_every_change_reports_the_step_shown(panel: SamplingPanel, qtbot, trained) -> None:
    config, weights, vocab = trained
    shown: list[ShownStep | None] = []
    panel.stepShown.connect(shown.append)
    panel.set_model(config, weights, vocab, same_model=False)
    assert shown[-1].context == (0, 0, 0) and shown[-1].chosen is None
    panel.force_next(vocab.stoi["e"])
    assert shown[-1].chosen == vocab.stoi["e"] and shown[-1].forced
    panel.set_temperature(0.5)
    assert shown[-1].temperature == 0.5
    panel.clear_model()
    assert shown[-1] is None


def _widgets_show(panel: SamplingPanel) -> None:
    """The panel's widgets show the record shown() returns: its boxes, bars, name and its
    last character's line, the NLL line and the note."""
    shown = panel.shown()
    window = context_window_of(panel)
    assert window.texts() == shown.context
    if shown.context:
        assert window.next_text() == shown.next
    bars = bars_of(panel)
    heights = np.zeros(len(bars.bar_heights()))
    heights[bars.bar_order()] = bars.bar_heights()
    np.testing.assert_array_equal(heights, shown.probabilities)
    assert named(panel, QLabel, "Negative log-likelihood of the name so far").text() == shown.stats
    notice = named(panel, QLabel, "Sampling panel notice")
    assert (notice.text() if not notice.isHidden() else "") == shown.notice
    rich = named(panel, QLabel, "Name so far").text()
    name = QTextDocumentFragment.fromHtml(rich).toPlainText()
    drew = named(panel, QLabel, "How the last character came").text()
    assert name + (f"   {drew}" if drew else "") == shown.header


def test_the_widgets_render_the_record_shown_returns(panel: SamplingPanel, trained) -> None:
    config, weights, vocab = trained
    _widgets_show(panel)  # no model
    panel.set_model(config, weights, vocab, same_model=False)
    _widgets_show(panel)
    assert panel.shown().next == "?"
    for intent in (
        panel.step,
        panel.step,
        lambda: panel.choose(vocab.stoi["z"]),
        panel.back,
        lambda: panel.set_temperature(2.0),
        panel.finish_name,
        panel.new_name,
    ):
        intent()
        _widgets_show(panel)
    big = {k: v.copy() for k, v in weights.items()}
    big["W2"][:] = 3e38  # the step cannot be drawn: a note, bars at 0
    panel.set_model(config, big, vocab, same_model=True)
    assert "not finite" in panel.shown().notice and not panel.shown().probabilities.any()
    _widgets_show(panel)
    panel.clear_model()
    _widgets_show(panel)
    assert panel.shown().context == [] and panel.shown().header == ""
