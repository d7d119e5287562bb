"""The "Staff accounts" page: administrators create and look after staff accounts."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from casebook.security.permissions import Actor
from casebook.services import users
from casebook.services.users import UserInfo
from ui.context import AppContext
from ui.form_parts import FieldMessage, field_column, heading, info_box, show_field_errors
from ui.icons import icon
from ui.messages import describe, show_error

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

# Readable without a second look: no 0/O, 1/l/I.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _tr(text: str) -> str:
    return QCoreApplication.translate("staff", text)


def role_title(role: str, is_supervisor: bool = False) -> str:
    """The role in words, as staff call it."""
    if role == "specialist":
        return _tr("Peer specialist")
    if role == "supervisor":
        return _tr("Supervisor")
    if role == "admin":
        return _tr("Administrator and supervisor") if is_supervisor else _tr("Administrator")
    return role


def local_time(moment: datetime | None, with_seconds: bool = False) -> str:
    """A stored UTC time in the workstation's local time, unambiguous (ISO order)."""
    if moment is None:
        return ""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def temporary_password() -> str:
    """A random password to hand over in person, e.g. ``k7Qm-xR4t-Wb9p-Hn3c``."""
    groups = ("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


def can_manage_accounts(actor: Actor) -> bool:
    return actor.is_admin


class StaffTableModel(QAbstractTableModel):
    """Staff accounts (``UserInfo`` read models), one per row."""

    NAME, USERNAME, ROLE, TEAM, STATUS, LAST_LOGIN = range(6)
    COLUMN_KEYS = ("name", "username", "role", "team", "status", "last_login")
    UserRole = Qt.ItemDataRole.UserRole
    SortRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[UserInfo] = []
        self._headers = (
            self.tr("Name"),
            self.tr("Username"),
            self.tr("Role"),
            self.tr("Team (supervisor)"),
            self.tr("Status"),
            self.tr("Last sign-in"),
        )

    def set_users(self, rows: list[UserInfo]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def user_at(self, row: int) -> UserInfo:
        return self._rows[row]

    def row_of(self, username: str) -> int:
        for row, info in enumerate(self._rows):
            if info.username == username:
                return row
        return -1

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self._headers)
        ):
            return self._headers[section]
        return None

    def _status(self, info: UserInfo) -> str:
        if not info.active:
            return self.tr("Deactivated")
        if info.locked:
            return self.tr("Locked (wrong passwords)")
        return self.tr("Active")

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        info = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                info.display_name,
                info.username,
                role_title(info.role, info.is_supervisor and info.role == "admin"),
                info.supervisor_name or "",
                self._status(info),
                local_time(info.last_login_at),
            )[column]
        if role == self.SortRole:
            if column == self.LAST_LOGIN:
                return info.last_login_at.timestamp() if info.last_login_at else 0.0
            return str(self.data(index, Qt.ItemDataRole.DisplayRole)).casefold()
        if role == Qt.ItemDataRole.ToolTipRole and column in (self.NAME, self.TEAM):
            return self.data(index, Qt.ItemDataRole.DisplayRole) or None
        if role == self.UserRole:
            return info
        if role == Qt.ItemDataRole.DecorationRole and column == self.STATUS:
            if not info.active:
                return icon("user-x")
            if info.locked:
                return icon("lock")
        if role == Qt.ItemDataRole.ForegroundRole and not info.active:
            parent = self.parent()
            if isinstance(parent, QWidget):
                return parent.palette().placeholderText()
        return None


def _supervisor_combo(
    choices: list[UserInfo], current: str | None, parent: QWidget | None
) -> QComboBox:
    combo = QComboBox(parent)
    combo.addItem(_tr("No team"), "")
    for info in choices:
        combo.addItem(f"{info.display_name} ({info.username})", info.username)
    if current:
        found = combo.findData(current)
        combo.setCurrentIndex(max(found, 0))
    return combo


