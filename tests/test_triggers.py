"""``db check`` notices when the triggers that protect signed and append-only
records are gone (dropped by hand, or disabled on a clinic server)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from casebook import schema
from casebook.database import Database
from casebook.maintenance import CheckResult, check_database

pytestmark = pytest.mark.both_engines

TRIGGERS = "protective triggers"
CASELOAD = "caseload triggers"


def _result(db: Database, name: str = TRIGGERS) -> CheckResult:
    found = [r for r in check_database(db) if r.name == name]
    assert len(found) == 1, [r.name for r in check_database(db)]
    return found[0]


def _table_of(db: Database, trigger: str) -> str:
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            sql = "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name = :n"
        else:
            sql = (
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = :n"
            )
        return str(conn.execute(text(sql), {"n": trigger}).scalar_one())


def test_a_migrated_database_has_exactly_the_listed_triggers(db: Database) -> None:
    # Keeps schema.PROTECTIVE_TRIGGERS true: a migration that adds or renames a
    # trigger must update the list, or db check would miss (or invent) a problem.
    with db.engine.connect() as conn:
        installed = schema.enabled_triggers(conn)
    dialect = db.engine.dialect.name
    protective = schema.PROTECTIVE_TRIGGERS[dialect]
    activity = schema.ACTIVITY_TRIGGERS[dialect]
    assert installed == protective | activity
    assert not protective & activity
    result = _result(db)
    assert result.ok, result.detail
    assert str(len(protective)) in result.detail
    caseload = _result(db, CASELOAD)
    assert caseload.ok and str(len(activity)) in caseload.detail


def test_a_dropped_trigger_is_reported_by_name(db: Database) -> None:
    victim = "session_note_signed_no_update"
    if db.engine.dialect.name == "postgresql":
        victim = "session_note_signed_guard"
    table = _table_of(db, victim)
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.execute(text(f"DROP TRIGGER {victim}"))
        else:
            conn.execute(text(f"DROP TRIGGER {victim} ON {table}"))
    result = _result(db)
    assert not result.ok
    assert victim in result.detail and "backup" in result.detail
    assert _named(result) == [victim]  # only the one that is gone


def _named(result: CheckResult) -> list[str]:
    """The trigger names a failed check lists ("missing or disabled: a, b. …")."""
    listed = result.detail.split(":", 1)[1].split(".", 1)[0]
    return [name.strip() for name in listed.split(",")]


def test_a_dropped_caseload_trigger_is_reported_by_name(db: Database) -> None:
    victim = "session_note_activity_ai"
    if db.engine.dialect.name == "postgresql":
        victim = "session_note_activity"
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.execute(text(f"DROP TRIGGER {victim}"))
        else:
            conn.execute(text(f"DROP TRIGGER {victim} ON session_note"))
    result = _result(db, CASELOAD)
    assert not result.ok
    assert _named(result) == [victim]
    assert "last contact" in result.detail and "backup" in result.detail
    assert _result(db).ok  # the protective ones are all there
