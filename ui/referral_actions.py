"""What happens to a referral after it is drafted: a status change with a note, a new
follow-up date, closing the loop with an outcome. Each becomes a dated event on the
referral's timeline (who, when, note), written by the service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QWidget

from casebook.services import referral_status, referrals
from casebook.services.referrals import ReferralDetail
from ui.context import AppContext
from ui.form_parts import DateField
from ui.referral_parts import AREA_REFERRAL, FormDialog, date_problem, day, text_box


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReferralActions", text)


def status_label(code: str) -> str:
    return referrals.status_labels().get(code, code)


class _ReferralAction(FormDialog):
    def __init__(
        self, ctx: AppContext, referral: ReferralDetail, title: str, parent: QWidget | None
    ) -> None:
        super().__init__(ctx, title, parent)
        self._referral = referral
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 72)

    def _after_save(self, result: Any) -> None:
        self._ctx.notify(AREA_REFERRAL, self._referral.participant_id)


class StatusChangeDialog(_ReferralAction):
    """Move the referral to one of the statuses the service allows now."""

    def __init__(
        self, ctx: AppContext, referral: ReferralDetail, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, referral, _tr("Change referral status"), parent)
        self.setObjectName("referralStatusDialog")
        self.set_intro(
            _tr("The referral to {to} is {status} now.").format(
                to=referral.counselor_name or _tr("(no recipient yet)"),
                status=status_label(referral.status).lower(),
            )
        )
        self.status = QComboBox()
        for code in referral.next_statuses:
            self.status.addItem(status_label(code), code)
        self.add_field("status", _tr("&New status:"), self.status, ("consent", "counselor"))
        self.note = text_box(3)
        self.note.setPlaceholderText(_tr("What happened, e.g. 'clinic called: intake booked'"))
        self.add_field("note", _tr("&Note:"), self.note)
        self.follow_up = DateField()
        if referral.follow_up_on is not None and referral.is_open:
            self.follow_up.line_edit.setPlaceholderText(
                _tr("Leave empty to keep {d}").format(d=day(referral.follow_up_on))
            )
        else:
            self.follow_up.line_edit.setPlaceholderText(_tr("Optional (YYYY-MM-DD)"))
        self.add_field("follow_up_on", _tr("&Follow up on:"), self.follow_up)
        self.status.currentIndexChanged.connect(lambda _i: self.edited("status"))
        self.note.textChanged.connect(lambda: self.edited("note"))
        self.follow_up.textChanged.connect(lambda _t: self.edited("follow_up_on"))
        self.save_button.setText(_tr("Change status"))
        self.finish_setup()
        self.status.setFocus()

    def choose(self, code: str) -> bool:
        index = self.status.findData(code)
        if index >= 0:
            self.status.setCurrentIndex(index)
        return index >= 0

    def values(self) -> dict[str, str]:
        return {
            "status": str(self.status.currentData() or ""),
            "note": self.note.toPlainText().strip(),
            "follow_up_on": self.follow_up.text(),
        }

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        problems: dict[str, str] = {}
        if not values["status"]:
            problems["status"] = _tr("this referral's status cannot change any more")
        if values["status"] == "entered-in-error" and not values["note"]:
            problems["note"] = _tr("say why the referral was entered in error")
        problem = date_problem(values["follow_up_on"], required=False, what=_tr("follow-up date"))
        if problem:
            problems["follow_up_on"] = problem
        elif values["follow_up_on"] and date.fromisoformat(values["follow_up_on"]) < date.today():
            problems["follow_up_on"] = _tr("the follow-up date is in the past")
        return problems

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        referral = self._referral
        to_status, note = values["status"], values["note"]
        follow_up = values["follow_up_on"]
        on = date.fromisoformat(follow_up) if follow_up else None

        def change(session: Any, actor: Any) -> ReferralDetail:
            return referral_status.change_status(
                session,
                actor,
                referral.id,
                to_status,
                note=note,
                follow_up_on=on,
                expected_version=referral.version,
            )

        return change


class FollowUpDialog(_ReferralAction):
    """A new follow-up date for an open referral."""

    def __init__(
        self, ctx: AppContext, referral: ReferralDetail, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, referral, _tr("Set follow-up date"), parent)
        self.setObjectName("referralFollowUpDialog")
        self.set_intro(
            _tr(
                "Follow-up is due {d}. Until the loop is closed, it shows on Today from that day."
            ).format(d=day(referral.follow_up_on) or "—")
        )
        self.on_date = DateField()
        self.on_date.set_date(referral.follow_up_on)
        self.add_field("follow_up_on", _tr("&Follow up on:"), self.on_date)
        self.note = text_box(2)
        self.add_field("note", _tr("&Note:"), self.note)
        self.on_date.textChanged.connect(lambda _t: self.edited("follow_up_on"))
        self.note.textChanged.connect(lambda: self.edited("note"))
        self.save_button.setText(_tr("Set date"))
        self.finish_setup()
        self.on_date.setFocus()

    def values(self) -> dict[str, str]:
        return {"follow_up_on": self.on_date.text(), "note": self.note.toPlainText().strip()}

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        problem = date_problem(
            values["follow_up_on"], required=True, what=_tr("the follow-up date")
        )
        if problem:
            return {"follow_up_on": problem}
        if date.fromisoformat(values["follow_up_on"]) < date.today():
            return {"follow_up_on": _tr("the follow-up date is in the past; choose today or later")}
        return {}

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        referral = self._referral
        on = date.fromisoformat(values["follow_up_on"])
        note = values["note"]

        def set_date(session: Any, actor: Any) -> ReferralDetail:
            return referral_status.set_follow_up(
                session, actor, referral.id, on, note=note, expected_version=referral.version
            )

        return set_date


class CloseReferralDialog(_ReferralAction):
    """Close the loop: the outcome decides the final status (or the person does, for
    "other")."""

    def __init__(
        self, ctx: AppContext, referral: ReferralDetail, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, referral, _tr("Close the loop"), parent)
        self.setObjectName("closeReferralDialog")
        self.set_intro(
            _tr("How did the referral to {to} turn out?").format(to=referral.counselor_name)
        )
        self.outcome = QComboBox()
        for code, label in referrals.outcome_labels().items():
            self.outcome.addItem(label, code)
        self.add_field("outcome", _tr("&Outcome:"), self.outcome)
        self.final_status = QComboBox()
        for code in referrals.CLOSING_STATUSES:
            self.final_status.addItem(status_label(code), code)
        self.add_field("final_status", _tr("&Ends as:"), self.final_status, ("status",))
        self.note = text_box(3)
        self.add_field("note", _tr("&Note:"), self.note)
        self.outcome.currentIndexChanged.connect(lambda _i: self.edited("outcome"))
        self.final_status.currentIndexChanged.connect(lambda _i: self.edited("final_status"))
        self.note.textChanged.connect(lambda: self.edited("note"))
        self.save_button.setText(_tr("Close referral"))
        self.finish_setup()
        self.outcome.setFocus()

    def choose_outcome(self, code: str) -> bool:
        index = self.outcome.findData(code)
        if index >= 0:
            self.outcome.setCurrentIndex(index)
        return index >= 0

    def values(self) -> dict[str, str]:
        return {
            "outcome": str(self.outcome.currentData()),
            "final_status": str(self.final_status.currentData()),
            "note": self.note.toPlainText().strip(),
        }

    def refresh(self) -> None:
        # The final status is chosen only for "other"; otherwise the outcome decides it.
        if hasattr(self, "final_status"):
            outcome = str(self.outcome.currentData())
            self.final_status.setEnabled(outcome == "other")
            implied = referrals.OUTCOME_STATUSES.get(outcome, ())
            if implied:
                self.final_status.blockSignals(True)
                self.final_status.setCurrentIndex(max(self.final_status.findData(implied[0]), 0))
                self.final_status.blockSignals(False)
        super().refresh()

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        if values["outcome"] == "other" and not values["note"]:
            return {"note": _tr("with outcome 'other', explain in the note what happened")}
        return {}

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        referral = self._referral
        outcome, note = values["outcome"], values["note"]
        status = values["final_status"] if outcome == "other" else None

        def close(session: Any, actor: Any) -> ReferralDetail:
            return referral_status.close_referral(
                session,
                actor,
                referral.id,
                outcome=outcome,
                note=note,
                status=status,
                expected_version=referral.version,
            )

        return close


__all__ = ["CloseReferralDialog", "FollowUpDialog", "StatusChangeDialog", "status_label"]
