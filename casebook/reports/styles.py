"""Text cleaning and paragraph styles shared by every printed document.

Participant names come from many languages, so reports embed DejaVu Sans with a CJK
fallback font (``fonts``) instead of the 14 standard PDF fonts, which only cover
Latin-1. No pair of fonts covers everything: text that reaches a PDF goes through
``safe_text`` (Paragraph markup) or ``plain_text`` (canvas and chart strings) so a
character neither font has prints as a visible replacement mark rather than as an
empty box, a wrong glyph, or nothing at all.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle

from casebook.reports.fonts import (
    FONT_BOLD,
    FONT_BOLD_ITALIC,
    FONT_FALLBACK,
    FONT_FAMILY,
    FONT_ITALIC,
    FONT_REGULAR,
    can_print,
    ensure_fonts,
    fallback_markup,
    has_glyph,
    main_glyphs,
)

__all__ = [
    "ACCENT",
    "CONFIDENTIAL_RED",
    "FONT_BOLD",
    "FONT_BOLD_ITALIC",
    "FONT_FALLBACK",
    "FONT_FAMILY",
    "FONT_ITALIC",
    "FONT_REGULAR",
    "GRID",
    "HEADER_FILL",
    "INK",
    "MUTED",
    "RULE",
    "ZEBRA",
    "ReportStyles",
    "ensure_fonts",
    "has_glyph",
    "plain_text",
    "safe_text",
    "styles",
]

# Calm palette: dark slate text on white, one accent for the confidentiality marking.
INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#52606D")
RULE = colors.HexColor("#9AA5B1")
GRID = colors.HexColor("#C3CAD2")
ZEBRA = colors.HexColor("#F2F4F7")
HEADER_FILL = colors.HexColor("#E1E6EC")
ACCENT = colors.HexColor("#2F5D8A")
CONFIDENTIAL_RED = colors.HexColor("#9B1C1C")

# Characters that draw nothing: when the font lacks one of these, dropping it loses
# nothing a reader could see, whereas a replacement mark would add noise (an emoji
# with a variation selector would otherwise print as two marks).
_INVISIBLE_CATEGORIES = frozenset({"Cf"})
_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})


@cache
def _replacement() -> str:
    return "\ufffd" if has_glyph("\ufffd") else "?"


def plain_text(text: str, *, keep_newlines: bool = True) -> str:
    """Return *text* with only characters the embedded fonts can print.

    For strings drawn directly on a canvas or in a chart (no markup); draw the
    result with ``fonts.draw_text`` so CJK characters get the fallback font. NFC
    normalisation first, so a name typed with combining accents uses the font's
    precomposed letters. C0/C1 control characters other than tab and newline are
    removed; lone surrogates, emoji and anything else neither CasebookSans nor the
    CJK fallback has become U+FFFD (or "?" if the font had no such glyph). With
    ``keep_newlines=False`` line breaks and tabs become spaces, for one-line places
    such as page headers.
    """
    # Most table cells are short ASCII; every printable ASCII character has a glyph.
    if text.isascii() and text.isprintable():
        return text
    main = main_glyphs()
    # Most of the rest (accented names, dashes, arrows) is already clean: nothing to
    # drop, replace or compose, so the character loop below can be skipped.
    if text.isprintable() and main.issuperset(text) and unicodedata.is_normalized("NFC", text):
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
        elif ch in main or can_print(ch):
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
    markup or break the parser, and ``<font>`` tags around the characters only the
    CJK fallback font has (``fonts.fallback_markup``). With ``line_breaks=True``
    newlines become ``<br/>`` (for multi-line free text such as note bodies);
    otherwise they are plain spaces, as Paragraph would treat them anyway.
    """
    cleaned = fallback_markup(plain_text(text))
    if line_breaks:
        return cleaned.replace("\n", "<br/>")
    return cleaned


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
