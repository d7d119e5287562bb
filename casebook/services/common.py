"""Small helpers shared by the service modules."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy.orm import Session

from casebook.errors import ConflictError
from casebook.i18n import tr
from casebook.security import audit
from casebook.security.permissions import Actor


def log(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    entity_type: str = "",
    entity_id: int | None = None,
    participant_id: int | None = None,
    details: Mapping[str, object] | str = "",
) -> None:
    audit.record(
        session,
        user_id=actor.id if actor else None,
        username=actor.username if actor else "",
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        participant_id=participant_id,
        details=details,
    )


def copy_changed(target: object, source: object, names: Iterable[str]) -> list[str]:
    """Copy each attribute in *names* that differs from *source* onto *target*; return
    the names that changed (for the audit event, which records names, never values)."""
    changed = []
    for name in names:
        value = getattr(source, name)
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed.append(name)
    return changed


def parse_date(
    value: str | date | None,
    field: str,
    errors: dict[str, str],
    *,
    required: bool = False,
    label: str | None = None,
) -> date | None:
    """Parse an ISO date (YYYY-MM-DD), collecting a field message instead of raising."""
    name = label or field.replace("_", " ")
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    if not text:
        if required:
            errors[field] = tr("{name} is required (YYYY-MM-DD)").format(name=name)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = tr(
            "{name}: '{value}' is not a date; write it as YYYY-MM-DD, e.g. 2024-03-31"
        ).format(name=name, value=text[:40])
        return None


def clean_text(
    value: str | None,
    field: str,
    errors: dict[str, str],
    *,
    required: bool = False,
    max_len: int = 200,
    label: str | None = None,
) -> str:
    name = label or field.replace("_", " ")
    text = (value or "").strip()
    # Control characters never belong in a record and break printing.
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    if required and not text:
        errors[field] = tr("{name} is required").format(name=name)
    elif len(text) > max_len:
        errors[field] = tr("{name} is too long ({n} characters); keep it under {max}").format(
            name=name, n=len(text), max=max_len
        )
    return text


def check_version(
    current: int,
    expected: int | None,
    what: str,
    *,
    record: object | None = None,
    changes: Mapping[str, tuple[object, object]] | None = None,
) -> None:
    """Optimistic locking at the service level: refuse a save made on a stale copy.

    With the *record* (an ORM object in a session) the message names who saved it
    last and when; *changes* maps the fields where the refused save and the saved
    record differ to (what this save wanted, what is saved) and is named too.
    """
    if expected is None or current == expected:
        return
    message = tr(
        "Someone else saved {what} while you were editing. Reload to see their "
        "changes, then make yours again"
    ).format(what=what)
    saved = _last_saved(record) if record is not None else None
    if saved is not None:
        who, when = saved
        local = when.astimezone().strftime("%Y-%m-%d %H:%M")
        message += ". " + (
            tr("Last saved by {who} at {when}").format(who=who, when=local)
            if who
            else tr("Last saved at {when}").format(when=local)
        )
    if changes:
        message += ". " + tr(
            "Fields that differ between your version and the saved one: {fields}"
        ).format(fields=", ".join(name.replace("_", " ") for name in changes))
    raise ConflictError(message, changes)


def _last_saved(record: object) -> tuple[str, datetime] | None:
    """Who changed *record* last (from the audit log) and when, as far as known."""
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from models import AuditEvent, StaffUser

    session = object_session(record)
    table = getattr(record, "__tablename__", None)
    record_id = getattr(record, "id", None)
    updated = getattr(record, "updated_at", None)
    if session is None or table is None or record_id is None:
        return None
    event = session.execute(
        select(AuditEvent.user_id, AuditEvent.username, AuditEvent.occurred_at)
        .where(
            AuditEvent.entity_type == table,
            AuditEvent.entity_id == record_id,
            AuditEvent.action.not_like("%view%"),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    # A change the audit log files under a part of the record (a goal of a plan)
    # leaves the record's own event older than its last save: then only "when" is known.
    if event is None or (updated is not None and (updated - event.occurred_at).total_seconds() > 2):
        return ("", updated) if isinstance(updated, datetime) else None
    name = session.scalar(select(StaffUser.display_name).where(StaffUser.id == event.user_id))
    return (name or event.username, event.occurred_at)
