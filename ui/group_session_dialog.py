"""The group session itself: its shared part, who attended, and signing every note.

Opened from the note editor on a group note (Ctrl+Shift+G). The facilitator changes
the topic, time, duration, location and shared text while every attendee's note is
still a draft: the shared part is signed with each note, so one signed note freezes
it for all. "Sign all my notes" signs the facilitator's drafts of the group at once;
the service signs all of them or none, and each attendee's problem is listed here.
A supervisor sees the same, read-only. Creating a group and adding late attendees
are ``ui.note_tools.GroupSessionDialog``.

Every service call runs on the context's worker; a result that arrives after the
dialog was closed is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QDateTime, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import ConflictError, ValidationError
from casebook.services import note_groups, notes
from casebook.services.note_groups import GroupAttendeeNote, GroupSessionDetail
from casebook.services.notes import SignedNoteLocked
from ui import form_dialog, messages
from ui.caseload_view import setup_table
from ui.context import AppContext
from ui.form_parts import FieldMessage, field_column, heading, info_box, ntr, show_field_errors
from ui.icons import icon
from ui.note_parts import hint_label
from ui.workspace import ListModel

AREA_NOTES = "notes"
# The class name: the context self.tr() uses, so one catalogue section holds them all.
_CONTEXT = "GroupSessionDetailDialog"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def confirm_sign_all(parent: QWidget, count: int) -> bool:
    """Ask before signing *count* notes at once (tests replace this)."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        _tr("Sign all your notes of this group?"),
        ntr(
            _CONTEXT,
            "%n draft note(s) of this group will be signed. Once signed, a note is part "
            "of the record and cannot be changed; later corrections are added as "
            "addenda. If any note still needs something, none is signed.",
            count,
        ),
        QMessageBox.StandardButton.Cancel,
        parent,
    )
    go = box.addButton(ntr(_CONTEXT, "&Sign %n note(s)", count), QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(go)
    box.setObjectName("confirmSignAll")
    box.exec()
    return box.clickedButton() is go


def _status_text(status: str) -> str:
    return _tr("Signed") if status == "signed" else _tr("Draft")


class AttendeesModel(ListModel[GroupAttendeeNote]):
    """The attendees the actor may see, with their note's status and author."""

    PARTICIPANT, NOTE, AUTHOR = range(3)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            lambda: (_tr("Participant"), _tr("Note"), _tr("Author")),
            (
                lambda a: a.participant_name,
                lambda a: _status_text(a.status),
                lambda a: a.author_name,
            ),
            parent,
        )

    def set_group(self, detail: GroupSessionDetail) -> None:
        self.set_rows(detail.attendees)

    def authors(self) -> list[str]:
        return sorted({self.row_at(row).author_name for row in range(self.rowCount())})


@dataclass(frozen=True)
class _Shown:
    """What the shared fields hold, to tell whether the person changed anything."""

    topic: str
    when: int
    duration: int
    location: str
    text: str


