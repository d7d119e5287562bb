"""Hebrew and Arabic on printed documents: right to left, Arabic letters joined.

reportlab draws characters left to right one glyph each, so the reports put every
line in display order themselves (``casebook.reports.bidi``). The reordering is
checked against python-bidi (the reference implementation of UAX #9 on PyPI), the
mirroring and joining by example, and the documents by reading the PDFs back.

pypdf's text extraction puts right-to-left runs back into reading order, so a name
drawn in display order extracts as the name itself (Arabic in its joined forms,
which ``unshaped`` undoes); one drawn in logical order would extract reversed.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import bidi as reference
from conftest import Staff
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.platypus import Flowable
from test_report_cjk import drawn_text, embedded_fonts
from test_reports import LOC, add_person, caseload, pages, squash, summary, write_note

from casebook.database import Database
from casebook.reports.base import ReportMeta, build_pdf, data_table
from casebook.reports.bidi import base_is_rtl, reorder, visual
from casebook.reports.fonts import FONT_ITALIC, FONT_REGULAR, font_runs
from casebook.reports.signed_note import build_signed_note
from casebook.reports.styles import plain_text, styles
from casebook.reports.text_block import LinesParagraph, text_block

NOA = "נועה כהן"  # Noa Cohen
LAYLA = "ليلى حداد"  # Layla Haddad
# A Hebrew note long enough to wrap: "We met at the library and talked about the job
# interview at the bakery next week", three times.
NOTE = " ".join(["נפגשנו בספרייה ודיברנו על הראיון לעבודה במאפייה בשבוע הבא."] * 3)


def unshaped(text: str) -> str:
    """Arabic presentation forms back to plain letters (lam-alef to its two)."""
    return unicodedata.normalize("NFKC", text)


# --------------------------------------------------------------------------- reordering


def test_hebrew_reads_right_to_left_with_numbers_and_brackets_kept() -> None:
    assert visual("שלום") == "םולש"
    # Digits keep their order; a bracket pair around right-to-left text is mirrored
    # so it still opens towards the words it encloses.
    assert visual("חדר 12 (קומה ב)") == "(ב המוק) 12 רדח"
    # A Latin name first: the line reads left to right, the Hebrew run inside it
    # right to left.
    assert visual("Noa נועה (כהן)") == "Noa (ןהכ) העונ"
    assert visual("Zoë Nguyễn") == "Zoë Nguyễn"
    assert base_is_rtl(NOA) and not base_is_rtl("12 Noa נועה")


def test_a_broken_line_keeps_its_paragraphs_direction() -> None:
    # The second line of a Hebrew paragraph may start with a Latin word; it still
    # reads right to left.
    assert visual("CV שלחתי", rtl=True) == "יתחלש CV"
    assert visual("CV שלחתי") == "CV יתחלש"


def test_arabic_letters_join_and_read_right_to_left() -> None:
    shown = visual(LAYLA)
    assert shown != LAYLA[::-1]  # joined forms, not the bare letters reversed
    assert all("\ufe70" <= ch <= "\ufeff" or ch == " " for ch in shown)
    assert unshaped(shown)[::-1] == LAYLA
    # Lam followed by alef becomes one ligature glyph.
    assert visual("سلام") == "\ufee1\ufefc\ufeb3"
    # Diacritics are left out rather than printed beside their letters.
    assert unshaped(visual("مُحَمَّد"))[::-1] == "محمد"


_ALPHABET = "ab אבاب12٣٤ ()[]-+,.:$%!\u0651\t"
_PAIRS = str.maketrans({"(": "|", ")": "|", "[": "!", "]": "!"})


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=_ALPHABET, min_size=1, max_size=16))
@example("aא[1]\u0651")  # a mark on a bracket follows the bracket's direction
def test_order_matches_the_reference_implementation(text: str) -> None:
    # python-bidi reorders but does not mirror brackets; compare with brackets of a
    # pair made one symbol.
    assert reorder(text).translate(_PAIRS) == reference.get_display(text).translate(_PAIRS)


# --------------------------------------------------------------------------- fonts


def test_hebrew_and_arabic_are_printable_and_arabic_italic_is_set_upright() -> None:
    assert plain_text(f"{NOA} {LAYLA}") == f"{NOA} {LAYLA}"
    # DejaVu's oblique faces have Hebrew but no Arabic.
    assert font_runs(visual(NOA), FONT_ITALIC) == ((visual(NOA), FONT_ITALIC),)
    runs = font_runs(visual(f"x {LAYLA}"), FONT_ITALIC)
    assert runs[0] == ("x ", FONT_ITALIC)
    assert {font for piece, font in runs if piece.strip() and piece != "x "} == {FONT_REGULAR}


# --------------------------------------------------------------------------- documents


def render(story: list[Flowable]) -> bytes:
    out = io.BytesIO()
    meta = ReportMeta(
        title=f"Participant summary — {LAYLA}",
        printed_by=NOA,
        printed_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        locale_name="en_US",
    )
    build_pdf(out, meta, story)
    return out.getvalue()


def extracted(data: bytes | Path) -> str:
    reader = PdfReader(io.BytesIO(data) if isinstance(data, bytes) else data)
    return unshaped("\n".join(page.extract_text() for page in reader.pages))


def test_header_and_table_print_the_names_in_reading_order() -> None:
    data = render([data_table([["Name"], [NOA], [LAYLA]], [200])])
    text = extracted(data)
    assert f"Participant summary — {LAYLA}" in text
    assert NOA in text.split("Printed by")[1].split("\n")[0]
    assert f"\n{NOA}\n{LAYLA}\n" in text
    assert "\ufffd" not in text
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= embedded_fonts(data)


def test_a_one_line_hebrew_paragraph_lines_up_with_the_text_around_it() -> None:
    data = render([text_block(NOA, styles().body)])
    (run,) = [r for r in drawn_text(data) if 60 < r.y < 740]
    assert run.x0 == 54  # the left margin, like every heading and label


def test_a_wrapped_hebrew_paragraph_starts_with_its_first_words_flush_right() -> None:
    block = text_block(NOTE, styles().body)
    assert isinstance(block, LinesParagraph)
    data = render([data_table([["Note"], [block]], [220])])
    # The note cell's lines: inside the table (left margin 54 pt), below the header.
    runs = [r for r in drawn_text(data) if r.line_x >= 54 and r.x1 <= 54 + 220 and 60 < r.y < 740]
    lines = sorted({round(run.y, 1) for run in runs}, reverse=True)
    assert len(lines) >= 4
    text = extracted(data).split("\n")
    # The first printed line holds the note's first words.
    assert text[text.index("Note") + 1].startswith("נפגשנו בספרייה")
    # Flush right: every line ends at the same x (cell edge less padding).
    ends = {round(max(r.x1 for r in runs if round(r.y, 1) == y), 1) for y in lines[1:]}
    assert len(ends) == 1, ends


def test_a_long_hebrew_paragraph_splits_across_pages_without_losing_a_line() -> None:
    story = [text_block("\n".join([NOTE] * 40), styles().body)]
    data = render(story)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2
    text = squash(extracted(data))
    assert text.count(squash("נפגשנו בספרייה")) == 120


def test_summary_and_signed_note_print_hebrew_and_arabic(
    db: Database, staff: Staff, tmp_path: Path
) -> None:
    person = add_person(db, staff.peer1, LAYLA, preferred_name=NOA)
    note_id = write_note(db, staff.peer1, person.id, NOTE, 2)
    path = tmp_path / "s.pdf"
    summary(db, staff.peer1, person.id, path)
    text = squash(extracted(path))
    assert squash(LAYLA) in text and squash(NOA) in text
    assert squash("נפגשנו בספרייה ודיברנו") in text
    assert "\ufffd" not in text
    for page in pages(path):  # the preferred name in every page header
        assert squash(NOA) in squash(unshaped(page))

    note_path = tmp_path / "n.pdf"
    with db.session() as s:
        build_signed_note(s, staff.peer1, note_id, note_path, locale_name=LOC)
    note_text = squash(extracted(note_path))
    assert squash(NOA) in note_text
    assert squash("נפגשנו בספרייה ודיברנו") in note_text


def test_caseload_report_prints_right_to_left_names(
    db: Database, staff: Staff, tmp_path: Path
) -> None:
    records = {name: add_person(db, staff.peer1, name).record_number for name in (NOA, LAYLA)}
    path = tmp_path / "c.pdf"
    caseload(db, staff.supervisor, path, profile="full")
    text = squash(extracted(path))
    for name, record in records.items():
        assert squash(f"{record} · {name}") in text, name
    assert "\ufffd" not in text


def test_caseload_minimum_prints_arabic_initials_apart(
    db: Database, staff: Staff, tmp_path: Path
) -> None:
    record = add_person(db, staff.peer1, LAYLA).record_number
    path = tmp_path / "c.pdf"
    caseload(db, staff.supervisor, path)
    text = extracted(path)
    # Two letters, not a two-letter word: side by side they would print joined.
    assert f"{record} · ل ح" in text
    assert squash(LAYLA) not in squash(text)
