"""The participant's "Referrals" tab: referrals with their status and follow-up, the
timeline of the selected one, the accounting of disclosures, FHIR export; and
``install()``, which registers this tab, the Consents tab, the counselor directory
page and their header flags.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QItemSelection, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from casebook import fhir
from casebook.errors import ValidationError
from casebook.services import consents, referrals
from casebook.services.consents import ConsentDetail
from casebook.services.counselors import CounselorDetail
from casebook.services.referrals import (
    DisclosureEntry,
    ReferralDetail,
    ReferralDraft,
    ReferralSummary,
)
from ui import messages
from ui.caseload_view import setup_table
from ui.context import AppContext
from ui.form_parts import sentence
from ui.icons import icon
from ui.referral_actions import (
    CloseReferralDialog,
    FollowUpDialog,
    StatusChangeDialog,
    status_label,
)
from ui.referral_form import ReferralDialog
from ui.referral_models import (
    DisclosureModel,
    ReferralTableModel,
    TimelineModel,
    load_referrals,
    referral_flags,
    referral_form_data,
    urgent_referral_data,
    write_json,
)
from ui.referral_parts import (
    AREA_CONSENT,
    AREA_REFERRAL,
    FactsPanel,
    day,
)

if TYPE_CHECKING:
    from ui.workspace import ParticipantWorkspace


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReferralsTab", text)


class ReferralsTab(QWidget):
    """Referrals of the workspace's participant."""

    def __init__(self, ctx: AppContext, workspace: ParticipantWorkspace) -> None:
        super().__init__()
        self.setObjectName("referralsTab")
        self._ctx = ctx
        self._workspace = workspace
        self._stale = True
        self._loading = False
        self._loaded_once = False
        self._select_id: int | None = None
        self._pending_id: int | None = None
        self.current: ReferralDetail | None = None
        self.active_dialog: QDialog | None = None
        self.last_export: Path | None = None

        self.new_button = QPushButton(icon("plus"), _tr("&New referral…"))
        self.new_button.clicked.connect(lambda: self.new_referral())
        self.edit_button = QPushButton(icon("pen-line"), _tr("Edit &draft…"))
        self.edit_button.clicked.connect(self.edit_draft)
        self.status_button = QPushButton(icon("arrow-right-left"), _tr("Change &status…"))
        self.status_button.clicked.connect(self.change_status)
        self.follow_up_button = QPushButton(icon("calendar"), _tr("&Follow-up date…"))
        self.follow_up_button.clicked.connect(self.set_follow_up)
        self.close_button = QPushButton(icon("circle-check"), _tr("C&lose with outcome…"))
        self.close_button.clicked.connect(self.close_loop)
        self.export_button = QPushButton(icon("file-down"), _tr("E&xport FHIR…"))
        self.export_button.setToolTip(
            _tr("Save the referral as FHIR R4 JSON for a clinic's record system")
        )
        self.export_button.clicked.connect(self.choose_export_file)
        self.print_button = QPushButton(icon("printer"), _tr("&Print packet…"))
        self.print_button.setToolTip(
            _tr("The referral packet for the counselor: only what the consent covers")
        )
        self.print_button.clicked.connect(self.print_packet)
        bar = QHBoxLayout()
        for button in (
            self.new_button,
            self.edit_button,
            self.status_button,
            self.follow_up_button,
            self.close_button,
            self.export_button,
            self.print_button,
        ):
            bar.addWidget(button)
        bar.addStretch(1)

        self.model = ReferralTableModel(self)
        self.table = QTableView()
        setup_table(self.table, _tr("Referrals"))
        self.table.setModel(self.model)
        self._widths(self.table, (20, 18, 8, 10, 10, 22, 10))
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.edit_draft())

        self.disclosure_model = DisclosureModel(self)
        self.disclosures = QTableView()
        setup_table(self.disclosures, _tr("Accounting of disclosures"))
        self.disclosures.setModel(self.disclosure_model)
        self._widths(self.disclosures, (17, 11, 22, 28, 10))

        self.details = FactsPanel(_tr("Choose a referral to see its timeline"))
        for key, caption in (
            ("status", _tr("Status")),
            ("urgency", _tr("Urgency")),
            ("reason", _tr("Reason")),
            ("shared", _tr("Information shared")),
            ("consent", _tr("Consent relied on")),
            ("follow_up", _tr("Follow-up due")),
            ("outcome", _tr("Outcome")),
        ):
            self.details.add(key, caption)
        self.timeline_model = TimelineModel(self)
        self.timeline = QTableView()
        setup_table(self.timeline, _tr("Referral timeline"))
        self.timeline.setModel(self.timeline_model)
        self._widths(self.timeline, (17, 11, 17, 10))
        # A referral has a handful of events, so its notes may wrap to their full height.
        self.timeline.setWordWrap(True)
        self.timeline.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        timeline_heading = QLabel(_tr("Timeline"))
        timeline_heading.setProperty("role", "subheading")
        self.details.box_layout.addWidget(timeline_heading)
        self.details.box_layout.addWidget(self.timeline, 1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 3)
        disclosures_heading = QLabel(_tr("Disclosures made (accounting of disclosures)"))
        disclosures_heading.setProperty("role", "subheading")
        left_layout.addWidget(disclosures_heading)
        left_layout.addWidget(self.disclosures, 2)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([820, 480])
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        ctx.changed.connect(self._data_changed)
        self._update_buttons()

    @staticmethod
    def _widths(table: QTableView, chars: tuple[int, ...]) -> None:
        char = table.fontMetrics().averageCharWidth()
        for column, n in enumerate(chars):
            table.horizontalHeader().resizeSection(column, n * char + 16)

    # -- loading -------------------------------------------------------------------------

    @property
    def participant_id(self) -> int:
        return self._workspace.participant_id

    @property
    def loaded(self) -> bool:
        return self._loaded_once and not self._loading

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> None:
        if self._ctx.runner.closing or not self._ctx.signed_in:
            return
        self._stale = False
        self._loading = True
        # Listing referrals and disclosures is audited, so it is a write.
        self._ctx.submit(
            load_referrals,
            self.participant_id,
            on_done=self._loaded,
            on_error=self._failed,
            read_only=False,
            label=_tr("Loading referrals"),
        )

    def _loaded(self, data: tuple[list[ReferralSummary], list[DisclosureEntry]]) -> None:
        if not shiboken6.isValid(self):
            return
        rows, disclosures = data
        keep = self._select_id or (self.current.id if self.current else None)
        self._select_id = None
        self.model.set_rows(rows)
        self.disclosure_model.set_rows(disclosures)
        if not rows:
            self._pending_id = None
            self._show_detail(None)
            self._loading = False
            self._loaded_once = True
            return
        row = next((i for i, summary in enumerate(rows) if summary.id == keep), 0)
        # Reloading the list clears the selection; the detail is fetched afresh either way.
        self._pending_id = None
        self.table.selectRow(row)
        if self._pending_id != rows[row].id:
            self._load_detail(rows[row].id)

    def _row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def _failed(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            self._loading = False
            messages.show_error(self, exc)

    def _data_changed(self, area: str, participant_id: int) -> None:
        if participant_id not in (0, self.participant_id) or area not in (
            AREA_REFERRAL,
            AREA_CONSENT,
        ):
            return
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def _selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        row = self._row()
        if row < 0:
            self._show_detail(None)
            return
        referral_id = self.model.row_at(row).id
        if referral_id != self._pending_id:
            self._load_detail(referral_id)

    def _load_detail(self, referral_id: int) -> None:
        self._pending_id = referral_id
        self._loading = True
        self._ctx.submit(
            referrals.get_referral,
            referral_id,
            on_done=self._detail_loaded,
            on_error=self._failed,
            read_only=False,  # audited as a view
            label=_tr("Loading the referral"),
        )

    def _detail_loaded(self, detail: ReferralDetail) -> None:
        if not shiboken6.isValid(self):
            return
        row = self._row()
        if row >= 0 and self.model.row_at(row).id != detail.id:
            return  # the selection moved on; its own load is on the way
        self._pending_id = None
        self._loading = False
        self._loaded_once = True
        self._show_detail(detail)

    def _show_detail(self, detail: ReferralDetail | None) -> None:
        self.current = detail
        d = self.details
        if detail is None:
            d.clear(_tr("Choose a referral to see its timeline"))
            self.timeline_model.set_rows([])
            self._update_buttons()
            return
        d.title.setText(
            _tr("Referral to {to}").format(to=detail.counselor_name or _tr("(not chosen yet)"))
        )
        d.set("status", status_label(detail.status))
        d.set("urgency", referrals.urgency_labels().get(detail.urgency, detail.urgency))
        d.set("reason", detail.reason)
        shared = consents.format_categories(detail.information_categories)
        if detail.information_shared:
            shared = (
                f"{sentence(shared)}\n{detail.information_shared}"
                if shared
                else detail.information_shared
            )
        d.set("shared", sentence(shared))
        d.set(
            "consent",
            _tr("Signed {d}").format(d=day(detail.consent_signed_on))
            if detail.consent_signed_on
            else _tr("None yet: the covering consent is found on sending"),
        )
        follow = day(detail.follow_up_on) if detail.is_open else ""
        if follow and detail.follow_up_on and detail.follow_up_on < date.today():
            follow = _tr("{d} — overdue").format(d=follow)
        d.set("follow_up", follow)
        outcome = referrals.outcome_labels().get(detail.outcome, "") if detail.outcome else ""
        if detail.outcome_note:
            outcome = f"{outcome}: {detail.outcome_note}" if outcome else detail.outcome_note
        d.set("outcome", outcome)
        self.timeline_model.set_rows(detail.events)
        self._update_buttons()

    def _update_buttons(self) -> None:
        r = self.current
        self.edit_button.setEnabled(r is not None and r.status == "draft")
        self.status_button.setEnabled(r is not None and bool(r.next_statuses))
        self.follow_up_button.setEnabled(r is not None and r.is_open)
        self.close_button.setEnabled(r is not None and r.is_open)
        sent = (
            r is not None
            and r.status not in ("draft", "entered-in-error", "cancelled")
            and r.sent_at is not None
        )
        self.export_button.setEnabled(sent)
        self.print_button.setEnabled(sent)

    def print_packet(self) -> None:
        """Preview and print the packet for the selected, sent referral (§2.32 notice)."""
        r = self.current
        if r is None or not self.print_button.isEnabled():
            return
        from casebook.reports.referral_packet import build_referral_packet
        from ui.print_preview import open_report

        referral_id = r.id
        open_report(
            self,
            self._ctx,
            _tr("Referral packet"),
            lambda session, actor, path: build_referral_packet(session, actor, referral_id, path),
        )

    # -- dialogs -------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.active_dialog = dialog
        self._workspace.active_dialog = dialog
        dialog.finished.connect(self._dialog_closed)
        dialog.saved.connect(self._saved)  # type: ignore[attr-defined]
        dialog.open()

    def _dialog_closed(self, _result: int) -> None:
        self.active_dialog = None
        if shiboken6.isValid(self._workspace):
            self._workspace.active_dialog = None

    def _saved(self, detail: ReferralDetail) -> None:
        self._select_id = detail.id

    def new_referral(self, draft: ReferralDetail | None = None) -> None:
        """Open the referral form (empty, or on a draft) once the directory and the
        participant's consents are loaded."""
        if self.active_dialog is not None:
            return
        self.new_button.setEnabled(False)

        def ready(data: tuple[list[CounselorDetail], list[ConsentDetail]]) -> None:
            if not shiboken6.isValid(self):
                return
            self.new_button.setEnabled(True)
            directory, on_file = data
            self._open(
                ReferralDialog(
                    self._ctx, self.participant_id, directory, on_file, draft=draft, parent=self
                )
            )

        self._ctx.submit(
            referral_form_data,
            self.participant_id,
            on_done=ready,
            on_error=self._form_failed,
            read_only=False,  # listing consents is audited
            label=_tr("Preparing the referral form"),
        )

    def start_urgent_referral(self, reason: str = "") -> None:
        """Bring this tab forward with an urgent referral prefilled (from a PHQ-9 self-harm
        answer or a risk flag in a note). Nothing is saved until the person saves."""
        self._workspace.show_tab("referrals")
        if self.active_dialog is not None:
            self.active_dialog.raise_()
            return
        self.new_button.setEnabled(False)

        def ready(
            data: tuple[ReferralDraft, list[CounselorDetail], list[ConsentDetail]],
        ) -> None:
            if not shiboken6.isValid(self):
                return
            self.new_button.setEnabled(True)
            draft, directory, on_file = data
            self._open(
                ReferralDialog(
                    self._ctx,
                    self.participant_id,
                    directory,
                    on_file,
                    prefill=draft.fields,
                    hint=draft.consent_hint,
                    parent=self,
                )
            )

        self._ctx.submit(
            urgent_referral_data,
            self.participant_id,
            reason,
            on_done=ready,
            on_error=self._form_failed,
            read_only=False,
            label=_tr("Preparing an urgent referral"),
        )

    def _form_failed(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            self.new_button.setEnabled(True)
            messages.show_error(self, exc)

    def edit_draft(self) -> None:
        if self.current is not None and self.current.status == "draft":
            self.new_referral(self.current)

    def change_status(self) -> None:
        if self.current is not None and self.current.next_statuses and self.active_dialog is None:
            self._open(StatusChangeDialog(self._ctx, self.current, self))

    def set_follow_up(self) -> None:
        if self.current is not None and self.current.is_open and self.active_dialog is None:
            self._open(FollowUpDialog(self._ctx, self.current, self))

    def close_loop(self) -> None:
        if self.current is not None and self.current.is_open and self.active_dialog is None:
            self._open(CloseReferralDialog(self._ctx, self.current, self))

    # -- FHIR export ---------------------------------------------------------------------

    def choose_export_file(self) -> None:
        if self.current is None:
            return
        path, _filter = QFileDialog.getSaveFileName(
            self,
            _tr("Save referral as FHIR JSON"),
            f"referral-{self.current.id}.fhir.json",
            _tr("FHIR JSON (*.json)"),
        )
        if path:
            self.export_fhir(Path(path))

    def export_fhir(self, path: Path) -> None:
        """Write the selected referral as a FHIR R4 Bundle (audited by the service as an
        export, which is another disclosure under the same consent)."""
        if self.current is None:
            return
        self.export_button.setEnabled(False)

        def done(bundle: dict[str, Any]) -> None:
            if not shiboken6.isValid(self):
                return
            self._update_buttons()
            try:
                write_json(path, bundle)
            except OSError as exc:
                messages.show_error(
                    self,
                    ValidationError(
                        {"file": _tr("cannot write {f}: {e}").format(f=path, e=exc.strerror)}
                    ),
                )
                return
            self.last_export = path

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self):
                self._update_buttons()
                messages.show_error(self, exc)

        self._ctx.submit(
            fhir.referral_bundle,
            self.current.id,
            on_done=done,
            on_error=failed,
            read_only=False,
            label=_tr("Exporting the referral"),
        )


# -- header flags and registration ----------------------------------------------------------


def _referrals_tab(ctx: AppContext, workspace: ParticipantWorkspace) -> QWidget:
    return ReferralsTab(ctx, workspace)


def _consents_tab(ctx: AppContext, workspace: ParticipantWorkspace) -> QWidget:
    from ui.consents_tab import ConsentsTab

    return ConsentsTab(ctx, workspace)


def _directory(ctx: AppContext, parent: QWidget) -> QWidget:
    from ui.directory_page import DirectoryPage

    return DirectoryPage(ctx, parent)


def install() -> None:
    """Register the Referrals and Consents tabs, the directory page and their flags."""
    from ui.consents_tab import consent_flags
    from ui.main_window import PageSpec, register_page
    from ui.workspace import TabSpec, register_flag_source, register_tab

    register_tab(
        TabSpec(
            key="referrals",
            title=str(QT_TRANSLATE_NOOP("workspace tabs", "Referrals")),
            icon_name="send",
            factory=_referrals_tab,
            order=30,
        )
    )
    register_tab(
        TabSpec(
            key="consents",
            title=str(QT_TRANSLATE_NOOP("workspace tabs", "Consents")),
            icon_name="shield-check",
            factory=_consents_tab,
            order=50,
        )
    )
    register_page(
        PageSpec(
            key="directory",
            title=str(QT_TRANSLATE_NOOP("pages", "Counselor directory")),
            icon_name="phone",
            factory=_directory,
            # The service lets specialists and supervisors use the directory; an
            # administrator who is not a supervisor has no business with it.
            visible=lambda actor: actor.sees_clinical,
            shortcut="Ctrl+6",
        ),
        before="audit",
    )
    register_flag_source(consent_flags)
    register_flag_source(referral_flags)


__all__ = ["ReferralsTab", "install"]
