"""Intake and profile forms, and the small dialogs for transfer, discharge, readmission
and a new recovery start date.

Every form validates as the user types, with the service's own pure validator where
there is one (``parse_participant_fields``), and shows each message under its field.
Messages the service raises on save (a record number already in use, a transfer date
before the current assignment) land under the same field. Saving runs on the write
thread; the dialog waits for the outcome instead of blocking the window.

Dialogs are opened with ``open()`` (window-modal, non-blocking). Each emits ``saved``
with the service's result and calls ``ctx.notify`` so other screens reload. The saving,
the field messages and the unsaved-changes question come from ``ui.form_dialog``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import ConflictError, ValidationError
from casebook.services import assignments, participants
from casebook.services.assignments import SpecialistInfo
from casebook.services.participants import FIELD_NAMES, ParticipantDetail, ParticipantFields
from ui import messages
from ui.context import AppContext
from ui.form_dialog import FieldFormDialog, FieldMessage, SavingDialog, alive
from ui.form_parts import DateField, field_column, plain_label, sentence
from ui.icons import icon

#: Areas announced through ``AppContext.notify`` after a save.
AREA_PARTICIPANT = "participant"
AREA_ASSIGNMENT = "assignment"

#: Specialist picker value for "leave in / move to the unassigned queue".
UNASSIGNED_CHOICE = -1


def _tr(text: str) -> str:
    # Module-level helpers translate in one fixed context, so a translation tool finds them.
    return QCoreApplication.translate("ParticipantForms", text)


# -- the participant form -------------------------------------------------------------------


_FOCUS_CODES = ("substance_use", "mental_health", "co_occurring")


class ParticipantForm(QWidget):
    """Every ``ParticipantFields`` input, validated on each change by
    ``parse_participant_fields``; used by both intake and edit."""

    changed = Signal()
    validity_changed = Signal(bool)

    def __init__(
        self,
        *,
        specialists: list[SpecialistInfo] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._inputs: dict[str, QWidget] = {}
        self._messages: dict[str, FieldMessage] = {}
        self._labels: dict[str, str] = {}
        self._touched: set[str] = set()
        self._service_errors: dict[str, str] = {}
        self._errors: dict[str, str] = {}
        self._parsed: ParticipantFields | None = None
        self._loading = False

        identity = QGroupBox(self.tr("Identity"))
        recovery = QGroupBox(self.tr("Recovery"))
        contact = QGroupBox(self.tr("Contact"))
        emergency = QGroupBox(self.tr("Emergency contact"))

        id_form = self._form(identity)
        self.record_number = self._line(id_form, "record_number", self.tr("&Record number:"))
        self.record_number.setPlaceholderText(self.tr("Automatic if left empty"))
        self.legal_name = self._line(id_form, "legal_name", self.tr("&Legal name:"))
        self.preferred_name = self._line(id_form, "preferred_name", self.tr("&Preferred name:"))
        self.preferred_name.setPlaceholderText(self.tr("The name they go by, if different"))
        self.pronouns = QComboBox()
        self.pronouns.setEditable(True)
        self.pronouns.addItems(["", "she/her", "he/him", "they/them", "she/they", "he/they"])
        self.pronouns.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self._add(id_form, "pronouns", self.tr("Pro&nouns:"), self.pronouns)
        self.pronouns.editTextChanged.connect(lambda _t: self._edited("pronouns"))
        self.date_of_birth = self._date(id_form, "date_of_birth", self.tr("&Date of birth:"))

        rec_form = self._form(recovery)
        self.recovery_focus = QComboBox()
        for code, label in zip(_FOCUS_CODES, focus_labels(), strict=True):
            self.recovery_focus.addItem(label, code)
        self.recovery_focus.setCurrentIndex(_FOCUS_CODES.index("co_occurring"))
        self._add(rec_form, "recovery_focus", self.tr("Recovery &focus:"), self.recovery_focus)
        self.recovery_focus.currentIndexChanged.connect(lambda _i: self._edited("recovery_focus"))
        self.recovery_start_date = self._date(
            rec_form, "recovery_start_date", self.tr("Recover&y start date:")
        )
        self.recovery_start_date.line_edit.setPlaceholderText(self.tr("YYYY-MM-DD (optional)"))
        self.intake_date = self._date(rec_form, "intake_date", self.tr("&Intake date:"))
        self.contact_cadence_days = QSpinBox()
        self.contact_cadence_days.setRange(1, 365)
        self.contact_cadence_days.setValue(7)
        self.contact_cadence_days.setSuffix(self.tr(" days"))
        self.contact_cadence_days.setToolTip(self.tr("Days between expected contacts"))
        self._add(
            rec_form, "contact_cadence_days", self.tr("Contact e&very:"), self.contact_cadence_days
        )
        self.contact_cadence_days.valueChanged.connect(
            lambda _v: self._edited("contact_cadence_days")
        )
        self.specialist: QComboBox | None = None
        if specialists is not None:
            self.specialist = QComboBox()
            self.specialist.addItem(self.tr("Unassigned (queue)"), UNASSIGNED_CHOICE)
            for info in specialists:
                self.specialist.addItem(
                    self.tr("{name} ({n} open)").format(name=info.display_name, n=info.open_cases),
                    info.id,
                )
            self._add(rec_form, "specialist", self.tr("Specialis&t:"), self.specialist)
            self.specialist.currentIndexChanged.connect(lambda _i: self._edited("specialist"))

        contact_form = self._form(contact)
        self.phone = self._line(contact_form, "phone", self.tr("P&hone:"))
        self.email = self._line(contact_form, "email", self.tr("&E-mail:"))
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        lines = self.address.fontMetrics().lineSpacing()
        self.address.setFixedHeight(lines * 3 + 12)
        self._add(contact_form, "address", self.tr("&Address:"), self.address)
        self.address.textChanged.connect(lambda: self._edited("address"))
        self.preferred_language = self._line(
            contact_form, "preferred_language", self.tr("Preferred lan&guage:")
        )

        em_form = self._form(emergency)
        self.emergency_contact_name = self._line(
            em_form, "emergency_contact_name", self.tr("Na&me:")
        )
        self.emergency_contact_phone = self._line(
            em_form, "emergency_contact_phone", self.tr("Ph&one:")
        )

        self.general_message = FieldMessage(None, self)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(identity, 0, 0)
        grid.addWidget(recovery, 1, 0)
        grid.addWidget(contact, 0, 1)
        grid.addWidget(emergency, 1, 1)
        grid.addWidget(self.general_message, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(3, 1)
        # Labels of the two boxes in a column share a width, so their fields line up.
        for boxes in ((identity, recovery), (contact, emergency)):
            captions = [c for box in boxes for c in box.findChildren(QLabel) if c.buddy()]
            width = max((caption.sizeHint().width() for caption in captions), default=0)
            for caption in captions:
                caption.setMinimumWidth(width)
        self.validate()

    # -- construction helpers ----------------------------------------------------------

    def _form(self, box: QGroupBox) -> QFormLayout:
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        return form

    def _add(self, form: QFormLayout, name: str, label_text: str, widget: QWidget) -> None:
        message = FieldMessage(widget)
        label = QLabel(label_text)
        label.setBuddy(widget)
        label.setWordWrap(False)
        # Align the label with the input, not with the message under it.
        form.addRow(label, field_column(widget, message))
        plain = plain_label(label_text)
        widget.setAccessibleName(plain)
        self._inputs[name] = widget
        self._messages[name] = message
        self._labels[name] = plain

    def _line(self, form: QFormLayout, name: str, label_text: str) -> QLineEdit:
        edit = QLineEdit()
        self._add(form, name, label_text, edit)
        edit.textChanged.connect(lambda _t: self._edited(name))
        return edit

    def _date(self, form: QFormLayout, name: str, label_text: str) -> DateField:
        field = DateField()
        self._add(form, name, label_text, field)
        field.textChanged.connect(lambda _t: self._edited(name))
        return field

    # -- values --------------------------------------------------------------------------

    def field_label(self, name: str) -> str:
        return self._labels.get(name, name.replace("_", " "))

    def raw(self) -> dict[str, str]:
        """The form's values as the strings ``parse_participant_fields`` takes."""
        values = {
            "record_number": self.record_number.text(),
            "legal_name": self.legal_name.text(),
            "preferred_name": self.preferred_name.text(),
            "pronouns": self.pronouns.currentText(),
            "date_of_birth": self.date_of_birth.text(),
            "intake_date": self.intake_date.text(),
            "recovery_start_date": self.recovery_start_date.text(),
            "phone": self.phone.text(),
            "email": self.email.text(),
            "address": self.address.toPlainText(),
            "emergency_contact_name": self.emergency_contact_name.text(),
            "emergency_contact_phone": self.emergency_contact_phone.text(),
            "preferred_language": self.preferred_language.text(),
            "recovery_focus": str(self.recovery_focus.currentData()),
            "contact_cadence_days": str(self.contact_cadence_days.value()),
        }
        return values

    def set_raw(self, values: Mapping[str, str]) -> None:
        """Fill the form (from ``ParticipantDetail.as_fields()``); nothing counts as edited."""
        self._loading = True
        try:
            self.record_number.setText(values.get("record_number", ""))
            self.legal_name.setText(values.get("legal_name", ""))
            self.preferred_name.setText(values.get("preferred_name", ""))
            self.pronouns.setEditText(values.get("pronouns", ""))
            self.date_of_birth.setText(values.get("date_of_birth", ""))
            self.intake_date.setText(values.get("intake_date", ""))
            self.recovery_start_date.setText(values.get("recovery_start_date", ""))
            self.phone.setText(values.get("phone", ""))
            self.email.setText(values.get("email", ""))
            if self.address.toPlainText() != values.get("address", ""):
                self.address.setPlainText(values.get("address", ""))
            self.emergency_contact_name.setText(values.get("emergency_contact_name", ""))
            self.emergency_contact_phone.setText(values.get("emergency_contact_phone", ""))
            self.preferred_language.setText(values.get("preferred_language", ""))
            focus = values.get("recovery_focus", "co_occurring")
            if focus in _FOCUS_CODES:
                self.recovery_focus.setCurrentIndex(_FOCUS_CODES.index(focus))
            cadence = values.get("contact_cadence_days", "7")
            self.contact_cadence_days.setValue(int(cadence) if cadence.isdigit() else 7)
        finally:
            self._loading = False
        self._touched.clear()
        self._service_errors.clear()
        self.validate()

    def specialist_id(self) -> int | None:
        """The chosen specialist (None: unassigned), when the picker is shown."""
        if self.specialist is None:
            return None
        value = self.specialist.currentData()
        return None if value in (None, UNASSIGNED_CHOICE) else int(value)

    # -- validation ----------------------------------------------------------------------

    @property
    def errors(self) -> dict[str, str]:
        """Every current problem by field, shown or not yet shown."""
        return dict(self._errors)

    @property
    def parsed(self) -> ParticipantFields | None:
        """The validated fields, or None while something is wrong."""
        return self._parsed

    def message_for(self, name: str) -> FieldMessage:
        return self._messages[name]

    def is_valid(self) -> bool:
        return self._parsed is not None and not self._service_errors

    def mark_touched(self, names: Iterable[str]) -> None:
        """Show the messages of these fields from now on."""
        self._touched.update(name for name in names if name in self._inputs)
        self.validate()

    def touch_all(self) -> None:
        """Show every message, including those for fields not reached yet (on Save)."""
        self._touched.update(self._inputs)
        self._show_messages()

    def show_service_errors(self, field_errors: Mapping[str, str]) -> None:
        """Messages raised by the service on save; each stays until its field changes."""
        self._service_errors = dict(field_errors)
        self._touched.update(name for name in field_errors if name in self._inputs)
        self._show_messages()
        self.validity_changed.emit(self.is_valid())
        self.focus_first_error()

    def focus_first_error(self) -> None:
        for name in self._inputs:
            if self._messages[name].text():
                self._inputs[name].setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def validate(self) -> ParticipantFields | None:
        was_valid = self.is_valid()
        try:
            self._parsed = participants.parse_participant_fields(self.raw())
            self._errors = {}
        except ValidationError as exc:
            self._parsed = None
            self._errors = dict(exc.field_errors)
        self._show_messages()
        if self.is_valid() != was_valid:
            self.validity_changed.emit(self.is_valid())
        return self._parsed

    def pending_problems(self) -> list[str]:
        """Labels of fields with a problem whose message is not shown yet."""
        return [
            self.field_label(name)
            for name in self._inputs
            if name in self._errors and name not in self._touched
        ]

    def _edited(self, name: str) -> None:
        if self._loading:
            return
        self._touched.add(name)
        self._service_errors.pop(name, None)
        self.validate()
        self.changed.emit()

    def _show_messages(self) -> None:
        for name, message in self._messages.items():
            text = self._service_errors.get(name) or ""
            if not text and name in self._touched:
                text = self._errors.get(name, "")
            message.set_message(sentence(text))
        other = [
            sentence(text)
            for name, text in self._service_errors.items()
            if name not in self._messages
        ]
        self.general_message.set_message("\n".join(other))


