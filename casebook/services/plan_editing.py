"""Editing a draft recovery plan, and recording progress on the active one.

Everything here returns the whole plan (``plans.PlanDetail``) so the editor can
redraw from one value; a new goal or step is the last of its list. Changes bump
the plan's ``lock_version``: pass the one you read as ``expected_version``.

What may change where (see ``plans``): a draft takes any edit; the active plan
takes steps marked done and goal ratings; a superseded version or one entered
in error takes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from casebook.errors import NotFound, PermissionDenied, ValidationError
from casebook.i18n import tr
from casebook.security.permissions import Actor
from casebook.services.common import clean_text, copy_changed, log
from casebook.services.participants import PHONE_RE
from casebook.services.plans import (
    DOMAINS,
    RATING_MAX,
    RATING_MIN,
    PlanDetail,
    PlanLocked,
    _detail,
    _load_goal,
    _load_plan,
    _lock,
    _require_draft,
    _require_progress,
    _touch,
)
from models import ActionStep, Goal, GoalRating, NoteGoal, PlanSupport, RecoveryPlan, utcnow
from models.codes import GOAL_STATUSES, STEP_RESPONSIBLE

MAX_SECTION_CHARS = 4000
MAX_GOAL_CHARS = 1000
MAX_SUPPORTS = 20
# Workstation clocks drift; a rating "a few minutes from now" is not a typo.
_FUTURE_TOLERANCE = timedelta(minutes=10)
_PLAN_TEXT_FIELDS = (
    "strengths",
    "barriers",
    "triggers",
    "early_warning_signs",
    "coping_strategies",
    "crisis_plan",
)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class SupportInput:
    """A person the participant can call, as typed into the plan."""

    name: str
    relationship: str = ""
    phone: str = ""


@dataclass(frozen=True)
class PlanFields:
    """The plan-level content of a draft: strengths, barriers, the WRAP section,
    supports, the participant's agreement and the review date."""

    strengths: str = ""
    barriers: str = ""
    triggers: str = ""
    early_warning_signs: str = ""
    coping_strategies: str = ""
    crisis_plan: str = ""
    supports: Sequence[SupportInput] = field(default_factory=tuple)
    agreement_date: date | None = None
    agreement_signed_on_paper: bool = False
    review_date: date | None = None  # empty: 90 days after activation


@dataclass(frozen=True)
class GoalInput:
    domain: str
    statement: str  # the participant's own words
    measurable_target: str = ""
    target_date: date | None = None
    status: str = "not_started"


@dataclass(frozen=True)
class StepInput:
    description: str
    responsible: str = "participant"  # participant / specialist / other
    responsible_name: str = ""
    due_date: date | None = None
    done_date: date | None = None


# --------------------------------------------------------------------------- validation


def _clean_plan_fields(data: PlanFields, today: date) -> tuple[dict[str, str], list[SupportInput]]:
    errors: dict[str, str] = {}
    texts = {
        name: clean_text(getattr(data, name), name, errors, max_len=MAX_SECTION_CHARS)
        for name in _PLAN_TEXT_FIELDS
    }
    supports: list[SupportInput] = []
    if len(data.supports) > MAX_SUPPORTS:
        errors["supports"] = tr("list at most {n} supports").format(n=MAX_SUPPORTS)
    # Keys "supports.1", "supports.2"...: the editor marks the row at fault.
    for number, raw in enumerate(data.supports[:MAX_SUPPORTS], start=1):
        row: dict[str, str] = {}
        name = clean_text(raw.name, "name", row, max_len=200, label=tr("name"))
        relation = clean_text(
            raw.relationship, "relationship", row, max_len=100, label=tr("relationship")
        )
        phone = clean_text(raw.phone, "phone", row, max_len=40, label=tr("phone"))
        if not (name or relation or phone):
            continue  # an empty row left in the editor
        if not name:
            row["name"] = tr("give the support person's name")
        if phone and not PHONE_RE.match(phone):
            row["phone"] = tr("phone may only contain digits, spaces and + ( ) - . x")
        if row:
            errors[f"supports.{number}"] = tr("support {n}: {problem}").format(
                n=number, problem="; ".join(row.values())
            )
        supports.append(SupportInput(name, relation, phone))
    if data.agreement_date is not None and data.agreement_date > today:
        errors["agreement_date"] = tr(
            "the agreement date is in the future; use the day the participant agreed to the plan"
        )
    if data.agreement_signed_on_paper and data.agreement_date is None:
        errors["agreement_date"] = tr("give the date the participant signed the paper copy")
    if data.review_date is not None and data.review_date < today:
        errors["review_date"] = tr(
            "the review date is in the past; choose a later date, or "
            "leave it empty for 90 days after activation"
        )
    if errors:
        raise ValidationError(errors)
    return texts, supports


