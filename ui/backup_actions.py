"""Back up and restore the database from the window's File menu, with progress.

Both are for administrators: a backup holds every record, and a restore replaces the
database for everyone who uses this computer. A restore verifies the backup before
anything is touched, keeps the replaced file aside, and then signs everyone out so
that nothing read from the old file stays on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from casebook.backup import BackupInfo, RestoreInfo, backup_dir, backup_to, restore_from
from casebook.database import Database, open_database
from casebook.errors import DatabaseError
from casebook.security.permissions import Actor
from ui.icons import icon
from ui.messages import show_error
from ui.tasks import Progress, run_with_progress

if TYPE_CHECKING:
    from ui.main_window import MainWindow

WAIT_MS = 30_000


def may_back_up(actor: Actor | None, db: Database) -> bool:
    """Administrators, on a database file (a clinic server is backed up on the server)."""
    return actor is not None and actor.is_admin and db.location.path is not None


class BackupActions(QObject):
    """The "Back up database…" and "Restore from backup…" menu actions of one window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.backup_action = QAction(icon("archive"), self.tr("&Back up database…"), window)
        self.backup_action.triggered.connect(self.back_up)
        self.restore_action = QAction(icon("history"), self.tr("&Restore from backup…"), window)
        self.restore_action.triggered.connect(self.restore)
        #: Replaced in tests: (parent, title, folder) -> chosen path or "".
        self.ask_save_path: Callable[[QWidget, str, str], str] = _ask_save_path
        self.ask_open_path: Callable[[QWidget, str, str], str] = _ask_open_path
        #: Replaced in tests: (parent, title, text) -> True to go ahead.
        self.confirm: Callable[[QWidget, str, str], bool] = _confirm
        #: Replaced in tests: (parent, title, text) -> None, an information message.
        self.inform: Callable[[QWidget, str, str], object] = QMessageBox.information
        self.update_visibility()

    def actions(self) -> list[QAction]:
        return [self.backup_action, self.restore_action]

    def update_visibility(self) -> None:
        ctx = self._window.ctx
        allowed = may_back_up(ctx.actor if ctx.signed_in else None, ctx.db)
        for action in self.actions():
            action.setVisible(allowed)
            action.setEnabled(allowed)

    # -- back up -------------------------------------------------------------------------

    def back_up(self) -> None:
        ctx = self._window.ctx
        if not may_back_up(ctx.actor if ctx.signed_in else None, ctx.db):
            return
        db_path = ctx.db.location.path
        assert db_path is not None
        stamp = datetime.now().strftime("%Y-%m-%d")
        suggested = str(Path.home() / f"{db_path.stem}-backup-{stamp}.db")
        chosen = self.ask_save_path(self._window, self.tr("Back up database"), suggested)
        if not chosen:
            return
        target = Path(chosen)
        db = ctx.db
        actor_name = ctx.actor.username
        label = self.tr("Backing up the database…")

        def work(progress: Progress) -> BackupInfo:
            def step(done: int, total: int) -> None:
                progress.report(done, total, label)

            return backup_to(db, target, actor_name=actor_name, progress=step)

        run_with_progress(
            self._window,
            label,
            work,
            self._backed_up,
            cancellable=False,
            on_error=self._failed,
            runner=ctx.runner,
        )

    def _backed_up(self, info: BackupInfo) -> None:
        text = self.tr("Backup written to {path} and verified ({n} audit events).").format(
            path=info.path, n=info.audit_events
        )
        self._window.statusBar().showMessage(text, 15_000)
        self.inform(self._window, self.tr("Backup finished"), text)

    # -- restore -------------------------------------------------------------------------

    def restore(self) -> None:
        window = self._window
        ctx = window.ctx
        if not may_back_up(ctx.actor if ctx.signed_in else None, ctx.db):
            return
        db_path = ctx.db.location.path
        key = ctx.db.key_hex
        assert db_path is not None
        if not key:
            show_error(window, DatabaseError(self.tr("The database key is not available")))
            return
        chosen = self.ask_open_path(
            window, self.tr("Restore from backup"), str(backup_dir(db_path))
        )
        if not chosen:
            return
        source = Path(chosen)
        question = self.tr(
            "Replace the database with the backup {name}?\n\nThe backup is checked first; "
            "if it is damaged nothing changes. The current database is kept aside, not "
            "deleted. Everyone is signed out when the restore is done."
        ).format(name=source.name)
        if not self.confirm(window, self.tr("Restore from backup"), question):
            return
        if not window.may_leave(self.tr("restore a backup")):
            return
        actor_name = ctx.actor.username
        # No task may hold a connection while the file is swapped underneath it.
        if not ctx.runner.wait_all(WAIT_MS):
            show_error(window, DatabaseError(self.tr("Casebook is still busy; try again")))
            return
        old = ctx.db
        old.close()
        label = self.tr("Restoring the backup…")

        def work(progress: Progress) -> tuple[RestoreInfo, Database]:
            def step(done: int, total: int) -> None:
                progress.report(done, total, label)

            info = restore_from(db_path, source, key, actor_name=actor_name, progress=step)
            return info, open_database(old.location, key_hex=key)

        def done(result: tuple[RestoreInfo, Database]) -> None:
            info, new_db = result
            ctx.db = new_db
            kept = (
                self.tr("The replaced database is kept as {path}.").format(
                    path=info.replaced_kept_as
                )
                if info.replaced_kept_as
                else ""
            )
            self.inform(
                window,
                self.tr("Restore finished"),
                self.tr("The database was restored from {name}. {kept}\n\nPlease sign in again.")
                .format(name=source.name, kept=kept)
                .strip(),
            )
            window.sign_out(ask=False)

        def failed(exc: BaseException) -> None:
            # The file was not replaced (the backup is verified first); carry on with it.
            try:
                ctx.db = open_database(old.location, key_hex=key)
            except Exception as reopen:
                show_error(window, reopen)
                return
            show_error(window, exc, self.tr("The backup was not restored"))

        run_with_progress(
            window,
            label,
            work,
            done,
            cancellable=False,
            on_error=failed,
            runner=ctx.runner,
            write=True,
        )

    def _failed(self, exc: BaseException) -> None:
        show_error(self._window, exc, self.tr("The backup was not written"))


def _ask_save_path(parent: QWidget, title: str, suggested: str) -> str:
    path, _filter = QFileDialog.getSaveFileName(
        parent, title, suggested, parent.tr("Casebook backups (*.db)")
    )
    return path


def _ask_open_path(parent: QWidget, title: str, folder: str) -> str:
    path, _filter = QFileDialog.getOpenFileName(
        parent, title, folder, parent.tr("Casebook backups (*.db);;All files (*)")
    )
    return path


def _confirm(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


__all__ = ["BackupActions", "may_back_up"]
