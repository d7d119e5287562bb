"""Referral status changes and follow-up: moving a referral along ``TRANSITIONS``,
closing the loop with an outcome, moving the follow-up date, and the follow-ups due
on Today.

Every change leaves a ReferralEvent (who, when, from, to, note) and an audit event.
Drafting, the consent check and sending are in ``referrals``; draft → requested
through ``change_status`` is sending, handed to ``referrals.send_referral``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, select, true
from sqlalchemy.orm import Session

from casebook.errors import ValidationError
from casebook.i18n import tr
from casebook.security.permissions import Actor, visible_participants
from casebook.services.common import check_version, clean_text, log
from casebook.services.counselors import describe_counselor
from casebook.services.referrals import (
    CLOSING_STATUSES,
    MAX_TEXT_CHARS,
    OPEN_STATUSES,
    OUTCOME_LABELS,
    OUTCOME_STATUSES,
    STATUS_LABELS,
    TERMINAL_STATUSES,
    TRANSITIONS,
    ReferralDetail,
    add_referral_event,
    check_follow_up_date,
    load_referral,
    next_statuses,
    outcome_labels,
    referral_detail,
    send_referral,
    status_before_hold,
    status_labels,
)
from models import Counselor, Participant, Referral, utcnow

# --------------------------------------------------------------------------- read models


@dataclass(frozen=True)
class FollowUpDue:
    """A row on Today: an open referral whose follow-up date has come."""

    referral_id: int
    participant_id: int
    record_number: str
    participant_name: str
    counselor_name: str
    urgency: str
    status: str
    sent_at: datetime | None
    follow_up_on: date
    days_overdue: int


# --------------------------------------------------------------------------- status changes


def _move(
    session: Session, r: Referral, actor: Actor, to_status: str, note: str, at: datetime
) -> None:
    add_referral_event(session, r, actor, r.status, to_status, note, at)
    r.status = to_status
    if to_status in TERMINAL_STATUSES:
        r.closed_at = at


def _refusal(session: Session, r: Referral, to_status: str) -> ValidationError:
    labels = status_labels()
    allowed = next_statuses(session, r)
    if not allowed:
        return ValidationError(
            {
                "status": tr(
                    "this referral is {cur}, which is final; start a new referral if needed"
                ).format(cur=labels[r.status].lower())
            }
        )
    return ValidationError(
        {
            "status": tr(
                "a referral that is {cur} cannot become {to}; it can become: {opts}"
            ).format(
                cur=labels[r.status].lower(),
                to=labels.get(to_status, to_status).lower(),
                opts=", ".join(labels[s].lower() for s in allowed),
            )
        }
    )


def change_status(
    session: Session,
    actor: Actor,
    referral_id: int,
    to_status: str,
    *,
    note: str = "",
    follow_up_on: date | None = None,
    expected_version: int | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> ReferralDetail:
    """Move the referral along TRANSITIONS, recording who, when and the note.

    draft → requested is sending, and goes through ``send_referral`` and its
    consent check. Entered in error needs a note saying why. *follow_up_on*
    optionally sets the next follow-up date at the same time.
    """
    r = load_referral(session, actor, referral_id, "update referral")
    if r.status == "draft" and to_status == "requested":
        return send_referral(
            session,
            actor,
            referral_id,
            note=note,
            follow_up_on=follow_up_on,
            expected_version=expected_version,
            today=today,
            now=now,
        )
    check_version(r.version_id, expected_version, tr("this referral"), record=r)
    today = today or date.today()
    now = now or utcnow()
    if to_status not in next_statuses(session, r):
        raise _refusal(session, r, to_status)
    errors: dict[str, str] = {}
    note = clean_text(
        note,
        "note",
        errors,
        required=to_status == "entered-in-error",
        max_len=MAX_TEXT_CHARS,
        label=tr("note"),
    )
    if follow_up_on is not None:
        check_follow_up_date(follow_up_on, today, errors)
    if errors:
        raise ValidationError(errors)
    previous = r.status
    _move(session, r, actor, to_status, note, now)
    if follow_up_on is not None and to_status in OPEN_STATUSES:
        r.follow_up_on = follow_up_on
    session.flush()
    log(
        session,
        actor,
        "referral_status",
        entity_type="referral",
        entity_id=r.id,
        participant_id=r.participant_id,
        details={"from": previous, "to": to_status},
    )
    return referral_detail(session, r)


def _closing_path(session: Session, r: Referral, target: str) -> list[str] | None:
    """The status changes from the current status to *target*, or None.

    Only forward steps are implied on the way: resuming a referral on hold to the
    status it was held from, and accepting one still "requested".
    """
    path: list[str] = []
    status = r.status
    if status == "on-hold":
        if target == "cancelled":
            return ["cancelled"]
        held_from = status_before_hold(session, r)
        if held_from not in ("requested", "accepted", "in-progress"):
            return None
        path.append(held_from)
        status = held_from
    if target in TRANSITIONS[status]:
        return [*path, target]
    if status == "requested" and target in TRANSITIONS["accepted"]:
        return [*path, "accepted", target]
    return None


def close_referral(
    session: Session,
    actor: Actor,
    referral_id: int,
    *,
    outcome: str,
    note: str = "",
    status: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ReferralDetail:
    """Close the loop: record the outcome and end the referral.

    The outcome decides the final status (attended first appointment → completed;
    declined, no response, waitlisted → failed; not eligible → rejected, or failed
    once accepted; participant withdrew → cancelled); with outcome "other" say which
    in *status* and explain in *note*. Steps the table requires on the way (a
    referral still "requested" is accepted before it completes; one on hold resumes
    first) are recorded as their own events, noted as implied by the outcome.
    """
    r = load_referral(session, actor, referral_id, "close referral")
    check_version(r.version_id, expected_version, tr("this referral"), record=r)
    now = now or utcnow()
    errors: dict[str, str] = {}
    note = clean_text(
        note, "note", errors, required=outcome == "other", max_len=MAX_TEXT_CHARS, label=tr("note")
    )
    if outcome not in OUTCOME_LABELS:
        errors["outcome"] = tr("choose an outcome: {opts}").format(
            opts=", ".join(outcome_labels().values())
        )
    if r.status == "draft":
        errors["status"] = tr("this referral was never sent; cancel the draft instead")
    elif r.status not in OPEN_STATUSES:
        errors["status"] = tr("this referral is already closed ({s})").format(
            s=tr(STATUS_LABELS[r.status]).lower()
        )
    if status is not None and status not in CLOSING_STATUSES:
        errors["status"] = tr("a referral closes as one of: {opts}").format(
            opts=", ".join(CLOSING_STATUSES)
        )
    elif status is None and outcome == "other":
        errors["status"] = tr("with outcome 'other', say whether the referral completed or failed")
    if errors:
        raise ValidationError(errors)
    targets = (status,) if status is not None else OUTCOME_STATUSES[outcome]
    path: list[str] | None = None
    for target in targets:
        path = _closing_path(session, r, target)
        if path is not None:
            break
    if path is None:
        raise _refusal(session, r, targets[0])
    previous = r.status
    implied = tr("implied by the outcome: {o}").format(o=tr(OUTCOME_LABELS[outcome]).lower())
    for i, step in enumerate(path):
        # Same instant for every step, a microsecond apart, so the timeline keeps order.
        at = now + timedelta(microseconds=i)
        _move(session, r, actor, step, note if step == path[-1] else implied, at)
    r.outcome = outcome
    r.outcome_note = note
    session.flush()
    log(
        session,
        actor,
        "referral_close",
        entity_type="referral",
        entity_id=r.id,
        participant_id=r.participant_id,
        details={"from": previous, "to": r.status, "outcome": outcome},
    )
    return referral_detail(session, r)


def set_follow_up(
    session: Session,
    actor: Actor,
    referral_id: int,
    on: date,
    *,
    note: str = "",
    expected_version: int | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> ReferralDetail:
    """Move the follow-up date of an open referral; the timeline records it."""
    r = load_referral(session, actor, referral_id, "update referral")
    check_version(r.version_id, expected_version, tr("this referral"), record=r)
    today = today or date.today()
    errors: dict[str, str] = {}
    note = clean_text(note, "note", errors, max_len=MAX_TEXT_CHARS, label=tr("note"))
    if r.status not in OPEN_STATUSES:
        errors["status"] = tr("only a sent, open referral has a follow-up date")
    check_follow_up_date(on, today, errors)
    if errors:
        raise ValidationError(errors)
    text = tr("follow-up date set to {d}").format(d=on.isoformat())
    add_referral_event(
        session, r, actor, r.status, r.status, f"{text}. {note}" if note else text, now or utcnow()
    )
    r.follow_up_on = on
    session.flush()
    log(
        session,
        actor,
        "referral_follow_up",
        entity_type="referral",
        entity_id=r.id,
        participant_id=r.participant_id,
    )
    return referral_detail(session, r)


# --------------------------------------------------------------------------- reading


def referral_follow_ups_due(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    participant_id: int | None = None,
) -> list[FollowUpDue]:
    """Open referrals whose follow-up date is today or past, most overdue first (Today).

    One query over every participant the actor may see; a referral leaves the
    list when it is closed or its follow-up date is moved on.
    """
    today = today or date.today()
    urgency_rank = case({"emergent": 0, "urgent": 1}, value=Referral.urgency, else_=2)
    rows = session.execute(
        select(
            Referral.id,
            Referral.participant_id,
            Participant.record_number,
            Participant.preferred_name,
            Participant.legal_name,
            Counselor.name,
            Counselor.credentials,
            Counselor.organisation,
            Referral.urgency,
            Referral.status,
            Referral.sent_at,
            Referral.follow_up_on,
        )
        .join(Participant, Participant.id == Referral.participant_id)
        .outerjoin(Counselor, Counselor.id == Referral.counselor_id)
        .where(
            Referral.status.in_(OPEN_STATUSES),
            Referral.follow_up_on.is_not(None),
            Referral.follow_up_on <= today,
            visible_participants(actor),
            true() if participant_id is None else Referral.participant_id == participant_id,
        )
        .order_by(Referral.follow_up_on, urgency_rank, Referral.id)
    ).all()
    return [
        FollowUpDue(
            referral_id=row[0],
            participant_id=row[1],
            record_number=row[2],
            participant_name=row[3] or row[4],
            counselor_name=describe_counselor(row[5], row[6], row[7]) if row[5] else "",
            urgency=row[8],
            status=row[9],
            sent_at=row[10],
            follow_up_on=row[11],
            days_overdue=(today - row[11]).days,
        )
        for row in rows
    ]
