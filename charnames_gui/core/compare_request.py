"""What the learner asks when comparing two presets (torch-free: the window imports it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PresetRequest:
    """Preset names of A and B, seeds trained of each, steps (None: each preset's own)."""

    a: str
    b: str
    seeds: int
    steps: int | None = None
