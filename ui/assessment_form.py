"""Giving an instrument (BARC-10, PHQ-9, GAD-7): one screen of items, then the score.

Item texts and answer labels come from the instrument definition
(``casebook.measures.instrument_info``). Every item must be answered; Save says
which are missing. Keyboard: Tab moves between items, arrow keys between answers,
and typing an answer's number picks it and moves to the next item.

After saving, the form shows the total and its band; a PHQ-9 with an answer above
0 on item 9 shows the safety next steps (``assessments.safety_next_steps``) at
once, in a frame that cannot be missed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import ValidationError
from casebook.measures import instrument_info
from casebook.services import assessments
from casebook.services.assessments import AssessmentView
from ui import messages
from ui.context import AppContext
from ui.form_dialog import FieldMessage, SavingDialog, alive
from ui.form_parts import DateField
from ui.icons import icon
from ui.plan_forms import date_problem


def _tr(text: str) -> str:
    return QCoreApplication.translate("AssessmentForm", text)


def _plain(text: str, role: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if role:
        label.setProperty("role", role)
    return label


class _StepsToggle(QToolButton):
    """ "Show next steps" / "Hide next steps" for the folded safety prompt.

    A bound method on its own ``toggled`` signal: a closure over the button connected
    to the button's own signal is the pattern that corrupted PySide's heap here.
    """

    def __init__(self, body: QWidget) -> None:
        super().__init__()
        self._body = body
        self.setObjectName("safetyToggle")
        self.setCheckable(True)
        self.setText(_tr("Show next steps"))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toggled.connect(self._flip)

    def _flip(self, shown: bool) -> None:
        self._body.setVisible(shown)
        self.setText(_tr("Hide next steps") if shown else _tr("Show next steps"))


def safety_frame(
    note: QLabel | None = None,
    parent: QWidget | None = None,
    collapsed: bool = False,
    on_refer: Callable[[], None] | None = None,
) -> QFrame:
    """The prominent PHQ-9 item 9 prompt: title, *note* if given, the numbered next steps,
    and with *on_refer* a button that starts an urgent referral.

    *collapsed* starts with the steps folded behind a "Show next steps" button (the
    Assessments tab, where the prompt stays as long as the flag is recent).
    """
    frame = QFrame(parent)
    frame.setObjectName("safetyPrompt")
    frame.setProperty("role", "safety-banner")
    layout = QVBoxLayout(frame)
    layout.setSpacing(4)
    title = _plain(_tr(assessments.SAFETY_PROMPT_TITLE), "subheading")
    title.setProperty("flag", "safety")
    title.setStyleSheet("padding-top: 0px;")
    steps = assessments.safety_next_steps()
    text = "\n".join(f"{number}. {step}" for number, step in enumerate(steps, start=1))
    body = _plain(text)
    body.setObjectName("safetySteps")
    body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if collapsed:
        row = QHBoxLayout()
        row.addWidget(title, 1)
        toggle = _StepsToggle(body)
        row.addWidget(toggle)
        layout.addLayout(row)
        body.hide()
    else:
        layout.addWidget(title)
    if note is not None:
        layout.addWidget(note)
    layout.addWidget(body)
    if on_refer is not None:
        refer = QPushButton(icon("send"), _tr("Start an &urgent referral…"))
        refer.setObjectName("urgentReferral")
        refer.clicked.connect(lambda _c=False: on_refer())
        row = QHBoxLayout()
        row.addWidget(refer)
        row.addStretch(1)
        layout.addLayout(row)
    frame.setAccessibleName(_tr(assessments.SAFETY_PROMPT_TITLE))
    frame.setAccessibleDescription(text)
    return frame


def referral_reason(result: AssessmentView) -> str:
    """What an urgent referral started from this PHQ-9 says about why."""
    return _tr("PHQ-9 on {date}: thoughts of self-harm reported (item 9), total {total}").format(
        date=result.administered_at.astimezone().date().isoformat(), total=result.total
    )


class AssessmentDialog(SavingDialog):
    """Enter one administration of *code* for a participant, then show its score."""

    def __init__(
        self,
        ctx: AppContext,
        participant_id: int,
        code: str,
        parent: QWidget | None = None,
        on_refer: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(ctx, parent)
        self.info = info = instrument_info(code)
        self._participant_id = participant_id
        self.setObjectName("assessmentDialog")
        self.setWindowTitle(self.tr("New {code}").format(code=code))
        self.saved_result: AssessmentView | None = None
        #: Called with the saved AssessmentView.
        self.on_saved: Callable[[AssessmentView], None] | None = None
        self.groups: list[QButtonGroup] = []
        self.item_messages: list[FieldMessage] = []
        self._item_frames: list[QFrame] = []

        self.pages = QStackedWidget()
        entry = QWidget()
        entry_layout = QVBoxLayout(entry)
        entry_layout.setContentsMargins(0, 0, 0, 0)
        entry_layout.addWidget(_plain(info.title, "subheading"))
        entry_layout.addWidget(_plain(info.instructions))
        when_form = QFormLayout()
        self.given_on = DateField()
        self.given_on.set_date(date.today())
        self.given_on.setMaximumWidth(self.given_on.line_edit.minimumWidth() + 48)
        self.given_on.setAccessibleName(self.tr("Given on"))
        self.given_on_message = FieldMessage(self.given_on)
        self.given_on.textChanged.connect(lambda _t: self._check_date())
        when_label = QLabel(self.tr("&Given on:"))
        when_label.setBuddy(self.given_on)
        when_box = QWidget()
        when_layout = QVBoxLayout(when_box)
        when_layout.setContentsMargins(0, 0, 0, 0)
        when_layout.addWidget(self.given_on)
        when_layout.addWidget(self.given_on_message)
        when_form.addRow(when_label, when_box)
        entry_layout.addLayout(when_form)

        items = QWidget()
        items_layout = QVBoxLayout(items)
        for number, text in enumerate(info.item_texts, start=1):
            items_layout.addWidget(self._item(number, text))
        items_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(items)
        entry_layout.addWidget(scroll, 1)
        self.progress = _plain("", "hint")
        self.progress.setObjectName("answeredCount")
        self.missing = _plain("", "field-error")
        self.missing.setObjectName("missingItems")
        self.missing.hide()
        entry_layout.addWidget(self.progress)
        entry_layout.addWidget(self.missing)
        self.pages.addWidget(entry)

        result = QWidget()
        result_layout = QVBoxLayout(result)
        self.score_label = _plain("", "heading")
        self.score_label.setObjectName("scoreLabel")
        self.band_label = _plain("")
        self.band_label.setObjectName("bandLabel")
        self._on_refer = on_refer
        self.safety = safety_frame(on_refer=self._refer if on_refer is not None else None)
        result_layout.addWidget(self.score_label)
        result_layout.addWidget(self.band_label)
        result_layout.addWidget(self.safety)
        result_layout.addStretch(1)
        self.pages.addWidget(result)

        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.buttons)
        self._update_progress()
        self.resize(900, 700)

    # -- building ------------------------------------------------------------------------

    def _item(self, number: int, text: str) -> QFrame:
        frame = QFrame()
        frame.setObjectName(f"item{number}")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        question = _plain(f"{number}. {text}")
        question.setStyleSheet("font-weight: 600;")
        layout.addWidget(question)
        row = QHBoxLayout()
        group = QButtonGroup(frame)
        group.setExclusive(True)
        for value, label in self.info.options:
            button = QRadioButton(f"{value}  {label}")
            button.setAccessibleName(
                self.tr("Item {n}: {answer}").format(n=number, answer=f"{value} {label}")
            )
            group.addButton(button, value)
            row.addWidget(button)
        row.addStretch(1)
        group.idToggled.connect(lambda _id, checked, n=number: self._toggled(n, checked))
        layout.addLayout(row)
        message = FieldMessage(question)
        layout.addWidget(message)
        self.groups.append(group)
        self.item_messages.append(message)
        self._item_frames.append(frame)
        return frame

    # -- answers -------------------------------------------------------------------------

    def answers(self) -> list[int | None]:
        return [
            group.checkedId() if group.checkedButton() is not None else None
            for group in self.groups
        ]

    def set_answer(self, number: int, value: int) -> None:
        """Pick *value* for item *number* (1-based), as a click would."""
        button = self.groups[number - 1].button(value)
        if button is not None:
            button.setChecked(True)

    def missing_items(self) -> list[int]:
        return [n for n, answer in enumerate(self.answers(), start=1) if answer is None]

    def _toggled(self, number: int, checked: bool) -> None:
        if checked:
            self._answered(number)

    def _answered(self, number: int) -> None:
        self.item_messages[number - 1].set_message("")
        self._update_progress()

    def _update_progress(self) -> None:
        answers = [a for a in self.answers() if a is not None]
        self.progress.setText(
            self.tr("{done} of {all} answered · total so far {total}").format(
                done=len(answers), all=len(self.groups), total=sum(answers)
            )
        )
        if self.missing.isVisible() and not self.missing_items():
            self.missing.hide()

    def _check_date(self) -> str:
        problem = date_problem(self.given_on)
        given = self.given_on.date()
        if not problem and given is not None and given > date.today():
            problem = self.tr("the date is in the future; use the day the questions were answered")
        self.given_on_message.set_message(problem)
        return problem

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Typing an answer's number picks it and moves on: quickest from a paper form.
        focus = self.focusWidget()
        text = event.text()
        if isinstance(focus, QRadioButton) and text.isdigit() and self.pages.currentIndex() == 0:
            for index, group in enumerate(self.groups):
                if focus in group.buttons():
                    button = group.button(int(text))
                    if button is not None:
                        button.setChecked(True)
                        following = self.groups[index + 1] if index + 1 < len(self.groups) else None
                        target = (
                            following.checkedButton() or following.buttons()[0]
                            if following is not None
                            else self.save_button
                        )
                        target.setFocus(Qt.FocusReason.TabFocusReason)
                        return
        super().keyPressEvent(event)

    # -- SavingDialog -------------------------------------------------------------------

    def is_dirty(self) -> bool:
        return self.saved_result is None and any(a is not None for a in self.answers())

    def can_save(self) -> bool:
        return self.saved_result is None

    def _prepare_save(self) -> Callable[..., Any] | None:
        if self.saved_result is not None:
            return None
        missing = self.missing_items()
        date_problem_text = self._check_date()
        for number in missing:
            self.item_messages[number - 1].set_message(self.tr("answer this item"))
        if missing:
            self.missing.setText(
                self.tr("Answer every item before saving. Still missing: {items}.").format(
                    items=", ".join(str(n) for n in missing)
                )
            )
            self.missing.show()
            first = self.groups[missing[0] - 1].buttons()[0]
            first.setFocus(Qt.FocusReason.OtherFocusReason)
            return None
        if date_problem_text:
            self.given_on.setFocus(Qt.FocusReason.OtherFocusReason)
            return None
        values = [int(a) for a in self.answers() if a is not None]
        given = self.given_on.date()
        when: datetime | None = None
        if given is not None and given != date.today():
            # Midday local time on the day given: the day stays the day in any zone nearby.
            when = datetime.combine(given, time(12, 0)).astimezone().astimezone(UTC)
        participant_id, code = self._participant_id, self.info.code

        def call(session: Any, actor: Any) -> AssessmentView:
            return assessments.record_assessment(session, actor, participant_id, code, values, when)

        return call

    def _save_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            rest = []
            for key, text in exc.field_errors.items():
                if key.startswith("item "):
                    number = int(key.split()[1])
                    self.item_messages[number - 1].set_message(text)
                elif key == "administered_at":
                    self.given_on_message.set_message(text)
                else:
                    rest.append(text)
            if rest:
                self.missing.setText("\n".join(rest))
                self.missing.show()
            return
        messages.show_error(self, exc)

    def _save_done(self, result: Any) -> None:
        # Stay open on the result: the score, and the safety steps when flagged.
        if not alive(self):
            return
        self._set_saving(False)
        assert isinstance(result, AssessmentView)
        self.saved_result = result
        self.show_result(result)
        if self.on_saved is not None:
            self.on_saved(result)
        self.saved.emit(result)

    def _refer(self) -> None:
        """Close (the score is saved) and open the urgent referral form."""
        result, refer = self.saved_result, self._on_refer
        self.reject()
        if result is not None and refer is not None:
            refer(referral_reason(result))

    def show_result(self, result: AssessmentView) -> None:
        info = self.info
        self.score_label.setText(
            self.tr("{code}: {total} of {max}").format(
                code=info.code, total=result.total, max=info.max_total
            )
        )
        self.band_label.setText("\n".join((result.band_label, *result.flag_labels)))
        self.safety.setVisible(result.safety_flag)
        self.pages.setCurrentIndex(1)
        self.resize(self.width(), 460 if result.safety_flag else 260)
        self.save_button.hide()
        close = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if close is not None:
            close.setText(self.tr("Close"))
            close.setFocus()


__all__ = ["AssessmentDialog", "safety_frame"]
