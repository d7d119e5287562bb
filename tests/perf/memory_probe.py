"""Peak memory with the full database open and the whole caseload shown.

Run by ``bench.py`` in a fresh process (so the build and the other figures do
not count): ``python tests/perf/memory_probe.py DATABASE``. Prints the peak
resident set size in megabytes as its last line.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_data import KEY_HEX
from bench_figures import CaseloadScreen, actor

from casebook.database import open_database
from casebook.db import DatabaseLocation


def main(path: Path) -> None:
    db = open_database(DatabaseLocation(url="sqlite://", path=path), key_hex=KEY_HEX)
    try:
        screen = CaseloadScreen()
        screen.load(db, actor(db, "supervisor"))
        # Scroll through the whole table so every row's text has been formatted once.
        bar = screen.view.verticalScrollBar()
        for value in range(0, bar.maximum() + 1, max(1, bar.pageStep())):
            bar.setValue(value)
            screen.app.processEvents()
        screen.close()
    finally:
        db.close()
    print(f"{peak_megabytes():.1f}")


def peak_megabytes() -> float:
    """Peak resident set size of this process image, in MB.

    On Linux, ru_maxrss survives exec: a child started from the (large) benchmark
    process reports the parent's size at fork time. VmHWM belongs to the memory
    map created by exec, so it counts only this program.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


if __name__ == "__main__":
    main(Path(sys.argv[1]))
