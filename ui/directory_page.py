"""The "Counselor directory" page: clinical counselors and organisations that take
referrals, searchable as you type, with CSV import and export.

Specialists and supervisors read, add, edit and import entries; only a supervisor
deactivates or reactivates one (``casebook.services.counselors`` decides and
enforces this; the page only hides what would be refused). The directory is small,
so the whole list is loaded once and filtered here, with the service's own folding
(case and accents ignored: "zoe" finds "Zoë").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QItemSelection, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import ValidationError
from casebook.services import counselors
from casebook.services.counselors import CounselorDetail, CounselorImportResult, fold
from ui import messages
from ui.caseload_view import setup_table
from ui.context import AppContext
from ui.counselor_form import CounselorDialog, ImportPreviewDialog, ImportProblemsDialog
from ui.form_dialog import has_unsaved_input, unsaved_input_error
from ui.form_parts import heading, ntr
from ui.icons import icon
from ui.referral_parts import AREA_DIRECTORY, FactsPanel, FlaggedListModel, local_time

_CONTEXT = "DirectoryPage"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def _yes_no(value: bool) -> str:
    return _tr("Yes") if value else _tr("No")


def matches(entry: CounselorDetail, words: list[str]) -> bool:
    """Every folded word of the search is in the entry's searchable text."""
    if not words:
        return True
    haystack = fold(
        " ".join(
            (entry.name, entry.organisation, entry.credentials, entry.specialties, entry.languages)
        )
    )
    return all(word in haystack for word in words)


class CounselorTableModel(FlaggedListModel[CounselorDetail]):
    NAME, ORGANISATION, CREDENTIALS, SPECIALTIES, LANGUAGES, ACCEPTING, STATUS = range(7)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            lambda: (
                _tr("Name"),
                _tr("Organisation"),
                _tr("Credentials"),
                _tr("Specialties"),
                _tr("Languages"),
                _tr("New clients"),
                _tr("Status"),
            ),
            (
                lambda c: c.name,
                lambda c: c.organisation or (_tr("(organisation)") if c.is_organisation else ""),
                lambda c: c.credentials,
                lambda c: ", ".join(c.specialty_list),
                lambda c: ", ".join(c.language_list),
                lambda c: _tr("Accepting") if c.accepting_new_clients else _tr("Not accepting"),
                lambda c: _tr("Active") if c.active else _tr("Deactivated"),
            ),
            lambda c: None if c.active else (self.STATUS, "overdue"),
            parent,
        )


def confirm_import(dialog: ImportPreviewDialog) -> bool:
    """Ask whether to go ahead with the import (tests replace this)."""
    return dialog.exec() == QDialog.DialogCode.Accepted


