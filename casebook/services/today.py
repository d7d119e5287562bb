"""Today: everything on the actor's caseload that needs doing, in one read.

A specialist sees their own participants; a supervisor also sees their team's and
the unassigned queue, with the specialist each item belongs to. Each part comes
from the service that owns it (plans, referrals, notes, consents, assessments,
milestones), so Today and the participant workspace never disagree. Every part is
one set-based query whatever the caseload size (risk flags from notes: one per
block of 900 participants, see ``notes.recent_risk_flags``); contacts and milestones are
computed from the caseload rows, which are already loaded for the names.

Nothing here is audited: like the caseload, Today lists names and due dates, not
the content of a record (note text is not shown, so the drafts are read without
their preview).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.errors import PermissionDenied
from casebook.i18n import tr
from casebook.measures import band_label
from casebook.security.permissions import Actor, visible_participants
from casebook.services import assessments, consents, notes, plans, referral_status, referrals
from casebook.services.caseload import (
    FLAG_DUE,
    FLAG_LONG_OVERDUE,
    FLAG_OVERDUE,
    CaseloadRow,
    caseload_rows,
    local_date,
    row_flag,
)
from casebook.services.milestones import milestones_in_window
from models import Participant, SessionNote, StaffUser, utcnow

#: Badge for a safety flag (``ui.theme.FLAG_NAMES``).
FLAG_SAFETY = "safety"

# Section keys, in the order Today shows them: safety first, since a self-harm flag
# needs same-day follow-up; celebrations last.
SAFETY = "safety"
CONTACTS = "contacts"
UNSIGNED_NOTES = "unsigned_notes"
DRAFTS = "drafts"
PLAN_REVIEWS = "plan_reviews"
FOLLOW_UPS = "follow_ups"
CONSENTS = "consents"
MILESTONES = "milestones"
SECTION_KEYS: tuple[str, ...] = (
    SAFETY,
    CONTACTS,
    UNSIGNED_NOTES,
    DRAFTS,
    PLAN_REVIEWS,
    FOLLOW_UPS,
    CONSENTS,
    MILESTONES,
)

#: How far ahead plan reviews, consent expiries and milestones are listed.
PLAN_REVIEW_WINDOW_DAYS = 14
CONSENT_WINDOW_DAYS = 30
MILESTONE_WINDOW_DAYS = 7
#: Safety flags from notes and assessments of the last two weeks.
SAFETY_WINDOW_DAYS = 14

# Workspace tab keys (ui.workspace): where each kind of item is handled.
TAB_OVERVIEW = "overview"
TAB_PLAN = "plan"
TAB_NOTES = "notes"
TAB_REFERRALS = "referrals"
TAB_ASSESSMENTS = "assessments"
TAB_CONSENTS = "consents"


@dataclass(frozen=True)
class TodayItem:
    """One line on Today.

    ``on`` is the date the item is about (contact due, review date, follow-up date,
    expiry, the note's or assessment's day, the milestone) and ``days_past`` is
    ``today - on`` in days: positive when it is past, negative when still ahead.
    ``summary`` says what it is, in the user's language. ``tab`` is the workspace
    tab where it is handled; ``note_id`` is set for notes and drafts, ``ref_id`` is
    the id of the plan, referral, consent or assessment.
    """

    kind: str
    participant_id: int
    participant_name: str  # preferred name, or the legal name when there is none
    record_number: str
    tab: str
    flag: str | None
    on: date
    days_past: int
    summary: str
    specialist_id: int | None = None
    specialist_name: str = ""
    at: datetime | None = None
    note_id: int | None = None
    ref_id: int | None = None
    legal_name: str = ""


@dataclass(frozen=True)
class TodayView:
    """Today's sections for one actor (keys in ``SECTION_KEYS``)."""

    today: date
    #: Supervisors see whose item each one is; a specialist's are all their own.
    shows_specialist: bool
    safety: tuple[TodayItem, ...] = ()
    contacts: tuple[TodayItem, ...] = ()
    unsigned_notes: tuple[TodayItem, ...] = ()
    drafts: tuple[TodayItem, ...] = ()
    plan_reviews: tuple[TodayItem, ...] = ()
    follow_ups: tuple[TodayItem, ...] = ()
    consents: tuple[TodayItem, ...] = ()
    milestones: tuple[TodayItem, ...] = ()

    def section(self, key: str) -> tuple[TodayItem, ...]:
        if key not in SECTION_KEYS:
            raise KeyError(key)
        items: tuple[TodayItem, ...] = getattr(self, key)
        return items

    @property
    def total(self) -> int:
        return sum(len(self.section(key)) for key in SECTION_KEYS)

    def contact_counts(self) -> dict[str, int]:
        """Contacts per flag: {"long_overdue": n, "overdue": n, "due": n}."""
        counts = {FLAG_LONG_OVERDUE: 0, FLAG_OVERDUE: 0, FLAG_DUE: 0}
        for item in self.contacts:
            if item.flag in counts:
                counts[item.flag] += 1
        return counts


