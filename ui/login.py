"""Signing in: the login dialog, the first-run administrator, and password changes.

Every password check runs on the write worker (Argon2 is slow on purpose, and a
failed attempt is written to the audit log and the failure counter). The pause
after a failed attempt is taken on the worker *after* the unit of work has
committed, so it never holds the database's write lock while it waits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import ValidationError
from casebook.security.actor import Actor
from casebook.security.passwords import MIN_PASSWORD_LENGTH
from ui.context import AppContext
from ui.form_parts import (
    FieldMessage,
    busy_bar,
    field_column,
    heading,
    info_box,
    ntr,
    password_edit,
    show_field_errors,
    wrap_anywhere,
)
from ui.icons import icon
from ui.messages import describe
from ui.settings import Settings, settings
from ui.tasks import Progress, TaskHandle

#: The password of every account in a ``--demo`` database.
DEMO_PASSWORD = "casebook-demo"
#: The demo accounts the login screen suggests (``AppContext.demo_logins``).
DEMO_LOGINS: tuple[str, ...] = ("peer1", "supervisor", "admin")

Sleep = Callable[[float], None]


def _tr(text: str) -> str:
    return QCoreApplication.translate("login", text)


def password_rules_text() -> str:
    return _tr(
        "At least {n} characters. A few unrelated words make a password that is easy "
        "to remember and hard to guess. Do not use your name or username."
    ).format(n=MIN_PASSWORD_LENGTH)


if TYPE_CHECKING:
    from casebook.services.users import LoginOutcome


def _users() -> Any:
    """The accounts service, imported on first use (on the worker that signs in): it
    brings the ORM models, which the login window does not need to be shown. The app
    starts loading it in the background once the window is up (``preload_services``)."""
    from casebook.services import users

    return users


def preload_services() -> None:
    """Import the accounts service (and the models) while the person types."""
    _users()


def authenticate_later(ctx: AppContext, username: str, password: str, sleep: Sleep) -> Any:
    """The worker function for a sign-in: check, commit, then take the failure pause."""

    def work(_progress: Progress) -> LoginOutcome:
        pauses: list[float] = []
        outcome = ctx.call_anonymous(_users().authenticate, username, password, sleep=pauses.append)
        if pauses:
            sleep(sum(pauses))
        return outcome

    return work


class _PasswordPair:
    """New password + repeat, checked as you type where that is cheap."""

    def __init__(self, parent: QWidget, new_label: str, repeat_label: str) -> None:
        self.new = password_edit(new_label, parent)
        self.repeat = password_edit(repeat_label, parent)
        self.new_message = FieldMessage(self.new, parent)
        self.repeat_message = FieldMessage(self.repeat, parent)
        self.new.textChanged.connect(self._check_length)
        self.new.textChanged.connect(self._check_match)
        self.repeat.textChanged.connect(self._check_match)
        self.repeat.editingFinished.connect(lambda: self._check_match(final=True))

    def _check_length(self) -> None:
        missing = MIN_PASSWORD_LENGTH - len(self.new.text())
        if not self.new.text():
            self.new_message.clear_message()
        elif missing > 0:
            self.new_message.show_hint(ntr("login", "%n more character(s) needed", missing))
        else:
            self.new_message.show_hint(_tr("Long enough."))

    def _check_match(self, *_args: object, final: bool = False) -> None:
        first, second = self.new.text(), self.repeat.text()
        if not second:
            self.repeat_message.clear_message()
        elif first == second:
            self.repeat_message.show_hint(_tr("The passwords match."))
        elif final or len(second) >= len(first):
            self.repeat_message.show_error(_tr("The two passwords are not the same."))
        else:
            self.repeat_message.clear_message()

    def check(self) -> bool:
        """The cheap checks before asking the service; False shows what is wrong."""
        ok = True
        if len(self.new.text()) < MIN_PASSWORD_LENGTH:
            self.new_message.show_error(
                _tr("Use at least {n} characters.").format(n=MIN_PASSWORD_LENGTH)
            )
            ok = False
        if self.new.text() != self.repeat.text():
            self.repeat_message.show_error(_tr("The two passwords are not the same."))
            ok = False
        return ok


class _WorkerDialog(QDialog):
    """A dialog whose main button starts one worker task and waits for it."""

    def __init__(self, ctx: AppContext, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._handle: TaskHandle[Any] | None = None
        self._busy_widgets: list[QWidget] = []
        self.busy = busy_bar(self)
        self.general_message = QLabel(self)
        self.general_message.setProperty("role", "field-error")
        self.general_message.setWordWrap(True)
        self.general_message.setTextFormat(Qt.TextFormat.PlainText)
        self.general_message.setObjectName("generalMessage")
        self.general_message.hide()

    @property
    def is_busy(self) -> bool:
        return self._handle is not None

    def set_busy(self, busy: bool) -> None:
        for widget in self._busy_widgets:
            widget.setEnabled(not busy)
        self.busy.setVisible(busy)
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()

    def start(self, handle: TaskHandle[Any]) -> None:
        self._handle = handle
        self.set_busy(True)
        handle.finished.connect(self._task_finished)

    def _task_finished(self) -> None:
        self._handle = None
        self.set_busy(False)

    def reject(self) -> None:
        # Closing while a check runs drops its result; the attempt itself is still recorded.
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.reject()
        event.accept()


class LoginDialog(_WorkerDialog):
    """Username and password, checked on a worker; the outcome stays in the dialog.

    ``signed_in(actor)`` is emitted (and the dialog accepted) once the password
    is right and, if the administrator set a temporary password, a new one has
    been chosen. The caller decides what signing in means (``ctx.set_actor``).
    """

    signed_in = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        prefs: Settings | None = None,
        title: str | None = None,
        intro: str | None = None,
        username: str | None = None,
        cancel_text: str | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("loginDialog")
        self._prefs = prefs if prefs is not None else settings()
        self._sleep = sleep
        self._actor: Actor | None = None
        self._password_change: ChangePasswordDialog | None = None
        self.setWindowTitle(title or self.tr("Sign in to Casebook"))
        self.setWindowIcon(icon("heart-handshake"))

        top = QHBoxLayout()
        logo = QLabel(self)
        logo.setPixmap(icon("heart-handshake").pixmap(40, 40))
        logo.setAccessibleName(self.tr("Casebook"))
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(heading(title or self.tr("Casebook"), self))
        self.intro = QLabel(intro or self.tr("Sign in with your own staff account."), self)
        self.intro.setWordWrap(True)
        self.intro.setProperty("role", "hint")
        titles.addWidget(self.intro)
        top.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(titles, 1)

        self.demo_box: QFrame | None = None
        if ctx.demo_logins:
            logins = " / ".join(ctx.demo_logins)
            self.demo_box = info_box(
                self.tr(
                    "This is a demo database with made-up people; it is deleted when you "
                    "quit.\nSign in as {logins} — password {password}"
                ).format(logins=logins, password=DEMO_PASSWORD),
                "info",
                self,
            )
            self.demo_box.setObjectName("demoLogins")

        self.username = QLineEdit(self)
        self.username.setAccessibleName(self.tr("Username"))
        self.username.setMaxLength(64)
        self.username.setMinimumWidth(260)
        self.password = password_edit(self.tr("Password"), self)
        initial = username if username is not None else self._prefs.last_username
        self.username.setText(initial)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        user_label = QLabel(self.tr("&Username"), self)
        user_label.setBuddy(self.username)
        password_label = QLabel(self.tr("&Password"), self)
        password_label.setBuddy(self.password)
        form.addRow(user_label, self.username)
        form.addRow(password_label, self.password)

        self.error = self.general_message
        self.error.setObjectName("loginError")
        self.error.setAccessibleName(self.tr("Sign-in problem"))

        location = ctx.db.location.describe()
        self.database_label = QLabel(
            wrap_anywhere(self.tr("Database: {location}").format(location=location)), self
        )
        self.database_label.setObjectName("databaseLocation")
        self.database_label.setProperty("role", "hint")
        self.database_label.setWordWrap(True)
        self.database_label.setToolTip(location)
        self.database_label.setAccessibleName(
            self.tr("Database: {location}").format(location=location)
        )

        self.buttons = QDialogButtonBox(self)
        self.sign_in_button = QPushButton(icon("log-in"), self.tr("&Sign in"), self)
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setAutoDefault(True)
        self.buttons.addButton(self.sign_in_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(
            cancel_text or self.tr("Quit"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.addLayout(top)
        if self.demo_box is not None:
            layout.addWidget(self.demo_box)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(self.database_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._busy_widgets = [self.username, self.password, self.sign_in_button]

        self.setTabOrder(self.username, self.password)
        self.setTabOrder(self.password, self.sign_in_button)
        self.setTabOrder(self.sign_in_button, self.cancel_button)
        self.setMinimumWidth(440)
        (self.password if initial else self.username).setFocus()

    @property
    def actor(self) -> Actor | None:
        """Who signed in, once the dialog has been accepted."""
        return self._actor

    def show_failure(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.password.setAccessibleDescription(text)

    def submit(self) -> None:
        if self.is_busy:
            return
        username = self.username.text().strip()
        password = self.password.text()
        if not username:
            self.show_failure(self.tr("Type your username."))
            self.username.setFocus()
            return
        if not password:
            self.show_failure(self.tr("Type your password."))
            self.password.setFocus()
            return
        self.show_failure("")
        work = authenticate_later(self.ctx, username, password, self._sleep)
        self.start(
            self.ctx.runner.run_write(
                work, self._checked, self._failed, label=self.tr("Signing in")
            )
        )

    def _checked(self, outcome: LoginOutcome) -> None:
        if outcome.actor is None:
            self.show_failure(outcome.message)
            self.password.clear()
            self.password.setFocus()
            return
        self._prefs.last_username = outcome.actor.username
        if outcome.must_change_password:
            self._ask_new_password(outcome.actor)
            return
        self._finish(outcome.actor)

    def _failed(self, exc: BaseException) -> None:
        self.show_failure(describe(exc))
        self.password.setFocus()

    def _ask_new_password(self, actor: Actor) -> None:
        dialog = ChangePasswordDialog(
            self.ctx, actor, self, forced=True, current_password=self.password.text()
        )
        self._password_change = dialog
        dialog.accepted.connect(lambda: self._finish(actor))
        dialog.rejected.connect(self._password_change_refused)
        dialog.open()

    def _password_change_refused(self) -> None:
        self.password.clear()
        self.show_failure(self.tr("You need to choose your own password before you can continue."))
        self.password.setFocus()

    def _finish(self, actor: Actor) -> None:
        self._actor = actor
        self.password.clear()
        self.signed_in.emit(actor)
        self.accept()


class FirstRunDialog(_WorkerDialog):
    """First run on an empty database: create the administrator, then sign in as them."""

    signed_in = Signal(object)

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, *, prefs: Settings | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("firstRunDialog")
        self._prefs = prefs if prefs is not None else settings()
        self._actor: Actor | None = None
        self.setWindowTitle(self.tr("Welcome to Casebook"))
        self.setWindowIcon(icon("heart-handshake"))

        explanation = info_box(
            self.tr(
                "This database has no staff accounts yet. First create the administrator "
                "account. The administrator then creates accounts for the peer specialists "
                "and supervisors; an administrator manages accounts and does not read "
                "participant records."
            ),
            "shield-check",
            self,
        )

        self.username = QLineEdit(self)
        self.username.setAccessibleName(self.tr("Username"))
        self.username.setMaxLength(64)
        self.username.setPlaceholderText(self.tr("for example: admin"))
        self.display_name = QLineEdit(self)
        self.display_name.setAccessibleName(self.tr("Full name"))
        self.display_name.setMaxLength(200)
        self.passwords = _PasswordPair(self, self.tr("Password"), self.tr("Repeat the password"))
        self.password = self.passwords.new
        self.repeat = self.passwords.repeat
        self.username_message = FieldMessage(self.username, self)
        self.display_name_message = FieldMessage(self.display_name, self)
        self.password_message = self.passwords.new_message
        self.repeat_message = self.passwords.repeat_message
        self.username.textEdited.connect(self._username_edited)
        self._messages: dict[str, FieldMessage] = {
            "username": self.username_message,
            "display_name": self.display_name_message,
            "password": self.password_message,
        }

        rules = QLabel(password_rules_text(), self)
        rules.setObjectName("passwordRules")
        rules.setWordWrap(True)
        rules.setProperty("role", "hint")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for text, edit, message in (
            (self.tr("&Username"), self.username, self.username_message),
            (self.tr("&Full name"), self.display_name, self.display_name_message),
            (self.tr("&Password"), self.password, self.password_message),
            (self.tr("&Repeat password"), self.repeat, self.repeat_message),
        ):
            label = QLabel(text, self)
            label.setBuddy(edit)
            form.addRow(label, field_column(edit, message))
        form.addRow("", rules)

        self.buttons = QDialogButtonBox(self)
        self.create_button = QPushButton(icon("user-plus"), self.tr("&Create and sign in"), self)
        self.create_button.setDefault(True)
        self.buttons.addButton(self.create_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(
            self.tr("Quit"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.addWidget(heading(self.tr("Create the administrator account"), self))
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.general_message)
        layout.addWidget(self.busy)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._busy_widgets = [
            self.username,
            self.display_name,
            self.password,
            self.repeat,
            self.create_button,
        ]
        self.setTabOrder(self.username, self.display_name)
        self.setTabOrder(self.display_name, self.password)
        self.setTabOrder(self.password, self.repeat)
        self.setTabOrder(self.repeat, self.create_button)
        self.setTabOrder(self.create_button, self.cancel_button)
        self.setMinimumWidth(560)
        self.username.setFocus()

    @property
    def actor(self) -> Actor | None:
        return self._actor

    def _username_edited(self, text: str) -> None:
        if text != text.lower():
            self.username_message.show_hint(self.tr("Usernames are kept in lower case."))
        elif " " in text.strip():
            self.username_message.show_error(self.tr("A username has no spaces."))
        else:
            self.username_message.clear_message()

    def submit(self) -> None:
        if self.is_busy:
            return
        self.general_message.hide()
        for message in (self.username_message, self.display_name_message):
            if message.is_error:
                message.clear_message()
        if not self.username.text().strip():
            self.username_message.show_error(self.tr("Choose a username."))
            self.username.setFocus()
            return
        if not self.passwords.check():
            (self.repeat if self.repeat_message.is_error else self.password).setFocus()
            return
        username = self.username.text().strip().lower()
        display_name = self.display_name.text().strip()
        password = self.password.text()
        ctx = self.ctx

        def work(progress: Progress) -> LoginOutcome:
            ctx.call_anonymous(_users().create_first_admin, username, display_name, password)
            return authenticate_later(ctx, username, password, time.sleep)(progress)

        self.start(
            ctx.runner.run_write(
                work, self._created, self._refused, label=self.tr("Creating the administrator")
            )
        )

    def _created(self, outcome: LoginOutcome) -> None:
        actor = outcome.actor
        if actor is None:
            self.general_message.setText(outcome.message)
            self.general_message.show()
            return
        self._prefs.last_username = actor.username
        self._actor = actor
        self.signed_in.emit(actor)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        first = show_field_errors(exc, self._messages, self.general_message)
        if first is not None:
            first.setFocus()


class ChangePasswordDialog(_WorkerDialog):
    """Current password, new password twice; also forced after an administrator's reset."""

    def __init__(
        self,
        ctx: AppContext,
        actor: Actor,
        parent: QWidget | None = None,
        *,
        forced: bool = False,
        current_password: str | None = None,
    ) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("changePasswordDialog")
        self._actor = actor
        self._forced = forced
        self.setWindowTitle(self.tr("Change password"))
        self.setWindowModality(Qt.WindowModality.WindowModal)

        self.current = password_edit(self.tr("Current password"), self)
        self.current_message = FieldMessage(self.current, self)
        if current_password is not None:
            self.current.setText(current_password)
        self.passwords = _PasswordPair(
            self, self.tr("New password"), self.tr("Repeat the new password")
        )
        self.new = self.passwords.new
        self.repeat = self.passwords.repeat
        self._messages = {
            "current_password": self.current_message,
            "password": self.passwords.new_message,
        }

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.addWidget(heading(self.tr("Choose a new password"), self))
        if forced:
            layout.addWidget(
                info_box(
                    self.tr(
                        "{name}, an administrator gave you a temporary password. Choose "
                        "your own now; only you should know it."
                    ).format(name=actor.display_name),
                    "key",
                    self,
                )
            )
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        rows: list[tuple[str, QLineEdit, FieldMessage]] = []
        if current_password is None:
            rows.append((self.tr("C&urrent password"), self.current, self.current_message))
        else:
            self.current.hide()
        rows += [
            (self.tr("&New password"), self.new, self.passwords.new_message),
            (self.tr("&Repeat new password"), self.repeat, self.passwords.repeat_message),
        ]
        for text, edit, message in rows:
            label = QLabel(text, self)
            label.setBuddy(edit)
            form.addRow(label, field_column(edit, message))
        rules = QLabel(password_rules_text(), self)
        rules.setWordWrap(True)
        rules.setProperty("role", "hint")
        form.addRow("", rules)
        layout.addLayout(form)
        layout.addWidget(self.general_message)
        layout.addWidget(self.busy)
        layout.addStretch(1)

        self.buttons = QDialogButtonBox(self)
        self.save_button = QPushButton(icon("key"), self.tr("&Change password"), self)
        self.save_button.setDefault(True)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._busy_widgets = [self.current, self.new, self.repeat, self.save_button]
        first = self.new if current_password is not None else self.current
        if current_password is None:
            self.setTabOrder(self.current, self.new)
        self.setTabOrder(self.new, self.repeat)
        self.setTabOrder(self.repeat, self.save_button)
        self.setTabOrder(self.save_button, self.cancel_button)
        self.setMinimumWidth(520)
        first.setFocus()

    def submit(self) -> None:
        if self.is_busy:
            return
        self.general_message.hide()
        if self.current_message.is_error:
            self.current_message.clear_message()
        if not self.current.text():
            self.current_message.show_error(self.tr("Type your current password."))
            self.current.setFocus()
            return
        if not self.passwords.check():
            (self.repeat if self.passwords.repeat_message.is_error else self.new).setFocus()
            return
        actor, old, new = self._actor, self.current.text(), self.new.text()
        ctx = self.ctx

        def work(_progress: Progress) -> None:
            # The actor is given explicitly: a forced change happens before sign-in ends.
            ctx.call_anonymous(_users().change_password, actor, old, new)

        self.start(
            ctx.runner.run_write(
                work, self._changed, self._refused, label=self.tr("Changing the password")
            )
        )

    def _changed(self, _result: None) -> None:
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        first = show_field_errors(exc, self._messages, self.general_message)
        if isinstance(exc, ValidationError) and "current_password" in exc.field_errors:
            if self.current.isHidden():
                self.general_message.setText(exc.field_errors["current_password"])
                self.general_message.show()
            first = self.current if not self.current.isHidden() else self.new
        if first is not None:
            first.setFocus()
