"""Referrals to clinical counselors: the consent check, status history, closing the loop.

Status follows the HL7 SDOH Clinical Care referral Task codes, moving only along
``TRANSITIONS``; every change leaves a ReferralEvent (who, when, from, to, note).

The consent check: a referral goes to its recipient (draft → requested, "send")
only when an active consent of the same participant covers the recipient
(``consents.recipient_covers``) and every category of information shared. Sending
records the disclosure in the accounting-of-disclosures register, with the §2.32
notice. Cancelling a draft, or marking it entered in error, discloses nothing and
needs no consent.

A sent referral has a follow-up date (routine 7 days, urgent 1, emergent the same
day; adjustable); while it is open and the date has come, it is on Today until the
loop is closed with an outcome.

Status changes, closing the loop, moving the follow-up date and the follow-ups due
on Today are in ``referral_status``; this module drafts, runs the consent check and
sends, and reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.errors import NotFound, ValidationError
from casebook.i18n import tr, translated
from casebook.security.permissions import Actor, require_participant
from casebook.services.common import check_version, clean_text, log
from casebook.services.consents import (
    consent_status,
    format_categories,
    normalise_categories,
    recipient_covers,
    stored_categories,
)
from casebook.services.counselors import describe_counselor
from models import (
    Consent,
    Counselor,
    Disclosure,
    Participant,
    Referral,
    ReferralEvent,
    StaffUser,
    utcnow,
)
from models.codes import REFERRAL_OUTCOMES, REFERRAL_STATUSES, URGENCIES


def N_(text: str) -> str:
    """Mark *text* for translation; callers translate it with ``tr`` when they show it."""
    return text


STATUS_LABELS: dict[str, str] = {
    "draft": N_("Draft"),
    "requested": N_("Sent"),
    "accepted": N_("Accepted"),
    "rejected": N_("Rejected by recipient"),
    "cancelled": N_("Cancelled"),
    "in-progress": N_("In progress"),
    "on-hold": N_("On hold"),
    "completed": N_("Completed"),
    "failed": N_("Did not happen"),
    "entered-in-error": N_("Entered in error"),
}
URGENCY_LABELS: dict[str, str] = {
    "routine": N_("Routine"),
    "urgent": N_("Urgent"),
    "emergent": N_("Emergent"),
}
OUTCOME_LABELS: dict[str, str] = {
    "attended_first_appointment": N_("Attended the first appointment"),
    "declined": N_("Participant declined the service"),
    "no_response": N_("No response"),
    "waitlisted": N_("Waitlisted"),
    "not_eligible": N_("Not eligible"),
    "participant_withdrew": N_("Participant withdrew"),
    "other": N_("Other (explain in the note)"),
}
assert set(STATUS_LABELS) == set(REFERRAL_STATUSES)
assert set(OUTCOME_LABELS) == set(REFERRAL_OUTCOMES)

OPEN_STATUSES = ("requested", "accepted", "in-progress", "on-hold")
TERMINAL_STATUSES = ("rejected", "cancelled", "completed", "failed", "entered-in-error")
# Allowed status changes. "on-hold" returns only to the status it was put on hold
# from (or is cancelled); see next_statuses.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("requested", "cancelled", "entered-in-error"),
    "requested": ("accepted", "rejected", "cancelled", "on-hold", "failed"),
    "accepted": ("in-progress", "cancelled", "on-hold", "completed", "failed"),
    "in-progress": ("completed", "on-hold", "failed", "cancelled"),
    "on-hold": ("requested", "accepted", "in-progress", "cancelled"),
    **{status: () for status in TERMINAL_STATUSES},
}
# Where closing with an outcome leads, best first; the first the table allows wins.
OUTCOME_STATUSES: dict[str, tuple[str, ...]] = {
    "attended_first_appointment": ("completed",),
    "declined": ("failed",),
    "no_response": ("failed",),
    "waitlisted": ("failed",),
    "not_eligible": ("rejected", "failed"),
    "participant_withdrew": ("cancelled",),
    "other": (),  # the person says whether it completed or failed
}
CLOSING_STATUSES = ("completed", "failed", "cancelled", "rejected")
FOLLOW_UP_DAYS: dict[str, int] = {"routine": 7, "urgent": 1, "emergent": 0}
# Longest reason, information shared or note a referral keeps, in characters.
MAX_TEXT_CHARS = 4000


def status_labels() -> dict[str, str]:
    """Referral statuses with labels in the user's language."""
    return translated(STATUS_LABELS)


