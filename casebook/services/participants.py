"""Participants: intake, profile edits, discharge and readmission, recovery start."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casebook.errors import NotFound, ValidationError
from casebook.i18n import tr
from casebook.security.permissions import Actor, require_participant, require_supervisor
from casebook.services.common import check_version, clean_text, log, parse_date
from models import CaseAssignment, Participant, RecoveryStartChange, StaffUser
from models.codes import RECOVERY_FOCUSES

RECORD_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^[0-9+()./\- x]{3,40}$")


@dataclass(frozen=True)
class ParticipantFields:
    """Validated profile fields, as the intake and edit forms and the importer give them."""

    record_number: str
    legal_name: str
    date_of_birth: date
    intake_date: date
    preferred_name: str = ""
    pronouns: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""
    preferred_language: str = ""
    recovery_focus: str = "co_occurring"
    recovery_start_date: date | None = None
    contact_cadence_days: int = 7


FIELD_NAMES = tuple(f.name for f in fields(ParticipantFields))


def parse_participant_fields(
    raw: Mapping[str, object], *, today: date | None = None
) -> ParticipantFields:
    """Validate raw form or CSV values; raises ValidationError naming every bad field.

    Pure (no database), so the window can call it on every keystroke.
    """
    today = today or date.today()
    errors: dict[str, str] = {}

    def text(name: str, **kw: object) -> str:
        value = raw.get(name)
        return clean_text(None if value is None else str(value), name, errors, **kw)  # type: ignore[arg-type]

    record_number = text("record_number", max_len=32, label=tr("record number"))
    if record_number and not RECORD_NUMBER_RE.match(record_number):
        errors["record_number"] = tr(
            "record number may use letters, digits and . _ / - (up to 32 characters)"
        )
    legal_name = text("legal_name", required=True, label=tr("legal name"))
    dob = parse_date(
        _s(raw.get("date_of_birth")),
        "date_of_birth",
        errors,
        required=True,
        label=tr("date of birth"),
    )
    intake = parse_date(
        _s(raw.get("intake_date")) or today.isoformat(),
        "intake_date",
        errors,
        required=True,
        label=tr("intake date"),
    )
    start = parse_date(
        _s(raw.get("recovery_start_date")),
        "recovery_start_date",
        errors,
        label=tr("recovery start date"),
    )
    if dob is not None:
        if dob > today:
            errors["date_of_birth"] = tr("date of birth is in the future; check the year")
        elif dob.year < today.year - 120:
            errors["date_of_birth"] = tr("date of birth is more than 120 years ago; check the year")
    if intake is not None and intake > today:
        errors["intake_date"] = tr("intake date is in the future; use today or an earlier date")
    elif intake is not None and dob is not None and intake < dob:
        errors["intake_date"] = tr("intake date is before the date of birth; check the year")
    if start is not None:
        if start > today:
            errors["recovery_start_date"] = tr("recovery start date is in the future")
        elif dob is not None and start < dob:
            errors["recovery_start_date"] = tr("recovery start date is before the date of birth")
    email = text("email", label=tr("e-mail"))
    if email and not EMAIL_RE.match(email):
        errors["email"] = tr("e-mail '{v}' does not look like name@example.org").format(
            v=email[:60]
        )
    phone = text("phone", max_len=40, label=tr("phone"))
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = tr("phone may only contain digits, spaces and + ( ) - . x")
    ec_phone = text("emergency_contact_phone", max_len=40, label=tr("emergency contact phone"))
    if ec_phone and not PHONE_RE.match(ec_phone):
        errors["emergency_contact_phone"] = tr(
            "emergency contact phone may only contain digits, spaces and + ( ) - . x"
        )
    focus = (_s(raw.get("recovery_focus")) or "co_occurring").strip().lower().replace(" ", "_")
    focus = focus.replace("-", "_")
    if focus not in RECOVERY_FOCUSES:
        errors["recovery_focus"] = tr("recovery focus '{v}' is unknown; use one of: {opts}").format(
            v=focus[:40], opts=", ".join(RECOVERY_FOCUSES)
        )
    cadence_raw = _s(raw.get("contact_cadence_days")) or "7"
    cadence = 7
    try:
        cadence = int(cadence_raw.strip())
        if not 1 <= cadence <= 365:
            raise ValueError
    except ValueError:
        errors["contact_cadence_days"] = tr(
            "contact cadence must be a whole number of days from 1 to 365"
        )
    result = dict(
        preferred_name=text("preferred_name", label=tr("preferred name")),
        pronouns=text("pronouns", max_len=40),
        address=text("address", max_len=500),
        emergency_contact_name=text("emergency_contact_name", label=tr("emergency contact")),
        preferred_language=text("preferred_language", max_len=60, label=tr("preferred language")),
    )
    if errors:
        raise ValidationError(errors)
    assert dob is not None and intake is not None
    return ParticipantFields(
        record_number=record_number,
        legal_name=legal_name,
        date_of_birth=dob,
        intake_date=intake,
        phone=phone,
        email=email,
        emergency_contact_phone=ec_phone,
        recovery_focus=focus,
        recovery_start_date=start,
        contact_cadence_days=cadence,
        **result,
    )


def _s(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class ParticipantDetail:
    id: int
    record_number: str
    legal_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: date
    phone: str
    email: str
    address: str
    emergency_contact_name: str
    emergency_contact_phone: str
    preferred_language: str
    recovery_focus: str
    recovery_start_date: date | None
    intake_date: date
    status: str
    discharge_date: date | None
    discharge_reason: str
    contact_cadence_days: int
    specialist_id: int | None
    specialist_name: str | None
    version: int
    updated_at: datetime

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.legal_name

    def days_in_recovery(self, today: date | None = None) -> int | None:
        if self.recovery_start_date is None:
            return None
        return ((today or date.today()) - self.recovery_start_date).days

    def as_fields(self) -> dict[str, str]:
        """The editable fields as strings, for forms and CSV export."""
        return {name: _s(getattr(self, name)) for name in FIELD_NAMES}


def _detail(session: Session, p: Participant) -> ParticipantDetail:
    row = session.execute(
        select(StaffUser.id, StaffUser.display_name)
        .join(CaseAssignment, CaseAssignment.specialist_id == StaffUser.id)
        .where(CaseAssignment.participant_id == p.id, CaseAssignment.end_date.is_(None))
    ).first()
    return ParticipantDetail(
        id=p.id,
        record_number=p.record_number,
        legal_name=p.legal_name,
        preferred_name=p.preferred_name or "",
        pronouns=p.pronouns or "",
        date_of_birth=p.date_of_birth,
        phone=p.phone or "",
        email=p.email or "",
        address=p.address or "",
        emergency_contact_name=p.emergency_contact_name or "",
        emergency_contact_phone=p.emergency_contact_phone or "",
        preferred_language=p.preferred_language or "",
        recovery_focus=p.recovery_focus,
        recovery_start_date=p.recovery_start_date,
        intake_date=p.intake_date,
        status=p.status,
        discharge_date=p.discharge_date,
        discharge_reason=p.discharge_reason or "",
        contact_cadence_days=p.contact_cadence_days,
        specialist_id=row[0] if row else None,
        specialist_name=row[1] if row else None,
        version=p.version_id,
        updated_at=p.updated_at,
    )


def next_record_number(session: Session) -> str:
    highest = session.scalar(select(func.max(Participant.id))) or 0
    candidate = highest + 1
    while True:
        number = f"R-{candidate:06d}"
        if (
            session.scalar(select(Participant.id).where(Participant.record_number == number))
            is None
        ):
            return number
        candidate += 1


def _check_unique_record_number(session: Session, number: str, own_id: int | None = None) -> None:
    other = session.scalar(select(Participant.id).where(Participant.record_number == number))
    if other is not None and other != own_id:
        raise ValidationError(
            {
                "record_number": tr(
                    "record number {n} is already used by another participant; choose another "
                    "or leave it empty to number automatically"
                ).format(n=number)
            }
        )


def create_participant(
    session: Session,
    actor: Actor,
    data: ParticipantFields,
    *,
    specialist_id: int | None = None,
) -> ParticipantDetail:
    """Intake. A specialist's intake lands on their own caseload; a supervisor may
    assign it to a team member or leave it in the unassigned queue."""
    if not actor.sees_clinical:
        require_supervisor(actor, tr("do an intake"))
    if actor.role == "specialist":
        specialist_id = actor.id
    number = data.record_number or next_record_number(session)
    _check_unique_record_number(session, number)
    p = Participant(record_number=number, status="active")
    _apply_fields(p, data)
    session.add(p)
    session.flush()
    if specialist_id is not None:
        from casebook.services.assignments import open_assignment

        open_assignment(
            session, actor, p.id, specialist_id, start=data.intake_date, reason=tr("intake")
        )
    if data.recovery_start_date is not None:
        p.recovery_start_date = data.recovery_start_date
        session.add(
            RecoveryStartChange(
                participant_id=p.id,
                previous_date=None,
                new_date=data.recovery_start_date,
                changed_by_id=actor.id,
                note=tr("at intake"),
            )
        )
    log(
        session,
        actor,
        "participant_create",
        entity_type="participant",
        entity_id=p.id,
        participant_id=p.id,
    )
    return _detail(session, p)


def get_participant(
    session: Session, actor: Actor, participant_id: int, *, audit_view: bool = True
) -> ParticipantDetail:
    """One participant's profile. Opening a record is audited as a view."""
    p = require_participant(session, actor, participant_id, action="view")
    if audit_view:
        log(
            session,
            actor,
            "participant_view",
            entity_type="participant",
            entity_id=p.id,
            participant_id=p.id,
        )
    return _detail(session, p)