def focus_labels() -> tuple[str, str, str]:
    """Words for the recovery focus codes, in ``_FOCUS_CODES`` order."""
    return (_tr("Substance use"), _tr("Mental health"), _tr("Co-occurring"))


# -- the dialogs around it ------------------------------------------------------------------


class _ParticipantDialog(SavingDialog):
    """The intake / edit dialog: the form in a scroll area, a hint line and the buttons."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        specialists: list[SpecialistInfo] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, parent)
        self.form = ParticipantForm(specialists=specialists)
        self._initial: dict[str, str] = {}
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.form)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.conflict_banner = QFrame()
        self.conflict_banner.setProperty("role", "card")
        self.conflict_banner.setObjectName("conflictBanner")
        banner_layout = QVBoxLayout(self.conflict_banner)
        self.conflict_text = QLabel()
        self.conflict_text.setWordWrap(True)
        self.conflict_text.setTextFormat(Qt.TextFormat.PlainText)
        self.conflict_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        banner_buttons = QHBoxLayout()
        self.reload_button = QPushButton(icon("refresh-cw"), self.tr("Reload saved version"))
        self.reapply_button = QPushButton(icon("pen-line"), self.tr("Re-apply my edits"))
        self.reapply_button.hide()
        banner_buttons.addWidget(self.reload_button)
        banner_buttons.addWidget(self.reapply_button)
        banner_buttons.addStretch(1)
        banner_layout.addWidget(self.conflict_text)
        banner_layout.addLayout(banner_buttons)
        self.conflict_banner.hide()
        self.hint = QLabel()
        self.hint.setProperty("role", "hint")
        self.hint.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.conflict_banner)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)
        self.form.changed.connect(self._update_state)
        self.form.validity_changed.connect(lambda _v: self._update_state())
        # A size that shows the whole form on a 1366x768 screen without scrolling.
        metrics = self.fontMetrics()
        self.resize(metrics.averageCharWidth() * 118, metrics.height() * 34)

    def is_dirty(self) -> bool:
        return self.form.raw() != self._initial or self._specialist_changed()

    def _specialist_changed(self) -> bool:
        return False

    def can_save(self) -> bool:
        return self.form.is_valid()

    def _mark_saved(self) -> None:
        self._initial = self.form.raw()

    def _show_all_problems(self) -> None:
        self.form.touch_all()
        self.form.focus_first_error()
        self._update_state()

    def _update_state(self) -> None:
        self.save_button.setEnabled(not self._saving and self.can_save())
        pending = self.form.pending_problems()
        if pending:
            self.hint.setText(self.tr("Still needed: {fields}").format(fields=", ".join(pending)))
        elif not self.form.is_valid():
            self.hint.setText(self.tr("Correct the fields marked above to save."))
        else:
            self.hint.setText("")

    def _prepare_save(self) -> Callable[..., Any] | None:
        fields = self.form.validate()
        if fields is None or not self.form.is_valid():
            self._show_all_problems()
            return None
        return self._service_call(fields)

    def _service_call(self, fields: ParticipantFields) -> Callable[..., Any]:
        raise NotImplementedError

    def _save_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.form.show_service_errors(exc.field_errors)
            self._update_state()
        else:
            messages.show_error(self, exc)


class IntakeDialog(_ParticipantDialog):
    """A new participant. A supervisor picks the specialist (or the unassigned queue);
    a specialist's intake lands on their own caseload."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        specialists: list[SpecialistInfo] | None = None
        problem = ""
        if ctx.actor.supervises:
            try:
                specialists = ctx.call(assignments.assignable_specialists, read_only=True)
            except Exception as exc:  # the form still works; the intake goes to the queue
                problem = messages.describe(exc)
                specialists = []
        super().__init__(ctx, specialists=specialists, parent=parent)
        self.form.general_message.set_message(problem)
        self.setWindowTitle(self.tr("New intake"))
        self.setObjectName("intakeDialog")
        self.save_button.setText(self.tr("&Save intake"))
        self.form.intake_date.set_date(date.today())
        self.form.set_raw(self.form.raw())
        self._initial = self.form.raw()
        self._initial_specialist = self.form.specialist_id()
        self._update_state()
        self.form.legal_name.setFocus()

    def _specialist_changed(self) -> bool:
        return self.form.specialist_id() != self._initial_specialist

    def _service_call(self, fields: ParticipantFields) -> Callable[..., Any]:
        specialist_id = self.form.specialist_id()

        def create(session: Any, actor: Any) -> ParticipantDetail:
            return participants.create_participant(
                session, actor, fields, specialist_id=specialist_id
            )

        return create

    def _after_save(self, result: Any) -> None:
        assert isinstance(result, ParticipantDetail)
        self._ctx.notify(AREA_PARTICIPANT, result.id)