def urgency_labels() -> dict[str, str]:
    return translated(URGENCY_LABELS)


def outcome_labels() -> dict[str, str]:
    return translated(OUTCOME_LABELS)


# --------------------------------------------------------------------------- read models


@dataclass(frozen=True)
class ReferralFields:
    """What the referral editor collects."""

    counselor_id: int | None = None
    reason: str = ""
    urgency: str = "routine"
    information_shared: str = ""
    information_categories: tuple[str, ...] = ()
    consent_id: int | None = None  # empty: the check finds a covering consent on sending


@dataclass(frozen=True)
class ReferralEventView:
    id: int
    occurred_at: datetime
    by_id: int | None
    by_name: str
    from_status: str | None
    to_status: str
    note: str

    @property
    def is_status_change(self) -> bool:
        """False for a follow-up date change, which keeps the status."""
        return self.from_status != self.to_status


@dataclass(frozen=True)
class ReferralSummary:
    id: int
    participant_id: int
    counselor_id: int | None
    counselor_name: str
    reason: str
    urgency: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    follow_up_on: date | None
    closed_at: datetime | None
    outcome: str | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class ReferralDetail:
    id: int
    participant_id: int
    counselor_id: int | None
    counselor_name: str
    reason: str
    urgency: str
    information_shared: str
    information_categories: tuple[str, ...]
    consent_id: int | None
    consent_signed_on: date | None
    status: str
    created_by_name: str
    created_at: datetime
    sent_at: datetime | None
    follow_up_on: date | None
    closed_at: datetime | None
    outcome: str | None
    outcome_note: str
    version: int
    updated_at: datetime
    events: tuple[ReferralEventView, ...]  # the timeline, oldest first
    next_statuses: tuple[str, ...]  # what referral_status.change_status accepts now

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class DisclosureEntry:
    """One line of the accounting of disclosures."""

    id: int
    participant_id: int
    consent_id: int
    referral_id: int | None
    disclosed_at: datetime
    disclosed_by_name: str
    recipient: str
    information: str
    purpose: str
    notice_included: bool


@dataclass(frozen=True)
class ReferralDraft:
    """A prefilled, unsaved referral for the editor (from a risk flag)."""

    participant_id: int
    fields: ReferralFields
    consent_hint: str  # empty when an active consent names a recipient


def _counselor_name(c: Counselor | None) -> str:
    return describe_counselor(c.name, c.credentials, c.organisation) if c else ""


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(ids))
    ).tuples()
    return {user_id: name for user_id, name in rows}


def _events(session: Session, referral_id: int) -> list[ReferralEvent]:
    return list(
        session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral_id)
            .order_by(ReferralEvent.occurred_at, ReferralEvent.id)
        )
    )


def referral_detail(session: Session, r: Referral) -> ReferralDetail:
    """The read model of *r*, with its timeline and ``next_statuses``. Not audited."""
    events = _events(session, r.id)
    ids = {e.by_id for e in events if e.by_id is not None}
    if r.created_by_id is not None:
        ids.add(r.created_by_id)
    names = _names(session, ids)
    counselor = session.get(Counselor, r.counselor_id) if r.counselor_id else None
    consent = session.get(Consent, r.consent_id) if r.consent_id else None
    return ReferralDetail(
        id=r.id,
        participant_id=r.participant_id,
        counselor_id=r.counselor_id,
        counselor_name=_counselor_name(counselor),
        reason=r.reason,
        urgency=r.urgency,
        information_shared=r.information_shared,
        information_categories=stored_categories(r.information_categories),
        consent_id=r.consent_id,
        consent_signed_on=consent.signed_on if consent else None,
        status=r.status,
        created_by_name=names.get(r.created_by_id, "") if r.created_by_id else "",
        created_at=r.created_at,
        sent_at=r.sent_at,
        follow_up_on=r.follow_up_on,
        closed_at=r.closed_at,
        outcome=r.outcome,
        outcome_note=r.outcome_note,
        version=r.version_id,
        updated_at=r.updated_at,
        events=tuple(
            ReferralEventView(
                e.id,
                e.occurred_at,
                e.by_id,
                names.get(e.by_id, "") if e.by_id else "",
                e.from_status,
                e.to_status,
                e.note,
            )
            for e in events
        ),
        next_statuses=next_statuses(session, r),
    )


