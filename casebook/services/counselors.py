"""The counselor directory: clinical counselors and organisations that take referrals.

Who may do what (decided here, enforced here):

- every clinical user (specialists and supervisors) reads and searches the directory;
- specialists and supervisors add and edit entries and import them from CSV, because
  the peer specialist is usually the one who finds a new counselor for a participant;
- only a supervisor deactivates or reactivates an entry: an entry is shared by the
  whole team, and taking it off the referral list should not be one person's quiet
  decision. Entries are never deleted; consents and referrals point at them.

An administrator who is not also a supervisor sees no clinical content and has no
business with the directory either.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook import csvio
from casebook.errors import NotFound, PermissionDenied, ValidationError
from casebook.i18n import tr
from casebook.security.permissions import Actor, require_supervisor
from casebook.services.common import check_version, clean_text, copy_changed, log
from casebook.services.participants import EMAIL_RE, PHONE_RE
from models import Counselor

# The columns the CSV import reads and the export writes, in this order.
# Only "name" is required; yes/no columns take yes/no, true/false, y/n or 1/0
# (empty: is_organisation no, accepting_new_clients yes, active yes).
COUNSELOR_CSV_COLUMNS: tuple[str, ...] = (
    "name",
    "is_organisation",
    "organisation",
    "credentials",
    "phone",
    "email",
    "address",
    "specialties",
    "languages",
    "accepting_new_clients",
    "notes",
    "active",
)
COUNSELOR_CSV_REQUIRED: tuple[str, ...] = ("name",)

# A file that is not UTF-8 but holds UTF-8 byte sequences mixes the two encodings
# (a UTF-8 file edited in a cp1252 program); decoding it either way makes mojibake.
_UTF8_SEQUENCE_RE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_TRUE = frozenset({"yes", "y", "true", "t", "1"})
_FALSE = frozenset({"no", "n", "false", "f", "0"})
# Specialties and languages are free text; these separate the items in them.
_LIST_SPLIT_RE = re.compile(r"\s*[,;]\s*")


def fold(text: str) -> str:
    """Case- and accent-insensitive form of *text* for matching.

    SQLite's lower() only knows ASCII, so matching happens in Python:
    "zoe", "ZOË" and "Zoë" all fold to "zoe".
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def split_list(text: str) -> tuple[str, ...]:
    """The items of a comma- or semicolon-separated list, without empty ones."""
    return tuple(item for item in _LIST_SPLIT_RE.split(text.strip()) if item)


@dataclass(frozen=True)
class CounselorFields:
    """Validated directory fields, as the editor form and the importer give them."""

    name: str
    is_organisation: bool = False
    organisation: str = ""
    credentials: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    specialties: str = ""
    languages: str = ""
    accepting_new_clients: bool = True
    notes: str = ""


FIELD_NAMES = tuple(f.name for f in fields(CounselorFields))


@dataclass(frozen=True)
class CounselorDetail:
    id: int
    name: str
    is_organisation: bool
    organisation: str
    credentials: str
    phone: str
    email: str
    address: str
    specialties: str
    languages: str
    accepting_new_clients: bool
    notes: str
    active: bool
    version: int
    updated_at: datetime

    @property
    def description(self) -> str:
        """How the recipient is named on a consent or a disclosure."""
        return describe_counselor(self.name, self.credentials, self.organisation)

    @property
    def specialty_list(self) -> tuple[str, ...]:
        return split_list(self.specialties)

    @property
    def language_list(self) -> tuple[str, ...]:
        return split_list(self.languages)


def describe_counselor(name: str, credentials: str, organisation: str) -> str:
    """ "Name, credentials (organisation)", leaving out what is empty."""
    text = name
    if credentials:
        text += f", {credentials}"
    if organisation:
        text += f" ({organisation})"
    return text


def _detail(c: Counselor) -> CounselorDetail:
    return CounselorDetail(
        id=c.id,
        name=c.name,
        is_organisation=c.is_organisation,
        organisation=c.organisation,
        credentials=c.credentials,
        phone=c.phone,
        email=c.email,
        address=c.address,
        specialties=c.specialties,
        languages=c.languages,
        accepting_new_clients=c.accepting_new_clients,
        notes=c.notes,
        active=c.active,
        version=c.version_id,
        updated_at=c.updated_at,
    )


