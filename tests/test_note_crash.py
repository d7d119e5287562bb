"""A draft survives the program being killed (kill -9) while autosaving, and is
offered back on the next start."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD
from sqlalchemy import text

from casebook.database import create_database, open_database
from casebook.db import DatabaseLocation
from casebook.services import notes as N
from casebook.services import participants as P
from casebook.services import users

# The child autosaves a draft as fast as it can and reports each save only
# after its unit of work has committed.
CHILD = r"""
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from casebook.database import open_database
from casebook.db import DatabaseLocation
from casebook.security.permissions import Actor
from casebook.services import notes as N

path, actor_id, participant_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
actor = Actor(actor_id, "peer1", "Pat Peer", "specialist")
db = open_database(DatabaseLocation(url="sqlite://", path=Path(path)))
when = datetime.now(UTC) - timedelta(minutes=30)
note_id = version = None
counter = 0
while True:
    counter += 1
    content = N.NoteContent(
        occurred_at=when, duration_minutes=30,
        sections={"goal": f"autosave {counter}", "response": "typing " * (counter % 50)})
    with db.session() as s:
        saved = N.save_draft(s, actor, participant_id, content, note_id=note_id,
                             expected_version=version)
    note_id, version = saved.note_id, saved.version
    print(note_id, counter, flush=True)
"""

KEY = "5e" * 32


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_draft_survives_kill_9(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBOOK_DB_KEY", KEY)  # the child inherits it: same database key
    path = tmp_path / "crash.db"
    db = create_database(DatabaseLocation(url="sqlite://", path=path))
    with db.session() as s:
        users.create_first_admin(s, "admin", "Ada Admin", TEST_PASSWORD)
    with db.session() as s:
        admin = users.authenticate(
            s, "admin", TEST_PASSWORD, sleep=lambda _: None
        ).raise_for_failure()
        users.create_user(
            s,
            admin,
            username="peer1",
            display_name="Pat Peer",
            role="specialist",
            password=TEST_PASSWORD,
        )
    with db.session() as s:
        peer = users.authenticate(
            s, "peer1", TEST_PASSWORD, sleep=lambda _: None
        ).raise_for_failure()
        fields = P.parse_participant_fields(
            {"legal_name": "Zoë Example", "date_of_birth": "1990-01-02"}
        )
        pid = P.create_participant(s, peer, fields).id
    db.close()

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(peer.id), str(pid)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reported: list[tuple[int, int]] = []
    try:
        deadline = time.monotonic() + 60
        while len(reported) < 25 and time.monotonic() < deadline:
            line = child.stdout.readline() if child.stdout else ""
            if not line:
                break
            note_id, counter = (int(x) for x in line.split())
            reported.append((note_id, counter))
        # Mid-autosave: the next transaction may be half-written when it dies.
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    stderr = child.stderr.read() if child.stderr else ""
    assert len(reported) == 25, f"the child stopped early: {stderr[-2000:]}"
    assert child.returncode == -signal.SIGKILL
    note_id, last_reported = reported[-1]
    assert {n for n, _ in reported} == {note_id}  # one draft, saved again and again

    db = open_database(DatabaseLocation(url="sqlite://", path=path))
    try:
        with db.session() as s:
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            # The full-text index still agrees with the notes (raises if not).
            s.execute(text("INSERT INTO note_fts(note_fts, rank) VALUES ('integrity-check', 1)"))
            drafts = N.list_drafts(s, peer)
            detail = N.get_note(s, peer, note_id)
        assert [d.note_id for d in drafts] == [note_id]
        assert drafts[0].participant_name == "Zoë Example"
        # At least the last reported save is there (the child may have committed
        # one more after its last line was read, never fewer).
        saved_counter = int(detail.sections["goal"].removeprefix("autosave "))
        assert saved_counter >= last_reported
        assert drafts[0].preview.startswith(f"autosave {saved_counter}")
        assert detail.status == "draft" and detail.version >= last_reported
    finally:
        db.close()
