"""The Session notes tab and the note editor on a real encrypted database: writing a
GIRP note, autosave and a draft that survives the editor being dropped, signing,
addenda, entered in error, co-signature, risk flags on the header, field messages."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import Staff
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from ui_support import LONG_NAME, OFFSCREEN_NOISE, WAIT_MS

from casebook.database import Database
from casebook.security.permissions import Actor
from casebook.services import note_templates, notes, participants
from casebook.services.participants import ParticipantFields
from models import Goal, RecoveryPlan
from ui import form_dialog, note_autosave, note_editor, note_form, notes_tab
from ui.context import AppContext
from ui.form_dialog import UnsavedChoice
from ui.main_window import DISCARD, PARTICIPANT_PAGE, MainWindow, PageSpec
from ui.note_editor import NoteEditor
from ui.note_tools import GroupSessionDialog
from ui.note_view import ReasonDialog
from ui.notes_tab import NotesTab
from ui.settings import Settings
from ui.workspace import (
    FLAG_SOURCES,
    WORKSPACE_TABS,
    ParticipantWorkspace,
    TabSpec,
    WorkspaceHost,
    register_tab,
)

# The shared fixtures (ctx and what it needs) live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE

GIRP = {
    "goal": "Stable housing",
    "intervention": "Reviewed the housing applications together",
    "response": "Zoë filled in two forms and felt hopeful",
    "plan": "Call the housing office on Monday",
}


@pytest.fixture(autouse=True)
def _quick_and_quiet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A short autosave delay, no modal questions, and the registries as they were."""
    monkeypatch.setattr(note_autosave, "AUTOSAVE_DELAY_MS", 40)
    monkeypatch.setattr(note_editor, "confirm_sign", lambda parent: True)
    monkeypatch.setattr(notes_tab, "confirm_sign", lambda parent: True)
    monkeypatch.setattr(note_form, "confirm_format_change", lambda parent, sections: True)
    monkeypatch.setattr(form_dialog, "ask_unsaved_changes", lambda parent: UnsavedChoice.SAVE)
    tabs, sources = list(WORKSPACE_TABS), list(FLAG_SOURCES)
    notes_tab.install()
    yield
    WORKSPACE_TABS[:] = tabs
    FLAG_SOURCES[:] = sources


def add_participant(db: Database, actor: Actor, name: str = LONG_NAME) -> int:
    with db.session() as session:
        return participants.create_participant(
            session,
            actor,
            ParticipantFields(
                record_number="",
                legal_name=name,
                preferred_name="",
                pronouns="",
                date_of_birth=date(1990, 2, 3),
                intake_date=date.today() - timedelta(days=3),
            ),
        ).id


def add_goal(db: Database, participant_id: int, statement: str) -> int:
    # The plans service has its own tests; an active plan with one goal is enough here.
    with db.session() as session:
        plan = RecoveryPlan(
            participant_id=participant_id, version=1, status="active", domain_set="samhsa4"
        )
        plan.goals.append(Goal(domain="home", statement=statement, position=0))
        session.add(plan)
        session.flush()
        return plan.goals[0].id


def signed_note(db: Database, actor: Actor, pid: int, **kw: object) -> int:
    values: dict[str, object] = {
        "occurred_at": datetime.now(UTC) - timedelta(hours=2),
        "duration_minutes": 30,
        "sections": GIRP,
    }
    values.update(kw)
    with db.session() as session:
        saved = notes.save_draft(session, actor, pid, notes.NoteContent(**values))  # type: ignore[arg-type]
    with db.session() as session:
        notes.sign_note(session, actor, saved.note_id)
    return saved.note_id


def open_notes(
    qtbot: QtBot, ctx: AppContext, pid: int
) -> tuple[WorkspaceHost, ParticipantWorkspace, NotesTab]:
    host = WorkspaceHost(ctx)
    qtbot.addWidget(host)
    host.resize(1366, 768)
    with qtbot.waitActive(host):
        host.show()
        host.activateWindow()
    workspace = host.open_participant(pid)
    qtbot.waitUntil(lambda: workspace.detail is not None, timeout=WAIT_MS)
    tab = workspace.show_tab("notes")
    assert isinstance(tab, NotesTab)
    qtbot.waitUntil(lambda: tab.has_loaded and not tab.is_loading, timeout=WAIT_MS)
    return host, workspace, tab


