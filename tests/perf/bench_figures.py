"""Each benchmark figure: set up (not timed), then the timed part, several times.

Every function returns a list of samples in seconds (or megabytes for memory);
``bench.py`` turns them into medians or 95th percentiles. Service calls go
through ``session_scope`` exactly as the window's worker does, commit included,
because a specialist waits for the commit too.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench_baselines import RawCaseload, draw_lines, pdf_lines
from bench_data import KEY_HEX, PASSWORD, TODAY, Dataset
from sqlalchemy import func, select

from casebook.database import Database, create_database
from casebook.db import DatabaseLocation
from casebook.security.permissions import Actor, actor_for
from models import CaseAssignment, StaffUser, utcnow

ROOT = Path(__file__).resolve().parents[2]

# Words and phrases from the demo's note text, common and rare, whole and prefix,
# plus one that matches nothing.
SEARCHES = (
    "meeting",
    "craving",
    "breathing",
    "pharmacy",
    "housing",
    "sleep log",
    "urge surfing",
    "roommate",
    "nightmares",
    "bus schedule",
    "grounding",
    "prescriber",
    "cop",
    "relapse",
    "Tuesday group",
    "xylophone",
)


def actor(db: Database, username: str) -> Actor:
    with db.session(read_only=True) as session:
        user = session.scalars(select(StaffUser).where(StaffUser.username == username)).one()
        return actor_for(user)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ----------------------------------------------------------------------------- start-up


def cold_start(dataset: Dataset, repeats: int, home: Path) -> list[float]:
    """The program from ``python main.py`` to the login window, in a fresh process.

    The process prints the moment its login window is up (``ui.app``'s
    ``CASEBOOK_EXIT_AFTER_LOGIN_SHOWN`` hook) and then quits. A private home
    folder keeps the run away from this account's preferences and keyring.
    """
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        CASEBOOK_EXIT_AFTER_LOGIN_SHOWN="1",
        CASEBOOK_DB_KEY=KEY_HEX,
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
    )
    env.pop("CASEBOOK_DB", None)
    # An installed program starts from compiled bytecode; a shell that forbids writing
    # it would have every start compile the modules again (~70 ms here). One launch
    # before the measured ones writes the bytecode and warms the file cache, as any
    # earlier use of the program would have.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    samples = []
    for attempt in range(repeats + 1):
        start = time.time()
        done = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "--db", str(dataset.path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=home,
        )
        shown = [
            line for line in done.stdout.splitlines() if line.startswith("login window shown at ")
        ]
        if done.returncode != 0 or not shown:
            raise RuntimeError(
                f"the program did not reach its login window "
                f"(exit {done.returncode}): {done.stderr.strip()[-500:]}"
            )
        if attempt > 0:
            samples.append(float(shown[-1].rsplit(" ", 1)[1]) - start)
    return samples


def open_and_query(dataset: Dataset, repeats: int) -> list[float]:
    """Open the encrypted file (key, schema check) and run the login's first query."""
    from casebook.services import users

    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        db = dataset.open()
        with db.session(read_only=True) as session:
            users.count_users(session)
        samples.append(time.perf_counter() - start)
        db.close()
    return samples


# ----------------------------------------------------------------------------- caseload


