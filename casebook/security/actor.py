"""Who a service call acts as: the signed-in staff member.

Kept apart from ``casebook.security.permissions`` (which needs the ORM models) so the
window can name its types before the models are loaded; import it from either.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The signed-in staff member every service call acts as."""

    id: int
    username: str
    display_name: str
    role: str
    is_supervisor: bool = False

    @property
    def supervises(self) -> bool:
        return self.role == "supervisor" or (self.role == "admin" and self.is_supervisor)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def sees_clinical(self) -> bool:
        return self.role in ("specialist", "supervisor") or self.supervises
