"""Two people (or two windows) editing the same record: the second save is refused
with a message saying who saved and what differs, and nothing is overwritten.
Two programs writing one SQLite file at once never see "database is locked".

Every test that uses ``db`` runs on SQLite and on PostgreSQL (see conftest).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import Staff
from sqlalchemy import func, select

from casebook.database import Database, open_database
from casebook.db import DatabaseLocation
from casebook.errors import ConflictError
from casebook.security import audit
from casebook.security.permissions import Actor
from casebook.services import caseload
from casebook.services import counselors as C
from casebook.services import participants as P
from casebook.services import plan_editing as E
from casebook.services import plans as PL
from casebook.services import referrals as R
from models import AuditEvent, Participant, Referral

BASE = {
    "legal_name": "Zoë Nguyễn-Łukasz",
    "date_of_birth": "1990-04-02",
    "intake_date": "2025-01-10",
    "phone": "555-0100",
    "address": "1 Harbour Road",
}


def second_window(db: Database) -> Database:
    """The same database opened again, as another workstation (or window) would."""
    return open_database(db.location, key_hex=db.key_hex)


def intake(db: Database, actor: Actor) -> P.ParticipantDetail:
    with db.session() as s:
        return P.create_participant(s, actor, P.parse_participant_fields(BASE))


def edited(detail: P.ParticipantDetail, **changes: str) -> P.ParticipantFields:
    return P.parse_participant_fields({**detail.as_fields(), **changes})


# ------------------------------------------------------------------ participant


def test_second_save_of_a_participant_is_refused_and_names_what_differs(
    db: Database, staff: Staff
) -> None:
    first = intake(db, staff.peer1)
    other = second_window(db)
    try:
        # Both open the profile (version 1); the supervisor saves first.
        with other.session() as s:
            seen_by_supervisor = P.get_participant(s, staff.supervisor, first.id)
        with db.session() as s:
            seen_by_peer = P.get_participant(s, staff.peer1, first.id)
        with other.session() as s:
            P.update_participant(
                s,
                staff.supervisor,
                first.id,
                edited(seen_by_supervisor, phone="555-0199"),
                expected_version=seen_by_supervisor.version,
            )
        with pytest.raises(ConflictError) as info, db.session() as s:
            P.update_participant(
                s,
                staff.peer1,
                first.id,
                edited(seen_by_peer, address="22 Quay Street"),
                expected_version=seen_by_peer.version,
            )
    finally:
        other.close()
    message = str(info.value)
    assert "Someone else saved this participant's profile" in message and "Reload" in message
    assert "Last saved by Sam Supervisor at " in message
    # The fields where the refused save and the saved record differ, both values.
    assert info.value.changed_fields == {
        "phone": ("555-0100", "555-0199"),
        "address": ("22 Quay Street", "1 Harbour Road"),
    }
    assert "phone" in message and "address" in message
    with db.session() as s:
        now = P.get_participant(s, staff.peer1, first.id)
    # The supervisor's change stands; the stale save changed nothing.
    assert (now.phone, now.address, now.version) == ("555-0199", "1 Harbour Road", 2)
    with db.session(read_only=True) as s:
        updates = s.scalars(
            select(AuditEvent.username).where(AuditEvent.action == "participant_update")
        ).all()
    assert updates == ["supervisor"]


def test_after_reloading_the_save_goes_through(db: Database, staff: Staff) -> None:
    first = intake(db, staff.peer1)
    with db.session() as s:
        P.update_participant(
            s, staff.supervisor, first.id, edited(first, phone="555-0199"), expected_version=1
        )
    with pytest.raises(ConflictError), db.session() as s:
        P.update_participant(
            s, staff.peer1, first.id, edited(first, address="22 Quay Street"), expected_version=1
        )
    with db.session() as s:
        reloaded = P.get_participant(s, staff.peer1, first.id)
        saved = P.update_participant(
            s,
            staff.peer1,
            first.id,
            edited(reloaded, address="22 Quay Street"),
            expected_version=reloaded.version,
        )
    assert (saved.phone, saved.address, saved.version) == ("555-0199", "22 Quay Street", 3)


def test_saves_racing_at_the_same_moment_let_exactly_one_through(
    db: Database, staff: Staff
) -> None:
    """Two workstations press Save together, both holding version 1. Whatever the
    engine does underneath (SQLite queues the writers, PostgreSQL lets both read and
    then blocks one on the row), one save wins and the other gets a conflict."""
    first = intake(db, staff.peer1)
    other = second_window(db)
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def save(database: Database, actor: Actor, name: str, changes: dict[str, str]) -> None:
        start.wait()
        try:
            with database.session() as s:
                P.update_participant(
                    s, actor, first.id, edited(first, **changes), expected_version=1
                )
                time.sleep(0.3)  # keep the transaction open while the other one arrives
            outcomes[name] = "saved"
        except BaseException as exc:
            outcomes[name] = exc

    threads = [
        threading.Thread(
            target=save, args=(db, staff.peer1, "peer", {"address": "22 Quay Street"})
        ),
        threading.Thread(
            target=save, args=(other, staff.supervisor, "supervisor", {"phone": "555-0199"})
        ),
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        other.close()
    assert sorted(map(str, outcomes)) == ["peer", "supervisor"]
    saved = [name for name, result in outcomes.items() if result == "saved"]
    refused = [result for result in outcomes.values() if isinstance(result, ConflictError)]
    assert len(saved) == 1 and len(refused) == 1, outcomes
    # Refused by the service's version check (SQLite queues the second writer) or by
    # the version column itself (PostgreSQL blocks it on the row): either way it says
    # what was saved.
    assert "this participant's profile" in str(refused[0]) and "Reload" in str(refused[0])
    with db.session() as s:
        now = P.get_participant(s, staff.peer1, first.id)
    assert now.version == 2
    if saved == ["peer"]:
        assert (now.address, now.phone) == ("22 Quay Street", "555-0100")
    else:
        assert (now.address, now.phone) == ("1 Harbour Road", "555-0199")


# ------------------------------------------------------------------ plan, referral


def test_second_save_of_a_plan_is_refused(db: Database, staff: Staff) -> None:
    pid = intake(db, staff.peer1).id
    with db.session() as s:
        plan = PL.create_plan(s, staff.peer1, pid)
    other = second_window(db)
    try:
        with other.session() as s:
            E.update_plan(
                s,
                staff.supervisor,
                plan.id,
                E.PlanFields(strengths="Keeps every appointment"),
                expected_version=plan.lock_version,
            )
        with pytest.raises(ConflictError) as info, db.session() as s:
            E.add_goal(
                s,
                staff.peer1,
                plan.id,
                E.GoalInput(domain="home", statement="A flat of my own"),
                expected_version=plan.lock_version,
            )
    finally:
        other.close()
    assert "Someone else saved this recovery plan" in str(info.value)
    assert "Last saved by Sam Supervisor" in str(info.value)
    with db.session() as s:
        now = PL.get_plan(s, staff.peer1, pid)
    assert now is not None
    assert now.strengths == "Keeps every appointment" and now.goals == ()


def test_second_save_of_a_referral_is_refused(db: Database, staff: Staff) -> None:
    pid = intake(db, staff.peer1).id
    with db.session() as s:
        counselor = C.create_counselor(
            s, staff.peer1, C.parse_counselor_fields({"name": "Dr Ana Lima"})
        ).id
    fields = R.ReferralFields(
        counselor_id=counselor,
        reason="Asked for trauma-focused therapy.",
        information_shared="Contact details.",
        information_categories=("contact_details",),
    )
    with db.session() as s:
        referral = R.create_referral(s, staff.peer1, pid, fields)
    other = second_window(db)
    try:
        with other.session() as s:
            R.update_referral(
                s,
                staff.supervisor,
                referral.id,
                replace(fields, urgency="urgent"),
                expected_version=referral.version,
            )
        with pytest.raises(ConflictError) as info, db.session() as s:
            R.update_referral(
                s,
                staff.peer1,
                referral.id,
                replace(fields, reason="Wants a counselor who speaks Polish."),
                expected_version=referral.version,
            )
    finally:
        other.close()
    assert "Last saved by Sam Supervisor" in str(info.value)
    with db.session(read_only=True) as s:
        row = s.get(Referral, referral.id)
        assert row is not None
        assert (row.urgency, row.reason) == ("urgent", "Asked for trauma-focused therapy.")


# ------------------------------------------------------- two programs, one SQLite file

WRITE_SECONDS = 3.0


def _writer(path: str, key: str, actor: Actor, name: str, queue: Any) -> None:
    """One program adding participants and reading the caseload for a few seconds."""
    from casebook.security import passwords

    passwords.use_fast_hashing_for_tests()
    database = open_database(DatabaseLocation(url="sqlite://", path=Path(path)), key_hex=key)
    written, errors = 0, []
    deadline = time.monotonic() + WRITE_SECONDS
    try:
        while time.monotonic() < deadline:
            try:
                with database.session() as s:
                    P.create_participant(
                        s,
                        actor,
                        P.parse_participant_fields(
                            {**BASE, "legal_name": f"{name} {written}", "phone": ""}
                        ),
                    )
                written += 1
                with database.session(read_only=True) as s:
                    caseload.caseload_rows(s, actor)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        database.close()
    queue.put((name, written, errors))


@pytest.mark.sqlite_only
def test_two_programs_writing_one_file_never_see_database_is_locked(
    db: Database, staff: Staff
) -> None:
    assert db.location.path is not None and db.key_hex is not None
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    programs = [
        context.Process(
            target=_writer,
            args=(str(db.location.path), db.key_hex, actor, name, queue),
        )
        for actor, name in ((staff.peer1, "Peer"), (staff.peer2, "Quinn"))
    ]
    for program in programs:
        program.start()
    results = [queue.get(timeout=120) for _ in programs]
    for program in programs:
        program.join(30)
        assert program.exitcode == 0
    errors = [e for _, _, errs in results for e in errs]
    assert errors == []
    counts = {name: written for name, written, _ in results}
    # Both made real progress: neither was starved behind the other's lock.
    assert all(n >= 3 for n in counts.values()), counts
    with db.session(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Participant)) == sum(counts.values())
        report = audit.verify_chain(s)
    assert report.ok, report.problem
