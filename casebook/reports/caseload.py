"""The supervisor's caseload report: every participant, grouped per specialist.

One row per participant with status, days in recovery, last contact and days
overdue, next plan review, open referrals and the latest BARC-10 with its change
since the one before; per-specialist totals under each group and a summary table
of every group with the overall totals.

Two profiles (minimum necessary):

- ``minimum`` (default): record number and initials only, no clinical text. Anyone
  who can see a caseload may print it.
- ``full``: names as well; supervisors only.

The rows come from ``services.caseload.caseload_rows`` (the same set-based query
and the same visibility as the caseload screen); the previous BARC-10 for the
trend comes from one more set-based query. Nothing is queried per row, and the
table is built with ``base.data_table``'s single-line cells, so the cost grows
linearly with the number of participants.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from reportlab.platypus import Flowable, Paragraph, Spacer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casebook.errors import PermissionDenied, ValidationError
from casebook.i18n import tr
from casebook.measures import BARC_10
from casebook.reports.base import Cell, data_table, section, usable_width
from casebook.reports.documents import (
    PARTICIPANT_STATUS_LABELS,
    audit_print,
    fmt_date,
    initials,
    label,
    make_meta,
    para,
    title_block,
    write,
)
from casebook.reports.fast_table import FastTable
from casebook.reports.styles import has_glyph, safe_text, styles
from casebook.security.permissions import Actor
from casebook.services.caseload import CaseloadRow, caseload_rows
from casebook.services.users import list_users
from models import Assessment

Profile = Literal["minimum", "full"]
PROFILES: tuple[str, ...] = ("minimum", "full")
BARC_CUTOFF = 47
_UNASSIGNED = 0
_CHUNK = 5000

# Column widths in points after the participant column, which takes the rest of the
# frame (about 100 pt on letter paper): each fits its longest word in bold and a
# date such as "Nov 27, 2026 !" on one line.
_FIXED = (46.0, 54.0, 70.0, 50.0, 76.0, 52.0, 54.0)


@dataclass(frozen=True)
class _Line:
    row: CaseloadRow
    days_in_recovery: int | None
    days_overdue: int
    review_due: bool
    barc: int | None
    barc_previous: int | None


@dataclass
class _Totals:
    participants: int = 0
    overdue: int = 0
    reviews_due: int = 0
    open_referrals: int = 0
    barc_scored: int = 0
    barc_at_cutoff: int = 0

    def add(self, line: _Line) -> None:
        self.participants += 1
        self.overdue += 1 if line.days_overdue > 0 else 0
        self.reviews_due += 1 if line.review_due else 0
        self.open_referrals += line.row.open_referrals
        if line.barc is not None:
            self.barc_scored += 1
            self.barc_at_cutoff += 1 if line.barc >= BARC_CUTOFF else 0

    def merge(self, other: _Totals) -> None:
        self.participants += other.participants
        self.overdue += other.overdue
        self.reviews_due += other.reviews_due
        self.open_referrals += other.open_referrals
        self.barc_scored += other.barc_scored
        self.barc_at_cutoff += other.barc_at_cutoff


def _check_profile(actor: Actor, profile: str) -> None:
    if profile not in PROFILES:
        raise ValidationError(
            {"profile": tr("unknown profile '{p}'; use minimum or full").format(p=profile)}
        )
    if profile == "full" and not actor.supervises:
        raise PermissionDenied(
            tr(
                "Only a supervisor can print the full caseload report with names; print the "
                "minimum-necessary profile (record numbers and initials) instead"
            )
        )


def _allowed_specialists(session: Session, actor: Actor, wanted: Iterable[int]) -> set[int]:
    wanted_set = set(wanted)
    if actor.is_admin and actor.supervises:
        return wanted_set
    team = {u.id for u in list_users(session, actor)}
    outside = wanted_set - team
    if outside:
        if not actor.supervises:
            raise PermissionDenied(tr("You can print only your own caseload"))
        raise PermissionDenied(
            tr("You can print the caseloads of your own team only (not staff number {ids})").format(
                ids=", ".join(str(i) for i in sorted(outside))
            )
        )
    return wanted_set


def _barc_pairs(session: Session, pids: Sequence[int]) -> dict[int, tuple[int, int | None]]:
    """participant → (latest BARC-10 total, the one before or None) for *pids*, which
    come from ``caseload_rows`` and so are already limited to what the actor sees.

    One query per few thousand participants (bound-parameter limits); the order
    matches the caseload service's latest total (newest, then the higher total).
    """
    result: dict[int, tuple[int, int | None]] = {}
    for start in range(0, len(pids), _CHUNK):
        chunk = list(pids[start : start + _CHUNK])
        ranked = (
            select(
                Assessment.participant_id.label("pid"),
                Assessment.total.label("total"),
                func.row_number()
                .over(
                    partition_by=Assessment.participant_id,
                    order_by=(Assessment.administered_at.desc(), Assessment.total.desc()),
                )
                .label("n"),
            )
            .where(
                Assessment.participant_id.in_(chunk),
                Assessment.instrument == BARC_10,
                Assessment.entered_in_error_at.is_(None),
            )
            .subquery()
        )
        rows = session.execute(
            select(ranked.c.pid, ranked.c.total, ranked.c.n).where(ranked.c.n <= 2)
        ).all()
        for pid, total, n in rows:
            latest, previous = result.get(pid, (0, None))
            result[pid] = (total, previous) if n == 1 else (latest, total)
    return result


def _barc_text(latest: int | None, previous: int | None) -> str:
    if latest is None:
        return "—"
    if previous is None:
        return str(latest)
    delta = latest - previous
    if delta > 0:
        return f"{latest} ↑ +{delta}"
    if delta < 0:
        return f"{latest} ↓ −{-delta}"
    return f"{latest} → 0"


def _participant_cell(row: CaseloadRow, profile: str) -> str:
    """Record number and initials (minimum) or name (full), in one column so the
    table fits portrait paper."""
    if profile != "full":
        letters = initials(row.legal_name)
        # Outside the main font's scripts, initials say little to most readers (CJK
        # prints in the fallback font; some scripts cannot print at all), and the
        # preferred name is often in Latin letters: use its initials then.
        if not all(has_glyph(ch) for ch in letters) and row.preferred_name:
            letters = initials(row.preferred_name)
        return f"{row.record_number} · {letters}"
    name = row.legal_name
    if row.preferred_name and row.preferred_name != row.legal_name:
        name = f"{row.preferred_name} ({row.legal_name})"
    # One line when it fits (cheap to draw); a long name wraps under the number.
    return f"{row.record_number} · {name}"


def _widths(meta_width: float) -> list[float]:
    return [meta_width - sum(_FIXED), *_FIXED]


def _header(profile: str) -> list[str]:
    return [
        tr("Record and name") if profile == "full" else tr("Record and initials"),
        tr("Status"),
        tr("Days in recovery"),
        tr("Last contact"),
        tr("Days overdue"),
        tr("Next plan review"),
        tr("Open referrals"),
        tr("BARC-10 (change)"),
    ]


def _row_cells(line: _Line, profile: str, locale_name: str | None) -> list[str]:
    row = line.row
    last = row.last_contact_at
    return [
        _participant_cell(row, profile),
        label(PARTICIPANT_STATUS_LABELS, row.status),
        "—" if line.days_in_recovery is None else str(line.days_in_recovery),
        fmt_date(last, locale_name) if last is not None else tr("never"),
        str(line.days_overdue) if line.days_overdue else "—",
        fmt_date(row.plan_review_date, locale_name) + (" !" if line.review_due else ""),
        str(row.open_referrals) if row.open_referrals else "—",
        _barc_text(line.barc, line.barc_previous),
    ]


def _count(n: int) -> str:
    return tr("1 participant") if n == 1 else tr("{n} participants").format(n=n)


def _totals_cells(totals: _Totals, caption: str) -> list[str]:
    return [
        f"{caption}: {_count(totals.participants)}",
        "",
        "",
        "",
        tr("{n} overdue").format(n=totals.overdue),
        tr("{n} due").format(n=totals.reviews_due),
        str(totals.open_referrals),
        tr("{n} of {m} ≥ 47").format(n=totals.barc_at_cutoff, m=totals.barc_scored),
    ]


def _summary_table(
    groups: Sequence[tuple[str, _Totals]], overall: _Totals, width: float
) -> Flowable:
    header: list[Cell] = [
        tr("Specialist"),
        tr("Participants"),
        tr("Contact overdue"),
        tr("Plan review due"),
        tr("Open referrals"),
        tr("BARC-10 at or above 47"),
    ]
    numbers = [72.0, 62.0, 62.0, 62.0, 90.0]
    rows: list[list[Cell]] = [header]
    for name, t in groups:
        rows.append(_summary_cells(name, t))
    rows.append(
        [
            Paragraph(safe_text(c or ""), styles().header_cell) if isinstance(c, str) else c
            for c in _summary_cells(tr("All specialists"), overall)
        ]
    )
    return data_table(rows, [width - sum(numbers), *numbers])


def _summary_cells(name: str, t: _Totals) -> list[Cell]:
    return [
        name,
        str(t.participants),
        str(t.overdue),
        str(t.reviews_due),
        str(t.open_referrals),
        tr("{n} of {m}").format(n=t.barc_at_cutoff, m=t.barc_scored),
    ]


def build_caseload_report(
    session: Session,
    actor: Actor,
    path: Path,
    *,
    profile: Profile | str = "minimum",
    specialist_ids: Sequence[int] | None = None,
    today: date | None = None,
    locale_name: str | None = None,
) -> Path:
    """Write the caseload report the actor may see to *path* (atomically) and audit it.

    *specialist_ids* limits it to those specialists' caseloads (a specialist may
    ask only for their own, a supervisor for their team); None means everything
    the actor sees, unassigned participants included. Raises PermissionDenied for
    ``full`` unless the actor supervises.
    """
    _check_profile(actor, profile)
    today = today or date.today()
    wanted = _allowed_specialists(session, actor, specialist_ids) if specialist_ids else None
    if wanted is None:
        rows = caseload_rows(session, actor)
    else:
        # Those caseloads only (read through the assignment index): the cost follows
        # the size of the report, not of the clinic.
        rows = caseload_rows(session, actor, specialist_ids=wanted)
    barc = _barc_pairs(session, [r.participant_id for r in rows])

    groups: dict[int, list[_Line]] = {}
    names: dict[int, str] = {}
    for r in rows:
        key = r.specialist_id or _UNASSIGNED
        names[key] = r.specialist_name if r.specialist_id else tr("Unassigned")
        latest, previous = barc.get(r.participant_id, (None, None))
        groups.setdefault(key, []).append(
            _Line(
                row=r,
                days_in_recovery=r.days_in_recovery(today),
                days_overdue=r.days_overdue(today),
                review_due=r.plan_review_date is not None and r.plan_review_date <= today,
                barc=latest if latest is not None else r.latest_barc10,
                barc_previous=previous,
            )
        )
    order = sorted(groups, key=lambda k: (k == _UNASSIGNED, names[k].casefold(), k))

    meta = make_meta(
        actor,
        tr("Caseload report") if profile == "minimum" else tr("Caseload report (full, with names)"),
        subject=tr("Caseload report"),
        locale_name=locale_name,
    )
    width = usable_width(meta)
    widths = _widths(width)
    profile_line = (
        tr("Profile: minimum necessary (record numbers and initials, no clinical text)")
        if profile == "minimum"
        else tr("Profile: full (names included; supervisors only)")
    )
    story: list[Flowable] = title_block(
        tr("Caseload report"),
        [
            tr("As of {date}").format(date=fmt_date(today, locale_name)),
            profile_line,
            tr(
                "Days overdue: days past the next expected contact (last contact plus the "
                "participant's contact cadence). “!”: plan review date reached. BARC-10: latest "
                "total, arrow and change since the one before (47 or more predicted sustained "
                "remission)."
            ),
        ],
    )
    overall = _Totals()
    summaries: list[tuple[str, _Totals]] = []
    sections: list[Flowable] = []
    for key in order:
        lines = sorted(groups[key], key=lambda ln: (-ln.days_overdue, ln.row.record_number))
        totals = _Totals()
        table_rows: list[list[str]] = []
        for line in lines:
            totals.add(line)
            table_rows.append(_row_cells(line, profile, locale_name))
        table_rows.append(_totals_cells(totals, tr("Total")))
        overall.merge(totals)
        summaries.append((names[key], totals))
        sections += section(f"{names[key]} — {_count(totals.participants)}")
        sections.append(
            FastTable(_header(profile), table_rows, widths, bold_rows=[len(table_rows) - 1])
        )
    story += section(tr("Summary"))
    if summaries:
        story.append(_summary_table(summaries, overall, width))
    else:
        story.append(para(tr("No participants match this report."), "muted"))
    story.append(Spacer(0, 6))
    story += sections

    audit_print(
        session,
        actor,
        "caseload",
        entity_type="caseload",
        profile=profile,
        details={
            "participants": overall.participants,
            "specialists": sorted(k for k in groups if k != _UNASSIGNED),
        },
    )
    return write(path, meta, story)
