"""The base of the form dialogs that save, and the question about unsaved changes.

``SavingDialog``: Save runs a service call on the write thread and the dialog waits for
the outcome (inputs disabled, busy cursor) instead of blocking the window; closing it
with changes asks Save / Discard / Cancel (``ask_unsaved_changes``). The participant,
plan, assessment, referral, consent and directory forms are all ``SavingDialog``s, so
a screen can tell whether one of its dialogs is open with changes
(``has_unsaved_input``).

``FieldFormDialog`` is a ``SavingDialog`` of named fields with a ``FieldMessage`` under
each, checked as the user types; the service's own field messages land in the same
places. The participant action dialogs (transfer, discharge...) and the referral,
consent and directory forms build on it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QWidget,
)

from casebook.errors import CasebookError, ConflictError, ValidationError
from ui import messages
from ui.context import AppContext
from ui.form_parts import DateField, field_column, plain_label, sentence


def _tr(text: str) -> str:
    # Module-level helpers translate in one fixed context, so a translation tool finds them.
    return QCoreApplication.translate("FormDialog", text)


def alive(obj: QObject) -> bool:
    # A worker's result can arrive after the user closed the dialog that asked for it.
    return shiboken6.isValid(obj)


# -- asking about unsaved changes ------------------------------------------------------------


class UnsavedChoice(enum.Enum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


def ask_unsaved_changes(parent: QWidget) -> UnsavedChoice:
    """Save / Discard / Cancel for a form being closed with changes (tests replace this:
    every caller looks it up here, as ``form_dialog.ask_unsaved_changes``)."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        _tr("Unsaved changes"),
        _tr("You have changes that are not saved yet. Save them before closing?"),
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    box.setObjectName("unsavedChangesMessage")
    answer = box.exec()
    if answer == QMessageBox.StandardButton.Save:
        return UnsavedChoice.SAVE
    if answer == QMessageBox.StandardButton.Discard:
        return UnsavedChoice.DISCARD
    return UnsavedChoice.CANCEL


# -- the message under a field ----------------------------------------------------------------


