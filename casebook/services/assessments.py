"""Outcome measures given to a participant: recording, history, trends, safety flags.

Scoring is ``casebook.measures.score`` (pure, reviewed against the papers); this
module stores who gave which instrument when, with the answers, total, band and
flags as scored at the time. A stored score is never re-scored or edited: a
mistake is marked entered in error and the instrument given again.

A PHQ-9 answer above 0 on item 9 (thoughts of self-harm) is a safety flag
whatever the total: the read model says so (``safety_flag``) so the window can
show ``SAFETY_NEXT_STEPS`` at once, and Today lists recent flags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from casebook.errors import NotFound, PermissionDenied, ValidationError
from casebook.i18n import tr
from casebook.measures import (
    BAND_AT_OR_ABOVE_CUTOFF,
    BARC_10,
    FLAG_SELF_HARM,
    INSTRUMENTS,
    PHQ_9,
    band_label,
    flag_label,
    score,
)
from casebook.security.permissions import Actor, require_participant, visible_participants
from casebook.services.common import clean_text, log
from models import Assessment, Participant, StaffUser, utcnow


def N_(text: str) -> str:
    """Mark *text* for translation; it is translated with ``tr`` when shown."""
    return text


SAFETY_PROMPT_TITLE = N_("Thoughts of self-harm reported: follow up today")
# What to do, in order, when PHQ-9 item 9 is above 0. Shown as a prompt the
# moment the assessment is saved; kept short enough to read in a crisis.
SAFETY_NEXT_STEPS: tuple[str, ...] = (
    N_(
        "Stay with the person; ask directly about thoughts of suicide and listen without judgement."
    ),
    N_(
        "Go through their crisis plan together: warning signs, coping strategies and the people "
        "to call."
    ),
    N_(
        "Offer the 988 Suicide & Crisis Lifeline: call or text 988 (in the US), or chat at "
        "988lifeline.org, and help them make the contact if they agree."
    ),
    N_(
        "If they are in immediate danger, call 911 (emergency services) and do not leave them "
        "alone."
    ),
    N_("Tell your supervisor the same day."),
    N_("Document what was said and done in a session note today."),
    N_("Offer an urgent referral to a clinical counselor."),
)
# Clocks on clinic workstations drift; a time a few minutes ahead is not a typo.
_FUTURE_TOLERANCE = timedelta(minutes=10)


def safety_next_steps() -> tuple[str, ...]:
    """``SAFETY_NEXT_STEPS`` in the user's language."""
    return tuple(tr(step) for step in SAFETY_NEXT_STEPS)


@dataclass(frozen=True)
class AssessmentView:
    id: int
    participant_id: int
    instrument: str
    answers: tuple[int, ...]
    total: int
    band: str  # stable value from casebook.measures
    band_label: str
    flags: tuple[str, ...]
    flag_labels: tuple[str, ...]
    safety_flag: bool  # PHQ-9 item 9 above 0: show the next steps now
    meets_cutoff: bool | None  # BARC-10 only: total at or above 47
    administered_at: datetime
    administered_by_id: int | None
    administered_by_name: str
    recorded_at: datetime
    entered_in_error_at: datetime | None
    entered_in_error_reason: str

    @property
    def entered_in_error(self) -> bool:
        return self.entered_in_error_at is not None


class TrendPoint(NamedTuple):
    administered_at: datetime
    total: int


@dataclass(frozen=True)
class SafetyFlagAlert:
    """A PHQ-9 with thoughts of self-harm reported, for Today."""

    assessment_id: int
    participant_id: int
    record_number: str
    display_name: str
    administered_at: datetime
    administered_by_name: str
    total: int
    band: str


def _view(a: Assessment, names: dict[int, str]) -> AssessmentView:
    flags = tuple(a.flags or ())
    return AssessmentView(
        id=a.id,
        participant_id=a.participant_id,
        instrument=a.instrument,
        answers=tuple(a.answers),
        total=a.total,
        band=a.band,
        band_label=band_label(a.band),
        flags=flags,
        flag_labels=tuple(flag_label(f) for f in flags),
        safety_flag=FLAG_SELF_HARM in flags,
        meets_cutoff=(a.band == BAND_AT_OR_ABOVE_CUTOFF) if a.instrument == BARC_10 else None,
        administered_at=a.administered_at,
        administered_by_id=a.administered_by_id,
        administered_by_name=names.get(a.administered_by_id or 0, ""),
        recorded_at=a.recorded_at,
        entered_in_error_at=a.entered_in_error_at,
        entered_in_error_reason=a.entered_in_error_reason or "",
    )


