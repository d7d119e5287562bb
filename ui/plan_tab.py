"""The Recovery plan tab of a participant workspace, and the plan's header flags.

Shows the open draft if there is one, else the active plan; any other version
can be chosen from the version list and is shown read-only. Actions follow the
plan's life cycle (``casebook.services.plans``): start a draft, edit it, activate
it with the participant's agreement, revise the active plan into a new draft,
discard a draft, mark an active plan entered in error. Progress (steps done,
goal ratings) is recorded on the active plan.

Every change carries the plan's ``lock_version``; when someone else saved first
the person is told so and offered Reload.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import shiboken6
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import ConflictError
from casebook.services import plan_editing, plans
from casebook.services.plans import PlanDetail
from ui import messages
from ui.context import AppContext
from ui.icons import icon
from ui.plan_actions import ActivateDialog, RateGoalDialog, ReasonDialog
from ui.plan_editor import GoalDialog, PlanDetailsDialog, StepDialog
from ui.plan_forms import AREA_PLAN, FormDialog, ask_confirm, ask_reload
from ui.plan_state import (
    PlanState,
    banner_text,
    call_with_version,
    create_plan_call,
    discard_call,
    load_plan_state,
    moved_goal_order,
    moved_step_order,
    plan_flags,
    revise_call,
)
from ui.plan_view import PlanView
from ui.settings import settings
from ui.workspace import ParticipantWorkspace, TabSpec, register_flag_source, register_tab

_CONTEXT = "PlanTab"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def alive(obj: Any) -> bool:
    return shiboken6.isValid(obj)


# -- the tab --------------------------------------------------------------------------------


class PlanTab(QWidget):
    """The participant's recovery plan, its versions and its actions."""

    def __init__(self, ctx: AppContext, workspace: ParticipantWorkspace) -> None:
        super().__init__(workspace)
        self.setObjectName("planTab")
        self._ctx = ctx
        self._workspace = workspace
        self._participant_id = workspace.participant_id
        self.state: PlanState | None = None
        self._loaded_once = False
        self._loading = False
        self._stale = True
        self._busy = False
        self._chosen_version: int | None = None
        self._own_notify = False
        #: The dialog opened last (tests reach it here).
        self.last_dialog: QDialog | None = None

        self.versions = QComboBox()
        self.versions.setObjectName("planVersions")
        self.versions.setAccessibleName(self.tr("Plan version"))
        self.versions.setMinimumContentsLength(34)
        self.versions.activated.connect(self._version_chosen)
        self.versions_label = versions_label = QLabel(self.tr("&Version:"))
        versions_label.setBuddy(self.versions)

        def button(icon_name: str, text: str, slot: Callable[[], None]) -> QPushButton:
            widget = QPushButton(icon(icon_name), text)
            widget.clicked.connect(lambda _c=False: slot())
            return widget

        self.start_button = button("plus", self.tr("&Start plan"), self.start_plan)
        self.details_button = button("pen-line", self.tr("&Edit plan details…"), self.edit_details)
        self.add_goal_button = button("plus", self.tr("Add &goal…"), lambda: self.add_goal(""))
        self.activate_button = button("circle-check", self.tr("&Activate…"), self.activate)
        self.revise_button = button("refresh-cw", self.tr("&Revise"), self.revise)
        self.discard_button = button("x", self.tr("&Discard draft"), self.discard)
        self.error_button = button("ban", self.tr("Mark entered in e&rror…"), self.mark_in_error)
        self.card_button = button("printer", self.tr("Print wellness &card…"), self.print_card)
        self.card_button.setToolTip(
            self.tr("The relapse-prevention and crisis plan on one page, for the participant")
        )
        bar = QHBoxLayout()
        bar.addWidget(versions_label)
        bar.addWidget(self.versions)
        bar.addSpacing(12)
        for widget in self.action_buttons():
            bar.addWidget(widget)
        bar.addStretch(1)

        self.banner = QLabel()
        self.banner.setObjectName("planBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setProperty("role", "hint")
        self.banner.hide()

        self.view = PlanView()
        self.view.add_goal.connect(self.add_goal)
        self.view.edit_goal.connect(self.edit_goal)
        self.view.remove_goal.connect(self.remove_goal)
        self.view.move_goal.connect(self.move_goal)
        self.view.rate_goal.connect(self.rate_goal)
        self.view.add_step.connect(self.add_step)
        self.view.edit_step.connect(self.edit_step)
        self.view.remove_step.connect(self.remove_step)
        self.view.move_step.connect(self.move_step)
        self.view.step_done.connect(self.set_step_done)
        self.empty = QLabel()
        self.empty.setObjectName("planEmpty")
        self.empty.setWordWrap(True)
        self.empty.setProperty("role", "hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.addWidget(self.empty)
        page_layout.addWidget(self.view, 1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(page)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.scroll_area, 1)
        self._update_actions()
        ctx.changed.connect(self._data_changed)

    def action_buttons(self) -> list[QPushButton]:
        return [
            self.start_button,
            self.details_button,
            self.add_goal_button,
            self.activate_button,
            self.revise_button,
            self.discard_button,
            self.error_button,
            self.card_button,
        ]

    @property
    def plan(self) -> PlanDetail | None:
        return self.state.shown if self.state else None

    @property
    def is_loading(self) -> bool:
        return self._loading

    @property
    def is_busy(self) -> bool:
        return self._busy or self._loading

    # -- loading -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self, version: int | None = None) -> None:
        """Load the shown version again (or *version*; None: the draft or active plan)."""
        self._chosen_version = version
        if self._loading or self._ctx.runner.closing:
            self._stale = True
            return
        self._stale = False
        self._loading = True
        self._update_actions()
        self._ctx.submit(
            load_plan_state,
            self._participant_id,
            version,
            # Opening the tab is a view of the plan; later reloads are not new views.
            audit_view=not self._loaded_once or version is not None,
            on_done=self._loaded,
            on_error=self._load_failed,
            # Listing versions is audited, so this goes to the write thread.
            read_only=False,
            label=self.tr("Loading the recovery plan"),
        )

    def _loaded(self, state: PlanState) -> None:
        if not alive(self):
            return
        self._loading = False
        self._loaded_once = True
        self.state = state
        self._show()
        if self._stale and self.isVisible():
            self.reload(self._chosen_version)

    def _load_failed(self, exc: BaseException) -> None:
        if not alive(self):
            return
        self._loading = False
        self.state = None
        self.view.hide()
        self.empty.setText(messages.describe(exc))
        self.empty.show()
        self._update_actions()

    def _data_changed(self, area: str, participant_id: int) -> None:
        if self._own_notify or area != AREA_PLAN:
            return
        if participant_id not in (0, self._participant_id):
            return
        if self.isVisible() and self._loaded_once:
            self.reload(self._chosen_version)
        else:
            self._stale = True

    def _notify(self) -> None:
        # The workspace reloads its header flags; this tab already shows the result.
        self._own_notify = True
        try:
            self._ctx.notify(AREA_PLAN, self._participant_id)
        finally:
            self._own_notify = False

    # -- showing -------------------------------------------------------------------------

    def _show(self) -> None:
        state = self.state
        assert state is not None
        self.versions.blockSignals(True)
        self.versions.clear()
        labels = plans.plan_state_labels()
        for summary in state.versions:
            when = summary.activated_at or summary.created_at
            self.versions.addItem(
                self.tr("Version {v} · {state} · {date}").format(
                    v=summary.version,
                    state=labels.get(summary.state, summary.state),
                    date=when.astimezone().date().isoformat(),
                ),
                summary.version,
            )
        plan = state.shown
        if plan is not None:
            self.versions.setCurrentIndex(self.versions.findData(plan.version))
        self.versions.blockSignals(False)
        self.versions.setVisible(bool(state.versions))
        self.versions_label.setVisible(bool(state.versions))
        if plan is None:
            domain_set = settings().wellness_domains
            self.empty.setText(
                self.tr(
                    "No recovery plan yet. Start one with the participant: goals in their "
                    "own words, grouped by life domain ({domains}), with the steps to get "
                    "there, their strengths, and a plan for hard days."
                ).format(domains=plans.domain_set_labels().get(domain_set, domain_set))
            )
            self.empty.show()
            self.view.hide()
        else:
            self.empty.hide()
            self.view.show_plan(plan, current=True, today=state.today)
            self.view.show()
        self.banner.setText(banner_text(self.state))
        self.banner.setVisible(bool(self.banner.text()))
        self._update_actions()

    def _update_actions(self) -> None:
        state, plan = self.state, self.plan
        busy = self.is_busy
        loaded = state is not None
        live_exists = state is not None and (
            state.active is not None or state.open_draft is not None
        )
        draft = plan is not None and plan.editable
        active = plan is not None and plan.status == "active" and not plan.entered_in_error
        restartable = (
            plan is not None
            and plan.status == "superseded"
            and not plan.entered_in_error
            and not live_exists
        )
        self.start_button.setVisible(loaded and not live_exists and not restartable)
        self.details_button.setVisible(draft)
        self.add_goal_button.setVisible(draft)
        self.activate_button.setVisible(draft)
        self.discard_button.setVisible(draft)
        can_revise = (active and state is not None and state.open_draft is None) or restartable
        self.revise_button.setVisible(bool(can_revise))
        self.revise_button.setText(
            self.tr("Start a new version from this one") if restartable else self.tr("&Revise")
        )
        self.error_button.setVisible(active)
        # The card prints the participant's current plan: offered while that is shown.
        self.card_button.setVisible(
            plan is not None and plan.status in ("active", "draft") and not plan.entered_in_error
        )
        for widget in self.action_buttons():
            widget.setEnabled(not busy)
        self.view.setEnabled(not busy)

    def print_card(self) -> None:
        """Preview and print the participant's wellness and crisis card (current plan)."""
        from casebook.reports.wellness_card import build_wellness_card
        from ui.print_preview import open_report

        pid = self._participant_id
        open_report(
            self,
            self._ctx,
            self.tr("Wellness and crisis card"),
            lambda session, actor, path: build_wellness_card(session, actor, pid, path),
        )

    # -- running service calls -----------------------------------------------------------

    def _run(self, fn: Callable[..., Any], *args: Any, lifecycle: bool = False) -> None:
        """A write; the returned plan is shown (or, after a life-cycle step, reloaded)."""
        if self.is_busy:
            return
        self._busy = True
        self._update_actions()

        def done(result: Any) -> None:
            if not alive(self):
                return
            self._busy = False
            self._finished(result, lifecycle)

        def failed(exc: BaseException) -> None:
            if not alive(self):
                return
            self._busy = False
            self._failed(exc)

        self._ctx.submit(
            fn,
            *args,
            on_done=done,
            on_error=failed,
            read_only=False,
            label=self.tr("Saving the recovery plan"),
        )

    def _finished(self, result: Any, lifecycle: bool) -> None:
        if lifecycle or not isinstance(result, PlanDetail) or self.state is None:
            self._notify()
            self.reload(result.version if isinstance(result, PlanDetail) else None)
            return
        self.state = PlanState(result, self.state.versions, self.state.today)
        self._show()
        self._notify()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ConflictError):
            if ask_reload(self, messages.describe(exc)):
                self.reload(self._chosen_version)
                return
        else:
            messages.show_error(self, exc)
        if self.state is not None:
            self._show()  # put ticked boxes back as they are stored

    def _open(self, dialog: FormDialog, lifecycle: bool = False) -> None:
        dialog.on_saved = lambda result: self._finished(result, lifecycle)
        dialog.reload_requested.connect(lambda: self.reload(self._chosen_version))
        self.last_dialog = dialog
        # The workspace tracks it, so closing the participant asks about unsaved input.
        self._workspace._open_dialog(dialog)

    # -- actions -------------------------------------------------------------------------

    def start_plan(self) -> None:
        domain_set = settings().wellness_domains
        self._run(create_plan_call, self._participant_id, domain_set, lifecycle=True)

    def edit_details(self) -> None:
        if self.plan is not None and self.plan.editable:
            self._open(PlanDetailsDialog(self._ctx, self.plan, self))

    def add_goal(self, domain: str = "") -> None:
        if self.plan is not None and self.plan.editable:
            self._open(GoalDialog(self._ctx, self.plan, None, self, domain=domain))

    def edit_goal(self, goal_id: int) -> None:
        goal = self._goal(goal_id)
        if self.plan is not None and goal is not None:
            self._open(GoalDialog(self._ctx, self.plan, goal, self))

    def remove_goal(self, goal_id: int) -> None:
        goal, plan = self._goal(goal_id), self.plan
        if goal is None or plan is None:
            return
        if ask_confirm(
            self,
            self.tr("Remove goal"),
            self.tr("Remove this goal and its action steps from the draft?\n\n{g}").format(
                g=goal.statement
            ),
            self.tr("Remove goal"),
        ):
            self._run(call_with_version(plan_editing.remove_goal, goal_id, plan.lock_version))

    def move_goal(self, goal_id: int, delta: int) -> None:
        plan = self.plan
        goal = self._goal(goal_id)
        if plan is None or goal is None:
            return
        order = moved_goal_order(plan, goal, delta)
        if order is not None:
            self._run(
                call_with_version(plan_editing.reorder_goals, plan.id, order, plan.lock_version)
            )

    def rate_goal(self, goal_id: int) -> None:
        goal = self._goal(goal_id)
        if goal is not None:
            self._open(RateGoalDialog(self._ctx, goal, self))

    def add_step(self, goal_id: int) -> None:
        if self.plan is not None and self.plan.editable:
            self._open(StepDialog(self._ctx, self.plan, goal_id, None, self))

    def edit_step(self, step_id: int) -> None:
        found = self._step(step_id)
        if self.plan is not None and found is not None:
            self._open(StepDialog(self._ctx, self.plan, found[0].id, found[1], self))

    def remove_step(self, step_id: int) -> None:
        plan = self.plan
        if plan is not None:
            self._run(call_with_version(plan_editing.remove_step, step_id, plan.lock_version))

    def move_step(self, step_id: int, delta: int) -> None:
        found, plan = self._step(step_id), self.plan
        if found is None or plan is None:
            return
        goal = found[0]
        order = moved_step_order(goal, step_id, delta)
        if order is not None:
            self._run(
                call_with_version(plan_editing.reorder_steps, goal.id, order, plan.lock_version)
            )

    def set_step_done(self, step_id: int, done: bool) -> None:
        plan = self.plan
        if plan is None or not plan.progress_editable:
            return
        when = date.today() if done else None
        self._run(call_with_version(plan_editing.set_step_done, step_id, when, plan.lock_version))

    def activate(self) -> None:
        if self.plan is not None and self.plan.editable:
            self._open(ActivateDialog(self._ctx, self.plan, self), lifecycle=True)

    def revise(self) -> None:
        plan = self.plan
        if plan is None:
            return
        source = plan.version if plan.status == "superseded" else None
        self._run(revise_call, self._participant_id, source, lifecycle=True)

    def discard(self) -> None:
        plan = self.plan
        if plan is None or not plan.editable:
            return
        if ask_confirm(
            self,
            self.tr("Discard draft"),
            self.tr("Throw away draft version {v} and everything in it?").format(v=plan.version),
            self.tr("Discard draft"),
        ):
            self._run(discard_call, plan.id, plan.lock_version, lifecycle=True)

    def mark_in_error(self) -> None:
        plan = self.plan
        if plan is None or plan.status != "active":
            return
        plan_id, version = plan.id, plan.lock_version

        def make_call(reason: str) -> Callable[..., Any]:
            def call(session: Any, actor: Any) -> PlanDetail:
                return plans.mark_plan_entered_in_error(
                    session, actor, plan_id, reason=reason, expected_version=version
                )

            return call

        self._open(
            ReasonDialog(
                self._ctx,
                self.tr("Mark version {v} entered in error").format(v=plan.version),
                self.tr(
                    "The version stays on record, marked, and stops being the participant's "
                    "plan. A new plan can then be started."
                ),
                make_call,
                self,
            ),
            lifecycle=True,
        )

    # -- helpers -------------------------------------------------------------------------

    def _version_chosen(self, index: int) -> None:
        version = self.versions.itemData(index)
        if version is not None and (self.plan is None or self.plan.version != version):
            self.reload(int(version))

    def _goal(self, goal_id: int) -> plans.GoalView | None:
        plan = self.plan
        return next((g for g in plan.goals if g.id == goal_id), None) if plan else None

    def _step(self, step_id: int) -> tuple[plans.GoalView, plans.ActionStepView] | None:
        for goal in self.plan.goals if self.plan else ():
            for step in goal.steps:
                if step.id == step_id:
                    return goal, step
        return None


def _factory(ctx: AppContext, workspace: ParticipantWorkspace) -> QWidget:
    return PlanTab(ctx, workspace)


def install() -> None:
    register_tab(
        TabSpec(
            key="plan",
            title=str(QT_TRANSLATE_NOOP("workspace tabs", "Recovery plan")),
            icon_name="list-checks",
            factory=_factory,
            order=10,
        )
    )
    register_flag_source(plan_flags)


__all__ = ["PlanTab", "install"]