def _clean_goal(data: GoalInput, domain_set: str) -> GoalInput:
    errors: dict[str, str] = {}
    allowed = [key for key, _ in DOMAINS[domain_set]]
    if data.domain not in allowed:
        errors["domain"] = tr("'{v}' is not a life domain of this plan; use one of: {opts}").format(
            v=str(data.domain)[:40], opts=", ".join(allowed)
        )
    statement = clean_text(
        data.statement, "statement", errors, max_len=MAX_GOAL_CHARS, label=tr("goal")
    )
    if not statement and "statement" not in errors:
        errors["statement"] = tr("write the goal in the participant's own words")
    target = clean_text(
        data.measurable_target,
        "measurable_target",
        errors,
        max_len=MAX_GOAL_CHARS,
        label=tr("measurable target"),
    )
    if data.status not in GOAL_STATUSES:
        errors["status"] = tr("goal status '{v}' is unknown; use one of: {opts}").format(
            v=str(data.status)[:40], opts=", ".join(GOAL_STATUSES)
        )
    if errors:
        raise ValidationError(errors)
    return GoalInput(data.domain, statement, target, data.target_date, data.status)


def _clean_step(data: StepInput, today: date) -> StepInput:
    errors: dict[str, str] = {}
    description = clean_text(
        data.description,
        "description",
        errors,
        required=True,
        max_len=MAX_GOAL_CHARS,
        label=tr("action step"),
    )
    name = clean_text(
        data.responsible_name, "responsible_name", errors, max_len=200, label=tr("who")
    )
    if data.responsible not in STEP_RESPONSIBLE:
        errors["responsible"] = tr("'{v}' is unknown; use participant, specialist or other").format(
            v=str(data.responsible)[:40]
        )
    elif data.responsible == "other" and not name:
        errors["responsible_name"] = tr("name the person who will do this step")
    if data.done_date is not None and data.done_date > today:
        errors["done_date"] = tr("the done date is in the future; use the day it was done")
    if errors:
        raise ValidationError(errors)
    return StepInput(description, data.responsible, name, data.due_date, data.done_date)


# --------------------------------------------------------------------------- the plan itself


def update_plan(
    session: Session,
    actor: Actor,
    plan_id: int,
    data: PlanFields,
    *,
    expected_version: int | None = None,
    today: date | None = None,
) -> PlanDetail:
    """Save the plan-level fields of a draft (supports are replaced as a list)."""
    plan = _load_plan(session, actor, plan_id, "update plan")
    _require_draft(plan)
    _lock(plan, expected_version)
    texts, supports = _clean_plan_fields(data, today or date.today())
    changed = [name for name, value in texts.items() if getattr(plan, name) != value]
    for name in changed:
        setattr(plan, name, texts[name])
    changed += copy_changed(
        plan, data, ("agreement_date", "agreement_signed_on_paper", "review_date")
    )
    current = [(s.name, s.relationship_to_participant, s.phone) for s in plan.supports]
    if current != [(s.name, s.relationship, s.phone) for s in supports]:
        plan.supports = [
            PlanSupport(
                position=i, name=s.name, phone=s.phone, relationship_to_participant=s.relationship
            )
            for i, s in enumerate(supports)
        ]
        changed.append("supports")
    if changed:
        _touch(plan)
        session.flush()
        # Field names only: the audit log must not become a copy of the plan.
        log(
            session,
            actor,
            "plan_update",
            entity_type="recovery_plan",
            entity_id=plan.id,
            participant_id=plan.participant_id,
            details={"version": plan.version, "fields": changed},
        )
    return _detail(session, plan)


