"""Help ▸ Keyboard shortcuts on the real window: every shortcut the window installs is
in the list (under the area it works in), the page shortcuts follow the signed-in
person, F1 opens it, the filter narrows it, Esc closes it and the lock closes it.

A shortcut added later without a line in ui/shortcuts.py fails
``test_every_installed_shortcut_is_listed_for_a_specialist``."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest
from conftest import Staff
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, WAIT_MS, add_participant, settle, window_for

from casebook.database import Database
from ui import form_dialog, note_editor, notes_tab
from ui.caseload_view import CaseloadView
from ui.context import AppContext
from ui.form_dialog import UnsavedChoice
from ui.group_session_dialog import GroupSessionDetailDialog
from ui.main_window import PARTICIPANT_PAGE, MainWindow
from ui.note_editor import NoteEditor
from ui.notes_tab import NotesTab
from ui.print_preview import PrintPreviewDialog, SummaryOptionsDialog
from ui.settings import Settings
from ui.shortcuts import AREAS
from ui.shortcuts_window import ShortcutsWindow
from ui.today_page import TodayPage
from ui.workspace import ParticipantWorkspace, WorkspaceHost

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE

PORTABLE = QKeySequence.SequenceFormat.PortableText
PREVIEW_MS = 30_000

#: Which area of the list a shortcut belongs in: that of the nearest of these its
#: QShortcut or QAction hangs under. A shortcut on a screen not named here fails the
#: test until the screen is given an area.
AREA_OF: tuple[tuple[type[QObject], str], ...] = (
    (NoteEditor, "note_editor"),
    (GroupSessionDetailDialog, "group_session"),
    (PrintPreviewDialog, "print_preview"),
    (ShortcutsWindow, "shortcut_list"),
    (TodayPage, "today"),
    (CaseloadView, "caseload"),
    (NotesTab, "participant"),
    (ParticipantWorkspace, "participant"),
    (WorkspaceHost, "participant"),
    (MainWindow, "everywhere"),
)


@pytest.fixture(autouse=True)
def _no_questions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Closing the window with an open note editor discards it without asking."""
    monkeypatch.setattr(form_dialog, "ask_unsaved_changes", lambda _p: UnsavedChoice.DISCARD)
    monkeypatch.setattr(note_editor, "confirm_sign", lambda _p: True)
    monkeypatch.setattr(notes_tab, "confirm_sign", lambda _p: True)
    yield


def area_of(holder: QObject) -> str:
    current: QObject | None = holder
    while current is not None:
        for kind, area in AREA_OF:
            if isinstance(current, kind):
                return area
        current = current.parent()
    raise AssertionError(f"no area of the list for a shortcut under {holder!r}: add it to AREA_OF")


def installed_shortcuts(root: QWidget) -> set[tuple[str, str, str]]:
    """(area, keys in portable text, what holds them) of every shortcut under *root*:
    each ``QShortcut``'s keys and each ``QAction``'s shortcuts (standard keys included,
    with every binding the platform gives them)."""
    found: set[tuple[str, str, str]] = set()
    for shortcut in root.findChildren(QShortcut):
        sequences: list[QKeySequence] = shortcut.keys()  # several for a standard key
        for keys in sequences:
            if not keys.isEmpty():
                where = type(shortcut.parent()).__name__
                found.add((area_of(shortcut), keys.toString(PORTABLE), where))
    for action in {*root.actions(), *root.findChildren(QAction)}:
        for keys in action.shortcuts():
            if not keys.isEmpty():
                where = f"{action.text()!r} on {type(action.parent()).__name__}"
                found.add((area_of(action), keys.toString(PORTABLE), where))
    return found


def listed_shortcuts(window: ShortcutsWindow) -> dict[str, set[str]]:
    """The keys (portable text) the list has, by area."""
    return {
        area.key: {keys.toString(PORTABLE) for line in area.shortcuts for keys in line.accepted()}
        for area in window.areas
    }


