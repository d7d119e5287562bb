"""`casebook report caseload` and `casebook report participant`: PDFs on the happy
path, and one line on stderr with a non-zero exit for everything else."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD, Staff
from test_cli import Result, Runner, assert_one_line_error
from test_reports import Clinic, all_text, build_clinic, pages, squash

from casebook import cli
from casebook.database import Database


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    """The command line in-process, as in test_cli."""

    def _run(*argv: str, stdin: str | None = None, password: str | None = None) -> Result:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        if password is None:
            monkeypatch.delenv("CASEBOOK_PASSWORD", raising=False)
        else:
            monkeypatch.setenv("CASEBOOK_PASSWORD", password)
        try:
            code = cli.run(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return _run


@pytest.fixture
def clinic(db: Database, staff: Staff) -> Clinic:
    return build_clinic(db, staff)


@pytest.fixture
def db_file(db: Database, clinic: Clinic) -> str:
    """What --db gets: the encrypted file (key in the test keyring) or the server URL."""
    return str(db.location.path) if db.location.path is not None else db.location.url


def report(run: Runner, db_file: str, user: str, *argv: str) -> tuple[int, str, str]:
    result = run("--db", str(db_file), "--user", user, "report", *argv, password=TEST_PASSWORD)
    return result.code, result.out, result.err


def test_caseload_minimum_by_default(
    run: Runner, db_file: str, clinic: Clinic, tmp_path: Path
) -> None:
    target = tmp_path / "caseload.pdf"
    code, out, err = report(run, db_file, "supervisor", "caseload", "--output", str(target))
    assert code == 0, err
    assert "minimum profile" in out and str(target) in out
    text = all_text(target)
    assert clinic.zoe_record in text and "Zoë" not in text


def test_caseload_full_for_chosen_specialists(
    run: Runner, db_file: str, clinic: Clinic, tmp_path: Path
) -> None:
    target = tmp_path / "caseload.pdf"
    code, _out, err = report(
        run,
        db_file,
        "supervisor",
        "caseload",
        "--profile",
        "full",
        "--specialist",
        "peer2",
        "--out",
        str(target),
    )
    assert code == 0, err
    text = all_text(target)
    assert "QuentinBlackwood" in text and clinic.zoe_record not in text


def test_specialist_cannot_print_the_full_profile(
    run: Runner, db_file: str, clinic: Clinic, tmp_path: Path
) -> None:
    target = tmp_path / "caseload.pdf"
    result = run(
        "--db",
        str(db_file),
        "--user",
        "peer1",
        "report",
        "caseload",
        "--profile",
        "full",
        "--output",
        str(target),
        password=TEST_PASSWORD,
    )
    assert_one_line_error(result, "only a supervisor", "minimum")
    assert not target.exists()


def test_a_specialist_outside_the_team_is_refused(
    run: Runner, db_file: str, clinic: Clinic, tmp_path: Path
) -> None:
    result = run(
        "--db",
        str(db_file),
        "--user",
        "supervisor",
        "report",
        "caseload",
        "--specialist",
        "outsider",
        "--output",
        str(tmp_path / "c.pdf"),
        password=TEST_PASSWORD,
    )
    assert_one_line_error(result)
    assert not (tmp_path / "c.pdf").exists()


def test_participant_summary_with_chosen_number_of_notes(
    run: Runner, db_file: str, clinic: Clinic, tmp_path: Path
) -> None:
    target = tmp_path / "summary.pdf"
    code, out, err = report(
        run,
        db_file,
        "peer1",
        "participant",
        clinic.zoe_record,
        "--notes",
        "1",
        "--output",
        str(target),
    )
    assert code == 0, err
    assert clinic.zoe_record in out
    text = all_text(target)
    assert squash("Signed note number 3") in text and squash("Signed note number 2") not in text
    assert "Zoë (R-" in pages(target)[0]


@pytest.mark.parametrize(
    ("user", "args", "words"),
    [
        ("peer2", ("R-000001",), ("not on your caseload",)),
        ("peer1", ("R-999999",), ("no participant", "R-999999")),
        ("peer1", ("R-000001", "--notes", "99"), ("between 0 and 50",)),
    ],
)
def test_participant_refusals_are_one_line(
    run: Runner,
    db_file: str,
    clinic: Clinic,
    tmp_path: Path,
    user: str,
    args: tuple[str, ...],
    words: tuple[str, ...],
) -> None:
    target = tmp_path / "summary.pdf"
    result = run(
        "--db",
        str(db_file),
        "--user",
        user,
        "report",
        "participant",
        *args,
        "--output",
        str(target),
        password=TEST_PASSWORD,
    )
    assert_one_line_error(result, *words)
    assert not target.exists()


def test_bad_output_and_missing_arguments(
    run: Runner, db_file: str, clinic: Clinic, tmp_path: Path
) -> None:
    folder = run(
        "--db",
        str(db_file),
        "--user",
        "supervisor",
        "report",
        "caseload",
        "--output",
        str(tmp_path),
        password=TEST_PASSWORD,
    )
    assert_one_line_error(folder, "is a folder")
    nowhere = run(
        "--db",
        str(db_file),
        "--user",
        "supervisor",
        "report",
        "caseload",
        "--output",
        str(tmp_path / "no" / "c.pdf"),
        password=TEST_PASSWORD,
    )
    assert_one_line_error(nowhere, "does not exist")
    no_output = run(
        "--db", str(db_file), "--user", "supervisor", "report", "caseload", password=TEST_PASSWORD
    )
    assert no_output.code == 2 and "--output" in no_output.err
    no_user = run("--db", str(db_file), "report", "caseload", "--output", str(tmp_path / "c.pdf"))
    assert_one_line_error(no_user, "--user")
    assert not (tmp_path / "c.pdf").exists()
