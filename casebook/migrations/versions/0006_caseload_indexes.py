"""caseload indexes: the caseload's columns read from indexes alone

The caseload shows, for every participant, the last contact, the latest BARC-10
and the active plan's review date. Each is a correlated subquery that reads one
participant's newest index entries; with the filtered columns (note kind,
entered-in-error, score, review date) in the index, no table row is read, which
on an encrypted file means no page of note text is decrypted. The new indexes
start with the old ones' columns, so the old ones are dropped.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (table, old index, old columns, new index, new columns)
_CHANGES = (
    (
        "session_note",
        "ix_session_note_participant_occurred",
        ["participant_id", "occurred_at"],
        "ix_session_note_participant_contact",
        ["participant_id", "occurred_at", "kind", "entered_in_error_at"],
    ),
    (
        "assessment",
        "ix_assessment_participant_instrument",
        ["participant_id", "instrument", "administered_at"],
        "ix_assessment_participant_latest",
        ["participant_id", "instrument", "administered_at", "entered_in_error_at", "total"],
    ),
    (
        "recovery_plan",
        "ix_recovery_plan_participant_status",
        ["participant_id", "status"],
        "ix_recovery_plan_participant_review",
        ["participant_id", "status", "review_date"],
    ),
)


def upgrade() -> None:
    for table, old, _old_columns, new, new_columns in _CHANGES:
        # The new index first: the table is never without one for these lookups.
        op.create_index(new, table, new_columns, unique=False)
        op.drop_index(old, table_name=table)


def downgrade() -> None:
    for table, old, old_columns, new, _new_columns in _CHANGES:
        op.create_index(old, table, old_columns, unique=False)
        op.drop_index(new, table_name=table)
