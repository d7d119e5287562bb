"""The fonts of printed documents, and per-character fallback between them.

Reports are set in DejaVu Sans (the CasebookSans family), which covers Latin, Greek,
Cyrillic and much more but no Chinese, Japanese or Korean. Participants with such
names are served too, so those characters are set in WenQuanYi Micro Hei
(``FONT_FALLBACK``, shipped in ``resources/fonts`` with its licence), a TrueType font
with the CJK ideographs, kana and Hangul syllables that reportlab can embed.

reportlab uses one font per run of text and has no fallback of its own, so text is
cut into runs here: ``font_runs`` says which font sets each piece. Paragraphs get the
pieces in ``<font>`` tags (``fallback_markup``); text drawn straight on a canvas goes
through ``draw_text`` and is measured with ``text_width`` so a CJK name is neither
clipped nor drawn over its neighbour. The fallback has no bold or italic; inside a
bold run its regular face is used, which reads well enough for a name. DejaVu's
oblique faces lack Arabic, so Arabic inside italic text is set upright.

Hebrew and Arabic are set right to left: ``draw_text`` and ``text_width`` take a line
in logical order and draw it in display order (``bidi.visual``), so callers break
lines on the logical text and draw each line.

Pure ASCII, most of any report, never looks at the coverage tables, and the fallback
font file is only read the first time a character needs it.
"""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from importlib import resources
from typing import Literal, TypeAlias
from xml.sax.saxutils import escape

from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from casebook.reports.bidi import base_is_rtl, has_rtl, visual

__all__ = [
    "FONT_BOLD",
    "FONT_BOLD_ITALIC",
    "FONT_FALLBACK",
    "FONT_FAMILY",
    "FONT_ITALIC",
    "FONT_REGULAR",
    "Run",
    "can_print",
    "draw_text",
    "ensure_fonts",
    "fallback_markup",
    "font_runs",
    "has_glyph",
    "main_glyphs",
    "split_lines",
    "text_width",
    "wrap_lines",
]

FONT_FAMILY = "CasebookSans"
FONT_REGULAR = FONT_FAMILY
FONT_BOLD = f"{FONT_FAMILY}-Bold"
FONT_ITALIC = f"{FONT_FAMILY}-Italic"
FONT_BOLD_ITALIC = f"{FONT_FAMILY}-BoldItalic"
FONT_FALLBACK = "CasebookCJK"

_FONT_FILES: dict[str, str] = {
    FONT_REGULAR: "DejaVuSans.ttf",
    FONT_BOLD: "DejaVuSans-Bold.ttf",
    FONT_ITALIC: "DejaVuSans-Oblique.ttf",
    FONT_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
}
_FALLBACK_FILE = "wqy-microhei.ttc"
# The collection holds the proportional face first and a monospaced one second.
_FALLBACK_INDEX = 0

#: A piece of text and the registered font that sets it.
Run: TypeAlias = tuple[str, str]
Anchor: TypeAlias = Literal["start", "middle", "end"]

# The face of the same weight a character missing from an oblique face is set in.
_UPRIGHT = {FONT_ITALIC: FONT_REGULAR, FONT_BOLD_ITALIC: FONT_BOLD}

_lock = threading.Lock()
_main: frozenset[str] | None = None
_faces: dict[str, frozenset[str]] = {}
_fallback: frozenset[str] | None = None


def _font_file(filename: str) -> io.BytesIO:
    # Read through importlib.resources so an installed (even zipped) package works,
    # not only a source checkout.
    return io.BytesIO((resources.files("resources") / "fonts" / filename).read_bytes())


def _load_main() -> frozenset[str]:
    coverage: frozenset[str] | None = None
    for name, filename in _FONT_FILES.items():
        font = TTFont(name, _font_file(filename))
        pdfmetrics.registerFont(font)
        chars = frozenset(chr(code) for code in font.face.charToGlyph)
        _faces[name] = chars
        # Text may be set in any of the four faces (bold headers, italic notes), so a
        # character counts as the main font's only when every face has it.
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


def _main_chars() -> frozenset[str]:
    global _main
    if _main is None:
        # Reports are built on worker threads; two first calls must not both register.
        with _lock:
            if _main is None:
                _main = _load_main()
    return _main


def _fallback_chars() -> frozenset[str]:
    """Characters only the fallback font has (registering it on first use)."""
    global _fallback
    if _fallback is None:
        main = _main_chars()
        with _lock:
            if _fallback is None:
                font = TTFont(
                    FONT_FALLBACK, _font_file(_FALLBACK_FILE), subfontIndex=_FALLBACK_INDEX
                )
                # One face for all four styles, so <b> and <i> around a fallback run
                # in a Paragraph still find a font instead of raising.
                pdfmetrics.registerFont(font)
                pdfmetrics.registerFontFamily(FONT_FALLBACK, normal=FONT_FALLBACK)
                chars = frozenset(chr(code) for code in font.face.charToGlyph)
                _fallback = chars - main - _faces[FONT_REGULAR]
    return _fallback


def ensure_fonts() -> None:
    """Register the CasebookSans family with reportlab (first call only; thread-safe).

    The fallback font is registered when first needed (see ``font_runs``).
    """
    _main_chars()


def main_glyphs() -> frozenset[str]:
    """The characters every CasebookSans face has (registering the fonts if needed)."""
    return _main_chars()


def has_glyph(char: str) -> bool:
    """Whether every CasebookSans face can print *char* (one code point)."""
    return char in _main_chars()


