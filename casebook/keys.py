"""Database key operations: recovery copy export/import, and rekeying.

The key lives in the OS keyring; a recovery copy wrapped under an admin
passphrase lets the database be reopened on a new machine.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from casebook.database import Database, open_database
from casebook.db import DatabaseLocation, check_file_header, make_engine
from casebook.errors import DatabaseError, KeyringError
from casebook.i18n import tr
from casebook.security import keystore


def pending_entry(path: Path) -> str:
    """Where a new key waits while a rekey is under way (so a crash never loses it)."""
    return keystore.key_entry_name(path) + ":pending"


def export_recovery(db: Database, passphrase: str) -> bytes:
    if db.location.path is None or not db.key_hex:
        raise DatabaseError(tr("Only an encrypted database file has a key to export"))
    return keystore.export_recovery_key(db.key_hex, passphrase)


def _key_opens(path: Path, key_hex: str) -> bool:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    engine = make_engine(DatabaseLocation(url="sqlite://", path=path), key_hex=key_hex)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master"))
        return True
    except DBAPIError:
        return False
    finally:
        engine.dispose()


def import_recovery(path: Path, recovery: bytes, passphrase: str) -> None:
    """Unwrap a recovery copy, prove it opens *path*, and keep it in this machine's keyring."""
    check_file_header(path)
    key = keystore.import_recovery_key(recovery, passphrase)
    if not _key_opens(path, key):
        raise KeyringError(
            tr(
                "The recovery key is valid but does not open {path}: it belongs to another database"
            ).format(path=path)
        )
    keystore.store_key(keystore.key_entry_name(path), key)


def rekey(db: Database) -> Database:
    """Encrypt the database under a new random key; returns the reopened database.

    Order matters for crash safety: the new key is stored (as pending) before
    the file changes, and becomes the main key only once the file opens with it.
    """
    from casebook.backup import automatic_backup

    path = db.location.path
    if path is None or not db.key_hex:
        raise DatabaseError(tr("A clinic server's encryption is managed on the server"))
    automatic_backup(db, reason="before-rekey")
    new_key = keystore.generate_key()
    pending = pending_entry(path)
    keystore.store_key(pending, new_key)
    db.close()
    from sqlcipher3 import dbapi2

    conn = dbapi2.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
        conn.execute(f"PRAGMA key = \"x'{db.key_hex}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        conn.execute(f"PRAGMA rekey = \"x'{new_key}'\"").fetchall()
    finally:
        conn.close()
    if not _key_opens(path, new_key):
        raise DatabaseError(tr("Rekeying failed; the previous key still opens the database"))
    keystore.store_key(keystore.key_entry_name(path), new_key)
    with contextlib.suppress(KeyringError):
        keystore.delete_key(pending)
    return open_database(db.location)


def promote_pending_key(path: Path) -> str | None:
    """After a crash mid-rekey: if the pending key opens the file, make it the main key."""
    try:
        key = keystore.load_key(pending_entry(path))
    except KeyringError:
        return None
    if key and _key_opens(path, key):
        keystore.store_key(keystore.key_entry_name(path), key)
        with contextlib.suppress(KeyringError):
            keystore.delete_key(pending_entry(path))
        return key
    return None
