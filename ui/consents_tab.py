"""The participant's "Consents" tab: consents on file with their derived status, a new
consent, revoking, and marking one entered in error; and the header flags about
consent ("No active consent", "Consent expires DATE").
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QItemSelection, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import CasebookError
from casebook.security.permissions import Actor
from casebook.services import consents, counselors
from casebook.services.consents import ConsentDetail, ConsentFields
from casebook.services.counselors import CounselorDetail
from ui import messages
from ui.caseload_view import setup_table
from ui.consent_form import ConsentDialog, ConsentEnteredInErrorDialog, RevokeConsentDialog
from ui.context import AppContext
from ui.form_parts import sentence
from ui.icons import icon
from ui.referral_parts import (
    AREA_CONSENT,
    FactsPanel,
    FlaggedListModel,
    day,
    local_time,
)

if TYPE_CHECKING:
    from ui.workspace import ParticipantWorkspace

#: Days before expiry from which the header warns (as Today does).
EXPIRY_WARNING_DAYS = 30


def _tr(text: str) -> str:
    return QCoreApplication.translate("ConsentsTab", text)


def status_text(consent: ConsentDetail) -> str:
    return consents.status_labels().get(consent.status, consent.status)


def expiry_text(consent: ConsentDetail) -> str:
    if consent.expires_on and consent.expiration_event:
        return _tr("{d} or {event}").format(
            d=day(consent.expires_on), event=consent.expiration_event
        )
    return day(consent.expires_on) or consent.expiration_event


def _flag(consent: ConsentDetail) -> tuple[int, str] | None:
    if consent.status in ("expired", "revoked"):
        return ConsentTableModel.STATUS, "overdue"
    if consent.status == "entered-in-error":
        return ConsentTableModel.STATUS, "long_overdue"
    if consent.expires_on and (consent.expires_on - date.today()).days <= EXPIRY_WARNING_DAYS:
        return ConsentTableModel.EXPIRES, "due"
    return None


class ConsentTableModel(FlaggedListModel[ConsentDetail]):
    SIGNED, RECIPIENT, CATEGORIES, EXPIRES, STATUS = range(5)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            lambda: (
                _tr("Signed"),
                _tr("Recipient"),
                _tr("Information"),
                _tr("Expires"),
                _tr("Status"),
            ),
            (
                lambda c: day(c.signed_on),
                lambda c: c.recipient,
                lambda c: sentence(consents.format_categories(c.information_categories)),
                expiry_text,
                status_text,
            ),
            _flag,
            parent,
        )


def consent_form_data(
    session: Any, actor: Actor, participant_id: int
) -> tuple[ConsentFields, list[CounselorDetail]]:
    """For ``ctx.submit``: the prefilled form and the active directory entries."""
    return (
        consents.new_consent_fields(session, actor, participant_id),
        counselors.list_counselors(session, actor),
    )


class ConsentsTab(QWidget):
    """Consents on file for the workspace's participant."""

    def __init__(self, ctx: AppContext, workspace: ParticipantWorkspace) -> None:
        super().__init__()
        self.setObjectName("consentsTab")
        self._ctx = ctx
        self._workspace = workspace
        self._stale = True
        self._loaded_once = False
        self._loading = False
        self._select_id: int | None = None
        self.active_dialog: QDialog | None = None

        self.new_button = QPushButton(icon("plus"), _tr("&New consent…"))
        self.new_button.clicked.connect(self.new_consent)
        self.revoke_button = QPushButton(icon("ban"), _tr("Re&voke…"))
        self.revoke_button.clicked.connect(self.revoke)
        self.error_button = QPushButton(icon("x"), _tr("Entered in &error…"))
        self.error_button.clicked.connect(self.mark_entered_in_error)
        self.print_button = QPushButton(icon("printer"), _tr("&Print form…"))
        self.print_button.setToolTip(_tr("The consent form with every element, for signature"))
        self.print_button.clicked.connect(self.print_form)
        self.summary = QLabel()
        self.summary.setProperty("role", "hint")
        self.summary.setWordWrap(True)
        bar = QHBoxLayout()
        for button in (self.new_button, self.revoke_button, self.error_button, self.print_button):
            bar.addWidget(button)
        bar.addWidget(self.summary, 1)

        self.model = ConsentTableModel(self)
        self.table = QTableView()
        setup_table(self.table, _tr("Consents on file"))
        self.table.setModel(self.model)
        char = self.table.fontMetrics().averageCharWidth()
        for column, chars in enumerate((11, 30, 30, 14, 12)):
            self.table.horizontalHeader().resizeSection(column, chars * char + 16)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.details = FactsPanel(_tr("Choose a consent to see every element"))
        for key, caption in (
            ("status", _tr("Status")),
            ("patient", _tr("Patient's name")),
            ("discloser", _tr("Who may disclose")),
            ("information", _tr("What information")),
            ("categories", _tr("Categories")),
            ("recipient", _tr("Recipient")),
            ("purpose", _tr("Purpose")),
            ("revocation", _tr("Right to revoke")),
            ("expires", _tr("Expires")),
            ("signed", _tr("Signed")),
            ("revoked", _tr("Revoked")),
            ("error", _tr("Entered in error")),
            ("recorded", _tr("Recorded")),
        ):
            self.details.add(key, caption)
        self.details.box_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.details)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 520])
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        ctx.changed.connect(self._data_changed)
        self._update_buttons()

    # -- loading -------------------------------------------------------------------------

    @property
    def participant_id(self) -> int:
        return self._workspace.participant_id

    @property
    def loaded(self) -> bool:
        return self._loaded_once and not self._loading

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> None:
        if self._ctx.runner.closing or not self._ctx.signed_in:
            return
        self._stale = False
        self._loading = True
        # Listing consents is audited (a view of the record), so it is a write.
        self._ctx.submit(
            consents.list_consents,
            self.participant_id,
            on_done=self._loaded,
            on_error=self._failed,
            read_only=False,
            label=_tr("Loading consents"),
        )

    def _loaded(self, rows: list[ConsentDetail]) -> None:
        if not shiboken6.isValid(self):
            return
        self._loading = False
        self._loaded_once = True
        keep = self._select_id or (c.id if (c := self.selected()) else None)
        self._select_id = None
        self.model.set_rows(rows)
        active = [c for c in rows if c.status == "active"]
        if not rows:
            self.summary.setText(_tr("No consent on file: referrals cannot be sent yet."))
        elif not active:
            self.summary.setText(_tr("No active consent: referrals cannot be sent."))
        else:
            self.summary.setText(
                _tr("{n} active of {total} on file.").format(n=len(active), total=len(rows))
            )
        for row, consent in enumerate(rows):
            if consent.id == keep:
                self.table.selectRow(row)
                break
        else:
            if rows:
                self.table.selectRow(0)
        self._show_details()

    def _failed(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            self._loading = False
            messages.show_error(self, exc)

    def _data_changed(self, area: str, participant_id: int) -> None:
        if participant_id not in (0, self.participant_id) or area != AREA_CONSENT:
            return
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    # -- selection -----------------------------------------------------------------------

    def selected(self) -> ConsentDetail | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_consent(self, consent_id: int) -> bool:
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).id == consent_id:
                self.table.selectRow(row)
                return True
        return False

    def _selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self._show_details()

    def _show_details(self) -> None:
        consent = self.selected()
        self._update_buttons()
        d = self.details
        if consent is None:
            d.clear(_tr("Choose a consent to see every element"))
            return
        d.title.setText(
            _tr("Consent of {d} to {recipient}").format(
                d=day(consent.signed_on), recipient=consent.recipient
            )
        )
        d.set("status", status_text(consent))
        d.set("patient", consent.patient_name)
        d.set("discloser", consent.discloser)
        d.set("information", consent.information)
        d.set("categories", sentence(consents.format_categories(consent.information_categories)))
        recipient = consent.recipient
        if consent.recipient_counselor_name and consent.recipient_description not in (
            "",
            consent.recipient_counselor_name,
        ):
            recipient += f"\n{consent.recipient_description}"
        d.set("recipient", recipient)
        d.set("purpose", consent.purpose)
        d.set("revocation", consent.revocation_statement)
        d.set("expires", expiry_text(consent))
        relationship = consents.relationship_labels().get(
            consent.signer_relationship, consent.signer_relationship
        )
        d.set(
            "signed",
            _tr("{d} by {who} ({as_})").format(
                d=day(consent.signed_on), who=consent.signed_by, as_=relationship.lower()
            ),
        )
        revoked = ""
        if consent.revoked_on:
            revoked = day(consent.revoked_on)
            if consent.revocation_note:
                revoked += f" — {consent.revocation_note}"
        d.set("revoked", revoked)
        error = ""
        if consent.entered_in_error_at:
            reason = consent.entered_in_error_reason or ""
            error = f"{local_time(consent.entered_in_error_at)} — {reason}"
        d.set("error", error)
        d.show_row("revoked", bool(revoked))
        d.show_row("error", bool(error))
        d.set(
            "recorded",
            _tr("{when} by {who}").format(
                when=local_time(consent.created_at), who=consent.created_by_name or "—"
            ),
        )

    def _update_buttons(self) -> None:
        consent = self.selected()
        open_ = consent is not None and consent.status in ("active", "expired")
        self.revoke_button.setEnabled(consent is not None and consent.status == "active")
        self.error_button.setEnabled(open_ or (consent is not None and consent.status == "revoked"))
        self.print_button.setEnabled(consent is not None)

    def print_form(self) -> None:
        """Preview and print the selected consent for signature."""
        consent = self.selected()
        if consent is None:
            return
        from casebook.reports.consent_form import build_consent_form
        from ui.print_preview import open_report

        consent_id = consent.id
        open_report(
            self,
            self._ctx,
            _tr("Consent form"),
            lambda session, actor, path: build_consent_form(session, actor, consent_id, path),
        )

    # -- actions -------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.active_dialog = dialog
        self._workspace.active_dialog = dialog
        dialog.finished.connect(self._dialog_closed)
        if hasattr(dialog, "saved"):
            dialog.saved.connect(self._saved)
        dialog.open()

    def _dialog_closed(self, _result: int) -> None:
        self.active_dialog = None
        if shiboken6.isValid(self._workspace):
            self._workspace.active_dialog = None

    def _saved(self, consent: ConsentDetail) -> None:
        self._select_id = consent.id

    def new_consent(self, recipient_id: int | None = None) -> None:
        """Open the consent form, prefilled by the service (optionally for a recipient)."""
        if self.active_dialog is not None:
            return
        self.new_button.setEnabled(False)

        def ready(data: tuple[ConsentFields, list[CounselorDetail]]) -> None:
            if not shiboken6.isValid(self):
                return
            self.new_button.setEnabled(True)
            prefill, directory = data
            dialog = ConsentDialog(self._ctx, self.participant_id, prefill, directory, self)
            if recipient_id is not None:
                dialog.choose_recipient(recipient_id)
            self._open(dialog)

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self):
                self.new_button.setEnabled(True)
                messages.show_error(self, exc)

        self._ctx.submit(
            consent_form_data,
            self.participant_id,
            on_done=ready,
            on_error=failed,
            read_only=True,
            label=_tr("Preparing the consent form"),
        )

    def revoke(self) -> None:
        consent = self.selected()
        if consent is not None and consent.status == "active" and self.active_dialog is None:
            self._open(RevokeConsentDialog(self._ctx, consent, self))

    def mark_entered_in_error(self) -> None:
        consent = self.selected()
        if (
            consent is not None
            and consent.status != "entered-in-error"
            and self.active_dialog is None
        ):
            self._open(ConsentEnteredInErrorDialog(self._ctx, consent, self))


# -- header flags ---------------------------------------------------------------------------


def consent_flags(session: Any, actor: Actor, participant_id: int) -> list[tuple[str, str]]:
    """ "No active consent" or "Consent expires DATE" (within 30 days), as badges "due".

    Runs in the worker while the workspace loads; reads without auditing.
    """
    try:
        if not consents.has_active_consent(session, actor, participant_id):
            return [(_tr("No active consent"), "due")]
        expiring = consents.consents_expiring(
            session, actor, within_days=EXPIRY_WARNING_DAYS, participant_id=participant_id
        )
    except CasebookError:
        return []
    if not expiring:
        return []
    soonest = min(e.expires_on for e in expiring)
    return [(_tr("Consent expires {d}").format(d=soonest.isoformat()), "due")]


__all__ = ["ConsentTableModel", "ConsentsTab", "consent_flags", "consent_form_data"]