def find_by_record_number(session: Session, actor: Actor, record_number: str) -> ParticipantDetail:
    pid = session.scalar(select(Participant.id).where(Participant.record_number == record_number))
    if pid is None:
        raise NotFound(tr("No participant with record number {n}").format(n=record_number))
    return get_participant(session, actor, pid)


def update_participant(
    session: Session,
    actor: Actor,
    participant_id: int,
    data: ParticipantFields,
    *,
    expected_version: int | None = None,
) -> ParticipantDetail:
    p = require_participant(session, actor, participant_id, action="update")
    if expected_version is not None and p.version_id != expected_version:
        saved = _detail(session, p).as_fields()
        wanted = {name: _s(getattr(data, name)) for name in FIELD_NAMES}
        if not data.record_number:  # left empty: the number is kept, not changed
            wanted["record_number"] = saved["record_number"]
        changes = {n: (wanted[n], saved[n]) for n in FIELD_NAMES if wanted[n] != saved[n]}
        check_version(
            p.version_id,
            expected_version,
            tr("this participant's profile"),
            record=p,
            changes=changes,
        )
    number = data.record_number or p.record_number
    _check_unique_record_number(session, number, p.id)
    changed: list[str] = []
    if number != p.record_number:
        p.record_number = number
        changed.append("record_number")
    changed += _apply_fields(p, data)
    if data.recovery_start_date != p.recovery_start_date:
        _change_recovery_start(session, actor, p, data.recovery_start_date, "")
        changed.append("recovery_start_date")
    if changed:
        session.flush()
        # Field names only: the audit log must not become a copy of the record.
        log(
            session,
            actor,
            "participant_update",
            entity_type="participant",
            entity_id=p.id,
            participant_id=p.id,
            details={"fields": changed},
        )
    return _detail(session, p)


