"""The hash-chained audit log.

Every row stores the hash of the row before it and its own hash over its
content, so a row edited or deleted behind the program's back (for example with
the key in hand and the triggers dropped) breaks the chain at that row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from models import AuditEvent, utcnow

GENESIS_HASH = "0" * 64
# Arbitrary constant for PostgreSQL's advisory lock: serialises chain appends
# across workstations (SQLite already serialises writers with BEGIN IMMEDIATE).
_PG_CHAIN_LOCK = 0x0CA5EB00C


class _Row(Protocol):
    occurred_at: datetime
    user_id: int | None
    username: str
    action: str
    entity_type: str
    entity_id: int | None
    participant_id: int | None
    details: str


def _canonical(
    occurred_at: datetime,
    user_id: int | None,
    username: str,
    action: str,
    entity_type: str,
    entity_id: int | None,
    participant_id: int | None,
    details: str,
) -> bytes:
    payload = [
        occurred_at.isoformat(timespec="microseconds"),
        user_id,
        username,
        action,
        entity_type,
        entity_id,
        participant_id,
        details,
    ]
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(prev_hash: str, event: AuditEvent | _Row) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode())
    digest.update(
        _canonical(
            event.occurred_at,
            event.user_id,
            event.username,
            event.action,
            event.entity_type,
            event.entity_id,
            event.participant_id,
            event.details,
        )
    )
    return digest.hexdigest()


def _chain_head(session: Session) -> str:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_CHAIN_LOCK})
    head = session.scalar(select(AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1))
    return head or GENESIS_HASH


def record(
    session: Session,
    *,
    user_id: int | None,
    username: str,
    action: str,
    entity_type: str = "",
    entity_id: int | None = None,
    participant_id: int | None = None,
    details: Mapping[str, object] | str = "",
) -> AuditEvent:
    """Append one event to the chain inside the caller's unit of work."""
    if session.info.get("read_only"):
        # A read-only unit of work starts a deferred transaction; turning it into a
        # write later fails at once ("database is locked") whenever another write
        # committed since it began. Audited work is a write from the start.
        raise RuntimeError(
            f"audited action {action!r} in a read-only unit of work; "
            "run it as a write (read_only=False)"
        )
    if not isinstance(details, str):
        details = json.dumps(dict(details), ensure_ascii=False, sort_keys=True, default=str)
    event = AuditEvent(
        occurred_at=utcnow(),
        user_id=user_id,
        username=username,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        participant_id=participant_id,
        details=details,
    )
    prev = _chain_head(session)
    event.prev_hash = prev
    event.row_hash = compute_hash(prev, event)
    session.add(event)
    session.flush()
    return event


_COLUMNS = (
    AuditEvent.id,
    AuditEvent.occurred_at,
    AuditEvent.user_id,
    AuditEvent.username,
    AuditEvent.action,
    AuditEvent.entity_type,
    AuditEvent.entity_id,
    AuditEvent.participant_id,
    AuditEvent.details,
    AuditEvent.prev_hash,
    AuditEvent.row_hash,
)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows_checked: int
    head_hash: str
    first_broken_id: int | None = None
    problem: str = ""


def verify_chain(session: Session, *, batch: int = 5000) -> ChainReport:
    """Walk the whole log in id order and report the first row that does not fit."""
    from casebook.i18n import tr

    prev = GENESIS_HASH
    count = 0
    last_id = 0
    while True:
        # Plain rows, not ORM objects: the caller's session identity map stays
        # untouched and a long log is read in bounded memory.
        rows = session.execute(
            select(*_COLUMNS).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            count += 1
            if row.prev_hash != prev:
                return ChainReport(
                    False,
                    count,
                    prev,
                    row.id,
                    tr(
                        "audit row {id} does not follow the row before it "
                        "(a row was deleted or inserted before it)"
                    ).format(id=row.id),
                )
            if compute_hash(prev, row) != row.row_hash:
                return ChainReport(
                    False,
                    count,
                    prev,
                    row.id,
                    tr("audit row {id} was changed after it was written").format(id=row.id),
                )
            prev = row.row_hash
            last_id = row.id
    return ChainReport(True, count, prev)
