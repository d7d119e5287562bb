"""Two workstations writing notes for one participant at the same moment.

On a clinic server, ``participant_activity`` (the caseload's last contact) is
recomputed by a trigger in each writer's transaction. Without care, the writer that
commits last would recompute from a snapshot taken before the other committed and
overwrite the newer contact with its older one. The trigger locks the row first and
recomputes after the lock is granted, with a fresh snapshot: these tests hold one
transaction open across the other's insert and check the caseload ends right.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from conftest import Staff
from sqlalchemy import Connection, select, text

from casebook.database import Database
from casebook.services import notes, participants
from models import SessionNote

WAIT_S = 20


def _participant_with_a_note(db: Database, staff: Staff) -> tuple[int, int]:
    with db.session() as s:
        fields = participants.parse_participant_fields(
            {"legal_name": "Amara Okafor", "date_of_birth": "1990-01-02"}
        )
        pid = participants.create_participant(s, staff.peer1, fields).id
    with db.session() as s:
        saved = notes.save_draft(
            s,
            staff.peer1,
            pid,
            notes.NoteContent(
                occurred_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
                duration_minutes=30,
                sections={"goal": "Housing", "intervention": "Call", "response": "Ok"},
            ),
        )
    return pid, saved.note_id


def _copy_note(conn: Connection, note_id: int, occurred_at: datetime) -> None:
    """Insert a copy of a note at another time: the row as any client would write it."""
    columns = [c.name for c in SessionNote.__table__.columns if c.name not in ("id",)]
    picked = ", ".join(":at" if c == "occurred_at" else c for c in columns)
    conn.execute(
        text(
            f"INSERT INTO session_note ({', '.join(columns)}) "
            f"SELECT {picked} FROM session_note WHERE id = :id"
        ),
        {"id": note_id, "at": occurred_at},
    )


def _last_contact(db: Database, pid: int) -> datetime:
    with db.engine.connect() as conn:
        value = conn.execute(
            text("SELECT last_contact_at FROM participant_activity WHERE participant_id = :p"),
            {"p": pid},
        ).scalar_one()
    assert isinstance(value, datetime)
    return value


def _newest_note(db: Database, pid: int) -> datetime:
    with db.session(read_only=True) as s:
        value = s.scalar(
            select(SessionNote.occurred_at)
            .where(SessionNote.participant_id == pid)
            .order_by(SessionNote.occurred_at.desc())
            .limit(1)
        )
    assert value is not None
    return value


def test_the_newer_contact_wins_when_the_older_commits_last(db: Database, staff: Staff) -> None:
    pid, note_id = _participant_with_a_note(db, staff)
    newer = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    older = newer - timedelta(days=3)

    first = db.engine.connect()  # writes the newer contact, commits first
    second = db.engine.connect()  # writes the older contact meanwhile, commits last
    try:
        first.begin()
        _copy_note(first, note_id, newer)  # holds the activity row's lock

        second.begin()
        failed: list[BaseException] = []

        def write_older() -> None:
            try:
                _copy_note(second, note_id, older)  # waits for the lock in its trigger
            except BaseException as exc:  # reported below, on the test's thread
                failed.append(exc)

        writer = threading.Thread(target=write_older)
        writer.start()
        writer.join(0.5)
        assert writer.is_alive(), "the second writer should wait for the first"
        first.commit()
        writer.join(WAIT_S)
        assert not writer.is_alive() and not failed, failed
        second.commit()
    finally:
        first.close()
        second.close()

    assert _last_contact(db, pid) == newer == _newest_note(db, pid)


def test_an_entered_in_error_note_and_a_new_one_at_once(db: Database, staff: Staff) -> None:
    # The newest note is marked entered in error on one workstation while another
    # adds an older contact: the caseload must fall back to the older one, not keep
    # the note in error nor lose the new one.
    pid, note_id = _participant_with_a_note(db, staff)
    newest = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    added = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    with db.engine.begin() as conn:
        _copy_note(conn, note_id, newest)
        in_error = conn.execute(
            text("SELECT id FROM session_note WHERE participant_id = :p AND occurred_at = :at"),
            {"p": pid, "at": newest},
        ).scalar_one()
    assert _last_contact(db, pid) == newest

    first = db.engine.connect()
    second = db.engine.connect()
    try:
        first.begin()
        first.execute(
            text(
                "UPDATE session_note SET entered_in_error_at = now(), "
                "entered_in_error_reason = 'wrong participant' WHERE id = :id"
            ),
            {"id": in_error},
        )
        second.begin()
        failed: list[BaseException] = []

        def add_contact() -> None:
            try:
                _copy_note(second, note_id, added)
            except BaseException as exc:
                failed.append(exc)

        writer = threading.Thread(target=add_contact)
        writer.start()
        writer.join(0.5)
        first.commit()
        writer.join(WAIT_S)
        assert not writer.is_alive() and not failed, failed
        second.commit()
    finally:
        first.close()
        second.close()

    assert _last_contact(db, pid) == added