def _apply_fields(p: Participant, data: ParticipantFields) -> list[str]:
    """Copy every profile field except the record number and recovery start date
    (those have their own rules); returns the names that changed."""
    changed = []
    for name in FIELD_NAMES:
        if name in ("record_number", "recovery_start_date"):
            continue
        value = getattr(data, name)
        if value == "" and name not in ("legal_name", "recovery_focus"):
            value = None
        if getattr(p, name) != value:
            setattr(p, name, value)
            changed.append(name)
    return changed


def _change_recovery_start(
    session: Session, actor: Actor, p: Participant, new: date | None, note: str
) -> None:
    session.add(
        RecoveryStartChange(
            participant_id=p.id,
            previous_date=p.recovery_start_date,
            new_date=new,
            changed_by_id=actor.id,
            note=note,
        )
    )
    p.recovery_start_date = new


def reset_recovery_start(
    session: Session, actor: Actor, participant_id: int, new_date: date, note: str = ""
) -> ParticipantDetail:
    """A participant may restart their recovery date; the earlier date stays in history."""
    p = require_participant(session, actor, participant_id, action="update")
    if new_date > date.today():
        raise ValidationError({"recovery_start_date": tr("recovery start date is in the future")})
    if new_date < p.date_of_birth:
        raise ValidationError(
            {"recovery_start_date": tr("recovery start date is before the date of birth")}
        )
    _change_recovery_start(session, actor, p, new_date, note)
    session.flush()
    log(
        session,
        actor,
        "recovery_start_reset",
        entity_type="participant",
        entity_id=p.id,
        participant_id=p.id,
    )
    return _detail(session, p)


