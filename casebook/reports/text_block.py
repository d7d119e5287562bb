"""Blocks of plain user text, right-to-left paragraphs included.

``text_block`` is what a document uses for text someone typed (note bodies, goals,
table cells that may wrap). Left-to-right text becomes a reportlab Paragraph as
before. Text with Hebrew or Arabic letters becomes a ``LinesParagraph``: Paragraph
breaks lines on the string it is given, and that string would have to be in display
order already, so a wrapped Hebrew paragraph would begin with its last words.
``LinesParagraph`` breaks the logical text and draws each line in display order, a
right-to-left paragraph set flush right.
"""

from __future__ import annotations

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph

from casebook.reports.bidi import has_rtl
from casebook.reports.fonts import draw_text, wrap_lines
from casebook.reports.styles import plain_text, safe_text

__all__ = ["LinesParagraph", "text_block"]

# A line of text (logical order), whether its paragraph reads right to left, and
# whether it is set flush right.
_Line = tuple[str, bool, bool]


def text_block(text: str, style: ParagraphStyle, *, line_breaks: bool = True) -> Flowable:
    """A flowable for plain user *text* in *style* (escaped; newlines kept unless
    *line_breaks* is False; characters no font has replaced)."""
    if has_rtl(text):
        clean = plain_text(text, keep_newlines=line_breaks)
        return LinesParagraph(clean, style)
    return Paragraph(safe_text(text, line_breaks=line_breaks), style)


class LinesParagraph(Flowable):
    """Plain text broken into lines on its logical order, each line drawn in display
    order; it splits between lines at a page or cell end like a Paragraph.

    A right-to-left paragraph that wraps is set flush right, so its lines start at
    the same edge as a reader's eye does; one that fits on one line stays at the left
    like the labels and headings around it.
    """

    def __init__(
        self,
        text: str,
        style: ParagraphStyle,
        lines: list[_Line] | None = None,
    ) -> None:
        super().__init__()
        self.text = text
        self.style = style
        self._lines = lines
        # The width the lines were broken for; a split part keeps the lines it was given.
        self._broken_for: float | None = None
        self._keep_lines = lines is not None
        self.spaceBefore = style.spaceBefore
        self.spaceAfter = style.spaceAfter

    def _broken(self, width: float) -> list[_Line]:
        if self._lines is None or (not self._keep_lines and self._broken_for != width):
            style = self.style
            lines: list[_Line] = []
            for paragraph in self.text.split("\n"):
                broken = wrap_lines(paragraph, style.fontName, style.fontSize, width)
                # Each line remembers whether its paragraph wrapped: a split part
                # holding only its last line is still set flush right.
                lines += [(line, rtl, rtl and len(broken) > 1) for line, rtl in broken]
            self._lines = lines
            self._broken_for = width
        return self._lines

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        lines = self._broken(availWidth)
        self.width = availWidth
        self.height = len(lines) * float(self.style.leading)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        lines = self._broken(availWidth)
        fit = int(availHeight // float(self.style.leading))
        if fit <= 0 or fit >= len(lines):
            return []
        head = LinesParagraph(self.text, self.style, lines[:fit])
        tail = LinesParagraph(self.text, self.style, lines[fit:])
        head.spaceAfter = 0
        tail.spaceBefore = 0
        return [head, tail]

    def draw(self) -> None:
        style = self.style
        canvas = self.canv
        canvas.setFillColor(style.textColor)
        baseline = self.height - float(style.fontSize)
        for line, rtl, right in self._lines or []:
            if line:
                draw_text(
                    canvas,
                    self.width if right else 0.0,
                    baseline,
                    line,
                    style.fontName,
                    style.fontSize,
                    anchor="end" if right else "start",
                    rtl=rtl,
                )
            baseline -= float(style.leading)

    def __repr__(self) -> str:
        return f"<LinesParagraph {self.text[:30]!r}>"
