"""The Caseload page: find a participant by typing, filter, sort, open.

Loading runs on a worker (``load_caseload``) behind a small busy bar; the table keeps
showing the previous rows meanwhile, so a reload after a save does not blank the
screen. Reloads follow ``AppContext.changed`` but only while the page is visible;
a hidden page remembers that it is stale and reloads when shown.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from casebook.security.permissions import Actor
from ui import messages
from ui.caseload_model import (
    COLUMN_COUNT,
    COLUMN_KEYS,
    COLUMN_WIDTH_CHARS,
    NAME,
    NEXT_CONTACT_DUE,
    SPECIALIST,
    UNASSIGNED,
    CaseloadFilterProxy,
    CaseloadModel,
    PreparedCaseload,
    column_title,
    describe_due,
    load_caseload,
    ntr,
    participant_id_at,
)
from ui.context import AppContext
from ui.form_dialog import has_unsaved_input, unsaved_input_error
from ui.icons import icon
from ui.participant_forms import IntakeDialog
from ui.settings import Settings, settings
from ui.tasks import TaskHandle

VIEW_KEY = "caseload"
_CONTEXT = "CaseloadView"

#: Status filter choices: key -> statuses shown (None: all, discharged included).
STATUS_FILTERS: dict[str, frozenset[str] | None] = {
    "open": frozenset({"active", "inactive"}),
    "active": frozenset({"active"}),
    "inactive": frozenset({"inactive"}),
    "discharged": frozenset({"discharged"}),
    "all": None,
}
_NEEDS_DISCHARGED = frozenset({"discharged", "all"})
# Changes arriving together (a save announces several areas) cause one reload.
_RELOAD_DELAY_MS = 150
_SAVE_LAYOUT_DELAY_MS = 400


def setup_table(table: QTableView, accessible_name: str, *, stretch_last: bool = True) -> None:
    """The look every large table here shares: whole rows, fixed heights, no
    measuring of contents (``ResizeToContents`` would measure up to 1,000 rows)."""
    table.setAccessibleName(accessible_name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.setTabKeyNavigation(False)
    table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    rows = table.verticalHeader()
    rows.hide()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(table.fontMetrics().height() + 10)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setHighlightSections(False)
    header.setStretchLastSection(stretch_last)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def default_column_width(table: QTableView, column: int) -> int:
    """A caseload column wide enough for its title (with the sort arrow) and its usual
    content, measured with the table's font so it scales with high-DPI and font size."""
    metrics = table.fontMetrics()
    header_metrics = table.horizontalHeader().fontMetrics()
    padding = 16
    width = COLUMN_WIDTH_CHARS[column] * metrics.averageCharWidth() + padding
    title = header_metrics.horizontalAdvance(column_title(column)) + header_metrics.height() + 10
    if column == NEXT_CONTACT_DUE:
        bold = QFont(table.font())
        bold.setBold(True)
        sample = describe_due(date(2000, 1, 1), date(2000, 4, 9))  # "… · 99 days overdue"
        width = QFontMetrics(bold).horizontalAdvance(sample) + padding
    return max(width, title)


