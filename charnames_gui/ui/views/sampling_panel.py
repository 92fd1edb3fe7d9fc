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

All sampling state lives in a core SamplingSession (the name, forced choices, the generator,
Back); the panel turns clicks and keys into the session's intents, builds what it shows of
session.state() as a core SamplingView (core/sampling_view.py) and renders that record.
The session samples from its own copy of the weights, never from tensors a trainer is writing.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QKeySequence,
    QPalette,
    QRegularExpressionValidator,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.config import (
    DEFAULT_SAMPLE_SEED,
    MAX_NAME_LENGTH,
    MAX_SEED,
    MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    ModelConfig,
)
from charnames_gui.core.data import Vocabulary, WordSplit
from charnames_gui.core.display import display_char
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.sampling_view import SamplingView, view_of
from charnames_gui.ui.views.flow_layout import FlowLayout
from charnames_gui.ui.views.name_list import GeneratedNames, ScoreBox, mark_for
from charnames_gui.ui.views.sampling_bars import (
    FORCED_COLOR,
    SAMPLED_COLOR,
    ContextWindow,
    ProbabilityBars,
)
from charnames_gui.ui.views.text_scale import text_scale

if TYPE_CHECKING:  # torch-backed: imported at the first model
    from charnames_gui.core.sampling import Sampler
    from charnames_gui.core.session import CompletedName, SamplingSession, SessionState

SAMPLE_BATCH = 20  # the lecture's last cell: for _ in range(20)
NO_MODEL = (
    "No model to sample from yet. Create or load a model (File menu), or start training: "
    "the panel then samples from the latest weights."
)
LOADING = "PyTorch is loading: the model appears here in a moment."
NOTICE_COLOR = QColor("#8a4b00")
NAME_POINT_SIZE = 15  # the name so far, at 100% zoom