class EditParticipantDialog(_ParticipantDialog):
    """Edit a profile. Saves carry the version the form was filled from, so a change
    someone else saved meanwhile is never overwritten silently."""

    def __init__(
        self, ctx: AppContext, detail: ParticipantDetail, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, specialists=None, parent=parent)
        self.setObjectName("editParticipantDialog")
        self._detail = detail
        self._version = detail.version
        self._mine_before_reload: dict[str, str] = {}
        self._base_before_reload: dict[str, str] = {}
        #: After a reload: the fields where the saved version differs from what was typed.
        self.differing_fields: list[str] = []
        self.setWindowTitle(self.tr("Edit {name}").format(name=detail.display_name))
        self.save_button.setText(self.tr("&Save changes"))
        self.form.record_number.setPlaceholderText("")
        self.form.set_raw(detail.as_fields())
        self._initial = self.form.raw()
        self.reload_button.clicked.connect(self.reload_saved_version)
        self.reapply_button.clicked.connect(self.reapply_my_edits)
        self._update_state()
        self.form.legal_name.setFocus()

    @property
    def version(self) -> int:
        return self._version

    @property
    def participant_id(self) -> int:
        return self._detail.id

    def _service_call(self, fields: ParticipantFields) -> Callable[..., Any]:
        participant_id = self._detail.id
        version = self._version

        def update(session: Any, actor: Any) -> ParticipantDetail:
            return participants.update_participant(
                session, actor, participant_id, fields, expected_version=version
            )

        return update

    def _after_save(self, result: Any) -> None:
        assert isinstance(result, ParticipantDetail)
        self._detail = result
        self._version = result.version
        self._ctx.notify(AREA_PARTICIPANT, result.id)

    def _save_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ConflictError):
            self.show_conflict(exc)
        else:
            super()._save_failed(exc)

    # -- conflicts -------------------------------------------------------------------------

    def show_conflict(self, exc: ConflictError) -> None:
        self.conflict_text.setText(
            self.tr(
                "Someone else saved this profile while you were editing, so your changes "
                "were not saved. Reload to see their version; your edits will be listed "
                "so you can make them again."
            )
        )
        self.reload_button.show()
        self.reapply_button.hide()
        self.conflict_banner.show()
        self.save_button.setEnabled(False)
        self.reload_button.setFocus()

    @property
    def in_conflict(self) -> bool:
        return not self.conflict_banner.isHidden() and not self.reload_button.isHidden()

    def can_save(self) -> bool:
        return super().can_save() and not self.in_conflict

    def reload_saved_version(self) -> None:
        self._mine_before_reload = self.form.raw()
        self._base_before_reload = dict(self._initial)
        self.reload_button.setEnabled(False)
        self._ctx.submit(
            participants.get_participant,
            self._detail.id,
            audit_view=False,
            on_done=self._reloaded,
            on_error=self._reload_failed,
            read_only=True,
            label=self.tr("Reloading"),
        )

    def _reload_failed(self, exc: BaseException) -> None:
        if alive(self):
            self.reload_button.setEnabled(True)
            messages.show_error(self, exc)

    def _reloaded(self, detail: ParticipantDetail) -> None:
        if not alive(self):
            return
        self.reload_button.setEnabled(True)
        self._detail = detail
        self._version = detail.version
        theirs = detail.as_fields()
        self.form.set_raw(theirs)
        self._initial = self.form.raw()
        mine = self._mine_before_reload
        differ = [name for name in FIELD_NAMES if mine.get(name, "") != self._initial.get(name, "")]
        self.differing_fields = differ
        self.reload_button.hide()
        if differ:
            lines = [
                self.tr(
                    "The saved version is shown now. Your edits were not saved; these "
                    "fields differ from what you typed:"
                )
            ]
            for name in differ:
                lines.append(
                    self.tr("• {field}: you typed “{mine}”, saved is “{theirs}”").format(
                        field=self.form.field_label(name),
                        mine=_short(mine.get(name, "")),
                        theirs=_short(self._initial.get(name, "")),
                    )
                )
            self.conflict_text.setText("\n".join(lines))
            self.reapply_button.setVisible(self._my_edits() != {})
        else:
            self.conflict_text.setText(
                self.tr("The saved version is shown now; it already matches what you typed.")
            )
        self._update_state()

    def _my_edits(self) -> dict[str, str]:
        """Fields the user changed from the version they started with."""
        return {
            name: value
            for name, value in self._mine_before_reload.items()
            if value != self._base_before_reload.get(name, "")
            and value != self._initial.get(name, "")
        }

    def reapply_my_edits(self) -> None:
        values = dict(self.form.raw())
        edits = self._my_edits()
        values.update(edits)
        self.form.set_raw(values)
        self.form.mark_touched(edits)
        self.reapply_button.hide()
        self.conflict_text.setText(
            self.tr(
                "Your edits are back in the form on top of the saved version. Check them and save."
            )
        )
        self._update_state()


