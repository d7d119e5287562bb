"""The fields of the note editor: the facts of the contact, the format's sections,
and beside them the writing aids, the goals addressed and the risk flags.

``NoteForm`` knows how to show a ``NoteContent`` and to build one back; saving,
signing and group sessions are the editor's (``ui.note_editor``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import ValidationError
from casebook.security.permissions import Actor
from casebook.services import note_templates, notes, plans
from casebook.services.note_templates import TemplateInfo
from casebook.services.notes import GoalAddressed, GroupPart, NoteContent
from ui.context import AppContext
from ui.form_parts import FieldMessage
from ui.note_parts import GoalsPanel, RiskFlagsPanel, SectionEdit, goal_rows, hint_label
from ui.note_tools import TemplatePicker


def confirm_format_change(parent: QWidget, sections: list[str]) -> bool:
    """Switching format drops sections the new format does not have (tests replace this)."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        parent.tr("Change the format?"),
        parent.tr(
            "The new format has no {sections} section; what is written there will "
            "be removed from this note."
        ).format(sections=", ".join(sections)),
        QMessageBox.StandardButton.Cancel,
        parent,
    )
    change = box.addButton(parent.tr("C&hange format"), QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setObjectName("confirmFormat")
    box.exec()
    return box.clickedButton() is change


@dataclass(frozen=True)
class EditorData:
    """What the editor needs besides the note: the writer's aids and the plan's goals."""

    templates: tuple[TemplateInfo, ...]
    goals: tuple[tuple[int, str, str], ...]


def load_editor_data(session: Any, actor: Actor, participant_id: int) -> EditorData:
    """For ``ctx.submit``: templates and phrases, and the active plan's open goals."""
    templates = note_templates.list_templates(session, actor)
    plan = plans.get_plan(session, actor, participant_id, audit_view=False)
    goals: tuple[tuple[int, str, str], ...] = ()
    if plan is not None and plan.status == "active" and not plan.entered_in_error:
        goals = tuple(
            (g.id, g.domain_label, g.statement)
            for g in plan.goals
            if g.status not in ("achieved", "discontinued")
        )
    return EditorData(tuple(templates), goals)


class NoteForm(QWidget):
    """Shows one note's content for editing and builds it back (``values``)."""

    #: The person changed something.
    changed = Signal()
    #: The kind changed (the editor updates what it offers for group sessions).
    kind_changed = Signal()
    #: Focus left a text field: a good moment to save.
    field_left = Signal()
    dialog_opened = Signal(QDialog)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noteForm")
        self._filling = False
        self._plan_goals: tuple[tuple[int, str, str], ...] = ()
        self._addressed: tuple[GoalAddressed, ...] = ()
        self._texts: dict[str, str] = {}
        self._shown_format = notes.DEFAULT_FORMAT
        self.group: GroupPart | None = None

        # Facts of the contact --------------------------------------------------------------
        self.messages: dict[str, FieldMessage] = {}
        self.kind = QComboBox()
        for key, label in notes.kind_labels().items():
            self.kind.addItem(label, key)
        self.when = QDateTimeEdit()
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.duration = QSpinBox()
        self.duration.setRange(0, notes.MAX_DURATION_MINUTES)
        self.duration.setSuffix(self.tr(" min"))
        self.mode = QComboBox()
        for key, label in notes.mode_labels().items():
            self.mode.addItem(label, key)
        self.location = QLineEdit()
        self.location.setMaxLength(200)
        self.format = QComboBox()
        for fmt in notes.FORMAT_SECTIONS:
            self.format.addItem(fmt, fmt)
        facts = QFormLayout()
        facts.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, text, field in (
            ("kind", self.tr("&Kind"), self.kind),
            ("occurred_at", self.tr("&Date and time"), self.when),
            ("duration_minutes", self.tr("D&uration"), self.duration),
            ("mode", self.tr("&Mode"), self.mode),
            ("location", self.tr("&Location"), self.location),
            ("format", self.tr("&Format"), self.format),
        ):
            field.setObjectName(key)
            field.setAccessibleName(text.replace("&", ""))
            message = FieldMessage(field)
            self.messages[key] = message
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(field)
            column.addWidget(message)
            caption = QLabel(text)
            caption.setBuddy(field)
            facts.addRow(caption, column)
        # The group row: what the note's group session is; the editor adds its buttons.
        self.group_box = QWidget()
        self.group_row = QHBoxLayout(self.group_box)
        self.group_row.setContentsMargins(0, 0, 0, 0)
        self.group_label = hint_label()
        self.group_label.setObjectName("groupPart")
        self.group_row.addWidget(self.group_label, 1)

        # Sections ---------------------------------------------------------------------------
        self.sections_holder = QWidget()
        self.sections_layout = QFormLayout(self.sections_holder)
        self.sections_layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.sections_layout.setContentsMargins(0, 0, 0, 0)
        self.section_edits: dict[str, SectionEdit] = {}

        main = QWidget()
        main_layout = QVBoxLayout(main)
        main_layout.addLayout(facts)
        main_layout.addWidget(self.group_box)
        main_layout.addWidget(self.sections_holder)
        main_layout.addStretch(1)

        # Side: writing aids, goals, risk ------------------------------------------------------
        self.templates = TemplatePicker(ctx, self.sections)
        self.templates.insert_phrase.connect(self._insert_phrase)
        self.templates.apply_template.connect(self._apply_template)
        self.templates.dialog_opened.connect(self.dialog_opened)
        self.goals = GoalsPanel()
        self.goals.changed.connect(self._changed)
        self.risk = RiskFlagsPanel()
        self.risk.changed.connect(self._changed)
        self.messages["goals"] = FieldMessage(self.goals)
        self.messages["risk_flags"] = FieldMessage(self.risk)
        side = QWidget()
        side.setMaximumWidth(420)
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.templates)
        side_layout.addWidget(self.goals)
        side_layout.addWidget(self.messages["goals"])
        side_layout.addWidget(self.risk)
        side_layout.addWidget(self.messages["risk_flags"])
        side_layout.addStretch(1)

        body = QWidget()
        columns = QHBoxLayout(body)
        columns.addWidget(main, 3)
        columns.addWidget(side, 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

        for field_signal in (
            self.when.dateTimeChanged,
            self.duration.valueChanged,
            self.mode.currentIndexChanged,
            self.location.textEdited,
        ):
            field_signal.connect(self._changed)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.location.editingFinished.connect(self.field_left)

    # -- showing ---------------------------------------------------------------------------

    def fill(
        self,
        c: NoteContent,
        group: GroupPart | None = None,
        addressed: tuple[GoalAddressed, ...] = (),
    ) -> None:
        """Show *c* (a new note's defaults, a reopened draft, a new group note)."""
        self._filling = True
        try:
            self.group = group
            self._addressed = addressed
            self.kind.setCurrentIndex(max(0, self.kind.findData(c.kind)))
            self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(c.occurred_at.timestamp())))
            self.duration.setValue(c.duration_minutes)
            self.mode.setCurrentIndex(max(0, self.mode.findData(c.mode)))
            self.location.setText(c.location)
            self.format.setCurrentIndex(max(0, self.format.findData(c.format)))
            self._texts = dict(c.sections)
            self._build_sections()
            self.risk.set_flags(c.risk_flags)
            self.goals.set_goals(goal_rows(self._plan_goals, self._addressed), c.goals)
            in_group = group is not None
            # A group note stays one (its shared part is another record); its time,
            # duration and location belong to the group session.
            self.kind.setEnabled(not in_group)
            for field in (self.when, self.duration, self.location):
                field.setEnabled(not in_group)
        finally:
            self._filling = False

    def set_aids(self, data: EditorData) -> None:
        self._plan_goals = data.goals
        marks = self.goals.marks()
        self.goals.set_goals(goal_rows(self._plan_goals, self._addressed), marks)
        self.templates.set_templates(data.templates, self.current_format())

    def focus_first_section(self) -> None:
        first = next(iter(self.section_edits.values()), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- reading ---------------------------------------------------------------------------

    def current_format(self) -> str:
        return str(self.format.currentData())

    def current_kind(self) -> str:
        return str(self.kind.currentData())

    def occurred_at(self) -> datetime:
        """The date and time field as an aware moment, to the minute shown."""
        seconds = self.when.dateTime().toSecsSinceEpoch()
        return datetime.fromtimestamp(seconds - seconds % 60, tz=UTC)

    def sections(self) -> dict[str, str]:
        """The text of the sections shown now."""
        return {key: edit.toPlainText() for key, edit in self.section_edits.items()}

    def values(self) -> NoteContent:
        self._store_texts()
        keys = [
            key for key, _l in notes.format_sections(self.current_format(), self.current_kind())
        ]
        group = self.group
        # A group note's time, duration and location are the group session's (the
        # fields only show them): taken from the record, not re-read from the fields,
        # whose minute-resolution clock would not match a time with seconds.
        return NoteContent(
            occurred_at=group.occurred_at if group is not None else self.occurred_at(),
            kind=self.current_kind(),
            duration_minutes=(
                group.duration_minutes if group is not None else self.duration.value()
            ),
            mode=str(self.mode.currentData()),
            location=group.location if group is not None else self.location.text().strip(),
            format=self.current_format(),
            sections={key: self._texts.get(key, "") for key in keys},
            risk_flags=self.risk.flags(),
            goals=self.goals.marks(),
        )

    # -- field messages ------------------------------------------------------------------

    def show_errors(self, exc: ValidationError) -> tuple[list[str], QWidget | None]:
        """Field messages under their fields; returns the rest and the first field."""
        rest: list[str] = []
        first: QWidget | None = None
        for name, text in exc.field_errors.items():
            message = self.messages.get(name)
            if message is None:
                rest.append(text)
                continue
            message.show_error(text)
            first = first or message._field
        return rest, first

    def clear_errors(self) -> None:
        for message in self.messages.values():
            if message.is_error:
                message.clear_message()

    # -- sections ------------------------------------------------------------------------

    def _store_texts(self) -> None:
        for key, edit in self.section_edits.items():
            self._texts[key] = edit.toPlainText()

    def _build_sections(self) -> None:
        self._store_texts()
        old, self.section_edits = self.section_edits, {}
        for key in old:
            self.messages.pop(key, None)
        while self.sections_layout.rowCount():
            self.sections_layout.removeRow(0)
        self._shown_format = self.current_format()
        for key, label in notes.format_sections(self.current_format(), self.current_kind()):
            edit = SectionEdit(key, label)
            edit.setPlainText(self._texts.get(key, ""))
            edit.moveCursor(QTextCursor.MoveOperation.End)
            edit.textChanged.connect(self._changed)
            edit.focus_left.connect(self.field_left)
            edit.focus_entered.connect(lambda e=edit: self.templates.set_target(e))
            message = FieldMessage(edit)
            self.messages[key] = message
            column = QWidget()
            column_layout = QVBoxLayout(column)
            column_layout.setContentsMargins(0, 0, 0, 0)
            column_layout.setSpacing(2)
            column_layout.addWidget(edit)
            column_layout.addWidget(message)
            caption = QLabel(label)
            caption.setProperty("role", "subheading")
            caption.setBuddy(edit)
            self.sections_layout.addRow(caption, column)
            self.section_edits[key] = edit
        self.templates.set_target(next(iter(self.section_edits.values()), None))

    # -- reacting to the person ----------------------------------------------------------

    def _changed(self, *_args: object) -> None:
        if self._filling:
            return
        sender = self.sender()
        for name, message in self.messages.items():
            if message.is_error and (
                sender is None or message._field is sender or name in ("goals", "risk_flags")
            ):
                message.clear_message()
        self.changed.emit()

    def _kind_changed(self, _index: int) -> None:
        if self._filling:
            return
        self._build_sections()
        self.kind_changed.emit()
        self._changed()

    def _format_changed(self, _index: int) -> None:
        if self._filling:
            return
        self._store_texts()
        keep = {
            key for key, _l in notes.format_sections(self.current_format(), self.current_kind())
        }
        dropped = [
            str(edit.accessibleName())
            for key, edit in self.section_edits.items()
            if key not in keep and edit.toPlainText().strip()
        ]
        if dropped and not confirm_format_change(self, dropped):
            self.format.blockSignals(True)
            self.format.setCurrentIndex(self.format.findData(self._shown_format))
            self.format.blockSignals(False)
            return
        for key in list(self._texts):
            if key not in keep:
                del self._texts[key]
        self._build_sections()
        self.templates.set_format(self.current_format())
        self._changed()

    def _insert_phrase(self, text: str) -> None:
        target = self.templates.target
        if target is None or not target.isVisible():
            target = next(iter(self.section_edits.values()), None)
        if target is None:
            return
        before = target.toPlainText()[: target.textCursor().position()]
        spacer = " " if before and not before[-1].isspace() else ""
        target.insertPlainText(spacer + text)
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _apply_template(self, sections: Mapping[str, str]) -> None:
        for key, text in sections.items():
            edit = self.section_edits.get(key)
            if edit is not None and edit.toPlainText() != text:
                edit.setPlainText(text)


__all__ = ["EditorData", "NoteForm", "confirm_format_change", "load_editor_data"]
