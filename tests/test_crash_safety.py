"""The database survives the program being killed at any moment and a disk that fills up.

A child process writes as fast as it can and reports each unit of work only after it
committed; the test kills it (SIGKILL) at random moments, many times, and then proves
the file passes every check of ``db check`` and holds exactly what had committed.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD
from sqlalchemy import func, select

from casebook.database import Database, create_database, open_database
from casebook.db import DatabaseLocation
from casebook.maintenance import check_database
from casebook.security.permissions import Actor
from casebook.services import users
from models.participant import Participant

pytestmark = [
    pytest.mark.sqlite_only,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and rlimits are POSIX"),
]

KEY = "7c" * 32

_OPEN = r"""
import sys
from pathlib import Path
from casebook.database import open_database
from casebook.db import DatabaseLocation
from casebook.security.permissions import Actor
path, actor_id = sys.argv[1], int(sys.argv[2])
actor = Actor(actor_id, "peer1", "Pat Peer", "specialist")
db = open_database(DatabaseLocation(url="sqlite://", path=Path(path)))
"""

# One participant and one signed note per unit of work; "done N" only after commit.
BURST = (
    _OPEN
    + r"""
from datetime import UTC, date, datetime, timedelta
from casebook.services import notes as N
from casebook.services import participants as P
start = int(sys.argv[3])
i = start
while True:
    i += 1
    with db.session() as s:
        fields = P.parse_participant_fields({
            "record_number": f"K-{i:06d}", "legal_name": f"Ünïcode Person {i}",
            "date_of_birth": "1985-03-04", "intake_date": "2026-01-05"})
        pid = P.create_participant(s, actor, fields).id
        content = N.NoteContent(occurred_at=datetime.now(UTC) - timedelta(hours=1),
                                duration_minutes=20,
                                sections={"goal": f"note {i}", "intervention": "talked",
                                          "response": "engaged", "plan": "call Friday"})
        saved = N.save_draft(s, actor, pid, content)
        N.sign_note(s, actor, saved.note_id, expected_version=saved.version)
    print("done", i, flush=True)
"""
)

# One all-or-nothing import of many rows; "done" only after it committed.
IMPORT = (
    _OPEN
    + r"""
from casebook.services.participant_csv import import_participants
rows = ["record_number,legal_name,date_of_birth,intake_date"]
rows += [f"I-{n:06d},\"Name, Quoted {n}\",1990-01-01,2026-02-03" for n in range(int(sys.argv[3]))]
print("ready", flush=True)
with db.session() as s:
    import_participants(s, actor, ("\n".join(rows) + "\n").encode())
print("done", flush=True)
"""
)

# Fill the disk (a file-size limit) one unit of work at a time.
FULL_DISK = (
    _OPEN
    + r"""
import resource, signal
from casebook.services import participants as P
from casebook.errors import CasebookError
from ui.messages import describe
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a dead process
size = sum(p.stat().st_size for p in Path(path).parent.glob(Path(path).name + "*"))
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 256 * 1024, resource.RLIM_INFINITY))
i = 0
while i < 100000:
    i += 1
    try:
        with db.session() as s:
            fields = P.parse_participant_fields({
                "record_number": f"F-{i:06d}", "legal_name": "Long Name " + "x" * 150,
                "date_of_birth": "1985-03-04", "intake_date": "2026-01-05",
                "address": "y" * 480})
            P.create_participant(s, actor, fields)
    except Exception as exc:
        print("failed", i, describe(exc).replace("\n", " "), flush=True)
        break
    print("done", i, flush=True)
"""
)


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Actor]]:
    monkeypatch.setenv("CASEBOOK_DB_KEY", KEY)  # the children inherit the key
    path = tmp_path / "crash.db"
    db = create_database(DatabaseLocation(url="sqlite://", path=path))
    with db.session() as s:
        users.create_first_admin(s, "admin", "Ada Admin", TEST_PASSWORD)
    with db.session() as s:
        admin = users.authenticate(s, "admin", TEST_PASSWORD, sleep=lambda _: None)
        users.create_user(
            s,
            admin.raise_for_failure(),
            username="peer1",
            display_name="Pat Peer",
            role="specialist",
            password=TEST_PASSWORD,
        )
    with db.session() as s:
        peer = users.authenticate(s, "peer1", TEST_PASSWORD, sleep=lambda _: None)
    db.close()
    yield path, peer.raise_for_failure()


def start(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_lines_until(child: subprocess.Popen[str], stop_after: float) -> list[str]:
    """Lines the child printed until *stop_after* seconds after its first line."""
    assert child.stdout is not None
    lines: list[str] = []
    first = child.stdout.readline()
    if not first:
        return lines
    lines.append(first.strip())
    deadline = time.monotonic() + stop_after
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
    return lines


def kill(child: subprocess.Popen[str]) -> str:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    return child.stderr.read() if child.stderr else ""


def checked(path: Path) -> Database:
    db = open_database(DatabaseLocation(url="sqlite://", path=path))
    problems = [r for r in check_database(db) if not r.ok]
    assert problems == [], problems
    return db


def count(db: Database, prefix: str) -> int:
    with db.session(read_only=True) as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Participant)
                .where(Participant.record_number.like(f"{prefix}%"))
            )
            or 0
        )


def test_killed_mid_burst_many_times_keeps_exactly_what_committed(
    clinic: tuple[Path, Actor],
) -> None:
    path, peer = clinic
    chance = random.Random(20261201)
    committed = 0
    for _round in range(6):
        child = start(BURST, path, peer.id, committed)
        lines = read_lines_until(child, chance.uniform(0.05, 0.6))
        stderr = kill(child)
        done = [int(line.split()[1]) for line in lines if line.startswith("done")]
        assert done, f"the child wrote nothing: {stderr[-2000:]}"
        db = checked(path)
        try:
            held = count(db, "K-")
            with db.session(read_only=True) as s:
                numbers = sorted(
                    int(n.removeprefix("K-"))
                    for n in s.scalars(
                        select(Participant.record_number).where(
                            Participant.record_number.like("K-%")
                        )
                    )
                )
        finally:
            db.close()
        # Everything reported is there; at most the one unit in flight committed
        # after its line was read — and then all of it, never a part.
        assert held in (done[-1], done[-1] + 1)
        assert numbers == list(range(1, held + 1))
        committed = held


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_killed_mid_import_leaves_all_rows_or_none(clinic: tuple[Path, Actor], seed: int) -> None:
    path, peer = clinic
    rows = 3000
    child = start(IMPORT, path, peer.id, rows)
    lines = read_lines_until(child, random.Random(seed).uniform(0.0, 1.5))
    if child.poll() is None:
        kill(child)
    else:
        child.wait(timeout=30)
    assert lines and lines[0] == "ready"
    db = checked(path)
    try:
        held = count(db, "I-")
    finally:
        db.close()
    assert held in (0, rows)
    if "done" in lines:
        assert held == rows


def test_a_full_disk_rolls_back_says_so_and_loses_nothing_saved(
    clinic: tuple[Path, Actor],
) -> None:
    path, peer = clinic
    child = start(FULL_DISK, path, peer.id)
    out, err = child.communicate(timeout=180)
    lines = out.splitlines()
    assert lines and lines[-1].startswith("failed"), err[-2000:]
    done = [int(line.split()[1]) for line in lines if line.startswith("done")]
    message = lines[-1].lower()
    assert "disk is full" in message or "disk refused the write" in message, message
    assert "nothing was saved" in message
    assert "traceback" not in message
    db = checked(path)
    try:
        assert count(db, "F-") == (done[-1] if done else 0)
    finally:
        db.close()
