"""One signed session note, as it stands in the record: content, signature with
the content hash, co-signature, and every addendum with its own author, time,
reason and hash.

Only a signed note prints: a draft is not part of the record and may still change.
The stored hash is checked against the content while printing, and the result is
printed, so a paper copy says whether the record was intact when it was made.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus import Flowable, Spacer
from sqlalchemy.orm import Session

from casebook.errors import ValidationError
from casebook.i18n import tr
from casebook.reports.base import Cell, key_value_table, section, usable_width
from casebook.reports.documents import (
    audit_print,
    empty_line,
    fmt_datetime,
    make_meta,
    para,
    title_block,
    write,
)
from casebook.security.permissions import Actor
from casebook.services import notes, participants


def build_signed_note(
    session: Session,
    actor: Actor,
    note_id: int,
    path: Path,
    *,
    locale_name: str | None = None,
) -> Path:
    """Write the signed note *note_id* with its addenda to *path* and audit the print.

    Refuses an unsigned draft (ValidationError); PermissionDenied when the
    participant is not on the actor's caseload.
    """
    loc = locale_name
    note = notes.get_note(session, actor, note_id)
    if not note.is_signed:
        raise ValidationError(
            {
                "status": tr(
                    "this note is an unsigned draft and not yet part of the record; sign it first, "
                    "then print it"
                )
            }
        )
    p = participants.get_participant(session, actor, note.participant_id, audit_view=False)
    integrity = notes.verify_note_hash(session, actor, note_id)
    meta = make_meta(
        actor,
        tr("Signed note — {record}, {when}").format(
            record=p.record_number, when=fmt_datetime(note.occurred_at, loc)
        ),
        subject=tr("Signed session note"),
        locale_name=loc,
    )
    width = usable_width(meta)
    kinds, modes = notes.kind_labels(), notes.mode_labels()
    story: list[Flowable] = title_block(
        tr("Session note"),
        [tr("{name} · record {record}").format(name=p.display_name, record=p.record_number)],
    )
    if note.is_entered_in_error:
        story.append(
            para(
                tr("ENTERED IN ERROR on {when} by {who}: {reason}").format(
                    when=fmt_datetime(note.entered_in_error_at, loc),
                    who=note.entered_in_error_by_name or "—",
                    reason=note.entered_in_error_reason or "—",
                ),
                "body",
            )
        )
    facts: list[tuple[str, Cell]] = [
        (tr("Contact"), fmt_datetime(note.occurred_at, loc)),
        (tr("Kind"), kinds.get(note.kind, note.kind)),
        (tr("Mode"), modes.get(note.mode, note.mode)),
        (tr("Duration"), tr("{n} minutes").format(n=note.duration_minutes)),
        (tr("Location"), note.location),
        (tr("Format"), note.format),
        (tr("Author"), note.author_name),
    ]
    if note.risk_flags:
        labels = notes.risk_flag_labels()
        facts.append((tr("Risk flags"), ", ".join(labels.get(f, f) for f in note.risk_flags)))
    if note.goals:
        marks = notes.progress_mark_labels()
        facts.append(
            (
                tr("Plan goals addressed"),
                "\n".join(f"“{g.statement}” — {marks.get(g.mark, g.mark)}" for g in note.goals),
            )
        )
    story.append(key_value_table(facts, (120, width - 120)))

    story += section(tr("Note"))
    rows: list[tuple[str, Cell]] = []
    if note.group is not None:
        rows.append((tr("Group"), f"{note.group.topic}\n{note.group.group_text}".strip()))
    rows += [(title, text) for _k, title, text in note.section_rows()]
    story.append(key_value_table(rows, (120, width - 120)))

    story += section(tr("Signature"))
    if integrity.note_ok:
        check = tr("matches the note's content (checked when printed)")
    else:
        check = tr(
            "DOES NOT MATCH the stored content: the record was changed after signing; "
            "tell your supervisor"
        )
    sig: list[tuple[str, Cell]] = [
        (tr("Signed by"), note.signed_by_name or "—"),
        (
            tr("Signed at"),
            fmt_datetime(
                note.signed_at,
                loc,
            ),
        ),
        (tr("Content hash (SHA-256)"), note.content_hash or "—"),
        (tr("Hash check"), check),
        (
            tr("Co-signed"),
            tr("{who} on {when}").format(
                who=note.cosigned_by_name, when=fmt_datetime(note.cosigned_at, loc)
            )
            if note.cosigned_at
            else tr("Not co-signed"),
        ),
    ]
    story.append(key_value_table(sig, (120, width - 120)))

    story += section(tr("Addenda"))
    if not note.addenda:
        story.append(empty_line(tr("No addenda.")))
    tampered = set(integrity.tampered_addendum_ids)
    for number, a in enumerate(note.addenda, start=1):
        story += section(
            tr("Addendum {n} — {who}, {when}").format(
                n=number, who=a.author_name, when=fmt_datetime(a.created_at, loc)
            ),
            level=2,
        )
        story.append(
            key_value_table(
                [
                    (tr("Reason"), a.reason),
                    (tr("Text"), a.text),
                    (
                        tr("Content hash (SHA-256)"),
                        a.content_hash
                        + (tr(" — DOES NOT MATCH the stored text") if a.id in tampered else ""),
                    ),
                ],
                (120, width - 120),
            )
        )
    story.append(Spacer(0, 8))

    audit_print(
        session,
        actor,
        "signed_note",
        participant_id=note.participant_id,
        entity_type="session_note",
        entity_id=note.id,
        details={"addenda": len(note.addenda), "hash_ok": integrity.ok},
    )
    return write(path, meta, story)
