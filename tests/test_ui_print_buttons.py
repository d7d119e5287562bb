"""Each workspace tab prints its own document: a signed note, the referral packet, the
consent form and the wellness card, through the same preview as every report."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Staff
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from test_reports import Clinic, build_clinic, pages, squash
from ui_support import OFFSCREEN_NOISE, app_context, shown

from casebook.database import Database
from ui import consents_tab, notes_tab, plan_tab, referrals_tab
from ui.context import AppContext
from ui.main_window import PAGES
from ui.print_preview import PrintPreviewDialog
from ui.settings import Settings
from ui.workspace import FLAG_SOURCES, WORKSPACE_TABS, ParticipantWorkspace, WorkspaceHost

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = [pytest.mark.sqlite_only, OFFSCREEN_NOISE]
WAIT_MS = 20_000


@pytest.fixture(autouse=True)
def feature_tabs() -> Iterator[None]:
    saved = list(WORKSPACE_TABS), list(FLAG_SOURCES), list(PAGES)
    for module in (plan_tab, notes_tab, referrals_tab):
        module.install()
    yield
    WORKSPACE_TABS[:], FLAG_SOURCES[:], PAGES[:] = saved


@pytest.fixture
def ctx(qapp: QApplication, db: Database, staff: Staff, prefs: Settings) -> Iterator[AppContext]:
    with app_context(db, staff.peer1, wait_ms=WAIT_MS) as context:
        yield context


@pytest.fixture
def workspace(qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff) -> ParticipantWorkspace:
    clinic: Clinic = build_clinic(db, staff)
    host = shown(qtbot, WorkspaceHost(ctx))
    opened = host.open_participant(clinic.zoe)
    qtbot.waitUntil(lambda: opened.detail is not None, timeout=WAIT_MS)
    return opened


def print_from(
    qtbot: QtBot, tab: QWidget, button: QPushButton, ready: Callable[[], bool]
) -> list[str]:
    """Wait until *ready*, press *button*, and return the text of the previewed PDF."""
    qtbot.waitUntil(ready, timeout=WAIT_MS)
    assert button.isVisible() and button.isEnabled()
    button.click()
    qtbot.waitUntil(lambda: tab.findChild(PrintPreviewDialog) is not None, timeout=WAIT_MS)
    dialog = tab.findChild(PrintPreviewDialog)
    assert isinstance(dialog, PrintPreviewDialog)
    qtbot.waitUntil(lambda: dialog.document.pageCount() > 0, timeout=WAIT_MS)
    pdf = Path(dialog._pdf)
    text = [squash(page) for page in pages(pdf)]
    dialog.reject()
    return text


def test_a_signed_note_prints_from_the_notes_tab(
    qtbot: QtBot, workspace: ParticipantWorkspace
) -> None:
    tab = workspace.show_tab("notes")
    assert isinstance(tab, notes_tab.NotesTab)
    qtbot.waitUntil(lambda: tab.has_loaded and tab.model.rowCount() > 0, timeout=WAIT_MS)
    signed = next(r for r in range(tab.model.rowCount()) if tab.model.row_at(r).is_signed)
    tab.table.selectRow(signed)
    printed = print_from(qtbot, tab, tab.print_button, lambda: tab.print_button.isVisible())
    assert any("SessionnoteZoë" in page for page in printed)
    assert any("Contenthash(SHA-256)" in page for page in printed)


def test_the_referral_packet_prints_from_the_referrals_tab(
    qtbot: QtBot, workspace: ParticipantWorkspace
) -> None:
    tab = workspace.show_tab("referrals")
    assert isinstance(tab, referrals_tab.ReferralsTab)
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0, timeout=WAIT_MS)
    for row in range(tab.model.rowCount()):
        tab.table.selectRow(row)
        qtbot.waitUntil(lambda: tab.current is not None, timeout=WAIT_MS)
        if tab.print_button.isEnabled():
            break
    printed = print_from(qtbot, tab, tab.print_button, lambda: tab.print_button.isEnabled())
    # The 42 CFR §2.32 notice is on every page of the packet.
    assert all("42CFRpart2" in page for page in printed)


def test_the_consent_form_prints_from_the_consents_tab(
    qtbot: QtBot, workspace: ParticipantWorkspace
) -> None:
    tab = workspace.show_tab("consents")
    assert isinstance(tab, consents_tab.ConsentsTab)
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0, timeout=WAIT_MS)
    tab.table.selectRow(0)
    printed = print_from(qtbot, tab, tab.print_button, lambda: tab.print_button.isEnabled())
    assert any("Signature" in page or "signature" in page for page in printed)


def test_the_wellness_card_prints_from_the_plan_tab(
    qtbot: QtBot, workspace: ParticipantWorkspace
) -> None:
    tab = workspace.show_tab("plan")
    assert isinstance(tab, plan_tab.PlanTab)
    printed = print_from(qtbot, tab, tab.card_button, lambda: tab.card_button.isVisible())
    assert len(printed) == 1
    assert any("Zoë" in page for page in printed)
