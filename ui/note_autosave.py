"""Autosave for the note editor: a draft is saved a moment after typing stops.

Saves normally run on the write thread. When the editor is hidden (another tab or
participant, the lock screen, switching user, closing the window) it saves once
more on the UI thread (``flush``) so that the draft
is in the database before anything else happens. Both paths go through one lock
that covers the whole unit of work (commit included), so a flush waits for a
save still in flight and then continues from the version it produced: the two
never race each other into a "someone else saved this note" conflict, and a new
note is never created twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from casebook.services import notes
from casebook.services.notes import DraftSaved, NoteContent
from ui.context import AppContext
from ui.tasks import Progress

#: Milliseconds between the last keystroke and the save. Tests make it shorter.
AUTOSAVE_DELAY_MS = 2000


class DraftKeeper(QObject):
    """Keeps one note draft in step with the editor's content."""

    #: A save went through (DraftSaved).
    saved = Signal(object)
    #: A save failed (the exception); the editor shows field messages for it.
    failed = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        participant_id: int,
        content: Callable[[], NoteContent | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._participant_id = participant_id
        self._content = content
        # The author: a draft is always saved as the person who wrote it, even when the
        # last save happens while the window signs them out or switches user.
        self._actor = ctx.actor
        self._lock = threading.Lock()
        self.note_id: int | None = None
        self.version: int | None = None
        self._last_saved: NoteContent | None = None
        self._in_flight = False
        self._again = False
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_DELAY_MS)
        self._timer.timeout.connect(self.save_now)

    # -- state ---------------------------------------------------------------------------

    def load(self, note_id: int, version: int) -> None:
        """Continue an existing draft (reopened, or just created elsewhere)."""
        with self._lock:
            self.note_id, self.version = note_id, version

    def remember(self, content: NoteContent | None) -> None:
        """*content* is what the database holds now."""
        with self._lock:
            self._last_saved = content

    def stop(self) -> None:
        """No more saves (the note was signed or discarded)."""
        self._stopped = True
        self._timer.stop()

    @property
    def saving(self) -> bool:
        return self._in_flight

    def is_dirty(self) -> bool:
        """Whether the editor holds something the database does not have yet."""
        if self._stopped:
            return False
        current = self._content()
        return current is not None and current != self._last_saved

    # -- saving --------------------------------------------------------------------------

    def changed(self) -> None:
        """The editor's content changed: save after the delay (restarted by each change)."""
        if not self._stopped:
            self._timer.start(AUTOSAVE_DELAY_MS)

    def save_now(self) -> None:
        """Save on the write thread now (focus left a field, Ctrl+S)."""
        self._timer.stop()
        if self._stopped or self._ctx.runner.closing:
            return
        content = self._content()
        if content is None or content == self._last_saved:
            return
        if self._in_flight:
            self._again = True
            return
        self._in_flight = True

        def work(_progress: Progress) -> DraftSaved:
            return self._save(content)

        self._ctx.runner.run_write(work, self._done, self._error, None, "")

    def flush(self) -> DraftSaved | None:
        """Save now on this thread, waiting for a save in flight (lock, switch, close).

        Raises the service's error (ValidationError, ConflictError...) for the caller.
        """
        self._timer.stop()
        if self._stopped:
            return None
        content = self._content()
        if content is None:
            return None
        result = self._save(content)
        self.saved.emit(result)
        return result

    def _save(self, content: NoteContent) -> DraftSaved:
        with self._lock:
            if content == self._last_saved and self.note_id is not None:
                return DraftSaved(self.note_id, self.version or 0, datetime.now(UTC), False)
            with self._ctx.db.session() as session:
                result = notes.save_draft(
                    session,
                    self._actor,
                    self._participant_id,
                    content,
                    note_id=self.note_id,
                    expected_version=self.version,
                )
            # Only after the commit: a failed commit leaves the old version in place.
            self.note_id, self.version = result.note_id, result.version
            self._last_saved = content
            return result

    def _done(self, result: DraftSaved) -> None:
        if not shiboken6.isValid(self):
            return
        self._in_flight = False
        self.saved.emit(result)
        if self._again:
            self._again = False
            self.save_now()

    def _error(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._in_flight = False
        self._again = False
        self.failed.emit(exc)


__all__ = ["AUTOSAVE_DELAY_MS", "DraftKeeper"]
