"""A participant's scores on one instrument over time, drawn with QPainter.

The severity bands of the instrument are shaded behind the line (BARC-10: below
and at-or-above the cut-off, with the 47 line drawn), the y axis shows the
instrument's score range, the x axis the dates, and every point carries its
total. Colours come from the palette (text, base, highlight) plus translucent
band tints, so the chart reads on the light and the dark theme alike.

``paint_chart`` draws into any rectangle of any QPainter, so a printed summary
can use the same drawing on a QPdfWriter page.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from casebook.measures import BAND_AT_OR_ABOVE_CUTOFF, InstrumentInfo, band_label

# Band tints: green (better) to red (worse). Drawn translucent over the base colour.
_BAND_TINTS: dict[str, str] = {
    "minimal": "#2e9d57",
    "mild": "#9bbf2e",
    "moderate": "#e0a31b",
    "moderately severe": "#e5672e",
    "severe": "#d23c3c",
    "below-cutoff": "#e0a31b",
    BAND_AT_OR_ABOVE_CUTOFF: "#2e9d57",
}
_MARGIN = 8.0


@dataclass(frozen=True)
class ChartGeometry:
    """Where things go inside the widget: the plot area and the scales."""

    plot: QRectF
    first: datetime | None
    last: datetime | None
    low: int
    high: int

    def x_for(self, when: datetime) -> float:
        if self.first is None or self.last is None or self.last <= self.first:
            return self.plot.center().x()
        # A little air at both ends so the first and last points are not on the axes.
        inner = self.plot.adjusted(self.plot.width() * 0.04, 0, -self.plot.width() * 0.04, 0)
        share = (when - self.first).total_seconds() / (self.last - self.first).total_seconds()
        return inner.left() + inner.width() * share

    def y_for(self, value: float) -> float:
        span = (self.high - self.low) or 1
        return self.plot.bottom() - self.plot.height() * (value - self.low) / span


def local_day(when: datetime) -> str:
    return when.astimezone().date().isoformat()


def y_ticks(info: InstrumentInfo) -> list[int]:
    """Band boundaries and the ends of the range (and tens for BARC-10)."""
    ticks = {info.min_total, info.max_total}
    ticks.update(low for low, _high, _band in info.bands)
    if info.cutoff is not None:
        # Tens in between, unless one would crowd a boundary's label.
        ticks.update(t for t in range(20, info.max_total, 10) if all(abs(t - b) > 4 for b in ticks))
    return sorted(ticks)


def geometry(
    rect: QRectF,
    info: InstrumentInfo,
    points: Sequence[tuple[datetime, int]],
    metrics: QFontMetricsF,
) -> ChartGeometry:
    label_width = max(metrics.horizontalAdvance(str(t)) for t in y_ticks(info))
    plot = QRectF(
        rect.left() + label_width + 2 * _MARGIN,
        rect.top() + metrics.height() + _MARGIN,
        rect.width() - label_width - 3 * _MARGIN,
        rect.height() - 2 * metrics.height() - 3 * _MARGIN,
    )
    first = points[0][0] if points else None
    last = points[-1][0] if points else None
    return ChartGeometry(plot, first, last, info.min_total, info.max_total)


def paint_chart(
    painter: QPainter,
    rect: QRectF,
    palette: QPalette,
    info: InstrumentInfo,
    points: Sequence[tuple[datetime, int]],
    empty_text: str,
    cutoff_text: str,
) -> ChartGeometry:
    """Draw the chart of *points* (oldest first) into *rect*; returns its geometry."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    dark = base.lightnessF() < 0.5
    painter.fillRect(rect, base)
    small = QFont(painter.font())
    small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
    painter.setFont(small)
    metrics = QFontMetricsF(small)
    geo = geometry(rect, info, points, metrics)
    plot = geo.plot

    # Bands, lightest first so their labels stay readable.
    for low, high, band in info.bands:
        tint = QColor(_BAND_TINTS.get(band, "#888888"))
        tint.setAlpha(70 if dark else 45)
        top, bottom = (
            geo.y_for(high + 0.5 if high < info.max_total else high),
            geo.y_for(low - 0.5 if low > info.min_total else low),
        )
        band_rect = QRectF(plot.left(), top, plot.width(), bottom - top)
        painter.fillRect(band_rect, tint)
        label = band_label(band) if info.cutoff is None else ""
        if label and band_rect.height() >= metrics.height():
            painter.setPen(text)
            painter.drawText(
                band_rect.adjusted(4, 0, -6, 0),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                label,
            )

    # Axes and the y scale.
    axis = QColor(text)
    axis.setAlpha(150)
    grid = QColor(text)
    grid.setAlpha(40)
    for tick in y_ticks(info):
        y = geo.y_for(tick)
        painter.setPen(QPen(grid, 1))
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        painter.setPen(text)
        painter.drawText(
            QRectF(
                rect.left(),
                y - metrics.height() / 2,
                plot.left() - rect.left() - _MARGIN,
                metrics.height(),
            ),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            str(tick),
        )
    painter.setPen(QPen(axis, 1))
    painter.drawLine(plot.bottomLeft(), plot.bottomRight())
    painter.drawLine(plot.bottomLeft(), plot.topLeft())

    if info.cutoff is not None:
        y = geo.y_for(info.cutoff)
        pen = QPen(text, 1.5, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        painter.drawText(
            QRectF(plot.left() + 6, y - metrics.height() - 2, plot.width(), metrics.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
            cutoff_text,
        )

    if not points:
        painter.setPen(text)
        painter.drawText(plot, int(Qt.AlignmentFlag.AlignCenter), empty_text)
        painter.restore()
        return geo

    # Dates under the axis: every point when they fit, otherwise as many as fit.
    positions = [QPointF(geo.x_for(when), geo.y_for(total)) for when, total in points]
    painter.setPen(text)
    right_edge = rect.left()
    for (when, _total), point in zip(points, positions, strict=True):
        label = local_day(when)
        width = metrics.horizontalAdvance(label)
        left = min(max(point.x() - width / 2, rect.left()), rect.right() - width)
        if left < right_edge + 8:
            continue
        painter.drawText(
            QRectF(left, plot.bottom() + _MARGIN / 2, width, metrics.height()),
            int(Qt.AlignmentFlag.AlignCenter),
            label,
        )
        right_edge = left + width

    # The dark palette's highlight is too dim for a thin line on a dark base; its link
    # colour is the same blue, lighter.
    accent = palette.color(QPalette.ColorRole.Link if dark else QPalette.ColorRole.Highlight)
    painter.setPen(QPen(accent, 2.5))
    for first, second in itertools.pairwise(positions):
        painter.drawLine(first, second)
    bold = QFont(small)
    bold.setBold(True)
    painter.setFont(bold)
    bold_metrics = QFontMetricsF(bold)
    for (_when, total), point in zip(points, positions, strict=True):
        painter.setPen(QPen(base, 2))
        painter.setBrush(accent)
        painter.drawEllipse(point, 5, 5)
        label = str(total)
        width = bold_metrics.horizontalAdvance(label) + 6
        above = point.y() - 8 - bold_metrics.height() >= plot.top()
        top = point.y() - 8 - bold_metrics.height() if above else point.y() + 8
        box = QRectF(point.x() - width / 2, top, width, bold_metrics.height())
        backdrop = QColor(base)
        backdrop.setAlpha(200)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(backdrop)
        painter.drawRoundedRect(box, 3, 3)
        painter.setPen(text)
        painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), label)
    painter.restore()
    return geo


