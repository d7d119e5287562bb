"""Fonts, text cleaning and paragraph styles shared by every printed document.

Participant names come from many languages, so reports embed DejaVu Sans (shipped in
``resources/fonts`` with its licence) instead of the 14 standard PDF fonts, which only
cover Latin-1. No font covers everything: text that reaches a PDF goes through
``safe_text`` (Paragraph markup) or ``plain_text`` (canvas and chart strings) so a
character the font lacks prints as a visible replacement mark rather than as an empty
box, a wrong glyph, or nothing at all.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_FAMILY = "CasebookSans"
FONT_REGULAR = FONT_FAMILY
FONT_BOLD = f"{FONT_FAMILY}-Bold"
FONT_ITALIC = f"{FONT_FAMILY}-Italic"
FONT_BOLD_ITALIC = f"{FONT_FAMILY}-BoldItalic"

_FONT_FILES: dict[str, str] = {
    FONT_REGULAR: "DejaVuSans.ttf",
    FONT_BOLD: "DejaVuSans-Bold.ttf",
    FONT_ITALIC: "DejaVuSans-Oblique.ttf",
    FONT_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
}

# Calm palette: dark slate text on white, one accent for the confidentiality marking.
INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#52606D")
RULE = colors.HexColor("#9AA5B1")
GRID = colors.HexColor("#C3CAD2")
ZEBRA = colors.HexColor("#F2F4F7")
HEADER_FILL = colors.HexColor("#E1E6EC")
ACCENT = colors.HexColor("#2F5D8A")
CONFIDENTIAL_RED = colors.HexColor("#9B1C1C")

_lock = threading.Lock()
_glyphs: frozenset[int] | None = None

# Characters that draw nothing: when the font lacks one of these, dropping it loses
# nothing a reader could see, whereas a replacement mark would add noise (an emoji
# with a variation selector would otherwise print as two marks).
_INVISIBLE_CATEGORIES = frozenset({"Cf"})
_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})


def _load_fonts() -> frozenset[int]:
    fonts_dir = resources.files("resources") / "fonts"
    coverage: frozenset[int] | None = None
    for name, filename in _FONT_FILES.items():
        # Read through importlib.resources so an installed (even zipped) package works,
        # not only a source checkout.
        data = (fonts_dir / filename).read_bytes()
        font = TTFont(name, io.BytesIO(data))
        pdfmetrics.registerFont(font)
        chars = frozenset(font.face.charToGlyph)
        # Text may be set in any of the four faces (bold headers, italic notes), so a
        # character counts as printable only when every face has it.
        coverage = chars if coverage is None else coverage & chars
    pdfmetrics.registerFontFamily(
        FONT_FAMILY,
        normal=FONT_REGULAR,
        bold=FONT_BOLD,
        italic=FONT_ITALIC,
        boldItalic=FONT_BOLD_ITALIC,
    )
    assert coverage is not None
    return coverage


def ensure_fonts() -> None:
    """Register the CasebookSans family with reportlab (first call only; thread-safe)."""
    _glyph_set()


def _glyph_set() -> frozenset[int]:
    global _glyphs
    if _glyphs is None:
        # Reports are built on worker threads; two first calls must not both register.
        with _lock:
            if _glyphs is None:
                _glyphs = _load_fonts()
    return _glyphs


@cache
def _replacement() -> str:
    return "\ufffd" if 0xFFFD in _glyph_set() else "?"


def plain_text(text: str, *, keep_newlines: bool = True) -> str:
    """Return *text* with only characters the embedded font can print.

    For strings drawn directly on a canvas or in a chart (no markup). NFC
    normalisation first, so a name typed with combining accents uses the font's
    precomposed letters. C0/C1 control characters other than tab and newline are
    removed; lone surrogates, emoji, CJK and anything else the font lacks become
    U+FFFD (or "?" if the font had no such glyph). With ``keep_newlines=False``
    line breaks and tabs become spaces, for one-line places such as page headers.
    """
    glyphs = _glyph_set()
    # Most table cells are short ASCII; every printable ASCII character has a glyph.
    if text.isascii() and text.isprintable():
        return text
    replacement = _replacement()
    # A lone surrogate cannot be normalised or encoded; swap it out before NFC.
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        text = "".join(replacement if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").translate(_LINE_BREAKS))
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch in "\n\t":
            out.append(ch if keep_newlines else " ")
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            continue
        elif code in glyphs:
            out.append(ch)
        elif unicodedata.category(ch) in _INVISIBLE_CATEGORIES or 0xFE00 <= code <= 0xFE0F:
            continue
        elif unicodedata.category(ch) in ("Mn", "Me") and out and out[-1] == replacement:
            # A mark or skin-tone modifier on a character already replaced belongs to
            # that one unprintable cluster: one mark for it is enough.
            continue
        elif 0x1F3FB <= code <= 0x1F3FF and out and out[-1] == replacement:
            continue
        else:
            out.append(replacement)
    return "".join(out)


def safe_text(text: str, *, line_breaks: bool = False) -> str:
    """Return *text* ready to put inside Paragraph markup.

    Everything ``plain_text`` does, then XML escaping, so user data can never inject
    markup or break the parser. With ``line_breaks=True`` newlines become ``<br/>``
    (for multi-line free text such as note bodies); otherwise they are plain spaces,
    as Paragraph would treat them anyway.
    """
    cleaned = escape(plain_text(text))
    if line_breaks:
        return cleaned.replace("\n", "<br/>")
    return cleaned


def has_glyph(char: str) -> bool:
    """Whether every CasebookSans face can print *char* (one code point)."""
    return ord(char) in _glyph_set()


@dataclass(frozen=True)
class ReportStyles:
    """The paragraph styles of every document, in CasebookSans."""

    title: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    muted: ParagraphStyle
    cell: ParagraphStyle
    header_cell: ParagraphStyle
    label_cell: ParagraphStyle
    notice: ParagraphStyle


@cache
def styles() -> ReportStyles:
    """Return the shared styles (built once; treat them as read-only)."""
    ensure_fonts()
    body = ParagraphStyle(
        "CasebookBody",
        fontName=FONT_REGULAR,
        fontSize=10,
        leading=14,
        textColor=INK,
        alignment=TA_LEFT,
        spaceAfter=4,
        # A long e-mail address or URL in a narrow cell must wrap, not overflow;
        # a double-barrelled name should break at its hyphen first.
        splitLongWords=1,
        embeddedHyphenation=1,
    )
    cell = ParagraphStyle(
        "CasebookCell", parent=body, fontSize=9, leading=11.5, spaceAfter=0, spaceBefore=0
    )
    return ReportStyles(
        title=ParagraphStyle(
            "CasebookTitle",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=16,
            leading=20,
            spaceAfter=8,
            keepWithNext=1,
        ),
        heading=ParagraphStyle(
            "CasebookHeading",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=12.5,
            leading=16,
            spaceBefore=12,
            spaceAfter=5,
            textColor=ACCENT,
            keepWithNext=1,
        ),
        subheading=ParagraphStyle(
            "CasebookSubheading",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=10.5,
            leading=14,
            spaceBefore=8,
            spaceAfter=3,
            keepWithNext=1,
        ),
        body=body,
        small=ParagraphStyle("CasebookSmall", parent=body, fontSize=8.5, leading=11),
        muted=ParagraphStyle("CasebookMuted", parent=body, fontSize=9, leading=12, textColor=MUTED),
        cell=cell,
        header_cell=ParagraphStyle("CasebookHeaderCell", parent=cell, fontName=FONT_BOLD),
        label_cell=ParagraphStyle("CasebookLabelCell", parent=cell, textColor=MUTED),
        notice=ParagraphStyle(
            "CasebookNotice", parent=body, fontSize=7.5, leading=9.5, spaceAfter=0
        ),
    )
