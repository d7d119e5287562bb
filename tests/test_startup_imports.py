"""What the program loads before its login window: the ORM models and the services wait
until the window is up (they load in the background while the person types). A module
that starts importing them at the top of the window's start-up code again would add
about 0.1 s to every start; the benchmark measures the time, this test names the
culprit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_login_window_needs_neither_the_models_nor_the_services() -> None:
    probe = (
        "import sys\n"
        "import ui.app\n"
        "heavy = sorted(m for m in sys.modules\n"
        "               if m == 'models' or m.startswith(('models.', 'casebook.services.')))\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "", f"loaded before the login window: {done.stdout}"


def test_preloading_brings_the_accounts_service() -> None:
    probe = (
        "import sys\n"
        "from ui.login import preload_services\n"
        "preload_services()\n"
        "print('casebook.services.users' in sys.modules and 'models' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "True"
