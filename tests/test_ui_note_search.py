"""The "Search notes" page on a real database: typing finds notes with highlighted,
escaped snippets; filters narrow the search; bad input gets a message saying what
to fix; only readable notes are found; Enter opens the participant's notes tab."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Staff
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from ui_support import (
    OFFSCREEN_NOISE,
    WAIT_MS,
    app_context,
    make_participant,
    settle,
    shown,
    window_for,
)

import ui.note_search_page as page_module
from casebook.database import Database
from casebook.errors import ValidationError
from casebook.security.permissions import Actor
from casebook.services import note_search
from casebook.services import notes as N
from models import AuditEvent
from ui.context import AppContext
from ui.main_window import PAGES
from ui.note_lists import SearchResultsModel
from ui.note_search_page import NoteSearchPage
from ui.pages import PARTICIPANT_PAGE
from ui.settings import Settings
from ui.workspace import WorkspaceHost

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE


# -- helpers --------------------------------------------------------------------------------


@pytest.fixture
def ctx(qapp: QApplication, db: Database, staff: Staff) -> Iterator[AppContext]:
    with app_context(db, staff.peer1) as context:
        yield context


def note(
    db: Database,
    actor: Actor,
    pid: int,
    text: str,
    *,
    sign: bool = True,
    days_ago: float = 0.05,
    kind: str = "individual",
) -> int:
    sections = {
        "goal": text,
        "intervention": "Talked it through",
        "response": "Listened",
        "plan": "Meet next week",
    }
    content = N.NoteContent(
        occurred_at=datetime.now(UTC) - timedelta(days=days_ago),
        kind=kind,
        duration_minutes=30,
        mode="phone" if kind == "check_in" else "in_person",
        sections=sections,
    )
    with db.session() as s:
        saved = N.save_draft(s, actor, pid, content)
        if sign:
            N.sign_note(s, actor, saved.note_id)
    return saved.note_id


def search_events(db: Database) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == "note_search"))
        return [json.loads(row.details) for row in rows]


def make_page(qtbot: QtBot, ctx: AppContext) -> NoteSearchPage:
    page = shown(qtbot, NoteSearchPage(ctx))
    settle(ctx, qtbot)  # the filter choices
    return page


def type_and_wait(qtbot: QtBot, page: NoteSearchPage, text: str) -> None:
    page.query.clear()
    with qtbot.waitSignal(page.search_finished, timeout=WAIT_MS):
        qtbot.keyClicks(page.query, text)


def participants_shown(page: NoteSearchPage) -> list[str]:
    model = page.model
    return [
        model.index(row, SearchResultsModel.PARTICIPANT).data() for row in range(model.rowCount())
    ]


# -- finding --------------------------------------------------------------------------------


def test_typing_finds_notes_with_an_escaped_highlighted_snippet(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, caplog: pytest.LogCaptureFixture
) -> None:
    zoe = make_participant(db, staff.peer1, "Zoë Nguyễn-Łukasz")
    note(db, staff.peer1, zoe, "Applied for supportive housing <b>downtown</b> & waited")
    note(db, staff.peer1, zoe, "Job interview at the bakery")
    page = make_page(qtbot, ctx)
    caplog.set_level(logging.DEBUG)

    type_and_wait(qtbot, page, "hous")

    assert participants_shown(page) == ["Zoë Nguyễn-Łukasz"]
    snippet = page.model.index(0, SearchResultsModel.SNIPPET)
    assert "supportive housing <b>downtown</b> & waited" in snippet.data()
    rich = snippet.data(SearchResultsModel.SnippetHtmlRole)
    # The matched word is bold; what the note says is text, never markup.
    assert "<b>housing</b>" in rich
    assert "&lt;b&gt;downtown&lt;/b&gt; &amp; waited" in rich
    assert page.model.index(0, SearchResultsModel.AUTHOR).data() == "Pat Peer"
    assert page.model.index(0, SearchResultsModel.KIND).data() == "Individual session"
    assert page.count_label.text().startswith("1 note found")
    # One search for the whole word typed (debounced), audited without the words.
    assert len(search_events(db)) == 1
    assert search_events(db)[0]["query_length"] == 4
    assert "hous" not in json.dumps(search_events(db))
    assert not any("hous" in record.getMessage() for record in caplog.records)

    type_and_wait(qtbot, page, "bakery interv")
    assert page.model.rowCount() == 1
    assert "bakery" in page.model.index(0, SearchResultsModel.SNIPPET).data()

    type_and_wait(qtbot, page, "housing bakery")
    assert page.model.rowCount() == 0
    assert page.count_label.text().startswith("No note you may read contains every word")


def test_the_newest_search_wins_while_an_older_one_is_still_running(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A search is audited, so it runs on the write thread after every earlier write: an
    # older search still running answers first, and that answer must not be shown.
    pid = make_participant(db, staff.peer1, "Amara Okafor")
    note(db, staff.peer1, pid, "Housing application sent")
    note(db, staff.peer1, pid, "Bakery job started")
    page = make_page(qtbot, ctx)
    started = threading.Event()
    release = threading.Event()
    real = note_search.search_notes

    def slow_for_housing(session: Any, actor: Actor, query: str, **kw: Any) -> Any:
        if query == "housing":
            started.set()
            release.wait(WAIT_MS / 1000)
        return real(session, actor, query, **kw)

    shown: list[str] = []
    page.model.modelReset.connect(
        lambda: shown.extend(
            str(page.model.index(row, SearchResultsModel.SNIPPET).data())
            for row in range(page.model.rowCount())
        )
    )
    monkeypatch.setattr(page_module.note_search, "search_notes", slow_for_housing)
    page.query.setText("housing")
    page.search()
    assert started.wait(WAIT_MS / 1000)
    page.query.setText("bakery")
    page.search()
    with qtbot.waitSignal(page.search_finished, timeout=WAIT_MS):
        release.set()  # the older answer arrives first...
    settle(ctx, qtbot)
    # ...and is dropped: only the newest search's notes were ever shown.
    assert page.model.rowCount() == 1
    assert "Bakery" in page.model.index(0, SearchResultsModel.SNIPPET).data()
    assert shown and not any("Housing" in text for text in shown)


def test_query_without_words_and_a_reversed_period_say_what_to_fix(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = make_participant(db, staff.peer1, "Amara Okafor")
    note(db, staff.peer1, pid, "Housing application sent")
    page = make_page(qtbot, ctx)

    type_and_wait(qtbot, page, '"*" -()')
    assert page.message.isVisible()
    assert "Type at least one word" in page.message.text()
    assert page.model.rowCount() == 0
    assert search_events(db) == []  # nothing was searched

    type_and_wait(qtbot, page, "housing")
    assert not page.message.isVisible()
    assert page.model.rowCount() == 1

    page.period.setCurrentIndex(page.period.findData("range"))
    settle(ctx, qtbot)
    assert page.range_box.isVisible()
    page.since.setDate(page.until.date().addDays(-3))
    with qtbot.waitSignal(page.search_finished, timeout=WAIT_MS):
        page.until.setDate(page.since.date().addDays(-5))
    assert page.message.isVisible()
    assert "“to” date is before the “from” date" in page.message.text()
    assert page.until.property("invalid") is True
    assert page.model.rowCount() == 0

    page.until.setDate(page.since.date().addDays(5))  # fixed: searches again by itself
    settle(ctx, qtbot)
    assert not page.message.isVisible()
    assert page.until.property("invalid") is False
    assert page.model.rowCount() == 1


def test_filters_narrow_the_search(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    zoe = make_participant(db, staff.peer1, "Zoë Nguyễn-Łukasz")
    amara = make_participant(db, staff.peer1, "Amara Okafor")
    note(db, staff.peer1, zoe, "Housing visit in person")
    note(db, staff.peer1, zoe, "Housing call", kind="check_in")
    note(db, staff.peer1, amara, "Housing office again", days_ago=200)
    page = make_page(qtbot, ctx)
    assert page.participant.count() == 3  # any + the two participants of the caseload

    type_and_wait(qtbot, page, "housing")
    assert sorted(participants_shown(page)) == [
        "Amara Okafor",
        "Zoë Nguyễn-Łukasz",
        "Zoë Nguyễn-Łukasz",
    ]

    with qtbot.waitSignal(page.search_finished, timeout=WAIT_MS):
        page.kind.setCurrentIndex(page.kind.findData("check_in"))
    assert page.model.rowCount() == 1
    assert page.model.index(0, SearchResultsModel.KIND).data() == "Check-in"

    with qtbot.waitSignal(page.search_finished, timeout=WAIT_MS):
        page.kind.setCurrentIndex(0)
    with qtbot.waitSignal(page.search_finished, timeout=WAIT_MS):
        page.period.setCurrentIndex(page.period.findData("90"))
    assert participants_shown(page) == ["Zoë Nguyễn-Łukasz", "Zoë Nguyễn-Łukasz"]

    with qtbot.waitSignal(page.search_finished, timeout=WAIT_MS):
        page.period.setCurrentIndex(page.period.findData("all"))
    with qtbot.waitSignal(page.search_finished, timeout=WAIT_MS):
        page.participant.setCurrentIndex(page.participant.findData(amara))
    assert participants_shown(page) == ["Amara Okafor"]
    assert search_events(db)[-1]["filters"] == ["participant"]


@pytest.mark.both_engines
def test_the_service_filters_before_ranking(db: Database, staff: Staff) -> None:
    pid = make_participant(db, staff.peer1, "Amara Okafor")
    old = note(db, staff.peer1, pid, "Methadone clinic", days_ago=40)
    new = note(db, staff.peer1, pid, "Methadone dose", kind="check_in")
    with db.session() as s:
        found = note_search.search_notes

        def ids(**kw: Any) -> list[int]:
            return [hit.note_id for hit in found(s, staff.peer1, "methadone", **kw)]

        since = datetime.now(UTC) - timedelta(days=30)
        assert sorted(ids()) == sorted([old, new])
        assert ids(since=since) == [new]
        assert ids(until=since) == [old]
        assert ids(kind="individual") == [old]
        assert ids(author_id=staff.peer2.id) == []
        assert sorted(ids(participant_id=pid, author_id=staff.peer1.id)) == sorted([old, new])
        with pytest.raises(ValidationError) as bad_kind:
            ids(kind="visit")
        assert "individual, check_in" in bad_kind.value.field_errors["kind"]
        with pytest.raises(ValidationError) as reversed_period:
            ids(since=since, until=since - timedelta(days=1))
        assert "end date after the start date" in reversed_period.value.field_errors["until"]


def test_only_notes_the_user_may_read_are_found(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    mine = make_participant(db, staff.peer1, "Zoë Nguyễn-Łukasz")
    theirs = make_participant(db, staff.peer2, "Björn Þórsson")
    note(db, staff.peer1, mine, "Sponsor meeting went well")
    note(db, staff.peer2, theirs, "Sponsor called twice")
    note(db, staff.peer1, mine, "Sponsor draft not signed", sign=False)

    page = make_page(qtbot, ctx)
    type_and_wait(qtbot, page, "sponsor")
    assert sorted(participants_shown(page)) == ["Zoë Nguyễn-Łukasz", "Zoë Nguyễn-Łukasz"]
    drafts = [page.model.index(r, SearchResultsModel.KIND).data() for r in range(2)]
    assert "Individual session (draft)" in drafts  # the author's own draft

    ctx.set_actor(staff.peer2)  # another user: the old results and names go at once
    assert page.model.rowCount() == 0 and page.query.text() == ""
    assert [page.participant.itemText(i) for i in range(page.participant.count())] == [
        "Any participant"
    ]
    settle(ctx, qtbot)
    type_and_wait(qtbot, page, "sponsor")
    assert participants_shown(page) == ["Björn Þórsson"]
    assert page.participant.count() == 2  # "any" and peer2's one participant
    assert page.participant.itemText(1).startswith("Björn Þórsson · R-")

    ctx.set_actor(staff.supervisor)  # the team's notes, drafts included
    settle(ctx, qtbot)
    type_and_wait(qtbot, page, "sponsor")
    assert sorted(participants_shown(page)) == [
        "Björn Þórsson",
        "Zoë Nguyễn-Łukasz",
        "Zoë Nguyễn-Łukasz",
    ]


# -- in the window --------------------------------------------------------------------------


def test_enter_opens_the_participant_on_the_notes_tab(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, db: Database, staff: Staff
) -> None:
    pid = make_participant(db, staff.peer1, "Zoë Nguyễn-Łukasz")
    note(db, staff.peer1, pid, "Celebrated ninety days sober with family")
    window = window_for(ctx, prefs, qtbot, staff.peer1)
    spec = next(spec for spec in PAGES if spec.key == "search")
    assert (spec.title, spec.shortcut, spec.icon_name) == ("Search notes", "Ctrl+5", "search")
    page = window.show_page("search")
    assert isinstance(page, NoteSearchPage)
    settle(ctx, qtbot)
    page.query.setFocus()
    type_and_wait(qtbot, page, "ninety")
    assert page.model.rowCount() == 1

    qtbot.keyClick(page.query, Qt.Key.Key_Down)  # to the results
    assert page.table.hasFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    settle(ctx, qtbot)

    assert window.current_page_key() == PARTICIPANT_PAGE
    host = window.page(PARTICIPANT_PAGE)
    assert isinstance(host, WorkspaceHost)
    workspace = host.workspace(pid)
    assert workspace is not None
    notes_tab = workspace.feature_tabs["notes"]
    assert workspace.tabs.currentWidget() is notes_tab


def test_the_page_is_for_people_who_read_clinical_records(
    qtbot: QtBot, ctx: AppContext, prefs: Settings, staff: Staff
) -> None:
    admin_window = window_for(ctx, prefs, qtbot, staff.admin)
    assert "Search notes" not in [
        admin_window.nav.item(row).text() for row in range(admin_window.nav.count())
    ]
    peer_window = window_for(ctx, prefs, qtbot, staff.peer2)
    assert "Search notes" in [
        peer_window.nav.item(row).text() for row in range(peer_window.nav.count())
    ]
