"""The session note editor: one note of one participant, autosaved as a draft.

Keyboard first: Tab walks the fields, Ctrl+S saves the draft now, Ctrl+Enter
signs, Esc closes (asking about anything not saved yet), Ctrl+G creates the
group session of a group note and Ctrl+Shift+G opens it once it exists (its
shared part, attendance and "sign all my notes"). While typing, the draft is
saved a moment after the last keystroke, when focus leaves a text field and when
the editor is hidden (``ui.note_autosave``), so a crash loses at most a few seconds. The editor
offers ``has_unsaved_changes`` / ``save_drafts`` (the window's ``KeepsDrafts``).

The fields are ``ui.note_form``; templates, phrases and the dialog that creates a
group session are ``ui.note_tools``; an existing group session is
``ui.group_session_dialog``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import CasebookError, ConflictError, ValidationError
from casebook.services import notes
from casebook.services.note_groups import GroupSessionDetail
from casebook.services.notes import DraftSaved, NoteContent, NoteDetail
from ui import form_dialog, messages
from ui.context import AppContext
from ui.form_parts import heading, ntr
from ui.group_session_dialog import GroupSessionDetailDialog
from ui.icons import icon
from ui.note_autosave import DraftKeeper
from ui.note_form import EditorData, NoteForm, load_editor_data
from ui.note_parts import hint_label
from ui.note_tools import GroupSessionDialog

AREA_NOTES = "notes"


def _ask(parent: QWidget, title: str, text: str, action: str, name: str) -> bool:
    box = QMessageBox(
        QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, parent
    )
    go = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(go)
    box.setObjectName(name)
    box.exec()
    return box.clickedButton() is go


def confirm_sign(parent: QWidget) -> bool:
    """Ask before signing: a signed note cannot be changed (tests replace this)."""
    return _ask(
        parent,
        parent.tr("Sign this note?"),
        parent.tr(
            "Once signed, the note is part of the record and cannot be changed. Later "
            "corrections are added as addenda."
        ),
        parent.tr("&Sign"),
        "confirmSign",
    )


def confirm_discard(parent: QWidget) -> bool:
    """Ask before deleting a draft (tests replace this)."""
    return _ask(
        parent,
        parent.tr("Discard this draft?"),
        parent.tr("The draft is deleted. It was never signed, so it is not part of the record."),
        parent.tr("&Discard draft"),
        "confirmDiscard",
    )


class NoteEditor(QWidget):
    """Writes one note. ``start_new`` or ``open_draft`` before showing it."""

    #: The editor is done (closed, discarded or signed): the tab goes back to the list.
    finished = Signal()
    #: The note was signed (NoteDetail).
    signed = Signal(object)
    #: The note was saved with "start an urgent referral" ticked (tuple of risk flags).
    urgent_referral = Signal(tuple)
    #: A dialog was opened (for tests and tools).
    dialog_opened = Signal(QDialog)

    def __init__(self, ctx: AppContext, participant_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noteEditor")
        self._ctx = ctx
        self._participant_id = participant_id
        self._referral_offered = False
        # Nothing typed into a new note yet: nothing to save.
        self._blank = True
        # The open group session dialog, and this note once signed from it: the editor
        # goes back to the list when that dialog closes (it is the editor's child).
        self.group_dialog: GroupSessionDetailDialog | None = None
        self._signed_with_group: NoteDetail | None = None
        self.keeper = DraftKeeper(ctx, participant_id, self.content, self)
        self.keeper.saved.connect(self._saved)
        self.keeper.failed.connect(self._save_failed)

        self.title = heading(self.tr("New note"))
        self.state_label = hint_label()
        self.state_label.setObjectName("draftState")
        self.save_button = self._button("save", self.tr("&Save draft"), self.save_draft)
        self.save_button.setToolTip(self.tr("Save the draft now (Ctrl+S)"))
        self.sign_button = self._button("signature", self.tr("Si&gn…"), self.sign)
        self.sign_button.setToolTip(self.tr("Sign the note (Ctrl+Enter)"))
        self.discard_button = self._button("x", self.tr("&Discard draft…"), self.discard)
        self.close_button = self._button("x", self.tr("Close"), self.close_editor)
        self.close_button.setToolTip(self.tr("Back to the list (Esc)"))
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        for button in (self.save_button, self.sign_button, self.discard_button, self.close_button):
            top.addWidget(button)
        self.general = QLabel()
        self.general.setProperty("role", "field-error")
        self.general.setWordWrap(True)
        self.general.hide()

        self.form = NoteForm(ctx, self)
        self.form.changed.connect(self._changed)
        self.form.kind_changed.connect(self._update_group_state)
        self.form.field_left.connect(self.keeper.save_now)
        self.form.dialog_opened.connect(self.dialog_opened)
        self.group_button = self._button(
            "users", self.tr("Create &group session…"), self.create_group
        )
        self.attendees_button = self._button(
            "user-plus", self.tr("Add a&ttendees…"), self.add_attendees
        )
        self.session_button = self._button(
            "users", self.tr("Gr&oup session…"), self.open_group_session
        )
        self.session_button.setObjectName("groupSessionButton")
        self.session_button.setToolTip(
            self.tr("Change the group's shared part or sign every attendee's note (Ctrl+Shift+G)")
        )
        self.form.group_row.addWidget(self.group_button)
        self.form.group_row.addWidget(self.attendees_button)
        self.form.group_row.addWidget(self.session_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.state_label)
        layout.addWidget(self.general)
        layout.addWidget(self.form, 1)
        for keys, slot in (
            ("Ctrl+S", self.save_draft),
            ("Ctrl+Return", self.sign),
            ("Ctrl+Enter", self.sign),
            ("Escape", self.close_editor),
            ("Ctrl+G", self.create_group),
            ("Ctrl+Shift+G", self.open_group_session),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def _button(self, icon_name: str, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(icon(icon_name), text)
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # -- opening -------------------------------------------------------------------------

    @property
    def note_id(self) -> int | None:
        return self.keeper.note_id

    def start_new(self) -> None:
        """An empty GIRP note for now; nothing is saved until something is written."""
        self.form.fill(NoteContent(occurred_at=datetime.now(UTC).replace(second=0, microsecond=0)))
        self._update_group_state()
        self.title.setText(self.tr("New note"))
        self.state_label.setText(self.tr("Saved as a draft as you type."))
        self._load_aids()
        self.form.kind.setFocus(Qt.FocusReason.OtherFocusReason)

    def open_draft(self, detail: NoteDetail) -> None:
        """Continue a saved draft where it was left."""
        self._continue(detail)
        self.state_label.setText(
            self.tr("Draft last saved {when}.").format(
                when=detail.updated_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            )
        )
        self._load_aids()
        self.form.focus_first_section()

    def _continue(self, detail: NoteDetail) -> None:
        self.form.fill(detail.content(), detail.group, detail.goals)
        self._blank = False
        self.keeper.load(detail.id, detail.version)
        # What the fields now show is what is stored: nothing to save yet.
        self.keeper.remember(self.content())
        self.title.setText(self.tr("Draft note"))
        self._update_group_state()

    def _load_aids(self) -> None:
        self._ctx.submit(
            load_editor_data,
            self._participant_id,
            on_done=self._aids_loaded,
            on_error=self._aids_failed,
            label=self.tr("Loading templates"),
        )

    def _aids_loaded(self, data: EditorData) -> None:
        if shiboken6.isValid(self):
            self.form.set_aids(data)

    def _aids_failed(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            self.form.goals.empty.setText(messages.describe(exc))

    # -- state -----------------------------------------------------------------------------

    def _awaiting_group(self) -> bool:
        """A group note whose group session does not exist yet (nothing can be saved)."""
        return self.form.current_kind() == "group" and self.form.group is None

    def content(self) -> NoteContent | None:
        """What would be saved now; None while there is nothing to save (an untouched new
        note, or a group note whose group session is not created yet)."""
        if (self._blank and self.keeper.note_id is None) or self._awaiting_group():
            return None
        return self.form.values()

    def _changed(self) -> None:
        self._blank = False
        self.keeper.changed()

    def _update_group_state(self) -> None:
        kind_is_group = self.form.current_kind() == "group"
        group = self.form.group
        # Before the first save there is nothing to discard: Close (Esc) is enough.
        self.discard_button.setVisible(self.keeper.note_id is not None)
        self.form.group_box.setVisible(kind_is_group)
        self.group_button.setVisible(kind_is_group and group is None)
        # Only the facilitator writes a group's notes, so the author may add late attendees.
        self.attendees_button.setVisible(group is not None)
        self.session_button.setVisible(group is not None)
        if group is not None:
            self.form.group_label.setText(
                self.tr(
                    "Group: {topic} (facilitator {name}). The time, duration and "
                    "location belong to the group session."
                ).format(topic=group.topic, name=group.facilitator_name)
            )
        elif kind_is_group:
            self.form.group_label.setText(
                self.tr(
                    "A group note is saved once its group session exists: create it "
                    "with the attendees (Ctrl+G). Until then this note is not saved."
                )
            )

    # -- saving ----------------------------------------------------------------------------

    def _group_dialog_dirty(self) -> bool:
        dialog = self.group_dialog
        return dialog is not None and shiboken6.isValid(dialog) and dialog.is_dirty()

    def has_unsaved_changes(self) -> bool:
        if self._awaiting_group():
            return not self._blank
        return self.keeper.is_dirty() or self._group_dialog_dirty()

    def save_drafts(self) -> None:
        """Save the draft now, on this thread (lock, switch user, close)."""
        if self._awaiting_group() and not self._blank:
            raise CasebookError(
                self.tr("The group note is not saved yet: create its group session first.")
            )
        try:
            self.keeper.flush()
        except ValidationError as exc:
            self._show_errors(exc)
            raise
        if self._group_dialog_dirty() and self.group_dialog is not None:
            # The shared part is no draft: the person saves or drops it in the dialog.
            self.group_dialog.raise_()
            self.group_dialog.activateWindow()
            raise CasebookError(
                self.tr(
                    "The group session is still open with changes to its shared part. "
                    "Save or cancel them first."
                )
            )

    def hideEvent(self, event: QHideEvent) -> None:
        # Hidden by the lock screen, another tab or participant, switching user or
        # closing: the draft is saved now rather than after the autosave delay.
        super().hideEvent(event)
        if self.keeper.is_dirty():
            try:
                self.keeper.flush()
            except CasebookError as exc:
                self._save_failed(exc)

    def save_draft(self) -> None:
        if self._awaiting_group():
            self.create_group()
            return
        self._blank = False
        self.keeper.save_now()
        self._maybe_offer_referral()

    def _saved(self, result: DraftSaved) -> None:
        if not shiboken6.isValid(self):
            return
        self.form.clear_errors()
        self.general.hide()
        if result.created:
            self.title.setText(self.tr("Draft note"))
            self._update_group_state()
            self._ctx.notify(AREA_NOTES, self._participant_id)
        self.state_label.setText(
            self.tr("Draft saved {when}.").format(
                when=result.saved_at.astimezone().strftime("%H:%M:%S")
            )
        )

    def _save_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        if isinstance(exc, ConflictError):
            self.keeper.stop()
        self._show_errors(exc)
        self.state_label.setText(self.tr("Not saved: see the messages below."))

    def _show_errors(self, exc: BaseException) -> None:
        first: QWidget | None = None
        if isinstance(exc, ValidationError):
            rest, first = self.form.show_errors(exc)
        else:
            rest = [messages.describe(exc)]
        self.general.setText("\n".join(rest))
        self.general.setVisible(bool(rest))
        if first is not None and not first.hasFocus():
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _maybe_offer_referral(self) -> None:
        flags = self.form.risk.flags()
        if self.form.risk.urgent.isChecked() and flags and not self._referral_offered:
            self._referral_offered = True
            self.urgent_referral.emit(flags)

    # -- group -----------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog_opened.emit(dialog)
        dialog.open()

    def create_group(self) -> None:
        """The group session for this note, with the other attendees (Ctrl+G)."""
        if not self._awaiting_group():
            return
        values = self.form.values()
        content = replace(values, sections={"individual": values.sections.get("individual", "")})
        dialog = GroupSessionDialog(
            self._ctx, self._participant_id, content, self.keeper.note_id, self
        )
        dialog.created.connect(self._group_created)
        self._open(dialog)

    def _group_created(self, detail: NoteDetail) -> None:
        if not shiboken6.isValid(self):
            return
        self._continue(detail)
        self.state_label.setText(
            self.tr("Group session created; this participant's note is saved as a draft.")
        )

    def add_attendees(self) -> None:
        content = self.content()
        if self.form.group is None or content is None:
            return
        dialog = GroupSessionDialog(
            self._ctx, self._participant_id, content, None, self, group=self.form.group
        )
        dialog.added.connect(self._attendees_added)
        self._open(dialog)

    def _attendees_added(self, count: int) -> None:
        if shiboken6.isValid(self):
            self.state_label.setText(
                ntr("Notes", "%n attendee(s) added; each has a draft note in their record.", count)
            )

    def open_group_session(self) -> None:
        """Ctrl+Shift+G: the group's shared part, attendance and "sign all my notes"."""
        group = self.form.group
        if group is None or self.keeper.note_id is None or self.group_dialog is not None:
            return
        # The dialog changes this note too (its shared facts, its signature): what is
        # typed here is stored first, so nothing is signed or overwritten unsaved.
        try:
            self.keeper.flush()
        except CasebookError as exc:
            self._save_failed(exc)
            return
        dialog = GroupSessionDetailDialog(self._ctx, group.group_session_id, self)
        dialog.group_changed.connect(self._group_session_changed)
        # A bound method, not a closure over the dialog (see ui.caseload_view.start_intake).
        dialog.finished.connect(self._group_session_closed)
        self.group_dialog = dialog
        self._open(dialog)

    def _group_session_changed(self, _detail: GroupSessionDetail) -> None:
        """The shared part was saved or the notes signed: this note changed in the
        database (its facts, version or status), so it is read back."""
        note_id = self.keeper.note_id
        if not shiboken6.isValid(self) or note_id is None:
            return
        # The keeper holds nothing unsaved (flushed before the dialog opened, and the
        # window-modal dialog keeps typing out), so it cannot save over the old version.
        self._ctx.submit(
            notes.get_note,
            note_id,
            on_done=self._note_reloaded,
            on_error=self._reload_failed,
            read_only=False,
            label=self.tr("Opening note"),
        )

    def _note_reloaded(self, detail: NoteDetail) -> None:
        if not shiboken6.isValid(self):
            return
        if detail.is_signed:
            self.keeper.stop()
            self._signed_with_group = detail
            self.form.setEnabled(False)
            for button in (self.save_button, self.sign_button, self.discard_button):
                button.setEnabled(False)
            self.state_label.setText(
                self.tr("Signed with the group session; the note is part of the record now.")
            )
            if self.group_dialog is None:
                self._finish_signed_with_group()
            return
        # The stored facts and version, or the next autosave would be refused.
        self._continue(detail)
        self.state_label.setText(self.tr("The group's shared part was saved; this note shows it."))

    def _reload_failed(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            self._show_errors(exc)

    def _group_session_closed(self, _result: int) -> None:
        self.group_dialog = None
        if self._signed_with_group is not None:
            self._finish_signed_with_group()

    def _finish_signed_with_group(self) -> None:
        detail = self._signed_with_group
        if detail is None:
            return
        self._signed_with_group = None
        self.signed.emit(detail)
        self.finished.emit()

    # -- signing, discarding, closing ---------------------------------------------------

    def sign(self) -> None:
        if self._awaiting_group():
            self.create_group()
            return
        if not confirm_sign(self):
            return
        try:
            self.keeper.flush()
        except CasebookError as exc:
            self._save_failed(exc)
            return
        note_id = self.keeper.note_id
        if note_id is None:
            self.general.setText(self.tr("Write the note before signing it."))
            self.general.show()
            return
        self._maybe_offer_referral()
        self.sign_button.setEnabled(False)
        self._ctx.submit(
            notes.sign_note,
            note_id,
            expected_version=self.keeper.version,
            on_done=self._signed,
            on_error=self._sign_failed,
            read_only=False,
            label=self.tr("Signing"),
        )

    def _signed(self, detail: NoteDetail) -> None:
        self._ctx.notify(AREA_NOTES, detail.participant_id)
        if not shiboken6.isValid(self):
            return
        self.keeper.stop()
        self.sign_button.setEnabled(True)
        self.signed.emit(detail)
        self.finished.emit()

    def _sign_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self.sign_button.setEnabled(True)
        self._show_errors(exc)
        self.state_label.setText(self.tr("Not signed: see the messages below."))

    def discard(self) -> None:
        note_id = self.keeper.note_id
        if note_id is None:
            self.keeper.stop()
            self.finished.emit()
            return
        if not confirm_discard(self):
            return
        self.keeper.stop()
        self._ctx.submit(
            notes.discard_draft,
            note_id,
            on_done=lambda _none: self._discarded(),
            on_error=self._discard_failed,
            read_only=False,
            label=self.tr("Discarding"),
        )

    def _discarded(self) -> None:
        self._ctx.notify(AREA_NOTES, self._participant_id)
        if shiboken6.isValid(self):
            self.finished.emit()

    def _discard_failed(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            messages.show_error(self, exc)

    def close_editor(self) -> None:
        """Esc: back to the list, asking first if something is not saved yet."""
        kept = True
        if self.has_unsaved_changes():
            choice = form_dialog.ask_unsaved_changes(self)
            if choice == form_dialog.UnsavedChoice.CANCEL:
                return
            kept = choice == form_dialog.UnsavedChoice.SAVE
            if kept:
                try:
                    self.save_drafts()
                except CasebookError as exc:
                    self._save_failed(exc)
                    return
        if kept and self.keeper.note_id is not None:
            # Autosave may have saved the flag already; the referral is still due.
            self._maybe_offer_referral()
        self.keeper.stop()
        self.finished.emit()


__all__ = ["AREA_NOTES", "NoteEditor", "confirm_discard", "confirm_sign"]
