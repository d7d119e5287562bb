"""A consent to disclose, laid out for signature, with every 42 CFR §2.31 element.

The elements are numbered in the order of §2.31 so a reviewer can check the form
against the rule line by line: patient's name; who may disclose; what information;
recipient; purpose; the right to revoke and how; expiration; signature; date signed.
A consent that no longer holds (revoked, expired, entered in error) still prints,
for the record, with its status in a box at the top.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle
from sqlalchemy.orm import Session

from casebook.i18n import tr
from casebook.reports.base import Cell, data_table, section, usable_width
from casebook.reports.documents import (
    audit_print,
    fmt_date,
    fmt_datetime,
    make_meta,
    para,
    title_block,
    write,
)
from casebook.reports.styles import INK, has_glyph, safe_text, styles
from casebook.security.permissions import Actor
from casebook.services import consents
from casebook.services.consents import INFORMATION_CATEGORIES, ConsentDetail


def _mark(on: bool) -> str:
    mark = "☑" if on else "☐"
    return mark if has_glyph(mark) else ("[x]" if on else "[ ]")


def _status_box(c: ConsentDetail, today: date, loc: str | None) -> list[Flowable]:
    status = c.status_on(today)
    if status == "active":
        return []
    if status == "revoked":
        text = tr("REVOKED on {date}. {note}").format(
            date=fmt_date(c.revoked_on, loc), note=c.revocation_note
        )
    elif status == "expired":
        text = tr("EXPIRED on {date}.").format(date=fmt_date(c.expires_on, loc))
    else:
        text = tr("ENTERED IN ERROR on {date}: {reason}. This consent never counted.").format(
            date=fmt_datetime(c.entered_in_error_at, loc), reason=c.entered_in_error_reason or ""
        )
    box = Table([[para(text.strip(), "body")]], hAlign="LEFT")
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return [box, Spacer(0, 6)]


def _element(number: int, title: str, body: list[Flowable]) -> list[Flowable]:
    return [*section(f"{number}. {title}", level=2), *body]


def _signature_block(signed: str, date_text: str, width: float) -> Flowable:
    """Elements 8 and 9 side by side, each with the line to sign or date on, and a
    witness line: compact enough to stay on the page with the rest of the form."""
    st = styles()

    def bold(text: str) -> Paragraph:
        return Paragraph(safe_text(text), st.subheading)

    line, short = "_" * 40, "_" * 18
    rows = [
        [bold(tr("8. Signature")), bold(tr("9. Date signed"))],
        [para(signed), para(date_text)],
        # Room to write above each line.
        [Spacer(0, 12), Spacer(0, 12)],
        [para(line), para(short)],
        [
            para(tr("Signature of the participant or authorised person"), "small"),
            para(tr("Date"), "small"),
        ],
        [Spacer(0, 12), Spacer(0, 12)],
        [para(line), para(short)],
        [para(tr("Staff member witnessing the signature"), "small"), para(tr("Date"), "small")],
    ]
    table = Table(rows, colWidths=[width * 0.65, width * 0.35], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    return table


def build_consent_form(
    session: Session,
    actor: Actor,
    consent_id: int,
    path: Path,
    *,
    today: date | None = None,
    locale_name: str | None = None,
) -> Path:
    """Write the consent form to *path* (atomically) and audit the print.

    PermissionDenied when the participant is not on the actor's caseload.
    """
    today = today or date.today()
    loc = locale_name
    c = consents.get_consent(session, actor, consent_id, today=today)
    meta = make_meta(
        actor,
        tr("Consent to disclose — {name}").format(name=c.patient_name),
        subject=tr("Consent form"),
        locale_name=loc,
    )
    width = usable_width(meta)
    story: list[Flowable] = title_block(
        tr("Consent for the release of confidential information"),
        [tr("Under 42 CFR Part 2 (§2.31) and HIPAA")],
    )
    story += _status_box(c, today, loc)
    descriptions = consents.category_descriptions()
    allowed = set(c.information_categories)
    ticks: list[tuple[str, str]] = [
        (_mark(code in allowed), descriptions.get(code, code)) for code in INFORMATION_CATEGORIES
    ]
    ticks += [
        (_mark(True), code)
        for code in c.information_categories
        if code not in INFORMATION_CATEGORIES
    ]
    # Two ticks per row keeps the whole form, signature lines included, on one page.
    half = (len(ticks) + 1) // 2
    category_rows: list[list[Cell]] = []
    for i in range(half):
        right = ticks[half + i] if half + i < len(ticks) else ("", "")
        category_rows.append([ticks[i][0], ticks[i][1], right[0], right[1]])
    relationships = consents.relationship_labels()
    if c.expires_on is not None and c.expiration_event:
        expiry = tr("On {date}, or when this happens, whichever comes first: {event}").format(
            date=fmt_date(c.expires_on, loc), event=c.expiration_event
        )
    elif c.expires_on is not None:
        expiry = tr("On {date}, unless revoked earlier.").format(date=fmt_date(c.expires_on, loc))
    else:
        expiry = tr("When this happens, unless revoked earlier: {event}").format(
            event=c.expiration_event
        )
    story += _element(1, tr("Patient's name"), [para(c.patient_name)])
    story += _element(2, tr("Who may disclose"), [para(c.discloser)])
    story += _element(
        3,
        tr("Information to be disclosed"),
        [
            para(c.information),
            data_table(
                category_rows, [20, width / 2 - 20, 20, width / 2 - 20], header=False, zebra=False
            ),
        ],
    )
    story += _element(4, tr("Recipient(s)"), [para(c.recipient)])
    if (
        c.recipient_counselor_name
        and c.recipient_description
        and (c.recipient_description != c.recipient_counselor_name)
    ):
        story.append(para(c.recipient_description, "small"))
    story += _element(5, tr("Purpose of the disclosure"), [para(c.purpose)])
    story += _element(6, tr("Right to revoke and how"), [para(c.revocation_statement)])
    story += _element(7, tr("Expiration"), [para(expiry)])
    signed = tr("Signed by {name} ({relationship})").format(
        name=c.signed_by,
        relationship=relationships.get(c.signer_relationship, c.signer_relationship),
    )
    story.append(
        KeepTogether(
            [
                Spacer(0, 6),
                para(
                    tr(
                        "I have read this consent or had it read to me, and I understand it. "
                        "My treatment and services do not depend on my signing it."
                    ),
                    "small",
                ),
                _signature_block(signed, fmt_date(c.signed_on, loc), width),
            ]
        )
    )

    audit_print(
        session,
        actor,
        "consent_form",
        participant_id=c.participant_id,
        entity_type="consent",
        entity_id=c.id,
    )
    return write(path, meta, story)
