"""Minimum-necessary access, decided in one place for every caller.

A specialist sees the participants currently assigned to them; a supervisor
sees their own caseload, their team's and the unassigned queue; an admin
manages accounts and sees no clinical content unless also a supervisor.
Emergency access grants one user one record for 24 hours.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    bindparam,
    false,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from casebook.errors import PermissionDenied
from casebook.i18n import tr

# Actor lives in a module of its own (no ORM), so the login window can be shown before
# the models load; it is part of this module's interface all the same.
from casebook.security.actor import Actor as Actor
from models import CaseAssignment, EmergencyAccess, Participant, StaffUser, utcnow


def actor_for(user: StaffUser) -> Actor:
    return Actor(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        is_supervisor=user.is_supervisor,
    )


# Plain tables, not ORM entities: these clauses go into nearly every query, and
# building them from aliased ORM classes cost about 10 ms of Python per call.
# Named aliases, made once (an alias copies every column: too slow to make per call),
# so that an enclosing query can join the same tables without a clash.
_OWN_CA = CaseAssignment.__table__.alias("own_ca")
_TEAM_CA = CaseAssignment.__table__.alias("team_ca")
_ANY_CA = CaseAssignment.__table__.alias("any_ca")
_MEMBER = StaffUser.__table__.alias("member")
_GRANT = EmergencyAccess.__table__.alias("grant_")


def _exists(stmt: Select[tuple[int]]) -> ColumnElement[bool]:
    # EXISTS, correlated to Participant only: a point lookup (one participant) seeks
    # the indexes instead of building the whole list, and an enclosing query may itself
    # select from case_assignment (the caseload) without being correlated into this.
    return stmt.correlate(Participant).exists()


def _emergency_clause(
    actor_id: int | BindParameter[int], now: datetime | BindParameter[datetime]
) -> ColumnElement[bool]:
    grant = _GRANT
    return _exists(
        select(literal(1)).where(
            grant.c.participant_id == Participant.id,
            grant.c.user_id == actor_id,
            grant.c.expires_at > now,
        )
    )


def visible_participants(actor: Actor, now: datetime | None = None) -> ColumnElement[bool]:
    """A WHERE clause on Participant selecting what *actor* may read."""
    if not actor.sees_clinical:
        return false()
    return _visible(actor.id, now or utcnow(), supervises=actor.supervises)


def _visible(
    actor_id: int | BindParameter[int],
    now: datetime | BindParameter[datetime],
    *,
    supervises: bool,
) -> ColumnElement[bool]:
    """The rule of ``visible_participants`` for an actor id and a time, each a value or
    a bound parameter."""
    own_ca = _OWN_CA
    own = _exists(
        select(literal(1)).where(
            own_ca.c.participant_id == Participant.id,
            own_ca.c.end_date.is_(None),
            own_ca.c.specialist_id == actor_id,
        )
    )
    clauses: list[ColumnElement[bool]] = [own, _emergency_clause(actor_id, now)]
    if supervises:
        team_ca, member = _TEAM_CA, _MEMBER
        team = _exists(
            select(literal(1)).where(
                team_ca.c.participant_id == Participant.id,
                team_ca.c.end_date.is_(None),
                team_ca.c.specialist_id == member.c.id,
                member.c.supervisor_id == actor_id,
            )
        )
        any_ca = _ANY_CA
        unassigned = ~_exists(
            select(literal(1)).where(
                any_ca.c.participant_id == Participant.id, any_ca.c.end_date.is_(None)
            )
        )
        clauses += [team, unassigned]
    return or_(*clauses)


@lru_cache(maxsize=2)
def _access_statement(supervises: bool) -> Select[tuple[int]]:
    """ "May this actor open this participant?" built once per kind of actor, with the
    values as bound parameters: every service call asks it (a workspace, a dozen
    times), and a statement built per call spent ~2 ms of Python on construction and
    its cache key; this one's key is memoised."""
    return select(Participant.id).where(
        Participant.id == bindparam("participant_id", type_=Integer),
        _visible(bindparam("actor_id", type_=Integer), bindparam("now"), supervises=supervises),
    )


def can_access_participant(session: Session, actor: Actor, participant_id: int) -> bool:
    if not actor.sees_clinical:
        return False
    params = {"participant_id": participant_id, "actor_id": actor.id, "now": utcnow()}
    return session.scalar(_access_statement(actor.supervises), params) is not None


def require_participant(
    session: Session, actor: Actor, participant_id: int, *, action: str = ""
) -> Participant:
    """Load a participant the actor may use, or refuse clearly without leaking who it is."""
    participant = session.get(Participant, participant_id)
    if participant is None:
        raise PermissionDenied(tr("No participant with that record exists"))
    if not can_access_participant(session, actor, participant_id):
        event = {
            "user_id": actor.id,
            "username": actor.username,
            "action": "access_denied",
            "entity_type": "participant",
            "entity_id": participant_id,
            "participant_id": participant_id,
            "details": {"attempted": action or "read"},
        }
        if not actor.sees_clinical:
            raise PermissionDenied(
                tr(
                    "Administrators manage accounts and cannot open participant records; "
                    "ask a supervisor"
                ),
                audit=event,
            )
        raise PermissionDenied(
            tr(
                "Record {record} is not on your caseload. Ask the participant's peer specialist "
                "or supervisor, or use emergency access and give a reason"
            ).format(record=participant.record_number),
            audit=event,
        )
    return participant


def require_supervisor(actor: Actor, what: str) -> None:
    if not actor.supervises:
        raise PermissionDenied(tr("Only a supervisor can {what}").format(what=what))


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(tr("Only an administrator can {what}").format(what=what))
