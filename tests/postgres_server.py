"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl on a temp directory.

The server listens on 127.0.0.1 only, on a free port, with its unix socket in
its own directory, and runs as an unprivileged user when the tests run as root
(PostgreSQL refuses to run as root). Tests connect as a plain login role that
owns its database, the way the README tells a clinic to set it up, so a
migration that needs superuser rights fails here before it fails at a clinic.

Every test gets its own database, cloned from a template that already holds
the migrated schema: CREATE DATABASE ... TEMPLATE copies files, which is far
quicker than running the migrations again.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

ROLE = "casebook_app"
TEMPLATE = "casebook_template"
# Not UTC on purpose: the program must not depend on the server's time zone.
SERVER_TIME_ZONE = "America/Chicago"
_SUPERUSER = "casebook_test_admin"
_WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, root, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
while True:
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        break
    time.sleep(1)
subprocess.run(stop, capture_output=True, check=False)
shutil.rmtree(root, ignore_errors=True)
"""


def find_postgres_bindir() -> Path | None:
    """The newest PostgreSQL server installation's bin directory, or None."""
    override = os.environ.get("CASEBOOK_PG_BINDIR")
    if override:  # authoritative: also how CI's "postgres tests skipped" check is tested
        bindir = Path(override)
        return bindir if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists() else None
    candidates: list[str] = []
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(versions, key=lambda p: int(Path(p).parent.name), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).resolve().parent))
    for candidate in candidates:
        bindir = Path(candidate)
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root, and neither a 'postgres' nor a 'nobody' user exists")


class PostgresServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="casebook-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log = self.root / "server.log"
        self.port = 0
        self.admin_password = secrets.token_hex(16)
        self.password = secrets.token_hex(16)
        self._numbers = itertools.count(1)
        self._started = False
        self._run_as: list[str] = []
        self._watchdog: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ lifecycle

    def _command(self, program: str, *args: str) -> list[str]:
        return [*self._run_as, str(self.bindir / program), *args]

    def _run(self, program: str, *args: str) -> None:
        proc = subprocess.run(
            self._command(program, *args),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,  # readable by the unprivileged user the server runs as
        )
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{program} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}\n{log}"
            )

    def start(self) -> None:
        self.socket_dir.mkdir()
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.admin_password + "\n")
        if os.geteuid() == 0:
            user = _unprivileged_user()
            entry = pwd.getpwnam(user)
            for path in (self.root, self.socket_dir, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            self._run_as = ["runuser", "-u", user, "--"]
        self._run(
            "initdb",
            "-D", str(self.data),
            "-U", _SUPERUSER,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            # A Unicode-aware ctype, as a clinic server has: lower() and ILIKE
            # must fold "Ł" and "Ễ", not just ASCII.
            "--locale=C.UTF-8",
            "--no-sync",
        )  # fmt: skip
        pwfile.unlink()
        self.port = _free_port()
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c port={self.port}",
                f"-c unix_socket_directories={self.socket_dir}",
                f"-c timezone={SERVER_TIME_ZONE}",
                # A throwaway server: durability buys nothing and costs minutes.
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
            "-o", options, "start",
        )  # fmt: skip
        self._started = True
        self._start_watchdog()
        self._admin_sql(
            f"CREATE ROLE {ROLE} LOGIN PASSWORD '{self.password}'",
            f"CREATE DATABASE {TEMPLATE} OWNER {ROLE}",
        )
        self._migrate(TEMPLATE)

    def _start_watchdog(self) -> None:
        # A test run killed outright (timeout, Ctrl-C twice, SIGKILL) never reaches
        # stop(); this detached helper stops the server once the run has gone, so
        # killed runs do not leave servers behind on a shared machine.
        stop = self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(self.root), *stop],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None
        if self._started:
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)

    # -------------------------------------------------------------------- access

    def url(self, database: str, *, password: bool = True, user: str = ROLE) -> str:
        secret = f":{self.password}" if password and user == ROLE else ""
        if password and user == _SUPERUSER:
            secret = f":{self.admin_password}"
        return f"postgresql+psycopg://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def _admin_sql(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=_SUPERUSER,
            password=self.admin_password,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            for statement in statements:
                conn.execute(statement.encode())

    def _migrate(self, database: str) -> None:
        from casebook import schema
        from casebook.db import DatabaseLocation, make_engine

        engine = make_engine(DatabaseLocation(url=self.url(database)))
        try:
            schema.init_schema(engine)
        finally:
            engine.dispose()

    def add_template(self, name: str, populate: Callable[[str], None]) -> None:
        """Make template *name*: a copy of the migrated schema, filled in by
        ``populate(url)``, which must close its connections before returning."""
        self._admin_sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} OWNER {ROLE}")
        populate(self.url(name))

    @contextlib.contextmanager
    def fresh_database(self, template: str | None = TEMPLATE) -> Iterator[str]:
        """A new database for one test, a copy of *template* (None: empty); dropped
        afterwards even if the test left connections open."""
        name = f"casebook_test_{next(self._numbers)}"
        self._admin_sql(
            f"CREATE DATABASE {name} TEMPLATE {template or 'template0'} OWNER {ROLE} "
            "STRATEGY FILE_COPY"  # quicker than WAL_LOG for small databases
        )
        try:
            yield self.url(name)
        finally:
            self._admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
