"""The Today page: the start screen, with what needs doing on the caseload.

Calm sections with counts (safety flags, contacts, unsigned notes, drafts, plan
reviews, referral follow-ups, expiring consents, milestones), each a small table;
an empty section folds to one line that says so. Tab moves between the lists,
Enter (or a double-click) opens the participant's workspace on the tab where the
item is handled.

The data comes from ``casebook.services.today.today_items`` on a worker thread. The
page reloads (debounced) when something changes, when it is shown again after a
change, and after midnight, when "due tomorrow" has become "due today".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import shiboken6
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QDate,
    QLocale,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from casebook.security.permissions import Actor
from casebook.services import today as T
from casebook.services.today import TodayItem, TodayView, today_items
from ui import messages
from ui.context import AppContext
from ui.form_parts import ntr, repolish
from ui.icons import icon
from ui.main_window import PageSpec, main_window_of, register_page
from ui.pages import forward_open_participant, reads_clinical_records
from ui.tasks import TaskHandle
from ui.today_section import TodaySection

_CONTEXT = "Today"
_RELOAD_DELAY_MS = 400

PAGE_KEY = "today"
PARTICIPANT_PAGE = "participant"

# (section key, title, icon) in the order of ``casebook.services.today.SECTION_KEYS``.
_SECTIONS: tuple[tuple[str, str, str], ...] = (
    (T.SAFETY, str(QT_TRANSLATE_NOOP("Today", "Safety flags")), "triangle-alert"),
    (T.CONTACTS, str(QT_TRANSLATE_NOOP("Today", "Contacts due and overdue")), "phone"),
    (T.UNSIGNED_NOTES, str(QT_TRANSLATE_NOOP("Today", "Unsigned notes")), "signature"),
    (T.DRAFTS, str(QT_TRANSLATE_NOOP("Today", "Note drafts to finish")), "notebook-pen"),
    (T.PLAN_REVIEWS, str(QT_TRANSLATE_NOOP("Today", "Plan reviews due")), "list-checks"),
    (T.FOLLOW_UPS, str(QT_TRANSLATE_NOOP("Today", "Referral follow-ups")), "send"),
    (T.CONSENTS, str(QT_TRANSLATE_NOOP("Today", "Consents expiring")), "shield-check"),
    (T.MILESTONES, str(QT_TRANSLATE_NOOP("Today", "Milestones")), "calendar-check"),
)


def ms_until_midnight(now: datetime | None = None) -> int:
    """Milliseconds until just after the next local midnight."""
    now = now or datetime.now()
    midnight = datetime.combine(now.date() + timedelta(days=1), time(0, 0, 1))
    return max(1000, int((midnight - now).total_seconds() * 1000))


class TodayPage(QWidget):
    """The start screen. Connect nothing: items open through the main window."""

    #: A load finished (successfully or not).
    loading_finished = Signal()
    #: An item was opened: (participant id, tab key).
    item_opened = Signal(int, str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("todayPage")
        self._ctx = ctx
        self._handle: TaskHandle[TodayView] | None = None
        self._view: TodayView | None = None
        self._stale = True
        self._reload_again = False

        heading = QLabel(self.tr("Today"))
        heading.setProperty("role", "heading")
        self.date_label = QLabel()
        self.date_label.setProperty("role", "hint")
        self.summary_label = QLabel()
        self.summary_label.setObjectName("todaySummary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName(self.tr("Loading"))
        self.busy.setMaximumWidth(self.fontMetrics().averageCharWidth() * 12)
        self.busy.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.busy.hide()
        self.reload_button = QPushButton(icon("refresh-cw"), self.tr("&Refresh"))
        self.reload_button.setToolTip(self.tr("Load Today again (F5)"))
        self.reload_button.clicked.connect(self.reload)
        refresh = QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self)
        refresh.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        refresh.activated.connect(self.reload)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addSpacing(12)
        top.addWidget(self.date_label)
        top.addStretch(1)
        top.addWidget(self.busy)
        top.addWidget(self.reload_button)

        self.sections: dict[str, TodaySection] = {}
        body = QWidget()
        body.setObjectName("todayBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 4, 0)
        column.setSpacing(10)
        for key, title, icon_name in _SECTIONS:
            section = TodaySection(key, title, icon_name, body)
            section.item_activated.connect(self.open_item)
            self.sections[key] = section
            column.addWidget(section)
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("todayScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(body)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.scroll_area, 1)
        # Tab goes from list to list in reading order (hidden empty lists are skipped).
        previous: QWidget = self.reload_button
        for section in self.sections.values():
            self.setTabOrder(previous, section.table)
            previous = section.table

        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(_RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)
        self._midnight = QTimer(self)
        self._midnight.setSingleShot(True)
        self._midnight.timeout.connect(self._new_day)
        self._midnight.start(ms_until_midnight())
        ctx.changed.connect(self._data_changed)
        ctx.actor_changed.connect(self._actor_changed)
        self._show_date(date.today())

    # -- public API ----------------------------------------------------------------------

    @property
    def view(self) -> TodayView | None:
        return self._view

    @property
    def is_loading(self) -> bool:
        return self._handle is not None

    def section(self, key: str) -> TodaySection:
        return self.sections[key]

    def reload(self) -> None:
        """Load Today again (off the UI thread); a reload asked for during a load follows it."""
        self._reload_timer.stop()
        if self._ctx.runner.closing or not self._ctx.signed_in:
            return
        if self._handle is not None:
            self._reload_again = True
            return
        self._stale = False
        self._reload_again = False
        self.busy.show()
        if self._view is None:
            self.summary_label.setText(self.tr("Loading…"))
        self._handle = self._ctx.submit(
            today_items,
            on_done=self._loaded,
            on_error=self._load_failed,
            read_only=True,
            label=self.tr("Loading Today"),
        )

    def open_item(self, item: TodayItem) -> None:
        """Open the participant's workspace on the tab where *item* is handled."""
        window = main_window_of(self)
        self.item_opened.emit(item.participant_id, item.tab)
        if window is None:
            return
        forward_open_participant(self, item.participant_id)
        host = window.page(PARTICIPANT_PAGE)
        opener = getattr(host, "workspace", None)
        workspace = opener(item.participant_id) if callable(opener) else None
        # A tab whose feature is not installed falls back to the overview.
        if workspace is not None and workspace.show_tab(item.tab) is None:
            workspace.show_tab(T.TAB_OVERVIEW)

    # -- events --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale or (self._view is not None and self._view.today != date.today()):
            self.reload()

    def _data_changed(self, _area: str, _participant_id: int) -> None:
        if self.isVisible():
            self._reload_timer.start()
        else:
            self._stale = True

    def _new_day(self) -> None:
        self._midnight.start(ms_until_midnight())
        self._show_date(date.today())
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def _actor_changed(self, actor: Actor | None) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.busy.hide()
        self._view = None
        for section in self.sections.values():
            section.clear()
        self.summary_label.setText("")
        self._stale = True
        if actor is not None and self.isVisible():
            self.reload()

    # -- loading -------------------------------------------------------------------------

    def _loaded(self, view: TodayView) -> None:
        if not shiboken6.isValid(self):
            return
        self._handle = None
        self._view = view
        self._show_date(view.today)
        for key, section in self.sections.items():
            section.set_items(view.section(key), view.today, view.shows_specialist)
        self.summary_label.setText(self._summary(view))
        self.summary_label.setProperty("role", "hint")
        repolish(self.summary_label)
        self._finish()

    def _load_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._handle = None
        self.summary_label.setText(
            self.tr("Today could not be loaded: {reason}").format(reason=messages.describe(exc))
        )
        self.summary_label.setProperty("role", "field-error")
        repolish(self.summary_label)
        self._finish()

    def _finish(self) -> None:
        self.busy.hide()
        self.loading_finished.emit()
        if self._reload_again:
            self.reload()

    def _summary(self, view: TodayView) -> str:
        safety = len(view.safety)
        work = view.total - len(view.milestones) - safety
        if not view.total:
            return self.tr("Nothing needs doing on your caseload today.")
        parts = []
        if safety:
            parts.append(ntr(_CONTEXT, "%n safety flag(s) to follow up first", safety))
        parts.append(ntr(_CONTEXT, "%n thing(s) to do", work))
        if view.milestones:
            parts.append(ntr(_CONTEXT, "%n milestone(s) to celebrate", len(view.milestones)))
        return " · ".join(parts)

    def _show_date(self, day: date) -> None:
        self.date_label.setText(
            QLocale().toString(QDate(day.year, day.month, day.day), QLocale.FormatType.LongFormat)
        )


def _make(ctx: AppContext, parent: QWidget) -> QWidget:
    return TodayPage(ctx, parent)


def install() -> None:
    """Register Today as the first page (for everyone who reads clinical records)."""
    register_page(
        PageSpec(
            key=PAGE_KEY,
            title=str(QT_TRANSLATE_NOOP("pages", "Today")),
            icon_name="house",
            factory=_make,
            visible=reads_clinical_records,
            shortcut="Ctrl+1",
        ),
        before="caseload",
    )


__all__ = ["PAGE_KEY", "TodayPage", "TodaySection", "install", "ms_until_midnight"]
