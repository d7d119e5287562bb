"""The page frame every printed Casebook document shares.

Each page of every document carries the document title, a CONFIDENTIAL marking,
who printed it and when, and "Page X of Y", so a single page that gets separated
from the rest (left on a printer, faxed, filed) still says what it is and where it
came from. A document can add a notice (the 42 CFR §2.32 redisclosure notice on
referral packets) that is then repeated in the footer of every page.

Output is deterministic (same input, same bytes) so tests can compare files and an
audit can show that a reprint is the same document; writing to a path is atomic so
a failed build never leaves half a PDF with health information behind.
"""

from __future__ import annotations

import contextlib
import io
import locale
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Literal, NamedTuple, TypeAlias

from reportlab import rl_config
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import getAscent
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from casebook.errors import CasebookError
from casebook.i18n import tr
from casebook.reports.bidi import has_rtl
from casebook.reports.fonts import draw_text, text_width
from casebook.reports.styles import (
    CONFIDENTIAL_RED,
    FONT_BOLD,
    FONT_REGULAR,
    GRID,
    HEADER_FILL,
    INK,
    MUTED,
    RULE,
    ZEBRA,
    ReportStyles,
    ensure_fonts,
    plain_text,
    safe_text,
    styles,
)
from casebook.reports.text_block import text_block

__all__ = [
    "Cell",
    "PageSize",
    "ReportMeta",
    "ReportStyles",
    "build_pdf",
    "data_table",
    "format_date",
    "format_date_short",
    "format_datetime",
    "key_value_table",
    "plain_text",
    "safe_text",
    "section",
    "styles",
    "usable_height",
    "usable_width",
]

PageSize = Literal["letter", "a4"]
_PAGE_SIZES: dict[str, tuple[float, float]] = {"letter": LETTER, "a4": A4}

# Page geometry in points. The header and footer live in the margins; the frame
# (where the story flows) sits between them.
_MARGIN_X = 54.0
_HEADER_BASELINE = 40.0  # below the top edge
_HEADER_RULE = 50.0  # below the top edge
_FRAME_TOP = 62.0  # below the top edge
_FOOTER_BASELINE = 34.0
_FOOTER_RULE = 46.0
_FOOTER_GAP = 12.0  # between the footer (rule or notice box) and the frame
_NOTICE_PAD = 5.0
_CHROME_SIZE = 8.0
_TITLE_SIZE = 10.0
_STAMP_SIZE = 9.0

# ---------------------------------------------------------------------------
# Dates in the reader's locale
# ---------------------------------------------------------------------------

# English abbreviations on purpose: only the en_US pattern uses month names, and
# going through strftime("%b") would follow whatever setlocale the process did.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class _DateStyle(NamedTuple):
    long: str
    short: str
    clock12: bool
    joiner: str


_US = _DateStyle("{mon} {d}, {Y}", "{mon} {d}", True, ", ")
_SLASH_DMY = _DateStyle("{dd}/{mm}/{Y}", "{dd}/{mm}", False, " ")
_DOT_DMY = _DateStyle("{dd}.{mm}.{Y}", "{dd}.{mm}.", False, " ")
_DASH_DMY = _DateStyle("{dd}-{mm}-{Y}", "{dd}-{mm}", False, " ")
_ISO = _DateStyle("{Y}-{mm}-{dd}", "{mm}-{dd}", False, " ")

# Looked up by full name first (en_GB), then by language (en). Anything unknown gets
# ISO 8601, which no reader misreads as day/month swapped.
_LOCALE_STYLES: dict[str, _DateStyle] = {
    "en": _US,
    "en_US": _US,
    "en_GB": _SLASH_DMY,
    "en_IE": _SLASH_DMY,
    "en_AU": _SLASH_DMY,
    "en_NZ": _SLASH_DMY,
    "en_IN": _SLASH_DMY,
    "en_CA": _ISO,
    "fr": _SLASH_DMY,
    "fr_CA": _ISO,
    "es": _SLASH_DMY,
    "it": _SLASH_DMY,
    "pt": _SLASH_DMY,
    "el": _SLASH_DMY,
    "vi": _SLASH_DMY,
    "de": _DOT_DMY,
    "ru": _DOT_DMY,
    "uk": _DOT_DMY,
    "pl": _DOT_DMY,
    "cs": _DOT_DMY,
    "tr": _DOT_DMY,
    "fi": _DOT_DMY,
    "da": _DOT_DMY,
    "nb": _DOT_DMY,
    "no": _DOT_DMY,
    "ro": _DOT_DMY,
    "nl": _DASH_DMY,
    "sv": _ISO,
    "ja": _ISO,
    "zh": _ISO,
    "ko": _ISO,
    "hu": _ISO,
    "lt": _ISO,
}

