"""The window's shell on a real encrypted database: sign-in, first run, lock, switch
user, idle lock, the audit and staff pages, and the table models behind them."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD, Staff
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot
from ui_support import WAIT_MS, app_context, make_window, settle

from casebook.database import Database
from casebook.security.permissions import Actor
from casebook.services import audit_log, users
from casebook.services.audit_log import AuditEntry
from casebook.services.users import UserInfo
from ui.audit_page import AuditPage, AuditTableModel
from ui.caseload_model import search_fold
from ui.context import AppContext
from ui.lock import IdleWatcher, LockScreen
from ui.login import DEMO_LOGINS, DEMO_PASSWORD, ChangePasswordDialog, FirstRunDialog, LoginDialog
from ui.main_window import (
    CANCEL,
    SAVE,
    MainWindow,
    PageSpec,
    main_window_of,
)
from ui.settings import Settings
from ui.shell_dialogs import EmergencyAccessDialog
from ui.staff_page import NewAccountDialog, StaffPage, StaffTableModel

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

# The offscreen platform cannot pass a window's minimum size on to a real window
# system, and says so each time a dialog's layout grows (an inline message appears).
# Every other Qt warning still fails the test.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")


def _no_pause(_seconds: float) -> None:
    """Failed-login pauses are tested in the service; here they would only slow things."""


@pytest.fixture
def ctx(qapp: QApplication, db: Database) -> Iterator[AppContext]:
    with app_context(db) as context:
        yield context


def audit_events(db: Database, actor: Actor, **filters: object) -> list[AuditEntry]:
    with db.session() as session:
        return audit_log.query_audit(session, actor, **filters)  # type: ignore[arg-type]


class DraftPage(QWidget):
    """A page with typed input, standing in for a note editor."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setAccessibleName("Note text")
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        self.saved: list[str] = []

    def has_unsaved_changes(self) -> bool:
        return bool(self.edit.text()) and self.edit.text() not in self.saved

    def save_drafts(self) -> None:
        self.saved.append(self.edit.text())


DRAFT_PAGES = [PageSpec("draft", "Draft", "file-text", lambda _ctx, parent: DraftPage(parent))]


def unlock_screen(window: MainWindow, password: str, ctx: AppContext, qtbot: QtBot) -> None:
    screen = window.lock_screen
    screen._sleep = _no_pause
    screen.password.setText(password)
    screen.unlock_button.click()
    settle(ctx, qtbot)


# -- sign-in ------------------------------------------------------------------------------


