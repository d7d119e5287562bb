"""The command line: the happy path on a new file, and for every kind of bad input one
line on stderr naming the problem, a non-zero exit, no traceback and nothing half-written."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import func, select
from test_db import DatabaseTemplates, fast_database_fixtures

from casebook import cli
from casebook.database import open_database
from casebook.db import DatabaseLocation
from casebook.errors import DatabaseError
from casebook.security import keystore
from casebook.security.memory_keyring import MemoryKeyring
from models import AuditEvent, Participant, StaffUser

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PW = "quiet meadow lantern"
PEER_PW = "river stones at dusk"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


class Runner(Protocol):
    def __call__(
        self, *argv: str, stdin: str | None = None, password: str | None = None
    ) -> Result: ...


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    """Run the CLI in-process: run(*argv, stdin="...", password="...") -> Result."""

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
        except SystemExit as exc:  # argparse: --help, usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return _run


def assert_one_line_error(result: Result, *words: str) -> None:
    assert result.code != 0, result
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    for word in words:
        assert word.lower() in lines[0].lower(), (word, lines[0])


def _staff_names(path: Path) -> list[str]:
    db = open_database(DatabaseLocation(url="sqlite://", path=path))
    try:
        with db.session(read_only=True) as s:
            return list(s.scalars(select(StaffUser.username).order_by(StaffUser.id)))
    finally:
        db.close()


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


templates = fast_database_fixtures()[0]


@pytest.fixture
def new_db(tmp_path: Path, templates: DatabaseTemplates) -> Path:
    """A database just made by 'db init' (a copy of one, key in the keyring)."""
    path = tmp_path / "clinic.db"
    templates.copy("empty", path).close()
    assert _files(tmp_path) == {"clinic.db"}
    return path


@pytest.fixture
def with_admin(new_db: Path, run: Runner) -> Path:
    result = run(
        "--db",
        str(new_db),
        "user",
        "add",
        "admin",
        "--role",
        "admin",
        "--password-stdin",
        stdin=ADMIN_PW + "\n",
    )
    assert result.code == 0, result.err
    return new_db


# ------------------------------------------------------------------------ happy path


def test_help_lists_the_working_commands(run: Runner) -> None:
    result = run("--help")
    assert result.code == 0
    commands = set(re.findall(r"^\s{4}(\w+)\s", result.out, flags=re.MULTILINE))
    assert {"db", "user", "demo"} <= commands
    db_help = run("db", "--help")
    assert {"init", "upgrade", "check"} <= set(
        re.findall(r"^\s{4}([\w-]+)\s", db_help.out, flags=re.MULTILINE)
    )
    assert "--password-stdin" in run("user", "add", "--help").out


def test_init_add_users_and_check_a_new_file(tmp_path: Path, run: Runner) -> None:
    path = tmp_path / "clinic.db"
    init = run("--db", str(path), "db", "init")
    assert init.code == 0 and init.err == ""
    assert "Created" in init.out and "user add" in init.out
    first = run(
        "--db",
        str(path),
        "user",
        "add",
        "admin",
        "--role",
        "admin",
        "--display-name",
        "Ada Admin",
        "--password-stdin",
        stdin=ADMIN_PW + "\n",
    )
    assert first.code == 0, first.err
    assert "admin" in first.out
    supervisor = run(
        "--db",
        str(path),
        "--user",
        "admin",
        "user",
        "add",
        "sam",
        "--role",
        "supervisor",
        "--password-stdin",
        stdin=PEER_PW + "\n",
        password=ADMIN_PW,
    )
    assert supervisor.code == 0, supervisor.err
    peer = run(
        "--db",
        str(path),
        "--user",
        "admin",
        "user",
        "add",
        "pat",
        "--role",
        "specialist",
        "--supervisor",
        "sam",
        "--password-stdin",
        stdin=PEER_PW + "\n",
        password=ADMIN_PW,
    )
    assert peer.code == 0, peer.err
    assert _staff_names(path) == ["admin", "sam", "pat"]
    check = run("--db", str(path), "db", "check")
    assert check.code == 0, check.out + check.err
    assert "passed every check" in check.out
    assert "audit chain" in check.out


def test_demo_seed_then_check_a_new_file(tmp_path: Path, run: Runner) -> None:
    pytest.importorskip("casebook.demo")
    path = tmp_path / "demo.db"
    seed = run("--db", str(path), "demo", "seed", "--participants", "50", "--seed", "2")
    assert seed.code == 0, seed.err
    assert "50 participants" in seed.out
    check = run("--db", str(path), "db", "check")
    assert check.code == 0, check.out + check.err
    db = open_database(DatabaseLocation(url="sqlite://", path=path))
    try:
        with db.session(read_only=True) as s:
            assert s.scalar(select(func.count()).select_from(Participant)) == 50
            names = set(s.scalars(select(StaffUser.username)))
        assert {"admin", "supervisor", "peer1"} <= names
    finally:
        db.close()


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "command",
    [
        ("db", "check"),
        ("db", "upgrade"),
        ("user", "add", "admin", "--role", "admin", "--password-stdin"),
    ],
)
def test_missing_database_file(tmp_path: Path, run: Runner, command: tuple[str, ...]) -> None:
    path = tmp_path / "missing.db"
    result = run("--db", str(path), *command, stdin=ADMIN_PW + "\n")
    assert_one_line_error(result, "No database at", str(path), "db init")
    assert _files(tmp_path) == set()


@pytest.mark.parametrize("tail", ["clinic.db", "sub/clinic.db"])
def test_unwritable_location(
    tmp_path: Path, run: Runner, memory_keyring: MemoryKeyring, tail: str
) -> None:
    # As root, permission bits do not stop anything; a regular file as "folder" does.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    result = run("--db", str(blocker / tail), "db", "init")
    assert_one_line_error(result, str(blocker))
    assert "folder" in result.err
    assert _files(tmp_path) == {"blocker"}
    assert blocker.read_text() == "not a folder"
    assert memory_keyring.passwords == {}  # the new key was not left in the keyring


def test_demo_seed_into_an_unwritable_location(tmp_path: Path, run: Runner) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    result = run("--db", str(blocker / "demo.db"), "demo", "seed", "--participants", "5")
    assert_one_line_error(result, "folder")
    assert _files(tmp_path) == {"blocker"}


@pytest.mark.parametrize(
    "command",
    [
        ("db", "check"),
        ("db", "upgrade"),
        ("user", "add", "admin", "--role", "admin", "--password-stdin"),
        ("demo", "seed", "--participants", "5"),
    ],
)
def test_not_a_database_file(
    tmp_path: Path,
    run: Runner,
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
) -> None:
    path = tmp_path / "random.db"
    content = os.urandom(8192)
    path.write_bytes(content)
    # Without a key for it, the keyring has nothing: said so, with what to do.
    no_key = run("--db", str(path), *command, stdin=ADMIN_PW + "\n")
    assert_one_line_error(no_key, "keyring", str(path))
    # With a key, the file itself is refused.
    monkeypatch.setenv("CASEBOOK_DB_KEY", keystore.generate_key())
    keyed = run("--db", str(path), *command, stdin=ADMIN_PW + "\n")
    assert_one_line_error(keyed, "not a Casebook database", str(path))
    assert path.read_bytes() == content
    assert _files(tmp_path) == {"random.db"}


@pytest.mark.parametrize(
    "command",
    [
        ("db", "check"),
        ("db", "upgrade"),
        ("user", "add", "admin", "--role", "admin", "--password-stdin"),
    ],
)
def test_unencrypted_sqlite_file(tmp_path: Path, run: Runner, command: tuple[str, ...]) -> None:
    path = tmp_path / "plain.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE participant (legal_name TEXT)")
    conn.execute("INSERT INTO participant VALUES ('Someone Real')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    result = run("--db", str(path), *command, stdin=ADMIN_PW + "\n")
    assert_one_line_error(result, "unencrypted", str(path))
    assert path.read_bytes() == before


def test_second_db_init_leaves_the_file_untouched(with_admin: Path, run: Runner) -> None:
    before = with_admin.read_bytes()
    files = _files(with_admin.parent)
    result = run("--db", str(with_admin), "db", "init")
    assert_one_line_error(result, "already exists", "db upgrade")
    assert with_admin.read_bytes() == before
    assert _files(with_admin.parent) == files
    assert _staff_names(with_admin) == ["admin"]


def test_db_init_on_an_unencrypted_file_leaves_it_untouched(tmp_path: Path, run: Runner) -> None:
    path = tmp_path / "plain.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    assert_one_line_error(run("--db", str(path), "db", "init"), "already exists")
    assert path.read_bytes() == before


def test_database_path_is_a_folder(tmp_path: Path, run: Runner) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    assert_one_line_error(run("--db", str(folder), "db", "check"), "is a folder")
    assert_one_line_error(run("--db", str(folder), "db", "init"), "already exists")
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ("missing-key-file", ("key file", "does not exist")),
        ("short-key-file", ("key file", "64")),
        ("bad-env-key", ("CASEBOOK_DB_KEY", "not valid")),
        ("empty-env-key", ("CASEBOOK_DB_KEY", "empty")),
    ],
)
def test_bad_explicit_keys(
    new_db: Path,
    run: Runner,
    monkeypatch: pytest.MonkeyPatch,
    setup: str,
    words: tuple[str, ...],
) -> None:
    key_file = new_db.parent / "db.key"
    args = ["--db", str(new_db)]
    if setup == "missing-key-file":
        args += ["--key-file", str(key_file)]
    elif setup == "short-key-file":
        key_file.write_text("abc123\n")
        args += ["--key-file", str(key_file)]
    elif setup == "bad-env-key":
        monkeypatch.setenv("CASEBOOK_DB_KEY", "z" * 64)
    else:
        monkeypatch.setenv("CASEBOOK_DB_KEY", " ")
    before = new_db.read_bytes()
    result = run(*args, "db", "check")
    assert_one_line_error(result, *words)
    assert "abc123" not in result.err and "zzzz" not in result.err  # never echo a key
    assert new_db.read_bytes() == before


def test_user_add_without_a_password_source(new_db: Path, run: Runner) -> None:
    result = run("--db", str(new_db), "user", "add", "admin", "--role", "admin", stdin="")
    assert_one_line_error(result, "no password", "--password-stdin")
    assert _staff_names(new_db) == []


def test_unknown_role(new_db: Path, run: Runner) -> None:
    result = run(
        "--db",
        str(new_db),
        "user",
        "add",
        "pat",
        "--role",
        "boss",
        "--password-stdin",
        stdin=PEER_PW + "\n",
    )
    assert result.code == 2
    assert_one_line_error(result, "--role", "invalid choice", "boss")
    assert _staff_names(new_db) == []


def test_first_account_must_be_an_admin(new_db: Path, run: Runner) -> None:
    result = run(
        "--db",
        str(new_db),
        "user",
        "add",
        "pat",
        "--role",
        "specialist",
        "--password-stdin",
        stdin=PEER_PW + "\n",
    )
    assert_one_line_error(result, "first account", "--role admin")
    assert _staff_names(new_db) == []


def test_duplicate_username(with_admin: Path, run: Runner) -> None:
    result = run(
        "--db",
        str(with_admin),
        "--user",
        "admin",
        "user",
        "add",
        "ADMIN",
        "--role",
        "specialist",
        "--password-stdin",
        stdin=PEER_PW + "\n",
        password=ADMIN_PW,
    )
    assert_one_line_error(result, "already taken", "admin")
    assert _staff_names(with_admin) == ["admin"]


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("short", ("at least 12 characters",)),
        ("password1234", ("commonly used",)),
        ("admin-admin-admin", ("username",)),
    ],
)
def test_weak_password(new_db: Path, run: Runner, password: str, words: tuple[str, ...]) -> None:
    result = run(
        "--db",
        str(new_db),
        "user",
        "add",
        "admin",
        "--role",
        "admin",
        "--password-stdin",
        stdin=password + "\n",
    )
    assert_one_line_error(result, "password", *words)
    assert _staff_names(new_db) == []


def test_empty_password_on_stdin(new_db: Path, run: Runner) -> None:
    result = run(
        "--db",
        str(new_db),
        "user",
        "add",
        "admin",
        "--role",
        "admin",
        "--password-stdin",
        stdin="",
    )
    assert_one_line_error(result, "--password-stdin", "no password")
    assert _staff_names(new_db) == []


def test_second_account_needs_a_signed_in_user(with_admin: Path, run: Runner) -> None:
    result = run(
        "--db",
        str(with_admin),
        "user",
        "add",
        "pat",
        "--role",
        "specialist",
        "--password-stdin",
        stdin=PEER_PW + "\n",
    )
    assert_one_line_error(result, "--user")
    assert _staff_names(with_admin) == ["admin"]


def test_wrong_user_password_is_refused_audited_and_counted(with_admin: Path, run: Runner) -> None:
    result = run(
        "--db",
        str(with_admin),
        "--user",
        "admin",
        "user",
        "add",
        "pat",
        "--role",
        "specialist",
        "--password-stdin",
        stdin=PEER_PW + "\n",
        password="not the right one at all",
    )
    assert_one_line_error(result, "wrong username or password")
    db = open_database(DatabaseLocation(url="sqlite://", path=with_admin))
    try:
        with db.session(read_only=True) as s:
            admin = s.scalar(select(StaffUser).where(StaffUser.username == "admin"))
            assert admin is not None and admin.failed_logins == 1
            failed = s.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
            assert [e.user_id for e in failed] == [admin.id]
            assert s.scalar(select(func.count()).select_from(StaffUser)) == 1
    finally:
        db.close()


def test_no_password_for_user_without_a_terminal(with_admin: Path, run: Runner) -> None:
    result = run(
        "--db",
        str(with_admin),
        "--user",
        "admin",
        "user",
        "list",
        stdin="",
    )
    assert_one_line_error(result, "CASEBOOK_PASSWORD")


@pytest.mark.parametrize(
    "command",
    [
        ("db", "init"),
        ("db", "check"),
        ("db", "upgrade"),
        ("user", "add", "admin", "--role", "admin", "--password-stdin"),
        ("demo", "seed", "--participants", "5"),
    ],
)
def test_unsupported_database_url(tmp_path: Path, run: Runner, command: tuple[str, ...]) -> None:
    result = run("--db", "mysql://x", *command, stdin=ADMIN_PW + "\n")
    assert_one_line_error(result, "mysql", "not supported", "postgresql")


def test_malformed_server_url(run: Runner) -> None:
    result = run("--db", "postgresql://clinic:pw@db.example.org:port/casebook", "db", "check")
    assert_one_line_error(result, "not a valid database URL")
    assert "unexpected" not in result.err


def test_missing_subcommand_is_a_usage_line(run: Runner) -> None:
    result = run("db")
    assert result.code == 2
    assert_one_line_error(result, "required")


def test_demo_seed_refuses_a_database_with_data(with_admin: Path, run: Runner) -> None:
    pytest.importorskip("casebook.demo")
    result = run("--db", str(with_admin), "demo", "seed", "--participants", "5")
    assert_one_line_error(result, "empty database")
    assert _staff_names(with_admin) == ["admin"]


def test_demo_seed_participant_count_is_checked(tmp_path: Path, run: Runner) -> None:
    result = run("--db", str(tmp_path / "d.db"), "demo", "seed", "--participants", "0")
    assert_one_line_error(result, "--participants")
    assert _files(tmp_path) == set()


# ------------------------------------------------------------ end to end, real process


def _env(key: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CASEBOOK_DB", "CASEBOOK_DB_KEY", "CASEBOOK_PASSWORD")
    }
    # Never the real keyring of whoever runs the tests.
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    if key:
        env["CASEBOOK_DB_KEY"] = key
    return env


def _start(*argv: str, key: str | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "main.py", *argv],
        cwd=ROOT,
        env=_env(key),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def test_end_to_end_failures_never_show_a_traceback(
    tmp_path: Path, templates: DatabaseTemplates
) -> None:
    # Real processes, so nothing (Python or SQLCipher) can reach the terminal unseen:
    # a file that is not a database, and a real database opened with the wrong key.
    path = tmp_path / "clinic.db"
    templates.copy("empty", path).close()
    random_file = tmp_path / "random.db"
    random_file.write_bytes(os.urandom(8192))
    procs = [
        _start("--db", str(random_file), "db", "check", key=templates.key),
        _start("--db", str(path), "db", "check", key=keystore.generate_key()),
    ]
    for proc, words in zip(procs, ("not a Casebook database", "key is wrong"), strict=True):
        code, out, err = _finish(proc)
        assert code != 0
        assert out == ""
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert words in lines[0]
    assert _files(tmp_path) == {"clinic.db", "random.db"}


# ------------------------------------------------------------------ who and what is logged


def _restore_names(path: Path) -> list[str]:
    db = open_database(DatabaseLocation(url="sqlite://", path=path))
    try:
        with db.session(read_only=True) as s:
            query = select(AuditEvent.username).where(AuditEvent.action == "restore")
            return list(s.scalars(query.order_by(AuditEvent.id)))
    finally:
        db.close()


def test_a_restore_names_the_computer_account_and_a_claimed_user_as_unverified(
    with_admin: Path, tmp_path: Path, run: Runner
) -> None:
    # Nobody signs in to restore (the file may be the damaged one), so a --user name
    # must not stand in the audit log as if it had been checked.
    backup = tmp_path / "b.db"
    assert run("--db", str(with_admin), "db", "backup", str(backup)).code == 0
    assert run("--db", str(with_admin), "db", "restore", str(backup)).code == 0
    (anonymous,) = _restore_names(with_admin)
    assert re.fullmatch(r"os:\S+", anonymous), anonymous
    # (Each restore brings back the backup's log, then adds its own event.)
    assert run("--db", str(with_admin), "--user", "admin", "db", "restore", str(backup)).code == 0
    (claimed,) = _restore_names(with_admin)
    assert claimed.startswith("admin (unverified, os:"), claimed


def test_the_error_log_never_holds_a_password(
    with_admin: Path, tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An unexpected failure writes the command line to a log file: a server URL's
    # password and a --password value must not be in it.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def broken(_args: object) -> int:
        raise RuntimeError("something nobody planned for")

    monkeypatch.setattr(cli, "cmd_db_check", broken)
    secret_url = "postgresql+psycopg://casebook:Tr0ub4dor:3@db.clinic.lan/casebook"
    argv = ["casebook", "--db", secret_url, "demo", "seed", "--password", "hunter2-x"]
    monkeypatch.setattr(sys, "argv", [*argv, "--password=other-secret"])
    result = run("--db", str(with_admin), "db", "check")
    assert result.code == 1 and "unexpected error" in result.err
    logs = list(tmp_path.rglob("casebook-errors.log"))
    assert len(logs) == 1, logs
    text = logs[0].read_text(encoding="utf-8")
    assert "something nobody planned for" in text and "db.clinic.lan" in text
    for secret in ("Tr0ub4dor", "hunter2-x", "other-secret"):
        assert secret not in text


def test_importing_a_key_from_a_missing_file_says_what_file_is_meant(
    with_admin: Path, tmp_path: Path, run: Runner
) -> None:
    result = run("--db", str(with_admin), "db", "import-key", str(tmp_path / "nope.key"))
    assert_one_line_error(result, "nope.key does not exist", "db export-key")


# ------------------------------------------------------------------ first admin, resets


def test_first_admin_refuses_a_team_or_supervising_instead_of_ignoring_it(
    new_db: Path, run: Runner
) -> None:
    for extra in (("--supervisor", "sam"), ("--also-supervisor",)):
        result = run(
            "--db",
            str(new_db),
            "user",
            "add",
            "admin",
            "--role",
            "admin",
            *extra,
            "--password-stdin",
            stdin=ADMIN_PW + "\n",
        )
        assert_one_line_error(result, "first administrator", extra[0])
        assert _staff_names(new_db) == []


def _password_hash(path: Path, username: str) -> str:
    db = open_database(DatabaseLocation(url="sqlite://", path=path))
    try:
        with db.session(read_only=True) as s:
            return s.scalars(
                select(StaffUser.password_hash).where(StaffUser.username == username)
            ).one()
    finally:
        db.close()


def _add_peer(path: Path, run: Runner) -> None:
    result = run(
        "--db",
        str(path),
        "--user",
        "admin",
        "user",
        "add",
        "pat",
        "--role",
        "specialist",
        "--password-stdin",
        stdin=PEER_PW + "\n",
        password=ADMIN_PW,
    )
    assert result.code == 0, result.err


def test_reset_password_reads_stdin_or_asks_twice_in_a_terminal(
    with_admin: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_peer(with_admin, run)
    reset = ("--db", str(with_admin), "--user", "admin", "user", "reset-password", "pat")
    before = _password_hash(with_admin, "pat")

    # Not a terminal and no --password-stdin: say how to give one.
    result = run(*reset, stdin="", password=ADMIN_PW)
    assert_one_line_error(result, "no password", "--password-stdin")
    assert _password_hash(with_admin, "pat") == before

    # In a terminal it is asked for twice; two different answers change nothing.
    answers = iter(["harbour lights at nine", "harbour lights at ten"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    result = run(*reset, password=ADMIN_PW)
    assert_one_line_error(result, "passwords differ", "not reset")
    assert _password_hash(with_admin, "pat") == before

    answers = iter(["harbour lights at nine"] * 2)
    result = run(*reset, password=ADMIN_PW)
    assert result.code == 0, result.err
    assert "must change it" in result.out
    assert _password_hash(with_admin, "pat") != before

    # And from standard input, as scripts do.
    result = run(*reset, "--password-stdin", stdin="lantern by the pier\n", password=ADMIN_PW)
    assert result.code == 0, result.err


def test_db_rekey_changes_the_key_and_keeps_every_record(with_admin: Path, run: Runner) -> None:
    entry = keystore.key_entry_name(with_admin)
    old_key = keystore.load_key(entry)

    wrong = run("--db", str(with_admin), "--user", "admin", "db", "rekey", password="not it")
    assert_one_line_error(wrong, "password")
    assert keystore.load_key(entry) == old_key

    result = run("--db", str(with_admin), "--user", "admin", "db", "rekey", password=ADMIN_PW)
    assert result.code == 0, result.err
    assert "new key" in result.out and "recovery" in result.out
    new_key = keystore.load_key(entry)
    assert new_key and new_key != old_key
    assert _staff_names(with_admin) == ["admin"]  # opens with the keyring's (new) key
    with pytest.raises(DatabaseError):  # the old key no longer opens it
        old = open_database(DatabaseLocation(url="sqlite://", path=with_admin), key_hex=old_key)
        try:
            with old.session(read_only=True) as s:
                s.scalars(select(StaffUser.username)).all()
        finally:
            old.close()
    db = open_database(DatabaseLocation(url="sqlite://", path=with_admin))
    try:
        with db.session(read_only=True) as s:
            assert s.scalar(select(func.count()).where(AuditEvent.action == "rekey")) == 1
    finally:
        db.close()
