"""Trend charts of assessment totals for printed summaries.

Drawn with plain reportlab.graphics shapes rather than a chart widget so the
result is fully under our control: a small, quiet line chart that survives
greyscale printing, with severity bands as light tints labelled in words (colour
is never the only cue) and an optional dashed cut-off line (BARC-10 at 47).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from casebook.i18n import tr
from casebook.reports.base import format_date, format_date_short
from casebook.reports.bidi import visual
from casebook.reports.fonts import Anchor, font_runs, text_width
from casebook.reports.styles import (
    ACCENT,
    FONT_BOLD,
    FONT_REGULAR,
    GRID,
    INK,
    MUTED,
    RULE,
    ensure_fonts,
    plain_text,
)

# One hue from very light to light: the order of the bands shows, but no band reads
# as "good" or "bad" by colour alone, which would be wrong for higher-is-better scales.
_BAND_TINTS = (
    colors.HexColor("#F3F6F9"),
    colors.HexColor("#E6EDF4"),
    colors.HexColor("#D8E3EE"),
    colors.HexColor("#C9D8E7"),
    colors.HexColor("#BACDE0"),
)
_CUTOFF_COLOUR = colors.HexColor("#8A4B08")

_LABEL_SIZE = 7.0
_TITLE_SIZE = 9.0
_PAD_LEFT = 30.0  # y-axis numbers
_PAD_RIGHT = 88.0  # band and cut-off labels
_PAD_BOTTOM = 22.0  # date labels
_PAD_TOP_TITLE = 18.0
_PAD_TOP_PLAIN = 8.0
_INSET = 10.0  # keeps first and last markers off the plot edges
_MAX_VALUE_LABELS = 12


def _fit(text: str, font: str, size: float, width: float) -> str:
    if text_width(text, font, size) <= width:
        return text
    while text and text_width(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…" if text else ""


def _add_text(
    drawing: Drawing,
    x: float,
    y: float,
    text: str,
    font: str,
    size: float,
    colour: object,
    anchor: Anchor = "start",
) -> None:
    """Add *text* as one String per font run: a String has a single font, and a
    translated label or title may hold characters only the CJK fallback has. *text*
    is in logical order; a Hebrew or Arabic label is drawn in display order."""
    shown = text if text.isascii() else visual(text)
    runs = font_runs(shown, font)
    if len(runs) == 1:
        drawing.add(
            String(
                x, y, shown, fontName=runs[0][1], fontSize=size, fillColor=colour, textAnchor=anchor
            )
        )
        return
    if anchor != "start":
        width = text_width(text, font, size)
        x -= width if anchor == "end" else width / 2
    for piece, name in runs:
        drawing.add(String(x, y, piece, fontName=name, fontSize=size, fillColor=colour))
        x += stringWidth(piece, name, size)


def _side_label(text: str, font: str, width: float, max_lines: int) -> list[str]:
    """Break a right-hand label into at most *max_lines* lines of *width*."""
    words = plain_text(text, keep_newlines=False).split()
    lines: list[str] = []
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and text_width(f"{line} {words[0]}", font, _LABEL_SIZE) <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:
        lines[-1] = f"{lines[-1]} {' '.join(words)}"
    return [_fit(line, font, _LABEL_SIZE, width) for line in lines]


def _add_side_label(
    drawing: Drawing, lines: list[str], x: float, centre_y: float, font: str, colour: object
) -> None:
    leading = _LABEL_SIZE + 1.5
    # Centre the block of lines on centre_y; each baseline sits a third of the size
    # below the visual middle of its line.
    first = centre_y + (len(lines) - 1) * leading / 2 - _LABEL_SIZE / 3
    for i, line in enumerate(lines):
        _add_text(drawing, x, first - i * leading, line, font, _LABEL_SIZE, colour)


def _tick_step(span: int) -> int:
    """A round step giving at most about six horizontal grid lines."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if span / step <= 6:
            return step
    return max(1, math.ceil(span / 6))


