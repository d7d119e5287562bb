"""The participant workspace, its host, and the edit / transfer / discharge / readmit /
recovery-date dialogs, on a real encrypted database."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import Staff
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, WAIT_MS, add_participant, open_workspace

from casebook.database import Database
from casebook.errors import CasebookError
from casebook.services import audit_log, participants
from casebook.services.assignments import AssignmentEntry
from casebook.services.audit_log import AuditEntry
from casebook.services.participants import (
    ParticipantDetail,
    RecoveryStartEntry,
)
from ui import form_dialog
from ui.context import AppContext
from ui.form_dialog import UnsavedChoice
from ui.participant_forms import (
    DischargeDialog,
    EditParticipantDialog,
    ReadmitDialog,
    ResetRecoveryDateDialog,
    TransferDialog,
)
from ui.workspace import (
    AssignmentHistoryModel,
    AuditEventModel,
    ParticipantWorkspace,
    RecoveryStartHistoryModel,
)

# The shared fixtures (ctx and what it needs) and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = [OFFSCREEN_NOISE, pytest.mark.usefixtures("no_modal_questions")]


def view_events(db: Database, staff: Staff, participant_id: int) -> int:
    with db.session() as session:
        return len(
            audit_log.query_audit(
                session, staff.supervisor, participant_id=participant_id, action="participant_view"
            )
        )


def wait_refreshed(
    qtbot: QtBot, workspace: ParticipantWorkspace, check: Callable[[ParticipantDetail], bool]
) -> None:
    qtbot.waitUntil(
        lambda: workspace.detail is not None and check(workspace.detail), timeout=WAIT_MS
    )


# -- opening ---------------------------------------------------------------------------------


def test_opening_shows_the_header_and_is_audited_once(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    long_name = "Zoë Nguyễn-Łukasz Ødegaard-Þórsdóttir"
    pid = add_participant(
        db, staff.peer1, long_name, preferred="Zoë", start=date.today() - timedelta(days=45)
    )
    host, workspace = open_workspace(qtbot, ctx, pid)
    assert workspace.name_label.text() == "Zoë"
    facts = workspace.facts_label.text()
    assert f"Legal name: {long_name}" in facts
    assert "they/them" in facts
    assert "Specialist: Pat Peer" in facts
    assert "Active" in facts
    assert "45 days in recovery" in workspace.recovery_label.text()
    assert "next milestone: 60 days" in workspace.recovery_label.text()
    # Intake 60 days ago, no contact since, weekly cadence: long overdue.
    assert workspace.flag_texts() == ["Contact 53 days overdue"]
    assert [workspace.tabs.tabText(i) for i in range(workspace.tabs.count())] == [
        "Overview",
        "History",
    ]
    assert workspace.contact_card.value("phone") == "555 0100"
    assert "Pat Peer, since" in workspace.assignments_list.text()
    # A specialist sees the assignment and recovery history, not the audit log.
    assert workspace.audit_section.isHidden()
    assert workspace.assignment_model.rowCount() == 1
    assert workspace.recovery_model.rowCount() == 1
    assert not workspace.transfer_action.isVisible()
    assert workspace.discharge_action.isVisible()
    assert not workspace.readmit_action.isVisible()

    assert view_events(db, staff, pid) == 1
    # Switching back to an open workspace and refreshing it are not new openings.
    assert host.open_participant(pid) is workspace
    ctx.notify("participant", pid)
    qtbot.waitUntil(lambda: not workspace.is_loading, timeout=WAIT_MS)
    ctx.runner.wait_all()
    assert view_events(db, staff, pid) == 1


def test_flags_and_feature_tabs_from_other_screens(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1, "Amara Okafor", intake=date.today())
    _host, workspace = open_workspace(qtbot, ctx, pid)
    assert workspace.flag_texts() == []
    workspace.set_flags([("No active consent", "overdue"), ("Safety flag", "safety")])
    assert workspace.flag_texts() == ["No active consent", "Safety flag"]
    chip = workspace.findChildren(QLabel)
    assert any(c.property("badge") == "safety" for c in chip)
    plan = QLabel("plan")
    workspace.add_tab(plan, "Recovery plan")
    workspace.add_tab(QLabel("notes"), "Session notes")
    titles = [workspace.tabs.tabText(i) for i in range(workspace.tabs.count())]
    assert titles == ["Overview", "Recovery plan", "Session notes", "History"]


def test_a_supervisor_sees_the_audit_history(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, qtmodeltester: object
) -> None:
    pid = add_participant(db, staff.peer1, "Renée Dubois", start=date.today() - timedelta(days=3))
    ctx.set_actor(staff.supervisor)
    _host, workspace = open_workspace(qtbot, ctx, pid)
    assert not workspace.audit_section.isHidden()
    actions = [
        workspace.audit_model.row_at(r).action for r in range(workspace.audit_model.rowCount())
    ]
    assert "participant_view" in actions and "participant_create" in actions
    texts = [
        workspace.audit_model.index(r, 2).data() for r in range(workspace.audit_model.rowCount())
    ]
    assert "Opened the record" in texts
    assert workspace.transfer_action.isVisible()
    for model in (workspace.assignment_model, workspace.recovery_model, workspace.audit_model):
        qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_history_models_pass_the_model_tester(qtmodeltester: object, qapp: QApplication) -> None:
    now = datetime(2025, 1, 2, 15, 30, tzinfo=UTC)
    assignments = AssignmentHistoryModel()
    assignments.set_rows(
        [
            AssignmentEntry(1, "Pat Peer", date(2024, 1, 1), date(2024, 6, 1), "intake"),
            AssignmentEntry(2, "Quinn Peer", date(2024, 6, 1), None, ""),
        ]
    )
    qtmodeltester.check(assignments)  # type: ignore[attr-defined]
    assert assignments.index(1, 2).data() == "now"
    starts = RecoveryStartHistoryModel()
    starts.set_rows([RecoveryStartEntry(None, date(2024, 3, 1), now, "at intake")])
    qtmodeltester.check(starts)  # type: ignore[attr-defined]
    assert starts.index(0, 1).data() == "—"
    audit = AuditEventModel()
    audit.set_rows(
        [
            AuditEntry(
                1,
                now,
                "peer1",
                "participant_update",
                "participant",
                7,
                7,
                "R-7",
                '{"fields": ["phone", "email"]}',
            )
        ]
    )
    qtmodeltester.check(audit)  # type: ignore[attr-defined]
    assert audit.index(0, 2).data() == "Changed the profile"
    assert audit.index(0, 3).data() == "fields: phone, email"
    audit.set_rows([])
    assert audit.rowCount() == 0


# -- host --------------------------------------------------------------------------------------


def test_host_switches_and_closes_participants(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    first = add_participant(db, staff.peer1, "First Person")
    second = add_participant(db, staff.peer1, "Second Person")
    host, one = open_workspace(qtbot, ctx, first)
    two = host.open_participant(second)
    qtbot.waitUntil(lambda: two.detail is not None, timeout=WAIT_MS)
    assert host.open_ids() == [first, second]
    assert host.current_workspace() is two
    assert "Second Person" in host.switcher.currentText()
    with qtbot.waitSignal(host.current_changed, timeout=WAIT_MS) as changed:
        host.next_participant()
    assert changed.args == [first]
    assert host.current_workspace() is one
    host.previous_participant()
    assert host.current_workspace() is two
    host.close_current()
    assert host.open_ids() == [first]
    assert host.current_workspace() is one
    with qtbot.waitSignal(host.current_changed, timeout=WAIT_MS) as changed:
        host.close_all()
    assert changed.args == [0]
    assert host.open_ids() == []
    assert host.bar.isHidden()


def test_another_user_closes_every_workspace(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1, "Private Person")
    host, _workspace = open_workspace(qtbot, ctx, pid)
    ctx.set_actor(staff.peer1)  # unlocking as the same person keeps it
    assert host.open_ids() == [pid]
    ctx.set_actor(staff.peer2)
    assert host.open_ids() == []


# -- edit and conflicts ------------------------------------------------------------------------


def test_edit_with_a_stale_version_offers_reload(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1, "Conflict Person")
    _host, workspace = open_workspace(qtbot, ctx, pid)
    with qtbot.waitSignal(workspace.dialog_opened, timeout=WAIT_MS) as opened:
        workspace.edit_action.trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, EditParticipantDialog)
    form = dialog.form
    assert form.legal_name.text() == "Conflict Person"
    assert not dialog.is_dirty()

    # Someone else saves first.
    with db.session() as session:
        detail = participants.get_participant(session, staff.peer1, pid, audit_view=False)
        theirs = participants.parse_participant_fields({**detail.as_fields(), "phone": "555 0199"})
        participants.update_participant(
            session, staff.peer1, pid, theirs, expected_version=detail.version
        )

    form.phone.clear()
    qtbot.keyClicks(form.phone, "555 0123")
    qtbot.keyClicks(form.email, "me@example.org")
    assert dialog.is_dirty() and dialog.save_button.isEnabled()
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.is_saving, timeout=WAIT_MS)
    assert not dialog.conflict_banner.isHidden()
    assert "Someone else saved" in dialog.conflict_text.text()
    assert not dialog.save_button.isEnabled()

    dialog.reload_button.click()
    qtbot.waitUntil(lambda: dialog.reload_button.isHidden(), timeout=WAIT_MS)
    assert form.phone.text() == "555 0199"  # their value is in the form now
    assert set(dialog.differing_fields) == {"phone", "email"}
    text = dialog.conflict_text.text()
    assert "555 0123" in text and "555 0199" in text and "me@example.org" in text
    assert dialog.save_button.isEnabled()

    dialog.reapply_button.click()
    assert form.phone.text() == "555 0123"
    assert form.email.text() == "me@example.org"
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS) as saved:
        dialog.save()
    assert saved.args[0].phone == "555 0123"
    wait_refreshed(qtbot, workspace, lambda d: d.phone == "555 0123")
    assert workspace.contact_card.value("email") == "me@example.org"


def test_edit_validates_as_you_type(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1, "Typing Person")
    _host, workspace = open_workspace(qtbot, ctx, pid)
    workspace.edit()
    dialog = workspace.active_dialog
    assert isinstance(dialog, EditParticipantDialog)
    form = dialog.form
    qtbot.keyClicks(form.email, "not-an-address")
    assert "does not look like" in form.message_for("email").text()
    assert not dialog.save_button.isEnabled()
    form.recovery_start_date.line_edit.setText("1980-01-01")  # before the date of birth
    assert "before the date of birth" in form.message_for("recovery_start_date").text()
    form.recovery_start_date.line_edit.clear()  # an empty optional date is fine
    assert form.message_for("recovery_start_date").isHidden()
    form.email.clear()
    assert dialog.save_button.isEnabled()


# -- transfer, discharge, readmit, new recovery date -------------------------------------------


def test_transfer_by_a_supervisor(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1, "Moving Person")
    ctx.set_actor(staff.supervisor)
    _host, workspace = open_workspace(qtbot, ctx, pid)
    with qtbot.waitSignal(workspace.dialog_opened, timeout=WAIT_MS) as opened:
        workspace.transfer_action.trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, TransferDialog)
    assert dialog.specialist.findData(staff.peer1.id) < 0  # already with Pat
    assert not dialog.save_button.isEnabled()
    dialog.on_date.line_edit.setText("2020-13-01")
    dialog.choose_specialist(staff.peer2.id)
    assert "is not a date" in dialog.message_for("date").text()
    assert not dialog.save_button.isEnabled()
    dialog.on_date.set_date(date.today())
    qtbot.keyClicks(dialog.reason, "caseload balancing")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.save_button.click()
    wait_refreshed(qtbot, workspace, lambda d: d.specialist_id == staff.peer2.id)
    assert "Specialist: Quinn Peer" in workspace.facts_label.text()
    assert workspace.assignment_model.rowCount() == 2
    assert workspace.assignment_model.index(1, 3).data() == "caseload balancing"


def test_transfer_date_message_from_the_service(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1, "Early Person", intake=date.today() - timedelta(days=5))
    ctx.set_actor(staff.supervisor)
    _host, workspace = open_workspace(qtbot, ctx, pid)
    workspace.transfer()
    dialog = workspace.active_dialog
    assert isinstance(dialog, TransferDialog)
    dialog.choose_specialist(staff.peer2.id)
    dialog.on_date.set_date(date.today() - timedelta(days=30))
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.is_saving, timeout=WAIT_MS)
    assert "before the current assignment started" in dialog.message_for("date").text()
    assert dialog.isVisible()


def test_discharge_then_readmit(qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff) -> None:
    pid = add_participant(db, staff.peer1, "Leaving Person")
    _host, workspace = open_workspace(qtbot, ctx, pid)
    with qtbot.waitSignal(workspace.dialog_opened, timeout=WAIT_MS) as opened:
        workspace.discharge_action.trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, DischargeDialog)
    assert not dialog.save_button.isEnabled()  # a reason is needed
    dialog.on_date.line_edit.setText((date.today() + timedelta(days=3)).isoformat())
    assert "in the future" in dialog.message_for("date").text()
    dialog.on_date.set_date(date.today())
    qtbot.keyClicks(dialog.reason, "Completed the programme")
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.save_button.click()
    wait_refreshed(qtbot, workspace, lambda d: d.status == "discharged")
    assert "Discharged" in workspace.facts_label.text()
    assert workspace.flag_texts() == []  # no contact is due after discharge
    assert workspace.programme_card.value("discharge_reason") == "Completed the programme"
    assert workspace.readmit_action.isVisible() and not workspace.discharge_action.isVisible()

    with qtbot.waitSignal(workspace.dialog_opened, timeout=WAIT_MS) as opened:
        workspace.readmit_action.trigger()
    readmit = opened.args[0]
    assert isinstance(readmit, ReadmitDialog)
    readmit.on_date.set_date(date.today() - timedelta(days=1))  # before the discharge
    assert "before the discharge date" in readmit.message_for("date").text()
    readmit.on_date.set_date(date.today())
    with qtbot.waitSignal(readmit.saved, timeout=WAIT_MS):
        readmit.save_button.click()
    wait_refreshed(qtbot, workspace, lambda d: d.status == "active")
    assert workspace.detail is not None and workspace.detail.intake_date == date.today()
    assert workspace.discharge_action.isVisible()


def test_mark_inactive_and_active(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1, "Quiet Person")
    _host, workspace = open_workspace(qtbot, ctx, pid)
    workspace.inactive_action.trigger()
    wait_refreshed(qtbot, workspace, lambda d: d.status == "inactive")
    assert workspace.active_action.isVisible()
    workspace.active_action.trigger()
    wait_refreshed(qtbot, workspace, lambda d: d.status == "active")


def test_new_recovery_start_date(qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff) -> None:
    pid = add_participant(
        db, staff.peer1, "Restart Person", start=date.today() - timedelta(days=200)
    )
    _host, workspace = open_workspace(qtbot, ctx, pid)
    with qtbot.waitSignal(workspace.dialog_opened, timeout=WAIT_MS) as opened:
        workspace.reset_action.trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, ResetRecoveryDateDialog)
    new_start = date.today() - timedelta(days=10)
    dialog.new_date.set_date(new_start)
    qtbot.keyClicks(dialog.note, "starting again")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.save_button.click()
    wait_refreshed(qtbot, workspace, lambda d: d.recovery_start_date == new_start)
    assert "10 days in recovery" in workspace.recovery_label.text()
    assert workspace.recovery_model.rowCount() == 2
    assert "starting again" in workspace.starts_list.text()


def test_closing_a_dialog_with_changes_asks(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = add_participant(db, staff.peer1, "Careful Person")
    host, workspace = open_workspace(qtbot, ctx, pid)
    workspace.discharge()
    dialog = workspace.active_dialog
    assert dialog is not None
    assert not host.has_unsaved_changes()
    qtbot.keyClicks(dialog.reason, "half a thought")  # type: ignore[attr-defined]
    # What the main window asks before sign-out or quit.
    assert host.has_unsaved_changes()
    with pytest.raises(CasebookError, match="still open with changes"):
        host.save_drafts()
    monkeypatch.setattr(form_dialog, "ask_unsaved_changes", lambda parent: UnsavedChoice.CANCEL)
    host.close_current()  # the user keeps the dialog, so the workspace stays too
    assert host.open_ids() == [pid]
    assert dialog.isVisible()
    monkeypatch.setattr(form_dialog, "ask_unsaved_changes", lambda parent: UnsavedChoice.DISCARD)
    host.close_current()
    assert host.open_ids() == []


# -- keyboard and accessibility ----------------------------------------------------------------


def test_keyboard_reaches_every_action(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1, "Keyboard Person")
    host, workspace = open_workspace(qtbot, ctx, pid)
    for action in (workspace.edit_action, workspace.discharge_action, workspace.reset_action):
        button = workspace.toolbar.widgetForAction(action)
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
        assert button.accessibleName()
    host.activateWindow()
    workspace.setFocus()
    with qtbot.waitSignal(workspace.dialog_opened, timeout=WAIT_MS) as opened:
        qtbot.keyClick(workspace, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = opened.args[0]
    assert isinstance(dialog, EditParticipantDialog)
    form = dialog.form
    for name in ("legal_name", "date_of_birth", "email", "address", "contact_cadence_days"):
        assert form._inputs[name].accessibleName()
    # Tab goes down the identity fields in order.
    order: list[QWidget] = []
    widget = form.record_number.nextInFocusChain()
    while widget is not None and len(order) < 4:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            order.append(widget)
        widget = widget.nextInFocusChain()
    assert order[0] is form.legal_name and order[1] is form.preferred_name
    dialog.done(0)


def test_ctrl_page_down_and_up_move_between_the_records_tabs(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    # Ctrl+Tab moves between open participants, so the record's own tabs need keys too.
    pid = add_participant(db, staff.peer1, "Tab Walker")
    host, workspace = open_workspace(qtbot, ctx, pid)
    host.activateWindow()
    workspace.setFocus()
    tabs = workspace.tabs
    assert tabs.currentIndex() == 0 and tabs.count() >= 2
    qtbot.keyClick(workspace, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == 1
    qtbot.keyClick(workspace, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(workspace, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == tabs.count() - 1  # wraps round to the last tab
