"""plans: one active version and one draft per participant; superseded versions locked

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

A superseded recovery-plan version is what was agreed at the time; the plans
service refuses to change it, and these triggers make the database refuse too:
no UPDATE or DELETE of a superseded plan row, nor of its goals, action steps,
supports or goal ratings. An activated version is never deleted (it is marked
entered in error instead). INSERTs are left to the service, because the demo
seeder writes a plan's history in one go, parents first.

Two partial unique indexes keep the version chain straight when several
workstations share a PostgreSQL database: at most one active version and one
open draft per participant.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_LOCKED = "superseded plan versions cannot be changed; revise the current plan"
_NO_DELETE = "activated plan versions cannot be deleted; mark them entered in error"
_ACTIVE_WHERE = "status = 'active'"
_DRAFT_WHERE = "status = 'draft' AND entered_in_error_at IS NULL"

_SQLITE_TRIGGERS = (
    "recovery_plan_superseded_no_update", "recovery_plan_activated_no_delete",
    "goal_superseded_no_update", "goal_superseded_no_delete",
    "plan_support_superseded_no_update", "plan_support_superseded_no_delete",
    "action_step_superseded_no_update", "action_step_superseded_no_delete",
    "goal_rating_superseded_no_update", "goal_rating_superseded_no_delete",
)
# Tables whose rows belong to a plan version (directly, or through a goal).
_CHILDREN = ("goal", "plan_support", "action_step", "goal_rating")


def _plan_superseded(plan_id: str) -> str:
    return f"EXISTS (SELECT 1 FROM recovery_plan WHERE id = {plan_id} AND status = 'superseded')"


def _goal_superseded(goal_id: str) -> str:
    return (f"EXISTS (SELECT 1 FROM goal JOIN recovery_plan ON recovery_plan.id = goal.plan_id "
            f"WHERE goal.id = {goal_id} AND recovery_plan.status = 'superseded')")


def _child_locked(table: str, row: str) -> str:
    if table in ("goal", "plan_support"):
        return _plan_superseded(f"{row}.plan_id")
    return _goal_superseded(f"{row}.goal_id")


def _create_indexes() -> None:
    with op.batch_alter_table("recovery_plan", schema=None) as batch_op:
        batch_op.create_index("uq_recovery_plan_one_active", ["participant_id"], unique=True,
                              sqlite_where=sa.text(_ACTIVE_WHERE),
                              postgresql_where=sa.text(_ACTIVE_WHERE))
        batch_op.create_index("uq_recovery_plan_one_draft", ["participant_id"], unique=True,
                              sqlite_where=sa.text(_DRAFT_WHERE),
                              postgresql_where=sa.text(_DRAFT_WHERE))


def _sqlite_upgrade() -> None:
    abort = f"BEGIN SELECT RAISE(ABORT, '{_LOCKED}'); END"
    op.execute("CREATE TRIGGER recovery_plan_superseded_no_update BEFORE UPDATE ON recovery_plan "
               f"WHEN OLD.status = 'superseded' {abort}")
    op.execute("CREATE TRIGGER recovery_plan_activated_no_delete BEFORE DELETE ON recovery_plan "
               f"WHEN OLD.status <> 'draft' BEGIN SELECT RAISE(ABORT, '{_NO_DELETE}'); END")
    for table in _CHILDREN:
        op.execute(f"CREATE TRIGGER {table}_superseded_no_update BEFORE UPDATE ON {table} "
                   f"WHEN {_child_locked(table, 'OLD')} OR {_child_locked(table, 'NEW')} {abort}")
        op.execute(f"CREATE TRIGGER {table}_superseded_no_delete BEFORE DELETE ON {table} "
                   f"WHEN {_child_locked(table, 'OLD')} {abort}")


def _postgres_upgrade() -> None:
    op.execute(
        "CREATE FUNCTION casebook_plan_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        f"IF OLD.status = 'superseded' THEN RAISE EXCEPTION '{_LOCKED}'; END IF; "
        f"IF TG_OP = 'DELETE' AND OLD.status <> 'draft' THEN RAISE EXCEPTION '{_NO_DELETE}'; "
        "END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; "
        "RETURN NEW; END $$"
    )
    op.execute("CREATE TRIGGER recovery_plan_guard BEFORE UPDATE OR DELETE ON recovery_plan "
               "FOR EACH ROW EXECUTE FUNCTION casebook_plan_guard()")
    for table in _CHILDREN:
        op.execute(
            f"CREATE FUNCTION casebook_{table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            f"IF {_child_locked(table, 'OLD')} THEN RAISE EXCEPTION '{_LOCKED}'; END IF; "
            f"IF TG_OP = 'UPDATE' AND {_child_locked(table, 'NEW')} THEN "
            f"  RAISE EXCEPTION '{_LOCKED}'; END IF; "
            "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; "
            "RETURN NEW; END $$"
        )
        op.execute(f"CREATE TRIGGER {table}_superseded_guard BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION casebook_{table}_guard()")


def upgrade() -> None:
    _create_indexes()
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in reversed(_CHILDREN):
            op.execute(f"DROP TRIGGER {table}_superseded_guard ON {table}")
            op.execute(f"DROP FUNCTION casebook_{table}_guard()")
        op.execute("DROP TRIGGER recovery_plan_guard ON recovery_plan")
        op.execute("DROP FUNCTION casebook_plan_guard()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("recovery_plan", schema=None) as batch_op:
        batch_op.drop_index("uq_recovery_plan_one_draft", sqlite_where=sa.text(_DRAFT_WHERE),
                            postgresql_where=sa.text(_DRAFT_WHERE))
        batch_op.drop_index("uq_recovery_plan_one_active", sqlite_where=sa.text(_ACTIVE_WHERE),
                            postgresql_where=sa.text(_ACTIVE_WHERE))
