"""``casebook import counselors`` / ``export counselors``: all or nothing, every bad row
named, and an export the import reads back."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD, Staff

from casebook import cli
from casebook.database import Database
from casebook.services import counselors

pytestmark = pytest.mark.sqlite_only

HEADER = "name,organisation,credentials,languages,accepting_new_clients\r\n"


def test_cli_counselor_import_is_all_or_nothing_and_round_trips(
    db: Database,
    staff: Staff,
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert db.key_hex
    monkeypatch.setenv("CASEBOOK_DB_KEY", db.key_hex)
    monkeypatch.setenv("CASEBOOK_PASSWORD", TEST_PASSWORD)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    base = ["--db", str(db_path), "--user", "peer1"]
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Dr. Zoë Nguyễn-Łukasz,Harbor Clinic,LCSW,vi;pl,yes\r\n,,,,maybe\r\n")
    assert cli.run([*base, "import", "counselors", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 3" in err and "nothing was imported" in err
    with db.session() as s:
        assert counselors.list_counselors(s, staff.peer1) == []

    good = tmp_path / "good.csv"
    good.write_text(HEADER + "Dr. Zoë Nguyễn-Łukasz,Harbor Clinic,LCSW,vi;pl,yes\r\n")
    assert cli.run([*base, "import", "counselors", "--dry-run", str(good)]) == 0
    assert "would import 1" in capsys.readouterr().out
    assert cli.run([*base, "import", "counselors", str(good)]) == 0
    nowhere = tmp_path / "no-such-folder" / "directory.csv"
    assert cli.run([*base, "export", "counselors", str(nowhere)]) == 1
    assert "no-such-folder does not exist; create it" in capsys.readouterr().err
    out = tmp_path / "directory.csv"
    assert cli.run([*base, "export", "counselors", str(out)]) == 0
    assert "Exported 1 directory entries" in capsys.readouterr().out
    exported = out.read_text(encoding="utf-8")
    assert "Dr. Zoë Nguyễn-Łukasz" in exported
    # The export is the import's format: re-importing it names the duplicate.
    assert cli.run([*base, "import", "counselors", str(out)]) == 1
    assert "already in the directory" in capsys.readouterr().err
