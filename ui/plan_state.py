"""What the Recovery plan tab loads and computes away from its widgets: the versions and
the version shown (worker thread), the header flags, the banner line, goal and step
order after a move, and the service calls the tab submits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QCoreApplication

from casebook.security.permissions import Actor
from casebook.services import participants, plans
from casebook.services.plans import GoalView, PlanDetail, PlanVersionSummary

_CONTEXT = "PlanTab"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


# -- loading (worker thread) ----------------------------------------------------------------


@dataclass(frozen=True)
class PlanState:
    """The version shown and the list of all versions, fetched in one unit of work."""

    shown: PlanDetail | None
    versions: tuple[PlanVersionSummary, ...]
    today: date

    @property
    def open_draft(self) -> PlanVersionSummary | None:
        return next((v for v in self.versions if v.state == "draft"), None)

    @property
    def active(self) -> PlanVersionSummary | None:
        return next((v for v in self.versions if v.state == "active"), None)


def load_plan_state(
    session: Any, actor: Actor, participant_id: int, version: int | None, *, audit_view: bool
) -> PlanState:
    """For ``ctx.submit``: version *version*, or the open draft, or the active plan."""
    versions = plans.list_plan_versions(session, actor, participant_id)
    if version not in {v.version for v in versions}:
        draft = next((v for v in versions if v.state == "draft"), None)
        version = draft.version if draft else None
    shown = plans.get_plan(session, actor, participant_id, version, audit_view=audit_view)
    return PlanState(shown, tuple(versions), date.today())


# -- header flags ---------------------------------------------------------------------------


def plan_flags(session: Any, actor: Actor, participant_id: int) -> list[tuple[str, str]]:
    """ "Plan review overdue" and "No recovery plan" for the workspace header (no audit)."""
    if not actor.sees_clinical:
        return []
    plan = plans.get_plan(session, actor, participant_id, audit_view=False)
    if plan is None:
        detail = participants.get_participant(session, actor, participant_id, audit_view=False)
        return [(_tr("No recovery plan"), "due")] if detail.status == "active" else []
    if plan.status == "active" and plan.review_date is not None and plan.review_date < date.today():
        return [(_tr("Plan review overdue"), "overdue")]
    return []


# -- what the tab shows and sends ------------------------------------------------------------


def banner_text(state: PlanState | None) -> str:
    """The line above the plan: what this version is and what can be done with it."""
    plan = state.shown if state is not None else None
    if state is None or plan is None:
        return ""
    if plan.entered_in_error:
        return _tr(
            "Version {v} was marked entered in error ({reason}). It is kept "
            "as it was and cannot change."
        ).format(v=plan.version, reason=plan.entered_in_error_reason)
    if plan.status == "superseded":
        return _tr(
            "You are looking at version {v}, superseded on {date}. It stays as "
            "it was agreed and cannot change."
        ).format(
            v=plan.version,
            date=plan.superseded_at.astimezone().date().isoformat() if plan.superseded_at else "—",
        )
    if plan.status == "draft":
        text = _tr("Draft: edit freely, then activate it when the participant agrees.")
        if state.active is not None:
            text += " " + _tr("Version {v} stays the participant's plan until then.").format(
                v=state.active.version
            )
        return text
    draft = state.open_draft
    if draft is not None:
        return _tr(
            "A revision (version {v}) is in progress as a draft; choose it in "
            "the version list to continue."
        ).format(v=draft.version)
    return ""


def moved_goal_order(plan: PlanDetail, goal: GoalView, delta: int) -> list[int] | None:
    """The plan's goal ids with *goal* swapped with its neighbour in the same life
    domain (*delta* -1 up, +1 down); None when it is already at that end."""
    order = [g.id for g in plan.goals]
    same = [g.id for g in plan.goals if g.domain == goal.domain]
    position = same.index(goal.id) + delta
    if not 0 <= position < len(same):
        return None
    a, b = order.index(goal.id), order.index(same[position])
    order[a], order[b] = order[b], order[a]
    return order


def moved_step_order(goal: GoalView, step_id: int, delta: int) -> list[int] | None:
    """The goal's step ids with *step_id* moved by *delta*; None at the ends."""
    order = [s.id for s in goal.steps]
    index = order.index(step_id)
    other = index + delta
    if not 0 <= other < len(order):
        return None
    order[index], order[other] = order[other], order[index]
    return order


def call_with_version(fn: Callable[..., Any], target: Any, *rest: Any) -> Callable[..., Any]:
    """``fn(session, actor, target, *values, expected_version=last)`` as a submit-able call."""
    *values, version = rest

    def call(session: Any, actor: Any) -> Any:
        return fn(session, actor, target, *values, expected_version=version)

    return call


def create_plan_call(
    session: Any, actor: Actor, participant_id: int, domain_set: str
) -> PlanDetail:
    return plans.create_plan(session, actor, participant_id, domain_set=domain_set)


def revise_call(session: Any, actor: Actor, participant_id: int, source: int | None) -> PlanDetail:
    return plans.revise_plan(session, actor, participant_id, from_version=source)


def discard_call(session: Any, actor: Actor, plan_id: int, version: int) -> None:
    plans.discard_draft(session, actor, plan_id, expected_version=version)


__all__ = [
    "PlanState",
    "banner_text",
    "call_with_version",
    "create_plan_call",
    "discard_call",
    "load_plan_state",
    "moved_goal_order",
    "moved_step_order",
    "plan_flags",
    "revise_call",
]
