"""Session notes: drafts, signing and locking, addenda, entered in error,
co-signature, overdue notes, group privacy, last contact, templates, permissions."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

import pytest
from conftest import Staff
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from casebook.database import Database
from casebook.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from casebook.security.permissions import Actor
from casebook.services import caseload
from casebook.services import note_groups as G
from casebook.services import note_templates as T
from casebook.services import notes as N
from casebook.services import participants as P
from models import AuditEvent, EmergencyAccess, Goal, RecoveryPlan

GIRP = {
    "goal": "Stable housing",
    "intervention": "Reviewed the housing applications together",
    "response": "Zoë filled in two forms and felt hopeful",
    "plan": "Call the housing office on Monday",
}


def ago(**kw: float) -> datetime:
    return datetime.now(UTC) - timedelta(**kw)


def content(**kw: object) -> N.NoteContent:
    values: dict[str, object] = {
        "occurred_at": ago(hours=1),
        "duration_minutes": 45,
        "sections": GIRP,
    }
    values.update(kw)
    return N.NoteContent(**values)  # type: ignore[arg-type]


def make_participant(db: Database, actor: Actor, name: str = "Zoë Example") -> int:
    with db.session() as s:
        fields = P.parse_participant_fields({"legal_name": name, "date_of_birth": "1990-01-02"})
        return P.create_participant(s, actor, fields).id


def make_goal(db: Database, participant_id: int, statement: str = "Find stable housing") -> int:
    # The plans service is written elsewhere; the ORM is enough for a goal to point at.
    with db.session() as s:
        plan = RecoveryPlan(
            participant_id=participant_id, version=1, status="active", domain_set="samhsa4"
        )
        plan.goals.append(Goal(domain="home", statement=statement, position=0))
        s.add(plan)
        s.flush()
        return plan.goals[0].id


def draft(db: Database, actor: Actor, pid: int, **kw: object) -> N.DraftSaved:
    with db.session() as s:
        return N.save_draft(s, actor, pid, content(**kw))


def signed(db: Database, actor: Actor, pid: int, **kw: object) -> int:
    saved = draft(db, actor, pid, **kw)
    with db.session() as s:
        N.sign_note(s, actor, saved.note_id)
    return saved.note_id


def audit(db: Database, action: str) -> list[AuditEvent]:
    with db.session() as s:
        return list(
            s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        )


@pytest.fixture
def pid(db: Database, staff: Staff) -> int:
    return make_participant(db, staff.peer1)


# --------------------------------------------------------------------------- drafts and signing


def test_draft_autosave_and_sign_flow(db: Database, staff: Staff, pid: int) -> None:
    # One contact time for every save: ago() read afresh could cross a second boundary.
    when = ago(hours=1)
    first = draft(db, staff.peer1, pid, risk_flags=["housing_loss"], occurred_at=when)
    assert first.created and first.version == 1
    version = first.version
    for i in range(5):  # autosave while typing
        sections = {**GIRP, "plan": f"Call the housing office on Monday {i}"}
        with db.session() as s:
            saved = N.save_draft(
                s,
                staff.peer1,
                pid,
                content(sections=sections, risk_flags=["housing_loss"], occurred_at=when),
                note_id=first.note_id,
                expected_version=version,
            )
        assert saved.note_id == first.note_id and not saved.created
        assert saved.version == version + 1
        version = saved.version
    with db.session() as s:  # nothing changed: nothing written
        again = N.save_draft(
            s,
            staff.peer1,
            pid,
            content(sections=sections, risk_flags=["housing_loss"], occurred_at=when),
            note_id=first.note_id,
            expected_version=version,
        )
    assert again.version == version
    # Only the creation is audited, not each autosave.
    assert [e.entity_id for e in audit(db, "note_create")] == [first.note_id]

    with db.session() as s:
        detail = N.sign_note(s, staff.peer1, first.note_id, expected_version=version)
    assert detail.status == "signed" and detail.is_signed
    assert detail.signed_by_name == "Pat Peer" and detail.signed_at is not None
    assert detail.content_hash is not None and len(detail.content_hash) == 64
    assert detail.sections["plan"] == "Call the housing office on Monday 4"
    assert detail.body.startswith("Stable housing\n\nReviewed")
    assert detail.risk_flags == ("housing_loss",)
    assert [label for _, label, _ in detail.section_rows()] == [
        "Goal",
        "Intervention",
        "Response",
        "Plan",
    ]
    assert [e.entity_id for e in audit(db, "note_sign")] == [first.note_id]
    with db.session() as s:
        assert N.verify_note_hash(s, staff.peer1, first.note_id).ok


def test_stale_autosave_is_refused(db: Database, staff: Staff, pid: int) -> None:
    saved = draft(db, staff.peer1, pid)
    with db.session() as s:
        N.save_draft(
            s,
            staff.peer1,
            pid,
            content(location="Library"),
            note_id=saved.note_id,
            expected_version=saved.version,
        )
    with db.session() as s, pytest.raises(ConflictError, match="Someone else saved this note"):
        N.save_draft(
            s,
            staff.peer1,
            pid,
            content(location="Café"),
            note_id=saved.note_id,
            expected_version=saved.version,
        )


def test_stored_time_is_utc(db: Database, staff: Staff, pid: int) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2024, 3, 5, 9, 30, 15, 123456, tzinfo=ZoneInfo("America/Chicago"))
    saved = draft(db, staff.peer1, pid, occurred_at=local)
    with db.session() as s:
        detail = N.get_note(s, staff.peer1, saved.note_id)
    assert detail.occurred_at == local.replace(microsecond=0)
    assert detail.occurred_at.tzinfo == UTC


def test_validation_names_each_field(db: Database, staff: Staff, pid: int) -> None:
    bad = N.NoteContent(
        occurred_at=datetime(2024, 1, 1),
        kind="chat",
        duration_minutes=601,
        mode="pigeon",
        format="XYZ",
        sections={"mood": "ok"},
        risk_flags=["unknown_flag"],
    )
    with db.session() as s, pytest.raises(ValidationError) as exc:
        N.save_draft(s, staff.peer1, pid, bad)
    errors = exc.value.field_errors
    assert {
        "occurred_at",
        "kind",
        "duration_minutes",
        "mode",
        "format",
        "mood",
        "risk_flags",
    } <= set(errors)
    assert "time zone" in errors["occurred_at"]
    assert "0 to 600" in errors["duration_minutes"]
    assert "GIRP, DAP or SOAP" in errors["format"]
    with db.session() as s, pytest.raises(ValidationError, match="in the future"):
        N.save_draft(s, staff.peer1, pid, content(occurred_at=ago(hours=-3)))
    with db.session() as s, pytest.raises(ValidationError, match="create group session"):
        N.save_draft(s, staff.peer1, pid, content(kind="group"))


def test_formats_and_risk_flags_are_exposed() -> None:
    assert [k for k, _ in N.FORMAT_SECTIONS["GIRP"]] == ["goal", "intervention", "response", "plan"]
    assert [k for k, _ in N.FORMAT_SECTIONS["DAP"]] == ["data", "assessment", "plan"]
    assert [k for k, _ in N.FORMAT_SECTIONS["SOAP"]] == [
        "subjective",
        "objective",
        "assessment",
        "plan",
    ]
    assert list(N.RISK_FLAGS) == [
        "overdose_risk",
        "self_harm",
        "crisis",
        "housing_loss",
        "relapse",
        "violence_or_safety",
        "medical_emergency",
    ]
    assert N.format_sections("DAP", "group")[0][0] == "individual"
    assert N.risk_flag_labels()["self_harm"] == "Thoughts of self-harm"


def test_sign_requires_content(db: Database, staff: Staff, pid: int) -> None:
    saved = draft(db, staff.peer1, pid, sections={"goal": "Housing", "plan": ""})
    with db.session() as s, pytest.raises(ValidationError) as exc:
        N.sign_note(s, staff.peer1, saved.note_id)
    assert set(exc.value.field_errors) == {"intervention", "response", "plan"}
    assert "Response is empty" in exc.value.field_errors["response"]
    zero = draft(db, staff.peer1, pid, duration_minutes=0)
    with db.session() as s, pytest.raises(ValidationError, match="how many minutes"):
        N.sign_note(s, staff.peer1, zero.note_id)
    # An outreach attempt needs one line and no duration.
    outreach = draft(
        db,
        staff.peer1,
        pid,
        kind="outreach",
        mode="phone",
        duration_minutes=0,
        format="DAP",
        sections={"data": "Called, left a voicemail"},
    )
    with db.session() as s:
        assert N.sign_note(s, staff.peer1, outreach.note_id).is_signed
    empty = draft(db, staff.peer1, pid, kind="outreach", sections={})
    with db.session() as s, pytest.raises(ValidationError, match="what was attempted"):
        N.sign_note(s, staff.peer1, empty.note_id)


def test_only_the_author_signs(db: Database, staff: Staff, pid: int) -> None:
    saved = draft(db, staff.peer1, pid)
    with db.session() as s, pytest.raises(PermissionDenied, match="Only the note's author"):
        N.sign_note(s, staff.supervisor, saved.note_id)


# --------------------------------------------------------------------------- immutability


def test_signed_note_cannot_be_changed_through_the_service(
    db: Database, staff: Staff, pid: int
) -> None:
    note_id = signed(db, staff.peer1, pid)
    with (
        db.session() as s,
        pytest.raises(N.SignedNoteLocked, match="signed notes cannot be changed; add an addendum"),
    ):
        N.save_draft(
            s, staff.peer1, pid, content(sections={**GIRP, "plan": "changed"}), note_id=note_id
        )
    with db.session() as s, pytest.raises(N.SignedNoteLocked):
        N.sign_note(s, staff.peer1, note_id)
    with db.session() as s, pytest.raises(ValidationError, match="cannot be deleted"):
        N.discard_draft(s, staff.peer1, note_id)
    with db.session() as s:
        assert N.get_note(s, staff.peer1, note_id).sections["plan"] == GIRP["plan"]


def test_signed_note_refuses_direct_update_and_delete(db: Database, staff: Staff, pid: int) -> None:
    goal_id = make_goal(db, pid)
    other_goal = make_goal_in_new_plan(db, pid)
    note_id = signed(db, staff.peer1, pid, goals=[N.GoalMark(goal_id, "progress")])
    statements = [
        "UPDATE session_note SET body = 'x' WHERE id = :id",
        "UPDATE session_note SET sections = '{}' WHERE id = :id",
        "UPDATE session_note SET occurred_at = '2020-01-01 00:00:00' WHERE id = :id",
        "UPDATE session_note SET status = 'draft' WHERE id = :id",
        "DELETE FROM session_note WHERE id = :id",
        "UPDATE note_goal SET mark = 'setback' WHERE note_id = :id",
        "DELETE FROM note_goal WHERE note_id = :id",
        f"INSERT INTO note_goal (note_id, goal_id, mark) VALUES (:id, {other_goal}, 'progress')",
    ]
    for sql in statements:
        with pytest.raises(DBAPIError, match="signed notes cannot be"), db.session() as s:
            s.execute(text(sql), {"id": note_id})
    # Review and correction columns stay writable: co-signature, entered in error.
    with db.session() as s:
        s.execute(
            text("UPDATE session_note SET cosigned_at = '2030-01-01 00:00:00' WHERE id = :id"),
            {"id": note_id},
        )
    with db.session() as s:
        assert N.verify_note_hash(s, staff.peer1, note_id).ok


def make_goal_in_new_plan(db: Database, participant_id: int) -> int:
    with db.session() as s:
        plan = RecoveryPlan(
            participant_id=participant_id, version=2, status="draft", domain_set="samhsa4"
        )
        plan.goals.append(Goal(domain="health", statement="Sleep better", position=0))
        s.add(plan)
        s.flush()
        return plan.goals[0].id


@pytest.mark.sqlite_only  # PostgreSQL: tests/test_postgres_integrity.py
def test_verify_note_hash_detects_tampering(db: Database, staff: Staff, pid: int) -> None:
    note_id = signed(db, staff.peer1, pid)
    with db.session() as s:
        addendum = N.add_addendum(
            s, staff.peer1, note_id, reason="Late entry", text="Also: bus pass"
        )
    with db.session() as s:
        assert N.find_tampered_notes(s) == []
    # Someone with the key drops the triggers and edits the record behind the program.
    with db.session() as s:
        s.execute(text("DROP TRIGGER session_note_signed_no_update"))
        s.execute(text("DROP TRIGGER note_addendum_no_update"))
        s.execute(
            text(
                "UPDATE session_note SET sections = json_set(sections, '$.plan', 'none') "
                "WHERE id = :id"
            ),
            {"id": note_id},
        )
        s.execute(
            text("UPDATE note_addendum SET text = 'nothing' WHERE id = :id"), {"id": addendum.id}
        )
    with db.session() as s:
        result = N.verify_note_hash(s, staff.peer1, note_id)
        assert not result.ok and not result.note_ok
        assert result.tampered_addendum_ids == (addendum.id,)
        assert N.find_tampered_notes(s) == [note_id]


def test_group_part_of_a_signed_note_is_locked(db: Database, staff: Staff, pid: int) -> None:
    group = G.GroupAttendee(pid, "Zoë spoke about her first week at work.")
    with db.session() as s:
        g = G.create_group_session(
            s,
            staff.peer1,
            topic="Coping with stress",
            occurred_at=ago(hours=2),
            duration_minutes=60,
            location="Room 2",
            group_text="Breathing exercises.",
            attendees=[group],
        )
        G.sign_group_session(s, staff.peer1, g.id)
    with pytest.raises(DBAPIError, match="signed notes cannot be changed"), db.session() as s:
        s.execute(text("UPDATE group_session SET group_text = 'x' WHERE id = :id"), {"id": g.id})
    with db.session() as s, pytest.raises(N.SignedNoteLocked):
        G.update_group_session(
            s,
            staff.peer1,
            g.id,
            topic="Other",
            occurred_at=ago(hours=2),
            duration_minutes=60,
            location="Room 2",
            group_text="x",
        )


# --------------------------------------------------------------------------- addenda, co-sign


def test_addendum_kept_with_author_and_reason(db: Database, staff: Staff, pid: int) -> None:
    note_id = signed(db, staff.peer1, pid)
    with db.session() as s:
        N.add_addendum(
            s,
            staff.peer1,
            note_id,
            reason="Wrong office named",
            text="The office is on Main Street, not Elm Street.",
        )
        N.add_addendum(
            s,
            staff.supervisor,
            note_id,
            reason="Supervisor review",
            text="Follow up on the deposit.",
        )
    with db.session() as s:
        detail = N.get_note(s, staff.peer1, note_id)
    assert [(a.author_name, a.reason) for a in detail.addenda] == [
        ("Pat Peer", "Wrong office named"),
        ("Sam Supervisor", "Supervisor review"),
    ]
    assert detail.addenda[0].text.startswith("The office is on Main Street")
    assert all(len(a.content_hash) == 64 and a.created_at.tzinfo for a in detail.addenda)
    assert detail.sections == GIRP  # the note itself is unchanged
    with db.session() as s:
        (summary,) = N.list_notes(s, staff.peer1, pid)
    assert summary.addendum_count == 2
    with db.session() as s, pytest.raises(ValidationError) as exc:
        N.add_addendum(s, staff.peer1, note_id, reason=" ", text="")
    assert set(exc.value.field_errors) == {"reason", "text"}
    # Addenda are append-only in the database too.
    for sql in (
        "UPDATE note_addendum SET text = 'x' WHERE note_id = :id",
        "DELETE FROM note_addendum WHERE note_id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.session() as s:
            s.execute(text(sql), {"id": note_id})
    unsigned = draft(db, staff.peer1, pid)
    with db.session() as s, pytest.raises(ValidationError, match="still a draft"):
        N.add_addendum(s, staff.peer1, unsigned.note_id, reason="r", text="t")


def test_entered_in_error_keeps_the_note_readable(db: Database, staff: Staff, pid: int) -> None:
    good = signed(db, staff.peer1, pid, occurred_at=ago(days=3))
    wrong = signed(db, staff.peer1, pid, occurred_at=ago(days=1))
    with db.session() as s, pytest.raises(ValidationError, match="reason"):
        N.mark_entered_in_error(s, staff.peer1, wrong, reason="")
    with db.session() as s:
        detail = N.mark_entered_in_error(s, staff.peer1, wrong, reason="Wrong participant")
    assert detail.is_entered_in_error and detail.entered_in_error_by_name == "Pat Peer"
    assert detail.entered_in_error_reason == "Wrong participant"
    with db.session() as s:
        again = N.get_note(s, staff.peer1, wrong)
        assert again.is_entered_in_error and again.sections == GIRP
        assert [n.id for n in N.list_notes(s, staff.peer1, pid)] == [wrong, good]
        assert [
            n.id for n in N.list_notes(s, staff.peer1, pid, include_entered_in_error=False)
        ] == [good]
        summary = N.contact_summary(s, staff.peer1, pid)
        # The note marked in error no longer counts: last contact is the other one.
        assert summary.last_contact_at == N.get_note(s, staff.peer1, good).occurred_at
        assert N.verify_note_hash(s, staff.peer1, wrong).ok
    with db.session() as s, pytest.raises(ValidationError, match="already marked"):
        N.mark_entered_in_error(s, staff.supervisor, wrong, reason="twice")
    # A supervisor may mark a team member's note.
    with db.session() as s:
        marked = N.mark_entered_in_error(s, staff.supervisor, good, reason="Duplicate")
    assert marked.is_entered_in_error
    unsigned = draft(db, staff.peer1, pid)
    with db.session() as s, pytest.raises(ValidationError, match="discard it instead"):
        N.mark_entered_in_error(s, staff.peer1, unsigned.note_id, reason="x")
    assert len(audit(db, "note_entered_in_error")) == 2


def test_cosign_queue(db: Database, staff: Staff, pid: int) -> None:
    note_id = signed(db, staff.peer1, pid)
    unsigned = draft(db, staff.peer1, pid)
    outsider_pid = make_participant(db, staff.outsider, "Olga Other")
    signed(db, staff.outsider, outsider_pid)
    with db.session() as s:
        queue = N.cosign_queue(s, staff.supervisor)
        assert [(q.note_id, q.participant_name, q.author_name) for q in queue] == [
            (note_id, "Zoë Example", "Pat Peer")
        ]
        assert [q.participant_name for q in N.cosign_queue(s, staff.other_supervisor)] == [
            "Olga Other"
        ]
    with db.session() as s, pytest.raises(PermissionDenied, match="Only a supervisor"):
        N.cosign_queue(s, staff.peer1)
    with db.session() as s, pytest.raises(ValidationError, match="only signed notes"):
        N.cosign(s, staff.supervisor, unsigned.note_id)
    with db.session() as s, pytest.raises(PermissionDenied):
        N.cosign(s, staff.other_supervisor, note_id)
    with db.session() as s:
        detail = N.cosign(s, staff.supervisor, note_id)
    assert detail.cosigned_by_name == "Sam Supervisor" and detail.cosigned_at is not None
    with db.session() as s:
        assert N.cosign_queue(s, staff.supervisor) == []
        assert N.verify_note_hash(s, staff.peer1, note_id).ok
    with db.session() as s, pytest.raises(ValidationError, match="already co-signed"):
        N.cosign(s, staff.supervisor, note_id)


def test_overdue_unsigned_notes(db: Database, staff: Staff, pid: int) -> None:
    late = draft(db, staff.peer1, pid, occurred_at=ago(hours=30))
    draft(db, staff.peer1, pid, occurred_at=ago(hours=2))
    signed(db, staff.peer1, pid, occurred_at=ago(days=3))
    other = make_participant(db, staff.peer2, "Bruno Beispiel")
    peer2_late = draft(db, staff.peer2, other, occurred_at=ago(days=2))
    with db.session() as s:
        mine = N.overdue_unsigned_notes(s, staff.peer1)
        assert [n.note_id for n in mine] == [late.note_id]
        assert 29 <= mine[0].hours_waiting() <= 31
        assert [n.note_id for n in N.overdue_unsigned_notes(s, staff.peer2)] == [peer2_late.note_id]
        team = N.overdue_unsigned_notes(s, staff.supervisor)
        assert [n.note_id for n in team] == [peer2_late.note_id, late.note_id]  # oldest first
        assert N.overdue_unsigned_notes(s, staff.other_supervisor) == []


# --------------------------------------------------------------------------- group sessions


def _walk(value: object, name: str = "") -> Iterator[tuple[str, object]]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name), f.name)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, str(key))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _walk(item, name)
    else:
        yield name, value


def test_group_note_shows_only_the_participants_own_paragraph(db: Database, staff: Staff) -> None:
    zoe = make_participant(db, staff.peer1, "Zoë Example")
    bruno = make_participant(db, staff.peer1, "Bruno Beispiel")
    zoe_goal = make_goal(db, zoe)
    with db.session() as s:
        group = G.create_group_session(
            s,
            staff.peer1,
            topic="Coping with cravings",
            occurred_at=ago(hours=3),
            duration_minutes=90,
            location="Room 2",
            group_text="Urge surfing; sharing round.",
            attendees=[
                G.GroupAttendee(
                    zoe,
                    "Zoë shared a plan for the weekend.",
                    goals=[N.GoalMark(zoe_goal, "progress")],
                ),
                (bruno, "Bruno listened and asked about sponsors."),
            ],
        )
    assert {a.participant_name for a in group.attendees} == {"Zoë Example", "Bruno Beispiel"}
    notes = {a.participant_id: a.note_id for a in group.attendees}
    with db.session() as s:
        N.sign_note(s, staff.peer1, notes[zoe])  # one attendee at a time...
        G.sign_group_session(s, staff.peer1, group.id)  # ...or the rest at once
    with db.session() as s:
        detail = N.get_note(s, staff.peer1, notes[zoe])
        listing = N.list_notes(s, staff.peer1, zoe)
    assert detail.kind == "group" and detail.is_signed
    assert detail.group is not None and detail.group.topic == "Coping with cravings"
    assert detail.group.group_text == "Urge surfing; sharing round."
    assert detail.sections["individual"] == "Zoë shared a plan for the weekend."
    assert [g.goal_id for g in detail.goals] == [zoe_goal]
    assert listing[0].group_topic == "Coping with cravings"
    for model in (detail, *listing):
        for name, value in _walk(model):
            if isinstance(value, str):
                assert "Bruno" not in value and "sponsors" not in value, name
            if name == "participant_id":
                assert value == zoe
            if name in ("id", "note_id"):
                assert value != notes[bruno]
    with db.session() as s:
        bruno_detail = N.get_note(s, staff.peer1, notes[bruno])
    assert "Zoë" not in json.dumps([v for _, v in _walk(bruno_detail) if isinstance(v, str)])


def test_group_session_needs_access_to_every_attendee(db: Database, staff: Staff) -> None:
    mine = make_participant(db, staff.peer1, "Zoë Example")
    theirs = make_participant(db, staff.peer2, "Bruno Beispiel")
    with db.session() as s, pytest.raises(PermissionDenied, match="not on your caseload"):
        G.create_group_session(
            s,
            staff.peer1,
            topic="Walk",
            occurred_at=ago(hours=1),
            duration_minutes=30,
            location="Park",
            group_text="",
            attendees=[(mine, "ok"), (theirs, "ok")],
        )
    with db.session() as s:
        assert N.list_notes(s, staff.peer1, mine) == []
    with db.session() as s, pytest.raises(ValidationError, match="listed twice"):
        G.create_group_session(
            s,
            staff.peer1,
            topic="Walk",
            occurred_at=ago(hours=1),
            duration_minutes=30,
            location="Park",
            group_text="",
            attendees=[(mine, "a"), (mine, "b")],
        )


def test_group_editing_and_signing_all(db: Database, staff: Staff) -> None:
    a = make_participant(db, staff.peer1, "Ana Alves")
    b = make_participant(db, staff.peer1, "Ben Brown")
    with db.session() as s:
        g = G.create_group_session(
            s,
            staff.peer1,
            topic="Budgeting",
            occurred_at=ago(hours=5),
            duration_minutes=60,
            location="Room 1",
            group_text="Made a weekly budget.",
            attendees=[(a, "Ana made a budget."), (b, "")],
        )
    with db.session() as s:
        g = G.update_group_session(
            s,
            staff.peer1,
            g.id,
            topic="Budgeting basics",
            occurred_at=ago(hours=4),
            duration_minutes=75,
            location="Room 3",
            group_text="Made a weekly budget.",
            expected_version=g.version,
        )
    note_b = next(x.note_id for x in g.attendees if x.participant_id == b)
    with db.session() as s:
        detail = N.get_note(s, staff.peer1, note_b)
    assert (detail.duration_minutes, detail.location) == (75, "Room 3")
    assert detail.body.startswith("Budgeting basics")
    with db.session() as s, pytest.raises(ValidationError) as exc:
        G.sign_group_session(s, staff.peer1, g.id)
    assert list(exc.value.field_errors) == [f"individual:{b}"]
    assert "Ben Brown" in exc.value.message
    with db.session() as s, pytest.raises(ValidationError, match="takes its time"):
        N.save_draft(s, staff.peer1, b, content(kind="group"), note_id=note_b)
    with db.session() as s:  # the editor writes Ben's paragraph (autosave) and signs all
        edited = dataclasses.replace(
            detail.content(), sections={"individual": "Ben asked about rent."}
        )
        N.save_draft(s, staff.peer1, b, edited, note_id=note_b)
        signed_group = G.sign_group_session(s, staff.peer1, g.id)
    assert {x.status for x in signed_group.attendees} == {"signed"}


def test_the_group_field_checks_are_the_ones_a_save_applies(db: Database, staff: Staff) -> None:
    # The window shows these as the facilitator types; a save must refuse the same.
    good = {"topic": "Budgeting", "occurred_at": ago(hours=2), "duration_minutes": 60,
            "location": "Room 1", "group_text": "Made a weekly budget."}  # fmt: skip
    assert G.group_field_problems(**good) == {}  # type: ignore[arg-type]
    bad = dict(good, topic="  ", occurred_at=datetime.now(UTC) + timedelta(days=2))
    problems = G.group_field_problems(**bad)  # type: ignore[arg-type]
    assert set(problems) == {"topic", "occurred_at"} and "future" in problems["occurred_at"]
    a = make_participant(db, staff.peer1, "Ana Alves")
    with db.session() as s, pytest.raises(ValidationError) as refused:
        G.create_group_session(s, staff.peer1, attendees=[(a, "")], **bad)  # type: ignore[arg-type]
    assert refused.value.field_errors == problems


def test_discarding_the_last_group_draft_removes_the_group(db: Database, staff: Staff) -> None:
    a = make_participant(db, staff.peer1)
    with db.session() as s:
        g = G.create_group_session(
            s,
            staff.peer1,
            topic="Art",
            occurred_at=ago(hours=1),
            duration_minutes=30,
            location="",
            group_text="",
            attendees=[(a, "Drew.")],
        )
    with db.session() as s:
        N.discard_draft(s, staff.peer1, g.attendees[0].note_id)
    with db.session() as s, pytest.raises(NotFound):
        G.get_group_session(s, staff.peer1, g.id)
    assert len(audit(db, "note_discard")) == 1


# --------------------------------------------------------------------------- goals, contact, lists


def test_goals_must_belong_to_the_participant(db: Database, staff: Staff, pid: int) -> None:
    other = make_participant(db, staff.peer1, "Bruno Beispiel")
    own_goal = make_goal(db, pid, "Find stable housing")
    foreign_goal = make_goal(db, other, "Get a job")
    with db.session() as s, pytest.raises(ValidationError, match="not on this participant's"):
        N.save_draft(s, staff.peer1, pid, content(goals=[N.GoalMark(foreign_goal, "progress")]))
    with db.session() as s, pytest.raises(ValidationError, match="progress mark"):
        N.save_draft(s, staff.peer1, pid, content(goals=[N.GoalMark(own_goal, "great")]))
    saved = draft(db, staff.peer1, pid, goals=[N.GoalMark(own_goal, "progress")])
    with db.session() as s:
        N.save_draft(
            s,
            staff.peer1,
            pid,
            content(goals=[N.GoalMark(own_goal, "setback")]),
            note_id=saved.note_id,
        )
        detail = N.get_note(s, staff.peer1, saved.note_id)
    assert [(g.statement, g.mark) for g in detail.goals] == [("Find stable housing", "setback")]
    with db.session() as s:
        N.save_draft(s, staff.peer1, pid, content(goals=[]), note_id=saved.note_id)
        assert N.get_note(s, staff.peer1, saved.note_id).goals == ()


def test_last_contact_ignores_outreach(db: Database, staff: Staff, pid: int) -> None:
    signed(db, staff.peer1, pid, occurred_at=ago(days=40))
    contact = signed(db, staff.peer1, pid, kind="check_in", mode="phone", occurred_at=ago(days=5))
    attempt = signed(
        db,
        staff.peer1,
        pid,
        kind="outreach",
        mode="phone",
        duration_minutes=0,
        occurred_at=ago(days=1),
        sections={"goal": "No answer; left a message"},
    )
    with db.session() as s:
        summary = N.contact_summary(s, staff.peer1, pid)
        contact_at = N.get_note(s, staff.peer1, contact).occurred_at
        attempt_at = N.get_note(s, staff.peer1, attempt).occurred_at
        rows = caseload.caseload_rows(s, staff.peer1)
    assert summary.last_contact_at == contact_at
    assert summary.last_attempt_at == attempt_at
    assert (summary.contacts_30_days, summary.contacts_90_days, summary.attempts_30_days) == (
        1,
        2,
        1,
    )
    assert [r.last_contact_at for r in rows if r.participant_id == pid] == [contact_at]


def test_list_notes_newest_first_with_one_audit_row(db: Database, staff: Staff, pid: int) -> None:
    long_text = "Talked about the week. " * 30
    old = signed(
        db, staff.peer1, pid, occurred_at=ago(days=2), sections={**GIRP, "goal": long_text}
    )
    new = signed(db, staff.peer1, pid, occurred_at=ago(hours=2))
    mine = draft(db, staff.peer1, pid, occurred_at=ago(hours=1))
    with db.session() as s:
        notes = N.list_notes(s, staff.peer1, pid)
        limited = N.list_notes(s, staff.peer1, pid, limit=1)
    assert [n.id for n in notes] == [mine.note_id, new, old]
    assert [n.id for n in limited] == [mine.note_id]
    assert notes[2].preview.startswith("Talked about the week.") and notes[2].preview.endswith("…")
    assert len(notes[2].preview) <= 160
    assert [(e.participant_id, json.loads(e.details)) for e in audit(db, "note_list_view")] == [
        (pid, {"count": 3}),
        (pid, {"count": 1}),
    ]
    # A supervisor sees drafts (to chase late ones); another specialist with
    # emergency access sees the record, which an unsigned draft is not part of yet.
    with db.session() as s:
        assert [n.id for n in N.list_notes(s, staff.supervisor, pid)] == [mine.note_id, new, old]
        s.add(
            EmergencyAccess(
                user_id=staff.peer2.id,
                participant_id=pid,
                reason="crisis call",
                expires_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )
    with db.session() as s:
        assert [n.id for n in N.list_notes(s, staff.peer2, pid)] == [new, old]
    with db.session() as s, pytest.raises(PermissionDenied, match="unsigned draft"):
        N.get_note(s, staff.peer2, mine.note_id)


def test_list_drafts_offers_unsigned_work_back(db: Database, staff: Staff, pid: int) -> None:
    other = make_participant(db, staff.peer1, "Bruno Beispiel")
    first = draft(db, staff.peer1, pid)
    second = draft(db, staff.peer1, other, sections={"goal": "Job search"})
    signed(db, staff.peer1, pid)
    with db.session() as s:
        drafts = N.list_drafts(s, staff.peer1)
        assert N.list_drafts(s, staff.peer2) == []
    assert [(d.note_id, d.participant_name) for d in drafts] == [
        (second.note_id, "Bruno Beispiel"),
        (first.note_id, "Zoë Example"),
    ]
    assert drafts[0].preview == "Job search" and drafts[0].saved_at.tzinfo is not None


def test_discard_draft(db: Database, staff: Staff, pid: int) -> None:
    saved = draft(db, staff.peer1, pid)
    with db.session() as s, pytest.raises(PermissionDenied):
        N.discard_draft(s, staff.supervisor, saved.note_id)
    with db.session() as s:
        N.discard_draft(s, staff.peer1, saved.note_id)
    with db.session() as s, pytest.raises(NotFound):
        N.get_note(s, staff.peer1, saved.note_id)


def test_recent_risk_flags(db: Database, staff: Staff, pid: int) -> None:
    flagged = signed(db, staff.peer1, pid, risk_flags=["overdose_risk", "crisis"])
    signed(db, staff.peer1, pid, risk_flags=["relapse"], occurred_at=ago(days=30))
    signed(db, staff.peer1, pid)
    with db.session() as s:
        alerts = N.recent_risk_flags(s, staff.supervisor)
        assert N.recent_risk_flags(s, staff.other_supervisor) == []
    assert [(a.note_id, a.risk_flags) for a in alerts] == [(flagged, ("overdose_risk", "crisis"))]


# --------------------------------------------------------------------------- permissions and audit


def test_refusals_for_people_outside_the_caseload(db: Database, staff: Staff, pid: int) -> None:
    note_id = signed(db, staff.peer1, pid)
    unsigned = draft(db, staff.peer1, pid)
    for actor in (staff.peer2, staff.outsider, staff.other_supervisor, staff.admin):
        calls = [
            lambda s, a=actor: N.save_draft(s, a, pid, content()),
            lambda s, a=actor: N.list_notes(s, a, pid),
            lambda s, a=actor: N.get_note(s, a, note_id),
            lambda s, a=actor: N.contact_summary(s, a, pid),
            lambda s, a=actor: N.add_addendum(s, a, note_id, reason="r", text="t"),
            lambda s, a=actor: N.sign_note(s, a, unsigned.note_id),
            lambda s, a=actor: N.mark_entered_in_error(s, a, note_id, reason="r"),
        ]
        for call in calls:
            with pytest.raises(PermissionDenied), db.session() as s:
                call(s)
    # Each refusal of a record is itself on record.
    denied = audit(db, "access_denied")
    assert len(denied) >= 4 * 7 and {e.participant_id for e in denied} == {pid}


def test_audit_never_holds_note_text(db: Database, staff: Staff, pid: int) -> None:
    secret = "Xylophonist"
    note_id = signed(db, staff.peer1, pid, sections={**GIRP, "response": f"{secret} said hi"})
    with db.session() as s:
        N.get_note(s, staff.peer1, note_id)
        N.list_notes(s, staff.peer1, pid)
        N.add_addendum(s, staff.peer1, note_id, reason=f"{secret} reason", text=f"{secret} text")
        N.mark_entered_in_error(s, staff.peer1, note_id, reason=f"{secret} error")
        N.list_drafts(s, staff.peer1)
    with db.session() as s:
        details = [e.details for e in s.scalars(select(AuditEvent))]
        actions = {e.action for e in s.scalars(select(AuditEvent))}
    assert {
        "note_create",
        "note_sign",
        "note_view",
        "note_list_view",
        "note_addendum",
        "note_entered_in_error",
    } <= actions
    assert not any(secret in d for d in details)


# --------------------------------------------------------------------------- templates


def test_templates_and_phrases(db: Database, staff: Staff) -> None:
    with db.session() as s:
        housing = T.create_template(
            s,
            staff.peer1,
            title="Housing check-in",
            format="GIRP",
            sections={"goal": "Stable housing", "plan": "Follow up"},
        )
        phrase = T.create_phrase(s, staff.peer1, text="Participant was engaged and receptive.")
        T.create_template(
            s, staff.peer1, title="DAP intake", format="DAP", sections={"data": "First meeting"}
        )
    with db.session() as s:
        assert [t.title for t in T.list_templates(s, staff.peer1, format="GIRP")] == [
            "Housing check-in",
            "Participant was engaged and receptive.",
        ]
        assert T.list_templates(s, staff.peer2) == []
        sections = T.apply_template(
            s, staff.peer1, housing.id, {"goal": "Job", "response": ""}, format="GIRP"
        )
        assert sections == {"goal": "Job\nStable housing", "response": "", "plan": "Follow up"}
        with_phrase = T.apply_template(s, staff.peer1, phrase.id, sections, section="response")
        assert with_phrase["response"] == "Participant was engaged and receptive."
        with pytest.raises(ValidationError, match="for GIRP notes"):
            T.apply_template(s, staff.peer1, housing.id, {}, format="SOAP")
        with pytest.raises(NotFound):
            T.apply_template(s, staff.peer2, housing.id, {})
        updated = T.update_template(
            s,
            staff.peer1,
            housing.id,
            title="Housing",
            sections={"intervention": "Reviewed listings"},
        )
        assert dict(updated.sections) == {"intervention": "Reviewed listings"}
        assert (
            T.update_template(s, staff.peer1, phrase.id, title="Engaged", text="Engaged.").text
            == "Engaged."
        )
        with pytest.raises(ValidationError) as exc:
            T.create_template(s, staff.peer1, title="", format="GIRP", sections={"mood": "x"})
        assert set(exc.value.field_errors) == {"title", "mood"}
    with db.session() as s:
        T.delete_template(s, staff.peer1, housing.id)
        with pytest.raises(NotFound):
            T.delete_template(s, staff.peer2, phrase.id)
        assert [t.title for t in T.list_templates(s, staff.peer1)] == ["DAP intake", "Engaged"]