def _short(value: str, limit: int = 60) -> str:
    value = " ".join(value.split())
    if not value:
        return "—"
    return value if len(value) <= limit else value[: limit - 1] + "…"


# -- small action dialogs -------------------------------------------------------------------


class _ActionDialog(FieldFormDialog):
    """A short form (a few fields, no scrolling) with Save disabled while something is
    wrong. Subclasses add fields and provide ``values``, ``_check`` and ``_call``."""

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, title, parent)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.general_message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)


def _date_problem(text: str, *, required: bool, what: str) -> str:
    if not text:
        return _tr("{what} is required (YYYY-MM-DD)").format(what=what) if required else ""
    try:
        date.fromisoformat(text)
    except ValueError:
        return _tr("'{text}' is not a date; write it as YYYY-MM-DD").format(text=text)
    return ""


class TransferDialog(_ActionDialog):
    """Assign a participant to a specialist, transfer them, or move them to the
    unassigned queue (supervisors)."""

    def __init__(
        self,
        ctx: AppContext,
        participant_id: int,
        participant_name: str,
        current_specialist_id: int | None,
        current_specialist_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "", parent)
        self._assigning = current_specialist_id is None
        self.setWindowTitle(
            (self.tr("Assign {name}") if self._assigning else self.tr("Transfer {name}")).format(
                name=participant_name
            )
        )
        self.setObjectName("transferDialog")
        self._participant_id = participant_id
        self._current = current_specialist_id
        if self._assigning:
            self.set_intro(
                self.tr("{name} is in the unassigned queue.").format(name=participant_name)
            )
        else:
            self.set_intro(
                self.tr("{name} is with {specialist} now.").format(
                    name=participant_name, specialist=current_specialist_name or "—"
                )
            )
        self.specialist = QComboBox()
        self.specialist.addItem(self.tr("Choose a specialist…"), None)
        try:
            options = ctx.call(assignments.assignable_specialists, read_only=True)
        except Exception as exc:
            options = []
            self._service_errors[""] = messages.describe(exc)
        for info in options:
            if info.id == current_specialist_id:
                continue
            self.specialist.addItem(
                self.tr("{name} ({n} open)").format(name=info.display_name, n=info.open_cases),
                info.id,
            )
        if not self._assigning:
            self.specialist.addItem(self.tr("Unassigned queue"), UNASSIGNED_CHOICE)
        self.add_field("specialist", self.tr("&To:"), self.specialist)
        self.on_date = DateField()
        self.on_date.set_date(date.today())
        self.add_field("date", self.tr("&Date:"), self.on_date)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("Optional, e.g. caseload balancing"))
        self.add_field("reason", self.tr("&Reason:"), self.reason)
        self.specialist.currentIndexChanged.connect(lambda _i: self.edited("specialist"))
        self.on_date.textChanged.connect(lambda _t: self.edited("date"))
        self.reason.textChanged.connect(lambda _t: self.edited("reason"))
        self.save_button.setText(self.tr("Assign") if self._assigning else self.tr("Transfer"))
        self.finish_setup()
        self.specialist.setFocus()

    def choose_specialist(self, specialist_id: int) -> None:
        index = self.specialist.findData(specialist_id)
        if index >= 0:
            self.specialist.setCurrentIndex(index)

    def values(self) -> dict[str, str]:
        data = self.specialist.currentData()
        return {
            "specialist": "" if data is None else str(data),
            "date": self.on_date.text(),
            "reason": self.reason.text().strip(),
        }

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        problems: dict[str, str] = {}
        if not values["specialist"]:
            problems["specialist"] = self.tr("choose who takes over")
        date_problem = _date_problem(values["date"], required=True, what=self.tr("the date"))
        if date_problem:
            problems["date"] = date_problem
        if len(values["reason"]) > 500:
            problems["reason"] = self.tr("keep the reason under 500 characters")
        return problems

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        participant_id = self._participant_id
        specialist = int(values["specialist"])
        on = date.fromisoformat(values["date"])
        reason = values["reason"]

        def transfer(session: Any, actor: Any) -> object:
            if specialist == UNASSIGNED_CHOICE:
                assignments.unassign(session, actor, participant_id, on=on, reason=reason)
                return None
            return assignments.assign(
                session, actor, participant_id, specialist, on=on, reason=reason
            )

        return transfer

    def _after_save(self, result: Any) -> None:
        self._ctx.notify(AREA_ASSIGNMENT, self._participant_id)


