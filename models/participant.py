"""Participants, their case assignments and the history of their recovery start date."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, Versioned, utcnow
from models.codes import PARTICIPANT_STATUSES, RECOVERY_FOCUSES, one_of
from models.staff import StaffUser


class Participant(Versioned, Timestamped, Base):
    __tablename__ = "participant"
    __table_args__ = (
        one_of("status", PARTICIPANT_STATUSES, "status"),
        one_of("recovery_focus", RECOVERY_FOCUSES, "recovery_focus"),
        CheckConstraint("contact_cadence_days BETWEEN 1 AND 365", name="cadence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    legal_name: Mapped[str] = mapped_column(String(200), nullable=False)
    preferred_name: Mapped[str | None] = mapped_column(String(200), default=None)
    pronouns: Mapped[str | None] = mapped_column(String(40), default=None)
    date_of_birth: Mapped[date] = mapped_column(Date, nullable=False)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    address: Mapped[str | None] = mapped_column(Text, default=None)
    emergency_contact_name: Mapped[str | None] = mapped_column(String(200), default=None)
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(40), default=None)
    preferred_language: Mapped[str | None] = mapped_column(String(60), default=None)
    recovery_focus: Mapped[str] = mapped_column(String(20), nullable=False, default="co_occurring")
    recovery_start_date: Mapped[date | None] = mapped_column(Date, default=None)
    intake_date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active", index=True)
    discharge_date: Mapped[date | None] = mapped_column(Date, default=None)
    discharge_reason: Mapped[str | None] = mapped_column(Text, default=None)
    contact_cadence_days: Mapped[int] = mapped_column(Integer, nullable=False, default=7)

    assignments: Mapped[list[CaseAssignment]] = relationship(
        back_populates="participant", order_by="CaseAssignment.start_date"
    )


class CaseAssignment(Base):
    """Who the participant's peer specialist is, and since when.

    A transfer closes the open row and opens a new one, so the history stays.
    """

    __tablename__ = "case_assignment"
    __table_args__ = (
        Index("ix_case_assignment_specialist_open", "specialist_id", "end_date"),
        Index("ix_case_assignment_participant_open", "participant_id", "end_date"),
        # At most one open assignment per participant.
        Index(
            "uq_case_assignment_one_open",
            "participant_id",
            unique=True,
            sqlite_where=text("end_date IS NULL"),
            postgresql_where=text("end_date IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), nullable=False)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date | None] = mapped_column(Date, default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)

    participant: Mapped[Participant] = relationship(back_populates="assignments")
    specialist: Mapped[StaffUser] = relationship(foreign_keys=[specialist_id])


class RecoveryStartChange(Base):
    """A participant may reset their recovery start date; every change is kept."""

    __tablename__ = "recovery_start_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id"), nullable=False, index=True
    )
    previous_date: Mapped[date | None] = mapped_column(Date, default=None)
    new_date: Mapped[date | None] = mapped_column(Date, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)


class EmergencyAccess(Base):
    """Break-the-glass access to a record outside one's caseload; expires after 24 hours."""

    __tablename__ = "emergency_access"
    __table_args__ = (Index("ix_emergency_access_user_participant", "user_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), nullable=False)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)


class ParticipantActivity(Base):
    """The caseload's activity columns of one participant, kept by the database.

    Written only by triggers on session_note, recovery_plan, referral and assessment
    (migration 0008), never by the program: each insert, relevant update or delete
    there recomputes this participant's row. The caseload then reads one row per
    participant instead of four lookups (the same definitions as before, in the
    migration). A participant with no activity yet has no row: read with an outer
    join, as NULL and 0.
    """

    __tablename__ = "participant_activity"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # The newest contact: notes other than outreach, not entered in error.
    last_contact_at: Mapped[datetime | None] = mapped_column(default=None)
    # The earliest review date of an active plan.
    plan_review_date: Mapped[date | None] = mapped_column(Date, default=None)
    # Referrals requested, accepted, in progress or on hold.
    open_referrals: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    # The latest BARC-10 total (the higher one if two share the moment).
    latest_barc10: Mapped[int | None] = mapped_column(Integer, default=None)
