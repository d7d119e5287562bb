"""The supervisor's page: each specialist's caseload with counts, the unassigned
queue, and assign / reassign.

Counts come from the same caseload rows the Caseload page shows (one set-based query),
so "overdue" means the same thing on both pages. Unsigned notes are counted by the
notes service; the integrator feeds them in with ``set_unsigned_counts``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from casebook.security.permissions import Actor
from casebook.services.assignments import SpecialistInfo, assignable_specialists
from casebook.services.caseload import caseload_rows
from ui import messages
from ui.caseload_model import (
    COLUMN_COUNT,
    FLAG_LONG_OVERDUE,
    NAME,
    NEXT_CONTACT_DUE,
    OVERDUE_FLAGS,
    RECORD_NUMBER,
    STATUS,
    UNASSIGNED,
    CaseloadFilterProxy,
    CaseloadModel,
    PreparedCaseload,
    ntr,
    participant_id_at,
    prepare_caseload,
    search_fold,
)
from ui.caseload_view import default_column_width, setup_table
from ui.context import AppContext
from ui.form_dialog import has_unsaved_input, unsaved_input_error
from ui.icons import icon
from ui.participant_forms import TransferDialog
from ui.tasks import TaskHandle

_CONTEXT = "TeamView"
_RELOAD_DELAY_MS = 150
#: Caseload columns the team page's participant lists show.
_LIST_COLUMNS = frozenset({NAME, RECORD_NUMBER, STATUS, NEXT_CONTACT_DUE})


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


@dataclass(frozen=True)
class TeamData:
    caseload: PreparedCaseload
    specialists: tuple[SpecialistInfo, ...]


def load_team(session: Any, actor: Actor) -> TeamData:
    """For ``ctx.submit``: the team's caseload (with the unassigned queue) and its members."""
    rows = caseload_rows(session, actor)
    members = assignable_specialists(session, actor)
    return TeamData(prepare_caseload(rows), tuple(members))


@dataclass(frozen=True)
class SpecialistSummary:
    specialist_id: int
    name: str
    participants: int
    overdue: int
    long_overdue: int
    open_referrals: int


def summarize(team: TeamData) -> list[SpecialistSummary]:
    """One line per team member (also those with no one assigned), by name."""
    counts: dict[int, list[int]] = {}
    names: dict[int, str] = {info.id: info.display_name for info in team.specialists}
    data = team.caseload
    for row, flag in zip(data.rows, data.flags, strict=True):
        if row.specialist_id is None:
            continue
        names.setdefault(row.specialist_id, row.specialist_name)
        entry = counts.setdefault(row.specialist_id, [0, 0, 0, 0])
        entry[0] += 1
        if flag in OVERDUE_FLAGS:
            entry[1] += 1
        if flag == FLAG_LONG_OVERDUE:
            entry[2] += 1
        entry[3] += row.open_referrals
    summaries = [
        SpecialistSummary(sid, name, *counts.get(sid, [0, 0, 0, 0])) for sid, name in names.items()
    ]
    summaries.sort(key=lambda s: search_fold(s.name))
    return summaries