class DischargeDialog(_ActionDialog):
    """Discharge with a date and a reason; the record and its history stay."""

    def __init__(
        self, ctx: AppContext, detail: ParticipantDetail, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, "", parent)
        self.setWindowTitle(self.tr("Discharge {name}").format(name=detail.display_name))
        self.setObjectName("dischargeDialog")
        self._detail = detail
        self.set_intro(
            self.tr(
                "Discharging ends active support. The record, notes and plans are kept, "
                "and {name} can be readmitted later."
            ).format(name=detail.display_name)
        )
        self.on_date = DateField()
        self.on_date.set_date(date.today())
        self.add_field("date", self.tr("&Discharge date:"), self.on_date, ("discharge_date",))
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText(
            self.tr("e.g. Completed the programme; moved out of the area; chose to stop")
        )
        self.reason.setFixedHeight(self.reason.fontMetrics().lineSpacing() * 4 + 12)
        self.add_field("reason", self.tr("&Reason:"), self.reason, ("discharge_reason",))
        self.on_date.textChanged.connect(lambda _t: self.edited("date"))
        self.reason.textChanged.connect(lambda: self.edited("reason"))
        self.save_button.setText(self.tr("Discharge"))
        self.save_button.setIcon(icon("user-x"))
        self.finish_setup()
        self.reason.setFocus()

    def values(self) -> dict[str, str]:
        return {"date": self.on_date.text(), "reason": self.reason.toPlainText().strip()}

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        problems: dict[str, str] = {}
        problem = _date_problem(values["date"], required=True, what=self.tr("discharge date"))
        if problem:
            problems["date"] = problem
        else:
            on = date.fromisoformat(values["date"])
            if on > date.today():
                problems["date"] = self.tr("the discharge date is in the future")
            elif on < self._detail.intake_date:
                problems["date"] = self.tr(
                    "the discharge date is before the intake date ({d})"
                ).format(d=self._detail.intake_date.isoformat())
        if not values["reason"]:
            problems["reason"] = self.tr("say why the participant is discharged")
        elif len(values["reason"]) > 2000:
            problems["reason"] = self.tr("keep the reason under 2000 characters")
        return problems

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        participant_id = self._detail.id
        version = self._detail.version
        on = date.fromisoformat(values["date"])
        reason = values["reason"]

        def discharge(session: Any, actor: Any) -> ParticipantDetail:
            return participants.discharge(
                session, actor, participant_id, on=on, reason=reason, expected_version=version
            )

        return discharge

    def _after_save(self, result: Any) -> None:
        self._ctx.notify(AREA_PARTICIPANT, self._detail.id)


