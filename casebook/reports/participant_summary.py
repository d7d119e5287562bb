"""A participant summary for a meeting: profile, current plan, milestones, measures,
open referrals, consents on file and the most recent notes.

Everything is read through the services with the acting user, so a specialist can
print only a participant on their caseload (the same refusal as the window), and a
supervisor their team's. The print itself is one audit event; the services' own
"viewed" events are left out where a service allows it, so the log says "printed
the summary" rather than a dozen separate views.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reportlab.platypus import Flowable, Spacer
from sqlalchemy.orm import Session

from casebook.errors import ValidationError
from casebook.i18n import tr
from casebook.measures import BARC_10, INSTRUMENTS, band_label, band_ranges, instrument_info
from casebook.reports.base import Cell, data_table, key_value_table, section, usable_width
from casebook.reports.charts import trend_chart
from casebook.reports.documents import (
    PARTICIPANT_STATUS_LABELS,
    RECOVERY_FOCUS_LABELS,
    audit_print,
    empty_line,
    fmt_date,
    fmt_datetime,
    label,
    make_meta,
    para,
    title_block,
    write,
)
from casebook.reports.plan_sections import goals_story, wrap_story
from casebook.security.permissions import Actor
from casebook.services import assessments, consents, milestones, notes, participants, plans
from casebook.services import referrals as referral_service
from casebook.services.participants import ParticipantDetail

MAX_NOTES = 50
_REASON_CHARS = 300


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _profile(p: ParticipantDetail, today: date, width: float, loc: str | None) -> Flowable:
    recovery = fmt_date(p.recovery_start_date, loc)
    days = milestones.days_in_recovery(p.recovery_start_date, today)
    if days is not None:
        recovery = tr("{date} ({days} days in recovery)").format(date=recovery, days=days)
    emergency = " · ".join(x for x in (p.emergency_contact_name, p.emergency_contact_phone) if x)
    status = label(PARTICIPANT_STATUS_LABELS, p.status)
    if p.status == "discharged" and p.discharge_date is not None:
        status = tr("{status} on {date}: {reason}").format(
            status=status, date=fmt_date(p.discharge_date, loc), reason=p.discharge_reason or "—"
        )
    pairs: list[tuple[str, Cell]] = [
        (tr("Record number"), p.record_number),
        (tr("Legal name"), p.legal_name),
        (tr("Preferred name"), p.preferred_name),
        (tr("Pronouns"), p.pronouns),
        (
            tr("Date of birth"),
            tr("{date} (age {age})").format(
                date=fmt_date(p.date_of_birth, loc), age=_age(p.date_of_birth, today)
            ),
        ),
        (tr("Status"), status),
        (tr("Peer specialist"), p.specialist_name or tr("Unassigned")),
        (tr("Recovery focus"), label(RECOVERY_FOCUS_LABELS, p.recovery_focus)),
        (tr("Recovery start"), recovery),
        (tr("Intake"), fmt_date(p.intake_date, loc)),
        (tr("Contact cadence"), tr("every {n} days").format(n=p.contact_cadence_days)),
        (tr("Phone"), p.phone),
        (tr("E-mail"), p.email),
        (tr("Address"), p.address),
        (tr("Emergency contact"), emergency),
        (tr("Preferred language"), p.preferred_language),
    ]
    return key_value_table(pairs, (130, width - 130))


def _milestones(p: ParticipantDetail, today: date, loc: str | None) -> list[Flowable]:
    story = section(tr("Milestones"))
    if p.recovery_start_date is None:
        return [*story, empty_line(tr("No recovery start date recorded."))]
    reached = milestones.milestones_reached(p.recovery_start_date, today)
    upcoming = milestones.next_milestone(p.recovery_start_date, today)
    parts = [
        tr("{label} ({date})").format(label=m.label, date=fmt_date(m.date, loc))
        for m in reached[-6:]
    ]
    text = tr("Reached: {list}").format(list=", ".join(parts)) if parts else tr("None reached yet.")
    story.append(para(text))
    if upcoming is not None:
        story.append(
            para(
                tr("Next: {label} on {date}").format(
                    label=upcoming.label, date=fmt_date(upcoming.date, loc)
                )
            )
        )
    return story


def _assessments(
    session: Session, actor: Actor, pid: int, width: float, loc: str | None
) -> list[Flowable]:
    story = section(tr("Assessment trends"))
    latest = assessments.latest_by_instrument(session, actor, pid, audit_view=False)
    if not latest:
        return [*story, empty_line(tr("No assessments recorded."))]
    rows: list[list[Cell]] = [[tr("Instrument"), tr("Latest total"), tr("Band"), tr("Given on")]]
    for code, view in latest.items():
        rows.append([code, str(view.total), view.band_label, fmt_date(view.administered_at, loc)])
    story.append(data_table(rows, [90, 80, width - 270, 100]))
    for code in INSTRUMENTS:
        if code not in latest:
            continue
        points = assessments.trend(session, actor, pid, code, audit_view=False)
        info = instrument_info(code)
        bands = (
            [] if code == BARC_10 else [(lo, hi, band_label(b)) for lo, hi, b in band_ranges(code)]
        )
        story.append(Spacer(0, 6))
        story.append(
            trend_chart(
                [(pt.administered_at.date(), pt.total) for pt in points],
                y_min=info.min_total,
                y_max=info.max_total,
                bands=bands,
                cutoff=info.cutoff,
                cutoff_label=tr("Cut-off {value}").format(value=info.cutoff)
                if info.cutoff is not None
                else "",
                title=tr("{code} total over time").format(code=code),
                width=width,
                height=150,
                locale_name=loc,
            )
        )
    return story


def _referrals(
    session: Session, actor: Actor, pid: int, width: float, loc: str | None
) -> list[Flowable]:
    story = section(tr("Open referrals"))
    rows = [r for r in referral_service.list_referrals(session, actor, pid) if r.is_open]
    if not rows:
        return [*story, empty_line(tr("No open referrals."))]
    statuses = referral_service.status_labels()
    urgencies = referral_service.urgency_labels()
    table: list[list[Cell]] = [[tr("To"), tr("Reason"), tr("Status"), tr("Dates")]]
    for r in rows:
        # The summary is an overview: a long reason is cut short (the referral itself
        # and its packet carry the full text).
        reason = r.reason if len(r.reason) <= _REASON_CHARS else r.reason[:_REASON_CHARS] + "…"
        table.append(
            [
                r.counselor_name or "—",
                reason,
                f"{statuses.get(r.status, r.status)}\n{urgencies.get(r.urgency, r.urgency)}",
                tr("Sent {sent}\nFollow up {follow}").format(
                    sent=fmt_date(r.sent_at, loc), follow=fmt_date(r.follow_up_on, loc)
                ),
            ]
        )
    story.append(data_table(table, [120, width - 330, 80, 130]))
    return story


def _consents(
    session: Session, actor: Actor, pid: int, width: float, today: date, loc: str | None
) -> list[Flowable]:
    story = section(tr("Consents on file"))
    rows = [c for c in consents.list_consents(session, actor, pid, today=today)]
    rows = [c for c in rows if c.status != "entered-in-error"]
    if not rows:
        return [*story, empty_line(tr("No consents on file."))]
    statuses = consents.status_labels()
    table: list[list[Cell]] = [
        [tr("Recipient"), tr("Information"), tr("Signed"), tr("Expires"), tr("Status")]
    ]
    for c in rows:
        expires = fmt_date(c.expires_on, loc) if c.expires_on else c.expiration_event or "—"
        table.append(
            [
                c.recipient,
                consents.format_categories(c.information_categories),
                fmt_date(c.signed_on, loc),
                expires,
                statuses.get(c.status, c.status),
            ]
        )
    story.append(data_table(table, [120, width - 340, 80, 80, 60]))
    return story


def _notes(
    session: Session, actor: Actor, pid: int, count: int, width: float, loc: str | None
) -> list[Flowable]:
    if count == 0:
        return []
    story = section(tr("Most recent notes"))
    # Signed notes only: a draft is not yet part of the record.
    # A few drafts may sit among the newest notes; ask for a margin, and for the whole
    # list only when the margin was not enough.
    wanted = count * 2 + 10
    summaries = notes.list_notes(session, actor, pid, limit=wanted, include_entered_in_error=False)
    if len(summaries) == wanted and sum(n.is_signed for n in summaries) < count:
        summaries = notes.list_notes(session, actor, pid, include_entered_in_error=False)
    signed = [n for n in summaries if n.is_signed][:count]
    if not signed:
        return [*story, empty_line(tr("No signed notes yet."))]
    kinds = notes.kind_labels()
    modes = notes.mode_labels()
    for summary in signed:
        detail = notes.get_note(session, actor, summary.id)
        heading = tr("{when} — {kind}, {mode}, {minutes} min, by {author}").format(
            when=fmt_datetime(detail.occurred_at, loc),
            kind=kinds.get(detail.kind, detail.kind),
            mode=modes.get(detail.mode, detail.mode),
            minutes=detail.duration_minutes,
            author=detail.author_name,
        )
        story += section(heading, level=2)
        rows: list[tuple[str, Cell]] = []
        if detail.group is not None:
            rows.append((tr("Group"), f"{detail.group.topic}\n{detail.group.group_text}".strip()))
        rows += [(title, text) for _key, title, text in detail.section_rows() if text.strip()]
        if detail.addenda:
            rows.append(
                (
                    tr("Addenda"),
                    "\n".join(
                        f"{fmt_datetime(a.created_at, loc)} {a.author_name}: {a.text}"
                        for a in detail.addenda
                    ),
                )
            )
        story.append(key_value_table(rows, (100, width - 100)))
    return story


def build_participant_summary(
    session: Session,
    actor: Actor,
    participant_id: int,
    path: Path,
    *,
    last_notes: int = 5,
    today: date | None = None,
    locale_name: str | None = None,
) -> Path:
    """Write the participant's summary to *path* (atomically) and audit the print.

    *last_notes* is how many of the most recent signed notes to include (0 for none).
    Raises PermissionDenied when the participant is not on the actor's caseload.
    """
    if not 0 <= last_notes <= MAX_NOTES:
        raise ValidationError(
            {"notes": tr("choose between 0 and {max} notes").format(max=MAX_NOTES)}
        )
    today = today or date.today()
    loc = locale_name
    p = participants.get_participant(session, actor, participant_id, audit_view=False)
    plan = plans.get_plan(session, actor, participant_id, audit_view=False)
    meta = make_meta(
        actor,
        tr("Participant summary — {name} ({record})").format(
            name=p.display_name, record=p.record_number
        ),
        subject=tr("Participant summary"),
        locale_name=loc,
    )
    width = usable_width(meta)
    name = p.display_name
    if p.preferred_name and p.preferred_name != p.legal_name:
        name = f"{p.preferred_name} ({p.legal_name})"
    story: list[Flowable] = title_block(
        name,
        [
            tr("Participant summary · record {record} · as of {date}").format(
                record=p.record_number, date=fmt_date(today, loc)
            )
        ],
    )
    story += section(tr("Profile"))
    story.append(_profile(p, today, width, loc))

    story += section(tr("Recovery plan"))
    if plan is None:
        story.append(empty_line(tr("No recovery plan yet.")))
    else:
        story += goals_story(plan, width, loc)
        story += wrap_story(plan, width, heading_level=2)
    story += _milestones(p, today, loc)
    story += _assessments(session, actor, participant_id, width, loc)
    story += _referrals(session, actor, participant_id, width, loc)
    story += _consents(session, actor, participant_id, width, today, loc)
    story += _notes(session, actor, participant_id, last_notes, width, loc)

    audit_print(
        session,
        actor,
        "participant_summary",
        participant_id=participant_id,
        entity_type="participant",
        entity_id=participant_id,
        details={"notes": last_notes},
    )
    return write(path, meta, story)