class GroupSessionDetailDialog(QDialog):
    """The shared part of one group session, its attendance and "sign all my notes"."""

    #: The shared part was saved or the notes were signed (GroupSessionDetail).
    group_changed = Signal(object)

    def __init__(
        self, ctx: AppContext, group_session_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("groupSessionDetailDialog")
        self.setWindowTitle(self.tr("Group session"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setSizeGripEnabled(True)
        self.resize(760, 680)
        self._ctx = ctx
        self._group_session_id = group_session_id
        self.detail: GroupSessionDetail | None = None
        self._shown: _Shown | None = None
        self._filling = False
        self._busy = False
        self._close_after_save = False

        self.title = heading(self.tr("Group session"))
        self.summary = hint_label()
        self.summary.setObjectName("groupSummary")
        self.loading = hint_label(self.tr("Loading the group session…"))
        self.lock_box = info_box("", "lock")
        self.lock_box.setObjectName("lockedReason")
        lock_text = self.lock_box.findChild(QLabel, "infoText")
        assert lock_text is not None
        self.lock_text: QLabel = lock_text
        self.lock_box.hide()

        # The shared part ----------------------------------------------------------------
        self.topic = QLineEdit()
        self.topic.setMaxLength(200)
        self.when = QDateTimeEdit()
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.duration = QSpinBox()
        self.duration.setRange(0, notes.MAX_DURATION_MINUTES)
        self.duration.setSuffix(self.tr(" min"))
        self.location = QLineEdit()
        self.location.setMaxLength(200)
        self.group_text = QPlainTextEdit()
        self.group_text.setTabChangesFocus(True)
        # A few lines, scrolling beyond: the attendees below need the room more.
        lines = self.fontMetrics().lineSpacing()
        self.group_text.setMinimumHeight(lines * 4 + 12)
        self.group_text.setMaximumHeight(lines * 8 + 12)
        self.msgs: dict[str, FieldMessage] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, text, field in (
            ("topic", self.tr("&Topic"), self.topic),
            ("occurred_at", self.tr("&Date and time"), self.when),
            ("duration_minutes", self.tr("D&uration"), self.duration),
            ("location", self.tr("&Location"), self.location),
            ("group_text", self.tr("What the group &did"), self.group_text),
        ):
            field.setObjectName(key)
            field.setAccessibleName(text.replace("&", ""))
            message = FieldMessage(field)
            self.msgs[key] = message
            caption = QLabel(text)
            caption.setBuddy(field)
            caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            form.addRow(caption, field_column(field, message))
        self.text_hint = hint_label(
            self.tr("Every attendee's note shows this text: name no one in it.")
        )
        form.addRow("", self.text_hint)
        self.save_state = hint_label()
        self.save_state.setObjectName("saveState")
        self.save_button = QPushButton(icon("save"), self.tr("&Save shared part"))
        self.save_button.setObjectName("saveSharedPart")
        self.save_button.setToolTip(self.tr("Save the shared part for every attendee (Ctrl+S)"))
        self.save_button.clicked.connect(self.save)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_state, 1)
        save_row.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)

        # Attendance and signing --------------------------------------------------------------
        self.attendees_title = heading(self.tr("Attendees"), role="subheading")
        self.model = AttendeesModel(self)
        self.table = QTableView()
        self.table.setObjectName("attendees")
        self.table.setModel(self.model)
        setup_table(self.table, self.tr("Attendees"), stretch_last=False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(AttendeesModel.PARTICIPANT, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 4 + 8)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.sign_state = hint_label()
        self.sign_state.setObjectName("signState")
        self.sign_button = QPushButton(icon("signature"), self.tr("Sig&n all my notes…"))
        self.sign_button.setObjectName("signAll")
        self.sign_button.clicked.connect(self.sign_all)
        sign_row = QHBoxLayout()
        sign_row.addWidget(self.sign_state, 1)
        sign_row.addWidget(self.sign_button, 0, Qt.AlignmentFlag.AlignTop)
        self.problems = QLabel()
        self.problems.setObjectName("signProblems")
        self.problems.setProperty("role", "field-error")
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(Qt.TextFormat.PlainText)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems.hide()

        self.general = QLabel()
        self.general.setObjectName("generalMessage")
        self.general.setProperty("role", "field-error")
        self.general.setWordWrap(True)
        self.general.setTextFormat(Qt.TextFormat.PlainText)
        self.general.hide()
        self.reload_button = QPushButton(icon("refresh-cw"), self.tr("&Reload"))
        self.reload_button.setToolTip(self.tr("Show what is saved now; your changes are dropped"))
        self.reload_button.clicked.connect(self.reload)
        self.reload_button.hide()
        general_row = QHBoxLayout()
        general_row.addWidget(self.general, 1)
        general_row.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignTop)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        self.close_button = self.buttons.button(QDialogButtonBox.StandardButton.Close)

        for button in (self.save_button, self.sign_button, self.reload_button, self.close_button):
            button.setAccessibleName(button.text().replace("&", "").rstrip("…"))

        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.lock_box)
        body.addLayout(form)
        body.addLayout(save_row)
        body.addSpacing(6)
        body.addWidget(self.attendees_title)
        body.addWidget(self.table, 1)
        body.addLayout(sign_row)
        body.addWidget(self.problems)
        self.body.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.loading)
        layout.addWidget(self.body, 1)
        layout.addLayout(general_row)
        layout.addWidget(self.buttons)

        # The reading order, whatever order the widgets were made in.
        chain: list[QWidget] = [
            self.topic,
            self.when,
            self.duration,
            self.location,
            self.group_text,
            self.save_button,
            self.table,
            self.sign_button,
            self.reload_button,
            self.close_button,
        ]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

        for field_signal in (
            self.topic.textChanged,
            self.when.dateTimeChanged,
            self.duration.valueChanged,
            self.location.textChanged,
            self.group_text.textChanged,
        ):
            field_signal.connect(self._edited)
        save = QShortcut(QKeySequence("Ctrl+S"), self)
        save.activated.connect(self.save)
        self._update_actions()
        self.reload()

    # -- loading ---------------------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        return self.detail is not None and not self._busy

    def reload(self) -> None:
        """Show what is saved now (dropping unsaved edits of the shared part)."""
        if self._busy or self._ctx.runner.closing:
            return
        self._set_busy(True)
        self.reload_button.hide()
        # What the last attempt said is about what was shown then.
        self.problems.hide()
        self._ctx.submit(
            note_groups.get_group_session,
            self._group_session_id,
            on_done=self._loaded,
            on_error=self._load_failed,
            # Opening a group's attendance is audited: a write.
            read_only=False,
            label=self.tr("Loading the group session"),
        )

    def _loaded(self, detail: GroupSessionDetail) -> None:
        if not shiboken6.isValid(self):
            return
        self._set_busy(False)
        self.general.hide()
        self._show(detail)
        if self.topic.isReadOnly():
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.topic.setFocus(Qt.FocusReason.OtherFocusReason)

    def _load_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._set_busy(False)
        self.loading.hide()
        # A refusal (not the facilitator, no supervisor) or a vanished group: the
        # service's own sentence, and nothing else to do here but close.
        self.general.setText(messages.describe(exc))
        self.general.show()
        if self.detail is None:
            self.body.hide()
        self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show(self, detail: GroupSessionDetail) -> None:
        self.detail = detail
        self.loading.hide()
        self.body.show()
        self.title.setText(detail.topic)
        self.summary.setText(
            ntr(
                _CONTEXT,
                "Facilitated by {name} · %n attendee(s) you can see",
                len(detail.attendees),
            ).format(name=detail.facilitator_name)
        )
        self._filling = True
        try:
            self.topic.setText(detail.topic)
            self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(detail.occurred_at.timestamp())))
            self.duration.setValue(detail.duration_minutes)
            self.location.setText(detail.location)
            self.group_text.setPlainText(detail.group_text)
        finally:
            self._filling = False
        # Read back from the widgets: the dirty check compares like with like.
        self._shown = self._current()
        for message in self.msgs.values():
            message.clear_message()
        self.model.set_group(detail)
        self._size_columns()

        facilitator = self.is_facilitator
        signed = sum(1 for a in detail.attendees if a.status == "signed")
        drafts = len(detail.attendees) - signed
        editable = facilitator and signed == 0
        # Read-only rather than disabled: the text stays readable, selectable and
        # reachable with Tab; without arrows nothing suggests it can be changed.
        for field in (self.topic, self.when, self.duration, self.location, self.group_text):
            field.setReadOnly(not editable)
        symbols = (
            QAbstractSpinBox.ButtonSymbols.UpDownArrows
            if editable
            else QAbstractSpinBox.ButtonSymbols.NoButtons
        )
        self.duration.setButtonSymbols(symbols)
        self.when.setButtonSymbols(symbols)
        self.when.setCalendarPopup(editable)
        self.save_button.setVisible(editable)
        self.text_hint.setVisible(editable)
        if not facilitator:
            self.lock_text.setText(
                self.tr(
                    "Only the facilitator, {name}, can change the shared part or sign the "
                    "notes of this group; you can read them here."
                ).format(name=detail.facilitator_name)
            )
        elif signed:
            self.lock_text.setText(
                self.tr(
                    "The shared part can no longer be changed: it is part of every signed "
                    "note of this group, and a signed note is never changed. Correct a "
                    "signed note with an addendum."
                )
            )
        self.lock_box.setVisible(not editable)
        self.sign_button.setVisible(facilitator)
        if not detail.attendees:
            self.sign_state.setText(self.tr("No attendee of this group is in your caseload."))
        elif drafts == 0:
            self.sign_state.setText(self.tr("Every note of this group is signed."))
        else:
            self.sign_state.setText(
                ntr(_CONTEXT, "%n note(s) of this group still to be signed.", drafts)
            )
        if editable:
            self._check()
        self._update_actions()

    def _size_columns(self) -> None:
        # Wide enough for the title and the longest value, measured with the table's font
        # (a handful of rows: cheap, unlike measuring a caseload).
        metrics = self.table.fontMetrics()
        padding = 24
        for column, values in (
            (AttendeesModel.NOTE, [_status_text("draft"), _status_text("signed")]),
            (AttendeesModel.AUTHOR, self.model.authors()),
        ):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            width = max(metrics.horizontalAdvance(v) for v in [title, *values]) + padding
            self.table.setColumnWidth(column, min(width, 260))

    # -- state -----------------------------------------------------------------------------

    @property
    def is_facilitator(self) -> bool:
        return (
            self.detail is not None
            and self._ctx.signed_in
            and self.detail.facilitator_id == self._ctx.actor.id
        )

    @property
    def is_editable(self) -> bool:
        return self.detail is not None and not self.topic.isReadOnly()

    def drafts(self) -> list[GroupAttendeeNote]:
        """The notes "sign all" would sign: the group's drafts (all the facilitator's)."""
        if self.detail is None:
            return []
        return [a for a in self.detail.attendees if a.status != "signed"]

    def _current(self) -> _Shown:
        return _Shown(
            self.topic.text(),
            self.when.dateTime().toSecsSinceEpoch(),
            self.duration.value(),
            self.location.text(),
            self.group_text.toPlainText(),
        )

    def is_dirty(self) -> bool:
        """The shared fields hold changes not saved yet."""
        return self.is_editable and self._shown is not None and self._current() != self._shown

    def _local_problems(self) -> dict[str, str]:
        """The service's own field checks, run on what is typed (no database)."""
        return note_groups.group_field_problems(
            self.topic.text(),
            self._shown_time(),
            self.duration.value(),
            self.location.text(),
            self.group_text.toPlainText(),
        )

    def _shown_time(self) -> datetime:
        # To the minute shown, as the note editor sends it: the editor's draft of a group
        # note must carry exactly the group's time, or its next autosave is refused.
        seconds = self.when.dateTime().toSecsSinceEpoch()
        return datetime.fromtimestamp(seconds - seconds % 60, tz=UTC)

    def _edited(self, *_args: object) -> None:
        if self._filling:
            return
        sender = self.sender()
        # A message the service gave on the last save goes once its field is edited.
        for message in self.msgs.values():
            if message.is_error and message._field is sender:
                message.clear_message()
        self._check()
        self.save_state.clear()
        self._update_actions()

    def _check(self) -> dict[str, str]:
        problems = self._local_problems()
        for key, message in self.msgs.items():
            if key in problems:
                message.show_error(problems[key])
            elif message.is_error:
                message.clear_message()
        duration = self.msgs["duration_minutes"]
        if not duration.is_error:
            if self.is_editable and self.duration.value() == 0:
                # Saving 0 is allowed; signing is not. Said now rather than at signing.
                duration.show_hint(self.tr("With 0 minutes the notes can be saved but not signed."))
            else:
                duration.clear_message()
        return problems

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)
        self._update_actions()

    def _update_actions(self) -> None:
        self.save_button.setEnabled(
            not self._busy and self.is_dirty() and not self._local_problems()
        )
        self.save_button.setDefault(self.save_button.isEnabled())
        self.sign_button.setEnabled(not self._busy and self.is_facilitator and bool(self.drafts()))

    # -- saving the shared part ------------------------------------------------------------

    def save(self) -> None:
        """Ctrl+S: save the shared part; every attendee's draft takes it."""
        detail = self.detail
        if detail is None or self._busy or not self.is_dirty() or self._ctx.runner.closing:
            return
        if self._check():
            self._focus_first_problem()
            return
        for message in self.msgs.values():
            if message.is_error:
                message.clear_message()
        self.general.hide()
        self.problems.hide()
        occurred_at = self._shown_time()
        self._set_busy(True)
        self._ctx.submit(
            note_groups.update_group_session,
            detail.id,
            topic=self.topic.text(),
            occurred_at=occurred_at,
            duration_minutes=self.duration.value(),
            location=self.location.text(),
            group_text=self.group_text.toPlainText(),
            expected_version=detail.version,
            on_done=self._saved,
            on_error=self._save_failed,
            read_only=False,
            label=self.tr("Saving the group session"),
        )

    def _saved(self, detail: GroupSessionDetail) -> None:
        self._ctx.notify(AREA_NOTES, 0)
        if not shiboken6.isValid(self):
            return
        self._set_busy(False)
        self._show(detail)
        self.save_state.setText(
            ntr(
                _CONTEXT, "Saved at {time}; %n attendee note(s) show it.", len(detail.attendees)
            ).format(time=datetime.now().strftime("%H:%M"))
        )
        self.group_changed.emit(detail)
        if self._close_after_save:
            self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._set_busy(False)
        self._close_after_save = False
        self.save_state.clear()
        first = show_field_errors(exc, self.msgs, self.general)
        # Someone else saved the group, or signed one of its notes, since it was loaded:
        # what is typed here cannot be saved over it. Reloading shows what is saved.
        self.reload_button.setVisible(isinstance(exc, ConflictError | SignedNoteLocked))
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _focus_first_problem(self) -> None:
        for message in self.msgs.values():
            if message.is_error:
                message._field.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    # -- signing ---------------------------------------------------------------------------

    def sign_all(self) -> None:
        """Sign every draft of the group the actor wrote, or none of them."""
        detail = self.detail
        if detail is None or self._busy or not self.is_facilitator or self._ctx.runner.closing:
            return
        self.problems.hide()
        if self.is_dirty():
            # The notes are signed with the shared part as saved, not as typed here.
            self.general.setText(
                self.tr(
                    "Save or undo your changes to the shared part first: the notes are "
                    "signed with what is saved."
                )
            )
            self.general.show()
            return
        count = len(self.drafts())
        if count == 0 or not confirm_sign_all(self, count):
            return
        self.general.hide()
        self._set_busy(True)
        self._ctx.submit(
            note_groups.sign_group_session,
            detail.id,
            on_done=self._signed,
            on_error=self._sign_failed,
            read_only=False,
            label=self.tr("Signing the group's notes"),
        )

    def _signed(self, detail: GroupSessionDetail) -> None:
        self._ctx.notify(AREA_NOTES, 0)
        if not shiboken6.isValid(self):
            return
        before = len(self.drafts())
        self._set_busy(False)
        self._show(detail)
        signed = before - len(self.drafts())
        self.save_state.clear()
        self.sign_state.setText(
            ntr(_CONTEXT, "%n note(s) signed. Every note of this group is signed.", signed)
            if not self.drafts()
            else ntr(_CONTEXT, "%n note(s) signed.", signed)
        )
        self.group_changed.emit(detail)
        self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _sign_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._set_busy(False)
        if isinstance(exc, ValidationError):
            # One message per attendee, each starting with the participant's name.
            lines = "\n".join(f"• {text}" for text in exc.field_errors.values())
            self.problems.setText(
                self.tr("Nothing was signed. Each note listed needs more first:") + "\n" + lines
            )
            self.problems.show()
            self.sign_button.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.general.setText(messages.describe(exc))
        self.general.show()

    # -- closing ---------------------------------------------------------------------------

    def reject(self) -> None:
        """Esc, Close or the window's close button: ask about unsaved shared fields."""
        if self._busy and self.detail is not None:
            return  # a save or signature is on its way; closing now would hide its outcome
        if self.is_dirty():
            choice = form_dialog.ask_unsaved_changes(self)
            if choice == form_dialog.UnsavedChoice.CANCEL:
                return
            if choice == form_dialog.UnsavedChoice.SAVE:
                if self._check():
                    self._focus_first_problem()
                    return
                self._close_after_save = True
                self.save()
                return
        super().reject()


__all__ = ["AttendeesModel", "GroupSessionDetailDialog", "confirm_sign_all"]
