"""The Assessments tab of a participant workspace, and the PHQ-9 safety header flag.

One instrument at a time (BARC-10, PHQ-9, GAD-7): its trend chart with the
severity bands, what changed since the first and the previous score, and every
administration in a table (entered-in-error ones marked). New administrations
open ``AssessmentDialog``; a wrong one is marked entered in error with a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import shiboken6
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from casebook.measures import BARC_10, INSTRUMENTS, instrument_info
from casebook.security.permissions import Actor
from casebook.services import assessments
from casebook.services.assessments import AssessmentView
from ui import messages
from ui.assessment_form import AssessmentDialog, referral_reason, safety_frame
from ui.caseload_view import setup_table
from ui.context import AppContext
from ui.icons import icon
from ui.plan_actions import ReasonDialog
from ui.plan_forms import AREA_ASSESSMENTS
from ui.trend_chart import TrendChart, local_day
from ui.workspace import (
    ListModel,
    ParticipantWorkspace,
    TabSpec,
    register_flag_source,
    register_tab,
)

_CONTEXT = "AssessmentsTab"
#: How long a PHQ-9 self-harm answer stays flagged (as ``recent_safety_flags``).
SAFETY_WINDOW = timedelta(days=14)


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def alive(obj: Any) -> bool:
    return shiboken6.isValid(obj)


# -- header flag ----------------------------------------------------------------------------


def safety_flags(session: Any, actor: Actor, participant_id: int) -> list[tuple[str, str]]:
    """ "Safety: PHQ-9 item 9 (date)" when a PHQ-9 in the last two weeks reported
    thoughts of self-harm (newest only). Reads without auditing."""
    if not actor.sees_clinical:
        return []
    for alert in assessments.recent_safety_flags(session, actor, participant_id=participant_id):
        if alert.participant_id == participant_id:
            return [
                (
                    _tr("Safety: PHQ-9 item 9 ({date})").format(
                        date=local_day(alert.administered_at)
                    ),
                    "safety",
                )
            ]
    return []


# -- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentSummary:
    """One instrument's history (newest first) and trend points (oldest first)."""

    code: str
    history: tuple[AssessmentView, ...]

    @property
    def valid(self) -> tuple[AssessmentView, ...]:
        """Oldest first, without the ones entered in error: the trend."""
        return tuple(reversed([a for a in self.history if not a.entered_in_error]))

    @property
    def latest(self) -> AssessmentView | None:
        valid = self.valid
        return valid[-1] if valid else None


def split_by_instrument(rows: Sequence[AssessmentView]) -> dict[str, InstrumentSummary]:
    return {
        code: InstrumentSummary(code, tuple(a for a in rows if a.instrument == code))
        for code in INSTRUMENTS
    }


def change_text(summary: InstrumentSummary) -> str:
    """ "Latest ... Since the first ...: −5 (fewer symptoms). Since the previous ...: +1"."""
    valid = summary.valid
    if not valid:
        return _tr("No {code} given yet.").format(code=summary.code)
    latest = valid[-1]
    text = _tr("Latest: {total} ({band}) on {date}.").format(
        total=latest.total, band=latest.band_label, date=local_day(latest.administered_at)
    )
    if len(valid) < 2:
        return text
    higher_is_better = summary.code == BARC_10

    def delta(earlier: AssessmentView) -> str:
        change = latest.total - earlier.total
        if change == 0:
            return _tr("no change")
        better = (change > 0) == higher_is_better
        if higher_is_better:
            meaning = _tr("more recovery capital") if better else _tr("less recovery capital")
        else:
            meaning = _tr("fewer symptoms") if better else _tr("more symptoms")
        return f"{change:+d} ({meaning})".replace("-", "−")

    first = valid[0]
    text += " " + _tr("Since the first ({date}, {total}): {delta}.").format(
        date=local_day(first.administered_at), total=first.total, delta=delta(first)
    )
    if len(valid) > 2:
        previous = valid[-2]
        text += " " + _tr("Since the previous ({date}, {total}): {delta}.").format(
            date=local_day(previous.administered_at), total=previous.total, delta=delta(previous)
        )
    return text


