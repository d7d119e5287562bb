"""Written consents to disclose (42 CFR §2.31), with status derived from their dates.

A consent carries every element §2.31 asks for: the patient's name; who may
disclose; what information, described specifically (free text plus machine
categories the referral check can compare); the recipient by name (a directory
entry) or by class (a description); the purpose; the right to revoke and how;
an expiration date or event; the signature (who signed, and as whom); the date
signed.

Status is never stored, so it cannot drift from the dates:

- ``entered-in-error`` once marked so (a correction; the consent never counted);
- ``revoked`` from the revocation date on;
- ``expired`` from the expiration date on (the consent holds up to the day before:
  "expires on 2026-06-01" means it cannot be relied on that day);
- ``active`` otherwise. A consent that ends on an event rather than a date stays
  active until the event is recorded with ``record_expiration_event``.

A signed consent is a legal document, so it is not edited: a mistake is corrected by
marking it entered in error and recording the consent as signed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, and_, exists, or_, select, true
from sqlalchemy.orm import Session, aliased

from casebook.errors import NotFound, ValidationError
from casebook.i18n import tr, translated
from casebook.security.permissions import Actor, require_participant, visible_participants
from casebook.services.common import check_version, clean_text, log
from casebook.services.counselors import describe_counselor, fold
from models import Consent, Counselor, Participant, StaffUser, utcnow


def N_(text: str) -> str:
    """Mark *text* for translation; callers translate it with ``tr`` when they show it."""
    return text


# Machine categories of information, so a referral's "information shared" can be
# checked against what the consent allows. The codes match the demo data; the short
# names appear in messages ("does not cover: assessments"), the descriptions on forms.
INFORMATION_CATEGORIES: dict[str, str] = {
    "contact_details": N_("contact details"),
    "substance_use": N_("substance use"),
    "mental_health": N_("mental health"),
    "treatment_plan": N_("recovery plan"),
    "assessments": N_("assessments"),
    "attendance": N_("attendance"),
    "session_notes": N_("session notes"),
    "referral_reason": N_("referral reason"),
}
CATEGORY_DESCRIPTIONS: dict[str, str] = {
    "contact_details": N_("Name, date of birth and contact details"),
    "substance_use": N_("Substance use history and current recovery status"),
    "mental_health": N_("Mental health concerns shared with the peer specialist"),
    "treatment_plan": N_("Recovery plan goals and progress"),
    "assessments": N_("Outcome measure scores (BARC-10, PHQ-9, GAD-7)"),
    "attendance": N_("Dates of peer support contacts"),
    "session_notes": N_("Session notes"),
    "referral_reason": N_("The reason for the referral"),
}
# Other names people (and other modules) use for the same categories.
CATEGORY_ALIASES: dict[str, str] = {
    "substance_use_treatment": "substance_use",
    "recovery_plan": "treatment_plan",
    "contact": "contact_details",
    "notes": "session_notes",
}
SIGNER_RELATIONSHIPS: dict[str, str] = {
    "self": N_("The participant"),
    "guardian": N_("Legal guardian"),
    "authorised_representative": N_("Authorised representative"),
}
_RELATIONSHIP_ALIASES = {
    "legal_guardian": "guardian",
    "parent": "guardian",
    "authorized_representative": "authorised_representative",
    "representative": "authorised_representative",
    "personal_representative": "authorised_representative",
}
CONSENT_STATUSES: dict[str, str] = {
    "active": N_("Active"),
    "expired": N_("Expired"),
    "revoked": N_("Revoked"),
    "entered-in-error": N_("Entered in error"),
}
STANDARD_REVOCATION_STATEMENT = N_(
    "I understand that I may revoke this consent at any time, except to the extent that "
    "action has already been taken in reliance on it. To revoke it, I can tell my peer "
    "specialist or write to the program. My services do not depend on signing this consent."
)
# The §2.32 notice that accompanies every disclosure made under a consent
# (statement 1 of §2.32(a)); the short form is statement 2.
REDISCLOSURE_NOTICE = N_(
    "This record which has been disclosed to you is protected by Federal confidentiality "
    "rules (42 CFR part 2). These rules prohibit you from using or disclosing this record, or "
    "testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, except "
    "as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR "
    "2.64 or 2.65. In addition, the Federal rules prohibit you from making any other use or "
    "disclosure of this record unless at least one of the following applies: (i) Further use "
    "or disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed in this record or as otherwise permitted by 42 CFR part "
    "2. (ii) You are a covered entity or business associate and have received the record for "
    "treatment, payment, or health care operations, or (iii) You have received the record "
    "from a covered entity or business associate as permitted by 45 CFR part 164, subparts A "
    "and E. A general authorization for the release of medical or other information is NOT "
    "sufficient to meet the required elements of written consent to further use or redisclose "
    "the record (see 42 CFR 2.31)."
)
REDISCLOSURE_NOTICE_SHORT = N_(
    "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
)
# A new consent is prefilled to run for a year; the person can change it.
DEFAULT_CONSENT_DAYS = 365
_MAX_TEXT = 4000


def category_labels() -> dict[str, str]:
    """Information categories with short names in the user's language, in display order."""
    return translated(INFORMATION_CATEGORIES)


