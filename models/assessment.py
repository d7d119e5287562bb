"""Outcome measures administered to a participant (BARC-10, PHQ-9, GAD-7)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, EnteredInError, utcnow
from models.codes import INSTRUMENTS, one_of


class Assessment(EnteredInError, Base):
    __tablename__ = "assessment"
    __table_args__ = (
        one_of("instrument", INSTRUMENTS, "instrument"),
        # Latest score per participant and instrument (caseload column, trends);
        # entered_in_error_at and total make it covering for the caseload (0006).
        Index(
            "ix_assessment_participant_latest",
            "participant_id",
            "instrument",
            "administered_at",
            "entered_in_error_at",
            "total",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), nullable=False)
    instrument: Mapped[str] = mapped_column(String(10), nullable=False)
    answers: Mapped[list[int]] = mapped_column(JSON, nullable=False)
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    band: Mapped[str] = mapped_column(String(40), nullable=False)
    flags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    administered_at: Mapped[datetime] = mapped_column(nullable=False)
    administered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id"), default=None
    )
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
