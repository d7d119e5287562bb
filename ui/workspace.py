"""One participant's workspace (header, actions, Overview and History tabs) and the
host that keeps several open with a switcher.

Opening a workspace is one ``get_participant`` call, which the service audits as a
view; later refreshes (after an edit, a note, a transfer) pass ``audit_view=False``
because the record is already open. Other screens add their tabs with ``add_tab``
(Recovery plan, Session notes, Referrals, Assessments, Consents); History stays last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QIcon, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from casebook.security.permissions import Actor
from casebook.services import assignments, audit_log, milestones, notes, participants
from casebook.services.assignments import AssignmentEntry
from casebook.services.audit_log import AuditEntry
from casebook.services.caseload import contact_due
from casebook.services.notes import ContactSummary
from casebook.services.participants import ParticipantDetail, RecoveryStartEntry
from ui import messages, shortcuts
from ui.audit_words import action_words, details_text
from ui.caseload_model import (
    FLAG_DUE,
    OVERDUE_FLAGS,
    contact_flag,
    describe_due,
    format_name,
    local_date,
    ntr,
    status_label,
)
from ui.caseload_view import setup_table
from ui.context import AppContext
from ui.form_dialog import has_unsaved_input, unsaved_input_error
from ui.icons import icon
from ui.participant_forms import (
    AREA_PARTICIPANT,
    DischargeDialog,
    EditParticipantDialog,
    ReadmitDialog,
    ResetRecoveryDateDialog,
    TransferDialog,
    focus_labels,
)
from ui.print_preview import SummaryOptionsDialog

_CONTEXT = "ParticipantWorkspace"
_RELOAD_DELAY_MS = 150
#: Audit events shown on the History tab (newest first).
AUDIT_LIMIT = 500

R = TypeVar("R")


def alive(obj: Any) -> bool:
    return shiboken6.isValid(obj)


# -- loading (worker thread) ----------------------------------------------------------------


@dataclass(frozen=True)
class TabSpec:
    """A feature tab every participant workspace gets (Recovery plan, Session notes...).

    ``factory(ctx, workspace)`` builds the tab's widget when the workspace is
    created. The widget loads its own data (``ctx.submit``) when first shown and
    reloads on ``ctx.changed``; ``workspace.loaded`` carries the refreshed
    ``ParticipantDetail``. ``title`` is marked with
    ``QT_TRANSLATE_NOOP("workspace tabs", ...)``. Tabs appear in registration order
    (or by ``order``, lower first) between Overview and History.
    """

    key: str
    title: str
    icon_name: str
    factory: Callable[[AppContext, ParticipantWorkspace], QWidget]
    order: int = 100
    visible: Callable[[Actor], bool] = lambda _actor: True

    def display_title(self) -> str:
        return QCoreApplication.translate("workspace tabs", self.title)


#: Feature tabs, registered by the modules that build them (see ``ui.pages``).
WORKSPACE_TABS: list[TabSpec] = []

#: Header flag sources: ``source(session, actor, participant_id) -> [(label, kind)]``,
#: called in the worker thread while the workspace loads. ``kind`` is a badge name from
#: ``ui.theme.FLAG_NAMES``. A source must not audit (the profile read already did).
FlagSource = Callable[[Any, Actor, int], Sequence[tuple[str, str]]]
FLAG_SOURCES: list[FlagSource] = []


def register_tab(spec: TabSpec) -> None:
    """Add *spec* (replacing one with the same key), keeping ``order``."""
    WORKSPACE_TABS[:] = [tab for tab in WORKSPACE_TABS if tab.key != spec.key]
    WORKSPACE_TABS.append(spec)
    WORKSPACE_TABS.sort(key=lambda tab: tab.order)


def register_flag_source(source: FlagSource) -> None:
    if source not in FLAG_SOURCES:
        FLAG_SOURCES.append(source)


@dataclass(frozen=True)
class WorkspaceData:
    """Everything the workspace shows, fetched in one unit of work."""

    detail: ParticipantDetail
    contact: ContactSummary
    assignments: tuple[AssignmentEntry, ...]
    recovery_starts: tuple[RecoveryStartEntry, ...]
    #: None when the actor may not read the audit log (specialists).
    audit: tuple[AuditEntry, ...] | None
    today: date
    #: Flags from the feature services (consent, safety, plan...), as (label, kind).
    flags: tuple[tuple[str, str], ...] = ()


def load_workspace(
    session: Any, actor: Actor, participant_id: int, *, audit_view: bool
) -> WorkspaceData:
    """For ``ctx.submit``: the profile (audited as a view when *audit_view*) and its history."""
    detail = participants.get_participant(session, actor, participant_id, audit_view=audit_view)
    contact = notes.contact_summary(session, actor, participant_id)
    history = assignments.assignment_history(session, actor, participant_id)
    starts = participants.recovery_start_history(session, actor, participant_id)
    audit: list[AuditEntry] | None = None
    if actor.is_admin or actor.supervises:
        audit = audit_log.query_audit(
            session, actor, participant_id=participant_id, limit=AUDIT_LIMIT
        )
    flags: list[tuple[str, str]] = []
    for source in FLAG_SOURCES:
        flags.extend(source(session, actor, participant_id))
    return WorkspaceData(
        detail=detail,
        contact=contact,
        assignments=tuple(history),
        recovery_starts=tuple(starts),
        audit=None if audit is None else tuple(audit),
        today=date.today(),
        flags=tuple(flags),
    )


def next_contact_due(detail: ParticipantDetail, contact: ContactSummary) -> date:
    """The caseload's rule (``caseload.contact_due``) for the record's header."""
    return contact_due(contact.last_contact_at, detail.intake_date, detail.contact_cadence_days)


def age_on(born: date, today: date) -> int:
    years = today.year - born.year
    if (today.month, today.day) < (born.month, born.day):
        years -= 1
    return years


# -- small read-only table models -----------------------------------------------------------


class ListModel(QAbstractTableModel, Generic[R]):
    """A table over a list of frozen read models; one function per column."""

    def __init__(
        self,
        titles: Callable[[], Sequence[str]],
        columns: Sequence[Callable[[R], str]],
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._titles = titles
        self._columns = tuple(columns)
        self._rows: list[R] = []

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> R:
        return self._rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

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
            and 0 <= section < len(self._columns)
        ):
            return self._titles()[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = self._columns[index.column()](self._rows[index.row()])
            if role == Qt.ItemDataRole.ToolTipRole:
                return text or None
            return text
        return None


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


class AssignmentHistoryModel(ListModel[AssignmentEntry]):
    """Who carried the participant, from when to when, and why."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            lambda: (_tr("Specialist"), _tr("From"), _tr("Until"), _tr("Reason")),
            (
                lambda e: e.specialist_name,
                lambda e: _iso(e.start_date),
                lambda e: _iso(e.end_date) if e.end_date else _tr("now"),
                lambda e: e.reason,
            ),
            parent,
        )


