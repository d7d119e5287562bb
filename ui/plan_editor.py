"""Editing a draft recovery plan: the plan's own fields, a goal, an action step.

Each dialog validates as the user types with the plan service's own rules
(``plan_editing``'s validators are pure), saves with one service call carrying
the plan's ``lock_version``, and hands the returned ``PlanDetail`` to the tab.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import ValidationError
from casebook.services import plan_editing, plans
from casebook.services.plan_editing import GoalInput, PlanFields, StepInput, SupportInput
from casebook.services.plans import ActionStepView, GoalView, PlanDetail
from ui.context import AppContext
from ui.form_dialog import FieldMessage
from ui.form_parts import DateField
from ui.icons import icon
from ui.plan_forms import FormDialog, plain_text_edit


def _service_errors(check: Callable[[], object]) -> dict[str, str]:
    try:
        check()
    except ValidationError as exc:
        return dict(exc.field_errors)
    return {}


def _layout(dialog: FormDialog, body: QWidget, scroll: bool = False) -> None:
    outer = QVBoxLayout(dialog)
    if scroll:
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setWidget(body)
        outer.addWidget(area, 1)
    else:
        outer.addWidget(body)
        outer.addStretch(1)
    outer.addWidget(dialog.general)
    outer.addWidget(dialog.buttons)


def _form(labels_above: bool = False) -> QFormLayout:
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    # Long texts read best full width, with their label above them.
    form.setRowWrapPolicy(
        QFormLayout.RowWrapPolicy.WrapAllRows
        if labels_above
        else QFormLayout.RowWrapPolicy.WrapLongRows
    )
    return form


# -- the plan's own fields ------------------------------------------------------------------


class PlanDetailsDialog(FormDialog):
    """Strengths, barriers, the relapse-prevention (WRAP) section, supports, the
    participant's agreement and the review date of a draft."""

    SUPPORT_COLUMNS = 3

    def __init__(self, ctx: AppContext, plan: PlanDetail, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "", parent)
        self.setWindowTitle(self.tr("Edit recovery plan (version {v})").format(v=plan.version))
        self._plan = plan
        body = QWidget()
        grid = QGridLayout(body)

        person = QGroupBox(self.tr("Strengths and barriers"))
        person_form = _form(labels_above=True)
        person.setLayout(person_form)
        self.add_field(person_form, "strengths", self.tr("&Strengths:"), plain_text_edit())
        self.add_field(person_form, "barriers", self.tr("&Barriers:"), plain_text_edit())

        wrap = QGroupBox(self.tr("Relapse prevention and wellness"))
        wrap_form = _form(labels_above=True)
        wrap.setLayout(wrap_form)
        self.add_field(wrap_form, "triggers", self.tr("&Triggers:"), plain_text_edit())
        self.add_field(
            wrap_form, "early_warning_signs", self.tr("&Early warning signs:"), plain_text_edit()
        )
        self.add_field(
            wrap_form, "coping_strategies", self.tr("&Coping strategies:"), plain_text_edit()
        )
        self.add_field(wrap_form, "crisis_plan", self.tr("C&risis plan:"), plain_text_edit(4))

        supports_box = QGroupBox(self.tr("Supports (people to call)"))
        supports_layout = QVBoxLayout(supports_box)
        self.supports = QTableWidget(0, self.SUPPORT_COLUMNS)
        self.supports.setObjectName("supportsTable")
        self.supports.setAccessibleName(self.tr("Supports"))
        self.supports.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("Relationship"), self.tr("Phone")]
        )
        self.supports.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.supports.verticalHeader().setVisible(False)
        self.supports.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.supports.setTabKeyNavigation(False)
        self.supports.setMinimumHeight(120)
        self.supports.setMaximumHeight(200)
        self.supports.itemChanged.connect(lambda _item: self.edited("supports"))
        self.supports_message = FieldMessage(self.supports)
        add = QPushButton(icon("plus"), self.tr("&Add support"))
        add.clicked.connect(lambda: self.add_support_row())
        remove = QPushButton(icon("x"), self.tr("Remo&ve selected"))
        remove.clicked.connect(self._remove_support)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        supports_layout.addWidget(self.supports)
        supports_layout.addLayout(row)
        supports_layout.addWidget(self.supports_message)
        self.field_messages["supports"] = self.supports_message

        agreement = QGroupBox(self.tr("Agreement and review"))
        agreement_form = _form()
        agreement.setLayout(agreement_form)
        self.add_field(
            agreement_form,
            "agreement_date",
            self.tr("A&greed on:"),
            DateField(),
            self.tr("The day the participant agreed to this plan."),
        )
        self.add_field(
            agreement_form,
            "agreement_signed_on_paper",
            self.tr("Signed on &paper:"),
            QCheckBox(self.tr("The participant signed a paper copy")),
        )
        self.add_field(
            agreement_form,
            "review_date",
            self.tr("Re&view by:"),
            DateField(),
            self.tr("Leave empty to review 90 days after activation."),
        )

        grid.addWidget(person, 0, 0)
        grid.addWidget(agreement, 1, 0)
        grid.addWidget(supports_box, 2, 0)
        grid.addWidget(wrap, 0, 1, 4, 1)
        grid.setRowStretch(3, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        _layout(self, body, scroll=True)

        for name in (
            "strengths",
            "barriers",
            "triggers",
            "early_warning_signs",
            "coping_strategies",
            "crisis_plan",
        ):
            widget = self.inputs[name]
            assert hasattr(widget, "setPlainText")
            widget.setPlainText(getattr(plan, name))
        for support in plan.supports:
            self.add_support_row(support.name, support.relationship, support.phone)
        self._date_field("agreement_date").set_date(plan.agreement_date)
        signed = self.inputs["agreement_signed_on_paper"]
        assert isinstance(signed, QCheckBox)
        signed.setChecked(plan.agreement_signed_on_paper)
        self._date_field("review_date").set_date(plan.review_date)
        self.resize(1100, 720)
        self.start_clean()

    def _date_field(self, name: str) -> DateField:
        widget = self.inputs[name]
        assert isinstance(widget, DateField)
        return widget

    def add_support_row(self, name: str = "", relationship: str = "", phone: str = "") -> None:
        self.supports.blockSignals(True)
        row = self.supports.rowCount()
        self.supports.insertRow(row)
        for column, text in enumerate((name, relationship, phone)):
            self.supports.setItem(row, column, QTableWidgetItem(text))
        self.supports.blockSignals(False)
        if not name:
            self.supports.setCurrentCell(row, 0)
            first = self.supports.item(row, 0)
            if first is not None:
                self.supports.editItem(first)
        self.edited("supports")

    def _remove_support(self) -> None:
        rows = sorted({index.row() for index in self.supports.selectedIndexes()}, reverse=True)
        for row in rows:
            self.supports.removeRow(row)
        if rows:
            self.edited("supports")

    def support_rows(self) -> list[SupportInput]:
        result = []
        for row in range(self.supports.rowCount()):
            cells = []
            for column in range(self.SUPPORT_COLUMNS):
                item = self.supports.item(row, column)
                cells.append(item.text() if item is not None else "")
            result.append(SupportInput(cells[0], cells[1], cells[2]))
        return result

    def snapshot(self) -> dict[str, object]:
        values = {name: self.value(name) for name in self.inputs}
        values["supports"] = tuple(self.support_rows())
        return values

    def fields(self) -> PlanFields:
        signed = self.value("agreement_signed_on_paper")
        return PlanFields(
            strengths=self.text("strengths"),
            barriers=self.text("barriers"),
            triggers=self.text("triggers"),
            early_warning_signs=self.text("early_warning_signs"),
            coping_strategies=self.text("coping_strategies"),
            crisis_plan=self.text("crisis_plan"),
            supports=tuple(self.support_rows()),
            agreement_date=self.date_of("agreement_date"),
            agreement_signed_on_paper=bool(signed),
            review_date=self.date_of("review_date"),
        )

    def field_for_error(self, key: str) -> str:
        return "supports" if key.startswith("supports") else key

    def local_errors(self) -> dict[str, str]:
        errors = super().local_errors()
        found = _service_errors(
            lambda: plan_editing._clean_plan_fields(self.fields(), date.today())
        )
        for key, text in found.items():
            name = self.field_for_error(key)
            if name not in errors:
                errors[name] = text
            elif name == "supports":
                errors[name] += "\n" + text
        return errors

    def build_call(self) -> Callable[..., Any]:
        plan_id, version, fields = self._plan.id, self._plan.lock_version, self.fields()

        def call(session: Any, actor: Any) -> PlanDetail:
            return plan_editing.update_plan(
                session, actor, plan_id, fields, expected_version=version
            )

        return call


# -- a goal ---------------------------------------------------------------------------------


class GoalDialog(FormDialog):
    """Add or change a goal of a draft: in the participant's own words, with a
    measurable target, a target date and a status."""

    def __init__(
        self,
        ctx: AppContext,
        plan: PlanDetail,
        goal: GoalView | None = None,
        parent: QWidget | None = None,
        domain: str = "",
    ) -> None:
        super().__init__(ctx, "", parent)
        self.setWindowTitle(self.tr("Add a goal") if goal is None else self.tr("Change goal"))
        self._plan, self._goal = plan, goal
        body = QWidget()
        form = _form()
        body.setLayout(form)
        domains = QComboBox()
        for key, label in plans.domain_labels(plan.domain_set).items():
            domains.addItem(label, key)
        self.add_field(form, "domain", self.tr("Life &domain:"), domains)
        statement = plain_text_edit(3)
        statement.setPlaceholderText(self.tr("What the participant wants, as they said it"))
        self.add_field(
            form,
            "statement",
            self.tr("&Goal:"),
            statement,
            self.tr("In the participant's own words."),
        )
        target = QLineEdit()
        target.setPlaceholderText(self.tr("How you will both know it is reached"))
        self.add_field(form, "measurable_target", self.tr("&Measurable target:"), target)
        self.add_field(form, "target_date", self.tr("&Target date:"), DateField())
        status = QComboBox()
        for key, label in plans.goal_status_labels().items():
            status.addItem(label, key)
        self.add_field(form, "status", self.tr("&Status:"), status)
        _layout(self, body)
        if goal is not None:
            domains.setCurrentIndex(max(0, domains.findData(goal.domain)))
            statement.setPlainText(goal.statement)
            target.setText(goal.measurable_target)
            date_field = self.inputs["target_date"]
            assert isinstance(date_field, DateField)
            date_field.set_date(goal.target_date)
            status.setCurrentIndex(max(0, status.findData(goal.status)))
        elif domain:
            domains.setCurrentIndex(max(0, domains.findData(domain)))
        self.resize(640, 420)
        self.start_clean()

    def goal_input(self) -> GoalInput:
        return GoalInput(
            domain=str(self.value("domain") or ""),
            statement=self.text("statement"),
            measurable_target=self.text("measurable_target"),
            target_date=self.date_of("target_date"),
            status=str(self.value("status") or ""),
        )

    def local_errors(self) -> dict[str, str]:
        errors = super().local_errors()
        found = _service_errors(
            lambda: plan_editing._clean_goal(self.goal_input(), self._plan.domain_set)
        )
        return {**found, **errors}

    def build_call(self) -> Callable[..., Any]:
        data, version = self.goal_input(), self._plan.lock_version
        plan_id, goal = self._plan.id, self._goal

        def call(session: Any, actor: Any) -> PlanDetail:
            if goal is None:
                return plan_editing.add_goal(
                    session, actor, plan_id, data, expected_version=version
                )
            return plan_editing.update_goal(session, actor, goal.id, data, expected_version=version)

        return call


# -- an action step -------------------------------------------------------------------------


class StepDialog(FormDialog):
    """Add or change an action step of a goal on a draft: what, who, due, done."""

    def __init__(
        self,
        ctx: AppContext,
        plan: PlanDetail,
        goal_id: int,
        step: ActionStepView | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "", parent)
        self.setWindowTitle(
            self.tr("Add an action step") if step is None else self.tr("Change action step")
        )
        self._plan, self._goal_id, self._step = plan, goal_id, step
        body = QWidget()
        form = _form()
        body.setLayout(form)
        self.add_field(form, "description", self.tr("&What:"), plain_text_edit(2))
        who = QComboBox()
        for key, label in plans.responsible_labels().items():
            who.addItem(label, key)
        self.add_field(form, "responsible", self.tr("W&ho:"), who)
        name = QLineEdit()
        name.setPlaceholderText(self.tr("Needed when someone else does it"))
        self.add_field(form, "responsible_name", self.tr("&Name:"), name)
        self.add_field(form, "due_date", self.tr("D&ue:"), DateField())
        self.add_field(form, "done_date", self.tr("D&one on:"), DateField())
        _layout(self, body)
        if step is not None:
            description = self.inputs["description"]
            assert hasattr(description, "setPlainText")
            description.setPlainText(step.description)
            who.setCurrentIndex(max(0, who.findData(step.responsible)))
            name.setText(step.responsible_name)
            self._date("due_date").set_date(step.due_date)
            self._date("done_date").set_date(step.done_date)
        self.resize(600, 380)
        self.start_clean()

    def _date(self, name: str) -> DateField:
        widget = self.inputs[name]
        assert isinstance(widget, DateField)
        return widget

    def step_input(self) -> StepInput:
        return StepInput(
            description=self.text("description"),
            responsible=str(self.value("responsible") or ""),
            responsible_name=self.text("responsible_name"),
            due_date=self.date_of("due_date"),
            done_date=self.date_of("done_date"),
        )

    def local_errors(self) -> dict[str, str]:
        errors = super().local_errors()
        found = _service_errors(lambda: plan_editing._clean_step(self.step_input(), date.today()))
        return {**found, **errors}

    def build_call(self) -> Callable[..., Any]:
        data, version = self.step_input(), self._plan.lock_version
        goal_id, step = self._goal_id, self._step

        def call(session: Any, actor: Any) -> PlanDetail:
            if step is None:
                return plan_editing.add_step(
                    session, actor, goal_id, data, expected_version=version
                )
            return plan_editing.update_step(session, actor, step.id, data, expected_version=version)

        return call


__all__ = ["GoalDialog", "PlanDetailsDialog", "StepDialog"]
