"""Render the main screens to PNG files, offscreen, on a fresh demo database.

    .venv/bin/python tests/screenshots.py [--out docs/screenshots] [--size 1366x768 ...]

Signs in as each demo account (peer specialist, supervisor, administrator), shows
every page that account has, opens a participant and shows each workspace tab,
and writes ``<size>/<account>-<page>.png``. The README's screenshots are made by
this command; look at every file after running it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from casebook.database import Database, create_database
from casebook.db import DatabaseLocation
from casebook.demo import seed_demo
from casebook.security import keystore
from casebook.security.passwords import hash_password
from casebook.security.permissions import Actor
from casebook.services import caseload, users
from ui.context import AppContext
from ui.login import DEMO_LOGINS, DEMO_PASSWORD, LoginDialog
from ui.main_window import DISCARD, PARTICIPANT_PAGE, MainWindow
from ui.pages import install_all
from ui.settings import Settings, install_settings
from ui.tasks import TaskRunner
from ui.theme import apply_theme


def settle(app: QApplication, ctx: AppContext, seconds: float = 0.4) -> None:
    """Let every load finish and the widgets repaint."""
    end = time.monotonic() + seconds
    while True:
        ctx.runner.wait_all(30_000)
        app.processEvents()
        if ctx.runner.active_count == 0 and time.monotonic() >= end:
            return
        time.sleep(0.02)


def save(widget: QWidget, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(path))
    print(path)


def first_participant(db: Database, actor: Actor) -> int:
    with db.session(read_only=True) as session:
        rows = caseload.caseload_rows(session, actor)
    # Someone with a plan, notes and a referral makes the fullest workspace.
    rows = sorted(rows, key=lambda r: (-(r.open_referrals or 0), r.record_number))
    return rows[0].participant_id


def shoot(out: Path, sizes: list[tuple[int, int]], participants: int) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    folder = Path(tempfile.mkdtemp(prefix="casebook-shots-"))
    prefs = Settings(QSettings(str(folder / "prefs.ini"), QSettings.Format.IniFormat))
    install_settings(prefs)
    apply_theme(app, "light")
    location = DatabaseLocation(url="sqlite://", path=folder / "demo.db")
    db = create_database(location, key_hex=keystore.generate_key())
    with db.session() as session:
        seed_demo(
            session, participants=participants, seed=1, password_hash=hash_password(DEMO_PASSWORD)
        )
    ctx = AppContext(db, TaskRunner())
    install_all()
    login = LoginDialog(ctx, prefs=prefs)
    login.show()
    settle(app, ctx)
    save(login, out / "login.png")
    login.close()
    for username in DEMO_LOGINS:
        with db.session() as session:
            actor = users.authenticate(
                session, username, DEMO_PASSWORD, sleep=lambda _s: None
            ).raise_for_failure()
        ctx.set_actor(actor)
        window = MainWindow(ctx, prefs)
        window.ask_unsaved = lambda _action: DISCARD
        for width, height in sizes:
            size_dir = out / f"{width}x{height}"
            window.resize(width, height)
            window.show()
            settle(app, ctx)
            for spec in window.page_specs():
                if spec.key == PARTICIPANT_PAGE:
                    continue
                page = window.show_page(spec.key)
                settle(app, ctx)
                query = page.findChild(QLineEdit, "noteSearchQuery") if page else None
                if query is not None:
                    # An empty search page says little; show what a search looks like.
                    QTest.keyClicks(query, "housing")
                    settle(app, ctx, 0.8)
                save(window, size_dir / f"{username}-{spec.key}.png")
            if actor.sees_clinical:
                window.open_participant.emit(first_participant(db, actor))
                settle(app, ctx, 0.8)
                host = window.page(PARTICIPANT_PAGE)
                workspace = host.current_workspace() if host is not None else None  # type: ignore[attr-defined]
                if workspace is not None:
                    for index in range(workspace.tabs.count()):
                        workspace.tabs.setCurrentIndex(index)
                        settle(app, ctx, 0.5)
                        title = workspace.tabs.tabText(index).replace("&", "")
                        slug = "-".join(title.lower().split())
                        save(window, size_dir / f"{username}-participant-{index}-{slug}.png")
        window.lock()
        settle(app, ctx)
        save(window, out / f"lock-{username}.png")
        window.close()
        window.deleteLater()
        ctx.set_actor(None)
        settle(app, ctx)
    ctx.runner.shutdown(30_000)
    db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots", type=Path)
    parser.add_argument("--size", action="append", default=[], metavar="WxH")
    parser.add_argument("--participants", type=int, default=120)
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.size] or [(1366, 768), (1920, 1080)]
    shoot(args.out, [(w, h) for w, h in sizes], args.participants)
    return 0


if __name__ == "__main__":
    sys.exit(main())
