"""Recovery plans: drafts, goals in the participant's words, activation, progress,
revision, and the rule that a superseded version never changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import Staff
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from casebook.database import Database
from casebook.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from casebook.security.permissions import Actor
from casebook.services import participants as P
from casebook.services import plan_editing as E
from casebook.services import plans
from casebook.services.notes import GoalMark, NoteContent, save_draft
from casebook.services.plan_editing import GoalInput, PlanFields, StepInput, SupportInput
from casebook.services.plans import PlanDetail, PlanLocked
from models import AuditEvent, RecoveryPlan

TODAY = date.today()


def make_participant(db: Database, actor: Actor, name: str = "Zoë Example") -> int:
    with db.session() as s:
        return P.create_participant(
            s,
            actor,
            P.parse_participant_fields(
                {
                    "legal_name": name,
                    "date_of_birth": "1990-01-02",
                    "recovery_start_date": "2025-01-01",
                }
            ),
        ).id


def draft_with_goals(
    db: Database, actor: Actor, pid: int, domain_set: str = "samhsa4"
) -> PlanDetail:
    """A draft with a Health goal (two steps) and a Home goal (one step), plus WRAP text."""
    with db.session() as s:
        plan = plans.create_plan(s, actor, pid, domain_set=domain_set)
        plan = E.update_plan(
            s,
            actor,
            plan.id,
            PlanFields(
                strengths="Stubborn in a good way; my daughter",
                barriers="No car",
                triggers="Payday weekends",
                early_warning_signs="Skipping breakfast, not answering the phone",
                coping_strategies="Call Rosa; walk the dog",
                crisis_plan="Call Rosa, then 988",
                supports=[
                    SupportInput("Rosa Díaz", "sister", "555-0101"),
                    SupportInput("", "", ""),
                ],  # an empty editor row is ignored
                agreement_date=TODAY,
                agreement_signed_on_paper=True,
            ),
            expected_version=plan.lock_version,
        )
        health, home = ("health", "home") if domain_set == "samhsa4" else ("physical", "social")
        plan = E.add_goal(
            s,
            actor,
            plan.id,
            GoalInput(
                home,
                "I want my own place where my kids can visit",
                measurable_target="Signed lease",
                target_date=TODAY + timedelta(days=180),
            ),
            expected_version=plan.lock_version,
        )
        plan = E.add_goal(
            s,
            actor,
            plan.id,
            GoalInput(
                health, "Get my sleep back on track", measurable_target="7 hours, 5 nights a week"
            ),
        )
        home_goal, health_goal = plan.goals
        plan = E.add_step(
            s,
            actor,
            health_goal.id,
            StepInput("Keep a sleep log", due_date=TODAY + timedelta(days=14)),
        )
        plan = E.add_step(
            s,
            actor,
            health_goal.id,
            StepInput(
                "Book a doctor's appointment", responsible="specialist", responsible_name="Pat"
            ),
        )
        plan = E.add_step(
            s,
            actor,
            home_goal.id,
            StepInput(
                "Apply to the housing authority",
                responsible="other",
                responsible_name="Case manager at the shelter",
            ),
        )
        return plan


def active_plan(db: Database, actor: Actor, pid: int) -> PlanDetail:
    plan = draft_with_goals(db, actor, pid)
    with db.session() as s:
        return plans.activate_plan(s, actor, plan.id, expected_version=plan.lock_version)


def audit_actions(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --------------------------------------------------------------------------- the main story


def test_plan_with_goals_in_two_domains_activate_and_record_progress(
    db: Database, staff: Staff
) -> None:
    pid = make_participant(db, staff.peer1)
    draft = draft_with_goals(db, staff.peer1, pid)
    assert (draft.version, draft.status, draft.domain_set) == (1, "draft", "samhsa4")
    assert draft.editable and draft.review_date is None
    assert [(p.name, p.relationship, p.phone) for p in draft.supports] == [
        ("Rosa Díaz", "sister", "555-0101")
    ]
    # Grouped in the domain set's display order (Health before Home), all domains shown.
    groups = draft.goals_by_domain
    assert [g.domain for g in groups] == ["health", "home", "purpose", "community"]
    assert [g.label for g in groups] == ["Health", "Home", "Purpose", "Community"]
    assert [goal.statement for goal in groups[0].goals] == ["Get my sleep back on track"]
    assert [goal.statement for goal in groups[1].goals] == [
        "I want my own place where my kids can visit"
    ]
    assert groups[2].goals == ()
    health = groups[0].goals[0]
    assert [st.description for st in health.steps] == [
        "Keep a sleep log",
        "Book a doctor's appointment",
    ]

    with db.session() as s:
        active = plans.activate_plan(s, staff.peer1, draft.id, expected_version=draft.lock_version)
    assert active.status == "active" and active.activated_at is not None
    assert active.review_date == TODAY + timedelta(days=90)
    assert not active.editable and active.progress_editable

    health = next(g for g in active.goals if g.domain == "health")
    with db.session() as s:
        E.rate_goal(s, staff.peer1, health.id, 3, "Slept better twice this week")
        plan = E.set_step_done(s, staff.peer1, health.steps[0].id, TODAY)
        plan = E.rate_goal(s, staff.peer1, health.id, 5)
    health = next(g for g in plan.goals if g.domain == "health")
    assert health.steps[0].done and health.steps[0].done_date == TODAY
    assert [r.rating for r in health.rating_history] == [3, 5]
    assert health.latest_rating is not None and health.latest_rating.rating == 5
    assert health.rating_history[0].comment == "Slept better twice this week"
    assert health.rating_history[0].rated_by_name == "Pat Peer"

    with db.session() as s:
        current = plans.get_plan(s, staff.peer1, pid)
    assert current is not None and current.id == active.id and current.status == "active"
    assert [r.rating for g in current.goals for r in g.rating_history] == [3, 5]

    actions = audit_actions(db)
    for action in (
        "plan_create",
        "plan_update",
        "plan_goal_add",
        "plan_step_add",
        "plan_activate",
        "goal_rating_add",
        "plan_step_done",
        "plan_view",
    ):
        assert action in actions
    assert actions.count("plan_view") == 1  # one row per view, none for the edits


def test_wellness8_domain_set(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    plan = draft_with_goals(db, staff.peer1, pid, domain_set="wellness8")
    assert [g.domain for g in plan.goals_by_domain] == [
        "emotional",
        "environmental",
        "financial",
        "intellectual",
        "occupational",
        "physical",
        "social",
        "spiritual",
    ]
    with db.session() as s:
        plan = E.add_goal(s, staff.peer1, plan.id, GoalInput("financial", "Open a bank account"))
    assert plan.goals[-1].domain_label == "Financial"
    assert set(plans.DOMAINS) == {"samhsa4", "wellness8"}
    assert plans.DOMAINS["samhsa4"][0] == ("health", "Health")


def test_goal_domain_must_belong_to_the_plans_domain_set(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    with db.session() as s:
        plan = plans.create_plan(s, staff.peer1, pid)
    with db.session() as s, pytest.raises(ValidationError) as err:
        E.add_goal(s, staff.peer1, plan.id, GoalInput("financial", "Save $50 a month"))
    assert "domain" in err.value.field_errors
    assert "health, home, purpose, community" in err.value.field_errors["domain"]
    with db.session() as s, pytest.raises(ValidationError) as err:
        plans.create_plan(s, staff.peer1, pid, domain_set="twelve-steps")
    assert "domain_set" in err.value.field_errors


def test_invalid_input_names_the_field(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    plan = draft_with_goals(db, staff.peer1, pid)
    goal = plan.goals[0]
    cases: list[tuple[Callable[..., object], tuple[object, ...], str]] = [
        (E.add_goal, (plan.id, GoalInput("health", "   ")), "statement"),
        (E.add_goal, (plan.id, GoalInput("health", "x", status="maybe")), "status"),
        (E.add_step, (goal.id, StepInput("")), "description"),
        (E.add_step, (goal.id, StepInput("Call", responsible="other")), "responsible_name"),
        (E.add_step, (goal.id, StepInput("Call", responsible="sponsor")), "responsible"),
        (
            E.add_step,
            (goal.id, StepInput("Call", done_date=TODAY + timedelta(days=3))),
            "done_date",
        ),
        (
            E.update_plan,
            (plan.id, PlanFields(review_date=TODAY - timedelta(days=1))),
            "review_date",
        ),
        (E.update_plan, (plan.id, PlanFields(agreement_signed_on_paper=True)), "agreement_date"),
        (
            E.update_plan,
            (plan.id, PlanFields(agreement_date=TODAY + timedelta(days=1))),
            "agreement_date",
        ),
        (
            E.update_plan,
            (plan.id, PlanFields(supports=[SupportInput("", "friend", "555")])),
            "supports.1",
        ),
        (
            E.update_plan,
            (plan.id, PlanFields(supports=[SupportInput("Al", "", "call me")])),
            "supports.1",
        ),
        (E.update_plan, (plan.id, PlanFields(strengths="x" * 5000)), "strengths"),
        (E.reorder_goals, (plan.id, [goal.id]), "goals"),
    ]
    for func_, args, field in cases:
        with db.session() as s, pytest.raises(ValidationError) as err:
            func_(s, staff.peer1, *args)
        assert field in err.value.field_errors, (func_.__name__, err.value.field_errors)


def test_activation_needs_a_goal_and_a_future_review_date(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    with db.session() as s:
        plan = plans.create_plan(s, staff.peer1, pid)
    with db.session() as s, pytest.raises(ValidationError) as err:
        plans.activate_plan(s, staff.peer1, plan.id)
    assert "goals" in err.value.field_errors
    with db.session() as s:
        E.add_goal(s, staff.peer1, plan.id, GoalInput("purpose", "Finish my GED"))
        plan = E.update_plan(
            s, staff.peer1, plan.id, PlanFields(review_date=TODAY + timedelta(days=30))
        )
    # A review date the specialist chose is kept instead of the 90-day default...
    with db.session() as s:
        active = plans.activate_plan(s, staff.peer1, plan.id, today=TODAY)
    assert active.review_date == TODAY + timedelta(days=30)
    # ...but it cannot already be past on the day of activation.
    with db.session() as s:
        draft = plans.revise_plan(s, staff.peer1, pid)
        assert draft.review_date is None  # not copied: each version gets its own
        draft = E.update_plan(
            s, staff.peer1, draft.id, PlanFields(review_date=TODAY + timedelta(days=5))
        )
    with db.session() as s, pytest.raises(ValidationError) as err:
        plans.activate_plan(s, staff.peer1, draft.id, today=TODAY + timedelta(days=10))
    assert list(err.value.field_errors) == ["review_date"]
    with db.session() as s:
        draft = E.update_plan(s, staff.peer1, draft.id, PlanFields(review_date=None))
        later = plans.activate_plan(s, staff.peer1, draft.id, today=TODAY + timedelta(days=10))
    assert later.review_date == TODAY + timedelta(days=100)


def test_one_draft_and_one_active_at_a_time(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    draft = draft_with_goals(db, staff.peer1, pid)
    with db.session() as s, pytest.raises(ValidationError) as err:
        plans.create_plan(s, staff.peer1, pid)
    assert "status" in err.value.field_errors
    with db.session() as s:
        plans.activate_plan(s, staff.peer1, draft.id)
    with db.session() as s, pytest.raises(ValidationError) as err:
        plans.create_plan(s, staff.peer1, pid)
    assert "revise" in err.value.field_errors["status"]
    with db.session() as s:
        plans.revise_plan(s, staff.peer1, pid)
    with db.session() as s, pytest.raises(ValidationError):
        plans.revise_plan(s, staff.peer1, pid)
    with db.session() as s, pytest.raises(ValidationError):
        plans.activate_plan(s, staff.peer1, draft.id)  # already active


# --------------------------------------------------------------------------- revision


def test_revision_copies_the_plan_and_supersedes_the_old_version_on_activation(
    db: Database, staff: Staff
) -> None:
    pid = make_participant(db, staff.peer1)
    v1 = active_plan(db, staff.peer1, pid)
    health_v1 = next(g for g in v1.goals if g.domain == "health")
    with db.session() as s:
        E.rate_goal(
            s, staff.peer1, health_v1.id, 4, rated_at=datetime.now(UTC) - timedelta(days=20)
        )
        E.set_step_done(s, staff.peer1, health_v1.steps[0].id, TODAY)
        v2 = plans.revise_plan(s, staff.peer1, pid)

    assert (v2.version, v2.status) == (2, "draft")
    assert [g.statement for g in v2.goals] == [g.statement for g in v1.goals]
    assert [g.origin_goal_id for g in v2.goals] == [g.id for g in v1.goals]
    assert {g.id for g in v2.goals}.isdisjoint({g.id for g in v1.goals})
    assert [len(g.steps) for g in v2.goals] == [len(g.steps) for g in v1.goals]
    assert v2.supports[0].name == "Rosa Díaz" and v2.crisis_plan == v1.crisis_plan
    assert v2.agreement_date is None and v2.review_date is None
    health_v2 = next(g for g in v2.goals if g.domain == "health")
    assert health_v2.steps[0].done_date == TODAY  # copied as it was
    # Rating history follows the goal into the new version.
    assert [r.rating for r in health_v2.rating_history] == [4]
    assert health_v2.rating_history[0].plan_version == 1

    # Until the new version is activated, version 1 is still the participant's plan.
    with db.session() as s:
        current = plans.get_plan(s, staff.peer1, pid)
        assert current is not None and current.version == 1 and current.status == "active"
        E.update_goal(
            s,
            staff.peer1,
            health_v2.id,
            GoalInput(
                "health",
                "Sleep 7 hours most nights",
                measurable_target="5 nights a week",
                status="in_progress",
            ),
        )
        v2 = E.add_goal(s, staff.peer1, v2.id, GoalInput("community", "Go to a peer group"))
        v2 = plans.activate_plan(s, staff.peer1, v2.id)
    assert v2.status == "active"
    with db.session() as s:
        old = plans.get_plan(s, staff.peer1, pid, version=1)
        versions = plans.list_plan_versions(s, staff.peer1, pid)
        current = plans.get_plan(s, staff.peer1, pid)
    assert old is not None and old.status == "superseded" and old.superseded_at is not None
    assert not old.editable and not old.progress_editable
    assert next(g for g in old.goals if g.domain == "health").statement == (
        "Get my sleep back on track"
    )  # the old wording stays as agreed
    assert [(v.version, v.status, v.goal_count) for v in versions] == [
        (2, "active", 3),
        (1, "superseded", 2),
    ]
    assert current is not None and current.version == 2

    # Ratings on version 2 extend the same history.
    with db.session() as s:
        plan = E.rate_goal(s, staff.peer1, health_v2.id, 7)
    health = next(g for g in plan.goals if g.id == health_v2.id)
    assert [(r.rating, r.plan_version) for r in health.rating_history] == [(4, 1), (7, 2)]


def test_review_date_defaults_to_90_days_after_activation(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    plan = draft_with_goals(db, staff.peer1, pid)
    with db.session() as s:
        active = plans.activate_plan(s, staff.peer1, plan.id, today=date(2030, 1, 15))
    assert active.review_date == date(2030, 4, 15)


# --------------------------------------------------------------------------- locked versions


@dataclass
class OldVersion:
    plan: PlanDetail
    goal_id: int
    step_id: int
    rating_id: int


def superseded_version(db: Database, staff: Staff, pid: int) -> OldVersion:
    v1 = active_plan(db, staff.peer1, pid)
    goal = v1.goals[1]
    with db.session() as s:
        rated = E.rate_goal(s, staff.peer1, goal.id, 2)
        rating_id = next(g for g in rated.goals if g.id == goal.id).rating_history[0].id
        v2 = plans.revise_plan(s, staff.peer1, pid)
        plans.activate_plan(s, staff.peer1, v2.id)
        old = plans.get_plan(s, staff.peer1, pid, version=1)
    assert old is not None and old.status == "superseded"
    return OldVersion(old, goal.id, goal.steps[0].id, rating_id)


def every_mutation(
    old: OldVersion,
) -> list[tuple[str, Callable[..., object], tuple[object, ...]]]:
    """Every public function that changes a plan, aimed at *old*'s rows."""
    plan, goal, step, rating = old.plan.id, old.goal_id, old.step_id, old.rating_id
    return [
        ("update_plan", E.update_plan, (plan, PlanFields(strengths="changed"))),
        ("add_goal", E.add_goal, (plan, GoalInput("health", "A new goal"))),
        ("update_goal", E.update_goal, (goal, GoalInput("health", "Changed words"))),
        ("remove_goal", E.remove_goal, (goal,)),
        ("reorder_goals", E.reorder_goals, (plan, [g.id for g in reversed(old.plan.goals)])),
        ("add_step", E.add_step, (goal, StepInput("A new step"))),
        ("update_step", E.update_step, (step, StepInput("Changed step"))),
        ("remove_step", E.remove_step, (step,)),
        ("reorder_steps", E.reorder_steps, (goal, [step])),
        ("set_step_done", E.set_step_done, (step, TODAY)),
        ("rate_goal", E.rate_goal, (goal, 9)),
        (
            "mark_rating_entered_in_error",
            E.mark_rating_entered_in_error,
            (rating,),
        ),
        ("activate_plan", plans.activate_plan, (plan,)),
        ("discard_draft", plans.discard_draft, (plan,)),
        ("mark_plan_entered_in_error", plans.mark_plan_entered_in_error, (plan,)),
    ]