def test_login_success_remembers_the_username(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    dialog = LoginDialog(ctx, prefs=prefs, sleep=_no_pause)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.database_label.toolTip() == ctx.db.location.describe()
    assert dialog.demo_box is None
    qtbot.keyClicks(dialog.username, "peer1")
    qtbot.keyClicks(dialog.password, TEST_PASSWORD)
    with qtbot.waitSignal(dialog.signed_in, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    actor = blocker.args[0]
    assert isinstance(actor, Actor) and actor.username == "peer1"
    assert dialog.actor == actor
    assert dialog.result() == LoginDialog.DialogCode.Accepted
    assert prefs.last_username == "peer1"
    assert dialog.password.text() == ""  # not kept in the widget
    settle(ctx, qtbot)

    again = LoginDialog(ctx, prefs=prefs)
    qtbot.addWidget(again)
    assert again.username.text() == "peer1"


def test_login_failure_is_shown_inline_and_audited(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    dialog = LoginDialog(ctx, prefs=prefs, sleep=_no_pause)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    dialog.username.setText("peer1")
    dialog.password.setText("not the password at all")
    dialog.sign_in_button.click()
    assert dialog.is_busy and not dialog.sign_in_button.isEnabled()
    assert dialog.busy.isVisibleTo(dialog)
    settle(ctx, qtbot)

    assert not dialog.is_busy and dialog.sign_in_button.isEnabled()
    assert not dialog.busy.isVisibleTo(dialog)
    assert dialog.error.isVisible()
    assert "Wrong username or password" in dialog.error.text()
    assert dialog.password.text() == ""
    assert dialog.password.hasFocus()
    assert dialog.isVisible() and dialog.actor is None
    # Inline, not a popup.
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    failed = audit_events(ctx.db, staff.admin, action="login_failed", username="peer1")
    assert failed and '"wrong password"' in failed[0].details

    dialog.password.setText("")
    dialog.sign_in_button.click()
    assert dialog.error.text() == "Type your password."


def test_demo_mode_shows_the_demo_logins(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    ctx.demo_logins = DEMO_LOGINS
    dialog = LoginDialog(ctx, prefs=prefs)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.demo_box is not None and dialog.demo_box.isVisible()
    text = dialog.demo_box.findChild(QWidget, "infoText").text()  # type: ignore[union-attr]
    assert "peer1 / supervisor / admin" in text and DEMO_PASSWORD in text


def test_temporary_password_must_be_changed_at_sign_in(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    with ctx.db.session() as session:
        users.reset_password(session, staff.admin, "peer2", "lantern orchard 42 quietly")
    dialog = LoginDialog(ctx, prefs=prefs, sleep=_no_pause)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.username.setText("peer2")
    dialog.password.setText("lantern orchard 42 quietly")
    dialog.sign_in_button.click()
    settle(ctx, qtbot)
    change = dialog._password_change
    assert isinstance(change, ChangePasswordDialog) and change.isVisible()
    assert change.current.isHidden()  # the password just typed is used
    change.new.setText("short")
    change.repeat.setText("short")
    change.save_button.click()
    assert change.passwords.new_message.is_error
    change.new.setText("violet harbour 9 pancakes")
    change.repeat.setText("violet harbour 9 pancakes")
    with qtbot.waitSignal(dialog.signed_in, timeout=WAIT_MS):
        change.save_button.click()
        settle(ctx, qtbot)
    assert dialog.actor is not None and dialog.actor.username == "peer2"
    with ctx.db.session() as session:
        outcome = users.authenticate(session, "peer2", "violet harbour 9 pancakes", sleep=_no_pause)
    assert outcome.actor is not None and not outcome.must_change_password


# -- first run ----------------------------------------------------------------------------


def test_first_run_refuses_a_weak_password_next_to_the_field_then_creates_the_admin(
    qtbot: QtBot, ctx: AppContext, prefs: Settings
) -> None:
    assert ctx.call_anonymous(users.count_users) == 0
    dialog = FirstRunDialog(ctx, prefs=prefs)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.username, "Dana")
    assert "lower case" in dialog.username_message.text()
    dialog.display_name.setText("Zoë Nguyễn-Łukasz Ødegaard-Þórsdóttir")
    # Checked as you type: length, then whether the two match.
    qtbot.keyClicks(dialog.password, "password")
    assert "4 more characters needed" in dialog.password_message.text()
    qtbot.keyClicks(dialog.password, "1234")
    qtbot.keyClicks(dialog.repeat, "password12345")
    assert dialog.repeat_message.is_error
    dialog.repeat.setText("password1234")
    assert not dialog.repeat_message.is_error
    assert "match" in dialog.repeat_message.text()

    dialog.create_button.click()
    settle(ctx, qtbot)
    assert dialog.isVisible()
    assert dialog.password_message.is_error
    assert "commonly used" in dialog.password_message.text()
    assert dialog.password.property("invalid") is True
    assert dialog.password.accessibleDescription() == dialog.password_message.text()
    assert ctx.call_anonymous(users.count_users) == 0

    dialog.password.setText("marigold tandem 7 rivers")
    dialog.repeat.setText("marigold tandem 7 rivers")
    with qtbot.waitSignal(dialog.signed_in, timeout=WAIT_MS) as blocker:
        dialog.create_button.click()
        settle(ctx, qtbot)
    actor = blocker.args[0]
    assert actor.username == "dana" and actor.role == "admin"
    assert actor.display_name == "Zoë Nguyễn-Łukasz Ødegaard-Þórsdóttir"
    assert dialog.actor == actor
    assert ctx.call_anonymous(users.count_users) == 1
    assert prefs.last_username == "dana"


# -- lock, unlock, switch user ------------------------------------------------------------


def test_lock_hides_the_content_and_keeps_typed_input(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.peer1, DRAFT_PAGES, wait_exposed=True)
    page = window.page("draft")
    assert isinstance(page, DraftPage)
    page.edit.setText("Called about housing; follow up Friday")
    page.edit.setFocus()
    assert page.edit.isVisible()

    window.lock()
    assert window.is_locked
    assert not window.content.isVisible()
    assert not page.edit.isVisible()
    assert window.lock_screen.isVisible()
    assert "Pat Peer (peer1)" in window.lock_screen.who.text()
    assert not window.act_change_password.isEnabled()
    assert not window.act_lock.isEnabled()
    assert window.show_page("draft") is None  # nothing can be brought forward while locked

    unlock_screen(window, "wrong password entirely", ctx, qtbot)
    assert window.is_locked and not page.edit.isVisible()
    assert "Wrong username or password" in window.lock_screen.error.text()
    assert window.lock_screen.password.text() == ""

    unlock_screen(window, TEST_PASSWORD, ctx, qtbot)
    assert not window.is_locked
    assert window.content.isVisible() and page.edit.isVisible()
    assert page.edit.text() == "Called about housing; follow up Friday"
    assert window.page("draft") is page
    actions = [e.action for e in audit_events(ctx.db, staff.admin, username="peer1")]
    assert "lock" in actions and "unlock" in actions and "login_failed" in actions


def test_ctrl_l_locks_the_window(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.supervisor, wait_exposed=True)
    with qtbot.waitActive(window):
        window.activateWindow()
    with qtbot.waitSignal(window.locked_changed, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked
    settle(ctx, qtbot)


def test_lock_covers_an_open_dialog_which_can_be_unlocked_from_there(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.peer1, wait_exposed=True)
    window.emergency_access()
    dialog = window.open_dialog
    assert isinstance(dialog, EmergencyAccessDialog)
    dialog.reason.setPlainText("typed before the lock")
    window.lock("idle")
    assert window.covers.covered == [dialog]
    cover = dialog.findChild(LockScreen)
    assert cover is not None and cover.isVisible()
    assert cover.geometry() == dialog.rect()
    assert not cover.switch_button.isVisible()  # switching needs the dialog closed first
    assert not dialog.reason.isEnabled()
    dialog.close()  # refused while covered: it would throw the typed text away
    assert dialog.isVisible()

    cover._sleep = _no_pause
    cover.password.setText(TEST_PASSWORD)
    cover.unlock_button.click()
    settle(ctx, qtbot)
    assert not window.is_locked and window.covers.covered == []
    assert dialog.isVisible() and dialog.reason.isEnabled()
    assert dialog.reason.toPlainText() == "typed before the lock"
    dialog.reject()


def test_extra_pages_are_shown_and_dropped_on_switch(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.supervisor, DRAFT_PAGES, wait_exposed=True)
    opened: list[int] = []
    window.open_participant.connect(opened.append)
    workspace = DraftPage()
    window.show_extra_page("participant:7", "Record 7", workspace)
    assert window.current_page_key() == "participant:7" and workspace.isVisible()
    assert window.nav.currentRow() == -1
    main_window_of(workspace).open_participant.emit(7)  # type: ignore[union-attr]
    assert opened == [7]
    window.show_page("draft")
    assert not workspace.isVisible() and window.page("participant:7") is workspace
    ctx.set_actor(staff.peer2)
    assert window.page("participant:7") is None and window.pages() != [workspace]


def test_switch_user_keeps_drafts_and_changes_the_actor(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.peer1, DRAFT_PAGES, wait_exposed=True)
    page = window.page("draft")
    assert isinstance(page, DraftPage)
    page.edit.setText("half-written note")
    window.lock()
    with qtbot.waitSignal(window.about_to_switch, timeout=WAIT_MS):
        window.lock_screen.switch_button.click()
    assert page.saved == ["half-written note"]
    login = window.open_dialog
    assert isinstance(login, LoginDialog) and login.isVisible()
    assert login.username.text() == ""
    login._sleep = _no_pause
    login.username.setText("peer2")
    login.password.setText(TEST_PASSWORD)
    with qtbot.waitSignal(ctx.actor_changed, timeout=WAIT_MS):
        login.sign_in_button.click()
        settle(ctx, qtbot)
    assert ctx.actor.username == "peer2"
    assert not window.is_locked and window.content.isVisible()
    new_page = window.page("draft")
    assert isinstance(new_page, DraftPage) and new_page is not page
    assert new_page.edit.text() == ""  # nothing of the first user is shown to the second
    assert "Quinn Peer" in window.user_label.text()
    settle(ctx, qtbot)
    logout = audit_events(ctx.db, staff.admin, username="peer1", action="logout")
    assert logout and '"switched_to": "peer2"' in logout[0].details


def test_idle_lock_after_the_configured_minutes(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    prefs.idle_lock_minutes = 3
    window = make_window(
        ctx, prefs, qtbot, staff.peer1, DRAFT_PAGES, idle_minute_ms=40, wait_exposed=True
    )
    assert window.idle.interval_ms == 120
    with qtbot.waitSignal(window.locked_changed, timeout=WAIT_MS) as blocker:
        pass
    assert blocker.args == [True] and window.is_locked
    settle(ctx, qtbot)
    idle = audit_events(ctx.db, staff.admin, username="peer1", action="lock")
    assert idle and '"reason": "idle"' in idle[0].details
    # While locked nothing re-arms; unlocking starts the count again.
    assert not window.idle.running
    unlock_screen(window, TEST_PASSWORD, ctx, qtbot)
    assert window.idle.running


def test_idle_watcher_counts_input(qtbot: QtBot, qapp: QApplication) -> None:
    watcher = IdleWatcher(1, minute_ms=300)
    target = QLineEdit()
    qtbot.addWidget(target)
    target.show()
    fired: list[bool] = []
    watcher.idle.connect(lambda: fired.append(True))
    watcher.start()
    for _ in range(4):
        qtbot.wait(120)
        qtbot.keyClick(target, Qt.Key.Key_A)
    assert not fired  # 480 ms in all, but never 300 ms without a key
    qtbot.waitUntil(lambda: bool(fired), timeout=WAIT_MS)
    watcher.shutdown()


def test_closing_with_unsaved_input_asks_first(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.peer1, DRAFT_PAGES, wait_exposed=True)
    page = window.page("draft")
    assert isinstance(page, DraftPage)
    page.edit.setText("not saved yet")
    asked: list[str] = []

    def cancel(action: str) -> str:
        asked.append(action)
        return CANCEL

    window.ask_unsaved = cancel
    window.close()
    assert window.isVisible() and asked == ["quit"]
    window.ask_unsaved = lambda action: SAVE
    window.close()
    assert not window.isVisible()
    assert page.saved == ["not saved yet"]
    assert not prefs.window_geometry().isEmpty()
    settle(ctx, qtbot)


def test_sign_out_then_cancel_ends_the_session(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.admin, wait_exposed=True)
    assert window.page("audit") is not None
    search_fold("Zoë Ødegaard")  # as a caseload load would
    window.sign_out()
    assert not ctx.signed_in and not window.isVisible()
    assert search_fold.cache_info().currsize == 0  # no folded names outlive the session
    assert window.pages() == []
    login = window.open_dialog
    assert isinstance(login, LoginDialog)
    with qtbot.waitSignal(window.session_ended, timeout=WAIT_MS):
        login.cancel_button.click()
    settle(ctx, qtbot)
    assert audit_events(ctx.db, staff.admin, username="admin", action="logout")


# -- pages --------------------------------------------------------------------------------


def test_pages_follow_the_role(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    admin = make_window(ctx, prefs, qtbot, staff.admin, wait_exposed=True)
    assert [s.key for s in admin.page_specs()] == ["audit", "staff"]
    assert admin.nav.count() == 2 and admin.current_page_key() == "audit"
    assert not admin.act_emergency.isEnabled()  # administrators read no clinical records
    staff_page = admin.show_page("staff")
    assert isinstance(staff_page, StaffPage)
    assert main_window_of(staff_page) is admin
    assert admin.nav.currentRow() == 1
    admin.close()
    settle(ctx, qtbot)

    peer = make_window(ctx, prefs, qtbot, staff.peer1, wait_exposed=True)
    assert peer.page_specs() == [] and not peer.nav.isVisible()
    assert peer.act_emergency.isEnabled()
    assert "Peer specialist" in peer.role_label.text()
    peer.close()
    settle(ctx, qtbot)


def test_audit_page_lists_filters_and_exports(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings, tmp_path: Path
) -> None:
    ctx.set_actor(staff.admin)
    page = AuditPage(ctx)
    qtbot.addWidget(page)
    page.show()
    settle(ctx, qtbot)
    assert page.model.rowCount() > 0
    assert "intact" in page.chain_status.text()
    assert page.export_button.isEnabled()
    whens = [page.model.index(r, AuditTableModel.WHEN).data() for r in range(3)]
    assert all(len(when) == 19 for when in whens)  # YYYY-MM-DD HH:MM:SS, local time

    page.user.setText("peer1")
    page.search_button.click()
    settle(ctx, qtbot)
    users_shown = {page.model.entries[r].username for r in range(page.model.rowCount())}
    assert users_shown == {"peer1"}

    page.record.setText("NO-SUCH-1")
    page.search_button.click()
    settle(ctx, qtbot)
    assert page.filter_message.isVisible()
    assert "No participant with record number NO-SUCH-1" in page.filter_message.text()
    assert page.model.rowCount() == 0

    page.record.clear()
    page.action.setCurrentIndex(page.action.findData("login"))
    settle(ctx, qtbot)
    assert {e.action for e in page.model.entries} == {"login"}
    shown = page.model.rowCount()

    target = tmp_path / "audit.csv"
    page.export_to(target)
    settle(ctx, qtbot)
    with target.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["id", "occurred_at_utc", "username", "action"]
    assert len(rows) == shown + 1 and {row[2] for row in rows[1:]} == {"peer1"}
    assert "Exported" in page.count_label.text()
    assert audit_events(ctx.db, staff.admin, action="audit_export", username="admin")


def test_staff_page_creates_an_account(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    ctx.set_actor(staff.admin)
    page = StaffPage(ctx)
    qtbot.addWidget(page)
    page.show()
    settle(ctx, qtbot)
    assert page.model.rowCount() == 6
    assert {s.username for s in page.supervisors()} == {"supervisor", "super2"}

    dialog = page.new_account()
    assert isinstance(dialog, NewAccountDialog) and dialog.isVisible()
    assert len(dialog.password.text()) == 19
    dialog.username.setText("peer1")  # taken
    dialog.display_name.setText("Zoë Nguyễn-Łukasz Ødegaard-Þórsdóttir")
    dialog.supervisor.setCurrentIndex(dialog.supervisor.findData("supervisor"))
    dialog.ok_button.click()
    settle(ctx, qtbot)
    assert dialog.isVisible()
    assert "already taken" in dialog.messages["username"].text()
    assert dialog.messages["username"].is_error

    dialog.username.setText("zoe")
    assert not dialog.also_supervisor.isEnabled()
    dialog.ok_button.click()
    settle(ctx, qtbot)
    assert page.dialog is None  # accepted and gone
    created = page.selected_user()
    assert created is not None and created.username == "zoe"
    assert created.supervisor_name == "Sam Supervisor" and created.role == "specialist"
    assert page.model.rowCount() == 7
    assert "zoe" in page.status.text()


def test_staff_page_deactivates_and_resets(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    ctx.set_actor(staff.admin)
    page = StaffPage(ctx)
    qtbot.addWidget(page)
    page.show()
    settle(ctx, qtbot)
    page.select_user("admin")
    assert not page.active_button.isEnabled()  # not oneself
    page.select_user("peer2")
    page.toggle_active()
    box = page.dialog
    assert isinstance(box, QMessageBox)
    next(button for button in box.buttons() if button.text() == "Deactivate").click()
    settle(ctx, qtbot)
    peer2 = page.selected_user()
    assert peer2 is not None and peer2.username == "peer2" and not peer2.active
    assert page.active_button.text() == "Re&activate"

    reset = page.reset_password()
    assert reset is not None
    reset.password.setText("short")
    reset.ok_button.click()
    settle(ctx, qtbot)
    assert reset.isVisible() and reset.message.is_error


def test_emergency_access_dialog_shows_problems_by_the_fields(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.peer1, wait_exposed=True)
    window.emergency_access()
    dialog = window.open_dialog
    assert isinstance(dialog, EmergencyAccessDialog)
    dialog.record.setText("R-404")
    dialog.reason.setPlainText("crisis")
    assert "more characters needed" in dialog.reason_message.text()
    dialog.ok_button.click()
    settle(ctx, qtbot)
    assert dialog.reason_message.is_error
    dialog.reason.setPlainText("Participant called in crisis; specialist away")
    dialog.ok_button.click()
    settle(ctx, qtbot)
    assert "No participant with record number R-404" in dialog.record_message.text()
    assert dialog.isVisible()
    dialog.reject()
    window.close()
    settle(ctx, qtbot)


# -- table models -------------------------------------------------------------------------


def test_audit_model_passes_qtmodeltester(
    qtmodeltester: object, ctx: AppContext, staff: Staff
) -> None:
    model = AuditTableModel()
    model.set_entries(audit_events(ctx.db, staff.admin))
    assert model.rowCount() > 3
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    model.set_entries([])
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_staff_model_passes_qtmodeltester(
    qtmodeltester: object, ctx: AppContext, staff: Staff
) -> None:
    model = StaffTableModel()
    with ctx.db.session() as session:
        rows: list[UserInfo] = users.list_users(session, staff.admin)
    model.set_users(rows)
    assert model.rowCount() == 6
    qtmodeltester.check(model)  # type: ignore[attr-defined]
