"""Person-centred recovery plans: versions, goals, progress, action steps, supports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, EnteredInError, Timestamped, Versioned, utcnow
from models.codes import DOMAIN_SETS, GOAL_STATUSES, PLAN_STATUSES, STEP_RESPONSIBLE, one_of


class RecoveryPlan(Versioned, Timestamped, EnteredInError, Base):
    """One version of a participant's plan: draft → active → superseded.

    Revising an active plan copies it into a new draft version; once superseded
    the old row is never changed again (service check, and database triggers from
    migration 0004 on the plan and its goals, steps, supports and ratings), so
    what was agreed stays on record.
    """

    __tablename__ = "recovery_plan"
    __table_args__ = (
        UniqueConstraint("participant_id", "version", name="uq_recovery_plan_participant_version"),
        one_of("status", PLAN_STATUSES, "status"),
        one_of("domain_set", DOMAIN_SETS, "domain_set"),
        # review_date makes it covering for the caseload's review column (0006).
        Index("ix_recovery_plan_participant_review", "participant_id", "status", "review_date"),
        Index("ix_recovery_plan_review_date", "review_date"),
        # At most one active version and one open draft per participant, so two
        # workstations activating or revising at once cannot fork the plan.
        Index(
            "uq_recovery_plan_one_active",
            "participant_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index(
            "uq_recovery_plan_one_draft",
            "participant_id",
            unique=True,
            sqlite_where=text("status = 'draft' AND entered_in_error_at IS NULL"),
            postgresql_where=text("status = 'draft' AND entered_in_error_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    domain_set: Mapped[str] = mapped_column(String(20), nullable=False, default="samhsa4")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    activated_at: Mapped[datetime | None] = mapped_column(default=None)
    superseded_at: Mapped[datetime | None] = mapped_column(default=None)
    review_date: Mapped[date | None] = mapped_column(Date, default=None)
    strengths: Mapped[str] = mapped_column(Text, nullable=False, default="")
    barriers: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Relapse-prevention and wellness section (WRAP style).
    triggers: Mapped[str] = mapped_column(Text, nullable=False, default="")
    early_warning_signs: Mapped[str] = mapped_column(Text, nullable=False, default="")
    coping_strategies: Mapped[str] = mapped_column(Text, nullable=False, default="")
    crisis_plan: Mapped[str] = mapped_column(Text, nullable=False, default="")
    agreement_date: Mapped[date | None] = mapped_column(Date, default=None)
    agreement_signed_on_paper: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    goals: Mapped[list[Goal]] = relationship(
        back_populates="plan", order_by="Goal.position", cascade="all, delete-orphan"
    )
    supports: Mapped[list[PlanSupport]] = relationship(
        back_populates="plan", order_by="PlanSupport.position", cascade="all, delete-orphan"
    )


class PlanSupport(Base):
    """A person the participant can call (WRAP supports), with a phone number."""

    __tablename__ = "plan_support"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("recovery_plan.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    relationship_to_participant: Mapped[str] = mapped_column(
        String(100), nullable=False, default=""
    )
    phone: Mapped[str] = mapped_column(String(40), nullable=False, default="")

    plan: Mapped[RecoveryPlan] = relationship(back_populates="supports")


class Goal(Base):
    __tablename__ = "goal"
    __table_args__ = (one_of("status", GOAL_STATUSES, "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("recovery_plan.id"), nullable=False, index=True)
    # The goal this one was copied from when the plan was revised, so progress
    # can be followed across versions.
    origin_goal_id: Mapped[int | None] = mapped_column(ForeignKey("goal.id"), default=None)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    domain: Mapped[str] = mapped_column(String(40), nullable=False)
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    measurable_target: Mapped[str] = mapped_column(Text, nullable=False, default="")
    target_date: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="not_started")

    plan: Mapped[RecoveryPlan] = relationship(back_populates="goals")
    steps: Mapped[list[ActionStep]] = relationship(
        back_populates="goal", order_by="ActionStep.position", cascade="all, delete-orphan"
    )
    ratings: Mapped[list[GoalRating]] = relationship(
        back_populates="goal", order_by="GoalRating.rated_at"
    )


class GoalRating(EnteredInError, Base):
    """A progress rating over time (0 = not started … 10 = fully achieved)."""

    __tablename__ = "goal_rating"
    __table_args__ = (CheckConstraint("rating BETWEEN 0 AND 10", name="rating"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"), nullable=False, index=True)
    rated_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")

    goal: Mapped[Goal] = relationship(back_populates="ratings")


class ActionStep(Base):
    __tablename__ = "action_step"
    __table_args__ = (one_of("responsible", STEP_RESPONSIBLE, "responsible"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    responsible: Mapped[str] = mapped_column(String(20), nullable=False, default="participant")
    responsible_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    done_date: Mapped[date | None] = mapped_column(Date, default=None)

    goal: Mapped[Goal] = relationship(back_populates="steps")