# --------------------------------------------------------------------------- validation


def _parse_bool(value: object, field: str, default: bool, errors: dict[str, str]) -> bool:
    if isinstance(value, bool):
        return value
    text = ("" if value is None else str(value)).strip().casefold()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    errors[field] = tr("{name}: '{v}' is not yes or no; write yes or no").format(
        name=field.replace("_", " "), v=text[:20]
    )
    return default


def parse_counselor_fields(raw: Mapping[str, object]) -> CounselorFields:
    """Validate raw form or CSV values; raises ValidationError naming every bad field.

    Pure (no database), so the editor can call it as the user types.
    """
    errors: dict[str, str] = {}

    def text(name: str, *, required: bool = False, max_len: int = 200, label: str = "") -> str:
        value = raw.get(name)
        return clean_text(
            None if value is None else str(value),
            name,
            errors,
            required=required,
            max_len=max_len,
            label=label or None,
        )

    name = text("name", required=True, label=tr("name"))
    phone = text("phone", max_len=40, label=tr("phone"))
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = tr("phone may only contain digits, spaces and + ( ) - . x")
    email = text("email", label=tr("e-mail"))
    if email and not EMAIL_RE.match(email):
        errors["email"] = tr("e-mail '{v}' does not look like name@example.org").format(
            v=email[:60]
        )
    result = CounselorFields(
        name=name,
        is_organisation=_parse_bool(raw.get("is_organisation"), "is_organisation", False, errors),
        organisation=text("organisation", label=tr("organisation")),
        credentials=text("credentials", label=tr("credentials")),
        phone=phone,
        email=email,
        address=text("address", max_len=500, label=tr("address")),
        specialties=text("specialties", max_len=2000, label=tr("specialties")),
        languages=text("languages", max_len=500, label=tr("languages")),
        accepting_new_clients=_parse_bool(
            raw.get("accepting_new_clients"), "accepting_new_clients", True, errors
        ),
        notes=text("notes", max_len=4000, label=tr("notes")),
    )
    if result.is_organisation and result.organisation:
        errors["organisation"] = tr(
            "an organisation entry has no parent organisation; leave organisation empty "
            "or untick 'is an organisation'"
        )
    if errors:
        raise ValidationError(errors)
    return result


# --------------------------------------------------------------------------- permissions


def _require_reader(actor: Actor) -> None:
    if not actor.sees_clinical:
        raise PermissionDenied(
            tr("Administrators manage accounts and do not use the counselor directory")
        )


def _require_editor(actor: Actor, what: str) -> None:
    if not actor.sees_clinical:
        raise PermissionDenied(
            tr("Only specialists and supervisors can {what} in the counselor directory").format(
                what=what
            )
        )


def _load(session: Session, counselor_id: int) -> Counselor:
    c = session.get(Counselor, counselor_id)
    if c is None:
        raise NotFound(tr("No counselor with that entry exists in the directory"))
    return c


def _identity(name: str, organisation: str) -> tuple[str, str]:
    return fold(name), fold(organisation)


def _check_not_duplicate(
    session: Session, data: CounselorFields, own_id: int | None = None
) -> None:
    key = _identity(data.name, data.organisation)
    for cid, name, org in session.execute(
        select(Counselor.id, Counselor.name, Counselor.organisation)
    ):
        if cid != own_id and _identity(name, org) == key:
            raise ValidationError(
                {
                    "name": tr(
                        "{name} is already in the directory; edit that entry instead"
                    ).format(name=describe_counselor(data.name, "", data.organisation))
                }
            )


# --------------------------------------------------------------------------- editing


def _apply(c: Counselor, data: CounselorFields) -> list[str]:
    return copy_changed(c, data, FIELD_NAMES)


def create_counselor(session: Session, actor: Actor, data: CounselorFields) -> CounselorDetail:
    """Add a counselor or organisation to the directory (specialists and supervisors)."""
    _require_editor(actor, tr("add entries"))
    _check_not_duplicate(session, data)
    c = Counselor(active=True)
    _apply(c, data)
    session.add(c)
    session.flush()
    log(session, actor, "counselor_create", entity_type="counselor", entity_id=c.id)
    return _detail(c)


