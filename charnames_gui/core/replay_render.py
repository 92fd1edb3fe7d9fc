"""Replay frames as pictures, without Qt (Pillow): for the CLI's export and the app's.

Three views of the model at a frame, each with the step, the loss and the names sampled
at that step in the picture:

    embedding  the rows of C as labelled points, one fixed map for all frames
               (core/replay_projection.py), so motion on screen is motion in C
    bars       probs = softmax(logits) of the next character after a context
    hidden     the saturation image of makemore part 3: h = tanh(emb @ W1 + b1) for the
               replay's fixed probe contexts (rows) and every hidden unit (columns), white
               where |h| > 0.99 (tanh passes almost no gradient there)

bars and hidden need the whole model: a replay of a model too large to keep every
parameter (core/snapshots.py's policy) has only C, and only the embedding view.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from charnames_gui.core.display import display_char, display_text
from charnames_gui.core.replay_canvas import Canvas, PillowCanvas, SvgCanvas
from charnames_gui.core.replay_projection import ReplayProjection
from charnames_gui.core.saturation import SATURATION
from charnames_gui.core.snapshots import Frame, SnapshotStore

VIEWS = ("embedding", "bars", "hidden")
SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
BACKGROUND = (255, 255, 255)
INK = (20, 20, 20)
MUTED = (110, 110, 110)
GRID = (225, 225, 225)
POINT = (31, 119, 180)  # the blue of matplotlib's first colour, as in the lecture's plots
BOUNDARY = (214, 39, 40)  # '.' stands out
PROBABILITY_STEPS = (0.01, 0.02, 0.05, 0.1, 0.2)  # the bars' y axis: one of these per tick
MAX_PROBABILITY_TICKS = 5  # intervals on the bars' y axis


class ReplayViewError(ValueError):
    """A view this replay cannot show (bars or hidden of a replay that keeps only C)."""


@dataclass(frozen=True)
class ReplayRenderer:
    """Draws frame i of a store as one view, at one size."""

    store: SnapshotStore
    itos: tuple[str, ...]
    view: str = "embedding"
    context: tuple[int, ...] = ()  # bars: block_size indices (default: the start of a name)
    size: tuple[int, int] = (1280, 720)
    projection: ReplayProjection | None = None  # embedding: default, from the frames

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ReplayViewError(f"view must be one of {', '.join(VIEWS)}, not {self.view!r}")
        if not self.store.frames:
            raise ReplayViewError("This model has no replay frames")
        if self.view != "embedding" and not self.store.policy.complete:
            raise ReplayViewError(
                f"{self.store.only_c_reason().capitalize()}: only the embedding view can be "
                f"shown, not {self.view}"
            )
        if self.view == "hidden" and len(self.store.probe) == 0:
            raise ReplayViewError("This replay has no example contexts for the hidden layer")
        if self.view == "embedding" and self.projection is None:
            object.__setattr__(self, "projection", ReplayProjection.for_frames(self.store.frames))
        if not self.context:
            object.__setattr__(self, "context", (0,) * self.store.config.block_size)

    def __len__(self) -> int:
        return len(self.store.frames)

    def render(self, i: int) -> Image.Image:
        """Frame i as a picture (PNG, GIF and video frames)."""
        canvas = PillowCanvas(self.size, BACKGROUND)
        self.draw(canvas, i)
        return canvas.image

    def render_svg(self, i: int) -> str:
        """Frame i as an SVG document (a still that stays sharp on a slide)."""
        canvas = SvgCanvas(self.size, BACKGROUND)
        self.draw(canvas, i)
        frame = self.store.frames[i]
        return canvas.document(f"{self.view_title()}, step {frame.step:,}")

    def draw(self, canvas: Canvas, i: int) -> None:
        frame = self.store.frames[i]
        w, h = self.size
        unit = h / 720  # sizes below are for 720 rows, scaled
        top, bottom = round(70 * unit), round(h - 60 * unit)
        box = (round(70 * unit), top, round(w - 40 * unit), bottom)
        _header(canvas, frame, self.view_title(), unit, w, len(self.store.frames), i)
        if self.view == "embedding":
            assert self.projection is not None
            points = self.projection.project(frame.weights["C"])
            draw_scatter(canvas, box, points, self.itos, self.projection.limits, unit)
        elif self.view == "bars":
            draw_bars(canvas, box, self.bar_probs[i], self.itos, unit, self.bar_axis)
        else:
            h_act = hidden_activations(frame.float_weights(), self.store.probe)
            draw_saturation(canvas, box, h_act, unit)
        names = "   ".join(
            display_text("".join(self.itos[c] for c in n)) for n in self.store.names_of(frame)
        )
        canvas.text((box[0], h - 45 * unit), f"samples: {names}", MUTED, round(20 * unit))

    @functools.cached_property
    def bar_probs(self) -> tuple[np.ndarray, ...]:
        """bars: each frame's (vocab_size,) distribution after the context (computed once, on
        the first frame drawn: on the export's thread, not while the renderer is made)."""
        return tuple(next_char_probs(f.float_weights(), self.context) for f in self.store.frames)

    @functools.cached_property
    def bar_axis(self) -> tuple[float, float]:
        """bars: (top, tick step) of the probability axis, held over the whole replay: the
        axis stays still and a bar that grows on screen grows in probability."""
        highest = max((float(np.nanmax(p)) for p in self.bar_probs if np.isfinite(p).any()),
                      default=math.nan)  # fmt: skip
        return probability_axis(highest)

    def view_title(self) -> str:
        if self.view == "embedding":
            return "the embedding C"
        if self.view == "bars":
            shown = display_text("".join(self.itos[c] for c in self.context))
            return f"next character after '{shown}'"
        return f"hidden layer on {len(self.store.probe)} training contexts (white: |h| > 0.99)"