# --------------------------------------------------------------------------- drafting


def _validate_fields(
    session: Session, participant_id: int, data: ReferralFields
) -> tuple[dict[str, str], str, str, tuple[str, ...]]:
    errors: dict[str, str] = {}
    reason = clean_text(
        data.reason, "reason", errors, required=True, max_len=MAX_TEXT_CHARS, label=tr("reason")
    )
    information = clean_text(
        data.information_shared,
        "information_shared",
        errors,
        max_len=MAX_TEXT_CHARS,
        label=tr("information shared"),
    )
    if data.urgency not in URGENCIES:
        errors["urgency"] = tr("urgency must be one of: {opts}").format(opts=", ".join(URGENCIES))
    categories, unknown = normalise_categories(data.information_categories)
    if unknown:
        errors["information_categories"] = tr("unknown information categories: {bad}").format(
            bad=", ".join(unknown[:5])
        )
    if data.counselor_id is not None:
        counselor = session.get(Counselor, data.counselor_id)
        if counselor is None:
            errors["counselor"] = tr("the chosen counselor is not in the directory")
        elif not counselor.active:
            errors["counselor"] = tr(
                "{name} has been deactivated in the directory; choose another counselor"
            ).format(name=counselor.name)
    if data.consent_id is not None:
        consent = session.get(Consent, data.consent_id)
        if consent is None or consent.participant_id != participant_id:
            errors["consent"] = tr("the chosen consent is not one of this participant's")
    return errors, reason, information, categories


def add_referral_event(
    session: Session,
    r: Referral,
    actor: Actor,
    from_status: str | None,
    to_status: str,
    note: str,
    at: datetime,
) -> None:
    """Put one event on *r*'s timeline: *actor* moved it from *from_status* to
    *to_status* at *at* (the same status for a follow-up change). Only adds the row;
    the caller changes the referral and audits."""
    session.add(
        ReferralEvent(
            referral_id=r.id,
            occurred_at=at,
            by_id=actor.id,
            from_status=from_status,
            to_status=to_status,
            note=note,
        )
    )


