"""Starting the window: open (or create) the database, sign in, show the main window.

Every step that can take a while (the keyring, opening SQLCipher, seeding the
demo) runs on a worker behind a progress window that appears only if the step
is slow; every problem ends in a dialog that says what to do, never a traceback.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QGridLayout,
    QMessageBox,
    QSizePolicy,
    QSpacerItem,
)

from casebook.backup import daily_backup, list_backups, restore_from
from casebook.database import (
    Database,
    count_accounts,
    create_database,
    open_database,
    resolve_key,
)
from casebook.db import DatabaseLocation, default_database_path, resolve_location
from casebook.errors import CasebookError, DatabaseError, KeyringError
from casebook.security import keystore
from casebook.security.actor import Actor
from ui.context import AppContext
from ui.icons import icon
from ui.login import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    FirstRunDialog,
    LoginDialog,
    preload_services,
)
from ui.messages import describe
from ui.settings import APPLICATION, ORGANISATION, Settings, install_settings, settings
from ui.tasks import GuiThreadCollector, Progress, TaskRunner, run_with_progress, task_runner
from ui.theme import apply_theme

if TYPE_CHECKING:
    from ui.main_window import MainWindow

T = TypeVar("T")

log = logging.getLogger(__name__)

#: Set to "1" to quit right after the login window is shown (start-up benchmark).
EXIT_AFTER_LOGIN_SHOWN = "CASEBOOK_EXIT_AFTER_LOGIN_SHOWN"

#: How many made-up participants ``--demo`` creates, and from which seed (reproducible).
DEMO_PARTICIPANTS = 300
DEMO_SEED = 1

EXIT_OK = 0
EXIT_FAILED = 1


def _tr(text: str) -> str:
    return QCoreApplication.translate("app", text)


class _Cancelled(Exception):
    """The person cancelled a step at its progress window."""


def wait_for(
    runner: TaskRunner,
    label: str,
    fn: Callable[[Progress], T],
    *,
    cancellable: bool = False,
    write: bool = False,
) -> T:
    """Run *fn* on a worker behind a progress window and wait (the UI stays live).

    For the steps before the main window exists, which have nothing else to do
    meanwhile. Raises what *fn* raised, or ``_Cancelled``.
    """
    loop = QEventLoop()
    outcome: dict[str, Any] = {}
    handle = run_with_progress(
        None,
        label,
        fn,
        lambda value: outcome.__setitem__("value", value),
        cancellable=cancellable,
        on_error=lambda exc: outcome.__setitem__("error", exc),
        runner=runner,
        write=write,
    )
    handle.finished.connect(loop.quit)
    loop.exec()
    if handle.cancelled:
        raise _Cancelled
    if "error" in outcome:
        raise outcome["error"]
    if "value" not in outcome:
        raise _Cancelled
    result: T = outcome["value"]
    return result


def _message(
    icon_kind: QMessageBox.Icon,
    title: str,
    text: str,
    details: str = "",
    buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok,
) -> QMessageBox:
    box = QMessageBox(icon_kind, title, text, buttons)
    box.setObjectName("startupMessage")
    box.setWindowIcon(icon("heart-handshake"))
    box.setTextFormat(Qt.TextFormat.PlainText)
    # People copy the command or the path from here into a terminal or an e-mail.
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if details:
        box.setInformativeText(details)
    # QMessageBox sizes itself for short texts; paths and commands need more room.
    layout = box.layout()
    if isinstance(layout, QGridLayout):
        spacer = QSpacerItem(560, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)
        layout.addItem(spacer, layout.rowCount(), 0, 1, layout.columnCount())
    return box


def _show_problem(title: str, text: str, details: str = "") -> None:
    _message(QMessageBox.Icon.Critical, title, text, details).exec()


def ask_restore(title: str, problem: str, newest: Path) -> bool:
    """Ask whether to restore *newest*; True to go ahead."""
    box = _message(
        QMessageBox.Icon.Critical,
        title,
        problem,
        _tr(
            "The newest backup is {name} (in {folder}). Casebook can check it and restore "
            "it now; the damaged file is kept aside, not deleted."
        ).format(name=newest.name, folder=newest.parent),
        QMessageBox.StandardButton.NoButton,
    )
    restore = box.addButton(_tr("&Restore newest backup"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(_tr("&Quit"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore)
    box.exec()
    return box.clickedButton() is restore


def offer_restore(
    runner: TaskRunner,
    location: DatabaseLocation,
    key_file: Path | None,
    title: str,
    problem: str,
) -> Database | None:
    """Say why the file cannot be opened and, when it has backups, offer the newest.

    The damaged file is never overwritten: the restore keeps it aside under a
    ``.replaced-…`` name. Returns the restored database, or None.
    """
    backups = list_backups(location.path) if location.path is not None else []
    if not backups or location.path is None:
        _show_problem(title, problem)
        return None
    newest = backups[-1]
    if not ask_restore(title, problem, newest):
        return None
    path = location.path

    def work(_progress: Progress) -> Database:
        key = resolve_key(location, key_file=key_file)
        restore_from(path, newest, key, actor_name="casebook")
        return open_database(location, key_hex=key)

    try:
        return wait_for(runner, _tr("Restoring the newest backup…"), work)
    except _Cancelled:
        return None
    except Exception as exc:
        _show_problem(_tr("The backup could not be restored"), describe(exc))
        return None


def start_daily_backup(window: MainWindow, ctx: AppContext, prefs: Settings) -> None:
    """Take today's automatic backup in the background (once a day, rotated)."""
    db = ctx.db
    if db.location.path is None:
        return

    def done(path: Path | None) -> None:
        if path is not None:
            window.statusBar().showMessage(
                _tr("Today's backup was taken: {name}").format(name=path.name), 10_000
            )

    def failed(exc: BaseException) -> None:
        window.statusBar().showMessage(
            _tr("Today's automatic backup failed: {reason}").format(reason=describe(exc))
        )

    ctx.runner.run(
        lambda _p: daily_backup(db, keep=prefs.backups_kept),
        done,
        failed,
        None,
        _tr("Daily backup"),
    )