class _AccountDialog(QDialog):
    """Shared parts of the account dialogs: buttons, busy state, general message."""

    def __init__(self, ctx: AppContext, parent: QWidget | None, title: str) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.general = QLabel(self)
        self.general.setProperty("role", "field-error")
        self.general.setWordWrap(True)
        self.general.hide()
        self.buttons = QDialogButtonBox(self)
        self.ok_button = QPushButton(self)
        self.ok_button.setDefault(True)
        self.buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.result_info: UserInfo | None = None
        self._busy = False

    def submit(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if self._busy:
            return
        self._busy = True
        self.ok_button.setEnabled(False)
        self.general.hide()
        self.ctx.submit(
            fn, *args, on_done=self._done, on_error=self._error, read_only=False, **kwargs
        )

    def _done(self, result: Any) -> None:
        self._busy = False
        self.ok_button.setEnabled(True)
        if isinstance(result, UserInfo):
            self.result_info = result
        self.accept()

    def _error(self, exc: BaseException) -> None:
        self._busy = False
        self.ok_button.setEnabled(True)
        self.show_errors(exc)

    def show_errors(self, exc: BaseException) -> None:
        self.general.setText(describe(exc))
        self.general.show()


class NewAccountDialog(_AccountDialog):
    """Username, name, role, team and a temporary password for a new staff member."""

    def __init__(
        self, ctx: AppContext, supervisors: list[UserInfo], parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, parent, _tr("New staff account"))
        self.setObjectName("newAccountDialog")
        self.ok_button.setText(self.tr("&Create account"))
        self.ok_button.setIcon(icon("user-plus"))

        self.username = QLineEdit(self)
        self.username.setAccessibleName(self.tr("Username"))
        self.username.setMaxLength(64)
        self.username.setPlaceholderText(self.tr("lower case, e.g. mlopez"))
        self.display_name = QLineEdit(self)
        self.display_name.setAccessibleName(self.tr("Full name"))
        self.display_name.setMaxLength(200)
        self.role = QComboBox(self)
        self.role.setAccessibleName(self.tr("Role"))
        for code in ("specialist", "supervisor", "admin"):
            self.role.addItem(role_title(code), code)
        self.supervisor = _supervisor_combo(supervisors, None, self)
        self.supervisor.setAccessibleName(self.tr("Team (supervisor)"))
        self.also_supervisor = QCheckBox(self.tr("Also &supervises a team"), self)
        self.also_supervisor.setAccessibleName(self.tr("Administrator also supervises a team"))
        self.also_supervisor.setToolTip(
            self.tr("An administrator who also supervises can read their team's records.")
        )
        self.password = QLineEdit(self)
        self.password.setAccessibleName(self.tr("Temporary password"))
        self.password.setText(temporary_password())
        generate = QPushButton(icon("refresh-cw"), self.tr("&New"), self)
        generate.setToolTip(self.tr("Make another random temporary password"))
        generate.setAccessibleName(self.tr("Make another temporary password"))
        generate.clicked.connect(lambda: self.password.setText(temporary_password()))
        self.generate_button = generate

        self.messages = {
            "username": FieldMessage(self.username, self),
            "display_name": FieldMessage(self.display_name, self),
            "role": FieldMessage(self.role, self),
            "supervisor": FieldMessage(self.supervisor, self),
            "password": FieldMessage(self.password, self),
        }
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        rows: list[tuple[str, QWidget, str, QWidget | None]] = [
            (self.tr("&Username"), self.username, "username", None),
            (self.tr("&Full name"), self.display_name, "display_name", None),
            (self.tr("&Role"), self.role, "role", None),
            (self.tr("&Team"), self.supervisor, "supervisor", None),
            (self.tr("Temporary &password"), self.password, "password", generate),
        ]
        for text, field, key, extra in rows:
            label = QLabel(text, self)
            label.setBuddy(field)
            form.addRow(label, field_column(field, self.messages[key], extra))
            if key == "role":
                form.addRow("", self.also_supervisor)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.addWidget(heading(self.tr("New staff account"), self))
        layout.addLayout(form)
        layout.addWidget(
            info_box(
                self.tr(
                    "Give the temporary password to the person directly. They choose "
                    "their own password the first time they sign in."
                ),
                "key",
                self,
            )
        )
        layout.addWidget(self.general)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.role.currentIndexChanged.connect(self._role_changed)
        self._role_changed()
        self.setTabOrder(self.username, self.display_name)
        self.setTabOrder(self.display_name, self.role)
        self.setTabOrder(self.role, self.also_supervisor)
        self.setTabOrder(self.also_supervisor, self.supervisor)
        self.setTabOrder(self.supervisor, self.password)
        self.setTabOrder(self.password, generate)
        self.setTabOrder(generate, self.ok_button)
        self.setMinimumWidth(560)
        self.username.setFocus()

    def _role_changed(self) -> None:
        is_admin = self.role.currentData() == "admin"
        self.also_supervisor.setEnabled(is_admin)
        if not is_admin:
            self.also_supervisor.setChecked(False)

    def submit(self) -> None:
        for message in self.messages.values():
            message.clear_message()
        self.run(
            users.create_user,
            username=self.username.text(),
            display_name=self.display_name.text(),
            role=str(self.role.currentData()),
            password=self.password.text(),
            supervisor=str(self.supervisor.currentData()) or None,
            is_supervisor=self.also_supervisor.isChecked(),
            must_change_password=True,
        )

    def show_errors(self, exc: BaseException) -> None:
        first = show_field_errors(exc, self.messages, self.general)
        if first is not None:
            first.setFocus()


class ResetPasswordDialog(_AccountDialog):
    """A new temporary password for someone who forgot theirs (also ends a lockout)."""

    def __init__(self, ctx: AppContext, user: UserInfo, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, _tr("Reset password"))
        self.setObjectName("resetPasswordDialog")
        self.user = user
        self.ok_button.setText(self.tr("&Reset password"))
        self.ok_button.setIcon(icon("key"))
        self.password = QLineEdit(temporary_password(), self)
        self.password.setAccessibleName(self.tr("Temporary password"))
        self.message = FieldMessage(self.password, self)
        generate = QPushButton(icon("refresh-cw"), self.tr("&New"), self)
        generate.setAccessibleName(self.tr("Make another temporary password"))
        generate.clicked.connect(lambda: self.password.setText(temporary_password()))
        form = QFormLayout()
        label = QLabel(self.tr("Temporary &password"), self)
        label.setBuddy(self.password)
        form.addRow(label, field_column(self.password, self.message, generate))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(10)
        layout.addWidget(
            heading(self.tr("Reset the password of {name}").format(name=user.display_name), self)
        )
        layout.addLayout(form)
        layout.addWidget(
            info_box(
                self.tr(
                    "{name} signs in with this temporary password and then chooses their "
                    "own. A lockout after wrong passwords ends now."
                ).format(name=user.display_name),
                "key",
                self,
            )
        )
        layout.addWidget(self.general)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)
        self.password.setFocus()

    def submit(self) -> None:
        self.message.clear_message()
        self.run(users.reset_password, self.user.username, self.password.text())

    def show_errors(self, exc: BaseException) -> None:
        show_field_errors(exc, {"password": self.message}, self.general)


