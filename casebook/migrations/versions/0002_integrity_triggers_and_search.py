"""append-only audit, immutable signed notes, note full-text search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Columns a signed note may never change. Co-signature, "entered in error" and
# the bookkeeping columns (version_id, updated_at) stay writable.
_SIGNED_NOTE_COLUMNS = (
    "participant_id", "author_id", "group_session_id", "kind", "occurred_at",
    "duration_minutes", "mode", "location", "format", "sections", "body", "risk_flags",
    "status", "signed_at", "signed_by_id", "content_hash",
)


def _sqlite_upgrade() -> None:
    for table in ("audit_event", "note_addendum"):
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _SIGNED_NOTE_COLUMNS)
    op.execute(
        "CREATE TRIGGER session_note_signed_no_update BEFORE UPDATE ON session_note "
        f"WHEN OLD.status = 'signed' AND ({changed}) "
        "BEGIN SELECT RAISE(ABORT, 'signed notes cannot be changed; add an addendum'); END"
    )
    op.execute(
        "CREATE TRIGGER session_note_signed_no_delete BEFORE DELETE ON session_note "
        "WHEN OLD.status = 'signed' "
        "BEGIN SELECT RAISE(ABORT, 'signed notes cannot be deleted; mark them entered in error'); END"
    )
    # External-content FTS5 index over the note text, kept in step by triggers.
    op.execute(
        "CREATE VIRTUAL TABLE note_fts USING fts5(body, content='session_note', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER note_fts_ai AFTER INSERT ON session_note BEGIN "
        "INSERT INTO note_fts(rowid, body) VALUES (new.id, new.body); END"
    )
    op.execute(
        "CREATE TRIGGER note_fts_ad AFTER DELETE ON session_note BEGIN "
        "INSERT INTO note_fts(note_fts, rowid, body) VALUES ('delete', old.id, old.body); END"
    )
    op.execute(
        "CREATE TRIGGER note_fts_au AFTER UPDATE OF body ON session_note BEGIN "
        "INSERT INTO note_fts(note_fts, rowid, body) VALUES ('delete', old.id, old.body); "
        "INSERT INTO note_fts(rowid, body) VALUES (new.id, new.body); END"
    )
    op.execute("INSERT INTO note_fts(note_fts) VALUES ('rebuild')")


def _postgres_upgrade() -> None:
    op.execute(
        "CREATE FUNCTION casebook_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
    )
    for table in ("audit_event", "note_addendum"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION casebook_append_only()"
        )
    old = ", ".join(f"OLD.{c}::text" for c in _SIGNED_NOTE_COLUMNS)
    new = ", ".join(f"NEW.{c}::text" for c in _SIGNED_NOTE_COLUMNS)
    op.execute(
        "CREATE FUNCTION casebook_signed_note_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "IF OLD.status = 'signed' THEN "
        "  IF TG_OP = 'DELETE' THEN "
        "    RAISE EXCEPTION 'signed notes cannot be deleted; mark them entered in error'; "
        "  END IF; "
        f"  IF ROW({new}) IS DISTINCT FROM ROW({old}) THEN "
        "    RAISE EXCEPTION 'signed notes cannot be changed; add an addendum'; "
        "  END IF; "
        "END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; "
        "RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER session_note_signed_guard BEFORE UPDATE OR DELETE ON session_note "
        "FOR EACH ROW EXECUTE FUNCTION casebook_signed_note_guard()"
    )
    # 'simple' configuration: notes are written in many languages, and stemming
    # for the wrong one does more harm than none.
    op.execute(
        "CREATE INDEX note_fts_pg ON session_note USING gin (to_tsvector('simple', body))"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX note_fts_pg")
        op.execute("DROP TRIGGER session_note_signed_guard ON session_note")
        op.execute("DROP FUNCTION casebook_signed_note_guard()")
        for table in ("audit_event", "note_addendum"):
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION casebook_append_only()")
        return
    for name in ("note_fts_ai", "note_fts_ad", "note_fts_au", "session_note_signed_no_update",
                 "session_note_signed_no_delete", "audit_event_no_update", "audit_event_no_delete",
                 "note_addendum_no_update", "note_addendum_no_delete"):
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE note_fts")