def category_descriptions() -> dict[str, str]:
    """Information categories with the longer descriptions the consent form shows."""
    return translated(CATEGORY_DESCRIPTIONS)


def relationship_labels() -> dict[str, str]:
    """Who may sign, with translated labels."""
    return translated(SIGNER_RELATIONSHIPS)


def status_labels() -> dict[str, str]:
    """Consent statuses with translated labels."""
    return translated(CONSENT_STATUSES)


def format_categories(codes: Iterable[str]) -> str:
    """ "a, b" in the user's language, for messages and disclosure records."""
    labels = category_labels()
    return ", ".join(labels.get(code, code) for code in codes)


def normalise_categories(values: Iterable[str] | str) -> tuple[tuple[str, ...], list[str]]:
    """(known codes in display order, unknown values) from codes, aliases or a comma list."""
    if isinstance(values, str):
        values = values.split(",")
    found: set[str] = set()
    unknown: list[str] = []
    for value in values:
        code = value.strip().lower().replace(" ", "_").replace("-", "_")
        if not code:
            continue
        code = CATEGORY_ALIASES.get(code, code)
        if code in INFORMATION_CATEGORIES:
            found.add(code)
        else:
            unknown.append(value.strip())
    return tuple(c for c in INFORMATION_CATEGORIES if c in found), unknown


def stored_categories(text: str | None) -> tuple[str, ...]:
    """The category codes stored in a comma-separated column, aliases resolved."""
    codes, unknown = normalise_categories(text or "")
    # Unknown codes stay visible (they may come from an older version), after the known.
    return codes + tuple(unknown)


# --------------------------------------------------------------------------- status


class _Dated(Protocol):
    @property
    def signed_on(self) -> date: ...
    @property
    def expires_on(self) -> date | None: ...
    @property
    def revoked_on(self) -> date | None: ...
    @property
    def entered_in_error_at(self) -> datetime | None: ...


def consent_status(consent: _Dated, today: date) -> str:
    """active, expired, revoked or entered-in-error, derived from the dates.

    Takes a Consent row or a ConsentDetail alike.
    """
    if consent.entered_in_error_at is not None:
        return "entered-in-error"
    if consent.revoked_on is not None and consent.revoked_on <= today:
        return "revoked"
    if consent.expires_on is not None and consent.expires_on <= today:
        return "expired"
    return "active"


def _active_clause(today: date) -> ColumnElement[bool]:
    """SQL form of consent_status(...) == "active", for set-based queries."""
    return and_(
        Consent.entered_in_error_at.is_(None),
        or_(Consent.revoked_on.is_(None), Consent.revoked_on > today),
        or_(Consent.expires_on.is_(None), Consent.expires_on > today),
    )


# --------------------------------------------------------------------------- recipient rule


class _CounselorLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def is_organisation(self) -> bool: ...
    @property
    def organisation(self) -> str: ...


def _phrase_in(phrase: str, text: str) -> bool:
    phrase = fold(phrase)
    if not phrase:
        return False
    return re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", fold(text)) is not None


def recipient_covers(
    named: _CounselorLike | None, recipient_description: str, counselor: _CounselorLike
) -> bool:
    """Whether a consent's recipient covers a referral to *counselor*.

    The rule, deliberately narrow because a disclosure to the wrong person cannot
    be taken back:

    1. The consent names a directory entry (*named*): it covers that entry, and if
       the entry is an organisation, also every counselor whose organisation is that
       organisation (same name, ignoring case and accents).
    2. The consent names no directory entry, only a class of recipients in its
       description: it covers a counselor whose organisation (or, for an
       organisation entry, its name) appears in the description as a whole phrase.
       A class that names no organisation ("my treating providers") covers nobody
       here: name the organisation, or the counselor, on the consent.
    """
    if named is not None:
        if named.id == counselor.id:
            return True
        return (
            named.is_organisation
            and not counselor.is_organisation
            and bool(counselor.organisation)
            and fold(named.name) == fold(counselor.organisation)
        )
    org = counselor.name if counselor.is_organisation else counselor.organisation
    return _phrase_in(org, recipient_description)


