"""The Today page inside the real main window, on a real encrypted database."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from conftest import Staff
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot
from test_today import add_participant, write_note
from ui_support import OFFSCREEN_NOISE, WAIT_MS, app_context, make_window

import ui.main_window
import ui.pages
import ui.workspace
from casebook.database import Database
from casebook.services import today as T
from ui.context import AppContext
from ui.main_window import MainWindow
from ui.pages import install_all
from ui.settings import Settings
from ui.today_model import BADGE, SPECIALIST, WHEN, TodayItemModel
from ui.today_page import TodayPage, ms_until_midnight
from ui.workspace import ParticipantWorkspace, TabSpec, register_tab

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE

TODAY = date.today()


@pytest.fixture
def ctx(
    qapp: QApplication, db: Database, prefs: Settings, shown_errors: list[BaseException]
) -> Iterator[AppContext]:
    with app_context(db) as context:
        yield context
    assert shown_errors == []


@pytest.fixture
def notes_tab(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's pages and tabs as ``install_all`` builds them, on copies of the
    registries so other test modules see them as they were. While the Session notes
    tab is not installed, a plain stand-in takes its key, so that "opens on the notes
    tab" can be seen."""
    monkeypatch.setattr(ui.pages, "_installed", False)
    monkeypatch.setattr(ui.main_window, "PAGES", list(ui.main_window.PAGES))
    monkeypatch.setattr(ui.workspace, "WORKSPACE_TABS", list(ui.workspace.WORKSPACE_TABS))
    monkeypatch.setattr(ui.workspace, "FLAG_SOURCES", list(ui.workspace.FLAG_SOURCES))
    install_all()
    if not any(tab.key == "notes" for tab in ui.workspace.WORKSPACE_TABS):
        register_tab(TabSpec("notes", "Session notes", "notebook-pen", lambda c, w: QLabel(), 20))


def today_page(window: MainWindow, qtbot: QtBot) -> TodayPage:
    page = window.page("today")
    assert isinstance(page, TodayPage)
    qtbot.waitUntil(lambda: page.view is not None and not page.is_loading, timeout=WAIT_MS)
    return page


def open_workspace(window: MainWindow, qtbot: QtBot, pid: int) -> ParticipantWorkspace:
    host = window.page("participant")
    assert host is not None
    qtbot.waitUntil(lambda: host.workspace(pid) is not None, timeout=WAIT_MS)  # type: ignore[attr-defined]
    workspace: ParticipantWorkspace = host.workspace(pid)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: workspace.detail is not None, timeout=WAIT_MS)
    return workspace


def focused() -> QWidget | None:
    return QApplication.focusWidget()


class Caseload:
    def __init__(self, db: Database, staff: Staff) -> None:
        peer = staff.peer1
        self.late = add_participant(
            db,
            peer,
            "Zoë Nguyễn-Łukasz Wojciechowska",
            preferred="Zoë",
            intake=TODAY - timedelta(days=30),
        )
        self.unsigned = add_participant(db, peer, "Ulla Unsigned", cadence=30)
        self.note = write_note(db, peer, self.unsigned, hours_ago=30, sign=False)
        self.flagged = add_participant(db, peer, "Rafael Risk", cadence=30)
        write_note(db, peer, self.flagged, hours_ago=3, risk=("overdose_risk",))
        self.other = add_participant(
            db, staff.peer2, "Quinn's Person", intake=TODAY - timedelta(40)
        )


@pytest.fixture
def caseload(db: Database, staff: Staff) -> Caseload:
    return Caseload(db, staff)


# -- tests ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("notes_tab")
def test_today_is_the_first_page_and_shows_the_sections(
    qtbot: QtBot,
    ctx: AppContext,
    prefs: Settings,
    staff: Staff,
    caseload: Caseload,
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.peer1, full_size=True, wait_exposed=True)
    assert window.current_page_key() == "today"
    assert window.nav.item(0).text() == "Today"
    page = today_page(window, qtbot)

    contacts = page.section(T.CONTACTS)
    assert contacts.title_label.text() == "Contacts due and overdue (1)"
    assert contacts.detail_label.text() == "1 long overdue"
    model = contacts.model
    assert model.index(0, BADGE).data() == "long overdue"
    assert model.index(0, 1).data().startswith("Zoë (Zoë Nguyễn-Łukasz Wojciechowska) · R-")
    assert model.index(0, WHEN).data() == "23 days overdue"
    # A specialist's items are all their own: no specialist column.
    assert contacts.table.isColumnHidden(SPECIALIST)

    safety = page.section(T.SAFETY)
    assert safety.count() == 1
    assert safety.model.index(0, BADGE).data() == "safety"
    assert safety.property("role") == "safety-banner"
    assert safety.model.index(0, 2).data() == "Session note: Overdose risk"

    unsigned = page.section(T.UNSIGNED_NOTES)
    assert unsigned.title_label.text() == "Unsigned notes (1)"
    assert unsigned.model.index(0, WHEN).data() == "30 hours since contact"

    # Empty sections fold to one line that says so.
    for key in (T.DRAFTS, T.PLAN_REVIEWS, T.FOLLOW_UPS, T.CONSENTS, T.MILESTONES):
        section = page.section(key)
        assert section.table.isHidden(), key
        assert section.detail_label.text() in (
            "Nothing due",
            "No drafts waiting",
            "No milestones this week",
        )
    assert page.summary_label.text() == "1 safety flag to follow up first · 2 things to do"
    assert staff.peer2.display_name not in page.summary_label.text()
    assert caseload.other not in [item.participant_id for item in page.view.contacts]  # type: ignore[union-attr]