class HistoryModel(ListModel[AssessmentView]):
    """Every administration of one instrument, newest first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            lambda: (
                _tr("Given on"),
                _tr("Total"),
                _tr("Band"),
                _tr("Flags"),
                _tr("Given by"),
                _tr("Status"),
            ),
            (
                lambda a: local_day(a.administered_at),
                lambda a: str(a.total),
                lambda a: a.band_label,
                lambda a: "; ".join(a.flag_labels),
                lambda a: a.administered_by_name,
                lambda a: (
                    _tr("Entered in error: {reason}").format(reason=a.entered_in_error_reason)
                    if a.entered_in_error
                    else ""
                ),
            ),
            parent,
        )


def load_assessments(
    session: Any, actor: Actor, participant_id: int, *, audit_view: bool
) -> tuple[AssessmentView, ...]:
    return tuple(
        assessments.list_assessments(session, actor, participant_id, audit_view=audit_view)
    )


# -- the tab --------------------------------------------------------------------------------


class AssessmentsTab(QWidget):
    """Outcome measures of one participant: enter, review, trend."""

    def __init__(self, ctx: AppContext, workspace: ParticipantWorkspace) -> None:
        super().__init__(workspace)
        self.setObjectName("assessmentsTab")
        self._ctx = ctx
        self._workspace = workspace
        self._participant_id = workspace.participant_id
        self.summaries: dict[str, InstrumentSummary] = {}
        self.code = INSTRUMENTS[0]
        self._loaded_once = False
        self._loading = False
        self._stale = True
        self.last_dialog: QDialog | None = None

        self.instrument_buttons: dict[str, QPushButton] = {}
        self._choice = QButtonGroup(self)
        bar = QHBoxLayout()
        for code in INSTRUMENTS:
            button = QPushButton(code)
            button.setCheckable(True)
            button.setObjectName(f"instrument-{code}")
            button.clicked.connect(lambda _c=False, c=code: self.choose(c))
            self._choice.addButton(button)
            self.instrument_buttons[code] = button
            bar.addWidget(button)
        self.instrument_buttons[self.code].setChecked(True)
        bar.addSpacing(16)
        self.new_button = QPushButton(icon("plus"), "")
        self.new_button.clicked.connect(lambda: self.new_assessment(self.code))
        self.error_button = QPushButton(icon("ban"), self.tr("Mark entered in e&rror…"))
        self.error_button.clicked.connect(self.mark_in_error)
        bar.addWidget(self.new_button)
        bar.addWidget(self.error_button)
        bar.addStretch(1)

        self.safety_note = QLabel()
        self.safety_note.setObjectName("safetyNote")
        self.safety_note.setWordWrap(True)
        self.safety_note.setTextFormat(Qt.TextFormat.PlainText)
        self.safety_banner = safety_frame(
            self.safety_note, collapsed=True, on_refer=self._refer_from_banner
        )
        self.safety_banner.hide()

        self.title = QLabel()
        self.title.setProperty("role", "subheading")
        self.change = QLabel()
        self.change.setObjectName("changeText")
        self.change.setWordWrap(True)
        self.change.setTextFormat(Qt.TextFormat.PlainText)
        self.chart = TrendChart()
        self.model = HistoryModel(self)
        self.table = QTableView()
        setup_table(self.table, self.tr("Assessment history"))
        self.table.setModel(self.model)
        char = self.table.fontMetrics().averageCharWidth()
        for column, chars in enumerate((12, 6, 44, 24, 18, 30)):
            self.table.horizontalHeader().resizeSection(column, chars * char + 16)
        rows = self.table.verticalHeader().defaultSectionSize()
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setMinimumHeight(rows * 4 + header + 4)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.table.doubleClicked.connect(lambda _index: self.mark_in_error())

        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.title)
        upper_layout.addWidget(self.change)
        upper_layout.addWidget(self.chart, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.safety_banner)
        layout.addWidget(splitter, 1)
        self._show()
        ctx.changed.connect(self._data_changed)

    # -- loading -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    @property
    def is_loading(self) -> bool:
        return self._loading

    def reload(self) -> None:
        if self._loading or self._ctx.runner.closing:
            self._stale = True
            return
        self._stale = False
        self._loading = True
        first = not self._loaded_once
        self._ctx.submit(
            load_assessments,
            self._participant_id,
            audit_view=first,
            on_done=self._loaded,
            on_error=self._load_failed,
            # The first look is audited as a view, so it goes to the write thread.
            read_only=not first,
            label=self.tr("Loading assessments"),
        )

    def _loaded(self, rows: tuple[AssessmentView, ...]) -> None:
        if not alive(self):
            return
        self._loading = False
        self._loaded_once = True
        self.summaries = split_by_instrument(rows)
        self._show()
        if self._stale and self.isVisible():
            self.reload()

    def _load_failed(self, exc: BaseException) -> None:
        if not alive(self):
            return
        self._loading = False
        self.change.setText(messages.describe(exc))

    def _data_changed(self, area: str, participant_id: int) -> None:
        if area != AREA_ASSESSMENTS or participant_id not in (0, self._participant_id):
            return
        if self.isVisible() and self._loaded_once:
            self.reload()
        else:
            self._stale = True

    # -- showing -------------------------------------------------------------------------

    def choose(self, code: str) -> None:
        self.code = code
        self.instrument_buttons[code].setChecked(True)
        self._show()

    def _show(self) -> None:
        for code, button in self.instrument_buttons.items():
            font = button.font()
            font.setBold(code == self.code)
            button.setFont(font)
            latest = self.summaries[code].latest if code in self.summaries else None
            button.setText(
                f"{code} · {latest.total} {latest.band_label}"
                if latest is not None and code != BARC_10
                else f"{code} · {latest.total}"
                if latest is not None
                else code
            )
        info = instrument_info(self.code)
        summary = self.summaries.get(self.code, InstrumentSummary(self.code, ()))
        self.title.setText(info.title)
        self.change.setText(change_text(summary))
        self.chart.set_series(info, [(a.administered_at, a.total) for a in summary.valid])
        self.model.set_rows(summary.history)
        self.new_button.setText(self.tr("&New {code}…").format(code=self.code))
        phq = self.summaries.get("PHQ-9")
        latest_phq = phq.latest if phq is not None else None
        # Recent only, as in the header: an old flag was followed up long ago.
        flagged = (
            latest_phq is not None
            and latest_phq.safety_flag
            and datetime.now(UTC) - latest_phq.administered_at <= SAFETY_WINDOW
        )
        self.safety_banner.setVisible(flagged)
        refer = self.safety_banner.findChild(QPushButton, "urgentReferral")
        if refer is not None:
            # Only where the Referrals tab is installed: no button that cannot work.
            refer.setVisible(self.urgent_referral() is not None)
        if flagged and latest_phq is not None:
            self.safety_note.setText(
                self.tr("The latest PHQ-9 ({date}) reported thoughts of self-harm.").format(
                    date=local_day(latest_phq.administered_at)
                )
            )
        self._update_actions()

    def selected(self) -> AssessmentView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _update_actions(self) -> None:
        chosen = self.selected()
        self.error_button.setEnabled(chosen is not None and not chosen.entered_in_error)

    # -- actions -------------------------------------------------------------------------

    def urgent_referral(self) -> Callable[[str], None] | None:
        """The Referrals tab's "urgent referral" when that tab is there."""
        referrals = self._workspace.feature_tabs.get("referrals")
        start = getattr(referrals, "start_urgent_referral", None)
        return start if callable(start) else None

    def _refer_from_banner(self) -> None:
        phq = self.summaries.get("PHQ-9")
        latest = phq.latest if phq is not None else None
        start = self.urgent_referral()
        if latest is not None and start is not None:
            start(referral_reason(latest))

    def new_assessment(self, code: str) -> AssessmentDialog:
        dialog = AssessmentDialog(
            self._ctx, self._participant_id, code, self, on_refer=self.urgent_referral()
        )
        dialog.on_saved = self._saved
        self.last_dialog = dialog
        self._workspace._open_dialog(dialog)
        return dialog

    def _saved(self, result: AssessmentView) -> None:
        if alive(self):
            self.choose(result.instrument)
        self._ctx.notify(AREA_ASSESSMENTS, self._participant_id)

    def mark_in_error(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen.entered_in_error:
            return
        assessment_id = chosen.id

        def make_call(reason: str) -> Any:
            def call(session: Any, actor: Any) -> AssessmentView:
                return assessments.mark_entered_in_error(
                    session, actor, assessment_id, reason=reason
                )

            return call

        dialog = ReasonDialog(
            self._ctx,
            self.tr("Mark {code} of {date} entered in error").format(
                code=chosen.instrument, date=local_day(chosen.administered_at)
            ),
            self.tr(
                "It stays on record, marked, and leaves the trend. Give the instrument "
                "again if the answers were wrong."
            ),
            make_call,
            self,
        )
        dialog.on_saved = lambda _r: self._ctx.notify(AREA_ASSESSMENTS, self._participant_id)
        self.last_dialog = dialog
        self._workspace._open_dialog(dialog)


def _factory(ctx: AppContext, workspace: ParticipantWorkspace) -> QWidget:
    return AssessmentsTab(ctx, workspace)


def install() -> None:
    register_tab(
        TabSpec(
            key="assessments",
            title=str(QT_TRANSLATE_NOOP("workspace tabs", "Assessments")),
            icon_name="activity",
            factory=_factory,
            order=40,
        )
    )
    register_flag_source(safety_flags)


__all__ = ["AssessmentsTab", "HistoryModel", "change_text", "install", "safety_flags"]
