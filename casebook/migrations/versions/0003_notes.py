"""notes: lock the goals and group part of signed notes; prefix index for search

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Migration 0002 makes a signed note's own columns immutable. A signed note's
content also lives in two other tables: the goals it addressed (note_goal) and,
for a group note, the shared topic and text (group_session). Both are part of
the signed content hash; these triggers make the database refuse changing them
too, so the lock does not depend on the program alone.

SQLite: the full-text table gets prefix indexes for 1-3 characters. Search
treats every word as a prefix ("hous" finds "housing"); without these, a short
prefix merges thousands of word lists per query (over 100 ms with 200,000
notes; a few ms with them). The index roughly triples in size.

No table or column of the ORM models changes.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_LOCKED = "signed notes cannot be changed; add an addendum"
# The shared part of a group, signed with each attendee's note.
_GROUP_COLUMNS = ("id", "topic", "facilitator_id", "occurred_at", "duration_minutes",
                  "location", "group_text")
_SQLITE_TRIGGERS = (
    "note_goal_signed_no_insert", "note_goal_signed_no_update", "note_goal_signed_no_delete",
    "group_session_signed_no_update", "group_session_signed_no_delete",
)


def _signed(note_id: str) -> str:
    return f"EXISTS (SELECT 1 FROM session_note WHERE id = {note_id} AND status = 'signed')"


def _group_signed(group_id: str) -> str:
    return (f"EXISTS (SELECT 1 FROM session_note WHERE group_session_id = {group_id} "
            "AND status = 'signed')")


_FTS_COLUMNS = ("body, content='session_note', content_rowid='id', "
                "tokenize='unicode61 remove_diacritics 2'")


def _recreate_fts(extra: str) -> None:
    # The sync triggers of 0002 name note_fts only in their bodies, so they keep
    # working once the table is back; 'rebuild' re-reads session_note.
    op.execute("DROP TABLE note_fts")
    op.execute(f"CREATE VIRTUAL TABLE note_fts USING fts5({_FTS_COLUMNS}{extra})")
    op.execute("INSERT INTO note_fts(note_fts) VALUES ('rebuild')")


def _sqlite_upgrade() -> None:
    _recreate_fts(", prefix='1 2 3'")
    abort = f"BEGIN SELECT RAISE(ABORT, '{_LOCKED}'); END"
    op.execute("CREATE TRIGGER note_goal_signed_no_insert BEFORE INSERT ON note_goal "
               f"WHEN {_signed('NEW.note_id')} {abort}")
    op.execute("CREATE TRIGGER note_goal_signed_no_update BEFORE UPDATE ON note_goal "
               f"WHEN {_signed('OLD.note_id')} OR {_signed('NEW.note_id')} {abort}")
    op.execute("CREATE TRIGGER note_goal_signed_no_delete BEFORE DELETE ON note_goal "
               f"WHEN {_signed('OLD.note_id')} {abort}")
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _GROUP_COLUMNS)
    op.execute("CREATE TRIGGER group_session_signed_no_update BEFORE UPDATE ON group_session "
               f"WHEN {_group_signed('OLD.id')} AND ({changed}) {abort}")
    op.execute("CREATE TRIGGER group_session_signed_no_delete BEFORE DELETE ON group_session "
               f"WHEN {_group_signed('OLD.id')} {abort}")


def _postgres_upgrade() -> None:
    op.execute(
        "CREATE FUNCTION casebook_signed_note_goal_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        f"IF TG_OP <> 'INSERT' AND {_signed('OLD.note_id')} THEN "
        f"  RAISE EXCEPTION '{_LOCKED}'; END IF; "
        f"IF TG_OP <> 'DELETE' AND {_signed('NEW.note_id')} THEN "
        f"  RAISE EXCEPTION '{_LOCKED}'; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; "
        "RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER note_goal_signed_guard BEFORE INSERT OR UPDATE OR DELETE ON note_goal "
        "FOR EACH ROW EXECUTE FUNCTION casebook_signed_note_goal_guard()"
    )
    old = ", ".join(f"OLD.{c}::text" for c in _GROUP_COLUMNS)
    new = ", ".join(f"NEW.{c}::text" for c in _GROUP_COLUMNS)
    op.execute(
        "CREATE FUNCTION casebook_signed_group_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        f"IF {_group_signed('OLD.id')} THEN "
        f"  IF TG_OP = 'DELETE' THEN RAISE EXCEPTION '{_LOCKED}'; END IF; "
        f"  IF ROW({new}) IS DISTINCT FROM ROW({old}) THEN RAISE EXCEPTION '{_LOCKED}'; END IF; "
        "END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; "
        "RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER group_session_signed_guard BEFORE UPDATE OR DELETE ON group_session "
        "FOR EACH ROW EXECUTE FUNCTION casebook_signed_group_guard()"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER group_session_signed_guard ON group_session")
        op.execute("DROP FUNCTION casebook_signed_group_guard()")
        op.execute("DROP TRIGGER note_goal_signed_guard ON note_goal")
        op.execute("DROP FUNCTION casebook_signed_note_goal_guard()")
        return
    for name in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    _recreate_fts("")
