"""Outcome measures: recording each instrument, bands, the PHQ-9 safety flag,
history and trends, entered in error, and who may see them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from conftest import Staff
from sqlalchemy import select

from casebook.database import Database
from casebook.errors import NotFound, PermissionDenied, ValidationError
from casebook.measures import BARC_10, GAD_7, PHQ_9
from casebook.security.permissions import Actor
from casebook.services import assessments as A
from casebook.services import participants as P
from casebook.services.assignments import assign
from models import AuditEvent

NOW = datetime.now(UTC)


def make_participant(db: Database, actor: Actor, name: str = "Zoë Example") -> int:
    with db.session() as s:
        return P.create_participant(
            s,
            actor,
            P.parse_participant_fields(
                {
                    "legal_name": name,
                    "date_of_birth": "1990-01-02",
                    "recovery_start_date": "2025-01-01",
                }
            ),
        ).id


def record(
    db: Database, actor: Actor, pid: int, instrument: str, answers: list[int], days_ago: float = 0
) -> A.AssessmentView:
    with db.session() as s:
        return A.record_assessment(
            s, actor, pid, instrument, answers, NOW - timedelta(days=days_ago)
        )


@pytest.mark.parametrize(
    ("instrument", "answers", "total", "band", "cutoff"),
    [
        (BARC_10, [5, 5, 5, 5, 5, 5, 5, 4, 4, 4], 47, "at-or-above-cutoff", True),
        (BARC_10, [5, 5, 5, 5, 5, 5, 4, 4, 4, 4], 46, "below-cutoff", False),
        (BARC_10, [1] * 10, 10, "below-cutoff", False),
        (PHQ_9, [0] * 9, 0, "minimal", None),
        (PHQ_9, [1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild", None),
        (PHQ_9, [2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate", None),
        (PHQ_9, [3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately severe", None),
        (PHQ_9, [3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe", None),
        (GAD_7, [0, 0, 0, 0, 1, 1, 2], 4, "minimal", None),
        (GAD_7, [1, 1, 1, 1, 1, 0, 0], 5, "mild", None),
        (GAD_7, [2, 2, 2, 2, 2, 0, 0], 10, "moderate", None),
        (GAD_7, [3, 3, 3, 3, 3, 0, 0], 15, "severe", None),
    ],
)
def test_record_each_instrument_with_its_band(
    db: Database,
    staff: Staff,
    instrument: str,
    answers: list[int],
    total: int,
    band: str,
    cutoff: bool | None,
) -> None:
    pid = make_participant(db, staff.peer1)
    when = NOW - timedelta(hours=2)
    with db.session() as s:
        view = A.record_assessment(s, staff.peer1, pid, instrument, answers, when)
    assert (view.instrument, view.total, view.band, view.meets_cutoff) == (
        instrument,
        total,
        band,
        cutoff,
    )
    assert view.answers == tuple(answers) and view.flags == () and not view.safety_flag
    assert view.administered_at == when and view.administered_by_name == "Pat Peer"
    assert view.band_label  # a readable label for the band
    # What was stored reads back the same.
    with db.session() as s:
        stored = A.get_assessment(s, staff.peer1, view.id)
    assert stored == view


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_item_9_is_a_safety_flag_whatever_the_total(
    db: Database, staff: Staff, item9: int
) -> None:
    pid = make_participant(db, staff.peer1)
    with db.session() as s:
        view = A.record_assessment(s, staff.peer1, pid, PHQ_9, [0] * 8 + [item9])
    assert view.safety_flag and view.flags == ("self-harm",)
    assert view.band == "minimal"  # the total does not hide the flag
    assert "self-harm" in view.flag_labels[0]
    steps = " ".join(A.safety_next_steps())
    for needed in ("988", "911", "crisis plan", "supervisor", "referral", "Stay with"):
        assert needed in steps
    assert A.safety_next_steps() == A.SAFETY_NEXT_STEPS  # no catalogue installed


def test_item_9_zero_raises_no_flag_even_when_severe(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    view = record(db, staff.peer1, pid, PHQ_9, [3, 3, 3, 3, 3, 3, 3, 3, 0])
    assert view.band == "severe" and not view.safety_flag


@pytest.mark.parametrize(
    ("instrument", "answers", "field"),
    [
        (PHQ_9, [0] * 8, "answers"),
        (PHQ_9, [0] * 10, "answers"),
        (PHQ_9, [0, 0, 4, 0, 0, 0, 0, 0, 0], "item 3"),
        (GAD_7, [0, 0, 0, 0, 0, 0, -1], "item 7"),
        (BARC_10, [0] + [3] * 9, "item 1"),
        (BARC_10, [3] * 9 + [7], "item 10"),
        (GAD_7, [0, 0, "2", 0, 0, 0, 0], "item 3"),
        (GAD_7, [0, 0, True, 0, 0, 0, 0], "item 3"),
        ("PHQ-2", [0, 0], "instrument"),
        ("phq-9", [0] * 9, "instrument"),
    ],
)
def test_invalid_answers_give_field_messages(
    db: Database, staff: Staff, instrument: str, answers: list[object], field: str
) -> None:
    pid = make_participant(db, staff.peer1)
    with db.session() as s, pytest.raises(ValidationError) as err:
        A.record_assessment(s, staff.peer1, pid, instrument, answers)  # type: ignore[arg-type]
    assert field in err.value.field_errors
    with db.session() as s:
        assert A.list_assessments(s, staff.peer1, pid) == []


def test_invalid_administration_time(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    for when in (
        NOW + timedelta(days=1),
        datetime(2024, 5, 1, 10, 0),
        datetime(1980, 1, 1, tzinfo=UTC),
    ):
        with db.session() as s, pytest.raises(ValidationError) as err:
            A.record_assessment(s, staff.peer1, pid, GAD_7, [0] * 7, when)
        assert "administered_at" in err.value.field_errors


def test_history_trend_and_latest(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    first = record(db, staff.peer1, pid, BARC_10, [3] * 10, days_ago=90)
    record(db, staff.peer1, pid, PHQ_9, [2] * 9, days_ago=60)
    second = record(db, staff.peer1, pid, BARC_10, [4] * 10, days_ago=30)
    wrong = record(db, staff.peer1, pid, BARC_10, [6] * 10, days_ago=1)
    with db.session() as s:
        A.mark_entered_in_error(s, staff.peer1, wrong.id, reason="answers of another person")
    # Entered late, but given earlier: order follows when it was given.
    late = record(db, staff.peer1, pid, BARC_10, [5] * 10, days_ago=45)

    with db.session() as s:
        points = A.trend(s, staff.peer1, pid, BARC_10)
        every = A.list_assessments(s, staff.peer1, pid)
        barc = A.list_assessments(s, staff.peer1, pid, BARC_10, include_entered_in_error=False)
        latest = A.latest_by_instrument(s, staff.peer1, pid)
        assert A.trend(s, staff.peer1, pid, GAD_7) == []
        with pytest.raises(ValidationError):
            A.trend(s, staff.peer1, pid, "K10")
    assert [p.total for p in points] == [30, 50, 40]
    assert points[0].administered_at == first.administered_at
    assert [t for _, t in points] == [30, 50, 40]  # plain (when, total) pairs
    assert every[0].id == wrong.id and every[0].entered_in_error
    assert len(every) == 5
    assert [a.id for a in barc] == [second.id, late.id, first.id]
    assert list(latest) == [BARC_10, PHQ_9]
    assert latest[BARC_10].id == second.id and latest[PHQ_9].total == 18

    with db.session() as s:
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    for action in (
        "assessment_record",
        "assessment_entered_in_error",
        "assessment_trend_view",
        "assessment_list_view",
        "assessment_latest_view",
    ):
        assert action in actions
    assert actions.count("assessment_trend_view") == 2  # one row per call (the bad code: none)


def test_entered_in_error_rules(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    view = record(db, staff.peer1, pid, GAD_7, [1] * 7)
    with db.session() as s, pytest.raises(ValidationError) as err:
        A.mark_entered_in_error(s, staff.peer1, view.id, reason=" ")
    assert "reason" in err.value.field_errors
    with db.session() as s:
        marked = A.mark_entered_in_error(s, staff.supervisor, view.id, reason="duplicate entry")
    assert marked.entered_in_error and marked.entered_in_error_reason == "duplicate entry"
    with db.session() as s, pytest.raises(ValidationError) as err:
        A.mark_entered_in_error(s, staff.peer1, view.id, reason="again")
    assert "status" in err.value.field_errors
    with db.session() as s, pytest.raises(NotFound):
        A.mark_entered_in_error(s, staff.peer1, 999, reason="x")


def test_recent_safety_flags_for_today(db: Database, staff: Staff) -> None:
    mine = make_participant(db, staff.peer1, "Zoë Example")
    quinns = make_participant(db, staff.peer2, "Quinn's Participant")
    flagged = [0, 0, 0, 0, 0, 0, 0, 0, 1]
    recent = record(db, staff.peer1, mine, PHQ_9, flagged, days_ago=2)
    record(db, staff.peer1, mine, PHQ_9, flagged, days_ago=20)  # outside the window
    record(db, staff.peer1, mine, PHQ_9, [1] * 8 + [0], days_ago=1)  # no flag
    record(db, staff.peer1, mine, GAD_7, [3] * 7, days_ago=1)  # not PHQ-9
    error = record(db, staff.peer1, mine, PHQ_9, flagged, days_ago=1)
    with db.session() as s:
        A.mark_entered_in_error(s, staff.peer1, error.id, reason="wrong participant")
    other = record(db, staff.peer2, quinns, PHQ_9, flagged, days_ago=3)

    with db.session() as s:
        peer1 = A.recent_safety_flags(s, staff.peer1)
        team = A.recent_safety_flags(s, staff.supervisor)
        wide = A.recent_safety_flags(s, staff.peer1, days=30)
        assert A.recent_safety_flags(s, staff.outsider) == []
        assert A.recent_safety_flags(s, staff.admin) == []
        with pytest.raises(ValidationError):
            A.recent_safety_flags(s, staff.peer1, days=0)
    assert [a.assessment_id for a in peer1] == [recent.id]
    assert peer1[0].display_name == "Zoë Example" and peer1[0].administered_by_name == "Pat Peer"
    assert [a.assessment_id for a in team] == [recent.id, other.id]
    assert len(wide) == 2


def test_other_staff_are_refused_by_every_function(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    view = record(db, staff.peer1, pid, PHQ_9, [1] * 9)
    calls: list[tuple[Callable[..., object], tuple[object, ...], dict[str, object]]] = [
        (A.record_assessment, (pid, GAD_7, [0] * 7), {}),
        (A.get_assessment, (view.id,), {}),
        (A.list_assessments, (pid,), {}),
        (A.list_assessments, (pid, PHQ_9), {}),
        (A.trend, (pid, PHQ_9), {}),
        (A.latest_by_instrument, (pid,), {}),
        (A.mark_entered_in_error, (view.id,), {"reason": "x"}),
    ]
    for actor in (staff.peer2, staff.outsider, staff.admin, staff.other_supervisor):
        for func_, args, kwargs in calls:
            with pytest.raises(PermissionDenied), db.session() as s:
                func_(s, actor, *args, **kwargs)
        with db.session() as s:
            assert all(a.participant_id != pid for a in A.recent_safety_flags(s, actor))
    # A teammate with access still cannot mark someone else's entry in error...
    with db.session() as s:
        assign(s, staff.supervisor, pid, staff.peer2.id)
    with pytest.raises(PermissionDenied), db.session() as s:
        A.mark_entered_in_error(s, staff.peer2, view.id, reason="x")
    # ...though they can read it, now that it is on their caseload.
    with db.session() as s:
        assert [a.id for a in A.list_assessments(s, staff.peer2, pid)] == [view.id]
    # And the specialist it was transferred from no longer sees it at all.
    with pytest.raises(PermissionDenied), db.session() as s:
        A.trend(s, staff.peer1, pid, PHQ_9)
