"""Opening and creating a Casebook database: location, key, engine, schema check.

This is the one path from "--db something" to a usable session factory, for
the window, the command line and the tests alike.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from casebook import schema
from casebook.db import (
    DatabaseLocation,
    check_file_header,
    describe_operational_error,
    make_engine,
    session_factory,
    session_scope,
)
from casebook.errors import DatabaseError, KeyringError
from casebook.i18n import tr
from casebook.security import keystore


@dataclass
class Database:
    location: DatabaseLocation
    engine: Engine
    # Kept for the backup API, which must open the copy with the same key.
    key_hex: str | None = field(default=None, repr=False)
    factory: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.factory = session_factory(self.engine)

    @contextlib.contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        with session_scope(self.factory, read_only=read_only) as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()


def count_accounts(session: Session) -> int:
    """How many staff accounts exist (0: the first run). Plain SQL, so the window can
    ask before the ORM models are loaded (``users.count_users`` is this)."""
    return int(session.execute(text("SELECT count(*) FROM staff_user")).scalar_one())


def resolve_key(
    location: DatabaseLocation, *, key_file: Path | None = None, key_hex: str | None = None
) -> str:
    """The SQLCipher key for a file: an explicit key (demo, tests), --key-file,
    then CASEBOOK_DB_KEY, then the keyring."""
    assert location.path is not None
    if key_hex:
        return keystore.validate_key_hex(key_hex, source="key")
    if key_file is not None:
        return keystore.read_key_file(key_file)
    explicit = keystore.key_from_environment()
    if explicit:
        return explicit
    key = keystore.load_key(keystore.key_entry_name(location.path))
    if key is None:
        raise KeyringError(
            tr(
                "The key for {path} is not in this computer's keyring ({backend}). Import the "
                "recovery key with 'casebook db import-key', or supply it with CASEBOOK_DB_KEY "
                "or --key-file"
            ).format(path=location.path, backend=keystore.backend_description())
        )
    return key


def _probe(engine: Engine, location: DatabaseLocation) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseError(describe_operational_error(exc, location)) from None


def probe_server(location: DatabaseLocation, password: str) -> None:
    """Sign in to the server at *location* with *password*, or raise DatabaseError."""
    from sqlalchemy.engine import make_url

    url = make_url(location.url).set(password=password)
    engine = make_engine(DatabaseLocation(url=url.render_as_string(hide_password=False)))
    try:
        _probe(engine, location)
    finally:
        engine.dispose()


def open_database(
    location: DatabaseLocation,
    *,
    key_file: Path | None = None,
    key_hex: str | None = None,
    check_schema: bool = True,
    echo: bool = False,
) -> Database:
    """Open an existing database and make sure this program understands its schema."""
    key: str | None = None
    if location.path is not None:
        check_file_header(location.path)
        key = resolve_key(location, key_file=key_file, key_hex=key_hex)
    engine = make_engine(location, key_hex=key, echo=echo)
    try:
        _probe(engine, location)
    except DatabaseError:
        # A rekey interrupted after the file changed: the new key waits as "pending".
        from casebook.keys import promote_pending_key

        if (
            location.path is None
            or key_file is not None
            or key_hex
            or keystore.key_from_environment()
        ):
            raise
        promoted = promote_pending_key(location.path)
        if promoted is None:
            raise
        key = promoted
        engine = make_engine(location, key_hex=key, echo=echo)
        _probe(engine, location)
    if check_schema:
        try:
            schema.ensure_current(engine)
        except DatabaseError:
            engine.dispose()
            raise
    return Database(location, engine, key)


def create_database(
    location: DatabaseLocation, *, key_file: Path | None = None, key_hex: str | None = None
) -> Database:
    """``db init``: a new encrypted file with a fresh key in the keyring, or a new
    schema on an empty server database. Nothing is left behind on failure.

    An explicit *key_hex* (the throwaway demo database) never reaches the keyring.
    """
    created_key_entry: str | None = None
    key: str | None = key_hex
    if location.path is not None:
        path = location.path
        if path.exists() and path.stat().st_size > 0:
            raise DatabaseError(
                tr(
                    "{path} already exists; choose another file, or use "
                    "'casebook db upgrade' for an existing database"
                ).format(path=path)
            )
        parent = path.parent
        if not parent.exists():
            try:
                parent.mkdir(parents=True)
            except OSError as exc:
                raise DatabaseError(
                    tr("Cannot create the folder {dir}: {reason}").format(
                        dir=parent, reason=exc.strerror
                    )
                ) from None
        if not os.access(parent, os.W_OK):
            raise DatabaseError(
                tr("The folder {dir} is not writable; choose another location with --db").format(
                    dir=parent
                )
            )
        if key is not None:
            key = keystore.validate_key_hex(key, source="key")
        elif key_file is not None:
            key = keystore.read_key_file(key_file)
        else:
            key = keystore.key_from_environment() or keystore.generate_key()
            if not keystore.key_from_environment():
                created_key_entry = keystore.key_entry_name(path)
                keystore.store_key(created_key_entry, key)
        engine = make_engine(location, key_hex=key)
    else:
        engine = make_engine(location)
    try:
        _probe(engine, location)
        schema.init_schema(engine)
    except BaseException:
        engine.dispose()
        if location.path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(OSError):
                    Path(str(location.path) + suffix).unlink()
            if created_key_entry is not None:
                with contextlib.suppress(KeyringError):
                    keystore.delete_key(created_key_entry)
        raise
    return Database(location, engine, key)