class CaseloadScreen:
    """The caseload table as the window has it: model, filter proxy, a shown view."""

    def __init__(self) -> None:
        from PySide6.QtWidgets import QApplication, QTableView

        from ui.caseload_model import CaseloadFilterProxy, CaseloadModel
        from ui.caseload_view import setup_table
        from ui.tasks import GuiThreadCollector

        self.app = QApplication.instance() or QApplication([])
        # The program's garbage collection, as ui.app sets it up: cycles are collected
        # on the GUI thread by a timer, and what start-up made is frozen once the
        # window is up (see GuiThreadCollector).
        collector = self.app.findChild(GuiThreadCollector) or GuiThreadCollector(self.app)
        self.collector = collector
        self.model = CaseloadModel()
        self.proxy = CaseloadFilterProxy()
        self.proxy.setSourceModel(self.model)
        self.view = QTableView()
        setup_table(self.view, "Caseload")
        self.view.setModel(self.proxy)
        self.view.resize(1366, 700)
        self.view.show()
        self.app.processEvents()
        collector.freeze_survivors()

    def load(self, db: Database, who: Actor) -> int:
        from ui.caseload_model import load_caseload

        with db.session(read_only=True) as session:
            prepared = load_caseload(session, who, include_discharged=True)
        self.model.set_caseload(prepared)
        self.app.processEvents()
        return len(prepared.rows)

    def type_text(self, text: str) -> None:
        self.proxy.set_search_text(text)
        self.app.processEvents()

    def close(self) -> None:
        self.view.close()
        self.view.deleteLater()
        self.app.processEvents()
        # The figures after this one (reports, import) run as the command line does.
        self.collector.stop()
        self.collector.deleteLater()
        gc.unfreeze()


def caseload(
    db: Database, who: Actor, screen: CaseloadScreen, repeats: int
) -> tuple[list[float], int]:
    samples = [timed(lambda: screen.load(db, who)) for _ in range(repeats)]
    return samples, screen.model.rowCount()


def caseload_baseline(dataset: Dataset, who: Actor, repeats: int) -> list[float]:
    raw = RawCaseload(dataset.path, KEY_HEX)
    try:
        now = utcnow()
        return [timed(lambda: raw.rows(who.id, now)) for _ in range(repeats)]
    finally:
        raw.close()


def filter_keystrokes(screen: CaseloadScreen, rounds: int) -> list[float]:
    """Type a name's first letters one at a time, then delete them one at a time."""
    names = [screen.model.row_at(row).display_name for row in range(screen.model.rowCount())]
    samples = []
    for index in range(rounds):
        # Names spread over the table, so the typed letters vary between rounds.
        word = names[(index * 7919) % len(names)].split()[0][:4] if names else "mar"
        steps = [word[:n] for n in range(1, len(word) + 1)]
        steps += [word[:n] for n in range(len(word) - 1, -1, -1)]
        for text in steps:
            start = time.perf_counter()
            screen.type_text(text)
            samples.append(time.perf_counter() - start)
    return samples


# ----------------------------------------------------------------------------- workspace

# The data each workspace tab loads when first shown, by tab key: the same function
# the tab hands to ctx.submit, and whether it writes (an audited view).
_TAB_LOADERS: dict[str, tuple[str, str, tuple[Any, ...], dict[str, Any]]] = {
    "plan": ("ui.plan_tab", "load_plan_state", (None,), {"audit_view": True}),
    "notes": ("ui.notes_tab", "load_notes", (), {}),
    "referrals": ("ui.referral_models", "load_referrals", (), {}),
    "assessments": ("ui.assessments_tab", "load_assessments", (), {"audit_view": True}),
    "consents": ("casebook.services.consents", "list_consents", (), {}),
}


def tab_loaders() -> tuple[
    list[tuple[str, Callable[..., Any], tuple[Any, ...], dict[str, Any]]], list[str]
]:
    """The loaders of the tabs registered in this checkout, and the tab keys without one."""
    import importlib

    from ui import workspace
    from ui.pages import install_all

    install_all()
    found = []
    missing = []
    for tab in workspace.WORKSPACE_TABS:
        spec = _TAB_LOADERS.get(tab.key)
        if spec is None:
            missing.append(tab.key)
            continue
        module, name, args, kwargs = spec
        found.append((tab.key, getattr(importlib.import_module(module), name), args, kwargs))
    return found, missing


def workspace(
    db: Database,
    who: Actor,
    participant_ids: Sequence[int],
    loaders: list[tuple[str, Callable[..., Any], tuple[Any, ...], dict[str, Any]]],
) -> list[float]:
    """Profile and history (audited as a view), then every tab's data, one unit of
    work each as the window's workers run them."""
    from ui.workspace import load_workspace

    samples = []
    for pid in participant_ids:
        start = time.perf_counter()
        with db.session() as session:
            load_workspace(session, who, pid, audit_view=True)
        for _key, loader, args, kwargs in loaders:
            with db.session() as session:
                loader(session, who, pid, *args, **kwargs)
        samples.append(time.perf_counter() - start)
    return samples


