"""Shared fixtures: a real encrypted database per test, an in-memory keyring,
cheap password hashing, and the staff accounts most tests act as."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from postgres_server import TEMPLATE, PostgresServer, find_postgres_bindir

from casebook.database import Database, create_database, open_database
from casebook.db import DatabaseLocation
from casebook.security import keystore, passwords
from casebook.security.memory_keyring import MemoryKeyring, installed_keyring
from casebook.security.permissions import Actor
from casebook.services import users

TEST_PASSWORD = "correct horse battery"

# The window tests' shared fixtures and helpers (tests/ui_support.py): a failed assert in
# them is explained as in a test. (The test modules import it before their pytest_plugins
# line could have it rewritten.)
pytest.register_assert_rewrite("ui_support")


@pytest.fixture(scope="session", autouse=True)
def _fast_hashing() -> Iterator[None]:
    previous = passwords.use_fast_hashing_for_tests()
    yield
    passwords.use_password_hasher(previous)


@pytest.fixture(scope="session", autouse=True)
def _collect_garbage_on_the_main_thread() -> Iterator[None]:
    """As the program does (``ui.tasks.GuiThreadCollector``): no cycle collection on
    worker threads, where it could destroy a widget; collect between tests instead."""
    import gc

    gc.disable()
    yield
    gc.enable()


_tests_run = [0]


@pytest.fixture(autouse=True)
def _collect_after_each_test() -> Iterator[None]:
    yield
    import gc

    # The young generation after every test (cheap), everything every 25 tests.
    _tests_run[0] += 1
    gc.collect(2 if _tests_run[0] % 25 == 0 else 0)


@pytest.fixture(autouse=True)
def _window_registries_restored() -> Iterator[None]:
    """Pages, workspace tabs and header flags registered by a test (``install_all``)
    are taken away after it, so each test sees the window it built and no other."""
    import sys

    if "ui.main_window" not in sys.modules:
        # Nothing registered yet; a test that imports the window gets it fresh.
        yield
        if "ui.main_window" in sys.modules:
            _clear_registries()
        return
    from ui import main_window, pages, workspace

    saved = (
        list(main_window.PAGES),
        list(workspace.WORKSPACE_TABS),
        list(workspace.FLAG_SOURCES),
        pages._installed,
    )
    yield
    main_window.PAGES[:] = saved[0]
    workspace.WORKSPACE_TABS[:] = saved[1]
    workspace.FLAG_SOURCES[:] = saved[2]
    pages._installed = saved[3]


def _clear_registries() -> None:
    # Back to what the modules register on import (the audit and staff pages only).
    from ui import main_window, pages, workspace

    main_window.PAGES[:] = [p for p in main_window.PAGES if p.key in ("audit", "staff")]
    workspace.WORKSPACE_TABS.clear()
    workspace.FLAG_SOURCES.clear()
    pages._installed = False


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


def create_staff(db: Database) -> Staff:
    """The accounts and teams most tests act as: two supervisors, their specialists."""
    with db.session() as s:
        users.create_first_admin(s, "admin", "Ada Admin", TEST_PASSWORD)
    admin = _actor(db, "admin")
    accounts = [
        ("supervisor", "Sam Supervisor", "supervisor", None),
        ("super2", "Sol Other", "supervisor", None),
        ("peer1", "Pat Peer", "specialist", "supervisor"),
        ("peer2", "Quinn Peer", "specialist", "supervisor"),
        ("outsider", "Oli Outside", "specialist", "super2"),
    ]
    with db.session() as s:
        for username, display, role, supervisor in accounts:
            users.create_user(
                s,
                admin,
                username=username,
                display_name=display,
                role=role,
                password=TEST_PASSWORD,
                supervisor=supervisor,
            )
    return Staff(
        admin,
        _actor(db, "supervisor"),
        _actor(db, "peer1"),
        _actor(db, "peer2"),
        _actor(db, "super2"),
        _actor(db, "outsider"),
    )


# ---------------------------------------------------------- fast per-test databases
#
# Running every migration for every test costs more than the tests themselves. Each
# finished database is made once per run (the empty schema, and the schema with the
# staff accounts), and every test gets its own copy: the closed, encrypted SQLite file
# copied (its key stored in the test's in-memory keyring), or on PostgreSQL a new
# database made with CREATE DATABASE ... TEMPLATE. Same real databases, a fraction of
# the cost.


class DatabaseTemplates:
    """Finished SQLite/SQLCipher files to copy, all under one explicit key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = keystore.generate_key()
        self._files: dict[str, Path] = {}
        self._staff: Staff | None = None

    def _make(self, name: str) -> Path:
        path = self.folder / f"{name}.db"
        database = create_database(DatabaseLocation(url="sqlite://", path=path), key_hex=self.key)
        try:
            if name == "staff":
                self._staff = create_staff(database)
        finally:
            database.close()
        assert not Path(f"{path}-wal").exists()  # fully checkpointed: safe to copy
        return path

    def copy(self, name: str, target: Path) -> Database:
        if name not in self._files:
            self._files[name] = self._make(name)
        shutil.copyfile(self._files[name], target)
        keystore.store_key(keystore.key_entry_name(target), self.key)
        return open_database(DatabaseLocation(url="sqlite://", path=target))

    @property
    def staff(self) -> Staff:
        assert self._staff is not None
        return self._staff


