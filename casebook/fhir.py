"""A referral as FHIR R4 JSON, for a clinic's EHR or a referral platform to take in.

The export is a Bundle of type "collection" holding, in the way the HL7 SDOH
Clinical Care guide models a referral:

- the ServiceRequest (what is asked for, of whom, why, by whom);
- the Task that tracks it (its status is the referral's own status code);
- the Patient, the requesting peer specialist (Practitioner), the recipient
  (Practitioner, or Organization for an organisation entry);
- the Consent the referral relies on (42 CFR Part 2).

Resources reference each other by ``urn:uuid:`` full URLs made fresh for each
export: a ``urn:uuid`` must be unique worldwide, and database ids are only unique
within one clinic's database. What stays the same across exports is each
resource's business identifier (record number, referral, counselor, consent, staff).

The Bundle and the ServiceRequest carry security labels saying the content is
restricted, covered by 42 CFR Part 2 and may not be redisclosed without consent;
the ServiceRequest's notes carry the §2.32 notice in words.

Only what the referral shares goes out: the Patient's phone, e-mail and address
are included only when "contact details" is among the categories shared.

Only the R4 elements also present unchanged in R4B are used, so the same JSON
validates against ``fhir.resources.R4B`` (fhir.resources 8 ships R5, R4B and STU3).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.errors import NotFound, ValidationError
from casebook.i18n import tr
from casebook.security.permissions import Actor, require_participant
from casebook.services.common import log
from casebook.services.consents import (
    REDISCLOSURE_NOTICE,
    category_labels,
    consent_status,
    stored_categories,
)
from casebook.services.counselors import describe_counselor
from casebook.services.referrals import OUTCOME_LABELS, STATUS_LABELS
from models import Consent, Counselor, Participant, Referral, ReferralEvent, StaffUser, utcnow

RECORD_NUMBER_SYSTEM = "urn:casebook:record-number"
REFERRAL_SYSTEM = "urn:casebook:referral"
STAFF_SYSTEM = "urn:casebook:staff"
COUNSELOR_SYSTEM = "urn:casebook:counselor"
CONSENT_SYSTEM = "urn:casebook:consent"

_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
# Restricted; 42 CFR Part 2 applies; no redisclosure without the patient's consent.
_SECURITY_LABELS: list[dict[str, str]] = [
    {"system": _CONFIDENTIALITY, "code": "R", "display": "restricted"},
    {"system": _ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"},
    {
        "system": _ACT_CODE,
        "code": "NORDSCLCD",
        "display": "no redisclosure without consent directive",
    },
]
# Substance use information sensitivity, added when substance use is shared.
_SUD_LABEL = {
    "system": _ACT_CODE,
    "code": "ETH",
    "display": "substance abuse information sensitivity",
}

# ServiceRequest.status for each Task status (the SR has a smaller value set).
SERVICE_REQUEST_STATUS: dict[str, str] = {
    "draft": "draft",
    "requested": "active",
    "accepted": "active",
    "in-progress": "active",
    "on-hold": "on-hold",
    "completed": "completed",
    "rejected": "revoked",
    "cancelled": "revoked",
    "failed": "revoked",
    "entered-in-error": "entered-in-error",
}
PRIORITY: dict[str, str] = {"routine": "routine", "urgent": "urgent", "emergent": "stat"}
# A referral still in draft, or entered in error, has not been (and must not be) disclosed.
_NOT_EXPORTABLE = ("draft", "entered-in-error")


def _full_url() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _telecom(phone: str | None, email: str | None) -> list[dict[str, str]]:
    out = []
    if phone:
        out.append({"system": "phone", "value": phone})
    if email:
        out.append({"system": "email", "value": email})
    return out


def _patient(p: Participant, with_contact: bool) -> dict[str, Any]:
    names: list[dict[str, Any]] = [{"use": "official", "text": p.legal_name}]
    if p.preferred_name and p.preferred_name != p.legal_name:
        names.append({"use": "usual", "text": p.preferred_name})
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": f"participant-{p.id}",
        "identifier": [{"system": RECORD_NUMBER_SYSTEM, "value": p.record_number}],
        "name": names,
        "birthDate": p.date_of_birth.isoformat(),
    }
    if with_contact:
        telecom = _telecom(p.phone, p.email)
        if telecom:
            resource["telecom"] = telecom
        if p.address:
            resource["address"] = [{"text": p.address}]
    return resource


def _staff_practitioner(user: StaffUser) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": f"staff-{user.id}",
        "identifier": [{"system": STAFF_SYSTEM, "value": user.username}],
        "name": [{"text": user.display_name}],
    }


def _recipient(c: Counselor) -> dict[str, Any]:
    identifier = [{"system": COUNSELOR_SYSTEM, "value": str(c.id)}]
    telecom = _telecom(c.phone, c.email)
    resource: dict[str, Any]
    if c.is_organisation:
        resource = {
            "resourceType": "Organization",
            "id": f"counselor-{c.id}",
            "identifier": identifier,
            "name": c.name,
        }
    else:
        resource = {
            "resourceType": "Practitioner",
            "id": f"counselor-{c.id}",
            "identifier": identifier,
            "name": [{"text": c.name}],
        }
        if c.credentials:
            resource["qualification"] = [{"code": {"text": c.credentials}}]
    if telecom:
        resource["telecom"] = telecom
    if c.address:
        resource["address"] = [{"text": c.address}]
    return resource


def _consent(
    c: Consent, patient_ref: dict[str, str], recipient_ref: dict[str, str] | None, today: date
) -> dict[str, Any]:
    status = consent_status(c, today)
    fhir_status = {"active": "active", "entered-in-error": "entered-in-error"}.get(
        status, "inactive"
    )
    labels = category_labels()
    provision: dict[str, Any] = {
        "type": "permit",
        "period": {"start": c.signed_on.isoformat()},
        "actor": [
            {
                "role": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                            "code": "IRCP",
                            "display": "information recipient",
                        }
                    ]
                },
                "reference": recipient_ref or {"display": c.recipient_description},
            }
        ],
        "code": [
            {"text": labels.get(code, code)} for code in stored_categories(c.information_categories)
        ],
    }
    if c.expires_on is not None:
        provision["period"]["end"] = c.expires_on.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": f"consent-{c.id}",
        "identifier": [{"system": CONSENT_SYSTEM, "value": str(c.id)}],
        "status": fhir_status,
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "category": [
            {
                "coding": [
                    {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
                ]
            }
        ],
        "patient": patient_ref,
        "dateTime": c.signed_on.isoformat(),
        "performer": [
            patient_ref
            if c.signer_relationship == "self"
            else {"display": f"{c.signed_by} ({c.signer_relationship.replace('_', ' ')})"}
        ],
        "organization": [{"display": c.discloser}],
        "policyRule": {
            "coding": [{"system": _ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"}],
            "text": "42 CFR Part 2 (§2.31 written consent)",
        },
        "provision": provision,
    }
    return resource


def _entry(full_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": full_url, "resource": resource}


def referral_bundle(
    session: Session, actor: Actor, referral_id: int, *, now: datetime | None = None
) -> dict[str, Any]:
    """The referral as a FHIR R4 Bundle (JSON-ready dict). Audited as an export.

    Only a sent referral is exported, and only while the consent it relies on is
    still active: exporting is another disclosure of the same information.
    """
    r = session.get(Referral, referral_id)
    if r is None:
        raise NotFound(tr("No referral with that number exists"))
    p = require_participant(session, actor, r.participant_id, action="export referral")
    now = now or utcnow()
    if r.status in _NOT_EXPORTABLE:
        raise ValidationError(
            {
                "status": tr(
                    "a referral that is {s} cannot be exported; send it first (the consent "
                    "check runs on sending)"
                ).format(s=tr(STATUS_LABELS[r.status]).lower())
            }
        )
    consent = session.get(Consent, r.consent_id) if r.consent_id else None
    counselor = session.get(Counselor, r.counselor_id) if r.counselor_id else None
    if consent is None or counselor is None:
        raise ValidationError({"consent": tr("this referral has no consent or recipient on file")})
    today = now.astimezone().date()  # the clinic's day, as for every other date check
    consent_state = consent_status(consent, today)
    if consent_state != "active":
        raise ValidationError(
            {
                "consent": tr(
                    "the consent of {d} this referral relies on is {s} now; exporting would be "
                    "a new disclosure, so record a new consent first"
                ).format(d=consent.signed_on.isoformat(), s=consent_state)
            }
        )
    events = list(
        session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == r.id)
            .order_by(ReferralEvent.occurred_at, ReferralEvent.id)
        )
    )
    sent_event = next((e for e in events if e.to_status == "requested"), None)
    requester_id = (sent_event.by_id if sent_event else None) or r.created_by_id
    requester = session.get(StaffUser, requester_id) if requester_id else None
    categories = stored_categories(r.information_categories)

    patient_url = _full_url()
    recipient_url = _full_url()
    sr_url = _full_url()
    task_url = _full_url()
    consent_url = _full_url()
    patient_ref = {"reference": patient_url, "display": p.legal_name}
    recipient_ref = {
        "reference": recipient_url,
        "type": "Organization" if counselor.is_organisation else "Practitioner",
        "display": describe_counselor(
            counselor.name, counselor.credentials, counselor.organisation
        ),
    }
    entries = [
        _entry(patient_url, _patient(p, "contact_details" in categories)),
        _entry(recipient_url, _recipient(counselor)),
    ]
    requester_ref: dict[str, str] | None = None
    if requester is not None:
        requester_url = _full_url()
        requester_ref = {
            "reference": requester_url,
            "type": "Practitioner",
            "display": requester.display_name,
        }
        entries.append(_entry(requester_url, _staff_practitioner(requester)))
    security = [*_SECURITY_LABELS, *([_SUD_LABEL] if "substance_use" in categories else [])]
    labels = category_labels()
    authored = _instant(r.sent_at or r.created_at)
    notes = []
    if r.information_shared:
        notes.append(
            {
                "text": tr("Information shared: {text} (categories: {cats})").format(
                    text=r.information_shared,
                    cats=", ".join(labels.get(c, c) for c in categories),
                )
            }
        )
    notes.append({"text": tr(REDISCLOSURE_NOTICE)})
    service_request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": f"referral-{r.id}",
        "meta": {"security": security},
        "identifier": [{"system": REFERRAL_SYSTEM, "value": str(r.id)}],
        "status": SERVICE_REQUEST_STATUS[r.status],
        "intent": "order",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "3457005",
                        "display": "Patient referral",
                    }
                ]
            }
        ],
        "priority": PRIORITY[r.urgency],
        "code": {"text": tr("Referral for counseling")},
        "subject": patient_ref,
        "authoredOn": authored,
        "performer": [recipient_ref],
        "reasonCode": [{"text": r.reason}],
        "supportingInfo": [{"reference": consent_url, "type": "Consent"}],
        "note": notes,
    }
    if requester_ref is not None:
        service_request["requester"] = requester_ref
    latest = events[-1] if events else None
    business = (latest.note if latest and latest.note else "") or tr(STATUS_LABELS[r.status])
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": f"referral-task-{r.id}",
        "identifier": [{"system": REFERRAL_SYSTEM + ":task", "value": str(r.id)}],
        "basedOn": [{"reference": sr_url, "type": "ServiceRequest"}],
        "status": r.status,
        "businessStatus": {"text": business},
        "intent": "order",
        "priority": PRIORITY[r.urgency],
        "code": {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/CodeSystem/task-code",
                    "code": "fulfill",
                    "display": "Fulfill the focal request",
                }
            ]
        },
        "focus": {"reference": sr_url, "type": "ServiceRequest"},
        "for": patient_ref,
        "authoredOn": authored,
        "lastModified": _instant(latest.occurred_at if latest else r.updated_at),
        "owner": recipient_ref,
    }
    if requester_ref is not None:
        task["requester"] = requester_ref
    if r.sent_at is not None:
        period = {"start": _instant(r.sent_at)}
        if r.closed_at is not None:
            period["end"] = _instant(r.closed_at)
        task["executionPeriod"] = period
    if r.outcome:
        text = tr(OUTCOME_LABELS[r.outcome])
        task["statusReason"] = {"text": f"{text}: {r.outcome_note}" if r.outcome_note else text}
    entries = [
        _entry(sr_url, service_request),
        _entry(task_url, task),
        *entries,
        _entry(consent_url, _consent(consent, patient_ref, recipient_ref, today)),
    ]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "meta": {"security": security},
        "identifier": {"system": REFERRAL_SYSTEM + ":export", "value": str(uuid.uuid4())},
        "type": "collection",
        "timestamp": _instant(now),
        "entry": entries,
    }
    log(
        session,
        actor,
        "referral_fhir_export",
        entity_type="referral",
        entity_id=r.id,
        participant_id=r.participant_id,
        details={"resources": len(entries), "categories": list(categories)},
    )
    return bundle
