"""The caseload as a Qt table model, and the proxy that filters it as the user types.

Built for 10,000 rows. Everything a keystroke or a header click needs is computed
once per load, on the worker thread that fetched the rows (``prepare_caseload``): a
folded search key per row (case and accents removed, so "zoe" finds "Zoë"), the
contact flag, and a name-order permutation. The model then sorts itself (a Python
``sort`` over precomputed keys takes milliseconds, where letting
``QSortFilterProxyModel`` sort would call ``data()`` across the bridge for each of
~130,000 comparisons), and the filter proxy, a small table model of its own, keeps
the list of rows that pass, built in one pass per filter change.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QFont, QGuiApplication

from casebook.security.permissions import Actor

# The contact rule lives in the core so Today and the participant header use the same
# one; its names stay importable from here.
from casebook.services.caseload import DUE_SOON_DAYS as DUE_SOON_DAYS
from casebook.services.caseload import FLAG_DUE as FLAG_DUE
from casebook.services.caseload import FLAG_LONG_OVERDUE as FLAG_LONG_OVERDUE
from casebook.services.caseload import FLAG_OVERDUE as FLAG_OVERDUE
from casebook.services.caseload import LONG_OVERDUE_AFTER_DAYS as LONG_OVERDUE_AFTER_DAYS
from casebook.services.caseload import OVERDUE_FLAGS as OVERDUE_FLAGS
from casebook.services.caseload import CaseloadRow, caseload_rows
from casebook.services.caseload import contact_flag as contact_flag
from casebook.services.caseload import local_date as local_date
from casebook.services.caseload import row_flag as row_flag
from ui.theme import flag_colors

_CONTEXT = "CaseloadModel"

# -- translation helpers -------------------------------------------------------------------


def ntr(context: str, source: str, n: int) -> str:
    """``translate`` with a count, readable in English even without a catalogue.

    Sources are written "%n day(s)"; Qt substitutes %n, and until an English
    catalogue provides the plural forms the "(s)" is resolved here.
    """
    text = QCoreApplication.translate(context, source, None, n)
    if "(s)" in text:
        text = text.replace("(s)", "" if n == 1 else "s")
    return text


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def status_label(status: str) -> str:
    """The word shown for a participant status."""
    if status == "active":
        return QCoreApplication.translate(_CONTEXT, "Active")
    if status == "inactive":
        return QCoreApplication.translate(_CONTEXT, "Inactive")
    if status == "discharged":
        return QCoreApplication.translate(_CONTEXT, "Discharged")
    return status


def format_name(preferred: str, legal: str) -> str:
    """The preferred name, with the legal name in brackets when it is different."""
    if preferred and preferred != legal:
        return QCoreApplication.translate(_CONTEXT, "{preferred} ({legal})").format(
            preferred=preferred, legal=legal
        )
    return legal or preferred


# -- search keys ---------------------------------------------------------------------------

# Letters that carry their difference in the base letter rather than in a combining
# mark, so NFKD leaves them alone; people type them as the plain letters.
_LETTER_FOLDS: dict[int, str] = {
    ord("ø"): "o",
    ord("đ"): "d",
    ord("ð"): "d",
    ord("ł"): "l",
    ord("þ"): "th",
    ord("æ"): "ae",
    ord("œ"): "oe",
    ord("ı"): "i",
    ord("ħ"): "h",
    ord("ŧ"): "t",
    ord("ŋ"): "n",
    ord("’"): "'",
    ord("ʼ"): "'",
}
_fold_table: dict[int, str | None] | None = None
_ASCII_SAFE = re.compile(r"[ -~]*")


def _table() -> dict[int, str | None]:
    global _fold_table
    if _fold_table is None:
        # str.translate with a table is a C loop; a Python loop over the characters of
        # 10,000 names per load would cost tens of milliseconds.
        table: dict[int, str | None] = {
            cp: None for cp in range(0x300, 0x10000) if unicodedata.combining(chr(cp))
        }
        table.update(_LETTER_FOLDS)
        _fold_table = table
    return _fold_table


# Every caseload reload folds the same 10,000 names again; remembering them turns
# ~20 ms of folding into dictionary lookups. Bounded, and names are in memory anyway.
@lru_cache(maxsize=1 << 16)
def search_fold(text: str) -> str:
    """*text* without case or accents: "Zoë Ødegaard" -> "zoe odegaard"."""
    if _ASCII_SAFE.fullmatch(text):
        return text.lower()
    return unicodedata.normalize("NFKD", text.casefold()).translate(_table())


def forget_folded_names() -> None:
    """Drop the folded names kept between reloads (at sign-out: the next person to
    sign in may see other caseloads, and names need not outlive the session)."""
    search_fold.cache_clear()


def search_terms(text: str) -> tuple[str, ...]:
    """The words of a search box entry, folded; every one must occur in a row."""
    return tuple(search_fold(text).split())


# -- columns -------------------------------------------------------------------------------

NAME = 0
RECORD_NUMBER = 1
STATUS = 2
SPECIALIST = 3
DAYS_IN_RECOVERY = 4
LAST_CONTACT = 5
NEXT_CONTACT_DUE = 6
PLAN_REVIEW_DUE = 7
OPEN_REFERRALS = 8
LATEST_BARC10 = 9
COLUMN_COUNT = 10

#: Stable names for saved widths and sort (ui.settings), independent of position.
COLUMN_KEYS: tuple[str, ...] = (
    "name",
    "record_number",
    "status",
    "specialist",
    "days_in_recovery",
    "last_contact",
    "next_contact_due",
    "plan_review_due",
    "open_referrals",
    "latest_barc10",
)

#: Default widths in average character widths (scaled by the font, so high-DPI safe).
COLUMN_WIDTH_CHARS: tuple[int, ...] = (26, 11, 10, 19, 9, 12, 26, 12, 9, 9)

_NUMERIC_COLUMNS = frozenset({DAYS_IN_RECOVERY, OPEN_REFERRALS, LATEST_BARC10})

#: The participant's database id (int).
ParticipantIdRole = Qt.ItemDataRole.UserRole + 1
#: A value that orders the column correctly (folded text, ints, date ordinals);
#: None for a missing value, which sorts last in either direction.
SortRole = Qt.ItemDataRole.UserRole + 2
#: "due", "overdue", "long_overdue" or None.
FlagRole = Qt.ItemDataRole.UserRole + 3

_STATUS_ORDER = {"active": 0, "inactive": 1, "discharged": 2}

# Roles as plain ints: data() compares against them for every painted cell.
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_ACCESSIBLE_TEXT = Qt.ItemDataRole.AccessibleTextRole.value
_ALIGN_NUMBER = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ALIGN_TEXT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ITEM_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)
_TEXT_CACHE_ROWS = 2000
UNASSIGNED = -1  # specialist filter value for "no specialist"


def column_title(column: int) -> str:
    titles = (
        _tr("Name"),
        _tr("Record no."),
        _tr("Status"),
        _tr("Specialist"),
        _tr("Recovery days"),
        _tr("Last contact"),
        _tr("Next contact due"),
        _tr("Plan review"),
        _tr("Referrals"),
        _tr("BARC-10"),
    )
    return titles[column]


def _column_tooltip(column: int) -> str:
    tips = {
        NAME: _tr("Preferred name, with the legal name in brackets when different"),
        DAYS_IN_RECOVERY: _tr("Days since the recovery start date"),
        LAST_CONTACT: _tr("Last session note that was a contact (outreach attempts do not count)"),
        NEXT_CONTACT_DUE: _tr("Last contact (or intake) plus the contact cadence"),
        PLAN_REVIEW_DUE: _tr("Review date of the active recovery plan"),
        OPEN_REFERRALS: _tr("Open referrals: requested, accepted, in progress or on hold"),
        LATEST_BARC10: _tr(
            "Latest Brief Assessment of Recovery Capital total (10–60); "
            "47 or more predicted sustained remission"
        ),
    }
    return tips.get(column, "")


# -- the prepared caseload (built on the worker thread) ------------------------------------


@dataclass(frozen=True)
class PreparedCaseload:
    """Caseload rows plus everything filtering and sorting need, computed once.

    Plain Python, no Qt: it is built on the worker thread that loaded the rows.
    """

    rows: tuple[CaseloadRow, ...]
    today: date
    include_discharged: bool
    search_keys: tuple[str, ...]
    name_keys: tuple[str, ...]
    flags: tuple[str | None, ...]
    next_due: tuple[date | None, ...]
    days_overdue: tuple[int, ...]
    name_order: tuple[int, ...]
    overdue_count: int


def prepare_caseload(
    rows: Sequence[CaseloadRow], today: date | None = None, include_discharged: bool = False
) -> PreparedCaseload:
    today = today or date.today()
    name_keys: list[str] = []
    search_keys: list[str] = []
    flags: list[str | None] = []
    next_due: list[date | None] = []
    days_overdue: list[int] = []
    for row in rows:
        name_key = search_fold(row.display_name)
        name_keys.append(name_key)
        # \x1f cannot be typed, so a search term never matches across two fields.
        legal = search_fold(row.legal_name) if row.preferred_name else ""
        search_keys.append(f"{name_key}\x1f{legal}\x1f{row.record_number.casefold()}")
        if row.status == "discharged":
            next_due.append(None)
            flags.append(None)
            days_overdue.append(0)
        else:
            # caseload.contact_due, written out: a call per row costs at 10,000 rows.
            last = row.last_contact_at
            base = local_date(last) if last is not None else row.intake_date
            due = base + timedelta(days=row.contact_cadence_days)
            next_due.append(due)
            flags.append(contact_flag(due, today))
            days_overdue.append(max(0, (today - due).days))
    # One string per row ("\x00" sorts before any character) instead of a tuple built
    # by a Python key function: the difference is tens of milliseconds at 10,000 rows.
    order_keys = [
        f"{name}\x00{row.record_number.casefold()}"
        for name, row in zip(name_keys, rows, strict=True)
    ]
    name_order = sorted(range(len(rows)), key=order_keys.__getitem__)
    return PreparedCaseload(
        rows=tuple(rows),
        today=today,
        include_discharged=include_discharged,
        search_keys=tuple(search_keys),
        name_keys=tuple(name_keys),
        flags=tuple(flags),
        next_due=tuple(next_due),
        days_overdue=tuple(days_overdue),
        name_order=tuple(name_order),
        overdue_count=sum(1 for flag in flags if flag in OVERDUE_FLAGS),
    )


def load_caseload(
    session: Any,
    actor: Actor,
    *,
    include_discharged: bool = False,
    today: date | None = None,
) -> PreparedCaseload:
    """For ``ctx.submit``: fetch the caseload and prepare it, all on the worker thread."""
    # prepare_caseload orders the rows by display name; the SQL need not sort them.
    rows = caseload_rows(session, actor, include_discharged=include_discharged, by_legal_name=False)
    return prepare_caseload(rows, today, include_discharged)


# -- the model -----------------------------------------------------------------------------


class CaseloadModel(QAbstractTableModel):
    """One row per participant on the caseload; see the module docstring."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._data = prepare_caseload(())
        # Row position -> index into self._data.rows; sort() rearranges only this.
        self._order: list[int] = []
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._sort_keys: dict[int, list[Any]] = {}
        self._position: dict[int, int] | None = None
        self._brushes: dict[str, QBrush] | None = None
        self._bold: QFont | None = None
        self._statuses: dict[str, str] = {}
        self._texts: dict[int, tuple[str, ...]] = {}

    # -- loading -------------------------------------------------------------------------

    def set_rows(
        self,
        rows: Sequence[CaseloadRow],
        today: date | None = None,
        include_discharged: bool = False,
    ) -> None:
        """Replace every row (prepares them on this thread; prefer ``set_caseload``)."""
        self.set_caseload(prepare_caseload(rows, today, include_discharged))

    def set_caseload(self, prepared: PreparedCaseload) -> None:
        """Replace every row with a caseload prepared by ``load_caseload``."""
        self.beginResetModel()
        self._data = prepared
        self._sort_keys = {}
        self._texts = {}
        self._position = None
        self._order = self._sorted_order(self._sort_column, self._sort_order)
        self.endResetModel()

    @property
    def caseload(self) -> PreparedCaseload:
        return self._data

    @property
    def today(self) -> date:
        return self._data.today

    @property
    def include_discharged(self) -> bool:
        return self._data.include_discharged

    @property
    def overdue_count(self) -> int:
        return self._data.overdue_count

    @property
    def row_order(self) -> list[int]:
        """Row position -> index into ``caseload.rows`` (read-only; used by the proxy)."""
        return self._order

    def row_at(self, row: int) -> CaseloadRow:
        return self._data.rows[self._order[row]]

    def flag_at(self, row: int) -> str | None:
        return self._data.flags[self._order[row]]

    def row_of_participant(self, participant_id: int) -> int:
        """Row position of a participant, or -1 if not loaded."""
        if self._position is None:
            rows = self._data.rows
            self._position = {
                rows[base].participant_id: position for position, base in enumerate(self._order)
            }
        return self._position.get(participant_id, -1)

    def specialists(self) -> list[tuple[int, str]]:
        """(id, name) of every specialist carrying someone in the loaded rows, by name."""
        seen: dict[int, str] = {}
        for row in self._data.rows:
            if row.specialist_id is not None and row.specialist_id not in seen:
                seen[row.specialist_id] = row.specialist_name
        return sorted(seen.items(), key=lambda item: search_fold(item[1]))

    def refresh_colors(self) -> None:
        """The palette changed: flag colours are picked again for the new background."""
        self._brushes = None
        self._bold = None
        self._statuses = {}
        self._texts = {}
        if self._order:
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self._order) - 1, COLUMN_COUNT - 1),
                [Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole],
            )

    # -- QAbstractItemModel ----------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMN_COUNT

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _ITEM_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < COLUMN_COUNT:
            return None
        if role == _DISPLAY:
            return column_title(section)
        if role == _TOOLTIP:
            return _column_tooltip(section) or None
        if role == _ALIGNMENT:
            return _ALIGN_NUMBER if section in _NUMERIC_COLUMNS else _ALIGN_TEXT
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return self.cell(index.row(), index.column(), role)

    def cell(self, row: int, column: int, role: int) -> Any:
        """``data()`` of the cell at *row*, *column*, for the filter proxy to call
        without building a source index."""
        # Called for every visible cell and several roles on each repaint: plain int
        # comparisons (not enum lookups) and a per-row text cache.
        if row < 0 or row >= len(self._order):
            return None
        base = self._order[row]
        if role == _DISPLAY:
            texts = self._texts.get(base)
            if texts is None:
                texts = self._row_texts(base)
            return texts[column]
        if role == _FOREGROUND:
            if column == NEXT_CONTACT_DUE:
                flag = self._data.flags[base]
                if flag is not None:
                    return self._flag_brushes()[flag]
            return None
        if role == _FONT:
            if column == NEXT_CONTACT_DUE and self._data.flags[base] in OVERDUE_FLAGS:
                if self._bold is None:
                    self._bold = QFont(QGuiApplication.font())
                    self._bold.setBold(True)
                return self._bold
            return None
        if role == _ALIGNMENT:
            return _ALIGN_NUMBER if column in _NUMERIC_COLUMNS else _ALIGN_TEXT
        if role == _TOOLTIP:
            return self._tooltip(base, column)
        if role == ParticipantIdRole:
            return self._data.rows[base].participant_id
        if role == FlagRole:
            return self._data.flags[base]
        if role == SortRole:
            return self._keys(column)[base]
        if role == _ACCESSIBLE_TEXT and column == NEXT_CONTACT_DUE:
            return self._display(base, column)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by *column* (-1: by name); ties stay in name order; blanks go last."""
        if not -1 <= column < COLUMN_COUNT:
            column = -1
        if column == self._sort_column and order == self._sort_order:
            return  # already in this order (rows are re-sorted on every reload)
        self._sort_column = column
        self._sort_order = order
        if not self._order:
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        bases = [self._order[index.row()] for index in persistent]
        self._order = self._sorted_order(column, order)
        self._position = None
        positions = {base: position for position, base in enumerate(self._order)}
        moved = [
            self.index(positions[base], index.column())
            for base, index in zip(bases, persistent, strict=True)
        ]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    # -- internals ----------------------------------------------------------------------

    def _sorted_order(self, column: int, order: Qt.SortOrder) -> list[int]:
        descending = order == Qt.SortOrder.DescendingOrder
        by_name = list(self._data.name_order)
        if column in (-1, NAME):
            return by_name[::-1] if descending else by_name
        keys = self._keys(column)
        present = [i for i in by_name if keys[i] is not None]
        missing = [i for i in by_name if keys[i] is None]
        # list.sort is stable in both directions, so equal keys keep name order.
        present.sort(key=keys.__getitem__, reverse=descending)
        return present + missing

    def _keys(self, column: int) -> list[Any]:
        cached = self._sort_keys.get(column)
        if cached is not None:
            return cached
        data = self._data
        rows = data.rows
        today = data.today
        keys: list[Any]
        if column == NAME:
            keys = list(data.name_keys)
        elif column == RECORD_NUMBER:
            keys = [row.record_number.casefold() for row in rows]
        elif column == STATUS:
            keys = [_STATUS_ORDER.get(row.status, 9) for row in rows]
        elif column == SPECIALIST:
            keys = [
                search_fold(row.specialist_name) if row.specialist_id is not None else None
                for row in rows
            ]
        elif column == DAYS_IN_RECOVERY:
            keys = [
                (today - row.recovery_start_date).days if row.recovery_start_date else None
                for row in rows
            ]
        elif column == LAST_CONTACT:
            keys = [
                row.last_contact_at.timestamp() if row.last_contact_at else None for row in rows
            ]
        elif column == NEXT_CONTACT_DUE:
            keys = [due.toordinal() if due else None for due in data.next_due]
        elif column == PLAN_REVIEW_DUE:
            keys = [
                row.plan_review_date.toordinal() if row.plan_review_date else None for row in rows
            ]
        elif column == OPEN_REFERRALS:
            keys = [row.open_referrals for row in rows]
        elif column == LATEST_BARC10:
            keys = [row.latest_barc10 for row in rows]
        else:
            keys = [None] * len(rows)
        self._sort_keys[column] = keys
        return keys

    def _row_texts(self, base: int) -> tuple[str, ...]:
        # Only rows scrolled into view get here; the bound keeps a long scroll session
        # from holding text for every one of 10,000 rows.
        if len(self._texts) > _TEXT_CACHE_ROWS:
            self._texts.clear()
        texts = tuple(self._display(base, column) for column in range(COLUMN_COUNT))
        self._texts[base] = texts
        return texts

    def _display(self, base: int, column: int) -> str:
        row = self._data.rows[base]
        if column == NAME:
            return format_name(row.preferred_name, row.legal_name)
        if column == RECORD_NUMBER:
            return row.record_number
        if column == STATUS:
            label = self._statuses.get(row.status)
            if label is None:
                label = self._statuses[row.status] = status_label(row.status)
            return label
        if column == SPECIALIST:
            return row.specialist_name if row.specialist_id is not None else _tr("Unassigned")
        if column == DAYS_IN_RECOVERY:
            days = row.days_in_recovery(self._data.today)
            return "" if days is None else str(max(0, days))
        if column == LAST_CONTACT:
            return local_date(row.last_contact_at).isoformat() if row.last_contact_at else ""
        if column == NEXT_CONTACT_DUE:
            due = self._data.next_due[base]
            if due is None:
                return ""
            return describe_due(due, self._data.today)
        if column == PLAN_REVIEW_DUE:
            return row.plan_review_date.isoformat() if row.plan_review_date else ""
        if column == OPEN_REFERRALS:
            return str(row.open_referrals) if row.open_referrals else ""
        if column == LATEST_BARC10:
            return "" if row.latest_barc10 is None else str(row.latest_barc10)
        return ""

    def _tooltip(self, base: int, column: int) -> str | None:
        row = self._data.rows[base]
        if column == NAME:
            parts = [format_name(row.preferred_name, row.legal_name)]
            if row.specialist_id is None:
                parts.append(_tr("Unassigned"))
            return "\n".join(parts)
        if column == NEXT_CONTACT_DUE and row.status != "discharged":
            cadence = ntr(_CONTEXT, "every %n day(s)", row.contact_cadence_days)
            return _tr("Contact cadence: {cadence}").format(cadence=cadence)
        if column == LAST_CONTACT and row.last_contact_at is None:
            return _tr("No contact recorded yet")
        return None

    def _flag_brushes(self) -> dict[str, QBrush]:
        if self._brushes is None:
            colours = flag_colors(QGuiApplication.palette())
            self._brushes = {name: QBrush(colour) for name, colour in colours.items()}
        return self._brushes


def describe_due(due: date, today: date) -> str:
    """Text such as "2025-03-04 · 3 days overdue", "… · due today", or just the date."""
    days_past = (today - due).days
    if days_past >= 1:
        suffix = ntr(_CONTEXT, "%n day(s) overdue", days_past)
    elif days_past == 0:
        suffix = _tr("due today")
    elif days_past >= -DUE_SOON_DAYS:
        suffix = ntr(_CONTEXT, "due in %n day(s)", -days_past)
    else:
        return due.isoformat()
    return _tr("{date} · {when}").format(date=due.isoformat(), when=suffix)


# -- the filter proxy ----------------------------------------------------------------------


class CaseloadFilterProxy(QAbstractTableModel):
    """The rows of a ``CaseloadModel`` that pass type-to-filter on name and record
    number, and the status, overdue and specialist filters, in the model's order.

    A table model of its own rather than a ``QSortFilterProxyModel``: that one asks a
    Python ``filterAcceptsRow`` about each of 10,000 rows on every keystroke and then
    rebuilds its mapping, about two thirds of a keystroke's time. Here a filter change
    is one pass over precomputed keys (``_accepted``) and one layout change, and a
    cell is read with ``CaseloadModel.cell`` from the row list. Sorting is the
    model's (``sort`` forwards). The Team page puts two of these over one model.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._model: CaseloadModel | None = None
        self._terms: tuple[str, ...] = ()
        self._statuses: frozenset[str] | None = None
        self._overdue_only = False
        self._specialist: int | None = None
        # Source rows shown, increasing; None while no filter is set (every row).
        self._rows: list[int] | None = None
        self._visible_overdue = 0
        # Persistent indexes across a sort of the model, and whom they point at.
        self._pending: list[QModelIndex] = []
        self._pending_ids: list[int] = []

    def setSourceModel(self, sourceModel: QAbstractItemModel) -> None:
        if not isinstance(sourceModel, CaseloadModel):
            raise TypeError("CaseloadFilterProxy filters a CaseloadModel")
        if self._model is not None:
            raise RuntimeError("a CaseloadFilterProxy filters one model for its lifetime")
        self.beginResetModel()
        self._model = sourceModel
        sourceModel.modelAboutToBeReset.connect(self.beginResetModel)
        sourceModel.modelReset.connect(self._source_reset)
        sourceModel.layoutAboutToBeChanged.connect(self._source_layout_about_to_change)
        sourceModel.layoutChanged.connect(self._source_layout_changed)
        sourceModel.dataChanged.connect(self._source_data_changed)
        sourceModel.headerDataChanged.connect(self.headerDataChanged)
        self._rows = self._accepted()
        self.endResetModel()

    def sourceModel(self) -> CaseloadModel | None:
        return self._model

    def caseload_model(self) -> CaseloadModel:
        if self._model is None:
            raise RuntimeError("no source model set")
        return self._model

    def mapToSource(self, index: QModelIndex | QPersistentModelIndex) -> QModelIndex:
        if self._model is None or not index.isValid():
            return QModelIndex()
        return self._model.index(self._source_row(index.row()), index.column())

    def mapFromSource(self, index: QModelIndex | QPersistentModelIndex) -> QModelIndex:
        if self._model is None or not index.isValid():
            return QModelIndex()
        row = self._proxy_row(index.row())
        return self.index(row, index.column()) if row >= 0 else QModelIndex()

    # -- filters -------------------------------------------------------------------------

    @property
    def search_text_terms(self) -> tuple[str, ...]:
        return self._terms

    def set_search_text(self, text: str) -> None:
        terms = search_terms(text)
        if terms != self._terms:
            self._terms = terms
            self._refilter()

    def set_status_filter(self, statuses: frozenset[str] | None) -> None:
        """Show only these statuses (None: every loaded row)."""
        if statuses != self._statuses:
            self._statuses = statuses
            self._refilter()

    def set_overdue_only(self, overdue_only: bool) -> None:
        if overdue_only != self._overdue_only:
            self._overdue_only = overdue_only
            self._refilter()

    def set_specialist_filter(self, specialist_id: int | None) -> None:
        """Show one specialist's participants (``UNASSIGNED``: nobody's; None: all)."""
        if specialist_id != self._specialist:
            self._specialist = specialist_id
            self._refilter()

    @property
    def is_filtered(self) -> bool:
        return self._filters_active()

    def visible_overdue_count(self) -> int:
        """Overdue and long-overdue rows among those the filters let through."""
        model = self.caseload_model()
        return self._visible_overdue if self._rows is not None else model.overdue_count

    # -- QAbstractItemModel ----------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self._model is None:
            return 0
        return len(self._rows) if self._rows is not None else len(self._model.row_order)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMN_COUNT

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _ITEM_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return None if self._model is None else self._model.headerData(section, orientation, role)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        model = self._model
        if model is None:
            return None
        row = index.row()
        rows = self._rows
        if rows is not None:
            if not 0 <= row < len(rows):
                return None
            row = rows[row]
        return model.cell(row, index.column(), role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # The model sorts (see the module docstring); its layout change reaches us.
        if self._model is not None:
            self._model.sort(column, order)

    # -- internals ----------------------------------------------------------------------

    def _filters_active(self) -> bool:
        return bool(
            self._terms
            or self._statuses is not None
            or self._overdue_only
            or self._specialist is not None
        )

    def _source_row(self, row: int) -> int:
        return self._rows[row] if self._rows is not None else row

    def _proxy_row(self, source_row: int) -> int:
        rows = self._rows
        if rows is None:
            return source_row
        at = bisect_left(rows, source_row)
        return at if at < len(rows) and rows[at] == source_row else -1

    def _accepted(self) -> list[int] | None:
        """Source rows (positions in the model's order) the filters let through, in
        order; None when no filter is set."""
        model = self._model
        if model is None or not self._filters_active():
            self._visible_overdue = 0 if model is None else model.overdue_count
            return None
        data = model.caseload
        rows = data.rows
        selected: Sequence[int] = range(len(rows))
        if self._statuses is not None:
            statuses = self._statuses
            selected = [i for i in selected if rows[i].status in statuses]
        if self._specialist is not None:
            wanted = None if self._specialist == UNASSIGNED else self._specialist
            selected = [i for i in selected if rows[i].specialist_id == wanted]
        flags = data.flags
        if self._overdue_only:
            selected = [i for i in selected if flags[i] in OVERDUE_FLAGS]
        keys = data.search_keys
        for term in self._terms:
            selected = [i for i in selected if term in keys[i]]
        self._visible_overdue = sum(1 for i in selected if flags[i] in OVERDUE_FLAGS)
        accepted = [False] * len(rows)
        for i in selected:
            accepted[i] = True
        order = model.row_order
        return [position for position, base in enumerate(order) if accepted[base]]

    def _refilter(self) -> None:
        # One layout change for the whole keystroke (rows that stay keep their
        # selection), not a removal and an insertion per gap in the shown rows.
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        sources = [self._source_row(index.row()) for index in persistent]
        self._rows = self._accepted()
        self._remap(persistent, sources)
        self.layoutChanged.emit()

    def _remap(self, persistent: list[QModelIndex], sources: list[int]) -> None:
        moved = []
        for index, source in zip(persistent, sources, strict=True):
            row = self._proxy_row(source) if source >= 0 else -1
            moved.append(self.index(row, index.column()) if row >= 0 else QModelIndex())
        self.changePersistentIndexList(persistent, moved)

    def _source_reset(self) -> None:
        self._rows = self._accepted()
        self.endResetModel()

    def _source_layout_about_to_change(self) -> None:
        # The model is about to reorder (a sort): remember which participants the
        # persistent indexes point at, by id, to find them in the new order.
        self.layoutAboutToBeChanged.emit()
        model = self.caseload_model()
        self._pending = self.persistentIndexList()
        self._pending_ids = [
            model.row_at(self._source_row(index.row())).participant_id for index in self._pending
        ]

    def _source_layout_changed(self) -> None:
        model = self.caseload_model()
        self._rows = self._accepted()
        sources = [model.row_of_participant(pid) for pid in self._pending_ids]
        self._remap(self._pending, sources)
        self._pending, self._pending_ids = [], []
        self.layoutChanged.emit()

    def _source_data_changed(
        self,
        top_left: QModelIndex,
        bottom_right: QModelIndex,
        roles: Sequence[int] = (),
    ) -> None:
        # Only whole-table changes happen (new colours after a palette change).
        count = self.rowCount()
        if count:
            self.dataChanged.emit(
                self.index(0, 0), self.index(count - 1, COLUMN_COUNT - 1), list(roles)
            )


def participant_id_at(model: QAbstractItemModel, row: int) -> int | None:
    """The participant id of *row* in any model over ``CaseloadModel`` (or None)."""
    value = model.index(row, 0).data(ParticipantIdRole)
    return value if isinstance(value, int) else None
