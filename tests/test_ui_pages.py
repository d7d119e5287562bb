"""The window as the program builds it (``ui.pages.install_all``): which pages each
person gets, and opening a participant from the caseload into the workspace page."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import date

import pytest
from conftest import Staff
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, WAIT_MS, app_context, nav_titles, settle, window_for

from casebook.database import Database
from casebook.services import participants
from casebook.services.participants import ParticipantFields
from ui.caseload_view import CaseloadView
from ui.context import AppContext
from ui.main_window import PAGES
from ui.pages import PARTICIPANT_PAGE, install_all
from ui.settings import Settings
from ui.workspace import WorkspaceHost

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE


@pytest.fixture
def ctx(qapp: QApplication, db: Database) -> Iterator[AppContext]:
    with app_context(db) as context:
        yield context


def test_every_registered_page_has_its_own_shortcut() -> None:
    install_all()
    shortcuts = [spec.shortcut for spec in PAGES if spec.shortcut]
    assert len(shortcuts) == len(set(shortcuts))
    keys = [spec.key for spec in PAGES]
    assert len(keys) == len(set(keys))


def test_a_specialist_gets_the_caseload_and_no_staff_or_team_page(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, staff: Staff
) -> None:
    window = window_for(ctx, prefs, qtbot, staff.peer1)
    titles = nav_titles(window)
    assert "Caseload" in titles and "Participant" in titles
    assert "Team" not in titles and "Staff accounts" not in titles


def test_an_admin_without_supervision_sees_no_clinical_pages(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, staff: Staff
) -> None:
    window = window_for(ctx, prefs, qtbot, staff.admin)
    titles = nav_titles(window)
    assert "Staff accounts" in titles
    assert "Caseload" not in titles and "Participant" not in titles


def test_a_supervisor_gets_the_team_page(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, staff: Staff
) -> None:
    window = window_for(ctx, prefs, qtbot, staff.supervisor)
    assert "Team" in nav_titles(window)


def test_opening_a_participant_from_the_caseload_shows_the_workspace(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, staff: Staff, db: Database
) -> None:
    with db.session() as session:
        detail = participants.create_participant(
            session,
            staff.peer1,
            ParticipantFields(
                record_number="R-7001",
                legal_name="Zoë Nguyễn-Łukasz",
                date_of_birth=date(1990, 5, 17),
                intake_date=date(2026, 10, 1),
            ),
        )
    window = window_for(ctx, prefs, qtbot, staff.peer1)
    caseload = window.show_page("caseload")
    assert isinstance(caseload, CaseloadView)
    settle(ctx, qtbot)
    caseload.open_participant.emit(detail.id)
    settle(ctx, qtbot)
    host = window.page(PARTICIPANT_PAGE)
    assert isinstance(host, WorkspaceHost)
    assert window.current_page_key() == PARTICIPANT_PAGE
    workspace = host.workspace(detail.id)
    assert workspace is not None
    qtbot.waitUntil(lambda: workspace.detail is not None, timeout=WAIT_MS)
    assert "Zoë Nguyễn-Łukasz" in workspace.name_label.text()
    tabs = [workspace.tabs.tabText(i) for i in range(workspace.tabs.count())]
    assert tabs[0] == "Overview" and tabs[-1] == "History"