def _row(*widgets: QWidget) -> QWidget:
    """Widgets kept side by side on one line of a flow layout (a label and its field)."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    for widget in widgets:
        layout.addWidget(widget)
    return row


@dataclass(frozen=True, eq=False)
class SamplingShown:
    """What the sampling panel shows: the SamplingView it rendered last, with its list of
    names and the state of its controls. Tests compare it with the core SessionState
    (panel.state) and with the intents they sent, without reaching into its widgets."""

    context: list[str]  # the context boxes, left to right
    next: str  # the character after the arrow ('?' before the first draw)
    header: str  # the name so far and how its last character came, as plain text
    stats: str  # the name's negative log-likelihood line
    notice: str  # the note above the chart ('' when hidden)
    probabilities: np.ndarray  # (vocab_size,) what the bars show, in vocabulary order
    names: list[str]  # the generated names listed, oldest first
    entries: list[CompletedName]  # the same, with how each came
    controls_enabled: bool  # Step, Finish name and Sample are usable (there is a model)
    list_buttons_enabled: bool  # Copy, Export and Clear are usable (the list has names)
    playing: bool  # auto-play is on
    temperature: float  # the temperature field
    tab: str  # "names" or "score"


class SamplingPanel(QWidget):
    """Step through the sampling of names with a snapshot of a model's weights."""

    contextChanged = Signal(list)  # list[int]: the context window shown; [] without a name
    stepShown = Signal(object)  # ShownStep | None, after every change of what is shown
    statusMessage = Signal(str)  # short messages for the main window's status bar
    # Export… pressed: the window asks where and writes through its one export path
    # (exports.export_file: the model and its dataset are never written over)
    exportRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session: SamplingSession | None = None
        self._seed = DEFAULT_SAMPLE_SEED
        self._which: Mapping[str, str] | None = None
        self._emitted: list[int] | None = None
        self._error = ""  # the last sampling error shown (non-finite weights, ...)
        self._hold = 0  # auto-play ticks left to show a finished name before the next one
        self._controls_on = False  # the model's controls are enabled (set_model, clear_model)
        self._view = SamplingView.blank("")  # what the panel shows (rendered by _show)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)

        self._make_actions()
        self._build()
        self._add_arrow_keys()
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.clear_model()

    # -- construction -----------------------------------------------------------------------
    def _action(self, text: str, tip: str, key: str, slot: Callable[[], object]) -> QAction:
        """A sampling command with a window-wide key. A text field with focus keeps its
        keys: QLineEdit (and a spin box's editor) accept the ShortcutOverride for typed
        letters and Backspace, so the shortcut does not fire while one has focus."""
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        self.step_action = self._action(
            "Step", "Draw one character from the bars' distribution (S or Right arrow).", "S",
            self.step,
        )  # fmt: skip
        self.finish_action = self._action(
            "Finish name", "Draw characters until the model draws the end token (F).", "F",
            self.finish_name,
        )  # fmt: skip
        self.back_action = self._action(
            "Back",
            "Take back the last character (Backspace or Left arrow). The generator is rewound "
            "too: Step then draws the same character again.",
            "Backspace",
            self.back,
        )
        self.new_action = self._action(
            "New name",
            "Drop the name in progress and start again from an all-boundary context (R).",
            "R",
            self.new_name,
        )
        self.play_action = self._action(
            "Auto-play",
            "Keep drawing characters at the chosen speed, name after name (P to start or pause).",
            "P",
            lambda: None,
        )
        self.play_action.setCheckable(True)
        self.play_action.toggled.connect(self._set_playing)

    def _tool_button(self, action: QAction) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setAccessibleName(action.text())
        return button

    def _button(self, text: str, tip: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setAccessibleName(text.replace("&", ""))
        button.clicked.connect(lambda _checked=False: slot())
        return button

    def _build(self) -> None:
        self._notice = QLabel()
        self._notice.setTextFormat(Qt.TextFormat.PlainText)  # messages name files
        self._notice.setWordWrap(True)
        # the colour through the palette: a style sheet would fix the font (no zoom)
        palette = self._notice.palette()
        palette.setColor(QPalette.ColorRole.WindowText, NOTICE_COLOR)
        self._notice.setPalette(palette)
        self._notice.setAccessibleName("Sampling panel notice")

        self._window = ContextWindow()
        self._name = QLabel()
        self._name.setTextFormat(Qt.TextFormat.RichText)
        self._name.setAccessibleName("Name so far")
        # a long name is cut at the dock's edge rather than widening the panel
        self._name.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._name.setToolTip(
            "The name so far; the last character is the one just drawn (or chosen), with the "
            "probability the bars give it."
        )
        # how the last character came, with all the digits its bar shows: a line of its own
        # that wraps (at the end of the name's line it was cut with the name, number first)
        self._drew = QLabel()
        self._drew.setWordWrap(True)
        self._drew.setTextFormat(Qt.TextFormat.PlainText)  # a character may be "<"
        self._drew.setAccessibleName("How the last character came")
        self._stats = QLabel()
        self._stats.setAccessibleName("Negative log-likelihood of the name so far")
        self._stats.setToolTip(
            "NLL: the negative log-likelihood of the name so far, -sum(log p) over its "
            "characters, from the probabilities they were drawn with (after temperature). Per "
            "character it is the quantity the training loss averages."
        )
        self._stats.setWordWrap(True)
        words = QWidget()
        words_layout = QVBoxLayout(words)
        words_layout.setContentsMargins(0, 0, 0, 0)
        words_layout.setSpacing(2)
        words_layout.addWidget(self._name)
        words_layout.addWidget(self._drew)
        words_layout.addWidget(self._stats)
        top = FlowLayout()  # the name below the context when the dock is narrow
        top.addWidget(self._window)
        top.addWidget(words)

        self._bars = ProbabilityBars()
        # its minimum height (axis and a few lines of bars) follows the zoom; it is what
        # shrinks first on a small screen, so the buttons below stay in view
        self._bars.barClicked.connect(self.choose)
        self._legend = QWidget()  # its entries wrap onto two lines in a narrow dock
        entries = FlowLayout(self._legend)
        entries.setContentsMargins(0, 0, 0, 0)
        for color, meaning in (
            (SAMPLED_COLOR.name(), "drawn"),
            (FORCED_COLOR.name(), "your choice"),
            ("#8c8c8c", "end of name"),
        ):
            entries.addWidget(QLabel(f"<span style='color:{color}'>■</span> {meaning}"))
        self._legend.setAccessibleName("Bar colours")
        self._sorted = QCheckBox("Most likely first")
        self._sorted.setToolTip(
            "Order the bars from the most to the least likely next character, instead of "
            "alphabetically (the boundary token first)."
        )
        self._sorted.setAccessibleName("Most likely first")
        self._sorted.toggled.connect(self._bars.set_by_probability)
        legend_row = FlowLayout()
        legend_row.addWidget(self._legend)
        legend_row.addWidget(self._sorted)

        self._speed = QSpinBox()
        self._speed.setRange(1, 30)
        self._speed.setValue(4)
        self._speed.setSuffix(" char/s")
        self._speed.setAccessibleName("Auto-play speed")
        self._speed.setToolTip("Auto-play speed: characters drawn per second.")
        self._speed.valueChanged.connect(self._set_speed)
        # the rows of buttons and fields wrap onto more lines in a narrow dock or at large
        # zoom: every button stays in view without scrolling sideways
        buttons = FlowLayout()
        self._step_buttons = [
            self._tool_button(action)
            for action in (self.step_action, self.finish_action, self.back_action, self.new_action)
        ]
        for button in self._step_buttons:
            buttons.addWidget(button)
        self._play_button = self._tool_button(self.play_action)
        # the speed next to its button, or under it when the dock is too narrow for both
        play = QWidget()
        play_row = FlowLayout(play, spacing=4)
        play_row.setContentsMargins(0, 0, 0, 0)
        play_row.addWidget(self._play_button)
        play_row.addWidget(self._speed)
        buttons.addWidget(play)

        self._seed_edit = QLineEdit(str(self._seed))
        self._seed_edit.setValidator(QRegularExpressionValidator(r"\d{1,19}"))
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
        self._temperature.valueChanged.connect(self._on_temperature)
        self._instead = QLineEdit()
        self._instead.setMaxLength(1)
        self._instead.setAccessibleName("Use this character instead")
        self._instead.setToolTip(
            "Type a character and press Enter to put it in place of the one just drawn (or as "
            "the first character): the same as clicking its bar."
        )
        self._instead.returnPressed.connect(self._choose_typed)
        settings = FlowLayout()  # each field stays next to its label
        settings.addWidget(_row(QLabel("Seed"), self._seed_edit))
        settings.addWidget(self._reset)
        settings.addWidget(_row(QLabel("Temperature"), self._temperature))
        settings.addWidget(_row(QLabel("Use instead:"), self._instead))

        stepper = QWidget()
        stepper_layout = self._stepper_layout = QVBoxLayout(stepper)
        stepper_layout.setContentsMargins(0, 0, 0, 0)
        stepper_layout.setSpacing(4)
        # the commands first, as a toolbar, and the note on the bars right above the chart:
        # in a low dock at large zoom (where these rows wrap) the buttons are in view
        # without scrolling, and the chart is what shrinks
        stepper_layout.addLayout(buttons)
        stepper_layout.addLayout(top)
        stepper_layout.addWidget(self._notice)
        stepper_layout.addWidget(self._bars, 1)
        stepper_layout.addStretch(0)  # takes the room when there is no chart
        stepper_layout.addLayout(legend_row)
        stepper_layout.addLayout(settings)

        self._names = GeneratedNames()
        self._names.nameActivated.connect(self._score_name)
        self._sample = self._button(
            "Sample 20",
            "Sample 20 whole names with the panel's generator, like the lecture's last cell.",
            self.sample_batch,
        )
        self._copy = self._button(
            "Copy",
            "Copy the selected names (all of them if none is selected), one per line.",
            self.copy_names,
        )
        self._export = self._button(
            "Export…",
            "Save the listed names to a text file, one per line.",
            self.exportRequested.emit,
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
        self._stepper = stepper
        stepper.installEventFilter(self)  # its rows wrap anew when their texts change
        self._splitter.addWidget(stepper)
        self._splitter.addWidget(self._tabs)
        self._splitter.setChildrenCollapsible(False)
        self._splitter.setStretchFactor(0, 2)  # the chart is the point of the panel
        self._splitter.setStretchFactor(1, 1)
        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        # the panel's minimum is minimumSizeHint() below, not the splitter's arrangement
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(self._splitter)

        self._fit_fields()

        self._model_controls: list[QWidget | QAction] = [
            self.step_action, self.finish_action, self.back_action, self.new_action,
            self.play_action, self._speed, self._seed_edit, self._reset, self._temperature,
            self._instead, self._sorted, self._sample, self._bars,
        ]  # fmt: skip

    def _fit_fields(self) -> None:
        """The seed and character fields as wide as their text at the current zoom."""
        metrics = self.fontMetrics()
        self._seed_edit.setMaximumWidth(metrics.horizontalAdvance("0" * 12) + 12)
        self._instead.setMaximumWidth(metrics.horizontalAdvance("W") * 2 + 16)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed
            self._fit_fields()
            self._render_name()
            QTimer.singleShot(0, self, self._fit_stepper)  # once the texts have their size

    def _add_arrow_keys(self) -> None:
        """Right and Left step and take back while the panel (or a child) has focus: window
        wide they would steal the arrows of every table and field."""
        for key, action in (("Right", self.step_action), ("Left", self.back_action)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda a=action: a.isEnabled() and a.trigger())

    # -- public interface -------------------------------------------------------------------
    def minimumSizeHint(self) -> QSize:
        """The minimum of the stacked arrangement, whichever is shown: side by side is only
        chosen when there is room for it (resizeEvent), so it never makes a dock wider."""
        hint = super().minimumSizeHint()
        if self._splitter.orientation() == Qt.Orientation.Horizontal:
            margins = self._layout.contentsMargins()
            widest = max(w.minimumSizeHint().width() for w in self._splitter_parts())
            hint.setWidth(widest + margins.left() + margins.right())
        return hint

    def _splitter_parts(self) -> list[QWidget]:
        return [self._stepper, self._tabs]

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Wide and low (a bottom dock): names beside the chart, if they fit; otherwise below
        it."""
        super().resizeEvent(event)
        # (the stepper's rows on one line each: its preferred width, not its wrapped minimum)
        side_by_side = self._stepper.sizeHint().width() + self._tabs.minimumSizeHint().width() + 20
        wide = (
            event.size().width() > 1.6 * event.size().height()
            and event.size().width() >= side_by_side
        )
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self._splitter.orientation() != orientation:
            self._splitter.setOrientation(orientation)
            total = self._splitter.width() if wide else self._splitter.height()
            self._splitter.setSizes([int(total * 0.7), int(total * 0.3)])
        self._fit_stepper()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._stepper and event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self, self._fit_stepper)  # after the layout has its sizes
        return super().eventFilter(watched, event)

    def _fit_stepper(self) -> None:
        """The stepper's minimum height at its width. Its minimum by itself counts one line
        for each word-wrapped text (the note, the NLL line); wrapped onto three lines (a
        narrow dock, large text), they would be laid over the chart and its legend. With the
        minimum at the wrapped height, the dock scrolls instead."""
        layout = self._stepper_layout
        if self._splitter.orientation() == Qt.Orientation.Vertical:
            width = self._splitter.width()
        else:
            width = self._splitter.sizes()[0]
        need = layout.minimumHeightForWidth(width) if layout.hasHeightForWidth() else 0
        if width > 0 and need != self._stepper.minimumHeight():
            self._stepper.setMinimumHeight(need)

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
        from charnames_gui.core.sampling import Sampler
        from charnames_gui.core.session import SamplingSession

        try:
            sampler = Sampler(config, weights, vocab)
        except CharnamesError as exc:
            self.clear_model()
            self._set_notice(f"Cannot sample from this model: {exc}")
            return
        session = self._session
        if session is None:
            session = SamplingSession(sampler, self._seed, self._temperature.value())
            self._session = session
            fresh = True
        else:
            same_shape = session.sampler.model.config == config and session.vocab == vocab
            fresh = not (same_model and same_shape)
            session.set_sampler(sampler, keep_name=not fresh)
        if fresh:
            self._bars.set_vocabulary(vocab.itos)
            self._names.clear()
        self._error = ""
        if not self._bars.isVisibleTo(self):
            self._bars.setVisible(True)
            self._legend.setVisible(True)
            total = sum(self._splitter.sizes())  # 0 before the panel is first laid out
            if total > 0:  # give the chart back its room
                self._splitter.setSizes([total * 2 // 3, total - total * 2 // 3])
        if not self._controls_on:  # a replay or training step: they are on already
            self._controls_on = True
            for control in self._model_controls:
                control.setEnabled(True)
        self._score.set_sampler(sampler)
        self._refresh()

    def hold_bars_axis(self, held: bool) -> None:
        """A replay holds the bars' probability axis at 0..1 on every frame (see
        ProbabilityBars.hold_axis); live, it follows the bars."""
        self._bars.hold_axis(held)

    def clear_model(self, loading: bool = False) -> None:
        """No model: every sampling control off, with a plain explanation (loading: the
        app has just started and the model is made when PyTorch has loaded)."""
        self.play_action.setChecked(False)
        self._session = None
        self._error = ""
        self._controls_on = False
        for control in self._model_controls:
            control.setEnabled(False)
        self._show(SamplingView.blank(LOADING if loading else NO_MODEL))
        self._bars.setVisible(False)  # an empty chart would only be noise
        self._legend.setVisible(False)
        self._score.set_sampler(None)
        self._emit_context([])
        self.stepShown.emit(None)
        self._update_list_buttons()

    def set_word_split(self, split: WordSplit | None) -> None:
        """The dataset's split, to mark names as train, dev/test or new; None: unknown."""
        self._which = split.which() if split is not None else None
        self._names.set_split(self._which)

    # -- intents (buttons, shortcuts) -------------------------------------------------------
    def step(self) -> None:
        """Draw one character (starting a new name if the last one is complete)."""
        self._do(lambda s: self._completed(s.step()))

    def finish_name(self) -> None:
        """Draw until the end token (or the length limit)."""
        self._do(lambda s: self._completed(s.finish_name()))

    def back(self) -> None:
        def back(session: SamplingSession) -> None:
            if not session.back():
                self.statusMessage.emit("Nothing to take back: the name is empty")

        self._do(back)

    def new_name(self) -> None:
        self._do(lambda s: s.new_name())

    def choose(self, index: int) -> None:
        """Put vocabulary index `index` in place of the character drawn last (or as the first
        character of an empty name): what a click on its bar does."""
        session = self._session
        if session is not None and 0 <= index < session.vocab.size:
            self._do(lambda s: self._completed(s.choose(index)))

    def force_next(self, index: int) -> None:
        """Append vocabulary index `index` as the next character, without drawing: the
        generator is untouched."""
        session = self._session
        if session is not None and 0 <= index < session.vocab.size:
            self._do(lambda s: self._completed(s.force_next(index)))

    def reset_generator(self) -> None:
        """Seed the generator again and start a new name."""
        self._do(lambda s: s.reset_generator())
        self.statusMessage.emit(f"Generator reset to seed {self._seed}")

    def set_seed(self, seed: int) -> None:
        """Use `seed` (0 .. 2**63-1) from now on: the generator is reseeded, a new name starts."""
        if not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seed must be between 0 and {MAX_SEED}")
        self._seed = seed
        self._seed_edit.setText(str(seed))
        if self._session is not None:
            self._do(lambda s: s.set_seed(seed))
        self.statusMessage.emit(f"Generator reset to seed {seed}")

    def set_temperature(self, temperature: float) -> None:
        self._temperature.setValue(temperature)

    def set_sorted(self, by_probability: bool) -> None:
        """Bars most likely first (True) or in vocabulary order."""
        self._sorted.setChecked(by_probability)

    def set_speed(self, per_second: int) -> None:
        self._speed.setValue(per_second)

    def set_playing(self, playing: bool) -> None:
        self.play_action.setChecked(playing)

    def sample_batch(self, count: int = SAMPLE_BATCH) -> None:
        """`count` whole names from the panel's generator, into the list (the name in progress
        is left as it is)."""
        session = self._session
        if session is None:
            return
        try:
            names = session.sample_names(count)
        except CharnamesError as exc:
            self._show_error(str(exc))
            return
        for entry in names:
            self._add_to_list(entry, quiet=True)
        self.statusMessage.emit(f"Sampled {count} names")

    def copy_names(self) -> None:
        count = self._names.copy_to_clipboard()
        self.statusMessage.emit(f"Copied {count} names to the clipboard")

    def export_names(self, path: str | Path) -> int:
        """Write the listed names to `path`, one per line; returns how many. Raises
        CharnamesError (one line, the old file kept) when it cannot."""
        count = self._names.export(path)
        self.statusMessage.emit(f"Saved {count} names to {path}")
        return count

    def clear_names(self) -> None:
        self._names.clear()
        self._update_list_buttons()

    def score_name(self, name: str) -> None:
        """Score `name` in the "Score a name" tab (and show that tab)."""
        self._score_name(name)

    # -- read back (the main window, tests) --------------------------------------------------
    @property
    def sampler(self) -> Sampler | None:
        """The core sampler the panel draws from (None without a model)."""
        return self._session.sampler if self._session is not None else None

    @property
    def state(self) -> SessionState | None:
        """The name in progress (a copy), None without a model: what the panel renders."""
        return self._session.state() if self._session is not None else None

    def shown_context(self) -> list[int]:
        """The context whose distribution the bars show: the one the last character was drawn
        from, or the current one before the first draw."""
        state = self.state
        return state.shown_context if state is not None else []

    def shown(self) -> SamplingShown:
        """What the panel shows now: the SamplingView it rendered last (see SamplingShown)."""
        view = self._view
        return SamplingShown(
            context=view.boxes,
            next=view.next_box,
            header=view.header,
            stats=view.stats,
            notice=view.notice,
            probabilities=view.probabilities,
            names=self._names.names(),
            entries=self._names.entries(),
            controls_enabled=self._controls_on,
            list_buttons_enabled=bool(self._names.names()),
            playing=self._timer.isActive(),
            temperature=self._temperature.value(),
            tab="score" if self._tabs.currentIndex() == 1 else "names",
        )

    # -- internals --------------------------------------------------------------------------
    def _do(self, intent: Callable[[SamplingSession], object]) -> None:
        """Run one intent on the session and render the result; a CharnamesError (weights
        that overflow, ...) becomes a message, never an exception out of a slot."""
        session = self._session
        if session is None:
            return
        try:
            intent(session)
        except CharnamesError as exc:
            self._show_error(str(exc))
            return
        self._refresh()

    def _completed(self, entry: CompletedName | None) -> None:
        if entry is None:
            return
        self._add_to_list(entry)
        if entry.cut:
            self.statusMessage.emit(
                f"Stopped at {MAX_NAME_LENGTH} characters: the model never drew the end token "
                "(is it trained yet?)"
            )

    def _set_notice(self, text: str) -> None:
        """The note above the chart ('' hides it)."""
        self._view = self._view.with_notice(text)
        self._render_notice()

    def _render_notice(self) -> None:
        """The view's note above the chart; the stepper's height follows its lines."""
        text = self._view.notice
        if self._notice.text() != text or self._notice.isHidden() == bool(text):
            self._notice.setText(text)
            self._notice.setVisible(bool(text))
            self._fit_stepper()

    def _show_error(self, message: str, view: SamplingView | None = None) -> None:
        """A sampling error, in the note and the status bar (view: what to show with it;
        None: what is shown, with the note)."""
        self._error = message
        self.play_action.setChecked(False)
        if view is None:
            self._set_notice(message)
        else:
            self._show(view)
        self.statusMessage.emit(message)

    def _add_to_list(self, entry: CompletedName, quiet: bool = False) -> None:
        self._names.add(entry)
        self._update_list_buttons()
        if not (entry.cut or quiet):
            mark = mark_for(entry.text, self._which)
            self.statusMessage.emit(f"Complete: {entry.text} ({mark}, NLL {entry.nll:.2f})")

    def _update_list_buttons(self) -> None:
        has_names = bool(self._names.names())
        self._copy.setEnabled(has_names)
        self._export.setEnabled(has_names)
        self._clear.setEnabled(has_names)

    def _on_temperature(self, value: float) -> None:
        self._do(lambda s: s.set_temperature(value))

    def _refresh(self) -> None:
        """Show the step just taken: its SamplingView is built from the session's state,
        then rendered."""
        from charnames_gui.core.session import ShownStep

        session = self._session
        if session is None:
            return
        state = session.state()
        try:
            probs = session.shown_distribution()
        except CharnamesError as exc:  # the name and boxes stay, the bars go
            self._show_error(str(exc), self._view.with_error(str(exc), session.vocab.size))
            self.stepShown.emit(None)
            return
        self._show(view_of(state, session.vocab, probs, self._error))
        context = state.shown_context
        self._emit_context(context)
        self.stepShown.emit(
            ShownStep(
                session.sampler, tuple(context), session.temperature, state.last,
                state.last_forced,
            )
        )  # fmt: skip

    def _show(self, view: SamplingView) -> None:
        """Render `view`: the context boxes, bars, name, numbers and note. Only here and in
        _set_notice does what the panel shows change."""
        self._view = view
        if len(view.probabilities):
            self._bars.set_distribution(view.probabilities, view.chosen, view.last_forced)
        else:
            self._bars.clear_bars()
        if view.has_model:
            self._window.set_window(list(view.context), view.boundary, view.next,
                                    view.last_forced)  # fmt: skip
        else:
            self._window.clear()
        self._render_name()
        self._stats.setText(view.stats)
        self.back_action.setEnabled(view.can_go_back)
        self._render_notice()

    def _render_name(self) -> None:
        """The name so far, in a size that follows the zoom, its last character coloured like
        its bar; and how that character came."""
        view = self._view
        self._name.setText(self._name_html(view))
        self._drew.setText(view.drew)
        self._drew.setVisible(bool(view.drew))

    def _name_html(self, view: SamplingView) -> str:
        if not view.has_model:
            return ""
        size = f"font-size:{NAME_POINT_SIZE * text_scale(self):.1f}pt"
        if not view.name_last:
            return f"<span style='{size}; color:#8c8c8c'>{html.escape(view.name)}</span>"
        color = (FORCED_COLOR if view.last_forced else SAMPLED_COLOR).name()
        return (
            f"<span style='{size}'><b>{html.escape(view.name_head)}</b>"
            f"<b style='color:{color}'>{html.escape(view.name_last)}</b></span>"
        )

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
        session = self._session
        if session is None or not text:
            return
        vocab = session.vocab
        index = vocab.stoi.get(text)
        if index is None:  # a stand-in typed back: '␣' for a space, '⇥' for a tab
            index = next((i for i, c in enumerate(vocab.itos) if display_char(c) == text), None)
        if index is None:
            self.statusMessage.emit(f"'{text}' is not one of the model's characters")
            return
        self.choose(index)

    def _score_name(self, name: str) -> None:
        self._score.set_name(name)
        self._tabs.setCurrentIndex(1)

    def _set_playing(self, playing: bool) -> None:
        self.play_action.setText("Pause" if playing else "Auto-play")
        if playing and self._session is not None:
            self._hold = 0
            self._timer.start(round(1000 / self._speed.value()))
        else:
            self._timer.stop()

    def _set_speed(self, per_second: int) -> None:
        self._timer.setInterval(round(1000 / per_second))

    def _tick(self) -> None:
        session = self._session
        if session is None:
            self.play_action.setChecked(False)
            return
        if session.done and self._hold > 0:
            self._hold -= 1
            return
        self.step()
        if session.done:
            self._hold = max(2, self._speed.value())  # about a second to read the whole name
