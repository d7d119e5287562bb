"""Counselor directory, 42 CFR Part 2 consents, disclosures and referrals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, EnteredInError, Timestamped, Versioned, utcnow
from models.codes import REFERRAL_OUTCOMES, REFERRAL_STATUSES, URGENCIES, one_of


class Counselor(Versioned, Timestamped, Base):
    """A clinical counselor or an organisation that takes referrals."""

    __tablename__ = "counselor"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    is_organisation: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    organisation: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    credentials: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    email: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    address: Mapped[str] = mapped_column(Text, nullable=False, default="")
    specialties: Mapped[str] = mapped_column(Text, nullable=False, default="")
    languages: Mapped[str] = mapped_column(Text, nullable=False, default="")
    accepting_new_clients: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class Consent(Versioned, Timestamped, EnteredInError, Base):
    """A written consent to disclose, with every 42 CFR §2.31 element.

    Status (active, expired, revoked) is derived from the dates, never stored,
    so it cannot drift from them.
    """

    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_participant_expires", "participant_id", "expires_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), nullable=False)
    # §2.31 elements
    patient_name: Mapped[str] = mapped_column(String(200), nullable=False)
    discloser: Mapped[str] = mapped_column(Text, nullable=False)
    information: Mapped[str] = mapped_column(Text, nullable=False)
    # Machine-checkable categories of information ("substance_use", "mental_health",
    # "treatment_plan", "assessments", "contact_details", ...) separated by commas.
    information_categories: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recipient_counselor_id: Mapped[int | None] = mapped_column(
        ForeignKey("counselor.id"), default=None, index=True
    )
    recipient_description: Mapped[str] = mapped_column(Text, nullable=False)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    revocation_statement: Mapped[str] = mapped_column(Text, nullable=False)
    expires_on: Mapped[date | None] = mapped_column(Date, default=None)
    expiration_event: Mapped[str] = mapped_column(Text, nullable=False, default="")
    signed_by: Mapped[str] = mapped_column(String(200), nullable=False)
    signer_relationship: Mapped[str] = mapped_column(String(100), nullable=False, default="self")
    signed_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    revoked_on: Mapped[date | None] = mapped_column(Date, default=None)
    revocation_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    recipient_counselor: Mapped[Counselor | None] = relationship()


class Disclosure(Base):
    """Accounting of disclosures: each disclosure made under a consent."""

    __tablename__ = "disclosure"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id"), nullable=False, index=True
    )
    consent_id: Mapped[int] = mapped_column(ForeignKey("consent.id"), nullable=False, index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), default=None)
    disclosed_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    disclosed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    recipient: Mapped[str] = mapped_column(Text, nullable=False)
    information: Mapped[str] = mapped_column(Text, nullable=False)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    # The §2.32 notice accompanied the disclosure.
    notice_included: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class Referral(Versioned, Timestamped, Base):
    __tablename__ = "referral"
    __table_args__ = (
        one_of("status", REFERRAL_STATUSES, "status"),
        one_of("urgency", URGENCIES, "urgency"),
        one_of("coalesce(outcome, 'other')", REFERRAL_OUTCOMES, "outcome"),
        Index("ix_referral_participant_status", "participant_id", "status"),
        Index("ix_referral_follow_up", "status", "follow_up_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), nullable=False)
    counselor_id: Mapped[int | None] = mapped_column(ForeignKey("counselor.id"), default=None)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    urgency: Mapped[str] = mapped_column(String(20), nullable=False, default="routine")
    information_shared: Mapped[str] = mapped_column(Text, nullable=False, default="")
    information_categories: Mapped[str] = mapped_column(Text, nullable=False, default="")
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent.id"), default=None)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    follow_up_on: Mapped[date | None] = mapped_column(Date, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(40), default=None)
    outcome_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    counselor: Mapped[Counselor | None] = relationship()
    consent: Mapped[Consent | None] = relationship()
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.occurred_at"
    )


class ReferralEvent(Base):
    """Every status change of a referral: who, when, from, to, note."""

    __tablename__ = "referral_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), nullable=False, index=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    from_status: Mapped[str | None] = mapped_column(String(20), default=None)
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    referral: Mapped[Referral] = relationship(back_populates="events")
