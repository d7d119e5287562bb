"""Person-centred recovery plans: versions, reading, and the plan's life cycle.

A plan is versioned: a **draft** is edited freely, **activating** it makes it
the participant's plan (the previous active version becomes **superseded**), and
**revising** copies the active plan into a new draft. A superseded version is
what was agreed at the time and never changes again: this module refuses every
change to it, and database triggers (migration 0004) refuse UPDATE and DELETE.

On the active plan only progress is recorded: action steps marked done and goal
ratings. Anything else is a revision, so the record shows what changed and when.
Editing a draft and recording progress live in ``plan_editing``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from casebook.errors import NotFound, PermissionDenied, ValidationError
from casebook.i18n import tr, translated
from casebook.security.permissions import Actor, require_participant, visible_participants
from casebook.services.common import check_version, clean_text, log
from models import (
    ActionStep,
    Goal,
    GoalRating,
    NoteGoal,
    Participant,
    PlanSupport,
    RecoveryPlan,
    StaffUser,
    utcnow,
)


def N_(text: str) -> str:
    """Mark *text* for translation; it is translated with ``tr`` when shown."""
    return text


# --------------------------------------------------------------------------- codes and labels

# Life domains per domain set, in display order (goals are grouped in this order).
DOMAINS: dict[str, tuple[tuple[str, str], ...]] = {
    # SAMHSA's four dimensions of recovery.
    "samhsa4": (
        ("health", N_("Health")),
        ("home", N_("Home")),
        ("purpose", N_("Purpose")),
        ("community", N_("Community")),
    ),
    # The eight dimensions of wellness.
    "wellness8": (
        ("emotional", N_("Emotional")),
        ("environmental", N_("Environmental")),
        ("financial", N_("Financial")),
        ("intellectual", N_("Intellectual")),
        ("occupational", N_("Occupational")),
        ("physical", N_("Physical")),
        ("social", N_("Social")),
        ("spiritual", N_("Spiritual")),
    ),
}
DEFAULT_DOMAIN_SET = "samhsa4"
DOMAIN_SET_LABELS: dict[str, str] = {
    "samhsa4": N_("SAMHSA's four dimensions of recovery"),
    "wellness8": N_("Eight dimensions of wellness"),
}
PLAN_STATE_LABELS: dict[str, str] = {
    "draft": N_("Draft"),
    "active": N_("Active"),
    "superseded": N_("Superseded"),
    "entered_in_error": N_("Entered in error"),
}
GOAL_STATUS_LABELS: dict[str, str] = {
    "not_started": N_("Not started"),
    "in_progress": N_("In progress"),
    "achieved": N_("Achieved"),
    "on_hold": N_("On hold"),
    "discontinued": N_("Discontinued"),
}
RESPONSIBLE_LABELS: dict[str, str] = {
    "participant": N_("Participant"),
    "specialist": N_("Peer specialist"),
    "other": N_("Other"),
}
REVIEW_AFTER = timedelta(days=90)
RATING_MIN, RATING_MAX = 0, 10


def domain_labels(domain_set: str) -> dict[str, str]:
    """The domains of *domain_set* with translated labels, in display order."""
    return {key: tr(label) for key, label in DOMAINS.get(domain_set, ())}


def domain_set_labels() -> dict[str, str]:
    """The domain sets a plan can use, with translated labels."""
    return translated(DOMAIN_SET_LABELS)


def plan_state_labels() -> dict[str, str]:
    """``PlanDetail.state`` values with translated labels."""
    return translated(PLAN_STATE_LABELS)


def goal_status_labels() -> dict[str, str]:
    """Goal statuses with translated labels, in display order."""
    return translated(GOAL_STATUS_LABELS)


def responsible_labels() -> dict[str, str]:
    """Who does an action step, with translated labels."""
    return {key: tr(label) for key, label in RESPONSIBLE_LABELS.items()}


# --------------------------------------------------------------------------- read models


@dataclass(frozen=True)
class SupportPerson:
    id: int
    name: str
    relationship: str
    phone: str


@dataclass(frozen=True)
class ActionStepView:
    id: int
    goal_id: int
    position: int
    description: str
    responsible: str  # participant / specialist / other
    responsible_name: str
    due_date: date | None
    done_date: date | None

    @property
    def done(self) -> bool:
        return self.done_date is not None


@dataclass(frozen=True)
class GoalRatingView:
    id: int
    goal_id: int
    plan_version: int  # the version the rating was recorded on
    rating: int
    comment: str
    rated_at: datetime
    rated_by_name: str


@dataclass(frozen=True)
class GoalView:
    id: int
    origin_goal_id: int | None
    position: int
    domain: str
    domain_label: str
    statement: str  # in the participant's own words
    measurable_target: str
    target_date: date | None
    status: str
    steps: tuple[ActionStepView, ...]
    # Oldest first, across versions: a revised goal carries the ratings of the
    # goals it was copied from.
    rating_history: tuple[GoalRatingView, ...]

    @property
    def latest_rating(self) -> GoalRatingView | None:
        return self.rating_history[-1] if self.rating_history else None


@dataclass(frozen=True)
class DomainGoals:
    domain: str
    label: str
    goals: tuple[GoalView, ...]


@dataclass(frozen=True)
class PlanDetail:
    """One plan version with everything the editor, the card and Today need.

    ``lock_version`` goes back as ``expected_version`` on the next change;
    ``version`` is the plan's version number (1, 2, ...).
    """

    id: int
    participant_id: int
    version: int
    status: str  # draft / active / superseded
    domain_set: str
    created_at: datetime
    created_by_name: str
    activated_at: datetime | None
    superseded_at: datetime | None
    review_date: date | None
    strengths: str
    barriers: str
    triggers: str
    early_warning_signs: str
    coping_strategies: str
    crisis_plan: str
    agreement_date: date | None
    agreement_signed_on_paper: bool
    supports: tuple[SupportPerson, ...]
    goals: tuple[GoalView, ...]  # in the order the participant set
    entered_in_error_at: datetime | None
    entered_in_error_reason: str
    lock_version: int
    updated_at: datetime

    @property
    def entered_in_error(self) -> bool:
        return self.entered_in_error_at is not None

    @property
    def state(self) -> str:
        """The status to show: ``entered_in_error`` overrides the stored status."""
        return "entered_in_error" if self.entered_in_error else self.status

    @property
    def editable(self) -> bool:
        """Everything may change (a draft)."""
        return self.status == "draft" and not self.entered_in_error

    @property
    def progress_editable(self) -> bool:
        """Steps may be marked done (a draft or the active plan), goals rated (active)."""
        return self.status in ("draft", "active") and not self.entered_in_error

    @property
    def goals_by_domain(self) -> tuple[DomainGoals, ...]:
        """Every domain of the plan's set in display order, with its goals (maybe none)."""
        labels = domain_labels(self.domain_set)
        groups = [
            DomainGoals(key, label, tuple(g for g in self.goals if g.domain == key))
            for key, label in labels.items()
        ]
        # A domain outside the set cannot be saved through this module; show it anyway.
        strays = sorted({g.domain for g in self.goals} - labels.keys())
        groups += [
            DomainGoals(key, key, tuple(g for g in self.goals if g.domain == key)) for key in strays
        ]
        return tuple(groups)


