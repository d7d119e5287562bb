"""The caseload table: one set-based query for everything a row shows.

The window shows thousands of rows; every column comes from the same SQL
statement (the activity columns from a row the database keeps per participant),
never from a query per row in Python.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from casebook.security.permissions import Actor
from models import (
    CaseAssignment,
    EmergencyAccess,
    Participant,
    ParticipantActivity,
    StaffUser,
    utcnow,
)

# Migration 0008's triggers count open referrals with this same list (a migration
# keeps its own copy; tests/test_participant_activity.py holds the two together).
OPEN_REFERRAL_STATUSES = ("requested", "accepted", "in-progress", "on-hold")


def local_date(moment: datetime) -> date:
    """The local calendar day of a stored (UTC) moment.

    The same day as ``moment.astimezone().date()``, at less than half the cost, which
    counts when a load converts 10,000 last-contact times.
    """
    return date.fromtimestamp(moment.timestamp())


def contact_due(last_contact_at: datetime | None, intake_date: date, cadence_days: int) -> date:
    """Cadence days after the last contact; a new participant is due from intake."""
    base = local_date(last_contact_at) if last_contact_at else intake_date
    return base + timedelta(days=cadence_days)


class CaseloadRow(NamedTuple):
    """One participant's caseload columns (immutable).

    A named tuple rather than a frozen dataclass: it is built straight from the
    result tuple, which at 10,000 rows is 7 ms against 40 ms of per-field
    ``object.__setattr__``.
    """

    participant_id: int
    record_number: str
    legal_name: str
    preferred_name: str
    status: str
    specialist_id: int | None
    specialist_name: str
    recovery_start_date: date | None
    intake_date: date
    contact_cadence_days: int
    last_contact_at: datetime | None
    plan_review_date: date | None
    open_referrals: int
    latest_barc10: int | None

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.legal_name

    def days_in_recovery(self, today: date) -> int | None:
        if self.recovery_start_date is None:
            return None
        return (today - self.recovery_start_date).days

    def next_contact_due(self) -> date:
        return contact_due(self.last_contact_at, self.intake_date, self.contact_cadence_days)

    def days_overdue(self, today: date) -> int:
        """Days past the next contact due date (0 when not yet due)."""
        if self.status == "discharged":
            return 0
        return max(0, (today - self.next_contact_due()).days)


def _visible(supervises: bool) -> ColumnElement[bool]:
    """``permissions.visible_participants`` for the caseload statement below, with the
    actor's id as the bound parameter ``actor_id`` and the time as ``now``.

    The same rule (own caseload, emergency access, and for a supervisor the team's
    caseloads and the unassigned queue), read from the open assignment the statement
    already joins (there is at most one per participant): "unassigned" is no joined
    row, "team" is a specialist whose supervisor is the actor. Only the emergency
    grants are a subquery, run once and probed per row.
    """
    actor_id: BindParameter[int] = bindparam("actor_id", type_=Integer)
    grants = select(EmergencyAccess.participant_id).where(
        EmergencyAccess.user_id == actor_id, EmergencyAccess.expires_at > bindparam("now")
    )
    clauses: list[ColumnElement[bool]] = [
        CaseAssignment.specialist_id == actor_id,
        Participant.id.in_(grants),
    ]
    if supervises:
        team = select(StaffUser.id).where(StaffUser.supervisor_id == actor_id)
        clauses += [
            CaseAssignment.specialist_id.in_(team),
            CaseAssignment.participant_id.is_(None),
        ]
    return or_(*clauses)


@lru_cache(maxsize=16)
def _statement(
    *, supervises: bool, some_specialists: bool, include_discharged: bool, by_legal_name: bool
) -> Select[Any]:
    """The caseload statement of one shape, built once: SQLAlchemy then finds its
    compiled form from a key it memoises on the statement, where a statement built
    per call has its key of ~60 clauses computed again each time (~15 ms)."""
    # The four activity columns are kept per participant by database triggers
    # (ParticipantActivity, migration 0008): one row read per participant, where
    # computing them here took four index lookups each (half of the query's time
    # at 10,000 participants). No row yet means no activity.
    activity = ParticipantActivity
    stmt = (
        select(
            Participant.id,
            Participant.record_number,
            Participant.legal_name,
            func.coalesce(Participant.preferred_name, ""),
            Participant.status,
            CaseAssignment.specialist_id,
            func.coalesce(StaffUser.display_name, ""),
            Participant.recovery_start_date,
            Participant.intake_date,
            Participant.contact_cadence_days,
            activity.last_contact_at,
            activity.plan_review_date,
            func.coalesce(activity.open_referrals, 0),
            activity.latest_barc10,
        )
        .outerjoin(
            CaseAssignment,
            and_(
                CaseAssignment.participant_id == Participant.id, CaseAssignment.end_date.is_(None)
            ),
        )
        .outerjoin(StaffUser, StaffUser.id == CaseAssignment.specialist_id)
        .outerjoin(activity, activity.participant_id == Participant.id)
        .where(_visible(supervises))
    )
    if by_legal_name:
        stmt = stmt.order_by(Participant.legal_name)
    if some_specialists:
        stmt = stmt.where(
            CaseAssignment.specialist_id.in_(bindparam("specialist_ids", expanding=True))
        )
    if not include_discharged:
        stmt = stmt.where(Participant.status != "discharged")
    return stmt


def caseload_rows(
    session: Session,
    actor: Actor,
    *,
    specialist_ids: Collection[int] | None = None,
    include_discharged: bool = False,
    now: datetime | None = None,
    by_legal_name: bool = True,
) -> list[CaseloadRow]:
    """Every participant the actor may see, with the caseload columns filled in;
    with *specialist_ids*, only those specialists' caseloads.

    Rows come in legal-name order unless *by_legal_name* is False (the window sorts
    by the folded display name itself; sorting 10,000 rows twice costs ~15 ms).
    """
    if not actor.sees_clinical:
        return []
    stmt = _statement(
        supervises=actor.supervises,
        some_specialists=specialist_ids is not None,
        include_discharged=include_discharged,
        by_legal_name=by_legal_name,
    )
    params: dict[str, object] = {"actor_id": actor.id, "now": now or utcnow()}
    if specialist_ids is not None:
        params["specialist_ids"] = sorted(specialist_ids)
    # Core execution, result tuples straight into rows: no ORM result machinery (a
    # per-row step of its own) and no identity map for 10,000 rows. The columns are
    # in CaseloadRow's field order, and every blank comes back as "" from the SQL.
    return list(map(CaseloadRow._make, session.connection().execute(stmt, params).all()))


# -- the contact rule ------------------------------------------------------------------------
# One rule for every screen that says a contact is due (caseload, participant header,
# Today), so "overdue" means the same everywhere.

#: A contact due today or within this many days is flagged "due".
DUE_SOON_DAYS = 2
#: More than this many days past the due date is "long overdue" (two weeks: the
#: supervisor's Friday question).
LONG_OVERDUE_AFTER_DAYS = 14

FLAG_DUE = "due"
FLAG_OVERDUE = "overdue"
FLAG_LONG_OVERDUE = "long_overdue"
OVERDUE_FLAGS: frozenset[str] = frozenset({FLAG_OVERDUE, FLAG_LONG_OVERDUE})


def contact_flag(next_due: date, today: date) -> str | None:
    """ "due", "overdue", "long_overdue" or None for a contact due on *next_due*."""
    days_past = (today - next_due).days
    if days_past > LONG_OVERDUE_AFTER_DAYS:
        return FLAG_LONG_OVERDUE
    if days_past >= 1:
        return FLAG_OVERDUE
    if days_past >= -DUE_SOON_DAYS:
        return FLAG_DUE
    return None


def row_flag(row: CaseloadRow, today: date) -> str | None:
    """The contact flag of a caseload row; a discharged participant is never due."""
    if row.status == "discharged":
        return None
    return contact_flag(row.next_contact_due(), today)
