"""The caseload table: one set-based query for everything a row shows.

The window shows thousands of rows; every column is computed in the same SQL
statement (grouped subqueries joined once), never with a query per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from casebook.security.permissions import Actor, visible_participants
from models import (
    Assessment,
    CaseAssignment,
    Participant,
    RecoveryPlan,
    Referral,
    SessionNote,
    StaffUser,
    utcnow,
)

OPEN_REFERRAL_STATUSES = ("requested", "accepted", "in-progress", "on-hold")


@dataclass(frozen=True)
class CaseloadRow:
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
        """Cadence days after the last contact; a new participant is due from intake."""
        base = (
            self.last_contact_at.astimezone().date() if self.last_contact_at else self.intake_date
        )
        return base + timedelta(days=self.contact_cadence_days)

    def days_overdue(self, today: date) -> int:
        """Days past the next contact due date (0 when not yet due)."""
        if self.status == "discharged":
            return 0
        return max(0, (today - self.next_contact_due()).days)


def caseload_rows(
    session: Session,
    actor: Actor,
    *,
    specialist_id: int | None = None,
    include_discharged: bool = False,
    now: datetime | None = None,
) -> list[CaseloadRow]:
    """Every participant the actor may see, with the caseload columns filled in."""
    now = now or utcnow()
    last_contact = (
        select(SessionNote.participant_id, func.max(SessionNote.occurred_at).label("at"))
        .where(SessionNote.kind != "outreach", SessionNote.entered_in_error_at.is_(None))
        .group_by(SessionNote.participant_id)
        .subquery()
    )
    plan = (
        select(RecoveryPlan.participant_id, func.min(RecoveryPlan.review_date).label("review"))
        .where(RecoveryPlan.status == "active")
        .group_by(RecoveryPlan.participant_id)
        .subquery()
    )
    referrals = (
        select(Referral.participant_id, func.count().label("n"))
        .where(Referral.status.in_(OPEN_REFERRAL_STATUSES))
        .group_by(Referral.participant_id)
        .subquery()
    )
    latest_barc_at = (
        select(Assessment.participant_id, func.max(Assessment.administered_at).label("at"))
        .where(Assessment.instrument == "BARC-10", Assessment.entered_in_error_at.is_(None))
        .group_by(Assessment.participant_id)
        .subquery()
    )
    barc = (
        select(Assessment.participant_id, func.max(Assessment.total).label("total"))
        .join(
            latest_barc_at,
            and_(
                latest_barc_at.c.participant_id == Assessment.participant_id,
                latest_barc_at.c.at == Assessment.administered_at,
            ),
        )
        .where(Assessment.instrument == "BARC-10", Assessment.entered_in_error_at.is_(None))
        .group_by(Assessment.participant_id)
        .subquery()
    )
    stmt = (
        select(
            Participant.id,
            Participant.record_number,
            Participant.legal_name,
            Participant.preferred_name,
            Participant.status,
            CaseAssignment.specialist_id,
            StaffUser.display_name,
            Participant.recovery_start_date,
            Participant.intake_date,
            Participant.contact_cadence_days,
            last_contact.c.at,
            plan.c.review,
            referrals.c.n,
            barc.c.total,
        )
        .outerjoin(
            CaseAssignment,
            and_(
                CaseAssignment.participant_id == Participant.id, CaseAssignment.end_date.is_(None)
            ),
        )
        .outerjoin(StaffUser, StaffUser.id == CaseAssignment.specialist_id)
        .outerjoin(last_contact, last_contact.c.participant_id == Participant.id)
        .outerjoin(plan, plan.c.participant_id == Participant.id)
        .outerjoin(referrals, referrals.c.participant_id == Participant.id)
        .outerjoin(barc, barc.c.participant_id == Participant.id)
        .where(visible_participants(actor, now))
        .order_by(Participant.legal_name)
    )
    if specialist_id is not None:
        stmt = stmt.where(CaseAssignment.specialist_id == specialist_id)
    if not include_discharged:
        stmt = stmt.where(Participant.status != "discharged")
    # Raw tuples straight into frozen rows: no ORM identity map for 10,000 rows.
    return [
        CaseloadRow(
            participant_id=r[0],
            record_number=r[1],
            legal_name=r[2],
            preferred_name=r[3] or "",
            status=r[4],
            specialist_id=r[5],
            specialist_name=r[6] or "",
            recovery_start_date=r[7],
            intake_date=r[8],
            contact_cadence_days=r[9],
            last_contact_at=r[10],
            plan_review_date=r[11],
            open_referrals=r[12] or 0,
            latest_barc10=r[13],
        )
        for r in session.execute(stmt).all()
    ]
