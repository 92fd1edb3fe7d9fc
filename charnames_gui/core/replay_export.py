"""A replay written as a video or a picture for slides, with progress and cancel.

    .mp4  H.264 by ffmpeg (imageio + imageio-ffmpeg, which brings its own ffmpeg binary);
          yuv420p so browsers and slide software play it
    .gif  Pillow, every frame on one fixed palette (the pictures have a few flat colours)
    .png  one still picture (the frame given), at slide resolution

The file appears only when complete: frames go to a temporary file beside it, renamed at the
end; a cancel or an error removes it and leaves any earlier file untouched. The export is a
plain function: the app runs it on a worker thread, the CLI in its own process.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from PIL import Image

from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.replay_render import ReplayRenderer

FORMATS = (".mp4", ".gif", ".png")
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
) -> Path:
    """Write the replay to `path` (its suffix picks the format); `frame` is the picture of a
    .png. progress(done, total) is called after every frame; cancelled() is asked before
    each, and a true answer raises ExportCancelled. Returns the path written."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ExportError(f"Export to {', '.join(FORMATS)}, not {suffix or 'a file without one'}")
    if not 1 <= fps <= MAX_FPS:
        raise ExportError(f"The frame rate must be between 1 and {MAX_FPS}, not {fps}")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"Cannot export: the folder {folder} does not exist")
    if target.is_dir():
        raise ExportError(f"Cannot export: {target} is a folder")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=folder)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        if suffix == ".png":
            renderer.render(frame % len(renderer)).save(tmp_path, format="PNG")
            if progress is not None:
                progress(1, 1)
        else:
            frames = _frames(renderer, progress, cancelled)
            if suffix == ".mp4":
                _write_mp4(frames, tmp_path, renderer.size, fps)
            else:
                _write_gif(frames, tmp_path, fps)
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    except OSError as exc:
        raise ExportError(f"Could not write {target.name}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
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

    writer = imageio_ffmpeg.write_frames(
        str(path),
        size,
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",  # what browsers play
        macro_block_size=8,  # 1280x720 and 1920x1080 (1088 rows are not forced)
        output_params=["-preset", "veryfast", "-crf", "20", "-threads", "2"],
        ffmpeg_log_level="error",
    )
    writer.send(None)  # start ffmpeg
    try:
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


def _write_gif(frames: Iterator[Image.Image], path: Path, fps: int) -> None:
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
    first.save(
        path,
        format="GIF",
        save_all=True,
        append_images=rest,
        duration=round(1000 / fps),
        loop=0,
        optimize=False,
    )