def update_counselor(
    session: Session,
    actor: Actor,
    counselor_id: int,
    data: CounselorFields,
    *,
    expected_version: int | None = None,
) -> CounselorDetail:
    """Edit a directory entry. Consents and referrals keep pointing at the same entry."""
    _require_editor(actor, tr("edit entries"))
    c = _load(session, counselor_id)
    check_version(c.version_id, expected_version, tr("this directory entry"), record=c)
    _check_not_duplicate(session, data, c.id)
    changed = _apply(c, data)
    if changed:
        session.flush()
        log(
            session,
            actor,
            "counselor_update",
            entity_type="counselor",
            entity_id=c.id,
            details={"fields": changed},
        )
    return _detail(c)


def _set_active(
    session: Session, actor: Actor, counselor_id: int, active: bool, expected_version: int | None
) -> CounselorDetail:
    require_supervisor(
        actor, tr("deactivate a directory entry") if not active else tr("reactivate an entry")
    )
    c = _load(session, counselor_id)
    check_version(c.version_id, expected_version, tr("this directory entry"), record=c)
    if c.active != active:
        c.active = active
        session.flush()
        log(
            session,
            actor,
            "counselor_activate" if active else "counselor_deactivate",
            entity_type="counselor",
            entity_id=c.id,
        )
    return _detail(c)


def deactivate_counselor(
    session: Session, actor: Actor, counselor_id: int, *, expected_version: int | None = None
) -> CounselorDetail:
    """Take an entry off the referral list (supervisors). Existing referrals keep it."""
    return _set_active(session, actor, counselor_id, False, expected_version)


def reactivate_counselor(
    session: Session, actor: Actor, counselor_id: int, *, expected_version: int | None = None
) -> CounselorDetail:
    """Put a deactivated entry back on the referral list (supervisors)."""
    return _set_active(session, actor, counselor_id, True, expected_version)


# --------------------------------------------------------------------------- reading


def get_counselor(session: Session, actor: Actor, counselor_id: int) -> CounselorDetail:
    """One directory entry."""
    _require_reader(actor)
    return _detail(_load(session, counselor_id))


def list_counselors(
    session: Session, actor: Actor, *, include_inactive: bool = False
) -> list[CounselorDetail]:
    """The directory, by name (active entries only unless asked)."""
    return search_counselors(session, actor, "", include_inactive=include_inactive)


def _haystack(c: Counselor) -> str:
    return fold(" ".join((c.name, c.organisation, c.credentials, c.specialties, c.languages)))


def search_counselors(
    session: Session,
    actor: Actor,
    query: str = "",
    *,
    accepting_only: bool = False,
    language: str | None = None,
    include_inactive: bool = False,
) -> list[CounselorDetail]:
    """Entries whose name, organisation, credentials, specialties or languages contain
    every word of *query*, ignoring case and accents ("zoe" finds "Zoë").

    The directory is small (tens to a few hundred entries), so filtering happens in
    Python, where case folding works for every script, not only ASCII.
    """
    _require_reader(actor)
    stmt = select(Counselor)
    if not include_inactive:
        stmt = stmt.where(Counselor.active.is_(True))
    if accepting_only:
        stmt = stmt.where(Counselor.accepting_new_clients.is_(True))
    words = fold(query).split()
    wanted_language = fold(language or "")
    found = []
    for c in session.scalars(stmt):
        if words:
            haystack = _haystack(c)
            if not all(w in haystack for w in words):
                continue
        if wanted_language and not any(
            wanted_language in fold(item) for item in split_list(c.languages)
        ):
            continue
        found.append(c)
    found.sort(key=lambda c: (fold(c.name), c.id))
    return [_detail(c) for c in found]


# --------------------------------------------------------------------------- CSV


@dataclass(frozen=True)
class CounselorCsvRow:
    line: int  # as a spreadsheet shows it (header = line 1)
    fields: CounselorFields
    active: bool


@dataclass(frozen=True)
class CounselorImportResult:
    rows: int
    created: int
    encoding: str
    dry_run: bool

    def describe(self) -> str:
        verb = tr("would import") if self.dry_run else tr("imported")
        text = tr("{verb} {n} directory entries").format(verb=verb, n=self.created)
        if self.encoding != "UTF-8":
            text += tr("; the file was read as {enc}").format(enc=self.encoding)
        return text


