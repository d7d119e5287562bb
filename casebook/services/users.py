"""Staff accounts: creation, login, passwords, lockout."""

from __future__ import annotations

import functools
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.database import count_accounts
from casebook.errors import AuthenticationError, NotFound, PermissionDenied, ValidationError
from casebook.i18n import tr
from casebook.security import passwords
from casebook.security.permissions import Actor, actor_for, require_admin
from casebook.services.common import log
from models import StaffUser, utcnow
from models.codes import ROLES

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: str
    is_supervisor: bool
    supervisor_id: int | None
    supervisor_name: str | None
    active: bool
    locked: bool
    last_login_at: datetime | None


def _info(user: StaffUser, now: datetime | None = None) -> UserInfo:
    now = now or utcnow()
    return UserInfo(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        is_supervisor=user.is_supervisor or user.role == "supervisor",
        supervisor_id=user.supervisor_id,
        supervisor_name=user.supervisor.display_name if user.supervisor else None,
        active=user.active,
        locked=user.locked_until is not None and user.locked_until > now,
        last_login_at=user.last_login_at,
    )


@functools.cache
def _dummy_hash() -> str:
    return passwords.hash_password(secrets.token_hex(16))


def count_users(session: Session) -> int:
    return count_accounts(session)


def _by_username(session: Session, username: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()))