# --------------------------------------------------------------------------- read models


@dataclass(frozen=True)
class ConsentFields:
    """What the consent editor collects, one attribute per §2.31 element."""

    patient_name: str = ""
    discloser: str = ""
    information: str = ""
    information_categories: tuple[str, ...] = ()
    recipient_counselor_id: int | None = None
    recipient_description: str = ""
    purpose: str = ""
    revocation_statement: str = ""
    expires_on: date | None = None
    expiration_event: str = ""
    signed_by: str = ""
    signer_relationship: str = "self"
    signed_on: date | None = None


@dataclass(frozen=True)
class ConsentDetail:
    id: int
    participant_id: int
    patient_name: str
    discloser: str
    information: str
    information_categories: tuple[str, ...]
    recipient_counselor_id: int | None
    recipient_counselor_name: str | None
    recipient_description: str
    purpose: str
    revocation_statement: str
    expires_on: date | None
    expiration_event: str
    signed_by: str
    signer_relationship: str
    signed_on: date
    revoked_on: date | None
    revocation_note: str
    entered_in_error_at: datetime | None
    entered_in_error_reason: str | None
    created_by_name: str
    created_at: datetime
    version: int
    status: str  # as of the day the read model was made

    @property
    def recipient(self) -> str:
        """The recipient as a person reads it: the directory entry, else the class."""
        return self.recipient_counselor_name or self.recipient_description

    def status_on(self, today: date) -> str:
        return consent_status(self, today)


@dataclass(frozen=True)
class ExpiringConsent:
    """A row on Today: a consent that stops being usable soon."""

    consent_id: int
    participant_id: int
    record_number: str
    participant_name: str
    recipient: str
    signed_on: date
    expires_on: date
    days_left: int


def _detail(session: Session, c: Consent, today: date) -> ConsentDetail:
    counselor = (
        session.get(Counselor, c.recipient_counselor_id) if c.recipient_counselor_id else None
    )
    creator = session.get(StaffUser, c.created_by_id) if c.created_by_id else None
    return ConsentDetail(
        id=c.id,
        participant_id=c.participant_id,
        patient_name=c.patient_name,
        discloser=c.discloser,
        information=c.information,
        information_categories=stored_categories(c.information_categories),
        recipient_counselor_id=c.recipient_counselor_id,
        recipient_counselor_name=(
            describe_counselor(counselor.name, counselor.credentials, counselor.organisation)
            if counselor
            else None
        ),
        recipient_description=c.recipient_description,
        purpose=c.purpose,
        revocation_statement=c.revocation_statement,
        expires_on=c.expires_on,
        expiration_event=c.expiration_event,
        signed_by=c.signed_by,
        # Older records may hold "legal guardian" and the like; show the code.
        signer_relationship=(
            _relationship(c.signer_relationship)
            if _relationship(c.signer_relationship) in SIGNER_RELATIONSHIPS
            else c.signer_relationship
        ),
        signed_on=c.signed_on,
        revoked_on=c.revoked_on,
        revocation_note=c.revocation_note,
        entered_in_error_at=c.entered_in_error_at,
        entered_in_error_reason=c.entered_in_error_reason,
        created_by_name=creator.display_name if creator else "",
        created_at=c.created_at,
        version=c.version_id,
        status=consent_status(c, today),
    )


# --------------------------------------------------------------------------- creating


def new_consent_fields(
    session: Session, actor: Actor, participant_id: int, *, today: date | None = None
) -> ConsentFields:
    """A blank consent form with what can be prefilled: the participant's legal name,
    the standard revocation statement, signed by the participant today, expiring in a
    year. Nothing is saved."""
    p = require_participant(session, actor, participant_id, action="consent form")
    today = today or date.today()
    return ConsentFields(
        patient_name=p.legal_name,
        revocation_statement=tr(STANDARD_REVOCATION_STATEMENT),
        expires_on=today + timedelta(days=DEFAULT_CONSENT_DAYS),
        signed_by=p.legal_name,
        signer_relationship="self",
        signed_on=today,
    )


