"""Group sessions: one shared part (topic, time, place, text) and a note per attendee.

Each attendee's note is an ordinary session note of kind "group" that ``notes``
validates, signs and shows; a participant's record shows the shared part and only
that attendee's paragraph. This module creates the group, adds late attendees,
edits the shared part while every note is still a draft and signs the
facilitator's notes at once. The roster (``GroupSessionDetail``) is for the
facilitator and supervisors only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.errors import NotFound, PermissionDenied, ValidationError
from casebook.i18n import tr
from casebook.security.permissions import Actor, require_participant, visible_participants
from casebook.services.common import check_version, clean_text, log
from casebook.services.notes import (
    DEFAULT_FORMAT,
    FUTURE_TOLERANCE,
    MAX_DURATION_MINUTES,
    MAX_SECTION_CHARS,
    GoalMark,
    NoteContent,
    SignedNoteLocked,
    apply_content,
    clean_section,
    compose_body,
    record_signature,
    sign_problems,
    staff_names,
    validate_content,
)
from models import GroupSession, Participant, SessionNote, utcnow

# --------------------------------------------------------------------------- group sessions


@dataclass(frozen=True)
class GroupAttendee:
    """One attendee of a group session: their own paragraph and goals."""

    participant_id: int
    paragraph: str = ""
    goals: Sequence[GoalMark] = ()
    risk_flags: Sequence[str] = ()


@dataclass(frozen=True)
class GroupAttendeeNote:
    note_id: int
    participant_id: int
    participant_name: str
    status: str
    version: int
    author_id: int
    author_name: str


@dataclass(frozen=True)
class GroupSessionDetail:
    """The facilitator's view of a group session, roster included.

    For the group editor only: a participant's record shows ``NoteDetail``,
    whose ``group`` part never names the other attendees.
    """

    id: int
    topic: str
    group_text: str
    facilitator_id: int
    facilitator_name: str
    occurred_at: datetime
    duration_minutes: int
    location: str
    attendees: tuple[GroupAttendeeNote, ...]
    version: int


AttendeeInput = GroupAttendee | tuple[Any, ...]


def _participant_name(session: Session, participant_id: int) -> str:
    p = session.get(Participant, participant_id)
    return (p.preferred_name or p.legal_name) if p is not None else ""


def _attendee(raw: AttendeeInput) -> GroupAttendee:
    if isinstance(raw, GroupAttendee):
        return raw
    pid, paragraph, *rest = raw
    goals = tuple(g if isinstance(g, GoalMark) else GoalMark(*g) for g in (rest[0] if rest else ()))
    return GroupAttendee(int(pid), str(paragraph or ""), goals)


def group_field_problems(
    topic: str, occurred_at: datetime, duration_minutes: int, location: str, group_text: str
) -> dict[str, str]:
    """The shared part's field messages, by field (empty when it can be saved): the
    checks ``create_group_session`` and ``update_group_session`` make, for the window
    to show as the facilitator types. Reads nothing from the database."""
    return _checked_group_fields(topic, occurred_at, duration_minutes, location, group_text)[1]


def _group_fields(
    topic: str, occurred_at: datetime, duration_minutes: int, location: str, group_text: str
) -> tuple[str, datetime, int, str, str]:
    values, errors = _checked_group_fields(
        topic, occurred_at, duration_minutes, location, group_text
    )
    if errors:
        raise ValidationError(errors)
    return values


def _checked_group_fields(
    topic: str, occurred_at: datetime, duration_minutes: int, location: str, group_text: str
) -> tuple[tuple[str, datetime, int, str, str], dict[str, str]]:
    errors: dict[str, str] = {}
    topic = clean_text(topic, "topic", errors, required=True, max_len=200, label=tr("topic"))
    location = clean_text(location, "location", errors, max_len=200, label=tr("location"))
    text = clean_section(group_text or "").strip()
    if len(text) > MAX_SECTION_CHARS:
        errors["group_text"] = tr(
            "the group's shared text is too long; keep it under {max} characters"
        ).format(max=MAX_SECTION_CHARS)
    if not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
        errors["occurred_at"] = tr("date and time of the group must include the time zone")
        occurred_at = utcnow()
    occurred_at = occurred_at.astimezone(UTC).replace(microsecond=0)
    if occurred_at > utcnow() + FUTURE_TOLERANCE:
        errors["occurred_at"] = tr("date and time of the group is in the future; check the date")
    if (
        isinstance(duration_minutes, bool)
        or not isinstance(duration_minutes, int)
        or not (0 <= duration_minutes <= MAX_DURATION_MINUTES)
    ):
        errors["duration_minutes"] = tr(
            "duration must be a whole number of minutes from 0 to {max}"
        ).format(max=MAX_DURATION_MINUTES)
    return (topic, occurred_at, duration_minutes, location, text), errors


def _add_attendees(
    session: Session,
    actor: Actor,
    group: GroupSession,
    attendees: Sequence[AttendeeInput],
    mode: str,
    fmt: str,
) -> None:
    wanted = [_attendee(a) for a in attendees]
    ids = [a.participant_id for a in wanted]
    existing = set(
        session.scalars(
            select(SessionNote.participant_id).where(SessionNote.group_session_id == group.id)
        )
    )
    if len(set(ids)) != len(ids) or existing & set(ids):
        raise ValidationError(
            {"attendees": tr("a participant is listed twice; each attendee gets one note")}
        )
    for a in wanted:
        require_participant(session, actor, a.participant_id, action="write group note")
    for a in wanted:
        content = NoteContent(
            occurred_at=group.occurred_at,
            kind="group",
            duration_minutes=group.duration_minutes,
            mode=mode,
            location=group.location,
            format=fmt,
            sections={"individual": a.paragraph},
            risk_flags=a.risk_flags,
            goals=a.goals,
        )
        try:
            c = validate_content(session, a.participant_id, content, group)
        except ValidationError as exc:
            name = _participant_name(session, a.participant_id)
            raise ValidationError(
                {k: f"{name}: {v}" for k, v in exc.field_errors.items()}
            ) from None
        note = SessionNote(
            participant_id=a.participant_id,
            author_id=actor.id,
            status="draft",
            group_session_id=group.id,
            kind="group",
            occurred_at=c.occurred_at,
            goals=[],
        )
        apply_content(note, c, group)
        session.add(note)
        session.flush()
        log(
            session,
            actor,
            "note_create",
            entity_type="session_note",
            entity_id=note.id,
            participant_id=a.participant_id,
            details={"kind": "group", "group_session_id": group.id},
        )


def create_group_session(
    session: Session,
    actor: Actor,
    *,
    topic: str,
    occurred_at: datetime,
    duration_minutes: int,
    location: str,
    group_text: str,
    attendees: Sequence[AttendeeInput],
    mode: str = "in_person",
    format: str = DEFAULT_FORMAT,
) -> GroupSessionDetail:
    """One group session and one draft note (kind "group") per attendee.

    The actor facilitates and must have access to every attendee. *attendees*
    holds ``GroupAttendee`` values or ``(participant_id, paragraph[, goals])`` tuples.
    """
    if not actor.sees_clinical:
        raise PermissionDenied(tr("Administrators cannot write session notes"))
    if not attendees:
        raise ValidationError({"attendees": tr("add at least one attendee")})
    topic, occurred_at, duration_minutes, location, text = _group_fields(
        topic, occurred_at, duration_minutes, location, group_text
    )
    group = GroupSession(
        topic=topic,
        facilitator_id=actor.id,
        occurred_at=occurred_at,
        duration_minutes=duration_minutes,
        location=location,
        group_text=text,
    )
    session.add(group)
    session.flush()
    _add_attendees(session, actor, group, attendees, mode, format)
    log(
        session,
        actor,
        "group_session_create",
        entity_type="group_session",
        entity_id=group.id,
        details={"attendees": len(attendees)},
    )
    return _group_detail(session, actor, group)


def add_group_attendees(
    session: Session,
    actor: Actor,
    group_session_id: int,
    attendees: Sequence[AttendeeInput],
    *,
    mode: str = "in_person",
    format: str = DEFAULT_FORMAT,
) -> GroupSessionDetail:
    """Add late attendees to a group session the actor facilitated."""
    group = _own_group(session, actor, group_session_id)
    _add_attendees(session, actor, group, attendees, mode, format)
    return _group_detail(session, actor, group)


def _own_group(session: Session, actor: Actor, group_session_id: int) -> GroupSession:
    group = session.get(GroupSession, group_session_id)
    if group is None:
        raise NotFound(tr("No group session number {id} exists").format(id=group_session_id))
    if group.facilitator_id != actor.id:
        raise PermissionDenied(tr("Only the facilitator can change a group session"))
    return group


def get_group_session(session: Session, actor: Actor, group_session_id: int) -> GroupSessionDetail:
    """The facilitator's (or a supervisor's) view of a group, listing the attendees
    the actor may see."""
    group = session.get(GroupSession, group_session_id)
    if group is None:
        raise NotFound(tr("No group session number {id} exists").format(id=group_session_id))
    if group.facilitator_id != actor.id and not actor.supervises:
        raise PermissionDenied(
            tr("Only the facilitator or a supervisor can open the group's attendance")
        )
    log(session, actor, "group_session_view", entity_type="group_session", entity_id=group.id)
    return _group_detail(session, actor, group)


def update_group_session(
    session: Session,
    actor: Actor,
    group_session_id: int,
    *,
    topic: str,
    occurred_at: datetime,
    duration_minutes: int,
    location: str,
    group_text: str,
    expected_version: int | None = None,
) -> GroupSessionDetail:
    """Change the shared part while every attendee's note is still a draft (the
    shared part is signed with each note). Cheap enough for autosave."""
    group = _own_group(session, actor, group_session_id)
    check_version(group.version_id, expected_version, tr("this group session"), record=group)
    notes = list(
        session.scalars(select(SessionNote).where(SessionNote.group_session_id == group.id))
    )
    if any(n.status == "signed" for n in notes):
        raise SignedNoteLocked()
    topic, occurred_at, duration_minutes, location, text = _group_fields(
        topic, occurred_at, duration_minutes, location, group_text
    )
    group.topic, group.occurred_at, group.duration_minutes = topic, occurred_at, duration_minutes
    group.location, group.group_text = location, text
    for n in notes:
        n.occurred_at, n.duration_minutes, n.location = occurred_at, duration_minutes, location
        n.body = compose_body(n.sections, n.format, n.kind, group)
    session.flush()
    return _group_detail(session, actor, group)


def sign_group_session(session: Session, actor: Actor, group_session_id: int) -> GroupSessionDetail:
    """Sign all of the actor's unsigned notes of a group at once (each is also
    signable alone with ``sign_note``). Nothing is signed unless all can be."""
    group = _own_group(session, actor, group_session_id)
    notes = list(
        session.scalars(
            select(SessionNote)
            .where(
                SessionNote.group_session_id == group.id,
                SessionNote.status == "draft",
                SessionNote.author_id == actor.id,
            )
            .order_by(SessionNote.id)
        )
    )
    errors: dict[str, str] = {}
    for n in notes:
        require_participant(session, actor, n.participant_id, action="sign note")
        for key, message in sign_problems(n).items():
            name = _participant_name(session, n.participant_id)
            errors[f"{key}:{n.participant_id}"] = f"{name}: {message}"
    if errors:
        raise ValidationError(errors)
    for n in notes:
        record_signature(session, actor, n)
    return _group_detail(session, actor, group)


def _group_detail(session: Session, actor: Actor, group: GroupSession) -> GroupSessionDetail:
    rows = session.execute(
        select(
            SessionNote.id,
            SessionNote.participant_id,
            Participant.preferred_name,
            Participant.legal_name,
            SessionNote.status,
            SessionNote.version_id,
            SessionNote.author_id,
        )
        .join(Participant, Participant.id == SessionNote.participant_id)
        .where(SessionNote.group_session_id == group.id, visible_participants(actor))
        .order_by(Participant.legal_name, SessionNote.id)
    ).all()
    names = staff_names(session, {group.facilitator_id, *(r[6] for r in rows)})
    return GroupSessionDetail(
        group.id,
        group.topic,
        group.group_text,
        group.facilitator_id,
        names.get(group.facilitator_id, ""),
        group.occurred_at,
        group.duration_minutes,
        group.location,
        tuple(
            GroupAttendeeNote(r[0], r[1], r[2] or r[3], r[4], r[5], r[6], names.get(r[6], ""))
            for r in rows
        ),
        group.version_id,
    )
