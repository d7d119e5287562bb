"""Sign-in details that keep passwords and account names from leaking."""

from __future__ import annotations

from datetime import timedelta

from conftest import TEST_PASSWORD, Staff
from sqlalchemy import select, update

from casebook.database import Database
from casebook.security import passwords
from casebook.services import audit_log, users
from models import StaffUser, utcnow


def _login(db: Database, username: str, password: str) -> users.LoginOutcome:
    with db.session() as s:
        return users.authenticate(s, username, password, sleep=lambda _: None)


def test_a_password_typed_as_the_username_is_not_kept_in_the_audit_log(
    db: Database, staff: Staff
) -> None:
    secret = "My Secret Phrase 42!"
    assert _login(db, secret, "anything").actor is None
    with db.session() as s:
        events = audit_log.query_audit(s, staff.admin, action="login_failed")
    assert events
    assert all(secret.lower() not in (e.details or "").lower() for e in events)


def test_a_deactivated_account_is_named_only_to_someone_with_its_password(
    db: Database, staff: Staff
) -> None:
    with db.session() as s:
        users.set_active(s, staff.admin, "peer2", False)
    wrong = _login(db, "peer2", "not the password at all")
    unknown = _login(db, "nobody-here", "not the password at all")
    assert wrong.actor is None and wrong.message == unknown.message
    right = _login(db, "peer2", TEST_PASSWORD)
    assert right.actor is None and "deactivated" in right.message


def test_after_a_lockout_runs_out_one_mistake_does_not_lock_again(
    db: Database, staff: Staff
) -> None:
    for _ in range(passwords.LOCKOUT_THRESHOLD):
        _login(db, "peer1", "wrong wrong wrong")
    assert "locked" in _login(db, "peer1", TEST_PASSWORD).message
    with db.session() as s:
        s.execute(
            update(StaffUser)
            .where(StaffUser.username == "peer1")
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    assert "locked" not in _login(db, "peer1", "one more typo").message
    with db.session() as s:
        failures = s.scalar(select(StaffUser.failed_logins).where(StaffUser.username == "peer1"))
    assert failures == 1
    assert _login(db, "peer1", TEST_PASSWORD).actor is not None