def assert_listed(installed: set[tuple[str, str, str]], window: ShortcutsWindow) -> None:
    listed = listed_shortcuts(window)
    missing = sorted(
        f"{keys} ({where}) is not under {area!r}"
        for area, keys, where in installed
        if keys not in listed.get(area, set())
    )
    assert not missing, "installed shortcuts missing from ui/shortcuts.py:\n" + "\n".join(missing)
    # What the window shows is exactly those lines.
    lines = [(area, line) for area in window.areas for line in area.shortcuts]
    assert len(window.visible_rows()) == len(lines)
    for (title, keys, text), (area, line) in zip(window.visible_rows(), lines, strict=True):
        assert (title, keys, text) == (area.display_title(), line.keys_text(), line.description())


def visit_every_page(window: MainWindow, ctx: AppContext, qtbot: QtBot) -> None:
    """Pages are built the first time they are shown, their shortcuts with them."""
    for spec in window.page_specs():
        window.show_page(spec.key)
        settle(ctx, qtbot)


def open_workspace_in(
    window: MainWindow, ctx: AppContext, qtbot: QtBot, participant_id: int
) -> ParticipantWorkspace:
    window.open_participant.emit(participant_id)
    host = window.page(PARTICIPANT_PAGE)
    assert isinstance(host, WorkspaceHost)
    workspace = host.current_workspace()
    assert workspace is not None
    qtbot.waitUntil(lambda: workspace.detail is not None, timeout=WAIT_MS)
    settle(ctx, qtbot)
    return workspace


def page_lines(window: ShortcutsWindow) -> list[str]:
    return [
        text
        for area, _keys, text in window.visible_rows()
        if area == "Everywhere" and text.startswith("Go to ")
    ]


def open_list_with_key(window: MainWindow, qtbot: QtBot) -> ShortcutsWindow:
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    listing = window.shortcuts_window
    assert listing is not None
    qtbot.waitUntil(listing.isVisible, timeout=WAIT_MS)
    return listing


def test_every_installed_shortcut_is_listed_for_a_specialist(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, prefs: Settings
) -> None:
    participant_id = add_participant(db, staff.peer1)
    window = window_for(ctx, prefs, qtbot, staff.peer1)
    visit_every_page(window, ctx, qtbot)
    workspace = open_workspace_in(window, ctx, qtbot, participant_id)

    # The Session notes tab with the note editor open.
    tab = workspace.show_tab("notes")
    assert isinstance(tab, NotesTab)
    qtbot.waitUntil(lambda: tab.has_loaded and not tab.is_loading, timeout=WAIT_MS)
    tab.new_note()
    editor = tab.editor
    assert isinstance(editor, NoteEditor)
    # The group session window, where the editor opens it (this group does not exist:
    # it says so, and its keys are installed all the same).
    group = GroupSessionDetailDialog(ctx, 10**6, editor)
    group.show()
    qtbot.waitUntil(lambda: not group.general.isHidden(), timeout=WAIT_MS)
    # A print preview, as Print summary (Ctrl+P) opens it.
    qtbot.waitUntil(workspace.print_action.isEnabled, timeout=WAIT_MS)
    workspace.print_action.trigger()
    options = workspace.active_dialog
    assert isinstance(options, SummaryOptionsDialog)
    options.notes_box.setValue(0)
    options.accept()
    qtbot.waitUntil(lambda: workspace.findChild(PrintPreviewDialog) is not None, timeout=PREVIEW_MS)
    preview = workspace.findChild(PrintPreviewDialog)
    assert isinstance(preview, PrintPreviewDialog)

    installed = installed_shortcuts(window)
    areas = {area for area, _keys, _where in installed}
    assert {"everywhere", "today", "caseload", "participant", "note_editor"} <= areas
    assert {"group_session", "print_preview"} <= areas
    preview.close()
    group.close()
    settle(ctx, qtbot)

    listing = open_list_with_key(window, qtbot)
    assert listing.parent() is window and not listing.isModal()
    qtbot.waitUntil(listing.filter.hasFocus, timeout=WAIT_MS)
    # Its own keys count too.
    installed |= installed_shortcuts(window)
    assert_listed(installed, listing)

    # The pages this specialist has, and no supervisor's or administrator's page.
    pages = page_lines(listing)
    assert "Go to Caseload" in pages and "Go to Today" in pages
    for other in ("Team", "Review notes", "Staff accounts", "Audit log", "Reports"):
        assert f"Go to {other}" not in pages
    assert len(pages) == len([spec for spec in window.page_specs() if spec.shortcut])
    native = QKeySequence("Ctrl+2").toString(QKeySequence.SequenceFormat.NativeText)
    assert ("Everywhere", native, "Go to Caseload") in listing.visible_rows()

    # Typing narrows the list; every word counts, in any order.
    everything = listing.visible_rows()
    qtbot.keyClicks(listing.filter, "zoom")
    assert [text for _a, _k, text in listing.visible_rows()] == ["Zoom in", "Zoom out"]
    listing.filter.clear()
    qtbot.keyClicks(listing.filter, "pdf save")
    assert [text for _a, _k, text in listing.visible_rows()] == ["Save as a PDF file"]
    listing.filter.setText("ctrl+shift+n")
    assert [area for area, _k, _t in listing.visible_rows()] == ["Caseload"]
    listing.filter.setText("print preview")  # a group's name shows the whole group
    assert {area for area, _k, _t in listing.visible_rows()} == {"Print preview"}
    assert len(listing.visible_rows()) == len(
        next(a for a in AREAS if a.key == "print_preview").shortcuts
    )
    listing.filter.setText("no such thing")
    assert listing.visible_rows() == []
    assert listing.results.currentWidget() is listing.empty
    assert "no such thing" in listing.empty.text()
    listing.filter.clear()
    assert listing.visible_rows() == everything
    assert listing.results.currentWidget() is listing.view

    # Down goes to the list; Esc closes the window.
    qtbot.keyClick(listing.filter, Qt.Key.Key_Down)
    assert listing.view.hasFocus() and listing.view.currentIndex().isValid()
    qtbot.keyClick(listing.view, Qt.Key.Key_Escape)
    assert not listing.isVisible()
    settle(ctx, qtbot)


