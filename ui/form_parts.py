"""Small building blocks shared by Casebook's forms and dialogs.

Messages under fields, a date field, info boxes, headings, a busy bar, a password
field, and text and translation helpers; the account dialogs, the lock screen, the
admin pages and the form dialogs use them so that the same things look and behave
the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from PySide6.QtCore import QCoreApplication, QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from casebook.errors import ValidationError
from ui.icons import icon
from ui.messages import describe


def _tr(text: str) -> str:
    return QCoreApplication.translate("forms", text)


def ntr(context: str, source: str, n: int) -> str:
    """``translate`` with a count, readable in English even without a catalogue.

    Sources are written "%n character(s)"; Qt substitutes %n, and until an English
    catalogue provides the plural forms the "(s)" is resolved here.
    """
    text = QCoreApplication.translate(context, source, None, n)
    if "(s)" in text:
        text = text.replace("(s)", "" if n == 1 else "s")
    return text


def wrap_anywhere(text: str) -> str:
    """Let a QLabel wrap a long path or URL after its separators (zero-width spaces)."""
    for separator in ("/", "\\", "-", "_", "."):
        text = text.replace(separator, separator + "\u200b")
    return text


def sentence(text: str) -> str:
    """Service messages are lower-case to fit into other sentences; a line starts upper."""
    return text[:1].upper() + text[1:] if text else ""


def plain_label(text: str) -> str:
    """A field's label without its mnemonic and colon: the field's accessible name."""
    return text.replace("&", "").rstrip(":")


def repolish(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property used by a rule changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


class FieldMessage(QLabel):
    """The line under a form field: a hint, or what is wrong with the value.

    An error also marks the field (``invalid`` property, red frame in the
    stylesheet) and becomes the field's accessible description, so a screen
    reader announces it with the field.
    """

    def __init__(self, field: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._field = field
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setProperty("role", "hint")
        self.hide()

    @property
    def is_error(self) -> bool:
        return not self.isHidden() and self.property("role") == "field-error"

    def show_error(self, text: str) -> None:
        self._show(text, "field-error")
        self._field.setProperty("invalid", True)
        self._field.setAccessibleDescription(text)
        repolish(self._field)

    def show_hint(self, text: str) -> None:
        self._show(text, "hint")
        self._unmark()

    def clear_message(self) -> None:
        self.setText("")
        self.hide()
        self._unmark()

    def _show(self, text: str, role: str) -> None:
        self.setText(text)
        if self.property("role") != role:
            self.setProperty("role", role)
            repolish(self)
        self.setVisible(bool(text))

    def _unmark(self) -> None:
        if self._field.property("invalid"):
            self._field.setProperty("invalid", False)
            self._field.setAccessibleDescription("")
            repolish(self._field)


def field_column(field: QWidget, message: QLabel, extra: QWidget | None = None) -> QWidget:
    """The field with its message underneath, for the right-hand column of a form."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    if extra is None:
        layout.addWidget(field)
    else:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(field, 1)
        row.addWidget(extra)
        layout.addLayout(row)
    layout.addWidget(message)
    return column


def show_field_errors(
    exc: BaseException, messages: Mapping[str, FieldMessage], general: QLabel
) -> QWidget | None:
    """Put a service's field messages next to their fields; the rest into *general*.

    Returns the first field with an error, for the caller to focus.
    """
    first: QWidget | None = None
    rest: list[str] = []
    if isinstance(exc, ValidationError):
        for name, text in exc.field_errors.items():
            message = messages.get(name)
            if message is None:
                rest.append(text)
                continue
            message.show_error(text)
            if first is None:
                first = message._field
    else:
        rest.append(describe(exc))
    general.setText("\n".join(rest))
    general.setVisible(bool(rest))
    return first