@dataclass(frozen=True)
class _Person:
    name: str
    legal_name: str
    record_number: str
    specialist_id: int | None
    specialist_name: str


def _team_ids(session: Session, actor: Actor) -> set[int]:
    if not actor.supervises:
        return set()
    return set(session.scalars(select(StaffUser.id).where(StaffUser.supervisor_id == actor.id)))


def _on_caseload(row: CaseloadRow, actor: Actor, team: set[int]) -> bool:
    """Whether the participant is the actor's to look after (not just readable: an
    emergency-access grant makes a record readable without making it theirs)."""
    if row.specialist_id == actor.id:
        return True
    return actor.supervises and (row.specialist_id is None or row.specialist_id in team)


def today_items(session: Session, actor: Actor, *, today: date | None = None) -> TodayView:
    """What needs doing on the actor's caseload today (see the module docstring).

    An administrator who does not supervise reads no clinical content and is refused.
    """
    if not actor.sees_clinical:
        raise PermissionDenied(
            tr("Administrators manage accounts; Today lists clinical work, ask a supervisor")
        )
    today = today or date.today()
    now = utcnow()
    rows = caseload_rows(session, actor, include_discharged=True, now=now)
    team = _team_ids(session, actor)
    people = {
        row.participant_id: _Person(
            row.display_name,
            row.legal_name,
            row.record_number,
            row.specialist_id,
            row.specialist_name,
        )
        for row in rows
    }
    mine = {row.participant_id for row in rows if _on_caseload(row, actor, team)}
    caseload = [row for row in rows if row.participant_id in mine]
    unsigned = _unsigned(session, actor, today, now, people)
    late = {item.note_id for item in unsigned}
    return TodayView(
        today=today,
        shows_specialist=actor.supervises,
        safety=tuple(_safety(session, actor, today, now, people, mine)),
        contacts=tuple(_contacts(caseload, today)),
        unsigned_notes=tuple(unsigned),
        # A draft more than a day old is already listed as an unsigned note.
        drafts=tuple(d for d in _drafts(session, actor, today, people) if d.note_id not in late),
        plan_reviews=tuple(_plan_reviews(session, actor, today, people, mine)),
        follow_ups=tuple(_follow_ups(session, actor, today, people, mine)),
        consents=tuple(_consents(session, actor, today, people, mine)),
        milestones=tuple(_milestones(caseload, today)),
    )


def _item(
    people: Mapping[int, _Person],
    participant_id: int,
    fallback_name: str,
    **fields: object,
) -> TodayItem:
    person = people.get(participant_id)
    if person is None:
        # Readable but not in the rows (cannot happen with one snapshot; kept safe).
        person = _Person(fallback_name, fallback_name, "", None, "")
    values: dict[str, object] = {
        "participant_id": participant_id,
        "participant_name": person.name or fallback_name,
        "legal_name": person.legal_name,
        "record_number": person.record_number,
        "specialist_id": person.specialist_id,
        "specialist_name": person.specialist_name,
    }
    values.update(fields)
    return TodayItem(**values)  # type: ignore[arg-type]


# -- contacts and milestones (from the caseload rows) -----------------------------------------

_CONTACT_ORDER = {FLAG_LONG_OVERDUE: 0, FLAG_OVERDUE: 1, FLAG_DUE: 2}


