"""Schema and migrations: the ORM and the Alembic revisions agree, upgrades keep data,
and a database of another program version is refused with a message saying what to do."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select, text
from test_db import fast_database_fixtures

import models
from casebook import cli, schema
from casebook.database import Database, create_database, open_database
from casebook.db import DatabaseLocation, make_engine
from casebook.errors import DatabaseError
from casebook.security import keystore, passwords
from casebook.services import caseload, participants, users
from models import Participant, SessionNote, StaffUser

templates, db, staff = fast_database_fixtures()

PASSWORD = "lantern harbour pebble"
NAME = "Zoë Nguyễn-Łukasz"
NOTE_BODY = "Talked about the housing application and the café job interview."


def _location(path: Path) -> DatabaseLocation:
    return DatabaseLocation(url="sqlite://", path=path)


def _engine_at(path: Path, revision: str) -> Engine:
    """An encrypted file migrated only up to *revision*, its key in the test's memory keyring."""
    key = keystore.generate_key()
    keystore.store_key(keystore.key_entry_name(path), key)
    engine = make_engine(_location(path), key_hex=key)
    schema.upgrade(engine, revision)
    assert schema.current_revision(engine) == revision
    return engine


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": schema.include_object, "compare_type": True}
        )
        return list(compare_metadata(context, models.Base.metadata))


def _sqlite_objects(engine: Engine, kind: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = :k AND name NOT LIKE 'sqlite_%'"),
            {"k": kind},
        )
        return {r[0] for r in rows}


# ------------------------------------------------------------ models vs migrations


def test_migrations_to_head_match_the_models(db: Database) -> None:
    assert schema.current_revision(db.engine) == schema.head_revision()
    assert _differences(db.engine) == []


@pytest.mark.sqlite_only  # PostgreSQL: tests/test_postgres_schema.py
def test_full_text_index_is_not_reported_as_a_difference(db: Database) -> None:
    # The FTS shadow tables exist in the file but not in the ORM; include_object hides them.
    assert "note_fts" in _sqlite_objects(db.engine, "table")
    assert not schema.include_object(None, "note_fts_data", "table", True, None)
    assert schema.include_object(None, "participant", "table", True, None)


def test_head_is_the_only_head_and_every_revision_is_known() -> None:
    head = schema.head_revision()
    # The constant opening checks against must name the newest migration script.
    assert head == schema.script_head()
    assert head in schema.known_revisions()
    assert "0001" in schema.known_revisions()


# ---------------------------------------------------------------- upgrade keeps data


def _insert_first_revision_data(engine: Engine) -> None:
    pw_hash = passwords.hash_password(PASSWORD)
    stamp = "2025-01-10 12:00:00.000000"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO staff_user (id, username, display_name, role, is_supervisor, "
                "active, password_hash, must_change_password, failed_logins, version_id, "
                "created_at, updated_at) VALUES (1, 'peer1', 'Pat Peer', 'specialist', 0, 1, "
                ":h, 0, 0, 1, :t, :t)"
            ),
            {"h": pw_hash, "t": stamp},
        )
        conn.execute(
            text(
                "INSERT INTO participant (id, record_number, legal_name, date_of_birth, "
                "recovery_focus, intake_date, status, contact_cadence_days, version_id, "
                "created_at, updated_at) VALUES (1, 'R-000001', :n, '1990-04-02', "
                "'co_occurring', '2025-01-10', 'active', 7, 1, :t, :t)"
            ),
            {"n": NAME, "t": stamp},
        )
        conn.execute(
            text(
                "INSERT INTO case_assignment (participant_id, specialist_id, start_date, "
                "created_at) VALUES (1, 1, '2025-01-10', :t)"
            ),
            {"t": stamp},
        )
        conn.execute(
            text(
                "INSERT INTO session_note (id, participant_id, author_id, kind, occurred_at, "
                "duration_minutes, mode, location, format, sections, body, risk_flags, status, "
                "version_id, created_at, updated_at) VALUES (1, 1, 1, 'individual', "
                "'2025-01-12 15:00:00.000000', 45, 'in_person', 'Office', 'GIRP', '{}', :b, "
                "'[]', 'draft', 1, :t, :t)"
            ),
            {"b": NOTE_BODY, "t": stamp},
        )