def _record_edit(
    session: Session,
    actor: Actor,
    plan: RecoveryPlan,
    changed: list[str],
    action: str,
    entity_type: str,
    entity_id: int,
) -> None:
    """After an edit of a draft's goal or step: bump the plan and audit the field names."""
    if not changed:
        return
    _touch(plan)
    session.flush()
    log(
        session,
        actor,
        action,
        entity_type=entity_type,
        entity_id=entity_id,
        participant_id=plan.participant_id,
        details={"version": plan.version, "fields": changed},
    )


# --------------------------------------------------------------------------- goals


def add_goal(
    session: Session,
    actor: Actor,
    plan_id: int,
    goal: GoalInput,
    *,
    expected_version: int | None = None,
) -> PlanDetail:
    """Add a goal to a draft; its domain must be one of the plan's domain set."""
    plan = _load_plan(session, actor, plan_id, "add goal")
    _require_draft(plan)
    _lock(plan, expected_version)
    clean = _clean_goal(goal, plan.domain_set)
    last = session.scalar(select(func.max(Goal.position)).where(Goal.plan_id == plan.id))
    new = Goal(
        position=(last if last is not None else -1) + 1,
        domain=clean.domain,
        statement=clean.statement,
        measurable_target=clean.measurable_target,
        target_date=clean.target_date,
        status=clean.status,
    )
    # Through the relationship, so a collection already loaded in this unit of
    # work stays in step (reorder_goals reads it).
    plan.goals.append(new)
    _touch(plan)
    session.flush()
    log(
        session,
        actor,
        "plan_goal_add",
        entity_type="goal",
        entity_id=new.id,
        participant_id=plan.participant_id,
        details={"version": plan.version},
    )
    return _detail(session, plan)


def update_goal(
    session: Session,
    actor: Actor,
    goal_id: int,
    goal: GoalInput,
    *,
    expected_version: int | None = None,
) -> PlanDetail:
    """Change a goal of a draft (domain, words, target, date, status)."""
    row, plan = _load_goal(session, actor, goal_id, "update goal")
    _require_draft(plan)
    _lock(plan, expected_version)
    clean = _clean_goal(goal, plan.domain_set)
    changed = copy_changed(
        row, clean, ("domain", "statement", "measurable_target", "target_date", "status")
    )
    _record_edit(session, actor, plan, changed, "plan_goal_update", "goal", row.id)
    return _detail(session, plan)


def remove_goal(
    session: Session, actor: Actor, goal_id: int, *, expected_version: int | None = None
) -> PlanDetail:
    """Remove a goal (and its steps) from a draft."""
    row, plan = _load_goal(session, actor, goal_id, "remove goal")
    _require_draft(plan)
    _lock(plan, expected_version)
    if session.scalar(select(exists().where(NoteGoal.goal_id == row.id))):
        raise ValidationError(
            {
                "goal": tr(
                    "a session note already addresses this goal, so it "
                    "stays; set its status to discontinued instead"
                )
            }
        )
    plan.goals.remove(row)
    _touch(plan)
    session.flush()
    log(
        session,
        actor,
        "plan_goal_remove",
        entity_type="goal",
        entity_id=goal_id,
        participant_id=plan.participant_id,
        details={"version": plan.version},
    )
    return _detail(session, plan)


def reorder_goals(
    session: Session,
    actor: Actor,
    plan_id: int,
    goal_ids: Sequence[int],
    *,
    expected_version: int | None = None,
) -> PlanDetail:
    """Put a draft's goals in the participant's order; *goal_ids* lists each goal once."""
    plan = _load_plan(session, actor, plan_id, "reorder goals")
    _require_draft(plan)
    _lock(plan, expected_version)
    goals = {g.id: g for g in plan.goals}
    if sorted(goal_ids) != sorted(goals):
        raise ValidationError({"goals": tr("list every goal of this plan exactly once")})
    for position, gid in enumerate(goal_ids):
        goals[gid].position = position
    _touch(plan)
    session.flush()
    log(
        session,
        actor,
        "plan_goals_reorder",
        entity_type="recovery_plan",
        entity_id=plan.id,
        participant_id=plan.participant_id,
        details={"version": plan.version},
    )
    return _detail(session, plan)


