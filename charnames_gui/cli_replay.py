"""`charnames replay MODEL --out embedding.mp4`: a model's training as a video for slides.

The replay frames saved with a model (core/snapshots.py) drawn as one view (core/
replay_render.py) and written as MP4, GIF or a PNG still (core/replay_export.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from charnames_gui.core.errors import ConfigError, ModelFileError


def add_parser(sub: Any) -> None:
    """The subcommand's arguments (sub: the main parser's subparsers)."""
    from charnames_gui.core.replay_export import DEFAULT_FPS, FORMATS
    from charnames_gui.core.replay_render import SIZES, VIEWS

    replay = sub.add_parser(
        "replay",
        help="a model's training as a video or picture for slides (its replay frames)",
    )
    replay.add_argument("model", help="a model file saved with its replay (.safetensors)")
    replay.add_argument(
        "--out", required=True, help=f"the file to write: {', '.join(FORMATS)} (by its suffix)"
    )
    replay.add_argument("--view", choices=VIEWS, default="embedding", help="default embedding")
    replay.add_argument(
        "--context",
        default="",
        help="bars: the text before the next character (its last block_size characters; "
        "default: the start of a name)",
    )
    replay.add_argument("--size", choices=list(SIZES), default="1280x720")
    replay.add_argument("--fps", type=int, default=DEFAULT_FPS, help=f"default {DEFAULT_FPS}")
    replay.add_argument(
        "--step",
        type=int,
        help="a still (.png, .svg): the frame at or before this step (default: the last)",
    )
    replay.set_defaults(func=cmd_replay)


def cmd_replay(args: argparse.Namespace) -> int:
    from charnames_gui.core.checkpoint import load_model
    from charnames_gui.core.forward import context_from_text
    from charnames_gui.core.replay_export import STILLS, export_replay
    from charnames_gui.core.replay_render import ReplayRenderer, parse_size

    model_file = load_model(args.model)
    name = Path(args.model).name
    if model_file.replay_note:
        print(f"{name}: {model_file.replay_note}", file=sys.stderr)
    store = model_file.replay
    if store is None or not store.frames:
        raise ModelFileError(
            f"{name} has no replay frames: models trained in this version (in the app, or "
            "with `charnames train --out`) are saved with them"
        )
    vocab, config = model_file.vocab, model_file.model.config
    context = tuple(context_from_text(args.context, vocab, config.block_size))
    renderer = ReplayRenderer(store, vocab.itos, args.view, context, parse_size(args.size))
    frame = -1 if args.step is None else store.index_at(args.step)
    if args.step is not None and args.step < 0:
        raise ConfigError("--step must be a number of steps (0 or more)")
    show = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show:
            print(f"\rframe {done}/{total}", end="", file=sys.stderr, flush=True)

    try:
        # never over the model file it comes from
        path = export_replay(
            renderer, args.out, args.fps, progress, frame=frame, protect=(args.model,)
        )
    finally:
        if show:
            print(file=sys.stderr)
    steps = store.steps
    shown = f"step {steps[frame]:,}" if path.suffix.lower() in STILLS else (
        f"{len(steps)} frames, steps {steps[0]:,} to {steps[-1]:,}"
    )  # fmt: skip
    print(f"wrote {path} ({args.view}, {shown})")
    return 0
