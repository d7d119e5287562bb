"""The shared report frame, text safety, tables and trend charts, read back with pypdf."""

from __future__ import annotations

import io
import os
import re
import time
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer

from casebook.errors import CasebookError
from casebook.reports.base import (
    ReportMeta,
    build_pdf,
    data_table,
    format_date,
    format_date_short,
    format_datetime,
    key_value_table,
    section,
    usable_height,
    usable_width,
)
from casebook.reports.charts import trend_chart
from casebook.reports.styles import has_glyph, plain_text, safe_text, styles

PRINTED_AT = datetime(2026, 11, 23, 20, 4, tzinfo=UTC)
NAMES = ["Zoë Nguyễn-Łukasz", "Ólafur Þórsson", "Αλέξανδρος", "Дмитрий"]
NOTICE = (
    "This record which has been disclosed to you is protected by Federal confidentiality "
    "rules (42 CFR part 2). The Federal rules prohibit you from making any further "
    "disclosure of this record unless further disclosure is expressly permitted by the "
    "written consent of the individual whose information is being disclosed."
)
PHQ9_BANDS = [
    (0, 4, "Minimal"),
    (5, 9, "Mild"),
    (10, 14, "Moderate"),
    (15, 19, "Moderately severe"),
    (20, 27, "Severe"),
]


def make_meta(**overrides: object) -> ReportMeta:
    values: dict[str, object] = {
        "title": "Caseload report",
        "printed_by": "Ólafur Þórsson",
        "printed_at": PRINTED_AT,
        "locale_name": "en_US",
    }
    values.update(overrides)
    return ReportMeta(**values)  # type: ignore[arg-type]


def render(meta: ReportMeta, story: list[Flowable]) -> bytes:
    out = io.BytesIO()
    build_pdf(out, meta, story)
    return out.getvalue()


