"""The Recovery plan tab: a draft built through the widgets, activation, progress,
revision and read-only old versions, validation, conflicts and the header flags."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import shiboken6
from conftest import Staff
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
)
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, WAIT_MS, shown

from casebook.database import Database
from casebook.security.permissions import Actor
from casebook.services import participants, plans
from casebook.services import plan_editing as E
from casebook.services.participants import ParticipantFields
from casebook.services.plan_editing import GoalInput
from ui import form_dialog, plan_forms, plan_tab, workspace
from ui.context import AppContext
from ui.form_dialog import UnsavedChoice
from ui.form_parts import DateField
from ui.plan_actions import ActivateDialog, RateGoalDialog
from ui.plan_editor import GoalDialog, PlanDetailsDialog, StepDialog
from ui.plan_forms import FormDialog
from ui.plan_tab import PlanTab
from ui.settings import Settings
from ui.workspace import ParticipantWorkspace, WorkspaceHost

# The shared fixtures (ctx and what it needs) live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE

TODAY = date.today()


@pytest.fixture(autouse=True)
def _plan_tab_installed() -> Iterator[None]:
    # The registries are global; other test files expect them as they left them.
    tabs, sources = list(workspace.WORKSPACE_TABS), list(workspace.FLAG_SOURCES)
    plan_tab.install()
    yield
    workspace.WORKSPACE_TABS[:] = tabs
    workspace.FLAG_SOURCES[:] = sources


@pytest.fixture
def unsaved_answers(monkeypatch: pytest.MonkeyPatch) -> list[UnsavedChoice]:
    """Answers for the unsaved-changes question, first in first used (default: discard)."""
    answers: list[UnsavedChoice] = []
    monkeypatch.setattr(
        form_dialog,
        "ask_unsaved_changes",
        lambda parent: answers.pop(0) if answers else UnsavedChoice.DISCARD,
    )
    return answers


@pytest.fixture(autouse=True)
def _confirm_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_tab, "ask_confirm", lambda *args: True)


@pytest.fixture
def ctx(unsaved_answers: list[UnsavedChoice], ctx: AppContext) -> AppContext:
    """The shared ctx, the unsaved-changes question answered from ``unsaved_answers``."""
    return ctx


def add_participant(db: Database, actor: Actor, name: str = "Zoë Nguyễn-Łukasz") -> int:
    with db.session() as session:
        return participants.create_participant(
            session,
            actor,
            ParticipantFields(
                record_number="",
                legal_name=name,
                date_of_birth=date(1990, 2, 3),
                intake_date=TODAY - timedelta(days=3),
            ),
        ).id


def open_plan(
    qtbot: QtBot, ctx: AppContext, pid: int
) -> tuple[WorkspaceHost, ParticipantWorkspace, PlanTab]:
    host = shown(qtbot, WorkspaceHost(ctx))
    space = host.open_participant(pid)
    qtbot.waitUntil(lambda: space.detail is not None, timeout=WAIT_MS)
    tab = space.show_tab("plan")
    assert isinstance(tab, PlanTab)
    qtbot.waitUntil(lambda: tab.state is not None and not tab.is_busy, timeout=WAIT_MS)
    return host, space, tab


def settle(qtbot: QtBot, ctx: AppContext, tab: PlanTab, space: ParticipantWorkspace) -> None:
    qtbot.waitUntil(lambda: not tab.is_busy, timeout=WAIT_MS)
    ctx.runner.wait_all()
    # The workspace reloads its header a moment after a change is announced.
    qtbot.waitUntil(
        lambda: not tab.is_busy and not space.is_loading and not space._reload_timer.isActive(),
        timeout=WAIT_MS,
    )
    ctx.runner.wait_all()
    qtbot.waitUntil(lambda: not space.is_loading, timeout=WAIT_MS)


def dialog_of(tab: PlanTab) -> FormDialog:
    dialog = tab.last_dialog
    assert isinstance(dialog, FormDialog) and dialog.isVisible()
    return dialog


def save(qtbot: QtBot, ctx: AppContext, tab: PlanTab, space: ParticipantWorkspace) -> None:
    dialog = dialog_of(tab)
    dialog.save()
    qtbot.waitUntil(
        lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), timeout=WAIT_MS
    )
    settle(qtbot, ctx, tab, space)


def fill(dialog: FormDialog, **values: object) -> None:
    for name, value in values.items():
        widget = dialog.inputs[name]
        if isinstance(widget, QPlainTextEdit):
            widget.setPlainText(str(value))
        elif isinstance(widget, QLineEdit | DateField):
            widget.setText(str(value))
        elif isinstance(widget, QComboBox):
            widget.setCurrentIndex(widget.findData(value))
        elif isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        else:
            raise AssertionError(name)


def test_a_plan_built_in_the_tab_activated_rated_and_revised(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, tmp_path: Path
) -> None:
    pid = add_participant(db, staff.peer1)
    _host, space, tab = open_plan(qtbot, ctx, pid)
    assert "No recovery plan" in space.flag_texts()
    assert tab.start_button.isVisible() and tab.view.isHidden()
    assert "No recovery plan yet" in tab.empty.text()

    tab.start_button.click()
    settle(qtbot, ctx, tab, space)
    plan = tab.plan
    assert plan is not None and (plan.version, plan.status) == (1, "draft")
    assert "No recovery plan" not in space.flag_texts()
    assert set(tab.view.add_goal_buttons) == {"health", "home", "purpose", "community"}

    # Two goals in Health, one in Home, each through the goal form.
    for domain, words in (
        ("health", "Sleep through the night without pills"),
        ("health", "Keep every appointment with Dr. Søndergaard"),
        ("home", "A place of my own where my kids can visit — not the shelter"),
    ):
        tab.view.add_goal_buttons[domain].click()
        dialog = dialog_of(tab)
        assert isinstance(dialog, GoalDialog) and dialog.value("domain") == domain
        fill(
            dialog,
            statement=words,
            measurable_target="Signed lease",
            target_date=(TODAY + timedelta(days=90)).isoformat(),
            status="in_progress",
        )
        save(qtbot, ctx, tab, space)
    plan = tab.plan
    assert plan is not None
    assert [g.statement[:5] for g in plan.goals] == ["Sleep", "Keep ", "A pla"]
    sleep, keep, home = plan.goals
    by_domain = {group.domain: len(group.goals) for group in plan.goals_by_domain}
    assert by_domain == {"health": 2, "home": 1, "purpose": 0, "community": 0}

    # Two steps on the home goal; the second goes first, then one is removed.
    for text, who in (("Call the housing office", "participant"), ("Drive to viewing", "other")):
        tab.view.goal_buttons[(home.id, "add_step")].click()
        dialog = dialog_of(tab)
        assert isinstance(dialog, StepDialog)
        fill(
            dialog,
            description=text,
            responsible=who,
            due_date=(TODAY + timedelta(days=7)).isoformat(),
        )
        if who == "other":
            fill(dialog, responsible_name="Rosa Díaz")
        save(qtbot, ctx, tab, space)
    steps = tab.plan.goals[2].steps if tab.plan else ()
    assert [s.description for s in steps] == ["Call the housing office", "Drive to viewing"]
    tab.view.step_buttons[(steps[1].id, "up")].click()
    settle(qtbot, ctx, tab, space)
    assert tab.plan is not None
    assert tab.plan.goals[2].steps[0].description == "Drive to viewing"
    tab.view.step_buttons[(steps[0].id, "remove")].click()
    settle(qtbot, ctx, tab, space)
    assert tab.plan is not None and len(tab.plan.goals[2].steps) == 1
    assert tab.plan.goals[2].steps[0].responsible_name == "Rosa Díaz"

    # Reorder within Health: the second health goal moves up.
    assert not tab.view.goal_buttons[(sleep.id, "up")].isEnabled()
    tab.view.goal_buttons[(keep.id, "up")].click()
    settle(qtbot, ctx, tab, space)
    assert tab.plan is not None
    assert [g.id for g in tab.plan.goals] == [keep.id, sleep.id, home.id]

    # The plan's own fields, with the relapse-prevention section and a support.
    tab.details_button.click()
    dialog = dialog_of(tab)
    assert isinstance(dialog, PlanDetailsDialog)
    fill(
        dialog,
        strengths="Stubborn in a good way",
        barriers="No car",
        triggers="Payday weekends",
        early_warning_signs="Skipping breakfast",
        coping_strategies="Walk the dog",
        crisis_plan="Call Rosa, then 988",
    )
    dialog.add_support_row("Rosa Díaz", "sister", "555-0101")
    save(qtbot, ctx, tab, space)
    assert tab.plan is not None and tab.plan.crisis_plan == "Call Rosa, then 988"
    supports = tab.view.findChild(QLabel, "supportsList")
    assert supports is not None and "Rosa Díaz · sister · 555-0101" in supports.text()

    # Activate with the participant's agreement.
    tab.activate_button.click()
    dialog = dialog_of(tab)
    assert isinstance(dialog, ActivateDialog)
    fill(dialog, agreement_signed_on_paper=True)
    save(qtbot, ctx, tab, space)
    plan = tab.plan
    assert plan is not None and plan.status == "active"
    assert plan.agreement_date == TODAY and plan.agreement_signed_on_paper
    assert plan.review_date == TODAY + timedelta(days=90)
    assert tab.revise_button.isVisible() and not tab.details_button.isVisible()

    # Progress: a rating and a step ticked done.
    tab.view.goal_buttons[(home.id, "rate")].click()
    dialog = dialog_of(tab)
    assert isinstance(dialog, RateGoalDialog)
    spin = dialog.inputs["rating"]
    spin.setValue(6)  # type: ignore[attr-defined]
    fill(dialog, comment="feels closer")
    save(qtbot, ctx, tab, space)
    ratings = tab.view.findChild(QLabel, f"ratings{home.id}")
    assert ratings is not None and "6/10 (feels closer)" in ratings.text()
    assert len(tab.view.sparklines[home.id].points()) == 1
    step_id = tab.plan.goals[2].steps[0].id if tab.plan else 0
    tab.view.step_boxes[step_id].setChecked(True)
    settle(qtbot, ctx, tab, space)
    assert tab.plan is not None and tab.plan.goals[2].steps[0].done_date == TODAY
    tab.grab().save(str(tmp_path / "plan.png"))

    # Revise: a second version as a draft, then activated; version 1 is superseded.
    tab.revise_button.click()
    settle(qtbot, ctx, tab, space)
    assert tab.plan is not None and (tab.plan.version, tab.plan.status) == (2, "draft")
    assert "Version 1 stays the participant's plan" in tab.banner.text()
    tab.activate_button.click()
    save(qtbot, ctx, tab, space)
    assert tab.plan is not None and (tab.plan.version, tab.plan.status) == (2, "active")
    assert tab.versions.count() == 2
    # The rating history follows the goal into the new version.
    carried = next(g for g in tab.plan.goals if g.statement.startswith("A place"))
    assert [r.rating for r in carried.rating_history] == [6]

    tab.versions.setCurrentIndex(tab.versions.findData(1))
    tab.versions.activated.emit(tab.versions.currentIndex())
    settle(qtbot, ctx, tab, space)
    old = tab.plan
    assert old is not None and (old.version, old.status) == (1, "superseded")
    assert "superseded" in tab.banner.text() and "cannot change" in tab.banner.text()
    assert not tab.view.goal_buttons  # no rate, edit or move on an old version
    assert all(not box.isEnabled() for box in tab.view.step_boxes.values())
    assert not any(b.isVisible() for b in tab.action_buttons())


def test_validation_messages_name_the_field(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    with db.session() as session:
        draft = plans.create_plan(session, staff.peer1, pid)
        draft = E.add_goal(session, staff.peer1, draft.id, GoalInput("health", "Walk daily"))
    _host, space, tab = open_plan(qtbot, ctx, pid)

    tab.add_goal_button.click()
    goal = dialog_of(tab)
    fill(goal, target_date="2026-02-30")
    goal.save()
    assert goal.message_text("statement") == "write the goal in the participant's own words"
    assert "YYYY-MM-DD" in goal.message_text("target_date")
    assert goal.isVisible()  # nothing was sent
    fill(goal, statement="Cook for my kids on Sundays")
    assert goal.message_text("statement") == ""  # fixed as the user types
    goal.reject()

    tab.view.goal_buttons[(draft.goals[0].id, "add_step")].click()
    step = dialog_of(tab)
    fill(step, description="Ask at the library", responsible="other")
    step.save()
    assert step.message_text("responsible_name") == "name the person who will do this step"
    fill(step, done_date=(TODAY + timedelta(days=2)).isoformat())
    assert "future" in step.message_text("done_date")
    step.reject()

    tab.details_button.click()
    details = dialog_of(tab)
    assert isinstance(details, PlanDetailsDialog)
    details.add_support_row("Rosa", "sister", "call me maybe")
    fill(details, review_date=(TODAY - timedelta(days=1)).isoformat())
    details.save()
    assert "support 1" in details.message_text("supports")
    assert "phone" in details.message_text("supports")
    assert "review date is in the past" in details.message_text("review_date")
    details.reject()

    tab.activate_button.click()
    activate = dialog_of(tab)
    fill(activate, agreement_date=(TODAY + timedelta(days=3)).isoformat())
    activate.save()
    assert "future" in activate.message_text("agreement_date")
    activate.reject()
    settle(qtbot, ctx, tab, space)
    assert tab.plan is not None and tab.plan.status == "draft"


def test_unsaved_changes_are_asked_about(
    qtbot: QtBot,
    ctx: AppContext,
    db: Database,
    staff: Staff,
    unsaved_answers: list[UnsavedChoice],
) -> None:
    pid = add_participant(db, staff.peer1)
    with db.session() as session:
        plans.create_plan(session, staff.peer1, pid)
    _host, _space, tab = open_plan(qtbot, ctx, pid)
    tab.add_goal_button.click()
    goal = dialog_of(tab)
    fill(goal, statement="Run a 5k")
    unsaved_answers.append(UnsavedChoice.CANCEL)
    goal.reject()
    assert goal.isVisible()  # kept open with the words typed
    goal.reject()  # the next answer is Discard
    qtbot.waitUntil(lambda: not shiboken6.isValid(goal) or not goal.isVisible())


def test_someone_else_saved_first_offers_reload(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = add_participant(db, staff.peer1)
    with db.session() as session:
        draft = plans.create_plan(session, staff.peer1, pid)
    _host, space, tab = open_plan(qtbot, ctx, pid)
    questions: list[str] = []

    def ask(parent: object, text: str) -> bool:
        questions.append(text)
        return True

    monkeypatch.setattr(plan_forms, "ask_reload", ask)
    tab.add_goal_button.click()
    goal = dialog_of(tab)
    fill(goal, statement="Mine")
    # A colleague adds a goal to the same draft meanwhile.
    with db.session() as session:
        E.add_goal(
            session,
            staff.supervisor,
            draft.id,
            GoalInput("home", "Theirs"),
            expected_version=draft.lock_version,
        )
    goal.save()
    qtbot.waitUntil(lambda: bool(questions), timeout=WAIT_MS)
    assert "while you were editing" in questions[0]
    qtbot.waitUntil(lambda: not shiboken6.isValid(goal) or not goal.isVisible())
    settle(qtbot, ctx, tab, space)
    assert tab.plan is not None and [g.statement for g in tab.plan.goals] == ["Theirs"]

    # The same for a button that saves at once: the colleague changed the goal again.
    monkeypatch.setattr(plan_tab, "ask_reload", ask)
    current = tab.plan
    assert current is not None
    with db.session() as session:
        E.update_goal(
            session,
            staff.supervisor,
            current.goals[0].id,
            GoalInput("home", "Theirs, changed"),
            expected_version=current.lock_version,
        )
    tab.view.goal_buttons[(current.goals[0].id, "remove")].click()
    qtbot.waitUntil(lambda: len(questions) == 2, timeout=WAIT_MS)
    settle(qtbot, ctx, tab, space)
    assert tab.plan is not None and [g.statement for g in tab.plan.goals] == ["Theirs, changed"]


def test_review_overdue_flag_and_highlight(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    with db.session() as session:
        draft = plans.create_plan(session, staff.peer1, pid)
        draft = E.add_goal(session, staff.peer1, draft.id, GoalInput("purpose", "Volunteer"))
        # Activated 100 days ago: the 90-day review was due 10 days ago.
        plans.activate_plan(session, staff.peer1, draft.id, today=TODAY - timedelta(days=100))
    _host, space, tab = open_plan(qtbot, ctx, pid)
    assert "Plan review overdue" in space.flag_texts()
    assert "No recovery plan" not in space.flag_texts()
    review = tab.view.review_label
    assert review is not None and review.property("flag") == "overdue"
    assert "review overdue by 10 days" in review.text()


def test_discard_and_entered_in_error(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    with db.session() as session:
        draft = plans.create_plan(session, staff.peer1, pid)
        draft = E.add_goal(session, staff.peer1, draft.id, GoalInput("community", "Join a choir"))
        plans.activate_plan(session, staff.peer1, draft.id)
        plans.revise_plan(session, staff.peer1, pid)
    _host, space, tab = open_plan(qtbot, ctx, pid)
    assert tab.plan is not None and tab.plan.version == 2 and tab.discard_button.isVisible()
    tab.discard_button.click()
    settle(qtbot, ctx, tab, space)
    assert tab.plan is not None and (tab.plan.version, tab.plan.status) == (1, "active")
    assert tab.versions.count() == 1

    tab.error_button.click()
    reason = dialog_of(tab)
    reason.save()
    assert reason.message_text("reason")  # a reason is required
    fill(reason, reason="Entered for the wrong participant")
    save(qtbot, ctx, tab, space)
    assert tab.plan is not None and tab.plan.entered_in_error
    assert "entered in error" in tab.banner.text()
    assert tab.start_button.isVisible()


def test_the_clinic_setting_chooses_the_eight_dimensions(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, prefs: Settings
) -> None:
    prefs.wellness_domains = "wellness8"
    pid = add_participant(db, staff.peer1)
    _host, space, tab = open_plan(qtbot, ctx, pid)
    assert "Eight dimensions of wellness" in tab.empty.text()
    tab.start_button.click()
    settle(qtbot, ctx, tab, space)
    assert tab.plan is not None and tab.plan.domain_set == "wellness8"
    assert len(tab.view.add_goal_buttons) == 8 and "spiritual" in tab.view.add_goal_buttons
