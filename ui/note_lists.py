"""Tables of notes shared by the "Search notes" and "Review notes" pages: search
hits with highlighted snippets, co-sign and overdue queues, and opening a
participant's Session notes tab from a row."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QFontMetricsF,
    QKeyEvent,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from casebook.services import note_search, notes
from casebook.services.note_search import NoteSearchHit
from casebook.services.notes import NoteQueueItem
from ui.form_parts import ntr
from ui.main_window import PARTICIPANT_PAGE, main_window_of
from ui.staff_page import local_time
from ui.theme import flag_colors

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


def _tr(text: str) -> str:
    return QCoreApplication.translate("note search", text)


def _rtr(text: str) -> str:
    return QCoreApplication.translate("review", text)


def snippet_html(snippet: str) -> str:
    """The snippet as rich text: note text escaped, matched words in bold."""
    return "".join(
        f"<b>{html.escape(part)}</b>" if marked else html.escape(part)
        for part, marked in note_search.snippet_parts(snippet)
    )


def snippet_text(snippet: str) -> str:
    """The snippet without highlight markers (tool tips, screen readers, copying)."""
    return "".join(part for part, _marked in note_search.snippet_parts(snippet))


def fit_column(table: QTableView, column: int, sample: str) -> None:
    """Size *column* for *sample* text (or its title, if wider), in the table's fonts."""
    header = table.horizontalHeader()
    title = str(table.model().headerData(column, Qt.Orientation.Horizontal))
    width = max(
        table.fontMetrics().horizontalAdvance(sample) + 16,
        header.fontMetrics().horizontalAdvance(title) + 24,
    )
    header.resizeSection(column, width)


def open_participant_notes(view: QWidget, participant_id: int, note_id: int | None = None) -> None:
    """Open the participant's workspace (audited there) on the Session notes tab."""
    from ui.pages import forward_open_participant

    forward_open_participant(view, participant_id)
    window = main_window_of(view)
    host = window.page(PARTICIPANT_PAGE) if window is not None else None
    finder = getattr(host, "workspace", None)
    workspace = finder(participant_id) if callable(finder) else None
    if workspace is None:
        return
    tab = workspace.show_tab("notes")
    # A notes tab that can scroll to one note offers show_note(note_id).
    show_note = getattr(tab, "show_note", None)
    if note_id is not None and callable(show_note):
        show_note(note_id)


# -- results table --------------------------------------------------------------------------


