"""A replay written as a video or a picture for slides, with progress and cancel.

    .mp4  H.264 by ffmpeg (imageio + imageio-ffmpeg, which brings its own ffmpeg binary);
          yuv420p so browsers and slide software play it
    .gif  Pillow, every frame on one fixed palette (the pictures have a few flat colours)
    .png  one still picture (the frame given), at slide resolution
    .svg  the same still as a drawing (sharp at any size; the hidden layer's picture inside)

The file appears only when complete, written by core/atomic.py (atomic_write, or
atomic_output for ffmpeg's file): a cancel or an error leaves any earlier file untouched, and
the files in `protect` (the model file, its dataset) are never written over. The export is
a plain function: the app runs it on a worker thread, the CLI in its own process.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from PIL import Image

from charnames_gui.core.atomic import atomic_output, atomic_write, check_writable_target
from charnames_gui.core.errors import CharnamesError, FileAccessError
from charnames_gui.core.replay_render import ReplayRenderer

FORMATS = (".mp4", ".gif", ".png", ".svg")
STILLS = (".png", ".svg")  # one frame, not the run
DEFAULT_FPS = 10
MAX_FPS = 60


class ExportError(CharnamesError):
    """The export could not be written (the message says why, in a learner's words)."""


class ExportCancelled(CharnamesError):
    """The export was cancelled; nothing was written."""

    def __init__(self) -> None:
        super().__init__("The export was cancelled; no file was written")


Progress = Callable[[int, int], None]  # (frames done, frames in all)


def export_replay(
    renderer: ReplayRenderer,
    path: str | Path,
    fps: int = DEFAULT_FPS,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    frame: int = -1,
    protect: Iterable[str | Path | None] = (),
) -> Path:
    """Write the replay to `path` (its suffix picks the format); `frame` is the picture of a
    still (.png, .svg). progress(done, total) is called after every frame; cancelled() is
    asked before each, and a true answer raises ExportCancelled. Returns the path written."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(f"Export to {', '.join(FORMATS)}, not {suffix or 'a file without one'}")
    if not 1 <= fps <= MAX_FPS:
        raise ExportError(f"The frame rate must be between 1 and {MAX_FPS}, not {fps}")
    protect = tuple(protect)
    try:
        check_writable_target(target, protect)  # before minutes of frames, not after
        if suffix in STILLS:
            i = frame % len(renderer)
            if suffix == ".svg":
                atomic_write(target, renderer.render_svg(i), protect=protect)
            else:
                buffer = io.BytesIO()
                renderer.render(i).save(buffer, format="PNG")
                atomic_write(target, buffer.getvalue(), protect=protect)
            if progress is not None:
                progress(1, 1)
        elif suffix == ".gif":
            data = _gif_bytes(_frames(renderer, progress, cancelled), fps)
            atomic_write(target, data, protect=protect)
        else:
            with atomic_output(target, protect=protect) as tmp:
                _write_mp4(_frames(renderer, progress, cancelled), tmp, renderer.size, fps)
    except FileAccessError as exc:
        raise ExportError(str(exc).replace("Cannot write", "Cannot export")) from None
    except OSError as exc:
        raise ExportError(f"Could not write {target.name}: {exc.strerror or exc}") from exc
    return target


def _frames(
    renderer: ReplayRenderer, progress: Progress | None, cancelled: Callable[[], bool] | None
) -> Iterator[Image.Image]:
    total = len(renderer)
    for i in range(total):
        if cancelled is not None and cancelled():
            raise ExportCancelled
        yield renderer.render(i)
        if progress is not None:
            progress(i + 1, total)


def _write_mp4(frames: Iterator[Image.Image], path: Path, size: tuple[int, int], fps: int) -> None:
    import imageio_ffmpeg
    import numpy as np

    # the first frame before ffmpeg starts: a cancel before it never starts ffmpeg (which
    # would log that its file is invalid, from the export's thread)
    first = next(frames, None)
    if first is None:
        raise ExportError("There are no frames to export")
    writer = imageio_ffmpeg.write_frames(
        str(path),
        size,
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",  # what browsers play
        macro_block_size=8,  # 1280x720 and 1920x1080 (1088 rows are not forced)
        # the format by name: the temporary file's name ends in .tmp; the index (moov) at
        # the start, so that a browser plays it before the whole file has come
        output_params=[
            *("-preset", "veryfast", "-crf", "20", "-threads", "2"),
            *("-movflags", "+faststart", "-f", "mp4"),
        ],
        ffmpeg_log_level="error",
    )
    writer.send(None)  # start ffmpeg
    try:
        writer.send(np.asarray(first, dtype=np.uint8))
        for image in frames:
            writer.send(np.asarray(image, dtype=np.uint8))
    except BaseException:
        with contextlib.suppress(Exception):
            writer.close()
        raise
    try:
        writer.close()
    except (OSError, RuntimeError) as exc:
        raise ExportError(f"ffmpeg could not write the video: {exc}") from exc


def _gif_bytes(frames: Iterator[Image.Image], fps: int) -> bytes:
    # One palette for all frames (from the first): flat colours survive; quantizing to a
    # given palette is fast, and the frames are kept as 1 byte a pixel until written.
    palette_frames: list[Image.Image] = []
    palette: Image.Image | None = None
    for image in frames:
        if palette is None:
            palette = image.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
        palette_frames.append(image.quantize(palette=palette, dither=Image.Dither.NONE))
    if not palette_frames:
        raise ExportError("There are no frames to export")
    first, rest = palette_frames[0], palette_frames[1:]
    buffer = io.BytesIO()
    first.save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=rest,
        duration=round(1000 / fps),
        loop=0,
        optimize=False,
    )
    return buffer.getvalue()
