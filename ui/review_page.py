"""The supervisor's "Review notes" page: the co-sign queue and notes left unsigned.

Signed notes by the supervisor's specialists wait here for a co-signature (review
done); drafts still unsigned a day after the contact are listed below them so the
supervisor can chase them. The selected note's full text is shown read-only
(opening it is audited by the notes service, like any other view of a note).

The Team page's "Unsigned notes" column is fed from here too
(``feed_unsigned_counts``), so both pages count late notes the same way.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from casebook.security.permissions import Actor
from casebook.services import notes
from casebook.services.notes import NoteDetail, NoteQueueItem
from ui import messages
from ui.caseload_view import setup_table
from ui.context import AppContext
from ui.form_parts import heading, ntr
from ui.icons import icon
from ui.main_window import PageSpec, register_page
from ui.note_lists import NoteQueueModel, OpenRowTable, fit_column, open_participant_notes
from ui.note_view import note_html
from ui.staff_page import local_time

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
_RELOAD_DELAY_MS = 200


def _tr(text: str) -> str:
    return QCoreApplication.translate("review", text)


# -- Team page counts -----------------------------------------------------------------------


def unsigned_counts(session: Any, actor: Actor) -> dict[int, int]:
    """Worker: notes left unsigned over 24 hours, per author (the Team page column)."""
    return dict(Counter(item.author_id for item in notes.overdue_unsigned_notes(session, actor)))


def feed_unsigned_counts(ctx: AppContext, view: Any) -> None:
    """Count unsigned notes after each load of the Team page and hand them to *view*
    (a ``TeamView``: ``loading_finished`` signal, ``set_unsigned_counts``)."""
    generation = [0]

    def counted(counts: dict[int, int], asked: int) -> None:
        if asked == generation[0] and shiboken6.isValid(view):
            view.set_unsigned_counts(counts)

    def load() -> None:
        if ctx.runner.closing or not ctx.signed_in or not ctx.actor.supervises:
            return
        generation[0] += 1
        asked = generation[0]
        ctx.submit(
            unsigned_counts,
            on_done=lambda counts: counted(counts, asked),
            # The column keeps showing "—" (not counted); the team itself loaded fine.
            on_error=lambda _exc: None,
            read_only=True,
            label=_tr("Counting unsigned notes"),
        )

    view.loading_finished.connect(load)


# -- note text ------------------------------------------------------------------------------


def review_html(note: NoteDetail, participant_name: str) -> str:
    """The note as the notes tab shows it, under the participant's name (all escaped)."""
    return f"<h2>{html.escape(participant_name)}</h2>\n{note_html(note)}"


# -- the page -------------------------------------------------------------------------------


