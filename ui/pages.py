"""Which pages the window has and which tabs each participant workspace gets.

The main window and the workspace know nothing of the features; this module
registers them (``PAGES`` in ``ui.main_window``, ``WORKSPACE_TABS`` and
``FLAG_SOURCES`` in ``ui.workspace``). Each feature module offers an
``install()`` that registers its own pages, tabs and flag sources; ``install_all``
calls them once, before the first window is built.

Navigation order and shortcuts: Today Ctrl+1, Caseload Ctrl+2, Participant
Ctrl+3, Team Ctrl+4, Search Ctrl+5, Directory Ctrl+6, Audit log Ctrl+7,
Staff accounts Ctrl+8, Review notes Ctrl+9.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QWidget

from casebook.security.permissions import Actor
from ui.caseload_view import CaseloadView
from ui.context import AppContext
from ui.main_window import PARTICIPANT_PAGE, PageSpec, main_window_of, register_page
from ui.team_view import TeamView
from ui.workspace import WorkspaceHost

_installed = False


def reads_clinical_records(actor: Actor) -> bool:
    """Specialists and supervisors; an admin-only account reads no clinical content."""
    return actor.sees_clinical


def supervises(actor: Actor) -> bool:
    return actor.supervises


def forward_open_participant(view: QWidget, participant_id: int) -> None:
    """Hand a page's "open this participant" to the window, which shows the workspace."""
    window = main_window_of(view)
    if window is not None:
        window.open_participant.emit(participant_id)


def _caseload(ctx: AppContext, parent: QWidget) -> QWidget:
    view = CaseloadView(ctx, parent)
    view.open_participant.connect(lambda pid: forward_open_participant(view, pid))
    return view


def _team(ctx: AppContext, parent: QWidget) -> QWidget:
    from ui.review_page import feed_unsigned_counts

    view = TeamView(ctx, parent)
    view.open_participant.connect(lambda pid: forward_open_participant(view, pid))
    # Unsigned-note counts come from the notes service, off the GUI thread, after each load.
    feed_unsigned_counts(ctx, view)
    return view


def _participants(ctx: AppContext, parent: QWidget) -> QWidget:
    return WorkspaceHost(ctx, parent)


def install_all() -> None:
    """Register every page, workspace tab and header flag source (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    register_page(
        PageSpec(
            key="caseload",
            title=str(QT_TRANSLATE_NOOP("pages", "Caseload")),
            icon_name="clipboard-list",
            factory=_caseload,
            visible=reads_clinical_records,
            shortcut="Ctrl+2",
        ),
        before="audit",
    )
    register_page(
        PageSpec(
            key=PARTICIPANT_PAGE,
            title=str(QT_TRANSLATE_NOOP("pages", "Participant")),
            icon_name="user",
            factory=_participants,
            visible=reads_clinical_records,
            shortcut="Ctrl+3",
        ),
        before="audit",
    )
    register_page(
        PageSpec(
            key="team",
            title=str(QT_TRANSLATE_NOOP("pages", "Team")),
            icon_name="users",
            factory=_team,
            visible=supervises,
            shortcut="Ctrl+4",
        ),
        before="audit",
    )
    # Feature modules register their own pages, tabs and flags here.
    from ui.reports_page import install as install_reports

    install_reports()
    from ui.note_search_page import install as install_note_search

    install_note_search()
    from ui.review_page import install as install_review

    install_review()
    from ui.referrals_tab import install as install_referrals

    install_referrals()
    from ui.plan_tab import install as install_plan

    install_plan()
    from ui.assessments_tab import install as install_assessments

    install_assessments()
    from ui.today_page import install as install_today

    install_today()
    from ui.notes_tab import install as install_notes

    install_notes()


__all__ = [
    "PARTICIPANT_PAGE",
    "forward_open_participant",
    "install_all",
    "reads_clinical_records",
    "supervises",
]
