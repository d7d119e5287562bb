"""The counselor directory page: search, add and edit with field messages, supervisors'
(de)activation, CSV import (all or nothing, every problem by line and column) and export."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from conftest import Staff
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, WAIT_MS, add_counselor, shown

from casebook.database import Database
from casebook.services import counselors
from ui import directory_page
from ui.context import AppContext
from ui.counselor_form import CounselorDialog, ImportPreviewDialog, split_problem_key
from ui.directory_page import DirectoryPage
from ui.main_window import PAGES

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE

HEADER = "name,organisation,credentials,phone,email,specialties,languages,accepting_new_clients\n"


@pytest.fixture
def ctx(no_modal_questions: None, referrals_installed: None, ctx: AppContext) -> AppContext:
    """The shared ctx, with the Referrals and Consents tabs and the directory page installed
    (``referrals_tab.install``), and no unsaved-changes question."""
    return ctx


def open_page(qtbot: QtBot, ctx: AppContext) -> DirectoryPage:
    page = shown(qtbot, DirectoryPage(ctx))
    qtbot.waitUntil(lambda: page.loaded, timeout=WAIT_MS)
    return page


def stored_names(db: Database, staff: Staff) -> list[str]:
    with db.session(read_only=True) as s:
        return [c.name for c in counselors.list_counselors(s, staff.peer1, include_inactive=True)]


def test_the_page_is_registered_for_clinical_staff(ctx: AppContext, staff: Staff) -> None:
    spec = next(page for page in PAGES if page.key == "directory")
    assert spec.display_title() == "Counselor directory"
    assert spec.shortcut == "Ctrl+6" and spec.icon_name == "phone"
    assert spec.visible(staff.peer1) and spec.visible(staff.supervisor)
    assert not spec.visible(staff.admin)
    keys = [page.key for page in PAGES]
    assert keys.index("directory") < keys.index("audit")


def test_search_ignores_case_and_accents(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    add_counselor(
        db,
        staff.peer1,
        "Zoë Nguyễn-Łukasz",
        credentials="LPC",
        organisation="Clínica São João",
        specialties="trauma, co-occurring disorders",
        languages="Vietnamese, Polish",
    )
    add_counselor(
        db,
        staff.peer1,
        "Ben Osei",
        organisation="Lighthouse",
        languages="Twi, English",
        accepting_new_clients="no",
    )
    page = open_page(qtbot, ctx)
    assert page.visible_names() == ["Ben Osei", "Zoë Nguyễn-Łukasz"]
    qtbot.keyClicks(page.search, "zoe")
    assert page.visible_names() == ["Zoë Nguyễn-Łukasz"]
    assert page.details.title.text() == "Zoë Nguyễn-Łukasz"
    assert page.details.value("languages") == "Vietnamese, Polish"
    page.search.clear()
    qtbot.keyClicks(page.search, "SAO JOAO trauma")
    assert page.visible_names() == ["Zoë Nguyễn-Łukasz"]
    page.search.setText("twi")
    assert page.visible_names() == ["Ben Osei"]
    assert page.model.index(0, page.model.ACCEPTING).data() == "Not accepting"
    page.accepting_only.setChecked(True)
    assert page.visible_names() == []
    assert page.count_label.text() == "0 of 2 listings"


def test_add_and_edit_with_field_messages(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    page = open_page(qtbot, ctx)
    assert page.deactivate_button.isHidden()  # a specialist does not deactivate entries
    page.add_entry()
    dialog = page.active_dialog
    assert isinstance(dialog, CounselorDialog)
    dialog.save_button.click()
    assert dialog.message_for("name").text() == "Name is required"
    qtbot.keyClicks(dialog.name, "Dr Ana Lima")
    qtbot.keyClicks(dialog.email, "ana at riverbend")
    assert "does not look like name@example.org" in dialog.message_for("email").text()
    dialog.email.setText("ana@riverbend.example")
    dialog.is_organisation.setChecked(True)
    qtbot.keyClicks(dialog.organisation, "Riverbend Clinic")
    assert "an organisation entry has no parent organisation" in (
        dialog.message_for("organisation").text().lower()
    )
    dialog.is_organisation.setChecked(False)
    qtbot.keyClicks(dialog.languages, "Portuguese, English")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: page.visible_names() == ["Dr Ana Lima"], timeout=WAIT_MS)
    assert page.details.value("organisation") == "Riverbend Clinic"

    # The same entry again is refused by the service, under the name.
    page.add_entry()
    again = page.active_dialog
    assert isinstance(again, CounselorDialog)
    qtbot.keyClicks(again.name, "dr ana lima")
    qtbot.keyClicks(again.organisation, "Riverbend Clinic")
    again.save_button.click()
    qtbot.waitUntil(lambda: again.message_for("name").text() != "", timeout=WAIT_MS)
    assert "already in the directory" in again.message_for("name").text()
    again.reject()

    page.edit_entry()
    edit = page.active_dialog
    assert isinstance(edit, CounselorDialog)
    edit.credentials.setText("LCSW")
    with qtbot.waitSignal(edit.saved, timeout=WAIT_MS):
        edit.save_button.click()
    qtbot.waitUntil(lambda: page.details.value("credentials") == "LCSW", timeout=WAIT_MS)
    assert stored_names(db, staff) == ["Dr Ana Lima"]


def test_a_supervisor_deactivates_and_reactivates(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    cid = add_counselor(db, staff.peer1, "Ben Osei")
    ctx.set_actor(staff.supervisor)
    page = open_page(qtbot, ctx)
    assert page.select_entry(cid)
    assert page.deactivate_button.isVisible() and not page.reactivate_button.isEnabled()
    page.set_active(False)
    # Deactivated entries leave the list unless asked for.
    qtbot.waitUntil(lambda: page.visible_names() == [], timeout=WAIT_MS)
    page.show_inactive.setChecked(True)
    assert page.visible_names() == ["Ben Osei"]
    assert page.select_entry(cid)
    assert page.model.index(0, page.model.STATUS).data() == "Deactivated"
    assert page.reactivate_button.isEnabled()
    page.set_active(True)
    qtbot.waitUntil(
        lambda: page.model.rowCount() == 1 and page.model.row_at(0).active, timeout=WAIT_MS
    )


def test_import_with_a_bad_row_lists_line_and_column_and_imports_nothing(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, tmp_path: Path
) -> None:
    page = open_page(qtbot, ctx)
    path = tmp_path / "directory.csv"
    path.write_text(
        HEADER
        + "Dr Ana Lima,Riverbend,LCSW,555 0101,ana@example.org,trauma,English,yes\n"
        + "Ben Osei,Lighthouse,,call me,ben-at-example,,Twi,maybe\n"
        + ",Nowhere,,,,,,\n",
        encoding="utf-8",
    )
    page.import_csv_file(path)
    qtbot.waitUntil(lambda: page.import_errors_dialog is not None, timeout=WAIT_MS)
    dialog = page.import_errors_dialog
    assert dialog is not None and dialog.isVisible()
    problems = dialog.problem_texts()
    assert any(p.startswith("3, phone: ") for p in problems)
    assert any(p.startswith("3, email: ") and "name@example.org" in p for p in problems)
    assert any(p.startswith("3, accepting new clients: ") for p in problems)
    assert any(p.startswith("4, name: ") for p in problems)
    assert dialog.model.index(0, 0).data() == "3"
    assert dialog.summary.text().startswith("directory.csv: 4 problem(s) in the file; nothing")
    assert stored_names(db, staff) == []
    dialog.reject()


def test_import_previews_the_count_then_imports_and_exports(
    qtbot: QtBot,
    ctx: AppContext,
    db: Database,
    staff: Staff,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    previews: list[str] = []

    def confirm(dialog: ImportPreviewDialog) -> bool:
        previews.append(dialog.label.text())
        return True

    monkeypatch.setattr(directory_page, "confirm_import", confirm)
    page = open_page(qtbot, ctx)
    path = tmp_path / "directory.csv"
    path.write_text(
        HEADER
        + "Dr Ana Lima,Riverbend,LCSW,555 0101,ana@example.org,trauma,English,yes\n"
        + "Zoë Nguyễn-Łukasz,Clínica São João,LPC,,,,Vietnamese,no\n",
        encoding="utf-8",
    )
    page.import_csv_file(path)
    qtbot.waitUntil(lambda: page.last_import is not None, timeout=WAIT_MS)
    assert previews == ["directory.csv is ready: 2 new directory entries would be added."]
    qtbot.waitUntil(lambda: len(page.visible_names()) == 2, timeout=WAIT_MS)
    assert sorted(stored_names(db, staff)) == ["Dr Ana Lima", "Zoë Nguyễn-Łukasz"]

    out = tmp_path / "export.csv"
    page.export_csv_file(out)
    qtbot.waitUntil(lambda: out.exists(), timeout=WAIT_MS)
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("name,is_organisation,organisation")
    assert "Zoë Nguyễn-Łukasz" in text
    # The export reads back: importing it again finds only duplicates, and says where.
    page.import_csv_file(out)
    qtbot.waitUntil(lambda: page.import_errors_dialog is not None, timeout=WAIT_MS)
    assert page.import_errors_dialog is not None
    assert all("already in the directory" in p for p in page.import_errors_dialog.problem_texts())
    assert len(previews) == 1


def test_split_problem_key() -> None:
    assert split_problem_key("line 12: accepting_new_clients") == ("12", "accepting new clients")
    assert split_problem_key("line 7") == ("7", "")
    assert split_problem_key("header") == ("", "header")
