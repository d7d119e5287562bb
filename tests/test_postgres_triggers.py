"""On a clinic server a trigger can be disabled without being dropped; ``db check``
counts that as missing (the SQLite side and dropped triggers: tests/test_triggers.py)."""

from __future__ import annotations

from sqlalchemy import text

from casebook.database import Database
from casebook.maintenance import check_database


def test_a_disabled_trigger_counts_as_missing(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
    (result,) = [r for r in check_database(db) if r.name == "protective triggers"]
    assert not result.ok
    assert "audit_event_append_only" in result.detail
    assert "audit_event_no_truncate" not in result.detail  # still in force
