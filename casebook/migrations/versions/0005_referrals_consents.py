"""referrals and consents: the accounting of disclosures and referral history are append-only

The accounting of disclosures is a legal register (42 CFR Part 2, HIPAA) and the
referral timeline is its evidence; like the audit log, rows are only ever added.
No table or column changes: the ORM classes already hold every element.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TABLES = ("disclosure", "referral_event")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # casebook_append_only() comes from revision 0002.
        for table in _TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION casebook_append_only()"
            )
        return
    for table in _TABLES:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        return
    for table in _TABLES:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_no_{verb}")
