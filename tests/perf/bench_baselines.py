"""What the figures are compared with, measured in the same run on the same machine.

* The caseload query written by hand and run on the bare ``sqlcipher3`` module:
  no SQLAlchemy, no row objects, no Qt. The service's figure over this one is
  the price of everything above the database.
* The strings of a generated report drawn with a bare reportlab canvas: no
  layout, no tables, no queries. The report's figure over this one is the price
  of layout and data gathering.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path

from sqlcipher3 import dbapi2

from casebook.db import PAGE_CACHE_KIB

# The same columns and rows as casebook.services.caseload.caseload_rows as the window
# asks for them (a supervisor, include_discharged=True, no SQL ordering: the window
# sorts by display name itself). The activity columns come from the row the database
# keeps per participant (migration 0008). Visibility: own, emergency access, team,
# unassigned, read from the joined open assignment.
_CASELOAD_SQL = """
SELECT p.id, p.record_number, p.legal_name, p.preferred_name, p.status, ca.specialist_id,
       s.display_name, p.recovery_start_date, p.intake_date, p.contact_cadence_days,
       a.last_contact_at, a.plan_review_date, a.open_referrals, a.latest_barc10
FROM participant p
LEFT JOIN case_assignment ca ON ca.participant_id = p.id AND ca.end_date IS NULL
LEFT JOIN staff_user s ON s.id = ca.specialist_id
LEFT JOIN participant_activity a ON a.participant_id = p.id
WHERE ca.specialist_id = :actor
   OR p.id IN (SELECT participant_id FROM emergency_access
                WHERE user_id = :actor AND expires_at > :now)
   OR ca.specialist_id IN (SELECT id FROM staff_user WHERE supervisor_id = :actor)
   OR ca.participant_id IS NULL
"""


class RawCaseload:
    """One open sqlcipher3 connection with the same settings as the program's."""

    def __init__(self, path: Path, key_hex: str) -> None:
        self.conn = dbapi2.connect(str(path), isolation_level=None)
        self.conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
        self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        self.conn.execute("PRAGMA journal_mode = WAL").fetchone()
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA temp_store = MEMORY")
        self.conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")

    def rows(self, actor_id: int, now: datetime) -> int:
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        cursor = self.conn.execute(_CASELOAD_SQL, {"actor": actor_id, "now": stamp})
        return len(cursor.fetchall())

    def close(self) -> None:
        self.conn.close()


def pdf_lines(pdf: Path) -> list[str]:
    """The text of *pdf*, line by line (pypdf if installed, else poppler's pdftotext)."""
    try:
        from pypdf import PdfReader
    except ImportError:
        tool = shutil.which("pdftotext")
        if tool is None:
            raise RuntimeError("reading a PDF's text needs pypdf or pdftotext") from None
        out = subprocess.run([tool, str(pdf), "-"], capture_output=True, check=True, text=True)
        text = out.stdout
    else:
        text = "\n".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)
    return [line for line in text.splitlines() if line.strip()]


def draw_lines(lines: list[str], out: Path) -> float:
    """Seconds to draw *lines* on a bare canvas, 60 to an A4 page, and save the file."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    start = time.perf_counter()
    canvas = Canvas(str(out), pagesize=A4)
    height = A4[1]
    for index, line in enumerate(lines):
        row = index % 60
        if index and row == 0:
            canvas.showPage()
        canvas.setFont("Helvetica", 9)
        canvas.drawString(40, height - 40 - row * 12.5, line)
    canvas.save()
    return time.perf_counter() - start
