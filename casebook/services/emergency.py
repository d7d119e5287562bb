"""Emergency ("break the glass") access to a record outside one's caseload.

It asks for a reason, is audited, and expires after 24 hours; supervisors see
every grant in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.errors import NotFound, PermissionDenied, ValidationError
from casebook.i18n import tr
from casebook.security.permissions import Actor
from casebook.services.common import log
from models import EmergencyAccess, Participant, utcnow

GRANT_HOURS = 24
MIN_REASON_LENGTH = 10


@dataclass(frozen=True)
class EmergencyGrant:
    participant_id: int
    record_number: str
    reason: str
    granted_at: datetime
    expires_at: datetime


def request_access(
    session: Session, actor: Actor, record_number: str, reason: str
) -> EmergencyGrant:
    """Grant *actor* access to one participant for 24 hours, for a stated reason."""
    if not actor.sees_clinical:
        raise PermissionDenied(tr("Administrators cannot use emergency access to clinical records"))
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            {
                "reason": tr(
                    "give the reason for emergency access in a sentence (at least {n} "
                    "characters); it is recorded in the audit log"
                ).format(n=MIN_REASON_LENGTH)
            }
        )
    p = session.scalar(
        select(Participant).where(Participant.record_number == record_number.strip())
    )
    if p is None:
        raise NotFound(tr("No participant with record number {n}").format(n=record_number.strip()))
    now = utcnow()
    grant = EmergencyAccess(
        user_id=actor.id,
        participant_id=p.id,
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(hours=GRANT_HOURS),
    )
    session.add(grant)
    session.flush()
    log(
        session,
        actor,
        "emergency_access",
        entity_type="participant",
        entity_id=p.id,
        participant_id=p.id,
        details={"reason": reason, "expires_at": grant.expires_at.isoformat()},
    )
    return EmergencyGrant(p.id, p.record_number, reason, grant.granted_at, grant.expires_at)


def active_grants(session: Session, actor: Actor) -> list[EmergencyGrant]:
    now = utcnow()
    rows = session.execute(
        select(EmergencyAccess, Participant.record_number)
        .join(Participant, Participant.id == EmergencyAccess.participant_id)
        .where(EmergencyAccess.user_id == actor.id, EmergencyAccess.expires_at > now)
        .order_by(EmergencyAccess.expires_at)
    ).all()
    return [
        EmergencyGrant(g.participant_id, rn, g.reason, g.granted_at, g.expires_at) for g, rn in rows
    ]