def _relationship(value: str) -> str:
    code = value.strip().lower().replace(" ", "_").replace("-", "_")
    return _RELATIONSHIP_ALIASES.get(code, code)


def _validate_consent(
    session: Session, data: ConsentFields, *, today: date
) -> tuple[dict[str, str], tuple[str, ...], str, Counselor | None]:
    """Every missing or wrong §2.31 element as field → message (empty when all is well),
    plus the normalised categories, relationship and recipient entry."""
    errors: dict[str, str] = {}

    def text(name: str, label: str, missing: str, max_len: int = _MAX_TEXT) -> str:
        value = clean_text(getattr(data, name), name, errors, max_len=max_len, label=label)
        if not value and name not in errors:
            errors[name] = missing
        return value

    text(
        "patient_name",
        tr("patient's name"),
        tr("the participant's name is missing; write it as on the signed form"),
        max_len=200,
    )
    text(
        "discloser",
        tr("who may disclose"),
        tr("say who may disclose (for example the peer support program's name)"),
    )
    text(
        "information",
        tr("information"),
        tr("describe specifically what information may be disclosed"),
    )
    categories, unknown = normalise_categories(data.information_categories)
    if unknown:
        errors["information_categories"] = tr(
            "unknown information categories: {bad}; use: {known}"
        ).format(bad=", ".join(unknown[:5]), known=", ".join(INFORMATION_CATEGORIES))
    elif not categories:
        errors["information_categories"] = tr(
            "tick at least one category of information the consent allows"
        )
    counselor: Counselor | None = None
    description = clean_text(
        data.recipient_description,
        "recipient_description",
        errors,
        max_len=_MAX_TEXT,
        label=tr("recipient"),
    )
    if data.recipient_counselor_id is not None:
        counselor = session.get(Counselor, data.recipient_counselor_id)
        if counselor is None:
            errors["recipient"] = tr("the chosen recipient is not in the counselor directory")
        elif not counselor.active:
            errors["recipient"] = tr(
                "{name} has been deactivated in the directory; choose another recipient"
            ).format(name=counselor.name)
    elif not description and "recipient_description" not in errors:
        errors["recipient"] = tr(
            "name the recipient: choose a counselor or organisation from the directory, "
            "or describe the class of recipients (including the organisation)"
        )
    text("purpose", tr("purpose"), tr("say the purpose of the disclosure"))
    text(
        "revocation_statement",
        tr("right to revoke"),
        tr("the statement of the right to revoke and how is missing; use the standard one"),
    )
    event = clean_text(
        data.expiration_event, "expiration_event", errors, max_len=500, label=tr("expiry event")
    )
    if data.expires_on is None and not event and "expiration_event" not in errors:
        errors["expiration"] = tr(
            "give an expiration date or the event on which the consent expires"
        )
    text(
        "signed_by",
        tr("signed by"),
        tr("say who signed (the participant or the person authorised to sign)"),
        max_len=200,
    )
    relationship = _relationship(data.signer_relationship or "")
    if relationship not in SIGNER_RELATIONSHIPS:
        errors["signer_relationship"] = tr(
            "say who signed: the participant themself, a legal guardian or an authorised "
            "representative"
        )
    if data.signed_on is None:
        errors["signed_on"] = tr("the date signed is missing (YYYY-MM-DD)")
    elif data.signed_on > today:
        errors["signed_on"] = tr("the date signed is in the future; check the date")
    elif data.expires_on is not None and data.expires_on <= data.signed_on:
        errors["expires_on"] = tr(
            "the expiration date {exp} is not after the date signed {signed}"
        ).format(exp=data.expires_on.isoformat(), signed=data.signed_on.isoformat())
    return errors, categories, relationship, counselor


def create_consent(
    session: Session,
    actor: Actor,
    participant_id: int,
    data: ConsentFields,
    *,
    today: date | None = None,
) -> ConsentDetail:
    """Record a signed consent. Every §2.31 element is checked, and each missing one
    is named in the ValidationError (field → what to add)."""
    require_participant(session, actor, participant_id, action="record consent")
    today = today or date.today()
    errors, categories, relationship, counselor = _validate_consent(session, data, today=today)
    if errors:
        raise ValidationError(errors)
    assert data.signed_on is not None
    description = data.recipient_description.strip()
    if counselor is not None and not description:
        description = describe_counselor(
            counselor.name, counselor.credentials, counselor.organisation
        )
    c = Consent(
        participant_id=participant_id,
        patient_name=data.patient_name.strip(),
        discloser=data.discloser.strip(),
        information=data.information.strip(),
        information_categories=",".join(categories),
        recipient_counselor_id=counselor.id if counselor else None,
        recipient_description=description,
        purpose=data.purpose.strip(),
        revocation_statement=data.revocation_statement.strip(),
        expires_on=data.expires_on,
        expiration_event=data.expiration_event.strip(),
        signed_by=data.signed_by.strip(),
        signer_relationship=relationship,
        signed_on=data.signed_on,
        created_by_id=actor.id,
    )
    session.add(c)
    session.flush()
    log(
        session,
        actor,
        "consent_create",
        entity_type="consent",
        entity_id=c.id,
        participant_id=participant_id,
        details={"categories": list(categories)},
    )
    return _detail(session, c, today)


