"""The clinic server's schema: the same migrations reach the same tables as on
SQLite, old data survives an upgrade, and the database itself refuses changes to
the audit log, the registers and signed notes, whatever program connects.

``db`` here is always a fresh PostgreSQL database (see conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import Staff
from sqlalchemy import Engine, make_url, select, text
from sqlalchemy.exc import DBAPIError

import models
from casebook import cli, schema
from casebook.database import Database, open_database
from casebook.db import DatabaseLocation, make_engine
from casebook.errors import DatabaseError
from casebook.security import passwords
from casebook.services import caseload, participants, users
from casebook.services import note_search as S
from casebook.services import notes as N
from models import AuditEvent

pytestmark = pytest.mark.postgres

PASSWORD = "lantern harbour pebble"
NAME = "Zoë Nguyễn-Łukasz"
NOTE_BODY = "Talked about the housing application and the café job interview in Łódź."


@pytest.fixture
def empty_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(DatabaseLocation(url=postgres_url))
    yield engine
    engine.dispose()


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": schema.include_object, "compare_type": True}
        )
        return list(compare_metadata(context, models.Base.metadata))


def _triggers(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
        )
        return {r[0] for r in rows}


def _insert_first_revision_data(engine: Engine) -> None:
    pw_hash = passwords.hash_password(PASSWORD)
    stamp = "2025-01-10 12:00:00+00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO staff_user (id, username, display_name, role, is_supervisor, "
                "active, password_hash, must_change_password, failed_logins, version_id, "
                "created_at, updated_at) VALUES (1, 'peer1', 'Pat Peer', 'specialist', false, "
                "true, :h, false, 0, 1, :t, :t)"
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
                "'2025-01-12 15:00:00+00', 45, 'in_person', 'Office', 'GIRP', '{}', :b, "
                "'[]', 'draft', 1, :t, :t)"
            ),
            {"b": NOTE_BODY, "t": stamp},
        )
        # Explicit ids, as a data import would write them: the sequences must be
        # moved past them, or the next insert collides.
        for table in ("staff_user", "participant", "session_note"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)"))


# ------------------------------------------------------------ models vs migrations


def test_upgrade_from_the_first_revision_keeps_data_and_matches_a_fresh_database(
    empty_engine: Engine, db: Database
) -> None:
    schema.upgrade(empty_engine, "0001")
    _insert_first_revision_data(empty_engine)
    schema.upgrade(empty_engine)
    assert schema.current_revision(empty_engine) == schema.head_revision()
    assert _differences(empty_engine) == []
    # The triggers and the search index of the later revisions, as on a fresh database.
    assert _triggers(empty_engine) == _triggers(db.engine)
    assert {
        "audit_event_append_only",
        "audit_event_no_truncate",
        "note_addendum_append_only",
        "disclosure_append_only",
        "referral_event_append_only",
        "session_note_signed_guard",
        "note_goal_signed_guard",
        "group_session_signed_guard",
    } <= _triggers(db.engine)

    url = empty_engine.url.render_as_string(hide_password=False)
    database = open_database(DatabaseLocation(url=url))
    try:
        with database.session() as s:
            peer = users.authenticate(s, "peer1", PASSWORD, sleep=lambda _: None)
        actor = peer.raise_for_failure()
        with database.session() as s:
            detail = participants.get_participant(s, actor, 1)
            rows = caseload.caseload_rows(s, actor)
            # Case and accents fold as on SQLite: "cafe" finds "café", "LODZ" "Łódź".
            assert [h.note_id for h in S.search_notes(s, actor, "cafe LODZ")] == [1]
            # The sequence continues after the imported rows.
            other = participants.create_participant(
                s,
                actor,
                participants.parse_participant_fields(
                    {"legal_name": "Ana Lima", "date_of_birth": "1985-01-01"}
                ),
            )
        assert detail.legal_name == NAME
        assert [r.legal_name for r in rows] == [NAME]
        # The caseload's activity row was filled in by the upgrade (migration 0008).
        assert rows[0].last_contact_at == datetime(2025, 1, 12, 15, 0, tzinfo=UTC)
        assert other.id == 2
    finally:
        database.close()


def test_migrations_need_no_superuser(db: Database) -> None:
    # The tests connect as a plain login role that owns its database, as the
    # README tells a clinic to set it up; the migrated database is proof enough
    # that nothing needed more, and this confirms the role really is plain.
    with db.engine.connect() as conn:
        is_super = conn.execute(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        ).scalar()
    assert is_super is False


def test_sessions_run_in_utc_whatever_the_server_zone(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.execute(text("SHOW timezone")).scalar() == "UTC"
        server_zone = conn.execute(
            text("SELECT reset_val FROM pg_settings WHERE name = 'TimeZone'")
        ).scalar()
    assert server_zone != "UTC"  # the throwaway server is deliberately elsewhere


# ------------------------------------------------------- the database refuses changes


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET username = 'someone-else'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
        # Statement triggers: refused even while the table is still empty.
        "TRUNCATE note_addendum",
        "TRUNCATE disclosure",
        "TRUNCATE referral_event",
    ],
)
def test_append_only_tables_refuse_changes_from_any_program(
    db: Database, staff: Staff, statement: str
) -> None:
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))


def _signed_note(db: Database, staff: Staff) -> int:
    from datetime import UTC, datetime, timedelta

    with db.session() as s:
        pid = participants.create_participant(
            s,
            staff.peer1,
            participants.parse_participant_fields(
                {"legal_name": NAME, "date_of_birth": "1990-04-02"}
            ),
        ).id
    with db.session() as s:
        saved = N.save_draft(
            s,
            staff.peer1,
            pid,
            N.NoteContent(
                occurred_at=datetime.now(UTC) - timedelta(hours=1),
                duration_minutes=45,
                sections={
                    "goal": "Housing",
                    "intervention": "Called the office together",
                    "response": "Relieved",
                    "plan": "Follow up Monday",
                },
            ),
        )
    with db.session() as s:
        N.sign_note(s, staff.peer1, saved.note_id)
    return saved.note_id


def test_a_signed_note_cannot_be_changed_or_deleted_in_the_database(
    db: Database, staff: Staff
) -> None:
    note_id = _signed_note(db, staff)
    with (
        pytest.raises(DBAPIError, match="signed notes cannot be changed"),
        db.engine.begin() as conn,
    ):
        conn.execute(text("UPDATE session_note SET body = 'x' WHERE id = :i"), {"i": note_id})
    with (
        pytest.raises(DBAPIError, match="signed notes cannot be deleted"),
        db.engine.begin() as conn,
    ):
        conn.execute(text("DELETE FROM session_note WHERE id = :i"), {"i": note_id})
    with db.session() as s:
        addendum = N.add_addendum(s, staff.peer1, note_id, reason="Late entry", text="Bus pass")
    with pytest.raises(DBAPIError, match="note_addendum is append-only"), db.engine.begin() as conn:
        conn.execute(text("UPDATE note_addendum SET text = 'x' WHERE id = :i"), {"i": addendum.id})
    # Marking it entered in error is still allowed (the bookkeeping columns).
    with db.session() as s:
        N.mark_entered_in_error(s, staff.peer1, note_id, reason="Wrong participant")


def test_an_edit_behind_the_programs_back_is_found(db: Database, staff: Staff) -> None:
    """The owner of the tables can switch the triggers off; the hashes still tell."""
    note_id = _signed_note(db, staff)
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE session_note DISABLE TRIGGER session_note_signed_guard"))
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        conn.execute(
            text(
                "UPDATE session_note SET sections = "
                '(sections::jsonb || \'{"plan": "none"}\'::jsonb)::json WHERE id = :i'
            ),
            {"i": note_id},
        )
        conn.execute(text("UPDATE audit_event SET username = 'someone-else' WHERE id = 3"))
    with db.session() as s:
        assert N.find_tampered_notes(s) == [note_id]
    code = cli.run(["--db", db.location.url, "db", "check"])
    assert code != 0


# ------------------------------------------------------------- foreign schema versions


def test_newer_schema_is_refused_by_the_window_and_db_upgrade(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    db.close()
    with pytest.raises(DatabaseError, match="newer version of Casebook"):
        open_database(db.location)
    code = cli.run(["--db", db.location.url, "db", "upgrade"])
    _, err = capsys.readouterr()
    assert code != 0
    assert len(err.strip().splitlines()) == 1
    assert "newer version of Casebook" in err


def test_db_upgrade_on_a_current_server_changes_nothing(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.session(read_only=True) as s:
        events = len(s.scalars(select(AuditEvent.id)).all())
    code = cli.run(["--db", db.location.url, "db", "upgrade"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "already up to date" in out
    password = make_url(db.location.url).password
    assert password and password not in out + err
    with db.session(read_only=True) as s:
        assert len(s.scalars(select(AuditEvent.id)).all()) == events
