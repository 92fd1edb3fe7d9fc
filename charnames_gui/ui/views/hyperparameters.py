"""The hyperparameter panel: the lecture's knobs, each with a tooltip that teaches.

The panel only edits values; it emits `modelShapeChanged` when a change needs a new model
(sizes, init, seed, split seed) and `trainingChanged` when the current model can keep
training with the new values (learning rate, schedule, steps, batch size, engine).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.config import (
    LIMITS,
    MAX_BATCH_SIZE,
    MAX_LR,
    MAX_PARAMETERS,
    MAX_STEPS,
    SCHEDULES,
    ModelConfig,
    TrainConfig,
    parameter_count,
)
from charnames_gui.core.presets import PRESETS, Preset
from charnames_gui.ui.views.later_lectures import LaterLectures
from charnames_gui.ui.views.text_scale import set_text_colour

INT32_MAX = 2**31 - 1  # QSpinBox holds a C int; the lecture's seed 2147483647 is exactly this

ENGINE_LABELS = {"fast": "fast", "autograd": "autograd (lecture)"}
INIT_LABELS = {"lecture": "lecture (randn)", "scaled": "scaled (part 3)"}


def _spin(low: int, high: int, value: int, tip: str, name: str, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setSingleStep(step)
    box.setGroupSeparatorShown(True)
    box.setToolTip(tip)
    box.setAccessibleName(name)
    box.setKeyboardTracking(False)  # typing "200" does not rebuild the model at "2" and "20"
    box.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
    return box


def _lr_spin(value: float, tip: str, name: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(5)
    box.setRange(0.00001, MAX_LR)
    box.setValue(value)
    box.setSingleStep(0.01)
    box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
    box.setToolTip(tip)
    box.setAccessibleName(name)
    box.setKeyboardTracking(False)
    return box


def _combo(items: dict[str, str], value: str, tip: str, name: str) -> QComboBox:
    box = QComboBox()
    for key, label in items.items():
        box.addItem(label, key)
    box.setCurrentIndex(max(0, box.findData(value)))
    box.setToolTip(tip)
    box.setAccessibleName(name)
    return box


class HyperparameterPanel(QWidget):
    modelShapeChanged = Signal()  # a new model is needed
    trainingChanged = Signal()  # the current model can continue with the new values

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        m, t = ModelConfig(), TrainConfig()
        self._vocab_size = m.vocab_size
        self._loading = False

        self.block_size = _spin(
            *LIMITS["block_size"],
            m.block_size,
            "block_size: how many previous characters the network sees to predict the next "
            "one (the context window). The lecture uses 3.",
            "Block size",
        )
        self.n_embd = _spin(
            *LIMITS["n_embd"],
            m.n_embd,
            "Embedding size: the length of each character's learned vector, a row of C. "
            "2 lets you plot it directly; the lecture's best model uses 10.",
            "Embedding size",
        )
        self.n_hidden = _spin(
            *LIMITS["n_hidden"],
            m.n_hidden,
            "Hidden units: neurons in the tanh layer (W1, b1). More units can learn more, "
            "but take longer per step. The lecture tries 100, 300 and 200.",
            "Hidden units",
            step=10,
        )
        self.init = _combo(
            INIT_LABELS,
            t.init,
            "How the weights start. 'lecture': plain torch.randn, so the first loss is ~27. "
            "'scaled': small output layer and tanh-aware W1 (makemore part 3), so training "
            "does not waste its first steps undoing a bad start.",
            "Initialisation",
        )
        # the initialisation, BatchNorm and weight decay (later lectures) fold under one line
        self.later = LaterLectures(self.init, m.batchnorm, t.weight_decay)
        self.batchnorm = self.later.batchnorm
        self.weight_decay = self.later.weight_decay
        self.seed = _spin(
            0,
            INT32_MAX,
            min(t.seed, INT32_MAX),
            "Seed of the random generator for the initial weights and the minibatches: the "
            "same seed and settings give exactly the same run.",
            "Seed",
        )
        self.split_seed = _spin(
            0,
            INT32_MAX,
            42,
            "Seed of the shuffle before the 80/10/10 train/dev/test split. The lecture uses "
            "random.seed(42). Changing it changes which names are held out.",
            "Split seed",
        )
        self.batch_size = _spin(
            1,
            MAX_BATCH_SIZE,
            t.batch_size,
            "Minibatch size: examples per step. Small batches give a noisy but cheap "
            "estimate of the gradient; the lecture uses 32.",
            "Batch size",
        )
        self.steps = _spin(
            1,
            MAX_STEPS,
            t.steps,
            "Total training steps. The lecture's final run uses 200,000. You can raise it "
            "after a run ends and continue training the same model.",
            "Steps",
            step=1000,
        )
        self.lr = _lr_spin(
            t.lr,
            "Learning rate: how far each step moves the weights against the gradient. "
            "Too small learns slowly, too large diverges. The lecture's sweep found 0.1.",
            "Learning rate",
        )
        self.schedule = _combo(
            {k: k for k in SCHEDULES},
            t.schedule,
            "How the learning rate changes: 'constant'; 'step' is the lecture's decay "
            "(0.1, then 0.01 for the second half); 'cosine' glides smoothly down.",
            "Learning-rate schedule",
        )
        self.lr_decay_at = _spin(
            0,
            MAX_STEPS,
            t.lr_decay_at,
            "'step' schedule: the step at which the learning rate drops to 'lr after'. "
            "Late in training, smaller steps settle into a lower loss.",
            "Decay at step",
            step=1000,
        )
        self.lr_after = _lr_spin(
            t.lr_after,
            "The learning rate after the decay ('step') or at the last step ('cosine').",
            "Learning rate after decay",
        )
        self.engine = _combo(
            ENGINE_LABELS,
            t.engine,
            "'fast' computes the same gradients as PyTorch autograd with a hand-derived "
            "backward pass, several times faster. 'autograd' is the lecture's readable loop.",
            "Training engine",
        )
        self.parameter_count = QLabel()
        self.parameter_count.setAccessibleName("Parameter count")
        self.parameter_count.setToolTip(
            "Number of learned numbers: C + W1 + b1 + W2 + b2. The lecture's first model has "
            "3,481; the one with embedding 10 and 200 hidden units has 11,897."
        )
        self.parameter_count.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.preset = QComboBox()
        self.preset.addItem("Custom settings", None)
        for preset in PRESETS:
            self.preset.addItem(preset.name, preset.name)
        self.preset.setAccessibleName("Preset")
        self.preset.setToolTip(
            "One-click settings that reproduce the lecture's experiments, in its order: "
            "first model, larger hidden layer, larger embedding, final run, improved init."
        )
        self.preset_description = QLabel()
        self.preset_description.setWordWrap(True)
        set_text_colour(self.preset_description, "#444444")  # (a style sheet stops the zoom)
        self.preset_description.setAccessibleName("What the preset tests")
        self.preset_description.setVisible(False)
        self.preset.activated.connect(self._on_preset_chosen)
        preset_box = QGroupBox("Experiment")
        preset_layout = QVBoxLayout(preset_box)
        preset_layout.setContentsMargins(8, 6, 8, 6)
        preset_layout.addWidget(self.preset)
        preset_layout.addWidget(self.preset_description)

        model_box = QGroupBox("Model")
        model_form = _wrapping_form(model_box)
        model_form.setVerticalSpacing(3)  # compact: the panel fits a 1280 x 800 screen
        model_form.setContentsMargins(8, 6, 8, 6)
        model_form.addRow("Block size", self.block_size)
        model_form.addRow("Embedding size", self.n_embd)
        model_form.addRow("Hidden units", self.n_hidden)
        model_form.addRow("Seed", self.seed)
        model_form.addRow("Split seed", self.split_seed)
        model_form.addRow("Parameters", self.parameter_count)

        train_box = QGroupBox("Training")
        train_form = _wrapping_form(train_box)
        train_form.setVerticalSpacing(3)
        train_form.setContentsMargins(8, 6, 8, 6)
        train_form.addRow("Batch size", self.batch_size)
        train_form.addRow("Steps", self.steps)
        train_form.addRow("Learning rate", self.lr)
        train_form.addRow("Schedule", self.schedule)
        train_form.addRow("Decay at step", self.lr_decay_at)
        train_form.addRow("LR after", self.lr_after)
        train_form.addRow("Engine", self.engine)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)  # (the group boxes have margins of their own)
        layout.addWidget(preset_box)
        layout.addWidget(model_box)
        layout.addWidget(train_box)
        layout.addWidget(self.later)

        for box in (self.block_size, self.n_embd, self.n_hidden, self.seed, self.split_seed):
            box.valueChanged.connect(self._on_shape_changed)
        self.init.currentIndexChanged.connect(self._on_shape_changed)
        self.batchnorm.toggled.connect(self._on_shape_changed)
        self.weight_decay.valueChanged.connect(self._on_training_changed)
        for box in (self.batch_size, self.steps, self.lr_decay_at):
            box.valueChanged.connect(self._on_training_changed)
        for dbox in (self.lr, self.lr_after):
            dbox.valueChanged.connect(self._on_training_changed)
        self.schedule.currentIndexChanged.connect(self._on_training_changed)
        self.engine.currentIndexChanged.connect(self._on_training_changed)
        self._update_schedule_fields()
        self._update_parameter_count()

    # -- reading and writing values ---------------------------------------------------------
    def set_vocab_size(self, vocab_size: int) -> None:
        self._vocab_size = vocab_size
        self._update_parameter_count()
        self._forget_preset_if_edited()  # (the values may now be a preset's)

    def model_config(self) -> ModelConfig:
        return ModelConfig(
            self.block_size.value(),
            self.n_embd.value(),
            self.n_hidden.value(),
            self._vocab_size,
            batchnorm=self.batchnorm.isChecked(),
        )

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            batch_size=self.batch_size.value(),
            steps=self.steps.value(),
            lr=round(self.lr.value(), 6),
            schedule=self.schedule.currentData(),
            lr_decay_at=self.lr_decay_at.value(),
            lr_after=round(self.lr_after.value(), 6),
            init=self.init.currentData(),
            seed=self.seed.value(),
            engine=self.engine.currentData(),
            weight_decay=round(self.weight_decay.value(), 6),
        )

    def split_seed_value(self) -> int:
        return self.split_seed.value()

    def set_values(
        self,
        model: ModelConfig | None = None,
        train: TrainConfig | None = None,
        split_seed: int | None = None,
    ) -> None:
        """Show these values without emitting a change per field; one signal at the end."""
        shape_before = (self.model_config(), self.train_config().init, self.seed.value(),
                        self.split_seed.value())  # fmt: skip
        train_before = self.train_config()
        self._loading = True
        try:
            if model is not None:
                self.block_size.setValue(model.block_size)
                self.n_embd.setValue(model.n_embd)
                self.n_hidden.setValue(model.n_hidden)
                self.batchnorm.setChecked(model.batchnorm)
                self._vocab_size = model.vocab_size
            if train is not None:
                self.batch_size.setValue(train.batch_size)
                self.steps.setValue(train.steps)
                self.lr.setValue(train.lr)
                self.schedule.setCurrentIndex(max(0, self.schedule.findData(train.schedule)))
                self.lr_decay_at.setValue(train.lr_decay_at)
                self.lr_after.setValue(train.lr_after)
                self.init.setCurrentIndex(max(0, self.init.findData(train.init)))
                self.seed.setValue(min(train.seed, INT32_MAX))
                self.engine.setCurrentIndex(max(0, self.engine.findData(train.engine)))
                self.weight_decay.setValue(train.weight_decay)
            if split_seed is not None:
                self.split_seed.setValue(split_seed)
        finally:
            self._loading = False
        self._update_schedule_fields()
        self._update_parameter_count()
        self._forget_preset_if_edited()
        shape_after = (self.model_config(), self.train_config().init, self.seed.value(),
                       self.split_seed.value())  # fmt: skip
        if shape_after != shape_before:
            self.modelShapeChanged.emit()
        elif self.train_config() != train_before:
            self.trainingChanged.emit()

    def to_settings(self) -> dict[str, Any]:
        return {
            "model": self.model_config().to_dict(),
            "train": self.train_config().to_dict(),
            "split_seed": self.split_seed.value(),
        }

    def restore_settings(self, values: object) -> None:
        """Restore values saved by to_settings(). A settings file is untrusted input (edited
        by hand, written by another version): each part that does not validate keeps the
        panel's value (the default at start); nothing here raises."""
        if not isinstance(values, dict):
            return
        self.set_values(
            _valid_config(ModelConfig, values.get("model")),
            _valid_config(TrainConfig, values.get("train")),
            _valid_split_seed(values.get("split_seed")),
        )

    # -- presets ------------------------------------------------------------------------------
    def _on_preset_chosen(self, index: int) -> None:
        name = self.preset.itemData(index)
        preset = next((p for p in PRESETS if p.name == name), None)
        if preset is None:
            self.preset_description.setVisible(False)
            return
        self.apply_preset(preset)
        # Space now starts training (Start / Pause), as before the choice: a combo box
        # with focus would open its list instead
        self.preset.clearFocus()

    def apply_preset(self, preset: Preset) -> None:
        """Show the preset's values (one change signal) and say what it tests."""
        self.preset.setCurrentIndex(max(0, self.preset.findData(preset.name)))
        self.preset_description.setText(preset.description)
        self.preset_description.setVisible(True)
        train = preset.train.replace(engine=self.engine.currentData())  # keep the engine choice
        self._chosen_preset = preset
        self.set_values(preset.model.config(self._vocab_size), train, None)

    def _matches(self, preset: Preset | None) -> bool:
        if preset is None:
            return False
        train = self.train_config()
        return self.model_config() == preset.model.config(self._vocab_size) and (
            train.replace(engine=preset.train.engine) == preset.train
        )

    def _forget_preset_if_edited(self) -> None:
        """The preset the values are (the one chosen first; the defaults are the Final run),
        or "Custom settings" once they are no preset's."""
        chosen = getattr(self, "_chosen_preset", None)
        preset = chosen if self._matches(chosen) else None
        preset = preset or next((p for p in PRESETS if self._matches(p)), None)
        if preset is None:
            if self.preset.currentIndex() > 0:
                self.preset.setCurrentIndex(0)
                self.preset_description.setVisible(False)
            return
        if self.preset.currentData() != preset.name:
            # named, but described only when chosen: the panel keeps its height at start
            self.preset.setCurrentIndex(max(0, self.preset.findData(preset.name)))
            self.preset_description.setText(preset.description)
            self.preset_description.setVisible(preset is chosen)
        self._chosen_preset = preset

    # -- reacting to edits ------------------------------------------------------------------
    def _on_shape_changed(self) -> None:
        self._update_parameter_count()
        if not self._loading:
            self._forget_preset_if_edited()
            self.modelShapeChanged.emit()

    def _on_training_changed(self) -> None:
        self._update_schedule_fields()
        if not self._loading:
            self._forget_preset_if_edited()
            self.trainingChanged.emit()

    def _update_schedule_fields(self) -> None:
        schedule = self.schedule.currentData()
        self.lr_decay_at.setEnabled(schedule == "step")
        self.lr_after.setEnabled(schedule in ("step", "cosine"))

    def _update_parameter_count(self) -> None:
        config = self.model_config()
        count = parameter_count(config)
        c = config
        if count > MAX_PARAMETERS:
            self.parameter_count.setText(
                f"<b style='color:#b00'>{count:,}: too many (at most {MAX_PARAMETERS:,})</b>"
            )
        else:
            self.parameter_count.setText(f"<b>{count:,}</b>")
        self.parameter_count.setToolTip(
            "Number of learned numbers:\n"
            f"C  {c.vocab_size} x {c.n_embd} = {c.vocab_size * c.n_embd:,}\n"
            f"W1 {c.block_size * c.n_embd} x {c.n_hidden} = "
            f"{c.block_size * c.n_embd * c.n_hidden:,}\n"
            f"b1 {c.n_hidden:,}\n"
            f"W2 {c.n_hidden} x {c.vocab_size} = {c.n_hidden * c.vocab_size:,}\n"
            f"b2 {c.vocab_size}\n"
            "The lecture's first model has 3,481; with embedding 10 and 200 hidden, 11,897."
        )


_Config = TypeVar("_Config", ModelConfig, TrainConfig)


def _wrapping_form(box: QWidget) -> QFormLayout:
    """A form whose fields go under their labels when the panel is too narrow for both
    (large text on a small screen): the panel never needs to scroll sideways."""
    form = QFormLayout(box)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    return form


def _valid_config(kind: type[_Config], fields: object) -> _Config | None:
    """kind(**fields) if it validates and every whole number fits a spin box, else None."""
    if not isinstance(fields, dict) or not all(isinstance(k, str) for k in fields):
        return None
    try:
        config = kind(**fields)
        config.validate()
    except (TypeError, ValueError, OverflowError):  # ConfigError is a ValueError
        return None
    # The seed is clamped to the spin box (set_values), the rest must fit it as they are.
    for name, value in dataclasses.asdict(config).items():
        if name != "seed" and isinstance(value, int) and not -INT32_MAX <= value <= INT32_MAX:
            return None
    return config


def _valid_split_seed(value: object) -> int | None:
    """A split seed the spin box can show (0 to 2**31 - 1), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT32_MAX:
        return None
    return value
