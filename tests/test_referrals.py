"""Referrals: the consent check, status history, follow-ups and closing the loop."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import Staff
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from test_consents import make_consent, make_counselor, make_participant

from casebook.database import Database
from casebook.errors import ConflictError, PermissionDenied, ValidationError
from casebook.security.permissions import Actor
from casebook.services import consents as K
from casebook.services import referral_status as RS
from casebook.services import referrals as R
from models import AuditEvent, Disclosure, Referral

TODAY = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 15, 0, tzinfo=UTC)
ANA = "Dr Ana Lima, LCSW (Riverbend Clinic)"


@dataclass(frozen=True)
class Case:
    pid: int
    ana: int
    ben: int


@pytest.fixture
def case(db: Database, staff: Staff) -> Case:
    pid = make_participant(db, staff.peer1)
    ana = make_counselor(
        db, staff.peer1, "Dr Ana Lima", credentials="LCSW", organisation="Riverbend Clinic"
    )
    ben = make_counselor(db, staff.peer1, "Ben Osei", organisation="Lighthouse")
    return Case(pid, ana, ben)


def draft(
    db: Database,
    actor: Actor,
    case: Case,
    *,
    counselor: int | None = -1,
    categories: tuple[str, ...] = ("contact_details", "substance_use"),
    urgency: str = "routine",
    consent_id: int | None = None,
) -> R.ReferralDetail:
    with db.session() as s:
        return R.create_referral(
            s,
            actor,
            case.pid,
            R.ReferralFields(
                counselor_id=case.ana if counselor == -1 else counselor,
                reason="Asked for trauma-focused therapy.",
                urgency=urgency,
                information_shared="Contact details and substance use history.",
                information_categories=categories,
                consent_id=consent_id,
            ),
            now=NOW - timedelta(hours=1),
        )


def send(db: Database, actor: Actor, referral_id: int, **kw: object) -> R.ReferralDetail:
    with db.session() as s:
        return R.send_referral(s, actor, referral_id, today=TODAY, now=NOW, **kw)


def _disclosures(db: Database) -> int:
    with db.session(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(Disclosure)) or 0


def refusal(db: Database, actor: Actor, referral_id: int, **kw: object) -> dict[str, str]:
    before = _disclosures(db)
    with pytest.raises(ValidationError) as info, db.session() as s:
        R.send_referral(s, actor, referral_id, today=TODAY, now=NOW, **kw)
    with db.session(read_only=True) as s:
        assert s.scalar(select(Referral.status).where(Referral.id == referral_id)) == "draft"
    assert _disclosures(db) == before
    return info.value.field_errors


_minutes = itertools.count(1)


def move(
    db: Database, actor: Actor, referral_id: int, to: str, note: str = "", **kw: object
) -> R.ReferralDetail:
    # Each change a few minutes after the last, on the same fixed clock as sending.
    at = NOW + timedelta(minutes=next(_minutes))
    with db.session() as s:
        return RS.change_status(s, actor, referral_id, to, note=note, today=TODAY, now=at, **kw)


# --------------------------------------------------------------------------- the consent check


def test_gate_refuses_without_any_consent(db: Database, staff: Staff, case: Case) -> None:
    r = draft(db, staff.peer1, case)
    message = refusal(db, staff.peer1, r.id)["consent"]
    assert message.startswith("no consent on file for Zoë Example")
    assert ANA in message and "contact details, substance use" in message


def test_gate_refuses_an_expired_consent(db: Database, staff: Staff, case: Case) -> None:
    make_consent(db, staff.peer1, case.pid, case.ana, expires_on=date(2026, 3, 1))
    r = draft(db, staff.peer1, case)
    assert refusal(db, staff.peer1, r.id)["consent"] == (
        "no consent on file covers this referral: the consent of 2026-01-05 expired on 2026-03-01"
    )


def test_gate_refuses_a_revoked_consent(db: Database, staff: Staff, case: Case) -> None:
    consent = make_consent(db, staff.peer1, case.pid, case.ana)
    with db.session() as s:
        K.revoke_consent(s, staff.peer1, consent.id, on=date(2026, 2, 1), today=TODAY)
    r = draft(db, staff.peer1, case)
    assert refusal(db, staff.peer1, r.id)["consent"].endswith(
        "the consent of 2026-01-05 was revoked on 2026-02-01"
    )


def test_gate_refuses_the_wrong_recipient(db: Database, staff: Staff, case: Case) -> None:
    make_consent(db, staff.peer1, case.pid, case.ben)
    r = draft(db, staff.peer1, case)
    assert refusal(db, staff.peer1, r.id)["consent"].endswith(
        f"the consent of 2026-01-05 does not name {ANA} as recipient "
        "(it names Ben Osei (Lighthouse))"
    )


def test_gate_refuses_a_consent_too_narrow(db: Database, staff: Staff, case: Case) -> None:
    make_consent(db, staff.peer1, case.pid, case.ana)
    r = draft(db, staff.peer1, case, categories=("contact_details", "assessments", "mental_health"))
    assert refusal(db, staff.peer1, r.id)["consent"].endswith(
        "the consent of 2026-01-05 does not cover: mental health, assessments"
    )


def test_gate_lists_the_problem_with_each_consent(db: Database, staff: Staff, case: Case) -> None:
    make_consent(db, staff.peer1, case.pid, case.ana, expires_on=date(2026, 3, 1))
    make_consent(db, staff.peer1, case.pid, case.ben, signed_on=date(2026, 2, 10))
    wrong = make_consent(db, staff.peer1, case.pid, case.ana, signed_on=date(2026, 2, 11))
    with db.session() as s:
        K.mark_consent_entered_in_error(s, staff.peer1, wrong.id, reason="typo")
    r = draft(db, staff.peer1, case)
    message = refusal(db, staff.peer1, r.id)["consent"]
    assert "2026-02-11" not in message  # entered in error: not a consent at all
    assert message == (
        "no consent on file covers this referral: the consent of 2026-02-10 does not name "
        f"{ANA} as recipient (it names Ben Osei (Lighthouse)); "
        "the consent of 2026-01-05 expired on 2026-03-01"
    )


def test_a_chosen_consent_is_the_one_checked(db: Database, staff: Staff, case: Case) -> None:
    narrow = make_consent(
        db, staff.peer1, case.pid, case.ana, information_categories=("contact_details",)
    )
    make_consent(db, staff.peer1, case.pid, case.ana, signed_on=date(2026, 2, 1))
    r = draft(db, staff.peer1, case, consent_id=narrow.id)
    assert refusal(db, staff.peer1, r.id)["consent"] == (
        "the chosen consent cannot be relied on: the consent of 2026-01-05 does not cover: "
        "substance use"
    )


def test_gate_passes_and_records_the_disclosure(db: Database, staff: Staff, case: Case) -> None:
    consent = make_consent(db, staff.peer1, case.pid, case.ana)
    r = draft(db, staff.peer1, case)
    assert r.status == "draft" and r.consent_id is None
    sent = send(db, staff.peer1, r.id, note="Sent by secure e-mail", expected_version=r.version)
    assert sent.status == "requested"
    assert sent.sent_at == NOW
    assert sent.follow_up_on == TODAY + timedelta(days=7)
    assert sent.consent_id == consent.id and sent.consent_signed_on == date(2026, 1, 5)
    with db.session() as s:
        disclosures = R.list_disclosures(s, staff.peer1, case.pid)
    assert len(disclosures) == 1
    d = disclosures[0]
    assert (d.consent_id, d.referral_id, d.recipient) == (consent.id, r.id, ANA)
    assert d.notice_included and d.disclosed_by_name == "Pat Peer" and d.disclosed_at == NOW
    assert d.purpose == consent.purpose
    assert "Contact details and substance use history." in d.information
    with db.session(read_only=True) as s:
        audit = {
            e.action: e
            for e in s.scalars(select(AuditEvent).where(AuditEvent.participant_id == case.pid))
        }
    assert audit["disclosure"].entity_id == d.id
    assert "trauma" not in audit["disclosure"].details  # no clinical text in the audit log
    assert {"referral_create", "referral_send", "disclosure", "disclosure_list_view"} <= set(audit)
    # The accounting of disclosures is append-only in the database itself.
    with pytest.raises(DBAPIError), db.session() as s:
        s.execute(text("UPDATE disclosure SET recipient = 'someone else'"))
    with pytest.raises(DBAPIError), db.session() as s:
        s.execute(text("DELETE FROM referral_event"))


def test_class_consent_covers_the_named_organisation(
    db: Database, staff: Staff, case: Case
) -> None:
    make_consent(
        db, staff.peer1, case.pid, None, recipient_description="Counselors at Riverbend Clinic"
    )
    r = draft(db, staff.peer1, case)
    assert send(db, staff.peer1, r.id).status == "requested"
    other = draft(db, staff.peer1, case, counselor=case.ben)
    assert (
        "does not name Ben Osei (Lighthouse) as recipient"
        in refusal(db, staff.peer1, other.id)["consent"]
    )


def test_sending_needs_recipient_and_information(db: Database, staff: Staff, case: Case) -> None:
    make_consent(db, staff.peer1, case.pid, case.ana)
    r = draft(db, staff.peer1, case, counselor=None, categories=())
    errors = refusal(db, staff.peer1, r.id, follow_up_on=TODAY - timedelta(days=1))
    assert set(errors) == {"counselor", "information_categories", "follow_up_on"}


@pytest.mark.parametrize(("urgency", "days"), [("routine", 7), ("urgent", 1), ("emergent", 0)])
def test_follow_up_date_by_urgency(
    db: Database, staff: Staff, case: Case, urgency: str, days: int
) -> None:
    make_consent(db, staff.peer1, case.pid, case.ana)
    r = draft(db, staff.peer1, case, urgency=urgency)
    assert send(db, staff.peer1, r.id).follow_up_on == TODAY + timedelta(days=days)
    adjusted = draft(db, staff.peer1, case, urgency=urgency)
    assert send(db, staff.peer1, adjusted.id, follow_up_on=date(2026, 4, 1)).follow_up_on == date(
        2026, 4, 1
    )


# --------------------------------------------------------------------------- status history


def test_every_change_has_an_event(db: Database, staff: Staff, case: Case) -> None:
    make_consent(db, staff.peer1, case.pid, case.ana)
    r = draft(db, staff.peer1, case)
    send(db, staff.peer1, r.id, note="Packet sent")
    move(db, staff.peer1, r.id, "accepted", "Intake booked")
    move(db, staff.supervisor, r.id, "in-progress", "First visit done")
    held = move(db, staff.peer1, r.id, "on-hold", "Participant moving house")
    # On hold returns only to where it was held from.
    assert held.next_statuses == ("in-progress", "cancelled")
    with pytest.raises(ValidationError) as info, db.session() as s:
        RS.change_status(s, staff.peer1, r.id, "accepted")
    assert info.value.field_errors["status"] == (
        "a referral that is on hold cannot become accepted; it can become: in progress, cancelled"
    )
    move(db, staff.peer1, r.id, "in-progress", "Back after the move")
    with db.session() as s:
        done = RS.close_referral(
            s,
            staff.peer1,
            r.id,
            outcome="attended_first_appointment",
            note="Going weekly",
            now=NOW + timedelta(days=1),
        )
    assert done.status == "completed" and done.closed_at is not None
    assert done.outcome == "attended_first_appointment" and done.outcome_note == "Going weekly"
    with db.session() as s:
        detail = R.get_referral(s, staff.peer1, r.id)
    steps = [(e.from_status, e.to_status, e.by_name, e.note) for e in detail.events]
    assert steps == [
        (None, "draft", "Pat Peer", ""),
        ("draft", "requested", "Pat Peer", "Packet sent"),
        ("requested", "accepted", "Pat Peer", "Intake booked"),
        ("accepted", "in-progress", "Sam Supervisor", "First visit done"),
        ("in-progress", "on-hold", "Pat Peer", "Participant moving house"),
        ("on-hold", "in-progress", "Pat Peer", "Back after the move"),
        ("in-progress", "completed", "Pat Peer", "Going weekly"),
    ]
    times = [e.occurred_at for e in detail.events]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    assert detail.next_statuses == ()
    with db.session(read_only=True) as s:
        changes = s.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "referral_status")
        ).all()
    assert len(changes) == 4


def test_illegal_transitions_are_refused(db: Database, staff: Staff, case: Case) -> None:
    make_consent(db, staff.peer1, case.pid, case.ana)
    r = draft(db, staff.peer1, case)
    for to in ("accepted", "completed", "on-hold", "bogus"):
        with pytest.raises(ValidationError) as info, db.session() as s:
            RS.change_status(s, staff.peer1, r.id, to)
        assert (
            "it can become: sent, cancelled, entered in error" in info.value.field_errors["status"]
        )
    # draft → requested through change_status still goes through the consent check.
    sent = move(db, staff.peer1, r.id, "requested", "via change_status")
    assert sent.status == "requested" and sent.consent_id is not None
    with pytest.raises(ValidationError), db.session() as s:
        RS.change_status(s, staff.peer1, r.id, "completed")
    with pytest.raises(ValidationError), db.session() as s:
        RS.change_status(s, staff.peer1, r.id, "entered-in-error", note="oops")
    move(db, staff.peer1, r.id, "cancelled", "Participant changed their mind")
    with pytest.raises(ValidationError) as info, db.session() as s:
        RS.change_status(s, staff.peer1, r.id, "requested")
    assert "which is final" in info.value.field_errors["status"]
    with pytest.raises(ValidationError) as info, db.session() as s:
        R.update_referral(s, staff.peer1, r.id, R.ReferralFields(reason="x"))
    assert "only a draft can be edited" in info.value.field_errors["status"]


def test_draft_edits_and_entered_in_error(db: Database, staff: Staff, case: Case) -> None:
    r = draft(db, staff.peer1, case)
    with db.session() as s:
        edited = R.update_referral(
            s,
            staff.peer1,
            r.id,
            R.ReferralFields(counselor_id=case.ben, reason="Grief counseling", urgency="urgent"),
            expected_version=r.version,
        )
    assert edited.counselor_name == "Ben Osei (Lighthouse)" and edited.urgency == "urgent"
    with pytest.raises(ConflictError), db.session() as s:
        R.update_referral(
            s, staff.peer1, r.id, R.ReferralFields(reason="x"), expected_version=r.version
        )
    with pytest.raises(ValidationError) as info, db.session() as s:
        R.update_referral(s, staff.peer1, r.id, R.ReferralFields(reason=" ", urgency="soon"))
    assert set(info.value.field_errors) == {"reason", "urgency"}
    with pytest.raises(ValidationError) as info, db.session() as s:
        RS.change_status(s, staff.peer1, r.id, "entered-in-error")
    assert "note" in info.value.field_errors
    wrong = move(db, staff.peer1, r.id, "entered-in-error", "Wrong participant")
    assert wrong.status == "entered-in-error" and wrong.closed_at is not None


# --------------------------------------------------------------------------- closing the loop


@pytest.mark.parametrize(
    ("before", "outcome", "status", "path"),
    [
        ("requested", "attended_first_appointment", "completed", ["accepted", "completed"]),
        ("accepted", "attended_first_appointment", "completed", ["completed"]),
        ("requested", "no_response", "failed", ["failed"]),
        ("requested", "not_eligible", "rejected", ["rejected"]),
        ("accepted", "not_eligible", "failed", ["failed"]),
        ("in-progress", "participant_withdrew", "cancelled", ["cancelled"]),
        ("on-hold", "attended_first_appointment", "completed", ["accepted", "completed"]),
        ("on-hold", "declined", "failed", ["accepted", "failed"]),
    ],
)
def test_close_with_outcome(
    db: Database,
    staff: Staff,
    case: Case,
    before: str,
    outcome: str,
    status: str,
    path: list[str],
) -> None:
    make_consent(db, staff.peer1, case.pid, case.ana)
    r = draft(db, staff.peer1, case)
    send(db, staff.peer1, r.id)
    for step in {
        "requested": [],
        "accepted": ["accepted"],
        "in-progress": ["accepted", "in-progress"],
        "on-hold": ["accepted", "on-hold"],
    }[before]:
        move(db, staff.peer1, r.id, step)
    with db.session() as s:
        closed = RS.close_referral(
            s, staff.peer1, r.id, outcome=outcome, note="Called them", now=NOW + timedelta(days=1)
        )
    assert closed.status == status and closed.outcome == outcome
    tail = closed.events[-len(path) :]
    assert [e.to_status for e in tail] == path
    assert tail[-1].note == "Called them"
    assert all(e.note.startswith("implied by the outcome") for e in tail[:-1])


def test_close_refusals(db: Database, staff: Staff, case: Case) -> None:
    make_consent(db, staff.peer1, case.pid, case.ana)
    r = draft(db, staff.peer1, case)
    with pytest.raises(ValidationError) as info, db.session() as s:
        RS.close_referral(s, staff.peer1, r.id, outcome="declined")
    assert "never sent" in info.value.field_errors["status"]
    send(db, staff.peer1, r.id)
    with pytest.raises(ValidationError) as info, db.session() as s:
        RS.close_referral(s, staff.peer1, r.id, outcome="other")
    assert set(info.value.field_errors) == {"note", "status"}
    with pytest.raises(ValidationError) as info, db.session() as s:
        RS.close_referral(s, staff.peer1, r.id, outcome="lost")
    assert "outcome" in info.value.field_errors
    with db.session() as s:
        other = RS.close_referral(
            s, staff.peer1, r.id, outcome="other", status="completed", note="Group program instead"
        )
    assert other.status == "completed"
    with pytest.raises(ValidationError) as info, db.session() as s:
        RS.close_referral(s, staff.peer1, r.id, outcome="declined")
    assert "already closed" in info.value.field_errors["status"]


# --------------------------------------------------------------------------- Today


def test_follow_ups_appear_when_due_and_leave_when_closed(
    db: Database, staff: Staff, case: Case
) -> None:
    make_consent(db, staff.peer1, case.pid, case.ana)
    r = draft(db, staff.peer1, case, urgency="urgent")
    routine = draft(db, staff.peer1, case)
    never_sent = draft(db, staff.peer1, case)
    send(db, staff.peer1, r.id)  # follow up tomorrow
    send(db, staff.peer1, routine.id)  # in a week

    def due(actor: Actor, day: date) -> list[int]:
        with db.session(read_only=True) as s:
            return [f.referral_id for f in RS.referral_follow_ups_due(s, actor, today=day)]

    assert due(staff.peer1, TODAY) == []
    assert due(staff.peer1, TODAY + timedelta(days=1)) == [r.id]
    later = TODAY + timedelta(days=9)
    assert due(staff.peer1, later) == [r.id, routine.id]
    with db.session(read_only=True) as s:
        first = RS.referral_follow_ups_due(s, staff.peer1, today=later)[0]
    assert (first.days_overdue, first.urgency, first.counselor_name) == (8, "urgent", ANA)
    assert first.participant_name == "Zoë Example" and first.status == "requested"
    assert due(staff.supervisor, later) == [r.id, routine.id]  # the team's
    assert due(staff.peer2, later) == [] and due(staff.outsider, later) == []
    # Accepting keeps it on the list (the loop is still open) ...
    move(db, staff.peer1, r.id, "accepted")
    assert due(staff.peer1, later) == [r.id, routine.id]
    # ... moving the follow-up date takes it off until then, and says so in the timeline.
    with db.session() as s:
        moved = RS.set_follow_up(
            s, staff.peer1, routine.id, TODAY + timedelta(days=20), today=TODAY
        )
    assert moved.events[-1].note == "follow-up date set to 2026-04-04"
    assert not moved.events[-1].is_status_change
    assert due(staff.peer1, later) == [r.id]
    with db.session() as s:
        RS.close_referral(s, staff.peer1, r.id, outcome="attended_first_appointment")
    assert due(staff.peer1, later) == []
    assert never_sent.id not in due(staff.peer1, TODAY + timedelta(days=400))
    with pytest.raises(ValidationError), db.session() as s:
        RS.set_follow_up(s, staff.peer1, r.id, later, today=TODAY)  # closed now


# --------------------------------------------------------------------------- reading, prefill


def test_lists_are_audited_once(db: Database, staff: Staff, case: Case) -> None:
    first = draft(db, staff.peer1, case)
    second = draft(db, staff.peer1, case, counselor=case.ben)
    with db.session() as s:
        listed = R.list_referrals(s, staff.peer1, case.pid)
    assert {x.id for x in listed} == {first.id, second.id}
    assert all(not x.is_open and x.status == "draft" for x in listed)
    with db.session(read_only=True) as s:
        views = s.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "referral_list_view")
        ).all()
    assert len(views) == 1


def test_prefill_urgent_referral(db: Database, staff: Staff, case: Case) -> None:
    with db.session() as s:
        bare = R.prefill_urgent_referral(
            s, staff.peer1, case.pid, "PHQ-9 item 9 above 0", today=TODAY
        )
    assert bare.fields.urgency == "urgent" and bare.fields.reason == "PHQ-9 item 9 above 0"
    assert bare.fields.counselor_id is None and "No active consent" in bare.consent_hint
    consent = make_consent(
        db,
        staff.peer1,
        case.pid,
        case.ana,
        information_categories=("contact_details", "mental_health", "substance_use"),
    )
    with db.session() as s:
        ready = R.prefill_urgent_referral(
            s, staff.peer1, case.pid, "Risk flag in note", today=TODAY
        )
    assert ready.consent_hint == ""
    assert (ready.fields.counselor_id, ready.fields.consent_id) == (case.ana, consent.id)
    assert ready.fields.information_categories == ("contact_details", "mental_health")
    with db.session(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Referral)) == 0  # nothing saved


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("who", ["peer2", "outsider", "admin"])
def test_other_staff_are_refused_everywhere(
    db: Database, staff: Staff, case: Case, who: str
) -> None:
    make_consent(db, staff.peer1, case.pid, case.ana)
    r = draft(db, staff.peer1, case)
    sent = draft(db, staff.peer1, case)
    send(db, staff.peer1, sent.id)
    actor: Actor = getattr(staff, who)
    fields = R.ReferralFields(counselor_id=case.ana, reason="x")
    calls = [
        lambda s: R.create_referral(s, actor, case.pid, fields),
        lambda s: R.update_referral(s, actor, r.id, fields),
        lambda s: R.send_referral(s, actor, r.id, today=TODAY),
        lambda s: RS.change_status(s, actor, r.id, "cancelled"),
        lambda s: RS.change_status(s, actor, sent.id, "accepted"),
        lambda s: RS.close_referral(s, actor, sent.id, outcome="declined"),
        lambda s: RS.set_follow_up(s, actor, sent.id, TODAY, today=TODAY),
        lambda s: R.get_referral(s, actor, r.id),
        lambda s: R.list_referrals(s, actor, case.pid),
        lambda s: R.list_disclosures(s, actor, case.pid),
        lambda s: R.prefill_urgent_referral(s, actor, case.pid, "x"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied), db.session() as s:
            call(s)
    with db.session(read_only=True) as s:
        assert RS.referral_follow_ups_due(s, actor, today=TODAY + timedelta(days=30)) == []
        denied = s.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
        assert len(denied) == len(calls)
        statuses = dict(s.execute(select(Referral.id, Referral.status)).tuples().all())
    assert statuses == {r.id: "draft", sent.id: "requested"}
