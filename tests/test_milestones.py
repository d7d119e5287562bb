"""Recovery milestones: day counts, calendar-month boundaries, and Today's list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import Staff
from hypothesis import given
from hypothesis import strategies as st

from casebook.database import Database
from casebook.errors import ValidationError
from casebook.security.permissions import Actor
from casebook.services import participants as P
from casebook.services.milestones import (
    add_months,
    days_in_recovery,
    milestones_in_window,
    milestones_reached,
    next_milestone,
    recent_milestones,
)


def codes(milestones: list) -> list[str]:
    return [m.code for m in milestones]


def test_no_start_date_means_no_milestones() -> None:
    today = date(2025, 6, 1)
    assert days_in_recovery(None, today) is None
    assert milestones_reached(None, today) == []
    assert next_milestone(None, today) is None
    assert milestones_in_window(None, date(2020, 1, 1), today) == []


def test_days_in_recovery_counts_whole_days() -> None:
    start = date(2025, 1, 1)
    assert days_in_recovery(start, start) == 0
    assert days_in_recovery(start, date(2025, 1, 2)) == 1
    assert days_in_recovery(start, date(2026, 1, 1)) == 365
    # A start after today is shown as 0, never a negative count.
    assert days_in_recovery(start, date(2024, 12, 30)) == 0


def test_first_day_is_reached_after_24_hours() -> None:
    start = date(2025, 3, 10)
    assert milestones_reached(start, start) == []
    first = next_milestone(start, start)
    assert first is not None and first.code == "24h" and first.date == date(2025, 3, 11)
    assert first.label == "24 hours" and first.days == 1
    assert codes(milestones_reached(start, date(2025, 3, 11))) == ["24h"]


def test_30_days_boundary() -> None:
    start = date(2025, 1, 1)
    day_29 = start + timedelta(days=29)
    day_30 = start + timedelta(days=30)
    assert codes(milestones_reached(start, day_29)) == ["24h"]
    nxt = next_milestone(start, day_29)
    assert nxt is not None and (nxt.code, nxt.date) == ("30d", day_30)
    assert codes(milestones_reached(start, day_30)) == ["24h", "30d"]
    assert milestones_reached(start, day_30)[-1].date == date(2025, 1, 31)
    assert next_milestone(start, day_30) == milestones_reached(start, date(2025, 3, 2))[-1]


def test_60_and_90_days_then_calendar_months() -> None:
    start = date(2025, 1, 1)
    reached = milestones_reached(start, date(2026, 7, 1))
    assert [(m.code, m.date) for m in reached] == [
        ("24h", date(2025, 1, 2)),
        ("30d", date(2025, 1, 31)),
        ("60d", date(2025, 3, 2)),
        ("90d", date(2025, 4, 1)),
        ("6m", date(2025, 7, 1)),
        ("9m", date(2025, 10, 1)),
        ("1y", date(2026, 1, 1)),
        ("18m", date(2026, 7, 1)),
    ]
    assert [m.label for m in reached] == [
        "24 hours",
        "30 days",
        "60 days",
        "90 days",
        "6 months",
        "9 months",
        "1 year",
        "18 months",
    ]


def test_six_months_is_same_day_of_month_clamped_over_month_ends() -> None:
    # 31 August + 6 months: February has no 31st, so the last day of February.
    six_months = next_milestone(date(2025, 8, 31), date(2025, 12, 1))
    assert six_months is not None and six_months.date == date(2026, 2, 28)
    # ... and 29 February in a leap year.
    six = [m for m in milestones_reached(date(2023, 8, 31), date(2024, 3, 1)) if m.code == "6m"]
    assert six[0].date == date(2024, 2, 29)
    # 31 March + 6 months = 30 September; 9 months = 31 December.
    by_code = {m.code: m.date for m in milestones_reached(date(2025, 3, 31), date(2026, 1, 1))}
    assert by_code["6m"] == date(2025, 9, 30)
    assert by_code["9m"] == date(2025, 12, 31)
    # The day before is not yet six months.
    assert "6m" not in codes(milestones_reached(date(2025, 3, 31), date(2025, 9, 29)))


def test_one_year_from_29_february() -> None:
    start = date(2024, 2, 29)
    by_code = {m.code: m.date for m in milestones_reached(start, date(2028, 3, 1))}
    assert by_code["1y"] == date(2025, 2, 28)  # clamped: 2025 has no 29 February
    assert by_code["18m"] == date(2025, 8, 29)
    assert by_code["2y"] == date(2026, 2, 28)
    # Each anniversary is counted from the start, so leap years get the 29th back.
    assert by_code["4y"] == date(2028, 2, 29)
    assert "1y" not in codes(milestones_reached(start, date(2025, 2, 27)))


def test_every_year_after_18_months() -> None:
    start = date(2015, 5, 20)
    reached = milestones_reached(start, date(2025, 5, 20))
    years = [m for m in reached if m.code.endswith("y")]
    assert [m.code for m in years] == [f"{n}y" for n in range(1, 11)]
    assert years[-1].label == "10 years" and years[-1].date == date(2025, 5, 20)
    eleven = next_milestone(start, date(2025, 5, 20))
    assert eleven is not None and eleven.code == "11y" and eleven.date == date(2026, 5, 20)


def test_window_includes_both_ends() -> None:
    start = date(2025, 1, 1)
    found = milestones_in_window(start, date(2025, 1, 31), date(2025, 3, 2))
    assert codes(found) == ["30d", "60d"]
    assert milestones_in_window(start, date(2025, 2, 1), date(2025, 3, 1)) == []
    assert milestones_in_window(start, date(2025, 3, 2), date(2025, 1, 1)) == []


@given(
    st.dates(min_value=date(1950, 1, 1), max_value=date(2060, 12, 31)),
    st.integers(min_value=0, max_value=4000),
)
def test_milestones_are_ordered_and_consistent(start: date, offset: int) -> None:
    today = start + timedelta(days=offset)
    reached = milestones_reached(start, today)
    dates = [m.date for m in reached]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert all(m.date <= today for m in reached)
    nxt = next_milestone(start, today)
    assert nxt is not None and nxt.date > today
    assert not reached or reached[-1].date < nxt.date
    assert all(m.days == (m.date - start).days for m in [*reached, nxt])


@given(
    st.dates(min_value=date(1950, 1, 1), max_value=date(2060, 12, 31)),
    st.integers(min_value=-400, max_value=30000),
    st.integers(min_value=0, max_value=800),
)
def test_a_window_finds_exactly_the_milestones_of_the_full_schedule(
    start: date, offset: int, length: int
) -> None:
    # The window skips ahead for long recoveries; it must still find every milestone
    # the whole schedule (walked from the start) has between its two dates.
    from_date = start + timedelta(days=offset)
    to_date = from_date + timedelta(days=length)
    everything = milestones_reached(start, to_date)
    expected = [m for m in everything if m.date >= from_date]
    assert milestones_in_window(start, from_date, to_date) == expected


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(min_value=0, max_value=240),
)
def test_add_months_keeps_the_day_or_clamps(start: date, months: int) -> None:
    result = add_months(start, months)
    assert (result.year - start.year) * 12 + result.month - start.month == months
    assert result.day == start.day or (
        result.day < start.day and (result + timedelta(days=1)).day == 1
    )


# --------------------------------------------------------------------------- Today


def _participant(
    db: Database, actor: Actor, name: str, start: str | None, status: str = "active"
) -> int:
    fields = {"legal_name": name, "date_of_birth": "1990-01-02"}
    if start:
        fields["recovery_start_date"] = start
    with db.session() as s:
        detail = P.create_participant(s, actor, P.parse_participant_fields(fields))
        if status == "inactive":
            P.set_status(s, actor, detail.id, "inactive")
        return detail.id


def test_recent_milestones_for_the_actors_active_participants(db: Database, staff: Staff) -> None:
    today = date.today()
    month_ago = (today - timedelta(days=30)).isoformat()
    zoe = _participant(db, staff.peer1, "Zoë Example", month_ago)
    _participant(db, staff.peer1, "No Date Yet", None)
    _participant(db, staff.peer1, "Between Milestones", (today - timedelta(days=45)).isoformat())
    _participant(db, staff.peer1, "Resting Inactive", month_ago, status="inactive")
    peer2s = _participant(db, staff.peer2, "Ngozi Okafor", (today - timedelta(days=1)).isoformat())

    with db.session() as s:
        mine = recent_milestones(s, staff.peer1, today)
    assert [(m.participant_id, m.milestone.code) for m in mine] == [(zoe, "30d")]
    assert mine[0].display_name == "Zoë Example" and mine[0].days_in_recovery == 30

    with db.session() as s:
        team = recent_milestones(s, staff.supervisor, today)
        outsider = recent_milestones(s, staff.outsider, today)
        admin = recent_milestones(s, staff.admin, today)
    # Newest first: 24 hours (yesterday's start) before 30 days (reached today too,
    # so by name).
    assert {(m.participant_id, m.milestone.code) for m in team} == {(zoe, "30d"), (peer2s, "24h")}
    assert outsider == [] and admin == []


def test_recent_milestones_window(db: Database, staff: Staff) -> None:
    today = date.today()
    # The 30-day milestone was 6 days ago (inside a 7-day window), or 7 days ago (outside).
    inside = _participant(db, staff.peer1, "Inside", (today - timedelta(days=36)).isoformat())
    _participant(db, staff.peer1, "Outside", (today - timedelta(days=37)).isoformat())
    with db.session() as s:
        found = recent_milestones(s, staff.peer1, today, days=7)
        assert [m.participant_id for m in found] == [inside]
        assert found[0].milestone.date == today - timedelta(days=6)
        assert len(recent_milestones(s, staff.peer1, today, days=8)) == 2
        with pytest.raises(ValidationError) as err:
            recent_milestones(s, staff.peer1, today, days=0)
    assert "days" in err.value.field_errors
