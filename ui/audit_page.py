"""The "Audit log" page: who did what to which record, and whether the chain is intact."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from casebook.security.permissions import Actor
from casebook.services import audit_log, session_events, users
from casebook.services.audit_log import AuditEntry
from casebook.services.users import UserInfo
from ui.audit_words import action_words, details_text
from ui.caseload_view import setup_table
from ui.context import AppContext
from ui.form_parts import heading, ntr, repolish
from ui.icons import icon
from ui.messages import describe, show_error
from ui.staff_page import local_time
from ui.tasks import Progress, run_with_progress

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


def _tr(text: str) -> str:
    return QCoreApplication.translate("audit", text)


class AuditTableModel(QAbstractTableModel):
    """Audit events (``AuditEntry`` read models), newest first as the service gives them."""

    WHEN, USER, ACTION, RECORD, ABOUT, DETAILS = range(6)
    COLUMN_KEYS = ("when", "user", "action", "record", "about", "details")
    EntryRole = Qt.ItemDataRole.UserRole
    SortRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: list[AuditEntry] = []
        self._headers = (
            self.tr("When"),
            self.tr("User"),
            self.tr("Action"),
            self.tr("Record"),
            self.tr("About"),
            self.tr("Details"),
        )

    @property
    def entries(self) -> list[AuditEntry]:
        return list(self._entries)

    def set_entries(self, entries: list[AuditEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self._headers)
        ):
            return self._headers[section]
        return None

    def _display(self, entry: AuditEntry, column: int) -> str:
        if column == self.WHEN:
            return local_time(entry.occurred_at, with_seconds=True)
        if column == self.USER:
            return entry.username or self.tr("(nobody signed in)")
        if column == self.ACTION:
            return action_words(entry.action)
        if column == self.RECORD:
            return entry.record_number
        if column == self.ABOUT:
            if entry.entity_type and entry.entity_id is not None:
                return f"{entry.entity_type.replace('_', ' ')} #{entry.entity_id}"
            return entry.entity_type.replace("_", " ")
        return details_text(entry.details)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.ACTION:
                return entry.action
            if column == self.DETAILS and entry.details:
                return details_text(entry.details)
            return None
        if role == self.SortRole:
            if column == self.WHEN:
                return entry.id
            return self._display(entry, column).casefold()
        if role == self.EntryRole:
            return entry
        return None


class AuditPage(QWidget):
    """Filters, the events, the chain status and the CSV export."""

    PERIODS: tuple[tuple[str, str], ...] = (
        ("7", "Last 7 days"),
        ("30", "Last 30 days"),
        ("365", "Last 12 months"),
        ("all", "Any date"),
        ("range", "Between dates"),
    )
    COMMON_ACTIONS: tuple[str, ...] = (
        "login",
        "login_failed",
        "logout",
        "lock",
        "unlock",
        "participant_view",
        "emergency_access",
        "access_denied",
        "print",
        "export",
        "audit_export",
        "user_create",
        "user_update",
        "password_reset",
        "backup",
        "restore",
    )
    LIMIT = 2000

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditPage")
        self.ctx = ctx
        self.model = AuditTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(AuditTableModel.SortRole)
        self._generation = 0

        self.record = QLineEdit(self)
        self.record.setAccessibleName(self.tr("Record number"))
        self.record.setPlaceholderText(self.tr("any record"))
        self.record.setClearButtonEnabled(True)
        self.record.setMaxLength(32)
        self.user = QLineEdit(self)
        self.user.setAccessibleName(self.tr("Username"))
        self.user.setPlaceholderText(self.tr("anyone"))
        self.user.setClearButtonEnabled(True)
        self.user.setMaxLength(64)
        self._completer = QCompleter([], self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.user.setCompleter(self._completer)
        self.action = QComboBox(self)
        self.action.setAccessibleName(self.tr("Action"))
        self.action.addItem(self.tr("Any action"), "")
        for code in self.COMMON_ACTIONS:
            self.action.addItem(action_words(code), code)
        self.action.setMinimumContentsLength(16)
        self.period = QComboBox(self)
        self.period.setAccessibleName(self.tr("Period"))
        for key, title in self.PERIODS:
            self.period.addItem(QCoreApplication.translate("audit", title), key)
        self.period.setCurrentIndex(1)
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-30), self)
        self.until = QDateEdit(today, self)
        for edit, name in ((self.since, self.tr("From date")), (self.until, self.tr("To date"))):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
            edit.setMaximumDate(today.addDays(1))
        self.search_button = QPushButton(icon("search"), self.tr("&Show"), self)
        self.search_button.setObjectName("auditSearch")
        self.search_button.setAutoDefault(True)
        self.filter_message = QLabel(self)
        self.filter_message.setProperty("role", "field-error")
        self.filter_message.setWordWrap(True)
        self.filter_message.hide()

        for line in (self.record, self.user):
            line.returnPressed.connect(self.refresh)
        self.search_button.clicked.connect(self.refresh)
        self.period.currentIndexChanged.connect(self._period_changed)
        self.action.currentIndexChanged.connect(self.refresh)

        filters = QGridLayout()
        filters.setHorizontalSpacing(8)
        filters.setVerticalSpacing(4)
        labels: list[tuple[str, QWidget]] = [
            (self.tr("&Record number"), self.record),
            (self.tr("&User"), self.user),
            (self.tr("&Action"), self.action),
            (self.tr("&Period"), self.period),
        ]
        for column, (text, field) in enumerate(labels):
            label = QLabel(text, self)
            label.setBuddy(field)
            filters.addWidget(label, 0, column)
            filters.addWidget(field, 1, column)
        self.range_box = QWidget(self)
        range_layout = QHBoxLayout(self.range_box)
        range_layout.setContentsMargins(0, 0, 0, 0)
        from_label = QLabel(self.tr("&From"), self.range_box)
        from_label.setBuddy(self.since)
        to_label = QLabel(self.tr("&to"), self.range_box)
        to_label.setBuddy(self.until)
        range_layout.addWidget(from_label)
        range_layout.addWidget(self.since)
        range_layout.addWidget(to_label)
        range_layout.addWidget(self.until)
        filters.addWidget(self.range_box, 1, len(labels))
        filters.addWidget(self.search_button, 1, len(labels) + 1)
        filters.setColumnStretch(len(labels) + 2, 1)
        for column in range(len(labels)):
            filters.setColumnMinimumWidth(column, 150)

        self.table = QTableView(self)
        self.table.setObjectName("auditTable")
        # The look every large table shares (whole rows, fixed heights, no measuring).
        setup_table(self.table, self.tr("Audit events"))
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(AuditTableModel.WHEN, Qt.SortOrder.DescendingOrder)
        header = self.table.horizontalHeader()
        for column, width in (
            (AuditTableModel.WHEN, 160),
            (AuditTableModel.USER, 120),
            (AuditTableModel.ACTION, 190),
            (AuditTableModel.RECORD, 90),
            (AuditTableModel.ABOUT, 150),
        ):
            header.resizeSection(column, width)

        self.chain_icon = QLabel(self)
        self.chain_status = QLabel(self.tr("Checking the audit chain…"), self)
        self.chain_status.setObjectName("chainStatus")
        self.chain_status.setWordWrap(True)
        self.chain_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("auditCount")
        self.count_label.setProperty("role", "hint")
        self.count_label.setWordWrap(True)
        self.export_button = QPushButton(icon("upload"), self.tr("&Export CSV…"), self)
        self.export_button.setObjectName("auditExport")
        self.export_button.clicked.connect(self.choose_export_file)
        self.export_button.setEnabled(False)
        self.refresh_button = QPushButton(icon("refresh-cw"), self.tr("Re&fresh"), self)
        self.refresh_button.clicked.connect(self.refresh_all)

        chain_row = QHBoxLayout()
        chain_row.addWidget(self.chain_icon)
        chain_row.addWidget(self.chain_status, 1)
        chain_row.addWidget(self.refresh_button)
        chain_row.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(heading(self.tr("Audit log"), self))
        layout.addLayout(filters)
        layout.addWidget(self.filter_message)
        layout.addLayout(chain_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)

        for first, second in (
            (self.record, self.user),
            (self.user, self.action),
            (self.action, self.period),
            (self.period, self.since),
            (self.since, self.until),
            (self.until, self.search_button),
            (self.search_button, self.table),
            (self.table, self.refresh_button),
            (self.refresh_button, self.export_button),
        ):
            self.setTabOrder(first, second)
        self.range_box.setVisible(self.period.currentData() == "range")
        self.refresh_all()

    # -- filters -------------------------------------------------------------------------

    def _period_changed(self) -> None:
        custom = self.period.currentData() == "range"
        self.range_box.setVisible(custom)
        if custom:
            self.since.setFocus()
        self.refresh()

    def period_bounds(self) -> tuple[datetime | None, datetime | None]:
        """The chosen period as UTC instants: from local midnight to the next one."""
        key = self.period.currentData()
        today = date.today()
        if key == "all":
            return None, None
        if key == "range":
            first = self.since.date().toPython()
            last = self.until.date().toPython()
            assert isinstance(first, date) and isinstance(last, date)
            if last < first:
                first, last = last, first
        else:
            first, last = today - timedelta(days=int(key)), today
        return _local_midnight_utc(first), _local_midnight_utc(last + timedelta(days=1))

    # -- loading -------------------------------------------------------------------------

    def refresh_all(self) -> None:
        self.refresh()
        self.check_chain()
        self.ctx.submit(users.list_users, on_done=self._users_loaded, on_error=lambda _e: None)

    def _users_loaded(self, rows: list[UserInfo]) -> None:
        self._completer = QCompleter([info.username for info in rows], self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.user.setCompleter(self._completer)

    def refresh(self) -> None:
        self.filter_message.hide()
        since, until = self.period_bounds()
        record = self.record.text().strip()
        username = self.user.text().strip() or None
        action = self.action.currentData() or None
        actor = self.ctx.actor
        ctx = self.ctx
        limit = self.LIMIT

        def work(_progress: Progress) -> list[AuditEntry]:
            # The actor is captured here, on the GUI thread, with the filters.
            participant_id = None
            if record:
                participant_id = ctx.call_anonymous(
                    session_events.participant_for_audit, actor, record
                )
            return ctx.call_anonymous(
                audit_log.query_audit,
                actor,
                participant_id=participant_id,
                username=username,
                since=since,
                until=until,
                action=action,
                limit=limit,
            )

        # Answers can arrive out of order; only the one for the newest filters counts.
        self._generation += 1
        generation = self._generation
        self.count_label.setText(self.tr("Loading…"))
        ctx.runner.run(
            work,
            lambda entries: self._loaded(entries, generation),
            lambda exc: self._load_failed(exc, generation),
            label=self.tr("Audit log"),
        )

    def _loaded(self, entries: list[AuditEntry], generation: int) -> None:
        if generation != self._generation:
            return
        self.model.set_entries(entries)
        self.export_button.setEnabled(bool(entries))
        if len(entries) >= self.LIMIT:
            text = self.tr(
                "Showing the newest {n} events; narrow the filters to see older ones."
            ).format(n=f"{len(entries):,}")
        elif entries:
            text = ntr("audit", "%n event(s)", len(entries))
        else:
            text = self.tr("No events match these filters.")
        self.count_label.setText(text)

    def _load_failed(self, exc: BaseException, generation: int) -> None:
        if generation != self._generation:
            return
        self.model.set_entries([])
        self.export_button.setEnabled(False)
        self.count_label.setText("")
        self.filter_message.setText(describe(exc))
        self.filter_message.show()

    def check_chain(self) -> None:
        self.ctx.submit(
            audit_log.check_chain,
            on_done=self._chain_checked,
            on_error=self._chain_failed,
            label=self.tr("Checking the audit chain"),
        )

    def _chain_checked(self, report: Any) -> None:
        if report.ok:
            self.chain_icon.setPixmap(icon("shield-check").pixmap(18, 18))
            self.chain_status.setText(
                self.tr(
                    "The audit chain is intact: {n} events checked, none changed or removed."
                ).format(n=f"{report.rows_checked:,}")
            )
            self.chain_status.setProperty("flag", None)
        else:
            self.chain_icon.setPixmap(icon("triangle-alert").pixmap(18, 18))
            where = (
                self.tr("at event #{id}").format(id=report.first_broken_id)
                if report.first_broken_id is not None
                else ""
            )
            self.chain_status.setText(
                self.tr(
                    "The audit chain is broken {where}: {problem}. Events may have been "
                    "changed or removed outside Casebook; tell your administrator."
                ).format(where=where, problem=report.problem)
            )
            self.chain_status.setProperty("flag", "safety")
        repolish(self.chain_status)

    def _chain_failed(self, exc: BaseException) -> None:
        self.chain_icon.setPixmap(icon("circle-alert").pixmap(18, 18))
        self.chain_status.setText(
            self.tr("The audit chain could not be checked: {reason}").format(reason=describe(exc))
        )

    # -- export --------------------------------------------------------------------------

    def choose_export_file(self) -> None:
        suggested = Path.home() / f"casebook-audit-{date.today():%Y%m%d}.csv"
        path, _filter = QFileDialog.getSaveFileName(
            self,
            self.tr("Export the audit log"),
            str(suggested),
            self.tr("CSV files (*.csv)"),
        )
        if path:
            if not path.lower().endswith(".csv"):
                path += ".csv"
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write the events shown to *path* as CSV, on a worker; the service audits it."""
        entries = self.model.entries
        actor: Actor = self.ctx.actor
        ctx = self.ctx

        def work(progress: Progress) -> int:
            progress.report(0, 0, _tr("Exporting the audit log…"))
            text = ctx.call_anonymous(audit_log.export_audit_csv, actor, entries)
            # utf-8-sig: spreadsheet programs then read non-ASCII names correctly.
            temporary = path.with_name(f".{path.name}.part")
            try:
                temporary.write_text(text, encoding="utf-8-sig", newline="")
                os.replace(temporary, path)
            except OSError:
                temporary.unlink(missing_ok=True)
                raise
            return len(entries)

        run_with_progress(
            self,
            self.tr("Exporting the audit log"),
            work,
            lambda count: self._exported(path, count),
            cancellable=False,
            on_error=self._export_failed,
            runner=ctx.runner,
            write=True,
        )

    def _exported(self, path: Path, count: int) -> None:
        self.count_label.setText(
            ntr("audit", "Exported %n event(s) to {path}.", count).format(path=path)
        )

    def _export_failed(self, exc: BaseException) -> None:
        if isinstance(exc, OSError):
            self.count_label.setText(
                self.tr("Could not write {path}: {reason}").format(
                    path=exc.filename or "", reason=exc.strerror or exc
                )
            )
            return
        show_error(self, exc, self.tr("Export failed"))


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min).astimezone().astimezone(UTC)


def can_read_audit(actor: Actor) -> bool:
    return actor.is_admin or actor.supervises