class DirectoryPage(QWidget):
    """Search, read and look after the counselor directory."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("directoryPage")
        self._ctx = ctx
        self._entries: list[CounselorDetail] = []
        self._loaded_once = False
        self._stale = True
        self._select_id: int | None = None
        self.active_dialog: QDialog | None = None
        self.import_errors_dialog: ImportProblemsDialog | None = None
        self.last_import: CounselorImportResult | None = None

        title = heading(_tr("Counselor directory"))
        self.search = QLineEdit()
        self.search.setObjectName("directorySearch")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(
            _tr("Search name, organisation, credentials, specialty or language")
        )
        self.search.setAccessibleName(_tr("Search the directory"))
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.textChanged.connect(lambda _t: self._apply_filter())
        self.accepting_only = QCheckBox(_tr("Accepting new clients only"))
        self.accepting_only.toggled.connect(lambda _on: self._apply_filter())
        self.show_inactive = QCheckBox(_tr("Show deactivated"))
        self.show_inactive.toggled.connect(lambda _on: self._apply_filter())
        self.count_label = QLabel()
        self.count_label.setProperty("role", "hint")

        self.add_button = QPushButton(icon("plus"), _tr("&Add entry…"))
        self.add_button.clicked.connect(self.add_entry)
        self.edit_button = QPushButton(icon("pen-line"), _tr("&Edit…"))
        self.edit_button.clicked.connect(self.edit_entry)
        self.deactivate_button = QPushButton(icon("ban"), _tr("&Deactivate"))
        self.deactivate_button.clicked.connect(lambda: self.set_active(False))
        self.reactivate_button = QPushButton(icon("circle-check"), _tr("&Reactivate"))
        self.reactivate_button.clicked.connect(lambda: self.set_active(True))
        self.import_button = QPushButton(icon("upload"), _tr("&Import CSV…"))
        self.import_button.clicked.connect(self.choose_import_file)
        self.export_button = QPushButton(icon("download"), _tr("E&xport CSV…"))
        self.export_button.clicked.connect(self.choose_export_file)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.accepting_only)
        filters.addWidget(self.show_inactive)
        actions = QHBoxLayout()
        for button in (
            self.add_button,
            self.edit_button,
            self.deactivate_button,
            self.reactivate_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.count_label)
        actions.addWidget(self.import_button)
        actions.addWidget(self.export_button)

        self.model = CounselorTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("directoryTable")
        setup_table(self.table, _tr("Counselor directory"))
        self.table.setModel(self.model)
        char = self.table.fontMetrics().averageCharWidth()
        for column, chars in enumerate((30, 26, 10, 24, 18, 12, 10)):
            self.table.horizontalHeader().resizeSection(column, chars * char + 16)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.edit_entry())

        self.details = FactsPanel(_tr("Choose an entry to see its details"))
        self.details.setObjectName("counselorDetails")
        for key, caption in (
            ("kind", _tr("Kind")),
            ("organisation", _tr("Organisation")),
            ("credentials", _tr("Credentials")),
            ("phone", _tr("Phone")),
            ("email", _tr("E-mail")),
            ("address", _tr("Address")),
            ("specialties", _tr("Specialties")),
            ("languages", _tr("Languages")),
            ("accepting", _tr("New clients")),
            ("status", _tr("Status")),
            ("notes", _tr("Notes")),
            ("updated", _tr("Last changed")),
        ):
            self.details.add(key, caption)
        self.details.box_layout.addStretch(1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 380])
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(filters)
        layout.addLayout(actions)
        layout.addWidget(splitter, 1)

        actor = ctx.actor if ctx.signed_in else None
        supervises = actor is not None and actor.supervises
        # Only supervisors may (de)activate: the buttons are not offered to others.
        self.deactivate_button.setVisible(supervises)
        self.reactivate_button.setVisible(supervises)
        self.show_inactive.setVisible(supervises)
        ctx.changed.connect(self._data_changed)
        self._update_buttons()

    # -- loading -------------------------------------------------------------------------

    @property
    def entries(self) -> list[CounselorDetail]:
        return list(self._entries)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> None:
        if self._ctx.runner.closing or not self._ctx.signed_in:
            return
        self._stale = False
        self._ctx.submit(
            counselors.list_counselors,
            include_inactive=self._ctx.actor.supervises,
            on_done=self._loaded,
            on_error=self._failed,
            read_only=True,
            label=_tr("Loading the directory"),
        )

    def _loaded(self, entries: list[CounselorDetail]) -> None:
        if not shiboken6.isValid(self):
            return
        self._entries = list(entries)
        self._loaded_once = True
        self._apply_filter()

    @property
    def loaded(self) -> bool:
        return self._loaded_once

    def _failed(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            messages.show_error(self, exc)

    def _data_changed(self, area: str, _participant_id: int) -> None:
        if area != AREA_DIRECTORY:
            return
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    # -- filtering and selection ---------------------------------------------------------

    def _apply_filter(self) -> None:
        keep = self.selected()
        wanted = self._select_id or (keep.id if keep else None)
        self._select_id = None
        words = fold(self.search.text()).split()
        rows = [
            e
            for e in self._entries
            if matches(e, words)
            and (e.active or self.show_inactive.isChecked())
            and (e.accepting_new_clients or not self.accepting_only.isChecked())
        ]
        self.model.set_rows(rows)
        total = ntr(_CONTEXT, "%n listing(s)", len(self._entries))
        self.count_label.setText(
            _tr("{shown} of {total}").format(shown=len(rows), total=total)
            if len(rows) != len(self._entries)
            else total
        )
        for row, entry in enumerate(rows):
            if entry.id == wanted:
                self.table.selectRow(row)
                break
        else:
            if rows:
                self.table.selectRow(0)
        self._show_details()

    def visible_names(self) -> list[str]:
        return [self.model.row_at(r).name for r in range(self.model.rowCount())]

    def select_entry(self, counselor_id: int) -> bool:
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).id == counselor_id:
                self.table.selectRow(row)
                return True
        return False

    def selected(self) -> CounselorDetail | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(rows[0].row())

    def _selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self._show_details()

    def _show_details(self) -> None:
        entry = self.selected()
        self._update_buttons()
        if entry is None:
            self.details.clear(_tr("Choose an entry to see its details"))
            return
        self.details.title.setText(entry.name)
        d = self.details
        d.set("kind", _tr("Organisation") if entry.is_organisation else _tr("Counselor"))
        d.set("organisation", entry.organisation)
        d.set("credentials", entry.credentials)
        d.set("phone", entry.phone)
        d.set("email", entry.email)
        d.set("address", entry.address)
        d.set("specialties", ", ".join(entry.specialty_list))
        d.set("languages", ", ".join(entry.language_list))
        d.set("accepting", _yes_no(entry.accepting_new_clients))
        d.set(
            "status",
            _tr("Active") if entry.active else _tr("Deactivated: not offered for referrals"),
        )
        d.set("notes", entry.notes)
        d.set("updated", local_time(entry.updated_at))

    def _update_buttons(self) -> None:
        entry = self.selected()
        self.edit_button.setEnabled(entry is not None)
        self.deactivate_button.setEnabled(entry is not None and entry.active)
        self.reactivate_button.setEnabled(entry is not None and not entry.active)

    # -- editing -------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.active_dialog = dialog
        dialog.finished.connect(self._dialog_closed)
        dialog.open()

    def _dialog_closed(self, _result: int) -> None:
        self.active_dialog = None

    def has_unsaved_changes(self) -> bool:
        """For the main window (``KeepsDrafts``): an entry form is open with changes."""
        return has_unsaved_input(self.active_dialog)

    def save_drafts(self) -> None:
        """The entry form is saved or cancelled by the person; bring it forward for that."""
        if self.active_dialog is not None and has_unsaved_input(self.active_dialog):
            raise unsaved_input_error(self.active_dialog)

    def add_entry(self) -> None:
        dialog = CounselorDialog(self._ctx, None, self)
        dialog.saved.connect(self._saved)
        self._open(dialog)

    def edit_entry(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        dialog = CounselorDialog(self._ctx, entry, self)
        dialog.saved.connect(self._saved)
        self._open(dialog)

    def _saved(self, detail: CounselorDetail) -> None:
        self._select_id = detail.id

    def set_active(self, active: bool) -> None:
        entry = self.selected()
        if entry is None:
            return
        call = counselors.reactivate_counselor if active else counselors.deactivate_counselor
        self._select_id = entry.id
        self._ctx.submit(
            call,
            entry.id,
            expected_version=entry.version,
            on_done=lambda _d: self._ctx.notify(AREA_DIRECTORY, 0),
            on_error=self._failed,
            read_only=False,
            label=_tr("Saving"),
        )

    # -- CSV -----------------------------------------------------------------------------

    def choose_import_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _tr("Import directory entries"), "", _tr("CSV files (*.csv);;All files (*)")
        )
        if path:
            self.import_csv_file(Path(path))

    def import_csv_file(self, path: Path) -> None:
        """Check the file (a dry run), show the problems or the count, then import."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            messages.show_error(
                self,
                ValidationError(
                    {"file": _tr("cannot read {f}: {e}").format(f=path, e=exc.strerror)}
                ),
            )
            return
        self.import_button.setEnabled(False)
        self._ctx.submit(
            counselors.import_counselors,
            data,
            dry_run=True,
            on_done=lambda result: self._checked(result, data, path.name),
            on_error=lambda exc: self._import_failed(exc, path.name),
            read_only=True,
            label=_tr("Checking the file"),
        )

    def _checked(self, result: CounselorImportResult, data: bytes, file_name: str) -> None:
        if not shiboken6.isValid(self):
            return
        self.import_button.setEnabled(True)
        note = ""
        if result.encoding and result.encoding != "UTF-8":
            note = _tr(
                "The file was read as {enc}; check that accented letters look right."
            ).format(enc=result.encoding)
        preview = ImportPreviewDialog(result.created, file_name, note, self)
        preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if not confirm_import(preview):
            return
        self.import_button.setEnabled(False)
        self._ctx.submit(
            counselors.import_counselors,
            data,
            on_done=self._imported,
            on_error=lambda exc: self._import_failed(exc, file_name),
            read_only=False,
            label=_tr("Importing"),
        )

    def _imported(self, result: CounselorImportResult) -> None:
        if not shiboken6.isValid(self):
            return
        self.import_button.setEnabled(True)
        self.last_import = result
        self.count_label.setText(result.describe())
        self._ctx.notify(AREA_DIRECTORY, 0)

    def _import_failed(self, exc: BaseException, file_name: str) -> None:
        if not shiboken6.isValid(self):
            return
        self.import_button.setEnabled(True)
        if isinstance(exc, ValidationError) and exc.field_errors:
            dialog = ImportProblemsDialog(exc, file_name, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.import_errors_dialog = dialog
            dialog.finished.connect(self._problems_closed)
            dialog.open()
        else:
            messages.show_error(self, exc)

    def _problems_closed(self, _result: int) -> None:
        self.import_errors_dialog = None

    def choose_export_file(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, _tr("Export the directory"), "counselors.csv", _tr("CSV files (*.csv)")
        )
        if path:
            self.export_csv_file(Path(path))

    def export_csv_file(self, path: Path) -> None:
        """Write the directory (every entry, deactivated too) as CSV the import reads."""

        def written(text: str) -> None:
            tmp = path.with_name(path.name + ".part")
            try:
                tmp.write_text(text, encoding="utf-8", newline="")
                os.replace(tmp, path)
            except OSError as exc:
                self._failed(
                    ValidationError(
                        {"file": _tr("cannot write {f}: {e}").format(f=path, e=exc.strerror)}
                    )
                )
                return
            if shiboken6.isValid(self):
                self.count_label.setText(_tr("Exported to {f}").format(f=path.name))

        self._ctx.submit(
            counselors.export_counselors_csv,
            on_done=written,
            on_error=self._failed,
            read_only=False,
            label=_tr("Exporting"),
        )


__all__ = ["CounselorTableModel", "DirectoryPage", "confirm_import", "matches"]
