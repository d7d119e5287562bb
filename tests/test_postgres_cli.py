"""The command line against a clinic server: the README's setup from an empty
database to a seeded, checked, exported one, the password kept in the keyring,
TLS options passed through, and one clear line for every connection problem."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from postgres_server import PostgresServer
from sqlalchemy import func, make_url, select, text
from sqlalchemy.exc import DBAPIError

from casebook import cli
from casebook.database import open_database
from casebook.db import DatabaseLocation, server_password_entry
from casebook.security import keystore
from casebook.security.memory_keyring import MemoryKeyring, installed_keyring
from models import AuditEvent, Participant

pytestmark = pytest.mark.postgres

ADMIN_PW = "quiet meadow lantern"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


Runner = Callable[..., Result]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
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
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return _run


def one_line_error(result: Result, *words: str) -> None:
    assert result.code != 0, result
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    for word in words:
        assert word.lower() in lines[0].lower(), (word, lines[0])


def without_password(url: str) -> str:
    password = make_url(url).password
    assert password and f":{password}@" in url
    return url.replace(f":{password}@", "@")


def test_clinic_setup_from_an_empty_database(
    run: Runner, postgres_url: str, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    password = make_url(postgres_url).password
    assert password
    url = without_password(postgres_url)

    # The password goes into the keyring once, after the server accepted it.
    stored = run("--db", url, "db", "set-password", "--password-stdin", stdin=password + "\n")
    assert stored.code == 0, stored.err
    entry = server_password_entry(url)
    assert memory_keyring.get_password(keystore.KEYRING_SERVICE, entry) == password
    assert password not in stored.out

    # Every later command finds it there: the URL carries no password.
    init = run("--db", url, "db", "init")
    assert init.code == 0, init.err
    assert "Created" in init.out and "keyring" not in init.out.lower()
    again = run("--db", url, "db", "init")
    one_line_error(again, "not empty", "db upgrade")

    seeded = run("--db", url, "demo", "seed", "--participants", "12", "--password", ADMIN_PW)
    assert seeded.code == 0, seeded.err
    added = run(
        "--db", url, "--user", "admin", "user", "add", "peer9", "--role", "specialist",
        "--supervisor", "supervisor", "--password-stdin", stdin="tall pines by water\n",
        password=ADMIN_PW,
    )  # fmt: skip
    assert added.code == 0, added.err

    check = run("--db", url, "db", "check")
    assert check.code == 0, check.out + check.err
    assert "server connection" in check.out and "audit chain" in check.out
    assert password not in check.out

    exported = tmp_path / "participants.csv"
    out = run("--db", url, "--user", "admin", "export", "participants", str(exported),
              password=ADMIN_PW)  # fmt: skip
    # An administrator reads no clinical content; a supervisor of the demo does.
    one_line_error(out, "admin")
    out = run("--db", url, "--user", "supervisor", "export", "participants", str(exported),
              password=ADMIN_PW)  # fmt: skip
    assert out.code == 0, out.err
    # Three exported rows go back in as new participants under new record numbers.
    with exported.open(encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    assert len(records) > 3
    fresh = tmp_path / "new.csv"
    with fresh.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(records[0]))
        writer.writeheader()
        for i, record in enumerate(records[:3]):
            writer.writerow({**record, "record_number": f"IMP-{i}"})
    database = open_database(DatabaseLocation(url=postgres_url))
    try:
        with database.session(read_only=True) as s:
            before = s.scalar(select(func.count()).select_from(Participant))
    finally:
        database.close()
    imported = run("--db", url, "--user", "supervisor", "import", "participants", str(fresh),
                   password=ADMIN_PW)  # fmt: skip
    assert imported.code == 0, imported.err
    database = open_database(DatabaseLocation(url=postgres_url))
    try:
        with database.session(read_only=True) as s:
            after = s.scalar(select(func.count()).select_from(Participant))
    finally:
        database.close()
    assert after == (before or 0) + 3

    upgrade = run("--db", url, "db", "upgrade")
    assert upgrade.code == 0 and "already up to date" in upgrade.out

    # File-only commands say where a server's equivalent lives.
    backup = run("--db", url, "db", "backup", str(tmp_path / "b.db"))
    one_line_error(backup, "pg_dump")
    restore = run("--db", url, "db", "restore", str(tmp_path / "b.db"))
    one_line_error(restore, "pg_restore")


def test_a_wrong_password_is_refused_and_not_stored(
    run: Runner, postgres_url: str, memory_keyring: MemoryKeyring
) -> None:
    url = without_password(postgres_url)
    result = run("--db", url, "db", "set-password", "--password-stdin", stdin="not-it\n")
    one_line_error(result, "role or password")
    assert memory_keyring.get_password(keystore.KEYRING_SERVICE, server_password_entry(url)) is None
    assert "not-it" not in result.err


def test_no_password_anywhere_says_how_to_store_one(run: Runner, postgres_url: str) -> None:
    result = run("--db", without_password(postgres_url), "db", "check")
    one_line_error(result, "set-password")


def test_tls_options_reach_the_driver(run: Runner, postgres_url: str) -> None:
    # The throwaway server has no certificate: "require" must fail in the TLS
    # handshake (so the option arrived), "disable" must connect.
    required = run("--db", postgres_url + "?sslmode=require", "db", "init")
    one_line_error(required, "SSL")
    allowed = run("--db", postgres_url + "?sslmode=disable", "db", "init")
    assert allowed.code == 0, allowed.err


def test_a_server_that_is_not_there_is_one_line(
    run: Runner, postgres_server: PostgresServer
) -> None:
    url = f"postgresql+psycopg://casebook_app@127.0.0.1:{postgres_server.port}/no_such_db"
    result = run("--db", url, "db", "check")
    one_line_error(result, "no_such_db")
    result = run("--db", "postgresql+psycopg://u@127.0.0.1:1/x?connect_timeout=2", "db", "check")
    one_line_error(result, "Cannot connect")


def test_the_readmes_pg_dump_and_pg_restore_round_trip(
    run: Runner, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """Server-side backup as the README describes it, restored into a new database
    that the program opens and checks, records and audit chain intact."""
    server = postgres_server
    with server.fresh_database(None) as source, server.fresh_database(None) as target:
        assert run("--db", source, "db", "init").code == 0
        seeded = run("--db", source, "demo", "seed", "--participants", "8", "--password", ADMIN_PW)
        assert seeded.code == 0, seeded.err
        dump = tmp_path / "casebook.dump"
        env = {**os.environ, "PGPASSWORD": make_url(source).password or ""}
        connect = ["-h", "127.0.0.1", "-p", str(server.port), "-U", make_url(source).username or ""]
        subprocess.run(
            [str(server.bindir / "pg_dump"), *connect, "--format=custom", f"--file={dump}",
             make_url(source).database or ""],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [str(server.bindir / "pg_restore"), *connect, "--no-owner", "--exit-on-error",
             "-d", make_url(target).database or "", str(dump)],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        check = run("--db", target, "db", "check")
        assert check.code == 0, check.out + check.err

        def counts(url: str) -> tuple[int | None, int | None]:
            database = open_database(DatabaseLocation(url=url))
            try:
                with database.session(read_only=True) as s:
                    return (
                        s.scalar(select(func.count()).select_from(Participant)),
                        s.scalar(select(func.count()).select_from(AuditEvent)),
                    )
            finally:
                database.close()

        assert counts(target) == counts(source)
        # The restored database keeps refusing what the original refused.
        restored = open_database(DatabaseLocation(url=target))
        try:
            with pytest.raises(DBAPIError, match="append-only"), restored.engine.begin() as c:
                c.execute(text("DELETE FROM audit_event"))
        finally:
            restored.close()


@pytest.mark.real_keyring
def test_the_password_in_the_real_secret_service(run: Runner, postgres_url: str) -> None:
    from keyring.backends import SecretService

    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.skip(
            "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset); run under "
            "dbus-run-session with an unlocked gnome-keyring-daemon (tests/run.py)"
        )
    try:
        SecretService.Keyring.priority  # noqa: B018 - raises when no Secret Service answers
    except Exception as exc:
        pytest.skip(f"no Secret Service reachable on the session bus: {exc}")

    password = make_url(postgres_url).password or ""
    url = without_password(postgres_url)
    entry = server_password_entry(url)
    backend = SecretService.Keyring()
    with installed_keyring(backend):
        try:
            stored = run("--db", url, "db", "set-password", "--password-stdin", stdin=password)
            assert stored.code == 0, stored.err
            assert backend.get_password(keystore.KEYRING_SERVICE, entry) == password
            init = run("--db", url, "db", "init")
            assert init.code == 0, init.err
        finally:
            with contextlib.suppress(Exception):
                backend.delete_password(keystore.KEYRING_SERVICE, entry)