def _header(canvas: Canvas, frame: Frame, title: str, unit: float, w: int, n: int, i: int) -> None:
    loss = "" if math.isnan(frame.loss) else f"   loss {frame.loss:.3f}"
    canvas.text(
        (round(40 * unit), round(14 * unit)), f"step {frame.step:,}{loss}", INK, round(34 * unit)
    )
    canvas.text(
        (w - round(40 * unit), round(24 * unit)),
        f"{title}   frame {i + 1}/{n}",
        MUTED,
        round(20 * unit),
        anchor="ra",
    )


def draw_scatter(
    canvas: Canvas,
    box: tuple[int, int, int, int],
    points: np.ndarray,
    itos: Sequence[str],
    limits: tuple[float, float, float, float],
    unit: float,
) -> None:
    """The lecture's scatter of C: a dot per character with its label on it."""
    x0, y0, x1, y1 = box
    canvas.rect(box, outline=GRID, width=max(1, round(unit)))
    lx0, lx1, ly0, ly1 = limits
    sx = (x1 - x0) / max(lx1 - lx0, 1e-12)
    sy = (y1 - y0) / max(ly1 - ly0, 1e-12)
    r = 16 * unit
    label_size = round(20 * unit)
    for k, (px, py) in enumerate(points):
        cx = x0 + (px - lx0) * sx
        cy = y1 - (py - ly0) * sy  # y grows upwards, as in a plot
        canvas.ellipse((cx - r, cy - r, cx + r, cy + r), BOUNDARY if k == 0 else POINT)
        canvas.text((cx, cy), display_char(itos[k]), BACKGROUND, label_size, anchor="mm")


def probability_axis(highest: float) -> tuple[float, float]:
    """(top, step) of a probability axis that reaches `highest`: at most
    MAX_PROBABILITY_TICKS steps of one of PROBABILITY_STEPS, the top a whole number of steps
    (0.13 -> (0.15, 0.05); 0.62 -> (0.8, 0.2)). The whole 0..1 for a value that is not finite."""
    if not math.isfinite(highest) or highest > 1.0:
        highest = 1.0
    highest = max(highest, PROBABILITY_STEPS[0])
    for step in PROBABILITY_STEPS:
        ticks = math.ceil(round(highest / step, 9))  # (0.3 / 0.1 is 2.9999999999999996)
        if ticks <= MAX_PROBABILITY_TICKS:
            return round(ticks * step, 9), step
    return 1.0, PROBABILITY_STEPS[-1]


def probability_ticks(top: float, step: float) -> list[tuple[float, str]]:
    """The axis's ticks 0, step, .. top with their labels, all with the same decimals
    (0.00 0.05 0.10, or 0.0 0.2 0.4)."""
    decimals = 1 if step >= 0.1 else 2
    count = round(top / step)
    return [(k * step, f"{k * step:.{decimals}f}") for k in range(count + 1)]


