"""The supervisor's Reports page: print the caseload report.

The profile choice explains minimum necessary in words: the default prints record
numbers and initials only, and names are added only when the supervisor picks the
full profile. The specialists list is the supervisor's own caseload and team (the
same list the transfer dialog offers); none ticked means everyone the supervisor
sees, the unassigned queue included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from casebook.reports.caseload import build_caseload_report
from casebook.security.permissions import Actor
from casebook.services.assignments import SpecialistInfo, assignable_specialists
from ui.context import AppContext
from ui.form_parts import heading
from ui.icons import icon
from ui.main_window import PageSpec, register_page
from ui.messages import describe
from ui.print_preview import open_report

_CONTEXT = "ReportsPage"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


class ReportsPage(QWidget):
    """Choose a profile and specialists, then preview and print the caseload report."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportsPage")
        self._ctx = ctx
        self._loaded = False

        box = QGroupBox(_tr("Caseload report"), self)
        intro = QLabel(
            _tr(
                "Every participant you oversee, grouped per specialist: status, days in recovery, "
                "last contact and days overdue, next plan review, open referrals and the latest "
                "BARC-10 with its trend, with totals per specialist and overall."
            ),
            box,
        )
        intro.setWordWrap(True)

        self.minimum_button = QRadioButton(
            _tr("&Minimum necessary: record numbers and initials, no clinical text"), box
        )
        self.minimum_button.setObjectName("profileMinimum")
        self.full_button = QRadioButton(_tr("&Full: with participants' names"), box)
        self.full_button.setObjectName("profileFull")
        self.minimum_button.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.minimum_button)
        group.addButton(self.full_button)
        why = QLabel(
            _tr(
                "Print only what the reader needs. The minimum profile is enough for most "
                "meetings; a page with names on it is a disclosure if it is left on a printer "
                "or in a bag. Only supervisors can print names."
            ),
            box,
        )
        why.setWordWrap(True)
        why.setProperty("role", "hint")

        self.specialists = QListWidget(box)
        self.specialists.setObjectName("reportSpecialists")
        self.specialists.setAccessibleName(_tr("Specialists to include"))
        self.specialists.setMaximumHeight(220)
        self.status = QLabel(_tr("Loading the specialists…"), box)
        self.status.setWordWrap(True)
        self.print_button = QPushButton(icon("printer"), _tr("&Preview and print…"), box)
        self.print_button.setObjectName("printCaseload")
        self.print_button.clicked.connect(self.print_caseload)

        inner = QVBoxLayout(box)
        inner.addWidget(intro)
        inner.addWidget(self.minimum_button)
        inner.addWidget(self.full_button)
        inner.addWidget(why)
        inner.addWidget(QLabel(_tr("Specialists (none ticked: everyone you oversee):"), box))
        inner.addWidget(self.specialists)
        inner.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        inner.addLayout(buttons)

        # Long lines of explanation are hard to read on a wide screen.
        box.setMaximumWidth(900)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(_tr("Reports"), self))
        layout.addWidget(box)
        layout.addStretch(1)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.reload()

    def reload(self) -> None:
        self._ctx.submit(
            assignable_specialists, on_done=self._show_specialists, on_error=self._load_failed
        )

    def _show_specialists(self, rows: list[SpecialistInfo]) -> None:
        self.specialists.clear()
        for info in rows:
            item = QListWidgetItem(
                _tr("{name} ({n} open)").format(name=info.display_name, n=info.open_cases)
            )
            item.setData(Qt.ItemDataRole.UserRole, info.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.specialists.addItem(item)
        self.status.setText("" if rows else _tr("No specialists on your team yet."))
        self.status.setVisible(not rows)

    def _load_failed(self, exc: BaseException) -> None:
        self.status.setText(describe(exc))
        self.status.setVisible(True)

    @property
    def profile(self) -> str:
        return "full" if self.full_button.isChecked() else "minimum"

    def chosen_specialists(self) -> list[int]:
        chosen = []
        for row in range(self.specialists.count()):
            item = self.specialists.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                chosen.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return chosen

    def print_caseload(self) -> None:
        profile = self.profile
        ids = self.chosen_specialists() or None

        def build(session: Any, actor: Actor, path: Path) -> Path:
            return build_caseload_report(session, actor, path, profile=profile, specialist_ids=ids)

        title = _tr("Caseload report (full)") if profile == "full" else _tr("Caseload report")
        open_report(self, self._ctx, title, build)


def _supervises(actor: Actor) -> bool:
    return actor.supervises


def _factory(ctx: AppContext, parent: QWidget) -> QWidget:
    return ReportsPage(ctx, parent)


def install() -> None:
    register_page(
        PageSpec(
            key="reports",
            title=str(QT_TRANSLATE_NOOP("pages", "Reports")),
            icon_name="printer",
            factory=_factory,
            visible=_supervises,
            # The digits 1–9 are taken; 0 follows them on the keyboard.
            shortcut="Ctrl+0",
        ),
        before="audit",
    )