@dataclass(frozen=True)
class PlanVersionSummary:
    id: int
    version: int
    status: str
    created_at: datetime
    activated_at: datetime | None
    superseded_at: datetime | None
    review_date: date | None
    goal_count: int
    entered_in_error: bool

    @property
    def state(self) -> str:
        return "entered_in_error" if self.entered_in_error else self.status


@dataclass(frozen=True)
class PlanReviewDue:
    """An active plan whose review date is past or close (Today)."""

    plan_id: int
    participant_id: int
    record_number: str
    display_name: str
    version: int
    review_date: date
    days_until: int  # negative: overdue by that many days

    @property
    def overdue(self) -> bool:
        return self.days_until < 0


class PlanLocked(ValidationError):
    """A change was asked of a plan version that cannot take it (field ``status``)."""

    def __init__(self, message: str) -> None:
        super().__init__({"status": message})


# --------------------------------------------------------------------------- loading and guards


def _load_plan(session: Session, actor: Actor, plan_id: int, action: str) -> RecoveryPlan:
    plan = session.get(RecoveryPlan, plan_id)
    if plan is None:
        raise NotFound(tr("No recovery plan number {id} exists").format(id=plan_id))
    require_participant(session, actor, plan.participant_id, action=action)
    return plan


def _load_goal(
    session: Session, actor: Actor, goal_id: int, action: str
) -> tuple[Goal, RecoveryPlan]:
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise NotFound(tr("No goal number {id} exists").format(id=goal_id))
    return goal, _load_plan(session, actor, goal.plan_id, action)


