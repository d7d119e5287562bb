"""Session notes: the legal record of peer services.

Drafts autosave cheaply; signing stores the signer, the time and a content hash,
after which this module refuses changes and database triggers refuse UPDATEs
(migrations 0002 and 0003). Corrections are addenda; mistakes are marked
entered in error, never deleted. A group session gives every attendee a note of
their own that shows the shared part and only that attendee's paragraph.

Full-text search lives in ``note_search``; templates and quick phrases in
``note_templates``; creating, editing and signing group sessions in ``note_groups``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from casebook.errors import NotFound, PermissionDenied, ValidationError
from casebook.i18n import tr, translated
from casebook.security.permissions import (
    Actor,
    require_participant,
    require_supervisor,
    visible_participants,
)
from casebook.services.common import check_version, clean_text, log
from models import (
    Goal,
    GroupSession,
    NoteAddendum,
    NoteGoal,
    Participant,
    RecoveryPlan,
    SessionNote,
    StaffUser,
    utcnow,
)
from models.codes import GOAL_PROGRESS_MARKS, NOTE_FORMATS, NOTE_KINDS, NOTE_MODES


def N_(text: str) -> str:
    """Mark *text* for translation without translating it yet.

    Module constants are built at import, before the window installs a
    catalogue; callers translate the labels with ``tr`` when they show them
    (or use the ``*_labels()`` helpers below, which do).
    """
    return text


# --------------------------------------------------------------------------- codes and labels

FORMAT_SECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "GIRP": (
        ("goal", N_("Goal")),
        ("intervention", N_("Intervention")),
        ("response", N_("Response")),
        ("plan", N_("Plan")),
    ),
    "DAP": (("data", N_("Data")), ("assessment", N_("Assessment")), ("plan", N_("Plan"))),
    "SOAP": (
        ("subjective", N_("Subjective")),
        ("objective", N_("Objective")),
        ("assessment", N_("Assessment")),
        ("plan", N_("Plan")),
    ),
}
# A group note's own section: what this attendee said and did in the group.
GROUP_SECTION: tuple[str, str] = ("individual", N_("This participant in the group"))
DEFAULT_FORMAT = "GIRP"

RISK_FLAGS: dict[str, str] = {
    "overdose_risk": N_("Overdose risk"),
    "self_harm": N_("Thoughts of self-harm"),
    "crisis": N_("Crisis"),
    "housing_loss": N_("Housing loss"),
    "relapse": N_("Relapse / return to use"),
    "violence_or_safety": N_("Violence or safety concern"),
    "medical_emergency": N_("Medical emergency"),
}
NOTE_KIND_LABELS: dict[str, str] = {
    "individual": N_("Individual session"),
    "check_in": N_("Check-in"),
    "group": N_("Group session"),
    "outreach": N_("Outreach attempt (no contact)"),
    "collateral": N_("Collateral contact"),
}
NOTE_MODE_LABELS: dict[str, str] = {
    "in_person": N_("In person"),
    "phone": N_("Phone"),
    "video": N_("Video"),
    "text": N_("Text"),
}
PROGRESS_MARK_LABELS: dict[str, str] = {
    "progress": N_("Progress"),
    "no_change": N_("No change"),
    "setback": N_("Setback"),
}
MAX_DURATION_MINUTES = 600
MAX_SECTION_CHARS = 20_000
# Documentation is due within a day of the contact (Today lists what is late).
OVERDUE_AFTER = timedelta(hours=24)
# Clocks on clinic workstations drift; a note a few minutes "in the future" is not a typo.
# (Group sessions in ``note_groups`` allow the same.)
FUTURE_TOLERANCE = timedelta(minutes=10)
_PREVIEW_CHARS = 160
_HASH_SCHEME = 1
# Search highlight markers (private-use characters, stripped from note text on save).
_MARKERS_RE = re.compile("[\ue000\ue001]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def kind_labels() -> dict[str, str]:
    """Note kinds with their labels in the user's language, in display order."""
    return translated(NOTE_KIND_LABELS)


def mode_labels() -> dict[str, str]:
    """Contact modes with translated labels."""
    return translated(NOTE_MODE_LABELS)


def risk_flag_labels() -> dict[str, str]:
    """Risk flags with translated labels, in display order."""
    return translated(RISK_FLAGS)


def progress_mark_labels() -> dict[str, str]:
    """Goal progress marks with translated labels."""
    return translated(PROGRESS_MARK_LABELS)


def format_sections(fmt: str, kind: str = "individual") -> tuple[tuple[str, str], ...]:
    """The (key, translated label) sections the editor shows for *fmt* and *kind*.

    A group note starts with the attendee's own paragraph; the format's
    sections follow and are optional for it.
    """
    rows = FORMAT_SECTIONS.get(fmt, FORMAT_SECTIONS[DEFAULT_FORMAT])
    if kind == "group":
        rows = (GROUP_SECTION, *rows)
    return tuple((key, tr(label)) for key, label in rows)


# --------------------------------------------------------------------------- input and read models


@dataclass(frozen=True)
class GoalMark:
    """A recovery-plan goal addressed in a note, with how it went."""

    goal_id: int
    mark: str = "no_change"


@dataclass(frozen=True)
class NoteContent:
    """What the note editor sends on every save (autosave included)."""

    occurred_at: datetime
    kind: str = "individual"
    duration_minutes: int = 0
    mode: str = "in_person"
    location: str = ""
    format: str = DEFAULT_FORMAT
    sections: Mapping[str, str] = field(default_factory=dict)
    risk_flags: Sequence[str] = ()
    goals: Sequence[GoalMark] = ()


@dataclass(frozen=True)
class DraftSaved:
    """The cheap answer to an autosave: enough to send the next save."""

    note_id: int
    version: int
    saved_at: datetime
    created: bool