def _names(session: Session, rows: Sequence[Assessment]) -> dict[int, str]:
    wanted = {a.administered_by_id for a in rows if a.administered_by_id is not None}
    if not wanted:
        return {}
    found = session.execute(
        select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(wanted))
    )
    return {r[0]: r[1] for r in found}


def _check_instrument(instrument: object) -> str:
    if not isinstance(instrument, str) or instrument not in INSTRUMENTS:
        raise ValidationError(
            {
                "instrument": tr("unknown instrument {code}; use one of {codes}").format(
                    code=str(instrument)[:40], codes=", ".join(INSTRUMENTS)
                )
            }
        )
    return instrument


def _load(session: Session, actor: Actor, assessment_id: int, action: str) -> Assessment:
    row = session.get(Assessment, assessment_id)
    if row is None:
        raise NotFound(tr("No assessment number {id} exists").format(id=assessment_id))
    require_participant(session, actor, row.participant_id, action=action)
    return row


def record_assessment(
    session: Session,
    actor: Actor,
    participant_id: int,
    instrument: str,
    answers: Sequence[int],
    administered_at: datetime | None = None,
) -> AssessmentView:
    """Score and store one administration (now, unless *administered_at* says when).
    Invalid answers raise ValidationError with a message per item ("item 3": ...).
    Check ``safety_flag`` on the result and show the next steps at once."""
    participant = require_participant(session, actor, participant_id, action="record assessment")
    result = score(instrument, answers)
    now = utcnow()
    when = administered_at or now
    if when.tzinfo is None:
        raise ValidationError({"administered_at": tr("the time given needs a time zone")})
    if when > now + _FUTURE_TOLERANCE:
        raise ValidationError(
            {
                "administered_at": tr(
                    "the date given is in the future; use the day the questions were answered"
                )
            }
        )
    if when < datetime.combine(participant.date_of_birth, datetime.min.time(), UTC):
        raise ValidationError(
            {
                "administered_at": tr(
                    "the date given is before the participant's date of birth; check the year"
                )
            }
        )
    row = Assessment(
        participant_id=participant_id,
        instrument=result.instrument,
        answers=list(answers),
        total=result.total,
        band=result.band,
        flags=list(result.flags),
        administered_at=when,
        administered_by_id=actor.id,
        recorded_at=now,
    )
    session.add(row)
    session.flush()
    # The instrument code only: scores and flags are clinical content.
    log(
        session,
        actor,
        "assessment_record",
        entity_type="assessment",
        entity_id=row.id,
        participant_id=participant_id,
        details={"instrument": result.instrument},
    )
    return _view(row, {actor.id: actor.display_name})


def get_assessment(session: Session, actor: Actor, assessment_id: int) -> AssessmentView:
    """One administration with its answers. Audited as a view."""
    row = _load(session, actor, assessment_id, "view assessment")
    log(
        session,
        actor,
        "assessment_view",
        entity_type="assessment",
        entity_id=row.id,
        participant_id=row.participant_id,
    )
    return _view(row, _names(session, [row]))


def list_assessments(
    session: Session,
    actor: Actor,
    participant_id: int,
    instrument: str | None = None,
    *,
    include_entered_in_error: bool = True,
    audit_view: bool = True,
) -> list[AssessmentView]:
    """The participant's assessments, newest first (entered-in-error ones included and
    marked unless asked otherwise). Audited as one view."""
    require_participant(session, actor, participant_id, action="view assessments")
    stmt = select(Assessment).where(Assessment.participant_id == participant_id)
    if instrument is not None:
        stmt = stmt.where(Assessment.instrument == _check_instrument(instrument))
    if not include_entered_in_error:
        stmt = stmt.where(Assessment.entered_in_error_at.is_(None))
    rows = session.scalars(
        stmt.order_by(Assessment.administered_at.desc(), Assessment.id.desc())
    ).all()
    if audit_view:
        log(
            session,
            actor,
            "assessment_list_view",
            entity_type="participant",
            entity_id=participant_id,
            participant_id=participant_id,
        )
    names = _names(session, rows)
    return [_view(a, names) for a in rows]


def trend(
    session: Session, actor: Actor, participant_id: int, instrument: str, *, audit_view: bool = True
) -> list[TrendPoint]:
    """(administered_at, total) for one instrument, oldest first, without the ones
    entered in error: the trend chart's points."""
    require_participant(session, actor, participant_id, action="view assessment trend")
    code = _check_instrument(instrument)
    rows = session.execute(
        select(Assessment.administered_at, Assessment.total)
        .where(
            Assessment.participant_id == participant_id,
            Assessment.instrument == code,
            Assessment.entered_in_error_at.is_(None),
        )
        .order_by(Assessment.administered_at, Assessment.id)
    ).all()
    if audit_view:
        log(
            session,
            actor,
            "assessment_trend_view",
            entity_type="participant",
            entity_id=participant_id,
            participant_id=participant_id,
            details={"instrument": code},
        )
    return [TrendPoint(at, total) for at, total in rows]


