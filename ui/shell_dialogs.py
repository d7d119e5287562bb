"""Dialogs of the main window's menus: emergency access and About Casebook."""

from __future__ import annotations

from importlib import metadata

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import NotFound
from casebook.security import keystore
from casebook.services import emergency
from casebook.services.emergency import EmergencyGrant
from ui.context import AppContext
from ui.form_parts import (
    FieldMessage,
    field_column,
    heading,
    info_box,
    ntr,
    show_field_errors,
    wrap_anywhere,
)
from ui.icons import icon
from ui.messages import describe


class EmergencyAccessDialog(QDialog):
    """Record number and reason for 24 hours of access to one record outside one's caseload."""

    granted = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emergencyAccessDialog")
        self.ctx = ctx
        self.grant: EmergencyGrant | None = None
        self._busy = False
        self.setWindowTitle(self.tr("Emergency access"))
        self.setWindowModality(Qt.WindowModality.WindowModal)

        self.record = QLineEdit(self)
        self.record.setAccessibleName(self.tr("Record number"))
        self.record.setMaxLength(32)
        self.reason = QPlainTextEdit(self)
        self.reason.setAccessibleName(self.tr("Reason for emergency access"))
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText(
            self.tr("For example: participant called in crisis; their specialist is away")
        )
        self.reason.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.record_message = FieldMessage(self.record, self)
        self.reason_message = FieldMessage(self.reason, self)
        self.reason.textChanged.connect(self._reason_changed)
        self.general = QLabel(self)
        self.general.setProperty("role", "field-error")
        self.general.setWordWrap(True)
        self.general.hide()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for text, field, message in (
            (self.tr("&Record number"), self.record, self.record_message),
            (self.tr("R&eason"), self.reason, self.reason_message),
        ):
            label = QLabel(text, self)
            label.setBuddy(field)
            form.addRow(label, field_column(field, message))

        self.buttons = QDialogButtonBox(self)
        self.ok_button = QPushButton(icon("eye"), self.tr("&Open with emergency access"), self)
        self.ok_button.setDefault(True)
        self.buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(10)
        layout.addWidget(heading(self.tr("Emergency access to a record"), self))
        layout.addWidget(
            info_box(
                self.tr(
                    "Use this only when a participant outside your caseload needs help now. "
                    "Access lasts {hours} hours. Your reason is recorded in the audit log, "
                    "where supervisors review it."
                ).format(hours=emergency.GRANT_HOURS),
                "triangle-alert",
                self,
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setTabOrder(self.record, self.reason)
        self.setTabOrder(self.reason, self.ok_button)
        self.setMinimumWidth(520)
        self.record.setFocus()

    def _reason_changed(self) -> None:
        missing = emergency.MIN_REASON_LENGTH - len(" ".join(self.reason.toPlainText().split()))
        if missing > 0 and self.reason.toPlainText():
            self.reason_message.show_hint(
                ntr("EmergencyAccessDialog", "%n more character(s) needed", missing)
            )
        else:
            self.reason_message.clear_message()

    def submit(self) -> None:
        if self._busy:
            return
        self.general.hide()
        self.record_message.clear_message()
        if not self.record.text().strip():
            self.record_message.show_error(self.tr("Type the record number."))
            self.record.setFocus()
            return
        self._busy = True
        self.ok_button.setEnabled(False)
        self.ctx.submit(
            emergency.request_access,
            self.record.text(),
            self.reason.toPlainText(),
            on_done=self._granted,
            on_error=self._refused,
            read_only=False,
            label=self.tr("Emergency access"),
        )

    def _granted(self, grant: EmergencyGrant) -> None:
        self._busy = False
        self.ok_button.setEnabled(True)
        self.grant = grant
        self.granted.emit(grant)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self._busy = False
        self.ok_button.setEnabled(True)
        if isinstance(exc, NotFound):
            self.record_message.show_error(describe(exc))
            self.record.setFocus()
            return
        first = show_field_errors(exc, {"reason": self.reason_message}, self.general)
        if first is not None:
            first.setFocus()


class AboutDialog(QDialog):
    """Version, licence, the database in use and where its key is kept."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("About Casebook"))
        try:
            version = metadata.version("casebook")
        except metadata.PackageNotFoundError:
            version = self.tr("unknown")
        location = ctx.db.location
        self.keyring = QLabel(self.tr("checking…"), self)
        self.keyring.setObjectName("keyringBackend")
        self.keyring.setWordWrap(True)
        database = QLabel(wrap_anywhere(location.describe()), self)
        database.setWordWrap(True)
        database.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        database.setAccessibleName(location.describe())
        form = QFormLayout()
        form.addRow(self.tr("Version"), QLabel(version, self))
        form.addRow(
            self.tr("Licence"),
            QLabel(self.tr("GNU General Public License, version 3 or later"), self),
        )
        form.addRow(self.tr("Database"), database)
        if location.is_file:
            form.addRow(self.tr("Database key kept in"), self.keyring)
            ctx.runner.run(
                lambda _progress: keystore.backend_description(),
                self._keyring_described,
                lambda exc: self.keyring.setText(describe(exc)),
                label=self.tr("Keyring"),
            )
        else:
            self.keyring.hide()
        logo = QLabel(self)
        logo.setPixmap(icon("heart-handshake").pixmap(48, 48))
        text = QLabel(
            self.tr(
                "Caseloads, recovery plans, session notes and referrals for peer support "
                "specialists. Records are encrypted on disk and every access is audited."
            ),
            self,
        )
        text.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        titles = QVBoxLayout()
        titles.addWidget(heading(self.tr("Casebook"), self))
        titles.addWidget(text)
        top.addLayout(titles, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(14)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def _keyring_described(self, text: str) -> None:
        self.keyring.setText(text)