@dataclass(frozen=True)
class GoalAddressed:
    goal_id: int
    domain: str
    statement: str
    mark: str


@dataclass(frozen=True)
class Addendum:
    id: int
    note_id: int
    author_id: int
    author_name: str
    created_at: datetime
    reason: str
    text: str
    content_hash: str


@dataclass(frozen=True)
class GroupPart:
    """The shared part of a group note. It never names the other attendees."""

    group_session_id: int
    topic: str
    group_text: str
    facilitator_name: str
    occurred_at: datetime
    duration_minutes: int
    location: str


@dataclass(frozen=True)
class NoteDetail:
    """One note as the editor and the reader show it."""

    id: int
    participant_id: int
    author_id: int
    author_name: str
    kind: str
    occurred_at: datetime
    duration_minutes: int
    mode: str
    location: str
    format: str
    sections: Mapping[str, str]
    body: str
    risk_flags: tuple[str, ...]
    goals: tuple[GoalAddressed, ...]
    status: str
    signed_at: datetime | None
    signed_by_name: str | None
    content_hash: str | None
    cosigned_at: datetime | None
    cosigned_by_name: str | None
    entered_in_error_at: datetime | None
    entered_in_error_by_name: str | None
    entered_in_error_reason: str | None
    addenda: tuple[Addendum, ...]
    group: GroupPart | None
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def is_signed(self) -> bool:
        return self.status == "signed"

    @property
    def is_entered_in_error(self) -> bool:
        return self.entered_in_error_at is not None

    def section_rows(self) -> tuple[tuple[str, str, str], ...]:
        """(key, translated label, text) in the format's order, for display and print."""
        return tuple(
            (key, label, self.sections.get(key, ""))
            for key, label in format_sections(self.format, self.kind)
        )

    def content(self) -> NoteContent:
        """The editable content, e.g. to reopen a draft in the editor."""
        return NoteContent(
            occurred_at=self.occurred_at,
            kind=self.kind,
            duration_minutes=self.duration_minutes,
            mode=self.mode,
            location=self.location,
            format=self.format,
            sections=dict(self.sections),
            risk_flags=self.risk_flags,
            goals=tuple(GoalMark(g.goal_id, g.mark) for g in self.goals),
        )


@dataclass(frozen=True)
class NoteSummary:
    """One row of a participant's note list."""

    id: int
    participant_id: int
    kind: str
    occurred_at: datetime
    duration_minutes: int
    mode: str
    format: str
    status: str
    author_id: int
    author_name: str
    signed_at: datetime | None
    cosigned_at: datetime | None
    entered_in_error_at: datetime | None
    risk_flags: tuple[str, ...]
    addendum_count: int
    group_topic: str | None
    preview: str
    version: int

    @property
    def is_signed(self) -> bool:
        return self.status == "signed"

    @property
    def is_entered_in_error(self) -> bool:
        return self.entered_in_error_at is not None


@dataclass(frozen=True)
class DraftInfo:
    """An unsigned draft of the actor's, offered back when the program starts."""

    note_id: int
    participant_id: int
    participant_name: str
    record_number: str
    kind: str
    format: str
    occurred_at: datetime
    saved_at: datetime
    version: int
    group_session_id: int | None
    preview: str


