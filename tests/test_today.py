"""Today: what each person finds on their start screen, and what they must not find."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import Staff
from sqlalchemy import event, func, select
from test_consents import consent_fields, make_counselor

from casebook.database import Database
from casebook.errors import PermissionDenied
from casebook.security.permissions import Actor
from casebook.services import assessments, emergency, notes, participants, referrals
from casebook.services import consents as K
from casebook.services import today as T
from casebook.services.caseload import FLAG_DUE, FLAG_LONG_OVERDUE, FLAG_OVERDUE
from casebook.services.participants import ParticipantFields
from casebook.services.today import TodayView, today_items
from models import AuditEvent, Goal, RecoveryPlan, Referral

TODAY = date.today()
GIRP = {
    "goal": "Stable housing",
    "intervention": "Went through the housing forms together",
    "response": "Felt hopeful",
    "plan": "Call the housing office on Monday",
}


def ago(**kw: float) -> datetime:
    return datetime.now(UTC) - timedelta(**kw)


def add_participant(
    db: Database,
    actor: Actor,
    name: str,
    *,
    specialist: Actor | None = None,
    intake: date | None = None,
    cadence: int = 7,
    start: date | None = None,
    preferred: str = "",
) -> int:
    with db.session() as s:
        return participants.create_participant(
            s,
            actor,
            ParticipantFields(
                record_number="",
                legal_name=name,
                preferred_name=preferred,
                date_of_birth=date(1988, 5, 6),
                intake_date=intake or TODAY - timedelta(days=3),
                contact_cadence_days=cadence,
                recovery_start_date=start,
            ),
            specialist_id=specialist.id if specialist else None,
        ).id


def write_note(
    db: Database,
    actor: Actor,
    pid: int,
    *,
    hours_ago: float = 1,
    sign: bool = True,
    kind: str = "individual",
    risk: tuple[str, ...] = (),
) -> int:
    with db.session() as s:
        saved = notes.save_draft(
            s,
            actor,
            pid,
            notes.NoteContent(
                occurred_at=ago(hours=hours_ago),
                kind=kind,
                duration_minutes=30,
                sections=GIRP,
                risk_flags=risk,
            ),
        )
        if sign:
            notes.sign_note(s, actor, saved.note_id)
    return saved.note_id


def view(db: Database, actor: Actor) -> TodayView:
    with db.session(read_only=True) as s:
        return today_items(s, actor, today=TODAY)


def ids(items: tuple[T.TodayItem, ...]) -> list[int]:
    return [item.participant_id for item in items]


# --------------------------------------------------------------------------- contacts


def test_contacts_are_grouped_due_overdue_long_overdue(db: Database, staff: Staff) -> None:
    peer = staff.peer1

    def due_on(name: str, due: date) -> int:
        # No contact yet: due cadence days after intake.
        return add_participant(db, peer, name, intake=due - timedelta(days=7))

    not_yet = due_on("Ahead Three", TODAY + timedelta(days=3))
    soon = due_on("Due In Two", TODAY + timedelta(days=2))
    today = due_on("Due Today", TODAY)
    one = due_on("One Day Late", TODAY - timedelta(days=1))
    fourteen = due_on("Fourteen Late", TODAY - timedelta(days=14))
    fifteen = due_on("Fifteen Late", TODAY - timedelta(days=15))
    seen = due_on("Seen Yesterday", TODAY - timedelta(days=20))
    write_note(db, peer, seen, hours_ago=24)
    tried = due_on("Only Outreach", TODAY - timedelta(days=20))
    write_note(db, peer, tried, kind="outreach")  # an attempt is not a contact
    gone = due_on("Discharged Dee", TODAY - timedelta(days=30))
    with db.session() as s:
        participants.discharge(s, peer, gone, on=TODAY, reason="moved away")

    contacts = view(db, peer).contacts
    flags = {item.participant_id: item.flag for item in contacts}
    assert flags == {
        soon: FLAG_DUE,
        today: FLAG_DUE,
        one: FLAG_OVERDUE,
        fourteen: FLAG_OVERDUE,
        fifteen: FLAG_LONG_OVERDUE,
        tried: FLAG_LONG_OVERDUE,
    }
    assert not_yet not in flags and seen not in flags and gone not in flags
    # Most urgent first: long overdue (longest first), overdue, then due.
    assert ids(contacts) == [tried, fifteen, fourteen, one, today, soon]
    late = contacts[1]
    assert (late.days_past, late.on, late.tab) == (15, TODAY - timedelta(days=15), "overview")
    assert late.summary.startswith("No contact since intake")
    assert view(db, peer).contact_counts() == {
        FLAG_LONG_OVERDUE: 2,
        FLAG_OVERDUE: 2,
        FLAG_DUE: 2,
    }


# --------------------------------------------------------------------------- every kind


@dataclass(frozen=True)
class Busy:
    """peer1's participant with one item of every kind, and peer2's with an overdue contact."""

    pid: int
    other: int
    risk_note: int
    late_note: int
    draft: int


@pytest.fixture
def busy(db: Database, staff: Staff) -> Busy:
    peer = staff.peer1
    pid = add_participant(
        db,
        peer,
        "Zoë Nguyễn-Łukasz",
        preferred="Zoë",
        start=TODAY - timedelta(days=30),
        cadence=1,
    )
    other = add_participant(
        db, staff.peer2, "Quinn's Person", intake=TODAY - timedelta(days=40), specialist=None
    )
    risk_note = write_note(db, peer, pid, hours_ago=2, risk=("crisis", "overdose_risk"))
    late_note = write_note(db, peer, pid, hours_ago=30, sign=False)
    draft = write_note(db, peer, pid, hours_ago=1, sign=False)
    with db.session() as s:
        phq9 = assessments.record_assessment(s, peer, pid, "PHQ-9", [1, 1, 1, 1, 1, 1, 1, 1, 1])
        assert phq9.safety_flag
        # A plan whose review falls due in five days (the plan service has its own tests).
        plan = RecoveryPlan(
            participant_id=pid,
            version=1,
            status="active",
            domain_set="samhsa4",
            review_date=TODAY + timedelta(days=5),
        )
        plan.goals.append(Goal(domain="home", statement="My own place", position=0))
        s.add(plan)
    counselor = make_counselor(db, peer, "Dr Ana Lima", credentials="LCSW")
    with db.session() as s:
        consent = K.create_consent(
            s,
            peer,
            pid,
            consent_fields(
                counselor,
                signed_on=TODAY - timedelta(days=60),
                expires_on=TODAY + timedelta(days=10),
            ),
            today=TODAY,
        )
        referral = referrals.create_referral(
            s,
            peer,
            pid,
            referrals.ReferralFields(
                counselor_id=counselor,
                reason="Asked for counseling",
                urgency="urgent",
                information_shared="Contact details",
                information_categories=("contact_details",),
                consent_id=consent.id,
            ),
        )
        referrals.send_referral(s, peer, referral.id)
    with db.session() as s:
        # Sent a while ago: the follow-up date has passed.
        s.get_one(Referral, referral.id).follow_up_on = TODAY - timedelta(days=2)
    return Busy(pid, other, risk_note, late_note, draft)


def test_every_kind_appears_for_the_specialist(db: Database, staff: Staff, busy: Busy) -> None:
    today = view(db, staff.peer1)
    assert not today.shows_specialist
    by_kind = {key: today.section(key) for key in T.SECTION_KEYS}
    assert {key: ids(items) for key, items in by_kind.items()} == {
        T.SAFETY: [busy.pid, busy.pid],
        T.CONTACTS: [busy.pid],
        T.UNSIGNED_NOTES: [busy.pid],
        T.DRAFTS: [busy.pid],
        T.PLAN_REVIEWS: [busy.pid],
        T.FOLLOW_UPS: [busy.pid],
        T.CONSENTS: [busy.pid],
        T.MILESTONES: [busy.pid],
    }
    tabs = {key: {item.tab for item in items} for key, items in by_kind.items()}
    assert tabs == {
        T.SAFETY: {"notes", "assessments"},
        T.CONTACTS: {"overview"},
        T.UNSIGNED_NOTES: {"notes"},
        T.DRAFTS: {"notes"},
        T.PLAN_REVIEWS: {"plan"},
        T.FOLLOW_UPS: {"referrals"},
        T.CONSENTS: {"consents"},
        T.MILESTONES: {"overview"},
    }
    safety = {item.tab: item for item in today.safety}
    assert all(item.flag == "safety" for item in today.safety)
    assert safety["notes"].note_id == busy.risk_note
    assert safety["notes"].summary == "Session note: Overdose risk, Crisis"
    assert "self-harm" in safety["assessments"].summary
    assert today.unsigned_notes[0].note_id == busy.late_note
    assert today.unsigned_notes[0].specialist_name == "Pat Peer"
    assert today.drafts[0].note_id == busy.draft
    assert today.plan_reviews[0].days_past == -5 and today.plan_reviews[0].flag == "due"
    follow_up = today.follow_ups[0]
    assert (follow_up.flag, follow_up.days_past) == ("overdue", 2)
    assert follow_up.summary == "Urgent referral to Dr Ana Lima, LCSW"
    assert today.consents[0].days_past == -10
    assert today.milestones[0].summary == "30 days" and today.milestones[0].days_past == 0
    # Seen today with a daily cadence: due again tomorrow.
    assert today.contacts[0].flag == "due"
    item = today.contacts[0]
    assert (item.participant_name, item.legal_name) == ("Zoë", "Zoë Nguyễn-Łukasz")
    assert item.record_number.startswith("R-")


def test_a_supervisor_sees_the_team_with_whose_item_it_is(
    db: Database, staff: Staff, busy: Busy
) -> None:
    today = view(db, staff.supervisor)
    assert today.shows_specialist
    assert busy.pid in ids(today.safety) and busy.pid in ids(today.unsigned_notes)
    # The supervisor's own drafts only: a specialist's draft is theirs to finish.
    assert today.drafts == ()
    assert {item.participant_id: item.specialist_name for item in today.contacts} == {
        busy.pid: "Pat Peer",
        busy.other: "Quinn Peer",
    }
    assert today.unsigned_notes[0].specialist_name == "Pat Peer"


@pytest.mark.parametrize("who", ["peer2", "outsider", "other_supervisor"])
def test_nobody_else_sees_the_specialists_participants(
    db: Database, staff: Staff, busy: Busy, who: str
) -> None:
    today = view(db, getattr(staff, who))
    for key in T.SECTION_KEYS:
        assert busy.pid not in ids(today.section(key)), key
    expected_contacts = [busy.other] if who == "peer2" else []
    assert ids(today.contacts) == expected_contacts


def test_emergency_access_does_not_put_a_record_on_today(
    db: Database, staff: Staff, busy: Busy
) -> None:
    with db.session() as s:
        record = participants.get_participant(s, staff.peer1, busy.pid).record_number
        emergency.request_access(s, staff.peer2, record, "Crisis call while Pat is away today")
    today = view(db, staff.peer2)
    assert busy.pid not in {
        item.participant_id for k in T.SECTION_KEYS for item in today.section(k)
    }


def test_an_administrator_gets_no_clinical_content(db: Database, staff: Staff, busy: Busy) -> None:
    with pytest.raises(PermissionDenied), db.session(read_only=True) as s:
        today_items(s, staff.admin)


def test_a_draft_older_than_a_day_is_listed_once(db: Database, staff: Staff) -> None:
    pid = add_participant(db, staff.peer1, "Old Draft Owner")
    old = write_note(db, staff.peer1, pid, hours_ago=26, sign=False)
    today = view(db, staff.peer1)
    assert [item.note_id for item in today.unsigned_notes] == [old]
    assert today.drafts == ()


def test_milestones_reached_this_week_and_coming_up(db: Database, staff: Staff) -> None:
    reached = add_participant(db, staff.peer1, "Reached", start=TODAY - timedelta(days=63))
    coming = add_participant(db, staff.peer1, "Coming", start=TODAY - timedelta(days=86))
    add_participant(db, staff.peer1, "Between", start=TODAY - timedelta(days=45))
    milestones = view(db, staff.peer1).milestones
    assert [(m.participant_id, m.summary, m.days_past) for m in milestones] == [
        (reached, "60 days", 3),
        (coming, "90 days", -4),
    ]


# --------------------------------------------------------------------------- cost


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_no_query_per_participant_and_no_audit(
    db: Database, staff: Staff, busy: Busy, statements: list[str]
) -> None:
    def audit_rows() -> int:
        with db.session(read_only=True) as s:
            return s.scalar(select(func.count()).select_from(AuditEvent)) or 0

    statements.clear()
    view(db, staff.supervisor)
    few = len(statements)
    for n in range(12):
        pid = add_participant(db, staff.peer1, f"Extra {n}", start=TODAY - timedelta(days=30))
        write_note(db, staff.peer1, pid, hours_ago=30, sign=False, risk=("crisis",))
    before = audit_rows()
    statements.clear()
    many = view(db, staff.supervisor)
    assert len(many.unsigned_notes) == 13 and len(many.milestones) == 13
    assert len(statements) == few
    # Like the caseload, Today is a list of names and dates: it writes no audit event.
    assert audit_rows() == before
