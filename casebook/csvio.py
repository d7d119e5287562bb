"""Reading and writing CSV files that come from and go to spreadsheet programs.

Files written by Excel on Windows are often Windows-1252, not UTF-8. Reading
them as UTF-8 would fail; reading UTF-8 as cp1252 would silently turn "Zoë"
into "ZoÃ«". So: UTF-8 (with or without BOM) first, cp1252 only when the bytes
are not UTF-8 and decode cleanly as cp1252, and the caller is told which.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from casebook.errors import ValidationError
from casebook.i18n import tr

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FIELD_CHARS = 10_000


@dataclass(frozen=True)
class CsvRow:
    line: int  # the line number a spreadsheet user sees (header = line 1)
    values: dict[str, str]


@dataclass(frozen=True)
class CsvTable:
    encoding: str  # "UTF-8" or "Windows-1252"
    columns: tuple[str, ...]
    rows: tuple[CsvRow, ...]


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name) or raise ValidationError saying how to fix the file."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            {"file": tr("the file is larger than 50 MB; split it into smaller files")}
        )
    if b"\x00" in data[:4096]:
        raise ValidationError(
            {
                "file": tr(
                    "the file is not a text CSV file (it may be a spreadsheet in .xlsx format "
                    "or UTF-16); save it as 'CSV UTF-8' and try again"
                )
            }
        )
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise ValidationError(
            {
                "file": tr(
                    "the file is neither UTF-8 nor Windows-1252 text; save it from your "
                    "spreadsheet program as 'CSV UTF-8' and try again"
                )
            }
        ) from None


def read_table(
    data: bytes,
    *,
    required: Sequence[str],
    known: Sequence[str],
) -> CsvTable:
    """Parse a CSV file with a header row; raises ValidationError for header problems."""
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ValidationError(
            {"line 1": tr("the header row cannot be read: {e}").format(e=exc)}
        ) from None
    if header is None or not any(h.strip() for h in header):
        raise ValidationError(
            {
                "file": tr(
                    "the file is empty; the first line must name the columns, e.g. {cols}"
                ).format(cols=",".join(required))
            }
        )
    columns = tuple(h.strip().lower().replace(" ", "_") for h in header)
    errors: dict[str, str] = {}
    missing = [c for c in required if c not in columns]
    if missing:
        errors["header"] = tr("missing column(s): {cols}").format(cols=", ".join(missing))
    unknown = [c for c in columns if c and c not in known]
    if unknown:
        errors["header "] = tr(
            "unknown column(s): {cols}; the columns Casebook reads are: {known}"
        ).format(cols=", ".join(unknown), known=", ".join(known))
    dupes = sorted({c for c in columns if c and columns.count(c) > 1})
    if dupes:
        errors["header  "] = tr("column(s) given twice: {cols}").format(cols=", ".join(dupes))
    if errors:
        raise ValidationError(errors)
    rows: list[CsvRow] = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank lines spreadsheets leave at the end
            if len(record) > len(columns):
                extra = [c for c in record[len(columns) :] if c.strip()]
                if extra:
                    errors[f"line {line}"] = tr(
                        "more values than columns ({n} > {m}); check for an unquoted comma"
                    ).format(n=len(record), m=len(columns))
                    continue
            values = {
                col: _restore(record[i] if i < len(record) else "")
                for i, col in enumerate(columns)
                if col
            }
            too_long = [c for c, v in values.items() if len(v) > MAX_FIELD_CHARS]
            if too_long:
                errors[f"line {line}: {too_long[0]}"] = tr(
                    "value longer than {n} characters"
                ).format(n=MAX_FIELD_CHARS)
                continue
            rows.append(CsvRow(line, values))
    except csv.Error as exc:
        errors[f"line {reader.line_num}"] = tr(
            "cannot be read as CSV: {e}; check the quotes"
        ).format(e=exc)
    if errors:
        raise ValidationError(errors)
    return CsvTable(encoding, columns, tuple(rows))


def write_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text with a header, quoting as spreadsheets expect, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else _neutralise(str(v)) for v in row])
    return out.getvalue()


def _neutralise(value: str) -> str:
    # A cell starting with "=" or "@" runs as a formula in spreadsheet programs
    # (CSV injection); a leading apostrophe makes it plain text there, and
    # read_table takes it off again, so export → import keeps values exactly.
    # "+" and "-" are left alone: phone numbers and negative numbers start so.
    if value[:1] in ("=", "@"):
        return "'" + value
    return value


def _restore(value: str) -> str:
    if value[:2] in ("'=", "'@"):
        return value[1:]
    return value
