"""Back up and restore from the window's File menu, and the offer to restore when the
database file is damaged at start."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD, Staff
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, app_context, make_window

from casebook.backup import automatic_backup, list_backups, verify_backup
from casebook.database import Database, open_database
from casebook.services import users
from ui import app as app_module
from ui.context import AppContext
from ui.login import LoginDialog
from ui.settings import Settings
from ui.tasks import TaskRunner

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = [pytest.mark.sqlite_only, OFFSCREEN_NOISE]

WAIT_MS = 20_000


@pytest.fixture
def ctx(qapp: QApplication, db: Database) -> Iterator[AppContext]:
    with app_context(db, wait_ms=WAIT_MS) as context:
        yield context
    context.db.close()


def usernames(db: Database, staff: Staff) -> set[str]:
    with db.session(read_only=True) as s:
        return {u.username for u in users.list_users(s, staff.admin)}


def test_only_an_administrator_gets_the_backup_actions(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, staff: Staff
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.admin)
    assert window.backups.backup_action.isVisible()
    ctx.set_actor(staff.peer1)
    assert not window.backups.backup_action.isVisible()
    assert not window.backups.restore_action.isVisible()


def test_back_up_from_the_menu_writes_a_verified_copy(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, staff: Staff, tmp_path: Path
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.admin)
    target = tmp_path / "menu-backup.db"
    told: list[str] = []
    window.backups.ask_save_path = lambda _p, _t, _s: str(target)
    window.backups.inform = lambda _p, _t, text: told.append(text)
    window.backups.backup_action.trigger()
    qtbot.waitUntil(lambda: bool(told), timeout=WAIT_MS)
    assert "verified" in told[0]
    assert ctx.db.key_hex is not None
    assert verify_backup(target, ctx.db.key_hex).audit_events > 0


def test_restore_from_the_menu_replaces_the_data_and_signs_everyone_out(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, staff: Staff
) -> None:
    backup = automatic_backup(ctx.db, reason="manual")
    assert backup is not None
    with ctx.db.session() as s:
        users.create_user(
            s,
            staff.admin,
            username="newcomer",
            display_name="Nia Newcomer",
            role="specialist",
            password=TEST_PASSWORD,
        )
    assert "newcomer" in usernames(ctx.db, staff)
    window = make_window(ctx, prefs, qtbot, staff.admin)
    told: list[str] = []
    window.backups.ask_open_path = lambda _p, _t, _f: str(backup)
    window.backups.confirm = lambda _p, _t, _q: True
    window.backups.inform = lambda _p, _t, text: told.append(text)
    window.backups.restore_action.trigger()
    qtbot.waitUntil(lambda: bool(told), timeout=WAIT_MS)
    assert "restored" in told[0]
    assert not ctx.signed_in
    login = window.open_dialog
    assert isinstance(login, LoginDialog)
    assert "newcomer" not in usernames(ctx.db, staff)
    db_path = ctx.db.location.path
    assert db_path is not None
    assert list(db_path.parent.glob(f"{db_path.name}.replaced-*"))
    login.done(0)


def test_a_damaged_file_at_start_offers_the_newest_backup(
    qapp: QApplication, db: Database, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert db.location.path is not None and db.key_hex is not None
    backup = automatic_backup(db, reason="daily")
    assert backup is not None and list_backups(db.location.path) == [backup]
    db.close()
    path = db.location.path
    for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        side.unlink(missing_ok=True)
    path.write_bytes(b"\x00" * 4096)  # the file is wiped
    asked: list[Path] = []

    def ask(_title: str, _problem: str, newest: Path) -> bool:
        asked.append(newest)
        return True

    monkeypatch.setattr(app_module, "ask_restore", ask)
    monkeypatch.setenv("CASEBOOK_DB_KEY", db.key_hex)
    runner = TaskRunner()
    try:
        restored = app_module.open_or_create(runner, str(path), None)
    finally:
        assert runner.shutdown(WAIT_MS)
    assert asked == [backup]
    assert restored is not None
    try:
        assert "admin" in usernames(restored, staff)
    finally:
        restored.close()
    # The wiped file was kept aside, not deleted.
    assert list(path.parent.glob(f"{path.name}.replaced-*"))
    again = open_database(db.location, key_hex=db.key_hex)
    again.close()