# Windows reports locales by English name ("English_United States").
_WINDOWS_NAMES: dict[str, str] = {
    "english_united states": "en_US",
    "english_united kingdom": "en_GB",
    "english_canada": "en_CA",
    "english_australia": "en_AU",
    "french_canada": "fr_CA",
    "english": "en",
    "german": "de",
    "french": "fr",
    "spanish": "es",
    "italian": "it",
    "portuguese": "pt",
    "dutch": "nl",
    "polish": "pl",
    "russian": "ru",
    "swedish": "sv",
}


def _current_locale_name() -> str:
    try:
        name = locale.getlocale(locale.LC_TIME)[0]
    except ValueError:
        name = None
    if not name or name in ("C", "POSIX"):
        # The program may not have called setlocale; the environment still says
        # what the user chose.
        for var in ("LC_ALL", "LC_TIME", "LANG"):
            value = os.environ.get(var)
            if value:
                name = value
                break
    return name or ""


def _date_style(locale_name: str | None) -> _DateStyle:
    name = _current_locale_name() if locale_name is None else locale_name
    name = name.split(".")[0].split("@")[0].replace("-", "_").strip()
    windows = _WINDOWS_NAMES.get(name.lower())
    if windows is not None:
        name = windows
    if name in _LOCALE_STYLES:
        return _LOCALE_STYLES[name]
    language = name.split("_")[0].lower()
    return _LOCALE_STYLES.get(language, _ISO)


def _date_fields(d: date) -> dict[str, str]:
    return {
        "Y": f"{d.year:04d}",
        "mm": f"{d.month:02d}",
        "dd": f"{d.day:02d}",
        "d": str(d.day),
        "mon": _MONTHS[d.month - 1],
    }


def _to_local(dt: datetime) -> datetime:
    # The database keeps UTC; SQLite hands datetimes back without a zone.
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone()


def format_date(d: date, locale_name: str | None = None) -> str:
    """Render *d* in the reader's locale: "Nov 23, 2026" (en_US), "23/11/2026" (en_GB, fr, es),
    "23.11.2026" (de), otherwise ISO "2026-11-23".

    *locale_name* like "de_DE.UTF-8"; None means the process's LC_TIME, then
    LC_ALL/LC_TIME/LANG. A datetime is first converted to local time.
    """
    if isinstance(d, datetime):
        d = _to_local(d).date()
    return _date_style(locale_name).long.format(**_date_fields(d))


def format_date_short(d: date, locale_name: str | None = None) -> str:
    """Day and month only ("Nov 23", "23/11", "23.11.", "11-23"), for chart axes."""
    if isinstance(d, datetime):
        d = _to_local(d).date()
    return _date_style(locale_name).short.format(**_date_fields(d))


def format_datetime(dt: datetime, locale_name: str | None = None, *, zone: bool = False) -> str:
    """Render *dt* in local time in the reader's locale ("Nov 23, 2026, 3:04 PM").

    A naive datetime is taken to be UTC, as stored. With ``zone=True`` the local
    zone's abbreviation is appended, for records that may be read elsewhere.
    """
    local = _to_local(dt)
    style = _date_style(locale_name)
    day = style.long.format(**_date_fields(local.date()))
    if style.clock12:
        hour = local.hour % 12 or 12
        suffix = "AM" if local.hour < 12 else "PM"
        clock = f"{hour}:{local.minute:02d} {suffix}"
    else:
        clock = f"{local.hour:02d}:{local.minute:02d}"
    text = f"{day}{style.joiner}{clock}"
    if zone:
        name = local.tzname()
        if name:
            text = f"{text} {name}"
    return text