class RecoveryStartHistoryModel(ListModel[RecoveryStartEntry]):
    """Every change of the recovery start date."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            lambda: (_tr("Changed on"), _tr("Previous date"), _tr("New date"), _tr("Note")),
            (
                lambda e: local_date(e.changed_at).isoformat(),
                lambda e: _iso(e.previous_date) or "—",
                lambda e: _iso(e.new_date) or "—",
                lambda e: e.note,
            ),
            parent,
        )


class AuditEventModel(ListModel[AuditEntry]):
    """Audit events about one participant (supervisors and administrators)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            lambda: (_tr("When"), _tr("Who"), _tr("What"), _tr("Details")),
            (
                lambda e: e.occurred_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                lambda e: e.username,
                lambda e: action_words(e.action),
                lambda e: details_text(e.details),
            ),
            parent,
        )


# -- the workspace --------------------------------------------------------------------------


def _value_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


class _Card(QFrame):
    """A titled panel of label/value rows on the Overview tab."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        layout = QVBoxLayout(self)
        heading = QLabel(title)
        heading.setProperty("role", "subheading")
        layout.addWidget(heading)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(self.form)
        layout.addStretch(1)
        self._values: dict[str, QLabel] = {}

    def add(self, key: str, label: str) -> QLabel:
        value = _value_label()
        caption = QLabel(label)
        caption.setProperty("role", "hint")
        self.form.addRow(caption, value)
        self._values[key] = value
        return value

    def set(self, key: str, text: str) -> None:
        label = self._values[key]
        label.setText(text or "—")

    def value(self, key: str) -> str:
        return self._values[key].text()


class ParticipantWorkspace(QWidget):
    """The header, actions and tabs for one participant."""

    #: The record was loaded or refreshed (carries the ParticipantDetail).
    loaded = Signal(object)
    #: The record could not be opened (message for a person).
    failed = Signal(str)
    #: Display name or record number changed: the host updates its switcher.
    title_changed = Signal(str)
    #: An action dialog was opened (tests and tools can reach it).
    dialog_opened = Signal(QDialog)

    def __init__(self, ctx: AppContext, participant_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("participantWorkspace")
        self._ctx = ctx
        self._participant_id = participant_id
        self._data: WorkspaceData | None = None
        self._external_flags: list[tuple[str, str]] = []
        self._loading = False
        self._reload_again = False
        self._stale = False
        self._opened = False
        self.active_dialog: QDialog | None = None

        # Header ---------------------------------------------------------------------------
        self.name_label = QLabel(self.tr("Opening…"))
        self.name_label.setObjectName("participantName")
        self.name_label.setProperty("role", "heading")
        self.name_label.setWordWrap(True)
        self.name_label.setTextFormat(Qt.TextFormat.PlainText)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.facts_label = _value_label()
        self.facts_label.setObjectName("participantFacts")
        self.facts_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.recovery_label = _value_label()
        self.recovery_label.setObjectName("participantRecovery")
        self.recovery_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.flags_row = QHBoxLayout()
        self.flags_row.setSpacing(6)
        self._chips: list[QLabel] = []
        self._flags_holder = flags_holder = QWidget()
        flags_holder.setLayout(self.flags_row)
        self.flags_row.setContentsMargins(0, 0, 0, 0)
        self.flags_row.addStretch(1)

        # Actions --------------------------------------------------------------------------
        self.toolbar = QToolBar()
        self.toolbar.setObjectName("participantActions")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.setAccessibleName(self.tr("Participant actions"))
        self.edit_action = self._action("pen-line", self.tr("&Edit profile…"), self.edit, "Ctrl+E")
        self.transfer_action = self._action(
            "arrow-right-left", self.tr("&Transfer…"), self.transfer
        )
        self.discharge_action = self._action("user-x", self.tr("&Discharge…"), self.discharge)
        self.readmit_action = self._action("user-check", self.tr("&Readmit…"), self.readmit)
        self.reset_action = self._action(
            "calendar", self.tr("New recovery &start date…"), self.reset_recovery_date
        )
        self.inactive_action = self._action("clock", self.tr("Mark &inactive"), self.mark_inactive)
        self.active_action = self._action("circle-check", self.tr("Mark &active"), self.mark_active)
        self.print_action = self._action(
            "printer", self.tr("&Print summary…"), self.print_summary, "Ctrl+P"
        )
        for action in self._all_actions():
            action.setEnabled(False)

        header = QVBoxLayout()
        header.setSpacing(4)
        header.addWidget(self.name_label)
        header.addWidget(self.facts_label)
        header.addWidget(self.recovery_label)
        header.addWidget(flags_holder)
        header.addWidget(self.toolbar)

        # Tabs -----------------------------------------------------------------------------
        self.tabs = QTabWidget()
        self.tabs.setObjectName("participantTabs")
        self.tabs.setDocumentMode(True)
        self.overview = self._build_overview()
        self.history = self._build_history()
        self.tabs.addTab(self.overview, icon("user"), self.tr("Overview"))
        self.tabs.addTab(self.history, icon("history"), self.tr("History"))
        self.feature_tabs: dict[str, QWidget] = {}
        actor = ctx.actor if ctx.signed_in else None
        for spec in WORKSPACE_TABS:
            if actor is not None and not spec.visible(actor):
                continue
            widget = spec.factory(ctx, self)
            widget.setObjectName(widget.objectName() or f"{spec.key}Tab")
            self.feature_tabs[spec.key] = widget
            self.add_tab(widget, spec.display_title(), icon(spec.icon_name))

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        for keys, step in ((shortcuts.NEXT_TAB, 1), (shortcuts.PREVIOUS_TAB, -1)):
            switch = QShortcut(QKeySequence(keys), self)
            switch.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            switch.activated.connect(self._next_tab if step > 0 else self._previous_tab)

        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(_RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.refresh)
        ctx.changed.connect(self._data_changed)

    # -- public API ----------------------------------------------------------------------

    @property
    def participant_id(self) -> int:
        return self._participant_id

    def _next_tab(self) -> None:
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + 1) % self.tabs.count())

    def _previous_tab(self) -> None:
        self.tabs.setCurrentIndex((self.tabs.currentIndex() - 1) % self.tabs.count())

    @property
    def detail(self) -> ParticipantDetail | None:
        return self._data.detail if self._data else None

    @property
    def data(self) -> WorkspaceData | None:
        return self._data

    @property
    def is_loading(self) -> bool:
        return self._loading

    def title(self) -> str:
        detail = self.detail
        if detail is None:
            return self.tr("Opening…")
        return f"{detail.display_name} · {detail.record_number}"

    def open(self) -> None:
        """Load the record; audited by the service as a view. Call once per opening."""
        if self._opened:
            return
        self._opened = True
        self._load(audit_view=True)

    def refresh(self) -> None:
        """Reload after a change elsewhere (not audited again: the record is open)."""
        self._reload_timer.stop()
        if not self._opened:
            return
        if self._loading:
            self._reload_again = True
            return
        self._load(audit_view=False)

    def add_tab(self, widget: QWidget, title: str, tab_icon: QIcon | None = None) -> int:
        """Add a feature tab (plan, notes, referrals...); History stays the last tab."""
        position = self.tabs.indexOf(self.history)
        if tab_icon is None:
            return self.tabs.insertTab(position, widget, title)
        return self.tabs.insertTab(position, widget, tab_icon, title)

    def set_flags(self, flags: Sequence[tuple[str, str]]) -> None:
        """Flags from other services as (label, kind); kind is a badge name from
        ``ui.theme.FLAG_NAMES`` ("due", "overdue", "long_overdue", "safety")."""
        self._external_flags = list(flags)
        self._show_flags()

    def show_tab(self, key: str) -> QWidget | None:
        """Bring a tab to the front by key ("overview", "history" or a feature tab's key)."""
        widget = {"overview": self.overview, "history": self.history}.get(key)
        widget = widget or self.feature_tabs.get(key)
        if widget is not None:
            self.tabs.setCurrentWidget(widget)
        return widget

    def flag_texts(self) -> list[str]:
        return [chip.text() for chip in self._chips]

    # -- loading -------------------------------------------------------------------------

    def _load(self, *, audit_view: bool) -> None:
        if self._ctx.runner.closing:
            return
        self._loading = True
        self._reload_again = False
        self._ctx.submit(
            load_workspace,
            self._participant_id,
            audit_view=audit_view,
            on_done=self._loaded,
            on_error=self._load_failed,
            # The first opening writes its audit event, so it goes to the write thread.
            read_only=not audit_view,
            label=self.tr("Opening participant"),
        )

    def _loaded(self, data: WorkspaceData) -> None:
        if not alive(self):
            return
        self._loading = False
        old_title = self.title()
        self._data = data
        self._show(data)
        self.loaded.emit(data.detail)
        if self.title() != old_title:
            self.title_changed.emit(self.title())
        if self._reload_again:
            self.refresh()

    def _load_failed(self, exc: BaseException) -> None:
        if not alive(self):
            return
        self._loading = False
        text = messages.describe(exc)
        if self._data is None:
            self.name_label.setText(self.tr("This record cannot be opened"))
            self.facts_label.setText(text)
        else:
            self.facts_label.setText(text)
        for action in self._all_actions():
            action.setEnabled(False)
        self.failed.emit(text)

    def _data_changed(self, area: str, participant_id: int) -> None:
        if participant_id not in (0, self._participant_id) or not self._opened:
            return
        if self.isVisible():
            self._reload_timer.start()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    # -- showing -------------------------------------------------------------------------

    def _show(self, data: WorkspaceData) -> None:
        detail = data.detail
        today = data.today
        self.name_label.setText(detail.display_name)
        self.name_label.setToolTip(format_name(detail.preferred_name, detail.legal_name))
        facts: list[str] = []
        if detail.preferred_name and detail.preferred_name != detail.legal_name:
            facts.append(self.tr("Legal name: {name}").format(name=detail.legal_name))
        if detail.pronouns:
            facts.append(detail.pronouns)
        facts.append(self.tr("Record {number}").format(number=detail.record_number))
        facts.append(
            self.tr("{age} years (born {dob})").format(
                age=age_on(detail.date_of_birth, today), dob=detail.date_of_birth.isoformat()
            )
        )
        facts.append(
            self.tr("Specialist: {name}").format(name=detail.specialist_name)
            if detail.specialist_name
            else self.tr("Unassigned")
        )
        facts.append(status_label(detail.status))
        self.facts_label.setText("  ·  ".join(facts))
        self.recovery_label.setText(self._recovery_text(detail, today))
        self.recovery_label.setVisible(bool(self.recovery_label.text()))
        self._show_flags()
        self._show_overview(data)
        self.assignment_model.set_rows(data.assignments)
        self.recovery_model.set_rows(data.recovery_starts)
        if data.audit is not None:
            self.audit_model.set_rows(data.audit)
        self.audit_section.setVisible(data.audit is not None)
        self._update_actions(detail)

    def _recovery_text(self, detail: ParticipantDetail, today: date) -> str:
        start = detail.recovery_start_date
        if start is None:
            return ""
        days = milestones.days_in_recovery(start, today) or 0
        text = ntr(_CONTEXT, "%n day(s) in recovery", days)
        upcoming = milestones.next_milestone(start, today)
        if upcoming is not None:
            text += "  ·  " + self.tr("next milestone: {label} on {date}").format(
                label=upcoming.label, date=upcoming.date.isoformat()
            )
        return text

    def contact_flag(self) -> tuple[str, str] | None:
        """(label, kind) for the contact chip, or None when nothing is due."""
        if self._data is None or self._data.detail.status == "discharged":
            return None
        due = next_contact_due(self._data.detail, self._data.contact)
        flag = contact_flag(due, self._data.today)
        days_past = (self._data.today - due).days
        if flag in OVERDUE_FLAGS:
            return ntr(_CONTEXT, "Contact %n day(s) overdue", days_past), flag or ""
        if flag == FLAG_DUE:
            if days_past == 0:
                return self.tr("Contact due today"), FLAG_DUE
            return ntr(_CONTEXT, "Contact due in %n day(s)", -days_past), FLAG_DUE
        return None

    def _show_flags(self) -> None:
        for chip in self._chips:
            self.flags_row.removeWidget(chip)
            chip.deleteLater()
        self._chips = []
        flags = list(self._data.flags) if self._data is not None else []
        flags += [flag for flag in self._external_flags if flag not in flags]
        own = self.contact_flag()
        if own is not None:
            flags.insert(0, own)
        for position, (text, kind) in enumerate(flags):
            chip = QLabel(text)
            chip.setProperty("badge", kind)
            chip.setAccessibleName(text)
            chip.setTextFormat(Qt.TextFormat.PlainText)
            self.flags_row.insertWidget(position, chip)
            self._chips.append(chip)
        self._flags_holder.setVisible(bool(flags))

    def _update_actions(self, detail: ParticipantDetail) -> None:
        actor = self._ctx.actor if self._ctx.signed_in else None
        supervises = actor is not None and actor.supervises
        discharged = detail.status == "discharged"
        self.edit_action.setEnabled(True)
        self.transfer_action.setVisible(supervises)
        self.transfer_action.setEnabled(supervises and not discharged)
        self.discharge_action.setVisible(not discharged)
        self.discharge_action.setEnabled(not discharged)
        self.readmit_action.setVisible(discharged)
        self.readmit_action.setEnabled(discharged)
        self.reset_action.setEnabled(not discharged)
        self.inactive_action.setVisible(detail.status == "active")
        self.inactive_action.setEnabled(detail.status == "active")
        self.active_action.setVisible(detail.status == "inactive")
        self.active_action.setEnabled(detail.status == "inactive")
        self.print_action.setEnabled(True)

    # -- Overview ------------------------------------------------------------------------

    def _build_overview(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.setSpacing(12)
        self.contact_card = _Card(self.tr("Contact"))
        self.contact_card.add("phone", self.tr("Phone"))
        self.contact_card.add("email", self.tr("E-mail"))
        self.contact_card.add("address", self.tr("Address"))
        self.contact_card.add("language", self.tr("Preferred language"))
        self.emergency_card = _Card(self.tr("Emergency contact"))
        self.emergency_card.add("name", self.tr("Name"))
        self.emergency_card.add("phone", self.tr("Phone"))
        self.recovery_card = _Card(self.tr("Recovery"))
        self.recovery_card.add("focus", self.tr("Focus"))
        self.recovery_card.add("start", self.tr("Recovery start"))
        self.recovery_card.add("cadence", self.tr("Contact cadence"))
        self.recovery_card.add("last_contact", self.tr("Last contact"))
        self.recovery_card.add("next_contact", self.tr("Next contact due"))
        self.programme_card = _Card(self.tr("Programme"))
        self.programme_card.add("status", self.tr("Status"))
        self.programme_card.add("intake", self.tr("Intake date"))
        self.programme_card.add("discharge", self.tr("Discharged"))
        self.programme_card.add("discharge_reason", self.tr("Discharge reason"))
        self.assignments_card = _Card(self.tr("Specialists"))
        self.assignments_list = _value_label()
        self.assignments_card.form.addRow(self.assignments_list)
        self.starts_card = _Card(self.tr("Recovery start date changes"))
        self.starts_list = _value_label()
        self.starts_card.form.addRow(self.starts_list)
        grid.addWidget(self.contact_card, 0, 0)
        grid.addWidget(self.emergency_card, 0, 1)
        grid.addWidget(self.recovery_card, 1, 0)
        grid.addWidget(self.programme_card, 1, 1)
        grid.addWidget(self.assignments_card, 2, 0)
        grid.addWidget(self.starts_card, 2, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(3, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(page)
        return scroll

    def _show_overview(self, data: WorkspaceData) -> None:
        detail = data.detail
        contact = self.contact_card
        contact.set("phone", detail.phone)
        contact.set("email", detail.email)
        contact.set("address", detail.address)
        contact.set("language", detail.preferred_language)
        self.emergency_card.set("name", detail.emergency_contact_name)
        self.emergency_card.set("phone", detail.emergency_contact_phone)
        labels = dict(
            zip(("substance_use", "mental_health", "co_occurring"), focus_labels(), strict=True)
        )
        recovery = self.recovery_card
        recovery.set("focus", labels.get(detail.recovery_focus, detail.recovery_focus))
        start = detail.recovery_start_date
        recovery.set(
            "start",
            self.tr("{date} ({days})").format(
                date=start.isoformat(),
                days=ntr(
                    _CONTEXT, "%n day(s)", milestones.days_in_recovery(start, data.today) or 0
                ),
            )
            if start
            else "",
        )
        recovery.set("cadence", ntr(_CONTEXT, "every %n day(s)", detail.contact_cadence_days))
        last = data.contact.last_contact_at
        if last is not None:
            last_day = local_date(last)
            ago = (data.today - last_day).days
            recovery.set(
                "last_contact",
                self.tr("{date} ({ago})").format(
                    date=last_day.isoformat(),
                    ago=self.tr("today") if ago == 0 else ntr(_CONTEXT, "%n day(s) ago", ago),
                ),
            )
        else:
            recovery.set("last_contact", self.tr("No contact recorded yet"))
        if detail.status == "discharged":
            recovery.set("next_contact", "")
        else:
            recovery.set(
                "next_contact", describe_due(next_contact_due(detail, data.contact), data.today)
            )
        programme = self.programme_card
        programme.set("status", status_label(detail.status))
        programme.set("intake", detail.intake_date.isoformat())
        programme.set("discharge", _iso(detail.discharge_date))
        programme.set("discharge_reason", detail.discharge_reason)
        lines = []
        for entry in reversed(data.assignments):
            if entry.end_date is None:
                line = self.tr("{name}, since {start}").format(
                    name=entry.specialist_name, start=entry.start_date.isoformat()
                )
            else:
                line = self.tr("{name}, {start} to {end}").format(
                    name=entry.specialist_name,
                    start=entry.start_date.isoformat(),
                    end=entry.end_date.isoformat(),
                )
            if entry.reason:
                line += f" — {entry.reason}"
            lines.append(line)
        self.assignments_list.setText("\n".join(lines) or self.tr("Never assigned"))
        start_lines = []
        for change in reversed(data.recovery_starts):
            line = self.tr("{new} (was {old}), changed {on}").format(
                new=_iso(change.new_date) or "—",
                old=_iso(change.previous_date) or self.tr("not set"),
                on=local_date(change.changed_at).isoformat(),
            )
            if change.note:
                line += f" — {change.note}"
            start_lines.append(line)
        self.starts_list.setText("\n".join(start_lines) or self.tr("No changes"))

    # -- History -------------------------------------------------------------------------

    def _build_history(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.assignment_model = AssignmentHistoryModel(self)
        self.recovery_model = RecoveryStartHistoryModel(self)
        self.audit_model = AuditEventModel(self)
        self.assignment_table = self._history_table(
            self.assignment_model, self.tr("Assignment history"), (24, 12, 12, 40)
        )
        self.recovery_table = self._history_table(
            self.recovery_model, self.tr("Recovery start date history"), (14, 14, 14, 40)
        )
        self.audit_table = self._history_table(
            self.audit_model, self.tr("Record access and changes"), (18, 14, 28, 40)
        )
        for title, table, rows in (
            (self.tr("Assignments"), self.assignment_table, 4),
            (self.tr("Recovery start date"), self.recovery_table, 4),
        ):
            heading = QLabel(title)
            heading.setProperty("role", "subheading")
            layout.addWidget(heading)
            row_height = table.verticalHeader().defaultSectionSize()
            table.setMinimumHeight(
                row_height * rows + table.horizontalHeader().sizeHint().height() + 4
            )
            table.setMaximumHeight(
                row_height * (rows + 2) + table.horizontalHeader().sizeHint().height() + 4
            )
            layout.addWidget(table)
        self.audit_section = QWidget()
        audit_layout = QVBoxLayout(self.audit_section)
        audit_layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel(self.tr("Record access and changes (audit log)"))
        heading.setProperty("role", "subheading")
        hint = QLabel(
            self.tr("Every view and change of this record, newest first (up to {n}).").format(
                n=AUDIT_LIMIT
            )
        )
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        audit_layout.addWidget(heading)
        audit_layout.addWidget(hint)
        audit_layout.addWidget(self.audit_table, 1)
        self.audit_section.hide()
        layout.addWidget(self.audit_section, 1)
        layout.addStretch(0)
        return page

    def _history_table(
        self, model: QAbstractTableModel, name: str, widths: Sequence[int]
    ) -> QTableView:
        table = QTableView()
        setup_table(table, name)
        table.setModel(model)
        char = table.fontMetrics().averageCharWidth()
        for column, chars in enumerate(widths):
            table.horizontalHeader().resizeSection(column, chars * char + 16)
        return table

    # -- actions -------------------------------------------------------------------------

    def _action(
        self, icon_name: str, text: str, slot: Callable[[], None], shortcut: str = ""
    ) -> QAction:
        action = QAction(icon(icon_name), text, self)
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(f"{text.replace('&', '').rstrip('…')} ({shortcut})")
            self.addAction(action)
        self.toolbar.addAction(action)
        button = self.toolbar.widgetForAction(action)
        if isinstance(button, QToolButton):
            button.setAccessibleName(text.replace("&", "").rstrip("…"))
            # Tool bar buttons take no focus by default; these are the record's main
            # actions, so Tab must reach them.
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return action

    def _all_actions(self) -> list[QAction]:
        return [
            self.edit_action,
            self.transfer_action,
            self.discharge_action,
            self.readmit_action,
            self.reset_action,
            self.inactive_action,
            self.active_action,
            self.print_action,
        ]

    def _open_dialog(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.active_dialog = dialog
        # A bound method rather than a lambda over the dialog (see CaseloadView).
        dialog.finished.connect(self._dialog_closed)
        self.dialog_opened.emit(dialog)
        dialog.open()

    def _dialog_closed(self, _result: int) -> None:
        # Dialogs are window-modal, so there is one at a time.
        self.active_dialog = None

    def edit(self) -> None:
        if self.detail is not None:
            self._open_dialog(EditParticipantDialog(self._ctx, self.detail, self))

    def transfer(self) -> None:
        detail = self.detail
        if detail is None or not self.transfer_action.isEnabled():
            return
        self._open_dialog(
            TransferDialog(
                self._ctx,
                detail.id,
                detail.display_name,
                detail.specialist_id,
                detail.specialist_name or "",
                self,
            )
        )

    def discharge(self) -> None:
        if self.detail is not None and self.detail.status != "discharged":
            self._open_dialog(DischargeDialog(self._ctx, self.detail, self))

    def readmit(self) -> None:
        if self.detail is not None and self.detail.status == "discharged":
            self._open_dialog(ReadmitDialog(self._ctx, self.detail, self))

    def reset_recovery_date(self) -> None:
        if self.detail is not None:
            self._open_dialog(ResetRecoveryDateDialog(self._ctx, self.detail, self))

    def print_summary(self) -> None:
        if self.detail is not None:
            self._open_dialog(
                SummaryOptionsDialog(self._ctx, self.detail.id, self.detail.display_name, self)
            )

    def mark_inactive(self) -> None:
        self._set_status("inactive")

    def mark_active(self) -> None:
        self._set_status("active")

    def _set_status(self, status: str) -> None:
        if self.detail is None:
            return
        participant_id = self._participant_id

        def done(_detail: ParticipantDetail) -> None:
            self._ctx.notify(AREA_PARTICIPANT, participant_id)

        def failed(exc: BaseException) -> None:
            if alive(self):
                messages.show_error(self, exc)

        self._ctx.submit(
            participants.set_status,
            participant_id,
            status,
            on_done=done,
            on_error=failed,
            read_only=False,
            label=self.tr("Saving"),
        )


# -- the host -------------------------------------------------------------------------------


class WorkspaceHost(QWidget):
    """Open participant workspaces, one shown at a time, with a switcher.

    Ctrl+Tab / Ctrl+Shift+Tab switch participant, Ctrl+W closes the current one. The
    integrator connects ``workspace_created`` to add feature tabs to each new workspace.
    """

    #: The participant shown changed (0: none open).
    current_changed = Signal(int)
    #: A workspace was created and is about to load: add tabs with ``add_tab`` here.
    workspace_created = Signal(object)
    #: How many workspaces are open.
    open_count_changed = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workspaceHost")
        self._ctx = ctx
        self._workspaces: dict[int, ParticipantWorkspace] = {}
        self._actor_id: int | None = ctx.actor.id if ctx.signed_in else None

        self.switcher = QComboBox()
        self.switcher.setObjectName("participantSwitcher")
        self.switcher.setAccessibleName(self.tr("Open participants"))
        self.switcher.setToolTip(self.tr("Switch participant (Ctrl+Tab)"))
        self.switcher.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.switcher.setMinimumContentsLength(42)
        self.switcher.activated.connect(self._switched)
        switch_label = QLabel(self.tr("O&pen participants:"))
        switch_label.setBuddy(self.switcher)
        self.close_button = QToolButton()
        self.close_button.setIcon(icon("x"))
        self.close_button.setText(self.tr("Close"))
        self.close_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.close_button.setToolTip(self.tr("Close this participant (Ctrl+W)"))
        self.close_button.setAccessibleName(self.tr("Close participant"))
        self.close_button.clicked.connect(self.close_current)
        bar = QHBoxLayout()
        bar.addWidget(switch_label)
        bar.addWidget(self.switcher)
        bar.addWidget(self.close_button)
        bar.addStretch(1)
        self.bar = QWidget()
        self.bar.setLayout(bar)
        bar.setContentsMargins(0, 0, 0, 0)

        self.stack = QStackedWidget()
        self.empty = QLabel(
            self.tr("No participant is open. Find one on the Caseload page and press Enter.")
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setProperty("role", "hint")
        self.stack.addWidget(self.empty)

        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(self.stack, 1)

        for keys, slot in (
            ("Ctrl+W", self.close_current),
            ("Ctrl+Tab", self.next_participant),
            ("Ctrl+Shift+Tab", self.previous_participant),
            ("Ctrl+Backtab", self.previous_participant),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(slot)
        ctx.actor_changed.connect(self._actor_changed)
        self._update_bar()

    # -- public API ----------------------------------------------------------------------

    def open_participant(self, participant_id: int) -> ParticipantWorkspace:
        """Show the participant's workspace, opening (and auditing) it if not open yet."""
        workspace = self._workspaces.get(participant_id)
        if workspace is None:
            workspace = ParticipantWorkspace(self._ctx, participant_id)
            self._workspaces[participant_id] = workspace
            workspace.title_changed.connect(lambda _t, w=workspace: self._retitle(w))
            self.stack.addWidget(workspace)
            self.switcher.addItem(icon("user"), workspace.title(), participant_id)
            self.workspace_created.emit(workspace)
            workspace.open()
            self.open_count_changed.emit(len(self._workspaces))
        self._show(workspace)
        return workspace

    def workspace(self, participant_id: int) -> ParticipantWorkspace | None:
        return self._workspaces.get(participant_id)

    def current_workspace(self) -> ParticipantWorkspace | None:
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, ParticipantWorkspace) else None

    def open_ids(self) -> list[int]:
        """Participant ids in switcher order."""
        return [int(self.switcher.itemData(i)) for i in range(self.switcher.count())]

    def close_participant(self, participant_id: int) -> None:
        workspace = self._workspaces.pop(participant_id, None)
        if workspace is None:
            return
        if workspace.active_dialog is not None:
            workspace.active_dialog.reject()
            if workspace.active_dialog is not None and workspace.active_dialog.isVisible():
                # The user kept a dialog with unsaved changes open: keep the workspace too.
                self._workspaces[participant_id] = workspace
                return
        position = self.switcher.findData(participant_id)
        was_current = self.stack.currentWidget() is workspace
        self.stack.removeWidget(workspace)
        if position >= 0:
            self.switcher.removeItem(position)
        workspace.deleteLater()
        self.open_count_changed.emit(len(self._workspaces))
        if was_current:
            if self.switcher.count():
                nearest = min(max(position, 0), self.switcher.count() - 1)
                self._show(self._workspaces[int(self.switcher.itemData(nearest))])
            else:
                self.stack.setCurrentWidget(self.empty)
                self._update_bar()
                self.current_changed.emit(0)
        else:
            self._update_bar()

    def close_current(self) -> None:
        current = self.current_workspace()
        if current is not None:
            self.close_participant(current.participant_id)

    def close_all(self) -> None:
        """Close every workspace without asking (sign-out or another user)."""
        for participant_id in list(self._workspaces):
            workspace = self._workspaces.pop(participant_id)
            self.stack.removeWidget(workspace)
            workspace.deleteLater()
        self.switcher.clear()
        self.stack.setCurrentWidget(self.empty)
        self._update_bar()
        self.open_count_changed.emit(0)
        self.current_changed.emit(0)

    def _tabs_with_drafts(self) -> list[tuple[ParticipantWorkspace, Any]]:
        return [
            (workspace, tab)
            for workspace in self._workspaces.values()
            for tab in workspace.feature_tabs.values()
            if callable(getattr(tab, "has_unsaved_changes", None))
            and callable(getattr(tab, "save_drafts", None))
        ]

    def has_unsaved_changes(self) -> bool:
        """For the main window (``KeepsDrafts``): a form with changes is open, or a tab
        (the note editor) holds typing not yet kept as a draft."""
        if any(tab.has_unsaved_changes() for _w, tab in self._tabs_with_drafts()):
            return True
        return any(has_unsaved_input(w.active_dialog) for w in self._workspaces.values())

    def save_drafts(self) -> None:
        """Tabs keep their typing as drafts; forms are saved or cancelled by the person,
        so for those this explains that."""
        for _workspace, tab in self._tabs_with_drafts():
            if tab.has_unsaved_changes():
                tab.save_drafts()
        for workspace in self._workspaces.values():
            dialog = workspace.active_dialog
            if dialog is not None and has_unsaved_input(dialog):
                self._show(workspace)
                raise unsaved_input_error(dialog)

    def next_participant(self) -> None:
        self._step(1)

    def previous_participant(self) -> None:
        self._step(-1)

    # -- internals ----------------------------------------------------------------------

    def _step(self, delta: int) -> None:
        count = self.switcher.count()
        if count < 2:
            return
        position = (self.switcher.currentIndex() + delta) % count
        self._show(self._workspaces[int(self.switcher.itemData(position))])

    def _show(self, workspace: ParticipantWorkspace) -> None:
        changed = self.stack.currentWidget() is not workspace
        self.stack.setCurrentWidget(workspace)
        position = self.switcher.findData(workspace.participant_id)
        if position >= 0:
            self.switcher.setCurrentIndex(position)
        self._update_bar()
        if changed:
            self.current_changed.emit(workspace.participant_id)

    def _switched(self, position: int) -> None:
        participant_id = self.switcher.itemData(position)
        workspace = self._workspaces.get(int(participant_id)) if participant_id else None
        if workspace is not None:
            self._show(workspace)
            workspace.setFocus(Qt.FocusReason.OtherFocusReason)

    def _retitle(self, workspace: ParticipantWorkspace) -> None:
        position = self.switcher.findData(workspace.participant_id)
        if position >= 0:
            self.switcher.setItemText(position, workspace.title())

    def _update_bar(self) -> None:
        self.bar.setVisible(bool(self._workspaces))

    def _actor_changed(self, actor: Actor | None) -> None:
        # Unlocking as the same person keeps the open records; anyone else starts afresh.
        new_id = actor.id if actor is not None else None
        if new_id != self._actor_id:
            self.close_all()
        self._actor_id = new_id


__all__ = [
    "AssignmentHistoryModel",
    "AuditEventModel",
    "ParticipantWorkspace",
    "RecoveryStartHistoryModel",
    "WorkspaceData",
    "WorkspaceHost",
    "load_workspace",
]