class DateField(QWidget):
    """A date typed as YYYY-MM-DD (quickest from the keyboard) or picked from a calendar.

    May be left empty. Up/Down move the date by a day; Alt+Down or F4 opens the calendar.
    The text is validated by the form's validator, not here, so the message the user
    sees comes from the same rules the service applies.
    """

    textChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line_edit = QLineEdit(self)
        self.line_edit.setPlaceholderText(self.tr("YYYY-MM-DD"))
        self.line_edit.setMaxLength(10)
        width = self.line_edit.fontMetrics().horizontalAdvance("0000-00-00") * 2
        self.line_edit.setMinimumWidth(width)
        self.line_edit.textChanged.connect(self.textChanged)
        self.line_edit.installEventFilter(self)
        # The calendar is built the first time it is opened: most dates are typed, and a
        # form with four date fields should not build four calendars to open.
        self._calendar: QCalendarWidget | None = None
        self._menu = QMenu(self)
        self._menu.aboutToShow.connect(self._prepare_calendar)
        self._button = QToolButton(self)
        self._button.setIcon(icon("calendar"))
        self._button.setToolTip(self.tr("Pick from a calendar (Alt+Down)"))
        self._button.setAccessibleName(self.tr("Calendar"))
        self._button.setMenu(self._menu)
        self._button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._button.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.line_edit, 1)
        layout.addWidget(self._button)
        self.setFocusProxy(self.line_edit)

    def text(self) -> str:
        return self.line_edit.text().strip()

    def setText(self, text: str) -> None:
        self.line_edit.setText(text)

    def set_date(self, value: date | None) -> None:
        self.line_edit.setText(value.isoformat() if value else "")

    def date(self) -> date | None:
        """The typed date, or None when empty or not a date."""
        try:
            return date.fromisoformat(self.text())
        except ValueError:
            return None

    def setAccessibleName(self, name: str) -> None:
        super().setAccessibleName(name)
        self.line_edit.setAccessibleName(name)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.line_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
            if key == Qt.Key.Key_F4 or (alt and key == Qt.Key.Key_Down):
                self._button.showMenu()
                return True
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not alt:
                current = self.date()
                if current is not None:
                    step = 1 if key == Qt.Key.Key_Up else -1
                    self.set_date(current + timedelta(days=step))
                    return True
        return super().eventFilter(watched, event)

    def _prepare_calendar(self) -> None:
        calendar = self._calendar
        if calendar is None:
            calendar = self._calendar = QCalendarWidget()
            calendar.setGridVisible(False)
            calendar.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
            calendar.clicked.connect(self._picked)
            calendar.activated.connect(self._picked)
            action = QWidgetAction(self._menu)
            action.setDefaultWidget(calendar)
            self._menu.addAction(action)
        current = self.date() or date.today()
        calendar.setSelectedDate(QDate(current.year, current.month, current.day))
        calendar.setFocus()

    def _picked(self, picked: QDate) -> None:
        self.set_date(date(picked.year(), picked.month(), picked.day()))
        self._menu.close()
        self.line_edit.setFocus()


def heading(text: str, parent: QWidget | None = None, role: str = "heading") -> QLabel:
    label = QLabel(text, parent)
    label.setProperty("role", role)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def info_box(text: str, icon_name: str = "info", parent: QWidget | None = None) -> QFrame:
    """A calm, bordered note with an icon (the demo logins, first-run explanations)."""
    frame = QFrame(parent)
    frame.setProperty("role", "card")
    layout = QHBoxLayout(frame)
    layout.setContentsMargins(10, 8, 10, 8)
    layout.setSpacing(10)
    picture = QLabel(frame)
    picture.setPixmap(icon(icon_name).pixmap(20, 20))
    picture.setAlignment(Qt.AlignmentFlag.AlignTop)
    picture.setAccessibleName(_tr("Information"))
    label = QLabel(text, frame)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setObjectName("infoText")
    layout.addWidget(picture)
    layout.addWidget(label, 1)
    return frame


def busy_bar(parent: QWidget | None = None) -> QProgressBar:
    """A thin indeterminate bar shown while a password is being checked."""
    bar = QProgressBar(parent)
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setMaximumHeight(6)
    bar.setAccessibleName(_tr("Checking the password"))
    bar.hide()
    return bar


def password_edit(accessible_name: str, parent: QWidget | None = None) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setAccessibleName(accessible_name)
    edit.setMaxLength(256)
    edit.setMinimumWidth(260)
    return edit