def _parse(data: bytes) -> tuple[list[CounselorCsvRow], dict[str, str], str]:
    try:
        encoding = csvio.decode(data)[1]
        table = csvio.read_table(data, required=COUNSELOR_CSV_REQUIRED, known=COUNSELOR_CSV_COLUMNS)
    except ValidationError as exc:
        return [], exc.field_errors, ""
    if encoding != "UTF-8" and _UTF8_SEQUENCE_RE.search(data):
        return (
            [],
            {
                "file": tr(
                    "the file mixes UTF-8 and Windows-1252 text, so some letters would come "
                    "out garbled; save it from your spreadsheet program as 'CSV UTF-8' and "
                    "try again"
                )
            },
            encoding,
        )
    if not table.rows:
        return [], {"file": tr("the file has a header but no directory entries")}, encoding
    errors: dict[str, str] = {}
    rows: list[CounselorCsvRow] = []
    seen: dict[tuple[str, str], int] = {}
    for row in table.rows:
        row_errors: dict[str, str] = {}
        try:
            parsed = parse_counselor_fields(row.values)
        except ValidationError as exc:
            row_errors.update(exc.field_errors)
            parsed = None
        active = _parse_bool(row.values.get("active"), "active", True, row_errors)
        if parsed is not None:
            key = _identity(parsed.name, parsed.organisation)
            if key in seen:
                row_errors["name"] = tr("the same entry is also on line {other}").format(
                    other=seen[key]
                )
            else:
                seen[key] = row.line
        for name, message in row_errors.items():
            errors[f"line {row.line}: {name}"] = message
        if parsed is not None and not row_errors:
            rows.append(CounselorCsvRow(row.line, parsed, active))
    return rows, errors, encoding


def parse_counselor_csv(data: bytes) -> tuple[list[CounselorCsvRow], dict[str, str]]:
    """Read a directory CSV file without touching the database.

    Returns the good rows and a mapping "line N: field" → reason for every bad one
    (file-level problems under "file", "header" or "line N"). Never raises for bad
    input: any bytes at all give either rows or messages.
    """
    rows, errors, _encoding = _parse(data)
    return rows, errors


def import_counselors(
    session: Session, actor: Actor, data: bytes, *, dry_run: bool = False
) -> CounselorImportResult:
    """Import every row or none (specialists and supervisors).

    Any bad row, or a row already in the directory, raises ValidationError listing
    each problem as "line N: field" → reason, and nothing is written.
    """
    _require_editor(actor, tr("import entries"))
    rows, errors, encoding = _parse(data)
    existing = {
        _identity(name, org): cid
        for cid, name, org in session.execute(
            select(Counselor.id, Counselor.name, Counselor.organisation)
        )
    }
    for row in rows:
        if _identity(row.fields.name, row.fields.organisation) in existing:
            errors[f"line {row.line}: name"] = tr("{name} is already in the directory").format(
                name=describe_counselor(row.fields.name, "", row.fields.organisation)
            )
    if errors:
        message = tr("{n} problem(s) in the file; nothing was imported").format(n=len(errors))
        if encoding and encoding != "UTF-8":
            message += tr(" (the file was read as {enc})").format(enc=encoding)
        raise ValidationError(errors, message=message)
    if not dry_run:
        for row in rows:
            c = Counselor(active=row.active)
            _apply(c, row.fields)
            session.add(c)
        session.flush()
        log(
            session,
            actor,
            "counselor_import",
            entity_type="counselor",
            details={"rows": len(rows), "encoding": encoding},
        )
    return CounselorImportResult(len(rows), len(rows), encoding, dry_run)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def export_counselors_csv(session: Session, actor: Actor, *, include_inactive: bool = True) -> str:
    """The directory as CSV text in COUNSELOR_CSV_COLUMNS, readable by the import."""
    _require_reader(actor)
    entries: Iterable[CounselorDetail] = list_counselors(
        session, actor, include_inactive=include_inactive
    )
    rows = [
        [
            e.name,
            _yes_no(e.is_organisation),
            e.organisation,
            e.credentials,
            e.phone,
            e.email,
            e.address,
            e.specialties,
            e.languages,
            _yes_no(e.accepting_new_clients),
            e.notes,
            _yes_no(e.active),
        ]
        for e in entries
    ]
    log(session, actor, "counselor_export", entity_type="counselor", details={"rows": len(rows)})
    return csvio.write_table(COUNSELOR_CSV_COLUMNS, rows)
