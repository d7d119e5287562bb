"""The caseload model, its filter proxy, the Caseload page, the intake form and the
team view, on a real encrypted database."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import Staff
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot
from ui_support import OFFSCREEN_NOISE, WAIT_MS

from casebook.database import Database
from casebook.security.permissions import Actor
from casebook.services import caseload, participants
from casebook.services.caseload import CaseloadRow
from casebook.services.participants import ParticipantFields
from ui import form_dialog, form_parts, participant_forms
from ui.caseload_model import (
    DAYS_IN_RECOVERY,
    FLAG_DUE,
    FLAG_LONG_OVERDUE,
    FLAG_OVERDUE,
    LAST_CONTACT,
    NAME,
    NEXT_CONTACT_DUE,
    RECORD_NUMBER,
    UNASSIGNED,
    CaseloadFilterProxy,
    CaseloadModel,
    FlagRole,
    ParticipantIdRole,
    SortRole,
    contact_flag,
    search_fold,
)
from ui.caseload_view import CaseloadView
from ui.context import AppContext
from ui.form_dialog import UnsavedChoice
from ui.participant_forms import IntakeDialog, TransferDialog
from ui.settings import Settings
from ui.team_view import SpecialistSummaryModel, TeamView
from ui.theme import dark_palette, flag_colors

# The shared fixtures (ctx and what it needs) live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = [OFFSCREEN_NOISE, pytest.mark.usefixtures("no_modal_questions")]

TODAY = date(2025, 3, 14)


# -- helpers ---------------------------------------------------------------------------------


def add_participant(
    db: Database,
    actor: Actor,
    legal_name: str,
    *,
    preferred: str = "",
    record: str = "",
    intake: date | None = None,
    cadence: int = 7,
    specialist_id: int | None = None,
) -> int:
    with db.session() as session:
        detail = participants.create_participant(
            session,
            actor,
            ParticipantFields(
                record_number=record,
                legal_name=legal_name,
                preferred_name=preferred,
                date_of_birth=date(1988, 6, 1),
                intake_date=intake or date.today(),
                contact_cadence_days=cadence,
            ),
            specialist_id=specialist_id,
        )
    return detail.id


def loaded_view(qtbot: QtBot, ctx: AppContext) -> CaseloadView:
    view = CaseloadView(ctx)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    with qtbot.waitSignal(view.loading_finished, timeout=WAIT_MS):
        view.show()
    return view


def visible_names(view: CaseloadView) -> list[str]:
    return [view.proxy.index(row, NAME).data() for row in range(view.proxy.rowCount())]


# -- pure model tests ------------------------------------------------------------------------


def make_row(
    pid: int,
    legal: str,
    *,
    preferred: str = "",
    status: str = "active",
    specialist: int | None = 1,
    start: date | None = None,
    last_contact_days_ago: int | None = None,
    cadence: int = 7,
    record: str = "",
    barc: int | None = None,
) -> CaseloadRow:
    last = None
    if last_contact_days_ago is not None:
        last = datetime.combine(TODAY - timedelta(days=last_contact_days_ago), datetime.min.time())
        last = last.replace(hour=12, tzinfo=UTC)
    return CaseloadRow(
        participant_id=pid,
        record_number=record or f"R-{pid:06d}",
        legal_name=legal,
        preferred_name=preferred,
        status=status,
        specialist_id=specialist,
        specialist_name="" if specialist is None else f"Specialist {specialist}",
        recovery_start_date=start,
        intake_date=TODAY - timedelta(days=400),
        contact_cadence_days=cadence,
        last_contact_at=last,
        plan_review_date=None,
        open_referrals=pid % 3,
        latest_barc10=barc,
    )


def sample_rows() -> list[CaseloadRow]:
    return [
        make_row(1, "Zoë Nguyễn-Łukasz Ødegaard-Þórsdóttir", last_contact_days_ago=3, barc=48),
        make_row(2, "Amara Okafor", preferred="Mara", last_contact_days_ago=9, start=TODAY),
        make_row(3, "Renée Dubois", last_contact_days_ago=30, specialist=2, start=date(2024, 1, 1)),
        make_row(4, "José Álvarez", status="inactive", specialist=None, last_contact_days_ago=6),
        make_row(5, "Björk Guðmundsdóttir", status="discharged", last_contact_days_ago=100),
        make_row(6, "Zoltan Kovács", last_contact_days_ago=None, barc=30),
    ]


def test_contact_flag_thresholds() -> None:
    assert contact_flag(TODAY + timedelta(days=3), TODAY) is None
    assert contact_flag(TODAY + timedelta(days=2), TODAY) == FLAG_DUE
    assert contact_flag(TODAY, TODAY) == FLAG_DUE
    assert contact_flag(TODAY - timedelta(days=1), TODAY) == FLAG_OVERDUE
    assert contact_flag(TODAY - timedelta(days=14), TODAY) == FLAG_OVERDUE
    assert contact_flag(TODAY - timedelta(days=15), TODAY) == FLAG_LONG_OVERDUE


def test_search_fold_removes_case_and_accents() -> None:
    assert search_fold("Zoë Nguyễn-Łukasz Ødegaard-Þórsdóttir") == (
        "zoe nguyen-lukasz odegaard-thorsdottir"
    )
    assert search_fold("RENÉE") == "renee"
    assert search_fold("Straße") == "strasse"


def test_caseload_model_and_proxy_pass_the_model_tester(
    qtmodeltester: object, qapp: object
) -> None:
    model = CaseloadModel()
    model.set_rows(sample_rows(), today=TODAY, include_discharged=True)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    proxy = CaseloadFilterProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)  # type: ignore[attr-defined]
    # Changes made while the testers watch: sorting, filtering, reloading.
    proxy.sort(DAYS_IN_RECOVERY, Qt.SortOrder.DescendingOrder)
    proxy.set_search_text("zo")
    proxy.set_status_filter(frozenset({"active"}))
    proxy.set_overdue_only(True)
    proxy.set_overdue_only(False)
    proxy.set_specialist_filter(UNASSIGNED)
    proxy.set_specialist_filter(None)
    proxy.set_status_filter(None)
    model.set_rows(sample_rows()[:3], today=TODAY)
    proxy.set_search_text("")
    model.refresh_colors()
    assert proxy.rowCount() == 3


def test_the_selected_participant_stays_selected_while_filtering_and_sorting(
    qapp: QApplication,
) -> None:
    model = CaseloadModel()
    model.set_rows(sample_rows(), today=TODAY, include_discharged=True)
    proxy = CaseloadFilterProxy()
    proxy.setSourceModel(model)
    view = QTableView()
    view.setModel(proxy)
    ids = [proxy.index(r, 0).data(ParticipantIdRole) for r in range(proxy.rowCount())]
    chosen = ids[-1]
    view.setCurrentIndex(proxy.index(len(ids) - 1, NAME))

    def current_id() -> object:
        index = view.currentIndex()
        return index.data(ParticipantIdRole) if index.isValid() else None

    name = proxy.index(len(ids) - 1, NAME).data()
    proxy.set_search_text(name.split()[0][:3])  # still shown, at another row
    assert current_id() == chosen
    proxy.sort(RECORD_NUMBER, Qt.SortOrder.DescendingOrder)
    assert current_id() == chosen
    assert proxy.mapToSource(view.currentIndex()).data(ParticipantIdRole) == chosen
    assert proxy.mapFromSource(proxy.mapToSource(view.currentIndex())) == view.currentIndex()
    proxy.set_search_text("nobody has this name")  # hidden: nothing is current
    assert proxy.rowCount() == 0 and current_id() is None
    proxy.set_search_text("")
    assert proxy.rowCount() == len(ids)


def test_model_roles_and_flags(qapp: QApplication) -> None:
    model = CaseloadModel()
    model.set_rows(sample_rows(), today=TODAY, include_discharged=True)
    by_id = {model.index(r, 0).data(ParticipantIdRole): r for r in range(model.rowCount())}
    mara = by_id[2]
    assert model.index(mara, NAME).data() == "Mara (Amara Okafor)"
    assert model.index(mara, NEXT_CONTACT_DUE).data(FlagRole) == FLAG_OVERDUE
    assert model.index(by_id[4], NEXT_CONTACT_DUE).data(FlagRole) == FLAG_DUE
    assert model.index(by_id[4], NEXT_CONTACT_DUE).data().endswith("due in 1 day")
    assert model.index(by_id[3], NEXT_CONTACT_DUE).data(FlagRole) == FLAG_LONG_OVERDUE
    assert "23 days overdue" in model.index(by_id[3], NEXT_CONTACT_DUE).data()
    assert model.index(by_id[1], NEXT_CONTACT_DUE).data(FlagRole) is None
    # A discharged participant is never due.
    assert model.index(by_id[5], NEXT_CONTACT_DUE).data(FlagRole) is None
    assert model.index(by_id[5], NEXT_CONTACT_DUE).data() == ""
    colour = model.index(by_id[3], NEXT_CONTACT_DUE).data(Qt.ItemDataRole.ForegroundRole)
    assert colour.color() == flag_colors(QGuiApplication.palette())[FLAG_LONG_OVERDUE]
    assert model.index(by_id[3], NAME).data(Qt.ItemDataRole.ForegroundRole) is None
    assert model.index(by_id[6], LAST_CONTACT).data() == ""
    assert model.index(by_id[2], DAYS_IN_RECOVERY).data(SortRole) == 0
    # Mara (overdue), Renée and Zoltan (long overdue, never contacted).
    assert model.overdue_count == 3


def test_sorting_puts_blanks_last_in_both_directions(qapp: QApplication) -> None:
    model = CaseloadModel()
    model.set_rows(sample_rows(), today=TODAY, include_discharged=True)
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        model.sort(DAYS_IN_RECOVERY, order)
        keys = [model.index(r, DAYS_IN_RECOVERY).data(SortRole) for r in range(model.rowCount())]
        present = [k for k in keys if k is not None]
        assert keys[: len(present)] == sorted(
            present, reverse=order == Qt.SortOrder.DescendingOrder
        )
        assert all(k is None for k in keys[len(present) :])
    model.sort(NAME, Qt.SortOrder.AscendingOrder)
    names = [model.index(r, NAME).data() for r in range(model.rowCount())]
    assert names[0] == "Björk Guðmundsdóttir"  # accents sort with their base letter
    assert names[-1] == "Zoltan Kovács"


def test_proxy_filters_by_text_status_overdue_and_specialist(qapp: QApplication) -> None:
    model = CaseloadModel()
    model.set_rows(sample_rows(), today=TODAY, include_discharged=True)
    proxy = CaseloadFilterProxy()
    proxy.setSourceModel(model)

    def ids() -> set[int]:
        return {proxy.index(r, 0).data(ParticipantIdRole) for r in range(proxy.rowCount())}

    proxy.set_search_text("zoe")
    assert ids() == {1}
    proxy.set_search_text("ODEGAARD thor")
    assert ids() == {1}
    proxy.set_search_text("mara")  # preferred and legal name both searched
    assert ids() == {2}
    proxy.set_search_text("r-000004")
    assert ids() == {4}
    proxy.set_search_text("")
    proxy.set_status_filter(frozenset({"active", "inactive"}))
    assert ids() == {1, 2, 3, 4, 6}
    proxy.set_overdue_only(True)
    assert ids() == {2, 3, 6}
    assert proxy.visible_overdue_count() == 3
    proxy.set_overdue_only(False)
    proxy.set_specialist_filter(UNASSIGNED)
    assert ids() == {4}
    proxy.set_specialist_filter(2)
    assert ids() == {3}
    # Sorting the model keeps the filter.
    proxy.set_specialist_filter(None)
    proxy.sort(RECORD_NUMBER, Qt.SortOrder.DescendingOrder)
    order = [proxy.index(r, 0).data(ParticipantIdRole) for r in range(proxy.rowCount())]
    assert order == [6, 4, 3, 2, 1]


# -- the Caseload page on a real database ----------------------------------------------------


def test_find_a_participant_by_typing(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    zoe = add_participant(db, staff.peer1, "Zoë Nguyễn-Łukasz Ødegaard-Þórsdóttir")
    add_participant(db, staff.peer1, "Zoltan Kovács")
    add_participant(db, staff.peer1, "Amara Okafor", preferred="Mara", record="A-77")
    add_participant(db, staff.peer2, "Renée Dubois")  # not on peer1's caseload
    view = loaded_view(qtbot, ctx)
    assert view.proxy.rowCount() == 3
    assert view.count_label.text().startswith("3 participants")

    view.focus_search()
    qtbot.keyClicks(view.search, "zoe")
    assert visible_names(view) == ["Zoë Nguyễn-Łukasz Ødegaard-Þórsdóttir"]
    assert view.count_label.text().startswith("Showing 1 of 3 participants")
    with qtbot.waitSignal(view.open_participant, timeout=WAIT_MS) as opened:
        qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert opened.args == [zoe]

    view.search.clear()
    qtbot.keyClicks(view.search, "a-77")
    assert visible_names(view) == ["Mara (Amara Okafor)"]
    view.search.clear()
    qtbot.keyClicks(view.search, "nobody")
    assert view.proxy.rowCount() == 0
    assert view._empty.isVisible()
    qtbot.keyClick(view.search, Qt.Key.Key_Escape)
    assert view.proxy.rowCount() == 3

    # Enter on a selected row opens it too.
    view.table.setFocus()
    view.table.setCurrentIndex(view.proxy.index(1, 0))
    with qtbot.waitSignal(view.open_participant, timeout=WAIT_MS):
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    # Typing on the table goes to the search box.
    qtbot.keyClicks(view.table, "zol")
    assert view.search.text() == "zol"
    assert visible_names(view) == ["Zoltan Kovács"]


def test_ctrl_f_focuses_the_search_box(qtbot: QtBot, ctx: AppContext) -> None:
    view = loaded_view(qtbot, ctx)
    view.activateWindow()
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is view.search or view.search.hasFocus()


def test_overdue_filter_counts_and_colours(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    long_overdue = add_participant(
        db, staff.peer1, "Long Overdue", intake=date.today() - timedelta(days=30)
    )
    add_participant(db, staff.peer1, "Fresh Intake")
    view = loaded_view(qtbot, ctx)
    assert view.count_label.text() == "2 participants, 1 overdue"
    view.overdue_only.setChecked(True)
    assert view.proxy.rowCount() == 1
    index = view.proxy.index(0, NEXT_CONTACT_DUE)
    assert index.data(ParticipantIdRole) == long_overdue
    assert index.data(FlagRole) == FLAG_LONG_OVERDUE
    assert "days overdue" in index.data()
    assert view.count_label.text() == "Showing 1 of 2 participants, 1 overdue"


def test_discharged_rows_are_loaded_when_asked_for(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    gone = add_participant(db, staff.peer1, "Moved Away", intake=date.today() - timedelta(days=10))
    add_participant(db, staff.peer1, "Still Here")
    with db.session() as session:
        participants.discharge(session, staff.peer1, gone, on=date.today(), reason="moved")
    view = loaded_view(qtbot, ctx)
    assert visible_names(view) == ["Still Here"]
    assert not view.model.include_discharged
    with qtbot.waitSignal(view.loading_finished, timeout=WAIT_MS):
        view.set_status_filter("discharged")
    assert view.model.include_discharged
    assert visible_names(view) == ["Moved Away"]
    view.set_status_filter("all")
    assert sorted(visible_names(view)) == ["Moved Away", "Still Here"]


def test_sort_and_column_widths_are_kept(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, prefs: Settings
) -> None:
    add_participant(db, staff.peer1, "Alpha", record="B-2")
    add_participant(db, staff.peer1, "Beta", record="B-1")
    view = loaded_view(qtbot, ctx)
    assert visible_names(view) == ["Alpha", "Beta"]
    view.table.sortByColumn(RECORD_NUMBER, Qt.SortOrder.AscendingOrder)
    assert visible_names(view) == ["Beta", "Alpha"]
    assert prefs.sort_column("caseload") == "record_number"
    view.table.horizontalHeader().resizeSection(NAME, 333)
    qtbot.waitUntil(lambda: prefs.column_widths("caseload").get("name") == 333, timeout=WAIT_MS)

    again = loaded_view(qtbot, ctx)
    assert again.table.horizontalHeader().sectionSize(NAME) == 333
    assert again.table.horizontalHeader().sortIndicatorSection() == RECORD_NUMBER
    assert visible_names(again) == ["Beta", "Alpha"]


def test_specialist_column_and_filter_only_for_supervisors(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    add_participant(db, staff.peer1, "On Pat")
    add_participant(db, staff.peer2, "On Quinn")
    add_participant(db, staff.supervisor, "In Queue", specialist_id=None)
    view = loaded_view(qtbot, ctx)
    assert view.table.isColumnHidden(3)
    assert view.specialist_filter.isHidden()
    with qtbot.waitSignal(view.loading_finished, timeout=WAIT_MS):
        ctx.set_actor(staff.supervisor)
    assert not view.table.isColumnHidden(3)
    assert not view.specialist_filter.isHidden()
    assert sorted(visible_names(view)) == ["In Queue", "On Pat", "On Quinn"]
    view.specialist_filter.setCurrentIndex(view.specialist_filter.findData(UNASSIGNED))
    assert visible_names(view) == ["In Queue"]
    view.specialist_filter.setCurrentIndex(view.specialist_filter.findData(staff.peer2.id))
    assert visible_names(view) == ["On Quinn"]


def test_flag_colours_follow_the_palette(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, qapp: QApplication
) -> None:
    add_participant(db, staff.peer1, "Long Ago", intake=date.today() - timedelta(days=60))
    view = loaded_view(qtbot, ctx)

    def colour() -> object:
        return view.proxy.index(0, NEXT_CONTACT_DUE).data(Qt.ItemDataRole.ForegroundRole).color()

    assert colour() == flag_colors(qapp.palette())[FLAG_LONG_OVERDUE]
    before = qapp.palette()
    try:
        qapp.setPalette(dark_palette())
        qtbot.waitUntil(
            lambda: colour() == flag_colors(dark_palette())[FLAG_LONG_OVERDUE], timeout=WAIT_MS
        )
    finally:
        qapp.setPalette(before)


# -- intake ----------------------------------------------------------------------------------


def caseload_size(ctx: AppContext) -> int:
    return len(ctx.call(caseload.caseload_rows, read_only=True))


def open_intake(qtbot: QtBot, view: CaseloadView) -> IntakeDialog:
    qtbot.keyClick(
        view, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    if view.intake_dialog is None:  # the shortcut needs an active window; fall back
        view.start_intake()
    dialog = view.intake_dialog
    assert isinstance(dialog, IntakeDialog)
    return dialog


def test_intake_with_a_bad_date_then_a_good_one(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    view = loaded_view(qtbot, ctx)
    before = caseload_size(ctx)
    dialog = open_intake(qtbot, view)
    form = dialog.form
    assert not dialog.save_button.isEnabled()
    # Nothing is shouted before the user has typed anything.
    assert form.message_for("legal_name").isHidden()
    assert "Legal name" in dialog.hint.text()

    form.legal_name.insert("Zoë Ødegaard")  # QTest types ASCII only
    qtbot.keyClicks(form.date_of_birth.line_edit, "1990-13-45")
    message = form.message_for("date_of_birth")
    assert not message.isHidden()
    assert "is not a date" in message.text()
    assert "YYYY-MM-DD" in message.text()
    assert message.property("role") == "field-error"
    assert not dialog.save_button.isEnabled()
    dialog.save()  # even asked directly, nothing is submitted
    ctx.runner.wait_all()
    assert caseload_size(ctx) == before
    assert dialog.isVisible()

    form.date_of_birth.line_edit.clear()
    qtbot.keyClicks(form.date_of_birth.line_edit, "1990-04-12")
    assert message.isHidden()
    assert dialog.save_button.isEnabled()
    with (
        qtbot.waitSignal(dialog.saved, timeout=WAIT_MS) as saved,
        qtbot.waitSignal(view.open_participant, timeout=WAIT_MS) as opened,
    ):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    new_id = saved.args[0].id
    assert opened.args == [new_id]
    assert caseload_size(ctx) == before + 1
    qtbot.waitUntil(lambda: view.model.row_of_participant(new_id) >= 0, timeout=WAIT_MS)
    assert "Zoë Ødegaard" in visible_names(view)


def test_intake_shows_the_services_message_next_to_the_field(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    add_participant(db, staff.peer1, "First Person", record="DUP-1")
    view = loaded_view(qtbot, ctx)
    dialog = open_intake(qtbot, view)
    form = dialog.form
    qtbot.keyClicks(form.record_number, "DUP-1")
    qtbot.keyClicks(form.legal_name, "Second Person")
    qtbot.keyClicks(form.date_of_birth.line_edit, "1979-02-28")
    assert dialog.save_button.isEnabled()
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.is_saving, timeout=WAIT_MS)
    message = form.message_for("record_number")
    assert "already used" in message.text()
    assert not message.isHidden()
    assert not dialog.save_button.isEnabled()
    assert dialog.isVisible()
    qtbot.keyClicks(form.record_number, "b")  # editing the field clears the message
    assert message.isHidden()
    assert dialog.save_button.isEnabled()


def test_closing_intake_with_changes_asks_first(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = loaded_view(qtbot, ctx)
    dialog = open_intake(qtbot, view)
    answers = [UnsavedChoice.CANCEL, UnsavedChoice.DISCARD]
    asked: list[object] = []

    def answer(parent: object) -> UnsavedChoice:
        asked.append(parent)
        return answers.pop(0)

    monkeypatch.setattr(form_dialog, "ask_unsaved_changes", answer)
    assert not view.has_unsaved_changes()
    qtbot.keyClicks(dialog.form.legal_name, "Half Typed")
    assert view.has_unsaved_changes()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.rejected, timeout=WAIT_MS):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert len(asked) == 2
    assert not view.has_unsaved_changes()


def test_supervisor_intake_can_pick_a_specialist(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    ctx.set_actor(staff.supervisor)
    view = loaded_view(qtbot, ctx)
    dialog = open_intake(qtbot, view)
    picker = dialog.form.specialist
    assert picker is not None
    assert picker.itemData(0) == participant_forms.UNASSIGNED_CHOICE
    picker.setCurrentIndex(picker.findData(staff.peer2.id))
    qtbot.keyClicks(dialog.form.legal_name, "Picked For Quinn")
    qtbot.keyClicks(dialog.form.date_of_birth.line_edit, "2000-01-31")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS) as saved:
        dialog.save()
    assert saved.args[0].specialist_id == staff.peer2.id


# -- the team view ---------------------------------------------------------------------------


def test_team_view_counts_and_assigns_from_the_queue(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, qtmodeltester: object
) -> None:
    add_participant(db, staff.peer1, "Pat One", intake=date.today() - timedelta(days=40))
    add_participant(db, staff.peer1, "Pat Two")
    add_participant(db, staff.peer2, "Quinn One")
    queued = add_participant(db, staff.supervisor, "Waiting Person", specialist_id=None)
    ctx.set_actor(staff.supervisor)
    view = TeamView(ctx)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    with qtbot.waitSignal(view.loading_finished, timeout=WAIT_MS):
        view.show()
    qtmodeltester.check(view.summary_model)  # type: ignore[attr-defined]

    model = view.summary_model
    by_name = {model.summary_at(r).name: r for r in range(model.rowCount())}
    pat = by_name["Pat Peer"]
    assert model.index(pat, SpecialistSummaryModel.PARTICIPANTS).data() == "2"
    assert model.index(pat, SpecialistSummaryModel.OVERDUE).data() == "1"
    assert model.index(pat, SpecialistSummaryModel.LONG_OVERDUE).data() == "1"
    assert model.index(by_name["Quinn Peer"], SpecialistSummaryModel.PARTICIPANTS).data() == "1"
    assert model.index(pat, SpecialistSummaryModel.UNSIGNED_NOTES).data() == "—"
    view.set_unsigned_counts({staff.peer1.id: 3})
    assert model.index(pat, SpecialistSummaryModel.UNSIGNED_NOTES).data() == "3"
    assert model.index(by_name["Quinn Peer"], SpecialistSummaryModel.UNSIGNED_NOTES).data() == "0"
    assert "1 unassigned" in view.totals_label.text()

    # A specialist's list.
    view.select_specialist(staff.peer1.id)
    assert view.member_proxy.rowCount() == 2
    assert "Pat Peer" in view.member_heading.text()

    # Assign from the queue.
    assert view.queue_proxy.rowCount() == 1
    assert view.queue_proxy.index(0, 0).data(ParticipantIdRole) == queued
    view.queue_table.selectRow(0)
    assert view.assign_button.isEnabled()
    with qtbot.waitSignal(view.dialog_opened, timeout=WAIT_MS) as opened:
        qtbot.mouseClick(view.assign_button, Qt.MouseButton.LeftButton)
    dialog = opened.args[0]
    assert isinstance(dialog, TransferDialog)
    assert not dialog.save_button.isEnabled()  # nobody chosen yet
    dialog.choose_specialist(staff.peer2.id)
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.save_button.click()
    qtbot.waitUntil(
        lambda: view.queue_proxy.rowCount() == 0 and not view.is_loading, timeout=WAIT_MS
    )
    by_name = {model.summary_at(r).name: r for r in range(model.rowCount())}
    assert model.index(by_name["Quinn Peer"], SpecialistSummaryModel.PARTICIPANTS).data() == "2"
    # The unsigned counts fed in earlier are kept across reloads.
    assert model.index(by_name["Pat Peer"], SpecialistSummaryModel.UNSIGNED_NOTES).data() == "3"

    # Reassign from a specialist's list back to Pat.
    view.select_specialist(staff.peer2.id)
    view.member_table.selectRow(0)
    with qtbot.waitSignal(view.dialog_opened, timeout=WAIT_MS) as opened:
        view.reassign_selected()
    dialog = opened.args[0]
    dialog.choose_specialist(staff.peer1.id)
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.save_button.click()

    def quinn_has_one() -> bool:
        rows = {model.summary_at(r).name: r for r in range(model.rowCount())}
        return model.index(rows["Quinn Peer"], SpecialistSummaryModel.PARTICIPANTS).data() == "1"

    qtbot.waitUntil(quinn_has_one, timeout=WAIT_MS)


def test_team_view_is_for_supervisors(qtbot: QtBot, ctx: AppContext) -> None:
    view = TeamView(ctx)
    qtbot.addWidget(view)
    view.show()
    assert not view.notice.isHidden()
    assert view.splitter.isHidden()
    assert not view.is_loading


def test_date_field_keyboard_and_calendar(qtbot: QtBot, qapp: QApplication) -> None:
    field = form_parts.DateField()
    qtbot.addWidget(field)
    field.set_date(date(2024, 2, 28))
    qtbot.keyClick(field.line_edit, Qt.Key.Key_Up)
    assert field.text() == "2024-02-29"
    qtbot.keyClick(field.line_edit, Qt.Key.Key_Down)
    qtbot.keyClick(field.line_edit, Qt.Key.Key_Down)
    assert field.date() == date(2024, 2, 27)
    field.setText("")
    assert field.date() is None  # an empty optional date is allowed
    field._prepare_calendar()  # what opening the calendar does first
    assert field._calendar is not None
    field._picked(field._calendar.selectedDate())
    assert field.date() == date.today()
