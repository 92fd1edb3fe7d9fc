"""The step-by-step sampling panel: the lecture's sampling loop, one character at a time.

    context = [0] * block_size
    while True:
        probs = softmax(logits(context) / temperature)      # the bars
        ix = torch.multinomial(probs, 1, generator=g)       # Step
        context = context[1:] + [ix]                        # the boxes slide left
        if ix == 0: break                                   # the name goes to the list

After each step the panel shows the step just taken: the context the model saw, the
distribution it drew from, and the character drawn (highlighted). Clicking a bar puts that
character in place of the one drawn ("what if the model had picked this?").

The panel samples from its own copy of the weights (core Sampler), never from tensors a trainer
is writing. One torch.Generator serves every name, as in the lecture, so Finish name pressed
again and again gives the lecture's names in order.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QRegularExpressionValidator, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.data import Vocabulary, WordSplit
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.model import ModelConfig
from charnames_gui.core.sampling import (
    DEFAULT_SAMPLE_SEED,
    MAX_NAME_LENGTH,
    MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    Sampler,
    SampleState,
    make_generator,
)
from charnames_gui.ui.name_list import GeneratedName, GeneratedNames, ScoreBox, mark_for
from charnames_gui.ui.sampling_bars import (
    FORCED_COLOR,
    SAMPLED_COLOR,
    ContextWindow,
    ProbabilityBars,
    display_char,
    format_probability,
)

MAX_SEED = 2**63 - 1
SAMPLE_BATCH = 20  # the lecture's last cell: for _ in range(20)
NO_MODEL = (
    "No model to sample from yet. Create or load a model (File menu), or start training: "
    "the panel then samples from the latest weights."
)


class SamplingPanel(QWidget):
    """Step through the sampling of names with a snapshot of a model's weights."""

    contextChanged = Signal(list)  # list[int]: the context window shown; [] without a name
    statusMessage = Signal(str)  # short messages for the main window's status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sampler: Sampler | None = None
        self._state: SampleState | None = None
        self._forced: list[bool] = []  # parallel to state.chosen: chosen by the learner?
        self._cut = False  # the name hit MAX_NAME_LENGTH without drawing the boundary token
        self._seed = DEFAULT_SAMPLE_SEED
        self._generator = make_generator(self._seed)  # one for every name, as in the lecture
        self._which: dict[str, str] | None = None
        self._emitted: list[int] | None = None
        self._hold = 0  # auto-play ticks left to show a finished name before the next one
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)

        self._build()
        self._add_shortcuts()
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.clear_model()

    # -- construction -----------------------------------------------------------------------
    def _button(self, text: str, tip: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setAccessibleName(text.replace("&", ""))
        button.clicked.connect(slot)
        return button

    def _build(self) -> None:
        self._notice = QLabel()
        self._notice.setWordWrap(True)
        self._notice.setStyleSheet("color:#8a4b00;")
        self._notice.setAccessibleName("Sampling panel notice")

        self._window = ContextWindow()
        self._name = QLabel()
        self._name.setTextFormat(Qt.TextFormat.RichText)
        self._name.setAccessibleName("Name so far")
        self._name.setToolTip(
            "The name so far; the last character is the one just drawn (or chosen), with the "
            "probability the model gave it."
        )
        self._stats = QLabel()
        self._stats.setAccessibleName("Negative log-likelihood of the name so far")
        self._stats.setToolTip(
            "NLL: the negative log-likelihood of the name so far, -sum(log p) over its "
            "characters, from the probabilities they were drawn with (after temperature). Per "
            "character it is the quantity the training loss averages."
        )
        self._stats.setWordWrap(True)
        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(self._name)
        words.addWidget(self._stats)
        top = QHBoxLayout()
        top.addWidget(self._window)
        top.addSpacing(8)
        top.addLayout(words, 1)

        self._bars = ProbabilityBars()
        self._bars.setMinimumHeight(150)
        self._bars.barClicked.connect(self.choose)
        self._legend = QLabel(
            f"<span style='color:{SAMPLED_COLOR.name()}'>■</span> drawn &nbsp; "
            f"<span style='color:{FORCED_COLOR.name()}'>■</span> your choice &nbsp; "
            "<span style='color:#8c8c8c'>■</span> end of name"
        )
        self._legend.setAccessibleName("Bar colours")
        self._sorted = QCheckBox("Most likely first")
        self._sorted.setToolTip(
            "Order the bars from the most to the least likely next character, instead of "
            "alphabetically (the boundary token first)."
        )
        self._sorted.setAccessibleName("Most likely first")
        self._sorted.toggled.connect(self._bars.set_by_probability)
        legend_row = QHBoxLayout()
        legend_row.addWidget(self._legend)
        legend_row.addStretch(1)
        legend_row.addWidget(self._sorted)

        self._step = self._button(
            "Step",
            "Draw one character from the bars' distribution (S or Right arrow).",
            self.step,
        )
        self._finish = self._button(
            "Finish name",
            "Draw characters until the model draws the end token (F).",
            self.finish_name,
        )
        self._back = self._button(
            "Back",
            "Take back the last character (Backspace or Left arrow). The generator is not "
            "rewound: the next Step draws a new random number.",
            self.back,
        )
        self._new = self._button(
            "New name",
            "Drop the name in progress and start again from an all-boundary context (R).",
            self.new_name,
        )
        self._play = QPushButton("Auto-play")
        self._play.setCheckable(True)
        self._play.setAccessibleName("Auto-play")
        self._play.setToolTip(
            "Keep drawing characters at the chosen speed, name after name (P to start or stop)."
        )
        self._play.toggled.connect(self._set_playing)
        self._speed = QSpinBox()
        self._speed.setRange(1, 30)
        self._speed.setValue(4)
        self._speed.setSuffix(" char/s")
        self._speed.setAccessibleName("Auto-play speed")
        self._speed.setToolTip("Auto-play speed: characters drawn per second.")
        self._speed.valueChanged.connect(self._set_speed)
        buttons = QHBoxLayout()
        for widget in (self._step, self._finish, self._back, self._new):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self._play)
        buttons.addWidget(self._speed)

        self._seed_edit = QLineEdit(str(self._seed))
        self._seed_edit.setValidator(QRegularExpressionValidator(r"\d{1,19}"))
        self._seed_edit.setMaximumWidth(120)
        self._seed_edit.setAccessibleName("Seed")
        self._seed_edit.setToolTip(
            "Seed of the random generator that draws the characters. The lecture uses "
            f"2147483647 + 10 = {DEFAULT_SAMPLE_SEED}: with that seed, temperature 1.0 and the "
            "lecture's weights, Finish name gives the lecture's names in order. Press Enter "
            "to apply (it starts a new name)."
        )
        self._seed_edit.editingFinished.connect(self._apply_seed)
        self._reset = self._button(
            "Reset generator",
            "Seed the generator again and start a new name: the names then repeat from the "
            "first one.",
            self.reset_generator,
        )
        self._temperature = QDoubleSpinBox()
        self._temperature.setRange(MIN_TEMPERATURE, MAX_TEMPERATURE)
        self._temperature.setDecimals(2)
        self._temperature.setSingleStep(0.1)
        self._temperature.setValue(1.0)
        self._temperature.setAccessibleName("Temperature")
        self._temperature.setToolTip(
            "Temperature: the logits are divided by it before the softmax. Below 1 the likely "
            "characters get likelier (safer names), above 1 the distribution flattens (wilder "
            "names). The bars show the distribution after temperature; 1.0 is the model itself."
        )
        self._temperature.valueChanged.connect(self._refresh)
        self._instead = QLineEdit()
        self._instead.setMaxLength(1)
        self._instead.setMaximumWidth(36)
        self._instead.setAccessibleName("Use this character instead")
        self._instead.setToolTip(
            "Type a character and press Enter to put it in place of the one just drawn (or as "
            "the first character): the same as clicking its bar."
        )
        self._instead.returnPressed.connect(self._choose_typed)
        settings = QHBoxLayout()
        settings.addWidget(QLabel("Seed"))
        settings.addWidget(self._seed_edit)
        settings.addWidget(self._reset)
        settings.addSpacing(8)
        settings.addWidget(QLabel("Temperature"))
        settings.addWidget(self._temperature)
        settings.addStretch(1)
        settings.addWidget(QLabel("Use instead:"))
        settings.addWidget(self._instead)

        stepper = QWidget()
        stepper_layout = QVBoxLayout(stepper)
        stepper_layout.setContentsMargins(0, 0, 0, 0)
        stepper_layout.setSpacing(4)
        stepper_layout.addWidget(self._notice)
        stepper_layout.addLayout(top)
        stepper_layout.addWidget(self._bars, 1)
        stepper_layout.addStretch(0)  # takes the room when there is no chart
        stepper_layout.addLayout(legend_row)
        stepper_layout.addLayout(buttons)
        stepper_layout.addLayout(settings)

        self._names = GeneratedNames()
        self._names.nameActivated.connect(self._score_name)
        self._sample = self._button(
            "Sample 20",
            "Sample 20 whole names with the panel's generator, like the lecture's last cell.",
            lambda: self.sample_batch(),  # clicked(bool) must not become the count
        )
        self._copy = self._button(
            "Copy",
            "Copy the selected names (all of them if none is selected), one per line.",
            self.copy_names,
        )
        self._export = self._button(
            "Export…", "Save the listed names to a text file, one per line.", self._export_dialog
        )
        self._clear = self._button("Clear", "Empty the list of generated names.", self.clear_names)
        side = QVBoxLayout()
        for widget in (self._sample, self._copy, self._export, self._clear):
            side.addWidget(widget)
        side.addStretch(1)
        names_tab = QWidget()
        names_layout = QHBoxLayout(names_tab)
        names_layout.setContentsMargins(4, 4, 4, 4)
        names_layout.addWidget(self._names, 1)
        names_layout.addLayout(side)

        self._score = ScoreBox()
        score_tab = QWidget()
        score_layout = QVBoxLayout(score_tab)
        score_layout.setContentsMargins(4, 4, 4, 4)
        score_layout.addWidget(self._score)

        self._tabs = QTabWidget()
        self._tabs.addTab(names_tab, "Generated names")
        self._tabs.addTab(score_tab, "Score a name")
        self._tabs.setAccessibleName("Generated names and scoring")

        self._splitter = QSplitter(Qt.Orientation.Vertical)
        self._splitter.addWidget(stepper)
        self._splitter.addWidget(self._tabs)
        self._splitter.setChildrenCollapsible(False)
        self._splitter.setStretchFactor(0, 2)  # the chart is the point of the panel
        self._splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._splitter)

        self._model_controls: list[QWidget] = [
            self._step, self._finish, self._back, self._new, self._play, self._speed,
            self._seed_edit, self._reset, self._temperature, self._instead, self._sorted,
            self._sample, self._bars,
        ]  # fmt: skip

    def _add_shortcuts(self) -> None:
        """Keys that work while the panel (or any of its children) has focus. Text fields
        keep their own keys: a line edit takes letters, Backspace and the arrows first."""
        keys = {
            "S": self._step,
            "Right": self._step,
            "F": self._finish,
            "Backspace": self._back,
            "Left": self._back,
            "R": self._new,
            "P": self._play,
        }
        self._shortcuts: list[QShortcut] = []
        for key, button in keys.items():
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda b=button: b.isEnabled() and b.click())
            self._shortcuts.append(shortcut)

    # -- public interface -------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        """Wide and low (a bottom dock): names beside the chart; otherwise below it."""
        super().resizeEvent(event)
        wide = event.size().width() > 1.6 * event.size().height()
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self._splitter.orientation() != orientation:
            self._splitter.setOrientation(orientation)
            total = self._splitter.width() if wide else self._splitter.height()
            self._splitter.setSizes([int(total * 0.58), int(total * 0.42)])

    def set_model(
        self,
        config: ModelConfig,
        weights: dict[str, np.ndarray],
        vocab: Vocabulary,
        *,
        same_model: bool,
    ) -> None:
        """Sample from a new snapshot of the weights. same_model: the same model a moment
        later (training): keep the name in progress. Otherwise start afresh."""
        try:
            sampler = Sampler(config, weights, vocab)
        except CharnamesError as exc:
            self.clear_model()
            self._notice.setText(f"Cannot sample from this model: {exc}")
            return
        old = self._sampler
        keep = (
            same_model
            and old is not None
            and old.model.config == config
            and old.vocab == vocab
            and self._state is not None
        )
        self._sampler = sampler
        if not keep:
            self._bars.set_vocabulary(vocab.itos)
            self._names.clear()
            self._generator = make_generator(self._seed)
            self._start_name()
        self._notice.clear()
        self._notice.setVisible(False)
        if not self._bars.isVisibleTo(self):
            self._bars.setVisible(True)
            self._legend.setVisible(True)
            total = sum(self._splitter.sizes())  # 0 before the panel is first laid out
            if total > 0:  # give the chart back its room
                self._splitter.setSizes([total * 2 // 3, total - total * 2 // 3])
        for widget in self._model_controls:
            widget.setEnabled(True)
        self._score.set_sampler(sampler)
        self._refresh()

    def clear_model(self) -> None:
        """No model: every sampling control off, with a plain explanation."""
        self._play.setChecked(False)
        self._sampler = None
        self._state = None
        self._forced = []
        self._cut = False
        for widget in self._model_controls:
            widget.setEnabled(False)
        self._notice.setText(NO_MODEL)
        self._notice.setVisible(True)
        self._bars.clear_bars()
        self._bars.setVisible(False)  # an empty chart would only be noise
        self._legend.setVisible(False)
        self._window.clear()
        self._name.setText("")
        self._stats.setText("")
        self._score.set_sampler(None)
        self._emit_context([])
        self._update_list_buttons()

    def set_word_split(self, split: WordSplit | None) -> None:
        """The dataset's split, to mark names as train, dev/test or new; None: unknown."""
        self._which = split.which() if split is not None else None
        self._names.set_split(self._which)

    # -- actions (buttons, shortcuts) --------------------------------------------------------
    def step(self) -> None:
        """Draw one character (starting a new name if the last one is complete)."""
        if self._sampler is None:
            return
        self._draw()
        self._refresh()

    def finish_name(self) -> None:
        """Draw until the end token (or the length limit)."""
        if self._sampler is None:
            return
        if self._done():
            self._start_name()
        while not self._done():
            self._draw()
        self._refresh()

    def back(self) -> None:
        if self._state is None:
            return
        if not self._state.chosen:
            self.statusMessage.emit("Nothing to take back: the name is empty")
            return
        self._state.undo()
        self._forced.pop()
        self._cut = False
        self._refresh()

    def new_name(self) -> None:
        if self._sampler is None:
            return
        self._start_name()
        self._refresh()

    def choose(self, index: int) -> None:
        """Put vocabulary index `index` in place of the character drawn last (or as the first
        character of an empty name): what a click on its bar does."""
        if self._sampler is None or self._state is None:
            return
        if not 0 <= index < self._sampler.vocab.size:
            return
        if self._state.chosen:
            self._state.undo()
            self._forced.pop()
            self._cut = False
        self.force_next(index)

    def force_next(self, index: int) -> None:
        """Append vocabulary index `index` as the next character, without drawing: the
        generator is untouched."""
        if self._sampler is None or not 0 <= index < self._sampler.vocab.size:
            return
        self._draw(forced=index)
        self._refresh()

    def reset_generator(self) -> None:
        """Seed the generator again and start a new name."""
        self._generator = make_generator(self._seed)
        if self._sampler is not None:
            self._start_name()
            self._refresh()
        self.statusMessage.emit(f"Generator reset to seed {self._seed}")

    def set_seed(self, seed: int) -> None:
        """Use `seed` (0 .. 2**63-1) from now on: the generator is reseeded, a new name starts."""
        if not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seed must be between 0 and {MAX_SEED}")
        self._seed = seed
        self._seed_edit.setText(str(seed))
        self.reset_generator()

    def sample_batch(self, count: int = SAMPLE_BATCH) -> None:
        """`count` whole names from the panel's generator, into the list (the name in progress
        is left as it is)."""
        sampler = self._sampler
        if sampler is None:
            return
        temperature = self._temperature.value()
        for _ in range(count):
            state = sampler.new_state()
            while not state.finished and len(state.chosen) < MAX_NAME_LENGTH:
                sampler.step(state, self._generator, temperature)
            self._add_to_list(state, edited=False, cut=not state.finished, quiet=True)
        self.statusMessage.emit(f"Sampled {count} names")

    def copy_names(self) -> None:
        count = self._names.copy_to_clipboard()
        self.statusMessage.emit(f"Copied {count} names to the clipboard")

    def export_names(self, path: str | Path) -> bool:
        """Write the listed names to `path`, one per line; a plain message if it fails."""
        try:
            count = self._names.export(path)
        except OSError as exc:
            message = f"Could not save the names to {path}: {exc.strerror or exc}"
            self.statusMessage.emit(message)
            self._notice.setText(message)
            self._notice.setVisible(True)
            return False
        self.statusMessage.emit(f"Saved {count} names to {path}")
        return True

    def clear_names(self) -> None:
        self._names.clear()
        self._update_list_buttons()

    # -- read back (tests, the main window) --------------------------------------------------
    @property
    def sampler(self) -> Sampler | None:
        return self._sampler

    @property
    def state(self) -> SampleState | None:
        return self._state

    def shown_context(self) -> list[int]:
        """The context whose distribution the bars show: the one the last character was drawn
        from, or the current one before the first draw."""
        state = self._state
        if state is None:
            return []
        if not state.chosen:
            return state.context
        chosen = state.chosen
        return ([0] * state.block_size + chosen[:-1])[len(chosen) - 1 :]

    # -- internals --------------------------------------------------------------------------
    def _done(self) -> bool:
        return self._state is not None and (self._state.finished or self._cut)

    def _start_name(self) -> None:
        assert self._sampler is not None
        self._state = self._sampler.new_state()
        self._forced = []
        self._cut = False

    def _draw(self, forced: int | None = None) -> None:
        """One character, drawn from the generator or `forced`; completes the name when the
        boundary token comes (or the length limit)."""
        assert self._sampler is not None
        if self._state is None or self._done():
            self._start_name()
        assert self._state is not None
        self._sampler.step(self._state, self._generator, self._temperature.value(), forced)
        self._forced.append(forced is not None)
        if self._state.finished:
            self._add_to_list(self._state, edited=any(self._forced), cut=False)
        elif len(self._state.chosen) >= MAX_NAME_LENGTH:
            self._cut = True
            self._add_to_list(self._state, edited=any(self._forced), cut=True)
            self.statusMessage.emit(
                f"Stopped at {MAX_NAME_LENGTH} characters: the model never drew the end token "
                "(is it trained yet?)"
            )

    def _add_to_list(
        self, state: SampleState, edited: bool, cut: bool, quiet: bool = False
    ) -> None:
        assert self._sampler is not None
        text = self._sampler.vocab.decode([i for i in state.chosen if i != 0])
        entry = GeneratedName(text, state.nll, len(state.chosen), edited, cut)
        self._names.add(entry)
        self._update_list_buttons()
        if not (cut or quiet):
            mark = mark_for(text, self._which)
            self.statusMessage.emit(f"Complete: {text} ({mark}, NLL {entry.nll:.2f})")

    def _update_list_buttons(self) -> None:
        has_names = bool(self._names.names())
        self._copy.setEnabled(has_names)
        self._export.setEnabled(has_names)
        self._clear.setEnabled(has_names)

    def _refresh(self) -> None:
        """Render the step just taken: context boxes, bars, name and numbers."""
        sampler, state = self._sampler, self._state
        if sampler is None or state is None:
            return
        vocab = sampler.vocab
        context = self.shown_context()
        last = state.chosen[-1] if state.chosen else None
        forced = bool(self._forced and self._forced[-1])
        probs = sampler.distribution(context, self._temperature.value())
        self._bars.set_distribution(probs, last, forced)
        self._window.set_window(
            [vocab.itos[i] for i in context],
            vocab.boundary,
            None if last is None else vocab.itos[last],
            forced,
        )
        self._name.setText(self._name_html(vocab, state, forced))
        self._stats.setText(self._stats_text(state))
        self._back.setEnabled(bool(state.chosen))
        self._emit_context(context)

    def _name_html(self, vocab: Vocabulary, state: SampleState, forced: bool) -> str:
        """The name so far, its last character coloured like its bar, and how it came."""
        letters = [display_char(vocab.itos[i]) for i in state.chosen]
        if not letters:
            return "<span style='font-size:15pt; color:#8c8c8c'>(new name)</span>"
        head = "".join(letters[:-1])
        if len(head) > 30:
            head = "…" + head[-30:]
        color = (FORCED_COLOR if forced else SAMPLED_COLOR).name()
        verb = "you chose" if forced else "drew"
        return (
            f"<span style='font-size:15pt'><b>{html.escape(head)}</b>"
            f"<b style='color:{color}'>{html.escape(letters[-1])}</b></span>"
            f"&nbsp;&nbsp; {verb} '{html.escape(letters[-1])}' with p = "
            f"{format_probability(state.probabilities[-1])}"
        )

    def _stats_text(self, state: SampleState) -> str:
        if not state.chosen:
            return "Step (S) draws the first character; clicking a bar chooses it."
        n = len(state.chosen)
        nll = f"NLL {state.nll:.2f} over {n} character{'s' if n > 1 else ''}"
        if state.finished:
            return f"Complete: {nll} (end included), {state.nll / n:.2f} each"
        if self._cut:
            return f"Cut at {MAX_NAME_LENGTH} characters without an end: {nll}"
        return f"Name so far: {nll}, {state.nll / n:.2f} each"

    def _emit_context(self, context: list[int]) -> None:
        if context != self._emitted:
            self._emitted = list(context)
            self.contextChanged.emit(list(context))

    def _apply_seed(self) -> None:
        text = self._seed_edit.text().strip()
        try:
            seed = int(text)
        except ValueError:
            seed = -1
        if not 0 <= seed <= MAX_SEED:
            self.statusMessage.emit(f"The seed must be a whole number from 0 to {MAX_SEED}")
            self._seed_edit.setText(str(self._seed))
            return
        if seed != self._seed:
            self.set_seed(seed)

    def _choose_typed(self) -> None:
        text = self._instead.text()
        self._instead.clear()
        if self._sampler is None or not text:
            return
        vocab = self._sampler.vocab
        index = vocab.stoi.get(" " if text == "␣" else text)
        if index is None:
            self.statusMessage.emit(f"'{text}' is not one of the model's characters")
            return
        self.choose(index)

    def _score_name(self, name: str) -> None:
        self._score.set_name(name)
        self._tabs.setCurrentIndex(1)

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export generated names", "generated_names.txt", "Text files (*.txt)"
        )
        if path:
            self.export_names(path)

    def _set_playing(self, playing: bool) -> None:
        self._play.setText("Stop" if playing else "Auto-play")
        if playing and self._sampler is not None:
            self._hold = 0
            self._timer.start(round(1000 / self._speed.value()))
        else:
            self._timer.stop()

    def _set_speed(self, per_second: int) -> None:
        self._timer.setInterval(round(1000 / per_second))

    def _tick(self) -> None:
        if self._sampler is None:
            self._play.setChecked(False)
            return
        if self._done() and self._hold > 0:
            self._hold -= 1
            return
        self.step()
        if self._done():
            self._hold = max(2, self._speed.value())  # about a second to read the whole name
