"""The referral packet a counselor receives: only what the consent covers.

A packet is a disclosure under 42 CFR Part 2, so:

- it is printed only for a referral that went out under a consent (the consent
  check in ``services.referrals.send_referral``), and only while that consent is
  still active;
- each category of information appears only when both the referral shares it and
  the consent allows it; the categories left out are named (not their contents),
  so the reader knows what was withheld and why;
- every page carries the §2.32 notice against redisclosure, word for word as the
  consents service records it with the disclosure.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reportlab.platypus import Flowable
from sqlalchemy.orm import Session

from casebook.errors import ValidationError
from casebook.i18n import tr
from casebook.measures import INSTRUMENTS
from casebook.reports.base import Cell, data_table, key_value_table, section, usable_width
from casebook.reports.documents import (
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
from casebook.reports.plan_sections import goals_story
from casebook.security.permissions import Actor
from casebook.services import assessments, consents, milestones, notes, participants, plans
from casebook.services import referrals as referral_service
from casebook.services.consents import INFORMATION_CATEGORIES, REDISCLOSURE_NOTICE
from casebook.services.participants import ParticipantDetail

# A packet is read by a busy counselor; a few recent items say more than a history.
_RECENT_NOTES = 3
_ATTENDANCE_DAYS = 90
_REFUSED_STATUSES = ("cancelled", "entered-in-error")


def _contact(p: ParticipantDetail, width: float, loc: str | None) -> list[Flowable]:
    pairs: list[tuple[str, Cell]] = [
        (tr("Legal name"), p.legal_name),
        (tr("Preferred name"), p.preferred_name),
        (tr("Pronouns"), p.pronouns),
        (tr("Date of birth"), fmt_date(p.date_of_birth, loc)),
        (tr("Phone"), p.phone),
        (tr("E-mail"), p.email),
        (tr("Address"), p.address),
        (tr("Preferred language"), p.preferred_language),
    ]
    return [key_value_table(pairs, (130, width - 130))]


def _recovery(p: ParticipantDetail, today: date, loc: str | None, which: str) -> list[Flowable]:
    """Substance use or mental health: the focus only when it concerns that category."""
    relevant = {
        "substance_use": ("substance_use", "co_occurring"),
        "mental_health": ("mental_health", "co_occurring"),
    }[which]
    lines: list[Flowable] = []
    if p.recovery_focus in relevant:
        lines.append(
            para(
                tr("Recovery focus: {focus}").format(
                    focus=label(RECOVERY_FOCUS_LABELS, p.recovery_focus)
                )
            )
        )
    if which == "substance_use" and p.recovery_start_date is not None:
        days = milestones.days_in_recovery(p.recovery_start_date, today)
        lines.append(
            para(
                tr("In recovery since {date} ({days} days)").format(
                    date=fmt_date(p.recovery_start_date, loc), days=days
                )
            )
        )
    return lines or [empty_line(tr("Nothing recorded in this category."))]


def _assessments(
    session: Session, actor: Actor, pid: int, width: float, loc: str | None
) -> list[Flowable]:
    rows: list[list[Cell]] = [[tr("Instrument"), tr("Totals, oldest first (date)")]]
    for code in INSTRUMENTS:
        points = assessments.trend(session, actor, pid, code, audit_view=False)[-5:]
        if points:
            rows.append(
                [
                    code,
                    ", ".join(f"{pt.total} ({fmt_date(pt.administered_at, loc)})" for pt in points),
                ]
            )
    if len(rows) == 1:
        return [empty_line(tr("No assessments recorded."))]
    return [data_table(rows, [80, width - 80])]


def _attendance(
    session: Session, actor: Actor, pid: int, today: date, loc: str | None
) -> list[Flowable]:
    kinds = notes.kind_labels()
    recent = [
        n
        for n in notes.list_notes(session, actor, pid, include_entered_in_error=False)
        if n.is_signed
        and n.kind != "outreach"
        and (today - n.occurred_at.date()).days <= _ATTENDANCE_DAYS
    ]
    if not recent:
        return [
            empty_line(
                tr("No peer support contacts in the last {n} days.").format(n=_ATTENDANCE_DAYS)
            )
        ]
    text = "; ".join(
        f"{fmt_date(n.occurred_at, loc)} ({kinds.get(n.kind, n.kind)})" for n in recent
    )
    return [
        para(
            tr("Contacts in the last {n} days ({count}): {list}").format(
                n=_ATTENDANCE_DAYS, count=len(recent), list=text
            )
        )
    ]


def _session_notes(
    session: Session, actor: Actor, pid: int, width: float, loc: str | None
) -> list[Flowable]:
    signed = [
        n
        for n in notes.list_notes(session, actor, pid, include_entered_in_error=False)
        if n.is_signed
    ][:_RECENT_NOTES]
    if not signed:
        return [empty_line(tr("No signed session notes."))]
    story: list[Flowable] = []
    for summary in signed:
        detail = notes.get_note(session, actor, summary.id)
        story += section(
            tr("{when}, by {author}").format(
                when=fmt_datetime(detail.occurred_at, loc), author=detail.author_name
            ),
            level=2,
        )
        rows: list[tuple[str, Cell]] = [
            (title, text) for _k, title, text in detail.section_rows() if text.strip()
        ]
        story.append(key_value_table(rows, (100, width - 100)))
    return story


def build_referral_packet(
    session: Session,
    actor: Actor,
    referral_id: int,
    path: Path,
    *,
    today: date | None = None,
    locale_name: str | None = None,
) -> Path:
    """Write the packet for *referral_id* to *path* (atomically) and audit the print.

    Refuses (ValidationError) a referral not yet sent under a consent, a cancelled one,
    or one whose consent is no longer active; PermissionDenied when the participant is
    not on the actor's caseload.
    """
    today = today or date.today()
    loc = locale_name
    referral = referral_service.get_referral(session, actor, referral_id)
    if referral.status in _REFUSED_STATUSES:
        raise ValidationError(
            {
                "status": tr(
                    "this referral is {status}; nothing is sent under it, so there is no packet"
                ).format(
                    status=referral_service.status_labels().get(referral.status, referral.status)
                )
            }
        )
    if referral.consent_id is None:
        raise ValidationError(
            {
                "consent": tr(
                    "this referral has not been sent yet, so no consent has been checked for "
                    "it; send it first (the consent check runs then), then print the packet"
                )
            }
        )
    consent = consents.get_consent(session, actor, referral.consent_id, today=today)
    status = consent.status_on(today)
    if status != "active":
        raise ValidationError(
            {
                "consent": tr(
                    "the consent of {date} this referral relies on is {status}; nothing more "
                    "may be disclosed under it. Record a new consent and send a new referral"
                ).format(
                    date=fmt_date(consent.signed_on, loc),
                    status=consents.status_labels().get(status, status).lower(),
                )
            }
        )

    allowed = set(consent.information_categories)
    shared = [c for c in INFORMATION_CATEGORIES if c in referral.information_categories]
    # The reason first: it is what the counselor reads to decide on the referral.
    covered = sorted((c for c in shared if c in allowed), key=lambda c: c != "referral_reason")
    withheld = [c for c in INFORMATION_CATEGORIES if c not in covered]

    p = participants.get_participant(session, actor, referral.participant_id, audit_view=False)
    meta = make_meta(
        actor,
        tr("Referral packet — {record}").format(record=p.record_number),
        subject=tr("Referral packet"),
        notice=tr(REDISCLOSURE_NOTICE),
        locale_name=loc,
    )
    width = usable_width(meta)
    urgencies = referral_service.urgency_labels()
    story: list[Flowable] = title_block(
        tr("Referral packet"),
        [tr("Referral to {to}").format(to=referral.counselor_name or "—")],
    )
    story.append(
        key_value_table(
            [
                (tr("Participant"), consent.patient_name),
                (tr("Record number"), p.record_number),
                (tr("Referred to"), referral.counselor_name or "—"),
                (tr("Referred by"), referral.created_by_name or p.specialist_name or "—"),
                (tr("Urgency"), urgencies.get(referral.urgency, referral.urgency)),
                (tr("Sent"), fmt_datetime(referral.sent_at, loc)),
                (
                    tr("Disclosed under"),
                    tr("the written consent signed by {who} on {date}, for: {purpose}").format(
                        who=consent.signed_by,
                        date=fmt_date(consent.signed_on, loc),
                        purpose=consent.purpose,
                    ),
                ),
                (
                    tr("Consent expires"),
                    fmt_date(consent.expires_on, loc)
                    if consent.expires_on
                    else consent.expiration_event,
                ),
            ],
            (130, width - 130),
        )
    )

    descriptions = consents.category_descriptions()
    for code in covered:
        story += section(descriptions.get(code, code))
        if code == "referral_reason":
            story.append(para(referral.reason))
            if referral.information_shared.strip():
                story.append(
                    para(
                        tr("Information shared: {text}").format(text=referral.information_shared),
                        "small",
                    )
                )
        elif code == "contact_details":
            story += _contact(p, width, loc)
        elif code in ("substance_use", "mental_health"):
            story += _recovery(p, today, loc, code)
        elif code == "treatment_plan":
            plan = plans.get_plan(session, actor, p.id, audit_view=False)
            story += (
                goals_story(plan, width, loc)
                if plan is not None
                else [empty_line(tr("No recovery plan yet."))]
            )
        elif code == "assessments":
            story += _assessments(session, actor, p.id, width, loc)
        elif code == "attendance":
            story += _attendance(session, actor, p.id, today, loc)
        elif code == "session_notes":
            story += _session_notes(session, actor, p.id, width, loc)
    if not covered:
        story.append(
            empty_line(
                tr(
                    "No information category is both shared by this referral "
                    "and covered by the consent."
                )
            )
        )
    if withheld:
        story += section(tr("Not included"))
        story.append(
            para(
                tr(
                    "Not part of this packet (not shared by the referral or not covered by the "
                    "consent): {list}."
                ).format(list=consents.format_categories(withheld)),
                "muted",
            )
        )

    audit_print(
        session,
        actor,
        "referral_packet",
        participant_id=p.id,
        entity_type="referral",
        entity_id=referral.id,
        details={"consent_id": consent.id, "categories": covered},
    )
    return write(path, meta, story)
