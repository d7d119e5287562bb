"""Reading the audit log: by participant, by user, by date; CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.errors import PermissionDenied
from casebook.i18n import tr
from casebook.security.audit import ChainReport, verify_chain
from casebook.security.permissions import Actor, visible_participants
from casebook.services.common import log
from models import AuditEvent, Participant, StaffUser

EXPORT_COLUMNS = (
    "id",
    "occurred_at_utc",
    "username",
    "action",
    "entity_type",
    "entity_id",
    "record_number",
    "details",
)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    occurred_at: datetime
    username: str
    action: str
    entity_type: str
    entity_id: int | None
    participant_id: int | None
    record_number: str
    details: str


def _require_auditor(actor: Actor) -> None:
    if not (actor.is_admin or actor.supervises):
        raise PermissionDenied(tr("Only supervisors and administrators can read the audit log"))


def query_audit(
    session: Session,
    actor: Actor,
    *,
    participant_id: int | None = None,
    username: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str | None = None,
    limit: int = 2000,
) -> list[AuditEntry]:
    """Newest first. Administrators see every event; a supervisor sees events about
    participants they may see and about the staff on their team."""
    _require_auditor(actor)
    stmt = (
        select(AuditEvent, Participant.record_number)
        .outerjoin(Participant, Participant.id == AuditEvent.participant_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if not actor.is_admin:
        team = select(StaffUser.id).where(
            (StaffUser.supervisor_id == actor.id) | (StaffUser.id == actor.id)
        )
        stmt = stmt.where(
            (AuditEvent.participant_id.is_not(None) & visible_participants(actor))
            | (AuditEvent.participant_id.is_(None) & AuditEvent.user_id.in_(team))
        )
    if participant_id is not None:
        stmt = stmt.where(AuditEvent.participant_id == participant_id)
    if username:
        stmt = stmt.where(AuditEvent.username == username.strip().lower())
    if since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.occurred_at < until)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return [
        AuditEntry(
            e.id,
            e.occurred_at,
            e.username,
            e.action,
            e.entity_type,
            e.entity_id,
            e.participant_id,
            rn or "",
            e.details,
        )
        for e, rn in session.execute(stmt).all()
    ]


def export_audit_csv(session: Session, actor: Actor, entries: list[AuditEntry]) -> str:
    """The given entries as CSV (UTF-8 text); the export itself is audited."""
    _require_auditor(actor)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for e in entries:
        writer.writerow(
            [
                e.id,
                e.occurred_at.isoformat(),
                e.username,
                e.action,
                e.entity_type,
                e.entity_id or "",
                e.record_number,
                e.details,
            ]
        )
    log(session, actor, "audit_export", entity_type="audit_event", details={"rows": len(entries)})
    return out.getvalue()


def check_chain(session: Session, actor: Actor) -> ChainReport:
    _require_auditor(actor)
    return verify_chain(session)
