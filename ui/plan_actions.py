"""The plan's life-cycle and progress dialogs: activate (with the participant's
agreement), rate progress on a goal, and the reason asked for "entered in error"
(shared with the Assessments tab)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from casebook.services import plan_editing, plans
from casebook.services.plan_editing import PlanFields, SupportInput
from casebook.services.plans import RATING_MAX, RATING_MIN, GoalView, PlanDetail
from ui.context import AppContext
from ui.form_parts import DateField
from ui.plan_forms import FormDialog, plain_text_edit


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    return form


def _intro(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def _finish(dialog: FormDialog, intro: QLabel, form: QFormLayout) -> None:
    layout = QVBoxLayout(dialog)
    layout.addWidget(intro)
    layout.addLayout(form)
    layout.addWidget(dialog.general)
    layout.addStretch(1)
    layout.addWidget(dialog.buttons)


def activate_with_agreement(
    session: Any,
    actor: Any,
    plan: PlanDetail,
    agreement_date: date | None,
    signed_on_paper: bool,
    review_date: date | None,
) -> PlanDetail:
    """Record the agreement on the draft and activate it, in one unit of work, so a
    refused activation leaves the draft as it was."""
    fields = PlanFields(
        strengths=plan.strengths,
        barriers=plan.barriers,
        triggers=plan.triggers,
        early_warning_signs=plan.early_warning_signs,
        coping_strategies=plan.coping_strategies,
        crisis_plan=plan.crisis_plan,
        supports=tuple(SupportInput(s.name, s.relationship, s.phone) for s in plan.supports),
        agreement_date=agreement_date,
        agreement_signed_on_paper=signed_on_paper,
        review_date=review_date,
    )
    updated = plan_editing.update_plan(
        session, actor, plan.id, fields, expected_version=plan.lock_version
    )
    return plans.activate_plan(session, actor, plan.id, expected_version=updated.lock_version)


class ActivateDialog(FormDialog):
    """Activate a draft: when the participant agreed, whether on paper, review date."""

    def __init__(self, ctx: AppContext, plan: PlanDetail, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "", parent)
        self.setWindowTitle(self.tr("Activate version {v}").format(v=plan.version))
        self.save_button.setText(self.tr("&Activate"))
        self._plan = plan
        intro = _intro(
            self.tr(
                "The plan becomes the participant's plan. The version active until now "
                "is kept, read-only, as it was agreed."
            )
        )
        form = _form()
        agreed = DateField()
        self.add_field(
            form,
            "agreement_date",
            self.tr("A&greed on:"),
            agreed,
            self.tr("The day the participant agreed to this plan."),
        )
        signed = QCheckBox(self.tr("The participant signed a paper copy"))
        self.add_field(form, "agreement_signed_on_paper", self.tr("Signed on &paper:"), signed)
        review = DateField()
        self.add_field(
            form,
            "review_date",
            self.tr("Re&view by:"),
            review,
            self.tr("Leave empty to review 90 days from today."),
        )
        _finish(self, intro, form)
        agreed.set_date(plan.agreement_date or date.today())
        signed.setChecked(plan.agreement_signed_on_paper)
        review.set_date(plan.review_date)
        self.resize(560, 340)
        self.start_clean()

    def local_errors(self) -> dict[str, str]:
        errors = super().local_errors()
        if "agreement_date" not in errors:
            agreed = self.date_of("agreement_date")
            if agreed is None:
                errors["agreement_date"] = self.tr(
                    "give the day the participant agreed to the plan"
                )
            elif agreed > date.today():
                errors["agreement_date"] = self.tr(
                    "the agreement date is in the future; use the day the participant agreed"
                )
        review = self.date_of("review_date")
        if "review_date" not in errors and review is not None and review < date.today():
            errors["review_date"] = self.tr(
                "the review date is in the past; choose a later date, or leave it empty"
            )
        return errors

    def build_call(self) -> Callable[..., Any]:
        plan = self._plan
        agreed, review = self.date_of("agreement_date"), self.date_of("review_date")
        signed = bool(self.value("agreement_signed_on_paper"))

        def call(session: Any, actor: Any) -> PlanDetail:
            return activate_with_agreement(session, actor, plan, agreed, signed, review)

        return call


class RateGoalDialog(FormDialog):
    """How far the participant feels a goal has come, 0 to 10, with a comment."""

    def __init__(self, ctx: AppContext, goal: GoalView, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "", parent)
        self.setWindowTitle(self.tr("Rate progress"))
        self._goal = goal
        intro = _intro(goal.statement)
        intro.setProperty("role", "subheading")
        form = _form()
        rating = QSpinBox()
        rating.setRange(RATING_MIN, RATING_MAX)
        latest = goal.latest_rating
        rating.setValue(latest.rating if latest else RATING_MIN)
        hint = self.tr("{low} = not started, {high} = fully achieved.").format(
            low=RATING_MIN, high=RATING_MAX
        )
        if latest is not None:
            hint += " " + self.tr("Last rating: {r} on {d}.").format(
                r=latest.rating, d=latest.rated_at.astimezone().date().isoformat()
            )
        self.add_field(form, "rating", self.tr("&Progress:"), rating, hint)
        comment = QLineEdit()
        comment.setPlaceholderText(self.tr("What the participant said about it"))
        self.add_field(form, "comment", self.tr("&Comment:"), comment)
        _finish(self, intro, form)
        self.resize(520, 260)
        self.start_clean()

    def is_dirty(self) -> bool:
        return bool(self.text("comment")) or self.value("rating") != (
            self._goal.latest_rating.rating if self._goal.latest_rating else RATING_MIN
        )

    def build_call(self) -> Callable[..., Any]:
        goal_id, comment = self._goal.id, self.text("comment")
        rating = int(str(self.value("rating")))

        def call(session: Any, actor: Any) -> PlanDetail:
            return plan_editing.rate_goal(session, actor, goal_id, rating, comment)

        return call


class ReasonDialog(FormDialog):
    """Mark something entered in error: the reason is required and kept with it."""

    def __init__(
        self,
        ctx: AppContext,
        title: str,
        explanation: str,
        make_call: Callable[[str], Callable[..., Any]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, title, parent)
        self.save_button.setText(self.tr("&Mark entered in error"))
        self._make_call = make_call
        form = _form()
        self.add_field(form, "reason", self.tr("&Reason:"), plain_text_edit(2))
        _finish(self, _intro(explanation), form)
        self.resize(520, 260)
        self.start_clean()

    def local_errors(self) -> dict[str, str]:
        if not self.text("reason"):
            return {"reason": self.tr("say why, for whoever reads the record later")}
        return {}

    def build_call(self) -> Callable[..., Any]:
        return self._make_call(self.text("reason"))


__all__ = ["ActivateDialog", "RateGoalDialog", "ReasonDialog", "activate_with_agreement"]
