"""Small helpers shared by the service modules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

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


def check_version(current: int, expected: int | None, what: str) -> None:
    """Optimistic locking at the service level: refuse a save made on a stale copy."""
    if expected is not None and current != expected:
        raise ConflictError(
            tr(
                "Someone else saved {what} while you were editing. Reload to see their "
                "changes, then make yours again"
            ).format(what=what)
        )
