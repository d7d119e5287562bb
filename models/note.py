"""Session notes (the legal record of peer services), addenda and group sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, EnteredInError, Timestamped, Versioned, utcnow
from models.codes import (
    GOAL_PROGRESS_MARKS,
    NOTE_FORMATS,
    NOTE_KINDS,
    NOTE_MODES,
    NOTE_STATUSES,
    one_of,
)


class GroupSession(Versioned, Timestamped, Base):
    """The shared part of a group session; each attendee gets their own SessionNote."""

    __tablename__ = "group_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(200), nullable=False)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    location: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    group_text: Mapped[str] = mapped_column(Text, nullable=False, default="")


class SessionNote(Versioned, Timestamped, EnteredInError, Base):
    """One contact (or attempt) with one participant.

    Once signed, the note is immutable: the service refuses changes and a
    database trigger refuses UPDATEs of the content columns.
    """

    __tablename__ = "session_note"
    __table_args__ = (
        one_of("kind", NOTE_KINDS, "kind"),
        one_of("mode", NOTE_MODES, "mode"),
        one_of("format", NOTE_FORMATS, "format"),
        one_of("status", NOTE_STATUSES, "status"),
        # A participant's note list, and "last contact" read from the index alone
        # (kind and entered-in-error decide which notes count; migration 0006).
        Index(
            "ix_session_note_participant_contact",
            "participant_id",
            "occurred_at",
            "kind",
            "entered_in_error_at",
        ),
        # Unsigned notes per author (Today, co-sign queue).
        Index("ix_session_note_author_status", "author_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), nullable=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), nullable=False)
    group_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_session.id"), default=None, index=True
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="individual")
    occurred_at: Mapped[datetime] = mapped_column(nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    mode: Mapped[str] = mapped_column(String(20), nullable=False, default="in_person")
    location: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    format: Mapped[str] = mapped_column(String(8), nullable=False, default="GIRP")
    # The structured fields of the format, e.g. {"goal": ..., "intervention": ...}.
    sections: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    # Plain text of the sections, kept by the service for full-text search.
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Risk flags such as "overdose_risk", "self_harm", "crisis", "housing_loss".
    risk_flags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft")
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    content_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    cosigned_at: Mapped[datetime | None] = mapped_column(default=None)
    cosigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)

    addenda: Mapped[list[NoteAddendum]] = relationship(
        back_populates="note", order_by="NoteAddendum.created_at"
    )
    goals: Mapped[list[NoteGoal]] = relationship(
        back_populates="note", cascade="all, delete-orphan"
    )
    group_session: Mapped[GroupSession | None] = relationship()


class NoteGoal(Base):
    """A recovery-plan goal addressed in a note, with a progress mark."""

    __tablename__ = "note_goal"
    __table_args__ = (
        UniqueConstraint("note_id", "goal_id", name="uq_note_goal_note_goal"),
        one_of("mark", GOAL_PROGRESS_MARKS, "mark"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("session_note.id"), nullable=False)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"), nullable=False, index=True)
    mark: Mapped[str] = mapped_column(String(20), nullable=False, default="no_change")

    note: Mapped[SessionNote] = relationship(back_populates="goals")


class NoteAddendum(Base):
    """A later correction or addition to a signed note; never edited itself."""

    __tablename__ = "note_addendum"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("session_note.id"), nullable=False, index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)

    note: Mapped[SessionNote] = relationship(back_populates="addenda")


class NoteTemplate(Timestamped, Base):
    """A specialist's own note template or quick phrase."""

    __tablename__ = "note_template"
    __table_args__ = (one_of("kind", ("template", "phrase"), "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    format: Mapped[str | None] = mapped_column(String(8), default=None)
    content: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
