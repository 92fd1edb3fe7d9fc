"""Export dialogs: where they open, the extension, the file's permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from helpers import ScriptedDialogs, named
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from test_close_warning import a_run

from charnames_gui.core.atomic import atomic_write
from charnames_gui.core.errors import CharnamesError
from charnames_gui.ui.window import exports
from charnames_gui.ui.window.app_settings import AppSettings
from charnames_gui.ui.window.exports import LOSS_PNG, RUNS_CSV, export_file, with_suffix


class RecordingDialogs(ScriptedDialogs):
    def __init__(self, answers: list[str]) -> None:
        super().__init__(save_paths=answers)
        self.suggested: list[str] = []

    def save_path(self, title: str, file_filter: str, suggested: str = "") -> str | None:
        self.suggested.append(suggested)
        return super().save_path(title, file_filter, suggested)


def _settings(tmp_path: Path) -> AppSettings:
    return AppSettings.at(tmp_path / "settings.json")


def test_first_export_opens_in_documents_then_in_the_last_folder(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr(exports, "documents_folder", lambda: documents)
    chosen = tmp_path / "figures"
    chosen.mkdir()
    dialogs = RecordingDialogs([str(chosen / "a.png"), str(chosen / "b.png")])
    settings = _settings(tmp_path)
    export_file(dialogs, settings, LOSS_PNG, lambda p: Path(p).write_bytes(b"png"), print)
    assert dialogs.suggested[0] == str(documents / "loss.png")  # never the working folder
    export_file(dialogs, settings, LOSS_PNG, lambda p: Path(p).write_bytes(b"png"), print)
    assert dialogs.suggested[1] == str(chosen / "loss.png")
    # a CSV still starts in Documents: the folder is kept per kind of file
    export_file(dialogs, settings, RUNS_CSV, lambda p: None, print)
    assert dialogs.suggested[2] == str(documents / "runs.csv")


def test_the_extension_is_added_when_missing(qtbot, tmp_path: Path) -> None:
    dialogs = ScriptedDialogs(save_paths=[str(tmp_path / "my plot")])
    written = export_file(dialogs, _settings(tmp_path), LOSS_PNG,
                          lambda p: Path(p).write_bytes(b"png"), print)  # fmt: skip
    assert written == tmp_path / "my plot.png" and written.is_file()
    assert with_suffix("a.PNG", ".png").name == "a.PNG"
    assert with_suffix("run.v2", ".csv").name == "run.v2.csv"


def test_files_get_the_users_normal_permissions(qtbot, tmp_path: Path) -> None:
    def write_private(path: str) -> None:  # as a write through mkstemp leaves it
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)

    dialogs = ScriptedDialogs(save_paths=[str(tmp_path / "runs.csv")])
    written = export_file(dialogs, _settings(tmp_path), RUNS_CSV, write_private, print)
    assert written is not None
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(written.stat().st_mode) == 0o666 & ~mask


def test_a_failed_export_says_why(qtbot, tmp_path: Path) -> None:
    errors: list[tuple[str, str]] = []

    def refuse(path: str) -> None:
        raise CharnamesError("There is no run history to export.")

    dialogs = ScriptedDialogs(save_paths=[str(tmp_path / "x.csv"), str(tmp_path / "no/x.csv")])
    settings = _settings(tmp_path)
    assert (
        export_file(dialogs, settings, RUNS_CSV, refuse, lambda t, m: errors.append((t, m))) is None
    )
    assert errors[-1] == ("Cannot export", "There is no run history to export.")
    assert export_file(dialogs, settings, RUNS_CSV, lambda p: Path(p).write_text(""),
                       lambda t, m: errors.append((t, m))) is None  # fmt: skip
    assert "does not exist" in errors[-1][1] and "x.csv" in errors[-1][1]


def test_documents_only_when_it_exists(qtbot, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "Documents"
    monkeypatch.setattr(exports.QStandardPaths, "writableLocation", lambda kind: str(missing))
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path))
    assert exports.documents_folder() == tmp_path  # no ~/Documents: home, never the cwd
    missing.mkdir()
    assert exports.documents_folder() == missing


def test_a_replaced_file_keeps_its_permissions(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "runs.csv"
    target.write_text("old")
    os.chmod(target, 0o600)  # the learner made it private
    dialogs = ScriptedDialogs(save_paths=[str(target)])
    written = export_file(dialogs, _settings(tmp_path), RUNS_CSV,
                          lambda p: atomic_write(p, "new"), print)  # fmt: skip
    assert written == target and target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_an_export_never_replaces_the_dataset_or_a_pipe(
    qtbot, make_window, tmp_path: Path, small_dataset_file: Path
) -> None:
    """A dataset saved as names.csv, and the loss CSV exported onto it: refused, the
    dataset intact; a named pipe as the target: refused at once, never opened."""
    dataset = tmp_path / "names.csv"
    dataset.write_bytes(small_dataset_file.read_bytes())
    window = make_window(open_data=False)
    assert window.file_commands.open_dataset(dataset)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    window.dialogs.save_paths += [str(dataset), str(fifo)]
    window.export_commands.export_losses_csv()
    title, message = window.dialogs.errors[-1]
    assert title == "Cannot export" and "names.csv" in message and "another file name" in message
    assert dataset.read_bytes() == small_dataset_file.read_bytes()
    window.export_commands.export_losses_csv()
    assert "not a file" in window.dialogs.errors[-1][1]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_the_views_own_export_buttons_never_replace_the_model_or_its_dataset(
    qtbot, make_window, tmp_path: Path, small_dataset_file: Path
) -> None:
    """The Sampling panel's Export… and the Runs view's Export CSV… go through the window's
    one export path: the model's file and its dataset (also through a link) are refused with a
    message and left whole; another file is written."""
    dataset = tmp_path / "names.txt"
    dataset.write_bytes(small_dataset_file.read_bytes())
    window = make_window(open_data=False)
    assert window.file_commands.open_dataset(dataset)
    window.dialogs.save_paths.append(str(tmp_path / "model.safetensors"))
    assert window.file_commands.save_model_as()
    model = tmp_path / "model.safetensors"
    model_bytes, dataset_bytes = model.read_bytes(), dataset.read_bytes()
    link = tmp_path / "runs.csv"  # an innocent name that points to the model
    link.symlink_to(model)

    panel = window.sampling_panel
    panel.sample_batch(5)
    window.dialogs.save_paths += [str(dataset), str(tmp_path / "out.txt")]
    qtbot.mouseClick(named(panel, QPushButton, "Export…"), Qt.MouseButton.LeftButton)
    title, message = window.dialogs.errors[-1]
    assert title == "Cannot export" and "names.txt" in message and "another file name" in message
    assert dataset.read_bytes() == dataset_bytes
    qtbot.mouseClick(named(panel, QPushButton, "Export…"), Qt.MouseButton.LeftButton)
    assert (tmp_path / "out.txt").read_text().splitlines() == panel.shown().names
    assert len(window.dialogs.errors) == 1

    history = window.run_history
    qtbot.waitUntil(lambda: history.is_open, timeout=10_000)
    history.add(a_run())
    qtbot.waitUntil(window.runs_view.export_button.isEnabled, timeout=10_000)
    window.dialogs.save_paths.append(str(link))
    qtbot.mouseClick(window.runs_view.export_button, Qt.MouseButton.LeftButton)
    title, message = window.dialogs.errors[-1]
    assert title == "Cannot export" and "model.safetensors" in message
    assert model.read_bytes() == model_bytes and link.is_symlink()