# --------------------------------------------------------------------------- action steps


def _load_step(
    session: Session, actor: Actor, step_id: int, action: str
) -> tuple[ActionStep, Goal, RecoveryPlan]:
    step = session.get(ActionStep, step_id)
    if step is None:
        raise NotFound(tr("No action step number {id} exists").format(id=step_id))
    goal, plan = _load_goal(session, actor, step.goal_id, action)
    return step, goal, plan


def add_step(
    session: Session,
    actor: Actor,
    goal_id: int,
    step: StepInput,
    *,
    expected_version: int | None = None,
    today: date | None = None,
) -> PlanDetail:
    """Add an action step to a goal of a draft."""
    goal, plan = _load_goal(session, actor, goal_id, "add action step")
    _require_draft(plan)
    _lock(plan, expected_version)
    clean = _clean_step(step, today or date.today())
    last = session.scalar(
        select(func.max(ActionStep.position)).where(ActionStep.goal_id == goal.id)
    )
    new = ActionStep(
        position=(last if last is not None else -1) + 1,
        description=clean.description,
        responsible=clean.responsible,
        responsible_name=clean.responsible_name,
        due_date=clean.due_date,
        done_date=clean.done_date,
    )
    goal.steps.append(new)  # the relationship, as in add_goal
    _touch(plan)
    session.flush()
    log(
        session,
        actor,
        "plan_step_add",
        entity_type="action_step",
        entity_id=new.id,
        participant_id=plan.participant_id,
        details={"version": plan.version},
    )
    return _detail(session, plan)


def update_step(
    session: Session,
    actor: Actor,
    step_id: int,
    step: StepInput,
    *,
    expected_version: int | None = None,
    today: date | None = None,
) -> PlanDetail:
    """Change an action step of a draft (on the active plan use ``set_step_done``)."""
    row, _goal, plan = _load_step(session, actor, step_id, "update action step")
    _require_draft(plan)
    _lock(plan, expected_version)
    clean = _clean_step(step, today or date.today())
    changed = copy_changed(
        row, clean, ("description", "responsible", "responsible_name", "due_date", "done_date")
    )
    _record_edit(session, actor, plan, changed, "plan_step_update", "action_step", row.id)
    return _detail(session, plan)


def remove_step(
    session: Session, actor: Actor, step_id: int, *, expected_version: int | None = None
) -> PlanDetail:
    """Remove an action step from a draft."""
    row, goal, plan = _load_step(session, actor, step_id, "remove action step")
    _require_draft(plan)
    _lock(plan, expected_version)
    goal.steps.remove(row)
    _touch(plan)
    session.flush()
    log(
        session,
        actor,
        "plan_step_remove",
        entity_type="action_step",
        entity_id=step_id,
        participant_id=plan.participant_id,
        details={"version": plan.version},
    )
    return _detail(session, plan)


def reorder_steps(
    session: Session,
    actor: Actor,
    goal_id: int,
    step_ids: Sequence[int],
    *,
    expected_version: int | None = None,
) -> PlanDetail:
    """Put a goal's steps in order (draft only); *step_ids* lists each step once."""
    goal, plan = _load_goal(session, actor, goal_id, "reorder action steps")
    _require_draft(plan)
    _lock(plan, expected_version)
    steps = {s.id: s for s in goal.steps}
    if sorted(step_ids) != sorted(steps):
        raise ValidationError({"steps": tr("list every step of this goal exactly once")})
    for position, sid in enumerate(step_ids):
        steps[sid].position = position
    _touch(plan)
    session.flush()
    log(
        session,
        actor,
        "plan_steps_reorder",
        entity_type="goal",
        entity_id=goal.id,
        participant_id=plan.participant_id,
        details={"version": plan.version},
    )
    return _detail(session, plan)