def _load(session: Session, actor: Actor, consent_id: int, action: str) -> Consent:
    c = session.get(Consent, consent_id)
    if c is None:
        raise NotFound(tr("No consent with that number exists"))
    require_participant(session, actor, c.participant_id, action=action)
    return c


def revoke_consent(
    session: Session,
    actor: Actor,
    consent_id: int,
    *,
    on: date,
    note: str = "",
    expected_version: int | None = None,
    today: date | None = None,
) -> ConsentDetail:
    """Record that the participant revoked the consent on *on* (how, in *note*).

    Disclosures already made under it stay on record; from *on* no referral can
    rely on it.
    """
    c = _load(session, actor, consent_id, "revoke consent")
    check_version(c.version_id, expected_version, tr("this consent"), record=c)
    today = today or date.today()
    errors: dict[str, str] = {}
    note = clean_text(note, "revocation_note", errors, max_len=2000, label=tr("note"))
    if c.entered_in_error_at is not None:
        errors["status"] = tr("this consent was entered in error; there is nothing to revoke")
    elif c.revoked_on is not None:
        errors["status"] = tr("this consent was already revoked on {d}").format(
            d=c.revoked_on.isoformat()
        )
    if on > today:
        errors["revoked_on"] = tr(
            "the revocation date is in the future; record it on the day it happens"
        )
    elif on < c.signed_on:
        errors["revoked_on"] = tr("the revocation date is before the date signed ({d})").format(
            d=c.signed_on.isoformat()
        )
    if errors:
        raise ValidationError(errors)
    c.revoked_on = on
    c.revocation_note = note
    session.flush()
    log(
        session,
        actor,
        "consent_revoke",
        entity_type="consent",
        entity_id=c.id,
        participant_id=c.participant_id,
    )
    return _detail(session, c, today)


def record_expiration_event(
    session: Session,
    actor: Actor,
    consent_id: int,
    *,
    on: date,
    expected_version: int | None = None,
    today: date | None = None,
) -> ConsentDetail:
    """The event the consent expires on has happened: it expires on *on*
    (or on its expiration date, if that comes first)."""
    c = _load(session, actor, consent_id, "update consent")
    check_version(c.version_id, expected_version, tr("this consent"), record=c)
    today = today or date.today()
    if not c.expiration_event:
        raise ValidationError(
            {"expiration_event": tr("this consent has no expiry event; it ends on its date")}
        )
    if on > today:
        raise ValidationError({"expires_on": tr("the event date is in the future")})
    if on < c.signed_on:
        raise ValidationError({"expires_on": tr("the event date is before the date signed")})
    if c.expires_on is None or on < c.expires_on:
        c.expires_on = on
        session.flush()
        log(
            session,
            actor,
            "consent_expiry_event",
            entity_type="consent",
            entity_id=c.id,
            participant_id=c.participant_id,
        )
    return _detail(session, c, today)


def mark_consent_entered_in_error(
    session: Session,
    actor: Actor,
    consent_id: int,
    *,
    reason: str,
    expected_version: int | None = None,
    today: date | None = None,
) -> ConsentDetail:
    """A consent recorded by mistake is kept but never counts again."""
    c = _load(session, actor, consent_id, "update consent")
    check_version(c.version_id, expected_version, tr("this consent"), record=c)
    errors: dict[str, str] = {}
    reason = clean_text(reason, "reason", errors, required=True, max_len=2000, label=tr("reason"))
    if c.entered_in_error_at is not None:
        errors["status"] = tr("this consent is already marked entered in error")
    if errors:
        raise ValidationError(errors)
    c.entered_in_error_at = utcnow()
    c.entered_in_error_by_id = actor.id
    c.entered_in_error_reason = reason
    session.flush()
    log(
        session,
        actor,
        "consent_entered_in_error",
        entity_type="consent",
        entity_id=c.id,
        participant_id=c.participant_id,
    )
    return _detail(session, c, today or date.today())