class ReviewPage(QWidget):
    """Co-sign queue above, notes unsigned for over a day below, the chosen note beside."""

    #: The queues were (re)loaded, or a load failed.
    loading_finished = Signal()
    #: The selected note's text is shown (or could not be read).
    note_shown = Signal()
    #: A co-signature was saved (note id).
    cosigned = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPage")
        self.ctx = ctx
        self._stale = True
        self._loading = False
        self._load_generation = 0
        self._note_generation = 0
        self._note: NoteDetail | None = None
        self._selected: NoteQueueItem | None = None
        self._saving = False
        self._done_message = ""
        #: The open confirmation question (tests answer it through here).
        self.dialog: QMessageBox | None = None
        self._cosigning: tuple[NoteQueueItem, NoteDetail, QPushButton] | None = None

        self.summary = QLabel(self)
        self.summary.setObjectName("reviewSummary")
        self.summary.setProperty("role", "hint")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)

        self.cosign_model = NoteQueueModel(self)
        self.overdue_model = NoteQueueModel(self)
        self.cosign_heading = heading("", self, role="subheading")
        self.overdue_heading = heading("", self, role="subheading")
        self.cosign_table = self._table(
            self.cosign_model, self.tr("Notes waiting for co-signature")
        )
        self.cosign_table.setObjectName("reviewCosignQueue")
        self.overdue_table = self._table(
            self.overdue_model, self.tr("Notes unsigned for more than 24 hours")
        )
        self.overdue_table.setObjectName("reviewOverdue")

        self.note_view = QTextBrowser(self)
        self.note_view.setObjectName("reviewNoteText")
        self.note_view.setAccessibleName(self.tr("Text of the selected note"))
        self.note_view.setOpenLinks(False)
        self.note_view.setReadOnly(True)
        self.note_message = QLabel(self)
        self.note_message.setProperty("role", "hint")
        self.note_message.setWordWrap(True)
        self.note_message.setTextFormat(Qt.TextFormat.PlainText)

        self.cosign_button = QPushButton(icon("signature"), self.tr("&Co-sign…"), self)
        self.cosign_button.setObjectName("reviewCosign")
        self.cosign_button.setToolTip(self.tr("Record that you reviewed this signed note"))
        self.cosign_button.clicked.connect(self.cosign_selected)
        self.open_button = QPushButton(icon("user"), self.tr("&Open participant"), self)
        self.open_button.setObjectName("reviewOpen")
        self.open_button.setToolTip(self.tr("Open the participant's session notes"))
        self.open_button.clicked.connect(self.open_selected)
        self.refresh_button = QPushButton(icon("refresh-cw"), self.tr("Re&fresh"), self)
        self.refresh_button.clicked.connect(self.reload)

        lists = QWidget(self)
        box = QVBoxLayout(lists)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.cosign_heading)
        box.addWidget(self.cosign_table, 3)
        box.addSpacing(6)
        box.addWidget(self.overdue_heading)
        box.addWidget(self.overdue_table, 2)

        reader = QWidget(self)
        box = QVBoxLayout(reader)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(heading(self.tr("Selected note"), self, role="subheading"))
        box.addWidget(self.note_message)
        box.addWidget(self.note_view, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cosign_button)
        box.addLayout(buttons)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(lists)
        self.splitter.addWidget(reader)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([820, 480])

        top = QHBoxLayout()
        top.addWidget(heading(self.tr("Review notes"), self))
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

        for first, second in (
            (self.cosign_table, self.overdue_table),
            (self.overdue_table, self.note_view),
            (self.note_view, self.open_button),
            (self.open_button, self.cosign_button),
            (self.cosign_button, self.refresh_button),
        ):
            self.setTabOrder(first, second)

        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(_RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)
        ctx.changed.connect(self._data_changed)
        ctx.actor_changed.connect(self._actor_changed)
        self._update_headings()
        self._show_note(None)

    def _table(self, model: NoteQueueModel, name: str) -> OpenRowTable:
        table = OpenRowTable(self)
        setup_table(table, name)
        table.setModel(model)
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        # Typical contents in the table's font; longer ones elide (the tool tip has them).
        samples = (
            "Zoë Nguyễn-Łukasz",
            "",
            "2026-12-31",
            "Individual session",
            "Relapse / return to use",
            "99 hours",
        )
        for column, sample in enumerate(samples):
            fit_column(table, column, sample)
        header.setSectionResizeMode(NoteQueueModel.PARTICIPANT, QHeaderView.ResizeMode.Stretch)
        table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._row_chosen(table, current.row())
        )
        table.doubleClicked.connect(lambda index: self._open_row(model, index.row()))
        table.open_row.connect(lambda row: self._open_row(model, row))
        return table

    # -- public API ----------------------------------------------------------------------

    @property
    def is_loading(self) -> bool:
        return self._loading

    def selected_item(self) -> NoteQueueItem | None:
        return self._selected

    def reload(self) -> None:
        """Load both queues again (off the GUI thread)."""
        self._reload_timer.stop()
        if self.ctx.runner.closing or not self.ctx.signed_in or not self.ctx.actor.supervises:
            return
        self._stale = False
        self._loading = True
        self._load_generation += 1
        generation = self._load_generation
        self.summary.setText(self.tr("Loading…"))
        self.ctx.submit(
            load_queues,
            on_done=lambda queues: self._loaded(queues, generation),
            on_error=lambda exc: self._load_failed(exc, generation),
            read_only=True,
            label=self.tr("Loading notes to review"),
        )

    def cosign_selected(self) -> None:
        """Ask, then co-sign the selected note of the co-sign queue."""
        item, note = self._selected, self._note
        if item is None or note is None or not self._can_cosign(item, note):
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Co-sign note"),
            self.tr(
                "Co-sign the {kind} note that {author} wrote about {participant} on {when}? "
                "Your co-signature records that you reviewed it; the note itself stays as "
                "its author signed it."
            ).format(
                kind=notes.kind_labels().get(item.kind, item.kind).lower(),
                author=item.author_name,
                participant=item.participant_name,
                when=local_time(item.occurred_at),
            ),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        yes = box.addButton(self.tr("Co-sign"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(yes)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog = box
        # A bound method, not a closure over the box, on the box's own signal (see
        # MainWindow._show_dialog); what the answer applies to waits here.
        self._cosigning = (item, note, yes)
        box.finished.connect(self._cosign_answered)
        box.open()

    def _cosign_answered(self, _result: int) -> None:
        box, pending = self.dialog, self._cosigning
        self.dialog = None
        self._cosigning = None
        if box is None or pending is None:
            return
        item, note, yes = pending
        confirmed = box.clickedButton() is yes
        box.finished.disconnect(self._cosign_answered)
        box.deleteLater()
        if confirmed:
            self._cosign(item, note)

    def open_selected(self) -> None:
        if self._selected is not None:
            open_participant_notes(self, self._selected.participant_id, self._selected.note_id)

    # -- events --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def _data_changed(self, _area: str, _participant_id: int) -> None:
        if self.isVisible():
            self._reload_timer.start()
        else:
            self._stale = True

    def _actor_changed(self, actor: Actor | None) -> None:
        self._load_generation += 1
        self._note_generation += 1
        self._loading = False
        self.cosign_model.set_rows(())
        self.overdue_model.set_rows(())
        self._selected = None
        self._show_note(None)
        self._update_headings()
        self.summary.setText("")
        self._stale = True
        if actor is not None and actor.supervises and self.isVisible():
            self.reload()

    # -- loading -------------------------------------------------------------------------

    def _loaded(self, queues: tuple[list[NoteQueueItem], list[NoteQueueItem]], gen: int) -> None:
        if gen != self._load_generation or not shiboken6.isValid(self):
            return
        self._loading = False
        chosen = self._selected.note_id if self._selected is not None else None
        waiting, overdue = queues
        self.cosign_model.set_rows(waiting)
        self.overdue_model.set_rows(overdue)
        self._update_headings()
        flagged = sum(1 for item in waiting if item.risk_flags)
        text = ntr("review", "%n note(s) to co-sign", len(waiting))
        if flagged:
            text += " · " + ntr("review", "%n with risk flags", flagged)
        text += " · " + ntr("review", "%n unsigned over 24 hours", len(overdue))
        if self._done_message:
            text = f"{self._done_message} {text}"
            self._done_message = ""
        self.summary.setText(text)
        # Keep the same note selected; when it left the queue, go on to the next one.
        for table, model in (
            (self.cosign_table, self.cosign_model),
            (self.overdue_table, self.overdue_model),
        ):
            row = model.row_of(chosen) if chosen is not None else -1
            if row >= 0:
                table.selectRow(row)
                break
        else:
            self._selected = None
            if waiting:
                self.cosign_table.selectRow(0)
            elif overdue:
                self.overdue_table.selectRow(0)
            else:
                self._show_note(None)
        self.loading_finished.emit()

    def _load_failed(self, exc: BaseException, gen: int) -> None:
        if gen != self._load_generation or not shiboken6.isValid(self):
            return
        self._loading = False
        self.summary.setText(
            self.tr("The notes to review could not be loaded: {reason}").format(
                reason=messages.describe(exc)
            )
        )
        self.loading_finished.emit()

    def _update_headings(self) -> None:
        self.cosign_heading.setText(
            self.tr("Waiting for your co-signature ({n})").format(n=self.cosign_model.rowCount())
        )
        self.overdue_heading.setText(
            self.tr("Unsigned more than 24 hours after the contact ({n})").format(
                n=self.overdue_model.rowCount()
            )
        )

    # -- selection and the note ----------------------------------------------------------

    def _row_chosen(self, table: QTableView, row: int) -> None:
        model = table.model()
        if row < 0 or not isinstance(model, NoteQueueModel) or row >= model.rowCount():
            return
        other = self.overdue_table if table is self.cosign_table else self.cosign_table
        other.clearSelection()
        other.setCurrentIndex(QModelIndex())
        item = model.row_at(row)
        if self._selected is not None and self._selected.note_id == item.note_id:
            self._selected = item
            self._update_buttons()
            return
        self._selected = item
        self._note = None
        self._note_generation += 1
        generation = self._note_generation
        self.note_message.setText(self.tr("Opening the note…"))
        self.note_message.show()
        self._update_buttons()
        self.ctx.submit(
            notes.get_note,
            item.note_id,
            on_done=lambda note: self._note_loaded(note, item, generation),
            on_error=lambda exc: self._note_failed(exc, generation),
            read_only=False,  # reading a note is audited
            label=self.tr("Opening the note"),
        )

    def _note_loaded(self, note: NoteDetail, item: NoteQueueItem, generation: int) -> None:
        if generation != self._note_generation or not shiboken6.isValid(self):
            return
        self._note = note
        self._show_note(note, item.participant_name)
        self.note_shown.emit()

    def _note_failed(self, exc: BaseException, generation: int) -> None:
        if generation != self._note_generation or not shiboken6.isValid(self):
            return
        self._note = None
        self.note_view.clear()
        self.note_message.setText(messages.describe(exc))
        self.note_message.show()
        self._update_buttons()
        self.note_shown.emit()

    def _show_note(self, note: NoteDetail | None, participant_name: str = "") -> None:
        if note is None:
            self._note = None
            self.note_view.clear()
            self.note_message.setText(self.tr("Choose a note in a list to read it here."))
            self.note_message.show()
        else:
            self.note_view.setHtml(review_html(note, participant_name))
            self.note_message.hide()
        self._update_buttons()

    def _can_cosign(self, item: NoteQueueItem, note: NoteDetail | None) -> bool:
        return (
            note is not None
            and note.id == item.note_id
            and note.is_signed
            and note.cosigned_at is None
            and not self._saving
        )

    def _update_buttons(self) -> None:
        item = self._selected
        can = item is not None and self._can_cosign(item, self._note)
        self.cosign_button.setEnabled(can)
        if item is not None and self._note is not None and not self._note.is_signed:
            self.cosign_button.setToolTip(self.tr("Only signed notes can be co-signed"))
        else:
            self.cosign_button.setToolTip(self.tr("Record that you reviewed this signed note"))
        self.open_button.setEnabled(item is not None)

    def _open_row(self, model: NoteQueueModel, row: int) -> None:
        if 0 <= row < model.rowCount():
            item = model.row_at(row)
            open_participant_notes(self, item.participant_id, item.note_id)

    # -- co-signing ----------------------------------------------------------------------

    def _cosign(self, item: NoteQueueItem, note: NoteDetail) -> None:
        self._saving = True
        self._update_buttons()

        def done(saved: NoteDetail) -> None:
            if not shiboken6.isValid(self):
                return
            self._saving = False
            self._done_message = self.tr("Co-signed the note about {participant}.").format(
                participant=item.participant_name
            )
            self.cosigned.emit(saved.id)
            self.ctx.notify("notes", saved.participant_id)
            self.reload()

        def failed(exc: BaseException) -> None:
            if not shiboken6.isValid(self):
                return
            self._saving = False
            self._update_buttons()
            messages.show_error(self, exc, self.tr("Not co-signed"))
            self.reload()

        self.ctx.submit(
            notes.cosign,
            note.id,
            expected_version=note.version,
            on_done=done,
            on_error=failed,
            read_only=False,
            label=self.tr("Co-signing the note"),
        )


def load_queues(session: Any, actor: Actor) -> tuple[list[NoteQueueItem], list[NoteQueueItem]]:
    """Worker: the co-sign queue and the notes left unsigned, in one unit of work."""
    return notes.cosign_queue(session, actor), notes.overdue_unsigned_notes(session, actor)


def _review_page(ctx: AppContext, parent: QWidget) -> QWidget:
    return ReviewPage(ctx, parent)


def _supervises(actor: Actor) -> bool:
    return actor.supervises


def install() -> None:
    register_page(
        PageSpec(
            key="review",
            title=str(QT_TRANSLATE_NOOP("pages", "Review notes")),
            icon_name="signature",
            factory=_review_page,
            visible=_supervises,
            shortcut="Ctrl+9",
        ),
        before="audit",
    )
