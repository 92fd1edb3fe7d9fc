"""The update-to-data ratio of each parameter (makemore part 3): log10(lr * grad.std() /
param.std()), and its history over a run. Plain numbers, no torch: the hidden-layer view
keeps the history while core/hidden_stats.py measures each point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from charnames_gui.core.config import PARAMETER_NAMES

UD_GUIDE = -3.0  # the lecture's guide line: updates about 1/1000 of the data


def update_ratio(lr: float, grad_std: float, param_std: float) -> float:
    """log10(lr * grad.std() / param.std()); NaN when undefined (a parameter of zeros, such
    as b2 under the scaled initialisation, or a zero gradient)."""
    if not (param_std > 0 and grad_std > 0 and lr > 0) or not math.isfinite(grad_std):
        return math.nan
    return math.log10(lr * grad_std / param_std)


@dataclass
class UpdateRatioHistory:
    """The update-to-data ratio of each parameter over the steps of a run."""

    steps: list[int] = field(default_factory=list)
    ratios: dict[str, list[float]] = field(
        default_factory=lambda: {name: [] for name in PARAMETER_NAMES}
    )

    def add(self, step: int, ratios: Mapping[str, float]) -> None:
        """The ratios measured at `step` (HiddenStats.update_ratios: name -> log10 ratio)."""
        if self.steps and step == self.steps[-1]:
            # the same step again (the run's last snapshot, then its final weights when the
            # worker stops): the newer values replace the point, the curve stays
            for name in PARAMETER_NAMES:
                self.ratios[name][-1] = ratios.get(name, math.nan)
            return
        if self.steps and step < self.steps[-1]:  # a new model, or a rewound one
            self.clear()
        self.steps.append(step)
        for name in PARAMETER_NAMES:
            self.ratios[name].append(ratios.get(name, math.nan))

    def clear(self) -> None:
        self.steps.clear()
        for values in self.ratios.values():
            values.clear()
