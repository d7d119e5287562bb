"""Writing aids of the note editor and the group session dialog.

* ``TemplatePicker``: the specialist's own templates and quick phrases; a phrase
  goes into the field being written, a template fills the note's sections.
* ``ManageTemplatesDialog``: keep new phrases, keep the note's text as a
  template, delete what is no longer wanted (they are writing aids, not records).
* ``GroupSessionDialog``: one group session for several attendees picked from
  the caseload; each attendee gets a draft note of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from casebook.security.permissions import Actor
from casebook.services import caseload, note_groups, note_templates, notes
from casebook.services.note_groups import GroupAttendee
from casebook.services.note_templates import TemplateInfo
from casebook.services.notes import GroupPart, NoteContent, NoteDetail
from ui import messages
from ui.context import AppContext
from ui.form_parts import FieldMessage, show_field_errors
from ui.icons import icon
from ui.note_parts import hint_label


class TemplatePicker(QGroupBox):
    """Templates for the note's format and quick phrases, with Insert and Manage."""

    #: Insert this phrase into the field being written.
    insert_phrase = Signal(str)
    #: Replace the note's sections with these (a template applied by the service).
    apply_template = Signal(dict)
    dialog_opened = Signal(QDialog)

    def __init__(self, ctx: AppContext, sections: Callable[[], dict[str, str]]) -> None:
        super().__init__()
        self.setTitle(self.tr("Templates and quick phrases"))
        self.setObjectName("templatePicker")
        self._ctx = ctx
        self._sections = sections
        self._all: tuple[TemplateInfo, ...] = ()
        self._format = notes.DEFAULT_FORMAT
        self.target: QPlainTextEdit | None = None
        self.choice = QComboBox()
        self.choice.setObjectName("templateChoice")
        self.choice.setAccessibleName(self.tr("Template or phrase"))
        self.choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.choice.setMinimumContentsLength(16)
        self.insert_button = QPushButton(icon("plus"), self.tr("&Insert"))
        self.insert_button.setToolTip(
            self.tr("A phrase goes where you are writing; a template fills the sections")
        )
        self.insert_button.clicked.connect(self.insert)
        self.manage_button = QPushButton(self.tr("&Manage…"))
        self.manage_button.clicked.connect(self.manage)
        self.empty = hint_label(self.tr("Keep phrases you write often with Manage…"))
        row = QHBoxLayout()
        row.addWidget(self.choice, 1)
        row.addWidget(self.insert_button)
        row.addWidget(self.manage_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.empty)
        self._refill()

    def set_target(self, edit: QPlainTextEdit | None) -> None:
        self.target = edit

    def set_format(self, fmt: str) -> None:
        self._format = fmt
        self._refill()

    def set_templates(self, templates: Sequence[TemplateInfo], fmt: str) -> None:
        self._all = tuple(templates)
        self._format = fmt
        self._refill()

    def shown(self) -> list[TemplateInfo]:
        """Templates of the current format, then phrases."""
        return [t for t in self._all if t.kind == "template" and t.format == self._format] + [
            t for t in self._all if t.kind == "phrase"
        ]

    def _refill(self) -> None:
        self.choice.clear()
        for t in self.shown():
            if t.kind == "template":
                self.choice.addItem(
                    icon("file-text"), self.tr("Template: {title}").format(title=t.title), t.id
                )
            else:
                self.choice.addItem(icon("pen-line"), t.title, t.id)
            self.choice.setItemData(
                self.choice.count() - 1, t.text or t.title, Qt.ItemDataRole.ToolTipRole
            )
        has = self.choice.count() > 0
        self.choice.setEnabled(has)
        self.insert_button.setEnabled(has)
        self.empty.setVisible(not has)

    def _current(self) -> TemplateInfo | None:
        wanted = self.choice.currentData()
        return next((t for t in self._all if t.id == wanted), None)

    def insert(self) -> None:
        chosen = self._current()
        if chosen is None:
            return
        if chosen.kind == "phrase":
            self.insert_phrase.emit(chosen.text)
            return
        sections = self._sections()
        try:
            result = self._ctx.call(
                note_templates.apply_template,
                chosen.id,
                sections,
                format=self._format,
                read_only=True,
            )
        except Exception as exc:
            messages.show_error(self, exc)
            return
        self.apply_template.emit(result)

    def manage(self) -> None:
        sections = self._sections()
        dialog = ManageTemplatesDialog(self._ctx, self._format, sections, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.changed.connect(self._reload)
        self.dialog_opened.emit(dialog)
        dialog.open()

    def _reload(self) -> None:
        self._ctx.submit(
            note_templates.list_templates,
            on_done=self._reloaded,
            on_error=lambda exc: None,
            label=self.tr("Loading templates"),
        )

    def _reloaded(self, templates: list[TemplateInfo]) -> None:
        if shiboken6.isValid(self):
            self.set_templates(templates, self._format)


class ManageTemplatesDialog(QDialog):
    """The specialist's own phrases and templates: add and delete."""

    changed = Signal()

    def __init__(
        self, ctx: AppContext, fmt: str, sections: Mapping[str, str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("manageTemplates")
        self.setWindowTitle(self.tr("Templates and quick phrases"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(560, 520)
        self._ctx = ctx
        self._format = fmt
        self._sections = {k: v for k, v in sections.items() if v.strip()}
        self.items = QListWidget()
        self.items.setAccessibleName(self.tr("Your templates and phrases"))
        self.delete_button = QPushButton(icon("x"), self.tr("&Delete"))
        self.delete_button.clicked.connect(self.delete)
        self.phrase = QPlainTextEdit()
        self.phrase.setObjectName("newPhrase")
        self.phrase.setTabChangesFocus(True)
        self.phrase.setAccessibleName(self.tr("New quick phrase"))
        self.phrase.setMaximumHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.phrase_message = FieldMessage(self.phrase)
        self.add_phrase_button = QPushButton(icon("plus"), self.tr("Keep &phrase"))
        self.add_phrase_button.clicked.connect(self.add_phrase)
        self.title = QLineEdit()
        self.title.setObjectName("templateTitle")
        self.title.setAccessibleName(self.tr("Template title"))
        self.title_message = FieldMessage(self.title)
        self.add_template_button = QPushButton(
            icon("file-text"), self.tr("Keep this note's text as a {fmt} &template").format(fmt=fmt)
        )
        self.add_template_button.setEnabled(bool(self._sections))
        self.add_template_button.clicked.connect(self.add_template)
        self.general = QLabel()
        self.general.setProperty("role", "field-error")
        self.general.setWordWrap(True)
        self.general.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        self.none_yet = hint_label(self.tr("You keep no templates or phrases yet."))
        layout = QVBoxLayout(self)
        layout.addWidget(
            hint_label(
                self.tr(
                    "Your own writing aids: no one else sees them, and deleting one "
                    "changes no note."
                )
            )
        )
        layout.addWidget(self.items, 1)
        layout.addWidget(self.none_yet)
        layout.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignRight)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.addRow(self.tr("New quick &phrase"), self.phrase)
        form.addRow(self.phrase_message)
        form.addRow(self.add_phrase_button)
        form.addRow(self.tr("Template t&itle"), self.title)
        form.addRow(self.title_message)
        form.addRow(self.add_template_button)
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        try:
            rows = self._ctx.call(note_templates.list_templates, read_only=True)
        except Exception as exc:
            self.general.setText(messages.describe(exc))
            self.general.show()
            return
        self.items.clear()
        for t in rows:
            label = (
                self.tr("Phrase: {title}")
                if t.kind == "phrase"
                else self.tr("{fmt} template: {title}")
            ).format(title=t.title, fmt=t.format)
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, t.id)
            item.setToolTip(t.text or "\n\n".join(t.sections.values()))
            self.items.addItem(item)
        self.delete_button.setEnabled(self.items.count() > 0)
        self.none_yet.setVisible(self.items.count() == 0)

    def _run(self, fn: object, *args: object, **kwargs: object) -> bool:
        self.phrase_message.clear_message()
        self.title_message.clear_message()
        try:
            self._ctx.call(fn, *args, **kwargs)  # type: ignore[arg-type]
        except Exception as exc:
            fields = {"text": self.phrase_message, "title": self.title_message}
            show_field_errors(exc, fields, self.general)
            return False
        self.general.hide()
        self.reload()
        self.changed.emit()
        return True

    def add_phrase(self) -> None:
        if self._run(note_templates.create_phrase, text=self.phrase.toPlainText()):
            self.phrase.clear()

    def add_template(self) -> None:
        if self._run(
            note_templates.create_template,
            title=self.title.text(),
            format=self._format,
            sections=self._sections,
        ):
            self.title.clear()

    def delete(self) -> None:
        item = self.items.currentItem()
        if item is not None:
            self._run(note_templates.delete_template, int(item.data(Qt.ItemDataRole.UserRole)))


def _attendee_choices(
    session: Any, actor: Actor, group_session_id: int | None
) -> tuple[list[tuple[int, str, str]], frozenset[int]]:
    """Active participants of the actor's caseload, and who already attends the group."""
    rows = caseload.caseload_rows(session, actor)
    present: frozenset[int] = frozenset()
    if group_session_id is not None:
        group = note_groups.get_group_session(session, actor, group_session_id)
        present = frozenset(a.participant_id for a in group.attendees)
    choices = [
        (r.participant_id, r.display_name, r.record_number) for r in rows if r.status == "active"
    ]
    return choices, present


def _add_attendees(
    session: Any, actor: Actor, group_session_id: int, content: NoteContent, others: Sequence[int]
) -> int:
    note_groups.add_group_attendees(
        session,
        actor,
        group_session_id,
        [GroupAttendee(pid) for pid in others],
        mode=content.mode,
        format=content.format,
    )
    return len(others)


def _create_group(
    session: Any,
    actor: Actor,
    participant_id: int,
    content: NoteContent,
    topic: str,
    group_text: str,
    others: Sequence[int],
    replaces: int | None,
) -> NoteDetail:
    """Create the group and return this participant's note, in one unit of work.

    *replaces* is the participant's ordinary draft the person started before choosing
    "group session": the group note takes its place (a draft is not a record).
    """
    if replaces is not None:
        notes.discard_draft(session, actor, replaces)
    own = GroupAttendee(
        participant_id,
        content.sections.get("individual", ""),
        tuple(content.goals),
        tuple(content.risk_flags),
    )
    group = note_groups.create_group_session(
        session,
        actor,
        topic=topic,
        occurred_at=content.occurred_at,
        duration_minutes=content.duration_minutes,
        location=content.location,
        group_text=group_text,
        attendees=[own, *(GroupAttendee(pid) for pid in others)],
        mode=content.mode,
        format=content.format,
    )
    note_id = next(a.note_id for a in group.attendees if a.participant_id == participant_id)
    return notes.get_note(session, actor, note_id)


class GroupSessionDialog(QDialog):
    """Topic, shared text and attendees of a new group session the actor facilitates;
    with *group*, late attendees for an existing one."""

    #: The group exists; carries this participant's new group note (NoteDetail).
    created = Signal(object)
    #: Attendees were added to the existing group (how many).
    added = Signal(int)

    def __init__(
        self,
        ctx: AppContext,
        participant_id: int,
        content: NoteContent,
        replaces: int | None = None,
        parent: QWidget | None = None,
        group: GroupPart | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("groupSessionDialog")
        self._replaces = replaces
        self._group = group
        self.setWindowTitle(
            self.tr("Create group session") if group is None else self.tr("Add attendees")
        )
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(620, 600)
        self._ctx = ctx
        self._participant_id = participant_id
        self._content = content
        self.topic = QLineEdit()
        self.topic.setObjectName("topic")
        self.topic.setMaxLength(200)
        self.topic.setAccessibleName(self.tr("Topic"))
        self.group_text = QPlainTextEdit()
        self.group_text.setObjectName("groupText")
        self.group_text.setTabChangesFocus(True)
        self.group_text.setAccessibleName(self.tr("What the group did"))
        self.attendees = QListWidget()
        self.attendees.setObjectName("attendees")
        self.attendees.setAccessibleName(self.tr("Other attendees"))
        self.msgs = {
            "topic": FieldMessage(self.topic),
            "group_text": FieldMessage(self.group_text),
            "attendees": FieldMessage(self.attendees),
        }
        self.general = QLabel()
        self.general.setProperty("role", "field-error")
        self.general.setWordWrap(True)
        self.general.hide()
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        if group is None:
            form.addRow(self.tr("&Topic"), self.topic)
            form.addRow(self.msgs["topic"])
            form.addRow(
                self.tr("What the group &did (shared by every attendee's note; name no one here)"),
                self.group_text,
            )
            form.addRow(self.msgs["group_text"])
        else:
            self.topic.hide()
            self.group_text.hide()
            form.addRow(hint_label(self.tr("Group: {topic}").format(topic=group.topic)))
        form.addRow(
            self.tr(
                "Other &attendees from your caseload (each gets a draft note to "
                "complete in their record)"
            ),
            self.attendees,
        )
        self.no_others = hint_label(self.tr("Loading your caseload…"))
        form.addRow(self.no_others)
        form.addRow(self.msgs["attendees"])
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton(
            self.tr("&Create group session") if group is None else self.tr("&Add attendees"),
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.create_button.setDefault(True)
        self.buttons.accepted.connect(self.create_group)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form, 1)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)
        ctx.submit(
            _attendee_choices,
            group.group_session_id if group is not None else None,
            on_done=self._choices,
            on_error=self._failed,
            # Opening an existing group's attendance is audited.
            read_only=group is None,
            label=self.tr("Loading the caseload"),
        )

    def _choices(self, found: tuple[list[tuple[int, str, str]], frozenset[int]]) -> None:
        if not shiboken6.isValid(self):
            return
        rows, present = found
        for pid, name, record in rows:
            if pid == self._participant_id or pid in present:
                continue
            item = QListWidgetItem(f"{name} · {record}")
            item.setData(Qt.ItemDataRole.UserRole, pid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.attendees.addItem(item)
        self.no_others.setText(
            self.tr("No other active participants are in your caseload.")
            if self._group is None
            else self.tr("Everyone else in your caseload already attends this group.")
        )
        self.no_others.setVisible(self.attendees.count() == 0)

    def _failed(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            self.general.setText(messages.describe(exc))
            self.general.show()

    def chosen(self) -> list[int]:
        return [
            int(self.attendees.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.attendees.count())
            if self.attendees.item(i).checkState() == Qt.CheckState.Checked
        ]

    def create_group(self) -> None:
        self.create_button.setEnabled(False)
        for message in self.msgs.values():
            message.clear_message()
        if self._group is not None:
            if not self.chosen():
                self.msgs["attendees"].show_error(self.tr("Tick at least one participant to add."))
                self.create_button.setEnabled(True)
                return
            self._ctx.submit(
                _add_attendees,
                self._group.group_session_id,
                self._content,
                self.chosen(),
                on_done=self._added,
                on_error=self._create_failed,
                read_only=False,
                label=self.tr("Adding attendees"),
            )
            return
        self._ctx.submit(
            _create_group,
            self._participant_id,
            self._content,
            self.topic.text(),
            self.group_text.toPlainText(),
            self.chosen(),
            self._replaces,
            on_done=self._created,
            on_error=self._create_failed,
            read_only=False,
            label=self.tr("Creating the group session"),
        )

    def _created(self, detail: NoteDetail) -> None:
        self._ctx.notify("notes", 0)
        if not shiboken6.isValid(self):
            return
        self.created.emit(detail)
        self.accept()

    def _added(self, count: int) -> None:
        self._ctx.notify("notes", 0)
        if not shiboken6.isValid(self):
            return
        self.added.emit(count)
        self.accept()

    def _create_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self.create_button.setEnabled(True)
        first = show_field_errors(exc, self.msgs, self.general)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)


__all__ = ["GroupSessionDialog", "ManageTemplatesDialog", "TemplatePicker"]