def _offer_first_database(runner: TaskRunner, location: DatabaseLocation) -> bool:
    try:
        backend = wait_for(
            runner, _tr("Checking the keyring…"), lambda _p: keystore.backend_description()
        )
    except _Cancelled:
        return False
    box = _message(
        QMessageBox.Icon.Question,
        _tr("Welcome to Casebook"),
        _tr("There is no Casebook database on this computer yet."),
        _tr(
            "Create a new, encrypted database at {path}? Its key is made now and kept in "
            "this computer's keyring ({backend}).\n\nIf you were given a database, quit "
            "and open it instead:\ncasebook --db LOCATION"
        ).format(path=location.path, backend=backend),
        QMessageBox.StandardButton.NoButton,
    )
    create = box.addButton(_tr("&Create database"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(_tr("&Quit"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(create)
    box.exec()
    return box.clickedButton() is create


def open_or_create(runner: TaskRunner, db: str | None, key_file: Path | None) -> Database | None:
    """The database named by ``--db`` (or the default), or None after telling why not."""
    title = _tr("Casebook cannot open the database")
    try:
        location = resolve_location(db)
    except CasebookError as exc:
        _show_problem(title, exc.message)
        return None
    try:
        if (
            location.path is not None
            and not location.path.exists()
            and location.path == default_database_path()
        ):
            if not _offer_first_database(runner, location):
                return None
            return wait_for(
                runner,
                _tr("Creating the database…"),
                lambda _p: create_database(location, key_file=key_file),
            )
        return wait_for(
            runner,
            _tr("Opening the database…"),
            lambda _p: open_database(location, key_file=key_file),
        )
    except _Cancelled:
        return None
    except KeyringError as exc:
        _show_problem(_tr("The database key is not available"), exc.message)
    except DatabaseError as exc:
        return offer_restore(runner, location, key_file, title, exc.message)
    except Exception as exc:
        _show_problem(title, describe(exc))
    return None


def create_demo(runner: TaskRunner, folder: Path) -> Database:
    """A throwaway database in *folder*, under a random key that never reaches the keyring."""
    location = DatabaseLocation(url="sqlite://", path=folder / "casebook-demo.db")
    key = keystore.generate_key()
    return wait_for(
        runner,
        _tr("Preparing the demo database…"),
        lambda _p: create_database(location, key_hex=key),
    )


def seed_demo_data(ctx: AppContext, participants: int = DEMO_PARTICIPANTS) -> None:
    """Fill the demo database with made-up people, behind a cancellable progress window."""
    from casebook.demo import seed_demo
    from casebook.security.passwords import hash_password

    template = _tr("Creating made-up participants… {done} of {total}")

    def work(progress: Progress) -> object:
        password_hash = hash_password(DEMO_PASSWORD)

        def report(done: int, total: int) -> None:
            progress.report(done, total, template.format(done=done, total=total))

        return ctx.call_anonymous(
            seed_demo,
            participants=participants,
            seed=DEMO_SEED,
            password_hash=password_hash,
            progress=report,
            cancelled=lambda: progress.cancelled,
        )

    wait_for(ctx.runner, _tr("Creating the demo database"), work, cancellable=True, write=True)


def _exit_when_shown(dialog: QDialog) -> None:
    """Start-up benchmark hook (``tests/perf/bench.py``): print when the login window
    is up, as seconds since the epoch, and quit as if the person had closed it."""

    def shown() -> None:
        print(f"login window shown at {time.time():.6f}", flush=True)
        dialog.reject()

    # Runs from the dialog's own event loop, i.e. once it has been shown.
    QTimer.singleShot(0, shown)


_PRELOAD_DELAY_MS = 150


def _preload_in_background() -> None:
    threading.Thread(target=preload_services, name="casebook-preload", daemon=True).start()


def sign_in(ctx: AppContext, prefs: Settings) -> Actor | None:
    """First run (no accounts yet) or the login dialog; None if the person gave up."""
    count = wait_for(
        ctx.runner, _tr("Opening the database…"), lambda _p: ctx.call_anonymous(count_accounts)
    )
    dialog: FirstRunDialog | LoginDialog
    dialog = FirstRunDialog(ctx, prefs=prefs) if count == 0 else LoginDialog(ctx, prefs=prefs)
    if os.environ.get(EXIT_AFTER_LOGIN_SHOWN) == "1":
        _exit_when_shown(dialog)
    else:
        # The accounts service and the ORM models (about 0.1 s of imports) load while
        # the person types, once the window has painted; a sign-in that comes first
        # simply waits for the import to finish.
        QTimer.singleShot(_PRELOAD_DELAY_MS, _preload_in_background)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.actor


def _application() -> QApplication:
    existing = QApplication.instance()
    # Only the program name: Casebook's own options are not Qt's to interpret.
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANISATION)
    app.setWindowIcon(icon("heart-handshake"))
    if app.findChild(GuiThreadCollector) is None:
        GuiThreadCollector(app)
    return app


def run_window(db: str | None, key_file: Path | None, demo: bool) -> int:
    """Open the window (``casebook`` with no subcommand); returns the exit status."""
    app = _application()
    prefs = settings()
    theme = prefs.theme
    demo_folder: Path | None = None
    if demo:
        demo_folder = Path(tempfile.mkdtemp(prefix="casebook-demo-"))
        # The demo must not change this workstation's real preferences.
        prefs = Settings(
            QSettings(str(demo_folder / "preferences.ini"), QSettings.Format.IniFormat)
        )
        install_settings(prefs)
    apply_theme(app, theme)
    runner = task_runner()
    database: Database | None = None
    try:
        if demo_folder is not None:
            try:
                database = create_demo(runner, demo_folder)
            except (_Cancelled, CasebookError) as exc:
                if isinstance(exc, CasebookError):
                    _show_problem(_tr("The demo database could not be made"), exc.message)
                return EXIT_FAILED
        else:
            database = open_or_create(runner, db, key_file)
            if database is None:
                return EXIT_FAILED
        ctx = AppContext(database, runner)
        if demo_folder is not None:
            ctx.demo_logins = DEMO_LOGINS
            try:
                seed_demo_data(ctx)
            except _Cancelled:
                return EXIT_OK
            except Exception as exc:
                _show_problem(_tr("The demo database could not be made"), describe(exc))
                return EXIT_FAILED
        try:
            actor = sign_in(ctx, prefs)
        except _Cancelled:
            return EXIT_OK
        except Exception as exc:
            _show_problem(_tr("Casebook cannot open the database"), describe(exc))
            return EXIT_FAILED
        if actor is None:
            return EXIT_OK
        ctx.set_actor(actor)
        # The window and its pages are imported only now: they are most of the
        # program's code, and the login window should not wait for them.
        from ui.main_window import MainWindow
        from ui.pages import install_all

        install_all()
        window = MainWindow(ctx, prefs)
        window.session_ended.connect(app.quit)
        window.show()
        if demo_folder is None:
            start_daily_backup(window, ctx, prefs)
        collector = app.findChild(GuiThreadCollector)
        if collector is not None:
            collector.freeze_survivors()
        return app.exec()
    finally:
        runner.shutdown()
        if database is not None:
            database.close()
        if demo_folder is not None:
            install_settings(None)
            shutil.rmtree(demo_folder, ignore_errors=True)