def wait_detail(qtbot: QtBot, tab: NotesTab, check: object) -> None:
    qtbot.waitUntil(
        lambda: tab.detail is not None and check(tab.detail),  # type: ignore[operator]
        timeout=WAIT_MS,
    )


def type_girp(qtbot: QtBot, editor: NoteEditor) -> None:
    editor.form.duration.setValue(45)
    for key, text in GIRP.items():
        edit = editor.form.section_edits[key]
        edit.setFocus()
        if text.isascii():
            qtbot.keyClicks(edit, text)
        else:  # QTest types ASCII only
            edit.insertPlainText(text)


def stored(db: Database, actor: Actor, note_id: int) -> notes.NoteDetail:
    with db.session() as session:
        return notes.get_note(session, actor, note_id)


# -- writing and signing -------------------------------------------------------------------


def test_a_girp_note_autosaves_then_signs_and_locks(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    goal_id = add_goal(db, pid, "Find a flat near my sister")
    _host, _ws, tab = open_notes(qtbot, ctx, pid)
    assert tab.model.rowCount() == 0 and not tab.empty.isHidden()
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    editor = tab.editor
    assert editor is not None and tab.stack.currentWidget() is editor
    assert editor.form.current_format() == "GIRP"
    assert list(editor.form.section_edits) == ["goal", "intervention", "response", "plan"]
    # Nothing typed, nothing saved.
    assert editor.content() is None
    qtbot.waitUntil(
        lambda: editor.form.goals.findChild(QWidget, f"goal_{goal_id}") is not None, timeout=WAIT_MS
    )
    type_girp(qtbot, editor)
    editor.form.goals.findChild(QWidget, f"goal_{goal_id}").setChecked(True)  # type: ignore[union-attr]
    qtbot.waitUntil(
        lambda: editor.note_id is not None and not editor.has_unsaved_changes(), timeout=WAIT_MS
    )
    assert "Draft saved" in editor.state_label.text()
    draft = stored(db, staff.peer1, editor.note_id)  # type: ignore[arg-type]
    assert draft.status == "draft" and dict(draft.sections) == GIRP
    assert draft.duration_minutes == 45
    assert [(g.goal_id, g.mark) for g in draft.goals] == [(goal_id, "no_change")]

    note_id = editor.note_id
    qtbot.keyClick(
        editor.form.section_edits["plan"], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )
    qtbot.waitUntil(lambda: tab.editor is None, timeout=WAIT_MS)
    wait_detail(qtbot, tab, lambda d: d.id == note_id and d.is_signed)
    detail = tab.detail
    assert detail is not None and detail.content_hash
    text = tab.reader.toPlainText()
    assert detail.content_hash in text and "signed by Pat Peer" in text
    assert "Find a flat near my sister" in text
    # Signed: no more editing or signing, an addendum instead.
    assert tab.edit_button.isHidden() and tab.sign_button.isHidden()
    assert tab.addendum_button.isVisible() and tab.error_button.isVisible()
    assert tab.model.index(0, 5).data() == "Signed"
    with db.session() as session:
        assert notes.verify_note_hash(session, staff.peer1, note_id).ok  # type: ignore[arg-type]


def test_a_dropped_editor_leaves_its_draft_which_is_offered_back(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    host, _ws, tab = open_notes(qtbot, ctx, pid)
    tab.new_note()
    editor = tab.editor
    assert editor is not None
    editor.form.format.setCurrentIndex(editor.form.format.findData("DAP"))
    edit = editor.form.section_edits["data"]
    edit.setFocus()
    qtbot.keyClicks(edit, "Met at the library; talked about the job fair")
    qtbot.waitUntil(
        lambda: editor.note_id is not None and not editor.has_unsaved_changes(), timeout=WAIT_MS
    )
    note_id = editor.note_id
    # The autosave alone made it durable, before anything closes.
    assert stored(db, staff.peer1, note_id).sections["data"].startswith("Met at the library")  # type: ignore[arg-type]
    # A crash: the widgets are gone without any save or close handling.
    host.close_all()
    host.deleteLater()
    qtbot.wait(20)

    _host2, _ws2, tab2 = open_notes(qtbot, ctx, pid)
    assert tab2.draft_banner.isVisible()
    assert "unsigned draft" in tab2.draft_label.text()
    assert tab2.model.index(0, 5).data() == "Draft"
    tab2.resume_button.click()
    qtbot.waitUntil(lambda: tab2.editor is not None, timeout=WAIT_MS)
    restored = tab2.editor
    assert restored is not None and restored.note_id == note_id
    assert restored.form.current_format() == "DAP"
    assert not restored.has_unsaved_changes()  # reopened as it was stored
    assert restored.discard_button.isVisible()
    assert restored.form.section_edits["data"].toPlainText() == (
        "Met at the library; talked about the job fair"
    )
    # It continues the same draft rather than starting another.
    qtbot.keyClicks(restored.form.section_edits["assessment"], "Keen")
    qtbot.waitUntil(lambda: not restored.has_unsaved_changes(), timeout=WAIT_MS)
    assert stored(db, staff.peer1, note_id).sections["assessment"] == "Keen"  # type: ignore[arg-type]
    with db.session() as session:
        assert [d.note_id for d in notes.list_drafts(session, staff.peer1)] == [note_id]


def test_lock_saves_the_draft_at_once_and_esc_asks(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(note_autosave, "AUTOSAVE_DELAY_MS", 60_000)
    pid = add_participant(db, staff.peer1)
    _host, _ws, tab = open_notes(qtbot, ctx, pid)
    tab.new_note()
    editor = tab.editor
    assert editor is not None
    qtbot.keyClicks(editor.form.section_edits["goal"], "Keep my phone on")
    assert tab.has_unsaved_changes()
    tab.save_drafts()  # what the window does on lock or switch user
    assert not tab.has_unsaved_changes()
    assert stored(db, staff.peer1, editor.note_id).sections["goal"] == "Keep my phone on"  # type: ignore[arg-type]
    qtbot.keyClicks(editor.form.section_edits["goal"], " charged")
    asked: list[QWidget] = []

    def ask(parent: QWidget) -> UnsavedChoice:
        asked.append(parent)
        return UnsavedChoice.SAVE

    monkeypatch.setattr(form_dialog, "ask_unsaved_changes", ask)
    qtbot.keyClick(editor.form.section_edits["goal"], Qt.Key.Key_Escape)
    assert asked == [editor]
    qtbot.waitUntil(lambda: tab.editor is None, timeout=WAIT_MS)
    with db.session() as session:
        [draft] = notes.list_drafts(session, staff.peer1)
        assert notes.get_note(session, staff.peer1, draft.note_id).sections["goal"] == (
            "Keep my phone on charged"
        )


def test_signing_an_incomplete_note_names_the_empty_field(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    _host, _ws, tab = open_notes(qtbot, ctx, pid)
    tab.new_note()
    editor = tab.editor
    assert editor is not None
    editor.form.duration.setValue(20)
    qtbot.keyClicks(editor.form.section_edits["goal"], "Sleep")
    editor.sign()
    message = editor.form.messages["intervention"]
    qtbot.waitUntil(lambda: message.is_error, timeout=WAIT_MS)
    assert "Intervention is empty" in message.text()
    assert editor.form.messages["response"].is_error and editor.form.messages["plan"].is_error
    assert not editor.form.messages["goal"].is_error
    assert tab.editor is editor  # still writing
    assert "Not signed" in editor.state_label.text()
    # Typing into the field clears its message.
    qtbot.keyClicks(editor.form.section_edits["intervention"], "Talked")
    assert not message.is_error


# -- after signing ---------------------------------------------------------------------------


def reason_dialog(qtbot: QtBot, workspace: ParticipantWorkspace, button: QWidget) -> ReasonDialog:
    with qtbot.waitSignal(workspace.dialog_opened, timeout=WAIT_MS) as opened:
        button.click()  # type: ignore[attr-defined]
    dialog = opened.args[0]
    assert isinstance(dialog, ReasonDialog)
    return dialog


def test_addendum_and_entered_in_error_need_a_reason(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    note_id = signed_note(db, staff.peer1, pid)
    _host, workspace, tab = open_notes(qtbot, ctx, pid)
    wait_detail(qtbot, tab, lambda d: d.id == note_id)

    # Search results and review queues open a note by id.
    other = signed_note(db, staff.peer1, pid, occurred_at=datetime.now(UTC) - timedelta(days=5))
    ctx.notify("notes", pid)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2 and not tab.is_loading, timeout=WAIT_MS)
    tab.show_note(other)
    wait_detail(qtbot, tab, lambda d: d.id == other)
    tab.show_note(note_id)
    wait_detail(qtbot, tab, lambda d: d.id == note_id)
    dialog = reason_dialog(qtbot, workspace, tab.addendum_button)
    dialog.text.setPlainText("The housing office is closed on Mondays; calling Tuesday.")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.msgs["reason"].is_error, timeout=WAIT_MS)
    assert "reason for the addendum" in dialog.msgs["reason"].text()
    dialog.reason.setText("Wrong day in the plan")
    with qtbot.waitSignal(dialog.finished, timeout=WAIT_MS):
        dialog.ok_button.click()
        # Esc while it saves: the answer is delivered on the event loop, so this runs
        # before it; closing now would lose the notes tab's reload.
        assert dialog.saving
        dialog.reject()
        assert dialog.isVisible() and dialog.reason.isReadOnly()
    wait_detail(qtbot, tab, lambda d: len(d.addenda) == 1)
    text = tab.reader.toPlainText()
    assert "Addendum by Pat Peer" in text and "Reason: Wrong day in the plan" in text
    assert "(+1)" in tab.model.index(0, 5).data()

    dialog = reason_dialog(qtbot, workspace, tab.error_button)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.msgs["reason"].is_error, timeout=WAIT_MS)
    dialog.reason.setText("Written in the wrong record")
    with qtbot.waitSignal(dialog.finished, timeout=WAIT_MS):
        dialog.ok_button.click()
    wait_detail(qtbot, tab, lambda d: d.is_entered_in_error)
    assert tab.model.index(0, 5).data().startswith("Entered in error")
    assert "Reason: Written in the wrong record" in tab.reader.toPlainText()
    assert tab.error_button.isHidden() and tab.addendum_button.isHidden()
    # Still there: never deleted.
    assert stored(db, staff.peer1, note_id).sections["goal"] == GIRP["goal"]


def test_a_supervisor_cosigns_and_a_specialist_cannot(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    note_id = signed_note(db, staff.peer1, pid)
    _host, _ws, tab = open_notes(qtbot, ctx, pid)
    wait_detail(qtbot, tab, lambda d: d.id == note_id)
    assert tab.cosign_button.isHidden()

    ctx.set_actor(staff.supervisor)
    _host2, _ws2, tab2 = open_notes(qtbot, ctx, pid)
    wait_detail(qtbot, tab2, lambda d: d.id == note_id)
    assert tab2.cosign_button.isVisible() and tab2.cosign_button.isEnabled()
    assert tab2.new_button.isVisible()
    tab2.cosign_button.click()
    wait_detail(qtbot, tab2, lambda d: d.cosigned_at is not None)
    assert tab2.model.index(0, 5).data() == "Co-signed"
    assert "co-signed by Sam Supervisor" in tab2.reader.toPlainText()
    assert tab2.cosign_button.isHidden()


# -- risk -------------------------------------------------------------------------------------


def test_a_risk_flag_shows_on_the_header(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    when = datetime.now(UTC) - timedelta(hours=3)
    signed_note(db, staff.peer1, pid, occurred_at=when, risk_flags=["overdose_risk"])
    _host, workspace, tab = open_notes(qtbot, ctx, pid)
    day = when.astimezone().strftime("%d %b")
    assert f"Safety flag: overdose risk ({day})" in workspace.flag_texts()
    chips = [c for c in workspace.findChildren(QLabel) if c.property("badge") == "safety"]
    assert [c.text() for c in chips] == [f"Safety flag: overdose risk ({day})"]
    assert tab.model.index(0, 6).data() == "Overdose risk"


@pytest.mark.parametrize("how", ["ctrl_s", "esc_after_autosave"])
def test_a_risk_flag_offers_an_urgent_referral(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, how: str
) -> None:
    # The Referrals tab is another screen's; a stand-in shows that it is brought forward.
    register_tab(TabSpec("referrals", "Referrals", "send", lambda c, w: QLabel("referrals"), 30))
    pid = add_participant(db, staff.peer1)
    _host, workspace, tab = open_notes(qtbot, ctx, pid)
    tab.new_note()
    editor = tab.editor
    assert editor is not None
    assert editor.form.risk.urgent.isHidden()
    editor.form.risk.boxes["self_harm"].setChecked(True)
    assert editor.form.risk.urgent.isVisible()
    editor.form.risk.urgent.setChecked(True)
    qtbot.keyClicks(editor.form.section_edits["goal"], "Safety")
    goal = editor.form.section_edits["goal"]
    if how == "ctrl_s":
        qtbot.keyClick(goal, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    else:
        qtbot.waitUntil(
            lambda: editor.note_id is not None and not editor.has_unsaved_changes(), timeout=WAIT_MS
        )
        assert tab.referral_banner.isHidden()  # autosave alone does not leave the note
        qtbot.keyClick(goal, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: tab.referral_banner.isVisibleTo(tab), timeout=WAIT_MS)
    assert workspace.tabs.currentWidget() is workspace.feature_tabs["referrals"]
    banner = tab.referral_label.text()
    assert "Thoughts of self-harm" in banner and "Referrals tab" in banner
    assert "consent" in banner  # no consent yet: the service's hint says what is needed
    told = workspace.findChild(QMessageBox, "urgentReferralMessage")
    assert told is not None and told.isVisible() and told.text() == banner
    told.accept()
    qtbot.waitUntil(lambda: editor.note_id is not None, timeout=WAIT_MS)
    assert stored(db, staff.peer1, editor.note_id).risk_flags == ("self_harm",)  # type: ignore[arg-type]


# -- writing aids and groups -------------------------------------------------------------------


def test_a_quick_phrase_goes_into_the_field_being_written(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    with db.session() as session:
        note_templates.create_phrase(session, staff.peer1, text="Shared my own experience.")
    pid = add_participant(db, staff.peer1)
    _host, _ws, tab = open_notes(qtbot, ctx, pid)
    tab.new_note()
    editor = tab.editor
    assert editor is not None
    qtbot.waitUntil(lambda: editor.form.templates.choice.count() == 1, timeout=WAIT_MS)
    target = editor.form.section_edits["intervention"]
    target.setFocus()
    qtbot.keyClicks(target, "Listened.")
    editor.form.templates.insert_button.click()
    assert target.toPlainText() == "Listened. Shared my own experience."
    assert editor.form.section_edits["goal"].toPlainText() == ""


def test_a_group_session_gives_each_attendee_a_draft(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    other = add_participant(db, staff.peer1, "Amara Okafor")
    late = add_participant(db, staff.peer1, "Björn Åkesson")
    _host, _ws, tab = open_notes(qtbot, ctx, pid)
    tab.new_note()
    editor = tab.editor
    assert editor is not None
    editor.form.kind.setCurrentIndex(editor.form.kind.findData("group"))
    assert list(editor.form.section_edits) == [
        "individual",
        "goal",
        "intervention",
        "response",
        "plan",
    ]
    assert editor.group_button.isVisible()
    editor.form.duration.setValue(60)
    qtbot.keyClicks(editor.form.section_edits["individual"], "Spoke about the first month")
    assert editor.content() is None  # nothing can be saved before the group exists
    with qtbot.waitSignal(editor.dialog_opened, timeout=WAIT_MS) as opened:
        editor.group_button.click()
    dialog = opened.args[0]
    assert isinstance(dialog, GroupSessionDialog)
    qtbot.waitUntil(lambda: dialog.attendees.count() == 2, timeout=WAIT_MS)
    names = [dialog.attendees.item(i).text() for i in range(2)]
    dialog.attendees.item(names.index(next(n for n in names if "Amara" in n))).setCheckState(
        Qt.CheckState.Checked
    )
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.msgs["topic"].is_error, timeout=WAIT_MS)
    assert "topic" in dialog.msgs["topic"].text()
    dialog.topic.setText("Coping with cravings")
    dialog.group_text.setPlainText("Shared strategies for evenings.")
    with qtbot.waitSignal(dialog.finished, timeout=WAIT_MS):
        dialog.create_button.click()
    qtbot.waitUntil(lambda: editor.note_id is not None, timeout=WAIT_MS)
    assert "Coping with cravings" in editor.form.group_label.text()
    assert not editor.form.when.isEnabled() and not editor.group_button.isVisible()
    with db.session() as session:
        mine = notes.get_note(session, staff.peer1, editor.note_id)  # type: ignore[arg-type]
        theirs = notes.list_notes(session, staff.peer1, other)
    assert mine.sections["individual"] == "Spoke about the first month"
    assert mine.group is not None and mine.group.topic == "Coping with cravings"
    assert [n.kind for n in theirs] == ["group"] and theirs[0].status == "draft"
    # The attendee's own paragraph keeps autosaving into the same note.
    qtbot.keyClicks(editor.form.section_edits["individual"], ", and felt heard")
    qtbot.waitUntil(lambda: not editor.has_unsaved_changes(), timeout=WAIT_MS)
    assert stored(db, staff.peer1, mine.id).sections["individual"].endswith("felt heard")
    # Someone came late: the facilitator adds them; Amara is not offered twice.
    assert editor.attendees_button.isVisible()
    with qtbot.waitSignal(editor.dialog_opened, timeout=WAIT_MS) as opened:
        editor.attendees_button.click()
    adding = opened.args[0]
    assert isinstance(adding, GroupSessionDialog)
    qtbot.waitUntil(lambda: adding.attendees.count() == 1, timeout=WAIT_MS)
    assert "Björn" in adding.attendees.item(0).text()
    adding.create_button.click()
    assert adding.msgs["attendees"].is_error  # nobody ticked
    adding.attendees.item(0).setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(adding.finished, timeout=WAIT_MS):
        adding.create_button.click()
    assert "1 attendee added" in editor.state_label.text()
    with db.session() as session:
        [late_note] = notes.list_notes(session, staff.peer1, late)
    assert late_note.kind == "group" and late_note.group_topic == "Coping with cravings"


def test_locking_the_window_keeps_the_draft_at_once(
    qtbot: QtBot,
    ctx: AppContext,
    db: Database,
    staff: Staff,
    prefs: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(note_autosave, "AUTOSAVE_DELAY_MS", 60_000)
    pid = add_participant(db, staff.peer1)
    page = PageSpec(
        PARTICIPANT_PAGE, "Participant", "user", lambda c, parent: WorkspaceHost(c, parent)
    )
    window = MainWindow(ctx, prefs, pages=[page])
    window.ask_unsaved = lambda _action: DISCARD
    qtbot.addWidget(window)
    window.resize(1366, 768)
    with qtbot.waitExposed(window):
        window.show()
    window.open_participant.emit(pid)
    host = window.page(PARTICIPANT_PAGE)
    assert isinstance(host, WorkspaceHost)
    workspace = host.workspace(pid)
    assert workspace is not None
    qtbot.waitUntil(lambda: workspace.detail is not None, timeout=WAIT_MS)
    tab = workspace.show_tab("notes")
    assert isinstance(tab, NotesTab)
    qtbot.waitUntil(lambda: tab.has_loaded and not tab.is_loading, timeout=WAIT_MS)
    tab.new_note()
    editor = tab.editor
    assert editor is not None
    editor.form.section_edits["goal"].insertPlainText("Ring Łukasz about the flat")
    assert editor.note_id is None  # the autosave delay has not passed
    window.lock("idle")
    assert editor.note_id is not None and not editor.has_unsaved_changes()
    assert stored(db, staff.peer1, editor.note_id).sections["goal"] == "Ring Łukasz about the flat"
    # Behind the lock screen nothing was closed: the editor is still there.
    assert tab.editor is editor
    ctx.runner.wait_all(WAIT_MS)


def test_changing_format_asks_before_dropping_written_sections(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = add_participant(db, staff.peer1)
    _host, _ws, tab = open_notes(qtbot, ctx, pid)
    tab.new_note()
    editor = tab.editor
    assert editor is not None
    qtbot.keyClicks(editor.form.section_edits["goal"], "Housing")
    qtbot.keyClicks(editor.form.section_edits["plan"], "Call Monday")
    asked: list[list[str]] = []
    monkeypatch.setattr(
        note_form, "confirm_format_change", lambda parent, sections: asked.append(sections)
    )
    editor.form.format.setCurrentIndex(editor.form.format.findData("DAP"))
    assert asked == [["Goal"]]
    assert editor.form.current_format() == "GIRP"
    assert editor.form.section_edits["goal"].toPlainText() == "Housing"
    monkeypatch.setattr(note_form, "confirm_format_change", lambda parent, sections: True)
    editor.form.format.setCurrentIndex(editor.form.format.findData("DAP"))
    assert list(editor.form.section_edits) == ["data", "assessment", "plan"]
    assert editor.form.section_edits["plan"].toPlainText() == "Call Monday"  # shared section kept
    qtbot.waitUntil(
        lambda: editor.note_id is not None and not editor.has_unsaved_changes(), timeout=WAIT_MS
    )
    saved = stored(db, staff.peer1, editor.note_id)  # type: ignore[arg-type]
    assert saved.format == "DAP" and "goal" not in saved.sections
    assert saved.sections["plan"] == "Call Monday"


def test_a_supervisor_reads_a_team_draft_but_cannot_edit_or_sign_it(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    with db.session() as session:
        saved = notes.save_draft(
            session,
            staff.peer1,
            pid,
            notes.NoteContent(
                occurred_at=datetime.now(UTC) - timedelta(days=2),
                duration_minutes=15,
                sections={"goal": "Work"},
            ),
        )
    ctx.set_actor(staff.supervisor)
    _host, _ws, tab = open_notes(qtbot, ctx, pid)
    wait_detail(qtbot, tab, lambda d: d.id == saved.note_id)
    assert tab.model.index(0, 5).data() == "Draft"
    for button in (
        tab.edit_button,
        tab.sign_button,
        tab.addendum_button,
        tab.error_button,
        tab.cosign_button,
    ):
        assert button.isHidden(), button.text()
    assert tab.draft_banner.isHidden()  # not the supervisor's own draft
    assert (
        tab.reader.toPlainText().startswith("Individual session")
        and "Draft — " in tab.reader.toPlainText()
    )


def test_discarding_a_draft_deletes_it_after_asking(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = add_participant(db, staff.peer1)
    _host, _ws, tab = open_notes(qtbot, ctx, pid)
    tab.new_note()
    editor = tab.editor
    assert editor is not None
    assert editor.discard_button.isHidden()  # nothing saved, nothing to discard
    qtbot.keyClicks(editor.form.section_edits["goal"], "Wrong person")
    qtbot.waitUntil(lambda: editor.discard_button.isVisible(), timeout=WAIT_MS)
    monkeypatch.setattr(note_editor, "confirm_discard", lambda parent: False)
    editor.discard_button.click()
    assert tab.editor is editor
    monkeypatch.setattr(note_editor, "confirm_discard", lambda parent: True)
    editor.discard_button.click()
    qtbot.waitUntil(lambda: tab.editor is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not tab.is_loading, timeout=WAIT_MS)
    assert tab.model.rowCount() == 0 and tab.draft_banner.isHidden()
    with db.session() as session:
        assert notes.list_drafts(session, staff.peer1) == []


def test_a_risk_flag_opens_the_real_referral_form_prefilled(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    from ui.referral_form import ReferralDialog
    from ui.referrals_tab import ReferralsTab

    register_tab(TabSpec("referrals", "Referrals", "send", ReferralsTab, 30))
    pid = add_participant(db, staff.peer1)
    _host, workspace, tab = open_notes(qtbot, ctx, pid)
    tab.new_note()
    editor = tab.editor
    assert editor is not None
    editor.form.risk.boxes["overdose_risk"].setChecked(True)
    editor.form.risk.urgent.setChecked(True)
    goal = editor.form.section_edits["goal"]
    qtbot.keyClicks(goal, "Check in after a scare")
    qtbot.keyClick(goal, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    referrals_tab = workspace.feature_tabs["referrals"]
    assert isinstance(referrals_tab, ReferralsTab)
    qtbot.waitUntil(lambda: referrals_tab.active_dialog is not None, timeout=WAIT_MS)
    assert workspace.tabs.currentWidget() is referrals_tab
    dialog = referrals_tab.active_dialog
    assert isinstance(dialog, ReferralDialog)
    # One window at a time: the form, not a message box on top of it.
    assert workspace.findChild(QMessageBox, "urgentReferralMessage") is None
    assert "Overdose risk" in tab.referral_label.text()
    assert "Overdose risk" in dialog.reason.toPlainText()
    dialog.reject()