class _EmptyState(QLabel):
    """A calm sentence in the middle of an empty table."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table.viewport())
        self._table = table
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setProperty("role", "hint")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        table.viewport().installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def show_text(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))
        self._place()

    def _place(self) -> None:
        area = self._table.viewport().rect()
        self.setGeometry(area.adjusted(24, 24, -24, -24))


class CaseloadView(QWidget):
    """The Caseload page. The integrator connects ``open_participant``."""

    #: Open this participant's workspace (Enter or double-click on a row, or after intake).
    open_participant = Signal(int)
    #: A load finished (successfully or not); tests and the status bar can follow it.
    loading_finished = Signal()

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, prefs: Settings | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("caseloadView")
        self._ctx = ctx
        self._prefs = prefs if prefs is not None else settings()
        self._handle: TaskHandle[PreparedCaseload] | None = None
        self._stale = True
        self._reload_again = False
        self._restoring = False
        self._select_after_load: int | None = None
        self._load_error = ""
        #: The intake dialog while it is open (tests and the integrator can reach it).
        self.intake_dialog: QDialog | None = None

        self.model = CaseloadModel(self)
        self.proxy = CaseloadFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        heading = QLabel(self.tr("Caseload"))
        heading.setProperty("role", "heading")
        self.new_intake_button = QPushButton(icon("user-plus"), self.tr("&New intake…"))
        self.new_intake_button.setToolTip(self.tr("Start an intake (Ctrl+Shift+N)"))
        self.new_intake_button.clicked.connect(self.start_intake)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.new_intake_button)

        self.search = QLineEdit()
        self.search.setObjectName("caseloadSearch")
        self.search.setPlaceholderText(self.tr("Find by name or record number (Ctrl+F)"))
        self.search.setAccessibleName(self.tr("Find participant"))
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumWidth(self.fontMetrics().averageCharWidth() * 36)
        self.search.textChanged.connect(self._search_changed)
        self.search.installEventFilter(self)

        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName(self.tr("Status filter"))
        for key, label in (
            ("open", self.tr("Active and inactive")),
            ("active", self.tr("Active")),
            ("inactive", self.tr("Inactive")),
            ("discharged", self.tr("Discharged")),
            ("all", self.tr("All, including discharged")),
        ):
            self.status_filter.addItem(label, key)
        self.status_filter.currentIndexChanged.connect(self._status_changed)
        status_label = QLabel(self.tr("&Status:"))
        status_label.setBuddy(self.status_filter)

        self.specialist_filter = QComboBox()
        self.specialist_filter.setAccessibleName(self.tr("Specialist filter"))
        self.specialist_filter.setMinimumContentsLength(16)
        self.specialist_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.specialist_filter.currentIndexChanged.connect(self._specialist_changed)
        self.specialist_label = QLabel(self.tr("S&pecialist:"))
        self.specialist_label.setBuddy(self.specialist_filter)

        self.overdue_only = QCheckBox(self.tr("&Overdue only"))
        self.overdue_only.toggled.connect(self._overdue_toggled)

        self.count_label = QLabel()
        self.count_label.setObjectName("caseloadCount")
        self.count_label.setProperty("role", "hint")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName(self.tr("Loading"))
        self.busy.setMaximumWidth(self.fontMetrics().averageCharWidth() * 12)
        self.busy.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.busy.hide()

        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addSpacing(8)
        filters.addWidget(status_label)
        filters.addWidget(self.status_filter)
        filters.addSpacing(8)
        filters.addWidget(self.specialist_label)
        filters.addWidget(self.specialist_filter)
        filters.addSpacing(8)
        filters.addWidget(self.overdue_only)
        filters.addStretch(1)
        filters.addWidget(self.busy)
        filters.addWidget(self.count_label)

        self.table = QTableView()
        self.table.setObjectName("caseloadTable")
        # No stretched last column: a wide BARC-10 column would push its numbers far
        # from their header, and the user's saved widths stay exactly as set.
        setup_table(self.table, self.tr("Caseload"), stretch_last=False)
        self.table.setModel(self.proxy)
        self.table.activated.connect(self._activated)
        self.table.installEventFilter(self)
        self.table.viewport().installEventFilter(self)
        self._name_sized_by_user = False
        self._empty = _EmptyState(self.table)
        header = self.table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self._apply_column_layout()
        self.table.setSortingEnabled(True)
        header.sortIndicatorChanged.connect(self._sort_changed)
        header.sectionResized.connect(self._column_resized)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)

        self.setTabOrder(self.search, self.status_filter)
        self.setTabOrder(self.status_filter, self.specialist_filter)
        self.setTabOrder(self.specialist_filter, self.overdue_only)
        self.setTabOrder(self.overdue_only, self.table)
        self.setTabOrder(self.table, self.new_intake_button)

        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(self.focus_search)
        intake = QShortcut(QKeySequence("Ctrl+Shift+N"), self)
        intake.activated.connect(self.start_intake)

        self._layout_timer = QTimer(self)
        self._layout_timer.setSingleShot(True)
        self._layout_timer.setInterval(_SAVE_LAYOUT_DELAY_MS)
        self._layout_timer.timeout.connect(self._save_widths)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(_RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)

        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        ctx.changed.connect(self._data_changed)
        ctx.actor_changed.connect(self._actor_changed)
        self._apply_role(ctx.actor if ctx.signed_in else None)
        self._update_count()

    # -- public API ----------------------------------------------------------------------

    def focus_search(self) -> None:
        """Ctrl+F: put the cursor in the search box with its text selected."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def reload(self) -> None:
        """Fetch the caseload again on a worker (a running load is followed by another)."""
        self._reload_timer.stop()
        if self._ctx.runner.closing or not self._ctx.signed_in:
            return
        if self._handle is not None:
            self._reload_again = True
            return
        self._stale = False
        self._reload_again = False
        self.busy.show()
        self._handle = self._ctx.submit(
            load_caseload,
            include_discharged=self._wants_discharged(),
            on_done=self._loaded,
            on_error=self._load_failed,
            read_only=True,
            label=self.tr("Loading the caseload"),
        )

    @property
    def is_loading(self) -> bool:
        return self._handle is not None

    def start_intake(self) -> None:
        """Ctrl+Shift+N: the intake form; the new participant opens when saved."""
        if not self._ctx.signed_in:
            return
        try:
            dialog = IntakeDialog(self._ctx, self)
        except Exception as exc:
            messages.show_error(self, exc)
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._intake_saved)
        # A bound method, not a lambda holding the dialog: a closure over the dialog,
        # connected to the dialog's own signal, crashed PySide when the dialog was deleted.
        dialog.finished.connect(self._intake_closed)
        self.intake_dialog = dialog
        dialog.open()

    def _intake_closed(self, _result: int) -> None:
        # Window-modal: only one intake form can be open at a time.
        self.intake_dialog = None

    def has_unsaved_changes(self) -> bool:
        """For the main window (``KeepsDrafts``): the intake form is open with changes."""
        return has_unsaved_input(self.intake_dialog)

    def save_drafts(self) -> None:
        if self.intake_dialog is not None and has_unsaved_input(self.intake_dialog):
            raise unsaved_input_error(self.intake_dialog)

    def select_participant(self, participant_id: int) -> bool:
        """Select and show a participant's row if it is loaded and passes the filters."""
        source_row = self.model.row_of_participant(participant_id)
        if source_row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if not index.isValid():
            return False
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        return True

    def current_participant_id(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return participant_id_at(self.proxy, index.row())

    def set_status_filter(self, key: str) -> None:
        index = self.status_filter.findData(key)
        if index >= 0:
            self.status_filter.setCurrentIndex(index)

    # -- events --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.model.refresh_colors()
        elif event.type() == QEvent.Type.FontChange:
            self.table.verticalHeader().setDefaultSectionSize(
                self.table.fontMetrics().height() + 10
            )
        super().changeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.table.viewport():
            self._fit_name_column()
            return False
        if event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if watched is self.search:
            if key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
                self._focus_table()
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self.proxy.rowCount() == 1:
                    self._open_row(0)
                else:
                    self._focus_table()
                return True
            if key == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
        elif watched is self.table:
            # Typing on the table goes to the search box: "type to filter" from anywhere.
            text = event.text()
            plain = not (
                event.modifiers()
                & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
            )
            if plain and text and text.isprintable() and not text.isspace():
                self.search.setFocus(Qt.FocusReason.OtherFocusReason)
                self.search.insert(text)
                return True
        return False

    # -- loading -------------------------------------------------------------------------

    def _wants_discharged(self) -> bool:
        return self.status_filter.currentData() in _NEEDS_DISCHARGED

    def _data_changed(self, area: str, participant_id: int) -> None:
        if self.isVisible():
            self._reload_timer.start()
        else:
            self._stale = True

    def _actor_changed(self, actor: Actor | None) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.busy.hide()
        self.model.set_rows(())
        self.search.clear()
        self._apply_role(actor)
        self._stale = True
        if actor is not None and self.isVisible():
            self.reload()

    def _loaded(self, prepared: PreparedCaseload) -> None:
        if not shiboken6.isValid(self):
            return
        self._handle = None
        self._load_error = ""
        keep = self._select_after_load or self.current_participant_id()
        self._select_after_load = None
        scroll = self.table.verticalScrollBar().value()
        self.model.set_caseload(prepared)
        self._refresh_specialists()
        if keep is not None and self.select_participant(keep):
            pass
        else:
            self.table.verticalScrollBar().setValue(scroll)
        self._finish_load()

    def _load_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._handle = None
        self._load_error = self.tr("The caseload could not be loaded: {reason}").format(
            reason=messages.describe(exc)
        )
        self._finish_load()

    def _finish_load(self) -> None:
        self.busy.hide()
        self._update_count()
        self.loading_finished.emit()
        if self._reload_again:
            self.reload()

    # -- filters -------------------------------------------------------------------------

    def _search_changed(self, text: str) -> None:
        self.proxy.set_search_text(text)
        self._update_count()

    def _status_changed(self, _index: int) -> None:
        key = self.status_filter.currentData()
        self.proxy.set_status_filter(STATUS_FILTERS.get(key, STATUS_FILTERS["open"]))
        if key in _NEEDS_DISCHARGED and not self.model.include_discharged:
            self.reload()
        self._update_count()

    def _overdue_toggled(self, checked: bool) -> None:
        self.proxy.set_overdue_only(checked)
        self._update_count()

    def _specialist_changed(self, _index: int) -> None:
        if self._restoring:
            return
        value = self.specialist_filter.currentData()
        self.proxy.set_specialist_filter(value if isinstance(value, int) else None)
        self._update_count()

    def _refresh_specialists(self) -> None:
        if self.specialist_filter.isHidden():
            return
        current = self.specialist_filter.currentData()
        self._restoring = True
        try:
            self.specialist_filter.clear()
            self.specialist_filter.addItem(self.tr("All specialists"), None)
            self.specialist_filter.addItem(self.tr("Unassigned"), UNASSIGNED)
            for specialist_id, name in self.model.specialists():
                self.specialist_filter.addItem(name, specialist_id)
            index = self.specialist_filter.findData(current) if current is not None else 0
            self.specialist_filter.setCurrentIndex(max(0, index))
        finally:
            self._restoring = False
        self._specialist_changed(self.specialist_filter.currentIndex())

    def _apply_role(self, actor: Actor | None) -> None:
        supervises = actor is not None and actor.supervises
        self.specialist_filter.setVisible(supervises)
        self.specialist_label.setVisible(supervises)
        hidden = self._prefs.hidden_columns(VIEW_KEY)
        self.table.setColumnHidden(SPECIALIST, not supervises or COLUMN_KEYS[SPECIALIST] in hidden)
        self._fit_name_column()
        if not supervises:
            self.proxy.set_specialist_filter(None)
        self.new_intake_button.setEnabled(actor is not None and actor.sees_clinical)

    # -- counts and empty state ------------------------------------------------------------

    def _update_count(self) -> None:
        if self._load_error:
            self.count_label.setProperty("role", "field-error")
            self.count_label.setText(self._load_error)
            self._repolish(self.count_label)
            self._empty.show_text(self._load_error)
            return
        if self.count_label.property("role") != "hint":
            self.count_label.setProperty("role", "hint")
            self._repolish(self.count_label)
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        overdue = self.proxy.visible_overdue_count()
        if self.proxy.is_filtered:
            people = ntr(_CONTEXT, "Showing {shown} of %n participant(s)", total).format(
                shown=shown
            )
        else:
            people = ntr(_CONTEXT, "%n participant(s)", total)
        text = self.tr("{people}, {overdue}").format(
            people=people, overdue=ntr(_CONTEXT, "%n overdue", overdue)
        )
        self.count_label.setText(text)
        if shown:
            self._empty.show_text("")
        elif self._handle is not None:
            self._empty.show_text(self.tr("Loading…"))
        elif total == 0:
            self._empty.show_text(
                self.tr(
                    "No participants on this caseload yet. Start with New intake (Ctrl+Shift+N)."
                )
            )
        else:
            self._empty.show_text(self.tr("No participant matches these filters."))

    @staticmethod
    def _repolish(widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    # -- opening -------------------------------------------------------------------------

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self._open_row(index.row())

    def _open_row(self, row: int) -> None:
        participant_id = participant_id_at(self.proxy, row)
        if participant_id is not None:
            self.open_participant.emit(participant_id)

    def _focus_table(self) -> None:
        if self.proxy.rowCount() == 0:
            return
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.table.currentIndex().isValid():
            self.table.setCurrentIndex(self.proxy.index(0, 0))

    def _intake_saved(self, detail: Any) -> None:
        participant_id = getattr(detail, "id", None)
        if isinstance(participant_id, int):
            self._select_after_load = participant_id
            self.open_participant.emit(participant_id)

    # -- column layout ---------------------------------------------------------------------

    def _apply_column_layout(self) -> None:
        header = self.table.horizontalHeader()
        saved = self._prefs.column_widths(VIEW_KEY)
        hidden = self._prefs.hidden_columns(VIEW_KEY)
        self._name_sized_by_user = COLUMN_KEYS[NAME] in saved
        self._restoring = True
        try:
            for column, key in enumerate(COLUMN_KEYS):
                width = saved.get(key) or default_column_width(self.table, column)
                header.resizeSection(column, width)
                self.table.setColumnHidden(column, key in hidden)
            sort_key = self._prefs.sort_column(VIEW_KEY)
            column = COLUMN_KEYS.index(sort_key) if sort_key in COLUMN_KEYS else 0
            header.setSortIndicator(column, self._prefs.sort_order(VIEW_KEY))
        finally:
            self._restoring = False
        self._fit_name_column()

    def _column_resized(self, index: int, _old: int, _new: int) -> None:
        if not self._restoring:
            if index == NAME:
                self._name_sized_by_user = True
            self._layout_timer.start()
        elif index != NAME:
            self._fit_name_column()

    def _fit_name_column(self) -> None:
        """Give the name column the width the others leave, until the user sizes it.

        Interactive rather than Stretch, so it can still be resized; and never narrower
        than its default, so a narrow window scrolls instead of hiding the names.
        """
        if self._name_sized_by_user:
            return
        header = self.table.horizontalHeader()
        others = sum(
            header.sectionSize(column)
            for column in range(COLUMN_COUNT)
            if column != NAME and not header.isSectionHidden(column)
        )
        default = default_column_width(self.table, NAME)
        widest = self.table.fontMetrics().averageCharWidth() * 60
        width = max(default, min(widest, self.table.viewport().width() - others))
        if header.sectionSize(NAME) != width:
            restoring, self._restoring = self._restoring, True
            try:
                header.resizeSection(NAME, width)
            finally:
                self._restoring = restoring

    def _save_widths(self) -> None:
        header = self.table.horizontalHeader()
        widths = {
            key: header.sectionSize(column)
            for column, key in enumerate(COLUMN_KEYS)
            if not header.isSectionHidden(column) and (column != NAME or self._name_sized_by_user)
        }
        self._prefs.set_column_widths(VIEW_KEY, widths)

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if self._restoring:
            return
        key = COLUMN_KEYS[column] if 0 <= column < COLUMN_COUNT else None
        self._prefs.set_sort(VIEW_KEY, key, order)

    def _header_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        supervises = self._ctx.signed_in and self._ctx.actor.supervises
        hidden = set(self._prefs.hidden_columns(VIEW_KEY))
        for column, key in enumerate(COLUMN_KEYS):
            if column == SPECIALIST and not supervises:
                continue
            action = menu.addAction(column_title(column))
            action.setCheckable(True)
            action.setChecked(key not in hidden)
            action.setEnabled(column != 0)  # the name column always stays
            action.toggled.connect(lambda on, c=column: self._set_column_shown(c, on))
        menu.addSeparator()
        reset = menu.addAction(self.tr("Reset columns"))
        reset.triggered.connect(self._reset_columns)
        menu.exec(self.table.horizontalHeader().mapToGlobal(position))

    def _set_column_shown(self, column: int, shown: bool) -> None:
        self.table.setColumnHidden(column, not shown)
        self._fit_name_column()
        hidden = set(self._prefs.hidden_columns(VIEW_KEY))
        if shown:
            hidden.discard(COLUMN_KEYS[column])
        else:
            hidden.add(COLUMN_KEYS[column])
        self._prefs.set_hidden_columns(VIEW_KEY, hidden)

    def _reset_columns(self) -> None:
        self._prefs.reset_view(VIEW_KEY)
        self._apply_column_layout()
        self._apply_role(self._ctx.actor if self._ctx.signed_in else None)