class ReadmitDialog(_ActionDialog):
    """Readmit a discharged participant; the record number and history are kept."""

    def __init__(
        self, ctx: AppContext, detail: ParticipantDetail, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, "", parent)
        self.setWindowTitle(self.tr("Readmit {name}").format(name=detail.display_name))
        self.setObjectName("readmitDialog")
        self._detail = detail
        self.set_intro(
            self.tr(
                "Readmission makes {name} active again with a new intake date. The "
                "record number and all history are kept."
            ).format(name=detail.display_name)
        )
        self.on_date = DateField()
        self.on_date.set_date(date.today())
        self.add_field("date", self.tr("&Readmission date:"), self.on_date, ("intake_date",))
        self.on_date.textChanged.connect(lambda _t: self.edited("date"))
        self.save_button.setText(self.tr("Readmit"))
        self.save_button.setIcon(icon("user-check"))
        self.finish_setup()
        self.on_date.setFocus()

    def values(self) -> dict[str, str]:
        return {"date": self.on_date.text()}

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        problem = _date_problem(values["date"], required=True, what=self.tr("readmission date"))
        if problem:
            return {"date": problem}
        on = date.fromisoformat(values["date"])
        if on > date.today():
            return {"date": self.tr("the readmission date is in the future")}
        discharged = self._detail.discharge_date
        if discharged is not None and on < discharged:
            return {
                "date": self.tr("the readmission date is before the discharge date ({d})").format(
                    d=discharged.isoformat()
                )
            }
        return {}

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        participant_id = self._detail.id
        version = self._detail.version
        on = date.fromisoformat(values["date"])

        def readmit(session: Any, actor: Any) -> ParticipantDetail:
            return participants.readmit(
                session, actor, participant_id, on=on, expected_version=version
            )

        return readmit

    def _after_save(self, result: Any) -> None:
        self._ctx.notify(AREA_PARTICIPANT, self._detail.id)


