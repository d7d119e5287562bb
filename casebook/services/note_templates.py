"""A specialist's own note templates and quick phrases.

Templates hold text for a format's sections ("First meeting", "Housing
check-in"); quick phrases are one line dropped into the section being written.
They are the author's writing aids, not clinical records: each belongs to one
staff member, is seen by no one else, and may be deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.errors import NotFound, PermissionDenied, ValidationError
from casebook.i18n import tr
from casebook.security.permissions import Actor
from casebook.services.common import clean_text
from casebook.services.notes import FORMAT_SECTIONS, MAX_SECTION_CHARS, format_sections
from models import NoteTemplate
from models.codes import NOTE_FORMATS

MAX_PHRASE_CHARS = 2000
TEMPLATE_KINDS = ("template", "phrase")
# A phrase keeps its text under this key of NoteTemplate.content.
_PHRASE_KEY = "text"


@dataclass(frozen=True)
class TemplateInfo:
    """A template (``kind == "template"``, with ``format`` and ``sections``) or a
    quick phrase (``kind == "phrase"``, with ``text``)."""

    id: int
    kind: str
    title: str
    format: str | None
    sections: Mapping[str, str]
    updated_at: datetime

    @property
    def text(self) -> str:
        return self.sections.get(_PHRASE_KEY, "")


def _info(t: NoteTemplate) -> TemplateInfo:
    return TemplateInfo(
        t.id, t.kind, t.title, t.format, MappingProxyType(dict(t.content or {})), t.updated_at
    )


def _require_writer(actor: Actor) -> None:
    if not actor.sees_clinical:
        raise PermissionDenied(tr("Administrators do not write session notes"))


def _own(session: Session, actor: Actor, template_id: int) -> NoteTemplate:
    t = session.get(NoteTemplate, template_id)
    # Someone else's template is reported as missing: its title is theirs alone.
    if t is None or t.owner_id != actor.id:
        raise NotFound(tr("No template number {id} among yours").format(id=template_id))
    return t


def _clean_template(
    title: str, fmt: str | None, sections: Mapping[str, str]
) -> tuple[str, str, dict[str, str]]:
    errors: dict[str, str] = {}
    title = clean_text(title, "title", errors, required=True, max_len=200, label=tr("title"))
    if fmt not in NOTE_FORMATS:
        errors["format"] = tr("format '{v}' is unknown; use GIRP, DAP or SOAP").format(
            v=str(fmt)[:20]
        )
        fmt = "GIRP"
    assert fmt is not None
    allowed = dict(format_sections(fmt))
    content: dict[str, str] = {}
    for key, value in sections.items():
        if key not in allowed:
            errors[key] = tr("section '{key}' does not belong to a {fmt} note; use: {opts}").format(
                key=str(key)[:40], fmt=fmt, opts=", ".join(allowed)
            )
            continue
        text = clean_text(value, key, errors, max_len=MAX_SECTION_CHARS, label=allowed[key])
        if text:
            content[key] = text
    if not content and not errors:
        errors["sections"] = tr("a template needs text in at least one section")
    if errors:
        raise ValidationError(errors)
    return title, fmt, content


def _clean_phrase(title: str, text: str) -> tuple[str, str]:
    errors: dict[str, str] = {}
    text = clean_text(
        text, "text", errors, required=True, max_len=MAX_PHRASE_CHARS, label=tr("phrase")
    )
    # A phrase's title defaults to its own beginning: it is how the picker shows it.
    title = clean_text(
        title or text[:60], "title", errors, required=True, max_len=200, label=tr("title")
    )
    if errors:
        raise ValidationError(errors)
    return title, text


def create_template(
    session: Session, actor: Actor, *, title: str, format: str, sections: Mapping[str, str]
) -> TemplateInfo:
    """Keep a template of section texts for one note format."""
    _require_writer(actor)
    title, fmt, content = _clean_template(title, format, sections)
    t = NoteTemplate(owner_id=actor.id, kind="template", title=title, format=fmt, content=content)
    session.add(t)
    session.flush()
    return _info(t)


def create_phrase(session: Session, actor: Actor, *, text: str, title: str = "") -> TemplateInfo:
    """Keep a quick phrase (usable in any format and section)."""
    _require_writer(actor)
    title, text = _clean_phrase(title, text)
    t = NoteTemplate(
        owner_id=actor.id, kind="phrase", title=title, format=None, content={_PHRASE_KEY: text}
    )
    session.add(t)
    session.flush()
    return _info(t)


def list_templates(
    session: Session, actor: Actor, *, kind: str | None = None, format: str | None = None
) -> list[TemplateInfo]:
    """The actor's templates and phrases, by title. With *format*, only templates for
    that format (phrases fit every format and are always included)."""
    stmt = select(NoteTemplate).where(NoteTemplate.owner_id == actor.id)
    if kind is not None:
        if kind not in TEMPLATE_KINDS:
            raise ValidationError({"kind": tr("kind must be 'template' or 'phrase'")})
        stmt = stmt.where(NoteTemplate.kind == kind)
    rows = [_info(t) for t in session.scalars(stmt.order_by(NoteTemplate.title, NoteTemplate.id))]
    if format is not None:
        rows = [t for t in rows if t.kind == "phrase" or t.format == format]
    return rows


def update_template(
    session: Session,
    actor: Actor,
    template_id: int,
    *,
    title: str,
    format: str | None = None,
    sections: Mapping[str, str] | None = None,
    text: str | None = None,
) -> TemplateInfo:
    """Change one of the actor's templates (title, format, sections) or phrases (title, text)."""
    t = _own(session, actor, template_id)
    if t.kind == "phrase":
        t.title, phrase = _clean_phrase(
            title, text if text is not None else (t.content or {}).get(_PHRASE_KEY, "")
        )
        t.content = {_PHRASE_KEY: phrase}
    else:
        t.title, t.format, t.content = _clean_template(
            title, format or t.format, sections if sections is not None else (t.content or {})
        )
    session.flush()
    return _info(t)


def delete_template(session: Session, actor: Actor, template_id: int) -> None:
    """Delete one of the actor's templates or phrases (they are not clinical records)."""
    session.delete(_own(session, actor, template_id))
    session.flush()


def apply_template(
    session: Session,
    actor: Actor,
    template_id: int,
    current: Mapping[str, str] | None = None,
    *,
    format: str | None = None,
    section: str | None = None,
) -> dict[str, str]:
    """The note's sections with a template or phrase applied; nothing is saved.

    A template fills empty sections and appends to written ones (nothing the
    user typed is lost). A phrase is appended to *section*. *format* is the
    note's format; a template for another format is refused.
    """
    t = _own(session, actor, template_id)
    result = dict(current or {})

    def append(key: str, addition: str, sep: str) -> None:
        before = result.get(key, "").rstrip()
        result[key] = f"{before}{sep}{addition}" if before else addition

    if t.kind == "phrase":
        allowed = {key for fmt in FORMAT_SECTIONS.values() for key, _ in fmt} | {"individual"}
        if section not in allowed:
            raise ValidationError({"section": tr("choose the section to add the phrase to")})
        assert section is not None
        append(section, (t.content or {}).get(_PHRASE_KEY, ""), " ")
        return result
    if format is not None and t.format != format:
        raise ValidationError(
            {
                "format": tr(
                    "this template is for {t} notes and this note is "
                    "{n}; switch the note's format or pick another "
                    "template"
                ).format(t=t.format, n=format)
            }
        )
    for key, text in (t.content or {}).items():
        append(key, text, "\n")
    return result
