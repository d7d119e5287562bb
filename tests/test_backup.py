"""Backups and restores of a real encrypted database: verified copies, rotation, the
daily backup, a restore that round-trips a seeded clinic exactly, and damaged or
foreign backups refused before anything is replaced."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from casebook import cli
from casebook.backup import (
    automatic_backup,
    backup_to,
    daily_backup,
    daily_backup_due,
    list_backups,
    restore_from,
    verify_backup,
)
from casebook.database import Database, create_database, open_database
from casebook.db import DatabaseLocation
from casebook.demo import seed_demo
from casebook.errors import DatabaseError
from casebook.maintenance import check_database
from casebook.security import audit, keystore
from casebook.security.passwords import hash_password
from models.audit import AuditEvent
from models.note import SessionNote
from models.participant import Participant
from models.plan import RecoveryPlan

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Database]:
    location = DatabaseLocation(url="sqlite://", path=tmp_path / "clinic.db")
    database = create_database(location, key_hex=keystore.generate_key())
    with database.session() as session:
        seed_demo(session, participants=40, seed=3, password_hash=hash_password("x" * 16))
    yield database
    database.close()


def counts(db: Database) -> dict[str, int]:
    with db.session(read_only=True) as session:
        return {
            model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Participant, SessionNote, RecoveryPlan, AuditEvent)
        }


def chain_head(db: Database) -> str:
    with db.session(read_only=True) as session:
        return audit.verify_chain(session).head_hash


def reopen(db: Database) -> Database:
    assert db.key_hex is not None
    return open_database(db.location, key_hex=db.key_hex)


def test_backup_then_restore_round_trips_a_seeded_clinic_exactly(
    seeded: Database, tmp_path: Path
) -> None:
    target = tmp_path / "copy.db"
    info = backup_to(seeded, target, actor_name="admin")
    assert target.exists() and not (tmp_path / ".copy.db.partial").exists()
    before = counts(seeded)
    head = chain_head(seeded)
    assert before["Participant"] == 40 and before["SessionNote"] > 0
    assert info.audit_events == before["AuditEvent"]

    # Work after the backup is what a restore takes back.
    with seeded.session() as session:
        session.execute(update(Participant).values(preferred_name="changed"))
    seeded.close()

    assert seeded.key_hex is not None and seeded.location.path is not None
    result = restore_from(seeded.location.path, target, seeded.key_hex, actor_name="admin")
    assert result.replaced_kept_as is not None and result.replaced_kept_as.exists()
    restored = reopen(seeded)
    try:
        after = counts(restored)
        # The restore itself is one more audit event on top of the backup's chain.
        assert {k: v for k, v in after.items() if k != "AuditEvent"} == {
            k: v for k, v in before.items() if k != "AuditEvent"
        }
        assert after["AuditEvent"] == before["AuditEvent"] + 1
        with restored.session(read_only=True) as session:
            report = audit.verify_chain(session)
            names = session.scalars(select(Participant.preferred_name)).all()
        assert report.ok
        assert "changed" not in names
        assert all(r.ok for r in check_database(restored))
    finally:
        restored.close()
    # The backup holds the chain exactly as it was when it was taken.
    assert verify_backup(target, seeded.key_hex).audit_head == head


def test_a_damaged_backup_is_refused_and_the_database_is_untouched(
    seeded: Database, tmp_path: Path
) -> None:
    target = tmp_path / "copy.db"
    backup_to(seeded, target)
    data = bytearray(target.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    target.write_bytes(bytes(data))
    before = counts(seeded)
    seeded.close()
    assert seeded.key_hex is not None and seeded.location.path is not None
    with pytest.raises(DatabaseError):
        restore_from(seeded.location.path, target, seeded.key_hex)
    kept_aside = list(tmp_path.glob("clinic.db.replaced-*"))
    assert kept_aside == []
    again = reopen(seeded)
    try:
        assert counts(again) == before
    finally:
        again.close()


@pytest.mark.parametrize(
    "content", [b"", b"SQLite format 3\x00" + bytes(100), b"hello, this is a text file\n" * 50]
)
def test_foreign_or_truncated_backups_are_named_clearly(
    seeded: Database, tmp_path: Path, content: bytes
) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(content)
    assert seeded.key_hex is not None and seeded.location.path is not None
    with pytest.raises(DatabaseError) as caught:
        restore_from(seeded.location.path, bogus, seeded.key_hex)
    assert "bogus.db" in caught.value.message
    assert seeded.location.path.exists()


def test_a_backup_under_another_key_is_refused(seeded: Database, tmp_path: Path) -> None:
    target = tmp_path / "copy.db"
    backup_to(seeded, target)
    with pytest.raises(DatabaseError):
        verify_backup(target, keystore.generate_key())


def test_a_backup_cannot_overwrite_the_database_itself(seeded: Database) -> None:
    assert seeded.location.path is not None
    with pytest.raises(DatabaseError, match="cannot overwrite"):
        backup_to(seeded, seeded.location.path)


def test_a_backup_into_a_missing_folder_says_which(seeded: Database, tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="does not exist"):
        backup_to(seeded, tmp_path / "no-such-folder" / "copy.db")


def test_automatic_backups_rotate_keeping_the_newest(seeded: Database) -> None:
    assert seeded.location.path is not None
    made = [automatic_backup(seeded, reason="before-upgrade", keep=3) for _ in range(5)]
    kept = list_backups(seeded.location.path)
    assert kept == made[-3:]


def test_the_daily_backup_is_taken_once_a_day(seeded: Database) -> None:
    assert seeded.location.path is not None
    assert daily_backup_due(seeded.location.path)
    first = daily_backup(seeded, keep=5)
    assert first is not None and first.exists()
    assert not daily_backup_due(seeded.location.path)
    assert daily_backup(seeded, keep=5) is None
    assert daily_backup_due(seeded.location.path, today=date(2100, 1, 1))


def test_cli_backup_and_restore(
    seeded: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert seeded.key_hex is not None and seeded.location.path is not None
    key_file = tmp_path / "key.txt"
    key_file.write_text(seeded.key_hex)
    key_file.chmod(0o600)
    db_arg = ["--db", str(seeded.location.path), "--key-file", str(key_file)]
    before = counts(seeded)
    seeded.close()
    target = tmp_path / "cli-copy.db"
    assert cli.run([*db_arg, "db", "backup", str(target)]) == 0
    assert "verified" in capsys.readouterr().out
    assert cli.run([*db_arg, "db", "restore", str(target)]) == 0
    out = capsys.readouterr().out
    assert "Restored" in out and "kept as" in out
    assert cli.run([*db_arg, "db", "check"]) == 0
    again = reopen(seeded)
    try:
        assert counts(again)["Participant"] == before["Participant"]
    finally:
        again.close()


def test_restore_over_a_damaged_database_works_and_keeps_the_damaged_file(
    seeded: Database, tmp_path: Path
) -> None:
    target = tmp_path / "copy.db"
    backup_to(seeded, target)
    before = counts(seeded)
    seeded.close()
    assert seeded.key_hex is not None and seeded.location.path is not None
    path = seeded.location.path
    with path.open("r+b") as handle:  # garbage over a few pages in the middle
        handle.seek(8192)
        handle.write(bytes(range(256)) * 80)
    broken = reopen(seeded)
    try:
        assert not all(r.ok for r in check_database(broken))
    finally:
        broken.close()
    result = restore_from(path, target, seeded.key_hex)
    assert result.safety_backup is None  # a damaged file cannot be backed up…
    assert result.replaced_kept_as is not None  # …so it is kept aside instead
    assert result.replaced_kept_as.read_bytes()[8192:8200] == bytes(range(8))
    again = reopen(seeded)
    try:
        assert all(r.ok for r in check_database(again))
        assert counts(again)["Participant"] == before["Participant"]
    finally:
        again.close()