class SearchResultsModel(QAbstractTableModel):
    """The hits of one search, in the service's order (best match first)."""

    DATE = 0
    PARTICIPANT = 1
    KIND = 2
    AUTHOR = 3
    SNIPPET = 4
    COLUMN_COUNT = 5

    HitRole = Qt.ItemDataRole.UserRole + 1
    SnippetHtmlRole = Qt.ItemDataRole.UserRole + 2

    _TITLES = (
        str(QT_TRANSLATE_NOOP("note search", "Date")),
        str(QT_TRANSLATE_NOOP("note search", "Participant")),
        str(QT_TRANSLATE_NOOP("note search", "Kind")),
        str(QT_TRANSLATE_NOOP("note search", "Author")),
        str(QT_TRANSLATE_NOOP("note search", "Where the words appear")),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hits: list[NoteSearchHit] = []
        self._kinds = notes.kind_labels()

    def set_hits(self, hits: Sequence[NoteSearchHit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self._kinds = notes.kind_labels()
        self.endResetModel()

    def hit_at(self, row: int) -> NoteSearchHit:
        return self._hits[row]

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._hits)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else self.COLUMN_COUNT

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < self.COLUMN_COUNT
        ):
            return _tr(self._TITLES[section])
        return None

    def _kind(self, hit: NoteSearchHit) -> str:
        text = self._kinds.get(hit.kind, hit.kind)
        if hit.entered_in_error:
            return _tr("{kind} (entered in error)").format(kind=text)
        if hit.status != "signed":
            return _tr("{kind} (draft)").format(kind=text)
        return text

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == self.DATE:
                return local_time(hit.occurred_at)
            if column == self.PARTICIPANT:
                if role == Qt.ItemDataRole.ToolTipRole:
                    return f"{hit.participant_name} · {hit.record_number}"
                return hit.participant_name
            if column == self.KIND:
                return self._kind(hit)
            if column == self.AUTHOR:
                return hit.author_name
            if column == self.SNIPPET:
                return snippet_text(hit.snippet)
        if role == self.SnippetHtmlRole and column == self.SNIPPET:
            return snippet_html(hit.snippet)
        if role == self.HitRole:
            return hit
        return None


class SnippetDelegate(QStyledItemDelegate):
    """Draws the snippet column as rich text so the matched words stand out."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        rich = index.data(SearchResultsModel.SnippetHtmlRole)
        if not rich:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        opt.text = ""  # type: ignore[attr-defined]
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        document = QTextDocument()
        document.setDocumentMargin(0)
        document.setDefaultFont(opt.font)  # type: ignore[attr-defined]
        # One line, like every other cell; the tool tip has the whole snippet.
        document.setHtml(f'<span style="white-space:pre">{rich}</span>')
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(role))  # type: ignore[attr-defined]
        painter.save()
        height = document.size().height()
        painter.translate(text_rect.left() + 2, text_rect.top() + (text_rect.height() - height) / 2)
        available = text_rect.width() - 4
        ellipsis = ""
        if document.idealWidth() > available:
            # Cut like an elided cell: the text stops short and "…" says there is more.
            ellipsis = note_search.SNIPPET_ELLIPSIS
            available -= QFontMetricsF(opt.font).horizontalAdvance(ellipsis)  # type: ignore[attr-defined]
        painter.setClipRect(QRectF(0, 0, max(0.0, available), height))
        document.documentLayout().draw(painter, context)
        if ellipsis:
            painter.setClipping(False)
            painter.setPen(opt.palette.color(role))  # type: ignore[attr-defined]
            painter.setFont(opt.font)  # type: ignore[attr-defined]
            painter.drawText(
                QRectF(available, 0, text_rect.width(), height),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                ellipsis,
            )
        painter.restore()


class OpenRowTable(QTableView):
    """A list whose Enter opens the current row, like a double-click (a table's
    Enter does nothing by default)."""

    open_row = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_row.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)


# -- review queues ---------------------------------------------------------------------------


class NoteQueueModel(QAbstractTableModel):
    """Queue items (co-sign or overdue), oldest first as the service orders them."""

    SPECIALIST = 0
    PARTICIPANT = 1
    DATE = 2
    KIND = 3
    RISK = 4
    WAITING = 5
    COLUMN_COUNT = 6

    _TITLES = (
        str(QT_TRANSLATE_NOOP("review", "Specialist")),
        str(QT_TRANSLATE_NOOP("review", "Participant")),
        str(QT_TRANSLATE_NOOP("review", "Contact")),
        str(QT_TRANSLATE_NOOP("review", "Kind")),
        str(QT_TRANSLATE_NOOP("review", "Risk flags")),
        str(QT_TRANSLATE_NOOP("review", "Waiting")),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[NoteQueueItem] = []

    def set_rows(self, rows: Sequence[NoteQueueItem]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> NoteQueueItem:
        return self._rows[row]

    def row_of(self, note_id: int) -> int:
        return next((i for i, item in enumerate(self._rows) if item.note_id == note_id), -1)

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else self.COLUMN_COUNT

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < self.COLUMN_COUNT
        ):
            return _rtr(self._TITLES[section])
        return None

    def _text(self, item: NoteQueueItem, column: int) -> str:
        if column == self.SPECIALIST:
            return item.author_name
        if column == self.PARTICIPANT:
            return item.participant_name
        if column == self.DATE:
            return item.occurred_at.astimezone().strftime("%Y-%m-%d")
        if column == self.KIND:
            return notes.kind_labels().get(item.kind, item.kind)
        if column == self.RISK:
            labels = notes.risk_flag_labels()
            return ", ".join(labels.get(flag, flag) for flag in item.risk_flags)
        return waiting_text(item.hours_waiting())

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.DATE:
                return local_time(item.occurred_at)
            return self._text(item, column) or None
        if role == Qt.ItemDataRole.ForegroundRole and column == self.RISK and item.risk_flags:
            return flag_colors(QApplication.palette())["safety"]
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.WAITING:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None


def waiting_text(hours: int) -> str:
    if hours < 48:
        return ntr("review", "%n hour(s)", hours)
    return ntr("review", "%n day(s)", hours // 24)