class FieldMessage(QLabel):
    """The small message under a field of a saving form; hidden while there is nothing
    to say. (``ui.form_parts.FieldMessage`` is the account and note screens' kind, which
    also shows hints.)"""

    def __init__(self, field_widget: QWidget | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._field_widget = field_widget
        self.setProperty("role", "field-error")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setHidden(True)

    def set_message(self, text: str) -> None:
        if text == self.text() and self.isHidden() == (not text):
            return
        self.setText(text)
        self.setHidden(not text)
        widget = self._field_widget
        if isinstance(widget, DateField):
            widget = widget.line_edit
        if widget is not None:
            # Screen readers announce the description with the field.
            widget.setAccessibleDescription(text)
            widget.setProperty("invalid", "true" if text else "false")
            style = widget.style()
            style.unpolish(widget)
            style.polish(widget)


# -- the dialogs ------------------------------------------------------------------------------


class SavingDialog(QDialog):
    """A dialog whose Save runs a service call on the write thread and waits for it."""

    saved = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._saving = False
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

    # Subclasses provide these.
    def is_dirty(self) -> bool:
        raise NotImplementedError

    def can_save(self) -> bool:
        raise NotImplementedError

    def _prepare_save(self) -> Callable[..., Any] | None:
        """Return the call to submit (a closure over the values), or None to stay."""
        raise NotImplementedError

    def _save_failed(self, exc: BaseException) -> None:
        messages.show_error(self, exc)

    def _after_save(self, result: Any) -> None:
        """Announce the change (``ctx.notify``)."""

    # -- common behaviour ----------------------------------------------------------------

    @property
    def is_saving(self) -> bool:
        return self._saving

    def save(self) -> None:
        if self._saving or self._ctx.runner.closing:
            return
        call = self._prepare_save()
        if call is None:
            return
        self._set_saving(True)
        self._ctx.submit(
            call,
            on_done=self._save_done,
            on_error=self._save_error,
            read_only=False,
            label=self.windowTitle(),
        )

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.save_button.setEnabled(not saving and self.can_save())
        for child in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if child is not self.buttons:
                child.setEnabled(not saving)
        self.setCursor(Qt.CursorShape.BusyCursor if saving else Qt.CursorShape.ArrowCursor)

    def _save_done(self, result: Any) -> None:
        if not alive(self):
            return
        self._set_saving(False)
        self._mark_saved()
        self._after_save(result)
        self.saved.emit(result)
        self.accept()

    def _save_error(self, exc: BaseException) -> None:
        if not alive(self):
            return
        self._set_saving(False)
        self._save_failed(exc)

    def _mark_saved(self) -> None:
        """Forget the unsaved-changes state (the values are stored now)."""

    def reject(self) -> None:
        if self._saving:
            return  # the outcome is on its way; closing now would hide it
        if self.is_dirty():
            choice = ask_unsaved_changes(self)
            if choice == UnsavedChoice.CANCEL:
                return
            if choice == UnsavedChoice.SAVE:
                if self.can_save():
                    self.save()
                else:
                    self._show_all_problems()
                return
        super().reject()

    def _show_all_problems(self) -> None:
        """Save was asked for while something is invalid: show where."""


class FieldFormDialog(SavingDialog):
    """A form of labelled fields and a message under each field, checked as the user
    types. Service messages land under the field they name (or one it is an alias of);
    the rest, and a conflict, in ``general_message`` under the form.

    Subclasses lay out ``intro``, ``form``, ``general_message`` and ``buttons``, add
    fields with ``add_field``, provide ``values``, ``_check`` and ``_call``, and call
    ``finish_setup`` once the fields hold their starting values; ``_after_save``
    announces the change.
    """

    #: False: Save is greyed out while something is wrong. True: Save stays available,
    #: and pressing it shows every message (a long form, where the problem may be out
    #: of sight).
    keep_save_enabled = False

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._messages: dict[str, FieldMessage] = {}
        self._inputs: dict[str, QWidget] = {}
        self._aliases: dict[str, str] = {}
        self._touched: set[str] = set()
        self._service_errors: dict[str, str] = {}
        self._errors: dict[str, str] = {}
        self._initial: dict[str, str] = {}
        self._ready = False
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.intro.hide()
        self.general_message = FieldMessage(None)

    def set_intro(self, text: str) -> None:
        self.intro.setText(text)
        self.intro.setVisible(bool(text))

    def add_field(
        self,
        name: str,
        label_text: str,
        widget: QWidget,
        aliases: tuple[str, ...] = (),
        *,
        marked: QWidget | None = None,
    ) -> FieldMessage:
        """A row with a message under *widget*; *marked* (default *widget*) is the input
        the message marks invalid; *aliases* are service field names shown here too."""
        target = marked or widget
        message = FieldMessage(target)
        label = QLabel(label_text)
        label.setBuddy(target)
        self.form.addRow(label, field_column(widget, message))
        target.setAccessibleName(plain_label(label_text))
        self._messages[name] = message
        self._inputs[name] = target
        for alias in aliases:
            self._aliases[alias] = name
        return message

    def message_for(self, name: str) -> FieldMessage:
        return self._messages[name]

    def message_texts(self) -> dict[str, str]:
        """What each field's message says now ("" when nothing)."""
        return {name: message.text() for name, message in self._messages.items()}

    # Subclasses provide these.
    def values(self) -> dict[str, str]:
        raise NotImplementedError

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        """Problems with the values by field name (local checks, as you type)."""
        raise NotImplementedError

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        raise NotImplementedError

    # -- behaviour -----------------------------------------------------------------------

    def finish_setup(self) -> None:
        """The fields hold their starting values: from now on, changes count."""
        self._initial = self.values()
        self._ready = True
        self.refresh()

    def edited(self, name: str) -> None:
        if not self._ready:
            return
        self._touched.add(name)
        self._service_errors.pop(name, None)
        self.refresh()

    def refresh(self) -> None:
        if not self._ready:
            return
        self._errors = self._check(self.values())
        for name, message in self._messages.items():
            text = self._service_errors.get(name, "")
            if not text and name in self._touched:
                text = self._errors.get(name, "")
            message.set_message(sentence(text))
        other = [text for key, text in self._service_errors.items() if key not in self._messages]
        self.general_message.set_message("\n".join(sentence(text) for text in other))
        self.save_button.setEnabled(
            not self.is_saving and (self.keep_save_enabled or self.can_save())
        )

    def is_dirty(self) -> bool:
        return self._ready and self.values() != self._initial

    def can_save(self) -> bool:
        return not self._errors and not any(key in self._messages for key in self._service_errors)

    def _mark_saved(self) -> None:
        self._initial = self.values()

    def _show_all_problems(self) -> None:
        self._touched.update(self._messages)
        self.refresh()

    def _prepare_save(self) -> Callable[..., Any] | None:
        self.refresh()
        if not self.can_save():
            self._show_all_problems()
            return None
        return self._call(self.values())

    def show_service_errors(self, field_errors: Mapping[str, str]) -> None:
        """Messages raised by the service on save; each stays until its field changes."""
        self._service_errors = {
            self._aliases.get(key, key): text for key, text in field_errors.items()
        }
        self.refresh()

    def _save_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.show_service_errors(exc.field_errors)
        elif isinstance(exc, ConflictError):
            self.show_service_errors({"": exc.message})
        else:
            messages.show_error(self, exc)


# -- for the screens that open these dialogs ---------------------------------------------------


def has_unsaved_input(dialog: QDialog | None) -> bool:
    """Whether *dialog* (one of these forms) is open with changes not saved yet."""
    return (
        dialog is not None
        and alive(dialog)
        and dialog.isVisible()
        and isinstance(dialog, SavingDialog)
        and (dialog.is_dirty() or dialog.is_saving)
    )


def unsaved_input_error(dialog: QDialog) -> CasebookError:
    """For ``save_drafts`` (see ui.main_window.KeepsDrafts): these forms are not drafts,
    so the person finishes or cancels them; the form is brought forward for that."""
    dialog.raise_()
    dialog.activateWindow()
    return CasebookError(
        _tr("“{title}” is still open with changes. Save or cancel it first.").format(
            title=dialog.windowTitle()
        )
    )


def find_button(dialog: QDialog, text: str) -> QAbstractButton | None:
    """The dialog's button whose text (without mnemonics) is *text* (for tests and tools)."""
    for button in dialog.findChildren(QAbstractButton):
        if button.text().replace("&", "") == text:
            return button
    return None


__all__ = [
    "FieldFormDialog",
    "FieldMessage",
    "SavingDialog",
    "UnsavedChoice",
    "alive",
    "ask_unsaved_changes",
    "find_button",
    "has_unsaved_input",
    "unsaved_input_error",
]