# ---------------------------------------------------------------------------
# Document metadata and page geometry
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportMeta:
    """What the page frame prints on every page.

    ``printed_at`` must be timezone-aware (``datetime.now(UTC)``); it is shown in
    local time. ``notice`` (plain text, newlines kept) is repeated in a box in every
    page's footer. ``locale_name`` picks the date format; None follows the system.
    """

    title: str
    printed_by: str
    printed_at: datetime
    notice: str | None = None
    page_size: PageSize = "letter"
    subject: str = ""
    locale_name: str | None = None

    def __post_init__(self) -> None:
        if self.printed_at.tzinfo is None or self.printed_at.utcoffset() is None:
            raise ValueError("ReportMeta.printed_at must be timezone-aware")
        if self.page_size not in _PAGE_SIZES:
            raise ValueError(f"unknown page size {self.page_size!r}; use 'letter' or 'a4'")

    @property
    def pagesize(self) -> tuple[float, float]:
        """Width and height in points."""
        return _PAGE_SIZES[self.page_size]


def usable_width(meta: ReportMeta) -> float:
    """Width in points that the story can use (for table column widths)."""
    return meta.pagesize[0] - 2 * _MARGIN_X


def usable_height(meta: ReportMeta) -> float:
    """Height in points of the story area on each page (smaller when a notice is set)."""
    return meta.pagesize[1] - _FRAME_TOP - _frame_bottom(_notice_paragraph(meta))


def _notice_paragraph(meta: ReportMeta) -> Paragraph | None:
    if not meta.notice:
        return None
    para = Paragraph(safe_text(meta.notice, line_breaks=True), styles().notice)
    para.wrap(usable_width(meta) - 2 * _NOTICE_PAD, meta.pagesize[1])
    return para


def _frame_bottom(notice: Paragraph | None) -> float:
    if notice is None:
        return _FOOTER_RULE + _FOOTER_GAP
    return _FOOTER_RULE + 4 + notice.height + 2 * _NOTICE_PAD + _FOOTER_GAP


def _fit(text: str, font: str, size: float, width: float) -> str:
    """Shorten *text* with an ellipsis until it fits *width* (one-line header fields)."""
    if text_width(text, font, size) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid].rstrip() + "…", font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


@dataclass(frozen=True)
class _Chrome:
    """Everything the header and footer need, computed once per build."""

    width: float
    height: float
    title: str
    printed_line: str
    confidential: str
    notice: Paragraph | None

    @property
    def right(self) -> float:
        return self.width - _MARGIN_X


