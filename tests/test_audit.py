"""The audit log: every service action leaves a row naming who, what and which record
(field names, never values), and the hash chain finds any row edited or deleted behind
the program's back, even with many writers at once."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import date
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD, Staff
from sqlalchemy import func, select
from test_db import fast_database_fixtures, raw_connection

from casebook.database import Database, open_database
from casebook.db import DatabaseLocation, session_scope
from casebook.errors import PermissionDenied
from casebook.security import audit
from casebook.services import assignments as A
from casebook.services import participants as P
from casebook.services import users
from models import AuditEvent

templates, db, staff = fast_database_fixtures()

NAME = "Zoë Nguyễn-Łukasz"
PHONE = "555-0199"
EMAIL = "zoe.n@example.org"
NEW_PASSWORD = "paper boats on the canal"


def _events_after(db: Database, last_id: int) -> list[AuditEvent]:
    with db.session(read_only=True) as s:
        return list(
            s.scalars(select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id))
        )


def _last_id(db: Database) -> int:
    with db.session(read_only=True) as s:
        return s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0


def _fields(**extra: str) -> P.ParticipantFields:
    return P.parse_participant_fields(
        {"legal_name": NAME, "date_of_birth": "1987-11-30", "intake_date": "2025-01-10", **extra}
    )


def _verify(db: Database) -> audit.ChainReport:
    with db.session(read_only=True) as s:
        return audit.verify_chain(s)


# ------------------------------------------------------------------ what is recorded


def test_every_service_action_is_recorded(db: Database, staff: Staff) -> None:
    mark = _last_id(db)
    expected: list[tuple[str, int | None, str, bool]] = []  # action, user, entity, on record

    def step(action: str, user_id: int | None, entity_type: str, on_record: bool) -> None:
        expected.append((action, user_id, entity_type, on_record))

    with db.session() as s:
        users.authenticate(s, "peer1", TEST_PASSWORD, sleep=lambda _: None)
    step("login", staff.peer1.id, "staff_user", False)
    with db.session() as s:
        users.authenticate(s, "peer1", "not the password at all", sleep=lambda _: None)
    step("login_failed", staff.peer1.id, "staff_user", False)
    with db.session() as s:
        p = P.create_participant(s, staff.peer1, _fields())
    step("participant_create", staff.peer1.id, "participant", True)
    with db.session() as s:
        P.get_participant(s, staff.peer1, p.id)
    step("participant_view", staff.peer1.id, "participant", True)
    with db.session() as s:
        P.update_participant(s, staff.peer1, p.id, _fields(phone=PHONE, email=EMAIL))
    step("participant_update", staff.peer1.id, "participant", True)
    with db.session() as s:
        P.reset_recovery_start(s, staff.peer1, p.id, date(2025, 3, 1), "restart")
    step("recovery_start_reset", staff.peer1.id, "participant", True)
    with db.session() as s:
        P.discharge(s, staff.peer1, p.id, on=date(2025, 6, 1), reason="Moved to Leeds")
    step("participant_discharge", staff.peer1.id, "participant", True)
    with db.session() as s:
        P.readmit(s, staff.peer1, p.id, on=date(2025, 7, 1))
    step("participant_readmit", staff.peer1.id, "participant", True)
    with db.session() as s:
        A.assign(s, staff.supervisor, p.id, staff.peer2.id)
    step("participant_transfer", staff.supervisor.id, "participant", True)
    with pytest.raises(PermissionDenied), db.session() as s:
        P.get_participant(s, staff.peer1, p.id)
    step("access_denied", staff.peer1.id, "participant", True)
    with db.session() as s:
        A.unassign(s, staff.supervisor, p.id)
    step("participant_unassign", staff.supervisor.id, "participant", True)
    with db.session() as s:
        users.create_user(
            s,
            staff.admin,
            username="newpeer",
            display_name="New Peer",
            role="specialist",
            password=TEST_PASSWORD,
        )
    step("user_create", staff.admin.id, "staff_user", False)
    with db.session() as s:
        users.reset_password(s, staff.admin, "newpeer", NEW_PASSWORD)
    step("password_reset", staff.admin.id, "staff_user", False)
    with db.session() as s:
        users.change_password(s, staff.peer2, TEST_PASSWORD, NEW_PASSWORD)
    step("password_change", staff.peer2.id, "staff_user", False)
    with db.session() as s:
        users.set_active(s, staff.admin, "newpeer", False)
    step("user_update", staff.admin.id, "staff_user", False)

    events = _events_after(db, mark)
    assert [(e.action, e.user_id, e.entity_type) for e in events] == [
        (a, u, t) for a, u, t, _ in expected
    ]
    usernames = {staff.peer1.id: "peer1", staff.supervisor.id: "supervisor"}
    for event, (_, user_id, _, on_record) in zip(events, expected, strict=True):
        assert event.occurred_at.tzinfo is not None
        if user_id in usernames:
            assert event.username == usernames[user_id]
        if on_record:
            assert event.participant_id == p.id and event.entity_id == p.id
        else:
            assert event.participant_id is None
    assert _verify(db).ok


def test_details_name_fields_but_never_hold_values(db: Database, staff: Staff) -> None:
    mark = _last_id(db)
    with db.session() as s:
        p = P.create_participant(s, staff.peer1, _fields())
        P.update_participant(
            s, staff.peer1, p.id, _fields(phone=PHONE, email=EMAIL, preferred_name="Zo")
        )
        P.discharge(s, staff.peer1, p.id, on=date(2025, 6, 1), reason="Moved to Leeds")
    with db.session() as s:
        users.authenticate(s, "peer1", "my secret guess words", sleep=lambda _: None)
        users.reset_password(s, staff.admin, "peer2", NEW_PASSWORD)
    events = _events_after(db, mark)
    update = next(e for e in events if e.action == "participant_update")
    assert set(json.loads(update.details)["fields"]) == {"phone", "email", "preferred_name"}
    everything = " ".join(e.details for e in events)
    for value in (NAME, "Nguy", PHONE, EMAIL, "Leeds", "my secret guess", NEW_PASSWORD):
        assert value not in everything


# --------------------------------------------------------------------- the hash chain


def test_chain_links_every_row_to_the_one_before(db: Database, staff: Staff) -> None:
    with db.session() as s:
        for i in range(3):
            P.create_participant(s, staff.peer1, _fields(legal_name=f"Person {i}"))
    with db.session(read_only=True) as s:
        rows = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert rows[0].prev_hash == audit.GENESIS_HASH
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.row_hash
    assert len({r.row_hash for r in rows}) == len(rows)
    report = _verify(db)
    assert report.ok and report.rows_checked == len(rows)
    assert report.head_hash == rows[-1].row_hash
    assert report.first_broken_id is None
    # Reading in small batches gives the same answer.
    with db.session(read_only=True) as s:
        assert audit.verify_chain(s, batch=2) == report


def _tamper(db: Database, *statements: str) -> Database:
    """Change the log as an insider holding the key would, then reopen the database."""
    if db.location.path is None:
        # PostgreSQL: the owner of the table can switch its trigger off.
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
            for statement in statements:
                assert conn.exec_driver_sql(statement).rowcount >= 1
        db.engine.dispose()
        return open_database(db.location)
    path, key = db.location.path, db.key_hex
    assert path is not None and key is not None
    db.close()
    conn = raw_connection(path, key, timeout=5)
    try:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("DROP TRIGGER audit_event_no_delete")
        for statement in statements:
            assert conn.execute(statement).rowcount >= 1
    finally:
        conn.close()
    return open_database(DatabaseLocation(url="sqlite://", path=Path(path)))


def _ids(db: Database) -> list[int]:
    with db.session(read_only=True) as s:
        return list(s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


@pytest.fixture
def busy_log(db: Database, staff: Staff) -> list[int]:
    """The ids of the whole log; the last three rows are views of one participant."""
    with db.session() as s:
        p = P.create_participant(s, staff.peer1, _fields())
    for _ in range(3):
        with db.session() as s:
            P.get_participant(s, staff.peer1, p.id)
    return _ids(db)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("details", '\'{"attempted": "nothing"}\''),
        ("username", "'someone-else'"),
        ("action", "'login'"),
        ("participant_id", "NULL"),
        ("occurred_at", "'2020-01-01 00:00:00.000000'"),
    ],
)
def test_an_edited_row_is_named(db: Database, busy_log: list[int], column: str, value: str) -> None:
    victim = busy_log[-2]  # a participant view, with rows before and after it
    reopened = _tamper(db, f"UPDATE audit_event SET {column} = {value} WHERE id = {victim}")
    try:
        report = _verify(reopened)
    finally:
        reopened.close()
    assert not report.ok
    assert report.first_broken_id == victim
    assert f"audit row {victim} was changed" in report.problem


def test_a_deleted_row_is_found_at_the_next_one(db: Database, busy_log: list[int]) -> None:
    victim = busy_log[len(busy_log) // 2]
    following = busy_log[busy_log.index(victim) + 1]
    reopened = _tamper(db, f"DELETE FROM audit_event WHERE id = {victim}")
    try:
        report = _verify(reopened)
    finally:
        reopened.close()
    assert not report.ok
    assert report.first_broken_id == following
    assert "does not follow" in report.problem


def test_a_recomputed_row_still_breaks_the_link_after_it(db: Database, busy_log: list[int]) -> None:
    # An insider who also recomputes the edited row's own hash breaks the next link.
    victim = busy_log[2]
    with db.session(read_only=True) as s:
        row = s.get(AuditEvent, victim)
        assert row is not None
        forged = audit.compute_hash(row.prev_hash, _Forged(row))
    reopened = _tamper(
        db,
        f"UPDATE audit_event SET username = 'someone-else', row_hash = '{forged}' "
        f"WHERE id = {victim}",
    )
    try:
        report = _verify(reopened)
    finally:
        reopened.close()
    assert report.first_broken_id == busy_log[3]


class _Forged:
    def __init__(self, row: AuditEvent) -> None:
        self.occurred_at = row.occurred_at
        self.user_id = row.user_id
        self.username = "someone-else"
        self.action = row.action
        self.entity_type = row.entity_type
        self.entity_id = row.entity_id
        self.participant_id = row.participant_id
        self.details = row.details


def test_two_writers_at_once_keep_the_chain_intact(db: Database, staff: Staff) -> None:
    rounds = 25
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        start.wait()
        for i in range(rounds):
            try:
                with session_scope(db.factory) as s:
                    audit.record(s, user_id=None, username=name, action="test", details={"i": i})
            except BaseException as exc:
                errors.append(exc)

    def signer_in() -> None:
        start.wait()
        for _ in range(rounds):
            try:
                with session_scope(db.factory) as s:
                    users.authenticate(s, "peer1", TEST_PASSWORD, sleep=lambda _: None)
            except BaseException as exc:
                errors.append(exc)

    mark = _last_id(db)
    threads = [
        threading.Thread(target=writer, args=("writer",)),
        threading.Thread(target=signer_in),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    events = _events_after(db, mark)
    assert len(events) == 2 * rounds
    assert {e.action for e in events} == {"test", "login"}
    report = _verify(db)
    assert report.ok, report.problem


def test_audited_work_in_a_read_only_unit_of_work_is_refused_at_once(
    db: Database, staff: Staff
) -> None:
    # A read-only unit of work starts a deferred transaction; an audit row written in it
    # would fail only now and then ("database is locked", when another write landed in
    # between). Refused every time instead, so such a call is found by any test.
    with db.session() as s:
        pid = P.create_participant(s, staff.peer1, _fields()).id
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(RuntimeError, match="read-only"), db.session(read_only=True) as s:
        P.get_participant(s, staff.peer1, pid)  # opening a record is an audited view
    with db.session(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before
        P.get_participant(s, staff.peer1, pid, audit_view=False)  # unaudited: fine
    with db.session() as s:
        P.get_participant(s, staff.peer1, pid)  # the audited view as a write: fine
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before + 1
