"""Minimum necessary, through every participant, assignment and caseload service: who
may see and change which record, what a refusal says, and that it is on record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from conftest import TEST_PASSWORD, Staff
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_db import fast_database_fixtures

from casebook.database import Database
from casebook.errors import PermissionDenied, ValidationError
from casebook.security.permissions import Actor, actor_for, can_access_participant
from casebook.services import assignments as A
from casebook.services import caseload, users
from casebook.services import participants as P
from models import AuditEvent, StaffUser

templates, db, staff = fast_database_fixtures()

NAMES = {
    "mine": "Zoë Nguyễn-Łukasz",
    "team": "Tomasz Kowalczyk",
    "other_team": "Olamide Adeyemi",
    "queue": "Quentin Unassigned",
}
PREFERRED = "Zo"


@dataclass(frozen=True)
class World:
    mine: P.ParticipantDetail  # on peer1's caseload
    team: P.ParticipantDetail  # on peer2's caseload (same team as peer1)
    other_team: P.ParticipantDetail  # on outsider's caseload (super2's team)
    queue: P.ParticipantDetail  # unassigned


def _fields(name: str, **extra: str) -> P.ParticipantFields:
    return P.parse_participant_fields(
        {"legal_name": name, "date_of_birth": "1990-02-03", "intake_date": "2025-01-10", **extra}
    )


@pytest.fixture
def world(db: Database, staff: Staff) -> World:
    with db.session() as s:
        mine = P.create_participant(
            s, staff.peer1, _fields(NAMES["mine"], preferred_name=PREFERRED)
        )
        team = P.create_participant(s, staff.peer2, _fields(NAMES["team"]))
        other = P.create_participant(s, staff.outsider, _fields(NAMES["other_team"]))
        queue = P.create_participant(s, staff.supervisor, _fields(NAMES["queue"]))
    return World(mine, team, other, queue)


def _visible(db: Database, actor: Actor) -> set[str]:
    with db.session(read_only=True) as s:
        return {r.legal_name for r in caseload.caseload_rows(s, actor)}


def _denials(db: Database) -> list[AuditEvent]:
    with db.session(read_only=True) as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "access_denied")
                .order_by(AuditEvent.id)
            )
        )


# Every service call that opens one participant's record, by name.
Attempt = Callable[[Session, Actor, P.ParticipantDetail], object]
ATTEMPTS: dict[str, Attempt] = {
    "get": lambda s, a, p: P.get_participant(s, a, p.id),
    "find_by_record_number": lambda s, a, p: P.find_by_record_number(s, a, p.record_number),
    "update": lambda s, a, p: P.update_participant(
        s, a, p.id, _fields("Changed Name"), expected_version=p.version
    ),
    "discharge": lambda s, a, p: P.discharge(s, a, p.id, on=date.today(), reason="Moved"),
    "readmit": lambda s, a, p: P.readmit(s, a, p.id, on=date.today()),
    "reset_recovery_start": lambda s, a, p: P.reset_recovery_start(s, a, p.id, date(2025, 2, 1)),
    "recovery_start_history": lambda s, a, p: P.recovery_start_history(s, a, p.id),
    "set_status": lambda s, a, p: P.set_status(s, a, p.id, "inactive"),
    "assignment_history": lambda s, a, p: A.assignment_history(s, a, p.id),
}


def _assert_refused_everywhere(
    db: Database, actor: Actor, target: P.ParticipantDetail, *, words: str
) -> None:
    before = len(_denials(db))
    for name, attempt in ATTEMPTS.items():
        with pytest.raises(PermissionDenied) as refused, db.session() as s:
            attempt(s, actor, target)
        message = str(refused.value)
        assert words in message, name
        # A refusal never tells who the participant is.
        assert target.legal_name not in message, name
        assert PREFERRED not in message.split(), name
    denials = _denials(db)[before:]
    assert len(denials) == len(ATTEMPTS)
    assert {d.user_id for d in denials} == {actor.id}
    assert {d.participant_id for d in denials} == {target.id}
    assert all(target.legal_name not in d.details for d in denials)
    # Nothing was changed by any of the refused calls.
    with db.session(read_only=True) as s:
        owner_view = P.get_participant(s, _owner(db, target), target.id, audit_view=False)
    assert owner_view.legal_name == target.legal_name
    assert owner_view.status == "active"
    assert owner_view.version == target.version


def _owner(db: Database, target: P.ParticipantDetail) -> Actor:
    assert target.specialist_id is not None
    with db.session(read_only=True) as s:
        user = s.get(StaffUser, target.specialist_id)
        assert user is not None
        return actor_for(user)


# ------------------------------------------------------------------------ specialists


def test_a_specialist_sees_only_their_own_participants(
    db: Database, staff: Staff, world: World
) -> None:
    assert _visible(db, staff.peer1) == {NAMES["mine"]}
    assert _visible(db, staff.peer2) == {NAMES["team"]}
    assert _visible(db, staff.outsider) == {NAMES["other_team"]}
    with db.session() as s:
        assert P.get_participant(s, staff.peer1, world.mine.id).legal_name == NAMES["mine"]
        assert A.assignment_history(s, staff.peer1, world.mine.id)[0].specialist_id == (
            staff.peer1.id
        )


def test_a_teammate_cannot_open_my_participant(db: Database, staff: Staff, world: World) -> None:
    _assert_refused_everywhere(db, staff.peer2, world.mine, words="not on your caseload")


def test_a_specialist_on_another_team_cannot_open_my_participant(
    db: Database, staff: Staff, world: World
) -> None:
    _assert_refused_everywhere(db, staff.outsider, world.mine, words="not on your caseload")


def test_refusal_names_the_record_number_and_the_way_out(
    db: Database, staff: Staff, world: World
) -> None:
    with pytest.raises(PermissionDenied) as refused, db.session() as s:
        P.get_participant(s, staff.peer2, world.mine.id)
    message = str(refused.value)
    assert world.mine.record_number in message
    assert "emergency access" in message


def test_an_unknown_participant_id_is_refused_plainly(db: Database, staff: Staff) -> None:
    with pytest.raises(PermissionDenied) as refused, db.session() as s:
        P.get_participant(s, staff.peer1, 4242)
    assert "No participant" in str(refused.value)


def test_specialists_cannot_assign_transfer_or_unassign(
    db: Database, staff: Staff, world: World
) -> None:
    with pytest.raises(PermissionDenied) as refused, db.session() as s:
        A.assign(s, staff.peer1, world.mine.id, staff.peer2.id)
    assert "Only a supervisor" in str(refused.value)
    with pytest.raises(PermissionDenied), db.session() as s:
        A.unassign(s, staff.peer1, world.mine.id)
    with db.session(read_only=True) as s:
        assert can_access_participant(s, staff.peer1, world.mine.id)
        assert [e.specialist_id for e in A.assignment_history(s, staff.peer1, world.mine.id)] == [
            staff.peer1.id
        ]
        # Their own name is the only one they may pick.
        assert [x.username for x in A.assignable_specialists(s, staff.peer1)] == ["peer1"]


# ------------------------------------------------------------------------ supervisors


def test_a_supervisor_sees_the_team_and_the_unassigned_queue(
    db: Database, staff: Staff, world: World
) -> None:
    assert _visible(db, staff.supervisor) == {NAMES["mine"], NAMES["team"], NAMES["queue"]}
    with db.session() as s:
        for p in (world.mine, world.team, world.queue):
            assert P.get_participant(s, staff.supervisor, p.id).id == p.id
        picks = {x.username for x in A.assignable_specialists(s, staff.supervisor)}
    assert picks == {"supervisor", "peer1", "peer2"}
    _assert_refused_everywhere(db, staff.supervisor, world.other_team, words="not on your")


def test_another_supervisor_does_not_see_this_team(
    db: Database, staff: Staff, world: World
) -> None:
    seen = _visible(db, staff.other_supervisor)
    assert NAMES["mine"] not in seen and NAMES["team"] not in seen
    assert NAMES["other_team"] in seen
    _assert_refused_everywhere(db, staff.other_supervisor, world.mine, words="not on your")


# ------------------------------------------------------------------------- transfers


def test_a_supervisor_transfers_and_the_history_stays(
    db: Database, staff: Staff, world: World
) -> None:
    with db.session() as s:
        entry = A.assign(
            s, staff.supervisor, world.mine.id, staff.peer2.id, on=date.today(), reason="Leave"
        )
    assert entry.specialist_id == staff.peer2.id
    assert _visible(db, staff.peer1) == set()
    assert _visible(db, staff.peer2) == {NAMES["mine"], NAMES["team"]}
    with db.session(read_only=True) as s:
        history = A.assignment_history(s, staff.supervisor, world.mine.id)
        detail = P.get_participant(s, staff.peer2, world.mine.id, audit_view=False)
    assert [(h.specialist_id, h.end_date) for h in history] == [
        (staff.peer1.id, date.today()),
        (staff.peer2.id, None),
    ]
    assert history[1].reason == "Leave"
    assert detail.specialist_name == "Quinn Peer"
    with pytest.raises(PermissionDenied), db.session() as s:
        P.get_participant(s, staff.peer1, world.mine.id)
    with db.session(read_only=True) as s:
        transfer = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "participant_transfer")
        ).all()
    assert [(t.user_id, t.participant_id) for t in transfer] == [
        (staff.supervisor.id, world.mine.id)
    ]


def test_transfer_rules(db: Database, staff: Staff, world: World) -> None:
    # Not to someone outside the team, not to the same person, not to an admin.
    cases = [
        (staff.outsider.id, "not on your team"),
        (staff.peer1.id, "already with"),
        (staff.admin.id, "do not carry a caseload"),
    ]
    for target, words in cases:
        with pytest.raises(ValidationError) as refused, db.session() as s:
            A.assign(s, staff.supervisor, world.mine.id, target)
        assert words in refused.value.message
    # The other team's supervisor cannot take the participant away.
    with pytest.raises(PermissionDenied), db.session() as s:
        A.assign(s, staff.other_supervisor, world.mine.id, staff.outsider.id)
    with db.session(read_only=True) as s:
        history = A.assignment_history(s, staff.peer1, world.mine.id)
    assert [h.specialist_id for h in history] == [staff.peer1.id]


def test_assigning_from_the_queue_and_back(db: Database, staff: Staff, world: World) -> None:
    with db.session() as s:
        A.assign(s, staff.supervisor, world.queue.id, staff.peer1.id)
    assert NAMES["queue"] in _visible(db, staff.peer1)
    assert NAMES["queue"] not in _visible(db, staff.other_supervisor)
    with db.session() as s:
        A.unassign(s, staff.supervisor, world.queue.id, reason="Specialist left")
    assert NAMES["queue"] not in _visible(db, staff.peer1)
    assert NAMES["queue"] in _visible(db, staff.supervisor)
    with pytest.raises(ValidationError), db.session() as s:
        A.unassign(s, staff.supervisor, world.queue.id)


# ---------------------------------------------------------------------------- admins


def test_an_admin_reads_no_clinical_content(db: Database, staff: Staff, world: World) -> None:
    assert _visible(db, staff.admin) == set()
    with pytest.raises(PermissionDenied) as refused, db.session() as s:
        P.get_participant(s, staff.admin, world.queue.id)
    assert "Administrators manage accounts" in str(refused.value)
    _assert_refused_everywhere(db, staff.admin, world.mine, words="Administrators")
    # Nor may an admin move participants between caseloads.
    with pytest.raises(PermissionDenied), db.session() as s:
        A.assign(s, staff.admin, world.queue.id, staff.peer1.id)


def test_an_admin_who_also_supervises_sees_their_team(
    db: Database, staff: Staff, world: World
) -> None:
    with db.session() as s:
        info = users.create_user(
            s,
            staff.admin,
            username="lead",
            display_name="Lee Lead",
            role="admin",
            password=TEST_PASSWORD,
            is_supervisor=True,
        )
        users.create_user(
            s,
            staff.admin,
            username="peer3",
            display_name="Remy Peer",
            role="specialist",
            password=TEST_PASSWORD,
            supervisor="lead",
        )
    assert info.is_supervisor
    with db.session() as s:
        lead = users.authenticate(s, "lead", TEST_PASSWORD, sleep=lambda _: None)
        peer3 = users.authenticate(s, "peer3", TEST_PASSWORD, sleep=lambda _: None)
    lead_actor, peer3_actor = lead.raise_for_failure(), peer3.raise_for_failure()
    with db.session() as s:
        theirs = P.create_participant(s, peer3_actor, _fields("Team Lead Case"))
    assert _visible(db, lead_actor) == {"Team Lead Case", NAMES["queue"]}
    with db.session() as s:
        assert P.get_participant(s, lead_actor, theirs.id).legal_name == "Team Lead Case"
    with pytest.raises(PermissionDenied), db.session() as s:
        P.get_participant(s, lead_actor, world.mine.id)


def test_views_are_audited(db: Database, staff: Staff, world: World) -> None:
    with db.session() as s:
        P.get_participant(s, staff.peer1, world.mine.id)
        P.get_participant(s, staff.peer1, world.mine.id, audit_view=False)
    with db.session(read_only=True) as s:
        views = s.scalars(select(AuditEvent).where(AuditEvent.action == "participant_view")).all()
    assert [(v.user_id, v.participant_id) for v in views] == [(staff.peer1.id, world.mine.id)]
