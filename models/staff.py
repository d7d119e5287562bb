"""Staff accounts: peer specialists, supervisors and administrators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, Versioned
from models.codes import ROLES, one_of


class StaffUser(Versioned, Timestamped, Base):
    __tablename__ = "staff_user"
    __table_args__ = (one_of("role", ROLES, "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    # A supervisor can also carry a caseload; the admin role never sees clinical
    # content unless this flag makes them a supervisor as well.
    is_supervisor: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    supervisor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id"), index=True, default=None
    )
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)

    supervisor: Mapped[StaffUser | None] = relationship(remote_side=[id])