def _contacts(rows: Iterable[CaseloadRow], today: date) -> list[TodayItem]:
    found: list[TodayItem] = []
    for row in rows:
        flag = row_flag(row, today)
        if flag is None:
            continue
        due = row.next_contact_due()
        if row.last_contact_at is None:
            summary = tr("No contact since intake on {date}").format(
                date=row.intake_date.isoformat()
            )
        else:
            summary = tr("Last contact {date}").format(
                date=local_date(row.last_contact_at).isoformat()
            )
        found.append(
            TodayItem(
                kind=CONTACTS,
                participant_id=row.participant_id,
                participant_name=row.display_name,
                legal_name=row.legal_name,
                record_number=row.record_number,
                tab=TAB_OVERVIEW,
                flag=flag,
                on=due,
                days_past=(today - due).days,
                summary=summary,
                specialist_id=row.specialist_id,
                specialist_name=row.specialist_name,
                at=row.last_contact_at,
            )
        )
    found.sort(key=lambda i: (_CONTACT_ORDER[i.flag or FLAG_DUE], -i.days_past, i.participant_name))
    return found


def _milestones(rows: Iterable[CaseloadRow], today: date) -> list[TodayItem]:
    """Milestones reached in the last week (today included) and those in the next week,
    for active participants: the same rule as ``milestones.recent_milestones``, from the
    rows already loaded instead of a second query over the caseload."""
    start = today - timedelta(days=MILESTONE_WINDOW_DAYS - 1)
    end = today + timedelta(days=MILESTONE_WINDOW_DAYS)
    found: list[TodayItem] = []
    for row in rows:
        begun = row.recovery_start_date
        if row.status != "active" or begun is None or begun > today:
            continue
        for milestone in milestones_in_window(begun, start, end):
            found.append(
                TodayItem(
                    kind=MILESTONES,
                    participant_id=row.participant_id,
                    participant_name=row.display_name,
                    legal_name=row.legal_name,
                    record_number=row.record_number,
                    tab=TAB_OVERVIEW,
                    flag=None,
                    on=milestone.date,
                    days_past=(today - milestone.date).days,
                    summary=milestone.label,
                    specialist_id=row.specialist_id,
                    specialist_name=row.specialist_name,
                    ref_id=None,
                )
            )
    # Reached ones first (today, then yesterday...), then the coming ones soonest first.
    found.sort(key=lambda i: (i.days_past < 0, abs(i.days_past), i.participant_name))
    return found


# -- the other services -----------------------------------------------------------------------


def _safety(
    session: Session,
    actor: Actor,
    today: date,
    now: datetime,
    people: Mapping[int, _Person],
    mine: set[int],
) -> list[TodayItem]:
    labels = notes.risk_flag_labels()
    found: list[TodayItem] = []
    for alert in notes.recent_risk_flags(
        session, actor, participant_ids=mine, days=SAFETY_WINDOW_DAYS, now=now
    ):
        day = local_date(alert.occurred_at)
        flags = ", ".join(labels.get(flag, flag) for flag in alert.risk_flags)
        found.append(
            _item(
                people,
                alert.participant_id,
                alert.participant_name,
                kind=SAFETY,
                tab=TAB_NOTES,
                flag=FLAG_SAFETY,
                on=day,
                days_past=(today - day).days,
                summary=tr("Session note: {flags}").format(flags=flags),
                at=alert.occurred_at,
                note_id=alert.note_id,
            )
        )
    for flag in assessments.recent_safety_flags(session, actor, days=SAFETY_WINDOW_DAYS, now=now):
        if flag.participant_id not in mine:
            continue
        day = local_date(flag.administered_at)
        found.append(
            _item(
                people,
                flag.participant_id,
                flag.display_name,
                kind=SAFETY,
                tab=TAB_ASSESSMENTS,
                flag=FLAG_SAFETY,
                on=day,
                days_past=(today - day).days,
                summary=tr(
                    "PHQ-9: thoughts of self-harm reported (item 9); total {total}, {band}"
                ).format(total=flag.total, band=band_label(flag.band)),
                at=flag.administered_at,
                ref_id=flag.assessment_id,
            )
        )
    found.sort(key=lambda i: i.at or now, reverse=True)
    return found


def _unsigned(
    session: Session, actor: Actor, today: date, now: datetime, people: Mapping[int, _Person]
) -> list[TodayItem]:
    kinds = notes.kind_labels()
    found: list[TodayItem] = []
    # The notes service decides whose: the actor's own, and a supervisor's team's.
    for note in notes.overdue_unsigned_notes(session, actor, now=now):
        day = local_date(note.occurred_at)
        item = _item(
            people,
            note.participant_id,
            note.participant_name,
            kind=UNSIGNED_NOTES,
            tab=TAB_NOTES,
            flag=FLAG_OVERDUE,
            on=day,
            days_past=(today - day).days,
            summary=tr("{kind}, {date}").format(
                kind=kinds.get(note.kind, note.kind), date=day.isoformat()
            ),
            at=note.occurred_at,
            note_id=note.note_id,
        )
        # The person who has to sign is the author, whoever has the participant now.
        found.append(_with_specialist(item, note.author_id, note.author_name))
    return found


