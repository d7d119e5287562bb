"""PostgreSQL: note search folds accents; append-only tables also refuse TRUNCATE

The 'simple' text search configuration of revision 0002 lower-cases words but
keeps their accents, so on a clinic server "Zoe" did not find "Zoë" and "lodz"
did not find "Łódź", while the same search on a workstation file did. The
``casebook_search`` configuration runs every word through the unaccent
dictionary first (unaccent is a trusted extension: the database owner may
create it), and the index is rebuilt over it.

Row triggers do not fire for TRUNCATE, so the append-only tables of revisions
0002 and 0005 get a statement trigger refusing it too. SQLite has no TRUNCATE
and is unchanged.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_APPEND_ONLY = ("audit_event", "note_addendum", "disclosure", "referral_event")
_WORD_TOKENS = "asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, " \
    "numhword, hword_numpart"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE TEXT SEARCH CONFIGURATION casebook_search (COPY = pg_catalog.simple)")
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION casebook_search ALTER MAPPING FOR {_WORD_TOKENS} "
        "WITH unaccent, simple"
    )
    op.execute("DROP INDEX note_fts_pg")
    op.execute(
        "CREATE INDEX note_fts_pg ON session_note "
        "USING gin (to_tsvector('casebook_search', body))"
    )
    for table in _APPEND_ONLY:
        # casebook_append_only() comes from revision 0002.
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION casebook_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _APPEND_ONLY:
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
    op.execute("DROP INDEX note_fts_pg")
    op.execute(
        "CREATE INDEX note_fts_pg ON session_note USING gin (to_tsvector('simple', body))"
    )
    op.execute("DROP TEXT SEARCH CONFIGURATION casebook_search")