def test_upgrade_from_the_first_revision_keeps_data(db_path: Path) -> None:
    engine = _engine_at(db_path, "0001")
    try:
        _insert_first_revision_data(engine)
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
        # The upgraded file has the same schema as a fresh one: tables, and the
        # triggers and full-text index added by later revisions.
        assert _differences(engine) == []
        with engine.connect() as conn:
            hits = conn.execute(
                text("SELECT rowid FROM note_fts WHERE note_fts MATCH 'housing'")
            ).all()
            # remove_diacritics: "cafe" finds "café".
            accent = conn.execute(
                text("SELECT rowid FROM note_fts WHERE note_fts MATCH 'cafe'")
            ).all()
        assert [r[0] for r in hits] == [1]
        assert [r[0] for r in accent] == [1]
        upgraded_triggers = _sqlite_objects(engine, "trigger")
    finally:
        engine.dispose()

    fresh = create_database(_location(db_path.with_name("fresh.db")))
    try:
        assert upgraded_triggers == _sqlite_objects(fresh.engine, "trigger")
    finally:
        fresh.close()

    # The old data is usable through the program: sign in, open the record, caseload.
    database = open_database(_location(db_path))
    try:
        with database.session() as s:
            actor = users.authenticate(s, "peer1", PASSWORD, sleep=lambda _: None)
        peer = actor.raise_for_failure()
        with database.session() as s:
            detail = participants.get_participant(s, peer, 1)
            rows = caseload.caseload_rows(s, peer)
            note = s.scalar(select(SessionNote).where(SessionNote.id == 1))
            assert note is not None and note.body == NOTE_BODY
        assert detail.legal_name == NAME
        assert detail.specialist_name == "Pat Peer"
        assert [r.legal_name for r in rows] == [NAME]
        # The caseload's activity row was filled in by the upgrade (migration 0008).
        assert rows[0].last_contact_at == datetime(2025, 1, 12, 15, 0, tzinfo=UTC)
    finally:
        database.close()


# -------------------------------------------------------------- foreign schema versions


def test_newer_schema_is_refused_with_a_clear_message(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    location = db.location
    db.close()
    with pytest.raises(DatabaseError) as info:
        open_database(location)
    message = str(info.value)
    assert "newer version of Casebook" in message
    assert "9999_future" in message


def test_older_schema_asks_for_db_upgrade(db_path: Path) -> None:
    _engine_at(db_path, "0003").dispose()
    with pytest.raises(DatabaseError) as info:
        open_database(_location(db_path))
    assert "db upgrade" in str(info.value)
    assert "0003" in str(info.value)


def test_empty_encrypted_file_is_not_taken_for_a_casebook_database(db_path: Path) -> None:
    key = keystore.generate_key()
    keystore.store_key(keystore.key_entry_name(db_path), key)
    engine = make_engine(_location(db_path), key_hex=key)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE something_else (x INTEGER)"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="not a Casebook database"):
        open_database(_location(db_path))


# ------------------------------------------------------------------- db upgrade (CLI)


def test_cli_db_upgrade_takes_a_backup_first_and_reaches_head(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = _engine_at(db_path, "0001")
    _insert_first_revision_data(engine)
    engine.dispose()

    code = cli.run(["--db", str(db_path), "db", "upgrade"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert err == ""
    backups = sorted((db_path.parent / "backups").glob("*.db"))
    assert len(backups) == 1
    assert str(backups[0]) in out

    database = open_database(_location(db_path))
    try:
        assert schema.current_revision(database.engine) == schema.head_revision()
        with database.session(read_only=True) as s:
            assert s.scalar(select(Participant.legal_name)) == NAME
            assert s.scalar(select(StaffUser.username)) == "peer1"
    finally:
        database.close()

    # The backup is the database as it was before the upgrade.
    key = keystore.load_key(keystore.key_entry_name(db_path))
    old = make_engine(_location(backups[0]), key_hex=key)
    try:
        assert schema.current_revision(old) == "0001"
    finally:
        old.dispose()


@pytest.mark.sqlite_only  # PostgreSQL: tests/test_postgres_schema.py
def test_cli_db_upgrade_on_a_current_database_changes_nothing(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert db.location.path is not None
    db.close()
    code = cli.run(["--db", str(db.location.path), "db", "upgrade"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "already up to date" in out
    assert not (db.location.path.parent / "backups").exists()


@pytest.mark.sqlite_only  # PostgreSQL: tests/test_postgres_schema.py
def test_cli_db_upgrade_refuses_a_newer_database(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert db.location.path is not None
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    db.close()
    code = cli.run(["--db", str(db.location.path), "db", "upgrade"])
    _, err = capsys.readouterr()
    assert code != 0
    assert len(err.strip().splitlines()) == 1
    assert "newer version of Casebook" in err
    assert not (db.location.path.parent / "backups").exists()
