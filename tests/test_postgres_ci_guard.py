"""CI refuses a green run in which the PostgreSQL tests were skipped (conftest's
session-finish check): proven both ways on one small test run in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from postgres_server import PostgresServer

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
ONE_TEST = "tests/test_counselors.py::test_create_update_and_deactivate"


def _pytest(bindir: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CASEBOOK_REQUIRE_POSTGRES": "1",
        "CASEBOOK_PG_BINDIR": bindir,
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.pop("CASEBOOK_REQUIRE_REAL_KEYRING", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", ONE_TEST, "-q", "-p", "no:randomly"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_run_without_postgres_fails_when_ci_requires_it(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    bindir = postgres_server.bindir

    missing = _pytest(str(tmp_path / "no-postgres-here"))
    assert missing.returncode != 0, missing.stdout
    assert "1 passed, 1 skipped" in missing.stdout  # the SQLite half still ran
    assert "postgres: 0 passed, 1 skipped (CASEBOOK_REQUIRE_POSTGRES=1" in missing.stdout

    present = _pytest(str(bindir))
    assert present.returncode == 0, present.stdout[-2000:]
    assert "2 passed" in present.stdout
