"""Every keyboard shortcut of the window, grouped by where it works.

This is the one list Help ▸ Keyboard shortcuts shows (``ui.shortcuts_window``), and
tests/test_ui_shortcuts.py checks it against every shortcut the running window
installs: a new shortcut without a line here fails that test. Code that installs a
shortcut reads its keys from the constants below instead of repeating a literal, so
the list and the behaviour cannot drift apart.

Page shortcuts (Ctrl+1…) are not written here: they come from the registered pages
(``PageSpec.shortcut`` in ``ui.main_window``) when the list is shown, so a new page
appears by itself and a page the signed-in person does not have is left out.

Keys are ``QKeySequence`` strings in portable form ("Ctrl+Shift+N") or a
``QKeySequence.StandardKey`` where the code uses one, so the list shows what the
platform really binds (F5 or ⌘R for Refresh).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QKeySequence

#: The translation context of every text below.
CONTEXT = "Shortcuts"

Keys = str | QKeySequence.StandardKey

_Std = QKeySequence.StandardKey

# -- everywhere (ui.main_window) ---------------------------------------------------------------
SHORTCUT_LIST: Keys = _Std.HelpContents  # F1 on Windows and Linux
LOCK: Keys = "Ctrl+L"
QUIT: Keys = "Ctrl+Q"
EMERGENCY_ACCESS: Keys = "Ctrl+Shift+E"
MOVE_FOCUS: Keys = "F6"
# -- Today (ui.today_page) ---------------------------------------------------------------------
REFRESH_TODAY: Keys = _Std.Refresh
# -- Caseload (ui.caseload_view) ---------------------------------------------------------------
FIND_PARTICIPANT: Keys = _Std.Find
NEW_INTAKE: Keys = "Ctrl+Shift+N"
# -- participant workspace (ui.workspace, ui.notes_tab) ----------------------------------------
EDIT_PROFILE: Keys = "Ctrl+E"
PRINT_SUMMARY: Keys = "Ctrl+P"
NEW_NOTE: Keys = "Ctrl+N"
CLOSE_PARTICIPANT: Keys = "Ctrl+W"
NEXT_PARTICIPANT: Keys = "Ctrl+Tab"
PREVIOUS_PARTICIPANT: Keys = "Ctrl+Shift+Tab"
# Ctrl+Tab moves between participants, so the record's own tabs take Ctrl+PgDown/PgUp.
NEXT_TAB: Keys = "Ctrl+PgDown"
PREVIOUS_TAB: Keys = "Ctrl+PgUp"
# -- session note editor (ui.note_editor) ------------------------------------------------------
SAVE_DRAFT: Keys = "Ctrl+S"
SIGN_NOTE: Keys = "Ctrl+Return"
CLOSE_EDITOR: Keys = "Esc"
CREATE_GROUP_SESSION: Keys = "Ctrl+G"
OPEN_GROUP_SESSION: Keys = "Ctrl+Shift+G"
# -- group session (ui.group_session_dialog) ---------------------------------------------------
SAVE_SHARED_PART: Keys = "Ctrl+S"
# -- print preview (ui.print_preview) ----------------------------------------------------------
PREVIEW_PRINT: Keys = _Std.Print
PREVIEW_SAVE_PDF: Keys = _Std.Save
PREVIEW_PREVIOUS_PAGE: Keys = "PgUp"
PREVIEW_NEXT_PAGE: Keys = "PgDown"
PREVIEW_ZOOM_IN: Keys = _Std.ZoomIn
PREVIEW_ZOOM_OUT: Keys = _Std.ZoomOut
# -- keys every dialog and list understands ----------------------------------------------------
CLOSE_WINDOW: Keys = "Esc"
DOWN: Keys = "Down"
OPEN_SELECTED: Keys = "Return"


def key_sequence(keys: Keys) -> QKeySequence:
    """The sequence *keys* stands for (a standard key's main binding on this platform)."""
    return QKeySequence(keys)


def bindings(keys: Keys) -> list[QKeySequence]:
    """Every sequence *keys* may be installed as (all of a standard key's bindings)."""
    if isinstance(keys, QKeySequence.StandardKey):
        return [seq for seq in QKeySequence.keyBindings(keys) if not seq.isEmpty()]
    return [QKeySequence(keys)]


def native_text(keys: Keys) -> str:
    """*keys* as the platform writes them ("Ctrl+S", "⌘S")."""
    return key_sequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


class NavigationPage(Protocol):
    """What the list needs of a page of the window (``ui.main_window.PageSpec``)."""

    @property
    def key(self) -> str: ...

    @property
    def shortcut(self) -> str: ...

    def display_title(self) -> str: ...


@dataclass(frozen=True)
class Shortcut:
    """One line of the list: the keys and what they do, in the user's words.

    ``text`` is English source text marked with ``QT_TRANSLATE_NOOP(CONTEXT, ...)``.
    ``also`` holds other names of the same key press (Ctrl+Backtab is Ctrl+Shift+Tab,
    the keypad's Enter beside Return): they count as listed but are not shown twice.
    ``pages`` limits the line to people who have one of those pages (empty: everyone).
    """

    keys: tuple[Keys, ...]
    text: str
    also: tuple[Keys, ...] = ()
    pages: tuple[str, ...] = ()
    #: For page lines: the page's title (translated), put into ``text``'s ``{page}``.
    page_title: str = ""

    def sequences(self) -> list[QKeySequence]:
        """The sequences shown, in order (a standard key unbound here is left out)."""
        shown = [key_sequence(keys) for keys in self.keys]
        return [seq for seq in shown if not seq.isEmpty()]

    def accepted(self) -> list[QKeySequence]:
        """Every sequence this line stands for, shown or not."""
        found: list[QKeySequence] = []
        for keys in (*self.keys, *self.also):
            found.extend(bindings(keys))
        return found

    def caps(self) -> list[str]:
        """Each shown sequence as the platform writes it ("Ctrl+S", "⌘S")."""
        native = QKeySequence.SequenceFormat.NativeText
        return [seq.toString(native) for seq in self.sequences()]

    def keys_text(self) -> str:
        """The keys as the platform writes them, several separated by commas."""
        return ", ".join(self.caps())

    def description(self) -> str:
        text = QCoreApplication.translate(CONTEXT, self.text)
        return text.format(page=self.page_title) if self.page_title else text


@dataclass(frozen=True)
class ShortcutArea:
    """A heading of the list: where its shortcuts work."""

    key: str
    title: str
    shortcuts: tuple[Shortcut, ...] = field(default_factory=tuple)
    #: Shown only to people who have one of these pages (empty: everyone).
    pages: tuple[str, ...] = ()

    def display_title(self) -> str:
        return QCoreApplication.translate(CONTEXT, self.title)


def _n(text: str) -> str:
    return str(QT_TRANSLATE_NOOP(CONTEXT, text))


#: Where the page shortcuts go (first in this area), and the text of each.
PAGES_AREA = "everywhere"
_GO_TO_PAGE = _n("Go to {page}")

_PARTICIPANT = ("participant",)

AREAS: tuple[ShortcutArea, ...] = (
    ShortcutArea(
        "everywhere",
        _n("Everywhere"),
        (
            Shortcut((MOVE_FOCUS,), _n("Move between the list of pages and the page")),
            Shortcut(
                (EMERGENCY_ACCESS,),
                _n("Emergency access to a participant who is not on your caseload"),
                pages=_PARTICIPANT,
            ),
            Shortcut((LOCK,), _n("Lock the window; everything stays as it is until you unlock")),
            Shortcut((QUIT,), _n("Quit Casebook (asks first about anything not saved)")),
            Shortcut((SHORTCUT_LIST,), _n("Show this list of keyboard shortcuts")),
        ),
    ),
    ShortcutArea(
        "today",
        _n("Today"),
        (Shortcut((REFRESH_TODAY,), _n("Load Today again")),),
        pages=("today",),
    ),
    ShortcutArea(
        "caseload",
        _n("Caseload"),
        (
            Shortcut((FIND_PARTICIPANT,), _n("Find a participant: go to the search box")),
            Shortcut((NEW_INTAKE,), _n("Start an intake for a new participant")),
            Shortcut((DOWN,), _n("From the search box, go down to the list")),
            Shortcut(
                (OPEN_SELECTED,),
                _n("Open the chosen participant (from the search box: the only match)"),
                also=("Enter",),
            ),
            Shortcut((CLOSE_WINDOW,), _n("In the search box: clear the search")),
        ),
        pages=("caseload",),
    ),
    ShortcutArea(
        "participant",
        _n("Participant workspace"),
        (
            Shortcut((EDIT_PROFILE,), _n("Edit the participant's profile")),
            Shortcut((PRINT_SUMMARY,), _n("Print a summary of the record")),
            Shortcut((NEW_NOTE,), _n("Write a new session note (on the Session notes tab)")),
            Shortcut((CLOSE_PARTICIPANT,), _n("Close this participant's record")),
            Shortcut((NEXT_PARTICIPANT,), _n("Go to the next open participant")),
            Shortcut(
                (PREVIOUS_PARTICIPANT,),
                _n("Go to the previous open participant"),
                also=("Ctrl+Backtab",),
            ),
            Shortcut((NEXT_TAB,), _n("Go to the record's next tab (Overview, Recovery plan…)")),
            Shortcut((PREVIOUS_TAB,), _n("Go to the record's previous tab")),
        ),
        pages=_PARTICIPANT,
    ),
    ShortcutArea(
        "note_editor",
        _n("Session note editor"),
        (
            Shortcut((SAVE_DRAFT,), _n("Save the draft now (it also saves as you type)")),
            Shortcut((SIGN_NOTE,), _n("Sign the note"), also=("Ctrl+Enter",)),
            Shortcut(
                (CLOSE_EDITOR,),
                _n("Close the editor and go back to the notes (asks about anything not saved)"),
            ),
            Shortcut(
                (CREATE_GROUP_SESSION,),
                _n("For a group note: create the group session and pick who attended"),
            ),
            Shortcut(
                (OPEN_GROUP_SESSION,),
                _n("Open the group session: change its shared part or sign every attendee's note"),
            ),
        ),
        pages=_PARTICIPANT,
    ),
    ShortcutArea(
        "group_session",
        _n("Group session"),
        (
            Shortcut(
                (SAVE_SHARED_PART,),
                _n("Save the shared part; every attendee's draft takes it"),
            ),
            Shortcut((CLOSE_WINDOW,), _n("Close (asks first about changes not saved)")),
        ),
        pages=_PARTICIPANT,
    ),
    ShortcutArea(
        "print_preview",
        _n("Print preview"),
        (
            Shortcut((PREVIEW_PRINT,), _n("Choose a printer and print")),
            Shortcut((PREVIEW_SAVE_PDF,), _n("Save as a PDF file")),
            Shortcut((PREVIEW_PREVIOUS_PAGE,), _n("Previous page")),
            Shortcut((PREVIEW_NEXT_PAGE,), _n("Next page")),
            Shortcut((PREVIEW_ZOOM_IN,), _n("Zoom in")),
            Shortcut((PREVIEW_ZOOM_OUT,), _n("Zoom out")),
            Shortcut((CLOSE_WINDOW,), _n("Close the preview")),
        ),
        pages=("participant", "reports"),
    ),
    ShortcutArea(
        "shortcut_list",
        _n("This list"),
        (
            Shortcut((DOWN,), _n("From “Find a shortcut”, go down to the list")),
            Shortcut((CLOSE_WINDOW,), _n("Close this list")),
        ),
    ),
)


def _has(pages: tuple[str, ...], available: set[str]) -> bool:
    return not pages or any(page in available for page in pages)


def reference(pages: Sequence[NavigationPage]) -> list[ShortcutArea]:
    """The list for someone who has *pages* (the window's ``page_specs()``), in order.

    The page shortcuts come first under "Everywhere"; areas and lines that need a page
    the person does not have are left out, and so is an area left empty.
    """
    available = {page.key for page in pages}
    page_lines = tuple(
        Shortcut((page.shortcut,), _GO_TO_PAGE, page_title=page.display_title())
        for page in pages
        if page.shortcut
    )
    areas: list[ShortcutArea] = []
    for area in AREAS:
        if not _has(area.pages, available):
            continue
        lines = tuple(line for line in area.shortcuts if _has(line.pages, available))
        if area.key == PAGES_AREA:
            lines = page_lines + lines
        lines = tuple(line for line in lines if line.sequences())
        if lines:
            areas.append(ShortcutArea(area.key, area.title, lines, area.pages))
    return areas
