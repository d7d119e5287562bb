"""One titled list of the Today page (``ui.today_page``).

A card with an icon, a title with the count, a short breakdown ("2 long overdue ·
3 overdue"), and a small table of items; with no items it folds to the title line and
says so. Tabbing into the list puts the cursor on its first item so Enter opens it.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from casebook.services import today as T
from casebook.services.today import TodayItem
from ui.caseload_view import setup_table
from ui.form_parts import ntr, repolish
from ui.icons import icon
from ui.today_model import (
    BADGE,
    COLUMN_COUNT,
    PARTICIPANT,
    SPECIALIST,
    WHAT,
    WHEN,
    BadgeDelegate,
    TodayItemModel,
    badge_column_width,
)

_CONTEXT = "Today"
#: A section shows this many rows before it scrolls on its own.
MAX_VISIBLE_ROWS = 8


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def _empty_text(key: str) -> str:
    if key == T.SAFETY:
        return _tr("No safety flags in the last two weeks")
    if key == T.MILESTONES:
        return _tr("No milestones this week")
    if key == T.DRAFTS:
        return _tr("No drafts waiting")
    return _tr("Nothing due")


class TodaySection(QFrame):
    """One titled list on the Today page."""

    #: Enter or double-click on an item.
    item_activated = Signal(object)

    def __init__(self, key: str, title: str, icon_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self._title = title
        self.setObjectName(f"today_{key}")
        self.setProperty("role", "card")
        self.picture = QLabel()
        self.picture.setPixmap(icon(icon_name).pixmap(18, 18))
        self.title_label = QLabel()
        self.title_label.setProperty("role", "subheading")
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        self.detail_label = QLabel()
        self.detail_label.setProperty("role", "hint")
        self.detail_label.setTextFormat(Qt.TextFormat.PlainText)
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.picture)
        top.addWidget(self.title_label)
        top.addWidget(self.detail_label, 1)

        self.model = TodayItemModel(self)
        self.table = QTableView()
        self.table.setObjectName(f"today_{key}_list")
        setup_table(self.table, title, stretch_last=False)
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(BADGE, BadgeDelegate(self.table))
        self.table.setFrameShape(QFrame.Shape.NoFrame)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.table.horizontalHeader().hide()
        self._size_columns()
        self.table.activated.connect(self._activated)
        self.table.installEventFilter(self)
        self.table.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 8)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.table)
        self._show_title(0, "")

    # -- content ------------------------------------------------------------------------

    def set_items(self, items: tuple[TodayItem, ...], today: date, shows_specialist: bool) -> None:
        chosen = self.current_item()
        self.model.set_items(items, today)
        self.table.setColumnHidden(SPECIALIST, not shows_specialist)
        self.table.setVisible(bool(items))
        if items:
            rows = min(len(items), MAX_VISIBLE_ROWS)
            row_height = self.table.verticalHeader().defaultSectionSize()
            self.table.setFixedHeight(rows * row_height + 2 * self.table.frameWidth() + 2)
            self._restore(chosen)
        safety = self.key == T.SAFETY and bool(items)
        # A safety flag gets the red-bordered banner look, so it is seen first.
        role = "safety-banner" if safety else "card"
        if self.property("role") != role:
            self.setProperty("role", role)
            repolish(self)
        self._show_title(len(items), self._details(items) if items else _empty_text(self.key))

    def clear(self) -> None:
        """Back to the state before the first load: no items, and no claim that
        nothing is due."""
        self.model.set_items((), date.today())
        self.table.hide()
        if self.property("role") != "card":
            self.setProperty("role", "card")
            repolish(self)
        self._show_title(0, "")

    def current_item(self) -> TodayItem | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.item_at(index.row())

    def count(self) -> int:
        return self.model.rowCount()

    # -- events -------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Tabbing into a list puts the cursor on its first item, so Enter works at once.
        if (
            watched is self.table
            and event.type() == QEvent.Type.FocusIn
            and not self.table.currentIndex().isValid()
            and self.model.rowCount()
        ):
            self.table.setCurrentIndex(self.model.index(0, PARTICIPANT))
        return False

    def _activated(self, index: QModelIndex) -> None:
        row = index.row()
        if index.isValid() and row < self.model.rowCount():
            self.item_activated.emit(self.model.item_at(row))

    # -- internals ----------------------------------------------------------------------

    def _show_title(self, count: int, details: str) -> None:
        title = _tr(self._title)  # marked with QT_TRANSLATE_NOOP above
        self.title_label.setText(f"{title} ({count})" if count else title)
        self.detail_label.setText(details)
        self.setAccessibleName(f"{title}: {details}" if details else title)
        self.table.setAccessibleName(title)

    def _details(self, items: tuple[TodayItem, ...]) -> str:
        if self.key == T.CONTACTS:
            parts = []
            for flag, source in (
                (T.FLAG_LONG_OVERDUE, "%n long overdue"),
                (T.FLAG_OVERDUE, "%n overdue"),
                (T.FLAG_DUE, "%n due in the next days"),
            ):
                n = sum(1 for item in items if item.flag == flag)
                if n:
                    parts.append(ntr(_CONTEXT, source, n))
            return " · ".join(parts)
        overdue = sum(1 for item in items if item.days_past > 0)
        if self.key in (T.PLAN_REVIEWS, T.FOLLOW_UPS) and overdue:
            return ntr(_CONTEXT, "%n overdue", overdue)
        if self.key == T.MILESTONES:
            coming = sum(1 for item in items if item.days_past < 0)
            parts = []
            if len(items) - coming:
                parts.append(ntr(_CONTEXT, "%n reached this week", len(items) - coming))
            if coming:
                parts.append(ntr(_CONTEXT, "%n coming up", coming))
            return " · ".join(parts)
        return ""

    def _restore(self, chosen: TodayItem | None) -> None:
        if chosen is None:
            return
        for row, item in enumerate(self.model.items()):
            if (item.participant_id, item.note_id, item.ref_id, item.on) == (
                chosen.participant_id,
                chosen.note_id,
                chosen.ref_id,
                chosen.on,
            ):
                self.table.setCurrentIndex(self.model.index(row, PARTICIPANT))
                return

    def _size_columns(self) -> None:
        char = self.table.fontMetrics().averageCharWidth()
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(char * 4)
        widths = {
            BADGE: badge_column_width(self.table.font()),
            PARTICIPANT: char * 42,
            WHEN: char * 26,
            SPECIALIST: char * 20,
        }
        for column in range(COLUMN_COUNT):
            if column == WHAT:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
            else:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
                header.resizeSection(column, widths[column])
