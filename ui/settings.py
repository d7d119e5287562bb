"""Local preferences of this workstation, typed, over one QSettings store.

Every preference is read and written through ``Settings`` so that a key is spelt in one
place, a value of the wrong type or out of range (an old version, a hand-edited file, a
registry value changed by an administrator) reads as the default instead of crashing a
screen, and a screen can follow a change made elsewhere through ``changed``.

Only preferences belong here. Nothing clinical is ever stored in QSettings: it is a plain
file (or registry key) outside the encrypted database. The last username is kept because
the login screen pre-fills it; it names staff, not participants.

``changed`` carries the name of what changed: the property name for single values
(``"theme"``, ``"idle_lock_minutes"``...), ``"views/<view>/column_widths"``,
``"views/<view>/hidden_columns"`` and ``"views/<view>/sort"`` for table layouts, and
``"windows/<window>/geometry"`` / ``"windows/<window>/state"`` for window layouts.
It is emitted only when the value read back differs from before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, Signal

ORGANISATION = "Casebook"
APPLICATION = "Casebook"

THEMES: tuple[str, ...] = ("system", "light", "dark")
WELLNESS_DOMAIN_SETS: tuple[str, ...] = ("samhsa4", "wellness8")
REPORT_PAGE_SIZES: tuple[str, ...] = ("letter", "a4")

# Column widths outside this range are treated as damaged rather than honoured, so a
# corrupted value cannot make a column vanish or push the others off screen.
_COLUMN_WIDTH_RANGE = (8, 4000)
_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")
_SORT_ORDERS: dict[str, Qt.SortOrder] = {
    "ascending": Qt.SortOrder.AscendingOrder,
    "descending": Qt.SortOrder.DescendingOrder,
}


@dataclass(frozen=True)
class IntOption:
    """A whole number with an inclusive range; the range is public so spin boxes can use it."""

    key: str
    default: int
    minimum: int
    maximum: int


@dataclass(frozen=True)
class ChoiceOption:
    """One of a fixed set of strings."""

    key: str
    default: str
    choices: tuple[str, ...]


IDLE_LOCK_MINUTES = IntOption("idle_lock_minutes", 10, 1, 120)
NOTES_IN_SUMMARY = IntOption("notes_in_summary", 5, 1, 50)
BACKUPS_KEPT = IntOption("backups_kept", 14, 1, 365)
THEME = ChoiceOption("theme", "system", THEMES)
# Which set of life domains recovery-plan goals use. It is a per-workstation preference
# for now; when programmes need one choice for every workstation it moves into the
# database, and this key becomes only the fallback for databases that lack it.
WELLNESS_DOMAINS = ChoiceOption("wellness_domains", "samhsa4", WELLNESS_DOMAIN_SETS)
# US letter first: the records kept here are US ones (HIPAA, 42 CFR Part 2).
REPORT_PAGE_SIZE = ChoiceOption("report_page_size", "letter", REPORT_PAGE_SIZES)
LAST_DATABASE = "last_database"
LAST_USERNAME = "last_username"


def _as_int(raw: object) -> int | None:
    # bool is an int subclass, and "true" in a hand-edited file must not read as 1.
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
    return None


def _check_name(kind: str, name: str) -> str:
    # The name becomes part of a QSettings key; a "/" would silently create a subgroup.
    if not _NAME_PATTERN.fullmatch(name):
        raise ValueError(f"{kind} name {name!r} must be letters, digits, '_', '.' or '-'")
    return name


class Settings(QObject):
    """Typed access to the workstation's preferences.

    Pass a ``QSettings`` (for example one on an ini file in a test's temporary folder);
    without one the user's store for organisation and application "Casebook" is used.
    Use it from the GUI thread only.
    """

    changed = Signal(str)

    def __init__(self, qsettings: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = qsettings if qsettings is not None else QSettings(ORGANISATION, APPLICATION)

    @property
    def store(self) -> QSettings:
        """The underlying QSettings, for code that has to hand it to Qt."""
        return self._store

    def sync(self) -> None:
        """Write pending changes to disk now (Qt otherwise does it from the event loop)."""
        self._store.sync()

    # -- typed readers and writers -------------------------------------------------------

    def _read_int(self, option: IntOption) -> int:
        value = _as_int(self._store.value(option.key))
        if value is None or not option.minimum <= value <= option.maximum:
            return option.default
        return value

    def _write_int(self, option: IntOption, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{option.key} must be an int, not {type(value).__name__}")
        if not option.minimum <= value <= option.maximum:
            raise ValueError(
                f"{option.key} must be between {option.minimum} and {option.maximum}, not {value}"
            )
        before = self._read_int(option)
        self._store.setValue(option.key, value)
        if value != before:
            self.changed.emit(option.key)

    def _read_choice(self, option: ChoiceOption) -> str:
        value = self._store.value(option.key)
        if isinstance(value, str) and value in option.choices:
            return value
        return option.default

    def _write_choice(self, option: ChoiceOption, value: str) -> None:
        if value not in option.choices:
            raise ValueError(
                f"{option.key} must be one of {', '.join(option.choices)}, not {value!r}"
            )
        before = self._read_choice(option)
        self._store.setValue(option.key, value)
        if value != before:
            self.changed.emit(option.key)

    def _read_str(self, key: str) -> str:
        value = self._store.value(key)
        return value if isinstance(value, str) else ""

    def _write_str(self, key: str, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"{key} must be a str, not {type(value).__name__}")
        before = self._read_str(key)
        self._store.setValue(key, value)
        if value != before:
            self.changed.emit(key)

    def _read_bytes(self, key: str) -> QByteArray:
        value = self._store.value(key)
        return QByteArray(value) if isinstance(value, QByteArray) else QByteArray()

    def _write_bytes(self, key: str, value: QByteArray) -> None:
        if not isinstance(value, QByteArray):
            raise TypeError(f"{key} must be a QByteArray, not {type(value).__name__}")
        before = self._read_bytes(key)
        self._store.setValue(key, QByteArray(value))
        if value != before:
            self.changed.emit(key)

    def _read_json(self, key: str) -> object:
        # Structured values are kept as JSON text: QSettings' own list handling differs
        # between formats (a one-item list in an ini file reads back as a plain string).
        raw = self._store.value(key)
        if not isinstance(raw, str):
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def _write_json(self, key: str, value: object, before: object) -> None:
        self._store.setValue(key, json.dumps(value, sort_keys=True, ensure_ascii=False))
        if value != before:
            self.changed.emit(key)

    # -- single values -------------------------------------------------------------------

    @property
    def idle_lock_minutes(self) -> int:
        """Minutes without input before the window locks (1–120, default 10)."""
        return self._read_int(IDLE_LOCK_MINUTES)

    @idle_lock_minutes.setter
    def idle_lock_minutes(self, value: int) -> None:
        self._write_int(IDLE_LOCK_MINUTES, value)

    @property
    def notes_in_summary(self) -> int:
        """How many recent session notes a participant summary shows (1–50, default 5)."""
        return self._read_int(NOTES_IN_SUMMARY)

    @notes_in_summary.setter
    def notes_in_summary(self, value: int) -> None:
        self._write_int(NOTES_IN_SUMMARY, value)

    @property
    def backups_kept(self) -> int:
        """How many automatic backups to keep before the oldest is removed (default 14)."""
        return self._read_int(BACKUPS_KEPT)

    @backups_kept.setter
    def backups_kept(self, value: int) -> None:
        self._write_int(BACKUPS_KEPT, value)

    @property
    def theme(self) -> str:
        """Colour theme: "system" (default, follows the desktop), "light" or "dark"."""
        return self._read_choice(THEME)

    @theme.setter
    def theme(self, value: str) -> None:
        self._write_choice(THEME, value)

    @property
    def wellness_domains(self) -> str:
        """Life domains for plan goals: "samhsa4" (default) or "wellness8"."""
        return self._read_choice(WELLNESS_DOMAINS)

    @wellness_domains.setter
    def wellness_domains(self, value: str) -> None:
        self._write_choice(WELLNESS_DOMAINS, value)

    @property
    def report_page_size(self) -> str:
        """Paper size for printed reports: "letter" (default) or "a4"."""
        return self._read_choice(REPORT_PAGE_SIZE)

    @report_page_size.setter
    def report_page_size(self, value: str) -> None:
        self._write_choice(REPORT_PAGE_SIZE, value)

    @property
    def last_database(self) -> str:
        """Path or URL of the database opened last ("" if none)."""
        return self._read_str(LAST_DATABASE)

    @last_database.setter
    def last_database(self, value: str) -> None:
        self._write_str(LAST_DATABASE, value)

    @property
    def last_username(self) -> str:
        """Username of the last successful login, to pre-fill the login screen ("" if none)."""
        return self._read_str(LAST_USERNAME)

    @last_username.setter
    def last_username(self, value: str) -> None:
        self._write_str(LAST_USERNAME, value)

    # -- window layout -------------------------------------------------------------------

    def window_geometry(self, window: str = "main") -> QByteArray:
        """``QWidget.saveGeometry()`` data for *window*, empty if none was saved."""
        return self._read_bytes(f"windows/{_check_name('window', window)}/geometry")

    def set_window_geometry(self, data: QByteArray, window: str = "main") -> None:
        self._write_bytes(f"windows/{_check_name('window', window)}/geometry", data)

    def window_state(self, window: str = "main") -> QByteArray:
        """``QMainWindow.saveState()`` data (toolbars, docks) for *window*, empty if none."""
        return self._read_bytes(f"windows/{_check_name('window', window)}/state")

    def set_window_state(self, data: QByteArray, window: str = "main") -> None:
        self._write_bytes(f"windows/{_check_name('window', window)}/state", data)

    # -- table layouts, one set per view -------------------------------------------------
    # Columns are named by a stable string (the model's column key), not by position, so
    # adding a column in a later version does not shift every saved width by one.

    def column_widths(self, view: str) -> dict[str, int]:
        """Saved widths by column key for *view*; damaged entries are left out."""
        raw = self._read_json(f"views/{_check_name('view', view)}/column_widths")
        if not isinstance(raw, dict):
            return {}
        low, high = _COLUMN_WIDTH_RANGE
        return {
            column: width
            for column, width in raw.items()
            if isinstance(column, str)
            and isinstance(width, int)
            and not isinstance(width, bool)
            and low <= width <= high
        }

    def set_column_widths(self, view: str, widths: Mapping[str, int]) -> None:
        key = f"views/{_check_name('view', view)}/column_widths"
        low, high = _COLUMN_WIDTH_RANGE
        # A hidden section reports width 0; leaving it out lets the view use its default
        # width when the column is shown again.
        clean = {
            str(column): int(width) for column, width in widths.items() if low <= width <= high
        }
        self._write_json(key, clean, self.column_widths(view))

    def hidden_columns(self, view: str) -> frozenset[str]:
        """Keys of the columns the user has hidden in *view*."""
        raw = self._read_json(f"views/{_check_name('view', view)}/hidden_columns")
        if not isinstance(raw, list):
            return frozenset()
        return frozenset(column for column in raw if isinstance(column, str))

    def set_hidden_columns(self, view: str, columns: Iterable[str]) -> None:
        key = f"views/{_check_name('view', view)}/hidden_columns"
        clean = sorted({str(column) for column in columns})
        self._write_json(key, clean, sorted(self.hidden_columns(view)))

    def sort_column(self, view: str) -> str | None:
        """Key of the column *view* is sorted by, or None for the model's own order."""
        raw = self._read_json(f"views/{_check_name('view', view)}/sort")
        if isinstance(raw, dict) and isinstance(raw.get("column"), str):
            column: str = raw["column"]
            return column
        return None

    def sort_order(self, view: str) -> Qt.SortOrder:
        """Direction of *view*'s sort (ascending if none was saved)."""
        raw = self._read_json(f"views/{_check_name('view', view)}/sort")
        if isinstance(raw, dict):
            order = raw.get("order")
            if isinstance(order, str) and order in _SORT_ORDERS:
                return _SORT_ORDERS[order]
        return Qt.SortOrder.AscendingOrder

    def set_sort(self, view: str, column: str | None, order: Qt.SortOrder) -> None:
        key = f"views/{_check_name('view', view)}/sort"
        order_name = "descending" if order == Qt.SortOrder.DescendingOrder else "ascending"
        before_order = self.sort_order(view)
        before = {
            "column": self.sort_column(view),
            "order": "descending" if before_order == Qt.SortOrder.DescendingOrder else "ascending",
        }
        self._write_json(key, {"column": column, "order": order_name}, before)

    def reset_view(self, view: str) -> None:
        """Forget the saved layout of *view* ("Reset columns")."""
        name = _check_name("view", view)
        had = {
            "column_widths": bool(self.column_widths(name)),
            "hidden_columns": bool(self.hidden_columns(name)),
            "sort": self.sort_column(name) is not None
            or self.sort_order(name) != Qt.SortOrder.AscendingOrder,
        }
        self._store.remove(f"views/{name}")
        for what, existed in had.items():
            if existed:
                self.changed.emit(f"views/{name}/{what}")


_app_settings: Settings | None = None


def settings() -> Settings:
    """The application-wide ``Settings``, created on first use over the user's store."""
    global _app_settings
    if _app_settings is None:
        _app_settings = Settings()
    return _app_settings


def install_settings(instance: Settings | None) -> None:
    """Make *instance* the application-wide ``Settings`` (None: create afresh on next use).

    For the demo mode and tests, which must not touch the user's real preferences.
    """
    global _app_settings
    _app_settings = instance
