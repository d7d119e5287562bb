"""A note shown read-only (with its addenda), and the reason dialogs for an
addendum and for marking a note entered in error."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from casebook.services import notes
from casebook.services.notes import NoteDetail
from ui.context import AppContext
from ui.form_dialog import alive
from ui.form_parts import FieldMessage, show_field_errors
from ui.note_parts import flag_texts, kind_text, local_time, mode_text, status_text

_CONTEXT = "Notes"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def _para(text: str) -> str:
    if not text.strip():
        return f"<i>{escape(_tr('(empty)'))}</i>"
    return escape(text).replace("\n", "<br>")


def note_html(detail: NoteDetail) -> str:
    """The note as rich text for a QTextBrowser; every value is escaped."""
    facts = [kind_text(detail.kind), local_time(detail.occurred_at)]
    if detail.duration_minutes:
        facts.append(_tr("{n} min").format(n=detail.duration_minutes))
    facts.append(mode_text(detail.mode))
    if detail.location:
        facts.append(detail.location)
    facts.append(detail.format)
    out = [f"<h3>{escape(' · '.join(facts))}</h3>"]
    status = [_tr("Written by {name}").format(name=detail.author_name)]
    if detail.signed_at is not None:
        status.append(
            _tr("signed by {name} on {when}").format(
                name=detail.signed_by_name or "", when=local_time(detail.signed_at)
            )
        )
    else:
        status.append(_tr("last saved {when}").format(when=local_time(detail.updated_at)))
    if detail.cosigned_at is not None:
        status.append(
            _tr("co-signed by {name} on {when}").format(
                name=detail.cosigned_by_name or "", when=local_time(detail.cosigned_at)
            )
        )
    out.append(f"<p><b>{escape(status_text(detail))}</b> — {escape('; '.join(status))}</p>")
    if detail.content_hash:
        out.append(
            f"<p>{escape(_tr('Content hash (SHA-256):'))} "
            f"<code>{escape(detail.content_hash)}</code></p>"
        )
    if detail.entered_in_error_at is not None:
        out.append(
            "<p style='color:#b42318'><b>{}</b> {}</p>".format(
                escape(_tr("Entered in error")),
                escape(
                    _tr("by {name} on {when}. Reason: {reason}").format(
                        name=detail.entered_in_error_by_name or "",
                        when=local_time(detail.entered_in_error_at),
                        reason=detail.entered_in_error_reason or "",
                    )
                ),
            )
        )
    if detail.risk_flags:
        out.append(
            "<p style='color:#b42318'><b>{}</b> {}</p>".format(
                escape(_tr("Risk flags:")), escape(", ".join(flag_texts(detail.risk_flags)))
            )
        )
    if detail.group is not None:
        g = detail.group
        title = _tr("Group session: {topic}").format(topic=g.topic)
        out.append(f"<h4>{escape(title)}</h4>")
        out.append(
            "<p>{}</p>".format(escape(_tr("Facilitator: {name}").format(name=g.facilitator_name)))
        )
        out.append(f"<p>{_para(g.group_text)}</p>")
    for key, label, text in detail.section_rows():
        if detail.group is not None and key != "individual" and not text.strip():
            continue  # a group note's format sections are optional
        out.append(f"<h4>{escape(label)}</h4><p>{_para(text)}</p>")
    if detail.goals:
        marks = notes.progress_mark_labels()
        items = "".join(
            f"<li>{escape(g.statement)} — {escape(marks.get(g.mark, g.mark))}</li>"
            for g in detail.goals
        )
        out.append(f"<h4>{escape(_tr('Goals addressed'))}</h4><ul>{items}</ul>")
    for a in detail.addenda:
        out.append(
            "<hr><h4>{}</h4>".format(
                escape(
                    _tr("Addendum by {name}, {when}").format(
                        name=a.author_name, when=local_time(a.created_at)
                    )
                )
            )
        )
        out.append(
            "<p><i>{}</i></p>".format(escape(_tr("Reason: {reason}").format(reason=a.reason)))
        )
        out.append(f"<p>{_para(a.text)}</p>")
    return "\n".join(out)


class ReasonDialog(QDialog):
    """Asks for a reason (and for an addendum, its text), then runs the service call.

    *call(reason, text)* returns ``(fn, kwargs)`` for ``ctx.submit``; field messages
    from the service's ValidationError appear under the fields.

    Not a ``ui.form_dialog.SavingDialog``: it has no local checks and no unsaved-changes
    question, and any refusal is shown in the dialog rather than in a message box.
    While the call runs nothing can be changed and it cannot be closed: closing would
    delete it before the answer came, and the notes tab would never hear that the
    addendum was saved.
    """

    completed = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        title: str,
        intro: str,
        action: str,
        *,
        with_text: bool,
        call: Callable[[str, str], tuple[Callable[..., Any], dict[str, Any]]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reasonDialog")
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(520, 380 if with_text else 200)
        self._ctx = ctx
        self._call = call
        self._saving = False
        intro_label = QLabel(intro)
        intro_label.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setMaxLength(500)
        self.reason.setAccessibleName(_tr("Reason"))
        self.text = QPlainTextEdit()
        self.text.setObjectName("text")
        self.text.setTabChangesFocus(True)
        self.text.setAccessibleName(_tr("Addendum text"))
        self.msgs = {"reason": FieldMessage(self.reason), "text": FieldMessage(self.text)}
        self.general = QLabel()
        self.general.setProperty("role", "field-error")
        self.general.setWordWrap(True)
        self.general.hide()
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.addRow(_tr("&Reason (required)"), self.reason)
        form.addRow(self.msgs["reason"])
        if with_text:
            form.addRow(_tr("&Addendum"), self.text)
            form.addRow(self.msgs["text"])
        else:
            self.text.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro_label)
        layout.addLayout(form, 1)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)
        self.reason.setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        for message in self.msgs.values():
            message.clear_message()
        fn, kwargs = self._call(self.reason.text(), self.text.toPlainText())
        self._set_saving(True)
        self._ctx.submit(
            fn,
            on_done=self._done,
            on_error=self._failed,
            read_only=False,
            label=self.windowTitle(),
            **kwargs,
        )

    @property
    def saving(self) -> bool:
        return self._saving

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.buttons.setEnabled(not saving)
        self.reason.setReadOnly(saving)
        self.text.setReadOnly(saving)

    def reject(self) -> None:
        if self._saving:
            return  # Esc or the window's close button while the call runs
        super().reject()

    def _done(self, result: object) -> None:
        if not alive(self):
            return
        self._set_saving(False)
        self.completed.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if not alive(self):
            return
        self._set_saving(False)
        first = show_field_errors(exc, self.msgs, self.general)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)


__all__ = ["ReasonDialog", "note_html"]