def _refuse_locked(plan: RecoveryPlan) -> None:
    """A superseded version, or one entered in error, takes no change at all."""
    if plan.entered_in_error_at is not None:
        raise PlanLocked(
            tr(
                "Version {v} of this plan is marked entered in error (or was "
                "discarded) and cannot change"
            ).format(v=plan.version)
        )
    if plan.status == "superseded":
        when = plan.superseded_at.date().isoformat() if plan.superseded_at else ""
        raise PlanLocked(
            tr(
                "Version {v} of this plan was superseded on {when} and stays as it "
                "was agreed; make the change on the current plan (revise it if it "
                "is active)"
            ).format(v=plan.version, when=when)
        )


def _require_draft(plan: RecoveryPlan) -> None:
    """Only a draft takes edits; the active plan changes through a revision."""
    _refuse_locked(plan)
    if plan.status == "active":
        raise PlanLocked(
            tr(
                "Version {v} is the active plan: to change it, start a revision "
                "(a new draft version), edit that and activate it. Steps can be "
                "marked done and goals rated on the active plan"
            ).format(v=plan.version)
        )


def _require_progress(plan: RecoveryPlan) -> None:
    """Steps done and ratings: allowed on the active plan (steps on a draft too)."""
    _refuse_locked(plan)


def _touch(plan: RecoveryPlan) -> None:
    # Bumps the plan's lock version when a goal, step or support changes, so a
    # stale editor anywhere on the plan is caught by check_version.
    plan.updated_at = utcnow()


def _lock(plan: RecoveryPlan, expected_version: int | None) -> None:
    check_version(
        plan.version_id,
        expected_version,
        tr("this recovery plan (version {v})").format(v=plan.version),
        record=plan,
    )


def _current(session: Session, participant_id: int) -> RecoveryPlan | None:
    """The active version, else the open draft."""
    rows = session.scalars(
        select(RecoveryPlan)
        .where(
            RecoveryPlan.participant_id == participant_id,
            RecoveryPlan.status.in_(("active", "draft")),
            RecoveryPlan.entered_in_error_at.is_(None),
        )
        .order_by(RecoveryPlan.version.desc())
    ).all()
    active = [p for p in rows if p.status == "active"]
    return active[0] if active else (rows[0] if rows else None)


def _open_draft(session: Session, participant_id: int) -> RecoveryPlan | None:
    return session.scalar(
        select(RecoveryPlan).where(
            RecoveryPlan.participant_id == participant_id,
            RecoveryPlan.status == "draft",
            RecoveryPlan.entered_in_error_at.is_(None),
        )
    )


def _active(session: Session, participant_id: int) -> RecoveryPlan | None:
    return session.scalar(
        select(RecoveryPlan).where(
            RecoveryPlan.participant_id == participant_id,
            RecoveryPlan.status == "active",
            RecoveryPlan.entered_in_error_at.is_(None),
        )
    )


def _next_version(session: Session, participant_id: int) -> int:
    # Counts discarded-but-kept drafts and versions in error: a number is never reused.
    highest = session.scalar(
        select(func.max(RecoveryPlan.version)).where(RecoveryPlan.participant_id == participant_id)
    )
    return (highest or 0) + 1


# --------------------------------------------------------------------------- building read models


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(wanted))
    )
    return {r[0]: r[1] for r in rows}


