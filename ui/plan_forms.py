"""The small form dialog the plan and assessment screens build on, and their questions.

``FormDialog`` is a ``SavingDialog`` (so the workspace host knows when one is open
with changes) whose fields are validated as the user types, whose Save shows every
problem under its field, and which puts the service's own field messages in the
same places. A save refused because someone else saved first (``ConflictError``)
asks whether to reload; reloading closes the form and the screen behind it shows
the other person's version.

The questions (``ask_reload``, ``ask_confirm``) are module functions so tests can
answer them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import ConflictError, ValidationError
from ui import messages
from ui.context import AppContext
from ui.form_dialog import FieldMessage, SavingDialog
from ui.form_parts import DateField

#: Areas announced through ``AppContext.notify``.
AREA_PLAN = "plan"
AREA_ASSESSMENTS = "assessments"


def _tr(text: str) -> str:
    return QCoreApplication.translate("PlanForms", text)


def ask_reload(parent: QWidget, text: str) -> bool:
    """Someone else saved first: Reload (drop this form) or keep the form open."""
    box = QMessageBox(QMessageBox.Icon.Warning, _tr("Saved by someone else"), text, parent=parent)
    reload_button = box.addButton(_tr("Reload"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(_tr("Keep my form open"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(reload_button)
    box.setObjectName("conflictMessage")
    box.exec()
    return box.clickedButton() is reload_button


def ask_confirm(parent: QWidget, title: str, text: str, action: str) -> bool:
    """A yes/no question whose yes button names the action ("Discard draft")."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setObjectName("confirmMessage")
    box.exec()
    return box.clickedButton() is yes


def date_problem(field: DateField) -> str:
    """The message for a date typed wrongly ('' when empty or a real date)."""
    if field.text() and field.date() is None:
        return _tr("use the form YYYY-MM-DD, for example {example}").format(
            example=date.today().isoformat()
        )
    return ""


def plain_text_edit(rows: int = 3) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)
    # A fixed height: the form stays compact and the text scrolls inside when long.
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * (rows + 1) + 12)
    return edit


