from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QSettings, Qt
from pytestqt.qtbot import QtBot

from ui.settings import Settings, install_settings, settings


def _store(path: Path) -> QSettings:
    return QSettings(str(path / "casebook.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def ini_path(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def prefs(qapp: object, ini_path: Path) -> Settings:
    return Settings(_store(ini_path))


def _reopen(prefs: Settings, ini_path: Path) -> Settings:
    # A fresh QSettings reads the file back, so values go through the ini round trip
    # (where every number comes back as text) rather than QSettings' in-memory cache.
    prefs.sync()
    return Settings(_store(ini_path))


def test_defaults(prefs: Settings) -> None:
    assert prefs.idle_lock_minutes == 10
    assert prefs.notes_in_summary == 5
    assert prefs.backups_kept == 14
    assert prefs.theme == "system"
    assert prefs.wellness_domains == "samhsa4"
    assert prefs.report_page_size == "letter"
    assert prefs.last_database == ""
    assert prefs.last_username == ""
    assert prefs.window_geometry().isEmpty()
    assert prefs.window_state().isEmpty()
    assert prefs.column_widths("caseload") == {}
    assert prefs.hidden_columns("caseload") == frozenset()
    assert prefs.sort_column("caseload") is None
    assert prefs.sort_order("caseload") == Qt.SortOrder.AscendingOrder


def test_round_trip_through_the_file(prefs: Settings, ini_path: Path) -> None:
    prefs.idle_lock_minutes = 25
    prefs.notes_in_summary = 8
    prefs.backups_kept = 30
    prefs.theme = "dark"
    prefs.wellness_domains = "wellness8"
    prefs.report_page_size = "a4"
    prefs.last_database = "/srv/clinic data/casebook, main.db"
    prefs.last_username = "peer1"
    geometry = QByteArray(b"\x01\xd9\xd0\xcb\x00\x03geometry")
    prefs.set_window_geometry(geometry)
    prefs.set_window_state(QByteArray(b"state"), window="note_editor")
    prefs.set_column_widths("caseload", {"name": 180, "last_contact": 95})
    prefs.set_hidden_columns("caseload", ["pronouns"])
    prefs.set_sort("caseload", "last_contact", Qt.SortOrder.DescendingOrder)
    prefs.set_column_widths("referrals", {"status": 70})

    again = _reopen(prefs, ini_path)
    assert again.idle_lock_minutes == 25
    assert again.notes_in_summary == 8
    assert again.backups_kept == 30
    assert again.theme == "dark"
    assert again.wellness_domains == "wellness8"
    assert again.report_page_size == "a4"
    assert again.last_database == "/srv/clinic data/casebook, main.db"
    assert again.last_username == "peer1"
    assert again.window_geometry() == geometry
    assert again.window_state("note_editor") == QByteArray(b"state")
    assert again.window_state().isEmpty()
    assert again.column_widths("caseload") == {"name": 180, "last_contact": 95}
    assert again.hidden_columns("caseload") == frozenset({"pronouns"})
    assert again.sort_column("caseload") == "last_contact"
    assert again.sort_order("caseload") == Qt.SortOrder.DescendingOrder
    assert again.column_widths("referrals") == {"status": 70}
    assert again.hidden_columns("referrals") == frozenset()


@pytest.mark.parametrize(
    ("key", "stored"),
    [
        ("idle_lock_minutes", "0"),
        ("idle_lock_minutes", "121"),
        ("idle_lock_minutes", "ten"),
        ("idle_lock_minutes", "true"),
        ("idle_lock_minutes", "7.5"),
        ("idle_lock_minutes", ["1", "2"]),
        ("notes_in_summary", "-3"),
        ("backups_kept", ""),
        ("theme", "purple"),
        ("theme", "3"),
        ("wellness_domains", "SAMHSA4"),
        ("report_page_size", "legal"),
        ("last_database", ["a", "b"]),
        ("last_username", QByteArray(b"peer1")),
    ],
)
def test_invalid_stored_value_reads_as_default(
    qapp: object, ini_path: Path, key: str, stored: object
) -> None:
    store = _store(ini_path)
    store.setValue(key, stored)
    store.sync()
    defaults = Settings(_store(ini_path / "other"))
    prefs = Settings(_store(ini_path))
    assert getattr(prefs, key) == getattr(defaults, key)


def test_hand_edited_ini_file_falls_back(qapp: object, ini_path: Path) -> None:
    (ini_path / "casebook.ini").write_text(
        "[General]\n"
        "idle_lock_minutes=500\n"
        "theme=@Invalid()\n"
        "notes_in_summary=12\n"
        "\n"
        "[views]\n"
        # Unquoted commas make QSettings read a list, not the JSON text we write.
        'caseload\\column_widths={"name": 150, "dob": 90}\n'
        "caseload\\hidden_columns=not json\n"
        "referrals\\sort=[1]\n"
        "\n"
        "[windows]\n"
        "main\\geometry=just text\n",
        encoding="utf-8",
    )
    prefs = Settings(_store(ini_path))
    assert prefs.column_widths("caseload") == {}
    assert prefs.hidden_columns("caseload") == frozenset()
    assert prefs.sort_column("referrals") is None
    assert prefs.window_geometry().isEmpty()
    assert prefs.idle_lock_minutes == 10
    assert prefs.theme == "system"
    assert prefs.notes_in_summary == 12


def test_damaged_layout_entries_are_dropped_one_by_one(qapp: object, ini_path: Path) -> None:
    store = _store(ini_path)
    store.setValue(
        "views/caseload/column_widths", '{"name": 150, "dob": -4, "phone": "wide", "x": true}'
    )
    store.setValue("views/caseload/hidden_columns", '["phone", 3, null]')
    store.setValue("views/caseload/sort", '{"column": 7, "order": "sideways"}')
    store.sync()
    prefs = Settings(_store(ini_path))
    assert prefs.column_widths("caseload") == {"name": 150}
    assert prefs.hidden_columns("caseload") == frozenset({"phone"})
    assert prefs.sort_column("caseload") is None
    assert prefs.sort_order("caseload") == Qt.SortOrder.AscendingOrder


def test_writing_invalid_values_is_refused(prefs: Settings) -> None:
    with pytest.raises(ValueError, match="between 1 and 120"):
        prefs.idle_lock_minutes = 0
    with pytest.raises(TypeError):
        prefs.idle_lock_minutes = True
    with pytest.raises(ValueError, match="system, light, dark"):
        prefs.theme = "solarized"
    with pytest.raises(ValueError):
        prefs.column_widths("case/load")
    with pytest.raises(ValueError):
        prefs.set_window_geometry(QByteArray(), window="")
    assert prefs.idle_lock_minutes == 10
    assert prefs.theme == "system"


def test_hidden_sections_do_not_save_a_zero_width(prefs: Settings) -> None:
    prefs.set_column_widths("caseload", {"name": 180, "pronouns": 0})
    assert prefs.column_widths("caseload") == {"name": 180}


def test_changed_signal_names_what_changed(prefs: Settings, qtbot: QtBot) -> None:
    seen: list[str] = []
    prefs.changed.connect(seen.append)

    prefs.idle_lock_minutes = 15
    prefs.idle_lock_minutes = 15  # same value again: nothing to tell anyone
    prefs.theme = "light"
    prefs.last_username = "supervisor"
    prefs.set_window_geometry(QByteArray(b"g"))
    prefs.set_column_widths("caseload", {"name": 120})
    prefs.set_hidden_columns("caseload", {"phone"})
    prefs.set_sort("caseload", "name", Qt.SortOrder.AscendingOrder)
    prefs.set_sort("caseload", "name", Qt.SortOrder.AscendingOrder)
    prefs.reset_view("caseload")

    assert seen == [
        "idle_lock_minutes",
        "theme",
        "last_username",
        "windows/main/geometry",
        "views/caseload/column_widths",
        "views/caseload/hidden_columns",
        "views/caseload/sort",
        "views/caseload/column_widths",
        "views/caseload/hidden_columns",
        "views/caseload/sort",
    ]
    assert prefs.column_widths("caseload") == {}
    assert prefs.sort_column("caseload") is None

    with qtbot.waitSignal(prefs.changed, timeout=1000) as blocker:
        prefs.wellness_domains = "wellness8"
    assert blocker.args == ["wellness_domains"]


def test_app_wide_instance_can_be_replaced(prefs: Settings) -> None:
    install_settings(prefs)
    try:
        assert settings() is prefs
    finally:
        install_settings(None)