def _rating_histories(
    session: Session, plan: RecoveryPlan, goal_ids: Sequence[int]
) -> dict[int, tuple[GoalRatingView, ...]]:
    """Ratings per goal of *plan*, following ``origin_goal_id`` back through earlier
    versions. Two queries for the whole plan, whatever its history."""
    lineage = session.execute(
        select(Goal.id, Goal.origin_goal_id, RecoveryPlan.version)
        .join(RecoveryPlan, RecoveryPlan.id == Goal.plan_id)
        .where(RecoveryPlan.participant_id == plan.participant_id)
    ).all()
    origin = {gid: parent for gid, parent, _ in lineage}
    version_of = {gid: v for gid, _, v in lineage}
    ancestors: dict[int, list[int]] = {}
    for gid in goal_ids:
        chain: list[int] = []
        cursor: int | None = gid
        while cursor is not None and cursor not in chain:  # no endless loop on bad data
            chain.append(cursor)
            cursor = origin.get(cursor)
        ancestors[gid] = chain
    every = {g for chain in ancestors.values() for g in chain}
    if not every:
        return {}
    ratings = session.execute(
        select(
            GoalRating.id,
            GoalRating.goal_id,
            GoalRating.rating,
            GoalRating.comment,
            GoalRating.rated_at,
            GoalRating.rated_by_id,
        )
        .where(GoalRating.goal_id.in_(every), GoalRating.entered_in_error_at.is_(None))
        .order_by(GoalRating.rated_at, GoalRating.id)
    ).all()
    names = _names(session, (r.rated_by_id for r in ratings))
    by_goal: dict[int, list[GoalRatingView]] = {}
    for r in ratings:
        by_goal.setdefault(r.goal_id, []).append(
            GoalRatingView(
                r.id,
                r.goal_id,
                version_of.get(r.goal_id, 0),
                r.rating,
                r.comment,
                r.rated_at,
                names.get(r.rated_by_id or 0, ""),
            )
        )
    result = {}
    for gid, chain in ancestors.items():
        merged = [view for g in chain for view in by_goal.get(g, ())]
        merged.sort(key=lambda view: (view.rated_at, view.id))
        result[gid] = tuple(merged)
    return result


def _detail(session: Session, plan: RecoveryPlan) -> PlanDetail:
    session.flush()
    goals = session.scalars(
        select(Goal).where(Goal.plan_id == plan.id).order_by(Goal.position, Goal.id)
    ).all()
    goal_ids = [g.id for g in goals]
    steps: dict[int, list[ActionStepView]] = {}
    if goal_ids:
        for s in session.scalars(
            select(ActionStep)
            .where(ActionStep.goal_id.in_(goal_ids))
            .order_by(ActionStep.position, ActionStep.id)
        ):
            steps.setdefault(s.goal_id, []).append(
                ActionStepView(
                    s.id,
                    s.goal_id,
                    s.position,
                    s.description,
                    s.responsible,
                    s.responsible_name,
                    s.due_date,
                    s.done_date,
                )
            )
    histories = _rating_histories(session, plan, goal_ids)
    labels = domain_labels(plan.domain_set)
    goal_views = tuple(
        GoalView(
            g.id,
            g.origin_goal_id,
            g.position,
            g.domain,
            labels.get(g.domain, g.domain),
            g.statement,
            g.measurable_target,
            g.target_date,
            g.status,
            tuple(steps.get(g.id, ())),
            histories.get(g.id, ()),
        )
        for g in goals
    )
    supports = session.scalars(
        select(PlanSupport)
        .where(PlanSupport.plan_id == plan.id)
        .order_by(PlanSupport.position, PlanSupport.id)
    )
    return PlanDetail(
        id=plan.id,
        participant_id=plan.participant_id,
        version=plan.version,
        status=plan.status,
        domain_set=plan.domain_set,
        created_at=plan.created_at,
        created_by_name=_names(session, [plan.created_by_id]).get(plan.created_by_id or 0, ""),
        activated_at=plan.activated_at,
        superseded_at=plan.superseded_at,
        review_date=plan.review_date,
        strengths=plan.strengths,
        barriers=plan.barriers,
        triggers=plan.triggers,
        early_warning_signs=plan.early_warning_signs,
        coping_strategies=plan.coping_strategies,
        crisis_plan=plan.crisis_plan,
        agreement_date=plan.agreement_date,
        agreement_signed_on_paper=plan.agreement_signed_on_paper,
        supports=tuple(
            SupportPerson(s.id, s.name, s.relationship_to_participant, s.phone) for s in supports
        ),
        goals=goal_views,
        entered_in_error_at=plan.entered_in_error_at,
        entered_in_error_reason=plan.entered_in_error_reason or "",
        lock_version=plan.version_id,
        updated_at=plan.updated_at,
    )


# --------------------------------------------------------------------------- reading


