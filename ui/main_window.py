"""The main window: navigation, pages, menus, status bar, locking and switching user.

Pages plug in through the ``PAGES`` registry (see ``PageSpec``). A page is any
QWidget made by ``factory(ctx, parent)``; it is created the first time it is
shown and thrown away when the signed-in user changes, so nothing one person
saw is left in the window for the next. A page that holds typed input may
offer two methods, and the window then asks before it closes or switches user:

* ``has_unsaved_changes() -> bool``
* ``save_drafts() -> None`` (raise a ``CasebookError`` if that is not possible)

A page opens a participant by emitting the window's ``open_participant`` signal
(``main_window_of(self).open_participant.emit(participant_id)``); whoever builds
the participant workspace connects to it and shows the workspace with
``show_extra_page``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from casebook.security.permissions import Actor
from casebook.services import session_events
from casebook.services.emergency import EmergencyGrant
from ui.audit_page import AuditPage, can_read_audit
from ui.backup_actions import BackupActions
from ui.caseload_model import forget_folded_names
from ui.context import AppContext
from ui.icons import icon
from ui.lock import MINUTE_MS, IdleWatcher, LockScreen, WindowCovers
from ui.login import ChangePasswordDialog, LoginDialog
from ui.messages import describe, show_error
from ui.settings import Settings, settings
from ui.shell_dialogs import AboutDialog, EmergencyAccessDialog
from ui.shortcuts import EMERGENCY_ACCESS, LOCK, MOVE_FOCUS, QUIT, SHORTCUT_LIST, Keys
from ui.shortcuts_window import ShortcutsWindow
from ui.staff_page import StaffPage, can_manage_accounts, local_time, role_title


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


def everyone(_actor: Actor) -> bool:
    return True


@dataclass(frozen=True)
class PageSpec:
    """One entry of the left-hand navigation.

    ``title`` is the English source text, marked with
    ``QT_TRANSLATE_NOOP("pages", ...)`` and translated when shown.
    ``shortcut`` is a ``QKeySequence`` string such as ``"Ctrl+1"`` ("" for none).
    """

    key: str
    title: str
    icon_name: str
    factory: Callable[[AppContext, QWidget], QWidget]
    visible: Callable[[Actor], bool] = everyone
    shortcut: str = ""

    def display_title(self) -> str:
        return QCoreApplication.translate("pages", self.title)


#: The pages of the window, in navigation order (ui/pages.py registers them; each page's
#: Ctrl+digit shortcut is in its PageSpec, and Help → Keyboard shortcuts lists them).
PAGES: list[PageSpec] = []

#: The page whose widget has ``open_participant(id)`` (the workspace host).
PARTICIPANT_PAGE = "participant"


def register_page(spec: PageSpec, *, before: str | None = None) -> None:
    """Add *spec* to ``PAGES`` (replacing one with the same key), before *before* if given."""
    PAGES[:] = [page for page in PAGES if page.key != spec.key]
    for position, page in enumerate(PAGES):
        if before is not None and page.key == before:
            PAGES.insert(position, spec)
            return
    PAGES.append(spec)


register_page(
    PageSpec(
        key="audit",
        title=str(QT_TRANSLATE_NOOP("pages", "Audit log")),
        icon_name="history",
        factory=lambda ctx, parent: AuditPage(ctx, parent),
        visible=can_read_audit,
        shortcut="Ctrl+7",
    )
)
register_page(
    PageSpec(
        key="staff",
        title=str(QT_TRANSLATE_NOOP("pages", "Staff accounts")),
        icon_name="users",
        factory=lambda ctx, parent: StaffPage(ctx, parent),
        visible=can_manage_accounts,
        shortcut="Ctrl+8",
    )
)


@runtime_checkable
class KeepsDrafts(Protocol):
    """What a page with typed input offers so that nothing is lost on close or switch."""

    def has_unsaved_changes(self) -> bool: ...

    def save_drafts(self) -> None: ...


def main_window_of(widget: QWidget) -> MainWindow | None:
    """The main window *widget* is shown in (for pages that emit its signals)."""
    current: QWidget | None = widget
    while current is not None:
        if isinstance(current, MainWindow):
            return current
        current = current.parentWidget()
    return None


#: Answers to the unsaved-work question.
SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


class MainWindow(QMainWindow):
    """Navigation on the left, the current page on the right, a lock screen over both."""

    #: A page or action asks to open a participant's workspace (participant id).
    open_participant = Signal(int)
    #: Another user is about to switch in: keep unsaved work as drafts now.
    about_to_switch = Signal()
    #: The window was locked (True) or unlocked (False).
    locked_changed = Signal(bool)
    #: Signed out and the sign-in that followed was cancelled: the program should end.
    session_ended = Signal()

    def __init__(
        self,
        ctx: AppContext,
        prefs: Settings | None = None,
        *,
        pages: list[PageSpec] | None = None,
        idle_minute_ms: int = MINUTE_MS,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.ctx = ctx
        self.prefs = prefs if prefs is not None else settings()
        self._specs = pages
        self._pages: dict[str, QWidget] = {}
        self._extra: dict[str, QWidget] = {}
        self._retired: list[QWidget] = []
        self._locked = False
        self._focus_before: QWidget | None = None
        self._dialog: QDialog | None = None
        #: Help ▸ Keyboard shortcuts, once opened (not modal; hidden when closed).
        self.shortcuts_window: ShortcutsWindow | None = None
        self._closing_confirmed = False
        #: Asked when there is unsaved work: returns SAVE, DISCARD or CANCEL.
        self.ask_unsaved: Callable[[str], str] = self._ask_unsaved
        demo = bool(ctx.demo_logins)
        self.setWindowTitle(self.tr("Casebook — demo database") if demo else self.tr("Casebook"))
        self.setWindowIcon(icon("heart-handshake"))

        self.nav = QListWidget(self)
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName(self.tr("Sections"))
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setSpacing(2)
        self.nav.setUniformItemSizes(True)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.currentRowChanged.connect(self._nav_row_changed)
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("pages")
        self._holder = QWidget(self)
        self._holder.hide()
        self._empty = QLabel(self.tr("Nothing to show for this account."), self.stack)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setProperty("role", "hint")
        self.stack.addWidget(self._empty)

        self.content = QWidget(self)
        self.content.setObjectName("content")
        content_layout = QHBoxLayout(self.content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.setSpacing(0)
        content_layout.addWidget(self.nav)
        content_layout.addWidget(self.stack, 1)

        self.lock_screen = LockScreen(ctx, self)
        self.lock_screen.unlocked.connect(self._unlocked)
        self.lock_screen.about_to_switch.connect(self.switch_user_from_lock)
        self.covers = WindowCovers(ctx, self)
        self.covers.unlocked.connect(self._unlocked)
        self.screens = QStackedWidget(self)
        self.screens.addWidget(self.content)
        self.screens.addWidget(self.lock_screen)
        self.setCentralWidget(self.screens)

        self.idle = IdleWatcher(self.prefs.idle_lock_minutes, self, minute_ms=idle_minute_ms)
        self.idle.idle.connect(lambda: self.lock("idle"))
        self.prefs.changed.connect(self._preference_changed)

        self._make_actions()
        self._make_menus()
        self._make_status_bar()
        ctx.actor_changed.connect(self._actor_changed)
        ctx.runner.failed.connect(self._task_failed)
        self.open_participant.connect(self._open_participant)
        self._following = True
        self._restore_layout()
        if ctx.signed_in:
            self._actor_changed(ctx.actor)

    # -- building ------------------------------------------------------------------------

    def _action(
        self, text: str, icon_name: str | None, slot: Callable[[], Any], shortcut: Keys = ""
    ) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut != "":
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        self.act_lock = self._action(self.tr("&Lock"), "lock", self.lock, LOCK)
        self.act_switch = self._action(self.tr("S&witch user…"), "users", self.switch_user)
        self.act_sign_out = self._action(self.tr("Sign &out"), "log-out", self.sign_out)
        self.act_quit = self._action(self.tr("&Quit"), None, self.close, QUIT)
        self.act_quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.act_change_password = self._action(
            self.tr("&Change password…"), "key", self.change_password
        )
        self.act_emergency = self._action(
            self.tr("&Emergency access…"), "triangle-alert", self.emergency_access, EMERGENCY_ACCESS
        )
        self.act_about = self._action(self.tr("&About Casebook"), "info", self.about)
        self.act_about.setMenuRole(QAction.MenuRole.AboutRole)
        self.act_shortcuts = self._action(
            self.tr("&Keyboard shortcuts"), None, self.show_shortcuts, SHORTCUT_LIST
        )
        self.act_focus = self._action(
            self.tr("Move between &sections and page"), None, self._toggle_focus, MOVE_FOCUS
        )
        self._page_actions: list[QAction] = []

    def _make_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu(self.tr("&File"))
        self.file_menu.addAction(self.act_lock)
        self.file_menu.addAction(self.act_switch)
        self.file_menu.addAction(self.act_sign_out)
        self.file_menu.addSeparator()
        self.backups = BackupActions(self)
        for action in self.backups.actions():
            self.file_menu.addAction(action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.act_quit)
        self.go_menu = bar.addMenu(self.tr("&Go"))
        self.account_menu = bar.addMenu(self.tr("&Account"))
        self.account_menu.addAction(self.act_change_password)
        self.account_menu.addSeparator()
        self.account_menu.addAction(self.act_lock)
        self.help_menu = bar.addMenu(self.tr("&Help"))
        self.help_menu.addAction(self.act_shortcuts)
        self.help_menu.addAction(self.act_about)

    def _rebuild_go_menu(self, specs: list[PageSpec]) -> None:
        for action in self._page_actions:
            self.removeAction(action)
            action.deleteLater()
        self._page_actions = []
        self.go_menu.clear()
        for spec in specs:
            action = self._action(
                spec.display_title(),
                spec.icon_name,
                functools.partial(self.show_page, spec.key, focus=True),
                spec.shortcut,
            )
            self._page_actions.append(action)
            self.go_menu.addAction(action)
        self.go_menu.addSeparator()
        self.go_menu.addAction(self.act_emergency)
        self.go_menu.addAction(self.act_focus)

    def _make_status_bar(self) -> None:
        bar = self.statusBar()
        self.user_label = QLabel(self)
        self.user_label.setObjectName("statusUser")
        self.role_label = QLabel(self)
        self.role_label.setObjectName("statusRole")
        self.database_label = QLabel(self)
        self.database_label.setObjectName("statusDatabase")
        self.database_label.setProperty("role", "hint")
        location = self.ctx.db.location.describe()
        self.database_label.setToolTip(location)
        self.database_label.setAccessibleName(self.tr("Database: {0}").format(location))
        metrics = self.database_label.fontMetrics()
        self.database_label.setText(metrics.elidedText(location, Qt.TextElideMode.ElideMiddle, 420))
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.role_label)
        bar.addPermanentWidget(self.database_label)

    def _restore_layout(self) -> None:
        geometry = self.prefs.window_geometry()
        if geometry.isEmpty() or not self.restoreGeometry(geometry):
            screen = QApplication.primaryScreen()
            available = screen.availableGeometry() if screen is not None else None
            if available is not None:
                self.resize(
                    min(1400, int(available.width() * 0.9)),
                    min(900, int(available.height() * 0.9)),
                )
            else:
                self.resize(1280, 800)
        state = self.prefs.window_state()
        if not state.isEmpty():
            self.restoreState(state)

    def _save_layout(self) -> None:
        self.prefs.set_window_geometry(self.saveGeometry())
        self.prefs.set_window_state(self.saveState())

    # -- pages ---------------------------------------------------------------------------

    def page_specs(self) -> list[PageSpec]:
        """The registered pages the signed-in user may see, in order."""
        if not self.ctx.signed_in:
            return []
        actor = self.ctx.actor
        return [spec for spec in (self._specs or PAGES) if spec.visible(actor)]

    def page(self, key: str) -> QWidget | None:
        """The page *key* if it has been created (extra pages included)."""
        return self._pages.get(key) or self._extra.get(key)

    def pages(self) -> list[QWidget]:
        return [*self._pages.values(), *self._extra.values()]

    def current_page_key(self) -> str | None:
        current = self.stack.currentWidget()
        for key, widget in (*self._pages.items(), *self._extra.items()):
            if widget is current:
                return key
        return None

    def show_page(self, key: str, *, focus: bool = False) -> QWidget | None:
        """Show the registered page *key*, creating it on first use."""
        if self._locked:
            return None
        specs = self.page_specs()
        for row, spec in enumerate(specs):
            if spec.key != key:
                continue
            widget = self._pages.get(key)
            if widget is None:
                widget = self._create_page(spec)
                self._pages[key] = widget
                self.stack.addWidget(widget)
            self.stack.setCurrentWidget(widget)
            if self.nav.currentRow() != row:
                self.nav.blockSignals(True)
                self.nav.setCurrentRow(row)
                self.nav.blockSignals(False)
            if focus:
                self._focus_page(widget)
            return widget
        return None

    def _create_page(self, spec: PageSpec) -> QWidget:
        try:
            return spec.factory(self.ctx, self.stack)
        except Exception as exc:
            # A page that cannot be built must not take the window down with it.
            label = QLabel(describe(exc), self.stack)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            return label

    def show_extra_page(self, key: str, title: str, widget: QWidget) -> None:
        """Show a page that is not in the navigation (e.g. a participant's workspace).

        It stays in the window (and is asked about unsaved work) until
        ``close_extra_page`` or until the user changes.
        """
        old = self._extra.get(key)
        if old is not None and old is not widget:
            self._retire(old)
        self._extra[key] = widget
        widget.setWindowTitle(title)
        if self.stack.indexOf(widget) < 0:
            self.stack.addWidget(widget)
        self.stack.setCurrentWidget(widget)
        self.nav.blockSignals(True)
        self.nav.clearSelection()
        self.nav.setCurrentRow(-1)
        self.nav.blockSignals(False)

    def close_extra_page(self, key: str) -> None:
        widget = self._extra.pop(key, None)
        if widget is not None:
            self._retire(widget)
            if self.nav.count():
                self.nav.setCurrentRow(0)

    def _open_participant(self, participant_id: int) -> None:
        # The page holding workspaces (``ui.pages.PARTICIPANT_PAGE``) opens it.
        host = self.show_page(PARTICIPANT_PAGE)
        opener = getattr(host, "open_participant", None)
        if callable(opener):
            opener(participant_id)

    def _nav_row_changed(self, row: int) -> None:
        specs = self.page_specs()
        if 0 <= row < len(specs):
            self.show_page(specs[row].key)

    def _focus_page(self, widget: QWidget) -> None:
        candidate = widget.nextInFocusChain()
        while candidate is not None and candidate is not widget and widget.isAncestorOf(candidate):
            if (
                candidate.isVisible()
                and candidate.isEnabled()
                and candidate.focusPolicy() & Qt.FocusPolicy.TabFocus
            ):
                candidate.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return
            candidate = candidate.nextInFocusChain()
        widget.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _toggle_focus(self) -> None:
        if self.nav.hasFocus():
            current = self.stack.currentWidget()
            if current is not None:
                self._focus_page(current)
        else:
            self.nav.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _retire(self, widget: QWidget) -> None:
        # Tasks a page started may still deliver to it: keep it alive, out of sight,
        # until the workers are done, then delete it.
        self.stack.removeWidget(widget)
        widget.hide()
        widget.setParent(self._holder)
        self._retired.append(widget)
        if self.ctx.runner.active_count == 0:
            self._delete_retired()
        else:
            self.ctx.runner.idle.connect(
                self._delete_retired, Qt.ConnectionType.SingleShotConnection
            )

    def _delete_retired(self) -> None:
        retired, self._retired = self._retired, []
        for widget in retired:
            widget.deleteLater()

    def reset_pages(self) -> None:
        """Throw every page away and build the navigation for the signed-in user."""
        for widget in self.pages():
            self._retire(widget)
        self._pages.clear()
        self._extra.clear()
        self.nav.blockSignals(True)
        self.nav.clear()
        self.nav.blockSignals(False)
        specs = self.page_specs()
        for spec in specs:
            item = QListWidgetItem(icon(spec.icon_name), spec.display_title())
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            if spec.shortcut:
                item.setToolTip(
                    QKeySequence(spec.shortcut).toString(QKeySequence.SequenceFormat.NativeText)
                )
            item.setSizeHint(QSize(0, max(34, self.nav.fontMetrics().height() + 18)))
            self.nav.addItem(item)
        self._rebuild_go_menu(specs)
        widths = [self.nav.fontMetrics().horizontalAdvance(s.display_title()) for s in specs]
        self.nav.setFixedWidth(max(180, max(widths, default=0) + 64))
        self.nav.setVisible(bool(specs))
        if specs:
            self.show_page(specs[0].key)
        else:
            self.stack.setCurrentWidget(self._empty)

    # -- session -------------------------------------------------------------------------

    @property
    def is_locked(self) -> bool:
        return self._locked

    def _actor_changed(self, actor: Actor | None) -> None:
        self._close_shortcuts()
        self.reset_pages()
        signed_in = actor is not None
        for action in (
            self.act_lock,
            self.act_switch,
            self.act_sign_out,
            self.act_change_password,
        ):
            action.setEnabled(signed_in and not self._locked)
        self.act_emergency.setEnabled(
            actor is not None and actor.sees_clinical and not self._locked
        )
        self.backups.update_visibility()
        if actor is None:
            self.user_label.setText("")
            self.role_label.setText("")
            self.idle.stop()
            return
        self.user_label.setText(
            self.tr("Signed in: {name} ({username})").format(
                name=actor.display_name, username=actor.username
            )
        )
        self.role_label.setText(role_title(actor.role, actor.is_supervisor))
        if not self._locked:
            self.idle.start()

    def _preference_changed(self, name: str) -> None:
        if name == "idle_lock_minutes":
            self.idle.set_minutes(self.prefs.idle_lock_minutes)

    def _set_locked_actions(self, locked: bool) -> None:
        for action in (
            self.act_lock,
            self.act_sign_out,
            self.act_change_password,
            self.act_emergency,
            self.act_focus,
            self.act_shortcuts,
            *self._page_actions,
        ):
            action.setEnabled(not locked)
        if not locked and self.ctx.signed_in:
            self.act_emergency.setEnabled(self.ctx.actor.sees_clinical)
        if locked:
            # Before the lock covers other windows: a covered list would hold up switching user.
            self._close_shortcuts()
            for action in self.backups.actions():
                action.setEnabled(False)
        else:
            self.backups.update_visibility()
        self.go_menu.setEnabled(not locked)
        self.account_menu.setEnabled(not locked)

    def lock(self, reason: str = "manual") -> None:
        """Hide everything behind the lock screen; nothing beneath is closed or reset."""
        if self._locked or not self.ctx.signed_in:
            return
        actor = self.ctx.actor
        self._locked = True
        focus = QApplication.focusWidget()
        self._focus_before = focus if focus is not None and self.isAncestorOf(focus) else None
        self.idle.stop()
        self.lock_screen.prepare(actor)
        self.screens.setCurrentWidget(self.lock_screen)
        self._set_locked_actions(True)
        self.covers.cover(actor)
        if QApplication.activeModalWidget() is None:
            self.lock_screen.password.setFocus(Qt.FocusReason.OtherFocusReason)
        self.ctx.submit(
            session_events.lock_session,
            reason=reason if reason in session_events.LOCK_REASONS else "manual",
            on_done=None,
            on_error=self._background_failed,
            read_only=False,
            label=self.tr("Lock"),
        )
        self.locked_changed.emit(True)

    def _unlocked(self, actor: Actor) -> None:
        if not self._locked:
            return
        self._locked = False
        self.lock_screen.cancel()
        self.covers.remove_all()
        self.screens.setCurrentWidget(self.content)
        self._set_locked_actions(False)
        self.idle.start()
        focus = self._focus_before
        self._focus_before = None
        if focus is not None and self.isAncestorOf(focus) and focus.isVisible():
            focus.setFocus(Qt.FocusReason.OtherFocusReason)
        elif self.nav.isVisible():
            self.nav.setFocus(Qt.FocusReason.OtherFocusReason)
        self.locked_changed.emit(False)

    def _drafts_holders(self) -> list[KeepsDrafts]:
        holders: list[KeepsDrafts] = []
        for widget in self.pages():
            if isinstance(widget, KeepsDrafts):
                with contextlib.suppress(Exception):
                    if widget.has_unsaved_changes():
                        holders.append(widget)
        return holders

    def _save_all_drafts(self, holders: list[KeepsDrafts]) -> BaseException | None:
        for holder in holders:
            try:
                holder.save_drafts()
            except Exception as exc:
                return exc
        return None

    def _ask_unsaved(self, action: str) -> str:
        box = QMessageBox(self)
        box.setObjectName("unsavedQuestion")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Unsaved work"))
        box.setText(self.tr("Some of what you typed is not saved yet."))
        box.setInformativeText(
            self.tr("Keep it as a draft before you {action}?").format(action=action)
        )
        save = box.addButton(self.tr("&Save as draft"), QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton(self.tr("&Discard"), QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(save)
        box.setEscapeButton(cancel)
        box.exec()
        clicked = box.clickedButton()
        if clicked is save:
            return SAVE
        if clicked is discard:
            return DISCARD
        return CANCEL

    def may_leave(self, action: str) -> bool:
        """Ask about unsaved work before *action* ("close", "sign out"…); True to go on."""
        holders = self._drafts_holders()
        if not holders:
            return True
        if self._locked:
            # Whoever is at the keyboard now may not be the author: keep, never discard.
            error = self._save_all_drafts(holders)
            if error is not None:
                self.lock_screen.show_error(
                    self.tr(
                        "Unsaved work could not be kept as a draft ({reason}); unlock to "
                        "save or discard it first."
                    ).format(reason=describe(error))
                )
                return False
            return True
        answer = self.ask_unsaved(action)
        if answer == CANCEL:
            return False
        if answer == SAVE:
            error = self._save_all_drafts(holders)
            if error is not None:
                show_error(self, error, self.tr("Could not save the draft"))
                return False
        return True

    def switch_user(self) -> None:
        """File ▸ Switch user: lock first, so nothing shows behind the sign-in."""
        if not self.ctx.signed_in:
            return
        if not self._locked:
            if not self.may_leave(self.tr("switch user")):
                return
            self.lock("manual")
        self.switch_user_from_lock()

    def switch_user_from_lock(self) -> None:
        """Keep the signed-in user's unsaved work as drafts, then sign someone else in."""
        if not self._locked or not self.ctx.signed_in:
            return
        actor = self.ctx.actor
        self.about_to_switch.emit()
        if self.covers.covered:
            self.lock_screen.show_error(
                self.tr(
                    "Another Casebook window is open with {name}'s work. {name} needs to "
                    "unlock and close it before someone else signs in."
                ).format(name=actor.display_name)
            )
            return
        error = self._save_all_drafts(self._drafts_holders())
        if error is not None:
            self.lock_screen.show_error(
                self.tr(
                    "{name}'s unsaved work could not be kept as a draft ({reason}). {name} "
                    "needs to unlock and save or discard it first."
                ).format(name=actor.display_name, reason=describe(error))
            )
            return
        dialog = LoginDialog(
            self.ctx,
            self,
            prefs=self.prefs,
            title=self.tr("Switch user"),
            intro=self.tr(
                "Sign in as another staff member. Unsaved work of {name} has been kept as a draft."
            ).format(name=actor.display_name),
            username="",
            cancel_text=self.tr("Cancel"),
        )
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.signed_in.connect(self._switched)
        self._show_dialog(dialog)

    def _switched(self, new: Actor) -> None:
        old = self.ctx.actor
        if new.id == old.id:
            self._unlocked(new)
            return
        self.ctx.submit(
            session_events.sign_out,
            switched_to=new.username,
            on_done=None,
            on_error=self._background_failed,
            read_only=False,
        )
        self.ctx.set_actor(new)
        self._unlocked(new)
        self.statusBar().showMessage(
            self.tr("Signed in as {name}.").format(name=new.display_name), 8000
        )

    def sign_out(self, *, ask: bool = True) -> None:
        """Sign out and show the sign-in; cancelling it ends the program.

        *ask* is False when the caller already asked about unsaved work (a restore).
        """
        if self._locked or not self.ctx.signed_in:
            return
        if ask and not self.may_leave(self.tr("sign out")):
            return
        self.ctx.submit(
            session_events.sign_out,
            on_done=None,
            on_error=self._background_failed,
            read_only=False,
        )
        self.ctx.set_actor(None)
        forget_folded_names()
        self.hide()
        dialog = LoginDialog(self.ctx, None, prefs=self.prefs)
        dialog.signed_in.connect(self._signed_in_again)
        dialog.rejected.connect(self._login_cancelled)
        self._show_dialog(dialog)

    def _signed_in_again(self, actor: Actor) -> None:
        self.ctx.set_actor(actor)
        self.show()

    def _login_cancelled(self) -> None:
        self._closing_confirmed = True
        self.session_ended.emit()
        self.close()

    def _show_dialog(self, dialog: QDialog) -> None:
        self._dialog = dialog
        # A bound method, never a closure over the dialog: a lambda connected to the
        # dialog's own signal keeps a Python reference the dialog's deletion races
        # with, which corrupted PySide's heap in long sessions.
        dialog.finished.connect(self._dialog_finished)
        dialog.open()

    def _dialog_finished(self, _result: int) -> None:
        dialog = self.sender()
        if not isinstance(dialog, QDialog):
            return
        if self._dialog is dialog:
            self._dialog = None
        dialog.finished.disconnect(self._dialog_finished)
        dialog.deleteLater()

    @property
    def open_dialog(self) -> QDialog | None:
        """The dialog the window opened last and is waiting on (for tests and scripts)."""
        return self._dialog

    def change_password(self) -> None:
        if self._locked or not self.ctx.signed_in:
            return
        dialog = ChangePasswordDialog(self.ctx, self.ctx.actor, self)
        dialog.accepted.connect(
            lambda: self.statusBar().showMessage(self.tr("Your password was changed."), 8000)
        )
        self._show_dialog(dialog)

    def emergency_access(self) -> None:
        if self._locked or not self.ctx.signed_in or not self.ctx.actor.sees_clinical:
            return
        dialog = EmergencyAccessDialog(self.ctx, self)
        dialog.granted.connect(self._emergency_granted)
        self._show_dialog(dialog)

    def _emergency_granted(self, grant: EmergencyGrant) -> None:
        self.statusBar().showMessage(
            self.tr(
                "Emergency access to record {record} until {until}; recorded in the audit log."
            ).format(record=grant.record_number, until=local_time(grant.expires_at)),
            15_000,
        )
        self.ctx.notify("emergency_access", grant.participant_id)
        self.open_participant.emit(grant.participant_id)

    def about(self) -> None:
        self._show_dialog(AboutDialog(self.ctx, self))

    def show_shortcuts(self) -> None:
        """Help ▸ Keyboard shortcuts, listing the pages the signed-in person has."""
        if self._locked:
            return
        window = self.shortcuts_window
        if window is None:
            window = self.shortcuts_window = ShortcutsWindow(self.page_specs(), self)
        elif not window.isVisible():
            window.set_pages(self.page_specs())
        window.show()
        window.raise_()
        window.activateWindow()

    def _close_shortcuts(self) -> None:
        if self.shortcuts_window is not None:
            self.shortcuts_window.close()

    def _task_failed(self, text: str) -> None:
        self.statusBar().showMessage(text, 15_000)

    def _background_failed(self, exc: BaseException) -> None:
        self.statusBar().showMessage(describe(exc), 15_000)

    # -- closing -------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing_confirmed and not self.may_leave(self.tr("quit")):
            event.ignore()
            return
        self._closing_confirmed = False
        if self.isVisible():
            self._save_layout()
        self.idle.shutdown()
        if self.ctx.signed_in:
            self.ctx.submit(
                session_events.sign_out,
                on_done=None,
                on_error=self._background_failed,
                read_only=False,
            )
        # A closed window no longer follows the session (the context may outlive it).
        if self._following:
            self._following = False
            self.ctx.actor_changed.disconnect(self._actor_changed)
            self.ctx.runner.failed.disconnect(self._task_failed)
        event.accept()
