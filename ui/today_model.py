"""The rows of one Today section as a Qt table model, and the badge that marks them.

Each section of the Today page (``ui.today_page``) is a small table over
``TodayItem`` read models: a badge (due, overdue, long overdue, safety), who, what,
when, and for supervisors whose item it is. The wording of "when" depends on the
kind of item ("3 days overdue", "expires in 12 days", "reached today").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from casebook.services import today as T
from casebook.services.today import TodayItem
from ui.caseload_model import format_name
from ui.form_parts import ntr
from ui.theme import flag_colors

_CONTEXT = "Today"

BADGE = 0
PARTICIPANT = 1
WHAT = 2
WHEN = 3
SPECIALIST = 4
COLUMN_COUNT = 5

#: The participant's database id (int).
ParticipantIdRole = Qt.ItemDataRole.UserRole + 1
#: The workspace tab key where the item is handled.
TabRole = Qt.ItemDataRole.UserRole + 2
#: The badge name ("due", "overdue", "long_overdue", "safety") or None.
FlagRole = Qt.ItemDataRole.UserRole + 3
#: The TodayItem itself.
ItemRole = Qt.ItemDataRole.UserRole + 4


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def column_title(column: int) -> str:
    return (
        _tr("Flag"),
        _tr("Participant"),
        _tr("What"),
        _tr("When"),
        _tr("Specialist"),
    )[column]


def badge_text(item: TodayItem) -> str:
    """The word in the badge; empty for items that need no mark (drafts, milestones)."""
    if item.flag == T.FLAG_SAFETY:
        return _tr("safety")
    if item.kind == T.CONSENTS:
        return _tr("expiring")
    if item.flag == T.FLAG_LONG_OVERDUE:
        return _tr("long overdue")
    if item.flag == T.FLAG_OVERDUE:
        return _tr("overdue")
    if item.flag == T.FLAG_DUE:
        return _tr("due")
    return ""


def _local(moment: datetime) -> datetime:
    return moment.astimezone()


def _due_words(days_past: int) -> str:
    if days_past > 0:
        return ntr(_CONTEXT, "%n day(s) overdue", days_past)
    if days_past == 0:
        return _tr("due today")
    return ntr(_CONTEXT, "due in %n day(s)", -days_past)


def when_text(item: TodayItem, today: date, now: datetime | None = None) -> str:
    """When, in words that fit the kind of item."""
    days = item.days_past
    if item.kind in (T.CONTACTS, T.PLAN_REVIEWS, T.FOLLOW_UPS):
        return _due_words(days)
    if item.kind == T.CONSENTS:
        return _tr("expires today") if days == 0 else ntr(_CONTEXT, "expires in %n day(s)", -days)
    if item.kind == T.MILESTONES:
        if days == 0:
            return _tr("reached today")
        if days == 1:
            return _tr("reached yesterday")
        if days > 0:
            return ntr(_CONTEXT, "reached %n day(s) ago", days)
        return ntr(_CONTEXT, "in %n day(s)", -days)
    if item.kind == T.UNSIGNED_NOTES and item.at is not None:
        hours = int(((now or datetime.now().astimezone()) - item.at).total_seconds() // 3600)
        if hours < 48:
            return ntr(_CONTEXT, "%n hour(s) since contact", max(hours, 0))
        return ntr(_CONTEXT, "%n day(s) since contact", hours // 24)
    if item.kind == T.DRAFTS and item.at is not None:
        saved = _local(item.at)
        if saved.date() == today:
            return _tr("saved today {time}").format(time=saved.strftime("%H:%M"))
        return _tr("saved {date} {time}").format(
            date=saved.date().isoformat(), time=saved.strftime("%H:%M")
        )
    if days == 0:
        return _tr("today")
    if days == 1:
        return _tr("yesterday")
    return ntr(_CONTEXT, "%n day(s) ago", days)


def when_tooltip(item: TodayItem) -> str:
    if item.kind == T.CONTACTS:
        return _tr("Contact due {date}").format(date=item.on.isoformat())
    if item.kind == T.PLAN_REVIEWS:
        return _tr("Review date {date}").format(date=item.on.isoformat())
    if item.kind == T.FOLLOW_UPS:
        return _tr("Follow-up date {date}").format(date=item.on.isoformat())
    if item.kind == T.CONSENTS:
        return _tr("Expires {date}").format(date=item.on.isoformat())
    if item.at is not None:
        return _local(item.at).strftime("%Y-%m-%d %H:%M")
    return item.on.isoformat()


def participant_text(item: TodayItem) -> str:
    name = format_name(item.participant_name, item.legal_name or item.participant_name)
    if item.record_number:
        return _tr("{name} · {record}").format(name=name, record=item.record_number)
    return name


class TodayItemModel(QAbstractTableModel):
    """The items of one Today section, in the order the service gave them."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: tuple[TodayItem, ...] = ()
        self._today = date.today()

    def set_items(self, items: Sequence[TodayItem], today: date) -> None:
        self.beginResetModel()
        self._items = tuple(items)
        self._today = today
        self.endResetModel()

    def item_at(self, row: int) -> TodayItem:
        return self._items[row]

    def items(self) -> tuple[TodayItem, ...]:
        return self._items

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMN_COUNT

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < COLUMN_COUNT
        ):
            return column_title(section)
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(item, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == WHEN:
                return when_tooltip(item)
            text = self._display(item, column)
            return text or None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.describe(item)
        if role == ParticipantIdRole:
            return item.participant_id
        if role == TabRole:
            return item.tab
        if role == FlagRole:
            return item.flag
        if role == ItemRole:
            return item
        if role == Qt.ItemDataRole.FontRole and column == PARTICIPANT:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def describe(self, item: TodayItem) -> str:
        """The whole row as one sentence, for screen readers."""
        parts = [badge_text(item), participant_text(item), item.summary]
        parts.append(when_text(item, self._today))
        if item.specialist_name:
            parts.append(item.specialist_name)
        return ", ".join(part for part in parts if part)

    def _display(self, item: TodayItem, column: int) -> str:
        if column == BADGE:
            return badge_text(item)
        if column == PARTICIPANT:
            return participant_text(item)
        if column == WHAT:
            return item.summary
        if column == WHEN:
            return when_text(item, self._today)
        if column == SPECIALIST:
            return item.specialist_name or _tr("Unassigned")
        return ""


class BadgeDelegate(QStyledItemDelegate):
    """Draws the badge column as a filled label in the flag colour (like the
    ``QLabel[badge=...]`` rule of the stylesheet: accent background, base-colour text,
    which keeps the contrast ``ui.theme.flag_colors`` guarantees)."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        flag = index.data(FlagRole)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # type: ignore[attr-defined]
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        # Background, selection and focus as for any cell; the badge goes on top.
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        if not text or flag is None:
            return
        palette = opt.palette  # type: ignore[attr-defined]
        colour = flag_colors(palette).get(flag, palette.color(palette.ColorRole.Mid))
        font = QFont(opt.font)  # type: ignore[attr-defined]
        font.setBold(True)
        metrics = QFontMetrics(font)
        rect: QRect = opt.rect  # type: ignore[attr-defined]
        width = min(metrics.horizontalAdvance(text) + 12, rect.width() - 8)
        height = min(metrics.height() + 4, rect.height() - 2)
        badge = QRect(rect.left() + 6, rect.center().y() - height // 2 + 1, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(badge, 3, 3)
        painter.setFont(font)
        painter.setPen(QColor(palette.color(palette.ColorRole.Base)))
        painter.drawText(
            badge,
            Qt.AlignmentFlag.AlignCenter,
            metrics.elidedText(text, Qt.TextElideMode.ElideRight, badge.width() - 6),
        )
        painter.restore()


def badge_column_width(font: QFont) -> int:
    """Wide enough for the longest badge word in bold, in the table's font."""
    bold = QFont(font)
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    words = (_tr("long overdue"), _tr("overdue"), _tr("expiring"), _tr("safety"), _tr("due"))
    return max(metrics.horizontalAdvance(word) for word in words) + 30
