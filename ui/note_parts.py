"""Pieces of the note screens: labels, the goals and risk-flag panels, section fields.

The labels come from ``casebook.services.notes`` (translated there with the
core's ``tr``); what is said about a note's state is worded here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QFocusEvent, QMouseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from casebook.services import notes
from casebook.services.notes import GoalAddressed, GoalMark, NoteDetail, NoteSummary

_CONTEXT = "Notes"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def local_time(moment: datetime | None) -> str:
    """A stored (UTC) moment in local time, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def kind_text(kind: str) -> str:
    return notes.kind_labels().get(kind, kind)


def mode_text(mode: str) -> str:
    return notes.mode_labels().get(mode, mode)


def flag_texts(flags: Sequence[str]) -> list[str]:
    labels = notes.risk_flag_labels()
    return [labels.get(flag, flag) for flag in flags]


def status_text(note: NoteSummary | NoteDetail) -> str:
    """Draft / Signed / Co-signed / Entered in error, as the list shows it."""
    if note.entered_in_error_at is not None:
        return _tr("Entered in error")
    if note.status != "signed":
        return _tr("Draft")
    if note.cosigned_at is not None:
        return _tr("Co-signed")
    return _tr("Signed")


class SectionEdit(QPlainTextEdit):
    """One structured field of a note (Goal, Intervention...).

    Tab moves on to the next field instead of typing a tab, so a whole note can be
    written from the keyboard; leaving the field is a moment to autosave.
    """

    focus_left = Signal()
    focus_entered = Signal()

    def __init__(self, key: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName(f"section_{key}")
        self.setAccessibleName(label)
        self.setTabChangesFocus(True)
        self.setPlaceholderText(label)
        line = self.fontMetrics().lineSpacing()
        self.setMinimumHeight(line * 3 + 12)
        # A few lines each, so that a whole GIRP note fits on a laptop screen; longer
        # text scrolls inside the field.
        self._preferred = QSize(200, line * 5 + 12)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:
        return self._preferred

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.focus_entered.emit()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.focus_left.emit()


class _ToggleLabel(QLabel):
    """A wrapped label that ticks its checkbox when clicked, like the box's own text."""

    def __init__(self, text: str, check: QCheckBox) -> None:
        super().__init__(text)
        self._check = check
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setBuddy(check)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._check.isEnabled():
            self._check.toggle()
        event.accept()


class GoalsPanel(QGroupBox):
    """Goals of the participant's recovery plan, each with a progress mark."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_tr("Goals addressed"), parent)
        self.setObjectName("goalsPanel")
        self._grid = QGridLayout()
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        self.empty = QLabel(_tr("No active recovery plan goals yet."))
        self.empty.setProperty("role", "hint")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        layout.addLayout(self._grid)
        self._rows: dict[int, tuple[QCheckBox, QComboBox]] = {}
        self._labels: list[QLabel] = []

    def set_goals(self, goals: Sequence[tuple[int, str, str]], marks: Sequence[GoalMark]) -> None:
        """*goals* as (goal id, domain label, statement); *marks* the note's own marks
        (a goal marked in a reopened draft stays listed even if the plan changed)."""
        for check, combo in self._rows.values():
            check.deleteLater()
            combo.deleteLater()
        for label in self._labels:
            label.deleteLater()
        self._rows = {}
        self._labels = []
        for row, (goal_id, domain, statement) in enumerate(goals):
            text = f"{statement} ({domain})" if domain else statement
            # The checkbox has no text of its own: long goals (in the participant's own
            # words) wrap in the label beside it instead of being cut off.
            check = QCheckBox()
            check.setObjectName(f"goal_{goal_id}")
            check.setAccessibleName(text)
            label = _ToggleLabel(text, check)
            combo = QComboBox()
            combo.setAccessibleName(_tr("Progress on: {goal}").format(goal=statement))
            for key, mark_label in notes.progress_mark_labels().items():
                combo.addItem(mark_label, key)
            combo.setCurrentIndex(max(0, combo.findData("no_change")))
            combo.setEnabled(False)
            check.toggled.connect(combo.setEnabled)
            check.toggled.connect(lambda _on: self.changed.emit())
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
            self._grid.addWidget(check, row, 0, Qt.AlignmentFlag.AlignTop)
            self._grid.addWidget(label, row, 1)
            self._grid.addWidget(combo, row, 2, Qt.AlignmentFlag.AlignTop)
            self._labels.append(label)
            self._rows[goal_id] = (check, combo)
        self.empty.setVisible(not self._rows)
        self.set_marks(marks)

    def set_marks(self, marks: Sequence[GoalMark]) -> None:
        wanted = {m.goal_id: m.mark for m in marks}
        for goal_id, (check, combo) in self._rows.items():
            check.blockSignals(True)
            combo.blockSignals(True)
            check.setChecked(goal_id in wanted)
            combo.setEnabled(goal_id in wanted)
            if goal_id in wanted:
                combo.setCurrentIndex(max(0, combo.findData(wanted[goal_id])))
            check.blockSignals(False)
            combo.blockSignals(False)

    def marks(self) -> tuple[GoalMark, ...]:
        return tuple(
            GoalMark(goal_id, str(combo.currentData()))
            for goal_id, (check, combo) in sorted(self._rows.items())
            if check.isChecked()
        )


def goal_rows(
    plan_goals: Sequence[tuple[int, str, str]], addressed: Sequence[GoalAddressed]
) -> list[tuple[int, str, str]]:
    """The plan's goals plus any goal a reopened draft marked that the plan no longer lists."""
    rows = list(plan_goals)
    known = {goal_id for goal_id, _d, _s in rows}
    rows += [(g.goal_id, g.domain, g.statement) for g in addressed if g.goal_id not in known]
    return rows


class RiskFlagsPanel(QGroupBox):
    """Risk flags, and the offer to start an urgent referral when one is set."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_tr("Risk flags"), parent)
        self.setObjectName("riskFlagsPanel")
        layout = QVBoxLayout(self)
        self.boxes: dict[str, QCheckBox] = {}
        for key, label in notes.risk_flag_labels().items():
            box = QCheckBox(label)
            box.setObjectName(f"risk_{key}")
            box.toggled.connect(self._toggled)
            layout.addWidget(box)
            self.boxes[key] = box
        self.urgent = QCheckBox(_tr("Start an urgent &referral after saving"))
        self.urgent.setObjectName("urgentReferral")
        self.urgent.setToolTip(
            _tr("Opens the Referrals tab for an urgent referral once the note is saved.")
        )
        self.urgent.hide()
        layout.addWidget(self.urgent)

    def _toggled(self, _on: bool) -> None:
        any_set = bool(self.flags())
        self.urgent.setVisible(any_set)
        if not any_set:
            self.urgent.setChecked(False)
        self.changed.emit()

    def flags(self) -> tuple[str, ...]:
        return tuple(key for key, box in self.boxes.items() if box.isChecked())

    def set_flags(self, flags: Sequence[str]) -> None:
        for key, box in self.boxes.items():
            box.blockSignals(True)
            box.setChecked(key in flags)
            box.blockSignals(False)
        self.urgent.setVisible(bool(self.flags()))


def hint_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "hint")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


__all__ = [
    "GoalsPanel",
    "RiskFlagsPanel",
    "SectionEdit",
    "flag_texts",
    "goal_rows",
    "hint_label",
    "kind_text",
    "local_time",
    "mode_text",
    "status_text",
]
