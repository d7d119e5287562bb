"""The recovery plan as printed: goals with progress and steps, and the
relapse-prevention (WRAP) section. Shared by the participant summary and the
wellness card so both print the plan the same way."""

from __future__ import annotations

from reportlab.platypus import Flowable, KeepTogether

from casebook.i18n import tr
from casebook.reports.base import Cell, data_table, key_value_table, section
from casebook.reports.documents import empty_line, fmt_date, markup, para
from casebook.reports.styles import has_glyph, safe_text
from casebook.services.plans import PlanDetail, goal_status_labels, plan_state_labels

RATING_MAX = 10


def _box(done: bool) -> str:
    mark = "☑" if done else "☐"
    if has_glyph(mark):
        return mark
    return "[x]" if done else "[ ]"


def plan_line(plan: PlanDetail, loc: str | None) -> str:
    states = plan_state_labels()
    parts = [
        tr("Version {v}").format(v=plan.version),
        states.get(plan.state, plan.state),
    ]
    if plan.review_date is not None:
        parts.append(tr("review by {date}").format(date=fmt_date(plan.review_date, loc)))
    if plan.agreement_date is not None:
        parts.append(tr("agreed on {date}").format(date=fmt_date(plan.agreement_date, loc)))
    return " · ".join(parts)


def goals_story(plan: PlanDetail, width: float, loc: str | None) -> list[Flowable]:
    """The plan's status line, strengths and barriers, then each domain's goals."""
    story: list[Flowable] = [para(plan_line(plan, loc), "muted")]
    pairs: list[tuple[str, Cell]] = []
    if plan.strengths.strip():
        pairs.append((tr("Strengths"), plan.strengths))
    if plan.barriers.strip():
        pairs.append((tr("Barriers"), plan.barriers))
    if pairs:
        story.append(key_value_table(pairs, (100, width - 100)))
    if not plan.goals:
        story.append(empty_line(tr("No goals in this plan yet.")))
        return story
    statuses = goal_status_labels()
    for group in plan.goals_by_domain:
        if not group.goals:
            continue
        story += section(group.label, level=2)
        for goal in group.goals:
            block: list[Flowable] = [
                markup(f"<b>“{safe_text(goal.statement)}”</b>", "body"),
            ]
            facts = [tr("Status: {s}").format(s=statuses.get(goal.status, goal.status))]
            if goal.measurable_target.strip():
                facts.append(tr("Target: {t}").format(t=goal.measurable_target))
            if goal.target_date is not None:
                facts.append(tr("by {date}").format(date=fmt_date(goal.target_date, loc)))
            if goal.rating_history:
                ratings = " → ".join(str(r.rating) for r in goal.rating_history[-6:])
                facts.append(
                    tr("Progress: {ratings} (of {max})").format(ratings=ratings, max=RATING_MAX)
                )
            block.append(para(" · ".join(facts), "small"))
            if goal.steps:
                rows: list[list[Cell]] = []
                for step in goal.steps:
                    who = step.responsible_name or step.responsible
                    when = (
                        tr("done {date}").format(date=fmt_date(step.done_date, loc))
                        if step.done_date
                        else (
                            tr("due {date}").format(date=fmt_date(step.due_date, loc))
                            if step.due_date
                            else ""
                        )
                    )
                    rows.append([_box(step.done_date is not None), step.description, who, when])
                block.append(data_table(rows, [22, width - 22 - 110 - 110, 110, 110], header=False))
            # A short goal is not split from its steps; a long one may still break.
            story.append(KeepTogether(block) if len(goal.steps) <= 6 else block[0])
            if len(goal.steps) > 6:
                story += block[1:]
    return story


def wrap_rows(plan: PlanDetail) -> list[tuple[str, str]]:
    """(label, text) of the relapse-prevention section, in the order people use it."""
    return [
        (tr("Triggers"), plan.triggers),
        (tr("Early warning signs"), plan.early_warning_signs),
        (tr("Coping strategies"), plan.coping_strategies),
        (tr("Crisis plan"), plan.crisis_plan),
    ]


def supports_rows(plan: PlanDetail) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[tr("Support"), tr("Relationship"), tr("Phone")]]
    for s in plan.supports:
        rows.append([s.name, s.relationship, s.phone])
    return rows


def wrap_story(plan: PlanDetail, width: float, *, heading_level: int = 1) -> list[Flowable]:
    story = section(tr("Relapse prevention (WRAP)"), level=heading_level)
    pairs: list[tuple[str, Cell]] = [(lbl, text) for lbl, text in wrap_rows(plan) if text.strip()]
    if pairs:
        story.append(key_value_table(pairs, (120, width - 120)))
    if plan.supports:
        story.append(data_table(supports_rows(plan), [width * 0.4, width * 0.3, width * 0.3]))
    if not pairs and not plan.supports:
        story.append(empty_line(tr("The relapse-prevention section is not filled in yet.")))
    return story
