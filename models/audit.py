"""The append-only, hash-chained audit log, and clinic-wide settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AuditEvent(Base):
    """Who did what to which record, and when.

    Each row carries the hash of the previous row, so an edit or a deletion made
    behind the program's back breaks the chain; triggers refuse UPDATE/DELETE.
    ``user_id`` is deliberately not a foreign key: the log must outlive any
    account and never block on one.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_participant", "participant_id", "occurred_at"),
        Index("ix_audit_event_user", "user_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, default=None)
    username: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    entity_id: Mapped[int | None] = mapped_column(Integer, default=None)
    participant_id: Mapped[int | None] = mapped_column(Integer, default=None)
    details: Mapped[str] = mapped_column(Text, nullable=False, default="")
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    row_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)


class ClinicSetting(Base):
    """Settings that belong to the clinic's database rather than one workstation."""

    __tablename__ = "clinic_setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
