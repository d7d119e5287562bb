"""Database checks (``db check``): storage integrity, keys, schema and the audit chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from casebook import schema
from casebook.database import Database
from casebook.i18n import tr
from casebook.security import audit


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def _guarded(name: str, results: list[CheckResult], check: Callable[[], CheckResult]) -> None:
    # A damaged file can fail any single check; report it as that check's
    # problem and go on, so the report shows everything that can be known.
    try:
        results.append(check())
    except Exception as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else repr(exc)
        results.append(CheckResult(name, False, reason))


def check_database(db: Database, *, require_head: bool = True) -> list[CheckResult]:
    """Run every check and report each; never stops at the first problem.

    *require_head* is False for backups: a backup taken just before an upgrade
    holds the older schema on purpose, and any schema this program knows is fine.
    """
    results: list[CheckResult] = []
    head = schema.head_revision()

    found: list[str | None] = []  # the revision schema_check read, if it could

    def schema_check() -> CheckResult:
        rev = schema.current_revision(db.engine)
        found.append(rev)
        if rev == head:
            return CheckResult(tr("schema version"), True, tr("{rev} (current)").format(rev=rev))
        if not require_head and rev in schema.known_revisions():
            return CheckResult(
                tr("schema version"), True, tr("{rev} (upgraded when restored)").format(rev=rev)
            )
        return CheckResult(
            tr("schema version"),
            False,
            tr("{rev}; this program expects {head}").format(rev=rev, head=head),
        )

    _guarded(tr("schema version"), results, schema_check)
    if db.location.path is not None:

        def pragma_rows(sql: str) -> list[object]:
            with db.engine.connect() as conn:
                return [r[0] for r in conn.exec_driver_sql(sql).all()]

        def integrity() -> CheckResult:
            rows = pragma_rows("PRAGMA integrity_check")
            ok = rows == ["ok"]
            return CheckResult(
                tr("integrity"), ok, tr("ok") if ok else "; ".join(str(r) for r in rows[:5])
            )

        def foreign_keys() -> CheckResult:
            with db.engine.connect() as conn:
                fk = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if not fk:
                return CheckResult(tr("foreign keys"), True, tr("ok"))
            return CheckResult(
                tr("foreign keys"),
                False,
                tr("{n} rows point at missing records, first in table {t}").format(
                    n=len(fk), t=fk[0][0]
                ),
            )

        def cipher() -> CheckResult:
            rows = pragma_rows("PRAGMA cipher_integrity_check")
            return CheckResult(
                tr("encryption (cipher integrity)"),
                not rows,
                tr("ok") if not rows else "; ".join(str(r) for r in rows[:5]),
            )

        _guarded(tr("integrity"), results, integrity)
        _guarded(tr("foreign keys"), results, foreign_keys)
        _guarded(tr("encryption (cipher integrity)"), results, cipher)
    else:

        def server() -> CheckResult:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return CheckResult(tr("server connection"), True, db.location.describe())

        _guarded(tr("server connection"), results, server)

    def trigger_check(
        name: str, expected_by_dialect: dict[str, frozenset[str]], consequence: str
    ) -> Callable[[], CheckResult]:
        def check() -> CheckResult:
            expected = expected_by_dialect.get(db.engine.dialect.name, frozenset())
            with db.engine.connect() as conn:
                missing = sorted(expected - schema.enabled_triggers(conn))
            if not missing:
                return CheckResult(name, True, tr("all {n} in force").format(n=len(expected)))
            return CheckResult(
                name,
                False,
                tr(
                    "missing or disabled: {names}. {consequence}; restore the newest backup, "
                    "or have the server's administrator recreate them from Casebook's migrations"
                ).format(names=", ".join(missing), consequence=consequence),
            )

        return check

    # The expected set is the current schema's: an older backup has fewer on purpose
    # (its upgrade adds them), and a damaged file has already failed the schema check.
    if found == [head]:
        for name, expected, consequence in (
            (
                tr("protective triggers"),
                schema.PROTECTIVE_TRIGGERS,
                tr("Signed notes and the audit log are not protected from changes"),
            ),
            (
                tr("caseload triggers"),
                schema.ACTIVITY_TRIGGERS,
                tr(
                    "The caseload's last contact, plan review, open referrals and BARC-10 "
                    "columns stop following new records"
                ),
            ),
        ):
            _guarded(name, results, trigger_check(name, expected, consequence))

    def chain() -> CheckResult:
        with db.session(read_only=True) as session:
            report = audit.verify_chain(session)
        return CheckResult(
            tr("audit chain"),
            report.ok,
            tr("{n} events, intact").format(n=report.rows_checked) if report.ok else report.problem,
        )

    _guarded(tr("audit chain"), results, chain)
    return results