def page_texts(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return [unicodedata.normalize("NFC", page.extract_text() or "") for page in reader.pages]


def squash(text: str) -> str:
    """Text with all whitespace removed: extraction may split or join lines."""
    return re.sub(r"\s+", "", text)


def paragraphs(count: int) -> list[Flowable]:
    body = styles().body
    return [Paragraph(safe_text(f"Paragraph {i}: " + "words " * 60), body) for i in range(count)]


# ---------------------------------------------------------------------------
# Page frame
# ---------------------------------------------------------------------------


def test_every_page_has_title_confidential_printed_by_and_page_numbers() -> None:
    data = render(make_meta(), [*paragraphs(3), PageBreak(), *paragraphs(30)])
    pages = page_texts(data)
    assert len(pages) >= 3
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        assert "Caseload report" in text
        assert "CONFIDENTIAL" in text
        assert "Printed by Ólafur Þórsson on Nov 23, 2026" in text
        found = re.findall(r"Page\s+(\d+)\s+of\s+(\d+)", text)
        assert found == [(str(number), str(total))]


def test_empty_story_still_gives_one_labelled_page() -> None:
    pages = page_texts(render(make_meta(), []))
    assert len(pages) == 1
    assert "CONFIDENTIAL" in pages[0] and re.search(r"Page\s+1\s+of\s+1", pages[0])


def test_pdf_metadata_is_set() -> None:
    meta = make_meta(title="Participant summary — Zoë", subject="Participant summary")
    reader = PdfReader(io.BytesIO(render(meta, paragraphs(1))))
    info = reader.metadata
    assert info is not None
    assert info.title == "Participant summary — Zoë"
    assert info.author == "Ólafur Þórsson"
    assert info.subject == "Participant summary"


def test_non_ascii_names_survive_extraction() -> None:
    st = styles()
    story: list[Flowable] = [Paragraph(safe_text(name), st.body) for name in NAMES]
    story.append(data_table([["Name"], *[[name] for name in NAMES]], [200]))
    text = page_texts(render(make_meta(printed_by=NAMES[0]), story))[0]
    for name in NAMES:
        assert text.count(name) >= 2, name
    assert f"Printed by {NAMES[0]}" in text


def test_unprintable_characters_do_not_crash_and_the_rest_survives() -> None:
    hostile = "Before 😀👍🏽 中文 名字 \x00\x07 <b>&amp; \ud800 after"
    story: list[Flowable] = [Paragraph(safe_text(hostile), styles().body)]
    story.append(data_table([["Note"], [hostile]], [300]))
    story.append(key_value_table([("Label", hostile)], (100, 300)))
    text = page_texts(render(make_meta(title=hostile, printed_by=hostile), story))[0]
    assert "Before" in text
    assert "after" in text
    # Markup in user data is printed literally, never interpreted.
    assert "<b>&amp;" in text
    assert "\x00" not in text
    assert "\ufffd" in text


def test_notice_is_printed_on_every_page() -> None:
    meta = make_meta(notice=NOTICE)
    pages = page_texts(render(meta, paragraphs(25)))
    assert len(pages) > 1
    for text in pages:
        assert "42 CFR part 2" in text
        assert squash("written consent of the individual") in squash(text)


def test_notice_reduces_the_story_area() -> None:
    assert usable_height(make_meta(notice=NOTICE)) < usable_height(make_meta())
    assert usable_width(make_meta(page_size="a4")) < usable_width(make_meta())


def test_long_title_and_name_are_shortened_not_overflowing() -> None:
    long_title = "Participant summary — " + "Wolfeschlegelsteinhausenbergerdorff " * 6
    long_name = "Verylongdisplayname " * 8
    text = page_texts(render(make_meta(title=long_title, printed_by=long_name), paragraphs(1)))[0]
    assert "…" in text
    assert re.search(r"Page\s+1\s+of\s+1", text)


def test_same_input_gives_identical_bytes(tmp_path: Path) -> None:
    def story() -> list[Flowable]:
        return [
            *section("Assessments"),
            trend_chart(
                [(date(2026, 1, 1) + timedelta(days=14 * i), 20 - i) for i in range(20)],
                y_min=0,
                y_max=27,
                bands=PHQ9_BANDS,
            ),
            data_table([["Name", "Status"], *[[n, "active"] for n in NAMES]], [200, 100]),
            *paragraphs(10),
        ]

    meta = make_meta(notice=NOTICE)
    first = render(meta, story())
    second = render(meta, story())
    assert first == second
    target = tmp_path / "report.pdf"
    build_pdf(target, meta, story())
    assert target.read_bytes() == first


class Exploding(Flowable):
    """A flowable that fails while the document is being laid out."""

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        raise RuntimeError("layout failed")


def test_failed_build_leaves_no_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    with pytest.raises(RuntimeError, match="layout failed"):
        build_pdf(target, make_meta(), [*paragraphs(8), Exploding()])
    assert list(tmp_path.iterdir()) == []


def test_failed_build_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    build_pdf(target, make_meta(), paragraphs(1))
    before = target.read_bytes()
    with pytest.raises(RuntimeError):
        build_pdf(target, make_meta(title="Other"), [*paragraphs(3), Exploding()])
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_failed_build_writes_nothing_to_a_stream() -> None:
    out = io.BytesIO()
    with pytest.raises(RuntimeError):
        build_pdf(out, make_meta(), [*paragraphs(3), Exploding()])
    assert out.getvalue() == b""


def test_unwritable_target_raises_domain_error(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "report.pdf"
    with pytest.raises(CasebookError, match="Cannot write the PDF"):
        build_pdf(target, make_meta(), paragraphs(1))
    assert not target.parent.exists()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_written_pdf_is_private_to_the_owner(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    build_pdf(target, make_meta(), paragraphs(1))
    assert target.stat().st_mode & 0o077 == 0


def test_naive_printed_at_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_meta(printed_at=datetime(2026, 11, 23, 20, 4))


# ---------------------------------------------------------------------------
# Text safety
# ---------------------------------------------------------------------------


def test_safe_text_escapes_markup_and_strips_controls() -> None:
    assert safe_text("<b>Tom & Jerry</b>") == "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"
    assert plain_text("a\x00b\x1bc\x7fd\x85e") == "abcd\ne"
    assert plain_text("a\x00b\x1bc\x7fd") == "abcd"
    assert plain_text("line1\r\nline2\rline3\tx") == "line1\nline2\nline3\tx"
    assert plain_text("line1\nline2", keep_newlines=False) == "line1 line2"
    assert safe_text("one\ntwo", line_breaks=True) == "one<br/>two"


def test_plain_text_replaces_what_the_font_lacks() -> None:
    assert has_glyph("\ufffd")
    # Neither DejaVu nor the CJK fallback has this one (CJK itself prints: test_report_cjk).
    assert plain_text("🌸") == "\ufffd"
    assert plain_text("x\ud800y") == "x\ufffdy"
    # A skin-tone modifier or variation selector belongs to the emoji it follows.
    assert plain_text("👍🏽").count("\ufffd") <= 1
    # Combined accents become the font's precomposed letters.
    decomposed = unicodedata.normalize("NFD", "Nguyễn")
    assert plain_text(decomposed) == "Nguyễn"
    for name in NAMES:
        assert plain_text(name) == name


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------


def test_format_date_patterns() -> None:
    d = date(2026, 11, 3)
    assert format_date(d, "en_US.UTF-8") == "Nov 3, 2026"
    assert format_date(d, "en_GB") == "03/11/2026"
    assert format_date(d, "fr_FR") == "03/11/2026"
    assert format_date(d, "es_ES.UTF-8") == "03/11/2026"
    assert format_date(d, "de_DE") == "03.11.2026"
    assert format_date(d, "C") == "2026-11-03"
    assert format_date(d, "") == "2026-11-03"
    assert format_date(d, "English_United States") == "Nov 3, 2026"
    assert format_date_short(d, "en_US") == "Nov 3"
    assert format_date_short(d, "de_DE") == "03.11."


@pytest.fixture
def new_york() -> Iterator[None]:
    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset")
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


@pytest.mark.usefixtures("new_york")
def test_format_datetime_shows_local_time() -> None:
    stored = datetime(2026, 11, 23, 20, 4, tzinfo=UTC)
    assert format_datetime(stored, "en_US") == "Nov 23, 2026, 3:04 PM"
    assert format_datetime(stored, "en_US", zone=True) == "Nov 23, 2026, 3:04 PM EST"
    assert format_datetime(stored, "de_DE") == "23.11.2026 15:04"
    # Naive values come from the database and are UTC.
    assert format_datetime(stored.replace(tzinfo=None), "en_GB") == "23/11/2026 15:04"
    # Midnight is 12 AM, and the local date is the one shown.
    assert format_datetime(datetime(2026, 7, 1, 4, 30, tzinfo=UTC), "en_US") == (
        "Jul 1, 2026, 12:30 AM"
    )
    assert format_datetime(datetime(2026, 7, 1, 3, 30, tzinfo=UTC), "en_US") == (
        "Jun 30, 2026, 11:30 PM"
    )


# ---------------------------------------------------------------------------
# Tables and sections
# ---------------------------------------------------------------------------


def test_thousand_row_table_repeats_its_header() -> None:
    meta = make_meta()
    width = usable_width(meta)
    rows: list[list[str | None]] = [["Record", "Participant", "Status", "Last contact"]]
    rows += [
        [f"R-{i:05d}", NAMES[i % len(NAMES)], "active", None if i % 7 == 0 else "Nov 2, 2026"]
        for i in range(1000)
    ]
    table = data_table(rows, [width * 0.15, width * 0.45, width * 0.15, width * 0.25])
    pages = page_texts(render(meta, [*section("Caseload"), table]))
    assert len(pages) > 1
    assert "Participant" in pages[1] and "Last contact" in pages[1]
    assert "R-00999" in pages[-1]
    assert "Caseload" in pages[0] and "R-00000" in pages[0]


def test_row_taller_than_a_page_is_split_not_an_error() -> None:
    meta = make_meta()
    huge = " ".join(f"word{i}" for i in range(2500))
    table = data_table(
        [["Date", "Note"], ["Oct 31", "short"], ["Nov 1", huge], ["Nov 2", "after"]], [80, 400]
    )
    pages = page_texts(render(meta, [table]))
    assert len(pages) > 2
    # The tall row starts right under the short one, with the header printed once.
    assert pages[0].count("Note") == 1
    assert "word0" in pages[0]
    joined = "".join(pages)
    assert "word2499" in joined and "after" in joined


def test_long_text_wraps_inside_its_column() -> None:
    address = "zoe.nguyen-lukasz.averyveryverylongaddress@exampleclinic-community-services.org"
    table = data_table([["E-mail"], [address]], [120])
    table.wrapOn(None, 120, 1000)
    assert table._width <= 120.01
    text = squash(page_texts(render(make_meta(), [table]))[0])
    assert address in text


def test_data_table_rejects_mismatched_rows() -> None:
    with pytest.raises(ValueError, match="row 1"):
        data_table([["a", "b"], ["only one"]], [100, 100])


def test_heading_stays_with_a_long_table() -> None:
    meta = make_meta()
    rows = [["Name"], *[[f"Person {i}"] for i in range(200)]]
    # Fill most of page one so only the heading and a few rows would fit there.
    filler = Spacer(1, usable_height(meta) - 120)
    pages = page_texts(render(meta, [filler, *section("Participants"), data_table(rows, [200])]))
    # The heading starts on page one together with the first rows, not alone.
    assert "Participants" in pages[0]
    assert "Person 0" in pages[0]


def test_key_value_table_shows_missing_values() -> None:
    table = key_value_table([("Phone", None), ("Name", "Дмитрий")], (100, 200))
    text = page_texts(render(make_meta(), [table]))[0]
    assert "Phone" in text and "—" in text and "Дмитрий" in text


# ---------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 20])
def test_trend_chart_renders(count: int) -> None:
    start = date(2026, 1, 5)
    points = [(start + timedelta(days=14 * i), max(0, 22 - i)) for i in range(count)]
    chart = trend_chart(
        points,
        y_min=0,
        y_max=27,
        bands=PHQ9_BANDS,
        title="PHQ-9 total",
        width=460,
        height=180,
        locale_name="en_US",
    )
    text = page_texts(render(make_meta(), [chart]))[0]
    assert "PHQ-9 total" in text
    assert "Moderately severe" in text
    if count == 0:
        assert "No assessments yet" in text
    else:
        assert "No assessments yet" not in text
        assert "Jan 5" in text


def test_trend_chart_cutoff_line_and_out_of_range_scores() -> None:
    points = [(date(2025, 6, 1), 5), (date(2026, 3, 1), 47), (date(2026, 11, 1), 75)]
    chart = trend_chart(
        points,
        y_min=10,
        y_max=60,
        cutoff=47,
        cutoff_label="47: sustained remission",
        title="BARC-10",
    )
    text = page_texts(render(make_meta(), [chart]))[0]
    assert "sustained" in text
    # Across years the axis dates carry the year.
    assert "2025" in text and "2026" in text


def test_trend_chart_rejects_an_empty_scale() -> None:
    with pytest.raises(ValueError):
        trend_chart([], y_min=10, y_max=10)
