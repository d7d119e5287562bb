"""SQLAlchemy ORM classes for Casebook. No sessions, no Qt, no business rules."""

from models.assessment import Assessment
from models.audit import AuditEvent, ClinicSetting
from models.base import Base, utcnow
from models.note import GroupSession, NoteAddendum, NoteGoal, NoteTemplate, SessionNote
from models.participant import (
    CaseAssignment,
    EmergencyAccess,
    Participant,
    ParticipantActivity,
    RecoveryStartChange,
)
from models.plan import ActionStep, Goal, GoalRating, PlanSupport, RecoveryPlan
from models.referral import Consent, Counselor, Disclosure, Referral, ReferralEvent
from models.staff import StaffUser

__all__ = [
    "ActionStep",
    "Assessment",
    "AuditEvent",
    "Base",
    "CaseAssignment",
    "ClinicSetting",
    "Consent",
    "Counselor",
    "Disclosure",
    "EmergencyAccess",
    "Goal",
    "GoalRating",
    "GroupSession",
    "NoteAddendum",
    "NoteGoal",
    "NoteTemplate",
    "Participant",
    "ParticipantActivity",
    "PlanSupport",
    "RecoveryPlan",
    "RecoveryStartChange",
    "Referral",
    "ReferralEvent",
    "SessionNote",
    "StaffUser",
    "utcnow",
]