_KWARGS = {
    "mark_rating_entered_in_error": {"reason": "typed in the wrong box"},
    "mark_plan_entered_in_error": {"reason": "wrong participant"},
}


def test_a_superseded_version_can_never_change(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    old = superseded_version(db, staff, pid)
    for name, func_, args in every_mutation(old):
        for actor in (staff.peer1, staff.supervisor):
            with db.session() as s, pytest.raises(PlanLocked) as err:
                func_(s, actor, *args, **_KWARGS.get(name, {}))
            assert "superseded" in err.value.field_errors["status"], name
    with db.session() as s:
        again = plans.get_plan(s, staff.peer1, pid, version=1)
    assert again is not None
    assert again.goals == old.plan.goals and again.strengths == old.plan.strengths
    assert again.lock_version == old.plan.lock_version and again.updated_at == old.plan.updated_at


def test_the_database_refuses_changes_to_a_superseded_version(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    old = superseded_version(db, staff, pid)
    statements = [
        f"UPDATE recovery_plan SET strengths = 'x' WHERE id = {old.plan.id}",
        f"DELETE FROM recovery_plan WHERE id = {old.plan.id}",
        f"UPDATE goal SET statement = 'x' WHERE id = {old.goal_id}",
        f"DELETE FROM goal WHERE id = {old.goal_id}",
        f"UPDATE action_step SET done_date = NULL WHERE id = {old.step_id}",
        f"DELETE FROM action_step WHERE id = {old.step_id}",
        f"UPDATE plan_support SET phone = '1' WHERE plan_id = {old.plan.id}",
        f"DELETE FROM plan_support WHERE plan_id = {old.plan.id}",
        f"UPDATE goal_rating SET rating = 10 WHERE id = {old.rating_id}",
        f"DELETE FROM goal_rating WHERE id = {old.rating_id}",
    ]
    for sql in statements:
        with db.session() as s, pytest.raises(DBAPIError) as err:
            s.execute(text(sql))
        assert "cannot be" in str(err.value), sql
    # An active version is not deleted either; it is marked entered in error.
    with db.session() as s, pytest.raises(DBAPIError):
        current = plans.get_plan(s, staff.peer1, pid)
        assert current is not None
        s.execute(text(f"DELETE FROM recovery_plan WHERE id = {current.id}"))


def test_the_active_plan_takes_only_progress(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    plan = active_plan(db, staff.peer1, pid)
    goal = plan.goals[0]
    step = goal.steps[0]
    refused: list[tuple[Callable[..., object], tuple[object, ...]]] = [
        (E.update_plan, (plan.id, PlanFields(strengths="changed"))),
        (E.add_goal, (plan.id, GoalInput("health", "new"))),
        (E.update_goal, (goal.id, GoalInput("home", "changed", status="achieved"))),
        (E.remove_goal, (goal.id,)),
        (E.reorder_goals, (plan.id, [g.id for g in reversed(plan.goals)])),
        (E.add_step, (goal.id, StepInput("new"))),
        (E.update_step, (step.id, StepInput("changed"))),
        (E.remove_step, (step.id,)),
        (E.reorder_steps, (goal.id, [step.id])),
        (plans.discard_draft, (plan.id,)),
    ]
    for func_, args in refused:
        with db.session() as s, pytest.raises(PlanLocked) as err:
            func_(s, staff.peer1, *args)
        assert (
            "revis" in err.value.field_errors["status"]
            or "entered in error" in err.value.field_errors["status"]
        ), func_.__name__
    with db.session() as s:
        plan = E.set_step_done(s, staff.peer1, step.id, TODAY)
        plan = E.set_step_done(s, staff.peer1, step.id, None)  # undone: a slip of the mouse
        plan = E.rate_goal(s, staff.peer1, goal.id, 6)
    assert plan.goals[0].steps[0].done_date is None
    assert plan.goals[0].latest_rating is not None


def test_ratings_need_the_active_plan_and_a_0_to_10_number(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    draft = draft_with_goals(db, staff.peer1, pid)
    with db.session() as s, pytest.raises(PlanLocked):
        E.rate_goal(s, staff.peer1, draft.goals[0].id, 5)
    with db.session() as s:
        plan = plans.activate_plan(s, staff.peer1, draft.id)
    goal_id = plan.goals[0].id
    for bad in (-1, 11, True, 5.5):
        with db.session() as s, pytest.raises(ValidationError) as err:
            E.rate_goal(s, staff.peer1, goal_id, bad)  # type: ignore[arg-type]
        assert "rating" in err.value.field_errors
    with db.session() as s, pytest.raises(ValidationError) as err:
        E.rate_goal(s, staff.peer1, goal_id, 5, rated_at=datetime.now(UTC) + timedelta(days=1))
    assert "rated_at" in err.value.field_errors
    with db.session() as s:
        for value in (0, 10):
            plan = E.rate_goal(s, staff.peer1, goal_id, value)
    assert [r.rating for r in plan.goals[0].rating_history] == [0, 10]


def test_rating_entered_in_error_leaves_the_history(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    plan = active_plan(db, staff.peer1, pid)
    goal_id = plan.goals[0].id
    with db.session() as s:
        E.rate_goal(s, staff.peer1, goal_id, 2)
        plan = E.rate_goal(s, staff.peer1, goal_id, 8)
    wrong = plan.goals[0].rating_history[-1]
    with db.session() as s, pytest.raises(PermissionDenied):
        E.mark_rating_entered_in_error(s, staff.peer2, wrong.id, reason="x")
    with db.session() as s, pytest.raises(ValidationError) as err:
        E.mark_rating_entered_in_error(s, staff.peer1, wrong.id, reason="  ")
    assert "reason" in err.value.field_errors
    with db.session() as s:
        plan = E.mark_rating_entered_in_error(
            s, staff.peer1, wrong.id, reason="meant for the other goal"
        )
    assert [r.rating for r in plan.goals[0].rating_history] == [2]


def test_reorder_and_remove_in_a_draft(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    plan = draft_with_goals(db, staff.peer1, pid)
    home, health = plan.goals
    with db.session() as s:
        plan = E.reorder_goals(s, staff.peer1, plan.id, [health.id, home.id])
        assert [g.id for g in plan.goals] == [health.id, home.id]
        plan = E.reorder_steps(s, staff.peer1, health.id, [st.id for st in reversed(health.steps)])
        assert [st.description for st in plan.goals[0].steps] == [
            "Book a doctor's appointment",
            "Keep a sleep log",
        ]
        plan = E.remove_step(s, staff.peer1, plan.goals[0].steps[0].id)
        plan = E.update_step(
            s,
            staff.peer1,
            plan.goals[0].steps[0].id,
            StepInput("Keep a sleep log for two weeks", due_date=TODAY),
        )
        assert [st.description for st in plan.goals[0].steps] == ["Keep a sleep log for two weeks"]
        plan = E.remove_goal(s, staff.peer1, home.id)
    assert [g.id for g in plan.goals] == [health.id]


def test_stale_editor_gets_a_conflict(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    plan = draft_with_goals(db, staff.peer1, pid)
    stale = plan.lock_version
    with db.session() as s:
        newer = E.update_plan(
            s, staff.peer1, plan.id, PlanFields(strengths="Patience"), expected_version=stale
        )
    assert newer.lock_version > stale
    with db.session() as s, pytest.raises(ConflictError):
        E.add_goal(s, staff.peer1, plan.id, GoalInput("home", "x"), expected_version=stale)
    with db.session() as s, pytest.raises(ConflictError):
        E.update_goal(
            s, staff.peer1, plan.goals[0].id, GoalInput("home", "x"), expected_version=stale
        )
    with db.session() as s, pytest.raises(ConflictError):
        plans.activate_plan(s, staff.peer1, plan.id, expected_version=stale)


# --------------------------------------------------------------------------- discard and error


def test_discard_a_draft(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    draft = draft_with_goals(db, staff.peer1, pid)
    with db.session() as s:
        plans.discard_draft(s, staff.peer1, draft.id, expected_version=draft.lock_version)
        assert plans.get_plan(s, staff.peer1, pid) is None
        assert s.scalar(select(func.count()).select_from(RecoveryPlan)) == 0
        again = plans.create_plan(s, staff.peer1, pid)
    assert again.version == 1
    assert "plan_discard" in audit_actions(db)


def test_a_draft_a_note_refers_to_is_kept_and_marked(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    draft = draft_with_goals(db, staff.peer1, pid)
    with db.session() as s:
        save_draft(
            s,
            staff.peer1,
            pid,
            NoteContent(
                occurred_at=datetime.now(UTC) - timedelta(hours=1),
                sections={"goal": "Talked about sleep"},
                goals=[GoalMark(draft.goals[1].id)],
            ),
        )
    with db.session() as s, pytest.raises(ValidationError) as err:
        E.remove_goal(s, staff.peer1, draft.goals[1].id)
    assert "goal" in err.value.field_errors
    with db.session() as s:
        plans.discard_draft(s, staff.peer1, draft.id)
        assert plans.get_plan(s, staff.peer1, pid) is None
        kept = plans.get_plan(s, staff.peer1, pid, version=1)
        versions = plans.list_plan_versions(s, staff.peer1, pid)
        fresh = plans.create_plan(s, staff.peer1, pid)
    assert kept is not None and kept.entered_in_error and kept.state == "entered_in_error"
    assert [v.state for v in versions] == ["entered_in_error"]
    assert fresh.version == 2
    with db.session() as s, pytest.raises(PlanLocked):
        E.add_goal(s, staff.peer1, kept.id, GoalInput("home", "x"))


def test_active_version_entered_in_error(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    plan = active_plan(db, staff.peer1, pid)
    with db.session() as s, pytest.raises(PermissionDenied):
        # Another specialist on the team cannot even open it...
        plans.mark_plan_entered_in_error(s, staff.peer2, plan.id, reason="x")
    with db.session() as s, pytest.raises(ValidationError) as err:
        plans.mark_plan_entered_in_error(s, staff.peer1, plan.id, reason="")
    assert "reason" in err.value.field_errors
    with db.session() as s:
        marked = plans.mark_plan_entered_in_error(
            s, staff.supervisor, plan.id, reason="written for the wrong participant"
        )
        assert plans.get_plan(s, staff.peer1, pid) is None
        assert plans.plans_due_for_review(s, staff.peer1, within_days=366) == []
    assert marked.entered_in_error and marked.entered_in_error_reason.startswith("written")
    with db.session() as s, pytest.raises(PlanLocked):
        E.set_step_done(s, staff.peer1, plan.goals[0].steps[0].id, TODAY)
    with db.session() as s, pytest.raises(ValidationError):
        plans.revise_plan(s, staff.peer1, pid)  # nothing active
    with db.session() as s, pytest.raises(ValidationError):
        plans.revise_plan(s, staff.peer1, pid, from_version=1)  # in error: not a source
    with db.session() as s:
        fresh = plans.create_plan(s, staff.peer1, pid)
    assert fresh.version == 2


def test_revise_from_an_earlier_version(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    old = superseded_version(db, staff, pid)
    with db.session() as s:
        v2 = plans.get_plan(s, staff.peer1, pid)
        assert v2 is not None and v2.version == 2
        plans.mark_plan_entered_in_error(s, staff.peer1, v2.id, reason="mixed up")
        v3 = plans.revise_plan(s, staff.peer1, pid, from_version=1)
    assert v3.version == 3
    assert [g.origin_goal_id for g in v3.goals] == [g.id for g in old.plan.goals]


# --------------------------------------------------------------------------- Today


def test_plans_due_for_review(db: Database, staff: Staff) -> None:
    soon = make_participant(db, staff.peer1, "Due Soon")
    later = make_participant(db, staff.peer1, "Due Later")
    overdue = make_participant(db, staff.peer1, "Overdue Owen")
    other = make_participant(db, staff.peer2, "Quinn's Participant")
    gone = make_participant(db, staff.peer1, "Discharged Dana")
    for pid, activated in (
        (soon, TODAY - timedelta(days=80)),
        (later, TODAY - timedelta(days=30)),
        (overdue, TODAY - timedelta(days=95)),
        (other, TODAY - timedelta(days=85)),
        (gone, TODAY - timedelta(days=95)),
    ):
        draft = draft_with_goals(db, staff.peer1 if pid != other else staff.peer2, pid)
        with db.session() as s:
            plans.activate_plan(
                s, staff.peer1 if pid != other else staff.peer2, draft.id, today=activated
            )
    with db.session() as s:
        P.discharge(s, staff.peer1, gone, on=TODAY, reason="moved away")
    # A draft never counts.
    draft_with_goals(db, staff.peer1, make_participant(db, staff.peer1, "Draft Only"))

    with db.session() as s:
        due = plans.plans_due_for_review(s, staff.peer1)
        team = plans.plans_due_for_review(s, staff.supervisor)
        wide = plans.plans_due_for_review(s, staff.peer1, within_days=60, today=TODAY)
        assert plans.plans_due_for_review(s, staff.outsider) == []
        assert plans.plans_due_for_review(s, staff.admin) == []
        with pytest.raises(ValidationError):
            plans.plans_due_for_review(s, staff.peer1, within_days=-1)
    assert [(d.participant_id, d.days_until) for d in due] == [(overdue, -5), (soon, 10)]
    assert due[0].overdue and not due[1].overdue
    assert due[0].display_name == "Overdue Owen" and due[0].version == 1
    assert [d.participant_id for d in team] == [overdue, other, soon]
    assert [d.participant_id for d in wide] == [overdue, soon, later]


# --------------------------------------------------------------------------- permissions


def test_other_specialists_are_refused_by_every_function(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    old = superseded_version(db, staff, pid)
    with db.session() as s:
        current = plans.get_plan(s, staff.peer1, pid)
        assert current is not None
        draft = plans.revise_plan(s, staff.peer1, pid)
    calls: list[tuple[str, Callable[..., object], tuple[object, ...]]] = [
        ("create_plan", plans.create_plan, (pid,)),
        ("get_plan", plans.get_plan, (pid,)),
        ("get_plan version", plans.get_plan, (pid, 1)),
        ("list_plan_versions", plans.list_plan_versions, (pid,)),
        ("revise_plan", plans.revise_plan, (pid,)),
        *every_mutation(old),
        ("update_plan draft", E.update_plan, (draft.id, PlanFields())),
        ("add_goal draft", E.add_goal, (draft.id, GoalInput("home", "x"))),
        ("set_step_done active", E.set_step_done, (current.goals[0].steps[0].id, TODAY)),
        ("rate_goal active", E.rate_goal, (current.goals[0].id, 5)),
        ("activate_plan draft", plans.activate_plan, (draft.id,)),
        ("discard_draft draft", plans.discard_draft, (draft.id,)),
    ]
    before = audit_actions(db).count("access_denied")
    for actor in (staff.peer2, staff.outsider, staff.admin, staff.other_supervisor):
        for name, func_, args in calls:
            with pytest.raises(PermissionDenied), db.session() as s:
                func_(s, actor, *args, **_KWARGS.get(name.split()[0], {}))
    # Every refusal is on record.
    assert audit_actions(db).count("access_denied") - before == 4 * len(calls)
    with db.session() as s:
        still = plans.get_plan(s, staff.peer1, pid, version=draft.version)
    assert still is not None and still.status == "draft" and still.goals == draft.goals


def test_unknown_ids(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1)
    with db.session() as s:
        assert plans.get_plan(s, staff.peer1, pid) is None
        assert plans.list_plan_versions(s, staff.peer1, pid) == []
        with pytest.raises(NotFound):
            plans.get_plan(s, staff.peer1, pid, version=4)
        with pytest.raises(NotFound):
            plans.activate_plan(s, staff.peer1, 999)
        with pytest.raises(NotFound):
            E.update_goal(s, staff.peer1, 999, GoalInput("home", "x"))
        with pytest.raises(NotFound):
            E.set_step_done(s, staff.peer1, 999, TODAY)
        with pytest.raises(NotFound):
            E.mark_rating_entered_in_error(s, staff.peer1, 999, reason="x")