def _with_specialist(item: TodayItem, specialist_id: int, name: str) -> TodayItem:
    return replace(item, specialist_id=specialist_id, specialist_name=name)


def _drafts(
    session: Session, actor: Actor, today: date, people: Mapping[int, _Person]
) -> list[TodayItem]:
    """The actor's own unsigned drafts, newest save first, so work interrupted by a
    crash, a power cut or the lock is offered back. Read without the note text
    (``notes.list_drafts`` returns a preview and audits that as a view)."""
    kinds = notes.kind_labels()
    rows = session.execute(
        select(
            SessionNote.id,
            SessionNote.participant_id,
            Participant.preferred_name,
            Participant.legal_name,
            SessionNote.kind,
            SessionNote.occurred_at,
            SessionNote.updated_at,
        )
        .join(Participant, Participant.id == SessionNote.participant_id)
        .where(
            SessionNote.author_id == actor.id,
            SessionNote.status == "draft",
            visible_participants(actor),
        )
        .order_by(SessionNote.updated_at.desc(), SessionNote.id.desc())
    ).all()
    found: list[TodayItem] = []
    for note_id, pid, preferred, legal, kind, occurred, saved in rows:
        day = local_date(occurred)
        item = _item(
            people,
            pid,
            preferred or legal,
            kind=DRAFTS,
            tab=TAB_NOTES,
            flag=None,
            on=day,
            days_past=(today - day).days,
            summary=tr("{kind}, {date}").format(kind=kinds.get(kind, kind), date=day.isoformat()),
            at=saved,
            note_id=note_id,
        )
        found.append(_with_specialist(item, actor.id, actor.display_name))
    return found


def _plan_reviews(
    session: Session, actor: Actor, today: date, people: Mapping[int, _Person], mine: set[int]
) -> list[TodayItem]:
    return [
        _item(
            people,
            due.participant_id,
            due.display_name,
            kind=PLAN_REVIEWS,
            tab=TAB_PLAN,
            flag=FLAG_OVERDUE if due.overdue else FLAG_DUE,
            on=due.review_date,
            days_past=-due.days_until,
            summary=tr("Recovery plan, version {version}").format(version=due.version),
            ref_id=due.plan_id,
        )
        for due in plans.plans_due_for_review(
            session, actor, within_days=PLAN_REVIEW_WINDOW_DAYS, today=today
        )
        if due.participant_id in mine
    ]


def _follow_ups(
    session: Session, actor: Actor, today: date, people: Mapping[int, _Person], mine: set[int]
) -> list[TodayItem]:
    urgency = referrals.urgency_labels()
    found: list[TodayItem] = []
    for due in referral_status.referral_follow_ups_due(session, actor, today=today):
        if due.participant_id not in mine:
            continue
        recipient = due.counselor_name or tr("the recipient")
        found.append(
            _item(
                people,
                due.participant_id,
                due.participant_name,
                kind=FOLLOW_UPS,
                tab=TAB_REFERRALS,
                flag=FLAG_OVERDUE if due.days_overdue > 0 else FLAG_DUE,
                on=due.follow_up_on,
                days_past=due.days_overdue,
                summary=tr("{urgency} referral to {recipient}").format(
                    urgency=urgency.get(due.urgency, due.urgency), recipient=recipient
                ),
                at=due.sent_at,
                ref_id=due.referral_id,
            )
        )
    return found


def _consents(
    session: Session, actor: Actor, today: date, people: Mapping[int, _Person], mine: set[int]
) -> list[TodayItem]:
    return [
        _item(
            people,
            consent.participant_id,
            consent.participant_name,
            kind=CONSENTS,
            tab=TAB_CONSENTS,
            flag=FLAG_DUE,
            on=consent.expires_on,
            days_past=-consent.days_left,
            summary=tr("Consent for {recipient}, signed {date}").format(
                recipient=consent.recipient, date=consent.signed_on.isoformat()
            ),
            ref_id=consent.consent_id,
        )
        for consent in consents.consents_expiring(
            session, actor, within_days=CONSENT_WINDOW_DAYS, today=today
        )
        if consent.participant_id in mine
    ]
