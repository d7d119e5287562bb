"""The Consents tab and the consent header flags, on a real encrypted database."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import date, timedelta

import pytest
from conftest import Staff
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_support import (
    LONG_NAME,
    OFFSCREEN_NOISE,
    WAIT_MS,
    add_consent,
    add_counselor,
    add_participant,
    open_workspace,
    wait_flags,
)

from casebook.database import Database
from ui.consent_form import ConsentDialog, ConsentEnteredInErrorDialog, RevokeConsentDialog
from ui.consents_tab import ConsentsTab
from ui.context import AppContext
from ui.workspace import ParticipantWorkspace

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE


@pytest.fixture
def ctx(no_modal_questions: None, referrals_installed: None, ctx: AppContext) -> AppContext:
    """The shared ctx, with the Referrals and Consents tabs and the directory page installed
    (``referrals_tab.install``), and no unsaved-changes question."""
    return ctx


def consents_tab(qtbot: QtBot, workspace: ParticipantWorkspace) -> ConsentsTab:
    tab = workspace.show_tab("consents")
    assert isinstance(tab, ConsentsTab)
    qtbot.waitUntil(lambda: tab.loaded, timeout=WAIT_MS)
    return tab


# -- tests -------------------------------------------------------------------------------------


def test_new_consent_names_each_missing_element_and_then_saves(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    ana = add_counselor(
        db, staff.peer1, "Dr Ana Lima", credentials="LCSW", organisation="Riverbend"
    )
    _host, workspace = open_workspace(qtbot, ctx, pid)
    assert "No active consent" in workspace.flag_texts()
    tab = consents_tab(qtbot, workspace)
    assert tab.model.rowCount() == 0
    assert "No consent on file" in tab.summary.text()

    tab.new_consent()
    qtbot.waitUntil(lambda: isinstance(tab.active_dialog, ConsentDialog), timeout=WAIT_MS)
    dialog = tab.active_dialog
    assert isinstance(dialog, ConsentDialog)
    # Prefilled by the service: the legal name, the standard revocation text, today.
    assert dialog.patient_name.text() == LONG_NAME
    assert "revoke" in dialog.revocation_statement.toPlainText()
    assert dialog.signed_on.date() == date.today()
    dialog.expires_on.setText("")
    dialog.save_button.click()  # Save with elements missing: every one is named
    texts = dialog.message_texts()
    assert texts["discloser"] == "Say who may disclose (for example the program's name)"
    assert "describe specifically what information" in texts["information"].lower()
    assert "category" in texts["information_categories"]
    assert "recipient is missing" in texts["recipient"]
    assert "purpose" in texts["purpose"]
    assert "expiration is missing" in texts["expires_on"]
    assert texts["patient_name"] == ""
    assert dialog.isVisible() and not dialog.is_saving

    qtbot.keyClicks(dialog.discloser, "Riverbend Peer Recovery Center")
    dialog.information.setPlainText("Contact details and the referral reason.")
    dialog.categories.boxes["contact_details"].setChecked(True)
    dialog.categories.boxes["referral_reason"].setChecked(True)
    dialog.choose_recipient(ana)
    dialog.purpose.setPlainText("Referral to counseling")
    assert dialog.message_for("recipient").text() == ""
    dialog.expires_on.setText("not a date")
    assert "not a date" in dialog.message_for("expires_on").text()
    dialog.expires_on.set_date(date.today() + timedelta(days=20))
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=WAIT_MS)
    row = tab.model.row_at(0)
    assert row.status == "active" and row.recipient == "Dr Ana Lima, LCSW (Riverbend)"
    assert tab.model.index(0, tab.model.STATUS).data() == "Active"
    assert tab.details.value("discloser") == "Riverbend Peer Recovery Center"
    # The header now warns of the expiry instead of the missing consent.
    expiry = (date.today() + timedelta(days=20)).isoformat()
    wait_flags(qtbot, workspace, lambda flags: f"Consent expires {expiry}" in flags)
    assert "No active consent" not in workspace.flag_texts()


def test_revoke_changes_status_and_header_flag(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    ana = add_counselor(db, staff.peer1, "Dr Ana Lima")
    add_consent(db, staff.peer1, pid, ana)
    _host, workspace = open_workspace(qtbot, ctx, pid)
    assert not any("consent" in flag.lower() for flag in workspace.flag_texts())
    tab = consents_tab(qtbot, workspace)
    assert tab.revoke_button.isEnabled()
    tab.revoke()
    dialog = tab.active_dialog
    assert isinstance(dialog, RevokeConsentDialog)
    dialog.on_date.set_date(date.today() + timedelta(days=2))
    assert "future" in dialog.message_for("revoked_on").text()
    dialog.on_date.set_date(date.today())
    dialog.note.setPlainText("Told me at today's meeting")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: tab.model.row_at(0).status == "revoked", timeout=WAIT_MS)
    assert tab.model.index(0, tab.model.STATUS).data() == "Revoked"
    assert "Told me at today's meeting" in tab.details.value("revoked")
    assert not tab.revoke_button.isEnabled()
    wait_flags(qtbot, workspace, lambda flags: "No active consent" in flags)


def test_entered_in_error_needs_a_reason(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff
) -> None:
    pid = add_participant(db, staff.peer1)
    add_consent(db, staff.peer1, pid, add_counselor(db, staff.peer1, "Ben Osei"))
    _host, workspace = open_workspace(qtbot, ctx, pid)
    tab = consents_tab(qtbot, workspace)
    tab.mark_entered_in_error()
    dialog = tab.active_dialog
    assert isinstance(dialog, ConsentEnteredInErrorDialog)
    dialog.save_button.click()
    assert dialog.message_for("reason").text() == "Say why the consent was entered in error"
    dialog.reason.setPlainText("Recorded for the wrong participant")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: tab.model.row_at(0).status == "entered-in-error", timeout=WAIT_MS)
    assert tab.model.index(0, tab.model.STATUS).data() == "Entered in error"
    assert "wrong participant" in tab.details.value("error")
    wait_flags(qtbot, workspace, lambda flags: "No active consent" in flags)


def test_consent_models_pass_the_model_tester(
    qtbot: QtBot, ctx: AppContext, db: Database, staff: Staff, qtmodeltester: object
) -> None:
    pid = add_participant(db, staff.peer1)
    add_consent(db, staff.peer1, pid, add_counselor(db, staff.peer1, "Ben Osei"), expires_in=5)
    _host, workspace = open_workspace(qtbot, ctx, pid)
    expiry = (date.today() + timedelta(days=5)).isoformat()
    assert f"Consent expires {expiry}" in workspace.flag_texts()
    tab = consents_tab(qtbot, workspace)
    qtmodeltester.check(tab.model)  # type: ignore[attr-defined]
    # Expiring within 30 days: the expiry column is drawn in the "due" colour.
    assert tab.model.index(0, tab.model.EXPIRES).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert tab.model.index(0, tab.model.STATUS).data(Qt.ItemDataRole.ForegroundRole) is None