def draw_bars(
    canvas: Canvas,
    box: tuple[int, int, int, int],
    probs: np.ndarray,
    itos: Sequence[str],
    unit: float,
    axis: tuple[float, float] | None = None,
) -> None:
    """One bar per character, its height the probability, on a y axis with its numbers:
    axis (top, step), held over the replay (default: from these probabilities alone)."""
    x0, y0, x1, y1 = box
    top, tick_step = axis if axis is not None else probability_axis(float(np.nanmax(probs)))
    label_h = round(30 * unit)
    base = y1 - label_h
    plot_top = y0 + round(36 * unit)  # above it, the axis's title and the most likely bar
    step = (x1 - x0) / len(probs)
    label_size = round(max(10, min(20, step * 0.7 / unit)) * unit)
    tick_size = round(18 * unit)
    for value, label in probability_ticks(top, tick_step):  # a grid line and a number each
        y = base - (base - plot_top) * value / top
        if value > 0:
            canvas.line((x0, y, x1, y), GRID)
        canvas.line((x0 - 6 * unit, y, x0, y), INK, max(1, round(unit)))
        canvas.text((x0 - 9 * unit, y), label, INK, tick_size, anchor="rm")
    canvas.line((x0, plot_top, x0, base), INK, max(1, round(unit)))
    canvas.text((round(20 * unit), y0), "probability", MUTED, round(20 * unit))
    for k, p in enumerate(probs):
        bx0 = x0 + k * step + step * 0.12
        bx1 = x0 + (k + 1) * step - step * 0.12
        height = min(float(p), top) if math.isfinite(p) else 0.0  # (a model that diverged)
        by = base - (base - plot_top) * height / top
        canvas.rect((bx0, by, bx1, base), fill=BOUNDARY if k == 0 else POINT)
        cx = (bx0 + bx1) / 2
        canvas.text((cx, base + 4 * unit), display_char(itos[k]), INK, label_size, anchor="ma")
    canvas.line((x0, base, x1, base), INK)
    if np.isfinite(probs).any():
        best = int(np.nanargmax(probs))
        canvas.text(
            (x1, y0),
            f"most likely '{display_char(itos[best])}' {float(probs[best]):.2f}",
            MUTED,
            round(20 * unit),
            anchor="ra",
        )


def draw_saturation(
    canvas: Canvas, box: tuple[int, int, int, int], h: np.ndarray, unit: float
) -> None:
    """The (examples, units) image of |h| > SATURATION, white where saturated."""
    x0, y0, x1, y1 = box
    saturated = np.abs(h) > SATURATION  # (n_examples, n_hidden)
    canvas.mask(saturated, (x0, y0 + round(30 * unit), x1, y1))
    share = float(saturated.mean()) if saturated.size else 0.0
    dead = int(saturated.all(axis=0).sum())
    canvas.text(
        (x0, y0),
        f"{share:.1%} saturated, {dead} dead units (saturated on every example)",
        INK,
        round(20 * unit),
    )


def next_char_probs(weights: dict[str, np.ndarray], context: Sequence[int]) -> np.ndarray:
    """softmax(logits) for one context: (vocab_size,) float64 (the lecture's forward)."""
    C, W1, b1, W2, b2 = (weights[k].astype(np.float64) for k in ("C", "W1", "b1", "W2", "b2"))
    emb = C[np.asarray(context, dtype=np.int64)].reshape(1, -1)  # (1, block_size * n_embd)
    logits = (np.tanh(emb @ W1 + b1) @ W2 + b2)[0]  # (vocab_size,)
    e = np.exp(logits - logits.max())
    return e / e.sum()


def hidden_activations(weights: dict[str, np.ndarray], probe: np.ndarray) -> np.ndarray:
    """h = tanh(emb @ W1 + b1) for the probe contexts: (n_probe, n_hidden) float32."""
    emb = weights["C"][probe].reshape(len(probe), -1)  # (n_probe, block_size * n_embd)
    return np.tanh(emb @ weights["W1"] + weights["b1"])


def parse_size(text: str) -> tuple[int, int]:
    """'1280x720' or '1920x1080'."""
    if text not in SIZES:
        raise ReplayViewError(f"size must be {' or '.join(SIZES)}, not {text!r}")
    return SIZES[text]
