"""The Referrals tab: the consent gate as the person sees it, sending, the timeline,
closing the loop, disclosures, FHIR export, the urgent prefill and the header flag."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Staff
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_support import (
    OFFSCREEN_NOISE,
    WAIT_MS,
    add_consent,
    add_counselor,
    add_participant,
    open_workspace,
    wait_flags,
)

from casebook.database import Database
from casebook.services import referrals
from casebook.services.referrals import ReferralFields
from ui.context import AppContext
from ui.referral_actions import CloseReferralDialog, FollowUpDialog, StatusChangeDialog
from ui.referral_form import ReferralDialog
from ui.referral_models import TimelineModel
from ui.referrals_tab import ReferralsTab
from ui.workspace import ParticipantWorkspace

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE

ANA = "Dr Ana Lima, LCSW (Riverbend Clinic)"


@pytest.fixture
def ctx(no_modal_questions: None, referrals_installed: None, ctx: AppContext) -> AppContext:
    """The shared ctx, with the Referrals and Consents tabs and the directory page installed
    (``referrals_tab.install``), and no unsaved-changes question."""
    return ctx


def referrals_tab(qtbot: QtBot, workspace: ParticipantWorkspace) -> ReferralsTab:
    tab = workspace.show_tab("referrals")
    assert isinstance(tab, ReferralsTab)
    qtbot.waitUntil(lambda: tab.loaded, timeout=WAIT_MS)
    return tab


def open_form(qtbot: QtBot, tab: ReferralsTab) -> ReferralDialog:
    tab.new_referral()
    qtbot.waitUntil(lambda: isinstance(tab.active_dialog, ReferralDialog), timeout=WAIT_MS)
    dialog = tab.active_dialog
    assert isinstance(dialog, ReferralDialog)
    return dialog


def fill(qtbot: QtBot, dialog: ReferralDialog, search: str) -> None:
    qtbot.keyClicks(dialog.counselor_search, search)
    dialog.reason.setPlainText("Asked for trauma-focused therapy.")
    dialog.categories.boxes["contact_details"].setChecked(True)
    dialog.categories.boxes["substance_use"].setChecked(True)
    dialog.information_shared.setPlainText("Contact details and substance use history.")


def statuses(tab: ReferralsTab) -> list[str]:
    return [tab.model.row_at(r).status for r in range(tab.model.rowCount())]


def test_without_a_consent_send_is_refused_next_to_the_consent_field(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    ana = add_counselor(
        db, staff.peer1, "Dr Ana Lima", credentials="LCSW", organisation="Riverbend Clinic"
    )
    add_counselor(db, staff.peer1, "Ben Osei", organisation="Lighthouse", languages="Twi, English")
    host, workspace = open_workspace(qtbot, ctx, pid)
    tab = referrals_tab(qtbot, workspace)
    dialog = open_form(qtbot, tab)
    assert "No consent on file" in dialog.consent_note.text()
    fill(qtbot, dialog, "ana lima")
    # Typing in the picker's filter leaves the one match chosen.
    assert dialog.counselor.currentText() == ANA
    # The window knows a form with changes is open (sign-out, quit).
    assert host.has_unsaved_changes()
    dialog.send_button.click()
    message = dialog.message_for("consent")
    qtbot.waitUntil(lambda: message.text() != "", timeout=WAIT_MS)
    assert message.text().startswith("No consent on file for Zoë Nguyễn-Łukasz")
    assert f"names {ANA}" in message.text()
    assert "contact details, substance use" in message.text()
    assert dialog.isVisible()
    # Nothing was saved or sent.
    with db.session() as s:  # listing referrals is audited: a write
        assert referrals.list_referrals(s, staff.peer1, pid) == []
    # The draft can still be kept.
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: statuses(tab) == ["draft"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.current is not None, timeout=WAIT_MS)
    assert tab.model.index(0, tab.model.STATUS).data() == "Draft"
    assert tab.disclosure_model.rowCount() == 0
    assert tab.edit_button.isEnabled() and not tab.export_button.isEnabled()

    # Once the consent is on file, the draft is sent from the same form.
    add_consent(db, staff.peer1, pid, ana)
    tab.edit_draft()
    qtbot.waitUntil(lambda: isinstance(tab.active_dialog, ReferralDialog), timeout=WAIT_MS)
    draft = tab.active_dialog
    assert isinstance(draft, ReferralDialog)
    assert draft.counselor.currentData() == ana
    assert draft.reason.toPlainText() == "Asked for trauma-focused therapy."
    with qtbot.waitSignal(draft.saved, timeout=WAIT_MS):
        draft.send_button.click()
    qtbot.waitUntil(lambda: statuses(tab) == ["requested"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.disclosure_model.rowCount() == 1, timeout=WAIT_MS)


def test_consent_for_another_recipient_is_named_in_the_refusal(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    add_counselor(
        db, staff.peer1, "Dr Ana Lima", credentials="LCSW", organisation="Riverbend Clinic"
    )
    ben = add_counselor(db, staff.peer1, "Ben Osei", organisation="Lighthouse")
    consent = add_consent(db, staff.peer1, pid, ben)
    _host, workspace = open_workspace(qtbot, ctx, pid)
    tab = referrals_tab(qtbot, workspace)
    dialog = open_form(qtbot, tab)
    fill(qtbot, dialog, "riverbend")
    assert dialog.choose_consent(consent.id)
    # Before sending, the form says whom the chosen consent is for.
    assert dialog.consent_note.text() == "It is for Ben Osei (Lighthouse)."
    dialog.send_button.click()
    message = dialog.message_for("consent")
    qtbot.waitUntil(lambda: message.text() != "", timeout=WAIT_MS)
    assert "The chosen consent cannot be relied on" in message.text()
    assert f"does not name {ANA} as recipient (it names Ben Osei (Lighthouse))" in message.text()


def test_send_change_status_and_close_the_loop(
    qtbot: QtBot,
    ctx: AppContext,
    db: Database,
    staff: Staff,
    tmp_path: Path,
    shown_errors: list[BaseException],
) -> None:
    pid = add_participant(db, staff.peer1)
    ana = add_counselor(
        db, staff.peer1, "Dr Ana Lima", credentials="LCSW", organisation="Riverbend Clinic"
    )
    add_consent(db, staff.peer1, pid, ana)
    _host, workspace = open_workspace(qtbot, ctx, pid)
    tab = referrals_tab(qtbot, workspace)
    dialog = open_form(qtbot, tab)
    fill(qtbot, dialog, "lima")
    # Urgency sets the follow-up default (routine 7 days, urgent 1), still adjustable.
    assert dialog.follow_up_days.value() == 7
    dialog.urgency.setCurrentIndex(dialog.urgency.findData("urgent"))
    assert dialog.follow_up_days.value() == 1
    dialog.follow_up_days.setValue(3)
    dialog.urgency.setCurrentIndex(dialog.urgency.findData("routine"))
    assert dialog.follow_up_days.value() == 3
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.send_button.click()
    qtbot.waitUntil(lambda: statuses(tab) == ["requested"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.current is not None, timeout=WAIT_MS)
    follow_up = (date.today() + timedelta(days=3)).isoformat()
    assert tab.model.index(0, tab.model.STATUS).data() == "Sent"
    assert tab.model.index(0, tab.model.FOLLOW_UP).data() == follow_up
    assert tab.model.index(0, tab.model.SENT).data() == date.today().isoformat()
    # The disclosure is on record, with the recipient and what was shared.
    assert tab.disclosure_model.rowCount() == 1
    disclosure = tab.disclosure_model.row_at(0)
    assert disclosure.recipient == ANA and disclosure.notice_included
    assert "substance use" in tab.disclosure_model.index(0, 3).data()
    assert tab.details.value("follow_up") == follow_up

    # A status change with a note is a dated event on the timeline.
    tab.change_status()
    status_dialog = tab.active_dialog
    assert isinstance(status_dialog, StatusChangeDialog)
    assert status_dialog.choose("accepted")
    status_dialog.note.setPlainText("Clinic called: intake booked")
    with qtbot.waitSignal(status_dialog.saved, timeout=WAIT_MS):
        status_dialog.save_button.click()
    qtbot.waitUntil(lambda: statuses(tab) == ["accepted"], timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: tab.current is not None and tab.current.status == "accepted", timeout=WAIT_MS
    )
    events = tab.timeline_model
    last = events.rowCount() - 1
    assert events.index(last, 1).data() == "Pat Peer"
    assert events.index(last, 2).data() == "Sent → Accepted"
    assert events.index(last, 3).data() == "Clinic called: intake booked"
    assert events.index(last, 0).data().startswith(date.today().isoformat())

    # A new follow-up date is an event too.
    tab.set_follow_up()
    follow_dialog = tab.active_dialog
    assert isinstance(follow_dialog, FollowUpDialog)
    later = date.today() + timedelta(days=10)
    follow_dialog.on_date.set_date(later)
    with qtbot.waitSignal(follow_dialog.saved, timeout=WAIT_MS):
        follow_dialog.save_button.click()
    qtbot.waitUntil(
        lambda: tab.model.index(0, tab.model.FOLLOW_UP).data() == later.isoformat(),
        timeout=WAIT_MS,
    )

    # FHIR export: a JSON file any reader opens, a Bundle with the ServiceRequest and Task.
    out = tmp_path / "referral.fhir.json"
    qtbot.waitUntil(lambda: tab.loaded, timeout=WAIT_MS)
    tab.export_fhir(out)
    qtbot.waitUntil(lambda: tab.last_export == out or bool(shown_errors), timeout=WAIT_MS)
    assert shown_errors == []
    with out.open(encoding="utf-8") as handle:
        bundle = json.load(handle)
    assert bundle["resourceType"] == "Bundle"
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"ServiceRequest", "Task", "Patient", "Consent"} <= kinds

    # Closing the loop with an outcome ends the referral.
    tab.close_loop()
    close_dialog = tab.active_dialog
    assert isinstance(close_dialog, CloseReferralDialog)
    assert not close_dialog.final_status.isEnabled()
    assert close_dialog.choose_outcome("attended_first_appointment")
    with qtbot.waitSignal(close_dialog.saved, timeout=WAIT_MS):
        close_dialog.save_button.click()
    qtbot.waitUntil(lambda: statuses(tab) == ["completed"], timeout=WAIT_MS)
    assert tab.model.index(0, tab.model.OUTCOME).data() == "Attended the first appointment"
    assert tab.model.index(0, tab.model.FOLLOW_UP).data() == ""
    qtbot.waitUntil(
        lambda: tab.current is not None and tab.current.status == "completed", timeout=WAIT_MS
    )
    assert not tab.close_button.isEnabled() and not tab.follow_up_button.isEnabled()


def test_closing_with_other_needs_a_note(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    ana = add_counselor(db, staff.peer1, "Dr Ana Lima")
    add_consent(db, staff.peer1, pid, ana)
    with db.session() as s:
        r = referrals.create_referral(
            s,
            staff.peer1,
            pid,
            ReferralFields(ana, "Needs counseling", "routine", "Contact", ("contact_details",)),
        )
        referrals.send_referral(s, staff.peer1, r.id)
    _host, workspace = open_workspace(qtbot, ctx, pid)
    tab = referrals_tab(qtbot, workspace)
    qtbot.waitUntil(lambda: tab.current is not None, timeout=WAIT_MS)
    tab.close_loop()
    dialog = tab.active_dialog
    assert isinstance(dialog, CloseReferralDialog)
    dialog.choose_outcome("other")
    assert dialog.final_status.isEnabled()
    dialog.save_button.click()
    assert "explain in the note" in dialog.message_for("note").text()
    dialog.final_status.setCurrentIndex(dialog.final_status.findData("failed"))
    dialog.note.setPlainText("Clinic closed its waiting list")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: statuses(tab) == ["failed"], timeout=WAIT_MS)
    assert tab.model.index(0, tab.model.STATUS).data() == "Did not happen"


def test_overdue_follow_up_is_highlighted_and_flagged(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, qtmodeltester: object
) -> None:
    pid = add_participant(db, staff.peer1)
    ana = add_counselor(db, staff.peer1, "Dr Ana Lima")
    add_consent(db, staff.peer1, pid, ana)
    ten_days_ago = date.today() - timedelta(days=10)
    with db.session() as s:
        r = referrals.create_referral(
            s,
            staff.peer1,
            pid,
            ReferralFields(ana, "Needs counseling", "routine", "Contact", ("contact_details",)),
            now=datetime.now(UTC) - timedelta(days=10),
        )
        referrals.send_referral(
            s,
            staff.peer1,
            r.id,
            today=ten_days_ago,
            now=datetime.now(UTC) - timedelta(days=10),
        )
    _host, workspace = open_workspace(qtbot, ctx, pid)
    assert "Referral follow-up overdue" in workspace.flag_texts()
    tab = referrals_tab(qtbot, workspace)
    overdue_on = (ten_days_ago + timedelta(days=7)).isoformat()
    cell = tab.model.index(0, tab.model.FOLLOW_UP)
    assert cell.data() == f"{overdue_on} (overdue)"
    assert cell.data(Qt.ItemDataRole.ForegroundRole) is not None
    assert tab.model.index(0, tab.model.REASON).data(Qt.ItemDataRole.ForegroundRole) is None
    qtmodeltester.check(tab.model)  # type: ignore[attr-defined]
    qtmodeltester.check(tab.disclosure_model)  # type: ignore[attr-defined]
    # Moving the follow-up on clears the flag.
    tab.set_follow_up()
    dialog = tab.active_dialog
    assert isinstance(dialog, FollowUpDialog)
    dialog.on_date.set_date(date.today() + timedelta(days=2))
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.save_button.click()
    wait_flags(qtbot, workspace, lambda flags: "Referral follow-up overdue" not in flags)
    qtbot.waitUntil(
        lambda: tab.current is not None and tab.timeline_model.rowCount() == 3, timeout=WAIT_MS
    )
    assert tab.timeline_model.index(2, 2).data() == "Follow-up changed"


def test_urgent_referral_opens_prefilled(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    add_counselor(db, staff.peer1, "Dr Ana Lima")
    _host, workspace = open_workspace(qtbot, ctx, pid)
    tab = workspace.feature_tabs["referrals"]
    assert isinstance(tab, ReferralsTab)
    tab.start_urgent_referral("PHQ-9 item 9 answered 'several days'")
    qtbot.waitUntil(lambda: isinstance(tab.active_dialog, ReferralDialog), timeout=WAIT_MS)
    assert workspace.tabs.currentWidget() is tab
    dialog = tab.active_dialog
    assert isinstance(dialog, ReferralDialog)
    assert dialog.urgency.currentData() == "urgent"
    assert dialog.follow_up_days.value() == 1
    assert dialog.reason.toPlainText() == "PHQ-9 item 9 answered 'several days'"
    assert set(dialog.categories.codes()) == {"contact_details", "mental_health", "referral_reason"}
    assert dialog.hint_box is not None and not dialog.hint_box.isHidden()
    # Nothing is saved until the person saves.
    assert not dialog.is_dirty()
    dialog.reject()
    qtbot.waitUntil(lambda: tab.active_dialog is None, timeout=WAIT_MS)
    with db.session() as s:  # an audited view: a write
        assert referrals.list_referrals(s, staff.peer1, pid) == []


def test_timeline_model_words(qtmodeltester: object) -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    model = TimelineModel()
    model.set_rows(
        [
            referrals.ReferralEventView(1, now, 1, "Pat Peer", None, "draft", ""),
            referrals.ReferralEventView(2, now, 1, "Pat Peer", "draft", "requested", ""),
            referrals.ReferralEventView(3, now, 1, "Pat Peer", "requested", "requested", "x"),
        ]
    )
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    assert [model.index(r, 2).data() for r in range(3)] == [
        "Created as draft",
        "Draft → Sent",
        "Follow-up changed",
    ]
