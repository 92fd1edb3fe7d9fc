"""core.replay_render and core.replay_export: pictures of a frame, and videos that open."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from PIL import Image

from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.replay_export import ExportCancelled, ExportError, export_replay
from charnames_gui.core.replay_render import (
    ReplayRenderer,
    ReplayViewError,
    hidden_activations,
    next_char_probs,
    probability_axis,
    probability_ticks,
)
from charnames_gui.core.snapshots import Frame, ReplayPolicy, SnapshotStore
from charnames_gui.core.training import Trainer


@pytest.fixture(scope="module")
def trained() -> tuple[Trainer, Dataset]:
    from small_data import SMALL_WORDS

    dataset = Dataset(list(SMALL_WORDS))
    config = TrainConfig(batch_size=8, steps=14, seed=4)
    model = MLP.init(ModelConfig(3, 4, 16, dataset.vocab.size), config.init, config.seed)
    trainer = Trainer(model, dataset.examples(3), config)
    trainer.run(14)
    return trainer, dataset  # frames at steps 0..11, 12, 13, 14


def test_the_views_compute_what_the_model_computes(trained: tuple[Trainer, Dataset]) -> None:
    trainer, _ = trained
    frame = trainer.replay.frames[-1]
    context = (0, 3, 5)
    expected = torch.softmax(trainer.model.logits(torch.tensor([context])), dim=1)[0]
    probs = next_char_probs(frame.float_weights(), context)
    # float64 here, float32 in the model: float32 rounding of a 16-unit sum
    np.testing.assert_allclose(probs, expected.numpy(), atol=1e-6)
    probe = trainer.replay.probe
    emb = trainer.model.C[torch.from_numpy(probe)].view(len(probe), -1)
    h = torch.tanh(emb @ trainer.model.W1 + trainer.model.b1)
    np.testing.assert_allclose(hidden_activations(frame.float_weights(), probe), h, atol=1e-6)


@pytest.mark.parametrize("view", ["embedding", "bars", "hidden"])
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_every_view_draws_each_frame_at_slide_size(
    trained: tuple[Trainer, Dataset], view: str, size: tuple[int, int]
) -> None:
    trainer, dataset = trained
    renderer = ReplayRenderer(trainer.replay, dataset.vocab.itos, view, size=size)
    first, last = renderer.render(0), renderer.render(len(renderer) - 1)
    assert first.size == size and first.mode == "RGB"
    assert np.asarray(first).std() > 0  # not blank
    assert not np.array_equal(np.asarray(first), np.asarray(last))  # the step changed


def test_a_replay_of_c_alone_shows_the_embedding_only(trained: tuple[Trainer, Dataset]) -> None:
    trainer, dataset = trained
    config = trainer.model.config
    store = SnapshotStore(config, ReplayPolicy(("C",), "float16"), trainer.replay.probe)
    store.add(Frame(0, {"C": trainer.model.C.numpy().astype(np.float16)}, 2.0, 0.1))
    assert ReplayRenderer(store, dataset.vocab.itos).render(0).size == (1280, 720)
    with pytest.raises(ReplayViewError, match="only the embedding"):
        ReplayRenderer(store, dataset.vocab.itos, "bars")


def test_mp4_and_gif_have_a_frame_per_snapshot_and_report_progress(
    trained: tuple[Trainer, Dataset], tmp_path: Path
) -> None:
    trainer, dataset = trained
    renderer = ReplayRenderer(trainer.replay, dataset.vocab.itos, "embedding")
    n = len(trainer.replay)
    for suffix in (".mp4", ".gif"):
        seen: list[tuple[int, int]] = []

        def progress(done: int, total: int, seen: list[tuple[int, int]] = seen) -> None:
            seen.append((done, total))

        path = export_replay(renderer, tmp_path / f"r{suffix}", 10, progress)
        assert seen == [(i + 1, n) for i in range(n)]
        frames = iio.imread(path, index=None)  # (n, 720, 1280, 3): read back by another library
        assert frames.shape[:3] == (n, 720, 1280)
        if suffix == ".mp4":  # the index before the data: a browser starts playing at once
            data = path.read_bytes()
            assert 0 < data.find(b"moov") < data.find(b"mdat")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    png = export_replay(renderer, tmp_path / "still.png", frame=3)
    assert Image.open(png).size == (1280, 720)
    np.testing.assert_array_equal(np.asarray(Image.open(png)), np.asarray(renderer.render(3)))


def test_a_cancelled_export_writes_nothing_and_keeps_an_earlier_file(
    trained: tuple[Trainer, Dataset], tmp_path: Path
) -> None:
    trainer, dataset = trained
    renderer = ReplayRenderer(trainer.replay, dataset.vocab.itos, "bars")
    target = tmp_path / "r.mp4"
    target.write_bytes(b"earlier")
    done: list[int] = []
    with pytest.raises(ExportCancelled):
        export_replay(renderer, target, progress=lambda d, t: done.append(d),
                      cancelled=lambda: len(done) >= 3)  # fmt: skip
    assert done == [1, 2, 3]
    assert target.read_bytes() == b"earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["r.mp4"]


def test_bad_export_targets_are_clear_errors(
    trained: tuple[Trainer, Dataset], tmp_path: Path
) -> None:
    trainer, dataset = trained
    renderer = ReplayRenderer(trainer.replay, dataset.vocab.itos)
    with pytest.raises(ExportError, match=r"not \.avi"):
        export_replay(renderer, tmp_path / "r.avi")
    with pytest.raises(ExportError, match="does not exist"):
        export_replay(renderer, tmp_path / "missing" / "r.gif")
    with pytest.raises(ExportError, match="frame rate"):
        export_replay(renderer, tmp_path / "r.gif", fps=0)


def test_an_svg_still_is_the_same_drawing_and_its_text_is_data(
    trained: tuple[Trainer, Dataset], tmp_path: Path
) -> None:
    import xml.etree.ElementTree as ET

    trainer, dataset = trained
    # a dataset's characters can be anything: markup characters stay text
    itos = ("<", "&", '"', *dataset.vocab.itos[3:])
    svg = "{http://www.w3.org/2000/svg}"
    for view, size in (("embedding", (1920, 1080)), ("bars", (1280, 720)), ("hidden", (1280, 720))):
        renderer = ReplayRenderer(trainer.replay, itos, view, size=size)
        path = export_replay(renderer, tmp_path / f"{view}.svg", frame=4)
        root = ET.parse(path).getroot()  # well-formed XML
        assert (root.get("width"), root.get("height")) == tuple(str(v) for v in size)
        texts = [t.text or "" for t in root.iter(f"{svg}text")]
        step = trainer.replay.frames[4].step
        assert any(t.startswith(f"step {step:,}") for t in texts)
        if view == "embedding":  # a dot per character, labelled with the character itself
            assert len(list(root.iter(f"{svg}ellipse"))) == len(itos)
            assert {"<", "&", '"'} <= set(texts)
        if view == "bars":  # a bar per character (one rect is the background)
            assert len(list(root.iter(f"{svg}rect"))) == 1 + len(itos)
        if view == "hidden":  # the saturation picture inside
            assert len(list(root.iter(f"{svg}image"))) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_export_never_writes_over_its_model_file_or_a_special_file(
    trained: tuple[Trainer, Dataset], tmp_path: Path
) -> None:
    import os

    trainer, dataset = trained
    renderer = ReplayRenderer(trainer.replay, dataset.vocab.itos)
    model = tmp_path / "model.gif"  # a learner's slip: the name of a file the export reads
    model.write_bytes(b"the model")
    with pytest.raises(ExportError, match="which the export comes from"):
        export_replay(renderer, model, protect=(model,))
    assert model.read_bytes() == b"the model"
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(ExportError, match="named pipe"):  # refused at once, never opened
        export_replay(renderer, fifo)
    # a GIF that fails half-way leaves the earlier file as it was
    earlier = tmp_path / "r.gif"
    earlier.write_bytes(b"earlier")
    with pytest.raises(ExportCancelled):
        export_replay(renderer, earlier, cancelled=lambda: True)
    assert earlier.read_bytes() == b"earlier"


@pytest.mark.parametrize(
    ("highest", "top", "step"),
    [(0.037, 0.04, 0.01), (0.13, 0.15, 0.05), (0.25, 0.25, 0.05), (0.3, 0.3, 0.1),
     (0.62, 0.8, 0.2), (1.0, 1.0, 0.2), (float("nan"), 1.0, 0.2), (0.0, 0.01, 0.01)],
)  # fmt: skip
def test_the_probability_axis_is_a_few_round_steps_up_to_the_highest_bar(
    highest: float, top: float, step: float
) -> None:
    assert probability_axis(highest) == (pytest.approx(top), step)
    ticks = probability_ticks(top, step)
    assert 2 <= len(ticks) <= 6 and ticks[0] == (0.0, ticks[0][1])
    assert ticks[-1][0] == pytest.approx(top)
    assert len({len(label) for _, label in ticks}) == 1  # the same decimals on every tick


def test_exported_bars_have_numbers_on_an_axis_held_over_the_replay(
    trained: tuple[Trainer, Dataset],
) -> None:
    import xml.etree.ElementTree as ET

    trainer, dataset = trained
    renderer = ReplayRenderer(trainer.replay, dataset.vocab.itos, "bars", context=(0, 1, 2))
    top, step = renderer.bar_axis
    highest = max(float(next_char_probs(f.float_weights(), (0, 1, 2)).max())
                  for f in trainer.replay.frames)  # fmt: skip
    assert highest <= top < highest + step + 1e-9  # every bar fits, and no more than a step over
    labels = [label for _, label in probability_ticks(top, step)]
    svg = "{http://www.w3.org/2000/svg}"
    for i in (0, len(renderer) - 1):  # the same numbers on the first and the last frame
        texts = [t.text for t in ET.fromstring(renderer.render_svg(i)).iter(f"{svg}text")]
        assert [t for t in texts if t in labels] == labels
        assert "probability" in texts
