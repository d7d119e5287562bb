"""Staff accounts: the first administrator, who may create accounts, sign-in with its
delay, lockout and audit, rehashing, password change and reset, deactivation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from conftest import TEST_PASSWORD, Staff
from sqlalchemy import select
from test_db import fast_database_fixtures

from casebook.database import Database
from casebook.errors import PermissionDenied, ValidationError
from casebook.security import passwords
from casebook.security.permissions import Actor
from casebook.services import users
from models import AuditEvent, StaffUser

templates, db, staff = fast_database_fixtures()

NEW_PASSWORD = "violet kettle on the stove"


class Sleeps:
    """A recording stand-in for time.sleep: the delay is asked for, the test does not wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def _login(
    db: Database, username: str, password: str, sleep: Sleeps | None = None
) -> users.LoginOutcome:
    with db.session() as s:
        return users.authenticate(s, username, password, sleep=sleep or Sleeps())


def _user(db: Database, username: str) -> StaffUser:
    with db.session(read_only=True) as s:
        user = s.scalar(select(StaffUser).where(StaffUser.username == username))
        assert user is not None
        return user


def _events(db: Database, action: str) -> list[AuditEvent]:
    with db.session(read_only=True) as s:
        return list(
            s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        )


def _create(
    db: Database, actor: Actor, username: str, role: str = "specialist", **kw: object
) -> users.UserInfo:
    with db.session() as s:
        return users.create_user(
            s,
            actor,
            username=username,
            display_name=str(kw.pop("display_name", "")),
            role=role,
            password=str(kw.pop("password", TEST_PASSWORD)),
            **kw,  # type: ignore[arg-type]
        )


# ------------------------------------------------------------------ creating accounts


def test_first_admin_only_once(db: Database) -> None:
    with db.session() as s:
        assert users.count_users(s) == 0
        info = users.create_first_admin(s, " Ada ", "Ada Admin", TEST_PASSWORD)
    assert info.username == "ada" and info.role == "admin"
    with pytest.raises(PermissionDenied) as refused, db.session() as s:
        users.create_first_admin(s, "mallory", "Mallory", TEST_PASSWORD)
    assert "already exists" in str(refused.value)
    with db.session(read_only=True) as s:
        assert users.count_users(s) == 1
    created = _events(db, "user_create")
    assert len(created) == 1 and created[0].entity_id == info.id
    assert TEST_PASSWORD not in created[0].details


def test_admin_creates_accounts_with_teams(db: Database, staff: Staff) -> None:
    info = _create(db, staff.admin, "robin", display_name="Robin Peer", supervisor="supervisor")
    assert info.role == "specialist"
    assert info.supervisor_id == staff.supervisor.id
    assert info.supervisor_name == "Sam Supervisor"
    assert info.active and not info.locked
    assert _login(db, "robin", TEST_PASSWORD).actor is not None
    with db.session(read_only=True) as s:
        team = {u.username for u in users.list_users(s, staff.supervisor)}
    assert team == {"supervisor", "peer1", "peer2", "robin"}


@pytest.mark.parametrize("who", ["peer1", "supervisor"])
def test_specialists_and_supervisors_cannot_create_accounts(
    db: Database, staff: Staff, who: str
) -> None:
    actor = getattr(staff, who)
    with pytest.raises(PermissionDenied) as refused:
        _create(db, actor, "sneaky")
    assert "Only an administrator" in str(refused.value)
    with db.session(read_only=True) as s:
        assert s.scalar(select(StaffUser).where(StaffUser.username == "sneaky")) is None


def test_usernames_are_normalised(db: Database, staff: Staff) -> None:
    info = _create(db, staff.admin, "  Maria.Lopez-2 ")
    assert info.username == "maria.lopez-2"
    assert info.display_name == "maria.lopez-2"  # falls back to the username
    # Signing in is case-insensitive too.
    assert _login(db, "MARIA.LOPEZ-2", TEST_PASSWORD).actor is not None


