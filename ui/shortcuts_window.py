"""Help ▸ Keyboard shortcuts: every shortcut of the window, grouped by where it works.

The lines come from ``ui.shortcuts``; the page shortcuts from the pages the signed-in
person has. The window is not modal, so it can stay open beside the work while the
keys are tried out; a filter box narrows the list as one types.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QRegularExpression,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QShowEvent,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ui.form_parts import heading
from ui.shortcuts import NavigationPage, Shortcut, ShortcutArea, reference

#: What the filter looks through: the keys in every spelling and the description.
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
#: The key sequences of a shortcut row as the platform writes them, one per key cap.
CAPS_ROLE = Qt.ItemDataRole.UserRole + 2

KEYS_COLUMN, TEXT_COLUMN = 0, 1

_Index = QModelIndex | QPersistentModelIndex

# Key caps: room around the text inside, and between two caps.
_CAP_PAD_X, _CAP_PAD_Y, _CAP_GAP = 6, 2, 6
# Room above and below every line, so the list does not read as one block.
_ROW_PAD = 8


def _search_text(line: Shortcut) -> str:
    spellings: list[str] = []
    for seq in line.accepted():
        spellings.append(seq.toString(QKeySequence.SequenceFormat.NativeText))
        spellings.append(seq.toString(QKeySequence.SequenceFormat.PortableText))
    return " ".join([line.description(), *spellings])


def _bold(font: QFont) -> QFont:
    bold = QFont(font)
    bold.setBold(True)
    return bold


def caps_width(metrics: QFontMetrics, caps: Sequence[str]) -> int:
    """The width the key caps for *caps* take, side by side."""
    widths = [metrics.horizontalAdvance(cap) + 2 * _CAP_PAD_X for cap in caps]
    return sum(widths) + _CAP_GAP * max(0, len(widths) - 1)


class KeyCapDelegate(QStyledItemDelegate):
    """Draws a shortcut's keys as key caps in the palette's button colours, and gives
    every row some air. Rows without caps (headings, descriptions) are drawn as usual."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        view = self.parent()
        if isinstance(view, QTreeView) and index.column() == TEXT_COLUMN:
            # A tree view asks for row heights without the column's width, so long
            # descriptions would be cut rather than wrapped: give the width here.
            option = QStyleOptionViewItem(option)
            width = view.header().sectionSize(TEXT_COLUMN)
            option.rect = QRect(0, 0, width, 1)  # type: ignore[attr-defined]
        size = super().sizeHint(option, index)
        caps = index.data(CAPS_ROLE)
        if caps:
            metrics = QFontMetrics(_bold(option.font))  # type: ignore[attr-defined]
            size.setWidth(caps_width(metrics, caps) + 2 * _CAP_GAP)
            size.setHeight(max(size.height(), metrics.height() + 2 * _CAP_PAD_Y))
        return QSize(size.width(), size.height() + _ROW_PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        caps = index.data(CAPS_ROLE)
        if not caps:
            super().paint(painter, option, index)
            return
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        item.text = ""  # type: ignore[attr-defined]
        widget = option.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        # Background, selection and focus as the style draws them, then the caps on top.
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, item, painter, widget)
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        rect: QRect = option.rect  # type: ignore[attr-defined]
        font = _bold(option.font)  # type: ignore[attr-defined]
        metrics = QFontMetrics(font)
        height = metrics.height() + 2 * _CAP_PAD_Y
        top = rect.top() + (rect.height() - height) // 2
        left = rect.left() + _CAP_GAP
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(font)
        painter.setClipRect(rect)
        for cap in caps:
            width = metrics.horizontalAdvance(cap) + 2 * _CAP_PAD_X
            box = QRectF(left + 0.5, top + 0.5, width - 1, height - 1)
            painter.setPen(palette.color(QPalette.ColorRole.Mid))
            painter.setBrush(palette.color(QPalette.ColorRole.Button))
            painter.drawRoundedRect(box, 3, 3)
            painter.setPen(palette.color(QPalette.ColorRole.ButtonText))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, cap)
            left += width + _CAP_GAP
        painter.restore()


