"""The storage layer: SQLite settings on every connection, write transactions that
queue instead of failing, units of work that never leave half a change, and the
--db value turned into a location (or one clear error)."""

from __future__ import annotations

import importlib.util
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DatabaseTemplates as DatabaseTemplates
from conftest import Staff, fast_database_fixtures
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from casebook.database import Database
from casebook.db import (
    BUSY_TIMEOUT_MS,
    DatabaseLocation,
    check_file_header,
    default_database_path,
    make_engine,
    resolve_location,
    session_scope,
)
from casebook.errors import DatabaseError, PermissionDenied
from casebook.security import audit
from casebook.services import participants as P
from models import AuditEvent, ClinicSetting, Participant

# The fast per-test database fixtures (a copy of a finished database per test, on
# SQLite or PostgreSQL) live in conftest.py; these names stay importable from here.
templates, db, staff = fast_database_fixtures()


def raw_connection(path: Path, key_hex: str, *, timeout: float = 0.0) -> Any:
    """A plain sqlcipher3 connection opened with the key, outside SQLAlchemy."""
    from sqlcipher3 import dbapi2

    conn = dbapi2.connect(str(path), isolation_level=None, timeout=timeout)
    conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
    conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


def _fields(name: str = "Alex Example", number: str = "") -> P.ParticipantFields:
    return P.parse_participant_fields(
        {
            "legal_name": name,
            "date_of_birth": "1990-01-02",
            "intake_date": "2025-01-10",
            "record_number": number,
        }
    )


def _count(db: Database, model: type[Any]) -> int:
    with db.session(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.strip().upper())

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


# --------------------------------------------------------------------- SQLite settings


def test_storage_settings_are_applied_on_every_connection(db: Database) -> None:
    # Several connections at once (the pool hands out distinct ones), then a fresh pool.
    # Deferred, so the three reads do not queue behind each other's write lock.
    conns = [db.engine.connect().execution_options(sqlite_begin="DEFERRED") for _ in range(3)]
    try:
        for conn in conns:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS
        assert BUSY_TIMEOUT_MS >= 5000
    finally:
        for conn in conns:
            conn.close()
    db.engine.dispose()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError), db.session() as s:
        s.execute(
            text(
                "INSERT INTO case_assignment (participant_id, specialist_id, start_date, "
                "created_at) VALUES (999, 999, '2025-01-01', '2025-01-01 00:00:00')"
            )
        )


def test_an_encrypted_file_needs_its_key(db_path: Path) -> None:
    with pytest.raises(DatabaseError, match="key"):
        make_engine(DatabaseLocation(url="sqlite://", path=db_path))


# --------------------------------------------------------------------- transactions


