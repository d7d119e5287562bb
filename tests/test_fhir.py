"""FHIR export of a referral, validated with fhir.resources (R4B models, same elements as R4)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import Staff
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from sqlalchemy import select
from test_consents import make_consent, make_counselor, make_participant

from casebook import fhir
from casebook.database import Database
from casebook.errors import PermissionDenied, ValidationError
from casebook.services import consents as K
from casebook.services import referral_status as RS
from casebook.services import referrals as R
from models import AuditEvent

TODAY = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 15, 0, tzinfo=UTC)


def _referral(
    db: Database,
    staff: Staff,
    *,
    organisation: bool = False,
    urgency: str = "routine",
    categories: tuple[str, ...] = ("substance_use", "treatment_plan"),
) -> tuple[int, int, int]:
    pid = make_participant(db, staff.peer1)
    if organisation:
        cid = make_counselor(
            db, staff.peer1, "Clearwater Behavioral Health", is_organisation="yes", phone="555-0100"
        )
    else:
        cid = make_counselor(
            db,
            staff.peer1,
            "Dr Ana Lima",
            credentials="LCSW",
            organisation="Riverbend Clinic",
            email="ana@example.org",
        )
    consent = make_consent(
        db,
        staff.peer1,
        pid,
        cid,
        information_categories=("contact_details", "substance_use", "treatment_plan"),
    )
    with db.session() as s:
        r = R.create_referral(
            s,
            staff.peer1,
            pid,
            R.ReferralFields(
                counselor_id=cid,
                reason="Wants an intensive outpatient program after a return to use.",
                urgency=urgency,
                information_shared="Substance use history and recovery plan goals.",
                information_categories=categories,
            ),
            now=NOW - timedelta(hours=2),
        )
        R.send_referral(s, staff.peer1, r.id, note="Packet sent", today=TODAY, now=NOW)
    return pid, r.id, consent.id


def _export(db: Database, actor: Any, referral_id: int) -> dict[str, Any]:
    with db.session() as s:
        return fhir.referral_bundle(s, actor, referral_id, now=NOW + timedelta(hours=1))


def _by_type(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle["entry"]:
        out.setdefault(entry["resource"]["resourceType"], []).append(entry)
    return out


def test_bundle_validates_and_carries_the_referral(db: Database, staff: Staff) -> None:
    pid, rid, consent_id = _referral(db, staff)
    with db.session() as s:
        RS.change_status(s, staff.peer1, rid, "accepted", note="Intake booked for Monday")
    data = _export(db, staff.peer1, rid)
    json.dumps(data)  # plain JSON types only
    bundle = Bundle.model_validate(data)
    assert bundle.type == "collection"
    assert {c.code for c in bundle.meta.security} >= {"R", "42CFRPart2", "NORDSCLCD", "ETH"}
    entries = _by_type(data)
    assert set(entries) == {"ServiceRequest", "Task", "Patient", "Practitioner", "Consent"}
    urls = {e["fullUrl"] for e in data["entry"]}
    assert len(urls) == len(data["entry"]) and all(u.startswith("urn:uuid:") for u in urls)

    sr_entry = entries["ServiceRequest"][0]
    sr = ServiceRequest.model_validate(sr_entry["resource"])
    assert (sr.status, sr.intent, sr.priority) == ("active", "order", "routine")
    assert sr.reasonCode[0].text.startswith("Wants an intensive outpatient program")
    assert sr.authoredOn is not None
    patient_entry = entries["Patient"][0]
    assert sr.subject.reference == patient_entry["fullUrl"]
    practitioners = {e["resource"]["id"]: e for e in entries["Practitioner"]}
    counselor = next(e for k, e in practitioners.items() if k.startswith("counselor-"))
    peer = next(e for k, e in practitioners.items() if k.startswith("staff-"))
    assert sr.performer[0].reference == counselor["fullUrl"]
    assert sr.requester.reference == peer["fullUrl"]
    assert peer["resource"]["name"][0]["text"] == "Pat Peer"
    assert counselor["resource"]["qualification"][0]["code"]["text"] == "LCSW"
    assert sr.supportingInfo[0].reference == entries["Consent"][0]["fullUrl"]
    notes = [n.text for n in sr.note]
    assert any("42 CFR part 2" in n and "redisclos" in n for n in notes)
    assert any("Substance use history" in n for n in notes)

    task = Task.model_validate(entries["Task"][0]["resource"])
    assert (task.status, task.intent) == ("accepted", "order")
    assert task.focus.reference == sr_entry["fullUrl"]
    assert task.for_fhir.reference == patient_entry["fullUrl"]
    assert task.owner.reference == counselor["fullUrl"]
    assert task.businessStatus.text == "Intake booked for Monday"
    assert task.authoredOn is not None and task.lastModified is not None
    assert task.code.coding[0].code == "fulfill"

    patient = Patient.model_validate(patient_entry["resource"])
    assert patient.identifier[0].system == "urn:casebook:record-number"
    assert patient.name[0].text == "Zoë Example"
    assert patient.birthDate == date(1990, 1, 2)
    assert patient.telecom is None  # contact details were not among the categories shared

    consent = Consent.model_validate(entries["Consent"][0]["resource"])
    assert consent.status == "active"
    assert consent.identifier[0].value == str(consent_id)
    assert consent.provision.actor[0].reference.reference == counselor["fullUrl"]
    with db.session(read_only=True) as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "referral_fhir_export")
        ).one()
    assert (event.entity_id, event.participant_id) == (rid, pid)
    assert "intensive" not in event.details


def test_organisation_emergent_and_contact_details(db: Database, staff: Staff) -> None:
    _pid, rid, _ = _referral(
        db,
        staff,
        organisation=True,
        urgency="emergent",
        categories=("contact_details", "treatment_plan"),
    )
    data = _export(db, staff.supervisor, rid)
    Bundle.model_validate(data)
    entries = _by_type(data)
    org = entries["Organization"][0]
    assert org["resource"]["name"] == "Clearwater Behavioral Health"
    sr = entries["ServiceRequest"][0]["resource"]
    assert sr["priority"] == "stat"
    assert sr["performer"][0] == {
        "reference": org["fullUrl"],
        "type": "Organization",
        "display": "Clearwater Behavioral Health",
    }
    assert "ETH" not in {c["code"] for c in data["meta"]["security"]}  # no substance use shared
    assert entries["Task"][0]["resource"]["priority"] == "stat"


def test_closed_referral_maps_status_and_outcome(db: Database, staff: Staff) -> None:
    _pid, rid, _ = _referral(db, staff)
    with db.session() as s:
        RS.close_referral(s, staff.peer1, rid, outcome="no_response", note="Three calls")
    data = _export(db, staff.peer1, rid)
    Bundle.model_validate(data)
    entries = _by_type(data)
    assert entries["ServiceRequest"][0]["resource"]["status"] == "revoked"
    task = entries["Task"][0]["resource"]
    assert task["status"] == "failed"
    assert task["statusReason"]["text"] == "No response: Three calls"
    assert "end" in task["executionPeriod"]


def test_export_refused_for_draft_revoked_consent_and_other_staff(
    db: Database, staff: Staff
) -> None:
    pid, rid, consent_id = _referral(db, staff)
    for who in (staff.peer2, staff.outsider, staff.admin):
        with pytest.raises(PermissionDenied), db.session() as s:
            fhir.referral_bundle(s, who, rid)
    with db.session() as s:
        draft = R.create_referral(
            s, staff.peer1, pid, R.ReferralFields(reason="Draft only", counselor_id=None)
        )
    with pytest.raises(ValidationError) as info, db.session() as s:
        fhir.referral_bundle(s, staff.peer1, draft.id)
    assert "send it first" in info.value.field_errors["status"]
    with db.session() as s:
        K.revoke_consent(s, staff.peer1, consent_id, on=TODAY, today=TODAY)
    with pytest.raises(ValidationError) as info, db.session() as s:
        fhir.referral_bundle(s, staff.peer1, rid, now=NOW)
    assert "is revoked now" in info.value.field_errors["consent"]
    with db.session(read_only=True) as s:
        exports = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "referral_fhir_export")
        ).all()
    assert exports == []
