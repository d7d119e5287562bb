"""Engines and units of work for SQLCipher files and PostgreSQL servers.

One factory serves every caller (window, command line, tests, benchmark), so the
storage settings DESIGN.md asks for are applied in exactly one place.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import QueuePool

from casebook.errors import ConflictError, DatabaseError, KeyringError, PermissionDenied
from casebook.i18n import tr

ENV_DB = "CASEBOOK_DB"
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class DatabaseLocation:
    """Where the database lives: an encrypted SQLite file or a server URL."""

    url: str
    path: Path | None = None

    @property
    def is_file(self) -> bool:
        return self.path is not None

    @property
    def dialect(self) -> str:
        return "sqlite" if self.path is not None else make_url(self.url).get_backend_name()

    def describe(self) -> str:
        """A form safe to show and log: never includes a password."""
        if self.path is not None:
            return str(self.path)
        return make_url(self.url).render_as_string(hide_password=True)


def default_database_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("Casebook", "Casebook")) / "casebook.db"


def resolve_location(value: str | None = None) -> DatabaseLocation:
    """Turn ``--db`` (or ``CASEBOOK_DB``, or the default) into a location.

    A value containing ``://`` is a SQLAlchemy URL; anything else is a file path.
    """
    raw = value or os.environ.get(ENV_DB) or ""
    if not raw:
        return DatabaseLocation(url="sqlite://", path=default_database_path())
    if "://" in raw:
        try:
            url = make_url(raw)
        except (ArgumentError, ValueError):  # a non-numeric port raises ValueError
            raise DatabaseError(
                tr(
                    "--db: {value} is not a valid database URL; use e.g. "
                    "postgresql+psycopg://user@host/dbname"
                ).format(value=raw)
            ) from None
        if url.get_backend_name() not in ("postgresql", "sqlite"):
            raise DatabaseError(
                tr(
                    "--db: {backend} databases are not supported; use a file path or a "
                    "postgresql+psycopg:// URL"
                ).format(backend=url.get_backend_name())
            )
        if url.get_backend_name() == "sqlite":
            if not url.database:
                raise DatabaseError(tr("--db: a sqlite URL needs a file path"))
            return DatabaseLocation(
                url="sqlite://", path=Path(url.database).expanduser().absolute()
            )
        return DatabaseLocation(url=raw)
    return DatabaseLocation(url="sqlite://", path=Path(raw).expanduser().absolute())


def _sqlcipher_module() -> Any:
    try:
        from sqlcipher3 import dbapi2
    except ImportError as exc:  # pragma: no cover - sqlcipher3 is a hard dependency
        raise DatabaseError(
            tr("SQLCipher support is missing; reinstall Casebook (pip install sqlcipher3)")
        ) from exc
    return dbapi2


def check_file_header(path: Path) -> None:
    """Refuse files that cannot be a Casebook database before SQLCipher sees them."""
    if not path.exists():
        raise DatabaseError(
            tr("No database at {path}; create one with 'casebook db init --db {path}'").format(
                path=path
            )
        )
    if path.is_dir():
        raise DatabaseError(tr("{path} is a folder, not a database file").format(path=path))
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise DatabaseError(
            tr("Cannot read {path}: {reason}").format(path=path, reason=exc.strerror)
        ) from None
    if head == SQLITE_MAGIC:
        raise DatabaseError(
            tr(
                "{path} is an unencrypted SQLite file, not an encrypted Casebook database; "
                "Casebook never opens patient records without encryption"
            ).format(path=path)
        )
    if len(head) < 16:
        raise DatabaseError(
            tr(
                "{path} is empty or truncated; restore it from a backup "
                "('casebook db restore BACKUP')"
            ).format(path=path)
        )


def make_engine(
    location: DatabaseLocation, *, key_hex: str | None = None, echo: bool = False
) -> Engine:
    """Create the engine for *location*.

    For a file, *key_hex* is the 256-bit SQLCipher raw key (64 hex digits);
    SQLCipher skips its passphrase KDF for raw keys, so opening stays fast.
    """
    if location.path is not None:
        if key_hex is None:
            raise DatabaseError(tr("An encrypted database needs its key"))
        return _sqlite_engine(location.path, key_hex, echo=echo)
    return _server_engine(location.url, echo=echo)


#: Ceiling of each connection's decrypted page cache, in KiB.
PAGE_CACHE_KIB = 64 * 1024


def _sqlite_engine(path: Path, key_hex: str, *, echo: bool) -> Engine:
    dbapi = _sqlcipher_module()
    key_pragma = f"PRAGMA key = \"x'{key_hex}'\""

    def connect() -> Any:
        # isolation_level=None turns off pysqlite's legacy transaction handling;
        # SQLAlchemy then emits BEGIN itself (see the "begin" listener below).
        conn = dbapi.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        try:
            # SQLCipher prints its own errors (e.g. "hmac check failed") to stderr;
            # Casebook reports them itself, in words a person can act on.
            conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
            conn.execute(key_pragma)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Reading the schema proves the key is right before anything else runs.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA temp_store = MEMORY")
            # SQLCipher decrypts every page it reads into this cache; SQLite's 2 MB
            # default is smaller than the caseload's working set (the covering
            # indexes of 10,000 participants' notes), so each load decrypted the
            # same pages again: 165 ms against 94 ms with a 64 MB ceiling. The
            # cache only grows as pages are read.
            conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
        except Exception:
            conn.close()
            raise
        return conn

    engine = create_engine(
        f"sqlite:///{path}",
        creator=connect,
        module=dbapi,
        echo=echo,
        poolclass=QueuePool,
        # Each kept connection holds its own decrypted page cache (PAGE_CACHE_KIB):
        # keep two, hand out the most recently used first (LIFO) so the next query
        # finds the pages the last one decrypted, and close the overflow ones that
        # busy moments open, so memory stays bounded.
        pool_size=2,
        max_overflow=10,
        pool_use_lifo=True,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _server_engine(url: str, *, echo: bool) -> Engine:
    parsed = with_keyring_password(make_url(url))
    try:
        engine = create_engine(parsed, echo=echo, pool_pre_ping=True)
    except (ModuleNotFoundError, NoSuchModuleError) as exc:
        raise DatabaseError(
            tr(
                "The driver for {url} is not installed; install Casebook with the "
                "'postgres' extra (pip install 'casebook[postgres]')"
            ).format(url=parsed.render_as_string(hide_password=True))
        ) from exc

    @event.listens_for(engine, "connect")
    def _utc(dbapi_conn: Any, record: Any) -> None:
        # Times are stored as timestamptz and handed out in UTC; a session in UTC
        # makes date(), date_trunc() and comparisons with naive literals agree with
        # SQLite (which stores UTC) whatever time zone the clinic server runs in.
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute("SET TIME ZONE 'UTC'")
        finally:
            cursor.close()
        dbapi_conn.commit()

    return engine


# ----------------------------------------------------------- server passwords
#
# A clinic server's password can live in the operating system's keyring instead of
# the connection string (where it would show up in shell history and process
# lists). It is looked up when the URL names a user but no password; the entry is
# "postgres:USER@HOST:PORT/DATABASE" under the same keyring service as the SQLCipher
# keys, so each server, database and role has its own.


def server_password_entry(url: URL | str) -> str:
    parsed = make_url(url) if isinstance(url, str) else url
    host = parsed.host or "localhost"
    port = parsed.port or 5432
    return f"postgres:{parsed.username or ''}@{host}:{port}/{parsed.database or ''}"


def with_keyring_password(url: URL) -> URL:
    """*url* with the password from the keyring when it names a user but no password.

    Without an entry (or without a usable keyring) the URL is returned unchanged:
    the server may not need a password (peer or certificate authentication), or
    libpq finds one in ~/.pgpass or PGPASSWORD.
    """
    if url.password is not None or not url.username or url.get_backend_name() != "postgresql":
        return url
    from casebook.security import keystore

    entry = server_password_entry(url)
    try:
        password = keystore._call_keyring(
            lambda backend: backend.get_password(keystore.KEYRING_SERVICE, entry),
            action=tr("reading"),
            timeout=keystore.DEFAULT_KEYRING_TIMEOUT,
        )
    except KeyringError:
        return url
    return url if password is None else url.set(password=password)


def store_server_password(url: URL | str, password: str) -> str:
    """Keep *password* in the keyring for the server, role and database of *url*;
    returns the entry name. Raises KeyringError when it cannot be kept."""
    from casebook.security import keystore

    parsed = make_url(url) if isinstance(url, str) else url
    if not parsed.username:
        raise DatabaseError(
            tr(
                "--db: name the role in the URL (postgresql+psycopg://ROLE@host/dbname) so "
                "the password is kept for that role"
            )
        )
    entry = server_password_entry(parsed)

    def operation(backend: Any) -> None:
        backend.set_password(keystore.KEYRING_SERVICE, entry, password)
        if backend.get_password(keystore.KEYRING_SERVICE, entry) != password:
            raise KeyringError(
                tr(
                    "The keyring accepted the password but did not give it back when read "
                    "again; use another keyring or a ~/.pgpass file"
                )
            )

    try:
        keystore._call_keyring(
            operation, action=tr("storing"), timeout=keystore.DEFAULT_KEYRING_TIMEOUT
        )
    except KeyringError as exc:
        raise KeyringError(
            tr(
                "The password could not be kept in the keyring ({reason}). Install or unlock "
                "a keyring, or put the password in the server account's ~/.pgpass file instead"
            ).format(reason=exc.message.split(";")[0])
        ) from None
    return entry


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: services hand out frozen read models built before
    # commit, and nothing should lazy-load after the unit of work ends.
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def session_scope(factory: sessionmaker[Session], *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    Writes start with ``BEGIN IMMEDIATE`` so two writers queue on the busy
    timeout instead of failing later with "database is locked". Read-only work
    (tables, search) uses a deferred transaction and never blocks a writer.
    """
    session = factory()
    if read_only:
        session.info["read_only"] = True
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
    try:
        yield session
        session.commit()
    except PermissionDenied as exc:
        session.rollback()
        session.close()
        if exc.audit:
            _record_refusal(factory, exc.audit)
        raise
    except StaleDataError as exc:
        # Two saves of one record raced past the services' version check (both
        # read it before either wrote); the version column let only one through.
        session.rollback()
        raise ConflictError(
            tr(
                "Someone else saved {what} at the same moment, so your changes were not "
                "saved. Reload to see their version, then make your changes again"
            ).format(what=_record_words(str(exc)))
        ) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _record_words(stale_message: str) -> str:
    """What a StaleDataError was about, in the words the services use."""
    table = stale_message.split("'")[1] if stale_message.count("'") >= 2 else ""
    words = {
        "participant": tr("this participant's profile"),
        "recovery_plan": tr("this recovery plan"),
        "referral": tr("this referral"),
        "consent": tr("this consent"),
        "counselor": tr("this directory entry"),
        "session_note": tr("this note"),
        "group_session": tr("this group session"),
        "staff_user": tr("this account"),
    }
    return words.get(table, tr("this record"))