# --------------------------------------------------------------------------- reading


def get_consent(
    session: Session, actor: Actor, consent_id: int, *, today: date | None = None
) -> ConsentDetail:
    """One consent with every element. Audited as a view."""
    c = _load(session, actor, consent_id, "view consent")
    log(
        session,
        actor,
        "consent_view",
        entity_type="consent",
        entity_id=c.id,
        participant_id=c.participant_id,
    )
    return _detail(session, c, today or date.today())


def list_consents(
    session: Session, actor: Actor, participant_id: int, *, today: date | None = None
) -> list[ConsentDetail]:
    """A participant's consents, newest signature first (entered-in-error ones too,
    marked so). One audit row per call."""
    require_participant(session, actor, participant_id, action="view consents")
    today = today or date.today()
    rows = session.scalars(
        select(Consent)
        .where(Consent.participant_id == participant_id)
        .order_by(Consent.signed_on.desc(), Consent.id.desc())
    ).all()
    log(
        session,
        actor,
        "consent_list_view",
        entity_type="consent",
        participant_id=participant_id,
        details={"rows": len(rows)},
    )
    return [_detail(session, c, today) for c in rows]


def has_active_consent(
    session: Session, actor: Actor, participant_id: int, *, today: date | None = None
) -> bool:
    """Whether any consent of the participant is active today (the header flag)."""
    require_participant(session, actor, participant_id, action="view consents")
    today = today or date.today()
    stmt = select(Consent.id).where(
        Consent.participant_id == participant_id,
        _active_clause(today),
    )
    return session.scalar(stmt.limit(1)) is not None


def consents_expiring(
    session: Session,
    actor: Actor,
    *,
    within_days: int = 30,
    today: date | None = None,
    participant_id: int | None = None,
) -> list[ExpiringConsent]:
    """Active consents that expire within *within_days*, soonest first (Today; one
    participant's with *participant_id*, for the workspace header).

    One query for every participant the actor may see. Left out: discharged
    participants, and a consent already followed by a newer active consent for the
    same recipient that runs longer (it has been renewed).
    """
    today = today or date.today()
    if within_days < 0:
        raise ValidationError({"within_days": tr("use 0 or more days")})
    horizon = today + timedelta(days=within_days)
    newer = aliased(Consent)
    same_recipient = or_(
        and_(
            Consent.recipient_counselor_id.is_not(None),
            newer.recipient_counselor_id == Consent.recipient_counselor_id,
        ),
        and_(
            Consent.recipient_counselor_id.is_(None),
            newer.recipient_counselor_id.is_(None),
            newer.recipient_description == Consent.recipient_description,
        ),
    )
    renewed = exists(
        select(newer.id).where(
            newer.participant_id == Consent.participant_id,
            newer.id != Consent.id,
            newer.entered_in_error_at.is_(None),
            or_(newer.revoked_on.is_(None), newer.revoked_on > today),
            or_(newer.expires_on.is_(None), newer.expires_on > Consent.expires_on),
            same_recipient,
        )
    )
    rows = session.execute(
        select(
            Consent.id,
            Consent.participant_id,
            Participant.record_number,
            Participant.preferred_name,
            Participant.legal_name,
            Counselor.name,
            Counselor.credentials,
            Counselor.organisation,
            Consent.recipient_description,
            Consent.signed_on,
            Consent.expires_on,
        )
        .join(Participant, Participant.id == Consent.participant_id)
        .outerjoin(Counselor, Counselor.id == Consent.recipient_counselor_id)
        .where(
            _active_clause(today),
            Consent.expires_on.is_not(None),
            Consent.expires_on <= horizon,
            Participant.status != "discharged",
            ~renewed,
            true() if participant_id is None else Consent.participant_id == participant_id,
            visible_participants(actor),
        )
        .order_by(Consent.expires_on, Participant.legal_name, Consent.id)
    ).all()
    return [
        ExpiringConsent(
            consent_id=r[0],
            participant_id=r[1],
            record_number=r[2],
            participant_name=r[3] or r[4],
            recipient=describe_counselor(r[5], r[6], r[7]) if r[5] is not None else r[8],
            signed_on=r[9],
            expires_on=r[10],
            days_left=(r[10] - today).days,
        )
        for r in rows
    ]
