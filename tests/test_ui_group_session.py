"""The group session dialog, opened from the note editor on a real encrypted database:
changing the shared part for every attendee, field messages, the lock once a note is
signed, signing every draft at once (or none), and who may open it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import Staff
from PySide6.QtCore import QDateTime, Qt
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, WAIT_MS, add_participant

from casebook.database import Database
from casebook.security.permissions import Actor
from casebook.services import note_groups, notes
from ui import form_dialog, group_session_dialog, note_autosave
from ui.context import AppContext
from ui.form_dialog import UnsavedChoice
from ui.group_session_dialog import GroupSessionDetailDialog
from ui.note_editor import NoteEditor
from ui.notes_tab import NotesTab
from ui.workspace import FLAG_SOURCES, WORKSPACE_TABS, WorkspaceHost

# The shared fixtures (prefs, shown_errors, ctx) and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE

LONG_NAME = "Zoë Ødegaard-Fitzgerald"


@pytest.fixture
def unsaved_answers(monkeypatch: pytest.MonkeyPatch) -> list[UnsavedChoice]:
    """The answers the unsaved-changes question gives, in order; asking with none left
    fails the test (the question was not expected)."""
    answers: list[UnsavedChoice] = []

    def ask(_parent: object) -> UnsavedChoice:
        assert answers, "the unsaved-changes question was not expected"
        return answers.pop(0)

    monkeypatch.setattr(form_dialog, "ask_unsaved_changes", ask)
    return answers


@pytest.fixture
def sign_counts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every "sign all" confirmation says how many notes; the tests always confirm."""
    counts: list[int] = []

    def confirm(_parent: object, count: int) -> bool:
        counts.append(count)
        return True

    monkeypatch.setattr(group_session_dialog, "confirm_sign_all", confirm)
    return counts


@pytest.fixture(autouse=True)
def _quick_and_quiet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A short autosave delay, and the notes tab registered for this test only."""
    from ui import notes_tab

    monkeypatch.setattr(note_autosave, "AUTOSAVE_DELAY_MS", 40)
    tabs, sources = list(WORKSPACE_TABS), list(FLAG_SOURCES)
    notes_tab.install()
    yield
    WORKSPACE_TABS[:] = tabs
    FLAG_SOURCES[:] = sources


@pytest.fixture
def ctx(unsaved_answers: list[UnsavedChoice], ctx: AppContext) -> Iterator[AppContext]:
    """The shared ctx (Pat Peer, no error box expected), the unsaved-changes question
    answered from ``unsaved_answers``, every expected answer used."""
    yield ctx
    assert unsaved_answers == [], "an expected unsaved-changes question was not asked"


class Group:
    """A group session peer1 facilitated for three of their participants."""

    def __init__(
        self,
        db: Database,
        staff: Staff,
        *,
        third_paragraph: str = "Listened.",
        occurred_at: datetime | None = None,
    ) -> None:
        recent = date.today() - timedelta(days=3)
        self.zoe = add_participant(db, staff.peer1, LONG_NAME, intake=recent)
        self.amara = add_participant(db, staff.peer1, "Amara Okafor", intake=recent)
        self.bjorn = add_participant(db, staff.peer1, "Björn Åkesson", intake=recent)
        with db.session() as session:
            detail = note_groups.create_group_session(
                session,
                staff.peer1,
                topic="Coping with cravings",
                # To the minute, as the window creates groups (the editor sends minutes).
                occurred_at=occurred_at
                or (datetime.now(UTC) - timedelta(hours=2)).replace(second=0),
                duration_minutes=60,
                location="Room 2",
                group_text="Shared strategies for evenings.",
                attendees=[
                    (self.zoe, "Spoke about the first month."),
                    (self.amara, "Offered a tip about walking."),
                    (self.bjorn, third_paragraph),
                ],
            )
        self.id = detail.id
        self.note_of = {a.participant_id: a.note_id for a in detail.attendees}

    def stored(self, db: Database, actor: Actor) -> list[notes.NoteDetail]:
        with db.session() as session:
            return [notes.get_note(session, actor, n) for n in self.note_of.values()]


def open_editor(
    qtbot: QtBot, ctx: AppContext, group: Group
) -> tuple[WorkspaceHost, NotesTab, NoteEditor]:
    """Zoë's notes tab with her group note open in the editor, as the person gets there."""
    host = WorkspaceHost(ctx)
    qtbot.addWidget(host)
    host.resize(1366, 768)
    with qtbot.waitActive(host):
        host.show()
        host.activateWindow()
    workspace = host.open_participant(group.zoe)
    qtbot.waitUntil(lambda: workspace.detail is not None, timeout=WAIT_MS)
    tab = workspace.show_tab("notes")
    assert isinstance(tab, NotesTab)
    qtbot.waitUntil(lambda: tab.has_loaded and not tab.is_loading, timeout=WAIT_MS)
    tab.resume_draft()
    qtbot.waitUntil(lambda: tab.editor is not None, timeout=WAIT_MS)
    editor = tab.editor
    assert editor is not None
    qtbot.waitUntil(lambda: editor.note_id == group.note_of[group.zoe], timeout=WAIT_MS)
    assert editor.session_button.isVisible()
    return host, tab, editor