class PostgresTemplates:
    """The same two starting points as template databases on the throwaway server."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self._staff: Staff | None = None

    def _staff_template(self) -> str:
        name = f"{TEMPLATE}_staff"
        if self._staff is None:

            def populate(url: str) -> None:
                database = open_database(DatabaseLocation(url=url))
                try:
                    self._staff = create_staff(database)
                finally:
                    database.close()

            self.server.add_template(name, populate)
        return name

    @contextlib.contextmanager
    def copy(self, name: str) -> Iterator[Database]:
        template = self._staff_template() if name == "staff" else TEMPLATE
        with self.server.fresh_database(template) as url:
            database = open_database(DatabaseLocation(url=url))
            try:
                yield database
            finally:
                database.close()

    @property
    def staff(self) -> Staff:
        assert self._staff is not None
        return self._staff


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> DatabaseTemplates:
    return DatabaseTemplates(tmp_path_factory.mktemp("templates"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the whole run, or a skip where none can exist."""
    bindir = find_postgres_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_templates(postgres_server: PostgresServer) -> PostgresTemplates:
    return PostgresTemplates(postgres_server)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL (password included) of a fresh, empty database on the throwaway server."""
    with postgres_server.fresh_database(None) as url:
        yield url


@pytest.fixture
def db_engine(request: pytest.FixtureRequest) -> str:
    """Which engine ``db`` runs on: "sqlite" unless parametrised (see pytest_generate_tests)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def db(request: pytest.FixtureRequest, db_engine: str, db_path: Path) -> Iterator[Database]:
    """A fresh database for this test; with the staff accounts in it when the test
    also asks for ``staff``."""
    name = "staff" if "staff" in request.fixturenames else "empty"
    if db_engine == "postgres":
        pg: PostgresTemplates = request.getfixturevalue("postgres_templates")
        with pg.copy(name) as database:
            yield database
        return
    sqlite: DatabaseTemplates = request.getfixturevalue("templates")
    database = sqlite.copy(name, db_path)
    yield database
    database.close()


@pytest.fixture
def staff(request: pytest.FixtureRequest, db: Database, db_engine: str) -> Staff:
    if db_engine == "postgres":
        pg: PostgresTemplates = request.getfixturevalue("postgres_templates")
        return pg.staff
    sqlite: DatabaseTemplates = request.getfixturevalue("templates")
    return sqlite.staff


def fast_database_fixtures() -> tuple[Any, Any, Any]:
    """Kept for modules that import it: conftest's own fixtures are the fast ones now."""
    return templates, db, staff


# ------------------------------------------------------------------------------
# The service, migration and report tests run on both engines: every test in
# these modules that uses ``db`` runs once on SQLite/SQLCipher and once on the
# throwaway PostgreSQL server. Tests about SQLite itself (SQLCipher, the backup
# API, damaged files) carry ``@pytest.mark.sqlite_only``; tests elsewhere can
# opt in with ``@pytest.mark.both_engines``. In tests/test_postgres*.py, ``db`` is
# always a PostgreSQL database. CASEBOOK_TEST_EVERYTHING_ON_POSTGRES=1 repeats every
# test that uses ``db`` on PostgreSQL, the window's tests included (a manual sweep).

BOTH_ENGINE_MODULES = frozenset(
    {
        "test_assessments",
        "test_audit",
        "test_cli_reports",
        "test_concurrency",
        "test_consents",
        "test_counselors",
        "test_demo",
        "test_fhir",
        "test_login_hardening",
        "test_milestones",
        "test_note_search",
        "test_notes",
        "test_participant_csv",
        "test_participants",
        "test_permissions",
        "test_plans",
        "test_referrals",
        "test_schema",
        "test_today",
        "test_users",
    }
)


def _runs_on_both_engines(metafunc: pytest.Metafunc) -> bool:
    if metafunc.definition.get_closest_marker("sqlite_only"):
        return False
    if metafunc.definition.get_closest_marker("both_engines"):
        return True
    if os.environ.get("CASEBOOK_TEST_EVERYTHING_ON_POSTGRES") == "1":
        return True  # a manual sweep: the UI tests too (slow)
    module = metafunc.module.__name__.rpartition(".")[2]
    return module in BOTH_ENGINE_MODULES or module.startswith("test_reports")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: about SQLite itself; not repeated on PostgreSQL"
    )
    config.addinivalue_line(
        "markers", "both_engines: run on SQLite and on the throwaway PostgreSQL server"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db" not in metafunc.fixturenames:
        return
    postgres = pytest.param("postgres", marks=pytest.mark.postgres)
    if metafunc.module.__name__.rpartition(".")[2].startswith("test_postgres"):
        metafunc.parametrize("db_engine", [postgres], indirect=True)
    elif _runs_on_both_engines(metafunc):
        metafunc.parametrize("db_engine", ["sqlite", postgres], indirect=True)


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
