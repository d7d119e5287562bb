"""The Assessments tab: giving each instrument, missing items, the PHQ-9 safety
prompt and header flag, history, entered in error, and the trend chart."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import shiboken6
from conftest import Staff
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QRadioButton, QToolButton, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from ui_support import OFFSCREEN_NOISE, WAIT_MS, shown

from casebook.database import Database
from casebook.measures import BARC_10, GAD_7, PHQ_9, instrument_info
from casebook.security.permissions import Actor
from casebook.services import assessments, participants
from casebook.services.participants import ParticipantFields
from models import AuditEvent
from ui import assessments_tab, workspace
from ui.assessment_form import AssessmentDialog
from ui.assessments_tab import AssessmentsTab
from ui.context import AppContext
from ui.plan_actions import ReasonDialog
from ui.theme import dark_palette, light_palette
from ui.trend_chart import TrendChart
from ui.workspace import ParticipantWorkspace, WorkspaceHost

# The shared fixtures (ctx and what it needs) live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE

NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def _tab_installed() -> Iterator[None]:
    # The registries are global; other test files expect them as they left them.
    tabs, sources = list(workspace.WORKSPACE_TABS), list(workspace.FLAG_SOURCES)
    assessments_tab.install()
    yield
    workspace.WORKSPACE_TABS[:] = tabs
    workspace.FLAG_SOURCES[:] = sources


@pytest.fixture
def ctx(no_modal_questions: None, ctx: AppContext) -> AppContext:
    """The shared ctx, with no unsaved-changes question."""
    return ctx


def add_participant(db: Database, actor: Actor) -> int:
    with db.session() as session:
        return participants.create_participant(
            session,
            actor,
            ParticipantFields(
                record_number="",
                legal_name="Zoë Nguyễn-Łukasz",
                date_of_birth=date(1990, 2, 3),
                intake_date=date.today() - timedelta(days=200),
            ),
        ).id


def record(
    db: Database, actor: Actor, pid: int, code: str, answers: list[int], days_ago: int
) -> None:
    with db.session() as session:
        assessments.record_assessment(
            session, actor, pid, code, answers, NOW - timedelta(days=days_ago)
        )


def open_tab(
    qtbot: QtBot, ctx: AppContext, pid: int
) -> tuple[ParticipantWorkspace, AssessmentsTab]:
    host = shown(qtbot, WorkspaceHost(ctx))
    space = host.open_participant(pid)
    qtbot.waitUntil(lambda: space.detail is not None, timeout=WAIT_MS)
    tab = space.show_tab("assessments")
    assert isinstance(tab, AssessmentsTab)
    qtbot.waitUntil(lambda: bool(tab.summaries) and not tab.is_loading, timeout=WAIT_MS)
    return space, tab


def wait_saved(qtbot: QtBot, dialog: AssessmentDialog) -> None:
    qtbot.waitUntil(lambda: dialog.saved_result is not None, timeout=WAIT_MS)


def settle(qtbot: QtBot, ctx: AppContext, tab: AssessmentsTab, space: ParticipantWorkspace) -> None:
    ctx.runner.wait_all()
    qtbot.waitUntil(
        lambda: not tab.is_loading and not space.is_loading and not space._reload_timer.isActive(),
        timeout=WAIT_MS,
    )
    ctx.runner.wait_all()
    qtbot.waitUntil(lambda: not tab.is_loading and not space.is_loading, timeout=WAIT_MS)


def test_phq9_with_item_9_shows_next_steps_and_a_header_flag(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    space, tab = open_tab(qtbot, ctx, pid)
    referrals: list[str] = []

    class Referrals(QWidget):
        def start_urgent_referral(self, reason: str = "") -> None:
            referrals.append(reason)

    # Stands in for the Referrals tab, which offers the urgent referral.
    space.feature_tabs["referrals"] = Referrals(space)
    tab.instrument_buttons[PHQ_9].click()
    assert tab.new_button.text().replace("&", "") == "New PHQ-9…"
    tab.new_button.click()
    dialog = tab.last_dialog
    assert isinstance(dialog, AssessmentDialog)
    info = instrument_info(PHQ_9)
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert f"9. {info.item_texts[8]}" in texts
    assert dialog.groups[0].button(2).text() == "2  More than half the days"

    for number in range(1, 8):
        dialog.set_answer(number, 1)
    dialog.save()
    assert dialog.missing.text() == "Answer every item before saving. Still missing: 8, 9."
    assert dialog.item_messages[7].text() == "answer this item"
    assert dialog.item_messages[0].isHidden()
    assert dialog.saved_result is None and dialog.pages.currentIndex() == 0

    dialog.set_answer(8, 0)
    assert not dialog.item_messages[7].isVisible()
    dialog.set_answer(9, 1)
    assert "9 of 9 answered · total so far 8" in dialog.progress.text()
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved_result is not None, timeout=WAIT_MS)
    assert dialog.score_label.text() == "PHQ-9: 8 of 27"
    assert dialog.band_label.text().startswith("Mild")
    prompt = dialog.findChild(QFrame, "safetyPrompt")
    assert prompt is not None and prompt.isVisible()
    steps = dialog.findChild(QLabel, "safetySteps")
    assert steps is not None and assessments.safety_next_steps()[0] in steps.text()
    refer = prompt.findChild(QPushButton, "urgentReferral")
    assert refer is not None and refer.isVisible()
    refer.click()
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())
    assert len(referrals) == 1 and "thoughts of self-harm reported (item 9)" in referrals[0]

    settle(qtbot, ctx, tab, space)
    today = NOW.astimezone().date().isoformat()
    assert f"Safety: PHQ-9 item 9 ({today})" in space.flag_texts()
    assert tab.safety_banner.isVisible()
    assert tab.model.rowCount() == 1 and tab.model.row_at(0).safety_flag
    # The tab's banner keeps the next steps folded until asked for.
    toggle = tab.safety_banner.findChild(QToolButton, "safetyToggle")
    banner_steps = tab.safety_banner.findChild(QLabel, "safetySteps")
    assert toggle is not None and banner_steps is not None
    assert not banner_steps.isVisible() and toggle.text() == "Show next steps"
    toggle.click()
    assert banner_steps.isVisible() and toggle.text() == "Hide next steps"
    toggle.click()
    assert not banner_steps.isVisible()


def test_each_instrument_from_the_keyboard_with_its_band(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    space, tab = open_tab(qtbot, ctx, pid)
    for code, key, expected in (
        (BARC_10, Qt.Key.Key_5, "BARC-10: 50 of 60"),
        (GAD_7, Qt.Key.Key_3, "GAD-7: 21 of 21"),
        (PHQ_9, Qt.Key.Key_0, "PHQ-9: 0 of 27"),
    ):
        dialog = tab.new_assessment(code)
        first = dialog.groups[0].buttons()[0]
        first.setFocus()
        # Typing an answer's number picks it and moves to the next item.
        for _item in dialog.groups:
            focus = dialog.focusWidget()
            assert isinstance(focus, QRadioButton) or focus is dialog.save_button
            qtbot.keyClick(focus, key)
        assert dialog.missing_items() == []
        assert dialog.focusWidget() is dialog.save_button
        dialog.save()
        wait_saved(qtbot, dialog)
        assert dialog.score_label.text() == expected
        assert not dialog.safety.isVisible()
        dialog.reject()
        settle(qtbot, ctx, tab, space)
    assert tab.instrument_buttons[BARC_10].text() == "BARC-10 · 50"
    assert tab.instrument_buttons[GAD_7].text() == "GAD-7 · 21 Severe"
    tab.choose(BARC_10)
    assert "at or above the cut-off" in tab.change.text()
    assert not [text for text in space.flag_texts() if text.startswith("Safety")]


def test_a_past_date_and_entered_in_error(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    record(db, staff.peer1, pid, GAD_7, [2] * 7, days_ago=30)
    space, tab = open_tab(qtbot, ctx, pid)
    dialog = tab.new_assessment(GAD_7)
    for number in range(1, 8):
        dialog.set_answer(number, 1)
    dialog.given_on.setText((date.today() + timedelta(days=2)).isoformat())
    dialog.save()
    assert "future" in dialog.given_on_message.text()
    yesterday = date.today() - timedelta(days=1)
    dialog.given_on.set_date(yesterday)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved_result is not None, timeout=WAIT_MS)
    dialog.reject()
    settle(qtbot, ctx, tab, space)
    tab.choose(GAD_7)
    assert [tab.model.row_at(r).total for r in range(tab.model.rowCount())] == [7, 14]
    assert tab.model.index(0, 0).data() == yesterday.isoformat()
    assert "Since the first" in tab.change.text() and "−7 (fewer symptoms)" in tab.change.text()

    assert not tab.error_button.isEnabled()
    tab.table.selectRow(0)
    assert tab.error_button.isEnabled()
    tab.error_button.click()
    reason = tab.last_dialog
    assert isinstance(reason, ReasonDialog)
    reason.save()
    assert reason.message_text("reason")
    reason.inputs["reason"].setPlainText("Answers belonged to another visit")  # type: ignore[attr-defined]
    reason.save()
    qtbot.waitUntil(lambda: not shiboken6.isValid(reason) or not reason.isVisible())
    settle(qtbot, ctx, tab, space)
    assert tab.model.index(0, 5).data() == ("Entered in error: Answers belonged to another visit")
    assert [total for _when, total in tab.chart.points] == [14]  # left the trend


def test_the_trend_chart_has_the_recorded_points(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, tmp_path: Path
) -> None:
    pid = add_participant(db, staff.peer1)
    totals = [21, 18, 15, 12, 9, 6]
    for index, total in enumerate(totals):
        answers = [3] * (total // 3) + [0] * (9 - total // 3)
        record(db, staff.peer1, pid, PHQ_9, answers, days_ago=(5 - index) * 30)
    _space, tab = open_tab(qtbot, ctx, pid)
    tab.choose(PHQ_9)
    chart = tab.chart
    assert [total for _when, total in chart.points] == totals
    positions = chart.point_positions()
    geometry = chart.chart_geometry()
    assert geometry is not None and len(positions) == 6
    assert all(geometry.plot.adjusted(-1, -1, 1, 1).contains(p) for p in positions)
    xs = [p.x() for p in positions]
    ys = [p.y() for p in positions]
    assert xs == sorted(xs) and xs[0] < xs[-1]
    assert ys == sorted(ys)  # falling scores are drawn lower and lower
    assert abs(geometry.y_for(0) - geometry.plot.bottom()) < 0.01
    assert abs(geometry.y_for(27) - geometry.plot.top()) < 0.01
    assert "Since the first" in tab.change.text() and "−15" in tab.change.text()

    # Drawn the same, readable, on both palettes.
    standalone = TrendChart()
    qtbot.addWidget(standalone)
    standalone.resize(900, 320)
    standalone.set_series(instrument_info(PHQ_9), chart.points)
    for name, palette in (("light", light_palette()), ("dark", dark_palette())):
        standalone.setPalette(palette)
        path = tmp_path / f"trend-{name}.png"
        assert standalone.grab().save(str(path))
        image = QImage(str(path))
        point = standalone.point_positions()[2]
        dot = image.pixelColor(int(point.x()), int(point.y()))
        corner = image.pixelColor(2, 2)
        assert (corner.lightnessF() < 0.5) == (name == "dark")
        # The point stands out from the background around it.
        assert abs(dot.lightnessF() - corner.lightnessF()) > 0.15 or dot.hue() != corner.hue()


def test_safety_flag_source_names_the_date_and_does_not_audit(db: Database, staff: Staff) -> None:
    pid = add_participant(db, staff.peer1)
    record(db, staff.peer1, pid, PHQ_9, [0] * 8 + [1], days_ago=3)
    record(db, staff.peer1, pid, PHQ_9, [0] * 9, days_ago=1)  # a later one without it
    with db.session() as session:
        before = session.scalar(select(func.count(AuditEvent.id)))
        flags = assessments_tab.safety_flags(session, staff.peer1, pid)
        assert session.scalar(select(func.count(AuditEvent.id))) == before
    day = (NOW - timedelta(days=3)).astimezone().date().isoformat()
    assert flags == [(f"Safety: PHQ-9 item 9 ({day})", "safety")]
    # Another team's specialist gets no flag about a participant they cannot see.
    with db.session() as session:
        assert assessments_tab.safety_flags(session, staff.outsider, pid) == []