def _record_refusal(factory: sessionmaker[Session], event: dict[str, object]) -> None:
    from casebook.security import audit

    with factory() as session, session.begin():
        audit.record(session, **event)  # type: ignore[arg-type]


def describe_operational_error(exc: BaseException, location: DatabaseLocation) -> str:
    """Turn a driver error on open into one sentence a person can act on."""
    text = str(getattr(exc, "orig", exc)).lower()
    where = location.describe()
    if "file is not a database" in text or "not a database" in text:
        return tr(
            "{where} cannot be opened: it is not a Casebook database, it is damaged, or the "
            "key is wrong. Check --db, the key (keyring or CASEBOOK_DB_KEY), or restore a "
            "backup with 'casebook db restore BACKUP'"
        ).format(where=where)
    if "malformed" in text or "corrupt" in text:
        return tr(
            "{where} is damaged ({reason}); restore it from a backup with "
            "'casebook db restore BACKUP'"
        ).format(where=where, reason=str(getattr(exc, "orig", exc)).strip())
    if "unable to open" in text or "readonly" in text or "read-only" in text:
        return tr(
            "{where} cannot be opened for writing; check that the folder exists and is writable"
        ).format(where=where)
    if "disk is full" in text or "database or disk is full" in text:
        return tr(
            "The disk holding {where} is full; nothing was saved. Free some space and try again"
        ).format(where=where)
    if "disk i/o error" in text:
        return tr(
            "The disk refused a write to {where} (it may be full or failing); nothing was "
            "saved and earlier work is safe. Free some space or check the disk"
        ).format(where=where)
    if "locked" in text or "busy" in text:
        return tr("{where} is busy in another program; try again in a moment").format(where=where)
    if "password authentication failed" in text or "no password supplied" in text:
        return tr(
            "Cannot sign in to {where}: the server refused the role or password. Store the "
            "password with 'casebook db set-password --db URL' (it is read from the keyring), "
            "or check the role name"
        ).format(where=where)
    if "connection" in text or "could not" in text:
        return tr("Cannot connect to {where}: {reason}").format(
            where=where, reason=str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        )
    return tr("Database error on {where}: {reason}").format(
        where=where, reason=str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    )


def is_driver_error(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError | OperationalError | sqlite3.Error) or type(
        exc
    ).__module__.startswith(("sqlcipher3", "psycopg"))
