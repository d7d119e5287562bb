"""Pieces the referral, consent and directory screens share.

``FormDialog`` is the scrolling cousin of the participant dialogs' short forms (both
are ``ui.form_dialog.FieldFormDialog``s): the consent and referral forms have a dozen
fields and must still fit a 1366×768 screen, so the fields sit in a scroll area while
the messages and buttons stay in view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from casebook.services import consents
from ui.context import AppContext
from ui.form_dialog import FieldFormDialog
from ui.form_parts import sentence
from ui.theme import flag_colors
from ui.workspace import ListModel

R = TypeVar("R")

#: Areas announced through ``AppContext.notify``.
AREA_REFERRAL = "referral"
AREA_CONSENT = "consent"
AREA_DIRECTORY = "directory"


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReferralParts", text)


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def local_day(moment: datetime | None) -> str:
    """A stored UTC time as the local calendar day."""
    return moment.astimezone().date().isoformat() if moment else ""


def local_time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def date_problem(text: str, *, required: bool, what: str) -> str:
    """A message when *text* is not a YYYY-MM-DD date (or is empty but required)."""
    if not text:
        return _tr("{what} is missing (YYYY-MM-DD)").format(what=what) if required else ""
    try:
        date.fromisoformat(text)
    except ValueError:
        return _tr("'{text}' is not a date; write it as YYYY-MM-DD").format(text=text[:20])
    return ""


def compact_combo(combo: QComboBox, chars: int = 24) -> QComboBox:
    """A combo box that does not demand the width of its longest item (long names)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    return combo


def text_box(lines: int = 3) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setTabChangesFocus(True)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


def value_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


class FactsPanel(QFrame):
    """A card of caption/value rows for the selected item (directory entry, consent...)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.box_layout = layout = QVBoxLayout(self)
        self.title = QLabel(title)
        self.title.setProperty("role", "subheading")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.title)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(self.form)
        self._values: dict[str, QLabel] = {}
        self._captions: dict[str, QLabel] = {}

    def add(self, key: str, caption: str) -> QLabel:
        label = QLabel(caption)
        label.setProperty("role", "hint")
        value = value_label()
        value.setAccessibleName(caption)
        self.form.addRow(label, value)
        # Captions stay level with the first line of a value that wraps.
        item = self.form.itemAt(self.form.rowCount() - 1, QFormLayout.ItemRole.LabelRole)
        if item is not None:
            item.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._values[key] = value
        self._captions[key] = label
        return value

    def set(self, key: str, text: str) -> None:
        self._values[key].setText(text or "—")

    def value(self, key: str) -> str:
        return self._values[key].text()

    def show_row(self, key: str, visible: bool) -> None:
        self._values[key].setVisible(visible)
        self._captions[key].setVisible(visible)

    def clear(self, title: str) -> None:
        self.title.setText(title)
        for label in self._values.values():
            label.setText("—")


class FlaggedListModel(ListModel[R]):
    """A read-only table whose rows may carry a flag kind (``ui.theme.FLAG_NAMES``):
    the flagged column is drawn in that flag's colour, and its tooltip says why."""

    def __init__(
        self,
        titles: Callable[[], Sequence[str]],
        columns: Sequence[Callable[[R], str]],
        flag: Callable[[R], tuple[int, str] | None],
        parent: Any = None,
    ) -> None:
        super().__init__(titles, columns, parent)
        self._flag = flag

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            if not 0 <= index.row() < self.rowCount():
                return None
            flagged = self._flag(self.row_at(index.row()))
            if flagged is not None and flagged[0] == index.column():
                colour: QColor = flag_colors(QApplication.palette())[flagged[1]]
                return colour
            return None
        return super().data(index, role)


class CategoryChecks(QWidget):
    """One tick box per information category, with the long description as tooltip."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(16)
        self.boxes: dict[str, QCheckBox] = {}
        descriptions = consents.category_descriptions()
        for position, (code, label) in enumerate(consents.category_labels().items()):
            box = QCheckBox(sentence(label))
            box.setToolTip(descriptions.get(code, ""))
            box.toggled.connect(lambda _on: self.changed.emit())
            grid.addWidget(box, position // 2, position % 2)
            self.boxes[code] = box

    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, box in self.boxes.items() if box.isChecked())

    def set_codes(self, codes: Iterable[str]) -> None:
        wanted = set(codes)
        for code, box in self.boxes.items():
            box.setChecked(code in wanted)

    def limit_to(self, allowed: Iterable[str] | None) -> None:
        """Mark the categories a chosen consent does not cover (None: no consent chosen)."""
        allowed_set = None if allowed is None else set(allowed)
        for code, box in self.boxes.items():
            covered = allowed_set is None or code in allowed_set
            box.setProperty("uncovered", not covered)
            text = consents.category_descriptions().get(code, "")
            if not covered:
                text += "\n" + _tr("The chosen consent does not cover this.")
            box.setToolTip(text)


class FormDialog(FieldFormDialog):
    """The long kind of ``FieldFormDialog``: the fields sit in a scroll area while the
    intro, the messages and the buttons stay in view, and Save stays available (pressing
    it with something missing shows every message and scrolls to the first).

    Subclasses add fields with ``add_field`` and provide ``values``, ``_check`` and
    ``_call``; ``_after_save`` announces the change.
    """

    keep_save_enabled = True

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, title, parent)
        # The intro wraps to the dialog's width instead of widening it, and can be copied.
        self.intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.intro.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        body = QWidget()
        column = QVBoxLayout(body)
        column.addLayout(self.form)
        # Spare height goes below the fields, not between a field and its message.
        column.addStretch(1)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(body)
        self.outer = layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.general_message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 90)

    def add_section(self, title: str) -> None:
        label = QLabel(title)
        label.setProperty("role", "subheading")
        self.form.addRow(label)

    def finish_setup(self) -> None:
        super().finish_setup()
        # Wide enough for a counselor's full name and organisation, short enough for
        # a 1366×768 screen; the fields scroll when there are many.
        char = self.fontMetrics().averageCharWidth()
        body = self.scroll_area.widget().sizeHint().height()
        available = self.screen().availableGeometry().height() - 80
        self.resize(
            max(self.minimumWidth(), min(char * 110, 980)),
            max(min(body + 160, 700, available), 240),
        )

    def _show_all_problems(self) -> None:
        super()._show_all_problems()
        for name, message in self._messages.items():
            if message.text():
                self._inputs[name].setFocus(Qt.FocusReason.OtherFocusReason)
                self.scroll_area.ensureWidgetVisible(self._inputs[name])
                break

    def show_service_errors(self, field_errors: Mapping[str, str]) -> None:
        super().show_service_errors(field_errors)
        for name in self._messages:
            if name in self._service_errors:
                self.scroll_area.ensureWidgetVisible(self._inputs[name])
                break


__all__ = [
    "AREA_CONSENT",
    "AREA_DIRECTORY",
    "AREA_REFERRAL",
    "CategoryChecks",
    "FactsPanel",
    "FlaggedListModel",
    "FormDialog",
    "compact_combo",
    "date_problem",
    "day",
    "local_day",
    "local_time",
    "text_box",
    "value_label",
]
