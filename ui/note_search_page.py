"""The "Search notes" page: full-text search over the session notes the user may read.

Typing searches after a short pause, on a worker thread; answers that arrive
after a newer search was started are dropped. The service audits each search
(hit count and the participants shown, never the words), so this page keeps
the words out of the program's log as well: a failed search logs only the
kind of error, since a database error's text would carry the query.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QDate,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QKeyEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import CasebookError, ValidationError
from casebook.security.permissions import Actor
from casebook.services import caseload, note_search, notes
from casebook.services.caseload import CaseloadRow
from casebook.services.note_search import NoteSearchHit
from ui.caseload_view import setup_table
from ui.context import AppContext
from ui.form_parts import heading, ntr, repolish
from ui.icons import icon
from ui.main_window import PageSpec, register_page
from ui.note_lists import (
    OpenRowTable,
    SearchResultsModel,
    SnippetDelegate,
    fit_column,
    open_participant_notes,
)
from ui.tasks import TaskHandle

_log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

#: Pause after the last keystroke before searching: long enough not to search
#: (and audit) every letter of a word, short enough to feel immediate.
DEBOUNCE_MS = 300


def _tr(text: str) -> str:
    return QCoreApplication.translate("note search", text)


# -- the page -------------------------------------------------------------------------------


class SearchFilters:
    """Choices for the filter boxes, read from the caseload (participants, specialists)."""

    def __init__(self, rows: Sequence[CaseloadRow], actor: Actor) -> None:
        self.participants = sorted(
            ((row.participant_id, row.display_name, row.record_number) for row in rows),
            key=lambda item: (item[1].casefold(), item[2]),
        )
        authors = {row.specialist_id: row.specialist_name for row in rows if row.specialist_id}
        authors.pop(actor.id, None)
        self.authors = sorted(authors.items(), key=lambda item: item[1].casefold())


def load_filters(session: Any, actor: Actor) -> SearchFilters:
    """Worker: the participants and specialists the actor may filter by."""
    return SearchFilters(caseload.caseload_rows(session, actor, include_discharged=True), actor)


class NoteSearchPage(QWidget):
    """Type words; matching notes appear with the words in context."""

    #: A search answered (or failed); tests and tools wait on it.
    search_finished = Signal()

    PERIODS = (
        ("all", str(QT_TRANSLATE_NOOP("note search", "Any time"))),
        ("30", str(QT_TRANSLATE_NOOP("note search", "Last 30 days"))),
        ("90", str(QT_TRANSLATE_NOOP("note search", "Last 90 days"))),
        ("365", str(QT_TRANSLATE_NOOP("note search", "Last 12 months"))),
        ("range", str(QT_TRANSLATE_NOOP("note search", "Between dates…"))),
    )

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noteSearchPage")
        self.ctx = ctx
        self._generation = 0
        self._handle: TaskHandle[list[NoteSearchHit]] | None = None
        self._filters_loaded = False
        self._stale = False
        self.last_error: BaseException | None = None

        self.query = QLineEdit(self)
        self.query.setObjectName("noteSearchQuery")
        self.query.setAccessibleName(self.tr("Words to find in notes"))
        self.query.setPlaceholderText(self.tr("Words to find, e.g. housing interview"))
        self.query.setClearButtonEnabled(True)
        self.query.setMaxLength(500)
        self.query.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.query.installEventFilter(self)

        self.period = QComboBox(self)
        self.period.setAccessibleName(self.tr("Period"))
        for key, title in self.PERIODS:
            self.period.addItem(_tr(title), key)
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-90), self)
        self.until = QDateEdit(today, self)
        for edit, name in ((self.since, self.tr("From date")), (self.until, self.tr("To date"))):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
            edit.setMaximumDate(today.addDays(1))
        self.kind = QComboBox(self)
        self.kind.setAccessibleName(self.tr("Kind of note"))
        self.kind.addItem(self.tr("Any kind"), None)
        for code, kind_label in notes.kind_labels().items():
            self.kind.addItem(kind_label, code)
        self.participant = QComboBox(self)
        self.participant.setAccessibleName(self.tr("Participant"))
        self.participant.addItem(self.tr("Any participant"), None)
        self.participant.setMinimumContentsLength(18)
        self.participant.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.author = QComboBox(self)
        self.author.setAccessibleName(self.tr("Author"))
        self.author.setMinimumContentsLength(14)
        self.author.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self._fill_authors([])

        self.message = QLabel(self)
        self.message.setObjectName("noteSearchMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setProperty("role", "field-error")
        self.message.hide()

        self.model = SearchResultsModel(self)
        self.table = OpenRowTable(self)
        self.table.setObjectName("noteSearchResults")
        setup_table(self.table, self.tr("Matching notes"))
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(SearchResultsModel.SNIPPET, SnippetDelegate(self.table))
        header = self.table.horizontalHeader()
        # Typical contents, measured in the table's font; longer names elide (tool tip).
        for column, sample in enumerate(
            (
                "2026-12-31 23:59",
                "Mariana Gonçalves-Oyelar",
                "Individual session (draft)",
                "Zoë Nguyễn-Łukasz",
            )
        ):
            fit_column(self.table, column, sample)
        header.setSectionResizeMode(SearchResultsModel.SNIPPET, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        self.table.open_row.connect(self.open_row)

        self.count_label = QLabel(self)
        self.count_label.setObjectName("noteSearchCount")
        self.count_label.setProperty("role", "hint")
        self.count_label.setWordWrap(True)
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)

        filters = QGridLayout()
        filters.setHorizontalSpacing(8)
        filters.setVerticalSpacing(4)
        fields: list[tuple[str, QWidget]] = [
            (self.tr("&Period"), self.period),
            (self.tr("&Kind"), self.kind),
            (self.tr("P&articipant"), self.participant),
            (self.tr("A&uthor"), self.author),
        ]
        for column, (text, field) in enumerate(fields):
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
        for widget in (from_label, self.since, to_label, self.until):
            range_layout.addWidget(widget)
        filters.addWidget(self.range_box, 1, len(fields))
        filters.setColumnStretch(len(fields) + 1, 1)

        query_row = QHBoxLayout()
        query_label = QLabel(self.tr("&Find"), self)
        query_label.setBuddy(self.query)
        query_row.addWidget(query_label)
        query_row.addWidget(self.query, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(heading(self.tr("Search notes"), self))
        layout.addLayout(query_row)
        layout.addLayout(filters)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)

        order = [self.query, self.period, self.since, self.until, self.kind]
        order += [self.participant, self.author, self.table]
        for first, second in itertools.pairwise(order):
            self.setTabOrder(first, second)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.search)
        self.query.textEdited.connect(lambda _text: self._debounce.start())
        self.query.returnPressed.connect(self.search)
        self.period.currentIndexChanged.connect(self._period_changed)
        for box in (self.kind, self.participant, self.author):
            box.currentIndexChanged.connect(self._filters_changed)
        for edit in (self.since, self.until):
            edit.dateChanged.connect(self._filters_changed)
        ctx.changed.connect(self._data_changed)
        ctx.actor_changed.connect(self._actor_changed)
        self.range_box.setVisible(False)
        self._show_idle()

    # -- public API ----------------------------------------------------------------------

    @property
    def is_searching(self) -> bool:
        return self._handle is not None

    def search(self) -> None:
        """Search now with the words and filters shown (newest search wins)."""
        self._debounce.stop()
        self._stale = False
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._generation += 1
        generation = self._generation
        self._set_message("")
        text = self.query.text()
        terms = note_search.search_terms(text)
        if not text.strip():
            self.model.set_hits([])
            self._show_idle()
            return
        if not terms:
            self.model.set_hits([])
            self.count_label.setText("")
            self._set_message(
                self.tr(
                    "Type at least one word with letters or digits. Quotes, *, -, brackets "
                    "and other punctuation only separate words."
                )
            )
            self.search_finished.emit()
            return
        if not self.ctx.signed_in or not self.ctx.actor.sees_clinical:
            return
        try:
            filters = self.filter_values()
        except ValidationError as exc:
            self.model.set_hits([])
            self.count_label.setText("")
            self._show_error(exc)
            self.search_finished.emit()
            return
        self.count_label.setText(self.tr("Searching…"))
        self._handle = self.ctx.submit(
            note_search.search_notes,
            text,
            on_done=lambda hits: self._found(hits, generation, terms, text),
            on_error=lambda exc: self._failed(exc, generation),
            # A search is audited, so it is a write (a read turned write fails whenever
            # another write landed meanwhile: "database is locked").
            read_only=False,
            label=self.tr("Searching notes"),
            **filters,
        )

    def filter_values(self) -> dict[str, Any]:
        """The filters as ``search_notes`` keyword arguments (UTC bounds, local days)."""
        values: dict[str, Any] = {
            "kind": self.kind.currentData(),
            "participant_id": self.participant.currentData(),
            "author_id": self.author.currentData(),
        }
        key = self.period.currentData()
        if key == "range":
            first = self.since.date().toPython()
            last = self.until.date().toPython()
            assert isinstance(first, date) and isinstance(last, date)
            if last < first:
                raise ValidationError(
                    {
                        "until": self.tr(
                            "The “to” date is before the “from” date; choose a “to” date "
                            "on or after {first}."
                        ).format(first=first.isoformat())
                    }
                )
            values["since"] = _local_midnight(first)
            values["until"] = _local_midnight(last + timedelta(days=1))
        elif key != "all":
            values["since"] = _local_midnight(date.today() - timedelta(days=int(key)))
        return values

    def open_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            hit = self.model.hit_at(row)
            open_participant_notes(self, hit.participant_id, hit.note_id)

    # -- events --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._filters_loaded:
            self._load_filters()
        if self._stale and self.query.text().strip():
            self.search()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down in the search box goes to the results, so the keyboard never has to Tab
        # through the filters to reach them.
        if (
            watched is self.query
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and self.model.rowCount()
        ):
            self.table.setFocus(Qt.FocusReason.TabFocusReason)
            if not self.table.currentIndex().isValid():
                self.table.selectRow(0)
            return True
        return super().eventFilter(watched, event)

    # -- internals -----------------------------------------------------------------------

    def _period_changed(self) -> None:
        custom = self.period.currentData() == "range"
        self.range_box.setVisible(custom)
        self._filters_changed()

    def _filters_changed(self) -> None:
        if self.query.text().strip():
            self.search()

    def _data_changed(self, _area: str, _participant_id: int) -> None:
        # Searching again is audited, so only when someone is looking at the results.
        self._filters_loaded = False
        if self.isVisible() and self.query.text().strip():
            self._debounce.start()
            self._load_filters()
        else:
            self._stale = True

    def _actor_changed(self, actor: Actor | None) -> None:
        # Another user's results and filter choices must not stay on screen.
        self._debounce.stop()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._generation += 1
        self.query.clear()
        self.model.set_hits([])
        # The previous user's participants (names) must not linger in the list either.
        self.participant.blockSignals(True)
        while self.participant.count() > 1:
            self.participant.removeItem(1)
        self.participant.blockSignals(False)
        self.author.blockSignals(True)
        self.author.setCurrentIndex(0)
        self.author.blockSignals(False)
        self._fill_authors([])
        self._filters_loaded = False
        self._set_message("")
        self._show_idle()
        if actor is not None and self.isVisible():
            self._load_filters()

    def _load_filters(self) -> None:
        if not self.ctx.signed_in or not self.ctx.actor.sees_clinical:
            return
        self._filters_loaded = True
        actor_id = self.ctx.actor.id
        self.ctx.submit(
            load_filters,
            on_done=lambda choices: self._filters_ready(choices, actor_id),
            on_error=lambda exc: _log.warning("search filters not loaded: %s", type(exc).__name__),
            read_only=True,
            label=self.tr("Loading search filters"),
        )

    def _filters_ready(self, choices: SearchFilters, actor_id: int) -> None:
        if not shiboken6.isValid(self) or not self.ctx.signed_in or self.ctx.actor.id != actor_id:
            return
        chosen = self.participant.currentData()
        self.participant.blockSignals(True)
        self.participant.clear()
        self.participant.addItem(self.tr("Any participant"), None)
        for pid, name, record in choices.participants:
            self.participant.addItem(f"{name} · {record}", pid)
        position = self.participant.findData(chosen)
        self.participant.setCurrentIndex(max(0, position))
        self.participant.blockSignals(False)
        self._fill_authors(choices.authors)
        if (chosen is not None and position < 0) and self.query.text().strip():
            self.search()

    def _fill_authors(self, others: Sequence[tuple[int, str]]) -> None:
        chosen = self.author.currentData()
        self.author.blockSignals(True)
        self.author.clear()
        self.author.addItem(self.tr("Anyone"), None)
        if self.ctx.signed_in:
            self.author.addItem(self.tr("Me"), self.ctx.actor.id)
        for author_id, name in others:
            self.author.addItem(name, author_id)
        self.author.setCurrentIndex(max(0, self.author.findData(chosen)))
        self.author.blockSignals(False)

    def _found(
        self, hits: list[NoteSearchHit], generation: int, terms: list[str], text: str
    ) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return  # an older search; a newer one is on its way
        self._handle = None
        self.last_error = None
        self.model.set_hits(hits)
        if hits:
            self.table.selectRow(0)
            if len(hits) >= note_search.DEFAULT_LIMIT:
                count = self.tr(
                    "The {n} best matches are shown; add words or filters to narrow the search."
                ).format(n=len(hits))
            else:
                count = ntr("note search", "%n note(s) found.", len(hits))
            count += " " + self.tr("Enter or double-click opens the participant's notes.")
        else:
            count = self.tr(
                "No note you may read contains every word. Check the spelling, use fewer "
                "words, or widen the filters."
            )
        if len(terms) >= note_search.MAX_TERMS and len(text.split()) > len(terms):
            count += " " + self.tr("Only the first {n} words were used.").format(
                n=note_search.MAX_TERMS
            )
        self.count_label.setText(count)
        self.search_finished.emit()

    def _failed(self, exc: BaseException, generation: int) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return
        self._handle = None
        self.last_error = exc
        self.model.set_hits([])
        self.count_label.setText("")
        self._show_error(exc)
        self.search_finished.emit()

    def _show_error(self, exc: BaseException) -> None:
        field_widgets: dict[str, QWidget] = {
            "since": self.since,
            "until": self.until,
            "kind": self.kind,
        }
        if isinstance(exc, CasebookError):
            # Domain errors are sentences for people, naming what to change.
            if isinstance(exc, ValidationError):
                text = "\n".join(exc.field_errors.values()) or exc.message
                for name, widget in field_widgets.items():
                    widget.setProperty("invalid", name in exc.field_errors)
                    repolish(widget)
            else:
                text = exc.message
        else:
            # Not ui.messages.describe: it logs the error text, which for a database
            # error holds the search words.
            _log.error("note search failed: %s", type(exc).__name__)
            text = self.tr(
                "The search could not be run. Try again; if it keeps failing, "
                "tell your administrator."
            )
        self._set_message(text)

    def _set_message(self, text: str) -> None:
        if not text:
            for widget in (self.since, self.until, self.kind):
                if widget.property("invalid"):
                    widget.setProperty("invalid", False)
                    repolish(widget)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _show_idle(self) -> None:
        self.count_label.setText(
            self.tr(
                "Type words to find in the notes you may read. Every word must appear; "
                "the start of a word is enough (hous finds housing)."
            )
        )


def _local_midnight(day: date) -> datetime:
    """The start of a local calendar day as an aware time (the service compares in UTC)."""
    return datetime.combine(day, time.min).astimezone()


def _search_page(ctx: AppContext, parent: QWidget) -> QWidget:
    return NoteSearchPage(ctx, parent)


def _reads_clinical(actor: Actor) -> bool:
    return actor.sees_clinical


def install() -> None:
    register_page(
        PageSpec(
            key="search",
            title=str(QT_TRANSLATE_NOOP("pages", "Search notes")),
            icon_name="search",
            factory=_search_page,
            visible=_reads_clinical,
            shortcut="Ctrl+5",
        ),
        before="audit",
    )
