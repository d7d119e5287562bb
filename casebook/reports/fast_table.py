"""A plain text grid drawn as one flowable: the caseload report's long tables.

``base.data_table`` builds a platypus Table, which saves and restores the canvas
state, translates and draws a flowable for every cell; for a 2,000-participant
caseload that is most of the build time. Here every cell is plain text, so a page
of rows is drawn with one text object, the zebra stripes as rectangles and the grid
as a handful of lines, and the rows are measured once. The look matches
``data_table``: the same fonts, padding, header fill, stripes and rules, header
repeated on every page. A row never splits across pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from reportlab.platypus import Flowable

from casebook.reports.bidi import visual
from casebook.reports.fonts import font_runs, text_width, wrap_lines
from casebook.reports.styles import (
    FONT_BOLD,
    FONT_REGULAR,
    GRID,
    HEADER_FILL,
    INK,
    RULE,
    ZEBRA,
    ensure_fonts,
    plain_text,
)

_SIZE = 9.0
_LEADING = 11.5
_PAD_X = 4.0
_PAD_TOP = 2.5
_PAD_BOTTOM = 3.5


@dataclass(frozen=True)
class _Row:
    lines: tuple[tuple[str, ...], ...]  # per cell, its wrapped lines
    height: float
    bold: bool


@lru_cache(maxsize=8192)
def _width(text: str, font: str) -> float:
    # Statuses, dashes and dates repeat down a long caseload: measure each once.
    return text_width(text, font, _SIZE)


def _wrap(text: str, font: str, width: float) -> tuple[str, ...]:
    """Lines of *text* no wider than *width*; a word longer than a line is broken.

    Widths count CJK characters in the fallback font they are drawn in, so a long
    Chinese or Korean name wraps instead of running into the next column.
    """
    clean = plain_text(text)
    if "\n" not in clean and _width(clean, font) <= width:
        return (clean if clean.isascii() else visual(clean),)
    # Broken on the logical text, then each line in display order (right-to-left).
    return tuple(visual(line, rtl) for line, rtl in wrap_lines(clean, font, _SIZE, width))


def _row(cells: Sequence[str], widths: Sequence[float], bold: bool) -> _Row:
    font = FONT_BOLD if bold else FONT_REGULAR
    lines = tuple(_wrap(c, font, w - 2 * _PAD_X) for c, w in zip(cells, widths, strict=True))
    tallest = max((len(cell) for cell in lines), default=1)
    return _Row(lines, tallest * _LEADING + _PAD_TOP + _PAD_BOTTOM, bold)


class FastTable(Flowable):
    """Header plus rows of plain text in fixed column widths (points).

    *bold_rows* are body row indexes drawn in bold on the header fill (totals).
    """

    def __init__(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        bold_rows: Sequence[int] = (),
        _prepared: tuple[_Row, list[_Row]] | None = None,
    ) -> None:
        super().__init__()
        ensure_fonts()
        self._widths = [float(w) for w in widths]
        if _prepared is not None:
            self._header, self._rows = _prepared
        else:
            bold = set(bold_rows)
            self._header = _row(header, self._widths, True)
            self._rows = [_row(cells, self._widths, i in bold) for i, cells in enumerate(rows)]
        self.hAlign = "LEFT"

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = sum(self._widths)
        self.height = self._header.height + sum(r.height for r in self._rows)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        room = availHeight - self._header.height
        used, count = 0.0, 0
        for row in self._rows:
            if used + row.height > room:
                break
            used += row.height
            count += 1
        if count == 0 or count == len(self._rows):
            return [] if count == 0 else [self]
        head = FastTable((), (), self._widths, _prepared=(self._header, self._rows[:count]))
        tail = FastTable((), (), self._widths, _prepared=(self._header, self._rows[count:]))
        return [head, tail]

    def draw(self) -> None:
        canvas = self.canv
        width = sum(self._widths)
        rows = [self._header, *self._rows]
        tops: list[float] = []
        y = self.height
        for row in rows:
            tops.append(y)
            y -= row.height

        canvas.saveState()
        # Fills first: header and totals on the header colour, every other row striped.
        for index, (row, top) in enumerate(zip(rows, tops, strict=True)):
            fill = HEADER_FILL if row.bold else (ZEBRA if index % 2 == 0 else None)
            if fill is not None:
                canvas.setFillColor(fill)
                canvas.rect(0, top - row.height, width, row.height, stroke=0, fill=1)

        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.25)
        path = canvas.beginPath()
        x = 0.0
        for w in self._widths[:-1]:
            x += w
            path.moveTo(x, 0)
            path.lineTo(x, self.height)
        for top in tops[2:]:
            path.moveTo(0, top)
            path.lineTo(width, top)
        canvas.drawPath(path, stroke=1, fill=0)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.8)
        canvas.line(0, tops[0] - rows[0].height, width, tops[0] - rows[0].height)
        canvas.setLineWidth(0.5)
        canvas.rect(0, 0, width, self.height, stroke=1, fill=0)

        text = canvas.beginText()
        text.setFillColor(INK)
        current = ""
        for row, top in zip(rows, tops, strict=True):
            font = FONT_BOLD if row.bold else FONT_REGULAR
            x = 0.0
            for cell, w in zip(row.lines, self._widths, strict=True):
                baseline = top - _PAD_TOP - _SIZE
                for line in cell:
                    if line:
                        text.setTextOrigin(x + _PAD_X, baseline)
                        # textOut moves the cursor past what it drew, so a name in
                        # two fonts is drawn piece by piece at the right offsets.
                        for piece, piece_font in font_runs(line, font):
                            if piece_font != current:
                                text.setFont(piece_font, _SIZE, _LEADING)
                                current = piece_font
                            text.textOut(piece)
                    baseline -= _LEADING
                x += w
        canvas.drawText(text)
        canvas.restoreState()