def get_plan(
    session: Session,
    actor: Actor,
    participant_id: int,
    version: int | None = None,
    *,
    audit_view: bool = True,
) -> PlanDetail | None:
    """The participant's current plan (the active version, else the open draft), or
    version *version*. None when the participant has no current plan yet; an
    unknown version number raises NotFound. Audited as a view."""
    require_participant(session, actor, participant_id, action="view plan")
    if version is None:
        plan = _current(session, participant_id)
    else:
        plan = session.scalar(
            select(RecoveryPlan).where(
                RecoveryPlan.participant_id == participant_id, RecoveryPlan.version == version
            )
        )
        if plan is None:
            raise NotFound(tr("This participant has no plan version {v}").format(v=version))
    if plan is None:
        return None
    if audit_view:
        log(
            session,
            actor,
            "plan_view",
            entity_type="recovery_plan",
            entity_id=plan.id,
            participant_id=participant_id,
            details={"version": plan.version},
        )
    return _detail(session, plan)


def list_plan_versions(
    session: Session, actor: Actor, participant_id: int
) -> list[PlanVersionSummary]:
    """Every version of the participant's plan, newest first (discarded drafts that
    had to be kept, and versions entered in error, are included and marked)."""
    require_participant(session, actor, participant_id, action="view plan versions")
    goal_count = (
        select(func.count(Goal.id))
        .where(Goal.plan_id == RecoveryPlan.id)
        .correlate(RecoveryPlan)
        .scalar_subquery()
    )
    rows = session.execute(
        select(RecoveryPlan, goal_count)
        .where(RecoveryPlan.participant_id == participant_id)
        .order_by(RecoveryPlan.version.desc())
    ).all()
    log(
        session,
        actor,
        "plan_versions_view",
        entity_type="participant",
        entity_id=participant_id,
        participant_id=participant_id,
    )
    return [
        PlanVersionSummary(
            p.id,
            p.version,
            p.status,
            p.created_at,
            p.activated_at,
            p.superseded_at,
            p.review_date,
            n or 0,
            p.entered_in_error_at is not None,
        )
        for p, n in rows
    ]


def plans_due_for_review(
    session: Session, actor: Actor, *, within_days: int = 14, today: date | None = None
) -> list[PlanReviewDue]:
    """Active plans of the actor's participants (not discharged) whose review date
    is past or within *within_days* days, most overdue first (Today). One query."""
    if not 0 <= within_days <= 366:
        raise ValidationError({"within_days": tr("use 0 to 366 days")})
    today = today or date.today()
    rows = session.execute(
        select(
            RecoveryPlan.id,
            RecoveryPlan.participant_id,
            Participant.record_number,
            Participant.preferred_name,
            Participant.legal_name,
            RecoveryPlan.version,
            RecoveryPlan.review_date,
        )
        .join(Participant, Participant.id == RecoveryPlan.participant_id)
        .where(
            RecoveryPlan.status == "active",
            RecoveryPlan.entered_in_error_at.is_(None),
            RecoveryPlan.review_date <= today + timedelta(days=within_days),
            Participant.status != "discharged",
            visible_participants(actor),
        )
        .order_by(RecoveryPlan.review_date, RecoveryPlan.id)
    ).all()
    return [
        PlanReviewDue(r[0], r[1], r[2], r[3] or r[4], r[5], r[6], (r[6] - today).days) for r in rows
    ]


# --------------------------------------------------------------------------- life cycle


def create_plan(
    session: Session, actor: Actor, participant_id: int, *, domain_set: str = DEFAULT_DOMAIN_SET
) -> PlanDetail:
    """Start the participant's first plan (or a fresh one after an error) as a draft.

    With an active plan, changes go through ``revise_plan`` instead, which keeps
    the goals and their progress history.
    """
    require_participant(session, actor, participant_id, action="create plan")
    if domain_set not in DOMAINS:
        raise ValidationError(
            {
                "domain_set": tr("domain set '{v}' is unknown; use one of: {opts}").format(
                    v=str(domain_set)[:40], opts=", ".join(DOMAINS)
                )
            }
        )
    draft = _open_draft(session, participant_id)
    if draft is not None:
        raise ValidationError(
            {
                "status": tr(
                    "version {v} is already a draft; open it to keep working, or discard it first"
                ).format(v=draft.version)
            }
        )
    active = _active(session, participant_id)
    if active is not None:
        raise ValidationError(
            {
                "status": tr(
                    "version {v} is the active plan; revise it to make a new version"
                ).format(v=active.version)
            }
        )
    plan = RecoveryPlan(
        participant_id=participant_id,
        version=_next_version(session, participant_id),
        status="draft",
        domain_set=domain_set,
        created_by_id=actor.id,
    )
    session.add(plan)
    session.flush()
    log(
        session,
        actor,
        "plan_create",
        entity_type="recovery_plan",
        entity_id=plan.id,
        participant_id=participant_id,
        details={"version": plan.version},
    )
    return _detail(session, plan)