def can_print(char: str) -> bool:
    """Whether *char* (one code point) prints in CasebookSans or in the fallback font.

    A character only the upright faces have (Arabic) counts: italic text sets it
    upright.
    """
    return char in _main_chars() or char in _faces[FONT_REGULAR] or char in _fallback_chars()


def font_runs(text: str, font: str) -> tuple[Run, ...]:
    """*text* cut into runs of the font that sets each piece.

    *font* is the CasebookSans face the text is meant to be in; characters that
    face lacks and the fallback has go in ``FONT_FALLBACK`` runs. Anything neither
    font has stays in *font* (``styles.plain_text`` has replaced it already).
    """
    if text.isascii():
        return ((text, font),)
    return _runs(text, font)


@lru_cache(maxsize=8192)
def _runs(text: str, font: str) -> tuple[Run, ...]:
    # Names and labels repeat down a long report: cut each (text, font) once.
    main = _main_chars()
    if main.issuperset(text):
        return ((text, font),)
    fallback = _fallback_chars()
    own = _faces.get(font, main)
    upright = _faces.get(_UPRIGHT.get(font, font), own)
    runs: list[Run] = []
    start = 0
    current = font
    for index, char in enumerate(text):
        if char in main or char in own:
            wanted = font
        elif char in upright:
            wanted = _UPRIGHT.get(font, font)
        elif char in fallback:
            wanted = FONT_FALLBACK
        else:
            wanted = font
        if wanted != current:
            if index > start:
                runs.append((text[start:index], current))
            start, current = index, wanted
    runs.append((text[start:], current))
    return tuple(runs)


def _single(text: str, font: str) -> bool:
    return text.isascii() or font_runs(text, font) == ((text, font),)


def text_width(text: str, font: str, size: float) -> float:
    """Width in points of *text* (one line) as ``draw_text`` sets it (fallback runs
    and joined Arabic letters included)."""
    if _main is None:
        ensure_fonts()
    if text.isascii():
        return float(stringWidth(text, font, size))
    text = visual(text)
    runs = font_runs(text, font)
    if len(runs) == 1:
        return float(stringWidth(text, runs[0][1], size))
    return float(sum(stringWidth(chunk, name, size) for chunk, name in runs))


def fallback_markup(text: str) -> str:
    """*text* escaped for Paragraph markup, with the characters CasebookSans lacks
    wrapped in ``<font name="CasebookCJK">`` tags.

    *text* is plain user text that went through ``styles.plain_text``; every piece
    is XML-escaped, so markup in the text is printed, never interpreted. Each line
    with right-to-left letters is put in display order: right for a name or a short
    value; a paragraph that wraps needs ``styles.text_block`` instead.
    """
    if text.isascii():
        return escape(text)
    if has_rtl(text):
        text = "\n".join(visual(line) for line in text.split("\n"))
    return "".join(
        f'<font name="{FONT_FALLBACK}">{escape(chunk)}</font>'
        if name == FONT_FALLBACK
        else escape(chunk)
        for chunk, name in font_runs(text, FONT_REGULAR)
    )


def draw_text(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    font: str,
    size: float,
    *,
    anchor: Anchor = "start",
    rtl: bool | None = None,
) -> None:
    """Draw one line of *text* (logical order) at baseline *y*, switching to the
    fallback font for the characters *font* lacks. *anchor* says whether *x* is the
    start, middle or end. *rtl* is the direction of the paragraph a broken line came
    from (by default the line's first letter decides).

    The canvas is left in *font* at *size*, as ``setFont`` would leave it.
    """
    if anchor != "start":
        width = text_width(text, font, size)
        x -= width if anchor == "end" else width / 2
    if not text.isascii():
        text = visual(text, rtl)
    if _single(text, font):
        canvas.setFont(font, size)
        canvas.drawString(x, y, text)
        return
    # One text object for the whole line, as drawString would make: a PDF reader
    # then extracts, searches and reads aloud the name as one piece of text.
    line = canvas.beginText(x, y)
    for chunk, name in font_runs(text, font):
        line.setFont(name, size)
        line.textOut(chunk)
    canvas.drawText(line)
    canvas.setFont(font, size)


def split_lines(text: str, font: str, size: float, width: float) -> list[str]:
    """Break one paragraph of *text* at spaces into lines no wider than *width*, as
    reportlab's ``simpleSplit`` does, but measuring fallback runs in their own font.

    A word wider than *width* is left whole on its own line; the caller decides how
    to break it.
    """
    if _single(text, font):
        lines: list[str] = simpleSplit(text, font, size, width)
        return lines
    result: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if not line or text_width(candidate, font, size) <= width:
            line = candidate
        else:
            result.append(line)
            line = word
    if line:
        result.append(line)
    return result


def wrap_lines(text: str, font: str, size: float, width: float) -> list[tuple[str, bool]]:
    """Lines of plain *text* (newlines kept) no wider than *width*, in logical order,
    each with whether its paragraph reads right to left (for ``draw_text``'s *rtl*).
    A word longer than a line is broken where it runs out of room."""
    lines: list[tuple[str, bool]] = []
    for paragraph in text.split("\n"):
        rtl = has_rtl(paragraph) and base_is_rtl(paragraph)
        for line in split_lines(paragraph, font, size, width) or [""]:
            while len(line) > 1 and text_width(line, font, size) > width:
                cut = len(line) - 1
                while cut > 1 and text_width(line[:cut], font, size) > width:
                    cut -= 1
                lines.append((line[:cut], rtl))
                line = line[cut:]
            lines.append((line, rtl))
    return lines