@pytest.mark.usefixtures("notes_tab")
def test_enter_opens_the_workspace_on_the_right_tab(
    qtbot: QtBot,
    ctx: AppContext,
    prefs: Settings,
    staff: Staff,
    caseload: Caseload,
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.peer1, full_size=True, wait_exposed=True)
    page = today_page(window, qtbot)

    table = page.section(T.CONTACTS).table
    table.setFocus()
    qtbot.waitUntil(lambda: table.currentIndex().isValid(), timeout=WAIT_MS)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    workspace = open_workspace(window, qtbot, caseload.late)
    assert window.current_page_key() == "participant"
    assert workspace.tabs.currentWidget() is workspace.overview

    window.show_page("today")
    table = page.section(T.UNSIGNED_NOTES).table
    table.setFocus()
    qtbot.waitUntil(lambda: table.currentIndex().isValid(), timeout=WAIT_MS)
    with qtbot.waitSignal(page.item_opened, timeout=WAIT_MS) as opened:
        qtbot.keyClick(table, Qt.Key.Key_Enter)
    assert opened.args == [caseload.unsigned, "notes"]
    workspace = open_workspace(window, qtbot, caseload.unsigned)
    assert workspace.tabs.currentWidget() is workspace.feature_tabs["notes"]


@pytest.mark.usefixtures("notes_tab")
def test_tab_moves_from_list_to_list(
    qtbot: QtBot,
    ctx: AppContext,
    prefs: Settings,
    staff: Staff,
    caseload: Caseload,
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.peer1, full_size=True, wait_exposed=True)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    page = today_page(window, qtbot)
    safety = page.section(T.SAFETY).table
    safety.setFocus()
    qtbot.waitUntil(lambda: focused() is safety, timeout=WAIT_MS)
    qtbot.keyClick(safety, Qt.Key.Key_Tab)
    assert focused() is page.section(T.CONTACTS).table
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    # The hidden empty lists are skipped; the last list with items is unsigned notes.
    assert focused() is page.section(T.UNSIGNED_NOTES).table
    assert page.section(T.UNSIGNED_NOTES).table.currentIndex().row() == 0


@pytest.mark.usefixtures("notes_tab")
def test_reloads_after_a_change_and_when_shown_again(
    qtbot: QtBot,
    ctx: AppContext,
    prefs: Settings,
    db: Database,
    staff: Staff,
    caseload: Caseload,
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.peer1, full_size=True, wait_exposed=True)
    page = today_page(window, qtbot)
    contacts = page.section(T.CONTACTS)
    added = add_participant(db, staff.peer1, "Newly Late", intake=TODAY - timedelta(days=9))
    ctx.notify("participant", added)
    qtbot.waitUntil(lambda: contacts.count() == 2, timeout=WAIT_MS)
    assert contacts.detail_label.text() == "1 long overdue · 1 overdue"

    # While another page is shown a change only marks Today stale; showing it reloads.
    window.show_page("caseload")
    write_note(db, staff.peer1, added, hours_ago=1)
    ctx.notify("notes", added)
    qtbot.wait(600)
    assert contacts.count() == 2
    window.show_page("today")
    qtbot.waitUntil(lambda: contacts.count() == 1, timeout=WAIT_MS)


@pytest.mark.usefixtures("notes_tab")
def test_a_supervisor_sees_whose_item_it_is(
    qtbot: QtBot,
    ctx: AppContext,
    prefs: Settings,
    staff: Staff,
    caseload: Caseload,
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.supervisor, full_size=True, wait_exposed=True)
    page = today_page(window, qtbot)
    contacts = page.section(T.CONTACTS)
    assert not contacts.table.isColumnHidden(SPECIALIST)
    whose = {
        contacts.model.item_at(row).participant_id: contacts.model.index(row, SPECIALIST).data()
        for row in range(contacts.count())
    }
    assert whose == {caseload.late: "Pat Peer", caseload.other: "Quinn Peer"}
    assert page.section(T.UNSIGNED_NOTES).model.index(0, SPECIALIST).data() == "Pat Peer"


@pytest.mark.usefixtures("notes_tab")
def test_an_administrator_has_no_today_page(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, staff: Staff
) -> None:
    window = make_window(ctx, prefs, qtbot, staff.admin, full_size=True, wait_exposed=True)
    assert "today" not in [spec.key for spec in window.page_specs()]


def test_the_model(qtmodeltester: object, db: Database, staff: Staff, caseload: Caseload) -> None:
    with db.session(read_only=True) as s:
        view = T.today_items(s, staff.supervisor)
    model = TodayItemModel()
    model.set_items(view.contacts + view.unsigned_notes + view.safety, view.today)
    assert model.rowCount() == 4
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_midnight_is_the_next_reload() -> None:
    assert ms_until_midnight(datetime(2026, 3, 1, 23, 59, 0)) == 61_000
    assert ms_until_midnight(datetime(2026, 3, 1, 0, 0, 1)) == 86_400_000
