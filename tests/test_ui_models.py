"""Every table model of the window passes Qt's model tester, filled with real data from
a seeded clinic (the models not already checked in their own screen's tests)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from ui_support import OFFSCREEN_NOISE, app_context, shown

from casebook.database import Database, create_database
from casebook.db import DatabaseLocation
from casebook.demo import seed_demo
from casebook.security import keystore
from casebook.security.passwords import hash_password
from casebook.security.permissions import Actor
from casebook.services import users
from models import Assessment, CaseAssignment, SessionNote
from ui.context import AppContext
from ui.directory_page import DirectoryPage
from ui.note_search_page import NoteSearchPage
from ui.pages import install_all
from ui.review_page import ReviewPage
from ui.settings import Settings
from ui.workspace import WorkspaceHost

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = [pytest.mark.sqlite_only, OFFSCREEN_NOISE]
WAIT_MS = 20_000
PASSWORD = "demo passphrase for models"


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Database]:
    location = DatabaseLocation(url="sqlite://", path=tmp_path / "clinic.db")
    database = create_database(location, key_hex=keystore.generate_key())
    with database.session() as session:
        seed_demo(session, participants=30, seed=5, password_hash=hash_password(PASSWORD))
    yield database
    database.close()


def sign_in(db: Database, username: str) -> Actor:
    with db.session() as session:
        return users.authenticate(
            session, username, PASSWORD, sleep=lambda _s: None
        ).raise_for_failure()


@pytest.fixture
def ctx(qapp: QApplication, clinic: Database, prefs: Settings) -> Iterator[AppContext]:
    with app_context(clinic, sign_in(clinic, "peer1"), wait_ms=WAIT_MS) as context:
        yield context


def check_filled(qtbot: QtBot, tester: Any, model: QAbstractItemModel) -> None:
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=WAIT_MS)
    tester.check(model)


def busiest_participant(db: Database, actor: Actor) -> int:
    """One of the actor's participants with both notes and assessments."""
    with db.session(read_only=True) as session:
        mine = select(CaseAssignment.participant_id).where(
            CaseAssignment.specialist_id == actor.id, CaseAssignment.end_date.is_(None)
        )
        with_notes = select(SessionNote.participant_id).where(SessionNote.participant_id.in_(mine))
        pid = session.scalar(
            select(Assessment.participant_id)
            .where(Assessment.participant_id.in_(with_notes))
            .order_by(Assessment.participant_id)
            .limit(1)
        )
    assert pid is not None
    return int(pid)


def test_the_notes_and_assessment_tab_models(
    qtbot: QtBot, qtmodeltester: Any, ctx: AppContext, clinic: Database
) -> None:
    install_all()
    host = shown(qtbot, WorkspaceHost(ctx))
    assert isinstance(host, WorkspaceHost)
    workspace = host.open_participant(busiest_participant(clinic, ctx.actor))
    qtbot.waitUntil(lambda: workspace.detail is not None, timeout=WAIT_MS)
    for key in ("notes", "assessments"):
        tab = workspace.show_tab(key)
        assert tab is not None
        check_filled(qtbot, qtmodeltester, tab.model)  # type: ignore[attr-defined]


def test_the_directory_model(qtbot: QtBot, qtmodeltester: Any, ctx: AppContext) -> None:
    page = shown(qtbot, DirectoryPage(ctx))
    check_filled(qtbot, qtmodeltester, page.model)


def test_the_search_results_model(qtbot: QtBot, qtmodeltester: Any, ctx: AppContext) -> None:
    page = shown(qtbot, NoteSearchPage(ctx))
    assert isinstance(page, NoteSearchPage)
    qtbot.keyClicks(page.query, "housing")
    check_filled(qtbot, qtmodeltester, page.model)


def test_the_review_queue_models(
    qtbot: QtBot, qtmodeltester: Any, ctx: AppContext, clinic: Database
) -> None:
    ctx.set_actor(sign_in(clinic, "supervisor"))
    page = shown(qtbot, ReviewPage(ctx))
    assert isinstance(page, ReviewPage)
    check_filled(qtbot, qtmodeltester, page.cosign_model)
    check_filled(qtbot, qtmodeltester, page.overdue_model)
