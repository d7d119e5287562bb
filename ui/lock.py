"""Auto-lock: idle detection, the lock screen, and covers for other open windows.

Locking hides the window's content behind ``LockScreen`` without closing or
resetting anything beneath it, so unsaved input is still there after the same
person unlocks. Every other window of the program that is open at that moment
(a dialog, a progress window) gets a ``LockScreen`` of its own laid over it, so
nothing of a record stays readable, and so a modal dialog, which blocks the main
window, can still be unlocked from where the keyboard is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from casebook.security.permissions import Actor
from casebook.services import session_events
from casebook.services.users import LoginOutcome
from ui.context import AppContext
from ui.form_parts import busy_bar, heading, password_edit
from ui.icons import icon
from ui.messages import describe
from ui.tasks import Progress, TaskHandle

MINUTE_MS = 60_000

# What counts as someone at the keyboard. Paint, timer and focus events do not:
# they happen on their own.
_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.HoverMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TabletPress,
        QEvent.Type.TabletMove,
    }
)


class IdleWatcher(QObject):
    """Emits ``idle`` once no keyboard or mouse input reached the program for a while.

    An application-wide event filter only notes the time of the last input; a
    single-shot timer wakes up when the limit could have been reached and checks.
    ``minute_ms`` is the length of a "minute" (tests use a few milliseconds).
    After ``idle`` the watcher stops until ``start`` is called again (on unlock).
    """

    idle = Signal()

    def __init__(
        self, minutes: int, parent: QObject | None = None, *, minute_ms: int = MINUTE_MS
    ) -> None:
        super().__init__(parent)
        self._minute_ms = minute_ms
        self._interval = max(1, minutes * minute_ms)
        self._since_input = QElapsedTimer()
        self._since_input.start()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._check)
        self._running = False
        self._app: QApplication | None = None

    @property
    def interval_ms(self) -> int:
        return self._interval

    @property
    def running(self) -> bool:
        return self._running

    def set_minutes(self, minutes: int) -> None:
        self._interval = max(1, minutes * self._minute_ms)
        if self._running:
            self._timer.start(max(0, self._interval - self._since_input.elapsed()))

    def start(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication) and self._app is None:
            app.installEventFilter(self)
            self._app = app
        self._running = True
        self._since_input.restart()
        self._timer.start(self._interval)

    def stop(self) -> None:
        self._running = False
        self._timer.stop()

    def shutdown(self) -> None:
        """Stop and take the event filter off the application."""
        self.stop()
        if self._app is not None:
            self._app.removeEventFilter(self)
            self._app = None

    def poke(self) -> None:
        """Count as input (for work that should keep the window open, e.g. a long export)."""
        self._since_input.restart()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS:
            self._since_input.restart()
        return False

    def _check(self) -> None:
        if not self._running:
            return
        remaining = self._interval - self._since_input.elapsed()
        if remaining > 0:
            self._timer.start(remaining)
            return
        self._running = False
        self.idle.emit()


class LockScreen(QWidget):
    """Who is signed in, a password field, Unlock, and "Switch user…".

    The same person unlocks with their password (a sign-in like any other:
    audited, and failures count towards the lockout). ``compact`` leaves out
    "Switch user…"; it is the version laid over other windows.
    """

    unlocked = Signal(object)
    about_to_switch = Signal()

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        compact: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setProperty("role", "lock-screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAutoFillBackground(True)
        self.ctx = ctx
        self._sleep = sleep
        self._actor: Actor | None = None
        self._handle: TaskHandle[Any] | None = None

        # A framed panel in the window colour rather than a "card" on the base colour:
        # the password field is drawn on the base colour and must stand out from it.
        card = QFrame(self)
        card.setObjectName("lockCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setFrameShadow(QFrame.Shadow.Raised)
        if not compact:
            card.setMaximumWidth(480)
            card.setMinimumWidth(380)

        picture = QLabel(card)
        picture.setPixmap(icon("lock").pixmap(28 if compact else 40, 28 if compact else 40))
        picture.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        picture.setAccessibleName(self.tr("Locked"))
        self.title = heading(self.tr("Casebook is locked"), card)
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.who = QLabel(card)
        self.who.setObjectName("lockedUser")
        self.who.setWordWrap(True)
        self.who.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.who.setTextFormat(Qt.TextFormat.PlainText)
        self.hint = QLabel(card)
        self.hint.setWordWrap(True)
        self.hint.setProperty("role", "hint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.hint.setText(
            self.tr("Unsaved work is kept. Type your password to continue.")
            if not compact
            else self.tr("Unsaved work is kept. Unlock here to continue.")
        )

        self.password = password_edit(self.tr("Password"), card)
        self.password.setObjectName("lockPassword")
        self.password.setPlaceholderText(self.tr("Password"))
        self.password.returnPressed.connect(self.submit)
        self.error = QLabel(card)
        self.error.setObjectName("lockError")
        self.error.setProperty("role", "field-error")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.error.hide()
        self.busy = busy_bar(card)

        self.unlock_button = QPushButton(icon("lock-open"), self.tr("&Unlock"), card)
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.submit)
        self.switch_button = QPushButton(icon("users"), self.tr("S&witch user…"), card)
        self.switch_button.setObjectName("switchUserButton")
        self.switch_button.clicked.connect(self.about_to_switch)
        self.switch_button.setVisible(not compact)

        buttons = QHBoxLayout()
        buttons.addWidget(self.switch_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)

        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 20)
        inner.setSpacing(6 if compact else 10)
        if compact:
            inner.addStretch(1)
        inner.addWidget(picture)
        inner.addWidget(self.title)
        inner.addWidget(self.who)
        inner.addWidget(self.hint)
        inner.addSpacing(4)
        inner.addWidget(self.password)
        inner.addWidget(self.error)
        inner.addWidget(self.busy)
        inner.addLayout(buttons)
        if compact:
            inner.addStretch(1)

        outer = QVBoxLayout(self)
        if compact:
            # Over a small dialog every pixel counts: the panel takes the whole window.
            inner.setContentsMargins(16, 10, 16, 10)
            outer.setContentsMargins(8, 8, 8, 8)
            outer.addWidget(card, 1)
        else:
            outer.addStretch(1)
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(card, 3)
            row.addStretch(1)
            outer.addLayout(row)
            outer.addStretch(2)

        self.setFocusProxy(self.password)
        self.setTabOrder(self.password, self.unlock_button)
        self.setTabOrder(self.unlock_button, self.switch_button)

    @property
    def actor(self) -> Actor | None:
        return self._actor

    @property
    def is_busy(self) -> bool:
        return self._handle is not None

    def set_actor(self, actor: Actor) -> None:
        self._actor = actor
        self.who.setText(
            self.tr("Signed in: {name} ({username})").format(
                name=actor.display_name, username=actor.username
            )
        )
        self.setAccessibleName(
            self.tr("Casebook is locked. Signed in: {name}").format(name=actor.display_name)
        )

    def prepare(self, actor: Actor) -> None:
        """Show a fresh form for *actor*: no old password, no old message."""
        self.cancel()
        self.set_actor(actor)
        self.password.clear()
        self.show_error("")

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.password.setAccessibleDescription(text)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.password.setEnabled(not busy)
        self.unlock_button.setEnabled(not busy)
        self.switch_button.setEnabled(not busy)
        self.busy.setVisible(busy)

    def submit(self) -> None:
        actor = self._actor
        if actor is None or self.is_busy:
            return
        password = self.password.text()
        if not password:
            self.show_error(self.tr("Type your password."))
            self.password.setFocus()
            return
        self.show_error("")
        ctx, sleep = self.ctx, self._sleep

        def work(_progress: Progress) -> LoginOutcome:
            pauses: list[float] = []
            outcome = ctx.call_anonymous(
                session_events.unlock_session, actor, password, sleep=pauses.append
            )
            if pauses:
                # After the commit: the pause must not hold the database's write lock.
                sleep(sum(pauses))
            return outcome

        handle = ctx.runner.run_write(work, self._checked, self._failed, label=self.tr("Unlock"))
        self._handle = handle
        handle.finished.connect(self._finished)
        self._set_busy(True)

    def _finished(self) -> None:
        self._handle = None
        self._set_busy(False)

    def _checked(self, outcome: LoginOutcome) -> None:
        self.password.clear()
        if outcome.actor is None:
            self.show_error(outcome.message)
            self.password.setFocus()
            return
        self.show_error("")
        self.unlocked.emit(outcome.actor)

    def _failed(self, exc: BaseException) -> None:
        self.show_error(describe(exc))
        self.password.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Nothing typed here may reach a covered window (Escape would close a dialog
        # and throw away what is in it).
        event.accept()


class _Cover(QObject):
    """A compact ``LockScreen`` laid over one other window, following its size."""

    def __init__(self, window: QWidget, screen: LockScreen) -> None:
        super().__init__(window)
        self.window = window
        self.screen = screen
        # Fields beneath stay as they are but cannot take focus or input meanwhile.
        self._disabled: list[QWidget] = []
        for child in window.findChildren(
            QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly
        ):
            if child is not screen and child.isEnabled() and not child.isWindow():
                child.setEnabled(False)
                self._disabled.append(child)
        # A window too small for the unlock form grows while it is covered.
        self._old_size = window.size()
        needed = screen.minimumSizeHint().expandedTo(screen.sizeHint())
        if needed.width() > window.width() or needed.height() > window.height():
            window.resize(window.size().expandedTo(needed))
        screen.setGeometry(window.rect())
        screen.show()
        screen.raise_()
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window:
            if event.type() == QEvent.Type.Resize:
                self.screen.setGeometry(self.window.rect())
            elif event.type() == QEvent.Type.Close:
                # Closing a covered dialog would discard the locked user's input.
                event.ignore()
                return True
        return False

    def remove(self) -> None:
        self.window.removeEventFilter(self)
        for child in self._disabled:
            child.setEnabled(True)
        if self.window.size() != self._old_size:
            self.window.resize(self._old_size)
        self.screen.cancel()
        self.screen.hide()
        self.screen.deleteLater()
        self.deleteLater()


class WindowCovers(QObject):
    """Lays a compact lock screen over every other visible window of the program."""

    unlocked = Signal(object)

    def __init__(self, ctx: AppContext, main_window: QWidget) -> None:
        super().__init__(main_window)
        self.ctx = ctx
        self._main = main_window
        self._covers: list[_Cover] = []

    @property
    def covered(self) -> list[QWidget]:
        """The windows covered now (deleted ones left out)."""
        return [
            cover.window
            for cover in self._covers
            if shiboken6.isValid(cover)
            and shiboken6.isValid(cover.window)
            and cover.window.isVisible()
        ]

    def cover(self, actor: Actor) -> None:
        QToolTip.hideText()
        while (popup := QApplication.activePopupWidget()) is not None:
            popup.close()
            if QApplication.activePopupWidget() is popup:
                break
        for window in QApplication.topLevelWidgets():
            if window is self._main or not window.isVisible() or not window.isWindow():
                continue
            if window.windowType() in (Qt.WindowType.ToolTip, Qt.WindowType.Popup):
                continue
            screen = LockScreen(self.ctx, window, compact=True)
            screen.prepare(actor)
            screen.unlocked.connect(self.unlocked)
            self._covers.append(_Cover(window, screen))
        active = QApplication.activeModalWidget()
        for cover in self._covers:
            if cover.window is active:
                cover.screen.password.setFocus()

    def remove_all(self) -> None:
        covers, self._covers = self._covers, []
        for cover in covers:
            # A covered progress window may have finished and been deleted meanwhile,
            # taking its cover with it.
            if shiboken6.isValid(cover) and shiboken6.isValid(cover.window):
                cover.remove()