def latest_by_instrument(
    session: Session, actor: Actor, participant_id: int, *, audit_view: bool = True
) -> dict[str, AssessmentView]:
    """The most recent valid assessment per instrument the participant has taken,
    in instrument order (BARC-10, PHQ-9, GAD-7)."""
    require_participant(session, actor, participant_id, action="view assessments")
    ranked = (
        select(
            Assessment.id,
            func.row_number()
            .over(
                partition_by=Assessment.instrument,
                order_by=(Assessment.administered_at.desc(), Assessment.id.desc()),
            )
            .label("n"),
        )
        .where(
            Assessment.participant_id == participant_id, Assessment.entered_in_error_at.is_(None)
        )
        .subquery()
    )
    rows = session.scalars(
        select(Assessment).join(ranked, ranked.c.id == Assessment.id).where(ranked.c.n == 1)
    ).all()
    if audit_view:
        log(
            session,
            actor,
            "assessment_latest_view",
            entity_type="participant",
            entity_id=participant_id,
            participant_id=participant_id,
        )
    names = _names(session, rows)
    by_code = {a.instrument: _view(a, names) for a in rows}
    return {code: by_code[code] for code in INSTRUMENTS if code in by_code}


def mark_entered_in_error(
    session: Session, actor: Actor, assessment_id: int, *, reason: str
) -> AssessmentView:
    """Mark an assessment entered in error (whoever gave it, or a supervisor). It stays
    on record, marked, and leaves trends and the latest scores."""
    row = _load(session, actor, assessment_id, "mark assessment entered in error")
    if row.administered_by_id != actor.id and not actor.supervises:
        raise PermissionDenied(
            tr(
                "Only the person who gave the assessment, or a supervisor, "
                "can mark it entered in error"
            )
        )
    errors: dict[str, str] = {}
    if row.entered_in_error_at is not None:
        errors["status"] = tr("this assessment is already marked entered in error")
    reason = clean_text(reason, "reason", errors, required=True, max_len=500, label=tr("reason"))
    if errors:
        raise ValidationError(errors)
    row.entered_in_error_at = utcnow()
    row.entered_in_error_by_id = actor.id
    row.entered_in_error_reason = reason
    session.flush()
    log(
        session,
        actor,
        "assessment_entered_in_error",
        entity_type="assessment",
        entity_id=row.id,
        participant_id=row.participant_id,
    )
    return _view(row, _names(session, [row]))


def recent_safety_flags(
    session: Session,
    actor: Actor,
    *,
    days: int = 14,
    now: datetime | None = None,
    participant_id: int | None = None,
) -> list[SafetyFlagAlert]:
    """PHQ-9 self-harm flags from the last *days* days for the participants the actor
    may see (one participant's with *participant_id*: the header), newest first
    (Today). One query, whatever the caseload size."""
    if not 1 <= days <= 366:
        raise ValidationError({"days": tr("use 1 to 366 days")})
    since = (now or utcnow()) - timedelta(days=days)
    stmt = (
        select(
            Assessment.id,
            Assessment.participant_id,
            Participant.record_number,
            Participant.preferred_name,
            Participant.legal_name,
            Assessment.administered_at,
            StaffUser.display_name,
            Assessment.total,
            Assessment.band,
        )
        .join(Participant, Participant.id == Assessment.participant_id)
        .outerjoin(StaffUser, StaffUser.id == Assessment.administered_by_id)
        .where(
            Assessment.instrument == PHQ_9,
            Assessment.administered_at >= since,
            Assessment.entered_in_error_at.is_(None),
            # The flags are a JSON list of plain words; matching the quoted word in
            # its text works the same on SQLite and PostgreSQL.
            cast(Assessment.flags, String).like(f'%"{FLAG_SELF_HARM}"%'),
            visible_participants(actor),
        )
        .order_by(Assessment.administered_at.desc(), Assessment.id.desc())
    )
    if participant_id is not None:
        stmt = stmt.where(Assessment.participant_id == participant_id)
    return [
        SafetyFlagAlert(r[0], r[1], r[2], r[3] or r[4], r[5], r[6] or "", r[7], r[8])
        for r in session.execute(stmt).all()
    ]