def _date_ticks(first: date, last: date, slots: int) -> list[date]:
    """Evenly spaced dates from *first* to *last*, both included, without repeats."""
    days = (last - first).days
    if days == 0 or slots < 2:
        return [first]
    count = min(slots, days + 1)
    ticks: list[date] = []
    for i in range(count):
        tick = date.fromordinal(first.toordinal() + round(days * i / (count - 1)))
        if not ticks or tick != ticks[-1]:
            ticks.append(tick)
    return ticks


def trend_chart(
    points: Sequence[tuple[date, int]],
    *,
    y_min: int,
    y_max: int,
    bands: Sequence[tuple[int, int, str]] = (),
    cutoff: int | None = None,
    cutoff_label: str = "",
    title: str = "",
    width: float = 460.0,
    height: float = 180.0,
    locale_name: str | None = None,
) -> Drawing:
    """A line chart of assessment totals over time, as a platypus-ready Drawing.

    *bands* are inclusive score ranges with a label (PHQ-9: (0, 4, "Minimal"),
    (5, 9, "Mild"), ...), shaded and labelled at the right. *cutoff* draws a dashed
    line at that score with *cutoff_label*. Scores outside y_min..y_max are drawn
    at the edge. Dates use the reader's locale (see ``format_date``).
    """
    if y_max <= y_min:
        raise ValueError("trend_chart needs y_max greater than y_min")
    ensure_fonts()
    drawing = Drawing(width, height)
    top_pad = _PAD_TOP_TITLE if title else _PAD_TOP_PLAIN
    plot_x = _PAD_LEFT
    plot_y = _PAD_BOTTOM
    plot_w = max(width - _PAD_LEFT - _PAD_RIGHT, 40.0)
    plot_h = max(height - _PAD_BOTTOM - top_pad, 30.0)

    if title:
        _add_text(
            drawing,
            0,
            height - _TITLE_SIZE - 2,
            _fit(plain_text(title, keep_newlines=False), FONT_BOLD, _TITLE_SIZE, width),
            FONT_BOLD,
            _TITLE_SIZE,
            INK,
        )

    def y_at(score: float) -> float:
        clamped = min(max(score, y_min), y_max)
        return plot_y + (clamped - y_min) / (y_max - y_min) * plot_h

    label_x = plot_x + plot_w + 5
    label_room = width - label_x

    # Bands first so grid lines and data sit on top. Half a point either side makes
    # neighbouring integer ranges (0-4, 5-9) meet without a gap.
    for index, (low, high, label) in enumerate(bands):
        lo = y_at(low - 0.5)
        hi = y_at(high + 0.5)
        if hi <= lo:
            continue
        drawing.add(
            Rect(
                plot_x,
                lo,
                plot_w,
                hi - lo,
                fillColor=_BAND_TINTS[index % len(_BAND_TINTS)],
                strokeColor=None,
            )
        )
        if label and hi - lo >= _LABEL_SIZE * 0.8:
            max_lines = 2 if hi - lo >= 2 * (_LABEL_SIZE + 1.5) else 1
            lines = _side_label(label, FONT_REGULAR, label_room, max_lines)
            _add_side_label(drawing, lines, label_x, (lo + hi) / 2, FONT_REGULAR, MUTED)

    step = _tick_step(y_max - y_min)
    first_tick = math.ceil(y_min / step) * step
    for value in range(first_tick, y_max + 1, step):
        y = y_at(value)
        drawing.add(Line(plot_x, y, plot_x + plot_w, y, strokeColor=GRID, strokeWidth=0.35))
        drawing.add(
            String(
                plot_x - 4,
                y - _LABEL_SIZE / 3,
                str(value),
                fontName=FONT_REGULAR,
                fontSize=_LABEL_SIZE,
                fillColor=MUTED,
                textAnchor="end",
            )
        )
    drawing.add(
        Rect(plot_x, plot_y, plot_w, plot_h, fillColor=None, strokeColor=RULE, strokeWidth=0.6)
    )

    cutoff_y: float | None = None
    if cutoff is not None and y_min <= cutoff <= y_max:
        y = cutoff_y = y_at(cutoff)
        drawing.add(
            Line(
                plot_x,
                y,
                plot_x + plot_w,
                y,
                strokeColor=_CUTOFF_COLOUR,
                strokeWidth=1,
                strokeDashArray=[4, 3],
            )
        )
        text = cutoff_label or tr("Cut-off {value}").format(value=cutoff)
        lines = _side_label(text, FONT_BOLD, label_room, 2)
        _add_side_label(drawing, lines, label_x, y, FONT_BOLD, _CUTOFF_COLOUR)

    ordered = sorted(points, key=lambda p: p[0])
    if not ordered:
        message = plain_text(tr("No assessments yet"), keep_newlines=False)
        box_w = text_width(message, FONT_REGULAR, 9) + 16
        drawing.add(
            Rect(
                plot_x + (plot_w - box_w) / 2,
                plot_y + plot_h / 2 - 9,
                box_w,
                18,
                rx=3,
                ry=3,
                fillColor=colors.white,
                strokeColor=GRID,
                strokeWidth=0.5,
            )
        )
        _add_text(
            drawing,
            plot_x + plot_w / 2,
            plot_y + plot_h / 2 - 3,
            message,
            FONT_REGULAR,
            9,
            MUTED,
            anchor="middle",
        )
        return drawing

    first_day, last_day = ordered[0][0], ordered[-1][0]
    span_days = (last_day - first_day).days
    inner_w = plot_w - 2 * _INSET

    def x_at(day: date) -> float:
        if span_days == 0:
            return plot_x + plot_w / 2
        return plot_x + _INSET + (day - first_day).days / span_days * inner_w

    # Within one year day and month suffice; across years the full date avoids
    # guessing which January is meant.
    same_year = first_day.year == last_day.year
    sample = (
        format_date_short(first_day, locale_name)
        if same_year
        else format_date(first_day, locale_name)
    )
    slots = max(2, int(inner_w // (stringWidth(sample, FONT_REGULAR, _LABEL_SIZE) + 14)))
    for tick in _date_ticks(first_day, last_day, slots):
        x = x_at(tick)
        drawing.add(Line(x, plot_y, x, plot_y - 3, strokeColor=RULE, strokeWidth=0.6))
        label = (
            format_date_short(tick, locale_name) if same_year else format_date(tick, locale_name)
        )
        drawing.add(
            String(
                x,
                plot_y - 3 - _LABEL_SIZE - 1,
                label,
                fontName=FONT_REGULAR,
                fontSize=_LABEL_SIZE,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )

    coords = [(x_at(day), y_at(score)) for day, score in ordered]
    if len(coords) > 1:
        flat = [value for xy in coords for value in xy]
        drawing.add(PolyLine(flat, strokeColor=ACCENT, strokeWidth=1.5))
    # With few points every total is printed; with many only the latest, so the
    # numbers never pile up on each other.
    show_all = len(coords) <= _MAX_VALUE_LABELS
    for index, ((x, y), (_, score)) in enumerate(zip(coords, ordered, strict=True)):
        drawing.add(Circle(x, y, 2.4, fillColor=ACCENT, strokeColor=colors.white, strokeWidth=0.6))
        if show_all or index == len(coords) - 1:
            above = y + 4
            # Below the marker instead when above would leave the plot or sit on the
            # cut-off line (where the dashes make the digits hard to read).
            crosses_cutoff = cutoff_y is not None and above - 1 <= cutoff_y <= above + _LABEL_SIZE
            if above + _LABEL_SIZE > plot_y + plot_h or crosses_cutoff:
                above = y - 4 - _LABEL_SIZE
            drawing.add(
                String(
                    x,
                    above,
                    str(score),
                    fontName=FONT_BOLD,
                    fontSize=_LABEL_SIZE,
                    fillColor=INK,
                    textAnchor="middle",
                )
            )
    return drawing