def test_write_units_begin_immediate_and_read_units_deferred(
    db: Database, statements: list[str]
) -> None:
    with db.session() as s:
        s.execute(select(1))
    with db.session(read_only=True) as s:
        s.execute(select(1))
    begins = [sql for sql in statements if sql.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE", "BEGIN DEFERRED"]


def test_a_write_unit_holds_the_write_lock_from_its_start(db: Database) -> None:
    from sqlcipher3 import dbapi2

    assert db.location.path is not None and db.key_hex is not None
    other = raw_connection(db.location.path, db.key_hex, timeout=0)
    try:
        with db.session() as s:
            s.execute(select(1))  # nothing written yet, but the transaction has begun
            with pytest.raises(dbapi2.OperationalError) as info:
                other.execute("BEGIN IMMEDIATE")
            assert "locked" in str(info.value)
        # Once the unit of work ended, the other writer gets in.
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_concurrent_writers_both_succeed_without_lost_updates(db: Database) -> None:
    with db.session() as s:
        s.add(ClinicSetting(key="counter", value="0"))
    rounds = 20
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        for _ in range(rounds):
            try:
                # Read, then write: with a deferred BEGIN the second writer would fail
                # with "database is locked" or overwrite the first one's increment.
                with session_scope(db.factory) as s:
                    row = s.get(ClinicSetting, "counter")
                    assert row is not None
                    row.value = str(int(row.value) + 1)
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with db.session(read_only=True) as s:
        row = s.get(ClinicSetting, "counter")
        assert row is not None and row.value == str(2 * rounds)


def test_a_reader_does_not_block_a_writer_and_keeps_its_snapshot(
    db: Database, staff: Staff
) -> None:
    with db.session(read_only=True) as reader:
        before = reader.scalar(select(func.count()).select_from(Participant))
        # A writer on another connection commits while the read is still open.
        with db.session() as writer:
            P.create_participant(writer, staff.peer1, _fields())
        assert reader.scalar(select(func.count()).select_from(Participant)) == before
    assert _count(db, Participant) == (before or 0) + 1


def test_a_writer_does_not_block_a_reader(db: Database, staff: Staff) -> None:
    with db.session() as writer:
        P.create_participant(writer, staff.peer1, _fields())
        writer.flush()
        with db.session(read_only=True) as reader:
            # Not yet committed: invisible, and the read did not wait for the lock.
            assert reader.scalar(select(func.count()).select_from(Participant)) == 0
    assert _count(db, Participant) == 1


# -------------------------------------------------------------------- units of work


def test_session_scope_rolls_back_everything_on_error(db: Database, staff: Staff) -> None:
    audit_before = _count(db, AuditEvent)
    with pytest.raises(RuntimeError), db.session() as s:
        P.create_participant(s, staff.peer1, _fields("First Person"))
        s.flush()
        raise RuntimeError("power cut")
    assert _count(db, Participant) == 0
    assert _count(db, AuditEvent) == audit_before


def test_a_database_error_half_way_leaves_nothing_written(db: Database, staff: Staff) -> None:
    with db.session() as s:
        P.create_participant(s, staff.peer1, _fields("Existing", "R-1"))
    with pytest.raises(IntegrityError), db.session() as s:
        P.create_participant(s, staff.peer1, _fields("New One", "R-2"))
        s.add(
            Participant(
                record_number="R-1",  # duplicate, bypassing the service check
                legal_name="Duplicate",
                date_of_birth=_fields().date_of_birth,
                intake_date=_fields().intake_date,
            )
        )
        s.flush()
    with db.session(read_only=True) as s:
        assert s.scalars(select(Participant.legal_name)).all() == ["Existing"]


def test_refusal_inside_a_unit_of_work_is_audited_after_rollback(
    db: Database, staff: Staff
) -> None:
    with db.session() as s:
        theirs = P.create_participant(s, staff.peer1, _fields("Peer One Person")).id
    with pytest.raises(PermissionDenied), db.session() as s:
        # Some work first, then a refused read in the same unit of work.
        P.create_participant(s, staff.outsider, _fields("Outsider Person"))
        s.flush()
        P.get_participant(s, staff.outsider, theirs)
    # A refused read in a read-only unit of work is recorded just the same.
    with pytest.raises(PermissionDenied), db.session(read_only=True) as s:
        P.recovery_start_history(s, staff.peer2, theirs)
    with db.session(read_only=True) as s:
        names = s.scalars(select(Participant.legal_name)).all()
        denied = s.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
        chain = audit.verify_chain(s)
    assert names == ["Peer One Person"]  # the outsider's intake was rolled back
    assert [(d.user_id, d.participant_id) for d in denied] == [
        (staff.outsider.id, theirs),
        (staff.peer2.id, theirs),
    ]
    assert chain.ok


# ------------------------------------------------------------------ resolve_location


def test_resolve_location_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    rel = resolve_location("clinic.db")
    assert rel.path == tmp_path / "clinic.db"
    assert rel.is_file and rel.dialect == "sqlite"
    home = resolve_location("~/data/clinic.db")
    assert home.path == tmp_path / "home" / "data" / "clinic.db"
    assert resolve_location(str(tmp_path / "abs.db")).path == tmp_path / "abs.db"


def test_resolve_location_sqlite_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_location("sqlite:///rel.db").path == tmp_path / "rel.db"
    assert resolve_location(f"sqlite:///{tmp_path}/abs.db").path == tmp_path / "abs.db"
    with pytest.raises(DatabaseError, match="needs a file path"):
        resolve_location("sqlite://")


def test_resolve_location_server_url_keeps_the_password_out_of_messages() -> None:
    loc = resolve_location("postgresql+psycopg://clinic:s3cret-pw@db.example.org/casebook")
    assert loc.path is None and not loc.is_file
    assert loc.dialect == "postgresql"
    assert loc.url == "postgresql+psycopg://clinic:s3cret-pw@db.example.org/casebook"
    assert "s3cret-pw" not in loc.describe()
    assert "db.example.org" in loc.describe()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("mysql://x", "mysql databases are not supported"),
        ("://", "not a valid database URL"),
        ("://nothing", "not a valid database URL"),
        ("http://example.org/db", "not supported"),
        # A port that is not a number: make_url raises ValueError, not ArgumentError.
        ("postgresql://clinic@db.example.org:port/casebook", "not a valid database URL"),
    ],
)
def test_resolve_location_refuses_garbage_urls(value: str, words: str) -> None:
    with pytest.raises(DatabaseError) as info:
        resolve_location(value)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_resolve_location_environment_and_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEBOOK_DB", str(tmp_path / "from-env.db"))
    assert resolve_location(None).path == tmp_path / "from-env.db"
    # An explicit --db wins over the environment.
    assert resolve_location(str(tmp_path / "arg.db")).path == tmp_path / "arg.db"
    monkeypatch.delenv("CASEBOOK_DB")
    default = resolve_location(None)
    assert default.path == default_database_path()
    assert default.path is not None and default.path.name == "casebook.db"


def test_a_server_driver_error_never_shows_the_password() -> None:
    # The plain postgresql:// URL picks psycopg2, which Casebook does not install.
    if importlib.util.find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed here, so there is no driver error to show")
    loc = resolve_location("postgresql://clinic:s3cret-pw@127.0.0.1:1/casebook")
    with pytest.raises(DatabaseError) as info:
        make_engine(loc)
    assert "s3cret-pw" not in str(info.value)
    assert "driver" in str(info.value)
    assert "127.0.0.1" in str(info.value)


def test_an_unknown_server_driver_is_a_clear_error() -> None:
    loc = resolve_location("postgresql+nosuchdriver://clinic@127.0.0.1:1/casebook")
    with pytest.raises(DatabaseError, match="driver"):
        make_engine(loc)


# ------------------------------------------------------------------ check_file_header


def test_check_file_header_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError) as info:
        check_file_header(tmp_path / "nope.db")
    assert "No database at" in str(info.value)
    assert "db init" in str(info.value)
    assert not (tmp_path / "nope.db").exists()


def test_check_file_header_directory(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="is a folder"):
        check_file_header(tmp_path)


def test_check_file_header_unencrypted_sqlite(tmp_path: Path) -> None:
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(plain)
    conn.execute("CREATE TABLE participant (legal_name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError) as info:
        check_file_header(plain)
    assert "unencrypted" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"SQLite f", b"\x00" * 10])
def test_check_file_header_empty_or_truncated(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "short.db"
    path.write_bytes(content)
    with pytest.raises(DatabaseError, match="empty or truncated"):
        check_file_header(path)


def test_check_file_header_accepts_an_encrypted_database(db: Database) -> None:
    assert db.location.path is not None
    check_file_header(db.location.path)
