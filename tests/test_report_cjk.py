"""Chinese, Japanese and Korean names on printed documents, read back with pypdf.

DejaVu Sans has no CJK glyphs, so those characters are set in the bundled fallback
font: they must come out of the PDF as the same text, the fallback must be embedded
(only when used), and lines must be measured in the font they are drawn in so a
name is neither clipped nor drawn over the next column.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from conftest import Staff
from pypdf import PageObject, PdfReader
from pypdf.generic import ContentStream, DictionaryObject
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph
from test_reports import (
    LOC,
    TODAY,
    add_person,
    caseload,
    make_plan,
    pages,
    squash,
    summary,
    write_note,
)

from casebook.database import Database
from casebook.reports.base import ReportMeta, build_pdf, data_table
from casebook.reports.consent_form import build_consent_form
from casebook.reports.fast_table import FastTable
from casebook.reports.fonts import (
    FONT_BOLD,
    FONT_FALLBACK,
    FONT_REGULAR,
    fallback_markup,
    font_runs,
    split_lines,
    text_width,
)
from casebook.reports.referral_packet import build_referral_packet
from casebook.reports.signed_note import build_signed_note
from casebook.reports.styles import plain_text, safe_text, styles
from casebook.reports.wellness_card import build_wellness_card
from casebook.services import consents, counselors
from casebook.services import referrals as R

WANG = "王小明"  # Chinese
SATO = "佐藤 花子"  # Japanese
KIM = "김민준"  # Korean
MIXED = "Zoë 王"
# Sixteen ideographs: wider than the caseload's name column, so it must wrap.
LONG = "欧阳娜娜" * 4
FALLBACK_FACE = "WenQuanYiMicroHei"


def embedded_fonts(data: bytes | Path) -> set[str]:
    """Names of the fonts the pages use whose TrueType program is in the file (not
    merely named), without the subset prefix."""
    reader = PdfReader(io.BytesIO(data) if isinstance(data, bytes) else data)
    names: set[str] = set()
    for page in reader.pages:
        for font in page_fonts(page).values():
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            if embedded:
                names.add(str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1])
    return names


def page_fonts(page: PageObject) -> dict[str, DictionaryObject]:
    """The page's font resources by resource name ("/F1")."""
    resources = page["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    fonts = resources["/Font"].get_object()
    assert isinstance(fonts, DictionaryObject)
    found: dict[str, DictionaryObject] = {}
    for name, ref in fonts.items():
        font = ref.get_object()
        assert isinstance(font, DictionaryObject)
        found[str(name)] = font
    return found


def has_fallback(names: set[str]) -> bool:
    return any(name.startswith(FALLBACK_FACE) for name in names)


# --------------------------------------------------------------------------- segmentation


def test_latin_text_stays_one_run_and_unescaped_text_unchanged() -> None:
    for text in ("Maria Garcia", "Zoë Nguyễn-Łukasz", "Дмитрий", ""):
        assert font_runs(text, FONT_REGULAR) == ((text, FONT_REGULAR),)
        assert fallback_markup(text) == text
        assert text_width(text, FONT_BOLD, 9) == stringWidth(text, FONT_BOLD, 9)
    assert safe_text("Zoë Nguyễn-Łukasz") == "Zoë Nguyễn-Łukasz"


def test_cjk_characters_go_to_the_fallback_font() -> None:
    assert font_runs(MIXED, FONT_BOLD) == (("Zoë ", FONT_BOLD), ("王", FONT_FALLBACK))
    assert font_runs(SATO, FONT_REGULAR) == (
        ("佐藤", FONT_FALLBACK),
        (" ", FONT_REGULAR),
        ("花子", FONT_FALLBACK),
    )
    assert font_runs(KIM, FONT_REGULAR) == ((KIM, FONT_FALLBACK),)
    assert fallback_markup(MIXED) == f'Zoë <font name="{FONT_FALLBACK}">王</font>'
    for name in (WANG, SATO, KIM, MIXED):
        assert plain_text(name) == name
    # What neither font has is still replaced, once.
    assert plain_text("王 🌸") == "王 \ufffd"


def test_markup_characters_in_user_text_stay_escaped() -> None:
    hostile = '<b>王</b> & 김 "x" <font name="Helvetica">'
    markup = safe_text(hostile)
    assert markup == (
        f'&lt;b&gt;<font name="{FONT_FALLBACK}">王</font>&lt;/b&gt; &amp; '
        f'<font name="{FONT_FALLBACK}">김</font> "x" &lt;font name="Helvetica"&gt;'
    )
    # The only tags are ours: reportlab reads back the user's text, literally, in
    # the two fonts and nothing else.
    frags = Paragraph(markup, styles().body).frags
    assert "".join(frag.text for frag in frags) == hostile
    assert {frag.fontName for frag in frags} == {FONT_REGULAR, FONT_FALLBACK}
    assert safe_text("王\n김", line_breaks=True) == (
        f'<font name="{FONT_FALLBACK}">王</font><br/><font name="{FONT_FALLBACK}">김</font>'
    )


def test_widths_are_measured_in_the_font_each_piece_is_drawn_in() -> None:
    expected = stringWidth("Zoë ", FONT_REGULAR, 9) + stringWidth("王", FONT_FALLBACK, 9)
    assert text_width(MIXED, FONT_REGULAR, 9) == pytest.approx(expected)
    # Ideographs are a full em: far wider than DejaVu's missing-glyph box would say.
    assert text_width(WANG, FONT_REGULAR, 10) == pytest.approx(30.0)
    lines = split_lines(f"{MIXED} {SATO} {KIM} {WANG}", FONT_REGULAR, 9, 50)
    assert len(lines) > 1
    assert " ".join(lines) == f"{MIXED} {SATO} {KIM} {WANG}"
    for line in lines:
        assert text_width(line, FONT_REGULAR, 9) <= 50


# --------------------------------------------------------------------------- page frame


def render(meta: ReportMeta, story: list[Flowable]) -> bytes:
    out = io.BytesIO()
    build_pdf(out, meta, story)
    return out.getvalue()


def test_header_and_footer_print_cjk_and_embed_the_fallback_only_when_used() -> None:
    printed_at = datetime(2026, 11, 23, 20, 4, tzinfo=UTC)
    meta = ReportMeta(
        title=f"Participant summary — {WANG}",
        printed_by=SATO,
        printed_at=printed_at,
        locale_name="en_US",
    )
    data = render(meta, [data_table([["Name"], [MIXED], [KIM]], [200])])
    text = pages_of(data)[0]
    assert f"Participant summary — {WANG}" in text
    # One text object per header line: the name extracts as one piece of text.
    assert f"Printed by {SATO} on" in text
    assert MIXED in text and KIM in text
    assert has_fallback(embedded_fonts(data))

    latin = ReportMeta(title="Caseload report", printed_by="Ana", printed_at=printed_at)
    plain = render(latin, [data_table([["Name"], ["Zoë Nguyễn-Łukasz"]], [200])])
    assert not has_fallback(embedded_fonts(plain))


def pages_of(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def test_fast_table_lines_fit_their_column_when_drawn_in_the_fallback() -> None:
    widths = [90.0, 60.0]
    rows = [[f"R-{i:06d} · {name}", "Active"] for i, name in enumerate((MIXED, LONG, SATO))]
    meta = ReportMeta(title="T", printed_by="Ana", printed_at=datetime.now(UTC))
    data = render(meta, [FastTable(["Record and name", "Status"], rows, widths)])
    assert squash(LONG) in squash(pages_of(data)[0])
    # Left margin 54 pt, 4 pt cell padding either side.
    name_lines = [run for run in drawn_text(data) if run.line_x == 54 + 4]
    assert sum(1 for run in name_lines if run.font.startswith(FALLBACK_FACE)) >= 5
    for run in name_lines:
        assert run.x1 <= 54 + widths[0] - 4 + 0.01, run


@dataclass(frozen=True)
class DrawnRun:
    """One text-showing operator of a page: where its line starts, where the run
    starts and ends (widths from the PDF's own font dictionaries), and its font."""

    line_x: float
    x0: float
    x1: float
    y: float
    font: str


def drawn_text(source: bytes | Path) -> list[DrawnRun]:
    """Every run of text on every page, placed by reading the content streams.

    Only what reportlab writes is understood (translations, Tm, Td, T*, Tf, Tj), which
    is enough to see where each piece of a line ends without trusting reportlab's own
    measurements.
    """
    reader = PdfReader(io.BytesIO(source) if isinstance(source, bytes) else source)
    runs: list[DrawnRun] = []
    for page in reader.pages:
        fonts = page_fonts(page)
        origin = (0.0, 0.0)
        saved: list[tuple[float, float]] = []
        line = text = (0.0, 0.0)
        leading, size, font = 0.0, 0.0, fonts[next(iter(fonts))]
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"q":
                saved.append(origin)
            elif op == b"Q":
                origin = saved.pop()
            elif op == b"cm":
                a, b, c, d, e, f = (float(v) for v in operands)
                assert (a, b, c, d) == (1, 0, 0, 1), "only translations are expected"
                origin = (origin[0] + e, origin[1] + f)
            elif op == b"BT":
                line = text = (0.0, 0.0)
            elif op == b"Tm":
                line = text = (float(operands[4]), float(operands[5]))
            elif op == b"Td":
                line = text = (line[0] + float(operands[0]), line[1] + float(operands[1]))
            elif op == b"TL":
                leading = float(operands[0])
            elif op == b"T*":
                line = text = (line[0], line[1] - leading)
            elif op == b"Tf":
                font, size = fonts[str(operands[0])], float(operands[1])
            elif op == b"Tj":
                raw = operands[0]
                codes = raw.get_original_bytes() if hasattr(raw, "get_original_bytes") else raw
                first = int(cast(int, font["/FirstChar"]))
                widths = cast(list[float], font["/Widths"])
                width = sum(float(widths[code - first]) for code in bytes(codes)) * size / 1000
                x = origin[0] + text[0]
                name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
                runs.append(DrawnRun(origin[0] + line[0], x, x + width, origin[1] + text[1], name))
                text = (text[0] + width, text[1])
    return runs


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class CJKClinic:
    wang: int
    wang_record: str
    records: dict[str, str]  # name → record number
    note_id: int
    consent_id: int
    referral_id: int


@pytest.fixture
def cjk_clinic(db: Database, staff: Staff) -> CJKClinic:
    peer1 = staff.peer1
    records: dict[str, str] = {}
    people = {}
    for name in (WANG, SATO, KIM, MIXED, LONG):
        person = add_person(db, peer1, name)
        people[name] = person.id
        records[name] = person.record_number
    wang = people[WANG]
    make_plan(db, peer1, wang, crisis=f"Call {KIM}, then 988")
    note_id = write_note(db, peer1, wang, f"Met {WANG} at the library", 3)
    with db.session() as s:
        counselor = counselors.create_counselor(
            s, peer1, counselors.parse_counselor_fields({"name": "李娜", "credentials": "LCSW"})
        ).id
    with db.session() as s:
        consent = consents.create_consent(
            s,
            peer1,
            wang,
            consents.ConsentFields(
                patient_name=WANG,
                discloser="Riverbend Peer Recovery Center",
                information="Contact details and the reason for the referral.",
                information_categories=("contact_details", "referral_reason"),
                recipient_counselor_id=counselor,
                purpose="Referral to counseling",
                revocation_statement=consents.STANDARD_REVOCATION_STATEMENT,
                expires_on=TODAY + timedelta(days=300),
                signed_by=WANG,
                signer_relationship="self",
                signed_on=TODAY - timedelta(days=3),
            ),
        ).id
    with db.session() as s:
        referral = R.create_referral(
            s,
            peer1,
            wang,
            R.ReferralFields(
                counselor_id=counselor,
                reason=f"{WANG} asked for counseling in Mandarin",
                information_shared="Contact details.",
                information_categories=("contact_details", "referral_reason"),
            ),
        ).id
    with db.session() as s:
        R.send_referral(s, peer1, referral)
    return CJKClinic(wang, records[WANG], records, note_id, consent, referral)


def test_caseload_full_prints_cjk_names(
    db: Database, staff: Staff, cjk_clinic: CJKClinic, tmp_path: Path
) -> None:
    path = tmp_path / "c.pdf"
    text = squash("".join(caseload(db, staff.supervisor, path, profile="full")))
    for name in (WANG, SATO, KIM, MIXED, LONG):
        assert squash(f"{cjk_clinic.records[name]} · {name}") in text, name
    assert "\ufffd" not in text
    assert has_fallback(embedded_fonts(path))
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= embedded_fonts(path)


def test_caseload_minimum_prints_cjk_initials(
    db: Database, staff: Staff, cjk_clinic: CJKClinic, tmp_path: Path
) -> None:
    path = tmp_path / "c.pdf"
    text = squash("".join(caseload(db, staff.supervisor, path)))
    records = cjk_clinic.records
    for name, letters in ((WANG, "王"), (SATO, "佐花"), (KIM, "김"), (MIXED, "Z王")):
        assert squash(f"{records[name]} · {letters}") in text, name
    assert SATO.split()[0] not in text  # initials only, never the name
    assert has_fallback(embedded_fonts(path))


def test_caseload_cjk_names_stay_inside_their_column(
    db: Database, staff: Staff, cjk_clinic: CJKClinic, tmp_path: Path
) -> None:
    path = tmp_path / "c.pdf"
    caseload(db, staff.supervisor, path, profile="full")
    runs = drawn_text(path)
    # Cells are padded 4 pt: names start at 58, and the status column's text starts
    # 4 pt after the name column ends (the first line start right of the names).
    status_x = min(run.line_x for run in runs if run.line_x > 58)
    names = [run for run in runs if run.line_x == 58]
    assert sum(1 for run in names if run.font.startswith(FALLBACK_FACE)) >= 6
    for run in names:
        assert run.x1 <= status_x - 8 + 0.01, run


def test_participant_summary_prints_the_cjk_name(
    db: Database, staff: Staff, cjk_clinic: CJKClinic, tmp_path: Path
) -> None:
    path = tmp_path / "s.pdf"
    text = summary(db, staff.peer1, cjk_clinic.wang, path)
    assert WANG in text and cjk_clinic.wang_record in text
    # Page header on every page, the legal name in the details.
    for page in pages(path):
        assert WANG in squash(page)
    assert "\ufffd" not in text
    assert has_fallback(embedded_fonts(path))


def _referral(db: Database, staff: Staff, c: CJKClinic, path: Path) -> None:
    with db.session() as s:
        build_referral_packet(s, staff.peer1, c.referral_id, path, locale_name=LOC)


def _consent(db: Database, staff: Staff, c: CJKClinic, path: Path) -> None:
    with db.session() as s:
        build_consent_form(s, staff.peer1, c.consent_id, path, locale_name=LOC)


def _note(db: Database, staff: Staff, c: CJKClinic, path: Path) -> None:
    with db.session() as s:
        build_signed_note(s, staff.peer1, c.note_id, path, locale_name=LOC)


def _card(db: Database, staff: Staff, c: CJKClinic, path: Path) -> None:
    with db.session() as s:
        build_wellness_card(s, staff.peer1, c.wang, path, locale_name=LOC)


@pytest.mark.parametrize(
    ("build", "also"),
    [
        (_referral, "李娜"),
        (_consent, "李娜"),
        (_note, f"Met{WANG}"),
        (_card, KIM),
    ],
    ids=["referral_packet", "consent_form", "signed_note", "wellness_card"],
)
def test_every_other_document_prints_the_cjk_name(
    db: Database,
    staff: Staff,
    cjk_clinic: CJKClinic,
    tmp_path: Path,
    build: Callable[[Database, Staff, CJKClinic, Path], None],
    also: str,
) -> None:
    path = tmp_path / "d.pdf"
    build(db, staff, cjk_clinic, path)
    text = "".join(squash(page) for page in pages(path))
    assert WANG in text and also in text
    assert "\ufffd" not in text
    assert has_fallback(embedded_fonts(path))
