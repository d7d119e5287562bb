"""The supervisor's "Review notes" page on a real database: the co-sign queue and the
notes left unsigned, the selected note's text, co-signing with a confirmation, opening
the participant's notes, and the Team page's unsigned-note counts."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import Staff
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from ui_support import (
    OFFSCREEN_NOISE,
    WAIT_MS,
    app_context,
    make_participant,
    nav_titles,
    settle,
    window_for,
)

from casebook.database import Database
from casebook.security.permissions import Actor
from casebook.services import notes as N
from models import AuditEvent
from ui.context import AppContext
from ui.main_window import PAGES
from ui.note_lists import NoteQueueModel
from ui.pages import PARTICIPANT_PAGE
from ui.review_page import ReviewPage
from ui.settings import Settings
from ui.team_view import SpecialistSummaryModel, TeamView
from ui.workspace import WorkspaceHost

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE


@pytest.fixture
def ctx(
    qapp: QApplication, db: Database, staff: Staff, shown_errors: list[BaseException]
) -> Iterator[AppContext]:
    with app_context(db, staff.supervisor) as context:
        yield context
    assert shown_errors == []


def note(
    db: Database,
    actor: Actor,
    pid: int,
    text: str,
    *,
    sign: bool = True,
    hours_ago: float = 2,
    risk_flags: tuple[str, ...] = (),
) -> int:
    sections = {
        "goal": text,
        "intervention": "Practised the call together",
        "response": "Felt ready",
        "plan": "Call on Monday",
    }
    content = N.NoteContent(
        occurred_at=datetime.now(UTC) - timedelta(hours=hours_ago),
        duration_minutes=40,
        sections=sections,
        risk_flags=risk_flags,
    )
    with db.session() as s:
        saved = N.save_draft(s, actor, pid, content)
        if sign:
            N.sign_note(s, actor, saved.note_id)
    return saved.note_id


def make_page(qtbot: QtBot, ctx: AppContext) -> ReviewPage:
    page = ReviewPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    with qtbot.waitSignal(page.loading_finished, timeout=WAIT_MS):
        page.show()
    settle(ctx, qtbot)  # the first note's text
    return page


def column(model: NoteQueueModel, col: int) -> list[str]:
    return [model.index(row, col).data() for row in range(model.rowCount())]


def selected_id(page: ReviewPage) -> int | None:
    item = page.selected_item()
    return item.note_id if item is not None else None


def answer(page: ReviewPage, button_text: str) -> None:
    box = page.dialog
    assert isinstance(box, QMessageBox)
    button = next(b for b in box.buttons() if b.text().replace("&", "") == button_text)
    button.click()


# -- the queue ------------------------------------------------------------------------------


def test_cosigning_a_signed_note_takes_it_off_the_queue(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    zoe = make_participant(db, staff.peer1, "Zoë Nguyễn-Łukasz")
    signed = note(
        db, staff.peer1, zoe, "Talked about <b>relapse</b> & triggers", risk_flags=("relapse",)
    )
    late = note(
        db,
        staff.peer2,
        make_participant(db, staff.peer2, "Björn Þórsson"),
        "Outreach follow-up",
        sign=False,
        hours_ago=30,
    )
    outsider = make_participant(db, staff.outsider, "Oli's participant")
    note(db, staff.outsider, outsider, "Not this supervisor's team")

    page = make_page(qtbot, ctx)
    model = page.cosign_model
    assert column(model, NoteQueueModel.SPECIALIST) == ["Pat Peer"]
    assert column(model, NoteQueueModel.PARTICIPANT) == ["Zoë Nguyễn-Łukasz"]
    assert column(model, NoteQueueModel.KIND) == ["Individual session"]
    assert column(model, NoteQueueModel.RISK) == ["Relapse / return to use"]
    assert column(page.overdue_model, NoteQueueModel.SPECIALIST) == ["Quinn Peer"]
    assert column(page.overdue_model, NoteQueueModel.WAITING) == ["30 hours"]
    assert page.cosign_heading.text() == "Waiting for your co-signature (1)"
    assert "1 note to co-sign · 1 with risk flags · 1 unsigned over 24 hours" in (
        page.summary.text()
    )

    # The first note is open, its text shown as text (never as markup).
    assert selected_id(page) == signed
    text = page.note_view.toPlainText()
    assert "Talked about <b>relapse</b> & triggers" in text
    assert "Zoë Nguyễn-Łukasz" in text and "Practised the call together" in text
    assert page.note_view.isReadOnly()
    assert page.cosign_button.isEnabled()

    # Cancel changes nothing.
    page.cosign_button.click()
    answer(page, "Cancel")
    settle(ctx, qtbot)
    assert model.rowCount() == 1

    page.cosign_button.click()
    assert page.dialog is not None
    question = page.dialog.text()
    assert "Pat Peer" in question and "Zoë Nguyễn-Łukasz" in question
    with qtbot.waitSignal(page.cosigned, timeout=WAIT_MS):
        answer(page, "Co-sign")
    settle(ctx, qtbot)
    assert model.rowCount() == 0
    assert page.summary.text().startswith(
        "Co-signed the note about Zoë Nguyễn-Łukasz. 0 notes to co-sign"
    )
    with db.session() as s:
        detail = N.get_note(s, staff.supervisor, signed)
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "note_cosign")))
    assert detail.cosigned_by_name == "Sam Supervisor" and detail.cosigned_at is not None
    assert [e.entity_id for e in events] == [signed]
    # The overdue draft is now the one shown; a draft cannot be co-signed.
    assert selected_id(page) == late
    assert "Outreach follow-up" in page.note_view.toPlainText()
    assert "Draft — Written by Quinn Peer" in page.note_view.toPlainText()
    assert not page.cosign_button.isEnabled()


def test_a_note_cosigned_elsewhere_leaves_the_queue_on_refresh(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = make_participant(db, staff.peer1, "Amara Okafor")
    first = note(db, staff.peer1, pid, "First visit")
    second = note(db, staff.peer1, pid, "Second visit", hours_ago=1)
    page = make_page(qtbot, ctx)
    assert page.cosign_model.rowCount() == 2
    with db.session() as s:
        N.cosign(s, staff.supervisor, first)
    with qtbot.waitSignal(page.loading_finished, timeout=WAIT_MS):
        ctx.notify("notes", pid)
    settle(ctx, qtbot)
    assert page.cosign_model.rowCount() == 1
    assert page.cosign_model.row_at(0).note_id == second
    assert selected_id(page) == second


# -- in the window --------------------------------------------------------------------------


def test_only_supervisors_get_the_review_page(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, staff: Staff
) -> None:
    specialist_window = window_for(ctx, prefs, qtbot, staff.peer1)
    assert "Review notes" not in nav_titles(specialist_window)
    assert specialist_window.page("review") is None
    supervisor_window = window_for(ctx, prefs, qtbot, staff.supervisor)
    assert "Review notes" in nav_titles(supervisor_window)
    spec = next(spec for spec in PAGES if spec.key == "review")
    assert (spec.shortcut, spec.icon_name) == ("Ctrl+9", "signature")
    keys = [s.key for s in PAGES]
    assert keys.index("review") < keys.index("audit")


def test_enter_in_the_queue_opens_the_participant_notes(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, db: Database, staff: Staff
) -> None:
    pid = make_participant(db, staff.peer1, "Zoë Nguyễn-Łukasz")
    note(db, staff.peer1, pid, "Housing visit")
    window = window_for(ctx, prefs, qtbot, staff.supervisor)
    page = window.show_page("review")
    assert isinstance(page, ReviewPage)
    settle(ctx, qtbot)
    assert page.cosign_model.rowCount() == 1
    page.cosign_table.setFocus()
    qtbot.keyClick(page.cosign_table, Qt.Key.Key_Return)
    settle(ctx, qtbot)
    assert window.current_page_key() == PARTICIPANT_PAGE
    host = window.page(PARTICIPANT_PAGE)
    assert isinstance(host, WorkspaceHost)
    workspace = host.workspace(pid)
    assert workspace is not None
    assert workspace.tabs.currentWidget() is workspace.feature_tabs["notes"]


def test_the_team_page_counts_unsigned_notes(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, db: Database, staff: Staff
) -> None:
    pid = make_participant(db, staff.peer2, "Björn Þórsson")
    note(db, staff.peer2, pid, "Late one", sign=False, hours_ago=50)
    note(db, staff.peer2, pid, "Late two", sign=False, hours_ago=26)
    note(db, staff.peer2, pid, "Still in time", sign=False, hours_ago=3)
    note(db, staff.peer1, make_participant(db, staff.peer1, "Amara Okafor"), "Signed")
    window = window_for(ctx, prefs, qtbot, staff.supervisor)
    team = window.show_page("team")
    assert isinstance(team, TeamView)
    model = team.summary_model

    def unsigned(specialist: Actor) -> str:
        row = model.row_of(specialist.id)
        return str(model.index(row, SpecialistSummaryModel.UNSIGNED_NOTES).data())

    qtbot.waitUntil(lambda: model.row_of(staff.peer2.id) >= 0, timeout=WAIT_MS)
    settle(ctx, qtbot)
    assert unsigned(staff.peer2) == "2"  # more than 24 hours after the contact
    assert unsigned(staff.peer1) == "0"