def activate_plan(
    session: Session,
    actor: Actor,
    plan_id: int,
    *,
    expected_version: int | None = None,
    today: date | None = None,
) -> PlanDetail:
    """Make a draft the participant's plan. The previous active version becomes
    superseded (read-only for good). Without a review date, the review falls due
    90 days after activation. At least one goal is required."""
    plan = _load_plan(session, actor, plan_id, "activate plan")
    _refuse_locked(plan)
    if plan.status != "draft":
        raise PlanLocked(tr("version {v} is already active").format(v=plan.version))
    _lock(plan, expected_version)
    today = today or date.today()
    errors: dict[str, str] = {}
    if not session.scalar(select(func.count(Goal.id)).where(Goal.plan_id == plan.id)):
        errors["goals"] = tr(
            "add at least one goal, in the participant's own words, before activating the plan"
        )
    if plan.review_date is not None and plan.review_date < today:
        errors["review_date"] = tr(
            "the review date {d} is in the past; choose a later date, or "
            "clear it to review 90 days from today"
        ).format(d=plan.review_date.isoformat())
    if errors:
        raise ValidationError(errors)
    now = utcnow()
    previous = _active(session, plan.participant_id)
    if previous is not None:
        previous.status = "superseded"
        previous.superseded_at = now
        # Written before the new version becomes active: at most one active
        # version per participant is a database constraint.
        session.flush()
    plan.status = "active"
    plan.activated_at = now
    if plan.review_date is None:
        plan.review_date = today + REVIEW_AFTER
    session.flush()
    details: dict[str, object] = {"version": plan.version}
    if previous is not None:
        details["superseded_version"] = previous.version
    log(
        session,
        actor,
        "plan_activate",
        entity_type="recovery_plan",
        entity_id=plan.id,
        participant_id=plan.participant_id,
        details=details,
    )
    return _detail(session, plan)


def revise_plan(
    session: Session, actor: Actor, participant_id: int, *, from_version: int | None = None
) -> PlanDetail:
    """Copy the active plan (or version *from_version*, e.g. after the active one was
    entered in error) into a new draft version: goals (linked to the goals they came
    from, so progress history carries over), their action steps, supports and the
    relapse-prevention section. The copied version is untouched; the participant's
    agreement and the review date start empty for the new version."""
    require_participant(session, actor, participant_id, action="revise plan")
    draft = _open_draft(session, participant_id)
    if draft is not None:
        raise ValidationError(
            {
                "status": tr(
                    "version {v} is already a draft; finish and "
                    "activate it, or discard it, before starting "
                    "another revision"
                ).format(v=draft.version)
            }
        )
    if from_version is None:
        source = _active(session, participant_id)
        if source is None:
            raise ValidationError(
                {
                    "version": tr(
                        "there is no active plan to revise; create a "
                        "plan, or revise from an earlier version"
                    )
                }
            )
    else:
        source = session.scalar(
            select(RecoveryPlan).where(
                RecoveryPlan.participant_id == participant_id, RecoveryPlan.version == from_version
            )
        )
        if source is None or source.status == "draft" or source.entered_in_error_at:
            raise ValidationError(
                {
                    "version": tr(
                        "version {v} cannot be copied; choose a version "
                        "that was activated and not entered in "
                        "error"
                    ).format(v=from_version)
                }
            )
    new = RecoveryPlan(
        participant_id=participant_id,
        version=_next_version(session, participant_id),
        status="draft",
        domain_set=source.domain_set,
        created_by_id=actor.id,
        strengths=source.strengths,
        barriers=source.barriers,
        triggers=source.triggers,
        early_warning_signs=source.early_warning_signs,
        coping_strategies=source.coping_strategies,
        crisis_plan=source.crisis_plan,
    )
    new.supports = [
        PlanSupport(
            position=s.position,
            name=s.name,
            phone=s.phone,
            relationship_to_participant=s.relationship_to_participant,
        )
        for s in source.supports
    ]
    old_goals = session.scalars(
        select(Goal)
        .where(Goal.plan_id == source.id)
        .options(selectinload(Goal.steps))
        .order_by(Goal.position, Goal.id)
    ).all()
    new.goals = [
        Goal(
            origin_goal_id=g.id,
            position=g.position,
            domain=g.domain,
            statement=g.statement,
            measurable_target=g.measurable_target,
            target_date=g.target_date,
            status=g.status,
            steps=[
                ActionStep(
                    position=s.position,
                    description=s.description,
                    responsible=s.responsible,
                    responsible_name=s.responsible_name,
                    due_date=s.due_date,
                    done_date=s.done_date,
                )
                for s in g.steps
            ],
        )
        for g in old_goals
    ]
    session.add(new)
    session.flush()
    log(
        session,
        actor,
        "plan_revise",
        entity_type="recovery_plan",
        entity_id=new.id,
        participant_id=participant_id,
        details={"version": new.version, "from_version": source.version},
    )
    return _detail(session, new)


