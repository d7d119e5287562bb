"""The Session notes tab of a participant's workspace.

The participant's notes, newest contact first; the selected note read-only with
its addenda; and what may be done with it: write a new note (Ctrl+N), continue
a draft, sign, add an addendum, mark entered in error, co-sign. A button shows
only when the service would allow it to this person for this note. The editor
(``ui.note_editor``) replaces the list while a note is being written.

``install()`` registers the tab and the header flag for recent risk flags.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import shiboken6
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from casebook.services import notes, referrals
from casebook.services.notes import NoteDetail, NoteSummary
from ui import messages
from ui.caseload_view import setup_table
from ui.context import AppContext
from ui.form_parts import ntr
from ui.icons import icon
from ui.note_editor import AREA_NOTES, NoteEditor, confirm_sign
from ui.note_list import NotesData, NotesModel, load_notes, risk_flag_source
from ui.note_parts import flag_texts, hint_label, kind_text, local_time
from ui.note_view import ReasonDialog, note_html
from ui.workspace import (
    ParticipantWorkspace,
    TabSpec,
    register_flag_source,
    register_tab,
)

_CONTEXT = "Notes"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def _banner(role: str) -> tuple[QFrame, QLabel, QHBoxLayout]:
    frame = QFrame()
    frame.setProperty("role", role)
    row = QHBoxLayout(frame)
    row.setContentsMargins(10, 6, 10, 6)
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    row.addWidget(label, 1)
    frame.hide()
    return frame, label, row


class NotesTab(QWidget):
    """List, reader and actions; the editor takes the tab's place while writing."""

    def __init__(self, ctx: AppContext, workspace: ParticipantWorkspace) -> None:
        super().__init__(workspace)
        self.setObjectName("notesTab")
        self._ctx = ctx
        self._workspace = workspace
        self._pid = workspace.participant_id
        self._data = NotesData((), frozenset())
        self._detail: NoteDetail | None = None
        self._loaded_once = False
        self._loading = False
        self._again = False
        self._stale = False
        self._select_after: int | None = None
        self.editor: NoteEditor | None = None

        self.new_button = self._button(
            "plus", self.tr("&New note"), self.new_note, self.tr("Write a new note (Ctrl+N)")
        )
        self.edit_button = self._button("pen-line", self.tr("&Continue draft"), self.edit_draft)
        self.sign_button = self._button("signature", self.tr("&Sign…"), self.sign_selected)
        self.addendum_button = self._button(
            "file-text", self.tr("Add &addendum…"), self.add_addendum
        )
        self.error_button = self._button(
            "ban", self.tr("Entered in &error…"), self.mark_entered_in_error
        )
        self.cosign_button = self._button("shield-check", self.tr("C&o-sign"), self.cosign)
        self.print_button = self._button("printer", self.tr("&Print note…"), self.print_note)
        bar = QHBoxLayout()
        for button in (
            self.new_button,
            self.edit_button,
            self.sign_button,
            self.addendum_button,
            self.error_button,
            self.cosign_button,
            self.print_button,
        ):
            bar.addWidget(button)
        bar.addStretch(1)

        self.draft_banner, self.draft_label, draft_row = _banner("card")
        self.draft_banner.setObjectName("draftBanner")
        self.resume_button = QPushButton(icon("pen-line"), self.tr("Continue &writing"))
        self.resume_button.clicked.connect(self.resume_draft)
        draft_row.addWidget(self.resume_button)
        self.referral_banner, self.referral_label, _row = _banner("safety-banner")
        self.referral_banner.setObjectName("referralBanner")

        self.model = NotesModel(self)
        self.table = QTableView()
        setup_table(self.table, self.tr("Session notes"))
        self.table.setModel(self.model)
        char = self.table.fontMetrics().averageCharWidth()
        for column, chars in enumerate((17, 22, 10, 8, 16, 17, 20)):
            self.table.horizontalHeader().resizeSection(column, chars * char + 16)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.doubleClicked.connect(lambda _i: self.edit_draft())
        self.reader = QTextBrowser()
        self.reader.setObjectName("noteReader")
        self.reader.setAccessibleName(self.tr("Selected note"))
        self.reader.setOpenLinks(False)
        self.empty = hint_label(
            self.tr("No notes yet. Write the first one with New note (Ctrl+N).")
        )
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.reader)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.error_label = hint_label()
        self.error_label.setProperty("role", "field-error")
        self.error_label.hide()

        self.list_page = QWidget()
        list_layout = QVBoxLayout(self.list_page)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.addLayout(bar)
        list_layout.addWidget(self.draft_banner)
        list_layout.addWidget(self.error_label)
        list_layout.addWidget(splitter, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.list_page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.referral_banner)
        layout.addWidget(self.stack, 1)

        shortcut = QShortcut(QKeySequence("Ctrl+N"), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.new_note)
        ctx.changed.connect(self._data_changed)
        self._update_actions()

    def _button(
        self, icon_name: str, text: str, slot: Callable[[], None], tip: str = ""
    ) -> QPushButton:
        button = QPushButton(icon(icon_name), text)
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        if tip:
            button.setToolTip(tip)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # -- KeepsDrafts (ui.main_window) ---------------------------------------------------

    def has_unsaved_changes(self) -> bool:
        return self.editor is not None and self.editor.has_unsaved_changes()

    def save_drafts(self) -> None:
        if self.editor is not None:
            self.editor.save_drafts()

    # -- loading -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded_once or self._stale:
            self._stale = False
            self.reload()

    def reload(self) -> None:
        if self._ctx.runner.closing or not self._ctx.signed_in:
            return
        if self._loading:
            self._again = True
            return
        self._loading = True
        self._ctx.submit(
            load_notes,
            self._pid,
            on_done=self._loaded,
            on_error=self._failed,
            read_only=False,
            label=self.tr("Loading notes"),
        )

    @property
    def is_loading(self) -> bool:
        return self._loading

    @property
    def has_loaded(self) -> bool:
        """The list was loaded at least once (it loads when first shown)."""
        return self._loaded_once

    def _loaded(self, data: NotesData) -> None:
        if not shiboken6.isValid(self):
            return
        self._loading = False
        self._loaded_once = True
        keep = self._select_after or (self._detail.id if self._detail else None)
        self._select_after = None
        self._data = data
        self.error_label.hide()
        self.model.set_rows(data.notes)
        self.empty.setVisible(not data.notes)
        self._show_draft_banner()
        row = next((i for i, n in enumerate(data.notes) if n.id == keep), 0 if data.notes else -1)
        if row >= 0:
            self.table.selectRow(row)
            self._row_changed(self.model.index(row, 0), QModelIndex())
        else:
            self._detail = None
            self.reader.clear()
            self._update_actions()
        if self._again:
            self._again = False
            self.reload()

    def _failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._loading = False
        self.error_label.setText(messages.describe(exc))
        self.error_label.show()

    def _data_changed(self, area: str, participant_id: int) -> None:
        if area != AREA_NOTES or participant_id not in (0, self._pid):
            return
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def own_drafts(self) -> list[NoteSummary]:
        actor_id = self._ctx.actor.id if self._ctx.signed_in else None
        return [n for n in self._data.notes if n.status == "draft" and n.author_id == actor_id]

    def _show_draft_banner(self) -> None:
        drafts = self.own_drafts()
        if self.editor is not None:
            drafts = [d for d in drafts if d.id != self.editor.note_id]
        if not drafts:
            self.draft_banner.hide()
            return
        newest = drafts[0]
        if len(drafts) == 1:
            text = self.tr("Your unsigned draft ({kind}, {when}) is kept.")
        else:
            text = ntr(
                _CONTEXT,
                "You have %n unsigned drafts here; the newest is {kind}, {when}.",
                len(drafts),
            )
        self.draft_label.setText(
            text.format(kind=kind_text(newest.kind), when=local_time(newest.occurred_at))
            + " "
            + self.tr("Continue writing and sign it; notes are due within a day of the contact.")
        )
        self.draft_banner.show()

    # -- the selected note ---------------------------------------------------------------

    def show_note(self, note_id: int) -> None:
        """Select one note (search results, review queues open a note this way)."""
        rows = [n.id for n in self.model.rows()]
        if note_id in rows and not self._loading:
            self.table.selectRow(rows.index(note_id))
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            # Not loaded yet (the tab loads when first shown): select it when it is.
            self._select_after = note_id

    def selected(self) -> NoteSummary | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_actions()
        if not current.isValid():
            return
        summary = self.model.row_at(current.row())
        if (
            self._detail is not None
            and self._detail.id == summary.id
            and self._detail.version == summary.version
        ):
            self._update_actions()
            return
        self._ctx.submit(
            notes.get_note,
            summary.id,
            on_done=self._detail_loaded,
            on_error=self._detail_failed,
            read_only=False,
            label=self.tr("Opening note"),
        )

    def _detail_loaded(self, detail: NoteDetail) -> None:
        if not shiboken6.isValid(self):
            return
        current = self.selected()
        if current is None or current.id != detail.id:
            return
        self._detail = detail
        self.reader.setHtml(note_html(detail))
        self._update_actions()

    def _detail_failed(self, exc: BaseException) -> None:
        # The note may have gone meanwhile (a discarded draft); the list reloads anyway.
        if shiboken6.isValid(self):
            self._detail = None
            self.reader.setPlainText(messages.describe(exc))
            self._update_actions()

    @property
    def detail(self) -> NoteDetail | None:
        return self._detail

    def _update_actions(self) -> None:
        actor = self._ctx.actor if self._ctx.signed_in else None
        note = self.selected()
        own_draft = bool(note and actor and note.status == "draft" and note.author_id == actor.id)
        signed = bool(note and note.is_signed)
        in_error = bool(note and note.is_entered_in_error)
        may_mark = bool(note and actor and (note.author_id == actor.id or actor.supervises))
        for button, allowed in (
            (self.new_button, actor is not None and actor.sees_clinical),
            (self.edit_button, own_draft),
            (self.sign_button, own_draft),
            (self.addendum_button, signed and not in_error),
            (self.error_button, signed and not in_error and may_mark),
            (self.cosign_button, bool(note and note.id in self._data.cosignable)),
            (self.print_button, signed),
        ):
            button.setVisible(allowed)
            button.setEnabled(allowed and self.editor is None)

    def print_note(self) -> None:
        """Preview and print the selected signed note with its addenda."""
        note = self.selected()
        if note is None or not note.is_signed:
            return
        from casebook.reports.signed_note import build_signed_note
        from ui.print_preview import open_report

        note_id = note.id
        open_report(
            self,
            self._ctx,
            self.tr("Session note"),
            lambda session, actor, path: build_signed_note(session, actor, note_id, path),
        )

    # -- writing -------------------------------------------------------------------------

    def new_note(self) -> None:
        if self.editor is not None or not self.new_button.isVisible():
            return
        editor = self._open_editor()
        editor.start_new()

    def edit_draft(self) -> None:
        note = self.selected()
        if note is None or not self.edit_button.isVisible():
            return
        self._continue(note.id)

    def resume_draft(self) -> None:
        drafts = self.own_drafts()
        if drafts:
            self._continue(drafts[0].id)

    def _continue(self, note_id: int) -> None:
        if self.editor is not None:
            return

        def opened(detail: NoteDetail) -> None:
            if shiboken6.isValid(self) and self.editor is None:
                self._open_editor().open_draft(detail)

        self._ctx.submit(
            notes.get_note,
            note_id,
            on_done=opened,
            on_error=self._show_error,
            read_only=False,
            label=self.tr("Opening note"),
        )

    def _open_editor(self) -> NoteEditor:
        editor = NoteEditor(self._ctx, self._pid, self)
        editor.finished.connect(self._editor_finished)
        editor.signed.connect(self._editor_signed)
        editor.urgent_referral.connect(self.start_urgent_referral)
        self.editor = editor
        self.stack.addWidget(editor)
        self.stack.setCurrentWidget(editor)
        self.draft_banner.hide()
        self._update_actions()
        return editor

    def _editor_finished(self) -> None:
        editor = self.editor
        self.editor = None
        self.stack.setCurrentWidget(self.list_page)
        if editor is not None:
            self.stack.removeWidget(editor)
            editor.deleteLater()
        self._update_actions()
        self._show_draft_banner()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.reload()

    def _editor_signed(self, detail: NoteDetail) -> None:
        self._select_after = detail.id

    def start_urgent_referral(self, flags: Sequence[str]) -> None:
        """A risk flag was saved with "start an urgent referral": prepare it and go to
        the Referrals tab (built there), telling the person why."""
        reason = _tr("Urgent: risk flagged in a session note ({flags})").format(
            flags=", ".join(flag_texts(flags))
        )

        def ready(draft: referrals.ReferralDraft) -> None:
            if not shiboken6.isValid(self):
                return
            text = self.tr(
                "Risk flagged ({flags}): start the urgent referral on the Referrals tab."
            ).format(flags=", ".join(flag_texts(flags)))
            if draft.consent_hint:
                text += " " + draft.consent_hint
            tab = self._workspace.show_tab("referrals")
            starter = getattr(tab, "start_urgent_referral", None)
            if callable(starter):
                # The Referrals tab opens its form prefilled; the form says the rest.
                self.referral_label.setText(text)
                self.referral_banner.show()
                starter(reason)
                return
            if tab is None:
                text = self.tr(
                    "Risk flagged ({flags}): an urgent referral is needed, but the "
                    "Referrals tab is not available here."
                ).format(flags=", ".join(flag_texts(flags)))
            self.referral_label.setText(text)
            self.referral_banner.show()
            # Said where the person now is (the Referrals tab), without stopping them.
            box = QMessageBox(
                QMessageBox.Icon.Information,
                self.tr("Urgent referral"),
                text,
                QMessageBox.StandardButton.Ok,
                self._workspace,
            )
            box.setObjectName("urgentReferralMessage")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

        self._ctx.submit(
            referrals.prefill_urgent_referral,
            self._pid,
            reason,
            on_done=ready,
            on_error=self._show_error,
            label=self.tr("Preparing the referral"),
        )

    # -- actions on a saved note ---------------------------------------------------------

    def _show_error(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            messages.show_error(self, exc)

    def _after_write(self, result: object) -> None:
        note_id = getattr(result, "note_id", None) or getattr(result, "id", None)
        self._select_after = note_id if isinstance(note_id, int) else None
        self._detail = None
        self._ctx.notify(AREA_NOTES, self._pid)

    def sign_selected(self) -> None:
        note = self.selected()
        if note is None or not self.sign_button.isVisible() or not confirm_sign(self):
            return
        self._ctx.submit(
            notes.sign_note,
            note.id,
            expected_version=note.version,
            on_done=self._after_write,
            on_error=self._show_error,
            read_only=False,
            label=self.tr("Signing"),
        )

    def cosign(self) -> None:
        note = self.selected()
        if note is None or not self.cosign_button.isVisible():
            return
        self._ctx.submit(
            notes.cosign,
            note.id,
            expected_version=note.version,
            on_done=self._after_write,
            on_error=self._show_error,
            read_only=False,
            label=self.tr("Co-signing"),
        )

    def add_addendum(self) -> None:
        note = self.selected()
        if note is None or not self.addendum_button.isVisible():
            return
        self._open_reason(
            ReasonDialog(
                self._ctx,
                self.tr("Add an addendum"),
                self.tr(
                    "A signed note is never changed. Write the correction or addition and "
                    "why it is needed; it is kept with your name and the time."
                ),
                self.tr("&Add addendum"),
                with_text=True,
                call=lambda reason, text: (
                    notes.add_addendum,
                    {"note_id": note.id, "reason": reason, "text": text},
                ),
                parent=self,
            )
        )

    def mark_entered_in_error(self) -> None:
        note = self.selected()
        if note is None or not self.error_button.isVisible():
            return
        self._open_reason(
            ReasonDialog(
                self._ctx,
                self.tr("Mark entered in error"),
                self.tr(
                    "The note stays in the record, marked entered in error, and no longer "
                    "counts as a contact. Say why (for example: written in the wrong record)."
                ),
                self.tr("&Mark entered in error"),
                with_text=False,
                call=lambda reason, _text: (
                    notes.mark_entered_in_error,
                    {"note_id": note.id, "reason": reason, "expected_version": note.version},
                ),
                parent=self,
            )
        )

    def _open_reason(self, dialog: ReasonDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.completed.connect(self._after_write)
        self._workspace.dialog_opened.emit(dialog)
        dialog.open()


def _factory(ctx: AppContext, workspace: ParticipantWorkspace) -> QWidget:
    return NotesTab(ctx, workspace)


def install() -> None:
    """Register the Session notes tab and the risk-flag header source."""
    register_tab(
        TabSpec(
            key="notes",
            title=str(QT_TRANSLATE_NOOP("workspace tabs", "Session notes")),
            icon_name="notebook-pen",
            factory=_factory,
            order=20,
            visible=lambda actor: actor.sees_clinical,
        )
    )
    register_flag_source(risk_flag_source)


__all__ = ["NotesTab", "install"]
