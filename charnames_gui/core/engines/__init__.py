"""Training engines: 'autograd' (the lecture's loop) and 'fast' (the same maths by hand)."""

from __future__ import annotations

import torch

from charnames_gui.core.config import DEFAULT_ENGINE, ENGINES
from charnames_gui.core.engines.autograd import AutogradEngine
from charnames_gui.core.engines.base import Engine
from charnames_gui.core.errors import ConfigError
from charnames_gui.core.model import MLP


def make_engine(name: str, model: MLP, X: torch.Tensor, Y: torch.Tensor) -> Engine:
    """An engine training model on the examples (X, Y)."""
    if name == "autograd":
        return AutogradEngine(model, X, Y)
    if name == "fast":
        from charnames_gui.core.engines.fast import FastEngine

        try:
            return FastEngine(model, X, Y)
        except ConfigError as exc:  # say why, and train with the reference engine instead
            engine = AutogradEngine(model, X, Y)
            engine.note = f"The fast engine cannot train this model ({exc}); using autograd."
            return engine
    raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, not {name!r}")


__all__ = ["DEFAULT_ENGINE", "ENGINES", "AutogradEngine", "Engine", "make_engine"]
