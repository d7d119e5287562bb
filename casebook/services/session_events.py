"""Audit events of the window's session: lock, unlock, sign-out, switch user.

Sign-in itself is audited by ``users.authenticate``; these are the events
around it that the security model asks for (DESIGN.md "Audit": logout/lock).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.errors import NotFound, PermissionDenied
from casebook.i18n import tr
from casebook.security.permissions import Actor
from casebook.services import users
from casebook.services.common import log
from models import Participant

LOCK_REASONS = ("manual", "idle")


def lock_session(session: Session, actor: Actor, *, reason: str = "manual") -> None:
    """Record that *actor*'s window was locked (by them, or after idle minutes)."""
    if reason not in LOCK_REASONS:
        reason = "manual"
    log(
        session,
        actor,
        "lock",
        entity_type="staff_user",
        entity_id=actor.id,
        details={"reason": reason},
    )


def unlock_session(
    session: Session,
    actor: Actor,
    password: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> users.LoginOutcome:
    """Check *actor*'s own password to unlock their window.

    It is a sign-in like any other (failed attempts count towards the lockout,
    with the same delay), so it goes through ``users.authenticate``; a success
    is recorded as "unlock" as well. Like ``authenticate``, a failure is returned,
    not raised, so that the failed attempt is saved.
    """
    outcome = users.authenticate(session, actor.username, password, sleep=sleep)
    if outcome.actor is not None:
        log(session, outcome.actor, "unlock", entity_type="staff_user", entity_id=actor.id)
    return outcome


def sign_out(session: Session, actor: Actor, *, switched_to: str = "") -> None:
    """Record that *actor* signed out (or that another user switched in)."""
    details: dict[str, object] = {"switched_to": switched_to} if switched_to else {}
    log(
        session,
        actor,
        "logout",
        entity_type="staff_user",
        entity_id=actor.id,
        details=details,
    )


def participant_for_audit(session: Session, actor: Actor, record_number: str) -> int:
    """The participant id behind *record_number*, for filtering the audit log.

    Only supervisors and administrators may read the audit log; naming which
    record a number belongs to reveals no clinical content, so this is not
    audited as a view. ``audit_log.query_audit`` still limits what is shown.
    """
    if not (actor.is_admin or actor.supervises):
        raise PermissionDenied(tr("Only supervisors and administrators can read the audit log"))
    number = record_number.strip()
    pid = session.scalar(select(Participant.id).where(Participant.record_number == number))
    if pid is None:
        raise NotFound(tr("No participant with record number {n}").format(n=number[:40]))
    return int(pid)
