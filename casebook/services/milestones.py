"""Recovery milestones: days in recovery and the anniversaries worth celebrating.

The dates are pure functions of the recovery start date, so the participant
header, Today and printed summaries agree without storing anything. Short
milestones count days (24 hours, 30, 60, 90 days: the usual chips); longer ones
are calendar months, so "6 months" from 31 August falls on the last day of
February, and "1 year" from 29 February falls on 28 February the next year.

A participant may reset their start date (``participants.reset_recovery_start``);
milestones always follow the current date, and the earlier dates stay in history.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.errors import ValidationError
from casebook.i18n import tr
from casebook.security.permissions import Actor, visible_participants
from models import Participant

# (code, unit, amount): days or calendar months after the start date, in order.
# Years beyond the table repeat every 12 months (see _schedule).
_FIXED: tuple[tuple[str, str, int], ...] = (
    ("24h", "days", 1),
    ("30d", "days", 30),
    ("60d", "days", 60),
    ("90d", "days", 90),
    ("6m", "months", 6),
    ("9m", "months", 9),
    ("1y", "months", 12),
    ("18m", "months", 18),
)
# Today's window is a week; a longer one would make the list into a calendar.
MAX_WINDOW_DAYS = 366


@dataclass(frozen=True)
class Milestone:
    """One milestone: its wording, the date it is (or was) reached, and a stable code."""

    label: str
    date: date
    code: str
    days: int  # days from the recovery start date


@dataclass(frozen=True)
class MilestoneReached:
    """A participant on the actor's caseload who reached a milestone recently (Today)."""

    participant_id: int
    record_number: str
    display_name: str
    recovery_start_date: date
    milestone: Milestone
    days_in_recovery: int


def add_months(start: date, months: int) -> date:
    """The same day of the month *months* later, clamped to the end of a shorter month."""
    year, month_index = divmod(start.month - 1 + months, 12)
    year += start.year
    month = month_index + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _label(code: str, years: int = 0) -> str:
    # Spelled out one by one so a translation tool finds every string.
    match code:
        case "24h":
            return tr("24 hours")
        case "30d":
            return tr("30 days")
        case "60d":
            return tr("60 days")
        case "90d":
            return tr("90 days")
        case "6m":
            return tr("6 months")
        case "9m":
            return tr("9 months")
        case "1y":
            return tr("1 year")
        case "18m":
            return tr("18 months")
    return tr("{n} years").format(n=years)


def _dates(start: date, not_before: date | None = None) -> Iterator[tuple[str, date, int]]:
    """(code, date, years) of every milestone from *start*, in date order, without end.

    Dates only: the wording is looked up for the few milestones a caller keeps
    (Today walks the schedule of every participant on a caseload). With
    *not_before*, the walk may skip ahead over milestones that are certainly
    earlier (it never skips one on or after that date).
    """
    years = 2
    if not_before is None or add_months(start, _FIXED[-1][2]) >= not_before:
        for code, unit, amount in _FIXED:
            when = start + timedelta(days=amount) if unit == "days" else add_months(start, amount)
            yield code, when, 0
    else:
        # The yearly anniversary in the year before not_before is certainly earlier.
        years = max(years, not_before.year - start.year - 1)
    while True:
        # Counted from the start each time, so a 29 February start is back on
        # 29 February in leap years instead of drifting to the 28th for good.
        yield f"{years}y", add_months(start, 12 * years), years
        years += 1


def _milestone(start: date, code: str, when: date, years: int) -> Milestone:
    return Milestone(_label(code, years), when, code, (when - start).days)


def _schedule(start: date) -> Iterator[Milestone]:
    """Every milestone from *start*, in date order, without end."""
    for code, when, years in _dates(start):
        yield _milestone(start, code, when, years)


def days_in_recovery(start: date | None, today: date) -> int | None:
    """Whole days since the recovery start date (0 on the day itself); None without a date.

    A start date after *today* counts as 0 rather than a negative number: the
    header should never show "-3 days".
    """
    if start is None:
        return None
    return max(0, (today - start).days)


def milestones_reached(start: date | None, today: date) -> list[Milestone]:
    """Milestones reached on or before *today*, oldest first."""
    if start is None:
        return []
    reached = []
    for milestone in _schedule(start):
        if milestone.date > today:
            break
        reached.append(milestone)
    return reached


def next_milestone(start: date | None, today: date) -> Milestone | None:
    """The first milestone after *today* (None without a start date)."""
    if start is None:
        return None
    return next(m for m in _schedule(start) if m.date > today)


def milestones_in_window(start: date | None, from_date: date, to_date: date) -> list[Milestone]:
    """Milestones whose date falls in ``from_date..to_date`` (both included), oldest first."""
    if start is None or to_date < from_date:
        return []
    found = []
    for code, when, years in _dates(start, from_date):
        if when > to_date:
            break
        if when >= from_date:
            found.append(_milestone(start, code, when, years))
    return found


def recent_milestones(
    session: Session, actor: Actor, today: date | None = None, days: int = 7
) -> list[MilestoneReached]:
    """Milestones reached in the last *days* days (today included) by the active
    participants the actor may see, newest first: Today's celebration list.

    One query for the participants; the dates are computed here, because they
    are calendar arithmetic no SQL dialect does the same way.
    """
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise ValidationError(
            {"days": tr("the window must be 1 to {max} days").format(max=MAX_WINDOW_DAYS)}
        )
    today = today or date.today()
    window_start = today - timedelta(days=days - 1)
    rows = session.execute(
        select(
            Participant.id,
            Participant.record_number,
            Participant.preferred_name,
            Participant.legal_name,
            Participant.recovery_start_date,
        ).where(
            Participant.status == "active",
            Participant.recovery_start_date.is_not(None),
            Participant.recovery_start_date <= today,
            visible_participants(actor),
        )
    ).all()
    found: list[MilestoneReached] = []
    for pid, number, preferred, legal, start in rows:
        for milestone in milestones_in_window(start, window_start, today):
            found.append(
                MilestoneReached(
                    pid, number, preferred or legal, start, milestone, (today - start).days
                )
            )
    found.sort(
        key=lambda m: (-m.milestone.date.toordinal(), m.display_name.casefold(), m.participant_id)
    )
    return found
