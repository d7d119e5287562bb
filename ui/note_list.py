"""The list of a participant's notes: its loader, its table model, and the header
flag for recent risk flags (``ui.notes_tab`` shows them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication

from casebook.security.permissions import Actor
from casebook.services import notes
from casebook.services.notes import NoteSummary
from ui.caseload_model import local_date
from ui.note_parts import flag_texts, kind_text, local_time, mode_text, status_text
from ui.workspace import ListModel

_CONTEXT = "Notes"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


@dataclass(frozen=True)
class NotesData:
    notes: tuple[NoteSummary, ...]
    #: Notes this supervisor may co-sign now (empty for specialists).
    cosignable: frozenset[int]


def load_notes(session: Any, actor: Actor, participant_id: int) -> NotesData:
    """For ``ctx.submit``: the note list (audited by the service) and the co-sign queue."""
    rows = notes.list_notes(session, actor, participant_id)
    queue = (
        notes.cosign_queue(session, actor, participant_id=participant_id)
        if actor.supervises
        else []
    )
    return NotesData(tuple(rows), frozenset(q.note_id for q in queue))


def risk_flag_source(session: Any, actor: Actor, participant_id: int) -> list[tuple[str, str]]:
    """Header flags: each risk flag noted in the last two weeks, once, newest first."""
    flags: list[tuple[str, str]] = []
    seen: set[str] = set()
    for alert in notes.recent_risk_flags(session, actor, participant_id=participant_id):
        for flag, label in zip(alert.risk_flags, flag_texts(alert.risk_flags), strict=True):
            if flag in seen:
                continue
            seen.add(flag)
            when = local_date(alert.occurred_at).strftime("%d %b")
            flags.append(
                (
                    _tr("Safety flag: {flag} ({date})").format(
                        flag=label[:1].lower() + label[1:], date=when
                    ),
                    "safety",
                )
            )
    return flags


class NotesModel(ListModel[NoteSummary]):
    """A participant's notes: date, kind, mode, duration, author, status, risk flags."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            lambda: (
                _tr("Date"),
                _tr("Kind"),
                _tr("Mode"),
                _tr("Minutes"),
                _tr("Author"),
                _tr("Status"),
                _tr("Risk flags"),
            ),
            (
                lambda n: local_time(n.occurred_at),
                lambda n: kind_text(n.kind) + (f" · {n.group_topic}" if n.group_topic else ""),
                lambda n: mode_text(n.mode),
                lambda n: str(n.duration_minutes) if n.duration_minutes else "",
                lambda n: n.author_name,
                lambda n: status_text(n) + (f" (+{n.addendum_count})" if n.addendum_count else ""),
                lambda n: ", ".join(flag_texts(n.risk_flags)),
            ),
            parent,
        )

    def rows(self) -> list[NoteSummary]:
        return [self.row_at(r) for r in range(self.rowCount())]


__all__ = ["NotesData", "NotesModel", "load_notes", "risk_flag_source"]