@dataclass(frozen=True)
class NoteQueueItem:
    """A note waiting for someone (overdue signature, supervisor co-signature)."""

    note_id: int
    participant_id: int
    participant_name: str
    author_id: int
    author_name: str
    kind: str
    occurred_at: datetime
    signed_at: datetime | None
    risk_flags: tuple[str, ...]

    def hours_waiting(self, now: datetime | None = None) -> int:
        """Whole hours since the contact (unsigned) or the signature (co-sign queue)."""
        since = self.signed_at or self.occurred_at
        return max(0, int(((now or utcnow()) - since).total_seconds() // 3600))


@dataclass(frozen=True)
class RiskAlert:
    """Risk flags recorded in a recent note, for the participant header and Today."""

    note_id: int
    participant_id: int
    participant_name: str
    author_name: str
    occurred_at: datetime
    risk_flags: tuple[str, ...]


@dataclass(frozen=True)
class ContactSummary:
    """Last contact and attempts, from notes (outreach attempts are not contacts)."""

    participant_id: int
    last_contact_at: datetime | None
    last_attempt_at: datetime | None
    contacts_30_days: int
    contacts_90_days: int
    attempts_30_days: int


@dataclass(frozen=True)
class NoteIntegrity:
    """Result of checking a signed note and its addenda against their stored hashes."""

    note_id: int
    signed: bool
    note_ok: bool
    tampered_addendum_ids: tuple[int, ...]

    @property
    def ok(self) -> bool:
        return self.note_ok and not self.tampered_addendum_ids


class SignedNoteLocked(ValidationError):
    """A change was asked of a signed note; the answer is always an addendum."""

    def __init__(self) -> None:
        super().__init__({"status": tr("signed notes cannot be changed; add an addendum")})


# --------------------------------------------------------------------------- small helpers


def clean_section(text: str) -> str:
    """Section text as stored: NFC, without control characters or search markers."""
    # NFC so that "Zoë" typed as e + combining diaeresis is found by a search for
    # "Zoë" typed precomposed; markers are reserved for search highlighting.
    text = unicodedata.normalize("NFC", text)
    return _MARKERS_RE.sub("", _CONTROL_RE.sub("", text))


def _preview(text: str, limit: int = _PREVIEW_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def content_digest(payload: Mapping[str, object]) -> str:
    """SHA-256 of *payload* as canonical JSON: the signature hash of a note or addendum.

    Public for the demo seeder, which signs thousands of notes in bulk and must produce
    exactly the hashes ``sign_note`` would (the integrity check recomputes them).
    """
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def compose_body(
    sections: Mapping[str, str], fmt: str, kind: str, group: GroupSession | None
) -> str:
    """Plain text for full-text search: the shared group part, then the sections.

    Public for ``note_groups``, which recomposes the notes when the shared part changes.
    """
    parts = [group.topic, group.group_text] if group is not None else []
    parts += [sections.get(key, "") for key, _ in format_sections(fmt, kind)]
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def staff_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names by staff id for *ids* (``None`` skipped; unknown ids left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(wanted))
    )
    return {r[0]: r[1] for r in rows}


def readable_notes(actor: Actor) -> ColumnElement[bool]:
    """Signed notes are part of the record; a draft is its author's work in
    progress, visible only to them and to supervisors (who chase late notes)."""
    if actor.supervises:
        return true()
    return or_(SessionNote.status == "signed", SessionNote.author_id == actor.id)


def _load_note(session: Session, actor: Actor, note_id: int, action: str) -> SessionNote:
    note = session.get(SessionNote, note_id)
    if note is None:
        raise NotFound(tr("No note number {id} exists").format(id=note_id))
    require_participant(session, actor, note.participant_id, action=action)
    if note.status == "draft" and note.author_id != actor.id and not actor.supervises:
        raise PermissionDenied(
            tr(
                "This note is another staff member's unsigned draft; it "
                "becomes part of the record when they sign it"
            )
        )
    return note


def _require_author(note: SessionNote, actor: Actor, what: str) -> None:
    if note.author_id != actor.id:
        raise PermissionDenied(tr("Only the note's author can {what}").format(what=what))


def _require_draft(note: SessionNote) -> None:
    if note.status == "signed":
        raise SignedNoteLocked()


# --------------------------------------------------------------------------- validation


@dataclass
class _Clean:
    kind: str
    occurred_at: datetime
    duration_minutes: int
    mode: str
    location: str
    format: str
    sections: dict[str, str]
    risk_flags: list[str]
    goals: list[tuple[int, str]]


def validate_content(
    session: Session, participant_id: int, c: NoteContent, group: GroupSession | None
) -> _Clean:
    """Check what a draft may hold (drafts may be incomplete; signing asks more).

    *group* is the note's group session, ``None`` for any other note. Public for
    ``note_groups``, which validates each attendee's note the same way.
    """
    errors: dict[str, str] = {}
    kind = c.kind if c.kind in NOTE_KINDS else ""
    if not kind:
        errors["kind"] = tr("kind '{v}' is unknown; use one of: {opts}").format(
            v=str(c.kind)[:40], opts=", ".join(NOTE_KINDS)
        )
    elif (kind == "group") != (group is not None):
        errors["kind"] = tr(
            "group notes are made with 'create group session'; a note cannot "
            "become or stop being a group note"
        )
    fmt = c.format if c.format in NOTE_FORMATS else DEFAULT_FORMAT
    if c.format not in NOTE_FORMATS:
        errors["format"] = tr("format '{v}' is unknown; use GIRP, DAP or SOAP").format(
            v=str(c.format)[:20]
        )
    mode = c.mode
    if mode not in NOTE_MODES:
        errors["mode"] = tr("mode '{v}' is unknown; use one of: {opts}").format(
            v=str(mode)[:40], opts=", ".join(NOTE_MODES)
        )
    occurred = c.occurred_at
    if not isinstance(occurred, datetime) or occurred.tzinfo is None:
        errors["occurred_at"] = tr("date and time of the contact must include the time zone")
        occurred = utcnow()
    else:
        occurred = occurred.astimezone(UTC).replace(microsecond=0)
        if occurred > utcnow() + FUTURE_TOLERANCE:
            errors["occurred_at"] = tr(
                "date and time of the contact is in the future; check the date"
            )
    duration = c.duration_minutes
    if (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not (0 <= duration <= MAX_DURATION_MINUTES)
    ):
        errors["duration_minutes"] = tr(
            "duration must be a whole number of minutes from 0 to {max}"
        ).format(max=MAX_DURATION_MINUTES)
        duration = 0
    location = clean_text(c.location, "location", errors, max_len=200, label=tr("location"))
    # The shared facts of a group note belong to the group session and are edited there.
    if group is not None and (
        occurred != group.occurred_at
        or duration != group.duration_minutes
        or location != group.location
    ):
        errors["occurred_at"] = tr(
            "a group note takes its time, duration and location from "
            "the group session; change them there"
        )
    allowed = dict(format_sections(fmt, kind or "individual"))
    sections = {key: "" for key in allowed}
    for key, text in c.sections.items():
        if key not in allowed:
            errors[key] = tr("section '{key}' does not belong to a {fmt} note; use: {opts}").format(
                key=str(key)[:40], fmt=fmt, opts=", ".join(allowed)
            )
            continue
        text = clean_section(text or "")
        if len(text) > MAX_SECTION_CHARS:
            errors[key] = tr("{label} is too long ({n} characters); keep it under {max}").format(
                label=allowed[key], n=len(text), max=MAX_SECTION_CHARS
            )
        sections[key] = text
    unknown = [f for f in c.risk_flags if f not in RISK_FLAGS]
    if unknown:
        errors["risk_flags"] = tr("risk flag '{v}' is unknown; use one of: {opts}").format(
            v=str(unknown[0])[:40], opts=", ".join(RISK_FLAGS)
        )
    flags = [f for f in RISK_FLAGS if f in set(c.risk_flags)]
    goals = _validate_goals(session, participant_id, c.goals, errors)
    if errors:
        raise ValidationError(errors)
    return _Clean(kind, occurred, duration, mode, location, fmt, sections, flags, goals)


def _validate_goals(
    session: Session, participant_id: int, marks: Sequence[GoalMark], errors: dict[str, str]
) -> list[tuple[int, str]]:
    goals: list[tuple[int, str]] = []
    seen: set[int] = set()
    for m in marks:
        if m.mark not in GOAL_PROGRESS_MARKS:
            errors["goals"] = tr(
                "progress mark '{v}' is unknown; use progress, no_change or setback"
            ).format(v=str(m.mark)[:40])
        elif m.goal_id in seen:
            errors["goals"] = tr("a goal is listed twice; mark each goal once")
        seen.add(m.goal_id)
        goals.append((m.goal_id, m.mark))
    if seen and "goals" not in errors:
        owned = set(
            session.scalars(
                select(Goal.id)
                .join(RecoveryPlan, RecoveryPlan.id == Goal.plan_id)
                .where(Goal.id.in_(seen), RecoveryPlan.participant_id == participant_id)
            )
        )
        if owned != seen:
            errors["goals"] = tr(
                "a goal addressed is not on this participant's recovery plan; "
                "choose goals from their plan"
            )
    return sorted(goals)


def sign_problems(note: SessionNote) -> dict[str, str]:
    """What keeps a draft from being signed: a record someone can rely on.

    Public for ``note_groups``, which checks every note of a group before signing any.
    """
    errors: dict[str, str] = {}
    sections = note.sections or {}
    filled = {k for k, v in sections.items() if v.strip()}
    if note.kind == "group":
        if "individual" not in filled:
            errors["individual"] = tr(
                "write a short paragraph about this participant in the group before signing"
            )
    elif note.kind == "outreach":
        # An attempt needs only a line ("called, left a voicemail").
        if not filled:
            first = FORMAT_SECTIONS[note.format][0][0]
            errors[first] = tr("write what was attempted (one line is enough) before signing")
    else:
        for key, label in format_sections(note.format, note.kind):
            if key not in filled:
                errors[key] = tr(
                    "{label} is empty; fill it in (or write 'none') before signing"
                ).format(label=label)
    if note.kind != "outreach" and note.duration_minutes <= 0:
        errors["duration_minutes"] = tr("enter how many minutes the contact took before signing")
    if note.occurred_at > utcnow() + FUTURE_TOLERANCE:
        errors["occurred_at"] = tr(
            "the contact is in the future; a note is signed after the contact"
        )
    return errors


# --------------------------------------------------------------------------- hashing


def note_payload(note: Any, goals: Iterable[tuple[int, str]], group: Any) -> dict[str, object]:
    """The canonical content of a note. *note* and *group* are ORM objects or plain
    rows with the same attribute names (the integrity check reads rows)."""
    payload: dict[str, object] = {
        "v": _HASH_SCHEME,
        "participant_id": note.participant_id,
        "author_id": note.author_id,
        "kind": note.kind,
        "occurred_at": _iso(note.occurred_at),
        "duration_minutes": note.duration_minutes,
        "mode": note.mode,
        "location": note.location,
        "format": note.format,
        "sections": dict(note.sections or {}),
        "risk_flags": sorted(note.risk_flags or []),
        "goals": sorted([gid, mark] for gid, mark in goals),
    }
    if group is not None:
        # The shared part is signed along with each attendee's note.
        payload["group"] = {
            "id": group.id,
            "topic": group.topic,
            "text": group.group_text,
            "facilitator_id": group.facilitator_id,
        }
    return payload


def _note_hash(session: Session, note: SessionNote) -> str:
    goals = session.execute(
        select(NoteGoal.goal_id, NoteGoal.mark).where(NoteGoal.note_id == note.id)
    ).tuples()
    group = session.get(GroupSession, note.group_session_id) if note.group_session_id else None
    return content_digest(note_payload(note, goals, group))


def addendum_hash(note_hash: str, a: Any) -> str:
    return content_digest(
        {
            "v": _HASH_SCHEME,
            "note_id": a.note_id,
            "note_hash": note_hash,
            "author_id": a.author_id,
            "created_at": _iso(a.created_at),
            "reason": a.reason,
            "text": a.text,
        }
    )


_NOTE_COLUMNS = (
    SessionNote.id,
    SessionNote.participant_id,
    SessionNote.author_id,
    SessionNote.group_session_id,
    SessionNote.kind,
    SessionNote.occurred_at,
    SessionNote.duration_minutes,
    SessionNote.mode,
    SessionNote.location,
    SessionNote.format,
    SessionNote.sections,
    SessionNote.risk_flags,
    SessionNote.content_hash,
)


def _check_rows(session: Session, notes: Sequence[Any]) -> dict[int, tuple[bool, tuple[int, ...]]]:
    """Recompute hashes from plain rows, read fresh from the database: the caller's
    session (and whatever it holds in memory) is neither used nor disturbed."""
    ids = [n.id for n in notes]
    goals: dict[int, list[tuple[int, str]]] = {}
    for nid, gid, mark in session.execute(
        select(NoteGoal.note_id, NoteGoal.goal_id, NoteGoal.mark).where(NoteGoal.note_id.in_(ids))
    ):
        goals.setdefault(nid, []).append((gid, mark))
    group_ids = {n.group_session_id for n in notes if n.group_session_id is not None}
    groups = {
        g.id: g
        for g in session.execute(
            select(
                GroupSession.id,
                GroupSession.topic,
                GroupSession.group_text,
                GroupSession.facilitator_id,
            ).where(GroupSession.id.in_(group_ids))
        )
    }
    addenda: dict[int, list[Any]] = {}
    for a in session.execute(
        select(
            NoteAddendum.id,
            NoteAddendum.note_id,
            NoteAddendum.author_id,
            NoteAddendum.created_at,
            NoteAddendum.reason,
            NoteAddendum.text,
            NoteAddendum.content_hash,
        )
        .where(NoteAddendum.note_id.in_(ids))
        .order_by(NoteAddendum.id)
    ):
        addenda.setdefault(a.note_id, []).append(a)
    result = {}
    for n in notes:
        stored = n.content_hash or ""
        group = groups.get(n.group_session_id) if n.group_session_id is not None else None
        ok = content_digest(note_payload(n, goals.get(n.id, []), group)) == stored
        bad = tuple(
            a.id for a in addenda.get(n.id, []) if addendum_hash(stored, a) != a.content_hash
        )
        result[n.id] = (ok, bad)
    return result


def verify_note_hash(session: Session, actor: Actor, note_id: int) -> NoteIntegrity:
    """Recompute a signed note's hash (and each addendum's) and compare them with
    what was stored, to detect changes made behind the program's back."""
    note = _load_note(session, actor, note_id, "verify")
    if note.status != "signed":
        return NoteIntegrity(note.id, False, True, ())
    row = session.execute(select(*_NOTE_COLUMNS).where(SessionNote.id == note.id)).one()
    ok, bad = _check_rows(session, [row])[note.id]
    return NoteIntegrity(note.id, True, ok, bad)


def find_tampered_notes(session: Session, *, batch: int = 2000) -> list[int]:
    """Ids of signed notes whose content or addenda no longer match their hashes.

    For ``db check``: walks every signed note in batches, without an actor (it
    reports ids only, never content).
    """
    bad: list[int] = []
    last = 0
    while True:
        rows = session.execute(
            select(*_NOTE_COLUMNS)
            .where(SessionNote.status == "signed", SessionNote.id > last)
            .order_by(SessionNote.id)
            .limit(batch)
        ).all()
        if not rows:
            return bad
        bad += [nid for nid, (ok, adds) in _check_rows(session, rows).items() if not ok or adds]
        last = rows[-1].id


# --------------------------------------------------------------------------- drafts


def apply_content(note: SessionNote, c: _Clean, group: GroupSession | None) -> bool:
    """Copy validated content (from ``validate_content``) onto the row; True when
    anything changed."""
    body = compose_body(c.sections, c.format, c.kind, group)
    values: dict[str, Any] = {
        "kind": c.kind,
        "occurred_at": c.occurred_at,
        "duration_minutes": c.duration_minutes,
        "mode": c.mode,
        "location": c.location,
        "format": c.format,
        "sections": c.sections,
        "risk_flags": c.risk_flags,
        "body": body,
    }
    changed = False
    for name, value in values.items():
        if getattr(note, name) != value:
            setattr(note, name, value)
            changed = True
    current = sorted((g.goal_id, g.mark) for g in note.goals)
    if current != c.goals:
        marks = dict(c.goals)
        for g in list(note.goals):
            mark = marks.pop(g.goal_id, None)
            if mark is None:
                note.goals.remove(g)
            elif g.mark != mark:
                g.mark = mark
        note.goals.extend(NoteGoal(goal_id=gid, mark=mark) for gid, mark in sorted(marks.items()))
        changed = True
    return changed


def save_draft(
    session: Session,
    actor: Actor,
    participant_id: int,
    content: NoteContent,
    *,
    note_id: int | None = None,
    expected_version: int | None = None,
) -> DraftSaved:
    """Create a draft (``note_id=None``) or update the actor's own draft.

    Called by autosave every few seconds, so it stays cheap: no read model is
    built, nothing is written when nothing changed, and only the creation is
    audited (the signature is audited by ``sign_note``).
    """
    require_participant(session, actor, participant_id, action="write note")
    if note_id is None:
        c = validate_content(session, participant_id, content, None)
        new = SessionNote(
            participant_id=participant_id,
            author_id=actor.id,
            status="draft",
            kind=c.kind,
            occurred_at=c.occurred_at,
            goals=[],
        )
        apply_content(new, c, None)
        session.add(new)
        session.flush()
        log(
            session,
            actor,
            "note_create",
            entity_type="session_note",
            entity_id=new.id,
            participant_id=participant_id,
            details={"kind": c.kind},
        )
        return DraftSaved(new.id, new.version_id, new.updated_at, True)
    note = session.get(SessionNote, note_id)
    if note is None or note.participant_id != participant_id:
        raise NotFound(
            tr(
                "No note number {id} exists for this participant; it may have been discarded"
            ).format(id=note_id)
        )
    _require_draft(note)
    _require_author(note, actor, tr("change a draft"))
    check_version(note.version_id, expected_version, tr("this note"), record=note)
    group = session.get(GroupSession, note.group_session_id) if note.group_session_id else None
    c = validate_content(session, participant_id, content, group)
    if apply_content(note, c, group):
        session.flush()
    return DraftSaved(note.id, note.version_id, note.updated_at, False)


def discard_draft(
    session: Session, actor: Actor, note_id: int, *, expected_version: int | None = None
) -> None:
    """Delete the actor's own unsigned draft. Signed notes are never deleted."""
    note = _load_note(session, actor, note_id, "discard note")
    if note.status == "signed":
        raise ValidationError(
            {"status": tr("signed notes cannot be deleted; mark the note entered in error instead")}
        )
    _require_author(note, actor, tr("discard a draft"))
    check_version(note.version_id, expected_version, tr("this note"), record=note)
    group_id, participant_id = note.group_session_id, note.participant_id
    session.delete(note)
    session.flush()
    if (
        group_id is not None
        and session.scalar(select(func.count()).where(SessionNote.group_session_id == group_id))
        == 0
    ):
        group = session.get(GroupSession, group_id)
        if group is not None:
            session.delete(group)
            session.flush()
    log(
        session,
        actor,
        "note_discard",
        entity_type="session_note",
        entity_id=note_id,
        participant_id=participant_id,
    )


def list_drafts(session: Session, actor: Actor) -> list[DraftInfo]:
    """The actor's unsigned drafts across their caseload, newest save first:
    offered back when the program starts (after a crash, a power cut or a lock)."""
    rows = session.execute(
        select(
            SessionNote.id,
            SessionNote.participant_id,
            Participant.preferred_name,
            Participant.legal_name,
            Participant.record_number,
            SessionNote.kind,
            SessionNote.format,
            SessionNote.occurred_at,
            SessionNote.updated_at,
            SessionNote.version_id,
            SessionNote.group_session_id,
            func.substr(SessionNote.body, 1, _PREVIEW_CHARS * 2),
        )
        .join(Participant, Participant.id == SessionNote.participant_id)
        .where(
            SessionNote.author_id == actor.id,
            SessionNote.status == "draft",
            visible_participants(actor),
        )
        .order_by(SessionNote.updated_at.desc(), SessionNote.id.desc())
    ).all()
    drafts = [
        DraftInfo(
            r[0],
            r[1],
            r[2] or r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            _preview(r[11] or ""),
        )
        for r in rows
    ]
    if drafts:
        log(
            session,
            actor,
            "note_drafts_view",
            entity_type="session_note",
            details={"count": len(drafts)},
        )
    return drafts


# --------------------------------------------------------------------------- signing and after


def sign_note(
    session: Session, actor: Actor, note_id: int, *, expected_version: int | None = None
) -> NoteDetail:
    """Sign the actor's own draft: it becomes part of the record and immutable."""
    note = _load_note(session, actor, note_id, "sign note")
    _require_draft(note)
    _require_author(note, actor, tr("sign it"))
    check_version(note.version_id, expected_version, tr("this note"), record=note)
    problems = sign_problems(note)
    if problems:
        raise ValidationError(problems)
    record_signature(session, actor, note)
    return _detail(session, note)


def record_signature(session: Session, actor: Actor, note: SessionNote) -> None:
    """Sign *note*: content hash, signer and time, audited as ``note_sign``.

    The caller has checked access, authorship and ``sign_problems`` (``sign_note``
    for one note, ``note_groups.sign_group_session`` for a group's).
    """
    session.flush()
    note.content_hash = _note_hash(session, note)
    note.status = "signed"
    note.signed_by_id = actor.id
    note.signed_at = utcnow()
    session.flush()
    log(
        session,
        actor,
        "note_sign",
        entity_type="session_note",
        entity_id=note.id,
        participant_id=note.participant_id,
        details={"content_hash": note.content_hash},
    )


def add_addendum(
    session: Session, actor: Actor, note_id: int, *, reason: str, text: str
) -> Addendum:
    """Add a later correction or addition to a signed note; kept forever."""
    note = _load_note(session, actor, note_id, "add addendum")
    if note.status != "signed" or not note.content_hash:
        raise ValidationError(
            {
                "status": tr(
                    "this note is still a draft; change the draft "
                    "itself instead of adding an addendum"
                )
            }
        )
    errors: dict[str, str] = {}
    reason = clean_text(
        reason, "reason", errors, required=True, max_len=500, label=tr("reason for the addendum")
    )
    body = clean_section((text or "").strip())
    if not body:
        errors["text"] = tr("addendum text is required; write the correction or addition")
    elif len(body) > MAX_SECTION_CHARS:
        errors["text"] = tr("addendum text is too long; keep it under {max} characters").format(
            max=MAX_SECTION_CHARS
        )
    if errors:
        raise ValidationError(errors)
    a = NoteAddendum(
        note_id=note.id, author_id=actor.id, reason=reason, text=body, created_at=utcnow()
    )
    a.content_hash = addendum_hash(note.content_hash, a)
    session.add(a)
    session.flush()
    log(
        session,
        actor,
        "note_addendum",
        entity_type="note_addendum",
        entity_id=a.id,
        participant_id=note.participant_id,
        details={"note_id": note.id},
    )
    return Addendum(
        a.id, note.id, actor.id, actor.display_name, a.created_at, a.reason, a.text, a.content_hash
    )


def mark_entered_in_error(
    session: Session,
    actor: Actor,
    note_id: int,
    *,
    reason: str,
    expected_version: int | None = None,
) -> NoteDetail:
    """Mark a signed note entered in error (its author or a supervisor). It stays
    readable, marked, and counts no more as a contact."""
    note = _load_note(session, actor, note_id, "mark entered in error")
    if note.author_id != actor.id and not actor.supervises:
        raise PermissionDenied(
            tr("Only the note's author or a supervisor can mark it entered in error")
        )
    if note.status != "signed":
        raise ValidationError(
            {"status": tr("an unsigned draft is not part of the record; discard it instead")}
        )
    if note.entered_in_error_at is not None:
        raise ValidationError({"status": tr("this note is already marked entered in error")})
    check_version(note.version_id, expected_version, tr("this note"), record=note)
    errors: dict[str, str] = {}
    note.entered_in_error_reason = clean_text(
        reason, "reason", errors, required=True, max_len=500, label=tr("reason")
    )
    if errors:
        raise ValidationError(errors)
    note.entered_in_error_at = utcnow()
    note.entered_in_error_by_id = actor.id
    session.flush()
    log(
        session,
        actor,
        "note_entered_in_error",
        entity_type="session_note",
        entity_id=note.id,
        participant_id=note.participant_id,
    )
    return _detail(session, note)


def cosign_queue(
    session: Session, actor: Actor, *, participant_id: int | None = None
) -> list[NoteQueueItem]:
    """Signed notes by the supervisor's team that are not yet co-signed, oldest first;
    one participant's only with *participant_id* (the notes tab asks for just those)."""
    require_supervisor(actor, tr("see the co-sign queue"))
    cond = and_(
        SessionNote.status == "signed",
        SessionNote.cosigned_at.is_(None),
        SessionNote.author_id != actor.id,
    )
    if participant_id is not None:
        cond = and_(cond, SessionNote.participant_id == participant_id)
    return _queue(session, actor, cond, order=SessionNote.signed_at)


def cosign(
    session: Session, actor: Actor, note_id: int, *, expected_version: int | None = None
) -> NoteDetail:
    """A supervisor co-signs a team member's signed note (review done)."""
    require_supervisor(actor, tr("co-sign notes"))
    note = _load_note(session, actor, note_id, "cosign note")
    if note.status != "signed":
        raise ValidationError(
            {"status": tr("only signed notes can be co-signed; the author signs first")}
        )
    if note.cosigned_at is not None:
        raise ValidationError({"status": tr("this note is already co-signed")})
    if note.entered_in_error_at is not None:
        raise ValidationError({"status": tr("a note entered in error is not co-signed")})
    author = session.get(StaffUser, note.author_id)
    if note.author_id == actor.id or author is None or author.supervisor_id != actor.id:
        raise PermissionDenied(tr("You can co-sign only notes written by your team members"))
    check_version(note.version_id, expected_version, tr("this note"), record=note)
    note.cosigned_at = utcnow()
    note.cosigned_by_id = actor.id
    session.flush()
    log(
        session,
        actor,
        "note_cosign",
        entity_type="session_note",
        entity_id=note.id,
        participant_id=note.participant_id,
    )
    return _detail(session, note)


def overdue_unsigned_notes(
    session: Session, actor: Actor, *, now: datetime | None = None
) -> list[NoteQueueItem]:
    """Notes still unsigned more than 24 hours after the contact, oldest first.

    A specialist sees their own; a supervisor also sees their team's.
    """
    cutoff = (now or utcnow()) - OVERDUE_AFTER
    cond = and_(SessionNote.status == "draft", SessionNote.occurred_at < cutoff)
    if not actor.supervises:
        cond = and_(cond, SessionNote.author_id == actor.id)
    return _queue(session, actor, cond, order=SessionNote.occurred_at, include_own=True)


def _queue(
    session: Session,
    actor: Actor,
    cond: ColumnElement[bool],
    *,
    order: Any,
    include_own: bool = False,
) -> list[NoteQueueItem]:
    author = aliased(StaffUser)
    team = author.supervisor_id == actor.id
    if actor.supervises and include_own:
        team = or_(team, author.id == actor.id)
    rows = session.execute(
        select(
            SessionNote.id,
            SessionNote.participant_id,
            Participant.preferred_name,
            Participant.legal_name,
            SessionNote.author_id,
            author.display_name,
            SessionNote.kind,
            SessionNote.occurred_at,
            SessionNote.signed_at,
            SessionNote.risk_flags,
        )
        .join(Participant, Participant.id == SessionNote.participant_id)
        .join(author, author.id == SessionNote.author_id)
        .where(
            cond,
            team if actor.supervises else true(),
            SessionNote.entered_in_error_at.is_(None),
            visible_participants(actor),
        )
        .order_by(order, SessionNote.id)
    ).all()
    return [
        NoteQueueItem(r[0], r[1], r[2] or r[3], r[4], r[5], r[6], r[7], r[8], tuple(r[9] or ()))
        for r in rows
    ]


# --------------------------------------------------------------------------- reading


def _detail(session: Session, note: SessionNote) -> NoteDetail:
    group = session.get(GroupSession, note.group_session_id) if note.group_session_id else None
    addenda = list(
        session.scalars(
            select(NoteAddendum)
            .where(NoteAddendum.note_id == note.id)
            .order_by(NoteAddendum.created_at, NoteAddendum.id)
        )
    )
    goals = session.execute(
        select(NoteGoal.goal_id, Goal.domain, Goal.statement, NoteGoal.mark)
        .join(Goal, Goal.id == NoteGoal.goal_id)
        .where(NoteGoal.note_id == note.id)
        .order_by(Goal.position, Goal.id)
    ).all()
    names = staff_names(
        session,
        [
            note.author_id,
            note.signed_by_id,
            note.cosigned_by_id,
            note.entered_in_error_by_id,
            group.facilitator_id if group else None,
            *(a.author_id for a in addenda),
        ],
    )
    return NoteDetail(
        id=note.id,
        participant_id=note.participant_id,
        author_id=note.author_id,
        author_name=names.get(note.author_id, ""),
        kind=note.kind,
        occurred_at=note.occurred_at,
        duration_minutes=note.duration_minutes,
        mode=note.mode,
        location=note.location,
        format=note.format,
        sections=MappingProxyType(dict(note.sections or {})),
        body=note.body,
        risk_flags=tuple(note.risk_flags or ()),
        goals=tuple(GoalAddressed(r[0], r[1], r[2], r[3]) for r in goals),
        status=note.status,
        signed_at=note.signed_at,
        signed_by_name=names.get(note.signed_by_id) if note.signed_by_id else None,
        content_hash=note.content_hash,
        cosigned_at=note.cosigned_at,
        cosigned_by_name=names.get(note.cosigned_by_id) if note.cosigned_by_id else None,
        entered_in_error_at=note.entered_in_error_at,
        entered_in_error_by_name=(
            names.get(note.entered_in_error_by_id) if note.entered_in_error_by_id else None
        ),
        entered_in_error_reason=note.entered_in_error_reason,
        addenda=tuple(
            Addendum(
                a.id,
                a.note_id,
                a.author_id,
                names.get(a.author_id, ""),
                a.created_at,
                a.reason,
                a.text,
                a.content_hash,
            )
            for a in addenda
        ),
        # Only the shared facts: the roster of attendees is not part of anyone's record.
        group=GroupPart(
            group.id,
            group.topic,
            group.group_text,
            names.get(group.facilitator_id, ""),
            group.occurred_at,
            group.duration_minutes,
            group.location,
        )
        if group
        else None,
        version=note.version_id,
        created_at=note.created_at,
        updated_at=note.updated_at,
    )


def get_note(session: Session, actor: Actor, note_id: int) -> NoteDetail:
    """One note with its goals, addenda and (for a group note) the shared part. Audited."""
    note = _load_note(session, actor, note_id, "view note")
    log(
        session,
        actor,
        "note_view",
        entity_type="session_note",
        entity_id=note.id,
        participant_id=note.participant_id,
    )
    return _detail(session, note)


def list_notes(
    session: Session,
    actor: Actor,
    participant_id: int,
    *,
    limit: int | None = None,
    include_entered_in_error: bool = True,
) -> list[NoteSummary]:
    """A participant's notes, newest contact first, with a short preview.

    One query for the whole list and one audit row per call.
    """
    require_participant(session, actor, participant_id, action="view notes")
    addenda = (
        select(func.count())
        .where(NoteAddendum.note_id == SessionNote.id)
        .correlate(SessionNote)
        .scalar_subquery()
    )
    stmt = (
        select(
            SessionNote.id,
            SessionNote.kind,
            SessionNote.occurred_at,
            SessionNote.duration_minutes,
            SessionNote.mode,
            SessionNote.format,
            SessionNote.status,
            SessionNote.author_id,
            StaffUser.display_name,
            SessionNote.signed_at,
            SessionNote.cosigned_at,
            SessionNote.entered_in_error_at,
            SessionNote.risk_flags,
            addenda,
            GroupSession.topic,
            func.substr(SessionNote.body, 1, _PREVIEW_CHARS * 2),
            SessionNote.version_id,
        )
        .join(StaffUser, StaffUser.id == SessionNote.author_id)
        .outerjoin(GroupSession, GroupSession.id == SessionNote.group_session_id)
        .where(SessionNote.participant_id == participant_id, readable_notes(actor))
        .order_by(SessionNote.occurred_at.desc(), SessionNote.id.desc())
    )
    if not include_entered_in_error:
        stmt = stmt.where(SessionNote.entered_in_error_at.is_(None))
    if limit is not None:
        stmt = stmt.limit(max(0, limit))
    notes = [
        NoteSummary(
            r[0],
            participant_id,
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            r[11],
            tuple(r[12] or ()),
            r[13] or 0,
            r[14],
            _preview(r[15] or ""),
            r[16],
        )
        for r in session.execute(stmt).all()
    ]
    log(
        session,
        actor,
        "note_list_view",
        entity_type="participant",
        entity_id=participant_id,
        participant_id=participant_id,
        details={"count": len(notes)},
    )
    return notes


def contact_summary(
    session: Session, actor: Actor, participant_id: int, *, now: datetime | None = None
) -> ContactSummary:
    """Last contact, last outreach attempt and recent counts, from the notes.

    Outreach attempts are attempts, not contacts; notes entered in error count
    as neither (the same rule as the caseload's last-contact column).
    """
    require_participant(session, actor, participant_id, action="view contacts")
    now = now or utcnow()
    contact = SessionNote.kind != "outreach"
    attempt = SessionNote.kind == "outreach"
    d30, d90 = now - timedelta(days=30), now - timedelta(days=90)

    row = session.execute(
        select(
            func.max(SessionNote.occurred_at).filter(contact),
            func.max(SessionNote.occurred_at).filter(attempt),
            func.count().filter(contact, SessionNote.occurred_at >= d30),
            func.count().filter(contact, SessionNote.occurred_at >= d90),
            func.count().filter(attempt, SessionNote.occurred_at >= d30),
        ).where(
            SessionNote.participant_id == participant_id, SessionNote.entered_in_error_at.is_(None)
        )
    ).one()
    return ContactSummary(participant_id, row[0], row[1], row[2], row[3], row[4])


#: Participants per query when asking for a list of them (below SQLite's bound-variable
#: limit on old builds, and small enough that each IN list uses the index).
_ID_BLOCK = 900


def recent_risk_flags(
    session: Session,
    actor: Actor,
    *,
    participant_id: int | None = None,
    participant_ids: Collection[int] | None = None,
    days: int = 14,
    now: datetime | None = None,
) -> list[RiskAlert]:
    """Notes with risk flags from the last *days* days, newest first: the participant
    header (with *participant_id*) and Today (with the caseload's *participant_ids*).

    With neither, every note of every visible participant is filtered by date and
    flags, which scans the note table (about 3 s at 200,000 notes). Given the
    participants, it asks per block of them, so the (participant_id, occurred_at)
    index does the work.
    """
    if participant_id is not None:
        require_participant(session, actor, participant_id, action="view risk flags")
    since = (now or utcnow()) - timedelta(days=days)
    stmt = (
        select(
            SessionNote.id,
            SessionNote.participant_id,
            Participant.preferred_name,
            Participant.legal_name,
            StaffUser.display_name,
            SessionNote.occurred_at,
            SessionNote.risk_flags,
        )
        .join(Participant, Participant.id == SessionNote.participant_id)
        .join(StaffUser, StaffUser.id == SessionNote.author_id)
        .where(
            SessionNote.occurred_at >= since,
            SessionNote.entered_in_error_at.is_(None),
            func.json_array_length(SessionNote.risk_flags) > 0,
            visible_participants(actor),
            readable_notes(actor),
        )
    )
    if participant_id is not None:
        stmt = stmt.where(SessionNote.participant_id == participant_id)
    if participant_ids is None:
        rows = list(session.execute(stmt).all())
    else:
        wanted = sorted(set(participant_ids))
        rows = []
        for start in range(0, len(wanted), _ID_BLOCK):
            block = wanted[start : start + _ID_BLOCK]
            rows.extend(session.execute(stmt.where(SessionNote.participant_id.in_(block))).all())
    rows.sort(key=lambda r: (r[5], r[0]), reverse=True)
    return [RiskAlert(r[0], r[1], r[2] or r[3], r[4], r[5], tuple(r[6] or ())) for r in rows]
