"""Database checks (``db check``): storage integrity, keys, schema and the audit chain."""

from __future__ import annotations

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


def check_database(db: Database) -> list[CheckResult]:
    """Run every check and report each; never stops at the first problem."""
    results: list[CheckResult] = []
    rev = schema.current_revision(db.engine)
    head = schema.head_revision()
    results.append(
        CheckResult(
            tr("schema version"),
            rev == head,
            tr("{rev} (current)").format(rev=rev)
            if rev == head
            else tr("{rev}; this program expects {head}").format(rev=rev, head=head),
        )
    )
    if db.location.path is not None:
        with db.engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").all()]
            ok = rows == ["ok"]
            results.append(
                CheckResult(tr("integrity"), ok, tr("ok") if ok else "; ".join(rows[:5]))
            )
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            results.append(
                CheckResult(
                    tr("foreign keys"),
                    not fk,
                    tr("ok")
                    if not fk
                    else tr("{n} rows point at missing records, first in table {t}").format(
                        n=len(fk), t=fk[0][0]
                    ),
                )
            )
            cipher = [r[0] for r in conn.exec_driver_sql("PRAGMA cipher_integrity_check").all()]
            results.append(
                CheckResult(
                    tr("encryption (cipher integrity)"),
                    not cipher,
                    tr("ok") if not cipher else "; ".join(cipher[:5]),
                )
            )
            conn.rollback()
    else:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        results.append(CheckResult(tr("server connection"), True, db.location.describe()))
    with db.session(read_only=True) as session:
        report = audit.verify_chain(session)
    results.append(
        CheckResult(
            tr("audit chain"),
            report.ok,
            tr("{n} events, intact").format(n=report.rows_checked) if report.ok else report.problem,
        )
    )
    return results