class ResetRecoveryDateDialog(_ActionDialog):
    """A new recovery start date; the earlier one stays in the history."""

    def __init__(
        self, ctx: AppContext, detail: ParticipantDetail, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, "", parent)
        self.setWindowTitle(self.tr("New recovery start date"))
        self.setObjectName("resetRecoveryDateDialog")
        self._detail = detail
        if detail.recovery_start_date is not None:
            intro = self.tr(
                "{name}'s recovery start date is {d}. The new date replaces it for days in "
                "recovery and milestones; the earlier date stays in the history."
            ).format(name=detail.display_name, d=detail.recovery_start_date.isoformat())
        else:
            intro = self.tr("Set the date {name} counts their recovery from.").format(
                name=detail.display_name
            )
        self.set_intro(intro)
        self.new_date = DateField()
        self.new_date.set_date(date.today())
        self.add_field("date", self.tr("&New start date:"), self.new_date, ("recovery_start_date",))
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("Optional, in the participant's words if they like"))
        self.add_field("note", self.tr("N&ote:"), self.note)
        self.new_date.textChanged.connect(lambda _t: self.edited("date"))
        self.note.textChanged.connect(lambda _t: self.edited("note"))
        self.save_button.setText(self.tr("Save date"))
        self.finish_setup()
        self.new_date.setFocus()

    def values(self) -> dict[str, str]:
        return {"date": self.new_date.text(), "note": self.note.text().strip()}

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        problems: dict[str, str] = {}
        problem = _date_problem(values["date"], required=True, what=self.tr("the new start date"))
        if problem:
            problems["date"] = problem
        else:
            on = date.fromisoformat(values["date"])
            if on > date.today():
                problems["date"] = self.tr("the recovery start date is in the future")
            elif on < self._detail.date_of_birth:
                problems["date"] = self.tr("the recovery start date is before the date of birth")
        if len(values["note"]) > 500:
            problems["note"] = self.tr("keep the note under 500 characters")
        return problems

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        participant_id = self._detail.id
        on = date.fromisoformat(values["date"])
        note = values["note"]

        def reset(session: Any, actor: Any) -> ParticipantDetail:
            return participants.reset_recovery_start(session, actor, participant_id, on, note)

        return reset

    def _after_save(self, result: Any) -> None:
        self._ctx.notify(AREA_PARTICIPANT, self._detail.id)
