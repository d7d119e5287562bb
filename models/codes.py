"""Code values the schema constrains columns to (CHECK constraints).

They live beside the ORM classes because the database enforces them; the
services import them from here and give them their human labels.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint

ROLES = ("specialist", "supervisor", "admin")
PARTICIPANT_STATUSES = ("active", "inactive", "discharged")
RECOVERY_FOCUSES = ("substance_use", "mental_health", "co_occurring")
PLAN_STATUSES = ("draft", "active", "superseded")
DOMAIN_SETS = ("samhsa4", "wellness8")
GOAL_STATUSES = ("not_started", "in_progress", "achieved", "on_hold", "discontinued")
STEP_RESPONSIBLE = ("participant", "specialist", "other")
NOTE_KINDS = ("individual", "check_in", "group", "outreach", "collateral")
NOTE_MODES = ("in_person", "phone", "video", "text")
NOTE_FORMATS = ("GIRP", "DAP", "SOAP")
NOTE_STATUSES = ("draft", "signed")
GOAL_PROGRESS_MARKS = ("progress", "no_change", "setback")
URGENCIES = ("routine", "urgent", "emergent")
# HL7 SDOH Clinical Care referral Task codes.
REFERRAL_STATUSES = (
    "draft",
    "requested",
    "accepted",
    "rejected",
    "cancelled",
    "in-progress",
    "on-hold",
    "completed",
    "failed",
    "entered-in-error",
)
REFERRAL_OUTCOMES = (
    "attended_first_appointment",
    "declined",
    "no_response",
    "waitlisted",
    "not_eligible",
    "participant_withdrew",
    "other",
)
INSTRUMENTS = ("BARC-10", "PHQ-9", "GAD-7")


def one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)