class SpecialistSummaryModel(QAbstractTableModel):
    """Specialists with caseload, overdue, open referral and unsigned note counts."""

    NAME = 0
    PARTICIPANTS = 1
    OVERDUE = 2
    LONG_OVERDUE = 3
    OPEN_REFERRALS = 4
    UNSIGNED_NOTES = 5
    COLUMN_COUNT = 6

    SpecialistIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[SpecialistSummary] = []
        self._unsigned: dict[int, int] | None = None

    def set_summaries(self, rows: Sequence[SpecialistSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def set_unsigned_counts(self, counts: Mapping[int, int] | None) -> None:
        self._unsigned = dict(counts) if counts is not None else None
        if self._rows:
            column = self.UNSIGNED_NOTES
            self.dataChanged.emit(
                self.index(0, column),
                self.index(len(self._rows) - 1, column),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole],
            )

    def summary_at(self, row: int) -> SpecialistSummary:
        return self._rows[row]

    def row_of(self, specialist_id: int) -> int:
        for position, summary in enumerate(self._rows):
            if summary.specialist_id == specialist_id:
                return position
        return -1

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMN_COUNT

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
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.COLUMN_COUNT:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                _tr("Specialist"),
                _tr("Participants"),
                _tr("Overdue"),
                _tr("Over 2 weeks"),
                _tr("Open referrals"),
                _tr("Unsigned > 24 h"),
            )[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return {
                self.OVERDUE: _tr("Participants whose next contact is past due"),
                self.LONG_OVERDUE: _tr(
                    "Participants with no contact for more than 14 days past due"
                ),
                # The notes service's rule (Today and Review use it too): a draft is
                # overdue for signing once the contact is more than a day old.
                self.UNSIGNED_NOTES: _tr(
                    "Session notes still unsigned more than 24 hours after the contact"
                ),
            }.get(section)
        if role == Qt.ItemDataRole.TextAlignmentRole and section != self.NAME:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        summary = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return summary.name
            if column == self.PARTICIPANTS:
                return str(summary.participants)
            if column == self.OVERDUE:
                return str(summary.overdue)
            if column == self.LONG_OVERDUE:
                return str(summary.long_overdue)
            if column == self.OPEN_REFERRALS:
                return str(summary.open_referrals)
            if column == self.UNSIGNED_NOTES:
                if self._unsigned is None:
                    return "—"
                return str(self._unsigned.get(summary.specialist_id, 0))
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column == self.NAME:
                return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ToolTipRole and column == self.UNSIGNED_NOTES:
            return _tr("Not counted yet") if self._unsigned is None else None
        if role == self.SpecialistIdRole:
            return summary.specialist_id
        return None


class TeamView(QWidget):
    """The supervisor's page."""

    #: Open this participant's workspace (Enter or double-click in a list).
    open_participant = Signal(int)
    #: A load finished.
    loading_finished = Signal()
    #: An assign/transfer dialog was opened (tests and tools can reach it).
    dialog_opened = Signal(QDialog)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teamView")
        self._ctx = ctx
        self._handle: TaskHandle[TeamData] | None = None
        self._stale = True
        self._reload_again = False
        self._team: TeamData | None = None
        self._load_error = ""
        self.active_dialog: QDialog | None = None

        heading = QLabel(self.tr("Team"))
        heading.setProperty("role", "heading")
        self.totals_label = QLabel()
        self.totals_label.setObjectName("teamTotals")
        self.totals_label.setProperty("role", "hint")
        self.totals_label.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName(self.tr("Loading"))
        self.busy.setMaximumWidth(self.fontMetrics().averageCharWidth() * 12)
        self.busy.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.busy.hide()
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addSpacing(12)
        top.addWidget(self.totals_label, 1)
        top.addWidget(self.busy)
        self.notice = QLabel(self.tr("The team view is for supervisors."))
        self.notice.setProperty("role", "hint")
        self.notice.hide()

        # Specialists ------------------------------------------------------------------------
        self.summary_model = SpecialistSummaryModel(self)
        self.specialists_table = QTableView()
        self.specialists_table.setObjectName("teamSpecialists")
        setup_table(self.specialists_table, self.tr("Specialists on the team"))
        self.specialists_table.setModel(self.summary_model)
        char = self.fontMetrics().averageCharWidth()
        header = self.specialists_table.horizontalHeader()
        # The name takes the spare width, so the counts stay together at the right.
        header.setStretchLastSection(False)
        for column, chars in enumerate((24, 12, 10, 12, 13, 14)):
            title = self.summary_model.headerData(column, Qt.Orientation.Horizontal)
            width = max(chars * char, header.fontMetrics().horizontalAdvance(str(title))) + 24
            header.resizeSection(column, width)
        header.setSectionResizeMode(SpecialistSummaryModel.NAME, QHeaderView.ResizeMode.Stretch)
        self.specialists_table.selectionModel().selectionChanged.connect(self._specialist_selected)

        # One caseload model, two filtered views of it.
        self.caseload_model = CaseloadModel(self)
        self.member_proxy = CaseloadFilterProxy(self)
        self.member_proxy.setSourceModel(self.caseload_model)
        self.member_proxy.set_specialist_filter(0)  # nobody until a specialist is chosen
        self.queue_proxy = CaseloadFilterProxy(self)
        self.queue_proxy.setSourceModel(self.caseload_model)
        self.queue_proxy.set_specialist_filter(UNASSIGNED)

        self.member_heading = QLabel(self.tr("Choose a specialist to see their participants"))
        self.member_heading.setProperty("role", "subheading")
        self.member_heading.setWordWrap(True)
        self.member_table = self._participant_table(
            self.member_proxy, self.tr("Participants of the chosen specialist")
        )
        self.member_table.setObjectName("teamMemberList")
        self.reassign_button = QPushButton(icon("arrow-right-left"), self.tr("&Reassign…"))
        self.reassign_button.setToolTip(self.tr("Transfer the selected participant"))
        self.reassign_button.clicked.connect(self.reassign_selected)

        self.queue_heading = QLabel()
        self.queue_heading.setProperty("role", "subheading")
        self.queue_table = self._participant_table(self.queue_proxy, self.tr("Unassigned queue"))
        self.queue_table.setObjectName("teamQueue")
        self.assign_button = QPushButton(icon("user-check"), self.tr("&Assign…"))
        self.assign_button.setToolTip(self.tr("Assign the selected participant to a specialist"))
        self.assign_button.clicked.connect(self.assign_selected)

        specialists_box = QWidget()
        box = QVBoxLayout(specialists_box)
        box.setContentsMargins(0, 0, 0, 0)
        specialists_heading = QLabel(self.tr("Specialists"))
        specialists_heading.setProperty("role", "subheading")
        box.addWidget(specialists_heading)
        box.addWidget(self.specialists_table, 1)

        member_box = QWidget()
        box = QVBoxLayout(member_box)
        box.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.member_heading, 1)
        row.addWidget(self.reassign_button)
        box.addLayout(row)
        box.addWidget(self.member_table, 1)

        queue_box = QWidget()
        box = QVBoxLayout(queue_box)
        box.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.queue_heading, 1)
        row.addWidget(self.assign_button)
        box.addLayout(row)
        box.addWidget(self.queue_table, 1)

        # Specialists across the top (their counts are the point of the page); below,
        # the chosen specialist's participants beside the unassigned queue.
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(member_box)
        lower.addWidget(queue_box)
        lower.setStretchFactor(0, 1)
        lower.setStretchFactor(1, 1)
        lower.setChildrenCollapsible(False)
        lower.setSizes([1000, 1000])  # halves, whatever the tables' own size hints
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(specialists_box)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.notice)
        layout.addWidget(self.splitter, 1)

        self.setTabOrder(self.specialists_table, self.member_table)
        self.setTabOrder(self.member_table, self.reassign_button)
        self.setTabOrder(self.reassign_button, self.queue_table)
        self.setTabOrder(self.queue_table, self.assign_button)

        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(_RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)
        for proxy in (self.member_proxy, self.queue_proxy):
            proxy.modelReset.connect(self._update_buttons)
            proxy.layoutChanged.connect(self._update_buttons)
        ctx.changed.connect(self._data_changed)
        ctx.actor_changed.connect(self._actor_changed)
        self._apply_role(ctx.actor if ctx.signed_in else None)
        self._update_totals()
        self._update_buttons()

    # -- public API ----------------------------------------------------------------------

    def set_unsigned_counts(self, counts: Mapping[int, int] | None) -> None:
        """Unsigned notes per specialist id (from the notes service); None shows "—"."""
        self.summary_model.set_unsigned_counts(counts)

    def has_unsaved_changes(self) -> bool:
        """For the main window (``KeepsDrafts``): an assign form is open with changes."""
        return has_unsaved_input(self.active_dialog)

    def save_drafts(self) -> None:
        if self.active_dialog is not None and has_unsaved_input(self.active_dialog):
            raise unsaved_input_error(self.active_dialog)

    def reload(self) -> None:
        self._reload_timer.stop()
        if self._ctx.runner.closing or not self._ctx.signed_in or not self._ctx.actor.supervises:
            return
        if self._handle is not None:
            self._reload_again = True
            return
        self._stale = False
        self._reload_again = False
        self.busy.show()
        self._handle = self._ctx.submit(
            load_team,
            on_done=self._loaded,
            on_error=self._load_failed,
            read_only=True,
            label=self.tr("Loading the team"),
        )

    @property
    def is_loading(self) -> bool:
        return self._handle is not None

    def select_specialist(self, specialist_id: int) -> bool:
        row = self.summary_model.row_of(specialist_id)
        if row < 0:
            return False
        self.specialists_table.selectRow(row)
        return True

    def selected_specialist_id(self) -> int | None:
        rows = self.specialists_table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.summary_model.summary_at(rows[0].row()).specialist_id

    def assign_selected(self) -> None:
        """Assign the participant selected in the unassigned queue."""
        row = self._selected_row(self.queue_table)
        if row is None:
            return
        caseload_row = self.caseload_model.row_at(
            self.queue_proxy.mapToSource(self.queue_proxy.index(row, 0)).row()
        )
        self._open_transfer(caseload_row.participant_id, caseload_row.display_name, None, "")

    def reassign_selected(self) -> None:
        """Transfer the participant selected in the specialist's list."""
        row = self._selected_row(self.member_table)
        if row is None:
            return
        caseload_row = self.caseload_model.row_at(
            self.member_proxy.mapToSource(self.member_proxy.index(row, 0)).row()
        )
        self._open_transfer(
            caseload_row.participant_id,
            caseload_row.display_name,
            caseload_row.specialist_id,
            caseload_row.specialist_name,
        )

    # -- events --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    # -- loading -------------------------------------------------------------------------

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
        self._team = None
        self.caseload_model.set_rows(())
        self.summary_model.set_summaries(())
        self.summary_model.set_unsigned_counts(None)
        self._apply_role(actor)
        self._stale = True
        self._update_totals()
        if actor is not None and self.isVisible():
            self.reload()

    def _apply_role(self, actor: Actor | None) -> None:
        supervises = actor is not None and actor.supervises
        self.splitter.setVisible(supervises)
        self.notice.setVisible(not supervises)

    def _loaded(self, team: TeamData) -> None:
        if not shiboken6.isValid(self):
            return
        self._handle = None
        self._load_error = ""
        self._team = team
        chosen = self.selected_specialist_id()
        self.caseload_model.set_caseload(team.caseload)
        self.summary_model.set_summaries(summarize(team))
        if chosen is None or not self.select_specialist(chosen):
            self._specialist_selected()
        self._finish_load()

    def _load_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._handle = None
        self._load_error = self.tr("The team could not be loaded: {reason}").format(
            reason=messages.describe(exc)
        )
        self._finish_load()

    def _finish_load(self) -> None:
        self.busy.hide()
        self._update_totals()
        self._update_buttons()
        self.loading_finished.emit()
        if self._reload_again:
            self.reload()

    # -- selection and buttons ----------------------------------------------------------

    def _specialist_selected(
        self, _selected: QItemSelection | None = None, _deselected: QItemSelection | None = None
    ) -> None:
        specialist_id = self.selected_specialist_id()
        if specialist_id is None:
            self.member_proxy.set_specialist_filter(0)
            self.member_heading.setText(self.tr("Choose a specialist to see their participants"))
        else:
            summary = self.summary_model.summary_at(self.summary_model.row_of(specialist_id))
            self.member_proxy.set_specialist_filter(specialist_id)
            self.member_heading.setText(
                self.tr("{name}: {people}").format(
                    name=summary.name,
                    people=ntr(_CONTEXT, "%n participant(s)", summary.participants),
                )
            )
        self._update_buttons()

    def _selected_row(self, table: QTableView) -> int | None:
        rows = table.selectionModel().selectedRows()
        if rows:
            return rows[0].row()
        current = table.currentIndex()
        return current.row() if current.isValid() else None

    def _update_buttons(self) -> None:
        self.reassign_button.setEnabled(
            self.member_proxy.rowCount() > 0 and self._selected_row(self.member_table) is not None
        )
        self.assign_button.setEnabled(
            self.queue_proxy.rowCount() > 0 and self._selected_row(self.queue_table) is not None
        )
        queued = self.queue_proxy.rowCount()
        self.queue_heading.setText(
            ntr(_CONTEXT, "Unassigned queue: %n participant(s)", queued)
            if queued
            else self.tr("Unassigned queue: empty")
        )

    def _update_totals(self) -> None:
        if self._load_error:
            self.totals_label.setText(self._load_error)
            return
        if self._team is None:
            self.totals_label.setText("")
            return
        data = self._team.caseload
        assigned = sum(1 for row in data.rows if row.specialist_id is not None)
        queued = len(data.rows) - assigned
        parts = [
            ntr(_CONTEXT, "%n specialist(s)", self.summary_model.rowCount()),
            ntr(_CONTEXT, "%n participant(s) assigned", assigned),
            ntr(_CONTEXT, "%n overdue", data.overdue_count),
            ntr(_CONTEXT, "%n unassigned", queued),
        ]
        self.totals_label.setText("  ·  ".join(parts))

    def _participant_table(self, proxy: CaseloadFilterProxy, name: str) -> QTableView:
        table = QTableView()
        setup_table(table, name)
        table.setModel(proxy)
        for column in range(COLUMN_COUNT):
            table.setColumnHidden(column, column not in _LIST_COLUMNS)
            table.horizontalHeader().resizeSection(column, default_column_width(table, column))
        # Narrower names than on the Caseload page: two lists share the width here.
        name_width = table.fontMetrics().averageCharWidth() * 24 + 16
        table.horizontalHeader().resizeSection(NAME, name_width)
        table.activated.connect(lambda index, p=proxy: self._activated(p, index))
        table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        return table

    def _activated(self, proxy: CaseloadFilterProxy, index: QModelIndex) -> None:
        if index.isValid():
            participant_id = participant_id_at(proxy, index.row())
            if participant_id is not None:
                self.open_participant.emit(participant_id)

    def _open_transfer(
        self,
        participant_id: int,
        name: str,
        specialist_id: int | None,
        specialist_name: str,
    ) -> None:
        try:
            dialog = TransferDialog(
                self._ctx, participant_id, name, specialist_id, specialist_name, self
            )
        except Exception as exc:
            messages.show_error(self, exc)
            return
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.active_dialog = dialog
        dialog.finished.connect(self._dialog_closed)
        self.dialog_opened.emit(dialog)
        dialog.open()

    def _dialog_closed(self, _result: int) -> None:
        self.active_dialog = None