class ShortcutsWindow(QDialog):
    """The keyboard shortcut reference; ``set_pages`` fills it for the signed-in person."""

    def __init__(self, pages: Sequence[NavigationPage], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsWindow")
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.setModal(False)
        self.setSizeGripEnabled(True)
        #: The areas shown, as ``ui.shortcuts.reference`` gave them (for tests, too).
        self.areas: list[ShortcutArea] = []

        title = heading(self.tr("Keyboard shortcuts"), self)
        intro = QLabel(
            self.tr(
                "Each group says where its shortcuts work. In menus and on buttons, the "
                "underlined letter works together with Alt."
            ),
            self,
        )
        intro.setWordWrap(True)
        intro.setProperty("role", "hint")

        filter_label = QLabel(self.tr("&Find a shortcut"), self)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("shortcutFilter")
        self.filter.setAccessibleName(self.tr("Find a shortcut"))
        self.filter.setPlaceholderText(self.tr("A key or what it does, such as “sign” or “F5”"))
        self.filter.setClearButtonEnabled(True)
        filter_label.setBuddy(self.filter)

        self.model = QStandardItemModel(0, 2, self)
        self.model.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("What it does")])
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterRole(SEARCH_ROLE)
        self.proxy.setFilterKeyColumn(KEYS_COLUMN)
        self.proxy.setRecursiveFilteringEnabled(True)
        # A group's name that matches shows the whole group ("print" → Print preview).
        self.proxy.setAutoAcceptChildRows(True)

        self.view = QTreeView(self)
        self.view.setObjectName("shortcutList")
        self.view.setAccessibleName(self.tr("Keyboard shortcuts"))
        self.view.setModel(self.proxy)
        self.view.setRootIsDecorated(False)
        self.view.setItemsExpandable(False)
        self.view.setExpandsOnDoubleClick(False)
        self.view.setIndentation(0)
        self.view.setItemDelegate(KeyCapDelegate(self.view))
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAllColumnsShowFocus(True)
        self.view.setWordWrap(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideNone)
        header = self.view.header()
        header.setStretchLastSection(True)
        header.setSectionsMovable(False)
        header.setSectionResizeMode(KEYS_COLUMN, QHeaderView.ResizeMode.Interactive)
        # Long descriptions wrap: their rows' heights follow the column's width.
        header.sectionResized.connect(self._relayout_rows)

        self.empty = QLabel(self)
        self.empty.setObjectName("noShortcutFound")
        self.empty.setProperty("role", "hint")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty.setMargin(24)
        self.results = QStackedWidget(self)
        self.results.addWidget(self.view)
        self.results.addWidget(self.empty)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        # Enter in the filter box must not close the window.
        self.close_button.setAutoDefault(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addWidget(filter_label)
        layout.addWidget(self.filter)
        layout.addWidget(self.results, 1)
        layout.addWidget(buttons)
        QWidget.setTabOrder(self.filter, self.view)
        QWidget.setTabOrder(self.view, self.close_button)

        self.filter.textChanged.connect(self._filter_changed)
        self.filter.installEventFilter(self)
        self.set_pages(pages)
        self.setMinimumSize(420, 320)
        self.resize(self._default_size())

    # -- filling -----------------------------------------------------------------------------

    def set_pages(self, pages: Sequence[NavigationPage]) -> None:
        """Show the list for someone who has *pages* (the window's ``page_specs()``)."""
        self.areas = reference(pages)
        self.model.removeRows(0, self.model.rowCount())
        bold = _bold(self.view.font())
        heading_height = self.view.fontMetrics().height() + 14
        for area in self.areas:
            title = area.display_title()
            group = QStandardItem(title)
            group.setFont(bold)
            group.setData(title, SEARCH_ROLE)
            group.setData(
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                Qt.ItemDataRole.TextAlignmentRole,
            )
            group.setData(QSize(0, heading_height), Qt.ItemDataRole.SizeHintRole)
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            filler = QStandardItem()
            filler.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for line in area.shortcuts:
                keys = QStandardItem(line.keys_text())
                description = line.description()
                keys.setData(_search_text(line), SEARCH_ROLE)
                keys.setData(description, Qt.ItemDataRole.AccessibleDescriptionRole)
                keys.setData(line.caps(), CAPS_ROLE)
                text = QStandardItem(description)
                for item in (keys, text):
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                group.appendRow([keys, text])
            self.model.appendRow([group, filler])
        self._fit_keys_column()
        self._filter_changed(self.filter.text())

    def _fit_keys_column(self) -> None:
        metrics = QFontMetrics(_bold(self.view.font()))
        widths = [
            caps_width(metrics, line.caps()) for area in self.areas for line in area.shortcuts
        ]
        header_width = self.view.header().fontMetrics().horizontalAdvance(self.tr("Keys"))
        width = max([header_width, *widths]) + 4 * _CAP_GAP
        self.view.header().resizeSection(KEYS_COLUMN, width)

    def _relayout_rows(self, _section: int, _old: int, _new: int) -> None:
        self.view.doItemsLayout()

    def _default_size(self) -> QSize:
        wanted = QSize(760, 640)
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return wanted
        available = screen.availableGeometry().size()
        return wanted.boundedTo(QSize(int(available.width() * 0.9), int(available.height() * 0.85)))

    # -- filtering ---------------------------------------------------------------------------

    def _filter_changed(self, text: str) -> None:
        # Every word must appear, in any order: "save pdf" finds "Save as a PDF file".
        words = text.split()
        pattern = "".join(f"(?=.*{QRegularExpression.escape(word)})" for word in words)
        self.proxy.setFilterRegularExpression(
            QRegularExpression(pattern, QRegularExpression.PatternOption.CaseInsensitiveOption)
        )
        for row in range(self.proxy.rowCount()):
            self.view.setFirstColumnSpanned(row, QModelIndex(), True)
        self.view.expandAll()
        found = self.proxy.rowCount() > 0
        self.results.setCurrentWidget(self.view if found else self.empty)
        if not found:
            self.empty.setText(self.tr("No shortcut matches “{text}”.").format(text=text.strip()))

    def visible_rows(self) -> list[tuple[str, str, str]]:
        """(group, keys, what it does) of every line the filter lets through, in order."""
        rows: list[tuple[str, str, str]] = []
        for row in range(self.proxy.rowCount()):
            group = self.proxy.index(row, KEYS_COLUMN)
            title = str(group.data())
            for child in range(self.proxy.rowCount(group)):
                keys = self.proxy.index(child, KEYS_COLUMN, group)
                text = self.proxy.index(child, TEXT_COLUMN, group)
                rows.append((title, str(keys.data()), str(text.data())))
        return rows

    def _first_line(self) -> QModelIndex:
        for row in range(self.proxy.rowCount()):
            group = self.proxy.index(row, KEYS_COLUMN)
            if self.proxy.rowCount(group):
                return self.proxy.index(0, KEYS_COLUMN, group)
        return QModelIndex()

    # -- keyboard ----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down (or Enter) in the filter box goes to the list, so Tab is not needed.
        if (
            watched is self.filter
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            first = self._first_line()
            if first.isValid():
                self.view.setFocus(Qt.FocusReason.TabFocusReason)
                if not self.view.currentIndex().isValid():
                    self.view.setCurrentIndex(first)
            return True
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.filter.setFocus(Qt.FocusReason.OtherFocusReason)
        self.filter.selectAll()
