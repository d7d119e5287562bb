"""The window as the program builds it (``ui.pages.install_all``): which pages each
person gets, and opening a participant from the caseload into the workspace page."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import Staff
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from casebook.database import Database
from casebook.security.permissions import Actor
from casebook.services import participants
from casebook.services.participants import ParticipantFields
from ui.caseload_view import CaseloadView
from ui.context import AppContext
from ui.main_window import DISCARD, PAGES, MainWindow
from ui.pages import PARTICIPANT_PAGE, install_all
from ui.settings import Settings, install_settings
from ui.tasks import TaskRunner
from ui.workspace import WorkspaceHost

WAIT_MS = 10_000

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support propagateSizeHints\(\)",
    r"This plugin does not support raise\(\)",
)


@pytest.fixture
def prefs(qapp: QApplication, tmp_path: Path) -> Iterator[Settings]:
    instance = Settings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    install_settings(instance)
    yield instance
    install_settings(None)


@pytest.fixture
def ctx(qapp: QApplication, db: Database) -> Iterator[AppContext]:
    context = AppContext(db, runner=TaskRunner())
    yield context
    assert context.runner.shutdown(WAIT_MS)


def settle(ctx: AppContext, qtbot: QtBot) -> None:
    for _ in range(50):
        assert ctx.runner.wait_all(WAIT_MS)
        qtbot.wait(5)
        if ctx.runner.active_count == 0:
            return
    raise AssertionError("tasks kept coming")


def window_for(ctx: AppContext, prefs: Settings, qtbot: QtBot, actor: Actor) -> MainWindow:
    install_all()
    ctx.set_actor(actor)
    window = MainWindow(ctx, prefs)
    window.ask_unsaved = lambda _action: DISCARD
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    settle(ctx, qtbot)
    return window


def nav_titles(window: MainWindow) -> list[str]:
    return [window.nav.item(row).text() for row in range(window.nav.count())]


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