def test_a_supervisor_sees_their_pages_and_the_lock_closes_the_list(
    qtbot: QtBot,
    ctx: AppContext,
    db: Database,
    staff: Staff,
    prefs: Settings,
    qtmodeltester: object,
) -> None:
    participant_id = add_participant(db, staff.peer1)
    window = window_for(ctx, prefs, qtbot, staff.supervisor)
    visit_every_page(window, ctx, qtbot)
    open_workspace_in(window, ctx, qtbot, participant_id)
    installed = installed_shortcuts(window)

    assert window.act_shortcuts in window.help_menu.actions()
    window.act_shortcuts.trigger()
    listing = window.shortcuts_window
    assert listing is not None and listing.isVisible()
    assert_listed(installed | installed_shortcuts(window), listing)
    pages = page_lines(listing)
    for page in ("Today", "Caseload", "Team", "Review notes"):
        assert f"Go to {page}" in pages
    assert "Go to Staff accounts" not in pages  # an administrator's page
    qtmodeltester.check(listing.model)  # type: ignore[attr-defined]
    listing.filter.setText("sign")
    qtmodeltester.check(listing.proxy)  # type: ignore[attr-defined]
    listing.filter.clear()

    # Locking closes it first, so the lock does not cover it and block switching user.
    window.lock()
    assert not listing.isVisible() and window.covers.covered == []
    assert not window.act_shortcuts.isEnabled()
    settle(ctx, qtbot)


def test_the_list_follows_the_person_signed_in(
    qtbot: QtBot, ctx: AppContext, staff: Staff, prefs: Settings
) -> None:
    window = window_for(ctx, prefs, qtbot, staff.supervisor)
    window.show_shortcuts()
    listing = window.shortcuts_window
    assert listing is not None
    assert "Go to Team" in page_lines(listing)
    ctx.set_actor(staff.peer1)  # as after switching user
    assert not listing.isVisible()
    window.show_shortcuts()
    assert window.shortcuts_window is listing and listing.isVisible()
    assert "Go to Team" not in page_lines(listing)
    assert "Go to Caseload" in page_lines(listing)
    settle(ctx, qtbot)