class ChangeTeamDialog(_AccountDialog):
    """Which supervisor's team a staff member belongs to."""

    def __init__(
        self,
        ctx: AppContext,
        user: UserInfo,
        supervisors: list[UserInfo],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, parent, _tr("Change team"))
        self.setObjectName("changeTeamDialog")
        self.user = user
        self.ok_button.setText(self.tr("&Change team"))
        choices = [s for s in supervisors if s.username != user.username]
        current = None
        for info in choices:
            if info.id == user.supervisor_id:
                current = info.username
        self.supervisor = _supervisor_combo(choices, current, self)
        self.supervisor.setAccessibleName(self.tr("Team (supervisor)"))
        self.message = FieldMessage(self.supervisor, self)
        form = QFormLayout()
        label = QLabel(self.tr("&Supervisor"), self)
        label.setBuddy(self.supervisor)
        form.addRow(label, field_column(self.supervisor, self.message))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(10)
        layout.addWidget(heading(self.tr("Team of {name}").format(name=user.display_name), self))
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)
        self.supervisor.setFocus()

    def submit(self) -> None:
        self.message.clear_message()
        self.run(
            users.set_supervisor, self.user.username, str(self.supervisor.currentData()) or None
        )

    def show_errors(self, exc: BaseException) -> None:
        show_field_errors(exc, {"supervisor": self.message}, self.general)


