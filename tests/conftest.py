"""Shared fixtures: a real encrypted database per test, an in-memory keyring,
cheap password hashing, and the staff accounts most tests act as."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from casebook.database import Database, create_database
from casebook.db import DatabaseLocation
from casebook.security import passwords
from casebook.security.memory_keyring import MemoryKeyring, installed_keyring
from casebook.security.permissions import Actor
from casebook.services import users

TEST_PASSWORD = "correct horse battery"


@pytest.fixture(scope="session", autouse=True)
def _fast_hashing() -> Iterator[None]:
    previous = passwords.use_fast_hashing_for_tests()
    yield
    passwords.use_password_hasher(previous)


@pytest.fixture(autouse=True)
def memory_keyring(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MemoryKeyring | None]:
    """Every test gets an empty in-memory keyring, except real-keyring tests."""
    monkeypatch.delenv("CASEBOOK_DB_KEY", raising=False)
    monkeypatch.delenv("CASEBOOK_DB", raising=False)
    monkeypatch.delenv("CASEBOOK_PASSWORD", raising=False)
    if request.node.get_closest_marker("real_keyring"):
        yield None
        return
    backend = MemoryKeyring()
    with installed_keyring(backend):
        yield backend


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "casebook.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = create_database(DatabaseLocation(url="sqlite://", path=db_path))
    yield database
    database.close()


@dataclass(frozen=True)
class Staff:
    admin: Actor
    supervisor: Actor
    peer1: Actor
    peer2: Actor
    other_supervisor: Actor
    outsider: Actor  # a specialist on the other supervisor's team


def _actor(db: Database, username: str) -> Actor:
    with db.session() as s:
        return users.authenticate(
            s, username, TEST_PASSWORD, sleep=lambda _: None
        ).raise_for_failure()


@pytest.fixture
def staff(db: Database) -> Staff:
    with db.session() as s:
        users.create_first_admin(s, "admin", "Ada Admin", TEST_PASSWORD)
    admin = _actor(db, "admin")
    with db.session() as s:
        users.create_user(
            s,
            admin,
            username="supervisor",
            display_name="Sam Supervisor",
            role="supervisor",
            password=TEST_PASSWORD,
        )
        users.create_user(
            s,
            admin,
            username="super2",
            display_name="Sol Other",
            role="supervisor",
            password=TEST_PASSWORD,
        )
        users.create_user(
            s,
            admin,
            username="peer1",
            display_name="Pat Peer",
            role="specialist",
            password=TEST_PASSWORD,
            supervisor="supervisor",
        )
        users.create_user(
            s,
            admin,
            username="peer2",
            display_name="Quinn Peer",
            role="specialist",
            password=TEST_PASSWORD,
            supervisor="supervisor",
        )
        users.create_user(
            s,
            admin,
            username="outsider",
            display_name="Oli Outside",
            role="specialist",
            password=TEST_PASSWORD,
            supervisor="super2",
        )
    return Staff(
        admin,
        _actor(db, "supervisor"),
        _actor(db, "peer1"),
        _actor(db, "peer2"),
        _actor(db, "super2"),
        _actor(db, "outsider"),
    )


# ------------------------------------------------------------------------------
# CI refuses a run where the tests of a real part were skipped: a green run that
# never talked to the real keyring (or server) proves nothing about it.

_REQUIRED = {
    "real_keyring": "CASEBOOK_REQUIRE_REAL_KEYRING",
    "postgres": "CASEBOOK_REQUIRE_POSTGRES",
}
_outcomes: dict[str, dict[str, int]] = {m: {"passed": 0, "skipped": 0} for m in _REQUIRED}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for marker in _REQUIRED:
        if marker not in report.keywords:
            continue
        if report.skipped:
            _outcomes[marker]["skipped"] += 1
        elif report.when == "call" and report.passed:
            _outcomes[marker]["passed"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    problems = []
    for marker, env in _REQUIRED.items():
        if os.environ.get(env) != "1":
            continue
        seen = _outcomes[marker]
        if seen["skipped"] or not seen["passed"]:
            problems.append(
                f"{marker}: {seen['passed']} passed, {seen['skipped']} skipped "
                f"({env}=1 requires them all to run)"
            )
    if (
        problems
        and session.config.option.collectonly is False
        and not session.config.option.keyword
    ):
        print("\n" + "\n".join(problems))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
