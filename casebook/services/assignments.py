"""Who carries which participant: assignment, transfer, the unassigned queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casebook.errors import PermissionDenied, ValidationError
from casebook.i18n import tr
from casebook.security.permissions import Actor, require_participant, require_supervisor
from casebook.services.common import log
from models import CaseAssignment, Participant, StaffUser


@dataclass(frozen=True)
class SpecialistInfo:
    id: int
    username: str
    display_name: str
    open_cases: int


@dataclass(frozen=True)
class AssignmentEntry:
    specialist_id: int
    specialist_name: str
    start_date: date
    end_date: date | None
    reason: str


def _check_specialist(session: Session, actor: Actor, specialist_id: int) -> StaffUser:
    spec = session.get(StaffUser, specialist_id)
    if spec is None or not spec.active:
        raise ValidationError(
            {"specialist": tr("that staff member does not exist or is deactivated")}
        )
    if spec.role == "admin" and not spec.is_supervisor:
        raise ValidationError({"specialist": tr("administrators do not carry a caseload")})
    if actor.role == "specialist" and spec.id != actor.id:
        raise PermissionDenied(tr("Only a supervisor can assign participants to someone else"))
    if (
        actor.supervises
        and not actor.is_admin
        and spec.id != actor.id
        and spec.supervisor_id != actor.id
    ):
        raise ValidationError(
            {"specialist": tr("{name} is not on your team").format(name=spec.display_name)}
        )
    return spec


def open_assignment(
    session: Session,
    actor: Actor,
    participant_id: int,
    specialist_id: int,
    *,
    start: date,
    reason: str = "",
) -> None:
    """Start an assignment for a participant that has none (intake, first assignment)."""
    _check_specialist(session, actor, specialist_id)
    session.add(
        CaseAssignment(
            participant_id=participant_id,
            specialist_id=specialist_id,
            start_date=start,
            reason=reason or None,
            created_by_id=actor.id,
        )
    )
    session.flush()


def assign(
    session: Session,
    actor: Actor,
    participant_id: int,
    specialist_id: int,
    *,
    on: date | None = None,
    reason: str = "",
) -> AssignmentEntry:
    """Assign or transfer: the open assignment (if any) ends, a new one starts, history stays."""
    require_supervisor(actor, tr("assign or transfer participants"))
    require_participant(session, actor, participant_id, action="assign")
    spec = _check_specialist(session, actor, specialist_id)
    on = on or date.today()
    current = session.scalar(
        select(CaseAssignment).where(
            CaseAssignment.participant_id == participant_id, CaseAssignment.end_date.is_(None)
        )
    )
    if current is not None:
        if current.specialist_id == specialist_id:
            raise ValidationError(
                {
                    "specialist": tr("the participant is already with {name}").format(
                        name=spec.display_name
                    )
                }
            )
        if on < current.start_date:
            raise ValidationError(
                {
                    "date": tr(
                        "the transfer date is before the current assignment started ({d})"
                    ).format(d=current.start_date)
                }
            )
        current.end_date = on
        session.flush()
    session.add(
        CaseAssignment(
            participant_id=participant_id,
            specialist_id=specialist_id,
            start_date=on,
            reason=reason or None,
            created_by_id=actor.id,
        )
    )
    session.flush()
    log(
        session,
        actor,
        "participant_transfer" if current else "participant_assign",
        entity_type="participant",
        entity_id=participant_id,
        participant_id=participant_id,
        details={"from": current.specialist_id if current else None, "to": specialist_id},
    )
    return AssignmentEntry(spec.id, spec.display_name, on, None, reason)


def unassign(
    session: Session, actor: Actor, participant_id: int, *, on: date | None = None, reason: str = ""
) -> None:
    """Put a participant back in the unassigned queue (e.g. a specialist leaves)."""
    require_supervisor(actor, tr("move participants to the unassigned queue"))
    require_participant(session, actor, participant_id, action="assign")
    current = session.scalar(
        select(CaseAssignment).where(
            CaseAssignment.participant_id == participant_id, CaseAssignment.end_date.is_(None)
        )
    )
    if current is None:
        raise ValidationError({"specialist": tr("the participant is already unassigned")})
    current.end_date = on or date.today()
    session.flush()
    log(
        session,
        actor,
        "participant_unassign",
        entity_type="participant",
        entity_id=participant_id,
        participant_id=participant_id,
        details={"reason": reason},
    )


def assignment_history(
    session: Session, actor: Actor, participant_id: int
) -> list[AssignmentEntry]:
    require_participant(session, actor, participant_id)
    rows = session.execute(
        select(CaseAssignment, StaffUser.display_name)
        .join(StaffUser, StaffUser.id == CaseAssignment.specialist_id)
        .where(CaseAssignment.participant_id == participant_id)
        .order_by(CaseAssignment.start_date, CaseAssignment.id)
    ).all()
    return [
        AssignmentEntry(a.specialist_id, name, a.start_date, a.end_date, a.reason or "")
        for a, name in rows
    ]


def assignable_specialists(session: Session, actor: Actor) -> list[SpecialistInfo]:
    """Who the actor may assign participants to, with their current open caseload size."""
    open_count = (
        select(CaseAssignment.specialist_id, func.count().label("n"))
        .join(Participant, Participant.id == CaseAssignment.participant_id)
        .where(CaseAssignment.end_date.is_(None), Participant.status != "discharged")
        .group_by(CaseAssignment.specialist_id)
        .subquery()
    )
    stmt = (
        select(StaffUser, func.coalesce(open_count.c.n, 0))
        .outerjoin(open_count, open_count.c.specialist_id == StaffUser.id)
        .where(StaffUser.active.is_(True))
        .where((StaffUser.role != "admin") | StaffUser.is_supervisor.is_(True))
        .order_by(StaffUser.display_name)
    )
    if actor.role == "specialist":
        stmt = stmt.where(StaffUser.id == actor.id)
    elif not actor.is_admin:
        stmt = stmt.where((StaffUser.id == actor.id) | (StaffUser.supervisor_id == actor.id))
    return [
        SpecialistInfo(u.id, u.username, u.display_name, int(n))
        for u, n in session.execute(stmt).all()
    ]