class StaffPage(QWidget):
    """Every staff account, with the actions an administrator needs."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("staffPage")
        self.ctx = ctx
        self.model = StaffTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(StaffTableModel.SortRole)
        self.proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.dialog: QDialog | None = None
        self._dialog_done: Callable[[], None] | None = None
        # The account a confirmation box is asking about, and its "Deactivate" button.
        self._deactivating: tuple[UserInfo, QPushButton] | None = None
        self._select_after_load: str | None = None
        self._notice = ""

        self.table = QTableView(self)
        self.table.setObjectName("staffTable")
        self.table.setAccessibleName(self.tr("Staff accounts"))
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(StaffTableModel.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in (
            (StaffTableModel.NAME, 300),
            (StaffTableModel.USERNAME, 120),
            (StaffTableModel.ROLE, 190),
            (StaffTableModel.TEAM, 210),
            (StaffTableModel.STATUS, 170),
        ):
            header.resizeSection(column, width)
        self.table.doubleClicked.connect(lambda _index: self.change_team())

        self.new_button = QPushButton(icon("user-plus"), self.tr("&New account…"), self)
        self.reset_button = QPushButton(icon("key"), self.tr("&Reset password…"), self)
        self.active_button = QPushButton(icon("user-x"), self.tr("&Deactivate"), self)
        self.team_button = QPushButton(icon("users"), self.tr("Change &team…"), self)
        self.show_inactive = QCheckBox(self.tr("Show &deactivated accounts"), self)
        self.show_inactive.setChecked(True)
        self.new_button.clicked.connect(self.new_account)
        self.reset_button.clicked.connect(self.reset_password)
        self.active_button.clicked.connect(self.toggle_active)
        self.team_button.clicked.connect(self.change_team)
        self.show_inactive.toggled.connect(self.refresh)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.status = QLabel(self)
        self.status.setProperty("role", "hint")
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        for button in (self.new_button, self.reset_button, self.active_button, self.team_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_inactive)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(heading(self.tr("Staff accounts"), self))
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.setTabOrder(self.new_button, self.reset_button)
        self.setTabOrder(self.reset_button, self.active_button)
        self.setTabOrder(self.active_button, self.team_button)
        self.setTabOrder(self.team_button, self.show_inactive)
        self.setTabOrder(self.show_inactive, self.table)
        self._selection_changed()
        self.refresh()

    # -- data --------------------------------------------------------------------------

    def refresh(self) -> None:
        self.ctx.submit(
            users.list_users,
            include_inactive=self.show_inactive.isChecked(),
            on_done=self._loaded,
            on_error=self._load_failed,
            label=self.tr("Loading staff accounts"),
        )

    def _loaded(self, rows: list[UserInfo]) -> None:
        selected = self.selected_user()
        keep = self._select_after_load or (selected.username if selected else None)
        self._select_after_load = None
        self.model.set_users(rows)
        active = sum(1 for info in rows if info.active)
        summary = self.tr("{count} accounts, {active} active.").format(
            count=len(rows), active=active
        )
        notice, self._notice = self._notice, ""
        self.status.setText(f"{notice} {summary}" if notice else summary)
        if keep:
            self.select_user(keep)
        self._selection_changed()

    def _load_failed(self, exc: BaseException) -> None:
        self.status.setText(describe(exc))

    def supervisors(self) -> list[UserInfo]:
        return [
            self.model.user_at(row)
            for row in range(self.model.rowCount())
            if self.model.user_at(row).is_supervisor and self.model.user_at(row).active
        ]

    def selected_user(self) -> UserInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        info = self.proxy.mapToSource(rows[0]).data(StaffTableModel.UserRole)
        return info if isinstance(info, UserInfo) else None

    def select_user(self, username: str) -> None:
        row = self.model.row_of(username)
        if row < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())
        self.table.scrollTo(index)

    def _selection_changed(self, *_args: object) -> None:
        info = self.selected_user()
        for button in (self.reset_button, self.active_button, self.team_button):
            button.setEnabled(info is not None)
        if info is not None and not info.active:
            self.active_button.setText(self.tr("Re&activate"))
            self.active_button.setIcon(icon("user-check"))
        else:
            self.active_button.setText(self.tr("&Deactivate"))
            self.active_button.setIcon(icon("user-x"))
        is_self = info is not None and info.id == self.ctx.actor.id
        self.active_button.setEnabled(info is not None and not (is_self and info.active))
        if is_self:
            self.active_button.setToolTip(self.tr("You cannot deactivate your own account."))
        else:
            self.active_button.setToolTip("")

    # -- actions -----------------------------------------------------------------------

    def _open(self, dialog: QDialog, done: Callable[[], None] | None = None) -> QDialog:
        # Window-modal: one dialog at a time. Bound methods, not closures over the
        # dialog, on its own signal (see MainWindow._show_dialog).
        self.dialog = dialog
        self._dialog_done = done
        dialog.finished.connect(self._dialog_finished)
        dialog.open()
        return dialog

    def _dialog_finished(self, result: int) -> None:
        dialog, done = self.dialog, self._dialog_done
        self.dialog = None
        self._dialog_done = None
        if dialog is None:
            return
        dialog.finished.disconnect(self._dialog_finished)
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted:
            if done is not None:
                done()
            self.refresh()

    def new_account(self) -> NewAccountDialog:
        dialog = NewAccountDialog(self.ctx, self.supervisors(), self)

        def created() -> None:
            info = dialog.result_info
            if info is not None:
                self._select_after_load = info.username
                self._notice = self.tr("Created the account {username} for {name}.").format(
                    username=info.username, name=info.display_name
                )

        self._open(dialog, created)
        return dialog

    def reset_password(self) -> ResetPasswordDialog | None:
        info = self.selected_user()
        if info is None:
            return None
        dialog = ResetPasswordDialog(self.ctx, info, self)
        self._select_after_load = info.username
        self._open(dialog)
        return dialog

    def change_team(self) -> ChangeTeamDialog | None:
        info = self.selected_user()
        if info is None:
            return None
        dialog = ChangeTeamDialog(self.ctx, info, self.supervisors(), self)
        self._select_after_load = info.username
        self._open(dialog)
        return dialog

    def toggle_active(self) -> None:
        info = self.selected_user()
        if info is None:
            return
        if not info.active:
            self._set_active(info, True)
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Deactivate account"),
            self.tr(
                "Deactivate the account of {name} ({username})? They can no longer sign in. "
                "Nothing they wrote is removed, and you can reactivate the account later."
            ).format(name=info.display_name, username=info.username),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        yes = box.addButton(self.tr("Deactivate"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(yes)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self._deactivating = (info, yes)
        self.dialog = box
        box.finished.connect(self._deactivate_answered)
        box.open()

    def _deactivate_answered(self, _result: int) -> None:
        box, pending = self.dialog, self._deactivating
        self.dialog = None
        self._deactivating = None
        if not isinstance(box, QMessageBox) or pending is None:
            return
        info, yes = pending
        confirmed = box.clickedButton() is yes
        box.finished.disconnect(self._deactivate_answered)
        box.deleteLater()
        if confirmed:
            self._set_active(info, False)

    def _set_active(self, info: UserInfo, active: bool) -> None:
        self._select_after_load = info.username
        self.ctx.submit(
            users.set_active,
            info.username,
            active,
            on_done=lambda _info: self.refresh(),
            on_error=lambda exc: show_error(self, exc),
            read_only=False,
        )