def create_referral(
    session: Session,
    actor: Actor,
    participant_id: int,
    data: ReferralFields,
    *,
    now: datetime | None = None,
) -> ReferralDetail:
    """Save a referral as a draft. Nothing leaves the program until it is sent."""
    require_participant(session, actor, participant_id, action="create referral")
    errors, reason, information, categories = _validate_fields(session, participant_id, data)
    if errors:
        raise ValidationError(errors)
    now = now or utcnow()
    r = Referral(
        participant_id=participant_id,
        counselor_id=data.counselor_id,
        reason=reason,
        urgency=data.urgency,
        information_shared=information,
        information_categories=",".join(categories),
        consent_id=data.consent_id,
        status="draft",
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(r)
    session.flush()
    add_referral_event(session, r, actor, None, "draft", "", now)
    session.flush()
    log(
        session,
        actor,
        "referral_create",
        entity_type="referral",
        entity_id=r.id,
        participant_id=participant_id,
    )
    return referral_detail(session, r)


def load_referral(session: Session, actor: Actor, referral_id: int, action: str) -> Referral:
    """Referral *referral_id*, or NotFound; refused (naming *action*) unless the actor
    may use its participant."""
    r = session.get(Referral, referral_id)
    if r is None:
        raise NotFound(tr("No referral with that number exists"))
    require_participant(session, actor, r.participant_id, action=action)
    return r


def update_referral(
    session: Session,
    actor: Actor,
    referral_id: int,
    data: ReferralFields,
    *,
    expected_version: int | None = None,
) -> ReferralDetail:
    """Edit a draft. Once sent, what was disclosed is on record and stays as it was."""
    r = load_referral(session, actor, referral_id, "update referral")
    check_version(r.version_id, expected_version, tr("this referral"), record=r)
    if r.status != "draft":
        raise ValidationError(
            {
                "status": tr(
                    "only a draft can be edited; this referral is {s}. Change its status or "
                    "close it with an outcome instead"
                ).format(s=tr(STATUS_LABELS[r.status]).lower())
            }
        )
    errors, reason, information, categories = _validate_fields(session, r.participant_id, data)
    if errors:
        raise ValidationError(errors)
    new = {
        "counselor_id": data.counselor_id,
        "reason": reason,
        "urgency": data.urgency,
        "information_shared": information,
        "information_categories": ",".join(categories),
        "consent_id": data.consent_id,
    }
    changed = [name for name, value in new.items() if getattr(r, name) != value]
    for name in changed:
        setattr(r, name, new[name])
    if changed:
        session.flush()
        log(
            session,
            actor,
            "referral_update",
            entity_type="referral",
            entity_id=r.id,
            participant_id=r.participant_id,
            details={"fields": changed},
        )
    return referral_detail(session, r)


# --------------------------------------------------------------------------- the consent check


def _consent_problems(
    c: Consent, counselor: Counselor, categories: tuple[str, ...], today: date
) -> list[str]:
    which = tr("the consent of {d}").format(d=c.signed_on.isoformat())
    problems = []
    status = consent_status(c, today)
    if status == "revoked":
        assert c.revoked_on is not None
        problems.append(
            tr("{which} was revoked on {d}").format(which=which, d=c.revoked_on.isoformat())
        )
    elif status == "expired":
        assert c.expires_on is not None
        problems.append(
            tr("{which} expired on {d}").format(which=which, d=c.expires_on.isoformat())
        )
    elif status == "entered-in-error":
        problems.append(tr("{which} was entered in error").format(which=which))
    if not recipient_covers(c.recipient_counselor, c.recipient_description, counselor):
        named = _counselor_name(c.recipient_counselor) or c.recipient_description
        problems.append(
            tr("{which} does not name {name} as recipient (it names {named})").format(
                which=which, name=_counselor_name(counselor), named=named
            )
        )
    allowed = set(stored_categories(c.information_categories))
    missing = [code for code in categories if code not in allowed]
    if missing:
        problems.append(
            tr("{which} does not cover: {cats}").format(
                which=which, cats=format_categories(missing)
            )
        )
    return problems


def _covering_consent(
    session: Session, r: Referral, counselor: Counselor, categories: tuple[str, ...], today: date
) -> Consent:
    """The consent the referral can rely on, or ValidationError saying exactly why none."""
    if r.consent_id is not None:
        chosen = session.get(Consent, r.consent_id)
        # Another participant's consent never counts, however it got chosen.
        ok = chosen is not None and chosen.participant_id == r.participant_id
        candidates = [chosen] if ok and chosen is not None else []
    else:
        candidates = list(
            session.scalars(
                select(Consent)
                .where(
                    Consent.participant_id == r.participant_id,
                    Consent.entered_in_error_at.is_(None),
                )
                .order_by(Consent.signed_on.desc(), Consent.id.desc())
            )
        )
    if not candidates:
        patient = session.get(Participant, r.participant_id)
        raise ValidationError(
            {
                "consent": tr(
                    "no consent on file for {name}: record the signed consent that names {to} "
                    "and covers {cats} before sending"
                ).format(
                    name=patient.legal_name if patient else "",
                    to=_counselor_name(counselor),
                    cats=format_categories(categories),
                )
            }
        )
    problems: list[str] = []
    for c in candidates:
        found = _consent_problems(c, counselor, categories, today)
        if not found:
            return c
        problems += found
    lead = (
        tr("the chosen consent cannot be relied on")
        if r.consent_id is not None
        else tr("no consent on file covers this referral")
    )
    raise ValidationError({"consent": lead + ": " + "; ".join(problems)})


def check_follow_up_date(on: date, today: date, errors: dict[str, str]) -> None:
    """Add to *errors* when the follow-up date *on* is before *today*."""
    if on < today:
        errors["follow_up_on"] = tr("the follow-up date is in the past; choose today or later")


def send_referral(
    session: Session,
    actor: Actor,
    referral_id: int,
    *,
    note: str = "",
    follow_up_on: date | None = None,
    expected_version: int | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> ReferralDetail:
    """Send a draft (draft → requested) through the consent check.

    Refused with a ValidationError naming exactly what is missing when no active
    consent of the participant covers the recipient and every category of
    information shared. On success: sent_at and the follow-up date are set (by
    urgency unless *follow_up_on* is given), the consent relied on is recorded,
    and the disclosure goes into the accounting of disclosures with the §2.32 notice.
    """
    r = load_referral(session, actor, referral_id, "send referral")
    check_version(r.version_id, expected_version, tr("this referral"), record=r)
    today = today or date.today()
    now = now or utcnow()
    if r.status != "draft":
        raise ValidationError(
            {"status": tr("this referral was already sent; only a draft can be sent")}
        )
    errors: dict[str, str] = {}
    note = clean_text(note, "note", errors, max_len=MAX_TEXT_CHARS, label=tr("note"))
    counselor = session.get(Counselor, r.counselor_id) if r.counselor_id else None
    if counselor is None:
        errors["counselor"] = tr("choose the counselor or organisation to refer to")
    elif not counselor.active:
        errors["counselor"] = tr(
            "{name} has been deactivated in the directory; choose another counselor"
        ).format(name=counselor.name)
    categories = stored_categories(r.information_categories)
    if not categories:
        errors["information_categories"] = tr(
            "tick each category of information the referral shares (at least one)"
        )
    if not r.information_shared.strip():
        errors["information_shared"] = tr("describe the information the referral shares")
    if follow_up_on is not None:
        check_follow_up_date(follow_up_on, today, errors)
    if errors:
        raise ValidationError(errors)
    assert counselor is not None
    consent = _covering_consent(session, r, counselor, categories, today)
    r.consent_id = consent.id
    r.status = "requested"
    r.sent_at = now
    r.follow_up_on = follow_up_on or today + timedelta(days=FOLLOW_UP_DAYS[r.urgency])
    add_referral_event(session, r, actor, "draft", "requested", note, now)
    disclosure = Disclosure(
        participant_id=r.participant_id,
        consent_id=consent.id,
        referral_id=r.id,
        disclosed_at=now,
        disclosed_by_id=actor.id,
        recipient=_counselor_name(counselor),
        information=r.information_shared.strip()
        + "\n"
        + tr("Categories: {cats}").format(cats=format_categories(categories)),
        purpose=consent.purpose,
        notice_included=True,
    )
    session.add(disclosure)
    session.flush()
    log(
        session,
        actor,
        "referral_send",
        entity_type="referral",
        entity_id=r.id,
        participant_id=r.participant_id,
        details={"consent_id": consent.id, "urgency": r.urgency},
    )
    log(
        session,
        actor,
        "disclosure",
        entity_type="disclosure",
        entity_id=disclosure.id,
        participant_id=r.participant_id,
        details={
            "referral_id": r.id,
            "consent_id": consent.id,
            "counselor_id": counselor.id,
            "categories": list(categories),
        },
    )
    return referral_detail(session, r)


# --------------------------------------------------------------------------- allowed status changes


def status_before_hold(session: Session, r: Referral) -> str | None:
    """The status *r* was in when it was last put on hold (None if it never was)."""
    return session.scalar(
        select(ReferralEvent.from_status)
        .where(ReferralEvent.referral_id == r.id, ReferralEvent.to_status == "on-hold")
        .order_by(ReferralEvent.occurred_at.desc(), ReferralEvent.id.desc())
        .limit(1)
    )


def next_statuses(session: Session, r: Referral) -> tuple[str, ...]:
    """The statuses *r* may move to now: ``TRANSITIONS``, except that a referral on
    hold returns only to the status it was held from (or is cancelled)."""
    allowed = TRANSITIONS[r.status]
    if r.status == "on-hold":
        previous = status_before_hold(session, r)
        if previous in ("requested", "accepted", "in-progress"):
            allowed = (previous, "cancelled")
    return allowed


# --------------------------------------------------------------------------- reading


def get_referral(session: Session, actor: Actor, referral_id: int) -> ReferralDetail:
    """One referral with its timeline. Audited as a view."""
    r = load_referral(session, actor, referral_id, "view referral")
    log(
        session,
        actor,
        "referral_view",
        entity_type="referral",
        entity_id=r.id,
        participant_id=r.participant_id,
    )
    return referral_detail(session, r)


def list_referrals(session: Session, actor: Actor, participant_id: int) -> list[ReferralSummary]:
    """A participant's referrals, newest first. One audit row per call."""
    require_participant(session, actor, participant_id, action="view referrals")
    rows = session.execute(
        select(Referral, Counselor)
        .outerjoin(Counselor, Counselor.id == Referral.counselor_id)
        .where(Referral.participant_id == participant_id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    ).all()
    log(
        session,
        actor,
        "referral_list_view",
        entity_type="referral",
        participant_id=participant_id,
        details={"rows": len(rows)},
    )
    return [
        ReferralSummary(
            id=r.id,
            participant_id=r.participant_id,
            counselor_id=r.counselor_id,
            counselor_name=_counselor_name(c),
            reason=r.reason,
            urgency=r.urgency,
            status=r.status,
            created_at=r.created_at,
            sent_at=r.sent_at,
            follow_up_on=r.follow_up_on,
            closed_at=r.closed_at,
            outcome=r.outcome,
        )
        for r, c in rows
    ]


def list_disclosures(session: Session, actor: Actor, participant_id: int) -> list[DisclosureEntry]:
    """The participant's accounting of disclosures, newest first (for History).
    One audit row per call."""
    require_participant(session, actor, participant_id, action="view disclosures")
    rows = session.execute(
        select(Disclosure, StaffUser.display_name)
        .outerjoin(StaffUser, StaffUser.id == Disclosure.disclosed_by_id)
        .where(Disclosure.participant_id == participant_id)
        .order_by(Disclosure.disclosed_at.desc(), Disclosure.id.desc())
    ).all()
    log(
        session,
        actor,
        "disclosure_list_view",
        entity_type="disclosure",
        participant_id=participant_id,
        details={"rows": len(rows)},
    )
    return [
        DisclosureEntry(
            id=d.id,
            participant_id=d.participant_id,
            consent_id=d.consent_id,
            referral_id=d.referral_id,
            disclosed_at=d.disclosed_at,
            disclosed_by_name=name or "",
            recipient=d.recipient,
            information=d.information,
            purpose=d.purpose,
            notice_included=d.notice_included,
        )
        for d, name in rows
    ]


# Suggested for a referral prompted by a risk flag, as far as the consent allows.
_URGENT_CATEGORIES = ("contact_details", "mental_health", "referral_reason")


def prefill_urgent_referral(
    session: Session,
    actor: Actor,
    participant_id: int,
    reason: str,
    *,
    today: date | None = None,
) -> ReferralDraft:
    """An urgent referral ready for the editor, for the PHQ-9 self-harm flag or a risk
    flag in a note. Saves nothing.

    When the participant has an active consent that names a directory entry, its
    recipient and consent are prefilled and the suggested categories are limited to
    what it covers; otherwise the hint says a consent is needed before sending.
    """
    require_participant(session, actor, participant_id, action="draft referral")
    today = today or date.today()
    consent = None
    for c in session.scalars(
        select(Consent)
        .where(
            Consent.participant_id == participant_id,
            Consent.recipient_counselor_id.is_not(None),
        )
        .order_by(Consent.signed_on.desc(), Consent.id.desc())
    ):
        named = c.recipient_counselor
        if consent_status(c, today) == "active" and named is not None and named.active:
            consent = c
            break
    categories: tuple[str, ...] = _URGENT_CATEGORIES
    hint = ""
    if consent is not None:
        allowed = set(stored_categories(consent.information_categories))
        categories = tuple(code for code in _URGENT_CATEGORIES if code in allowed)
    else:
        hint = tr(
            "No active consent names a counselor for this participant: the referral can be "
            "drafted now, and sent once the participant signs a consent."
        )
    fields = ReferralFields(
        counselor_id=consent.recipient_counselor_id if consent else None,
        reason=(reason or "").strip(),
        urgency="urgent",
        information_categories=categories,
        consent_id=consent.id if consent else None,
    )
    return ReferralDraft(participant_id, fields, hint)