@dataclass(frozen=True)
class RecoveryStartEntry:
    previous_date: date | None
    new_date: date | None
    changed_at: datetime
    note: str


def recovery_start_history(
    session: Session, actor: Actor, participant_id: int
) -> list[RecoveryStartEntry]:
    require_participant(session, actor, participant_id)
    rows = session.scalars(
        select(RecoveryStartChange)
        .where(RecoveryStartChange.participant_id == participant_id)
        .order_by(RecoveryStartChange.changed_at)
    )
    return [
        RecoveryStartEntry(r.previous_date, r.new_date, r.changed_at, r.note or "") for r in rows
    ]


def discharge(
    session: Session,
    actor: Actor,
    participant_id: int,
    *,
    on: date,
    reason: str,
    expected_version: int | None = None,
) -> ParticipantDetail:
    p = require_participant(session, actor, participant_id, action="discharge")
    check_version(p.version_id, expected_version, tr("this participant's profile"), record=p)
    errors: dict[str, str] = {}
    reason = clean_text(
        reason,
        "discharge_reason",
        errors,
        required=True,
        max_len=2000,
        label=tr("discharge reason"),
    )
    if p.status == "discharged":
        errors["status"] = tr("this participant is already discharged")
    if on > date.today():
        errors["discharge_date"] = tr("discharge date is in the future")
    elif on < p.intake_date:
        errors["discharge_date"] = tr("discharge date is before the intake date ({d})").format(
            d=p.intake_date.isoformat()
        )
    if errors:
        raise ValidationError(errors)
    p.status = "discharged"
    p.discharge_date = on
    p.discharge_reason = reason
    session.flush()
    log(
        session,
        actor,
        "participant_discharge",
        entity_type="participant",
        entity_id=p.id,
        participant_id=p.id,
    )
    return _detail(session, p)


def readmit(
    session: Session,
    actor: Actor,
    participant_id: int,
    *,
    on: date,
    expected_version: int | None = None,
) -> ParticipantDetail:
    """Readmission keeps the record number and history; the intake date moves to *on*."""
    p = require_participant(session, actor, participant_id, action="readmit")
    check_version(p.version_id, expected_version, tr("this participant's profile"), record=p)
    if p.status != "discharged":
        raise ValidationError({"status": tr("only a discharged participant can be readmitted")})
    if on > date.today():
        raise ValidationError({"intake_date": tr("readmission date is in the future")})
    if p.discharge_date and on < p.discharge_date:
        raise ValidationError({"intake_date": tr("readmission date is before the discharge date")})
    p.status = "active"
    p.intake_date = on
    p.discharge_date = None
    p.discharge_reason = None
    session.flush()
    log(
        session,
        actor,
        "participant_readmit",
        entity_type="participant",
        entity_id=p.id,
        participant_id=p.id,
    )
    return _detail(session, p)


def set_status(
    session: Session, actor: Actor, participant_id: int, status: str
) -> ParticipantDetail:
    """Mark active/inactive (a participant who stopped coming but is not discharged)."""
    p = require_participant(session, actor, participant_id, action="update")
    if status not in ("active", "inactive"):
        raise ValidationError({"status": tr("use discharge or readmit for that change")})
    if p.status == "discharged":
        raise ValidationError({"status": tr("readmit the participant first")})
    p.status = status
    session.flush()
    log(
        session,
        actor,
        "participant_update",
        entity_type="participant",
        entity_id=p.id,
        participant_id=p.id,
        details={"fields": ["status"]},
    )
    return _detail(session, p)
