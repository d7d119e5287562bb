"""Adding and editing a counselor directory entry, and the list of problems a CSV
import found.

The editor validates as you type with the service's own pure validator
(``parse_counselor_fields``), so the messages under the fields are the ones the
importer and the save would give.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from casebook.errors import ValidationError
from casebook.services import counselors
from casebook.services.counselors import CounselorDetail
from ui.caseload_view import setup_table
from ui.context import AppContext
from ui.form_parts import sentence
from ui.referral_parts import AREA_DIRECTORY, FormDialog, text_box, value_label
from ui.workspace import ListModel

_LINE_KEY_RE = re.compile(r"^line (\d+)(?::\s*(.*))?$")


def _tr(text: str) -> str:
    return QCoreApplication.translate("CounselorForm", text)


def _yes(box: QCheckBox) -> str:
    return "yes" if box.isChecked() else "no"


class CounselorDialog(FormDialog):
    """New directory entry (``detail`` None) or an edit of one."""

    def __init__(
        self, ctx: AppContext, detail: CounselorDetail | None = None, parent: QWidget | None = None
    ) -> None:
        title = _tr("New directory entry") if detail is None else _tr("Edit directory entry")
        super().__init__(ctx, title, parent)
        self.setObjectName("counselorDialog")
        self._detail = detail
        self.set_intro(
            _tr(
                "A counselor or an organisation that takes referrals. Only the name is "
                "required; specialties and languages are lists separated by commas."
            )
        )
        self.name = QLineEdit()
        self.add_field("name", _tr("&Name:"), self.name)
        self.is_organisation = QCheckBox(_tr("This entry is an organisation, not a person"))
        self.add_field("is_organisation", _tr("Kind:"), self.is_organisation)
        self.organisation = QLineEdit()
        self.organisation.setPlaceholderText(_tr("Where the counselor works"))
        self.add_field("organisation", _tr("&Organisation:"), self.organisation)
        self.credentials = QLineEdit()
        self.credentials.setPlaceholderText(_tr("e.g. LCSW, LPC, LADC"))
        self.add_field("credentials", _tr("&Credentials:"), self.credentials)
        self.phone = QLineEdit()
        self.add_field("phone", _tr("&Phone:"), self.phone)
        self.email = QLineEdit()
        self.add_field("email", _tr("&E-mail:"), self.email)
        self.address = text_box(2)
        self.add_field("address", _tr("&Address:"), self.address)
        self.specialties = QLineEdit()
        self.specialties.setPlaceholderText(_tr("e.g. trauma, co-occurring disorders, MAT"))
        self.add_field("specialties", _tr("&Specialties:"), self.specialties)
        self.languages = QLineEdit()
        self.languages.setPlaceholderText(_tr("e.g. English, Spanish, Vietnamese"))
        self.add_field("languages", _tr("&Languages:"), self.languages)
        self.accepting = QCheckBox(_tr("Accepting new clients"))
        self.accepting.setChecked(True)
        self.add_field("accepting_new_clients", _tr("Intake:"), self.accepting)
        self.notes = text_box(3)
        self.add_field("notes", _tr("No&tes:"), self.notes)

        if detail is not None:
            self.name.setText(detail.name)
            self.is_organisation.setChecked(detail.is_organisation)
            self.organisation.setText(detail.organisation)
            self.credentials.setText(detail.credentials)
            self.phone.setText(detail.phone)
            self.email.setText(detail.email)
            self.address.setPlainText(detail.address)
            self.specialties.setText(detail.specialties)
            self.languages.setText(detail.languages)
            self.accepting.setChecked(detail.accepting_new_clients)
            self.notes.setPlainText(detail.notes)
        for name, edit in (
            ("name", self.name),
            ("organisation", self.organisation),
            ("credentials", self.credentials),
            ("phone", self.phone),
            ("email", self.email),
            ("specialties", self.specialties),
            ("languages", self.languages),
        ):
            edit.textChanged.connect(lambda _t, n=name: self.edited(n))
        self.address.textChanged.connect(lambda: self.edited("address"))
        self.notes.textChanged.connect(lambda: self.edited("notes"))
        self.is_organisation.toggled.connect(lambda _on: self.edited("organisation"))
        self.accepting.toggled.connect(lambda _on: self.edited("accepting_new_clients"))
        self.finish_setup()
        self.name.setFocus()

    def values(self) -> dict[str, str]:
        return {
            "name": self.name.text(),
            "is_organisation": _yes(self.is_organisation),
            "organisation": self.organisation.text(),
            "credentials": self.credentials.text(),
            "phone": self.phone.text(),
            "email": self.email.text(),
            "address": self.address.toPlainText(),
            "specialties": self.specialties.text(),
            "languages": self.languages.text(),
            "accepting_new_clients": _yes(self.accepting),
            "notes": self.notes.toPlainText(),
        }

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        try:
            counselors.parse_counselor_fields(values)
        except ValidationError as exc:
            return dict(exc.field_errors)
        return {}

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        data = counselors.parse_counselor_fields(values)
        detail = self._detail

        def save(session: Any, actor: Any) -> CounselorDetail:
            if detail is None:
                return counselors.create_counselor(session, actor, data)
            return counselors.update_counselor(
                session, actor, detail.id, data, expected_version=detail.version
            )

        return save

    def _after_save(self, result: Any) -> None:
        self._ctx.notify(AREA_DIRECTORY, 0)


# -- import problems ------------------------------------------------------------------------


def split_problem_key(key: str) -> tuple[str, str]:
    """("12", "phone") from "line 12: phone"; ("", "header") for a file-level key."""
    match = _LINE_KEY_RE.match(key)
    if match is None:
        return "", key
    return match.group(1), (match.group(2) or "").replace("_", " ")


class ImportProblemsDialog(QDialog):
    """Every problem the import found, by line and column; nothing was imported."""

    def __init__(self, exc: ValidationError, file_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importProblemsDialog")
        self.setWindowTitle(_tr("Nothing was imported"))
        rows = [(*split_problem_key(key), sentence(text)) for key, text in exc.field_errors.items()]
        rows.sort(key=lambda row: (int(row[0]) if row[0] else 0, row[1]))
        self.rows = rows
        self.model: ListModel[tuple[str, str, str]] = ListModel(
            lambda: (_tr("Line"), _tr("Column"), _tr("Problem")),
            (lambda r: r[0], lambda r: r[1], lambda r: r[2]),
            self,
        )
        self.model.set_rows(rows)
        self.summary = summary = value_label(
            _tr(
                "{file}: {message}. Correct these in the file and import it again; "
                "line numbers are as your spreadsheet shows them (the header is line 1)."
            ).format(file=file_name, message=exc.message.rstrip("."))
        )
        self.table = QTableView()
        setup_table(self.table, _tr("Problems in the file"))
        self.table.setModel(self.model)
        self.table.setWordWrap(True)
        char = self.table.fontMetrics().averageCharWidth()
        self.table.horizontalHeader().resizeSection(0, 8 * char + 16)
        self.table.horizontalHeader().resizeSection(1, 22 * char + 16)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(char * 110, 420)

    def problem_texts(self) -> list[str]:
        """The problems as "line N, column: message" lines (for tests and copying)."""
        return [
            f"{line}, {column}: {text}" if line else f"{column}: {text}"
            for line, column, text in self.rows
        ]


class ImportPreviewDialog(QDialog):
    """The dry run found no problem: say how many entries would be added, and ask."""

    def __init__(
        self, count: int, file_name: str, note: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("importPreviewDialog")
        self.setWindowTitle(_tr("Import directory entries"))
        text = _tr("{file} is ready: {n} new directory entries would be added.").format(
            file=file_name, n=count
        )
        if note:
            text += "\n" + note
        self.label = value_label(text)
        self.label.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(_tr("Import {n} entries").format(n=count))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(QLabel(_tr("Nothing is added until you choose Import.")))
        layout.addWidget(buttons)


__all__ = ["CounselorDialog", "ImportPreviewDialog", "ImportProblemsDialog", "split_problem_key"]