def _draw_chrome(chrome: _Chrome, canvas: Canvas, _doc: Any) -> None:
    canvas.saveState()
    top = chrome.height
    right = chrome.right

    # CONFIDENTIAL: white on dark red at top right, visible at a glance and still
    # legible when printed in greyscale.
    stamp_w = text_width(chrome.confidential, FONT_BOLD, _STAMP_SIZE) + 12
    stamp_h = _STAMP_SIZE + 7
    stamp_y = top - _HEADER_BASELINE - 4.5
    canvas.setFillColor(CONFIDENTIAL_RED)
    canvas.roundRect(right - stamp_w, stamp_y, stamp_w, stamp_h, 2, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    draw_text(
        canvas,
        right - stamp_w / 2,
        top - _HEADER_BASELINE,
        chrome.confidential,
        FONT_BOLD,
        _STAMP_SIZE,
        anchor="middle",
    )

    canvas.setFillColor(INK)
    title = _fit(chrome.title, FONT_BOLD, _TITLE_SIZE, right - _MARGIN_X - stamp_w - 16)
    draw_text(canvas, _MARGIN_X, top - _HEADER_BASELINE, title, FONT_BOLD, _TITLE_SIZE)

    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(_MARGIN_X, top - _HEADER_RULE, right, top - _HEADER_RULE)
    canvas.line(_MARGIN_X, _FOOTER_RULE, right, _FOOTER_RULE)

    canvas.setFillColor(MUTED)
    # Leave room on the right for "Page X of Y", drawn when the total is known.
    draw_text(canvas, _MARGIN_X, _FOOTER_BASELINE, chrome.printed_line, FONT_REGULAR, _CHROME_SIZE)

    if chrome.notice is not None:
        box_w = right - _MARGIN_X
        box_h = chrome.notice.height + 2 * _NOTICE_PAD
        box_y = _FOOTER_RULE + 4
        canvas.setStrokeColor(MUTED)
        canvas.setLineWidth(0.5)
        canvas.rect(_MARGIN_X, box_y, box_w, box_h, stroke=1, fill=0)
        chrome.notice.drawOn(canvas, _MARGIN_X + _NOTICE_PAD, box_y + _NOTICE_PAD)
    canvas.restoreState()


class _NumberedCanvas(Canvas):
    """A canvas that holds every finished page back until ``save`` so each one can
    say "Page X of Y": the total is only known once the story has been laid out.
    """

    def __init__(self, *args: Any, chrome: _Chrome, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chrome = chrome
        self._held_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._held_pages)
        for state in self._held_pages:
            self.__dict__.update(state)
            self._stamp_page_number(total)
            super().showPage()
        super().save()

    def _stamp_page_number(self, total: int) -> None:
        text = tr("Page {page} of {total}").format(page=self.getPageNumber(), total=total)
        self.saveState()
        self.setFillColor(MUTED)
        draw_text(
            self,
            self._chrome.right,
            _FOOTER_BASELINE,
            text,
            FONT_REGULAR,
            _CHROME_SIZE,
            anchor="end",
        )
        self.restoreState()


class _KeepWithNext(KeepTogether):
    """Keeps a heading on the same page as what follows it, without wasting pages.

    reportlab's own grouping moves a heading and a long table together to a new page
    whenever the pair does not fit, even though the table would split anyway, which
    leaves most of a page blank before every long section. Here the page only
    breaks when nothing of the following flowable would fit under the heading.
    """

    def split(self, aW: float, aH: float) -> list[Flowable]:
        content = list(self._content)
        if len(content) > 1:
            lead, last = content[:-1], content[-1]
            lead_h = 0.0
            for flowable in lead:
                _, h = flowable.wrap(aW, aH)
                lead_h += h + flowable.getSpaceBefore() + flowable.getSpaceAfter()
            room = aH - lead_h - last.getSpaceBefore()
            if room > 0:
                _, last_h = last.wrap(aW, room)
                if last_h <= room or last.split(aW, room):
                    return content
        result: list[Flowable] = super().split(aW, aH)
        return result


def _render(meta: ReportMeta, story: list[Flowable]) -> bytes:
    ensure_fonts()
    width, height = meta.pagesize
    notice = _notice_paragraph(meta)
    bottom = _frame_bottom(notice)
    if height - _FRAME_TOP - bottom < height / 2:
        raise ValueError("ReportMeta.notice is too long to repeat on every page")

    title = plain_text(meta.title, keep_newlines=False)
    when = format_datetime(meta.printed_at, meta.locale_name, zone=True)
    prefix_width = text_width(
        tr("Printed by {name} on {when}").format(name="", when=when), FONT_REGULAR, _CHROME_SIZE
    )
    # The page number takes at most ~80 pt at the right; a very long display name is
    # shortened rather than run into it.
    name_room = width - 2 * _MARGIN_X - 90 - prefix_width
    name = _fit(
        plain_text(meta.printed_by, keep_newlines=False),
        FONT_REGULAR,
        _CHROME_SIZE,
        max(name_room, 40),
    )
    chrome = _Chrome(
        width=width,
        height=height,
        title=title,
        printed_line=tr("Printed by {name} on {when}").format(name=name, when=when),
        confidential=tr("CONFIDENTIAL"),
        notice=notice,
    )

    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=meta.pagesize,
        leftMargin=_MARGIN_X,
        rightMargin=_MARGIN_X,
        topMargin=_FRAME_TOP,
        bottomMargin=bottom,
        title=title,
        author=plain_text(meta.printed_by, keep_newlines=False),
        subject=plain_text(meta.subject or tr("Confidential record"), keep_newlines=False),
        creator="Casebook",
        # Fixed timestamps and document ID: same input, same bytes.
        invariant=1,
        pageCompression=1,
    )
    doc.keepTogetherClass = _KeepWithNext
    frame = Frame(
        _MARGIN_X,
        bottom,
        width - 2 * _MARGIN_X,
        height - _FRAME_TOP - bottom,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    doc.addPageTemplates(
        [PageTemplate(id="page", frames=[frame], onPage=partial(_draw_chrome, chrome))]
    )
    # An empty story would give a PDF with no pages at all; one page with the frame
    # is still a valid, clearly labelled (if empty) document.
    flowables = list(story) or [Spacer(0, 0)]
    doc.build(flowables, canvasmaker=partial(_NumberedCanvas, chrome=chrome))
    return buffer.getvalue()


def build_pdf(out: Path | BinaryIO, meta: ReportMeta, story: list[Flowable]) -> None:
    """Lay out *story* in the shared page frame and write the PDF to *out*.

    The whole document is built in memory first. A path is then replaced
    atomically (temporary file in the same folder, fsync, rename; the file is
    created readable by the owner only), so a failure leaves either the old file
    or none, never a partial one. A binary stream receives the bytes in one write,
    and nothing if the build fails. Raises ``CasebookError`` when the file cannot
    be written; layout errors from the story propagate unchanged.

    reportlab splits and wraps the flowables in place, so build a fresh story for
    each call rather than reusing one.
    """
    data = _render(meta, story)
    if not isinstance(out, Path):
        out.write(data)
        return
    _write_atomically(out, data)


def _write_atomically(path: Path, data: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
        _sync_directory(directory)
    except OSError as exc:
        raise CasebookError(
            tr(
                "Cannot write the PDF to {path}: {reason}. Choose another folder or file name."
            ).format(path=path, reason=exc.strerror or exc)
        ) from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _sync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open a directory.
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------
# Tables and headings
# ---------------------------------------------------------------------------

Cell: TypeAlias = str | Flowable | None


class _CellParagraph(Paragraph):
    """A Paragraph that remembers its last layout.

    A table measures each cell when it is first wrapped, again whenever it is split
    at a page end, and once more when drawing; the width never changes, so the line
    breaking is done once. This is what keeps a 1,000-row table linear in cost.
    """

    _last_wrap: tuple[float, tuple[float, float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        cached = self._last_wrap
        # Paragraph.split drops blPara when the text does not fit; then lay out again.
        if cached is not None and cached[0] == availWidth and "blPara" in self.__dict__:
            return cached[1]
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        self._last_wrap = (availWidth, size)
        return size


# Cell padding, shared by the height estimate below and the table style.
_PAD_X = 4.0
_PAD_TOP = 2.5
_PAD_BOTTOM = 3.5
_TALL_ROW = 300.0


class _LineCell(Flowable):
    """A cell whose plain text fits on one line: most cells of a caseload table
    (record numbers, dates, statuses, names).

    Parsing and laying out a Paragraph costs far more than drawing one string, and a
    1,000-row report has thousands of such cells. The baseline matches a Paragraph
    in the same style, so mixed rows line up.
    """

    def __init__(self, text: str, style: ParagraphStyle, text_width: float) -> None:
        super().__init__()
        self._text = text
        self._style = style
        self._text_width = text_width

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self._text_width, float(self._style.leading)

    def draw(self) -> None:
        style = self._style
        canvas = self.canv
        canvas.setFillColor(style.textColor)
        if rl_config.paraFontSizeHeightOffset:
            baseline = style.leading - style.fontSize
        else:
            baseline = style.leading - getAscent(style.fontName, style.fontSize)
        draw_text(canvas, 0, baseline, self._text, style.fontName, style.fontSize)

    def __repr__(self) -> str:
        return f"<_LineCell {self._text[:30]!r}>"


def _cell(value: Cell, style: ParagraphStyle, width: float) -> Flowable:
    if isinstance(value, Flowable):
        return value
    text = "" if value is None else value
    if "\n" not in text and "\r" not in text:
        line = plain_text(text, keep_newlines=False).strip()
        line_width = text_width(line, style.fontName, style.fontSize)
        if line_width <= width - 2 * _PAD_X:
            return _LineCell(line, style, line_width)
    if has_rtl(text):
        return text_block(text, style)
    return _CellParagraph(safe_text(text, line_breaks=True), style)


def _row_height(cells: Sequence[Flowable], widths: Sequence[float]) -> float | None:
    """Height of a row of text cells, or None (reportlab measures) for other flowables."""
    tallest = 0.0
    for flowable, width in zip(cells, widths, strict=True):
        if isinstance(flowable, _LineCell):
            h = float(flowable.wrap(width, 72000)[1])
        elif isinstance(flowable, _CellParagraph):
            # Same available width as the table gives the cell, so the cached layout
            # is reused when the table measures and draws it.
            h = flowable.wrap(width - 2 * _PAD_X, 72000)[1]
        else:
            return None
        tallest = max(tallest, h)
    return tallest + _PAD_TOP + _PAD_BOTTOM


def data_table(
    rows: Sequence[Sequence[Cell]],
    col_widths: Sequence[float],
    header: bool = True,
    repeat_header: bool = True,
    zebra: bool = True,
) -> Table:
    """A grid of wrapped text cells with the given column widths (in points).

    Strings are plain text (escaped; newlines kept); pass a Flowable for anything
    richer. With ``header`` the first row is the header, set in bold and, with
    ``repeat_header``, repeated at the top of every page the table continues on.
    Columns are never auto-sized: the widths are used as given, and long text
    wraps inside them, so cost grows linearly with the number of rows.
    """
    widths = [float(w) for w in col_widths]
    if not widths or any(w <= 2 * _PAD_X for w in widths):
        raise ValueError("data_table needs positive column widths wider than the cell padding")
    st = styles()
    data: list[list[list[Flowable]]] = []
    heights: list[float | None] = []
    for index, row in enumerate(rows):
        if len(row) != len(widths):
            raise ValueError(f"row {index} has {len(row)} cells, expected {len(widths)}")
        style = st.header_cell if header and index == 0 else st.cell
        cells = [_cell(value, style, w) for value, w in zip(row, widths, strict=True)]
        # A list per cell: reportlab only splits a row inside list cells.
        data.append([[c] for c in cells])
        heights.append(_row_height(cells, widths))
    # Rows taller than this may not fit on any page, so such a table may split inside
    # a row; otherwise rows always move to the next page whole.
    tall = any(h is not None and h > _TALL_ROW for h in heights)

    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), _PAD_X),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAD_X),
        ("TOPPADDING", (0, 0), (-1, -1), _PAD_TOP),
        ("BOTTOMPADDING", (0, 0), (-1, -1), _PAD_BOTTOM),
        ("INNERGRID", (0, 0), (-1, -1), 0.25, GRID),
        ("BOX", (0, 0), (-1, -1), 0.5, RULE),
    ]
    first_body_row = 1 if header else 0
    if header and data:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, RULE),
        ]
    if zebra and len(data) > first_body_row:
        commands.append(("ROWBACKGROUNDS", (0, first_body_row), (-1, -1), [None, ZEBRA]))

    table = Table(
        data,
        colWidths=widths,
        # Given heights spare reportlab's own row measuring, which re-sums all rows
        # above for every row and so grows with the square of the row count.
        rowHeights=heights or None,
        repeatRows=1 if header and repeat_header and data else 0,
        # With a tall row, split inside rows first: splitting between rows first puts
        # the rows above on this page, then splits the tall row right under them
        # with a second copy of the header.
        splitByRow=0 if tall else 1,
        splitInRow=1 if tall else 0,
        hAlign="LEFT",
        emptyTableAction="ignore",
    )
    table.setStyle(TableStyle(commands))
    return table


def key_value_table(pairs: Sequence[tuple[str, Cell]], widths: Sequence[float]) -> Table:
    """Label/value rows (a participant's details), labels muted, no grid.

    *widths* is (label column, value column) in points. A missing value prints
    as an em dash so a blank is visibly "not recorded" rather than a layout gap.
    """
    if len(widths) != 2:
        raise ValueError("key_value_table needs exactly two column widths")
    st = styles()
    label_w, value_w = (float(w) for w in widths)
    data = [
        [
            _cell(label, st.label_cell, label_w),
            _cell("—" if value is None or value == "" else value, st.cell, value_w),
        ]
        for label, value in pairs
    ]
    table = Table(
        data,
        colWidths=[label_w, value_w],
        hAlign="LEFT",
        emptyTableAction="ignore",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, GRID),
            ]
        )
    )
    return table


def section(title: str, *, level: int = 1) -> list[Flowable]:
    """A section heading (level 1) or subheading (level 2) that is kept on the same
    page as whatever follows it."""
    st = styles()
    style = st.heading if level <= 1 else st.subheading
    return [Paragraph(safe_text(title, line_breaks=False), style)]
