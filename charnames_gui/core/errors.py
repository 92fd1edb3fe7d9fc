"""Errors the core raises for bad input. Each carries a one-line message meant for the user."""


class CharnamesError(Exception):
    """Base class: the message is a complete sentence a learner can act on."""


class DatasetError(CharnamesError, ValueError):
    """The file is not a usable list of names."""


class ConfigError(CharnamesError, ValueError):
    """A hyperparameter is out of range."""


class ModelFileError(CharnamesError):
    """The file is not a model file this version of the app can load."""


class TrainingDiverged(CharnamesError):
    """The loss became NaN or infinite; the parameters are those of the last finite step."""

    def __init__(self, step: int, loss: float) -> None:
        self.step = step
        self.loss = loss
        super().__init__(
            f"Training diverged at step {step:,}: the loss became {loss}. "
            "The learning rate is probably too high; lower it and start again."
        )


class FileAccessError(CharnamesError, ValueError):
    """A file the app was handed is not a regular file it can read within its size limit."""


class SettingsError(ValueError):
    """A settings value that does not pass its key's check (core/settings_store.py,
    core/window_state.py). The message says why in a few words; the value is dropped, never
    shown to the learner as a sentence of its own."""
