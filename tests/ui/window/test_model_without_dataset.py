"""A model file opened with no dataset: sampling and the embedding work from the file alone."""

from __future__ import annotations

from pathlib import Path

from charnames_gui.core.checkpoint import save_model
from charnames_gui.core.config import ModelConfig, TrainConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.model import MLP
from charnames_gui.core.model_file import ModelFile
from charnames_gui.core.sampling import Sampler
from charnames_gui.core.training import Trainer
from charnames_gui.ui.controller import TrainingState


def _trained_file(folder: Path, words: list[str]) -> tuple[Path, MLP, Dataset]:
    dataset = Dataset(words)
    model = MLP.init(ModelConfig(3, 6, 32, dataset.vocab.size), "scaled", 1)
    Trainer(model, dataset.examples(3), TrainConfig(steps=300, engine="autograd")).run(300)
    path = folder / "m.safetensors"
    save_model(path, ModelFile(model, dataset.vocab))
    return path, model, dataset


def test_open_a_model_with_no_dataset(qtbot, make_window, tmp_path: Path, small_words) -> None:
    path, model, dataset = _trained_file(tmp_path, small_words)
    win = make_window(open_data=False)
    assert win.controller.document.dataset is None
    assert win.file_commands.open_model(path)
    c = win.controller
    assert (
        c.document.trainer is None and c.document.state == TrainingState.NO_DATASET
    )  # nothing to train on
    assert win.status_state.text() == "no dataset"  # not "no model": it samples
    assert not win.controls.start_button.isEnabled()
    assert "No dataset" in win.dataset_label.text()
    # the embedding shows the file's C, the sampler draws the lecture's names from the file
    assert win.embedding_view.points().shape[0] == dataset.vocab.size
    panel = win.sampling_panel
    panel.sample_batch(5)
    assert panel._names.names() == Sampler.from_model(model, dataset.vocab).sample_names(5)
    assert panel._names.marks() == ["dataset unknown"] * 5
