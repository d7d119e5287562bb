"""Participant CSV import/export: all or nothing, exact values, clear row errors."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD, Staff
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from casebook import cli, csvio
from casebook.database import Database
from casebook.errors import PermissionDenied, ValidationError
from casebook.services import caseload, participant_csv
from models import Participant

HEADER = "record_number,legal_name,date_of_birth,intake_date,preferred_name,specialist\r\n"


def _count(db: Database) -> int:
    with db.session(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(Participant)) or 0


def test_import_keeps_names_exactly(db: Database, staff: Staff) -> None:
    names = [
        'Zoë "Zo" Nguyễn-Łukasz',
        "Robert'); DROP TABLE participant;--",
        "Ngozi 🌻 Okafor",
        "李小龍",
        '=HYPERLINK("x")',
        "Ólafur, Þórsson",
    ]
    rows = "".join(
        f'R-{i:03d},"{n.replace(chr(34), chr(34) * 2)}",1990-01-0{i + 1},2025-05-01,,peer1\r\n'
        for i, n in enumerate(names)
    )
    with db.session() as s:
        result = participant_csv.import_participants(
            s, staff.supervisor, (HEADER + rows).encode("utf-8")
        )
    assert result.created == len(names) and result.assigned == len(names)
    with db.session(read_only=True) as s:
        got = {r.legal_name for r in caseload.caseload_rows(s, staff.peer1)}
    assert got == set(names)


def test_one_bad_row_imports_nothing_and_lists_every_bad_row(db: Database, staff: Staff) -> None:
    data = (
        HEADER
        + "R-1,Good Person,1980-02-02,2025-01-01,,peer1\r\n"
        + "R-2,,1980-02-02,2025-01-01,,peer1\r\n"
        + "R-3,Bad Date,31/12/1980,2025-01-01,,peer1\r\n"
        + "R-1,Duplicate,1980-02-02,2025-01-01,,peer1\r\n"
        + "R-5,Nobody's,1980-02-02,2025-01-01,,nobody\r\n"
    ).encode()
    with pytest.raises(ValidationError) as err, db.session() as s:
        participant_csv.import_participants(s, staff.supervisor, data)
    errors = err.value.field_errors
    assert "line 3: legal_name" in errors
    assert "line 4: date_of_birth" in errors and "YYYY-MM-DD" in errors["line 4: date_of_birth"]
    assert "line 5: record_number" in errors and "line 2" in errors["line 5: record_number"]
    assert "line 6: specialist" in errors
    assert "nothing was imported" in err.value.message
    assert _count(db) == 0


def test_dry_run_changes_nothing(db: Database, staff: Staff) -> None:
    data = (HEADER + "R-1,Pat Example,1980-02-02,2025-01-01,,peer1\r\n").encode()
    with db.session() as s:
        result = participant_csv.import_participants(s, staff.supervisor, data, dry_run=True)
    assert result.dry_run and result.created == 1
    assert "would import 1" in result.describe()
    assert _count(db) == 0


def test_bom_and_cp1252(db: Database, staff: Staff) -> None:
    utf8_bom = b"\xef\xbb\xbf" + (HEADER + "R-1,Zoë Ünal,1980-02-02,2025-01-01,,peer1\r\n").encode()
    cp1252 = (HEADER + "R-2,José Müller,1980-02-02,2025-01-01,,peer1\r\n").encode("cp1252")
    with db.session() as s:
        assert (
            participant_csv.import_participants(s, staff.supervisor, utf8_bom).encoding == "UTF-8"
        )
    with db.session() as s:
        result = participant_csv.import_participants(s, staff.supervisor, cp1252)
    assert result.encoding == "Windows-1252" and "Windows-1252" in result.describe()
    with db.session(read_only=True) as s:
        names = {r.legal_name for r in caseload.caseload_rows(s, staff.peer1)}
    assert names == {"Zoë Ünal", "José Müller"}


def test_undecodable_and_binary_files_are_refused_clearly() -> None:
    with pytest.raises(ValidationError, match="UTF-8"):
        csvio.decode(b"name\r\n\x81\x8d\x8f\r\n")
    with pytest.raises(ValidationError, match="xlsx"):
        csvio.decode(b"PK\x03\x04\x00\x00binary")


def test_header_problems_are_named() -> None:
    with pytest.raises(ValidationError) as err:
        csvio.read_table(
            b"legal_name,colour\r\nA,b\r\n",
            required=participant_csv.REQUIRED,
            known=participant_csv.COLUMNS,
        )
    text = " ".join(err.value.field_errors.values())
    assert "missing column(s): record_number, date_of_birth, intake_date" in text
    assert "unknown column(s): colour" in text


def test_export_then_import_round_trips(db: Database, staff: Staff, tmp_path: Path) -> None:
    data = (
        "record_number,legal_name,date_of_birth,intake_date,preferred_name,phone,email,"
        "recovery_start_date,contact_cadence_days,status,discharge_date,discharge_reason,specialist"
        "\r\n"
        'R-1,"Zoë, ""Zo"" Ødegaard",1985-03-04,2024-02-02,Zo,+1 555 0100,zo@example.org,'
        "2024-01-01,14,active,,,peer1\r\n"
        "R-2,@mention Person,1970-01-01,2023-01-01,,,,,7,discharged,2024-06-30,moved away,peer1\r\n"
    ).encode()
    with db.session() as s:
        participant_csv.import_participants(s, staff.supervisor, data)
    with db.session() as s:
        exported = participant_csv.export_participants(s, staff.supervisor)
    assert exported.splitlines()[0] == ",".join(participant_csv.COLUMNS)
    # The exported file imports into a fresh database unchanged.
    with db.session() as s:
        s.execute(
            Participant.__table__.update().values(record_number=Participant.record_number + "-old")
        )
    with db.session() as s:
        participant_csv.import_participants(s, staff.supervisor, exported.encode())
    with db.session() as s:
        again = participant_csv.export_participants(s, staff.supervisor)
    current = [line for line in again.splitlines()[1:] if "-old" not in line.split(",")[0]]
    assert current == exported.splitlines()[1:]


def test_specialist_cannot_import_to_someone_else(db: Database, staff: Staff) -> None:
    data = (HEADER + "R-1,Pat Example,1980-02-02,2025-01-01,,peer2\r\n").encode()
    with pytest.raises(ValidationError) as err, db.session() as s:
        participant_csv.import_participants(s, staff.peer1, data)
    assert "own caseload" in err.value.field_errors["line 2: specialist"]


def test_admin_cannot_export(db: Database, staff: Staff) -> None:
    with pytest.raises(PermissionDenied), db.session() as s:
        participant_csv.export_participants(s, staff.admin)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: (HEADER + t).encode()))
def test_no_input_crashes_the_importer(db: Database, staff: Staff, data: bytes) -> None:
    try:
        with db.session() as s:
            participant_csv.import_participants(s, staff.supervisor, data, dry_run=True)
    except ValidationError:
        pass


def test_cli_import_lists_rows_and_exits_non_zero(
    db: Database,
    staff: Staff,
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + "R-1,,1980-02-02,2025-01-01,,peer1\r\nR-2,X,1980-13-02,2025-01-01,,\r\n"
    )
    if db.key_hex:  # an encrypted file; a server URL carries its own credentials
        monkeypatch.setenv("CASEBOOK_DB_KEY", db.key_hex)
    where = str(db.location.path or db.location.url)
    monkeypatch.setenv("CASEBOOK_PASSWORD", TEST_PASSWORD)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = cli.run(["--db", where, "--user", "supervisor", "import", "participants", str(bad)])
    err = capsys.readouterr().err
    assert code == 1
    assert "line 2: legal_name" in err and "line 3: date_of_birth" in err
    assert "nothing was imported" in err
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "R-1,Ann Example,1980-02-02,2025-01-01,,peer1\r\n")
    assert (
        cli.run(["--db", where, "--user", "supervisor", "import", "participants", str(good)]) == 0
    )
    out_file = tmp_path / "out.csv"
    assert cli.run(["--db", where, "--user", "peer1", "export", "participants", str(out_file)]) == 0
    assert "Ann Example" in out_file.read_text(encoding="utf-8")
    assert "Exported 1 participants" in capsys.readouterr().out
