"""42 CFR §2.31 consents: every element checked, status from dates, expiry warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from conftest import Staff
from sqlalchemy import select

from casebook.database import Database
from casebook.errors import PermissionDenied, ValidationError
from casebook.security.permissions import Actor
from casebook.services import consents as K
from casebook.services import counselors as C
from casebook.services import participants as P
from models import AuditEvent

TODAY = date(2026, 3, 15)


# --------------------------------------------------------------------------- helpers (shared)


def make_participant(db: Database, actor: Actor, name: str = "Zoë Example") -> int:
    with db.session() as s:
        d = P.create_participant(
            s,
            actor,
            P.parse_participant_fields(
                {"legal_name": name, "date_of_birth": "1990-01-02", "intake_date": "2025-01-10"}
            ),
        )
    return d.id


def make_counselor(db: Database, actor: Actor, name: str, **raw: object) -> int:
    with db.session() as s:
        return C.create_counselor(s, actor, C.parse_counselor_fields({"name": name, **raw})).id


def consent_fields(counselor_id: int | None, **changes: object) -> K.ConsentFields:
    fields = K.ConsentFields(
        patient_name="Zoë Example",
        discloser="Riverbend Peer Recovery Center, peer support program",
        information="Name and contact details; substance use history; recovery plan goals.",
        information_categories=("contact_details", "substance_use", "treatment_plan"),
        recipient_counselor_id=counselor_id,
        purpose="Referral to counseling and follow-up on whether it happened.",
        revocation_statement=K.STANDARD_REVOCATION_STATEMENT,
        expires_on=date(2026, 12, 31),
        signed_by="Zoë Example",
        signer_relationship="self",
        signed_on=date(2026, 1, 5),
    )
    return replace(fields, **changes)


def make_consent(
    db: Database, actor: Actor, participant_id: int, counselor_id: int | None, **changes: object
) -> K.ConsentDetail:
    with db.session() as s:
        return K.create_consent(
            s, actor, participant_id, consent_fields(counselor_id, **changes), today=TODAY
        )


# --------------------------------------------------------------------------- creating


def test_create_consent_with_every_element(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    cid = make_counselor(
        db, staff.peer1, "Dr Ana Lima", credentials="LCSW", organisation="Riverbend"
    )
    consent = make_consent(
        db, staff.peer1, pid, cid, information_categories=("Substance-Use", "recovery_plan")
    )
    assert consent.status == "active"
    assert consent.information_categories == ("substance_use", "treatment_plan")
    assert consent.recipient == "Dr Ana Lima, LCSW (Riverbend)"
    assert consent.recipient_description == "Dr Ana Lima, LCSW (Riverbend)"
    assert consent.created_by_name == "Pat Peer"
    with db.session(read_only=True) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "consent_create")).one()
    assert event.participant_id == pid and "Zoë" not in event.details


def test_prefilled_form(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    with db.session() as s:
        form = K.new_consent_fields(s, staff.peer1, pid, today=TODAY)
    assert form.patient_name == "Zoë Example" and form.signed_by == "Zoë Example"
    assert form.signed_on == TODAY and form.expires_on == TODAY + timedelta(days=365)
    assert "revoke" in form.revocation_statement


def test_every_missing_element_is_named(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    with pytest.raises(ValidationError) as info, db.session() as s:
        K.create_consent(s, staff.peer1, pid, K.ConsentFields(signer_relationship=""), today=TODAY)
    errors = info.value.field_errors
    assert set(errors) == {
        "patient_name",
        "discloser",
        "information",
        "information_categories",
        "recipient",
        "purpose",
        "revocation_statement",
        "expiration",
        "signed_by",
        "signer_relationship",
        "signed_on",
    }
    assert "name" in errors["patient_name"]
    assert "who may disclose" in errors["discloser"] or "disclose" in errors["discloser"]
    assert "expiration date or the event" in errors["expiration"]
    assert "guardian" in errors["signer_relationship"]
    assert len(set(errors.values())) == len(errors)  # each says its own thing


def test_wrong_values_are_refused(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    cid = make_counselor(db, staff.peer1, "Dr Gone")
    with db.session() as s:
        C.deactivate_counselor(s, staff.supervisor, cid)

    def errors(**changes: object) -> dict[str, str]:
        with pytest.raises(ValidationError) as info, db.session() as s:
            K.create_consent(s, staff.peer1, pid, consent_fields(None, **changes), today=TODAY)
        return info.value.field_errors

    assert (
        "not after the date signed"
        in errors(recipient_description="Riverbend", expires_on=date(2026, 1, 5))["expires_on"]
    )
    assert (
        "future"
        in errors(recipient_description="Riverbend", signed_on=TODAY + timedelta(1))["signed_on"]
    )
    assert (
        "horoscope"
        in errors(recipient_description="Riverbend", information_categories=("horoscope",))[
            "information_categories"
        ]
    )
    assert "deactivated" in errors(recipient_counselor_id=cid)["recipient"]


def test_recipient_by_class_and_event_expiry_are_accepted(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    consent = make_consent(
        db,
        staff.peer1,
        pid,
        None,
        recipient_description="Any counselor at Riverbend Community Mental Health Center",
        expires_on=None,
        expiration_event="When the referral is closed",
        signer_relationship="legal guardian",
        signed_by="Maria Example",
    )
    assert consent.recipient == "Any counselor at Riverbend Community Mental Health Center"
    assert consent.signer_relationship == "guardian"
    assert consent.status == "active" and consent.expires_on is None
    with db.session() as s:
        ended = K.record_expiration_event(
            s, staff.peer1, consent.id, on=date(2026, 3, 1), today=TODAY
        )
    assert ended.expires_on == date(2026, 3, 1) and ended.status == "expired"


# --------------------------------------------------------------------------- status


def test_status_is_derived_from_the_dates() -> None:
    base = SimpleNamespace(
        signed_on=date(2026, 1, 5),
        expires_on=date(2026, 6, 1),
        revoked_on=None,
        entered_in_error_at=None,
    )
    assert K.consent_status(base, date(2026, 5, 31)) == "active"
    assert K.consent_status(base, date(2026, 6, 1)) == "expired"  # not usable on the day
    revoked = SimpleNamespace(**{**vars(base), "revoked_on": date(2026, 3, 1)})
    assert K.consent_status(revoked, date(2026, 2, 28)) == "active"
    assert K.consent_status(revoked, date(2026, 3, 1)) == "revoked"
    assert K.consent_status(revoked, date(2026, 7, 1)) == "revoked"
    wrong = SimpleNamespace(**{**vars(base), "entered_in_error_at": object()})
    assert K.consent_status(wrong, date(2026, 2, 1)) == "entered-in-error"


def test_revoke(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    consent = make_consent(db, staff.peer1, pid, None, recipient_description="Riverbend")
    with db.session() as s:
        assert K.has_active_consent(s, staff.peer1, pid, today=TODAY)
    with pytest.raises(ValidationError) as info, db.session() as s:
        K.revoke_consent(s, staff.peer1, consent.id, on=TODAY + timedelta(1), today=TODAY)
    assert "future" in info.value.field_errors["revoked_on"]
    with pytest.raises(ValidationError) as info, db.session() as s:
        K.revoke_consent(s, staff.peer1, consent.id, on=date(2025, 12, 1), today=TODAY)
    assert "before the date signed" in info.value.field_errors["revoked_on"]
    with db.session() as s:
        revoked = K.revoke_consent(
            s,
            staff.peer1,
            consent.id,
            on=date(2026, 3, 1),
            note="Told me by phone",
            expected_version=consent.version,
            today=TODAY,
        )
    assert revoked.status == "revoked" and revoked.revocation_note == "Told me by phone"
    with pytest.raises(ValidationError) as info, db.session() as s:
        K.revoke_consent(s, staff.peer1, consent.id, on=TODAY, today=TODAY)
    assert "already revoked on 2026-03-01" in info.value.field_errors["status"]
    with db.session() as s:
        assert not K.has_active_consent(s, staff.peer1, pid, today=TODAY)


def test_entered_in_error(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    consent = make_consent(db, staff.peer1, pid, None, recipient_description="Riverbend")
    with pytest.raises(ValidationError), db.session() as s:
        K.mark_consent_entered_in_error(s, staff.peer1, consent.id, reason=" ")
    with db.session() as s:
        wrong = K.mark_consent_entered_in_error(
            s, staff.peer1, consent.id, reason="Wrong participant", today=TODAY
        )
    assert (
        wrong.status == "entered-in-error" and wrong.entered_in_error_reason == "Wrong participant"
    )
    with db.session() as s:
        listed = K.list_consents(s, staff.peer1, pid, today=TODAY)
        assert [c.status for c in listed] == ["entered-in-error"]
        assert not K.has_active_consent(s, staff.peer1, pid, today=TODAY)


def test_list_and_get_are_audited_once(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    first = make_consent(
        db, staff.peer1, pid, None, recipient_description="A", signed_on=date(2026, 1, 1)
    )
    make_consent(db, staff.peer1, pid, None, recipient_description="B", signed_on=date(2026, 2, 1))
    with db.session() as s:
        listed = K.list_consents(s, staff.peer1, pid, today=TODAY)
        K.get_consent(s, staff.peer1, first.id, today=TODAY)
    assert [c.recipient for c in listed] == ["B", "A"]  # newest signature first
    with db.session(read_only=True) as s:
        actions = list(
            s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("consent_%view")))
        )
    assert actions == ["consent_list_view", "consent_view"]


# --------------------------------------------------------------------------- Today


def test_consents_expiring_within_30_days(db: Database, staff: Staff) -> None:
    p1 = make_participant(db, staff.peer1, "Ada One")
    p2 = make_participant(db, staff.peer2, "Bo Two")
    soon = make_consent(
        db,
        staff.peer1,
        p1,
        None,
        recipient_description="Riverbend",
        expires_on=TODAY + timedelta(10),
    )
    make_consent(  # far off
        db,
        staff.peer1,
        p1,
        None,
        recipient_description="Lighthouse",
        expires_on=TODAY + timedelta(90),
    )
    make_consent(  # already expired: no longer a warning
        db, staff.peer1, p1, None, recipient_description="Oak", expires_on=TODAY
    )
    revoked = make_consent(
        db, staff.peer1, p1, None, recipient_description="Elm", expires_on=TODAY + timedelta(5)
    )
    with db.session() as s:
        K.revoke_consent(s, staff.peer1, revoked.id, on=TODAY, today=TODAY)
    other = make_consent(
        db,
        staff.peer2,
        p2,
        None,
        recipient_description="Riverbend",
        expires_on=TODAY + timedelta(30),
    )
    with db.session(read_only=True) as s:
        mine = K.consents_expiring(s, staff.peer1, today=TODAY)
        theirs = K.consents_expiring(s, staff.peer2, today=TODAY)
        team = K.consents_expiring(s, staff.supervisor, today=TODAY)
        outsider = K.consents_expiring(s, staff.outsider, today=TODAY)
        narrow = K.consents_expiring(s, staff.supervisor, within_days=7, today=TODAY)
    assert [(e.consent_id, e.days_left, e.participant_name) for e in mine] == [
        (soon.id, 10, "Ada One")
    ]
    assert [e.consent_id for e in theirs] == [other.id]
    assert [e.consent_id for e in team] == [soon.id, other.id]
    assert outsider == [] and narrow == []
    # A renewed consent (same recipient, runs longer) takes the warning away.
    make_consent(
        db,
        staff.peer1,
        p1,
        None,
        recipient_description="Riverbend",
        signed_on=TODAY,
        expires_on=TODAY + timedelta(365),
    )
    with db.session(read_only=True) as s:
        assert K.consents_expiring(s, staff.peer1, today=TODAY) == []


# --------------------------------------------------------------------------- recipient rule


def test_recipient_rule() -> None:
    def entry(id: int, name: str, org: str = "", is_org: bool = False) -> SimpleNamespace:
        return SimpleNamespace(id=id, name=name, organisation=org, is_organisation=is_org)

    ana = entry(1, "Dr Ana Lima", "Riverbend Clinic")
    ben = entry(2, "Ben Osei", "Lighthouse")
    riverbend = entry(3, "Riverbend Clinic", is_org=True)
    assert K.recipient_covers(ana, "", ana)
    assert not K.recipient_covers(ana, "", ben)
    assert K.recipient_covers(riverbend, "", ana)  # a named organisation covers its counselors
    assert not K.recipient_covers(riverbend, "", ben)
    assert K.recipient_covers(None, "any counselor at RIVERBEND clinic", ana)
    assert K.recipient_covers(None, "staff of Riverbend Clinic", riverbend)
    assert not K.recipient_covers(None, "my treating providers", ana)
    assert not K.recipient_covers(None, "Riverbend Clinical Services", ana)  # whole phrase only


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("who", ["peer2", "outsider", "admin"])
def test_other_staff_cannot_touch_the_consents(db: Database, staff: Staff, who: str) -> None:
    pid = make_participant(db, staff.peer1)
    consent = make_consent(db, staff.peer1, pid, None, recipient_description="Riverbend")
    actor: Actor = getattr(staff, who)
    calls = [
        lambda s: K.new_consent_fields(s, actor, pid),
        lambda s: K.create_consent(s, actor, pid, consent_fields(None, recipient_description="X")),
        lambda s: K.list_consents(s, actor, pid),
        lambda s: K.get_consent(s, actor, consent.id),
        lambda s: K.has_active_consent(s, actor, pid),
        lambda s: K.revoke_consent(s, actor, consent.id, on=TODAY, today=TODAY),
        lambda s: K.record_expiration_event(s, actor, consent.id, on=TODAY, today=TODAY),
        lambda s: K.mark_consent_entered_in_error(s, actor, consent.id, reason="x"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied), db.session() as s:
            call(s)
    with db.session() as s:  # listing consents is audited: a write
        refusals = s.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
        assert len(refusals) == len(calls)
        assert K.consents_expiring(s, actor, within_days=400, today=TODAY) == []
        assert K.list_consents(s, staff.peer1, pid, today=TODAY)[0].status == "active"
