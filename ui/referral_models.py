"""Table models and worker-thread loaders behind the Referrals tab, and the header
flag for overdue referral follow-ups."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication

from casebook.errors import CasebookError
from casebook.security.permissions import Actor
from casebook.services import consents, counselors, referral_status, referrals
from casebook.services.consents import ConsentDetail
from casebook.services.counselors import CounselorDetail
from casebook.services.referrals import (
    DisclosureEntry,
    ReferralDraft,
    ReferralEventView,
    ReferralSummary,
)
from ui.referral_actions import status_label
from ui.referral_parts import FlaggedListModel, day, local_day, local_time
from ui.workspace import ListModel


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReferralsTab", text)


def follow_up_flag(summary: ReferralSummary, today: date) -> str | None:
    """ "overdue" for an open referral past its follow-up date, "due" on the day."""
    if not summary.is_open or summary.follow_up_on is None:
        return None
    if summary.follow_up_on < today:
        return "overdue"
    if summary.follow_up_on == today:
        return "due"
    return None


class ReferralTableModel(FlaggedListModel[ReferralSummary]):
    COUNSELOR, REASON, URGENCY, STATUS, SENT, FOLLOW_UP, OUTCOME = range(7)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            lambda: (
                _tr("Counselor"),
                _tr("Reason"),
                _tr("Urgency"),
                _tr("Status"),
                _tr("Sent"),
                _tr("Follow-up due"),
                _tr("Outcome"),
            ),
            (
                lambda r: r.counselor_name or _tr("(not chosen)"),
                lambda r: " ".join(r.reason.split()),
                lambda r: referrals.urgency_labels().get(r.urgency, r.urgency),
                lambda r: status_label(r.status),
                lambda r: local_day(r.sent_at),
                self._follow_up_text,
                lambda r: referrals.outcome_labels().get(r.outcome, r.outcome) if r.outcome else "",
            ),
            self._flag,
            parent,
        )

    def _flag(self, r: ReferralSummary) -> tuple[int, str] | None:
        kind = follow_up_flag(r, date.today())
        return (self.FOLLOW_UP, kind) if kind else None

    def _follow_up_text(self, r: ReferralSummary) -> str:
        if not r.is_open or r.follow_up_on is None:
            return ""
        kind = follow_up_flag(r, date.today())
        if kind == "overdue":
            return _tr("{d} (overdue)").format(d=day(r.follow_up_on))
        return day(r.follow_up_on)


class TimelineModel(ListModel[ReferralEventView]):
    """The dated events of one referral: who, when, what changed, the note."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            lambda: (_tr("When"), _tr("Who"), _tr("What"), _tr("Note")),
            (
                lambda e: local_time(e.occurred_at),
                lambda e: e.by_name,
                self._what,
                lambda e: " ".join(e.note.split()),
            ),
            parent,
        )

    @staticmethod
    def _what(e: ReferralEventView) -> str:
        if e.from_status is None:
            return _tr("Created as {s}").format(s=status_label(e.to_status).lower())
        if not e.is_status_change:
            return _tr("Follow-up changed")
        return _tr("{a} → {b}").format(a=status_label(e.from_status), b=status_label(e.to_status))


class DisclosureModel(ListModel[DisclosureEntry]):
    """The accounting of disclosures (42 CFR §2.24 / §2.32)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            lambda: (_tr("Disclosed"), _tr("By"), _tr("To"), _tr("Information"), _tr("Purpose")),
            (
                lambda d: local_time(d.disclosed_at),
                lambda d: d.disclosed_by_name,
                lambda d: d.recipient,
                lambda d: " ".join(d.information.split()),
                lambda d: " ".join(d.purpose.split()),
            ),
            parent,
        )


def referral_form_data(
    session: Any, actor: Actor, participant_id: int
) -> tuple[list[CounselorDetail], list[ConsentDetail]]:
    """For ``ctx.submit``: the active directory and the participant's consents."""
    return (
        counselors.list_counselors(session, actor),
        consents.list_consents(session, actor, participant_id),
    )


def urgent_referral_data(
    session: Any, actor: Actor, participant_id: int, reason: str
) -> tuple[ReferralDraft, list[CounselorDetail], list[ConsentDetail]]:
    draft = referrals.prefill_urgent_referral(session, actor, participant_id, reason)
    directory, on_file = referral_form_data(session, actor, participant_id)
    return draft, directory, on_file


def load_referrals(
    session: Any, actor: Actor, participant_id: int
) -> tuple[list[ReferralSummary], list[DisclosureEntry]]:
    return (
        referrals.list_referrals(session, actor, participant_id),
        referrals.list_disclosures(session, actor, participant_id),
    )


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write *document* as UTF-8 JSON, whole or not at all."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def referral_flags(session: Any, actor: Actor, participant_id: int) -> list[tuple[str, str]]:
    """ "Referral follow-up overdue" (badge "overdue"), or "due today" (badge "due")."""
    try:
        due = referral_status.referral_follow_ups_due(session, actor, participant_id=participant_id)
    except CasebookError:
        return []
    if any(f.days_overdue > 0 for f in due):
        return [(_tr("Referral follow-up overdue"), "overdue")]
    if due:
        return [(_tr("Referral follow-up due today"), "due")]
    return []


__all__ = [
    "DisclosureModel",
    "ReferralTableModel",
    "TimelineModel",
    "follow_up_flag",
    "load_referrals",
    "referral_flags",
    "referral_form_data",
    "urgent_referral_data",
    "write_json",
]