@pytest.mark.parametrize(
    ("username", "words"),
    [
        ("a", "not allowed"),
        ("_leading", "not allowed"),
        ("has space", "not allowed"),
        ("semi;colon", "not allowed"),
        ("x" * 65, "not allowed"),
        ("zoë", "not allowed"),
        ("peer1", "already taken"),
        ("PEER1", "already taken"),
    ],
)
def test_usernames_are_validated_with_messages(
    db: Database, staff: Staff, username: str, words: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _create(db, staff.admin, username)
    assert words in refused.value.field_errors["username"]


def test_every_bad_field_is_named_at_once(db: Database, staff: Staff) -> None:
    with pytest.raises(ValidationError) as refused:
        _create(db, staff.admin, "ok-name", role="boss", password="short", supervisor="nobody")
    errors = refused.value.field_errors
    assert set(errors) == {"role", "password", "supervisor"}
    assert "boss" in errors["role"]
    assert "12 characters" in errors["password"]
    assert "nobody" in errors["supervisor"]


def test_a_supervisor_must_be_a_supervisor(db: Database, staff: Staff) -> None:
    with pytest.raises(ValidationError) as refused:
        _create(db, staff.admin, "newpeer", supervisor="peer1")
    assert "not a supervisor" in refused.value.field_errors["supervisor"]


# ---------------------------------------------------------------------------- sign-in


def test_login_success_is_audited(db: Database, staff: Staff) -> None:
    before = len(_events(db, "login"))
    outcome = _login(db, "peer1", TEST_PASSWORD)
    actor = outcome.raise_for_failure()
    assert actor.id == staff.peer1.id and actor.role == "specialist"
    assert not outcome.must_change_password
    logins = _events(db, "login")
    assert len(logins) == before + 1
    assert logins[-1].user_id == staff.peer1.id
    assert logins[-1].username == "peer1"
    assert logins[-1].entity_id == staff.peer1.id
    assert _user(db, "peer1").last_login_at is not None


def test_wrong_password_is_audited_counted_and_delayed(db: Database, staff: Staff) -> None:
    sleeps = Sleeps()
    first = _login(db, "peer1", "not my password at all", sleeps)
    second = _login(db, "peer1", "still not my password", sleeps)
    assert first.actor is None and second.actor is None
    assert first.message == "Wrong username or password"
    assert _user(db, "peer1").failed_logins == 2
    assert sleeps.calls == [passwords.failed_login_delay(1), passwords.failed_login_delay(2)]
    assert sleeps.calls[1] > 0  # the second failure in a row is slowed down
    failed = _events(db, "login_failed")
    assert [e.user_id for e in failed] == [staff.peer1.id, staff.peer1.id]
    assert "wrong password" in failed[0].details
    assert "not my password" not in failed[0].details  # never the attempted password
    # A success resets the counter.
    assert _login(db, "peer1", TEST_PASSWORD).actor is not None
    assert _user(db, "peer1").failed_logins == 0


def test_lockout_after_repeated_failures(db: Database, staff: Staff) -> None:
    sleeps = Sleeps()
    outcomes = [
        _login(db, "peer2", f"wrong guess number {i}", sleeps)
        for i in range(passwords.LOCKOUT_THRESHOLD)
    ]
    assert all(o.actor is None for o in outcomes)
    assert "locked" not in outcomes[-2].message
    assert "locked" in outcomes[-1].message
    assert str(passwords.LOCKOUT_MINUTES) in outcomes[-1].message
    assert len(sleeps.calls) == passwords.LOCKOUT_THRESHOLD
    assert max(sleeps.calls) <= passwords.LOGIN_DELAY_SECONDS

    # The right password does not get through while locked.
    still = _login(db, "peer2", TEST_PASSWORD)
    assert still.actor is None
    assert "locked" in still.message
    with db.session(read_only=True) as s:
        info = users.get_user(s, staff.admin, "peer2")
    assert info.locked

    # An administrator's reset clears the lockout and forces a new password.
    with db.session() as s:
        users.reset_password(s, staff.admin, "peer2", NEW_PASSWORD)
    user = _user(db, "peer2")
    assert user.failed_logins == 0 and user.locked_until is None
    assert user.must_change_password
    assert _login(db, "peer2", TEST_PASSWORD).actor is None  # the old one is gone
    after = _login(db, "peer2", NEW_PASSWORD)
    assert after.actor is not None
    assert after.must_change_password
    assert [e.entity_id for e in _events(db, "password_reset")] == [staff.peer2.id]


def test_only_an_admin_resets_passwords(db: Database, staff: Staff) -> None:
    with pytest.raises(PermissionDenied), db.session() as s:
        users.reset_password(s, staff.supervisor, "peer1", NEW_PASSWORD)
    assert _login(db, "peer1", TEST_PASSWORD).actor is not None


def test_unknown_user_gets_the_same_message_as_a_wrong_password(db: Database, staff: Staff) -> None:
    sleeps = Sleeps()
    unknown = _login(db, "nobody-here", TEST_PASSWORD, sleeps)
    wrong = _login(db, "peer1", "definitely wrong password")
    assert unknown.actor is None
    assert unknown.message == wrong.message
    assert len(sleeps.calls) == 1
    failed = _events(db, "login_failed")
    assert failed[0].user_id is None
    assert "nobody-here" in failed[0].details


def test_deactivated_account_cannot_log_in(db: Database, staff: Staff) -> None:
    with db.session() as s:
        info = users.set_active(s, staff.admin, "peer1", False)
    assert not info.active
    outcome = _login(db, "peer1", TEST_PASSWORD)
    assert outcome.actor is None
    assert "deactivated" in outcome.message
    with pytest.raises(ValidationError), db.session() as s:
        users.set_active(s, staff.admin, "admin", False)  # not oneself
    with db.session() as s:
        users.set_active(s, staff.admin, "peer1", True)
    assert _login(db, "peer1", TEST_PASSWORD).actor is not None


@pytest.fixture
def restore_hasher() -> Iterator[None]:
    # use_password_hasher returns the hasher it replaces: read it, put it straight back.
    previous = passwords.use_password_hasher(PasswordHasher())
    passwords.use_password_hasher(previous)
    yield
    passwords.use_password_hasher(previous)


def test_rehash_on_login_when_parameters_change(
    db: Database, staff: Staff, restore_hasher: None
) -> None:
    old_hash = _user(db, "peer1").password_hash
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    passwords.use_password_hasher(stronger)
    assert passwords.needs_rehash(old_hash)
    assert _login(db, "peer1", TEST_PASSWORD).actor is not None
    new_hash = _user(db, "peer1").password_hash
    assert new_hash != old_hash
    assert "t=2" in new_hash and "m=16" in new_hash
    assert not passwords.needs_rehash(new_hash)
    assert passwords.verify_password(new_hash, TEST_PASSWORD)
    # And logging in again does not rehash once more.
    assert _login(db, "peer1", TEST_PASSWORD).actor is not None
    assert _user(db, "peer1").password_hash == new_hash


def test_failed_login_does_not_rehash(db: Database, staff: Staff, restore_hasher: None) -> None:
    old_hash = _user(db, "peer1").password_hash
    passwords.use_password_hasher(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    assert _login(db, "peer1", "wrong wrong wrong wrong").actor is None
    assert _user(db, "peer1").password_hash == old_hash


# -------------------------------------------------------------------- password change


def test_change_password_checks_the_current_one(db: Database, staff: Staff) -> None:
    with pytest.raises(ValidationError) as wrong, db.session() as s:
        users.change_password(s, staff.peer1, "not the current one", NEW_PASSWORD)
    assert "current_password" in wrong.value.field_errors
    assert _login(db, "peer1", TEST_PASSWORD).actor is not None


@pytest.mark.parametrize(
    ("new", "words"),
    [
        (TEST_PASSWORD, "differ"),
        ("short", "12 characters"),
        ("password2024!", "commonly used"),
        ("peer1peer1peer1", "username"),
        ("Pat Peer Pat Peer", "own name"),
    ],
)
def test_change_password_applies_the_rules(
    db: Database, staff: Staff, new: str, words: str
) -> None:
    with pytest.raises(ValidationError) as refused, db.session() as s:
        users.change_password(s, staff.peer1, TEST_PASSWORD, new)
    assert words in refused.value.message
    assert _login(db, "peer1", TEST_PASSWORD).actor is not None


def test_change_password_works_and_is_audited(db: Database, staff: Staff) -> None:
    with db.session() as s:
        users.reset_password(s, staff.admin, "peer1", NEW_PASSWORD)
    assert _user(db, "peer1").must_change_password
    with db.session() as s:
        users.change_password(s, staff.peer1, NEW_PASSWORD, "harbour gulls at noon")
    user = _user(db, "peer1")
    assert not user.must_change_password
    assert _login(db, "peer1", NEW_PASSWORD).actor is None
    assert _login(db, "peer1", "harbour gulls at noon").actor is not None
    changes = _events(db, "password_change")
    assert [e.user_id for e in changes] == [staff.peer1.id]
    assert "harbour" not in changes[0].details


def test_account_lookups_follow_roles(db: Database, staff: Staff) -> None:
    with db.session(read_only=True) as s:
        assert {u.username for u in users.list_users(s, staff.peer1)} == {"peer1"}
        assert len(users.list_users(s, staff.admin)) == 6
        assert users.get_user(s, staff.supervisor, "peer2").username == "peer2"
    with pytest.raises(PermissionDenied), db.session(read_only=True) as s:
        users.get_user(s, staff.peer1, "peer2")
    with pytest.raises(PermissionDenied), db.session(read_only=True) as s:
        users.get_user(s, staff.supervisor, "outsider")
