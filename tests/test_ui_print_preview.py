"""The print preview, the Reports page and the workspace's Print summary action,
with real widgets, a real database and the PDFs read back."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Staff
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from test_reports import Clinic, all_text, build_clinic
from ui_support import OFFSCREEN_NOISE, app_context, record_errors, shown

from casebook.database import Database
from casebook.reports.caseload import build_caseload_report
from casebook.security.permissions import Actor
from models import AuditEvent
from ui import print_preview
from ui.context import AppContext
from ui.print_preview import PrintPreviewDialog, SummaryOptionsDialog, open_report
from ui.reports_page import ReportsPage
from ui.settings import Settings
from ui.workspace import ParticipantWorkspace

# The shared fixtures and helpers live in ui_support.
pytest_plugins = ["ui_support"]

pytestmark = OFFSCREEN_NOISE
WAIT_MS = 20_000


@pytest.fixture
def clinic(db: Database, staff: Staff) -> Clinic:
    return build_clinic(db, staff)


@pytest.fixture
def shown_errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """The error boxes the print preview would have shown."""
    return record_errors(monkeypatch, print_preview)


@pytest.fixture
def ctx(qapp: QApplication, db: Database, staff: Staff, prefs: Settings) -> Iterator[AppContext]:
    with app_context(db, staff.supervisor, wait_ms=WAIT_MS) as context:
        yield context


@pytest.fixture
def host(qtbot: QtBot) -> QWidget:
    return shown(qtbot, QWidget())


def caseload_build(profile: str = "minimum") -> Any:
    def build(session: Any, actor: Actor, path: Path) -> Path:
        return build_caseload_report(session, actor, path, profile=profile)

    return build


def wait_for_preview(qtbot: QtBot, parent: QWidget) -> PrintPreviewDialog:
    qtbot.waitUntil(lambda: parent.findChild(PrintPreviewDialog) is not None, timeout=WAIT_MS)
    dialog = parent.findChild(PrintPreviewDialog)
    assert isinstance(dialog, PrintPreviewDialog)
    return dialog


def events(db: Database, action: str) -> list[AuditEvent]:
    with db.session(read_only=True) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_preview_shows_every_page_and_saves_the_pdf(
    qtbot: QtBot, ctx: AppContext, db: Database, clinic: Clinic, host: QWidget, tmp_path: Path
) -> None:
    open_report(host, ctx, "Caseload report", caseload_build())
    dialog = wait_for_preview(qtbot, host)
    built = dialog._pdf
    assert dialog.page_count == len(PdfReader(built).pages) >= 1
    assert dialog.page_total.text() == f"of {dialog.page_count}"
    # Private while it exists: only this user may read the file or its folder.
    assert stat.S_IMODE(built.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(built.parent.stat().st_mode) & 0o077 == 0
    dialog.resize(1000, 700)
    qtbot.wait(800)  # QPdfView renders pages in the background
    dialog.grab().save(str(tmp_path / "preview.png"))

    target = tmp_path / "saved.pdf"
    assert dialog.save_to(target)
    assert target.read_bytes() == built.read_bytes()
    assert clinic.zoe_record in all_text(target)
    qtbot.waitUntil(lambda: len(events(db, "export")) == 1, timeout=WAIT_MS)
    assert "Caseload report" in events(db, "export")[0].details
    assert len(events(db, "print")) == 1  # the build itself

    dialog.zoom_in()
    assert dialog.view.zoomFactor() > 1.0
    dialog.fit_width()
    folder = built.parent
    dialog.close()
    qtbot.waitUntil(lambda: not folder.exists(), timeout=WAIT_MS)


def test_printing_renders_each_page_at_the_printers_resolution(
    qtbot: QtBot, ctx: AppContext, db: Database, clinic: Clinic, host: QWidget, tmp_path: Path
) -> None:
    open_report(host, ctx, "Caseload report", caseload_build("full"))
    dialog = wait_for_preview(qtbot, host)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    assert dialog.print_to(printer) == dialog.page_count
    assert len(PdfReader(tmp_path / "printed.pdf").pages) == dialog.page_count
    qtbot.waitUntil(lambda: len(events(db, "print")) == 2, timeout=WAIT_MS)
    dialog.close()


def test_a_refused_report_shows_a_message_and_leaves_nothing_behind(
    qtbot: QtBot,
    ctx: AppContext,
    staff: Staff,
    clinic: Clinic,
    host: QWidget,
    shown_errors: list[BaseException],
) -> None:
    ctx.set_actor(staff.peer1)
    before = set(print_preview._live_folders)
    open_report(host, ctx, "Caseload report", caseload_build("full"))
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=WAIT_MS)
    assert "Only a supervisor" in str(shown_errors[0])
    assert host.findChild(PrintPreviewDialog) is None
    assert set(print_preview._live_folders) == before


def test_reports_page_prints_the_chosen_specialists(
    qtbot: QtBot, ctx: AppContext, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    page = shown(qtbot, ReportsPage(ctx))
    qtbot.waitUntil(lambda: page.specialists.count() >= 2, timeout=WAIT_MS)
    names = [page.specialists.item(i).text() for i in range(page.specialists.count())]
    assert any(n.startswith("Quinn Peer") for n in names)
    page.grab().save(str(tmp_path / "reports_page.png"))
    for i in range(page.specialists.count()):
        item = page.specialists.item(i)
        if item.text().startswith("Quinn Peer"):
            item.setCheckState(Qt.CheckState.Checked)
    page.full_button.setChecked(True)
    page.print_button.click()
    dialog = wait_for_preview(qtbot, page)
    text = all_text(dialog._pdf)
    assert clinic.quinn_record in text and "QuentinBlackwood" in text
    assert clinic.zoe_record not in text
    dialog.close()


def test_workspace_print_summary_asks_how_many_notes(
    qtbot: QtBot, ctx: AppContext, staff: Staff, clinic: Clinic, tmp_path: Path
) -> None:
    ctx.set_actor(staff.peer1)
    workspace = shown(qtbot, ParticipantWorkspace(ctx, clinic.zoe))
    workspace.open()
    qtbot.waitUntil(lambda: workspace.print_action.isEnabled(), timeout=WAIT_MS)
    assert workspace.print_action.shortcut().toString() == "Ctrl+P"
    workspace.print_action.trigger()
    options = workspace.active_dialog
    assert isinstance(options, SummaryOptionsDialog)
    options.grab().save(str(tmp_path / "summary_options.png"))
    options.notes_box.setValue(1)
    options.accept()
    dialog = wait_for_preview(qtbot, workspace)
    text = all_text(dialog._pdf)
    assert "Signednotenumber3" in text and "Signednotenumber2" not in text
    dialog.close()


def test_reports_page_is_for_supervisors_before_the_audit_log(staff: Staff) -> None:
    from ui import reports_page
    from ui.main_window import PAGES

    saved = list(PAGES)
    try:
        reports_page.install()
        keys = [page.key for page in PAGES]
        assert keys.index("reports") < keys.index("audit")
        spec = PAGES[keys.index("reports")]
        assert spec.visible(staff.supervisor)
        assert not spec.visible(staff.peer1) and not spec.visible(staff.admin)
    finally:
        PAGES[:] = saved
