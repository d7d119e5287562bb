"""Participants: field validation, intake, record numbers, edits with optimistic locking,
discharge and readmission, the recovery start date, and the caseload columns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import Staff
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from test_db import fast_database_fixtures

from casebook.database import Database
from casebook.errors import ConflictError, PermissionDenied, ValidationError
from casebook.security.permissions import Actor
from casebook.services import caseload
from casebook.services import participants as P
from models import (
    Assessment,
    AuditEvent,
    Participant,
    RecoveryPlan,
    RecoveryStartChange,
    Referral,
    SessionNote,
)

templates, db, staff = fast_database_fixtures()

TODAY = date(2026, 3, 15)
BASE = {"legal_name": "Amara Okafor", "date_of_birth": "1988-07-14", "intake_date": "2025-01-10"}


def parse(**changes: object) -> P.ParticipantFields:
    return P.parse_participant_fields({**BASE, **changes}, today=TODAY)


def errors_of(**changes: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        parse(**changes)
    return info.value.field_errors


def intake(db: Database, actor: Actor, **changes: object) -> P.ParticipantDetail:
    fields = P.parse_participant_fields({**BASE, **changes})
    with db.session() as s:
        return P.create_participant(s, actor, fields)


def _count(db: Database, model: type[object]) -> int:
    with db.session(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


# -------------------------------------------------------------------- field validation


def test_valid_fields_are_cleaned() -> None:
    f = parse(
        legal_name="  Zoë\x07 Nguyễn  ",
        recovery_focus="Substance Use",
        contact_cadence_days=" 14 ",
        phone="+1 (555) 010-2030 x12",
        email="zoe@example.org",
        recovery_start_date="2024-05-01",
    )
    assert f.legal_name == "Zoë Nguyễn"  # control character removed, trimmed
    assert f.recovery_focus == "substance_use"
    assert f.contact_cadence_days == 14
    assert f.date_of_birth == date(1988, 7, 14)
    assert f.recovery_start_date == date(2024, 5, 1)
    assert parse(recovery_focus="co-occurring").recovery_focus == "co_occurring"
    # Intake defaults to today.
    no_intake = P.parse_participant_fields(
        {"legal_name": "A B", "date_of_birth": "1990-01-01"}, today=TODAY
    )
    assert no_intake.intake_date == TODAY
    assert no_intake.contact_cadence_days == 7


@pytest.mark.parametrize("value", ["31/12/1990", "1990-13-01", "12 March 1990", "yesterday"])
def test_bad_date_formats(value: str) -> None:
    message = errors_of(date_of_birth=value)["date_of_birth"]
    assert "YYYY-MM-DD" in message
    assert value in message


def test_dates_that_cannot_be_right() -> None:
    assert "in the future" in errors_of(date_of_birth="2026-03-16")["date_of_birth"]
    assert "120 years" in errors_of(date_of_birth="1890-01-01")["date_of_birth"]
    assert "required" in errors_of(date_of_birth="")["date_of_birth"]
    assert "in the future" in errors_of(intake_date="2026-04-01")["intake_date"]
    assert "in the future" in errors_of(recovery_start_date="2027-01-01")["recovery_start_date"]
    before_birth = errors_of(recovery_start_date="1980-01-01")["recovery_start_date"]
    assert "before the date of birth" in before_birth


def test_intake_before_birth_is_refused() -> None:
    # A typo in the year must not produce a record where intake precedes birth.
    message = errors_of(date_of_birth="1990-05-01", intake_date="1989-05-01")["intake_date"]
    assert "before the date of birth" in message


@pytest.mark.parametrize("value", ["not-an-email", "a@b", "two@@example.org", "sp ace@x.org"])
def test_bad_email(value: str) -> None:
    assert "name@example.org" in errors_of(email=value)["email"]


@pytest.mark.parametrize("field", ["phone", "emergency_contact_phone"])
@pytest.mark.parametrize("value", ["call me maybe", "555;010", "12"])
def test_bad_phone(field: str, value: str) -> None:
    assert "digits" in errors_of(**{field: value})[field]


@pytest.mark.parametrize("value", ["0", "366", "-7", "abc", "7.5", "1e2"])
def test_cadence_out_of_range(value: str) -> None:
    assert "1 to 365" in errors_of(contact_cadence_days=value)["contact_cadence_days"]


@pytest.mark.parametrize("value", ["1", "365"])
def test_cadence_limits_are_allowed(value: str) -> None:
    assert parse(contact_cadence_days=value).contact_cadence_days == int(value)


@pytest.mark.parametrize("value", ["", "   ", "\x01\x02"])
def test_legal_name_is_required(value: str) -> None:
    assert "legal name is required" in errors_of(legal_name=value)["legal_name"]


def test_other_field_rules() -> None:
    assert "too long" in errors_of(legal_name="x" * 201)["legal_name"]
    assert "record number" in errors_of(record_number="R 1#")["record_number"]
    assert "unknown" in errors_of(recovery_focus="gambling")["recovery_focus"]


def test_every_bad_field_is_reported_at_once() -> None:
    errors = errors_of(
        legal_name="", date_of_birth="soon", email="x", phone="?", contact_cadence_days="0"
    )
    assert set(errors) == {"legal_name", "date_of_birth", "email", "phone", "contact_cadence_days"}


_KEYS = st.sampled_from([*P.FIELD_NAMES, "unexpected", ""])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, st.text(max_size=60)))
def test_arbitrary_input_only_ever_raises_validation_error(raw: dict[str, str]) -> None:
    try:
        result = P.parse_participant_fields(raw, today=TODAY)
    except ValidationError as exc:
        assert exc.field_errors
        assert all(isinstance(v, str) and v for v in exc.field_errors.values())
        assert set(exc.field_errors) <= set(P.FIELD_NAMES)
    else:
        assert result.legal_name.strip()
        assert 1 <= result.contact_cadence_days <= 365
        assert result.date_of_birth <= result.intake_date <= TODAY


@settings(max_examples=100, deadline=None)
@given(
    dob=st.dates(min_value=date(1910, 1, 1), max_value=TODAY),
    start=st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 1, 1)),
)
def test_recovery_start_is_between_birth_and_today(dob: date, start: date) -> None:
    try:
        f = parse(
            date_of_birth=dob.isoformat(),
            recovery_start_date=start.isoformat(),
            intake_date=TODAY.isoformat(),
        )
    except ValidationError as exc:
        assert "recovery_start_date" in exc.field_errors or "date_of_birth" in exc.field_errors
        assert start > TODAY or start < dob or dob.year < TODAY.year - 120
    else:
        assert dob <= f.recovery_start_date <= TODAY  # type: ignore[operator]


# ---------------------------------------------------------------------------- intake


def test_intake_puts_the_participant_on_the_specialists_caseload(
    db: Database, staff: Staff
) -> None:
    detail = intake(db, staff.peer1, legal_name="Amara Okafor")
    assert detail.specialist_id == staff.peer1.id
    assert detail.specialist_name == "Pat Peer"
    assert detail.status == "active"
    with db.session(read_only=True) as s:
        rows = caseload.caseload_rows(s, staff.peer1)
    assert [(r.participant_id, r.legal_name) for r in rows] == [(detail.id, "Amara Okafor")]
    created = [
        e for e in _audit(db) if e.action == "participant_create" and e.participant_id == detail.id
    ]
    assert len(created) == 1 and created[0].user_id == staff.peer1.id


def test_a_specialist_cannot_intake_onto_someone_elses_caseload(db: Database, staff: Staff) -> None:
    with db.session() as s:
        detail = P.create_participant(s, staff.peer1, parse(), specialist_id=staff.peer2.id)
    assert detail.specialist_id == staff.peer1.id


def test_supervisor_intake_to_a_team_member_or_the_queue(db: Database, staff: Staff) -> None:
    with db.session() as s:
        assigned = P.create_participant(s, staff.supervisor, parse(), specialist_id=staff.peer2.id)
        queued = P.create_participant(s, staff.supervisor, parse(legal_name="Queue Person"))
    assert assigned.specialist_id == staff.peer2.id
    assert queued.specialist_id is None
    with db.session(read_only=True) as s:
        assert [r.participant_id for r in caseload.caseload_rows(s, staff.peer2)] == [assigned.id]
        assert caseload.caseload_rows(s, staff.peer1) == []


def test_an_admin_cannot_do_an_intake(db: Database, staff: Staff) -> None:
    with pytest.raises(PermissionDenied) as refused, db.session() as s:
        P.create_participant(s, staff.admin, parse())
    assert "supervisor" in str(refused.value)
    assert _count(db, Participant) == 0


def test_duplicate_record_number_is_refused(db: Database, staff: Staff) -> None:
    intake(db, staff.peer1, record_number="RB-1001")
    with pytest.raises(ValidationError) as refused:
        intake(db, staff.peer2, record_number="RB-1001", legal_name="Someone Else")
    message = refused.value.field_errors["record_number"]
    assert "RB-1001" in message and "already used" in message
    assert _count(db, Participant) == 1


def test_record_numbers_are_numbered_automatically(db: Database, staff: Staff) -> None:
    first = intake(db, staff.peer1)
    second = intake(db, staff.peer1, legal_name="Second Person")
    assert first.record_number == "R-000001"
    assert second.record_number == "R-000002"
    intake(db, staff.peer1, legal_name="Manual", record_number="R-000004")
    # The next automatic number skips one that was typed in by hand.
    fourth = intake(db, staff.peer1, legal_name="Fourth")
    assert fourth.record_number not in {"R-000001", "R-000002", "R-000004"}
    with db.session(read_only=True) as s:
        numbers = s.scalars(select(Participant.record_number)).all()
    assert len(set(numbers)) == 4


# ------------------------------------------------------------------------------ edits


def test_update_changes_fields_and_audits_their_names_only(db: Database, staff: Staff) -> None:
    d = intake(db, staff.peer1)
    with db.session() as s:
        after = P.update_participant(
            s,
            staff.peer1,
            d.id,
            parse(phone="555-0100", preferred_name="Ama", record_number=d.record_number),
            expected_version=d.version,
        )
    assert after.phone == "555-0100" and after.display_name == "Ama"
    assert after.version == d.version + 1
    update = [e for e in _audit(db) if e.action == "participant_update"][-1]
    assert "phone" in update.details and "preferred_name" in update.details
    assert "555-0100" not in update.details and "Ama" not in update.details


def test_update_with_a_stale_version_changes_nothing(db: Database, staff: Staff) -> None:
    d = intake(db, staff.peer1)
    with db.session() as s:  # someone else saves first
        P.update_participant(s, staff.peer1, d.id, parse(phone="555-0101"), expected_version=1)
    with pytest.raises(ConflictError) as conflict, db.session() as s:
        P.update_participant(
            s, staff.peer1, d.id, parse(legal_name="Overwritten"), expected_version=d.version
        )
    assert "Someone else saved" in str(conflict.value)
    with db.session(read_only=True) as s:
        now = P.get_participant(s, staff.peer1, d.id, audit_view=False)
    assert now.legal_name == "Amara Okafor"
    assert now.phone == "555-0101"


def test_update_to_a_used_record_number_is_refused(db: Database, staff: Staff) -> None:
    intake(db, staff.peer1, record_number="A-1")
    d = intake(db, staff.peer1, record_number="A-2", legal_name="Two")
    with pytest.raises(ValidationError) as refused, db.session() as s:
        P.update_participant(s, staff.peer1, d.id, parse(record_number="A-1", legal_name="Two"))
    assert "already used" in refused.value.field_errors["record_number"]


# ---------------------------------------------------------------- discharge / readmit


def test_discharge_rules_and_messages(db: Database, staff: Staff) -> None:
    d = intake(db, staff.peer1, intake_date="2025-01-10")
    cases = [
        ({"on": date.today(), "reason": "  "}, "discharge_reason", "required"),
        ({"on": date.today() + timedelta(days=1), "reason": "Moved"}, "discharge_date", "future"),
        ({"on": date(2025, 1, 9), "reason": "Moved"}, "discharge_date", "before the intake"),
    ]
    for kwargs, field, words in cases:
        with pytest.raises(ValidationError) as refused, db.session() as s:
            P.discharge(s, staff.peer1, d.id, **kwargs)  # type: ignore[arg-type]
        assert words in refused.value.field_errors[field]
    with pytest.raises(ConflictError), db.session() as s:
        P.discharge(s, staff.peer1, d.id, on=date.today(), reason="x", expected_version=99)

    with db.session() as s:
        out = P.discharge(s, staff.peer1, d.id, on=date(2025, 6, 1), reason="Completed program")
    assert out.status == "discharged"
    assert out.discharge_date == date(2025, 6, 1)
    assert out.discharge_reason == "Completed program"
    with pytest.raises(ValidationError) as again, db.session() as s:
        P.discharge(s, staff.peer1, d.id, on=date.today(), reason="Again")
    assert "already discharged" in again.value.field_errors["status"]
    with db.session(read_only=True) as s:
        assert caseload.caseload_rows(s, staff.peer1) == []
        shown = caseload.caseload_rows(s, staff.peer1, include_discharged=True)
    assert [r.status for r in shown] == ["discharged"]
    assert shown[0].days_overdue(date.today()) == 0


def test_readmit_rules_and_messages(db: Database, staff: Staff) -> None:
    d = intake(db, staff.peer1, intake_date="2025-01-10")
    with pytest.raises(ValidationError) as active, db.session() as s:
        P.readmit(s, staff.peer1, d.id, on=date.today())
    assert "only a discharged participant" in active.value.field_errors["status"]
    with db.session() as s:
        P.discharge(s, staff.peer1, d.id, on=date(2025, 6, 1), reason="Moved away")
    with pytest.raises(ValidationError) as early, db.session() as s:
        P.readmit(s, staff.peer1, d.id, on=date(2025, 5, 1))
    assert "before the discharge" in early.value.field_errors["intake_date"]
    with pytest.raises(ValidationError) as future, db.session() as s:
        P.readmit(s, staff.peer1, d.id, on=date.today() + timedelta(days=2))
    assert "future" in future.value.field_errors["intake_date"]

    with db.session() as s:
        back = P.readmit(s, staff.peer1, d.id, on=date(2025, 9, 1))
    assert back.status == "active"
    assert back.intake_date == date(2025, 9, 1)
    assert back.discharge_date is None and back.discharge_reason == ""
    assert back.record_number == d.record_number
    actions = [e.action for e in _audit(db) if e.participant_id == d.id]
    assert "participant_discharge" in actions and "participant_readmit" in actions


def test_inactive_and_active(db: Database, staff: Staff) -> None:
    d = intake(db, staff.peer1)
    with db.session() as s:
        assert P.set_status(s, staff.peer1, d.id, "inactive").status == "inactive"
    with pytest.raises(ValidationError), db.session() as s:
        P.set_status(s, staff.peer1, d.id, "discharged")
    with db.session() as s:
        P.discharge(s, staff.peer1, d.id, on=date.today(), reason="Moved")
    with pytest.raises(ValidationError) as refused, db.session() as s:
        P.set_status(s, staff.peer1, d.id, "active")
    assert "readmit" in refused.value.field_errors["status"]


# ---------------------------------------------------------------- recovery start date


def test_recovery_start_reset_keeps_history(db: Database, staff: Staff) -> None:
    d = intake(db, staff.peer1, recovery_start_date="2024-01-01")
    assert d.days_in_recovery(date(2024, 1, 31)) == 30
    with db.session() as s:
        after = P.reset_recovery_start(
            s, staff.peer1, d.id, date(2025, 6, 1), "Participant chose to restart the count"
        )
    assert after.recovery_start_date == date(2025, 6, 1)
    with pytest.raises(ValidationError) as future, db.session() as s:
        P.reset_recovery_start(s, staff.peer1, d.id, date.today() + timedelta(days=1))
    assert "future" in future.value.field_errors["recovery_start_date"]
    # The same rule as on the form: not before the date of birth (1988-07-14).
    with pytest.raises(ValidationError) as unborn, db.session() as s:
        P.reset_recovery_start(s, staff.peer1, d.id, date(1980, 1, 1))
    assert "before the date of birth" in unborn.value.field_errors["recovery_start_date"]
    with db.session() as s:
        P.update_participant(
            s, staff.peer1, d.id, parse(recovery_start_date="2025-07-01", legal_name="Amara Okafor")
        )
    with db.session(read_only=True) as s:
        history = P.recovery_start_history(s, staff.peer1, d.id)
    assert [(h.previous_date, h.new_date) for h in history] == [
        (None, date(2024, 1, 1)),
        (date(2024, 1, 1), date(2025, 6, 1)),
        (date(2025, 6, 1), date(2025, 7, 1)),
    ]
    assert history[1].note == "Participant chose to restart the count"
    assert _count(db, RecoveryStartChange) == 3
    assert "recovery_start_reset" in [e.action for e in _audit(db)]


# ------------------------------------------------------------------------ caseload rows


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_caseload_columns(db: Database, staff: Staff) -> None:
    d = intake(db, staff.peer1, contact_cadence_days="7", recovery_start_date="2024-02-01")
    other = intake(db, staff.peer1, legal_name="Bea Nobody", intake_date="2025-03-01")
    contact = date(2026, 1, 10)
    with db.session() as s:
        for kind, day, error in (
            ("individual", contact, False),
            ("check_in", contact - timedelta(days=5), False),
            ("outreach", contact + timedelta(days=3), False),  # attempts are not contact
            ("individual", contact + timedelta(days=4), True),  # entered in error
        ):
            s.add(
                SessionNote(
                    participant_id=d.id,
                    author_id=staff.peer1.id,
                    kind=kind,
                    occurred_at=_at(day),
                    body="note",
                    entered_in_error_at=_at(day) if error else None,
                    entered_in_error_reason="wrong participant" if error else None,
                    entered_in_error_by_id=staff.peer1.id if error else None,
                )
            )
        for status in ("requested", "accepted", "in-progress", "completed", "draft", "cancelled"):
            s.add(Referral(participant_id=d.id, reason="counseling", status=status))
        for total, days_before, error in ((30, 40, False), (48, 20, False), (12, 5, True)):
            s.add(
                Assessment(
                    participant_id=d.id,
                    instrument="BARC-10",
                    answers=[total // 10] * 10,
                    total=total,
                    band="",
                    administered_at=_at(contact - timedelta(days=days_before)),
                    entered_in_error_at=_at(contact) if error else None,
                    entered_in_error_reason="typo" if error else None,
                )
            )
        s.add(
            Assessment(
                participant_id=d.id,
                instrument="PHQ-9",
                answers=[0] * 9,
                total=0,
                band="minimal",
                administered_at=_at(contact),
            )
        )
        s.add(
            RecoveryPlan(
                participant_id=d.id, version=1, status="active", review_date=date(2026, 4, 1)
            )
        )
    with db.session(read_only=True) as s:
        rows = {r.participant_id: r for r in caseload.caseload_rows(s, staff.peer1)}
    row = rows[d.id]
    assert row.last_contact_at == _at(contact)
    assert row.open_referrals == 3
    assert row.latest_barc10 == 48
    assert row.plan_review_date == date(2026, 4, 1)
    assert row.specialist_name == "Pat Peer"
    assert row.days_in_recovery(date(2024, 2, 11)) == 10
    local_contact = _at(contact).astimezone().date()
    assert row.next_contact_due() == local_contact + timedelta(days=7)
    assert row.days_overdue(local_contact + timedelta(days=10)) == 3
    assert row.days_overdue(local_contact + timedelta(days=7)) == 0
    assert row.days_overdue(local_contact + timedelta(days=2)) == 0

    # No contact yet: due from intake; nothing open, no score.
    fresh = rows[other.id]
    assert fresh.last_contact_at is None
    assert fresh.open_referrals == 0 and fresh.latest_barc10 is None
    assert fresh.next_contact_due() == date(2025, 3, 8)
    assert fresh.days_overdue(date(2025, 3, 20)) == 12


def test_caseload_filter_by_specialist(db: Database, staff: Staff) -> None:
    a = intake(db, staff.peer1)
    b = intake(db, staff.peer2, legal_name="Second")
    with db.session(read_only=True) as s:
        mine = caseload.caseload_rows(s, staff.supervisor, specialist_ids=[staff.peer2.id])
        team = caseload.caseload_rows(s, staff.supervisor)
    assert [r.participant_id for r in mine] == [b.id]
    assert {r.participant_id for r in team} == {a.id, b.id}


def _audit(db: Database) -> list[AuditEvent]:
    with db.session(read_only=True) as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