def discard_draft(
    session: Session, actor: Actor, plan_id: int, *, expected_version: int | None = None
) -> None:
    """Throw away a draft that was never activated.

    If a session note already refers to one of its goals, the draft is kept,
    marked as discarded (entered in error), so that note stays whole.
    """
    plan = _load_plan(session, actor, plan_id, "discard plan draft")
    _refuse_locked(plan)
    if plan.status != "draft":
        raise PlanLocked(
            tr(
                "version {v} was activated and is part of the record; mark it "
                "entered in error with a reason instead"
            ).format(v=plan.version)
        )
    _lock(plan, expected_version)
    referenced = bool(
        session.scalar(select(exists().where(NoteGoal.goal_id == Goal.id, Goal.plan_id == plan.id)))
    )
    participant_id, version = plan.participant_id, plan.version
    if referenced:
        plan.entered_in_error_at = utcnow()
        plan.entered_in_error_by_id = actor.id
        plan.entered_in_error_reason = tr("draft discarded")
    else:
        session.delete(plan)
    session.flush()
    log(
        session,
        actor,
        "plan_discard",
        entity_type="recovery_plan",
        entity_id=plan_id,
        participant_id=participant_id,
        details={"version": version, "kept": referenced},
    )


def mark_plan_entered_in_error(
    session: Session,
    actor: Actor,
    plan_id: int,
    *,
    reason: str,
    expected_version: int | None = None,
) -> PlanDetail:
    """Mark the active version entered in error (its creator or a supervisor).

    It stays readable and marked, and stops being the participant's plan; a new
    plan starts with ``create_plan`` or ``revise_plan(from_version=...)``.
    """
    plan = _load_plan(session, actor, plan_id, "mark plan entered in error")
    _refuse_locked(plan)
    if plan.status == "draft":
        raise ValidationError(
            {"status": tr("a draft is not part of the record yet; discard it instead")}
        )
    if plan.created_by_id != actor.id and not actor.supervises:
        raise PermissionDenied(
            tr("Only the plan's author or a supervisor can mark it entered in error")
        )
    _lock(plan, expected_version)
    errors: dict[str, str] = {}
    reason = clean_text(reason, "reason", errors, required=True, max_len=500, label=tr("reason"))
    if errors:
        raise ValidationError(errors)
    now = utcnow()
    plan.entered_in_error_at = now
    plan.entered_in_error_by_id = actor.id
    plan.entered_in_error_reason = reason
    # Retired like a superseded version, so nothing counts it as the current plan
    # (caseload, Today) and the database keeps it unchanged from now on.
    plan.status = "superseded"
    plan.superseded_at = now
    session.flush()
    log(
        session,
        actor,
        "plan_entered_in_error",
        entity_type="recovery_plan",
        entity_id=plan.id,
        participant_id=plan.participant_id,
        details={"version": plan.version},
    )
    return _detail(session, plan)
