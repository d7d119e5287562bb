"""The benchmark's synthetic database: built once per configuration, then reused.

``casebook.demo.seed_demo`` makes the data (same seed, size and day give the
same database). A build of the full size takes about a minute, so the finished
file is kept in a cache folder under a name derived from everything that shapes
it: the sizes, the seed, and the source of the seeder and of the migrations.
Each run works on a copy, because the figures sign notes and write audit rows.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from casebook.database import Database, create_database, open_database
from casebook.db import DatabaseLocation

# A fixed raw key: the file holds only made-up people and lives in a temp folder.
KEY_HEX = "5eed" * 16
SEED = 7
# The seeded clinic's "today"; fixed so that the database does not depend on the date.
TODAY = date(2026, 11, 23)
PASSWORD = "bench lantern harbour pebble"

_ROOT = Path(__file__).resolve().parents[2]
# Files whose content changes the database a build produces.
_SOURCES = (
    "casebook/demo.py",
    "casebook/demo_names.py",
    "casebook/services/notes.py",
    "casebook/services/consents.py",
)


@dataclass(frozen=True)
class Dataset:
    path: Path
    participants: int
    notes: int
    #: Seconds the build took in this run, or None when the cached file was reused.
    build_seconds: float | None

    def location(self) -> DatabaseLocation:
        return DatabaseLocation(url="sqlite://", path=self.path)

    def open(self) -> Database:
        return open_database(self.location(), key_hex=KEY_HEX)


def _fingerprint(participants: int, notes: int) -> str:
    digest = hashlib.sha256(f"{participants}:{notes}:{SEED}:{TODAY}:{KEY_HEX}".encode())
    sources = [_ROOT / name for name in _SOURCES]
    sources += sorted((_ROOT / "casebook" / "migrations" / "versions").glob("*.py"))
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def _build(path: Path, participants: int, notes: int) -> None:
    from casebook.demo import seed_demo
    from casebook.security.passwords import hash_password

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = create_database(DatabaseLocation(url="sqlite://", path=path), key_hex=KEY_HEX)
    try:
        with db.session() as session:
            seed_demo(
                session,
                participants=participants,
                seed=SEED,
                password_hash=hash_password(PASSWORD),
                today=TODAY,
                notes=notes,
            )
    finally:
        # The last connection to close checkpoints the WAL into the file.
        db.close()


def prepare(
    participants: int, notes: int, cache_dir: Path, work_dir: Path, *, rebuild: bool = False
) -> Dataset:
    """A working copy of the database for this configuration (building it if needed)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_dir / f"bench-{participants}-{notes}-{_fingerprint(participants, notes)}.db"
    build_seconds: float | None = None
    if rebuild or not cached.exists():
        partial = cached.with_suffix(".partial")
        start = time.perf_counter()
        _build(partial, participants, notes)
        build_seconds = time.perf_counter() - start
        partial.replace(cached)
    copy = work_dir / "bench.db"
    shutil.copyfile(cached, copy)
    dataset = Dataset(copy, participants, 0, build_seconds)
    db = dataset.open()
    try:
        from models import SessionNote

        with db.session(read_only=True) as session:
            count = session.scalar(select(func.count()).select_from(SessionNote)) or 0
    finally:
        db.close()
    return Dataset(copy, participants, count, build_seconds)
