"""Online, verified, encrypted backups through the SQLite backup API.

A live database is never copied as a file: a copy taken mid-write (or without
its WAL) can be silently inconsistent. The backup API copies a consistent
snapshot page by page, still encrypted with the same key.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from casebook.database import Database
from casebook.errors import DatabaseError
from casebook.i18n import tr

DEFAULT_KEEP = 14
# What follows "<database stem>-" in an automatic backup's name. The stem is matched
# as a literal prefix: both stems ("casebook-demo") and reasons ("before-upgrade")
# may contain hyphens, so one pattern for the whole name would be ambiguous.
_BACKUP_TAIL = re.compile(r"^(?P<reason>[a-z]+(?:-[a-z]+)*)-(?P<stamp>\d{8}T\d{6}\d*)\.db$")


def _backup_stamp(name: str, stem: str) -> str | None:
    """The timestamp of *name* when it is an automatic backup of the database *stem*."""
    prefix = f"{stem}-"
    if not name.startswith(prefix):
        return None
    match = _BACKUP_TAIL.match(name[len(prefix) :])
    return match["stamp"] if match else None


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    audit_events: int
    audit_head: str


def backup_dir(db_path: Path) -> Path:
    return db_path.parent / "backups"


def _raw_connection(db: Database) -> Any:
    # The dbapi connection under SQLAlchemy's pool proxy: the backup API lives there.
    return db.engine.raw_connection()


def backup_to(
    db: Database,
    target: Path,
    *,
    actor_name: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> BackupInfo:
    """Write a verified encrypted backup to *target* (atomically: temp file, then rename)."""
    from sqlcipher3 import dbapi2

    from casebook.db import session_scope
    from casebook.security import audit

    if db.location.path is None:
        raise DatabaseError(
            tr(
                "A clinic server is backed up on the server (pg_dump); see the "
                "README section 'Clinic server'"
            )
        )
    target = target.expanduser().absolute()
    if target.resolve() == db.location.path.resolve():
        raise DatabaseError(
            tr("The backup cannot overwrite the database itself; choose another file")
        )
    if not target.parent.is_dir():
        raise DatabaseError(tr("The folder {dir} does not exist").format(dir=target.parent))
    with session_scope(db.factory) as session:
        audit.record(
            session,
            user_id=None,
            username=actor_name,
            action="backup",
            details={"target": target.name},
        )
    key = _key_of(db)
    tmp = target.with_name(f".{target.name}.partial")
    raw = _raw_connection(db)
    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        dest = dbapi2.connect(str(tmp))
        try:
            dest.execute(f"PRAGMA key = \"x'{key}'\"")

            def step(status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            raw.driver_connection.backup(dest, pages=256, progress=step)
        finally:
            dest.close()
        info = verify_backup(tmp, key, shown_as=target)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise DatabaseError(
            tr("Cannot write the backup {path}: {reason}").format(path=target, reason=exc.strerror)
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    finally:
        raw.close()
    return BackupInfo(target, target.stat().st_size, info.audit_events, info.audit_head)


def _key_of(db: Database) -> str:
    key = getattr(db, "key_hex", None)
    if not key:
        raise DatabaseError(tr("The database key is not available for the backup"))
    return str(key)


def verify_backup(path: Path, key_hex: str, *, shown_as: Path | None = None) -> BackupInfo:
    """Open a backup read-only and run every check; raises DatabaseError on any problem."""
    from casebook.database import Database
    from casebook.db import DatabaseLocation, check_file_header, make_engine
    from casebook.maintenance import check_database

    check_file_header(path)
    location = DatabaseLocation(url="sqlite://", path=path)
    engine = make_engine(location, key_hex=key_hex)
    probe = Database(location, engine)
    try:
        try:
            results = check_database(probe, require_head=False)
        except Exception as exc:
            from casebook.db import describe_operational_error

            raise DatabaseError(describe_operational_error(exc, location)) from None
        bad = [r for r in results if not r.ok]
        if bad:
            raise DatabaseError(
                tr("The backup {path} failed its check: {what}").format(
                    path=shown_as or path, what="; ".join(f"{r.name}: {r.detail}" for r in bad)
                )
            )
        from casebook.security.audit import verify_chain

        with probe.session(read_only=True) as s:
            chain = verify_chain(s)
    finally:
        probe.close()
    return BackupInfo(path, path.stat().st_size, chain.rows_checked, chain.head_hash)


def automatic_backup(db: Database, *, reason: str, keep: int = DEFAULT_KEEP) -> Path | None:
    """A rotated backup beside the database (daily, before migrations and restores)."""
    if db.location.path is None:
        return None
    folder = backup_dir(db.location.path)
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            tr("Cannot create the backup folder {dir}: {reason}").format(
                dir=folder, reason=exc.strerror
            )
        ) from None
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = folder / f"{db.location.path.stem}-{reason}-{stamp}.db"
    backup_to(db, target, actor_name="casebook")
    rotate(folder, db.location.path.stem, keep)
    return target


def daily_backup_due(db_path: Path, today: date | None = None) -> bool:
    """True when no automatic backup of *db_path* has been taken today."""
    day = (today or date.today()).strftime("%Y%m%d")
    return not any(
        (stamp := _backup_stamp(p.name, db_path.stem)) and stamp.startswith(day)
        for p in list_backups(db_path)
    )


def daily_backup(db: Database, *, keep: int = DEFAULT_KEEP) -> Path | None:
    """The start-of-day backup; None when one was already taken today (or on a server)."""
    if db.location.path is None or not daily_backup_due(db.location.path):
        return None
    return automatic_backup(db, reason="daily", keep=keep)


def list_backups(db_path: Path) -> list[Path]:
    folder = backup_dir(db_path)
    if not folder.is_dir():
        return []
    found = {p: stamp for p in folder.iterdir() if (stamp := _backup_stamp(p.name, db_path.stem))}
    return sorted(found, key=lambda p: found[p])


def rotate(folder: Path, stem: str, keep: int) -> None:
    backups = list_backups(folder.parent / f"{stem}.db")
    for old in backups[: max(0, len(backups) - keep)]:
        with contextlib.suppress(OSError):
            old.unlink()


def _safety_backup(current: Database) -> Path | None:
    """A backup of the database a restore is about to replace, when it can be taken.

    A damaged file (the usual reason to restore) cannot be backed up: its pages fail
    their checks. That must not block the restore: the file itself is moved aside,
    never deleted, so nothing is lost without this copy.
    """
    try:
        safety = automatic_backup(current, reason="before-restore")
    except Exception:
        return None
    # Outside any transaction (a checkpoint cannot run inside one), so the file kept
    # aside is complete without its -wal.
    with contextlib.suppress(Exception):
        raw = current.engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            raw.close()
    return safety


@dataclass(frozen=True)
class RestoreInfo:
    restored_from: Path
    replaced_kept_as: Path | None
    safety_backup: Path | None
    audit_events: int


def restore_from(
    location_path: Path,
    backup: Path,
    key_hex: str,
    *,
    actor_name: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> RestoreInfo:
    """Replace the database at *location_path* with a verified copy of *backup*.

    The backup is checked (integrity, cipher, audit chain) before anything is
    touched; the current database, if it still opens, is backed up first, and
    is always kept aside under a ``.replaced-…`` name rather than deleted.
    """
    from sqlcipher3 import dbapi2

    from casebook.database import open_database
    from casebook.db import DatabaseLocation, session_scope
    from casebook.security import audit

    backup = backup.expanduser().absolute()
    target = location_path.expanduser().absolute()
    if backup == target:
        raise DatabaseError(tr("Choose a backup file, not the database itself"))
    info = verify_backup(backup, key_hex)
    location = DatabaseLocation(url="sqlite://", path=target)
    safety: Path | None = None
    if target.exists():
        try:
            current = open_database(location, key_hex=key_hex, check_schema=False)
        except DatabaseError:
            current = None  # damaged or foreign: nothing to back up, still kept aside below
        if current is not None:
            try:
                safety = _safety_backup(current)
            finally:
                current.close()
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    tmp = target.with_name(f".{target.name}.restoring")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    src = dbapi2.connect(str(backup))
    dst = dbapi2.connect(str(tmp))
    try:
        for conn in (src, dst):
            conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
            conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")

        def step(status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        src.backup(dst, pages=256, progress=step)
    except BaseException:
        dst.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    finally:
        src.close()
        with contextlib.suppress(Exception):
            dst.close()
    kept: Path | None = None
    if target.exists():
        kept = target.with_name(f"{target.name}.replaced-{stamp}")
        os.replace(target, kept)
        for suffix in ("-wal", "-shm"):
            side = Path(str(target) + suffix)
            if side.exists():
                os.replace(side, Path(str(kept) + suffix))
    os.replace(tmp, target)
    restored = open_database(location, key_hex=key_hex, check_schema=False)
    try:
        with session_scope(restored.factory) as session:
            audit.record(
                session,
                user_id=None,
                username=actor_name,
                action="restore",
                details={"from": backup.name, "audit_events": info.audit_events},
            )
    finally:
        restored.close()
    return RestoreInfo(backup, kept, safety, info.audit_events)
