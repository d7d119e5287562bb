"""Creating, checking and migrating the schema (Alembic, run programmatically)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, text

from casebook.errors import DatabaseError
from casebook.i18n import tr

if TYPE_CHECKING:
    from alembic.config import Config

#: The newest migration's revision. Opening a database compares against this constant
#: so that start-up does not load Alembic and every migration script (about 0.2 s);
#: ``tests/test_schema.py`` checks it against the scripts. Update it with each migration.
HEAD = "0008"

#: The triggers the migrations up to ``HEAD`` install, by dialect: they keep signed notes,
#: superseded plans and append-only registers (audit log, disclosures, referral events,
#: addenda) from being changed or deleted, and keep the SQLite note search index in step.
#: ``db check`` reports any that is missing or disabled; ``tests/test_triggers.py``
#: checks these sets against a freshly migrated database. Update them with a migration.
PROTECTIVE_TRIGGERS: dict[str, frozenset[str]] = {
    "sqlite": frozenset(
        {
            *(
                f"{table}_superseded_no_{verb}"
                for table in ("action_step", "goal_rating", "goal", "plan_support")
                for verb in ("update", "delete")
            ),
            *(
                f"{table}_no_{verb}"
                for table in ("audit_event", "disclosure", "note_addendum", "referral_event")
                for verb in ("update", "delete")
            ),
            "group_session_signed_no_update",
            "group_session_signed_no_delete",
            "note_goal_signed_no_insert",
            "note_goal_signed_no_update",
            "note_goal_signed_no_delete",
            "recovery_plan_activated_no_delete",
            "recovery_plan_superseded_no_update",
            "session_note_signed_no_update",
            "session_note_signed_no_delete",
            "note_fts_ai",
            "note_fts_ad",
            "note_fts_au",
        }
    ),
    "postgresql": frozenset(
        {
            *(
                f"{table}_superseded_guard"
                for table in ("action_step", "goal_rating", "goal", "plan_support")
            ),
            *(
                f"{table}_{kind}"
                for table in ("audit_event", "disclosure", "note_addendum", "referral_event")
                for kind in ("append_only", "no_truncate")
            ),
            "group_session_signed_guard",
            "note_goal_signed_guard",
            "recovery_plan_guard",
            "session_note_signed_guard",
        }
    ),
}


_ACTIVITY_SOURCES = ("session_note", "recovery_plan", "referral", "assessment")

#: The triggers that keep ``participant_activity`` (the caseload's last contact, plan
#: review, open referrals and BARC-10) in step with the records (migration 0008). Checked
#: by ``db check`` and by ``tests/test_triggers.py`` like the protective ones.
ACTIVITY_TRIGGERS: dict[str, frozenset[str]] = {
    "sqlite": frozenset(
        f"{table}_activity_{event}"
        for table in _ACTIVITY_SOURCES
        for event in ("ai", "au", "au_moved", "ad")
    ),
    "postgresql": frozenset(f"{table}_activity" for table in _ACTIVITY_SOURCES),
}


def enabled_triggers(connection: Connection) -> set[str]:
    """Names of the triggers in force on this database (on PostgreSQL: in the current
    schema and not disabled with ``ALTER TABLE … DISABLE TRIGGER``)."""
    if connection.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = (
            "SELECT t.tgname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND n.nspname = current_schema()"
        )
    return {str(row[0]) for row in connection.execute(text(sql))}


# Tables the ORM does not describe: full-text index shadow tables.
_UNMANAGED_PREFIXES = ("note_fts",)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (name is not None and name.startswith(_UNMANAGED_PREFIXES))


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("casebook") / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return HEAD


def script_head() -> str:
    """The newest revision among the migration scripts (what ``HEAD`` must equal)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    # Read directly: Alembic's MigrationContext would load Alembic for one row.
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not inspect(conn).get_table_names()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)


def init_schema(engine: Engine) -> None:
    """Create every table on an empty database."""
    if not is_empty(engine):
        raise DatabaseError(tr("The database is not empty; use 'casebook db upgrade' instead"))
    upgrade(engine)


def ensure_current(engine: Engine) -> None:
    """Refuse a database this program cannot safely use.

    A newer schema means a newer Casebook wrote it: opening it could corrupt
    records this version does not understand.
    """
    rev = current_revision(engine)
    if rev is None:
        if is_empty(engine):
            raise DatabaseError(tr("The database is empty; create it with 'casebook db init'"))
        raise DatabaseError(tr("This is not a Casebook database (no schema version found)"))
    if rev == head_revision():
        return
    if rev not in known_revisions():
        raise DatabaseError(
            tr(
                "This database was written by a newer version of Casebook (schema {rev}); "
                "install that version or newer to open it"
            ).format(rev=rev)
        )
    raise DatabaseError(
        tr(
            "This database needs an upgrade (schema {rev}); run 'casebook db upgrade' "
            "(a backup is taken first)"
        ).format(rev=rev)
    )


def needs_upgrade(engine: Engine) -> bool:
    rev = current_revision(engine)
    return rev is not None and rev != head_revision() and rev in known_revisions()


def upgrade_with_backup(engine: Engine, take_backup: Callable[[], object]) -> bool:
    """Migrate to head after taking a backup; returns False when already current."""
    rev = current_revision(engine)
    if rev == head_revision():
        return False
    if rev is not None and rev not in known_revisions():
        ensure_current(engine)  # raises the "newer version" message
    take_backup()
    upgrade(engine)
    return True