def _validate_new_user(
    session: Session,
    username: str,
    display_name: str,
    role: str,
    password: str,
    supervisor: str | None,
) -> tuple[str, str, StaffUser | None]:
    errors: dict[str, str] = {}
    username = username.strip().lower()
    display_name = display_name.strip() or username
    if not USERNAME_RE.match(username):
        errors["username"] = tr(
            "username '{u}' is not allowed; use 2–64 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        ).format(u=username[:70])
    elif _by_username(session, username) is not None:
        errors["username"] = tr("username '{u}' is already taken; choose another").format(
            u=username
        )
    if role not in ROLES:
        errors["role"] = tr("role '{r}' is unknown; use one of: {roles}").format(
            r=role, roles=", ".join(ROLES)
        )
    if len(display_name) > 200:
        errors["display_name"] = tr("display name is too long; keep it under 200 characters")
    try:
        passwords.check_password_rules(password, username=username, display_name=display_name)
    except ValidationError as exc:
        errors.update(exc.field_errors)
    sup: StaffUser | None = None
    if supervisor:
        sup = _by_username(session, supervisor)
        if sup is None:
            errors["supervisor"] = tr("supervisor '{s}' does not exist").format(s=supervisor)
        elif not (sup.role == "supervisor" or sup.is_supervisor):
            errors["supervisor"] = tr("'{s}' is not a supervisor").format(s=supervisor)
    if errors:
        raise ValidationError(errors)
    return username, display_name, sup


def create_first_admin(
    session: Session, username: str, display_name: str, password: str
) -> UserInfo:
    """First run: the very first account, always an administrator."""
    if count_users(session) > 0:
        raise PermissionDenied(tr("The first administrator already exists; sign in as them"))
    username, display_name, _ = _validate_new_user(
        session, username, display_name, "admin", password, None
    )
    user = StaffUser(
        username=username,
        display_name=display_name,
        role="admin",
        password_hash=passwords.hash_password(password),
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    log(
        session,
        actor_for(user),
        "user_create",
        entity_type="staff_user",
        entity_id=user.id,
        details={"username": username, "role": "admin", "first_run": True},
    )
    return _info(user)


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    supervisor: str | None = None,
    is_supervisor: bool = False,
    must_change_password: bool = False,
) -> UserInfo:
    """Create a staff account (administrators only)."""
    require_admin(actor, tr("create staff accounts"))
    username, display_name, sup = _validate_new_user(
        session, username, display_name, role, password, supervisor
    )
    user = StaffUser(
        username=username,
        display_name=display_name,
        role=role,
        is_supervisor=is_supervisor and role == "admin",
        supervisor_id=sup.id if sup else None,
        password_hash=passwords.hash_password(password),
        password_changed_at=utcnow(),
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    log(
        session,
        actor,
        "user_create",
        entity_type="staff_user",
        entity_id=user.id,
        details={"username": username, "role": role, "supervisor": supervisor or ""},
    )
    return _info(user)


def list_users(session: Session, actor: Actor, *, include_inactive: bool = True) -> list[UserInfo]:
    """Every account for administrators; the team for a supervisor; oneself otherwise."""
    stmt = select(StaffUser).order_by(StaffUser.display_name)
    if not actor.is_admin:
        if actor.supervises:
            stmt = stmt.where((StaffUser.supervisor_id == actor.id) | (StaffUser.id == actor.id))
        else:
            stmt = stmt.where(StaffUser.id == actor.id)
    if not include_inactive:
        stmt = stmt.where(StaffUser.active.is_(True))
    now = utcnow()
    return [_info(u, now) for u in session.scalars(stmt)]


def get_user(session: Session, actor: Actor, username: str) -> UserInfo:
    user = _by_username(session, username)
    if user is None:
        raise NotFound(tr("No staff account named '{u}'").format(u=username))
    if not (
        actor.is_admin
        or actor.id == user.id
        or (actor.supervises and user.supervisor_id == actor.id)
    ):
        raise PermissionDenied(tr("You cannot look up other staff accounts"))
    return _info(user)


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a sign-in attempt.

    A failed attempt must still be saved (counter, lockout, audit), so failure
    is returned rather than raised; ``raise_for_failure`` raises after commit.
    """

    actor: Actor | None
    message: str = ""
    must_change_password: bool = False

    def raise_for_failure(self) -> Actor:
        if self.actor is None:
            raise AuthenticationError(self.message)
        return self.actor


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> LoginOutcome:
    """Check a password, with a growing delay after failures and a lockout."""
    now = utcnow()
    user = _by_username(session, username)
    generic = tr("Wrong username or password")
    if user is None:
        # Spend the same time as a real check so usernames cannot be probed.
        passwords.verify_password(_dummy_hash(), password)
        typed = username.strip().lower()
        # People sometimes type their password into the username box: keep what was
        # typed only when it could be a username, so no password lands in the log.
        shown = typed if USERNAME_RE.match(typed) else "(not a username)"
        log(
            session,
            None,
            "login_failed",
            entity_type="staff_user",
            details={"username": shown, "reason": "unknown user"},
        )
        sleep(passwords.failed_login_delay(1))
        return LoginOutcome(None, generic)
    if user.locked_until is not None and user.locked_until <= now:
        # The lockout has run out: a fresh start, not one guess from the next lockout.
        user.locked_until = None
        user.failed_logins = 0
    if not user.active:
        # Only someone who knows the password learns that the account exists but is
        # deactivated; anyone else gets the same answer as for an unknown name.
        if not passwords.verify_password(user.password_hash, password):
            log(
                session,
                actor_for(user),
                "login_failed",
                entity_type="staff_user",
                entity_id=user.id,
                details={"reason": "account deactivated, wrong password"},
            )
            sleep(passwords.failed_login_delay(1))
            return LoginOutcome(None, generic)
        log(
            session,
            actor_for(user),
            "login_failed",
            entity_type="staff_user",
            entity_id=user.id,
            details={"reason": "account deactivated"},
        )
        return LoginOutcome(None, tr("This account is deactivated; ask an administrator"))
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        log(
            session,
            actor_for(user),
            "login_failed",
            entity_type="staff_user",
            entity_id=user.id,
            details={"reason": "locked"},
        )
        return LoginOutcome(
            None,
            tr(
                "Too many wrong passwords: the account is locked for "
                "{m} more minutes, or until an administrator resets "
                "it"
            ).format(m=minutes),
        )
    if not passwords.verify_password(user.password_hash, password):
        user.failed_logins += 1
        user.last_failed_login_at = now
        details: dict[str, object] = {"reason": "wrong password", "failures": user.failed_logins}
        message = generic
        if user.failed_logins >= passwords.LOCKOUT_THRESHOLD:
            user.locked_until = now + timedelta(minutes=passwords.LOCKOUT_MINUTES)
            details["locked_until"] = user.locked_until.isoformat()
            message = tr("Too many wrong passwords: the account is locked for {m} minutes").format(
                m=passwords.LOCKOUT_MINUTES
            )
        log(
            session,
            actor_for(user),
            "login_failed",
            entity_type="staff_user",
            entity_id=user.id,
            details=details,
        )
        sleep(passwords.failed_login_delay(user.failed_logins))
        return LoginOutcome(None, message)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    actor = actor_for(user)
    log(session, actor, "login", entity_type="staff_user", entity_id=user.id)
    return LoginOutcome(actor, must_change_password=user.must_change_password)


def change_password(session: Session, actor: Actor, old_password: str, new_password: str) -> None:
    user = session.get(StaffUser, actor.id)
    if user is None:
        raise NotFound(tr("Your account no longer exists"))
    if not passwords.verify_password(user.password_hash, old_password):
        raise ValidationError({"current_password": tr("current password is wrong")})
    if new_password == old_password:
        raise ValidationError({"password": tr("the new password must differ from the current one")})
    passwords.check_password_rules(
        new_password, username=user.username, display_name=user.display_name
    )
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    log(session, actor, "password_change", entity_type="staff_user", entity_id=user.id)


def reset_password(session: Session, actor: Actor, username: str, new_password: str) -> None:
    """Administrator reset: sets a temporary password and clears a lockout."""
    require_admin(actor, tr("reset passwords"))
    user = _by_username(session, username)
    if user is None:
        raise NotFound(tr("No staff account named '{u}'").format(u=username))
    passwords.check_password_rules(
        new_password, username=user.username, display_name=user.display_name
    )
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = user.id != actor.id
    user.failed_logins = 0
    user.locked_until = None
    log(session, actor, "password_reset", entity_type="staff_user", entity_id=user.id)


def set_active(session: Session, actor: Actor, username: str, active: bool) -> UserInfo:
    require_admin(actor, tr("activate or deactivate accounts"))
    user = _by_username(session, username)
    if user is None:
        raise NotFound(tr("No staff account named '{u}'").format(u=username))
    if user.id == actor.id and not active:
        raise ValidationError({"active": tr("you cannot deactivate your own account")})
    user.active = active
    log(
        session,
        actor,
        "user_update",
        entity_type="staff_user",
        entity_id=user.id,
        details={"active": active},
    )
    return _info(user)


def set_supervisor(
    session: Session, actor: Actor, username: str, supervisor: str | None
) -> UserInfo:
    require_admin(actor, tr("change teams"))
    user = _by_username(session, username)
    if user is None:
        raise NotFound(tr("No staff account named '{u}'").format(u=username))
    sup = None
    if supervisor:
        sup = _by_username(session, supervisor)
        if sup is None or not (sup.role == "supervisor" or sup.is_supervisor):
            raise ValidationError(
                {"supervisor": tr("'{s}' is not a supervisor").format(s=supervisor)}
            )
    user.supervisor_id = sup.id if sup else None
    log(
        session,
        actor,
        "user_update",
        entity_type="staff_user",
        entity_id=user.id,
        details={"supervisor": supervisor or ""},
    )
    return _info(user)