def open_dialog(
    qtbot: QtBot, editor: NoteEditor, *, shortcut: bool = False
) -> GroupSessionDetailDialog:
    with qtbot.waitSignal(editor.dialog_opened, timeout=WAIT_MS) as opened:
        if shortcut:
            editor.form.section_edits["individual"].setFocus()
            qtbot.keyClick(
                editor.form.section_edits["individual"],
                Qt.Key.Key_G,
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
            )
        else:
            editor.session_button.click()
    dialog = opened.args[0]
    assert isinstance(dialog, GroupSessionDetailDialog)
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT_MS)
    return dialog


def table_texts(dialog: GroupSessionDetailDialog) -> list[list[str]]:
    model = dialog.model
    return [
        [str(model.index(r, c).data()) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


# -- the shared part ------------------------------------------------------------------------


def test_editing_the_shared_part_reaches_every_attendees_note(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, qtmodeltester: object
) -> None:
    group = Group(db, staff)
    _host, tab, editor = open_editor(qtbot, ctx, group)
    dialog = open_dialog(qtbot, editor, shortcut=True)
    qtmodeltester.check(dialog.model)  # type: ignore[attr-defined]
    assert sorted(table_texts(dialog)) == [
        ["Amara Okafor", "Draft", "Pat Peer"],
        ["Björn Åkesson", "Draft", "Pat Peer"],
        [LONG_NAME, "Draft", "Pat Peer"],
    ]
    assert not dialog.topic.isReadOnly() and dialog.lock_box.isHidden()
    assert dialog.topic.hasFocus()
    assert not dialog.save_button.isEnabled()  # nothing changed yet

    dialog.topic.selectAll()
    qtbot.keyClicks(dialog.topic, "Evenings without alcohol")
    dialog.location.clear()
    dialog.location.insert("Salle Ødegaard, 2nd floor")
    dialog.duration.setValue(75)
    assert dialog.is_dirty() and dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.group_changed, timeout=WAIT_MS):
        qtbot.keyClick(dialog.topic, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dialog.is_dirty() and "Saved at" in dialog.save_state.text()

    for note in group.stored(db, staff.peer1):
        assert note.group is not None and note.group.topic == "Evenings without alcohol"
        assert note.location == "Salle Ødegaard, 2nd floor" and note.duration_minutes == 75
        assert note.status == "draft"
    # The editor behind shows the new shared part, and keeps saving on the new version.
    qtbot.waitUntil(
        lambda: "Evenings without alcohol" in editor.form.group_label.text(), timeout=WAIT_MS
    )
    assert editor.form.location.text() == "Salle Ødegaard, 2nd floor"
    assert editor.form.duration.value() == 75
    with qtbot.waitSignal(dialog.finished, timeout=WAIT_MS):
        qtbot.keyClick(dialog.table, Qt.Key.Key_Escape)  # nothing unsaved: no question
    qtbot.keyClicks(editor.form.section_edits["individual"], " Felt heard.")
    qtbot.waitUntil(lambda: not editor.has_unsaved_changes(), timeout=WAIT_MS)
    assert editor.general.isHidden(), editor.general.text()
    mine = notes_of(db, staff.peer1, group.note_of[group.zoe])
    assert mine.sections["individual"].endswith("Felt heard.")
    assert tab.editor is editor


def notes_of(db: Database, actor: Actor, note_id: int) -> notes.NoteDetail:
    with db.session() as session:
        return notes.get_note(session, actor, note_id)


def test_bad_input_shows_the_field_message_and_saves_nothing(
    qtbot: QtBot,
    ctx: AppContext,
    db: Database,
    staff: Staff,
    unsaved_answers: list[UnsavedChoice],
) -> None:
    group = Group(db, staff)
    _host, _tab, editor = open_editor(qtbot, ctx, group)
    dialog = open_dialog(qtbot, editor)

    # As you type: an empty topic is named under the field and cannot be saved.
    dialog.topic.selectAll()
    qtbot.keyClick(dialog.topic, Qt.Key.Key_Delete)
    assert dialog.msgs["topic"].is_error and "topic" in dialog.msgs["topic"].text()
    assert dialog.topic.accessibleDescription() == dialog.msgs["topic"].text()
    assert not dialog.save_button.isEnabled()
    dialog.save()
    assert not dialog.msgs["topic"].isHidden()
    # 0 minutes may be saved but not signed: a hint, not an error.
    dialog.duration.setValue(0)
    assert not dialog.msgs["duration_minutes"].isHidden()
    assert not dialog.msgs["duration_minutes"].is_error

    # The service's own checks run as you type: a group in the future is named at once.
    qtbot.keyClicks(dialog.topic, "Evenings")
    assert not dialog.msgs["topic"].is_error and dialog.save_button.isEnabled()
    dialog.when.setDateTime(QDateTime.currentDateTime().addDays(2))
    assert dialog.msgs["occurred_at"].is_error
    assert "future" in dialog.msgs["occurred_at"].text()
    assert not dialog.save_button.isEnabled()
    dialog.save()  # Ctrl+S all the same: nothing is sent, the field gets the focus
    assert dialog.when.hasFocus()
    for note in group.stored(db, staff.peer1):
        assert note.group is not None and note.group.topic == "Coping with cravings"
        assert note.duration_minutes == 60

    # Closing with the edits asks first: Cancel stays, Discard closes and saves nothing.
    unsaved_answers.append(UnsavedChoice.CANCEL)
    qtbot.keyClick(dialog.topic, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    unsaved_answers.append(UnsavedChoice.DISCARD)
    with qtbot.waitSignal(dialog.finished, timeout=WAIT_MS):
        dialog.close_button.click()
    assert [n.group.topic for n in group.stored(db, staff.peer1) if n.group] == [
        "Coping with cravings"
    ] * 3


def test_a_stale_copy_shows_the_conflict_message_and_reloads(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    group = Group(db, staff)
    _host, _tab, editor = open_editor(qtbot, ctx, group)
    dialog = open_dialog(qtbot, editor)
    detail = dialog.detail
    assert detail is not None
    with db.session() as session:  # another window saves first
        note_groups.update_group_session(
            session,
            staff.peer1,
            group.id,
            topic="Saved elsewhere",
            occurred_at=detail.occurred_at,
            duration_minutes=detail.duration_minutes,
            location=detail.location,
            group_text=detail.group_text,
        )
    dialog.topic.setText("Mine")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.general.isHidden(), timeout=WAIT_MS)
    assert "Someone else saved this group session" in dialog.general.text()
    assert not dialog.reload_button.isHidden()
    dialog.reload_button.click()
    qtbot.waitUntil(lambda: dialog.topic.text() == "Saved elsewhere", timeout=WAIT_MS)
    assert dialog.general.isHidden() and not dialog.is_dirty()
    dialog.close()


def test_the_shared_part_is_read_only_once_a_note_is_signed(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    group = Group(db, staff)
    with db.session() as session:
        notes.sign_note(session, staff.peer1, group.note_of[group.amara])
    _host, _tab, editor = open_editor(qtbot, ctx, group)
    dialog = open_dialog(qtbot, editor)
    assert ["Amara Okafor", "Signed", "Pat Peer"] in table_texts(dialog)
    for field in (dialog.topic, dialog.when, dialog.duration, dialog.location, dialog.group_text):
        assert field.isReadOnly()
    assert dialog.save_button.isHidden() and not dialog.lock_box.isHidden()
    assert "signed" in dialog.lock_text.text() and "addendum" in dialog.lock_text.text()
    assert not dialog.is_dirty()
    # The other two are still drafts: signing them is still offered.
    assert dialog.sign_button.isEnabled() and "2 notes" in dialog.sign_state.text()
    with qtbot.waitSignal(dialog.finished, timeout=WAIT_MS):
        qtbot.keyClick(dialog.table, Qt.Key.Key_Escape)


# -- signing every note -----------------------------------------------------------------


def test_sign_all_signs_every_draft_of_the_facilitator(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, sign_counts: list[int]
) -> None:
    group = Group(db, staff)
    _host, tab, editor = open_editor(qtbot, ctx, group)
    # Typed but not yet autosaved: stored before the dialog opens, so it is signed too.
    qtbot.keyClicks(editor.form.section_edits["individual"], " Smiled.")
    dialog = open_dialog(qtbot, editor)
    with qtbot.waitSignal(dialog.group_changed, timeout=WAIT_MS):
        dialog.sign_button.click()
    assert sign_counts == [3]
    stored = group.stored(db, staff.peer1)
    assert [n.status for n in stored] == ["signed"] * 3
    assert all(n.signed_by_name == "Pat Peer" for n in stored)
    mine = notes_of(db, staff.peer1, group.note_of[group.zoe])
    assert mine.sections["individual"].endswith("Smiled.")
    assert [row[1] for row in table_texts(dialog)] == ["Signed"] * 3
    assert dialog.topic.isReadOnly() and not dialog.sign_button.isEnabled()
    assert "3 notes signed" in dialog.sign_state.text()
    # The editor's own note is signed now: closing the dialog returns to the list, with
    # the signed note selected.
    qtbot.waitUntil(lambda: not editor.form.isEnabled(), timeout=WAIT_MS)
    with qtbot.waitSignal(editor.finished, timeout=WAIT_MS):
        dialog.close_button.click()
    qtbot.waitUntil(
        lambda: tab.editor is None and tab.detail is not None and tab.detail.is_signed,
        timeout=WAIT_MS,
    )
    assert tab.detail is not None and tab.detail.id == group.note_of[group.zoe]


def test_sign_all_lists_each_attendees_problem_and_signs_nothing(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, sign_counts: list[int]
) -> None:
    group = Group(db, staff, third_paragraph="")
    _host, tab, editor = open_editor(qtbot, ctx, group)
    dialog = open_dialog(qtbot, editor)
    dialog.sign_button.click()
    qtbot.waitUntil(lambda: not dialog.problems.isHidden(), timeout=WAIT_MS)
    assert sign_counts == [3]
    text = dialog.problems.text()
    assert "Nothing was signed" in text and "Björn Åkesson:" in text
    assert "Amara" not in text and LONG_NAME not in text
    assert [n.status for n in group.stored(db, staff.peer1)] == ["draft"] * 3
    assert [row[1] for row in table_texts(dialog)] == ["Draft"] * 3
    assert dialog.sign_button.isEnabled() and not dialog.topic.isReadOnly()
    with qtbot.waitSignal(dialog.finished, timeout=WAIT_MS):
        dialog.close_button.click()
    assert tab.editor is editor and editor.form.isEnabled()


def test_sign_all_waits_for_the_shared_part_to_be_saved(
    qtbot: QtBot,
    ctx: AppContext,
    db: Database,
    staff: Staff,
    sign_counts: list[int],
    unsaved_answers: list[UnsavedChoice],
) -> None:
    group = Group(db, staff)
    _host, _tab, editor = open_editor(qtbot, ctx, group)
    dialog = open_dialog(qtbot, editor)
    dialog.location.setText("Room 3")
    dialog.sign_button.click()
    assert sign_counts == [] and "Save" in dialog.general.text()
    assert [n.status for n in group.stored(db, staff.peer1)] == ["draft"] * 3
    # Closing asks; "Save" saves and then closes.
    unsaved_answers.append(UnsavedChoice.SAVE)
    with qtbot.waitSignal(dialog.finished, timeout=WAIT_MS):
        dialog.reject()
    assert {n.location for n in group.stored(db, staff.peer1)} == {"Room 3"}


# -- who may open it ------------------------------------------------------------------------


def test_only_the_facilitator_changes_it_and_others_get_the_services_answer(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    group = Group(db, staff)
    # Another specialist of the same team: the service refuses, the dialog says so.
    ctx.set_actor(staff.peer2)
    refused = GroupSessionDetailDialog(ctx, group.id)
    qtbot.addWidget(refused)
    refused.show()
    qtbot.waitUntil(lambda: not refused.general.isHidden(), timeout=WAIT_MS)
    assert "Only the facilitator or a supervisor" in refused.general.text()
    assert refused.body.isHidden() and refused.detail is None
    refused.close()
    # Their supervisor reads it all, changes nothing and signs nothing.
    ctx.set_actor(staff.supervisor)
    dialog = GroupSessionDetailDialog(ctx, group.id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT_MS)
    assert len(table_texts(dialog)) == 3
    assert dialog.topic.isReadOnly() and dialog.save_button.isHidden()
    assert dialog.sign_button.isHidden()
    assert "Only the facilitator, Pat Peer" in dialog.lock_text.text()
    dialog.close()


def test_a_group_note_with_seconds_in_its_time_still_autosaves(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    # A group made elsewhere (the command line, an import) may carry seconds; the
    # editor's clock shows minutes, and must not send that back as a different time.
    at = (datetime.now(UTC) - timedelta(hours=3)).replace(second=37, microsecond=120000)
    group = Group(db, staff, occurred_at=at)
    _host, _tab, editor = open_editor(qtbot, ctx, group)
    qtbot.keyClicks(editor.form.section_edits["individual"], " Stayed after to talk.")
    qtbot.waitUntil(lambda: not editor.has_unsaved_changes(), timeout=WAIT_MS)
    assert editor.general.isHidden(), editor.general.text()
    mine = notes_of(db, staff.peer1, group.note_of[group.zoe])
    assert mine.sections["individual"].endswith("Stayed after to talk.")
    assert mine.group is not None and mine.occurred_at == mine.group.occurred_at
    assert mine.occurred_at.second == 37  # the group's own time, not the shown minute