class FormDialog(SavingDialog):
    """A form of named fields; subclasses add fields and say what Save calls."""

    #: The user chose Reload after a conflict; the screen behind reloads.
    reload_requested = Signal()

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setWindowTitle(title)
        self.setObjectName(type(self).__name__)
        self.inputs: dict[str, QWidget] = {}
        self.field_messages: dict[str, FieldMessage] = {}
        self._touched: set[str] = set()
        self._server: dict[str, str] = {}
        self._initial: dict[str, object] = {}
        #: Called with the service's result after a successful save.
        self.on_saved: Callable[[Any], None] | None = None
        self.general = QLabel()
        self.general.setObjectName("generalMessage")
        self.general.setProperty("role", "field-error")
        self.general.setWordWrap(True)
        self.general.setTextFormat(Qt.TextFormat.PlainText)
        self.general.hide()

    # -- building ------------------------------------------------------------------------

    def add_field(
        self, form: QFormLayout, name: str, label_text: str, widget: QWidget, hint: str = ""
    ) -> QWidget:
        """Add *widget* with its label and message line; its changes re-validate."""
        message = FieldMessage(widget)
        label = QLabel(label_text)
        label.setBuddy(widget)
        column = QWidget()
        box = QVBoxLayout(column)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(widget)
        if hint:
            hint_label = QLabel(hint)
            hint_label.setProperty("role", "hint")
            hint_label.setWordWrap(True)
            box.addWidget(hint_label)
        box.addWidget(message)
        form.addRow(label, column)
        widget.setAccessibleName(label_text.replace("&", "").rstrip(":"))
        self.inputs[name] = widget
        self.field_messages[name] = message
        self._watch(name, widget)
        return widget

    def _watch(self, name: str, widget: QWidget) -> None:
        def edited(*_args: object) -> None:
            self.edited(name)

        if isinstance(widget, (QLineEdit, QPlainTextEdit)):
            widget.textChanged.connect(edited)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(edited)
        elif isinstance(widget, QCheckBox):
            widget.toggled.connect(edited)
        elif isinstance(widget, DateField):
            widget.textChanged.connect(edited)
        elif isinstance(widget, QSpinBox):
            widget.valueChanged.connect(edited)

    def start_clean(self) -> None:
        """Call once the fields hold their starting values."""
        self._initial = self.snapshot()
        self._touched.clear()
        self.refresh_messages()

    # -- values --------------------------------------------------------------------------

    def value(self, name: str) -> object:
        widget = self.inputs[name]
        if isinstance(widget, QLineEdit):
            return widget.text()
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText()
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, DateField):
            return widget.text()
        if isinstance(widget, QSpinBox):
            return widget.value()
        return None

    def text(self, name: str) -> str:
        return str(self.value(name) or "").strip()

    def date_of(self, name: str) -> date | None:
        widget = self.inputs[name]
        assert isinstance(widget, DateField)
        return widget.date()

    def snapshot(self) -> dict[str, object]:
        return {name: self.value(name) for name in self.inputs}

    def local_errors(self) -> dict[str, str]:
        """Problems found without asking the database; keys are field names."""
        errors = {}
        for name, widget in self.inputs.items():
            if isinstance(widget, DateField) and date_problem(widget):
                errors[name] = date_problem(widget)
        return errors

    # -- validation ----------------------------------------------------------------------

    def edited(self, name: str) -> None:
        self._touched.add(name)
        self._server.pop(name, None)
        self.refresh_messages()

    def refresh_messages(self) -> None:
        errors = {**self.local_errors(), **self._server}
        for name, message in self.field_messages.items():
            message.set_message(errors.get(name, "") if name in self._touched else "")

    def errors(self) -> dict[str, str]:
        """Every current problem, shown or not (tests and the Save check)."""
        return {**self.local_errors(), **self._server}

    def message_text(self, name: str) -> str:
        message = self.field_messages[name]
        return "" if message.isHidden() else message.text()

    def show_service_errors(self, field_errors: Mapping[str, str]) -> None:
        rest = []
        for key, text in field_errors.items():
            name = self.field_for_error(key)
            if name in self.field_messages:
                self._server[name] = text
                self._touched.add(name)
            else:
                rest.append(text)
        self.refresh_messages()
        self.general.setText("\n".join(rest))
        self.general.setVisible(bool(rest))
        self.focus_first_error()

    def field_for_error(self, key: str) -> str:
        """The field a service error key belongs to (subclasses map list rows)."""
        return key

    def focus_first_error(self) -> None:
        errors = self.errors()
        for name, widget in self.inputs.items():
            if name in errors:
                widget.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    # -- SavingDialog -------------------------------------------------------------------

    def is_dirty(self) -> bool:
        return self.snapshot() != self._initial

    def can_save(self) -> bool:
        return True

    def build_call(self) -> Callable[..., Any]:
        """The service call ``fn(session, actor)`` for the values in the form."""
        raise NotImplementedError

    def _prepare_save(self) -> Callable[..., Any] | None:
        self.general.hide()
        if self.local_errors():
            self._show_all_problems()
            return None
        return self.build_call()

    def _show_all_problems(self) -> None:
        self._touched.update(self.inputs)
        self.refresh_messages()
        self.focus_first_error()

    def _save_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ConflictError):
            if ask_reload(self, messages.describe(exc)):
                self._initial = self.snapshot()  # nothing to ask about: the user chose
                self.reload_requested.emit()
                self.reject()
            return
        if isinstance(exc, ValidationError):
            self.show_service_errors(exc.field_errors)
            return
        messages.show_error(self, exc)

    def _mark_saved(self) -> None:
        self._initial = self.snapshot()

    def _after_save(self, result: Any) -> None:
        if self.on_saved is not None:
            self.on_saved(result)


__all__ = [
    "AREA_ASSESSMENTS",
    "AREA_PLAN",
    "FormDialog",
    "ask_confirm",
    "ask_reload",
    "date_problem",
    "plain_text_edit",
]