class TrendChart(QWidget):
    """The chart as a widget; ``set_series`` gives it an instrument and its scores."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trendChart")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(180)
        self.info: InstrumentInfo | None = None
        self.points: tuple[tuple[datetime, int], ...] = ()

    def sizeHint(self) -> QSize:
        return QSize(640, 280)

    def set_series(self, info: InstrumentInfo, points: Sequence[tuple[datetime, int]]) -> None:
        """Show *points* ((administered_at, total), oldest first) of *info*'s instrument."""
        self.info = info
        self.points = tuple(points)
        summary = ", ".join(f"{local_day(when)}: {total}" for when, total in self.points)
        self.setAccessibleName(self.tr("{code} scores over time").format(code=info.code))
        self.setAccessibleDescription(summary or self.tr("No scores yet"))
        self.setToolTip(summary)
        self.update()

    def chart_geometry(self) -> ChartGeometry | None:
        if self.info is None:
            return None
        return geometry(QRectF(self.rect()), self.info, self.points, self._metrics())

    def point_positions(self) -> list[QPointF]:
        """Where each score is drawn, oldest first (for tests and tooltips)."""
        geo = self.chart_geometry()
        if geo is None:
            return []
        return [QPointF(geo.x_for(when), geo.y_for(total)) for when, total in self.points]

    def _metrics(self) -> QFontMetricsF:
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        return QFontMetricsF(small)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.info is None:
            return
        painter = QPainter(self)
        painter.setFont(self.font())
        paint_chart(
            painter,
            QRectF(self.rect()),
            self.palette(),
            self.info,
            self.points,
            self.tr("No {code} scores yet").format(code=self.info.code),
            self.tr("cut-off {n}").format(n=self.info.cutoff),
        )
        painter.end()


__all__ = ["ChartGeometry", "TrendChart", "geometry", "paint_chart", "y_ticks"]