def sample_participants(db: Database, who: Actor, count: int) -> list[int]:
    """Up to *count* participants on *who*'s caseload (a supervisor: the whole team's),
    spread over the id range; the same ones in every run."""
    stmt = select(CaseAssignment.participant_id).where(CaseAssignment.end_date.is_(None))
    if not who.supervises:
        stmt = stmt.where(CaseAssignment.specialist_id == who.id)
    with db.session(read_only=True) as session:
        ids = list(session.scalars(stmt.order_by(CaseAssignment.participant_id)))
    step = max(1, len(ids) // max(1, count))
    return ids[::step][:count]


def first_own_participant(db: Database, who: Actor) -> int:
    """The lowest-numbered participant on *who*'s own caseload."""
    with db.session(read_only=True) as session:
        pid = session.scalar(
            select(CaseAssignment.participant_id)
            .where(CaseAssignment.specialist_id == who.id, CaseAssignment.end_date.is_(None))
            .order_by(CaseAssignment.participant_id)
            .limit(1)
        )
    if pid is None:
        raise RuntimeError(f"{who.username} has no participants")
    return pid


# ----------------------------------------------------------------------------- notes


def note_search(db: Database, who: Actor, rounds: int) -> list[float]:
    from casebook.services.note_search import search_notes

    samples = []
    for _ in range(rounds):
        for query in SEARCHES:
            start = time.perf_counter()
            with db.session() as session:  # audited: a write
                search_notes(session, who, query)
            samples.append(time.perf_counter() - start)
    return samples


def sign_notes(db: Database, who: Actor, participant_id: int, repeats: int) -> list[float]:
    """Sign a fresh draft each time; writing the draft is not timed."""
    from casebook.services import notes

    samples = []
    for index in range(repeats):
        content = notes.NoteContent(
            occurred_at=utcnow() - timedelta(hours=1, minutes=index),
            duration_minutes=45,
            sections={
                "goal": "Stay connected to the Tuesday meeting.",
                "intervention": "Reviewed the meeting list and the bus schedule together.",
                "response": "Went to two meetings this week and shared once.",
                "plan": "Try the Thursday meeting; I will text a reminder that morning.",
            },
        )
        with db.session() as session:
            draft = notes.save_draft(session, who, participant_id, content)
        start = time.perf_counter()
        with db.session() as session:
            notes.sign_note(session, who, draft.note_id)
        samples.append(time.perf_counter() - start)
    return samples


# ----------------------------------------------------------------------------- reports


def reports_available() -> str | None:
    """None when both report modules import, else why not."""
    import importlib

    for module, name in (
        ("casebook.reports.participant_summary", "build_participant_summary"),
        ("casebook.reports.caseload", "build_caseload_report"),
    ):
        try:
            if not hasattr(importlib.import_module(module), name):
                return f"{module} has no {name}"
        except ImportError as exc:
            return f"{module} cannot be imported ({exc})"
    return None


def participant_summary(
    db: Database, who: Actor, participant_ids: Sequence[int], out: Path
) -> tuple[list[float], list[float]]:
    """Summary PDFs of several participants, and the same strings on a bare canvas."""
    from casebook.reports.participant_summary import build_participant_summary

    samples, baseline = [], []
    for pid in participant_ids:
        pdf = out / f"summary-{pid}.pdf"
        start = time.perf_counter()
        with db.session() as session:
            build_participant_summary(session, who, pid, pdf, last_notes=5)
        samples.append(time.perf_counter() - start)
        baseline.append(draw_lines(pdf_lines(pdf), out / f"summary-{pid}-bare.pdf"))
    return samples, baseline


def specialists_for(db: Database, participants: int) -> tuple[list[int], int]:
    """Specialists whose caseloads add up to about *participants* (lowest ids first)."""
    with db.session(read_only=True) as session:
        counts = session.execute(
            select(CaseAssignment.specialist_id, func.count())
            .where(CaseAssignment.end_date.is_(None))
            .group_by(CaseAssignment.specialist_id)
            .order_by(CaseAssignment.specialist_id)
        ).all()
    chosen, total = [], 0
    for specialist, count in counts:
        if total >= participants:
            break
        chosen.append(specialist)
        total += count
    return chosen, total


def caseload_reports(
    db: Database, who: Actor, caseloads: list[list[int]], repeats: int, out: Path
) -> list[tuple[list[float], list[float]]]:
    """(samples, baseline samples) of the caseload report for each set of specialists.

    The sizes take turns, round after round, so a drift in the machine's speed during
    the measurement (this shared machine's varies by a third within minutes) falls on
    all of them alike and their ratio compares the work, not the moment.
    """
    from casebook.reports.caseload import build_caseload_report

    pdfs = [out / f"caseload-{index}.pdf" for index in range(len(caseloads))]
    samples: list[list[float]] = [[] for _ in caseloads]
    for _ in range(repeats):
        for index, specialist_ids in enumerate(caseloads):
            start = time.perf_counter()
            with db.session() as session:
                build_caseload_report(
                    session,
                    who,
                    pdfs[index],
                    profile="minimum",
                    specialist_ids=specialist_ids,
                    today=TODAY,
                )
            samples[index].append(time.perf_counter() - start)
    lines = [pdf_lines(pdf) for pdf in pdfs]
    baselines: list[list[float]] = [[] for _ in caseloads]
    for _ in range(repeats):
        for index, text in enumerate(lines):
            baselines[index].append(draw_lines(text, out / f"caseload-{index}-bare.pdf"))
    return list(zip(samples, baselines, strict=True))


# ----------------------------------------------------------------------------- import


def import_csv(db: Database, who: Actor, rows: int) -> bytes:
    """*rows* participants in the import's columns: the database's own export, repeated
    under new record numbers and assigned to the two specialists of an empty clinic."""
    from casebook.services.participant_csv import export_participants

    with db.session() as session:
        exported = export_participants(session, who)
    reader = csv.DictReader(io.StringIO(exported.lstrip("\ufeff")))
    source = list(reader)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    for index in range(rows):
        row = dict(source[index % len(source)])
        row["record_number"] = f"IMP-{index + 1:06d}"
        row["specialist"] = "peer1" if index % 2 else "peer2"
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def import_rows(data: bytes, repeats: int, work: Path) -> list[float]:
    """Import into a fresh, empty clinic each time (schema and staff accounts only)."""
    from casebook.demo import seed_demo
    from casebook.security.passwords import hash_password
    from casebook.services.participant_csv import import_participants

    password_hash = hash_password(PASSWORD)
    samples = []
    for index in range(repeats):
        path = work / f"import-{index}.db"
        db = create_database(DatabaseLocation(url="sqlite://", path=path), key_hex=KEY_HEX)
        try:
            with db.session() as session:
                seed_demo(session, participants=0, seed=1, password_hash=password_hash, today=TODAY)
            supervisor = actor(db, "supervisor")
            start = time.perf_counter()
            with db.session() as session:
                import_participants(session, supervisor, data, today=TODAY)
            samples.append(time.perf_counter() - start)
        finally:
            db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return samples


# ----------------------------------------------------------------------------- memory


def peak_memory(dataset: Dataset) -> float:
    """Peak resident memory (MB) of a fresh process that opens the database and
    shows the whole caseload (``memory_probe.py``)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory() as home:
        env["HOME"] = home
        done = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("memory_probe.py")), str(dataset.path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=ROOT,
        )
    if done.returncode != 0:
        raise RuntimeError(f"memory probe failed: {done.stderr.strip()[-500:]}")
    return float(done.stdout.strip().splitlines()[-1])
