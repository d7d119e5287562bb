"""Encryption at rest: the file and its WAL never show a participant's name, the key
lives in the keyring (never silently in plain text), and the audit log cannot be
edited behind the program's back without `db check` saying so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Staff
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from test_db import fast_database_fixtures, raw_connection

from casebook import cli
from casebook.database import Database, open_database
from casebook.db import SQLITE_MAGIC, DatabaseLocation
from casebook.errors import DatabaseError
from casebook.security import keystore
from casebook.security.memory_keyring import MemoryKeyring
from casebook.services import participants as P
from models import AuditEvent

templates, db, staff = fast_database_fixtures()

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("Zoë Nguyễn-Łukasz", "Margaret Okonkwo")
EMAIL = "margaret.okonkwo@example.org"


def _bytes_of(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


def _assert_no_plaintext(path: Path, needles: list[bytes]) -> None:
    for candidate in (path, Path(f"{path}-wal")):
        data = _bytes_of(candidate)
        for needle in needles:
            assert needle not in data, f"{needle!r} readable in {candidate.name}"


def _needles() -> list[bytes]:
    found: list[bytes] = []
    for name in (*NAMES, EMAIL):
        found += [name.encode("utf-8"), name.encode("utf-16-le")]
    # Parts of names too, in case a page boundary splits the whole.
    found += [b"Okonkwo", "Nguyễn".encode(), "Łukasz".encode()]
    return found


def _intake(db: Database, staff: Staff) -> list[int]:
    ids = []
    with db.session() as s:
        for i, name in enumerate(NAMES):
            ids.append(
                P.create_participant(
                    s,
                    staff.peer1,
                    P.parse_participant_fields(
                        {
                            "legal_name": name,
                            "date_of_birth": "1985-06-0" + str(i + 1),
                            "intake_date": "2025-02-01",
                            "email": EMAIL,
                        }
                    ),
                ).id
            )
    return ids


# -------------------------------------------------------------------- bytes on disk


def test_database_file_and_wal_hold_no_readable_names(db: Database, staff: Staff) -> None:
    path = db.location.path
    assert path is not None
    _intake(db, staff)
    # Still open: the recent pages sit in the WAL, which must be encrypted too.
    wal = Path(f"{path}-wal")
    assert wal.exists() and wal.stat().st_size > 0
    assert not path.read_bytes().startswith(SQLITE_MAGIC)
    _assert_no_plaintext(path, _needles())
    # The program still reads them back with the key.
    with db.session(read_only=True) as s:
        names = set(s.scalars(text("SELECT legal_name FROM participant")).all())
    assert names == set(NAMES)

    db.close()  # checkpoint: the WAL is folded into the main file
    assert not path.read_bytes().startswith(SQLITE_MAGIC)
    _assert_no_plaintext(path, _needles())


def test_wrong_key_is_a_clear_error_without_sqlcipher_noise(
    db: Database, capfd: pytest.CaptureFixture[str]
) -> None:
    location = db.location
    db.close()
    capfd.readouterr()
    with pytest.raises(DatabaseError) as info:
        open_database(location, key_hex=keystore.generate_key())
    message = str(info.value)
    assert "key is wrong" in message
    assert "\n" not in message
    out, err = capfd.readouterr()  # file-descriptor level: catches C library output too
    assert out == "" and err == ""


def test_wrong_key_on_the_command_line_is_one_line(
    db: Database, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    assert db.location.path is not None
    db.close()
    capfd.readouterr()
    monkeypatch.setenv("CASEBOOK_DB_KEY", keystore.generate_key())
    code = cli.run(["--db", str(db.location.path), "db", "check"])
    out, err = capfd.readouterr()
    assert code != 0
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "key is wrong" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- the key


def test_db_init_keeps_a_new_key_in_the_keyring(
    tmp_path: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "clinic.db"
    assert cli.run(["--db", str(path), "db", "init"]) == 0
    out, _ = capsys.readouterr()
    assert "in-memory test keyring" in out  # names where the key is kept
    entry = (keystore.KEYRING_SERVICE, keystore.key_entry_name(path))
    assert list(memory_keyring.passwords) == [entry]
    key = memory_keyring.passwords[entry]
    assert keystore.validate_key_hex(key, source="test") == key
    assert key not in out  # the key itself is never printed
    # The stored key is the one that opens the file.
    conn = raw_connection(path, key)
    try:
        assert conn.execute("SELECT count(*) FROM staff_user").fetchone() == (0,)
    finally:
        conn.close()
    # Two databases never share a key.
    other = tmp_path / "other.db"
    assert cli.run(["--db", str(other), "db", "init"]) == 0
    assert (
        memory_keyring.passwords[(keystore.KEYRING_SERVICE, keystore.key_entry_name(other))] != key
    )


def test_an_explicit_key_is_not_stored_in_the_keyring(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "automation.db"
    key = keystore.generate_key()
    monkeypatch.setenv("CASEBOOK_DB_KEY", key)
    assert cli.run(["--db", str(path), "db", "init"]) == 0
    capsys.readouterr()
    assert memory_keyring.passwords == {}
    conn = raw_connection(path, key)
    conn.close()
    assert cli.run(["--db", str(path), "db", "check"]) == 0


def test_a_failed_init_removes_its_key_from_the_keyring(
    tmp_path: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    assert cli.run(["--db", str(blocker / "clinic.db"), "db", "init"]) != 0
    _, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1
    assert memory_keyring.passwords == {}


def _subprocess_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CASEBOOK_DB", "CASEBOOK_DB_KEY", "CASEBOOK_PASSWORD")
    }
    env.update(extra)
    return env


def test_no_usable_keyring_is_one_clear_line_and_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    target = folder / "clinic.db"
    proc = subprocess.run(
        [sys.executable, "main.py", "--db", str(target), "db", "init"],
        cwd=ROOT,
        env=_subprocess_env(PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "keyring" in lines[0].lower()
    assert "CASEBOOK_DB_KEY" in lines[0]  # says how to supply the key instead
    assert "Traceback" not in proc.stderr
    assert list(folder.iterdir()) == []  # no plaintext (or any) database left behind


# ------------------------------------------------------------------------- the audit


def test_audit_rows_cannot_be_updated_or_deleted(db: Database, staff: Staff) -> None:
    _intake(db, staff)
    for statement in (
        "UPDATE audit_event SET details = '{}' WHERE id = 1",
        "DELETE FROM audit_event WHERE id = 1",
    ):
        with pytest.raises(DBAPIError) as info, db.session() as s:
            s.execute(text(statement))
        assert "append-only" in str(info.value)
    with db.session(read_only=True) as s:
        assert s.scalar(select(AuditEvent.details).where(AuditEvent.id == 1)) != "{}"


def _tamper(db: Database, *statements: str) -> None:
    """Edit the audit table as an insider with the key would: drop the triggers first."""
    path, key = db.location.path, db.key_hex
    assert path is not None and key is not None
    db.close()
    conn = raw_connection(path, key, timeout=5)
    try:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("DROP TRIGGER audit_event_no_delete")
        for statement in statements:
            assert conn.execute(statement).rowcount == 1
    finally:
        conn.close()


def _db_check(db: Database, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    assert db.location.path is not None
    key = db.key_hex
    assert key is not None
    keystore.store_key(keystore.key_entry_name(db.location.path), key)
    capsys.readouterr()
    code = cli.run(["--db", str(db.location.path), "db", "check"])
    out, err = capsys.readouterr()
    return code, out + err


def _audit_ids(db: Database) -> list[int]:
    with db.session(read_only=True) as s:
        return list(s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def test_db_check_passes_on_an_untouched_log(
    db: Database, staff: Staff, capsys: pytest.CaptureFixture[str]
) -> None:
    _intake(db, staff)
    db.close()
    code, output = _db_check(db, capsys)
    assert code == 0, output
    assert "intact" in output


def test_db_check_names_an_edited_audit_row(
    db: Database, staff: Staff, capsys: pytest.CaptureFixture[str]
) -> None:
    _intake(db, staff)
    ids = _audit_ids(db)
    assert len(ids) >= 6
    victim = ids[3]
    _tamper(
        db, f'UPDATE audit_event SET details = \'{{"note": "nothing here"}}\' WHERE id = {victim}'
    )
    code, output = _db_check(db, capsys)
    assert code != 0
    assert f"audit row {victim} was changed" in output
    assert "Traceback" not in output


def test_db_check_names_the_row_after_a_deleted_one(
    db: Database, staff: Staff, capsys: pytest.CaptureFixture[str]
) -> None:
    _intake(db, staff)
    ids = _audit_ids(db)
    middle = ids[len(ids) // 2]
    following = ids[ids.index(middle) + 1]
    _tamper(db, f"DELETE FROM audit_event WHERE id = {middle}")
    code, output = _db_check(db, capsys)
    assert code != 0
    assert f"audit row {following} does not follow" in output


def test_db_check_names_an_edited_newest_row(
    db: Database, staff: Staff, capsys: pytest.CaptureFixture[str]
) -> None:
    _intake(db, staff)
    last = _audit_ids(db)[-1]
    _tamper(db, f"UPDATE audit_event SET username = 'someone-else' WHERE id = {last}")
    code, output = _db_check(db, capsys)
    assert code != 0
    assert f"audit row {last} was changed" in output


def test_the_database_reopens_with_the_key_from_the_keyring(db: Database) -> None:
    assert db.location.path is not None
    db.close()
    again = open_database(DatabaseLocation(url="sqlite://", path=db.location.path))
    try:
        with again.session(read_only=True) as s:
            assert s.scalar(text("SELECT count(*) FROM staff_user")) == 0
    finally:
        again.close()
