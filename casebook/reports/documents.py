"""What every printed document shares beyond the page frame: the print audit, the
metadata, labels for stored codes, and small text helpers.

Each builder in this package reads through the services (so a report shows exactly
what the window would show the same user, and refuses what the window refuses),
records one ``print`` audit event naming the document, whose record it is and the
profile, and writes the PDF atomically with ``base.build_pdf``. The audit event is
written in the caller's unit of work: if the PDF cannot be written the error
propagates and the event rolls back with it, so the log never claims a print that
did not happen.

Dates follow the reader's locale through ``base.format_date`` (the process's
LC_TIME, else LC_ALL/LC_TIME/LANG; ISO 8601 for anything unknown). The core has no
Qt, and babel is not a dependency; a builder takes ``locale_name`` for callers that
know better (tests pin "en_US").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from reportlab.platypus import Flowable, Paragraph, Spacer
from sqlalchemy.orm import Session

from casebook.i18n import tr
from casebook.reports.base import ReportMeta, build_pdf, format_date, format_datetime
from casebook.reports.styles import styles
from casebook.reports.text_block import text_block
from casebook.security.permissions import Actor
from casebook.services.common import log

PRINT_ACTION = "print"


def N_(text: str) -> str:
    """Mark *text* for translation; it is translated with ``tr`` when shown."""
    return text


PARTICIPANT_STATUS_LABELS: dict[str, str] = {
    "active": N_("Active"),
    "inactive": N_("Inactive"),
    "discharged": N_("Discharged"),
}
RECOVERY_FOCUS_LABELS: dict[str, str] = {
    "substance_use": N_("Substance use"),
    "mental_health": N_("Mental health"),
    "co_occurring": N_("Co-occurring"),
}


def label(mapping: Mapping[str, str], code: str | None) -> str:
    """The translated label of a stored code; the code itself when unknown."""
    if not code:
        return ""
    text = mapping.get(code)
    return tr(text) if text is not None else code


def make_meta(
    actor: Actor,
    title: str,
    *,
    subject: str,
    notice: str | None = None,
    locale_name: str | None = None,
    printed_at: datetime | None = None,
) -> ReportMeta:
    return ReportMeta(
        title=title,
        printed_by=actor.display_name or actor.username,
        printed_at=printed_at or datetime.now(UTC),
        notice=notice,
        subject=subject,
        locale_name=locale_name,
    )


def audit_print(
    session: Session,
    actor: Actor,
    document: str,
    *,
    participant_id: int | None = None,
    entity_type: str = "",
    entity_id: int | None = None,
    profile: str | None = None,
    details: Mapping[str, object] | None = None,
) -> None:
    """One audit row per printed document: which document, whose record, which profile."""
    payload: dict[str, object] = {"document": document}
    if profile is not None:
        payload["profile"] = profile
    payload.update(details or {})
    log(
        session,
        actor,
        PRINT_ACTION,
        entity_type=entity_type,
        entity_id=entity_id,
        participant_id=participant_id,
        details=payload,
    )


def write(path: Path, meta: ReportMeta, story: list[Flowable]) -> Path:
    build_pdf(path, meta, story)
    return path


def initials(name: str) -> str:
    """ "ZN" for "Zoë Nguyễn-Łukasz": the first letter of each word, nothing else.

    Arabic initials are spaced ("ل ح"): side by side they would print joined, as
    if they were a word.
    """
    letters = []
    for word in unicodedata.normalize("NFC", name).split():
        first = next((ch for ch in word if ch.isalpha()), "")
        if first:
            letters.append(first.upper())
    if any("\u0600" <= letter <= "\u06ff" for letter in letters):
        return " ".join(letters)
    return "".join(letters) or "—"


def fmt_date(value: date | None, locale_name: str | None) -> str:
    return format_date(value, locale_name) if value is not None else "—"


def fmt_datetime(value: datetime | None, locale_name: str | None) -> str:
    return format_datetime(value, locale_name) if value is not None else "—"


def para(text: str, style: str = "body", *, line_breaks: bool = True) -> Flowable:
    """A paragraph of plain user text (escaped; characters the font lacks replaced;
    Hebrew and Arabic set right to left)."""
    return text_block(text, getattr(styles(), style), line_breaks=line_breaks)


def markup(text: str, style: str = "body") -> Paragraph:
    """A paragraph of trusted markup built here (user parts already through safe_text)."""
    return Paragraph(text, getattr(styles(), style))


def title_block(title: str, subtitle_lines: Sequence[str] = ()) -> list[Flowable]:
    story: list[Flowable] = [para(title, "title", line_breaks=False)]
    for line in subtitle_lines:
        story.append(para(line, "muted", line_breaks=False))
    story.append(Spacer(0, 4))
    return story


def empty_line(text: str) -> Paragraph:
    """An explicit "nothing here" line, so a blank section is visibly empty, not missing."""
    return para(text, "muted")


def record_output(session: Session, actor: Actor, document: str, *, output: str) -> None:
    """Audit what happened to an already built document: sent to a printer
    (``output="printer"``, action ``print``) or saved as a file (``"file"``, ``export``).

    *document* names the kind of document (the PDF's subject, "Participant summary"),
    never the person: the build itself was audited with the record it came from, and
    names do not belong in the audit log's details.
    """
    if output not in ("printer", "file"):
        raise ValueError("output must be 'printer' or 'file'")
    log(
        session,
        actor,
        PRINT_ACTION if output == "printer" else "export",
        details={"document": document, "output": output},
    )
