"""participant activity: the caseload's four computed columns kept by triggers

The caseload shows, for every participant, the last contact, the active plan's
review date, the open referrals and the latest BARC-10. Revision 0006 made each a
lookup in a covering index; with 10,000 participants those 40,000 lookups were
still half of the caseload query. They change only when a note, plan, referral or
assessment is written, which is rare next to how often a caseload is shown, so
they are now computed at that moment, by the database, into one row per
participant (``participant_activity``), and the caseload reads that row.

Every insert, delete, and update of a column the definitions read recomputes the
whole row of the participant concerned from the same definitions the caseload
used (below), so the row cannot drift from the records whatever wrote them: the
program, an import, a restore or a person with a SQL prompt. On a clinic server
the row is locked before it is recomputed, and the recomputation reads with a
fresh snapshot, so two workstations writing notes for one participant at once
both end with the right answer (READ COMMITTED, the server default).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_OPEN_REFERRALS = "('requested', 'accepted', 'in-progress', 'on-hold')"

# The four definitions, for the participant :pid (the caseload's, unchanged).
_COLUMNS = {
    "last_contact_at": (
        "SELECT occurred_at FROM session_note WHERE participant_id = :pid "
        "AND kind != 'outreach' AND entered_in_error_at IS NULL "
        "ORDER BY occurred_at DESC LIMIT 1"
    ),
    "plan_review_date": (
        "SELECT min(review_date) FROM recovery_plan "
        "WHERE participant_id = :pid AND status = 'active'"
    ),
    "open_referrals": (
        f"SELECT count(*) FROM referral WHERE participant_id = :pid AND status IN {_OPEN_REFERRALS}"
    ),
    "latest_barc10": (
        "SELECT total FROM assessment WHERE participant_id = :pid AND instrument = 'BARC-10' "
        "AND entered_in_error_at IS NULL ORDER BY administered_at DESC, total DESC LIMIT 1"
    ),
}

# The tables whose rows feed the columns, and the columns an update must touch to
# change them (an update of anything else, such as signing a note, fires nothing).
_SOURCES = {
    "session_note": ("participant_id", "occurred_at", "kind", "entered_in_error_at"),
    "recovery_plan": ("participant_id", "status", "review_date"),
    "referral": ("participant_id", "status"),
    "assessment": ("participant_id", "instrument", "administered_at", "entered_in_error_at", "total"),
}

# The SQLite triggers' names (``schema.ACTIVITY_TRIGGERS`` lists them for ``db check``).
_SQLITE_TRIGGERS = tuple(
    f"{table}_activity_{event}" for table in _SOURCES for event in ("ai", "au", "au_moved", "ad")
)


def _values(pid: str) -> str:
    return ", ".join(f"({sql.replace(':pid', pid)})" for sql in _COLUMNS.values())


def _sqlite_refresh(pid: str) -> str:
    names = ", ".join(_COLUMNS)
    updates = ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS)
    return (
        f"INSERT INTO participant_activity (participant_id, {names}) "
        f"VALUES ({pid}, {_values(pid)}) "
        f"ON CONFLICT (participant_id) DO UPDATE SET {updates};"
    )


def _sqlite_upgrade() -> None:
    for table, columns in _SOURCES.items():
        watched = ", ".join(columns)
        op.execute(
            f"CREATE TRIGGER {table}_activity_ai AFTER INSERT ON {table} "
            f"BEGIN {_sqlite_refresh('NEW.participant_id')} END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_activity_au AFTER UPDATE OF {watched} ON {table} "
            f"BEGIN {_sqlite_refresh('NEW.participant_id')} END"
        )
        # A row moved to another participant (no screen does it; SQL could) also
        # changes the one it left.
        op.execute(
            f"CREATE TRIGGER {table}_activity_au_moved AFTER UPDATE OF participant_id ON {table} "
            "WHEN OLD.participant_id IS NOT NEW.participant_id "
            f"BEGIN {_sqlite_refresh('OLD.participant_id')} END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_activity_ad AFTER DELETE ON {table} "
            f"BEGIN {_sqlite_refresh('OLD.participant_id')} END"
        )


def _postgres_upgrade() -> None:
    sets = ", ".join(f"{name} = ({sql.replace(':pid', 'pid')})" for name, sql in _COLUMNS.items())
    op.execute(
        "CREATE FUNCTION casebook_refresh_activity(pid integer) RETURNS void "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO participant_activity (participant_id) VALUES (pid) ON CONFLICT DO NOTHING; "
        # The lock first: a second writer for this participant waits here until the
        # first commits, and its UPDATE then reads the records with a new snapshot.
        "PERFORM 1 FROM participant_activity WHERE participant_id = pid FOR UPDATE; "
        f"UPDATE participant_activity SET {sets} WHERE participant_id = pid; "
        "END $$"
    )
    op.execute(
        "CREATE FUNCTION casebook_activity_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "IF TG_OP = 'INSERT' THEN "
        "  PERFORM casebook_refresh_activity(NEW.participant_id); "
        "ELSIF TG_OP = 'DELETE' THEN "
        "  PERFORM casebook_refresh_activity(OLD.participant_id); "
        "ELSE "
        "  PERFORM casebook_refresh_activity(NEW.participant_id); "
        "  IF OLD.participant_id IS DISTINCT FROM NEW.participant_id THEN "
        "    PERFORM casebook_refresh_activity(OLD.participant_id); "
        "  END IF; "
        "END IF; "
        "RETURN NULL; END $$"
    )
    for table, columns in _SOURCES.items():
        op.execute(
            f"CREATE TRIGGER {table}_activity AFTER INSERT OR DELETE OR UPDATE OF "
            f"{', '.join(columns)} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION casebook_activity_changed()"
        )


def upgrade() -> None:
    op.create_table(
        "participant_activity",
        sa.Column("participant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("plan_review_date", sa.Date(), nullable=True),
        sa.Column("open_referrals", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("latest_barc10", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_participant_activity_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_participant_activity")),
    )
    # Every existing participant's row, from the same definitions.
    names = ", ".join(_COLUMNS)
    op.execute(
        f"INSERT INTO participant_activity (participant_id, {names}) "
        f"SELECT p.id, {_values('p.id')} FROM participant p"
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _SOURCES:
            op.execute(f"DROP TRIGGER {table}_activity ON {table}")
        op.execute("DROP FUNCTION casebook_activity_changed()")
        op.execute("DROP FUNCTION casebook_refresh_activity(integer)")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("participant_activity")
