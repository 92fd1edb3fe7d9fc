"""Unsaved training survives a session that ends without the window closing.

A logout or shutdown can end the app with no closeEvent, so "Save changes?" is never asked.
Qt's session management says it is coming: commitDataRequest and saveStateRequest (the
session manager, XSMP on X11), and aboutToQuit as the last resort (also after SIGTERM, see
app.py). On each, an unsaved model is written to a new file in the app's data folder (never
over the learner's own file: core/autosave.py names it) and the run history is flushed. At
the next start each rescued model is offered: Open it (unsaved, Save asks where) / Discard /
Ask me next time.

A rescued file is removed when it is no longer needed: when the window closes normally (the
learner answered "Save changes?" themselves), or when the model is saved to a file of the
learner's.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication, QSessionManager

from charnames_gui.core.autosave import (
    RescueNote,
    describe,
    discard,
    find_rescued,
    new_rescue_path,
    write_note,
)
from charnames_gui.core.errors import CharnamesError
from charnames_gui.core.model_file import ModelFile
from charnames_gui.ui.controller import Controller
from charnames_gui.ui.window.dialogs import AsksUser, RescueChoice
from charnames_gui.ui.window.file_commands import FileCommands

RESCUE_FOLDER = "unsaved models"  # inside the app's data folder, beside the run history
TITLE = "Unsaved model"


class SessionRescue(QObject):
    """shut_down: the window's close without its questions (stop training, save the
    settings, flush and close the run history); called once, by the last resort.
    flush_history: write the runs not yet recorded, waiting a moment (commitData)."""

    def __init__(
        self,
        controller: Controller,
        file_commands: FileCommands,
        dialogs: AsksUser,
        folder: Path,
        shut_down: Callable[[], None],
        flush_history: Callable[[], object],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.file_commands = file_commands
        self.dialogs = dialogs
        self.folder = folder
        self._shut_down = shut_down
        self._flush_history = flush_history
        self._closed = False  # the window closed (or was shut down): nothing more to rescue
        self._own: Path | None = None  # this process's rescue file (a later rescue replaces it)
        self._own_step = -1
        self._own_generation = -1
        self._adopted: Path | None = None  # the rescued model opened at this start
        controller.documentChanged.connect(self._on_document_changed)

    def connect_to(self, app: QGuiApplication) -> None:
        """Listen to the session manager and to the application's end (app.py does this for
        the real app; tests call the handlers directly)."""
        app.commitDataRequest.connect(self.commit_data)
        app.saveStateRequest.connect(self.save_state)
        app.aboutToQuit.connect(self.last_resort)

    # -- the session ends ------------------------------------------------------------------
    def commit_data(self, manager: QSessionManager | None = None) -> None:
        """The session manager asks to save work (a logout): the app may be ended right after,
        or the logout cancelled; either way nothing is asked and nothing is lost."""
        self.rescue()
        self._flush_history()

    def save_state(self, manager: QSessionManager | None = None) -> None:
        """The session manager saves the session's state: the same as commit_data."""
        self.commit_data(manager)

    def last_resort(self) -> None:
        """The application is quitting (aboutToQuit) while the window was never closed:
        rescue the model, then shut the window down (settings, training child, history)."""
        if self._closed:
            return
        self.rescue()
        self._closed = True
        self._shut_down()

    def rescue(self) -> Path | None:
        """Write the unsaved model to this process's rescue file. Returns it, or None (nothing
        unsaved, the window already closed, or it could not be written: said on stderr, as no
        window can show it at a logout)."""
        d = self.controller.document
        if self._closed or d.model is None or not d.modified:
            return None
        if (
            self._own is not None
            and (d.step, d.generation) == (self._own_step, self._own_generation)
            and self._own.is_file()
        ):
            return self._own  # nothing trained since it was kept
        own = self._own
        # its own file again, unless something replaced it by a link (a write follows links)
        path = own if own is not None and not own.is_symlink() else new_rescue_path(self.folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(f"charnames-gui: could not keep the unsaved model: {exc}", file=sys.stderr)
            return None
        why = self.controller.write_rescue(path)
        if why is not None:
            print(f"charnames-gui: could not keep the unsaved model: {why}", file=sys.stderr)
            return None
        dataset = d.dataset.name if d.dataset is not None else d.summary.dataset_name
        note = RescueNote(
            original=str(d.path) if d.path is not None else "",
            dataset_name=dataset,
            steps=d.step,
            rescued_at=time.time(),
        )
        with contextlib.suppress(CharnamesError):  # the model is kept; the question says less
            write_note(path, note)
        self._own, self._own_step, self._own_generation = path, d.step, d.generation
        if self._adopted is not None:  # kept again, further trained: one copy, the newest
            discard(self._adopted)
            self._adopted = None
        return path

    def window_closed(self) -> None:
        """The window closed normally: the learner answered "Save changes?" themselves, so
        the rescue files of this session are no longer needed."""
        self._closed = True
        for path in (self._own, self._adopted):
            if path is not None:
                discard(path)
        self._own = self._adopted = None

    # -- the next start ----------------------------------------------------------------------
    def offer(self) -> bool:
        """Ask about each rescued model in the folder, newest first, until one is opened or
        the learner says "Ask me next time". True when one is being opened."""
        for rescued in find_rescued(self.folder):
            if rescued.model == self._own:
                continue
            choice = self.dialogs.ask_rescued(TITLE, describe(rescued))
            if choice == RescueChoice.LATER:
                return False
            if choice == RescueChoice.DISCARD:
                discard(rescued.model)
                continue
            return self._open(rescued.model)
        return False

    def _open(self, path: Path) -> bool:
        def then(model_file: ModelFile) -> bool:
            if not self.file_commands.may_discard("Opening the kept model replaces it."):
                return False
            if not self.controller.open_rescued(model_file, path):
                return False
            self._adopted = path  # removed once the learner saves it or closes the window
            return True

        return self.controller.read_model_file_then(path, then)

    def _on_document_changed(self) -> None:
        """Saved to a file of the learner's (or replaced by a model opened after "Save
        changes?"): the copies kept of it are no longer needed."""
        d = self.controller.document
        if d.path is not None and not d.modified:
            for path in (self._own, self._adopted):
                if path is not None:
                    discard(path)
            self._own = self._adopted = None
