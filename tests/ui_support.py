"""What the window tests (tests/test_ui_*.py) share: the preferences, the recorded error
boxes and the application context as fixtures, and the helpers that build a window or a
participant workspace and wait for it.

A test module takes the fixtures with ``pytest_plugins = ["ui_support"]`` and imports the
helpers. A fixture the module defines under the same name wins over the one here, and may
ask for this one by that name (``def ctx(ctx, ...)``) to add to it. tests/conftest.py has
pytest rewrite the asserts here, as in a test.

tests/run.py runs each window-test module in a process of its own: nothing here may count
on another module having run first, and importing this module makes no Qt object.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import pytest
from conftest import Staff
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from casebook.database import Database
from casebook.security.permissions import Actor
from casebook.services import consents, counselors, participants
from casebook.services.consents import ConsentDetail, ConsentFields
from casebook.services.participants import ParticipantFields
from ui import form_dialog, messages, referrals_tab
from ui.context import AppContext
from ui.form_dialog import UnsavedChoice
from ui.lock import MINUTE_MS
from ui.main_window import DISCARD, PAGES, MainWindow, PageSpec
from ui.pages import install_all
from ui.settings import Settings, install_settings
from ui.tasks import TaskRunner
from ui.workspace import FLAG_SOURCES, WORKSPACE_TABS, ParticipantWorkspace, WorkspaceHost

WAIT_MS = 10_000
LONG_NAME = "Zoë Nguyễn-Łukasz Ødegaard-Þórsdóttir"

# The offscreen platform logs these whenever a top-level window is shown or raised; they
# say nothing about our widgets. Every other Qt warning still fails the test.
OFFSCREEN_NOISE = pytest.mark.qt_log_ignore(
    r"This plugin does not support propagateSizeHints\(\)",
    r"This plugin does not support raise\(\)",
)

W = TypeVar("W", bound=QWidget)


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def prefs(qapp: QApplication, tmp_path: Path) -> Iterator[Settings]:
    """The window's preferences in this test's own file, installed as the application's
    (never the user's real ones)."""
    instance = Settings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    install_settings(instance)
    yield instance
    install_settings(None)


def record_errors(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType = messages
) -> list[BaseException]:
    """Error boxes are modal: record what *module*'s ``show_error`` would show instead."""
    errors: list[BaseException] = []

    def record(parent: object, exc: BaseException, title: str | None = None) -> None:
        errors.append(exc)

    monkeypatch.setattr(module, "show_error", record)
    return errors


@pytest.fixture
def shown_errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """The error boxes (``ui.messages.show_error``) the test would have seen."""
    return record_errors(monkeypatch)


@pytest.fixture
def no_modal_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    """A form with unsaved changes is discarded without asking."""
    monkeypatch.setattr(form_dialog, "ask_unsaved_changes", lambda parent: UnsavedChoice.DISCARD)


@contextlib.contextmanager
def app_context(
    db: Database, actor: Actor | None = None, *, wait_ms: int = WAIT_MS
) -> Iterator[AppContext]:
    """An ``AppContext`` with a task runner of its own, *actor* signed in (None: no one);
    on leaving, its workers are joined (within *wait_ms*), before the database closes."""
    context = AppContext(db, runner=TaskRunner())
    if actor is not None:
        context.set_actor(actor)
    yield context
    assert context.runner.shutdown(wait_ms)


@pytest.fixture
def ctx(
    qapp: QApplication,
    db: Database,
    staff: Staff,
    prefs: Settings,
    shown_errors: list[BaseException],
) -> Iterator[AppContext]:
    """Pat Peer (``staff.peer1``) signed in, the test's preferences installed, and no
    error box expected."""
    with app_context(db, staff.peer1) as context:
        yield context
    assert shown_errors == [], shown_errors


@pytest.fixture
def referrals_installed() -> Iterator[None]:
    """The Referrals tab and what comes with it: the Consents tab, the directory page and
    their header flags. Registration is global: put it back afterwards, so other test
    files see the window as they built it."""
    saved = (list(WORKSPACE_TABS), list(FLAG_SOURCES), list(PAGES))
    referrals_tab.install()
    yield
    WORKSPACE_TABS[:], FLAG_SOURCES[:], PAGES[:] = saved


# -- waiting -----------------------------------------------------------------------------------


def settle(ctx: AppContext, qtbot: QtBot) -> None:
    """Wait until every task (and any task its callback started) has been delivered."""
    for _ in range(50):
        assert ctx.runner.wait_all(WAIT_MS)
        qtbot.wait(5)
        if ctx.runner.active_count == 0:
            return
    raise AssertionError("tasks kept coming")


# -- windows and workspaces --------------------------------------------------------------------


def shown(qtbot: QtBot, widget: W) -> W:
    """*widget* at a laptop's screen size, shown (and closed by pytest-qt after the test)."""
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.show()
    return widget


def make_window(
    ctx: AppContext,
    prefs: Settings,
    qtbot: QtBot,
    actor: Actor,
    pages: list[PageSpec] | None = None,
    *,
    idle_minute_ms: int = MINUTE_MS,
    full_size: bool = False,
    wait_exposed: bool = False,
) -> MainWindow:
    """The main window with *actor* signed in, shown: resized to a laptop's screen first
    when *full_size*, and waited for until it is exposed when *wait_exposed*."""
    ctx.set_actor(actor)
    window = MainWindow(ctx, prefs, pages=pages, idle_minute_ms=idle_minute_ms)
    # pytest-qt closes the window after the test; a question would wait forever.
    window.ask_unsaved = lambda _action: DISCARD
    qtbot.addWidget(window)
    if full_size:
        window.resize(1366, 768)
    if wait_exposed:
        with qtbot.waitExposed(window):
            window.show()
    else:
        window.show()
    return window


def window_for(ctx: AppContext, prefs: Settings, qtbot: QtBot, actor: Actor) -> MainWindow:
    """The window as the program builds it (``install_all``) for *actor*, its first
    loads delivered."""
    install_all()
    window = make_window(ctx, prefs, qtbot, actor, full_size=True)
    settle(ctx, qtbot)
    return window


def nav_titles(window: MainWindow) -> list[str]:
    return [window.nav.item(row).text() for row in range(window.nav.count())]


def open_workspace(
    qtbot: QtBot, ctx: AppContext, participant_id: int
) -> tuple[WorkspaceHost, ParticipantWorkspace]:
    """A shown workspace host with the participant's workspace open and loaded."""
    host = shown(qtbot, WorkspaceHost(ctx))
    with qtbot.waitSignal(host.workspace_created, timeout=WAIT_MS) as created:
        host.open_participant(participant_id)
    assert created.args is not None
    workspace: ParticipantWorkspace = created.args[0]
    qtbot.waitUntil(lambda: workspace.detail is not None, timeout=WAIT_MS)
    return host, workspace


def wait_flags(
    qtbot: QtBot, workspace: ParticipantWorkspace, check: Callable[[list[str]], bool]
) -> None:
    """Wait until the workspace's header flags pass *check*."""
    qtbot.waitUntil(lambda: check(workspace.flag_texts()), timeout=WAIT_MS)


# -- data --------------------------------------------------------------------------------------


def add_participant(
    db: Database,
    actor: Actor,
    legal_name: str = LONG_NAME,
    *,
    preferred: str = "",
    intake: date | None = None,
    start: date | None = None,
    specialist_id: int | None = None,
) -> int:
    """A participant taken in 60 days ago (unless *intake* says otherwise)."""
    with db.session() as session:
        return participants.create_participant(
            session,
            actor,
            ParticipantFields(
                record_number="",
                legal_name=legal_name,
                preferred_name=preferred,
                pronouns="they/them",
                phone="555 0100",
                date_of_birth=date(1990, 2, 3),
                intake_date=intake or date.today() - timedelta(days=60),
                recovery_start_date=start,
            ),
            specialist_id=specialist_id,
        ).id


def make_participant(db: Database, actor: Actor, name: str) -> int:
    """A participant from raw form values: a name and a birth date, nothing more."""
    with db.session() as s:
        fields = participants.parse_participant_fields(
            {"legal_name": name, "date_of_birth": "1990-01-02"}
        )
        return participants.create_participant(s, actor, fields).id


def add_counselor(db: Database, actor: Actor, name: str, **raw: object) -> int:
    with db.session() as session:
        return counselors.create_counselor(
            session, actor, counselors.parse_counselor_fields({"name": name, **raw})
        ).id


def add_consent(
    db: Database,
    actor: Actor,
    participant_id: int,
    counselor_id: int | None,
    *,
    expires_in: int = 365,
    categories: tuple[str, ...] = ("contact_details", "substance_use", "referral_reason"),
) -> ConsentDetail:
    """A consent signed three days ago by the participant (``LONG_NAME``)."""
    with db.session() as session:
        return consents.create_consent(
            session,
            actor,
            participant_id,
            ConsentFields(
                patient_name=LONG_NAME,
                discloser="Riverbend Peer Recovery Center",
                information="Contact details, substance use history, the referral reason.",
                information_categories=categories,
                recipient_counselor_id=counselor_id,
                purpose="Referral to counseling",
                revocation_statement=consents.STANDARD_REVOCATION_STATEMENT,
                expires_on=date.today() + timedelta(days=expires_in),
                signed_by=LONG_NAME,
                signer_relationship="self",
                signed_on=date.today() - timedelta(days=3),
            ),
        )