def set_step_done(
    session: Session,
    actor: Actor,
    step_id: int,
    done_date: date | None,
    *,
    expected_version: int | None = None,
    today: date | None = None,
) -> PlanDetail:
    """Mark an action step done on *done_date* (None: not done after all).
    Allowed on the active plan: progress is what the plan is for."""
    row, _goal, plan = _load_step(session, actor, step_id, "mark action step done")
    _require_progress(plan)
    _lock(plan, expected_version)
    if done_date is not None and done_date > (today or date.today()):
        raise ValidationError(
            {"done_date": tr("the done date is in the future; use the day it was done")}
        )
    if row.done_date != done_date:
        row.done_date = done_date
        _touch(plan)
        session.flush()
        log(
            session,
            actor,
            "plan_step_done",
            entity_type="action_step",
            entity_id=row.id,
            participant_id=plan.participant_id,
            details={"version": plan.version, "done": done_date is not None},
        )
    return _detail(session, plan)


# --------------------------------------------------------------------------- goal ratings


def rate_goal(
    session: Session,
    actor: Actor,
    goal_id: int,
    rating: int,
    comment: str = "",
    *,
    rated_at: datetime | None = None,
) -> PlanDetail:
    """Record how far the participant feels a goal has come (0 = not started,
    10 = fully achieved), on the active plan. Ratings are added, never edited."""
    goal, plan = _load_goal(session, actor, goal_id, "rate goal")
    _require_progress(plan)
    if plan.status != "active":
        raise PlanLocked(tr("progress is rated on the active plan; activate this draft first"))
    errors: dict[str, str] = {}
    # bool is an int subclass, but True is a checkbox value, not a rating.
    if (
        not isinstance(rating, int)
        or isinstance(rating, bool)
        or not (RATING_MIN <= rating <= RATING_MAX)
    ):
        errors["rating"] = tr(
            "rate progress with a whole number from {low} (not started) to {high} (fully achieved)"
        ).format(low=RATING_MIN, high=RATING_MAX)
    comment = clean_text(comment, "comment", errors, max_len=MAX_GOAL_CHARS, label=tr("comment"))
    now = utcnow()
    when = rated_at or now
    if when.tzinfo is None:
        errors["rated_at"] = tr("the rating time needs a time zone")
    elif when > now + _FUTURE_TOLERANCE:
        errors["rated_at"] = tr("the rating time is in the future")
    if errors:
        raise ValidationError(errors)
    new = GoalRating(
        goal_id=goal.id, rating=rating, comment=comment, rated_at=when, rated_by_id=actor.id
    )
    session.add(new)
    session.flush()
    log(
        session,
        actor,
        "goal_rating_add",
        entity_type="goal_rating",
        entity_id=new.id,
        participant_id=plan.participant_id,
        details={"version": plan.version},
    )
    return _detail(session, plan)


def mark_rating_entered_in_error(
    session: Session, actor: Actor, rating_id: int, *, reason: str
) -> PlanDetail:
    """Mark a goal rating entered in error (whoever recorded it, or a supervisor),
    while its plan version is active. It leaves the rating history."""
    row = session.get(GoalRating, rating_id)
    if row is None:
        raise NotFound(tr("No goal rating number {id} exists").format(id=rating_id))
    _goal, plan = _load_goal(session, actor, row.goal_id, "mark goal rating entered in error")
    _require_progress(plan)
    if row.rated_by_id != actor.id and not actor.supervises:
        raise PermissionDenied(
            tr(
                "Only the person who recorded a rating, or a supervisor, can "
                "mark it entered in error"
            )
        )
    errors: dict[str, str] = {}
    if row.entered_in_error_at is not None:
        errors["status"] = tr("this rating is already marked entered in error")
    reason = clean_text(reason, "reason", errors, required=True, max_len=500, label=tr("reason"))
    if errors:
        raise ValidationError(errors)
    row.entered_in_error_at = utcnow()
    row.entered_in_error_by_id = actor.id
    row.entered_in_error_reason = reason
    session.flush()
    log(
        session,
        actor,
        "goal_rating_entered_in_error",
        entity_type="goal_rating",
        entity_id=row.id,
        participant_id=plan.participant_id,
        details={"version": plan.version},
    )
    return _detail(session, plan)
